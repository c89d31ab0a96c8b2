package booking_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Over HTTP: Fatima creates a team from "my teams" (a nameless one is
// refused on its field), invites Youssef and an address nobody has (both
// answered alike); Youssef sees the invitation in his space and joins;
// Fatima sees him by name, the other address as invited; field 2's slots
// offer her the team, field 1's do not.
func TestTeamsOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		fatima.SetLang(i18n.EN)
		const teams = "/bookings/teams"
		if code, body, _ := fatima.Get(teams); code != http.StatusOK || !strings.Contains(body, "You are in no team yet.") {
			t.Fatalf("my teams: %d\n%s", code, apptest.Grep(body, "team"))
		}
		code, body, _ := fatima.Post(teams, teams, url.Values{"action": {"create"}, "name": {" "}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#name"`) {
			t.Fatalf("a nameless team: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, _, h := fatima.Post(teams, teams, url.Values{"action": {"create"}, "name": {"Les Lions"}}); code != http.StatusSeeOther ||
			h.Get("Location") != teams+"?done=team_create" {
			t.Fatalf("creating the team: %d %s", code, h.Get("Location"))
		}
		_, body, _ = fatima.Get(teams)
		m := regexp.MustCompile(`value="invite">\s*<input type="hidden" name="id" value="(\d+)">`).FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "Les Lions") {
			t.Fatalf("the team's invitation form:\n%s", apptest.Grep(body, "invite"))
		}
		for _, email := range []string{"youssef.elamrani@example.ma", "nobody@example.ma"} {
			if code, _, h := fatima.Post(teams, teams, url.Values{"action": {"invite"}, "id": {m[1]}, "email": {email}}); code != http.StatusSeeOther ||
				h.Get("Location") != teams+"?done=team_invite" {
				t.Fatalf("inviting %s: %d %s", email, code, h.Get("Location"))
			}
		}

		youssef := apptest.NewBrowser(t, base)
		youssef.SignIn("youssef.elamrani@example.ma", false)
		youssef.SetLang(i18n.FR)
		_, mine, _ := youssef.Get("/bookings")
		inv := regexp.MustCompile(`name="id" value="(\d+)">\s*<div class="button-group">\s*<button type="submit" name="action" value="accept"`).FindStringSubmatch(mine)
		if inv == nil || !strings.Contains(html.UnescapeString(mine), "Rejoindre Les Lions") {
			t.Fatalf("Youssef's space shows no invitation:\n%s", apptest.Grep(mine, "Lions"))
		}
		if code, _, h := youssef.Post("/bookings", teams, url.Values{"action": {"accept"}, "id": {inv[1]}}); code != http.StatusSeeOther ||
			h.Get("Location") != teams+"?done=team_accept" {
			t.Fatalf("accepting: %d %s", code, h.Get("Location"))
		}
		_, body, _ = fatima.Get(teams)
		if !strings.Contains(body, "Youssef El Amrani") || !strings.Contains(body, "nobody@example.ma") ||
			strings.Contains(body, "youssef.elamrani@example.ma") || !strings.Contains(body, "Members: 2") {
			t.Fatalf("the captain's view of the team:\n%s", apptest.Grep(body, "<th scope=\"row\">"))
		}
		// Youssef sees the team, not the invitations' addresses.
		if _, body, _ := youssef.Get(teams); !strings.Contains(body, "Les Lions") || strings.Contains(body, "nobody@example.ma") {
			t.Fatalf("a member's view:\n%s", apptest.Grep(body, "row"))
		}
		day := time.Now().In(i18n.Casablanca).AddDate(0, 0, 2).Format(time.DateOnly)
		if _, body, _ := fatima.Get("/bookings/places/moulay-rachid-field-2?day=" + day); !strings.Contains(body, `name="team"`) ||
			!strings.Contains(body, ">Les Lions</option>") || !strings.Contains(body, "A team books with at least 6 registered members") {
			t.Fatalf("field 2 offers no team choice:\n%s", apptest.Grep(body, "team"))
		}
		if _, body, _ := fatima.Get("/bookings/places/moulay-rachid-field-1?day=" + day); strings.Contains(body, `name="team"`) {
			t.Fatal("field 1, which teams do not book, offers a team choice")
		}

		// Four more join: six, the team books a slot of field 2.
		for _, email := range []string{"khadija.ouazzani@example.ma", "mehdi.tazi@example.ma", "naima.bennis@example.ma", "omar.berrada@example.ma"} {
			if code, _, _ := fatima.Post(teams, teams, url.Values{"action": {"invite"}, "id": {m[1]}, "email": {email}}); code != http.StatusSeeOther {
				t.Fatalf("inviting %s: %d", email, code)
			}
			p := apptest.NewBrowser(t, base)
			p.SignIn(email, false)
			_, mine, _ := p.Get("/bookings")
			inv := regexp.MustCompile(`name="id" value="(\d+)">\s*<div class="button-group">\s*<button type="submit" name="action" value="accept"`).FindStringSubmatch(mine)
			if inv == nil {
				t.Fatalf("%s has no invitation", email)
			}
			if code, _, _ := p.Post("/bookings", teams, url.Values{"action": {"accept"}, "id": {inv[1]}}); code != http.StatusSeeOther {
				t.Fatalf("%s accepting: %d", email, code)
			}
		}
		d := time.Now().In(i18n.Casablanca).AddDate(0, 0, 2)
		start := time.Date(d.Year(), d.Month(), d.Day(), 22, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		field2 := "/bookings/places/moulay-rachid-field-2"
		code, _, h := fatima.Post(field2+"?day="+day, field2, url.Values{"action": {"book"}, "start": {start}, "team": {m[1]}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/bookings/") {
			t.Fatalf("the team's booking: %d %s", code, h.Get("Location"))
		}
		booked := strings.TrimSuffix(h.Get("Location"), "?done=booked")
		if _, body, _ := fatima.Get(booked); !strings.Contains(body, "Les Lions") || !strings.Contains(body, "0 of 6 (needed: the holder and 3 others)") {
			t.Fatalf("the team booking's page:\n%s", apptest.Grep(body, "summary"))
		}
		// Youssef finds it among the team slots he plays in, with his own
		// code; the desk reads it as his (the slot is not yet due).
		_, mine, _ = youssef.Get("/bookings")
		if !strings.Contains(mine, `href="`+booked+`"`) {
			t.Fatalf("Youssef's space does not list the team slot:\n%s", apptest.Grep(mine, "/bookings/"))
		}
		_, page, _ := youssef.Get(booked)
		c := regexp.MustCompile(`<p class="token"><bdi dir="ltr">(\d+-\d+-\S{8})</bdi>`).FindStringSubmatch(page)
		if c == nil || !strings.Contains(page, "data:image/png;base64,") || strings.Contains(page, `value="cancel"`) {
			t.Fatalf("a co-player's page has no code of their own (or offers to cancel):\n%s", apptest.Grep(page, "token"))
		}
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.EN)
		code, body, _ = mgr.Post("/bookings/desk", "/bookings/desk/checkin", url.Values{"code": {c[1]}})
		if code != http.StatusConflict || !strings.Contains(body, "Check-in runs from 30 minutes before the slot") {
			t.Fatalf("the desk and a co-player's code: %d\n%s", code, apptest.Grep(body, "error"))
		}
		// A staff account's space has no teams, and still opens.
		if code, body, _ := mgr.Get("/bookings"); code != http.StatusOK || strings.Contains(body, `href="/bookings/teams"`) {
			t.Fatalf("a manager's own space: %d", code)
		}
		code, body, _ = mgr.Post("/bookings/desk", "/bookings/desk/holder", url.Values{"code": {c[1]}})
		if code != http.StatusOK || !strings.Contains(body, "Player (in Latin letters)") || !strings.Contains(body, "Youssef El Amrani") {
			t.Fatalf("the desk does not show whose code it is: %d\n%s", code, apptest.Grep(body, "summary"))
		}
		// The manager's rules form shows the team rules, and keeps them.
		rules := "/bookings/desk/facilities/moulay-rachid-field-2"
		_, form, _ := mgr.Get(rules)
		if !strings.Contains(form, `id="team_min" name="team_min" type="text" dir="ltr" inputmode="numeric" value="6"`) ||
			!strings.Contains(form, `id="quota_team_week" name="quota_team_week" type="text" dir="ltr" inputmode="numeric" value="2"`) {
			t.Fatalf("the rules form does not show the team rules:\n%s", apptest.Grep(form, "team"))
		}
		save := url.Values{"version": {regexpVersion(form)}, "horizon_days": {"7"}, "release": {"08:00"}, "min_notice_hours": {"2"},
			"cancel_hours": {"24"}, "max_future": {"3"}, "confirm_hours": {"4"}, "quota_citizen_week": {"2"},
			"quota_citizen_month": {"6"}, "peak_window_hours": {"24"}, "team_min": {"6"}, "quota_team_week": {"2"}}
		if code, _, _ := mgr.Post(rules, rules, save); code != http.StatusSeeOther {
			t.Fatalf("saving field 2's rules: %d", code)
		}
		if _, body, _ := fatima.Get(field2); !strings.Contains(body, "At most 2 a week (teams of registered members).") ||
			!strings.Contains(body, "A team books with at least 6 registered members") {
			t.Fatalf("the team rules did not survive the rules form:\n%s", apptest.Grep(body, "<li>"))
		}
	})
}
