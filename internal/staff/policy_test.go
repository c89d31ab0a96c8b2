package staff

import (
	"context"
	"testing"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// Every back-office use case asks the policy itself: called directly, not
// through the handlers, the service refuses an actor the policy denies,
// and changes nothing.
func TestServiceRefusesWhomThePolicyDenies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		withReference(t, d)
		if _, err := e.s.LoadOrganisations(ctx, sys); err != nil {
			t.Fatal(err)
		}
		admin := e.newAdmin(t, "nadia@example.ma")
		agent, err := e.s.EnrolStaff(ctx, cli, staffEnrolment("souad@example.ma"), GrantSpec{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"})
		if err != nil {
			t.Fatal(err)
		}
		citizen := e.signUpVerified(t, "omar@example.ma", "BE201187")
		if _, err := d.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, created_at) VALUES ($1, $2, $3, $4)`,
			citizen, authz.Architect, "CNOA-1187", e.clock.now()); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, created_at) VALUES ($1, $2, $3, $4)`,
			admin, authz.Engineer, "ING-1", e.clock.now()); err != nil {
			t.Fatal(err)
		}

		withoutMFA := adminOp(admin)
		withoutMFA.Actor.MFA = false
		auditor := As(authz.Actor{Person: agent.PersonID, EmailVerified: true, MFA: true,
			Grants: []authz.Grant{{Role: authz.Auditor, Org: "commune"}}})
		windowAgent := As(authz.Actor{Person: agent.PersonID, EmailVerified: true, MFA: true,
			Grants: []authz.Grant{{Role: authz.WindowAgent, Org: "maarif", Arrondissement: "maarif", Window: "maarif"}}})
		person := As(authz.Actor{Person: citizen, EmailVerified: true})
		anonymous := As(authz.Actor{})
		token := adminOp(admin)
		token.Actor.Token, token.Actor.Scopes = true, authz.Scopes
		notAll := []Operator{anonymous, person, windowAgent, auditor, withoutMFA, token}

		org := Organisation{Code: "casa-transports", Kind: OrgOther, Name: Names{AR: "كازا ترانسبور", FR: "Casa Transports", EN: "Casa Transports"}}
		uses := []struct {
			name string
			// refused are denied operators besides notAll's; all lists
			// whether notAll is refused too (false for the audit viewer,
			// which auditors read).
			refused []Operator
			all     bool
			do      func(op Operator) error
		}{
			{"load organisations", nil, true, func(op Operator) error { _, err := e.s.LoadOrganisations(ctx, op); return err }},
			{"list organisations", nil, true, func(op Operator) error { _, err := e.s.Organisations(ctx, op); return err }},
			{"read an organisation", nil, true, func(op Operator) error { _, err := e.s.Organisation(ctx, op, "lydec"); return err }},
			{"create an organisation", nil, true, func(op Operator) error { _, err := e.s.CreateOrganisation(ctx, op, org); return err }},
			{"rename an organisation", nil, true, func(op Operator) error {
				return e.s.RenameOrganisation(ctx, op, "lydec", Names{AR: "ليديك", FR: "Lydec SA", EN: "Lydec plc"})
			}},
			{"grant a role", []Operator{adminOp(citizen)}, true, func(op Operator) error {
				_, err := e.s.Grant(ctx, op, citizen, GrantSpec{Role: authz.CommitteeMember, Org: "lydec"})
				return err
			}},
			{"grant a role by e-mail", []Operator{adminOp(citizen)}, true, func(op Operator) error {
				_, err := e.s.GrantByEmail(ctx, op, "omar@example.ma", GrantSpec{Role: authz.CommitteeMember, Org: "lydec"})
				return err
			}},
			{"grant oneself a role", []Operator{adminOp(admin)}, false, func(op Operator) error {
				_, err := e.s.Grant(ctx, op, admin, GrantSpec{Role: authz.CommitteeMember, Org: "lydec"})
				return err
			}},
			{"revoke a grant", nil, true, func(op Operator) error { _, err := e.s.RevokeGrant(ctx, op, agent.Grant.ID); return err }},
			{"list staff", nil, true, func(op Operator) error { _, err := e.s.Staff(ctx, op); return err }},
			{"enrol staff", nil, true, func(op Operator) error {
				_, err := e.s.EnrolStaff(ctx, op, staffEnrolment("karim@example.ma"), GrantSpec{Role: authz.CommitteeMember, Org: "lydec"})
				return err
			}},
			{"enrol oneself into a role", []Operator{adminOp(admin)}, false, func(op Operator) error {
				_, err := e.s.EnrolStaff(ctx, op, staffEnrolment("nadia@example.ma"), GrantSpec{Role: authz.CommitteeMember, Org: "lydec"})
				return err
			}},
			{"headline numbers", nil, true, func(op Operator) error { _, err := e.s.Counts(ctx, op); return err }},
			{"pending professionals", []Operator{sys}, true, func(op Operator) error { _, err := e.s.PendingProfessionals(ctx, op); return err }},
			{"verify a professional", []Operator{cli}, true, func(op Operator) error { return e.s.VerifyProfessional(ctx, op, citizen) }},
			{"verify one's own declaration", []Operator{adminOp(admin)}, false, func(op Operator) error { return e.s.VerifyProfessional(ctx, op, admin) }},
			{"reject a professional", []Operator{cli}, true, func(op Operator) error {
				return e.s.RejectProfessional(ctx, op, citizen, "Le numéro ne figure pas au tableau.")
			}},
			{"reject one's own declaration", []Operator{adminOp(admin)}, false, func(op Operator) error {
				return e.s.RejectProfessional(ctx, op, admin, "Le numéro ne figure pas au tableau.")
			}},
			{"read the audit log", []Operator{anonymous, person, windowAgent, withoutMFA, token, sys}, false, func(op Operator) error {
				_, err := e.s.Audit(ctx, op, audit.Filter{Limit: 10})
				return err
			}},
		}
		state := func() [5]int {
			return [5]int{count(t, d, `SELECT count(*) FROM audit_log`), count(t, d, `SELECT count(*) FROM organisations`),
				count(t, d, `SELECT count(*) FROM staff_grants WHERE revoked_at IS NULL`), count(t, d, `SELECT count(*) FROM persons`),
				count(t, d, `SELECT count(*) FROM professionals WHERE verified_at IS NULL`)}
		}
		before := state()
		for _, u := range uses {
			ops := u.refused
			if u.all {
				ops = append(append([]Operator{}, notAll...), ops...)
			}
			for _, op := range ops {
				err := u.do(op)
				if k := errs.KindOf(err); err == nil || k != errs.Forbidden && k != errs.NotFound && k != errs.Unauthenticated {
					t.Errorf("%s by %+v: %v, want a refusal", u.name, op.Actor, err)
				}
			}
		}
		if after := state(); after != before {
			t.Fatalf("refused calls changed the database: %v, then %v", before, after)
		}
		// The same calls by an administrator (not about herself) pass: the
		// refusals above are the policy's, not a broken service.
		e.clock.add(time.Minute)
		op := adminOp(admin)
		if _, err := e.s.CreateOrganisation(ctx, op, org); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Grant(ctx, op, citizen, GrantSpec{Role: authz.CommitteeMember, Org: "lydec"}); err != nil {
			t.Fatal(err)
		}
		if err := e.s.VerifyProfessional(ctx, op, citizen); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Audit(ctx, auditor, audit.Filter{Limit: 10}); err != nil {
			t.Fatalf("auditor reading the log: %v", err)
		}
	})
}
