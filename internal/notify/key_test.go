package notify

import (
	"context"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

func countRows(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A message with a key is recorded once per channel, however often it is
// sent (a subscriber handed its event twice); messages without a key, or
// with another, are not folded together.
func TestKeyedMessageIsRecordedOncePerChannel(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		to := Recipient{UserID: "person:7", Email: "fatima@example.ma", Lang: "ar"}
		keyed := Message{Template: "platform.test", To: to, Channels: []Channel{Inbox}, Key: "permit.file_changed:1:person:7"}
		e.send(t, keyed)
		e.send(t, keyed)
		if n := countRows(t, d, `SELECT count(*) FROM notify_deliveries`); n != 1 {
			t.Fatalf("%d deliveries for one key sent twice", n)
		}
		// The same key over more channels adds only the new channel.
		keyed.Channels = []Channel{Inbox, Email}
		e.send(t, keyed)
		if n := countRows(t, d, `SELECT count(*) FROM notify_deliveries WHERE event_key = $1`, keyed.Key); n != 2 {
			t.Fatalf("%d deliveries for the key on two channels, want 2", n)
		}
		other := keyed
		other.Key = "permit.file_changed:2:person:7"
		e.send(t, other)
		plain := Message{Template: "platform.test", To: to, Channels: []Channel{Inbox}}
		e.send(t, plain)
		e.send(t, plain)
		if n := countRows(t, d, `SELECT count(*) FROM notify_deliveries`); n != 6 {
			t.Fatalf("%d deliveries, want 2 + 2 keyed and 2 without a key", n)
		}
		if n := countRows(t, d, `SELECT count(*) FROM jobs WHERE kind = $1`, JobKind); n != 6 {
			t.Fatalf("%d delivery jobs, want one per delivery", n)
		}
	})
}

// Nothing is recorded in a quiet context (loading the demonstration).
func TestQuietContextSendsNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		ctx := Quiet(context.Background())
		if !IsQuiet(ctx) || IsQuiet(context.Background()) {
			t.Fatal("IsQuiet")
		}
		if err := d.Transact(ctx, func(tx *db.Tx) error {
			return e.s.Send(ctx, tx, Message{Template: "platform.test", To: Recipient{Email: "a@example.ma"}, Channels: []Channel{Email}})
		}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM notify_deliveries`); n != 0 {
			t.Fatalf("%d deliveries in a quiet context", n)
		}
		if !e.s.Has("platform.test") || e.s.Has("platform.nothing") {
			t.Fatal("Has")
		}
	})
}
