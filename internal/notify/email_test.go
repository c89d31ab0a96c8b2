package notify

import (
	"mime"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/testenv/smtptest"
)

func TestEmailOverRealSMTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		port, maildir := smtptest.Start(t)
		e := newEnv(t, d, Config{SMTP: SMTPConfig{
			Host: "127.0.0.1", Port: port, TLS: "none",
			From: "مدينة الدار البيضاء <no-reply@casablanca.ma>",
		}})
		e.send(t, Message{Template: "platform.welcome", Data: welcome,
			To: Recipient{Email: "fatima@example.ma", Lang: "ar"}, Channels: []Channel{Email}})
		e.send(t, Message{Template: "platform.test",
			To: Recipient{Email: "jean@example.fr", Lang: "fr"}, Channels: []Channel{Email}})
		for _, r := range e.settled(t, 2) {
			if r.Status != StatusSent || r.Attempts != 1 || !r.Sent {
				t.Fatalf("delivery = %+v", r)
			}
		}
		if logs := e.logs.String(); strings.Contains(logs, "fatima@") || strings.Contains(logs, "jean@") {
			t.Errorf("log shows an address:\n%s", logs)
		}

		byTo := map[string]*mail.Message{}
		for _, m := range smtptest.Read(t, maildir) {
			to, err := m.Header.AddressList("To")
			if err != nil || len(to) != 1 {
				t.Fatalf("To = %v, %v", to, err)
			}
			byTo[to[0].Address] = m
		}
		cases := []struct {
			to, template, lang, encoding, wordEnc string
			data                                  map[string]any
		}{
			{"fatima@example.ma", "platform.welcome", "ar", "base64", "b", welcome},
			{"jean@example.fr", "platform.test", "fr", "quoted-printable", "q", nil},
		}
		dec := new(mime.WordDecoder)
		msgID := regexp.MustCompile(`^<madina\.\d+\.\d+@casablanca\.ma>$`)
		for _, c := range cases {
			m := byTo[c.to]
			if m == nil {
				t.Fatalf("no message for %s among %d", c.to, len(byTo))
			}
			want, err := e.s.Render(c.template, c.lang, c.data)
			if err != nil {
				t.Fatal(err)
			}
			raw := m.Header.Get("Subject")
			if ascii := strings.IndexFunc(want.Subject, func(r rune) bool { return r > 127 }) < 0; !ascii &&
				!strings.HasPrefix(strings.ToLower(raw), "=?utf-8?"+c.wordEnc+"?") {
				t.Errorf("%s: raw Subject %q is not a UTF-8 encoded word", c.lang, raw)
			}
			subj, err := dec.DecodeHeader(raw)
			if err != nil || subj != want.Subject {
				t.Errorf("%s: Subject = %q (%v), want %q", c.lang, subj, err, want.Subject)
			}
			mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
			if err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
				t.Errorf("%s: Content-Type %q", c.lang, m.Header.Get("Content-Type"))
			}
			if cte := strings.ToLower(m.Header.Get("Content-Transfer-Encoding")); cte != c.encoding {
				t.Errorf("%s: Content-Transfer-Encoding %q, want %s", c.lang, cte, c.encoding)
			}
			if body := smtptest.Body(t, m); body != want.Text {
				t.Errorf("%s: body =\n%s\nwant\n%s", c.lang, body, want.Text)
			}
			if date, err := m.Header.Date(); err != nil || time.Since(date).Abs() > time.Hour {
				t.Errorf("%s: Date %q (%v)", c.lang, m.Header.Get("Date"), err)
			}
			if id := m.Header.Get("Message-ID"); !msgID.MatchString(id) {
				t.Errorf("%s: Message-ID %q", c.lang, id)
			}
			from, err := m.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != "مدينة الدار البيضاء" || from[0].Address != "no-reply@casablanca.ma" {
				t.Errorf("%s: From %q → %v (%v)", c.lang, m.Header.Get("From"), from, err)
			}
			if got := m.Header.Get("Content-Language"); got != c.lang {
				t.Errorf("Content-Language %q, want %s", got, c.lang)
			}
		}
	})
}

func TestSMTPUnreachableIsRetried(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	e := newEnv(t, d, Config{SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma", Timeout: time.Second}, MaxAttempts: 2})
	e.send(t, Message{Template: "platform.test", To: Recipient{Email: "fatima@example.ma"}, Channels: []Channel{Email}})
	rs := e.settled(t, 1)
	if rs[0].Status != StatusFailed || rs[0].Attempts != 2 || rs[0].LastError == "" || rs[0].Sent {
		t.Fatalf("delivery = %+v", rs[0])
	}
	if strings.Contains(e.logs.String(), "fatima@") || strings.Contains(rs[0].LastError, "fatima@") {
		t.Fatalf("address leaked: %s / %s", rs[0].LastError, e.logs.String())
	}
}

func TestMailerConfig(t *testing.T) {
	if _, err := newMailer(SMTPConfig{Host: "h", From: "x@y.ma", TLS: "ssl"}, time.Now); err == nil {
		t.Error("TLS ssl accepted")
	}
	if _, err := newMailer(SMTPConfig{Host: "h", TLS: "tls"}, time.Now); err == nil {
		t.Error("no From accepted")
	}
	m, err := newMailer(SMTPConfig{Host: "h", From: "x@y.ma", TLS: "tls"}, time.Now)
	if err != nil || m.cfg.Port != 465 || m.from.Name != "Madina" {
		t.Errorf("mailer = %+v, %v", m, err)
	}
	m, err = newMailer(SMTPConfig{Host: "h", From: "x@y.ma"}, time.Now)
	if err != nil || m.cfg.Port != 587 || m.cfg.TLS != "starttls" {
		t.Errorf("mailer = %+v, %v", m, err)
	}
}
