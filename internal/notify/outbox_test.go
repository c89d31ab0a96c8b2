package notify

import (
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/testenv/smtptest"
)

// With an SMTP server configured, e-mail goes there as in production even
// with the development outbox on: the outbox keeps only what nothing else
// sends (here the SMS, without a gateway).
func TestOutboxLeavesConfiguredChannelsAlone(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		port, maildir := smtptest.Start(t)
		box := NewOutbox()
		e := newEnv(t, d, Config{Outbox: box, SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}})
		e.send(t, Message{Template: "platform.welcome", Data: welcome,
			To: Recipient{Email: "fatima@example.ma", Phone: "0661234567", Lang: "ar"}, Channels: []Channel{Email, SMS}})
		e.settled(t, 2)
		if got := smtptest.Read(t, maildir); len(got) != 1 {
			t.Errorf("the SMTP server got %d messages, want the e-mail", len(got))
		}
		if kept := box.List(""); len(kept) != 1 || kept[0].Channel != SMS {
			t.Errorf("outbox = %+v, want the SMS alone", kept)
		}
	})
}
