package booking_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

// Over HTTP, at any hour: the manager types the code of a booking an
// association's representative made for it, declaring the youth group;
// "show the holder" names the representative, the association booked
// for, and the group declared with what to check before letting them in;
// the week's calendar shows the group declared.
// (Field 1 is given quarter-hour slots all day long, off-peak, so that a
// slot opens for check-in whenever the test runs.)
func TestTheHolderShownSaysForWhomAndWhichGroup(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := context.Background()
		var raw string
		if err := a.DB.QueryRowContext(ctx, `SELECT definition FROM booking_facilities WHERE code = 'moulay-rachid-field-1'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var f booking.Facility
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatal(err)
		}
		f.Hours = []booking.Opening{{Days: []int{1, 2, 3, 4, 5, 6, 7}, Open: "00:00", Close: "23:59"}}
		f.SlotMinutes, f.Rules.Peak, f.Closures = 15, nil, nil
		def, _ := json.Marshal(f)
		if _, err := a.DB.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), f.Code); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		var slot time.Time
		today := calendar.DateOf(now)
		for _, d := range []calendar.Date{today, today.AddDays(1)} {
			for _, sl := range f.Slots(d) {
				if slot.IsZero() && sl.Start.After(now.Add(time.Minute)) {
					slot = sl.Start
				}
			}
		}
		naimaID := apptest.PersonID(t, a, "naima.bennis@example.ma")
		var assoc int64
		var assocName string
		if err := a.DB.QueryRowContext(ctx, `SELECT r.legal_person_id, l.name FROM representatives r JOIN legal_persons l ON l.id = r.legal_person_id
			WHERE r.person_id = $1`, naimaID).Scan(&assoc, &assocName); err != nil {
			t.Fatal(err)
		}
		yesterday := now.AddDate(0, 0, -1)
		earlier := booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}),
			Box: a.Box, Now: func() time.Time { return yesterday }})
		naima := authz.Actor{Person: naimaID, EmailVerified: true, Now: yesterday, ActingFor: assoc, Represents: []int64{assoc}}
		bk, err := earlier.Book(ctx, naima, booking.BookInput{Facility: f.Code, Start: slot, Group: "youth"})
		if err != nil {
			t.Fatalf("booking %s for the association: %v", slot, err)
		}
		current := booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}), Box: a.Box})
		naima.Now = time.Now()
		code, _, err := current.Code(ctx, naima, bk.ID)
		if err != nil {
			t.Fatal(err)
		}
		mgr := apptest.NewBrowser(t, apptest.Server(t, a).URL)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		status, body, _ := mgr.Post("/bookings/desk", "/bookings/desk/holder", url.Values{"code": {code}})
		if status != http.StatusOK || !strings.Contains(body, "Naima Bennis") || !strings.Contains(body, "Réservé pour") ||
			!strings.Contains(body, assocName) || !strings.Contains(body, "Jeunes de moins de 18 ans — demandez le justificatif") {
			t.Fatalf("the holder shown: %d\n%s", status, apptest.Grep(body, "summary"))
		}
		// The week's calendar says the group too.
		week := "/bookings/desk/facilities/" + f.Code + "/calendar?week=" + calendar.DateOf(slot).String()
		if status, body, _ := mgr.Get(week); status != http.StatusOK ||
			!strings.Contains(body, "Groupe prioritaire déclaré : Jeunes de moins de 18 ans") {
			t.Fatalf("the calendar: %d\n%s", status, apptest.Grep(body, "Jeunes"))
		}
	})
}
