package identity_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// A director registers their school from the legal persons' page: a bad
// establishment code is explained on its field, in French, what was typed
// kept; the school is then listed with its code and the director's role,
// and the page offers to claim an already registered school.
func TestSchoolRegistrationOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		rachida := apptest.Join(t, a, srv.URL, "rachida@example.ma", "BK7101", i18n.FR)

		if code, body, _ := rachida.Get("/me/legal"); code != 200 || !strings.Contains(body, `href="/me/legal/new/school"`) || !strings.Contains(body, `href="/me/legal/claim/school"`) {
			t.Fatalf("the legal persons' page offers no school: %d", code)
		}
		if code, body, _ := rachida.Get("/me/legal/new/school"); code != 200 || !strings.Contains(body, `name="school_code"`) || !strings.Contains(body, "Directeur ou directrice") ||
			strings.Contains(body, `name="ice"`) || strings.Contains(body, `name="association_number"`) {
			t.Fatalf("the school's form: %d", code)
		}
		school := url.Values{"name": {"École primaire Ibn Khaldoun"}, "name_ar": {"مدرسة ابن خلدون"}, "school_code": {"2107-4"}, "role": {"director"}}
		code, body, _ := rachida.Post("/me/legal/new/school", "/me/legal/new/school", school)
		if code != http.StatusBadRequest || !strings.Contains(body, `id="school_code-error"`) || !strings.Contains(body, "Code d’établissement invalide") ||
			!strings.Contains(body, `value="École primaire Ibn Khaldoun"`) {
			t.Fatalf("bad code: %d", code)
		}
		school.Set("school_code", "21074v")
		if code, _, h := rachida.Post("/me/legal/new/school", "/me/legal/new/school", school); code != http.StatusSeeOther || h.Get("Location") != "/me/legal?done=registered" {
			t.Fatalf("register: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := rachida.Get("/me/legal"); !strings.Contains(body, "École primaire Ibn Khaldoun") || !strings.Contains(body, "21074V") ||
			!strings.Contains(body, "Code d’établissement") || !strings.Contains(body, "Directeur ou directrice") {
			t.Fatal("the school is not listed with its code and role")
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM legal_persons WHERE kind = 'school' AND school_code = '21074V'`); n != 1 {
			t.Fatalf("%d schools stored", n)
		}
	})
}
