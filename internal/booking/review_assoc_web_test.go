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

// Over HTTP, a penalty on an association's booking: its representative,
// in their own name, is told (in French, then Arabic) to act for the
// association — on the booking's page and when contesting — and "my
// space" only counts it; acting for the association, the page offers the
// contest and "my space" lists it. A manager who represents the
// association reads the contest on the desk without a form to decide it.
func TestAnAssociationsPenaltyOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		now := time.Now().In(i18n.Casablanca)
		before := now.AddDate(0, 0, -2)
		day := now.AddDate(0, 0, -1)
		slot := time.Date(day.Year(), day.Month(), day.Day(), 11, 0, 0, 0, i18n.Casablanca).UTC()
		svc := func(at time.Time) *booking.Service {
			return booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}),
				Box: a.Box, Now: func() time.Time { return at }})
		}
		naima := apptest.PersonID(t, a, "naima.bennis@example.ma")
		var assoc int64
		if err := a.DB.QueryRowContext(ctx, `SELECT legal_person_id FROM representatives WHERE person_id = $1`, naima).Scan(&assoc); err != nil {
			t.Fatal(err)
		}
		rep := authz.Actor{Person: naima, EmailVerified: true, Now: before, ActingFor: assoc, Represents: []int64{assoc}}
		bk, err := svc(before).Book(ctx, rep, booking.BookInput{Facility: "moulay-rachid-field-1", Start: slot})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc(slot.Add(booking.NoShowGrace + time.Minute)).Sweep(ctx)
		var penalties int
		if qerr := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalties WHERE booking_id = $1`, bk.ID).Scan(&penalties); qerr != nil ||
			penalties != 1 {
			t.Fatalf("no penalty for the missed booking (%v, %v)", err, qerr)
		}
		page := "/bookings/" + strconv.FormatInt(bk.ID, 10)

		nb := apptest.NewBrowser(t, base)
		nb.SignIn("naima.bennis@example.ma", false)
		nb.SetLang(i18n.FR)
		if code, body, _ := nb.Get(page); code != http.StatusForbidden || !strings.Contains(body, "Passez, depuis le menu") {
			t.Fatalf("the association's booking in her own name: %d\n%s", code, apptest.Grep(body, "ssociation"))
		}
		code, body, _ := nb.Post("/bookings", page, url.Values{"action": {"contest"}, "reason": {"L’entraîneur était là."}})
		if code != http.StatusForbidden || !strings.Contains(body, "Passez, depuis le menu, au compte de l’association") {
			t.Fatalf("a contest in her own name: %d\n%s", code, apptest.Grep(body, "ssociation"))
		}
		if _, body, _ := nb.Get("/bookings"); strings.Contains(body, page+"#penalty") ||
			!strings.Contains(body, "réservations faites pour une association ou une école : 1.") ||
			!strings.Contains(body, "pas les vôtres en votre propre nom") ||
			!strings.Contains(body, "Celles des associations ou écoles que vous représentez apparaissent quand vous agissez pour elles") {
			t.Fatalf("my space in her own name:\n%s", apptest.Grep(body, "énalit|représentez"))
		}
		nb.SetLang(i18n.AR)
		if code, body, _ := nb.Get(page); code != http.StatusForbidden || !strings.Contains(body, "انتقل من القائمة إلى التصرف باسم الجمعية") {
			t.Fatalf("in Arabic: %d\n%s", code, apptest.Grep(body, "الجمعية"))
		}
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalty_reviews`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d contests written by refusals (%v)", n, err)
		}

		// Acting for the association.
		nb.SetLang(i18n.FR)
		if code, _, _ := nb.Post("/me/legal", "/me/acting/"+strconv.FormatInt(assoc, 10), url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("acting for the association: %d", code)
		}
		if _, body, _ := nb.Get("/bookings"); !strings.Contains(body, page+"#penalty") || strings.Contains(body, "réservations faites pour une association") {
			t.Fatalf("the association's space:\n%s", apptest.Grep(body, "énalit"))
		}
		if code, body, _ := nb.Get(page); code != http.StatusOK || !strings.Contains(body, `name="reason"`) {
			t.Fatalf("the booking's page acting for the association: %d\n%s", code, apptest.Grep(body, "reason"))
		}
		code, _, h := nb.Post(page, page, url.Values{"action": {"contest"}, "reason": {"L’entraîneur était là.\nFeuille de présence."}})
		if code != http.StatusSeeOther || h.Get("Location") != page+"?done=contested" {
			t.Fatalf("the contest: %d %s", code, h.Get("Location"))
		}

		// A manager who represents the association reads it, without a
		// form: another manager decides.
		meriem := apptest.PersonID(t, a, "meriem.sentissi@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, 'manager', $3)`,
			assoc, meriem, before); err != nil {
			t.Fatal(err)
		}
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		note := "note_" + strconv.FormatInt(bk.ID, 10)
		if code, body, _ := mgr.Get("/bookings/desk"); code != http.StatusOK || !strings.Contains(body, "Feuille de présence") ||
			strings.Contains(body, `name="`+note+`"`) || !strings.Contains(body, "un autre gestionnaire de l’équipement en décide") {
			t.Fatalf("the desk of a manager representing the association: %d\n%s", code, apptest.Grep(body, "gestionnaire"))
		}
		// The penalty is named as the association's, with who booked.
		var name string
		if err := a.DB.QueryRowContext(ctx, `SELECT name FROM legal_persons WHERE id = $1`, assoc).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if _, body, _ := mgr.Get("/bookings/desk"); !strings.Contains(body, "<bdi>"+name+" — Naima Bennis</bdi>") {
			t.Fatalf("the desk does not name the association %q:\n%s", name, apptest.Grep(body, "Naima"))
		}
	})
}
