package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/identity/identitydemo"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

var resetLinkRE = regexp.MustCompile(`(?m)^  (http://localhost:8080/reset/new\?token=([A-Za-z0-9_-]{43}))$`)

func TestAdminCommandLine(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		dir := t.TempDir()
		cfg := config.Config{DataDir: dir}
		args := []string{"--data-dir", dir, "--log-format", "text"}
		if e == db.Postgres {
			cfg.DatabaseURL = dbtest.URL(t, e)
			args = append(args, "--database-url", cfg.DatabaseURL)
		}
		run := func(cmd ...string) (int, string, string) {
			var out, errb bytes.Buffer
			code := app.MainWith(ctx, append(append([]string{"admin"}, cmd...), args...), &out, &errb, app.Options{Hasher: apptest.Hasher})
			return code, out.String(), errb.String()
		}
		names := []string{"--given-name-ar", "زينب", "--family-name-ar", "العلمي", "--given-name-latin", "Zineb", "--family-name-latin", "Alami"}

		if code, out, _ := run("create-staff", "--help"); code != 0 || !strings.Contains(out, "--window") || !strings.Contains(out, "one-time link") {
			t.Fatalf("create-staff --help: %d %q", code, out)
		}
		if code, _, errb := run("create-staff", "--email", "x@example.ma"); code != 2 || !strings.Contains(errb, "--org, --role required") {
			t.Fatalf("missing flags: %d %q", code, errb)
		}

		code, out, errb := run(append([]string{"create-admin", "--email", "zineb.alami@example.ma", "--lang", "fr"}, names...)...)
		m := resetLinkRE.FindStringSubmatch(out)
		if code != 0 || m == nil || !strings.Contains(out, "granted admin in commune") || !strings.Contains(out, "/me/security") {
			t.Fatalf("create-admin: %d %q %q", code, out, errb)
		}
		adminLink := m[2]

		// A wrong grant is explained in words and creates nothing.
		code, _, errb = run(append([]string{"create-staff", "--email", "souad.chraibi@example.ma", "--org", "maarif", "--role", "window_agent"}, names...)...)
		if code != 1 || !strings.Contains(errb, "--window: A window agent needs a window.") {
			t.Fatalf("window agent without window: %d %q", code, errb)
		}
		code, _, errb = run(append([]string{"create-staff", "--email", "said.mouline@example.ma", "--org", "lydec", "--role", "mayor"}, names...)...)
		if code != 1 || !strings.Contains(errb, "--role: Choose a role from the list.") {
			t.Fatalf("unknown role: %d %q", code, errb)
		}
		code, out, errb = run("create-staff", "--email", "souad.chraibi@example.ma", "--org", "maarif", "--role", "window_agent", "--window", "maarif",
			"--given-name-ar", "سعاد", "--family-name-ar", "الشرايبي", "--given-name-latin", "Souad", "--family-name-latin", "Chraibi")
		m = resetLinkRE.FindStringSubmatch(out)
		if code != 0 || !strings.Contains(out, "granted window_agent in maarif, arrondissement maarif, window maarif") || m == nil {
			t.Fatalf("create-staff: %d %q %q", code, out, errb)
		}
		agentLink := m[2]

		a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		a.Cat.TrackMisses()
		if n := countWhere(t, a.DB, `persons`, `email_key = 'souad.chraibi@example.ma' OR email_key = 'said.mouline@example.ma'`); n != 1 {
			t.Fatalf("%d accounts after one good and one refused enrolment, want 1", n)
		}
		// The printed link sets the password, once.
		const pw = "Boulevard-Zerktouni-1955"
		if err := a.Identity.ResetPassword(ctx, adminLink, pw); err != nil {
			t.Fatalf("the printed link: %v", err)
		}
		if err := a.Identity.ResetPassword(ctx, adminLink, pw); !errs.Is(err, errs.Invalid) {
			t.Fatalf("the link worked twice: %v", err)
		}
		// Running the command again changes nothing and prints no link.
		code, out, _ = run(append([]string{"create-admin", "--email", "Zineb.Alami@example.ma"}, names...)...)
		if code != 0 || !strings.Contains(out, "already holds admin in commune: nothing changed") || strings.Contains(out, "token=") {
			t.Fatalf("create-admin again: %d %q", code, out)
		}
		// An existing account receives another role without new names.
		code, out, _ = run("create-staff", "--email", "zineb.alami@example.ma", "--org", "aucasa", "--role", "committee_member")
		if code != 0 || !strings.Contains(out, "account ") || !strings.Contains(out, "granted committee_member in aucasa") || strings.Contains(out, "token=") {
			t.Fatalf("second role: %d %q", code, out)
		}
		if n := countWhere(t, a.DB, `audit_log`, `actor = 'cli:admin' AND action IN ('identity.enrolled', 'identity.role_granted')`); n != 5 {
			t.Fatalf("%d enrolment and grant audit records by the command line, want 5", n)
		}

		// The administrator signs in; without a second factor the back
		// office explains what to do.
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)
		b.Lang(i18n.EN)
		if code, _, _ := b.Post("/signin", "/signin", url.Values{"email": {"zineb.alami@example.ma"}, "password": {pw}}); code != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", code)
		}
		for _, p := range []string{"/admin", "/admin/staff", "/admin/audit"} {
			code, body, _ := b.Get(p)
			if code != http.StatusForbidden || !strings.Contains(body, "Two-step verification required") || !strings.Contains(body, `href="/me/security"`) {
				t.Fatalf("%s without second factor: %d", p, code)
			}
		}
		mfaTitle := map[i18n.Lang]string{i18n.AR: "التحقق بخطوتين مطلوب", i18n.FR: "Validation en deux étapes requise", i18n.EN: "Two-step verification required"}
		for _, l := range i18n.Langs {
			b.Lang(l)
			code, body, _ := b.Get("/admin")
			if code != http.StatusForbidden || !strings.Contains(body, `<html lang="`+string(l)+`"`) || !strings.Contains(body, mfaTitle[l]) {
				t.Errorf("second-factor page in %s: %d", l, code)
			}
			if ks := apptest.Untranslated(a); len(ks) > 0 {
				t.Errorf("second-factor page in %s: keys without a text %q", l, ks)
			}
		}
		b.Lang(i18n.EN)
		if code, body, _ := b.Post("/me", "/admin/staff/grants", url.Values{"email": {"zineb.alami@example.ma"}, "role": {"editor"}, "org": {"commune"}}); code != http.StatusForbidden || !strings.Contains(body, "Two-step verification required") {
			t.Fatalf("grant without second factor: %d", code)
		}
		// A window agent, even with the second factor, has no back office.
		agent, err := a.Identity.PersonByEmail(ctx, "souad.chraibi@example.ma")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Identity.ResetPassword(ctx, agentLink, pw); err != nil {
			t.Fatal(err)
		}
		if err := a.Identity.EnableTOTPSecret(ctx, authz.Actor{System: true}, agent.ID, identitydemo.TOTPSecret); err != nil {
			t.Fatal(err)
		}
		ab := apptest.NewBrowser(t, srv.URL)
		ab.Lang(i18n.EN)
		ab.SignInAs("souad.chraibi@example.ma", pw, true)
		if code, body, _ := ab.Get("/admin"); code != http.StatusForbidden || strings.Contains(body, "Two-step verification required") {
			t.Fatalf("window agent on /admin: %d", code)
		}
		// With the second factor on, the administrator gets in.
		admin, err := a.Identity.PersonByEmail(ctx, "zineb.alami@example.ma")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Identity.EnableTOTPSecret(ctx, authz.Actor{System: true}, admin.ID, identitydemo.TOTPSecret); err != nil {
			t.Fatal(err)
		}
		b2 := apptest.NewBrowser(t, srv.URL)
		b2.Lang(i18n.EN)
		b2.SignInAs("zineb.alami@example.ma", pw, true)
		if code, body, _ := b2.Get("/admin/staff"); code != http.StatusOK || !strings.Contains(body, "souad.chraibi@example.ma") {
			t.Fatalf("back office with the second factor: %d", code)
		}
	})
}

func countWhere(t *testing.T, d *db.DB, table, where string) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table+` WHERE `+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
