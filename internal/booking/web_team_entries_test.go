package booking_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Over HTTP: on field 2 (here teams of two, every evening's 16:00–20:00
// drawn, the draw collecting requests for 48 hours), Fatima's slot form
// offers her team for a draw and a waiting list; she enters the draw
// for Les Lions, and Youssef, her player, is refused in his own name
// with the reason, and finds the team's entry in his space. Likewise for
// a waiting list.
func TestTeamEntriesOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := context.Background()
		var f booking.Facility
		var raw string
		if err := a.DB.QueryRowContext(ctx, `SELECT definition FROM booking_facilities WHERE code = 'moulay-rachid-field-2'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatal(err)
		}
		f.Rules.TeamMin = 2
		f.Rules.Peak = &booking.Peak{Days: []int{1, 2, 3, 4, 5, 6, 7}, From: "16:00", To: "20:00", WindowHours: 48}
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
		def, _ := json.Marshal(f)
		if _, err := a.DB.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), f.Code); err != nil {
			t.Fatal(err)
		}
		base := apptest.Serve(t, a)
		const teams = "/bookings/teams"
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		fatima.SetLang(i18n.EN)
		if code, _, _ := fatima.Post(teams, teams, url.Values{"action": {"create"}, "name": {"Les Lions"}}); code != http.StatusSeeOther {
			t.Fatalf("creating the team: %d", code)
		}
		_, body, _ := fatima.Get(teams)
		m := regexp.MustCompile(`value="invite">\s*<input type="hidden" name="id" value="(\d+)">`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the team's invitation form:\n%s", apptest.Grep(body, "invite"))
		}
		if code, _, _ := fatima.Post(teams, teams, url.Values{"action": {"invite"}, "id": {m[1]}, "email": {"youssef.elamrani@example.ma"}}); code != http.StatusSeeOther {
			t.Fatalf("inviting: %d", code)
		}
		youssef := apptest.NewBrowser(t, base)
		youssef.SignIn("youssef.elamrani@example.ma", false)
		youssef.SetLang(i18n.EN)
		_, mine, _ := youssef.Get("/bookings")
		inv := regexp.MustCompile(`name="id" value="(\d+)">\s*<div class="button-group">\s*<button type="submit" name="action" value="accept"`).FindStringSubmatch(mine)
		if inv == nil {
			t.Fatal("Youssef has no invitation")
		}
		if code, _, _ := youssef.Post("/bookings", teams, url.Values{"action": {"accept"}, "id": {inv[1]}}); code != http.StatusSeeOther {
			t.Fatalf("accepting: %d", code)
		}

		// Six days ahead at 17:00: released yesterday, its draw open.
		const field2 = "/bookings/places/moulay-rachid-field-2"
		d := time.Now().In(i18n.Casablanca).AddDate(0, 0, 6)
		day := d.Format(time.DateOnly)
		start := time.Date(d.Year(), d.Month(), d.Day(), 17, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		_, page, _ := fatima.Get(field2 + "?day=" + day)
		row := regexp.MustCompile(`(?s)name="start" value="` + regexp.QuoteMeta(start) + `">\s*<input type="hidden" name="action" value="enter">.*?</form>`).FindString(page)
		if row == "" || !strings.Contains(row, `name="team"`) || !strings.Contains(row, ">Les Lions</option>") {
			t.Fatalf("the draw's form offers no team choice:\n%s", apptest.Grep(page, start))
		}
		code, body, _ := fatima.Post(field2+"?day="+day, field2, url.Values{"action": {"enter"}, "start": {start}, "team": {"lions"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "No such team or invitation of yours.") {
			t.Fatalf("a team that is no number: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, _, h := fatima.Post(field2+"?day="+day, field2, url.Values{"action": {"enter"}, "start": {start}, "team": {m[1]}}); code != http.StatusSeeOther ||
			h.Get("Location") != "/bookings?done=entered" {
			t.Fatalf("the team's entry: %d %s", code, h.Get("Location"))
		}
		code, body, _ = youssef.Post(field2+"?day="+day, field2, url.Values{"action": {"enter"}, "start": {start}})
		if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "You are already in this draw with the team “Les Lions”") {
			t.Fatalf("a player entering in his own name: %d\n%s", code, apptest.Grep(body, "error"))
		}
		_, mine, _ = youssef.Get("/bookings")
		if m := html.UnescapeString(mine); !strings.Contains(m, "Your requests in draws") || !strings.Contains(m, "with the team “Les Lions”") ||
			!strings.Contains(m, "you play in it") {
			t.Fatalf("Youssef's space does not show the team's entry:\n%s", apptest.Grep(mine, "draw"))
		}

		// A waiting list: Khadija books an evening slot after the peak;
		// Fatima waits for it with the team, Youssef may not on his own.
		khadija := apptest.NewBrowser(t, base)
		khadija.SignIn("khadija.ouazzani@example.ma", false)
		w := time.Now().In(i18n.Casablanca).AddDate(0, 0, 2)
		wday := w.Format(time.DateOnly)
		wstart := time.Date(w.Year(), w.Month(), w.Day(), 21, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		if code, _, _ := khadija.Post(field2+"?day="+wday, field2, url.Values{"action": {"book"}, "start": {wstart}}); code != http.StatusSeeOther {
			t.Fatalf("Khadija's booking: %d", code)
		}
		_, page, _ = fatima.Get(field2 + "?day=" + wday)
		row = regexp.MustCompile(`(?s)name="start" value="` + regexp.QuoteMeta(wstart) + `">\s*<input type="hidden" name="action" value="wait">.*?</form>`).FindString(page)
		if row == "" || !strings.Contains(row, ">Les Lions</option>") {
			t.Fatalf("the waiting list's form offers no team choice:\n%s", apptest.Grep(page, wstart))
		}
		if code, _, h := fatima.Post(field2+"?day="+wday, field2, url.Values{"action": {"wait"}, "start": {wstart}, "team": {m[1]}}); code != http.StatusSeeOther ||
			h.Get("Location") != "/bookings?done=waiting" {
			t.Fatalf("the team's place: %d %s", code, h.Get("Location"))
		}
		code, body, _ = youssef.Post(field2+"?day="+wday, field2, url.Values{"action": {"wait"}, "start": {wstart}})
		if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "already on this slot's waiting list with the team “Les Lions”") {
			t.Fatalf("a player waiting in his own name: %d\n%s", code, apptest.Grep(body, "error"))
		}
		_, mine, _ = fatima.Get("/bookings")
		if m := html.UnescapeString(mine); !strings.Contains(m, "with the team “Les Lions”: place 1") {
			t.Fatalf("the captain's space does not show the team's place:\n%s", apptest.Grep(mine, "place"))
		}
	})
}
