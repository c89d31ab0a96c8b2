package identity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// failAfter publishes, then fails: the change's transaction rolls back.
type failAfter struct{ p Publisher }

func (f failAfter) Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error {
	if err := f.p.Publish(ctx, tx, topic, payload); err != nil {
		return err
	}
	return errors.New("the disk is full")
}

// A mandate granted or revoked publishes its event in its transaction: a
// grant rolled back after publishing leaves neither mandate nor event, a
// refused one publishes nothing; the professional is told once the event
// is dispatched, and a quiet grant (the demonstration) tells nobody.
func TestMandatesPublishEventsInTheirTransaction(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.joinAs(t, "owner@example.ma", "BK3001", "ar")
		archi := e.joinAs(t, "archi@example.ma", "BK3002", "fr")
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, archi), ProfessionInput{Profession: authz.Architect, RegistrationNumber: "A-1234"}); err != nil {
			t.Fatal(err)
		}
		in := MandateInput{Professional: "archi@example.ma", Scope: ScopeKind, PermitKind: "building"}
		topics := func() string {
			t.Helper()
			rows, err := d.QueryContext(ctx, `SELECT topic, payload FROM events ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var topic, p string
				if err := rows.Scan(&topic, &p); err != nil {
					t.Fatal(err)
				}
				out = append(out, topic+" "+p)
			}
			return strings.Join(out, "\n")
		}

		e.s.deps.Events = failAfter{e.rec.q}
		if _, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), in); err == nil || !strings.Contains(err.Error(), "disk is full") {
			t.Fatalf("grant whose publication fails: %v", err)
		}
		e.s.deps.Events = e.rec.q
		if n := count(t, d, `SELECT count(*) FROM mandates`); n != 0 || topics() != "" {
			t.Fatalf("the rolled-back grant left %d mandates and events %q", n, topics())
		}
		if _, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "nobody@example.ma", Scope: ScopeKind, PermitKind: "building"}); err == nil || topics() != "" {
			t.Fatalf("refused grant: %v, events %q", err, topics())
		}

		id, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), in)
		if err != nil {
			t.Fatal(err)
		}
		got := topics()
		if !strings.HasPrefix(got, TopicMandateChanged+" ") || !strings.Contains(got, `"change":"granted"`) ||
			!strings.Contains(got, `"owner":"person:`) || strings.Contains(got, "@") {
			t.Fatalf("events after the grant: %s", got)
		}
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'identity.mandate_granted'`); n != 0 {
			t.Fatalf("%d notices before the event is dispatched", n)
		}
		if n := e.rec.count("identity.mandate_granted"); n != 1 { // dispatches first
			t.Fatalf("%d grant notices", n)
		}
		if err := e.s.RevokeMandate(ctx, e.actorOf(t, owner), id); err != nil {
			t.Fatal(err)
		}
		if m := e.rec.last("identity.mandate_revoked"); m.To.UserID != personKey(archi.id) || m.Key == "" {
			t.Fatalf("revocation notice %+v", m)
		}

		quiet := notify.Quiet(ctx)
		if _, err := e.s.GrantMandate(quiet, e.actorOf(t, owner), in); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(topics(), `"silent":true`); n != 1 {
			t.Fatalf("the quiet grant's event is not flagged silent: %s", topics())
		}
		if n := e.rec.count("identity.mandate_granted"); n != 1 {
			t.Fatalf("%d grant notices after a quiet grant, want still 1", n)
		}
		if n := count(t, d, `SELECT count(*) FROM events WHERE dispatched_at IS NULL`); n != 0 {
			t.Fatalf("%d events undispatched", n)
		}
	})
}
