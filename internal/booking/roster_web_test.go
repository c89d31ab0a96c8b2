package booking_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// openSeason gives Moulay Rachid's field 2 one season starting in 45
// days, so that its roster's applications (60 to 30 days before) are
// open, and returns the association Naima Bennis represents.
func openSeason(t *testing.T, a *app.App) int64 {
	t.Helper()
	ctx := context.Background()
	var f booking.Facility
	var raw string
	if err := a.DB.QueryRowContext(ctx, `SELECT definition FROM booking_facilities WHERE code = 'moulay-rachid-field-2'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		t.Fatal(err)
	}
	start := time.Now().In(i18n.Casablanca).AddDate(0, 0, 45)
	f.Seasons = []booking.Season{{From: start.Format(time.DateOnly), To: start.AddDate(0, 3, 0).Format(time.DateOnly)}}
	def, _ := json.Marshal(f)
	if _, err := a.DB.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), f.Code); err != nil {
		t.Fatal(err)
	}
	var assoc int64
	if err := a.DB.QueryRowContext(ctx, `SELECT r.legal_person_id FROM representatives r JOIN persons p ON p.id = r.person_id
		WHERE p.email = 'naima.bennis@example.ma'`).Scan(&assoc); err != nil {
		t.Fatal(err)
	}
	return assoc
}

// Over HTTP: the representative acting for the association withdraws
// its application from "my bookings"; someone else posting the same
// form is refused and nothing changes.
func TestRosterWithdrawalOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		assoc := openSeason(t, a)
		base := apptest.Serve(t, a)
		page := "/bookings/places/moulay-rachid-field-2"
		naima := apptest.NewBrowser(t, base)
		naima.SignIn("naima.bennis@example.ma", false)
		naima.SetLang(i18n.EN)
		if code, _, _ := naima.Post("/me/legal", "/me/acting/"+strconv.FormatInt(assoc, 10), url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("acting for the association: %d", code)
		}
		if code, _, h := naima.Post(page, page, url.Values{"action": {"roster"}, "choice1": {"6@17:00"}}); code != http.StatusSeeOther {
			t.Fatalf("the application: %d %s", code, h.Get("Location"))
		}
		var id int64
		if err := a.DB.QueryRowContext(context.Background(), `SELECT id FROM booking_roster_applications WHERE legal_id = $1`, assoc).Scan(&id); err != nil {
			t.Fatal(err)
		}
		action := "/bookings/rosters/applications/" + strconv.FormatInt(id, 10)
		if _, body, _ := naima.Get("/bookings"); !strings.Contains(body, `action="`+action+`"`) || !strings.Contains(body, "Withdraw the application") {
			t.Fatalf("no withdrawal form in my bookings:\n%s", apptest.Grep(body, "oster"))
		}
		other := apptest.NewBrowser(t, base)
		other.SignIn("fatima.benali@example.ma", false)
		other.SetLang(i18n.EN)
		if code, _, _ := other.Post("/bookings", action, url.Values{}); code < 400 || code >= 500 {
			t.Fatalf("someone not acting for the association withdrew it: %d", code)
		}
		code, _, h := naima.Post("/bookings", action, url.Values{})
		if code != http.StatusSeeOther || h.Get("Location") != "/bookings?done=roster_withdrawn" {
			t.Fatalf("the withdrawal: %d %s", code, h.Get("Location"))
		}
		_, body, _ := naima.Get("/bookings?done=roster_withdrawn")
		if !strings.Contains(body, "takes no part in the draw") || !strings.Contains(body, "Withdrawn on") || strings.Contains(body, "Withdraw the application") {
			t.Fatalf("my bookings after the withdrawal:\n%s", apptest.Grep(body, "ithdraw"))
		}
		if code, body, _ := naima.Post("/bookings", action, url.Values{}); code != http.StatusConflict || !strings.Contains(body, "already withdrawn") {
			t.Fatalf("withdrawn twice: %d\n%s", code, apptest.Grep(body, "error"))
		}
	})
}

// Over HTTP: the rules form carries the roster's window; a window that
// contradicts itself, half a window or a word are refused on their
// field, in the manager's language; a valid one is saved and shown.
func TestRosterRuleFormOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.EN)
		rules := "/bookings/desk/facilities/moulay-rachid-field-1"
		code, body, _ := mgr.Get(rules)
		if code != http.StatusOK || !strings.Contains(body, `name="roster_opens_days"`) || !strings.Contains(body, "Season roster of associations and clubs") {
			t.Fatalf("the rules form has no roster fields: %d\n%s", code, apptest.Grep(body, "roster"))
		}
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)[1]
		post := func(opens, closes string) (int, string) {
			v := url.Values{"version": {version}, "horizon_days": {"7"}, "release": {"08:00"}, "min_notice_hours": {"2"},
				"cancel_hours": {"24"}, "max_future": {"3"}, "confirm_hours": {"4"}, "peak_window_hours": {"24"},
				"quota_citizen_week": {"3"}, "roster_opens_days": {opens}, "roster_closes_days": {closes}}
			code, body, _ := mgr.Post(rules, rules, v)
			return code, body
		}
		if code, body := post("10", "30"); code != http.StatusBadRequest || !strings.Contains(body, `href="#roster_opens_days"`) ||
			!strings.Contains(body, "application window contradicts itself") {
			t.Fatalf("a window closing before it opens: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, body := post("sixty", "30"); code != http.StatusBadRequest || !strings.Contains(body, `href="#roster_opens_days"`) ||
			!strings.Contains(body, "whole number of days") {
			t.Fatalf("a word: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, body := post("60", ""); code != http.StatusBadRequest || !strings.Contains(body, `href="#roster_closes_days"`) {
			t.Fatalf("half a window: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, body := post("60", "30"); code != http.StatusSeeOther {
			t.Fatalf("a valid window: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if _, body, _ := mgr.Get(rules); !strings.Contains(body, `name="roster_opens_days" type="text" dir="ltr" inputmode="numeric" value="60"`) {
			t.Fatalf("the saved window:\n%s", apptest.Grep(body, "roster_"))
		}
		var def string
		if err := a.DB.QueryRowContext(context.Background(), `SELECT definition FROM booking_facilities WHERE code = 'moulay-rachid-field-1'`).Scan(&def); err != nil ||
			!strings.Contains(def, `"roster":{"opens_days":60,"closes_days":30}`) {
			t.Fatalf("stored: %s %v", def, err)
		}
	})
}
