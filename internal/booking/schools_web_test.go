package booking_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Over HTTP, in French: a school's director acting for her school is told
// on the hall's page that she books in the school's name, books a class
// in school hours, and finds it among the school's bookings — not her own
// once she acts in her own name again; a citizen declaring the schools'
// share is refused with the reason.
func TestSchoolBooksTheHallOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		day := time.Now().In(i18n.Casablanca).AddDate(0, 0, 3)
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, 1)
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), 10, 30, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		page := "/bookings/places/sidi-othmane-hall?day=" + day.Format(time.DateOnly)

		rachida := apptest.NewBrowser(t, base)
		rachida.SignIn("rachida.amrani@example.ma", false)
		rachida.SetLang(i18n.FR)
		school := apptest.IDOf(t, a.DB, `SELECT id FROM legal_persons WHERE kind = 'school' AND school_code = '21974S'`)
		if code, _, h := rachida.Post("/me/legal", fmt.Sprintf("/me/acting/%d", school), url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/me/legal?done=acting" {
			t.Fatalf("acting for the school: %d %s", code, h.Get("Location"))
		}
		code, body, _ := rachida.Get(page)
		if code != http.StatusOK || !strings.Contains(body, "Vous réservez au nom de l’école École primaire Ibn Khaldoun") ||
			!strings.Contains(body, "ne se prend qu’au nom d’un de ceux-ci : les écoles") || !strings.Contains(body, `value="`+start+`"`) {
			t.Fatalf("the hall's page for the school: %d\n%s", code, apptest.Grep(body, "école"))
		}
		code, _, h := rachida.Post(page, "/bookings/places/sidi-othmane-hall", url.Values{"action": {"book"}, "start": {start}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/bookings/") {
			t.Fatalf("the school's booking: %d %s", code, h.Get("Location"))
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM bookings WHERE holder_legal_id = $1 AND group_code = 'schools'`, school); n != 1 {
			t.Fatalf("%d bookings of the school in the schools' share", n)
		}
		if _, body, _ := rachida.Get("/bookings"); !strings.Contains(body, "Voici les réservations de École primaire Ibn Khaldoun") ||
			!strings.Contains(body, "Salle omnisports de Sidi Othmane") {
			t.Fatalf("the school's bookings:\n%s", apptest.Grep(body, "réservation"))
		}
		if code, _, _ := rachida.Post("/me/legal", "/me/acting/self", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("acting as herself: %d", code)
		}
		if _, body, _ := rachida.Get("/bookings"); strings.Contains(body, "Salle omnisports de Sidi Othmane") || strings.Contains(body, "Voici les réservations de") {
			t.Fatal("the school's booking shows among the director's own")
		}

		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		fatima.SetLang(i18n.FR)
		other := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		code, body, _ = fatima.Post(page, "/bookings/places/sidi-othmane-hall", url.Values{"action": {"book"}, "start": {other}, "group": {"schools"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "Cette part est réservée aux écoles") {
			t.Fatalf("a citizen declaring the schools' share: %d\n%s", code, apptest.Grep(body, "error"))
		}
	})
}

// At the desk, in French: a manager opens Moulay Rachid's field to
// schools (who books, a school quota), keeps its youth share for schools
// acting as such, and cannot then close the field to schools while the
// group is kept for them: the refusal is on "who books".
func TestTheDeskOpensAFacilityToSchools(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		rules := "/bookings/desk/facilities/moulay-rachid-field-1"
		code, body, _ := mgr.Get(rules)
		if code != http.StatusOK || !strings.Contains(body, `name="who" value="citizen" checked`) || !strings.Contains(body, `name="who" value="school">`) ||
			!strings.Contains(body, "Écoles, par leur directeur ou directrice") {
			t.Fatalf("the rules form's who books: %d\n%s", code, apptest.Grep(body, `name="who"`))
		}
		form := url.Values{"version": {regexpVersion(body)}, "horizon_days": {"7"}, "release": {"08:00"}, "min_notice_hours": {"2"},
			"cancel_hours": {"24"}, "max_future": {"3"}, "confirm_hours": {"4"}, "quota_citizen_week": {"2"}, "quota_citizen_month": {"6"},
			"quota_school_week": {"3"}, "peak_window_hours": {"24"}, "who_shown": {"1"}, "who": {"citizen", "association", "school"}}
		if code, _, h := mgr.Post(rules, rules, form); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=rules") {
			t.Fatalf("opening the field to schools: %d", code)
		}
		_, body, _ = mgr.Get(rules)
		if !strings.Contains(body, `name="who" value="school" checked`) || !strings.Contains(body, `name="quota_school_week" type="text" dir="ltr" inputmode="numeric" value="3"`) {
			t.Fatalf("the rules after the change:\n%s", apptest.Grep(body, "school"))
		}
		groups := rules + "/groups"
		_, body, _ = mgr.Get(groups + "?group=youth")
		if !strings.Contains(body, `<option value="school">les écoles</option>`) {
			t.Fatalf("the group form's who:\n%s", apptest.Grep(body, "option"))
		}
		youth := url.Values{"version": {regexpVersion(body)}, "action": {"save"}, "code": {"youth"}, "name_ar": {"الشباب أقل من 18 سنة"},
			"name_fr": {"Jeunes de moins de 18 ans"}, "name_en": {"Young people under 18"}, "share": {"30"}, "who": {"school"}}
		if code, _, h := mgr.Post(groups, groups, youth); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=group") {
			t.Fatalf("binding the youth share to schools: %d", code)
		}
		_, body, _ = mgr.Get(rules)
		form.Set("version", regexpVersion(body))
		form["who"] = []string{"citizen", "association"}
		form.Del("quota_school_week")
		code, body, _ = mgr.Post(rules, rules, form)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#who"`) || !strings.Contains(body, "Le groupe « youth » est réservé à « school »") {
			t.Fatalf("closing the field to schools its group is kept for: %d\n%s", code, apptest.Grep(body, "error"))
		}
	})
}
