package notify

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/testenv/smtptest"
)

func testBox(t *testing.T) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storedData is every delivery's stored data.
func storedData(t *testing.T, d *db.DB) string {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), `SELECT data FROM notify_deliveries UNION ALL SELECT payload FROM jobs`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var all []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		all = append(all, s)
	}
	return strings.Join(all, "\n")
}

// A secret (a reset link) is in the e-mail and the SMS that carry it, never
// in clear in the database: sealed while queued, erased once sent.
func TestSecretsAreSealedAndErased(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		port, maildir := smtptest.Start(t)
		cfg := Config{Box: testBox(t), SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}}
		const link = "https://madina.test/reset/new?token=s3cr3t-t0k3n-0f-f4tima"
		// First without workers, to look at the row before a job sends it.
		idle, err := New(d, jobs.New(d, slog.New(slog.DiscardHandler), jobs.Options{}), nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		(&env{d: d, s: idle}).send(t, Message{Template: "platform.welcome", Data: map[string]any{"Name": "Fatima"}, Secret: map[string]any{"URL": link},
			To: Recipient{Email: "fatima@example.ma", Lang: "fr"}, Channels: []Channel{Email}})
		if got := storedData(t, d); strings.Contains(got, "s3cr3t") || !strings.Contains(got, sealedKey) || !strings.Contains(got, "Fatima") {
			t.Fatalf("queued delivery stores %s", got)
		}
		e := newEnv(t, d, cfg)
		if rs := e.settled(t, 1); rs[0].Status != StatusSent {
			t.Fatalf("delivery = %+v", rs[0])
		}
		if got := storedData(t, d); strings.Contains(got, "s3cr3t") || strings.Contains(got, sealedKey) {
			t.Fatalf("sent delivery still stores %s", got)
		}
		ms := smtptest.Read(t, maildir)
		if len(ms) != 1 || !strings.Contains(smtptest.Body(t, ms[0]), link) {
			t.Fatalf("%d e-mails; the link is not in the one sent", len(ms))
		}
	})
}

// A delivery given up erases its secret too; a secret never goes to the
// inbox (which keeps what it shows), nor is stored without a key to seal it.
func TestSecretsOfFailedDeliveriesAndRefusals(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	e := newEnv(t, d, Config{Box: testBox(t), MaxAttempts: 2,
		SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma", Timeout: time.Second}})
	e.send(t, Message{Template: "platform.welcome", Data: map[string]any{"Name": "Fatima"}, Secret: map[string]any{"URL": "https://x.test/s3cr3t"},
		To: Recipient{Email: "fatima@example.ma"}, Channels: []Channel{Email}})
	if rs := e.settled(t, 1); rs[0].Status != StatusFailed {
		t.Fatalf("delivery = %+v", rs[0])
	}
	if got := storedData(t, d); strings.Contains(got, sealedKey) {
		t.Fatalf("failed delivery keeps its sealed secret: %s", got)
	}

	err = d.Transact(context.Background(), func(tx *db.Tx) error {
		return e.s.Send(context.Background(), tx, Message{Template: "platform.welcome", Data: map[string]any{"Name": "F"},
			Secret: map[string]any{"URL": "https://x.test/s3cr3t"}, To: Recipient{UserID: "u1"}, Channels: []Channel{Inbox}})
	})
	if err == nil {
		t.Fatal("a secret was filed in the inbox")
	}
	keyless := newEnv(t, dbtest.Open(t, db.SQLite), Config{})
	err = keyless.d.Transact(context.Background(), func(tx *db.Tx) error {
		return keyless.s.Send(context.Background(), tx, Message{Template: "platform.welcome", Data: map[string]any{"Name": "F"},
			Secret: map[string]any{"URL": "https://x.test/s3cr3t"}, To: Recipient{Email: "f@example.ma"}, Channels: []Channel{Email}})
	})
	if err == nil || strings.Contains(storedData(t, keyless.d), "s3cr3t") {
		t.Fatalf("a secret was stored without a key to seal it: %v", err)
	}
}
