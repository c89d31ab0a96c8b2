package identity

import (
	"context"
	"madina/internal/authz"
	"testing"

	"madina/internal/district"
	"madina/internal/platform/db"
)

// withReference loads Casablanca's arrondissements and windows.
func withReference(t *testing.T, d *db.DB) {
	t.Helper()
	if _, err := district.NewStore(d).Load(context.Background(), district.Casablanca(), "test"); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// newAdmin opens an account with a password for a test's administrator and
// returns it; the tests give it the role in its actor (adminActor), the
// staff capability being the one that records grants.
func (e *env) newAdmin(t *testing.T, email string) int64 {
	t.Helper()
	ctx := context.Background()
	res, err := e.s.Enrol(ctx, authz.Actor{System: true}, "test", Enrolment{Email: email, GivenNameAR: "أمينة", FamilyNameAR: "الإدريسي",
		GivenNameLatin: "Amina", FamilyNameLatin: "Idrissi", Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.ResetPassword(ctx, res.ResetToken, goodPassword); err != nil {
		t.Fatal(err)
	}
	return res.PersonID
}
