// Package signaturedemo gives the demonstration's signers their signing
// certificates: the staff who decide (window agents, committee members,
// presidents) and the verified architects, each enrolled through the
// signature service as they would do themselves, with the PIN DemoPIN
// (published in docs/DEMO.md).
package signaturedemo

import (
	"context"
	"fmt"
	"io"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/identity/identitydemo"
	"madina/internal/module"
	"madina/internal/platform/errs"
	"madina/internal/signature"
)

// DemoPIN is the signing PIN of every demonstration certificate.
const DemoPIN = "246813"

// Signers are the demonstration accounts that get a certificate.
func Signers() []identitydemo.Account {
	var out []identitydemo.Account
	for _, a := range identitydemo.Accounts() {
		switch {
		case a.Grant != nil && (a.Grant.Role == authz.WindowAgent || a.Grant.Role == authz.CommitteeMember || a.Grant.Role == authz.President):
			out = append(out, a)
		case a.Profession == authz.Architect && a.Verified:
			out = append(out, a)
		}
	}
	return out
}

// Load enrols every signer who has no certificate yet; run again, it
// changes nothing.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	ids, err := module.Need[*identity.Service](env)
	if err != nil {
		return err
	}
	s, err := module.Need[*signature.Service](env)
	if err != nil {
		return err
	}
	n := 0
	for _, d := range Signers() {
		p, err := ids.PersonByEmail(ctx, d.Email)
		if err != nil {
			return fmt.Errorf("signature demo: %s: %w", d.Email, err)
		}
		a := authz.Actor{Person: p.ID, EmailVerified: true, Now: time.Now()}
		if d.Grant != nil {
			a.MFA = true
			a.Grants = []authz.Grant{{Role: d.Grant.Role, Org: d.Grant.Org, Arrondissement: d.Grant.Arrondissement, Window: d.Grant.Window}}
		} else {
			a.Profession, a.ProfessionalVerified = d.Profession, true
		}
		_, err = s.Enrol(ctx, a, DemoPIN, DemoPIN)
		switch {
		case err == nil:
			n++
		case errs.Is(err, errs.Conflict): // enrolled at an earlier load
		default:
			return fmt.Errorf("signature demo: %s: %w", d.Email, err)
		}
	}
	fmt.Fprintf(out, "signature: %d demonstration signing certificates issued (PIN %s)\n", n, DemoPIN)
	return nil
}
