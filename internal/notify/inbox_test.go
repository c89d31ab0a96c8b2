package notify

import (
	"context"
	"strings"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// The inbox files each notice as its subject, a short message (the SMS's
// text without the "Madina:" every SMS starts with) and the page it
// concerns as a path on the site; opening it marks it read for its
// recipient alone.
func TestInboxShortMessageLinkAndOpen(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		ctx := context.Background()
		e.send(t, Message{Template: "platform.welcome", Data: map[string]any{"Name": "Salma", "URL": "https://madina.casablanca.ma/files/12?tab=docs#x"},
			To: Recipient{UserID: "u1", Lang: "fr"}, Channels: []Channel{Inbox}})
		e.send(t, Message{Template: "platform.test", To: Recipient{UserID: "u1", Lang: "en"}, Channels: []Channel{Inbox}})
		e.settled(t, 2)
		in, err := e.s.Inbox(ctx, "u1", 0)
		if err != nil || len(in) != 2 {
			t.Fatalf("inbox = %+v, %v", in, err)
		}
		welcome, test := in[1], in[0]
		r, _ := e.s.Render("platform.welcome", "fr", map[string]any{"Name": "Salma", "URL": "https://madina.casablanca.ma/files/12?tab=docs#x"})
		if want := "Bienvenue Salma, votre compte est créé. Connexion : https://madina.casablanca.ma/files/12?tab=docs#x"; welcome.Summary != want || !strings.HasPrefix(r.SMS, "Madina") {
			t.Errorf("summary = %q, want %q (from %q)", welcome.Summary, want, r.SMS)
		}
		if welcome.Link != "/files/12?tab=docs#x" {
			t.Errorf("link = %q", welcome.Link)
		}
		if test.Link != "" || test.Summary == "" || !test.Unread() {
			t.Errorf("a notice without URL: %+v", test)
		}
		if _, err := e.s.Open(ctx, "u2", welcome.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("u2 opening u1's notice: %v", err)
		}
		n, err := e.s.Open(ctx, "u1", welcome.ID)
		if err != nil || n.Link != welcome.Link || n.Unread() {
			t.Fatalf("open = %+v, %v", n, err)
		}
		if c, _ := e.s.Unread(ctx, "u1"); c != 1 {
			t.Errorf("unread after opening one of two = %d", c)
		}
		in, _ = e.s.Inbox(ctx, "u1", 0)
		if in[0].Unread() != true || in[1].Unread() != false {
			t.Errorf("read states = %v, %v", in[0].Unread(), in[1].Unread())
		}
	})
}

func TestInboxLinkStaysOnTheSite(t *testing.T) {
	for raw, want := range map[string]string{
		"https://madina.ma/me/mandates": "/me/mandates",
		"http://localhost:8080/files/3": "/files/3",
		"/files/3?x=1":                  "/files/3?x=1",
		"https://evil.example//x":       "",
		"javascript:alert(1)":           "",
		"":                              "",
		"files/3":                       "",
	} {
		if got := inboxLink(map[string]any{"URL": raw}); got != want {
			t.Errorf("inboxLink(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := inboxLink(map[string]any{"URL": 3}); got != "" {
		t.Errorf("a number as URL: %q", got)
	}
	for sms, want := range map[string]string{
		"Madina : dossier X déposé.": "Dossier X déposé.",
		"Madina: your code.":         "Your code.",
		"مدينة: قُبل الملف.":         "قُبل الملف.",
		"Dossier déposé.":            "Dossier déposé.",
	} {
		if got := inboxSummary(sms); got != want {
			t.Errorf("inboxSummary(%q) = %q, want %q", sms, got, want)
		}
	}
}

// With the development outbox, what no SMTP server or gateway sends is
// kept in full; the log still says only who (masked) and which template.
func TestOutboxKeepsWhatNothingSends(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		box := NewOutbox()
		e := newEnv(t, d, Config{Outbox: box, Box: testBox(t)})
		link := "https://madina.casablanca.ma/reset/new?token=s3cr3t-t0ken"
		e.send(t, Message{Template: "platform.welcome", Data: map[string]any{"Name": "Salma"}, Secret: map[string]any{"URL": link},
			To: Recipient{Email: "salma@example.ma", Phone: "+212 661 23 45 67", Lang: "fr"}, Channels: []Channel{Email, SMS}})
		e.settled(t, 2)
		kept := box.List("")
		if len(kept) != 2 {
			t.Fatalf("outbox = %+v", kept)
		}
		for _, k := range kept {
			if !strings.Contains(k.Text, link) {
				t.Errorf("%s kept without its link: %q", k.Channel, k.Text)
			}
		}
		if got := box.List("+212661234567"); len(got) != 1 || got[0].Channel != SMS || got[0].Subject != "" {
			t.Errorf("the SMS by its number: %+v", got)
		}
		if got := box.List("salma@example.ma"); len(got) != 1 || got[0].Subject != "Bienvenue sur Madina" {
			t.Errorf("the e-mail by its address: %+v", got)
		}
		if strings.Contains(e.logs.String(), "s3cr3t") || strings.Contains(e.logs.String(), "salma@") {
			t.Errorf("the log carries the link or the address:\n%s", e.logs.String())
		}
		if e.s.Outbox() != box {
			t.Error("Outbox() is not the configured one")
		}
	})
}
