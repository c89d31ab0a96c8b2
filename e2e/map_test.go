package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/platform/db"
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

// TestMapJourney: the city's map in a browser without network (no tiles:
// outlines and points on a plain background). A visitor opens /map,
// turns the projects' layer off and on, filters to Sidi Othmane and sees
// exactly the projects the OGC API lists there; Sidi Othmane's president
// grants a permit in another browser, and the project appears on the
// visitor's map within seconds without a reload. Then a citizen starts a
// new file (a repair permit), draws the parcel's outline on the form's map, is told at
// once it lies in Sidi Othmane, and saves: the file keeps the outline and
// the arrondissement.
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
		c.checkConsole("")
		snap(c, "parcel-map")
	})
	snap(visitor, "map")
}
