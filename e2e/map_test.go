package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/platform/db"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/i18n"
)

// waitJS waits up to seconds for the JavaScript condition cond to hold on
// tb's page, and reports whether it did.
func waitJS(tb *tab, cond string, seconds int) bool {
	tb.t.Helper()
	return eval[bool](tb, `new Promise(ok => { const t0 = Date.now(); (function f() {
		let v = false; try { v = !!(`+cond+`); } catch (_) {}
		if (v) ok(true); else if (Date.now() - t0 > `+strconv.Itoa(seconds*1000)+`) ok(false); else setTimeout(f, 100);
	})(); })`)
}

// clickMap clicks the Leaflet map of the element root (a CSS selector) at
// the pixel offset (dx, dy) from its centre, as a finger would.
func clickMap(tb *tab, root string, dx, dy float64) {
	tb.t.Helper()
	at := eval[[]float64](tb, `(() => { const e = document.querySelector(`+strconv.Quote(root)+` + ' .leaflet-container');
		e.scrollIntoView({block: 'center'}); const c = e.getBoundingClientRect();
		return [c.left + c.width / 2, c.top + c.height / 2]; })()`)
	x, y := at[0]+dx, at[1]+dy
	tb.do(chromedp.MouseClickXY(x, y))
}

// geolocate sets what the tab's browser answers a page that asks for its
// position: allowed, at (lat, lon); or refused, as when the person says
// no to the browser's question.
func geolocate(tb *tab, allow bool, lat, lon float64) {
	tb.t.Helper()
	c := chromedp.FromContext(tb.ctx)
	setting := cdpbrowser.PermissionSettingDenied
	if allow {
		setting = cdpbrowser.PermissionSettingGranted
	}
	accuracy := 10.0
	tb.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: string(cdpbrowser.PermissionTypeGeolocation)},
			Setting:    setting, Origin: tb.base, BrowserContextID: c.BrowserContextID}); err != nil {
			return fmt.Errorf("setting the geolocation permission: %w", err)
		}
		_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
			Latitude: &lat, Longitude: &lon, Accuracy: &accuracy})
		return err
	}))
}

// nearPlace is a place of the directory and its distance from a point.
type nearPlace struct {
	name     string
	distance float64 // metres
}

// placesNear are the places of the portal's layer within radius metres
// of (lat, lon), nearest first, read from the OGC API like any client;
// distances on Leaflet's sphere (haversine, R = 6,371 km).
func placesNear(t *testing.T, base string, lat, lon, radius float64) []nearPlace {
	t.Helper()
	resp, err := http.Get(base + "/ogc/collections/places/items?f=json&limit=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Features []struct {
			Geometry struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
		NumberMatched int `json:"numberMatched"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the places' layer: %d %v", resp.StatusCode, err)
	}
	if len(doc.Features) != doc.NumberMatched {
		t.Fatalf("the places' layer gave %d of %d places in one page", len(doc.Features), doc.NumberMatched)
	}
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	var out []nearPlace
	for _, f := range doc.Features {
		c := f.Geometry.Coordinates
		dLat, dLon := rad(c[1]-lat), rad(c[0]-lon)
		a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(lat))*math.Cos(rad(c[1]))*math.Sin(dLon/2)*math.Sin(dLon/2)
		d := 6371000 * 2 * math.Atan2(math.Sqrt(a), math.Sqrt(1-a))
		if d <= radius {
			name, _ := f.Properties["name_fr"].(string)
			out = append(out, nearPlace{name, d})
		}
	}
	slices.SortFunc(out, func(a, b nearPlace) int { return int(math.Copysign(1, a.distance-b.distance)) })
	return out
}

// metres reads a distance as the French page writes it: "350 m",
// "1,2 km" (with whatever spaces Intl puts in).
func metres(s string) (float64, bool) {
	m := regexp.MustCompile(`^([0-9]+(?:,[0-9])?)\s*(m|km)$`).FindStringSubmatch(strings.Join(strings.Fields(strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)), " "))
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
	if err != nil {
		return 0, false
	}
	if m[2] == "km" {
		n *= 1000
	}
	return n, true
}

// TestMapJourney: the city's map in a browser without network (no tiles:
// outlines and points on a plain background). A visitor opens /map,
// turns the projects' layer off and on, filters to Sidi Othmane and sees
// exactly the projects the OGC API lists there; Sidi Othmane's president
// grants a permit in another browser, and the project appears on the
// visitor's map within seconds without a reload. On a phone, "near me"
// (Chromium's position overridden) lists the five nearest places with
// their distances, as computed from the OGC API; refused, it says so.
// Then a citizen starts a new file (a repair permit), draws the parcel's
// outline on the form's map, is told at once it lies in Sidi Othmane, and
// saves: the file keeps the outline and the arrondissement; "use my
// location" then moves the point to Anfa and names its window. Last, the
// editor adds a place on the same map (a point only): refused, then
// allowed, her position, a tap, saved where the map said; its form at
// 390 and 1366 px in Arabic and French overflows nothing.
func TestMapJourney(t *testing.T) {
	needAxe(t)
	ctx := context.Background()
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir, "--workers", "2")
	b := startBrowser(t)
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "madina.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	const fr = i18n.FR
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	// The demonstration's urban file awaiting the president's decision at
	// Sidi Othmane, with a location.
	var fileID int64
	var number string
	if err := d.QueryRowContext(ctx, `SELECT id, number FROM permit_files WHERE window_code = 'sidi-othmane'
		AND family = 'urban' AND state = 'accepted' AND step = 'decision' AND lon IS NOT NULL ORDER BY id LIMIT 1`).Scan(&fileID, &number); err != nil {
		t.Fatalf("the demonstration's permit to grant at Sidi Othmane: %v", err)
	}

	visitor := b.newTab(t, srv, desktop)
	visitor.setLanguage("fr")
	const m = "[data-portal-map]"
	step("the map shows the layers", func(t *testing.T) {
		v := visitor.in(t)
		v.open("/map", 200)
		if !waitJS(v, `document.querySelector('[data-portal-map]').dataset.ready === 'true'`, 15) {
			v.checkConsole("")
			t.Fatalf("the map did not load: %s", text(v, "#map-status"))
		}
		// Outlines on a plain background: the city's at least, no tile.
		// The city's and the sixteen arrondissements' outlines.
		if n := count(v, m+" path.map-outline"); n != 17 {
			t.Errorf("%d outlines drawn, want the city's and 16 arrondissements'", n)
		}
		if n := count(v, m+" .leaflet-tile"); n != 0 {
			t.Errorf("%d tiles with --map-tiles none", n)
		}
		all := eval[int](v, `fetch('/ogc/collections/projects/items?f=json&limit=1').then(r => r.json()).then(d => d.numberMatched)`)
		if got := eval[string](v, `document.querySelector('[data-portal-map]').dataset.shownProjects`); got != strconv.Itoa(all) || all == 0 {
			t.Errorf("the map shows %s projects, the OGC API lists %d", got, all)
		}
		if n := count(v, m+" .map-pin-project, "+m+" .map-cluster-project"); n == 0 {
			t.Errorf("no project marker or cluster on the map")
		}
		wantText(v, "#map-status", strings.NewReplacer("{projects}", strconv.Itoa(all)).Replace(strings.Split(cat.T(fr, "geo.map.shown"), " et ")[0]))
		v.checkAxe()
		v.checkConsole("")
	})

	step("toggle the projects' layer", func(t *testing.T) {
		v := visitor.in(t)
		v.do(chromedp.Click(chromedp.CSS("#layer-projects")))
		if !waitJS(v, `document.querySelectorAll('[data-portal-map] .map-pin-project, [data-portal-map] .map-cluster-project').length === 0`, 5) {
			t.Errorf("projects still drawn with their layer off")
		}
		v.do(chromedp.Click(chromedp.CSS("#layer-projects")))
		if !waitJS(v, `document.querySelectorAll('[data-portal-map] .map-pin-project, [data-portal-map] .map-cluster-project').length > 0`, 5) {
			t.Errorf("projects not drawn again with their layer on")
		}
		v.do(chromedp.Click(chromedp.CSS("#layer-arrondissements")))
		if n := count(v, m+" path.map-outline"); n != 0 {
			t.Errorf("%d outlines drawn with their layer off", n)
		}
		v.do(chromedp.Click(chromedp.CSS("#layer-arrondissements")))
	})

	step("filter to Sidi Othmane", func(t *testing.T) {
		v := visitor.in(t)
		v.do(chromedp.SetValue(chromedp.CSS("#filter-arrondissement"), "sidi-othmane"))
		eval[bool](v, `document.querySelector('#filter-arrondissement').dispatchEvent(new Event('change', {bubbles: true}))`)
		there := eval[int](v, `fetch('/ogc/collections/projects/items?f=json&limit=1&arrondissement=sidi-othmane').then(r => r.json()).then(d => d.numberMatched)`)
		if got := eval[string](v, `document.querySelector('[data-portal-map]').dataset.shownProjects`); got != strconv.Itoa(there) || there == 0 {
			t.Errorf("filtered to Sidi Othmane, the map shows %s projects; the OGC API lists %d there", got, there)
		}
		// The projects shown: each one of Sidi Othmane's.
		if bad := eval[int](v, `(() => { const g = document.querySelector('[data-portal-map]'); let n = 0;
			g.leafletMap.eachLayer(l => { if (l.feature && l.feature.p && l.feature.p.arrondissement !== 'sidi-othmane') n++; }); return n; })()`); bad != 0 {
			t.Errorf("%d projects of other arrondissements on the map filtered to Sidi Othmane", bad)
		}
		v.checkAxe()
	})

	step("a permit granted appears without reload", func(t *testing.T) {
		v := visitor.in(t)
		eval[bool](v, `(window.stillHere = true)`)
		before := eval[string](v, `document.querySelector('[data-portal-map]').dataset.shownProjects`)
		pres := b.newTab(t, srv, desktop)
		pres.setLanguage("fr")
		signIn(pres, "latifa.bouhlal@example.ma", true)
		page := fmt.Sprintf("/files/%d", fileID)
		pres.open(page, 200)
		submit(pres, "ask to grant", `form[method=get][action="`+page+`/grant"] button[type=submit]`)
		pres.do(chromedp.SendKeys(chromedp.CSS("#pin"), "246813"))
		submit(pres, "grant", `form[method=post][action="`+page+`/grant"] button[type=submit]`)
		wantText(pres, "main", cat.T(fr, "permit.files.done.granted"))
		if !waitJS(v, `document.querySelector('[data-portal-map]').dataset.live === `+strconv.Quote(number), 10) {
			t.Fatalf("the map did not receive %s within 10 s of its grant", number)
		}
		if !eval[bool](v, `window.stillHere === true`) {
			t.Errorf("the map page reloaded")
		}
		after := eval[string](v, `document.querySelector('[data-portal-map]').dataset.shownProjects`)
		b, _ := strconv.Atoi(before)
		if a, _ := strconv.Atoi(after); a != b+1 {
			t.Errorf("Sidi Othmane's projects on the map: %s, then %s after the grant", before, after)
		}
		if s := text(v, "#map-status"); !strings.Contains(s, number) {
			t.Errorf("the status does not announce %s: %q", number, s)
		}
		v.checkConsole("")
	})

	// Near me: the browser's position (Chromium's, overridden) at Sidi
	// Othmane's window.
	const nearLat, nearLon = 33.5667, -7.5583
	step("near me lists the nearest places", func(t *testing.T) {
		v := b.newTab(t, srv, phone390)
		v.setLanguage("fr")
		v.open("/map", 200)
		if !waitJS(v, `document.querySelector('[data-portal-map]').dataset.ready === 'true'`, 15) {
			t.Fatalf("the map did not load: %s", text(v, "#map-status"))
		}
		geolocate(v, true, nearLat, nearLon)
		v.do(chromedp.Click(chromedp.CSS("#map-near")))
		if !waitJS(v, `document.querySelector('[data-portal-map]').dataset.near !== undefined`, 10) {
			t.Fatalf("near me found nothing: the status says %q", text(v, "#map-status"))
		}
		want := placesNear(t, srv.URL, nearLat, nearLon, 2000)
		if len(want) == 0 {
			t.Fatal("the demonstration has no place within 2 km of Sidi Othmane's window")
		}
		want = want[:min(5, len(want))]
		wantText(v, "#map-status", cat.T(fr, "geo.map.near.list"))
		wantText(v, "#map-results h2", cat.T(fr, "geo.map.near.list"))
		names := texts(v, "#map-results li button")
		rows := texts(v, "#map-results li")
		if len(names) != len(want) {
			t.Fatalf("near me lists %q, want the %d nearest places %+v", names, len(want), want)
		}
		for i, w := range want {
			if names[i] != w.name {
				t.Errorf("near me, place %d: %q, want %q (%.0f m)", i+1, names[i], w.name, w.distance)
			}
			d, ok := metres(rows[i][strings.LastIndex(rows[i], " — ")+len(" — "):])
			if !ok {
				t.Errorf("near me, place %d: %q tells no distance", i+1, rows[i])
			} else if math.Abs(d-w.distance) > 10 && !(d >= 1000 && math.Abs(d-w.distance) <= 50) {
				t.Errorf("near me, place %d: %q, want about %.0f m", i+1, rows[i], w.distance)
			}
		}
		if n := count(v, "[data-portal-map] .map-pin-me"); n != 1 {
			t.Errorf("%d markers say where the visitor is, want 1", n)
		}
		// A place of the list opens on the map.
		v.do(chromedp.Click(chromedp.CSS("#map-results li button")))
		// Open, and faded in (Leaflet's popup fades in over 0.2 s: axe
		// would read its colours half-transparent).
		if !waitJS(v, `(() => { const p = document.querySelector('[data-portal-map] .leaflet-popup');
			return p && p.querySelector('.leaflet-popup-content') && getComputedStyle(p).opacity === '1'; })()`, 10) {
			t.Errorf("the nearest place's popup did not open")
		} else {
			wantText(v, "[data-portal-map] .leaflet-popup-content", want[0].name)
		}
		v.checkAxe()
		v.checkConsole("")
	})

	step("near me refused", func(t *testing.T) {
		v := b.newTab(t, srv, desktop)
		v.setLanguage("fr")
		v.open("/map", 200)
		if !waitJS(v, `document.querySelector('[data-portal-map]').dataset.ready === 'true'`, 15) {
			t.Fatalf("the map did not load: %s", text(v, "#map-status"))
		}
		geolocate(v, false, nearLat, nearLon)
		v.do(chromedp.Click(chromedp.CSS("#map-near")))
		denied := cat.T(fr, "geo.map.near.denied")
		if !waitJS(v, `document.querySelector('#map-status').textContent === `+strconv.Quote(denied), 10) {
			t.Errorf("with the position refused the status says %q, want %q", text(v, "#map-status"), denied)
		}
		if n := count(v, "[data-portal-map] .map-pin-me"); n != 0 {
			t.Errorf("a marker says where the visitor is, though the position was refused")
		}
		v.checkConsole("")
	})

	step("a new file's parcel drawn on the map", func(t *testing.T) {
		c := b.newTab(t, srv, desktop)
		c.setLanguage("fr")
		signIn(c, "fatima.benali@example.ma", false)
		c.open("/files/new", 200)
		c.do(chromedp.Click(chromedp.CSS("#kind-repair")))
		if count(c, `input[name="owner"]`) > 0 && count(c, `input[name="owner"]:checked`) == 0 {
			c.do(chromedp.Click(chromedp.CSS(`input[name="owner"]`)))
		}
		submit(c, "create the file", `form[action="/files"] button[type=submit]`)
		mm := regexp.MustCompile(`^/files/([0-9]+)\?done=created$`).FindStringSubmatch(c.path())
		if mm == nil {
			t.Fatalf("after creating the file at %s", c.path())
		}
		filePath := "/files/" + mm[1]
		const p = "[data-location-map]"
		if !waitJS(c, `!document.querySelector('[data-location-map]').hidden && document.querySelector('[data-location-map]').leafletMap`, 10) {
			t.Fatal("the parcel map is not shown")
		}
		c.checkAxe()
		// Typed coordinates centre the map (Sidi Othmane's window).
		c.do(chromedp.SendKeys(chromedp.CSS("#lat"), "33.5667"), chromedp.SendKeys(chromedp.CSS("#lon"), "-7.5583"))
		eval[bool](c, `document.querySelector('#lon').dispatchEvent(new Event('change', {bubbles: true}))`)
		if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === 'sidi-othmane'`, 10) {
			t.Fatalf("typed coordinates not located: %q", text(c, p+" .location-where"))
		}
		// Draw the outline: four corners, then finish.
		c.do(chromedp.Click(chromedp.CSS("#location-mode-polygon")))
		for _, xy := range [][2]float64{{-40, -30}, {40, -30}, {40, 30}, {-40, 30}} {
			clickMap(c, p, xy[0], xy[1])
		}
		if s := text(c, p+" .location-status"); !strings.Contains(s, "4") {
			t.Errorf("after four corners the status says %q", s)
		}
		c.do(chromedp.Click(chromedp.CSS(p + ` [data-act="finish"]`)))
		if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === 'sidi-othmane'`, 10) {
			t.Fatalf("the outline is not located: %q", text(c, p+" .location-where"))
		}
		gj := value(c, "#location")
		if !strings.Contains(gj, `"type":"Polygon"`) {
			t.Fatalf("the form's GeoJSON field holds %q", gj)
		}
		where := text(c, p+" .location-where")
		for _, want := range []string{"Sidi Othmane", "Guichet de l’urbanisme — arrondissement Sidi Othmane"} {
			if !strings.Contains(where, want) {
				t.Errorf("the map says %q, want %q", where, want)
			}
		}
		if got := value(c, "#arrondissement"); got != "sidi-othmane" {
			t.Errorf("the arrondissement chosen is %q", got)
		}
		submit(c, "save the draft", `form[action="`+filePath+`"] button[type=submit]`)
		if got := value(c, "#location"); !strings.Contains(got, `"type":"Polygon"`) {
			t.Errorf("after saving, the file's location is %q", got)
		}
		if got := value(c, "#arrondissement"); got != "sidi-othmane" {
			t.Errorf("after saving, the arrondissement is %q", got)
		}
		// A second file on the same parcel: the search finds the first
		// one's (by its reference) and takes its outline whole.
		var ref string
		if err := d.QueryRowContext(ctx, `SELECT ref FROM permit_files WHERE id = $1`, mm[1]).Scan(&ref); err != nil {
			t.Fatal(err)
		}
		c.open("/files/new", 200)
		c.do(chromedp.Click(chromedp.CSS("#kind-repair")))
		if count(c, `input[name="owner"]`) > 0 && count(c, `input[name="owner"]:checked`) == 0 {
			c.do(chromedp.Click(chromedp.CSS(`input[name="owner"]`)))
		}
		submit(c, "create the second file", `form[action="/files"] button[type=submit]`)
		second := regexp.MustCompile(`^/files/([0-9]+)\?done=created$`).FindStringSubmatch(c.path())
		if second == nil {
			t.Fatalf("after creating the second file at %s", c.path())
		}
		if !waitJS(c, `!document.querySelector('[data-location-map]').hidden && document.querySelector('[data-location-map]').leafletMap`, 10) {
			t.Fatal("the second file's parcel map is not shown")
		}
		c.do(chromedp.SendKeys(chromedp.CSS("#location-search"), strings.ToLower(ref)), chromedp.Click(chromedp.CSS(p+" .location-search button")))
		if !waitJS(c, `document.querySelector('[data-location-map] .location-found button[data-kind="parcel"]') !== null`, 10) {
			t.Fatalf("the search for %s found no earlier parcel: %q", ref, text(c, p+" .location-found"))
		}
		c.do(chromedp.Click(chromedp.CSS(p + ` .location-found button[data-kind="parcel"]`)))
		if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === 'sidi-othmane'`, 10) {
			t.Fatalf("the earlier parcel is not located: %q", text(c, p+" .location-where"))
		}
		took, err1 := geom.ParseGeoJSON([]byte(value(c, "#location")))
		earlier, err2 := geom.ParseGeoJSON([]byte(gj))
		if err1 != nil || err2 != nil || took.WKT() != earlier.WKT() {
			t.Errorf("the earlier parcel's outline taken is %q, want %q (%v, %v)", value(c, "#location"), gj, err1, err2)
		}
		c.checkAxe()
		// Use my location (Chromium's, overridden: Anfa's window) moves
		// the point there, and the map says Anfa and its window.
		geolocate(c, true, 33.5897, -7.633)
		c.do(chromedp.Click(chromedp.CSS(p + ` [data-act="mine"]`)))
		if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === 'anfa'`, 10) {
			t.Fatalf("my location is not located in Anfa: %q; %q", text(c, p+" .location-status"), text(c, p+" .location-where"))
		}
		if lat, lon, gj := value(c, "#lat"), value(c, "#lon"), value(c, "#location"); lat != "33.589700" || lon != "-7.633000" || gj != "" {
			t.Errorf("my location wrote lat %q, lon %q, GeoJSON %q", lat, lon, gj)
		}
		wantText(c, p+" .location-where", "Anfa", strings.Split(cat.T(fr, "geo.parcel.window"), "{")[0])
		if got := value(c, "#arrondissement"); got != "anfa" {
			t.Errorf("after my location, the arrondissement chosen is %q", got)
		}
		c.checkConsole("")
		snap(c, "parcel-map")
	})

	step("the editors' place form has the map", func(t *testing.T) {
		c := b.newTab(t, srv, desktop)
		c.setLanguage("fr")
		signIn(c, "zineb.tahiri@example.ma", true)
		c.open("/places/new", 200)
		const p = "[data-location-map]"
		if !waitJS(c, `!document.querySelector('[data-location-map]').hidden && document.querySelector('[data-location-map]').leafletMap`, 10) {
			t.Fatal("the place form's map is not shown")
		}
		// A place is a point: no outline to draw.
		if n := count(c, p+` [data-act="finish"], `+p+` [data-act="undo"], #location-mode-polygon, #location`); n != 0 {
			t.Errorf("the place form offers to draw an outline (%d controls)", n)
		}
		c.checkAxe()
		// Refused: the editor is told so, and nothing is set.
		geolocate(c, false, 33.5897, -7.633)
		c.do(chromedp.Click(chromedp.CSS(p + ` [data-act="mine"]`)))
		denied := cat.T(fr, "geo.map.near.denied")
		if !waitJS(c, `document.querySelector('[data-location-map] .location-status').textContent === `+strconv.Quote(denied), 10) {
			t.Errorf("with the position refused the map says %q, want %q", text(c, p+" .location-status"), denied)
		}
		if lat := value(c, "#lat"); lat != "" {
			t.Errorf("a refused position wrote the latitude %q", lat)
		}
		// Allowed: the point is the browser's position, in Anfa.
		geolocate(c, true, 33.5897, -7.633)
		c.do(chromedp.Click(chromedp.CSS(p + ` [data-act="mine"]`)))
		if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === 'anfa'`, 10) {
			t.Fatalf("my location is not located in Anfa: %q; %q", text(c, p+" .location-status"), text(c, p+" .location-where"))
		}
		if lat, lon := value(c, "#lat"), value(c, "#lon"); lat != "33.589700" || lon != "-7.633000" {
			t.Errorf("my location wrote lat %q, lon %q", lat, lon)
		}
		where := text(c, p+" .location-where")
		if !strings.Contains(where, "Anfa") || strings.Contains(where, strings.Split(cat.T(fr, "geo.parcel.window"), "{")[0]) {
			t.Errorf("the place form's map says %q: want Anfa, and no window (a place is no file)", where)
		}
		// A tap moves the point, and the arrondissement is told again.
		clickMap(c, p, 40, 30)
		if !waitJS(c, `document.querySelector('#lat').value !== '33.589700' && /^[a-z-]+$/.test(document.querySelector('[data-location-map]').dataset.located)`, 10) {
			t.Fatalf("a tap on the map set %q, %q; the map says %q", value(c, "#lat"), value(c, "#lon"), text(c, p+" .location-where"))
		}
		lat, lon := value(c, "#lat"), value(c, "#lon")
		arr := eval[string](c, `document.querySelector('[data-location-map]').dataset.located`)
		const code = "marche-essai-carte"
		c.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.SetValue(chromedp.CSS("#category"), "market"),
			chromedp.SendKeys(chromedp.CSS("#name_ar"), "سوق التجربة"), chromedp.SendKeys(chromedp.CSS("#name_fr"), "Marché d’essai"),
			chromedp.SendKeys(chromedp.CSS("#name_en"), "Test market"))
		submit(c, "add the place", `form[action="/places/new"] button[type=submit]`)
		if got := c.path(); got != "/places/"+code+"?done=1" {
			t.Fatalf("after adding the place at %s", got)
		}
		// Where the map put it, in the arrondissement it said.
		var item struct {
			Geometry struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				Arrondissement string `json:"arrondissement"`
			} `json:"properties"`
		}
		if err := json.Unmarshal([]byte(eval[string](c, `fetch('/ogc/collections/places/items/`+code+`?f=json').then(r => r.text())`)), &item); err != nil {
			t.Fatal(err)
		}
		if g := item.Geometry.Coordinates; len(g) != 2 || strconv.FormatFloat(g[1], 'f', 6, 64) != lat || strconv.FormatFloat(g[0], 'f', 6, 64) != lon || item.Properties.Arrondissement != arr {
			t.Errorf("the place is at %v in %q; the map set %s, %s in %q", g, item.Properties.Arrondissement, lat, lon, arr)
		}
		// Its form shows it on the map again, located at once.
		edit := "/places/" + code + "/edit"
		c.open(edit, 200)
		if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === `+strconv.Quote(arr), 10) {
			t.Errorf("the place's form does not locate it: %q", text(c, p+" .location-where"))
		}
		if n := count(c, p+" .map-pin-project"); n != 1 {
			t.Errorf("%d points on the place's map, want 1", n)
		}
		c.checkConsole("")

		// On a phone and a laptop, in Arabic and French: nothing wider than
		// the screen, targets large enough; screenshots to look at with
		// MADINA_SCREENSHOTS=dir.
		dir := os.Getenv("MADINA_SCREENSHOTS")
		for _, lang := range []string{"ar", "fr"} {
			c.setLanguage(lang)
			for _, vp := range []viewport{phone390, laptop1366} {
				c.do(viewportAction(vp))
				c.open(edit, 200)
				if !waitJS(c, `document.querySelector('[data-location-map]').dataset.located === `+strconv.Quote(arr), 10) {
					t.Errorf("%s at %d px: the place is not located", lang, vp.width)
				}
				if lang == "ar" && eval[string](c, `getComputedStyle(document.querySelector('[data-location-map] .location-tools')).direction`) != "rtl" {
					t.Errorf("at %d px the map's tools are not right to left in Arabic", vp.width)
				}
				for _, f := range pageFindings(c) {
					if f.check == "overflow" || f.check == "squeezed" || f.check == "targets" {
						t.Errorf("%s at %d px: %s: %s", lang, vp.width, f.check, f.detail)
					}
				}
				if dir != "" {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					shot(c, filepath.Join(dir, fmt.Sprintf("journey-place-form-%d-%s.png", vp.width, lang)))
				}
			}
		}
		c.checkAxe()
	})
	snap(visitor, "map")
}
