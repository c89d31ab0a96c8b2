package booking_test

import (
	"context"
	"net/http"
	"net/url"
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

// Over HTTP: a holder contests a no-show from the booking's page (a
// missing reason is named on its field; a reason of several lines is
// kept); the manager sees it on the desk, a missing note is named on its
// field, and lifts it; "my bookings" says so. The facility's calendar
// shows the week with the booking, and a malformed week is refused in
// the reader's language; a citizen does not see the calendar.
func TestPenaltyReviewAndCalendarOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		now := time.Now().In(i18n.Casablanca)
		before := now.AddDate(0, 0, -2)
		day := now.AddDate(0, 0, -1)
		slot := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, i18n.Casablanca).UTC()
		svc := func(at time.Time) *booking.Service {
			return booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}),
				Box: a.Box, Now: func() time.Time { return at }})
		}
		salma := authz.Actor{Person: apptest.PersonID(t, a, "salma.alaoui@example.ma"), EmailVerified: true, Now: before}
		bk, err := svc(before).Book(ctx, salma, booking.BookInput{Facility: "moulay-rachid-field-1", Start: slot})
		if err != nil {
			t.Fatal(err)
		}
		// The no-show: the server's own booking clock may record it first.
		_, err = svc(slot.Add(booking.NoShowGrace + time.Minute)).Sweep(ctx)
		var penalties int
		if qerr := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalties WHERE booking_id = $1`, bk.ID).Scan(&penalties); qerr != nil ||
			penalties != 1 {
			t.Fatalf("no penalty for the missed booking (%v, %v)", err, qerr)
		}
		page := "/bookings/" + strconv.FormatInt(bk.ID, 10)

		sb := apptest.NewBrowser(t, base)
		sb.SignIn("salma.alaoui@example.ma", false)
		sb.SetLang(i18n.FR)
		if code, body, _ := sb.Get(page); code != http.StatusOK || !strings.Contains(body, `name="reason"`) {
			t.Fatalf("the booking's page has no contest form: %d\n%s", code, apptest.Grep(body, "reason"))
		}
		code, body, _ := sb.Post(page, page, url.Values{"action": {"contest"}, "reason": {"  "}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#reason"`) || !strings.Contains(body, "Indiquez pourquoi vous contestez") {
			t.Fatalf("a contest without reason: %d\n%s", code, apptest.Grep(body, "error"))
		}
		reason := "J’étais malade.\nCertificat médical disponible."
		code, _, h := sb.Post(page, page, url.Values{"action": {"contest"}, "reason": {reason}})
		if code != http.StatusSeeOther || h.Get("Location") != page+"?done=contested" {
			t.Fatalf("the contest: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := sb.Get(page); strings.Contains(body, `name="reason"`) || !strings.Contains(body, "Contestée, en attente") {
			t.Fatalf("the page after the contest:\n%s", apptest.Grep(body, "Contest"))
		}

		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		note := "note_" + strconv.FormatInt(bk.ID, 10)
		code, body, _ = mgr.Get("/bookings/desk")
		if code != http.StatusOK || !strings.Contains(body, `name="`+note+`"`) || !strings.Contains(body, "Certificat médical") ||
			!strings.Contains(body, "Salma Alaoui") {
			t.Fatalf("the desk's contested penalties: %d\n%s", code, apptest.Grep(body, "note_"))
		}
		action := "/bookings/desk/reviews/" + strconv.FormatInt(bk.ID, 10)
		code, body, _ = mgr.Post("/bookings/desk", action, url.Values{"decision": {"lifted"}, note: {""}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#`+note+`"`) || !strings.Contains(body, "Écrivez une note") {
			t.Fatalf("a decision without note: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, _, h = mgr.Post("/bookings/desk", action, url.Values{"decision": {"lifted"}, note: {"Certificat vu.\nPénalité levée."}})
		if code != http.StatusSeeOther || h.Get("Location") != "/bookings/desk?done=review_lifted" {
			t.Fatalf("the decision: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := sb.Get("/bookings"); !strings.Contains(body, "Levée après examen") {
			t.Fatalf("my bookings after the lifting:\n%s", apptest.Grep(body, "li>"))
		}

		cal := "/bookings/desk/facilities/moulay-rachid-field-1/calendar"
		code, body, _ = mgr.Get(cal + "?week=" + day.Format(time.DateOnly))
		if code != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, bk.Number) ||
			!strings.Contains(body, `class="tag`) || strings.Contains(body, "{") {
			t.Fatalf("the calendar: %d\n%s", code, apptest.Grep(body, "bookings/"))
		}
		if code, body, _ := mgr.Get(cal + "?week=demain"); code != http.StatusBadRequest || !strings.Contains(body, "Indiquez la semaine") {
			t.Fatalf("a malformed week: %d\n%s", code, apptest.Grep(body, "semaine"))
		}
		if code, _, _ := sb.Get(cal); code == http.StatusOK {
			t.Fatal("a citizen reads the desk's calendar")
		}
	})
}
