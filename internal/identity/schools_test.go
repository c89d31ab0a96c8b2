package identity

import (
	"bytes"
	"context"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// A school registers with its establishment code (read whatever the case,
// the digits' script and the separators), represented by its director:
// once, the code compared as stored; a bad code or another role is
// refused on its field; a second director claims it with evidence and the
// first approves, as for an association.
func TestSchoolsRegisterAndAreClaimed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		withReference(t, d)
		e.withBlobs(t)
		ctx := context.Background()
		rachida := e.joinAs(t, "rachida@example.ma", "BK2001", "ar")
		omar := e.joinAs(t, "omar@example.ma", "BK2002", "fr")

		school := LegalInput{Kind: School, Name: "École primaire Ibn Khaldoun", NameAR: "مدرسة ابن خلدون", SchoolCode: "٢١٠٧٤v", Role: RoleDirector}
		for _, c := range []struct {
			code, role, field, key string
		}{
			{"2107V", RoleDirector, "school_code", "identity.error.school_code"},
			{"21074", RoleDirector, "school_code", "identity.error.school_code"},
			{"", RoleDirector, "school_code", "identity.error.required"},
			{"21074V", RolePresident, "role", "identity.error.legal_role"},
		} {
			bad := school
			bad.SchoolCode, bad.Role = c.code, c.role
			_, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, rachida), bad)
			if e := errs.As(err); e == nil || !hasFault(e, c.field, c.key) {
				t.Errorf("code %q role %s: %v, want %s on %s", c.code, c.role, err, c.key, c.field)
			}
		}
		id, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, rachida), school)
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.s.LegalPersons(ctx, e.actorOf(t, rachida))
		if err != nil || len(list) != 1 || list[0].Kind != School || list[0].SchoolCode != "21074V" || list[0].Role != RoleDirector || list[0].ICE != "" {
			t.Fatalf("the director's legal persons: %+v, %v", list, err)
		}
		again := school
		again.SchoolCode = "21074-v"
		_, err = e.s.RegisterLegalPerson(ctx, e.actorOf(t, omar), again)
		wantErrKey(t, "second registration", err, errs.Conflict, ErrRegistered)
		if e := errs.As(err); e == nil || e.Field != "school_code" {
			t.Fatalf("the conflict is not on the code: %v", err)
		}

		claim, err := e.s.ClaimLegalPerson(ctx, e.actorOf(t, omar), ClaimInput{Kind: School, Number: "21074v", Role: RoleDirector}, "nomination.pdf",
			bytes.NewReader(minimalPDF()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.ClaimLegalPerson(ctx, e.actorOf(t, omar), ClaimInput{Kind: School, Number: "ABCDEF", Role: RoleDirector}, "n.pdf", bytes.NewReader(minimalPDF()))
		wantErrKey(t, "claim of a bad code", err, errs.Invalid, "identity.error.school_code")
		if err := e.s.DecideClaim(ctx, e.actorOf(t, rachida), claim, true, ""); err != nil {
			t.Fatal(err)
		}
		if a := e.actorOf(t, omar); !represents(a, id) {
			t.Fatalf("the approved director does not represent the school: %+v", a.Represents)
		}
		if n := count(t, d, `SELECT count(*) FROM representatives WHERE legal_person_id = $1 AND role = 'director'`, id); n != 2 {
			t.Fatalf("%d directors", n)
		}
	})
}

func hasFault(e *errs.Error, field, key string) bool {
	if e.Field == field && e.Key == key {
		return true
	}
	for _, f := range e.Faults {
		if f.Field == field && f.Key == key {
			return true
		}
	}
	return false
}
