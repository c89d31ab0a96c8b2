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
		inv := regexp.MustCompile(`name="id" value="(\d+)">\s*<button type="submit" name="action" value="accept"`).FindStringSubmatch(mine)
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
	})
}
