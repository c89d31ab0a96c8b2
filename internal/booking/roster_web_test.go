package booking_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
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
