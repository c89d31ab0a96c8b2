package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/testenv/smtptest"
)

// crashAfterSending puts every delivery back as a node that died after
// handing it to the provider, before recording it sent, leaves it: the
// delivery queued, its job running under a lease that has expired. The
// queue then runs the job again and the message goes out a second time.
func crashAfterSending(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	past := time.Now().Add(-time.Minute)
	if err := e.d.Transact(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = 'queued', sent_at = NULL`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'running', attempt = 1, finished_at = NULL,
			locked_by = 'dead-node/0', locked_until = $1 WHERE kind = $2`, past, JobKind)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// At least once, but the receiving side can tell the copy: a delivery sent
// again after a crash carries the same Message-ID (e-mail, through a real
// SMTP server) and the same Idempotency-Key (SMS gateway) as the first
// time, and two deliveries never share one.
func TestResentAfterCrashKeepsItsIdentity(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		port, maildir := smtptest.Start(t)
		g := &fakeGateway{statuses: []int{http.StatusOK}}
		srv := httptest.NewServer(g)
		t.Cleanup(srv.Close)
		e := newEnv(t, d, Config{
			SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"},
			SMS:  SMSConfig{URL: srv.URL + "/v1/sms", Sender: "MADINA"},
		})
		for _, to := range []Recipient{
			{Email: "fatima@example.ma", Phone: "+212 6 12 34 56 12", Lang: "ar"},
			{Email: "jean@example.fr", Phone: "+212 6 98 76 54 32", Lang: "fr"},
		} {
			e.send(t, Message{Template: "platform.test", To: to, Channels: []Channel{Email, SMS}})
		}
		e.settled(t, 4)
		crashAfterSending(t, e)
		for _, r := range e.settled(t, 4) {
			if r.Status != StatusSent {
				t.Fatalf("delivery after the crash = %+v", r)
			}
		}

		ids := map[string][]string{} // recipient → Message-IDs received
		deadline := time.Now().Add(10 * time.Second)
		for {
			ids = map[string][]string{}
			for _, m := range smtptest.Read(t, maildir) {
				ids[m.Header.Get("To")] = append(ids[m.Header.Get("To")], m.Header.Get("Message-ID"))
			}
			if len(ids) == 2 && len(ids["<fatima@example.ma>"]) == 2 && len(ids["<jean@example.fr>"]) == 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		seen := map[string]string{}
		for to, got := range ids {
			if len(got) != 2 || got[0] == "" || got[0] != got[1] {
				t.Errorf("e-mails to %s: Message-IDs %q, want the same one twice", to, got)
				continue
			}
			if other, dup := seen[got[0]]; dup {
				t.Errorf("%s and %s share the Message-ID %s", to, other, got[0])
			}
			seen[got[0]] = to
		}

		keys := map[string][]string{} // number → idempotency keys received
		for _, r := range g.requests() {
			keys[r.Body["to"]] = append(keys[r.Body["to"]], r.Idempotency)
		}
		seen = map[string]string{}
		for to, got := range keys {
			if len(got) != 2 || got[0] == "" || got[0] != got[1] {
				t.Errorf("SMS to %s: idempotency keys %q, want the same one twice", to, got)
				continue
			}
			if other, dup := seen[got[0]]; dup {
				t.Errorf("%s and %s share the idempotency key %s", to, other, got[0])
			}
			seen[got[0]] = to
		}
		if len(keys) != 2 {
			t.Errorf("SMS sent to %d numbers, want 2", len(keys))
		}
	})
}
