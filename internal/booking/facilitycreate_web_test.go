package booking_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// A facility manager adds a facility at the desk, in French: each
// mistake on its field (400, never 500), then the facility created leads
// to its hours page; the public list of its arrondissement shows it, its
// page says it is not open yet, and once its hours are set it has slots.
// A citizen does not reach the form.
func TestTheDeskCreatesAFacilityOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		const page = "/bookings/desk/facilities/new"

		if _, body, _ := mgr.Get("/bookings/desk"); !strings.Contains(body, `href="`+page+`"`) {
			t.Errorf("the desk has no link to the new facility's form")
		}
		code, body, _ := mgr.Get(page)
		if code != http.StatusOK || !strings.Contains(body, `name="name_ar"`) || !strings.Contains(body, `value="coworking"`) ||
			strings.Contains(body, `value="ambulance"`) {
			t.Fatalf("the form: %d\n%s", code, apptest.Grep(body, "kind"))
		}
		bad := url.Values{"org": {"moulay-rachid"}, "kind": {"sports_field"}, "name_fr": {"Terrain Essalam"}, "address_fr": {"Hay Essalam"},
			"lat": {"34.0209"}, "lon": {"abc"}, "capacity": {"0"}, "slot_minutes": {"60"}}
		code, body, _ = mgr.Post(page, page, bad)
		for _, want := range []string{`href="#name_ar"`, `href="#lon"`, `href="#capacity"`, "Indiquez le nom de l&#39;équipement en arabe",
			"de 1 à 10", `value="Terrain Essalam"`} {
			if code != http.StatusBadRequest || !strings.Contains(body, want) {
				t.Errorf("bad fields: %d, no %s\n%s", code, want, apptest.Grep(body, "error"))
			}
		}
		// A point outside Casablanca (Rabat).
		bad.Set("name_ar", "ملعب السلام")
		bad.Set("lon", "-6.8416")
		bad.Set("capacity", "12")
		code, body, _ = mgr.Post(page, page, bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#lat"`) {
			t.Fatalf("a point in Rabat: %d\n%s", code, apptest.Grep(body, "error"))
		}
		// Another arrondissement's organisation: nothing there.
		other := apptest.CloneForm(bad)
		other.Set("org", "maarif")
		if code, _, _ := mgr.Post(page, page, other); code != http.StatusNotFound {
			t.Errorf("Maarif's facility created by Moulay Rachid's manager: %d", code)
		}
		good := apptest.CloneForm(bad)
		good.Set("lat", "33,5690")
		good.Set("lon", "-7.5120")
		code, _, h := mgr.Post(page, page, good)
		const fcode = "moulay-rachid-terrain-essalam"
		hours := "/bookings/desk/facilities/" + fcode + "/hours"
		if code != http.StatusSeeOther || h.Get("Location") != hours+"?done=created" {
			t.Fatalf("created: %d %s", code, h.Get("Location"))
		}
		if code, body, _ := mgr.Get(hours + "?done=created"); code != http.StatusOK || !strings.Contains(body, "Équipement créé") {
			t.Fatalf("the hours page after the creation: %d", code)
		}

		visitor := apptest.NewBrowser(t, base)
		visitor.SetLang(i18n.FR)
		if _, body, _ := visitor.Get("/bookings/places?arrondissement=moulay-rachid"); !strings.Contains(body, "/bookings/places/"+fcode) {
			t.Errorf("the public list does not show the new field:\n%s", apptest.Grep(body, "/bookings/places/"))
		}
		if code, body, _ := visitor.Get("/bookings/places/" + fcode); code != http.StatusOK || !strings.Contains(body, "pas encore ouvert") {
			t.Errorf("the new field's page: %d\n%s", code, apptest.Grep(body, "ouvert"))
		}

		// Its hours open it.
		_, body, _ = mgr.Get(hours)
		form := url.Values{"version": {regexpVersion(body)}, "slot_minutes": {"60"}}
		for _, d := range []string{"1", "2", "3", "4", "5", "6", "7"} {
			form.Set("open_"+d, "08:00")
			form.Set("close_"+d, "22:00")
		}
		if code, _, h := mgr.Post(hours, hours, form); code != http.StatusSeeOther {
			t.Fatalf("its hours: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := visitor.Get("/bookings/places/" + fcode); strings.Contains(body, "pas encore ouvert") || !strings.Contains(body, "08:00") {
			t.Errorf("open, the new field has no slots:\n%s", apptest.Grep(body, "08:00"))
		}

		// In Arabic, the default.
		mgr.SetLang(i18n.AR)
		if code, body, _ := mgr.Get(page); code != http.StatusOK || !strings.Contains(body, "مرفق جديد") || !strings.Contains(body, "ملعب القرب") {
			t.Errorf("the form in Arabic: %d", code)
		}

		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		if code, _, _ := fatima.Get(page); code != http.StatusNotFound {
			t.Errorf("a citizen opened the form: %d", code)
		}
	})
}
