package identity

import (
	"context"
	"testing"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// A mandate for one file names one of the grantor's own files: a
// reference no file has, another person's file, or another legal person's
// file is refused with one message on the file_ref field (so references
// cannot be probed), and nothing is recorded or sent; the grantor's own
// file, in their name or the legal person's they act for, is granted.
func TestFileMandateNamesTheGrantorsOwnFile(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.joinAs(t, "owner@example.ma", "BK5001", "fr")
		other := e.joinAs(t, "other@example.ma", "BK5002", "fr")
		archi := e.joinAs(t, "archi@example.ma", "BK5003", "fr")
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, archi), ProfessionInput{Profession: authz.Architect, RegistrationNumber: "A-1"}); err != nil {
			t.Fatal(err)
		}
		atlas, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, owner),
			LegalInput{Kind: Company, Name: "Atlas Bâtiment", ICE: "001234567000089", RC: "123456", Role: RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		rif, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, other),
			LegalInput{Kind: Company, Name: "Rif Travaux", ICE: "002345678000091", RC: "654321", Role: RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		e.files["F2026-OWNER2"] = [2]int64{owner.id, 0}
		e.files["F2026-OTHER2"] = [2]int64{other.id, 0}
		e.files["F2026-ATLAS2"] = [2]int64{0, atlas}
		e.files["F2026-RIFTR2"] = [2]int64{0, rif}

		self := e.actorOf(t, owner)
		if err := e.s.ActFor(ctx, self, hashToken(owner.token), atlas); err != nil {
			t.Fatal(err)
		}
		forAtlas := e.actorOf(t, owner)
		if err := e.s.ActAsSelf(ctx, forAtlas, hashToken(owner.token)); err != nil {
			t.Fatal(err)
		}
		grant := func(a authz.Actor, ref string) error {
			_, err := e.s.GrantMandate(ctx, a, MandateInput{Professional: "archi@example.ma", Scope: ScopeFile, FileRef: ref})
			return err
		}
		for _, c := range []struct {
			name  string
			actor authz.Actor
			ref   string
		}{
			{"no such file", self, "F2026-XXXXXX"},
			{"another person's file", self, "F2026-OTHER2"},
			{"another legal person's file", self, "F2026-RIFTR2"},
			{"the company's file, in one's own name", self, "F2026-ATLAS2"},
			{"another legal person's file, for the company", forAtlas, "F2026-RIFTR2"},
			{"one's own file, for the company", forAtlas, "F2026-OWNER2"},
		} {
			err := grant(c.actor, c.ref)
			wantErrKey(t, c.name, err, errs.Invalid, errMandateFile)
			if e := errs.As(err); e == nil || e.Field != "file_ref" {
				t.Errorf("%s: refused on %+v, want the file_ref field", c.name, e)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM mandates`); n != 0 {
			t.Fatalf("%d mandates recorded by refused grants", n)
		}
		if n := e.rec.count("identity.mandate_granted"); n != 0 {
			t.Fatalf("%d notices sent for refused grants", n)
		}

		// Their own files, in their name and the company's (the reference as typed).
		if err := grant(self, " f2026-owner2 "); err != nil {
			t.Fatalf("own file: %v", err)
		}
		if err := grant(forAtlas, "F2026-ATLAS2"); err != nil {
			t.Fatalf("the company's file: %v", err)
		}
		if n := count(t, d, `SELECT count(*) FROM mandates WHERE file_ref IN ('F2026-OWNER2', 'F2026-ATLAS2')`); n != 2 {
			t.Fatalf("%d file mandates, want 2", n)
		}
		if n := e.rec.count("identity.mandate_granted"); n != 2 {
			t.Fatalf("%d notices, want 2", n)
		}
	})
}
