package identity_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// The inbox shows each notice as a short message that links to the page
// it concerns, new ones marked as such and counted; opening one marks it
// read for its recipient alone, and the e-mail's mention of an attached
// invitation, which the inbox does not have, is not shown.
func TestInboxReadAndUnread(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := apptest.Server(t, a)
		salma := apptest.Join(t, a, srv.URL, "salma@example.ma", "BK8001", i18n.FR)
		omar := apptest.Join(t, a, srv.URL, "omar@example.ma", "BK8002", i18n.FR)
		ctx := context.Background()
		if err := a.Jobs.Start(ctx); err != nil { // the workers that file inbox notices
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Jobs.Shutdown(ctx)
		})
		key := "person:" + strconv.FormatInt(apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = $1`, "salma@example.ma"), 10)
		appointment := map[string]any{"Name": "Salma", "File": "D-2026-0042", "Kind": "Permis de construire",
			"Start": "12 décembre 2026, 10:30", "Window": "Guichet d’Anfa", "URL": a.Cfg.BaseURL + "/files/42"}
		for _, m := range []notify.Message{
			{Template: "permit.appointment", Data: appointment},
			{Template: "platform.test"},
		} {
			m.To, m.Channels = notify.Recipient{UserID: key, Lang: "fr"}, []notify.Channel{notify.Inbox}
			if err := a.DB.Transact(ctx, func(tx *db.Tx) error { return a.Notify.Send(ctx, tx, m) }); err != nil {
				t.Fatal(err)
			}
		}
		var items []notify.Notification
		for deadline := time.Now().Add(15 * time.Second); len(items) < 2; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the notices did not reach the inbox: %+v", items)
			}
			items, _ = a.Notify.Inbox(ctx, key, 0)
		}
		appt, test := items[1], items[0]

		_, body, _ := salma.Get("/me/inbox")
		if strings.Count(body, `<strong class="tag tag-blue">Nouveau</strong>`) != 2 || !strings.Contains(body, "Non lues : 2") {
			t.Errorf("two new notices not shown as such:\n%s", apptest.Grep(body, "Nouveau"))
		}
		if !strings.Contains(body, "Rendez-vous de dépôt du dossier D-2026-0042 le 12 décembre 2026, 10:30, Guichet d’Anfa.") ||
			!strings.Contains(body, `href="/me/inbox/`+strconv.FormatInt(appt.ID, 10)+`"`) {
			t.Errorf("the appointment's short message or link is missing:\n%s", apptest.Grep(body, "inbox"))
		}
		if strings.Contains(body, "jointe") || !strings.Contains(appt.Body, "jointe") {
			t.Errorf("the inbox speaks of an attachment it does not have")
		}
		if _, me, _ := salma.Get("/me"); !strings.Contains(me, "2 notifications non lues") {
			t.Errorf("/me does not count 2 unread:\n%s", apptest.Grep(me, "inbox"))
		}

		// Omar cannot open Salma's notice, nor mark it read.
		if code, _, _ := omar.Get("/me/inbox/" + strconv.FormatInt(appt.ID, 10)); code != http.StatusNotFound {
			t.Errorf("another person opening the notice: %d", code)
		}
		if code, _, hdr := salma.Get("/me/inbox/" + strconv.FormatInt(appt.ID, 10)); code != http.StatusSeeOther || hdr.Get("Location") != "/files/42" {
			t.Errorf("opening the notice: %d to %q, want the file's page", code, hdr.Get("Location"))
		}
		_, body, _ = salma.Get("/me/inbox")
		if strings.Count(body, ">Nouveau<") != 1 || !strings.Contains(body, "Non lues : 1") {
			t.Errorf("after opening one, not one new:\n%s", apptest.Grep(body, "Nouveau"))
		}
		if code, _, hdr := salma.Get("/me/inbox/" + strconv.FormatInt(test.ID, 10)); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/me/inbox#notice-") {
			t.Errorf("opening a notice with no page: %d to %q", code, hdr.Get("Location"))
		}
		if n, _ := a.Notify.Unread(ctx, key); n != 0 {
			t.Errorf("unread after opening both = %d", n)
		}

		// Marking all read, for a third one.
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return a.Notify.Send(ctx, tx, notify.Message{Template: "platform.test", To: notify.Recipient{UserID: key, Lang: "fr"}, Channels: []notify.Channel{notify.Inbox}})
		}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if n, _ := a.Notify.Unread(ctx, key); n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the third notice did not arrive")
			}
		}
		if code, _, _ := salma.Post("/me/inbox", "/me/inbox/read", url.Values{}); code != http.StatusSeeOther {
			t.Errorf("mark all read: %d", code)
		}
		if _, body, _ = salma.Get("/me/inbox"); strings.Contains(body, ">Nouveau<") || !strings.Contains(body, "Vous avez lu toutes vos notifications.") {
			t.Errorf("after marking all read:\n%s", apptest.Grep(body, "Nouveau"))
		}
		if _, body, _ = omar.Get("/me/inbox"); !strings.Contains(body, "Aucune notification.") {
			t.Errorf("Omar sees notices that are not his")
		}
		if u := apptest.Untranslated(a); len(u) > 0 {
			t.Errorf("untranslated: %v", u)
		}
	})
}
