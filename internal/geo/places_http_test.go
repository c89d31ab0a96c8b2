package geo_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/geo/geodemo"
	"madina/internal/platform/db"
)

// TestPlacesOverHTTP: the demonstration's directory, as a visitor finds
// it — searched by a word of a name however it is spelt, filtered,
// paged, each place with its page and hours; as the portal's layer; and
// as the demonstration's editor keeps it: a place added with its mistakes
// told in the reader's language, changed, and a file imported, its
// mistakes listed with their lines and nothing changed. A citizen sees no
// editing.
func TestPlacesOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	base := apptest.Serve(t, a)
	visitor := apptest.NewBrowser(t, base)
	visitor.SetLang("fr")

	code, body, _ := visitor.Get("/places")
	if code != http.StatusOK || !strings.Contains(body, "Annuaire des lieux") || strings.Contains(body, "/places/new") {
		t.Fatalf("the directory: %d\n%s", code, apptest.Grep(body, "places"))
	}
	code, body, _ = visitor.Get("/places?q=" + url.QueryEscape("SIEGE sidi othmane"))
	if code != http.StatusOK || !strings.Contains(body, `href="/places/siege-sidi-othmane"`) || !strings.Contains(body, "1 à 1 sur 1") {
		t.Errorf("searching the office of Sidi Othmane: %d\n%s", code, apptest.Grep(body, "places/"))
	}
	visitor.SetLang("ar")
	code, body, _ = visitor.Get("/places?category=sports-field&arrondissement=sidi-othmane")
	if code != http.StatusOK || strings.Count(body, `href="/places/sports-field-sidi-othmane-`) != 15 {
		t.Errorf("the sports fields of Sidi Othmane: %d, %d links", code, strings.Count(body, `href="/places/sports-field-sidi-othmane-`))
	}
	code, body, _ = visitor.Get("/places?category=transport")
	if code != http.StatusOK || !strings.Contains(body, `rel="next"`) || strings.Count(body, `href="/places/transport-`) != 30 {
		t.Errorf("the first page of the bus stops: %d", code)
	}
	code, body, _ = visitor.Get("/places/siege-sidi-othmane")
	if code != http.StatusOK || !strings.Contains(body, "مقر مقاطعة سيدي عثمان") || !strings.Contains(body, "08:30–16:30") || !strings.Contains(body, "openstreetmap.org") {
		t.Errorf("the office's page: %d\n%s", code, apptest.Grep(body, "hours"))
	}
	if code, _, _ := visitor.Get("/places/nowhere"); code != http.StatusNotFound {
		t.Errorf("a place that is not: %d", code)
	}
	if code, _, h := visitor.Get("/places/new"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
		t.Errorf("the form, signed out: %d %s", code, h.Get("Location"))
	}

	// The layer: every place of the demonstration, by pages of the portal.
	total := 17 + 16*geodemo.PerArrondissement()
	code, body, _ = visitor.Get("/ogc/collections/places/items?f=json&limit=1&category=arrondissement-office&arrondissement=anfa")
	var fc struct {
		NumberMatched int
		Features      []struct {
			ID         string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || code != 200 || fc.NumberMatched != 1 || fc.Features[0].ID != "siege-anfa" ||
		fc.Features[0].Properties["name_fr"] != "Siège de l’arrondissement Anfa" {
		t.Errorf("Anfa's office on the layer: %d %v\n%.500s", code, err, body)
	}
	_, body, _ = visitor.Get("/ogc/collections/places/items?f=json&limit=1")
	if err := json.Unmarshal([]byte(body), &fc); err != nil || fc.NumberMatched != total {
		t.Errorf("the layer holds %d places, want %d (%v)", fc.NumberMatched, total, err)
	}

	// A citizen edits nothing.
	citizen := apptest.NewBrowser(t, base)
	citizen.SignIn("fatima.benali@example.ma", false)
	if code, _, _ := citizen.Get("/places/new"); code != http.StatusNotFound {
		t.Errorf("a citizen's form to add a place: %d", code)
	}
	if code, _, _ := citizen.Get("/places/siege-anfa/edit"); code != http.StatusNotFound {
		t.Errorf("a citizen's form to change a place: %d", code)
	}

	// The editor adds a place: its mistakes first, in French.
	ed := apptest.NewBrowser(t, base)
	ed.SignIn("zineb.tahiri@example.ma", true)
	ed.SetLang("fr")
	if _, body, _ := ed.Get("/places"); !strings.Contains(body, `href="/places/new"`) {
		t.Error("the editor is not offered to add a place")
	}
	form := url.Values{"code": {"piscine-sidi-othmane"}, "category": {"sports-hall"}, "name_ar": {"مسبح سيدي عثمان"},
		"name_fr": {"Piscine de Sidi Othmane"}, "name_en": {""}, "lat": {"34.02"}, "lon": {"-6.83"}, "hours": {"Lu-Ve 9h-18h"}}
	code, body, _ = ed.Post("/places/new", "/places/new", form)
	for _, want := range []string{"Saisissez le nom dans cette langue.", "Les horaires ne sont pas compris", "Cet emplacement est en dehors"} {
		if !strings.Contains(body, want) {
			t.Errorf("the mistakes of the new place (%d): no %q", code, want)
		}
	}
	if code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
		t.Errorf("the mistaken place: %d", code)
	}
	if code, _, _ := visitor.Get("/places/piscine-sidi-othmane"); code != http.StatusNotFound {
		t.Errorf("a mistaken place was saved: %d", code)
	}
	form.Set("name_en", "Sidi Othmane swimming pool")
	form.Set("lat", "33,5660")
	form.Set("lon", "-7,5580")
	form.Set("hours", "Mo-Sa 09:00-18:00")
	code, _, h := ed.Post("/places/new", "/places/new", form)
	if code != http.StatusSeeOther || h.Get("Location") != "/places/piscine-sidi-othmane?done=1" {
		t.Fatalf("the new place: %d %s", code, h.Get("Location"))
	}
	_, body, _ = ed.Get("/places/piscine-sidi-othmane?done=1")
	if !strings.Contains(body, "Le lieu est enregistré.") || !strings.Contains(body, "Sidi Othmane</dd>") || !strings.Contains(body, "/places/piscine-sidi-othmane/edit") {
		t.Errorf("the new place's page:\n%s", apptest.Grep(body, "dd"))
	}
	// Changed, then a change on the page read before it is refused.
	_, page, _ := ed.Get("/places/piscine-sidi-othmane/edit")
	// Its typed coordinates are the form; the map (when the build has
	// Leaflet) only fills them, and draws no outline for a place.
	for _, want := range []string{`id="lat" name="lat" type="text" value="33.566"`, `id="lon" name="lon" type="text" value="-7.558"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the place's form has no %s", want)
		}
	}
	if strings.Contains(page, "data-location-map") && (!strings.Contains(page, `data-lat="lat" data-lon="lon"`) ||
		strings.Contains(page, "data-shape") || strings.Contains(page, "location-mode") || strings.Contains(page, "data-window")) {
		t.Errorf("the place's map is not a point's:\n%s", apptest.Grep(page, "data-location-map"))
	}
	change := url.Values{}
	for k, v := range form {
		change[k] = v
	}
	change.Set("version", "1")
	change.Set("phone", "+212 522 33 44 55")
	if code, _, _ := ed.Post("/places/piscine-sidi-othmane/edit", "/places/piscine-sidi-othmane/edit", change); code != http.StatusSeeOther {
		t.Errorf("the change: %d", code)
	}
	change.Set("phone", "+212 522 99 99 99")
	code, body, _ = ed.Post("/places/piscine-sidi-othmane/edit", "/places/piscine-sidi-othmane/edit", change)
	if code != http.StatusConflict || !strings.Contains(body, "Quelqu’un d’autre a modifié ce lieu") {
		t.Errorf("a stale change: %d\n%s", code, apptest.Grep(body, "error"))
	}
	if !strings.Contains(page, `name="version" value="1"`) {
		t.Errorf("the form does not carry the version it shows")
	}
	if code, body, _ := visitor.Get("/places/piscine-sidi-othmane"); !strings.Contains(body, "212 522 33 44 55") {
		t.Errorf("the changed phone is not on the page: %d\n%s", code, apptest.Grep(body, "tel:"))
	}

	// A file with mistakes: each listed with its line, in Arabic; nothing changes.
	ed.SetLang("ar")
	bad := "code,category,name_ar,name_fr,name_en,lat,lon\n" +
		"parc-a,park,حديقة أ,Parc A,Park A,33.57,-7.60\n" +
		"parc-b,zoo,حديقة ب,Parc B,Park B,33.57,-7.61\n"
	upload := func(name, content string) (int, string) {
		t.Helper()
		_, page, _ := ed.Get("/places/import")
		m := apptest.CSRFRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the import page has no form")
		}
		code, body, _ := ed.PostMultipart("/places/import", url.Values{"csrf_token": {m[1]}}, "file", name, []byte(content))
		return code, body
	}
	code, body = upload("parcs.csv", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "السطر 3") || !strings.Contains(body, "اختر نوع المكان من القائمة") ||
		!strings.Contains(body, "لم يتغير شيء في الدليل") {
		t.Errorf("a file with a mistake: %d\n%s", code, apptest.Grep(body, "السطر"))
	}
	if code, _, _ := visitor.Get("/places/parc-a"); code != http.StatusNotFound {
		t.Errorf("a file with a mistake changed the directory: %d", code)
	}
	good := strings.Replace(bad, ",zoo,", ",park,", 1)
	code, body = upload("parcs.csv", good)
	if code != http.StatusOK || !strings.Contains(body, "2 مكانا جديدا") {
		t.Errorf("the corrected file: %d\n%s", code, apptest.Grep(body, "parcs.csv"))
	}
	if code, _, _ := visitor.Get("/places/parc-b"); code != http.StatusOK {
		t.Errorf("the imported park: %d", code)
	}
	if miss := apptest.Untranslated(a); len(miss) > 0 {
		t.Errorf("untranslated: %v", miss)
	}
}
