package geo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/geo"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
)

// TestLocate: GET /api/v1/locate assigns a point of the city to its
// arrondissement — a point at Sidi Othmane's window and one at Anfa's
// come back with their arrondissement, prefecture, window and the city's
// window, and the answer matches the API document; Arabic-Indic digits
// and a decimal comma are read. Bad input — no coordinates, words, a
// latitude of 91, a point in the ocean, an unknown parameter — is a 400
// naming the field, in the reader's language.
func TestLocate(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		contract := apptest.Contract(t, a)
		get := func(target, lang string) apptest.Resp {
			t.Helper()
			r := apptest.Do(t, a.Handler, http.MethodGet, target, nil, "Accept", "application/json", "Accept-Language", lang)
			if err := contract.Response(http.MethodGet, strings.SplitN(target, "?", 2)[0], r.Code, r.Header, []byte(r.Body)); err != nil {
				t.Errorf("%s: the answer departs from the API document: %v", target, err)
			}
			return r
		}
		for _, c := range []struct{ lat, lon, arr, prefecture, window string }{
			{"33.5667", "-7.5583", "sidi-othmane", "moulay-rachid", "sidi-othmane"},
			{"33.5897", "-7.633", "anfa", "casablanca-anfa", "anfa"},
			{"٣٣٫٥٦٦٧", "-7,5583", "sidi-othmane", "moulay-rachid", "sidi-othmane"},
		} {
			r := get("/api/v1/locate?lat="+c.lat+"&lon="+c.lon, "fr")
			if r.Code != http.StatusOK {
				t.Fatalf("locate %s,%s: %d %s", c.lat, c.lon, r.Code, r.Body)
			}
			var got geo.Located
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatal(err)
			}
			if got.Arrondissement.Code != c.arr || got.Prefecture.Code != c.prefecture || got.Window.Code != c.window ||
				got.CityWindow.Kind != "city" || got.Arrondissement.Name.FR == "" || got.Window.Name.AR == "" {
				t.Errorf("locate %s,%s = %+v, want %s in %s, window %s and the city's", c.lat, c.lon, got, c.arr, c.prefecture, c.window)
			}
		}
		// Each bad request, with a word of its message in each language.
		for _, c := range []struct {
			query, field string
			words        map[string]string
		}{
			{"", "lat", map[string]string{"fr": "degrés décimaux", "en": "decimal number", "ar": "عشريًا"}},
			{"lat=north&lon=-7.6", "lat", map[string]string{"fr": "degrés décimaux", "en": "decimal number", "ar": "عشريًا"}},
			{"lat=91&lon=-7.6", "lat", map[string]string{"fr": "entre -90 et 90", "en": "-90", "ar": "90"}},
			{"lat=33.57&lon=-181", "lon", map[string]string{"fr": "entre -180 et 180", "en": "180", "ar": "180"}},
			{"lat=33.9&lon=-8.2", "lat", map[string]string{"fr": "hors du territoire", "en": "outside", "ar": "خارج"}},
			{"lat=33.57&lon=-7.6&zoom=3", "zoom", map[string]string{"fr": "« zoom »", "en": "\"zoom\"", "ar": "«zoom»"}},
		} {
			for lang, word := range c.words {
				r := get("/api/v1/locate?"+c.query, lang)
				if r.Code != http.StatusBadRequest {
					t.Errorf("locate?%s (%s): %d, want 400: %s", c.query, lang, r.Code, r.Body)
					continue
				}
				var p struct {
					Detail, Title string
					Errors        []struct{ Field, Detail string }
				}
				_ = json.Unmarshal([]byte(r.Body), &p)
				text := p.Detail + " " + p.Title
				fields := ""
				for _, e := range p.Errors {
					text += " " + e.Detail
					fields += e.Field + " "
				}
				if !strings.Contains(text, word) || !strings.Contains(fields, c.field) {
					t.Errorf("locate?%s (%s): %s — want %q about %s", c.query, lang, r.Body, word, c.field)
				}
			}
		}
		if u := apptest.Untranslated(a); len(u) > 0 {
			t.Errorf("untranslated: %v", u)
		}
	})
}

// TestMapPage: /map is a page in the reader's language whose map reads
// the portal's layers, lists every arrondissement for the filter, names
// the tiles it draws (OpenStreetMap's by default, none when set so) and
// lets the page load them and nothing else from elsewhere; without
// JavaScript it links to the OGC lists, one per arrondissement too.
func TestMapPage(t *testing.T) {
	for _, c := range []struct {
		tiles, want, csp string
	}{
		{"", config.DefaultMapTiles, "img-src 'self' data: https://tile.openstreetmap.org;"},
		{"none", `data-tiles=""`, "img-src 'self' data:;"},
		{"https://{s}.tiles.example.org/{z}/{x}/{y}.png", "https://{s}.tiles.example.org/{z}/{x}/{y}.png", "img-src 'self' data: https://*.tiles.example.org;"},
	} {
		a := apptest.New(t, db.SQLite, apptest.Config(func(cfg *config.Config) { cfg.MapTiles = c.tiles }))
		for _, lang := range []string{"ar", "fr", "en"} {
			r := apptest.Do(t, a.Handler, http.MethodGet, "/map", nil, "Accept", "text/html", "Accept-Language", lang)
			if r.Code != http.StatusOK {
				t.Fatalf("/map (%s): %d", lang, r.Code)
			}
			for _, want := range []string{c.want, `href="/ogc/collections/projects/items?f=html&amp;arrondissement=sidi-othmane"`,
				`<option value="sidi-othmane">`, `href="/ogc/collections/arrondissements/items?f=html"`} {
				if !strings.Contains(r.Body, want) {
					t.Errorf("/map (%s, tiles %q) lacks %s", lang, c.tiles, want)
				}
			}
			if got := r.Header.Get("Content-Security-Policy"); !strings.Contains(got, c.csp) || !strings.Contains(got, "script-src 'self';") {
				t.Errorf("/map (tiles %q): policy %q, want %q", c.tiles, got, c.csp)
			}
		}
		if u := apptest.Untranslated(a); len(u) > 0 {
			t.Errorf("untranslated: %v", u)
		}
	}
	for _, bad := range []string{"ftp://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/tile.png", "tiles"} {
		if _, err := geo.ParseTiles(bad, ""); err == nil {
			t.Errorf("ParseTiles(%q) took it", bad)
		}
	}
}

// TestGeocode: the parcel step's search over HTTP, on the demonstration —
// an architect finds the parcel of an earlier file by its land title;
// an anonymous visitor finds places but nobody's parcel; bad searches
// are refused in each language; every answer is what the API document
// says.
func TestGeocode(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	base := apptest.Serve(t, a)
	contract := apptest.Contract(t, a)
	var number, email, fields string
	if err := a.DB.QueryRowContext(context.Background(), `SELECT COALESCE(f.number, f.ref), p.email, f.fields FROM permit_files f
		JOIN persons p ON p.id = f.created_by WHERE p.email = 'omar.berrada@example.ma' AND f.location IS NOT NULL AND f.location <> ''
		AND f.fields LIKE '%land_title%'
		ORDER BY f.id LIMIT 1`).Scan(&number, &email, &fields); err != nil {
		t.Fatal(err)
	}
	var values map[string]string
	if err := json.Unmarshal([]byte(fields), &values); err != nil || values["land_title"] == "" {
		t.Fatalf("the demonstration file %s's fields: %s", number, fields)
	}
	title := values["land_title"]
	// The pages' maps search at /map/search, with the session; the API's
	// clients at /api/v1/geocode, with a token. The answers are the same.
	search := func(b *apptest.Browser, path, q string, lang string) (int, []geo.Found, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path+"?q="+url.QueryEscape(q), nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Accept-Language", lang)
		res, err := b.C.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if err := contract.Response(http.MethodGet, "/api/v1/geocode", res.StatusCode, res.Header, body); err != nil && path == "/api/v1/geocode" {
			t.Errorf("%q: the answer departs from the API document: %v", q, err)
		}
		if res.StatusCode == http.StatusOK && !strings.Contains(res.Header.Get("Cache-Control"), "private") {
			t.Errorf("%q: a visitor's own parcels cached as %q", q, res.Header.Get("Cache-Control"))
		}
		var out struct{ Results []geo.Found }
		_ = json.Unmarshal(body, &out)
		return res.StatusCode, out.Results, string(body)
	}

	architect := apptest.NewBrowser(t, base)
	architect.SignIn(email, false)
	code, found, body := search(architect, "/map/search", title, "fr")
	if code != http.StatusOK || len(found) == 0 || found[0].Kind != "parcel" || !strings.Contains(found[0].Label, title) ||
		!strings.Contains(found[0].Label, "Titre foncier") || found[0].Geometry.IsZero() {
		t.Fatalf("%s searching the land title %q of their file %s: %d %s", email, title, number, code, body)
	}

	anyone := apptest.NewBrowser(t, base)
	for _, path := range []string{"/map/search", "/api/v1/geocode"} {
		if _, found, body := search(anyone, path, title, "fr"); len(found) != 0 && found[0].Kind == "parcel" {
			t.Errorf("%s: an anonymous visitor finds a parcel: %s", path, body)
		}
		if _, found, body := search(anyone, path, "anfa", "ar"); len(found) == 0 || found[0].Kind != "place" || found[0].Arrondissement == "" {
			t.Errorf("%s: the places named Anfa: %s", path, body)
		}
	}
	// The gazetteer's addresses (the demonstration's, fictional), however
	// typed: after the parcels, before the places.
	var arr string
	if err := a.DB.QueryRowContext(context.Background(), `SELECT arrondissement_code FROM addresses WHERE label = '7, rue Ibn Batouta'`).Scan(&arr); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, q, lang, label string }{
		{"/api/v1/geocode", "7 RUE ibn batouta", "fr", "7, rue Ibn Batouta"},
		{"/map/search", "7, rue Ibn-Batouta", "en", "7, rue Ibn Batouta"},
		{"/api/v1/geocode", "٥ زنقه ابن زيدون", "ar", "5 زنقة ابن زيدون"},
	} {
		_, found, body := search(anyone, c.path, c.q, c.lang)
		if len(found) == 0 || found[0].Kind != "address" || found[0].Label != c.label || found[0].Geometry.Type != "Point" ||
			found[0].Arrondissement == "" || found[0].Detail == "" {
			t.Errorf("%s %q: %s", c.path, c.q, body)
		}
	}
	if _, found, body := search(anyone, "/api/v1/geocode", "7 rue ibn batouta", "fr"); len(found) == 0 || found[0].Arrondissement != arr {
		t.Errorf("the address's arrondissement: want %s, %s", arr, body)
	}
	if _, found, body := search(architect, "/map/search", title, "fr"); len(found) == 0 || found[0].Kind != "parcel" {
		t.Errorf("the parcel before any address: %s", body)
	}
	// The API ignores the session: the architect's cookie finds nothing
	// of theirs there.
	if _, found, body := search(architect, "/api/v1/geocode", title, "fr"); len(found) != 0 && found[0].Kind == "parcel" {
		t.Errorf("the API answered a session's parcels: %s", body)
	}
	for _, c := range []struct {
		q     string
		words map[string]string
	}{
		{"  ", map[string]string{"fr": "Tapez ce que vous cherchez", "en": "Type what you are looking for", "ar": "اكتب ما تبحث عنه"}},
		{strings.Repeat("أ", 201), map[string]string{"fr": "200 caractères", "en": "200 characters", "ar": "200"}},
	} {
		for lang, word := range c.words {
			if code, _, body := search(anyone, "/api/v1/geocode", c.q, lang); code != http.StatusBadRequest || !strings.Contains(body, word) {
				t.Errorf("%.20q in %s: %d %s", c.q, lang, code, body)
			}
		}
	}
	if code, _, _ := anyone.Get("/api/v1/geocode?q=anfa&zoom=3"); code != http.StatusBadRequest {
		t.Errorf("an unknown parameter: %d", code)
	}
}
