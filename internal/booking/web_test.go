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

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

// Over HTTP: the public list; a citizen books a slot from the facility's
// page; another, a moment later, is told in French that someone has just
// taken it; the manager's rules form names every contradiction on its
// field.
func TestBookingOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		anon := apptest.NewBrowser(t, base)
		anon.SetLang(i18n.FR)
		code, body, _ := anon.Get("/bookings/places?arrondissement=moulay-rachid")
		if code != http.StatusOK || !strings.Contains(body, `href="/bookings/places/moulay-rachid-field-1"`) ||
			strings.Contains(body, "maarif-coworking") {
			t.Fatalf("public list: %d\n%s", code, apptest.Grep(body, "bookings/places"))
		}
		// The rules in words: in Arabic, a list's items are joined with
		// the Arabic comma.
		ar := apptest.NewBrowser(t, base)
		ar.SetLang(i18n.AR)
		if _, body, _ := ar.Get("/bookings/places/moulay-rachid-field-1"); !strings.Contains(body, "يحجز: المواطنون، الجمعيات.") {
			t.Errorf("the Arabic rules do not join who may book with the Arabic comma:\n%s", apptest.Grep(body, "يحجز"))
		}
		day := time.Now().In(i18n.Casablanca).AddDate(0, 0, 2)
		start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		page := "/bookings/places/moulay-rachid-field-1?day=" + day.Format(time.DateOnly)

		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		code, body, _ = fatima.Get(page)
		if code != http.StatusOK || !strings.Contains(body, `value="`+start+`"`) {
			t.Fatalf("facility page: %d\n%s", code, apptest.Grep(body, "start"))
		}
		code, _, h := fatima.Post(page, "/bookings/places/moulay-rachid-field-1", url.Values{"action": {"book"}, "start": {start}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/bookings/") {
			t.Fatalf("booking: %d %s", code, h.Get("Location"))
		}
		code, body, _ = fatima.Get(h.Get("Location"))
		if code != http.StatusOK || !strings.Contains(body, "data:image/png;base64,") {
			t.Fatalf("the booking's page has no check-in QR: %d", code)
		}

		youssef := apptest.NewBrowser(t, base)
		youssef.SignIn("youssef.elamrani@example.ma", false)
		youssef.SetLang(i18n.FR)
		form := url.Values{"action": {"book"}, "start": {start}}
		_, page2, _ := youssef.Get("/bookings/places")
		form.Set("csrf_token", apptest.CSRFRE.FindStringSubmatch(page2)[1])
		code, body, _ = youssef.PostRaw("/bookings/places/moulay-rachid-field-1", form)
		if code != http.StatusConflict || !strings.Contains(body, "Quelqu") || !strings.Contains(body, "liste d") {
			t.Fatalf("the second booker: %d\n%s", code, apptest.Grep(body, "error"))
		}

		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		rules := "/bookings/desk/facilities/moulay-rachid-field-1"
		code, body, _ = mgr.Get(rules)
		if code != http.StatusOK || !strings.Contains(body, `name="horizon_days" type="text" dir="ltr" inputmode="numeric" value="7"`) {
			t.Fatalf("rules form: %d\n%s", code, apptest.Grep(body, "horizon_days"))
		}
		version := regexpVersion(body)
		bad := url.Values{"version": {version}, "horizon_days": {"7"}, "release": {"08:00"}, "min_notice_hours": {"1000"},
			"cancel_hours": {"24"}, "max_future": {"3"}, "confirm_hours": {"4"}, "quota_citizen_week": {"9"},
			"quota_citizen_month": {"2"}, "peak_window_hours": {"24"}}
		code, body, _ = mgr.Post(rules, rules, bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#min_notice_hours"`) ||
			!strings.Contains(body, "Le quota de la semaine (9) dépasse celui du mois (2) pour « les citoyens »") {
			t.Fatalf("contradictory rules: %d\n%s", code, apptest.Grep(body, "error"))
		}
		good := apptest.CloneForm(bad)
		good.Set("min_notice_hours", "3")
		good.Set("quota_citizen_week", "2")
		good.Set("quota_citizen_month", "6")
		if code, _, h := mgr.Post(rules, rules, good); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=rules") {
			t.Fatalf("good rules: %d", code)
		}
		// An ambulance request from Sbata's page: a mistake on its field,
		// then the request, listed in "my bookings".
		amb := url.Values{"action": {"ambulance"}, "patient": {"Ahmed, 80"}, "address": {"Derb Sbata, street 9"},
			"destination": {"Moulay Youssef hospital"}, "phone": {"12"}, "urgency": {"critical"}}
		youssef.SetLang(i18n.FR)
		code, body, _ = youssef.Post("/bookings/places/sbata-ambulance", "/bookings/places/sbata-ambulance", amb)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#phone"`) {
			t.Fatalf("a bad phone: %d\n%s", code, apptest.Grep(body, "error"))
		}
		amb.Set("phone", "0662 98 76 54")
		if code, _, h := youssef.Post("/bookings/places/sbata-ambulance", "/bookings/places/sbata-ambulance", amb); code != http.StatusSeeOther ||
			h.Get("Location") != "/bookings?done=ambulance" {
			t.Fatalf("the ambulance request: %d %s", code, h.Get("Location"))
		}
		if _, body, _ = youssef.Get("/bookings"); !strings.Contains(body, "Reçue") {
			t.Fatalf("the request is not in my bookings:\n%s", apptest.Grep(body, "A-"))
		}
		// A citizen does not reach the rules.
		if code, _, _ := fatima.Get(rules); code != http.StatusNotFound {
			t.Fatalf("a citizen opened the rules form: %d", code)
		}
	})
}

func regexpVersion(page string) string {
	i := strings.Index(page, `name="version" value="`)
	if i < 0 {
		return "0"
	}
	rest := page[i+len(`name="version" value="`):]
	return rest[:strings.Index(rest, `"`)]
}

// Over HTTP: booking sets the device cookie (HttpOnly, SameSite=Lax,
// for /bookings only) and only its keyed hash is stored; the desk's
// check-in form has the "not the holder" button, which refuses a forged
// code on its field and, for the holder's real code, refuses the
// check-in: the holder's booking reads handed over, and the desk lists
// the report among its signals.
func TestTransferReportOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		now := time.Now().In(i18n.Casablanca)
		day := now.AddDate(0, 0, 3)
		start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		page := "/bookings/places/moulay-rachid-field-1?day=" + day.Format(time.DateOnly)

		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		code, _, h := fatima.Post(page, "/bookings/places/moulay-rachid-field-1", url.Values{"action": {"book"}, "start": {start}})
		if code != http.StatusSeeOther {
			t.Fatalf("booking: %d", code)
		}
		set := strings.Join(h.Values("Set-Cookie"), "\n")
		dev := ""
		if m := regexp.MustCompile(booking.DeviceCookie + `=([A-Za-z0-9_-]+);`).FindStringSubmatch(set); m != nil {
			dev = m[1]
		}
		if len(dev) != 32 || !strings.Contains(set, booking.DeviceCookie+"="+dev+"; Path=/bookings") ||
			!strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") {
			t.Fatalf("the device cookie %q: %s", dev, set)
		}
		var stored string
		if err := a.DB.QueryRowContext(ctx, `SELECT device_hash FROM booking_origins ORDER BY id DESC LIMIT 1`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == dev || len(stored) != 43 {
			t.Fatalf("stored device %q for the cookie %q: want its keyed hash", stored, dev)
		}

		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		if code, body, _ := mgr.Get("/bookings/desk"); code != http.StatusOK || !strings.Contains(body, `formaction="/bookings/desk/transfer"`) {
			t.Fatalf("desk: %d\n%s", code, apptest.Grep(body, "button"))
		}
		code, body, _ := mgr.Post("/bookings/desk", "/bookings/desk/transfer", url.Values{"code": {"12-AbCdEf12"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#code"`) {
			t.Fatalf("a forged code reported: %d\n%s", code, apptest.Grep(body, "error"))
		}

		// The holder's real code, for a slot within half an hour (booked
		// the day before, as the end-to-end test does).
		soon := now.Add(30 * time.Minute)
		if soon.Hour() < 8 || soon.Hour() >= 23 {
			t.Logf("no slot opens for check-in at %s: the report itself is not walked", now.Format("15:04"))
			return
		}
		slot := time.Date(soon.Year(), soon.Month(), soon.Day(), soon.Hour(), 0, 0, 0, i18n.Casablanca).UTC()
		yesterday := now.AddDate(0, 0, -1)
		earlier := booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}),
			Box: a.Box, Now: func() time.Time { return yesterday }})
		salmaID := apptest.PersonID(t, a, "salma.alaoui@example.ma")
		salma := authz.Actor{Person: salmaID, EmailVerified: true, Now: yesterday}
		bk, err := earlier.Book(ctx, salma, booking.BookInput{Facility: "moulay-rachid-field-1", Start: slot})
		if err != nil {
			t.Fatal(err)
		}
		today := booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}), Box: a.Box})
		salma.Now = time.Now()
		checkCode, _, err := today.Code(ctx, salma, bk.ID)
		if err != nil {
			t.Fatal(err)
		}
		code, body, _ = mgr.Post("/bookings/desk", "/bookings/desk/holder", url.Values{"code": {checkCode}})
		if code != http.StatusOK || !strings.Contains(body, "Salma Alaoui") || !strings.Contains(body, `value="`+checkCode+`"`) {
			t.Fatalf("the holder shown: %d\n%s", code, apptest.Grep(body, "summary-value"))
		}
		code, _, h = mgr.Post("/bookings/desk", "/bookings/desk/transfer", url.Values{"code": {checkCode}})
		if code != http.StatusSeeOther || h.Get("Location") != "/bookings/desk?done=transferred" {
			t.Fatalf("the report: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := mgr.Get(h.Get("Location")); !strings.Contains(body, "notée cédée") || !strings.Contains(body, bk.Number) ||
			!strings.Contains(body, "/bookings/"+strconv.FormatInt(bk.ID, 10)) || !strings.Contains(body, "son titulaire, Salma") ||
			strings.Contains(body, "{") {
			t.Fatalf("the desk after the report:\n%s", apptest.Grep(body, bk.Number))
		}
		sb := apptest.NewBrowser(t, base)
		sb.SignIn("salma.alaoui@example.ma", false)
		sb.SetLang(i18n.EN)
		if _, body, _ := sb.Get("/bookings/" + strconv.FormatInt(bk.ID, 10)); !strings.Contains(body, "Handed over") {
			t.Fatalf("the holder's booking does not read handed over:\n%s", apptest.Grep(body, "tag"))
		}
	})
}

// Over HTTP: while a season roster's window is open, a representative
// acting for their association applies from the facility's page (a
// slot the facility does not have is refused on its field), sees the
// application in "my bookings"; the desk lists it with the association's
// name; the public register shows the roster's committed hash, and no
// name.
func TestSeasonRosterOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := context.Background()
		// A season starting in 45 days: its applications (60 to 30 days
		// before) are open.
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
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
		def, _ := json.Marshal(f)
		if _, err := a.DB.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), f.Code); err != nil {
			t.Fatal(err)
		}
		var assoc int64
		if err := a.DB.QueryRowContext(ctx, `SELECT r.legal_person_id FROM representatives r JOIN persons p ON p.id = r.person_id
			WHERE p.email = 'naima.bennis@example.ma'`).Scan(&assoc); err != nil {
			t.Fatal(err)
		}
		base := apptest.Serve(t, a)
		page := "/bookings/places/moulay-rachid-field-2"

		citizen := apptest.NewBrowser(t, base)
		citizen.SignIn("fatima.benali@example.ma", false)
		citizen.SetLang(i18n.EN)
		if _, body, _ := citizen.Get(page); strings.Contains(body, `name="choice1"`) || !strings.Contains(body, "on behalf of an association") {
			t.Fatalf("a citizen acting for no association is offered the roster form:\n%s", apptest.Grep(body, "roster"))
		}

		naima := apptest.NewBrowser(t, base)
		naima.SignIn("naima.bennis@example.ma", false)
		naima.SetLang(i18n.EN)
		if code, _, _ := naima.Post("/me/legal", "/me/acting/"+strconv.FormatInt(assoc, 10), url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("acting for the association: %d", code)
		}
		code, body, _ := naima.Get(page)
		if code != http.StatusOK || !strings.Contains(body, `name="choice1"`) || !strings.Contains(body, `<option value="6@17:00">Saturday 17:00</option>`) {
			t.Fatalf("the roster form: %d\n%s", code, apptest.Grep(body, "choice"))
		}
		code, body, _ = naima.Post(page, page, url.Values{"action": {"roster"}, "choice1": {"6@17:00"}, "choice3": {"1@09:00"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#choice3"`) || !strings.Contains(body, "no such weekly slot") {
			t.Fatalf("a slot the facility does not have: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, _, h := naima.Post(page, page, url.Values{"action": {"roster"}, "choice1": {"6@17:00"}, "choice2": {"3@19:00"}})
		if code != http.StatusSeeOther || h.Get("Location") != "/bookings?done=roster" {
			t.Fatalf("the application: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := naima.Get("/bookings"); !strings.Contains(body, "Waiting for the draw") || !strings.Contains(body, "Wednesday 19:00") {
			t.Fatalf("the application is not in my bookings:\n%s", apptest.Grep(body, "roster"))
		}
		code, body, _ = naima.Post(page, page, url.Values{"action": {"roster"}, "choice1": {"7@10:00"}})
		if code != http.StatusConflict || !strings.Contains(body, "already applied") {
			t.Fatalf("a second application: %d\n%s", code, apptest.Grep(body, "error"))
		}

		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.EN)
		var name string
		if err := a.DB.QueryRowContext(ctx, `SELECT name FROM legal_persons WHERE id = $1`, assoc).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if code, body, _ := mgr.Get("/bookings/desk"); code != http.StatusOK || !strings.Contains(body, "Season roster: ") ||
			!strings.Contains(body, name) {
			t.Fatalf("the desk does not list the application: %d\n%s", code, apptest.Grep(body, "roster"))
		}
		anon := apptest.NewBrowser(t, base)
		anon.SetLang(i18n.EN)
		if _, body, _ := anon.Get(page); !strings.Contains(body, "Roster draw, season") || strings.Contains(body, name) ||
			!regexp.MustCompile(`href="/api/v1/booking/rosters/\d+"`).MatchString(body) {
			t.Fatalf("the public register:\n%s", apptest.Grep(body, "oster"))
		}
	})
}
