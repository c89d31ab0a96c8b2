package identity

import (
	"context"
	"slices"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// ActorOf sees a person as their own complete session would, without a
// session: what a notice asks the policy about before telling them.
func TestActorOfIsThePersonAsTheirSessionSeesThem(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		atlas, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef),
			LegalInput{Kind: Company, Name: "Atlas Bâtiment", ICE: "001234567000089", RC: "123456", Role: RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.ActFor(ctx, e.actorOf(t, youssef), hashToken(youssef.token), atlas); err != nil {
			t.Fatal(err)
		}
		session := e.actorOf(t, youssef)
		a, err := e.s.store.ActorOf(ctx, d, youssef.id, e.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		// The same person, as verified, representing the same legal
		// persons; acting for themselves (the caller decides for whom),
		// and without a second factor they have not set up.
		if a.Person != youssef.id || a.EmailVerified != session.EmailVerified || !slices.Equal(a.Represents, []int64{atlas}) ||
			a.ActingFor != 0 || a.MFA || a.Token || len(a.Grants) != 0 {
			t.Fatalf("ActorOf: %+v, the session: %+v", a, session)
		}
		if _, err := e.s.store.ActorOf(ctx, d, youssef.id+1000, e.clock.now()); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an unknown person: %v", err)
		}
	})
}
