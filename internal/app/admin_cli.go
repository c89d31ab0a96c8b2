package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/staff"
)

// staffUsage documents create-staff and create-admin.
const staffUsage = `Usage:
  madina admin create-staff --email E --given-name-ar … --family-name-ar … --given-name-latin … --family-name-latin …
                            --org CODE --role ROLE [--arrondissement A] [--window W] [flags]
  madina admin create-admin --email E --given-name-ar … --family-name-ar … --given-name-latin … --family-name-latin … [flags]

Opens a staff account (no CIN needed; the e-mail address counts as verified
by this command) and prints a one-time link for the person to choose a
password, or gives the role to the existing account with that address.
create-admin gives the role admin in the commune: use it for the first
administrator, who then manages the others in the back office (/admin).
Staff act only once two-step verification is on (/me/security).

Roles: ` + "admin, window_agent, committee_member, complaint_officer, facility_manager, dispatcher, editor, moderator, auditor" + `
Window agents need --window (city, or an arrondissement's code).
`

// staffFlags are create-staff's own flags.
type staffFlags struct {
	staff.Enrolment
	staff.GrantSpec
	role string
}

// parseStaff parses create-staff or create-admin's flags beside the
// server's (database, base URL, secret key).
func parseStaff(task string, args []string, stdout, stderr io.Writer) (config.Config, staffFlags, error) {
	var cfg config.Config
	var sf staffFlags
	fs := flag.NewFlagSet("madina admin "+task, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), staffUsage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	f := config.New(fs, &cfg)
	f.Server()
	fs.StringVar(&sf.Email, "email", "", "the staff member's e-mail address (their sign-in)")
	fs.StringVar(&sf.GivenNameAR, "given-name-ar", "", "given name in Arabic letters")
	fs.StringVar(&sf.FamilyNameAR, "family-name-ar", "", "family name in Arabic letters")
	fs.StringVar(&sf.GivenNameLatin, "given-name-latin", "", "given name in Latin letters")
	fs.StringVar(&sf.FamilyNameLatin, "family-name-latin", "", "family name in Latin letters")
	fs.StringVar(&sf.Lang, "lang", "ar", "language of the account's messages: ar, fr or en")
	if task == "create-staff" {
		fs.StringVar(&sf.Org, "org", "", "code of the organisation the role is held in (see /admin/organisations)")
		fs.StringVar(&sf.role, "role", "", "the role")
		fs.StringVar(&sf.Arrondissement, "arrondissement", "", "limit the role to this arrondissement (code)")
		fs.StringVar(&sf.Window, "window", "", "window agents: their window (code)")
	} else {
		sf.Org, sf.role = staff.CommuneOrganisation, string(authz.Admin)
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return cfg, sf, err
	}
	if err := f.Finish(); err != nil {
		fmt.Fprintln(stderr, "madina admin "+task+":", err)
		return cfg, sf, errUsage
	}
	var missing []string
	for _, r := range []struct{ name, v string }{{"email", sf.Email}, {"org", sf.Org}, {"role", sf.role}} {
		if strings.TrimSpace(r.v) == "" {
			missing = append(missing, "--"+r.name)
		}
	}
	if len(missing) > 0 || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "madina admin %s: %s required, no other arguments\n\n%s", task, strings.Join(missing, ", "), staffUsage)
		return cfg, sf, errUsage
	}
	sf.Role = authz.Role(sf.role)
	return cfg, sf, nil
}

// defaultBaseURL is the address serve would use when --base-url is not set.
func defaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// cmdAdminStaff runs create-staff and create-admin.
func cmdAdminStaff(ctx context.Context, task string, args []string, stdout, stderr io.Writer, opt Options) error {
	cfg, sf, err := parseStaff(task, args, stdout, stderr)
	if err != nil {
		return err
	}
	a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
	if err != nil {
		return err
	}
	defer a.Close()
	// The command acts as the server's operator: the policy lets the
	// system actor open staff accounts (authz.Actor.System).
	res, err := a.Staff.EnrolStaff(ctx, staff.System("cli:admin"), sf.Enrolment, sf.GrantSpec)
	if err != nil {
		return a.explain(err)
	}
	if err := sealAuditLog(ctx, a.DB); err != nil {
		return err
	}
	if res.Created {
		fmt.Fprintf(stdout, "opened account %d for %s (e-mail verified by this command)\n", res.PersonID, sf.Email)
	} else {
		fmt.Fprintf(stdout, "account %d of %s exists\n", res.PersonID, sf.Email)
	}
	g := res.Grant
	where := "in " + g.Org
	if g.Arrondissement != "" {
		where += ", arrondissement " + g.Arrondissement
	}
	if g.Window != "" {
		where += ", window " + g.Window
	}
	if res.AlreadyGranted {
		fmt.Fprintf(stdout, "already holds %s %s: nothing changed\n", g.Role, where)
	} else {
		fmt.Fprintf(stdout, "granted %s %s\n", g.Role, where)
	}
	if res.ResetURL != "" {
		fmt.Fprintf(stdout, "one-time link to choose the password (valid %d hours, works once; give it to %s only):\n  %s\n",
			int(staff.EnrolLinkTTL.Hours()), sf.Email, res.ResetURL)
	}
	fmt.Fprintln(stdout, "staff act only with two-step verification on: after signing in, turn it on at /me/security")
	return nil
}

// explain turns a refusal into an operator's message: the field at fault
// and the English text of its message key.
func (a *App) explain(err error) error {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal || !a.Cat.Has(i18n.EN, e.Key) {
		return err
	}
	msg := a.Cat.TMap(i18n.EN, e.Key, e.Params)
	if e.Field != "" {
		msg = "--" + strings.ReplaceAll(e.Field, "_", "-") + ": " + msg
	}
	return errors.New(msg)
}
