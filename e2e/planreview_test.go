package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades/padestest"
	"madina/internal/platform/testenv"
)

// TestPlanReviewJourney drives the plan-review workspace in Chromium
// (issue #13, point 8): the urban agency's member opens the architect's
// plans of a file back with its applicant, sets the scale by drawing a
// reference line of known length, measures a room's area (the value the
// browser shows while drawing is the server's to 0.01 m²), adds three
// annotations with the tools and the keyboard, reloads the page and finds
// all four drawn and listed; the architect uploads a new version of the
// plans, and the member finds the open ones carried over to it and the
// one for information left with the first; the annotated PDF's
// annotations are read back by qpdf.
func TestPlanReviewJourney(t *testing.T) {
	needAxe(t)
	qpdf, err := exec.LookPath("qpdf")
	testenv.Need(t, "qpdf", err == nil, "install Debian's qpdf (scripts/test-deps does)")
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

	// A file the committee sent back to its architect with remarks (so
	// that the architect may upload new plans), on which the urban
	// agency sits, with the architect's plans as a PDF.
	var file, doc int64
	var architect string
	err = d.QueryRowContext(ctx, `SELECT f.id, d.id, p.email FROM permit_files f
		JOIN permit_committee_seats s ON s.file_id = f.id AND s.organisation_code = 'aucasa'
		JOIN permit_documents d ON d.file_id = f.id AND d.item = 'architectural_plans' AND d.content_type = 'application/pdf'
		JOIN persons p ON p.id = f.created_by AND p.password_hash IS NOT NULL
		WHERE f.state = 'accepted' AND f.holder = 'applicant' AND f.step = 'remarks'
		AND EXISTS (SELECT 1 FROM professionals r WHERE r.person_id = f.created_by AND r.profession = 'architect')
		AND NOT EXISTS (SELECT 1 FROM permit_documents d2 WHERE d2.file_id = f.id AND d2.item = d.item AND d2.version > d.version)
		AND NOT EXISTS (SELECT 1 FROM planreview_annotations a WHERE a.file_id = f.id)
		ORDER BY f.id LIMIT 1`).Scan(&file, &doc, &architect)
	if err != nil {
		t.Fatalf("no file back with its architect, the urban agency sitting on it, with PDF plans: %v", err)
	}
	filePage := fmt.Sprintf("/files/%d", file)
	review := fmt.Sprintf("%s/documents/%d/review", filePage, doc)
	t.Logf("file %d, plans %d, architect %s", file, doc, architect)
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	member := b.newTab(t, srv, desktop)
	member.setLanguage("fr")
	signIn(member, "karim.benjelloun@example.ma", true)

	// The page box of page 1, in user space, as the server read it.
	var box [4]float64
	// The shapes, in fractions of the page box.
	at := func(fx, fy float64) [2]float64 {
		return [2]float64{box[0] + fx*(box[2]-box[0]), box[1] + fy*(box[3]-box[1])}
	}
	var areaShown float64
	var areaText string
	step("the member calibrates from a reference line and measures a room", func(t *testing.T) {
		m := member.in(t)
		m.open(review, 200)
		waitViewer(m, 0)
		if err := json.Unmarshal([]byte(eval[string](m, `fetch(location.pathname.replace(/review$/, 'annotations'), {headers: {Accept: 'application/json'}})
			.then(r => r.json()).then(j => JSON.stringify(j['madina:sheet'].pages[0].box))`)), &box); err != nil {
			t.Fatal(err)
		}
		// No scale yet: the plan gives none of its own.
		if v := value(m, "#plan-scale"); v != "" {
			t.Fatalf("the scale is %q before any is set", v)
		}
		// The reference line: 40% of the page's width stands for 12 m.
		m.do(chromedp.Click(chromedp.CSS(`[data-tool="calibrate"]`)))
		ref := [][2]float64{at(0.2, 0.3), at(0.6, 0.3)}
		clickOn(m, ref[0])
		clickOn(m, ref[1])
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-length"), "12"), chromedp.Click(chromedp.CSS(`[data-plan-calibrate] button[type=submit]`)))
		drawn := eval[[][2]float64](m, `JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find(k => k.startsWith('madina.planreview.')))).line`)
		if len(drawn) != 2 {
			t.Fatalf("the reference line was not kept: %v", drawn)
		}
		perUnit := 12 / math.Hypot(drawn[1][0]-drawn[0][0], drawn[1][1]-drawn[0][1])
		wantText(m, "[data-plan-hint]", strings.Split(cat.T(fr, "planreview.tools.scale_set", "page", 1, "ratio", "X"), "X")[0])
		if v := value(m, "#plan-scale"); v != "reference" {
			t.Fatalf("after the reference line the scale list shows %q", v)
		}
		// An L-shaped room, by its six corners, chosen with the keyboard's
		// A (area) while the plan has the focus; finished with Enter.
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("a"))
		if p := attrs(m, `[data-tool="area"]`, "aria-pressed"); len(p) != 1 || p[0] != "true" {
			t.Fatalf("the key A did not choose the area tool: %v", p)
		}
		room := [][2]float64{at(0.2, 0.3), at(0.5, 0.3), at(0.5, 0.45), at(0.35, 0.45), at(0.35, 0.6), at(0.2, 0.6)}
		for _, p := range room {
			clickOn(m, p)
		}
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("\r"))
		areaText = text(m, "#plan-measured")
		areaShown = firstNumber(t, areaText)
		// What the corners mean at the scale drawn: the clicks land on
		// pixels, so within 2 %.
		var pts [][2]float64
		pts = append(pts, room...)
		want := math.Abs(shoelace(pts)) * perUnit * perUnit
		if math.Abs(areaShown-want) > want*0.02 {
			t.Fatalf("the browser shows %q (%v m²) for a room of about %.2f m²", areaText, areaShown, want)
		}
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-comment"), "Séjour : surface à vérifier."),
			chromedp.SetValue(chromedp.CSS("#plan-visibility"), "shared"))
		save(m)
		wantText(m, "main", cat.T(fr, "planreview.review.annotated"))
		// The server stored the same value, computed from the same shape.
		stored := eval[float64](m, `fetch(location.pathname.replace(/review$/, 'annotations'), {headers: {Accept: 'application/json'}})
			.then(r => r.json()).then(j => j.first.items.find(a => a['madina:kind'] === 'area')['madina:measurement'].value)`)
		if math.Abs(stored-areaShown) > 0.01 {
			t.Fatalf("the browser showed %.2f m², the server stored %v m²", areaShown, stored)
		}
		m.checkConsole(review)
	})

	step("the member adds three annotations, reloads and finds them", func(t *testing.T) {
		m := member.in(t)
		waitViewer(m, 1)
		// A pin shared with the applicant.
		m.do(chromedp.Click(chromedp.CSS(`[data-tool="pin"]`)))
		clickOn(m, at(0.7, 0.5))
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-comment"), "Cote de la façade manquante."),
			chromedp.SetValue(chromedp.CSS("#plan-visibility"), "shared"))
		save(m)
		waitViewer(m, 2)
		// An arrow for information, for the committee only.
		m.do(chromedp.Click(chromedp.CSS(`[data-tool="arrow"]`)))
		clickOn(m, at(0.75, 0.7))
		clickOn(m, at(0.55, 0.55))
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-comment"), "Servitude de passage à confirmer."),
			chromedp.SetValue(chromedp.CSS("#plan-status"), "info"))
		save(m)
		waitViewer(m, 3)
		// A rectangle, open, for the committee.
		m.do(chromedp.Click(chromedp.CSS(`[data-tool="rectangle"]`)))
		clickOn(m, at(0.62, 0.2))
		clickOn(m, at(0.8, 0.35))
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-comment"), "Escalier non conforme."))
		save(m)
		m.open(review, 200)
		waitViewer(m, 4)
		listed := texts(m, "ol.annotations > li h3")
		if len(listed) != 4 {
			t.Fatalf("the list shows %d annotations, want 4: %v", len(listed), listed)
		}
		for _, want := range []string{"Séjour : surface à vérifier.", "Cote de la façade manquante.", "Servitude de passage à confirmer.", "Escalier non conforme."} {
			wantText(m, "ol.annotations", want)
		}
		// The list shows the area the browser showed while drawing.
		listedArea := firstNumber(t, text(m, `ol.annotations > li:first-child dl div:nth-child(3) dd`))
		if math.Abs(listedArea-areaShown) > 0.01 {
			t.Fatalf("the list shows an area of %v m², the browser showed %v m²", listedArea, areaShown)
		}
		kinds := attrs(m, ".plan-annotation", "data-kind")
		if strings.Join(kinds, " ") != "area pin arrow rectangle" {
			t.Fatalf("the sheet draws %v", kinds)
		}
		m.checkAxe()
		m.checkConsole(review)
		if dir := os.Getenv("MADINA_SCREENSHOTS"); dir != "" {
			m.do(chromedp.Click(chromedp.CSS(`[data-tool="area"]`)))
			shot(m, filepath.Join(dir, "planreview-viewer-1280-fr.png"))
		}
		// A thumbnail per page, showing which part of the sheet is on
		// screen; zoomed in to 16 times (an A0 sheet's detail), the page's
		// own canvas stays within 16 million pixels and the part on
		// screen is drawn again, sharp, at the screen's resolution.
		if n := count(m, ".plan-viewer-thumb canvas"); n < 1 {
			t.Fatal("no thumbnail drawn")
		}
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")))
		for range 13 {
			m.do(chromedp.KeyEvent("+"))
		}
		within(t, 30*time.Second, "the deep zoom draws the part on screen", func() error {
			z := eval[struct {
				Pixels, Shown     float64
				DetailW, VisibleW float64
				Painted, Outline  bool
			}](m, `(() => { const f = document.querySelector('.plan-viewer-page[data-page="1"]');
				const c = f.querySelector('.plan-viewer-sheet canvas'), d = f.querySelector('.plan-viewer-detail');
				const mark = document.querySelector('.plan-viewer-thumb-view');
				const out = {Pixels: c.width * c.height, Shown: parseFloat(c.style.width), DetailW: d ? d.width : 0,
					VisibleW: document.querySelector('.plan-viewer-pages').clientWidth * devicePixelRatio,
					Outline: !!mark && !mark.hidden && parseFloat(mark.style.width) < 20, Painted: false};
				if (d) { const px = d.getContext('2d').getImageData(d.width / 2, d.height / 2, 1, 1).data; out.Painted = px[3] === 255; }
				return out; })()`)
			if z.DetailW == 0 || !z.Painted {
				return errNotYet
			}
			if z.Pixels > 16e6 || z.Shown < 10*z.VisibleW/2 || math.Abs(z.DetailW-z.VisibleW) > 4 || !z.Outline {
				return fmt.Errorf("deep zoom: %+v", z)
			}
			return nil
		})
		m.do(chromedp.KeyEvent("0"))
		m.checkConsole(review)

		// On a phone, in Arabic, the tools and the plan fit the screen and
		// pass axe too.
		m.setLanguage("ar")
		m.do(viewportAction(phone390))
		m.open(review, 200)
		waitViewer(m, 4)
		checkNoHorizontalScroll(m)
		m.checkAxe()
		if dir := os.Getenv("MADINA_SCREENSHOTS"); dir != "" {
			shot(m, filepath.Join(dir, "planreview-viewer-390-ar.png"))
		}
		m.setLanguage("fr")
		m.do(viewportAction(desktop))
		snap(m, "planreview")
	})

	var newDoc int64
	step("the architect uploads new plans; the open annotations are carried over", func(t *testing.T) {
		arch := b.newTab(t, srv, desktop)
		arch.setLanguage("fr")
		signIn(arch, architect, false)
		arch.open(filePage, 200)
		var buf bytes.Buffer
		if _, err := plan().WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		revised := filepath.Join(t.TempDir(), "plans-v2.pdf")
		if err := os.WriteFile(revised, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		upload(arch, filePage, "architectural_plans", revised)
		if err := d.QueryRowContext(ctx, `SELECT id FROM permit_documents WHERE file_id = $1 AND item = 'architectural_plans'
			ORDER BY version DESC LIMIT 1`, file).Scan(&newDoc); err != nil || newDoc == doc {
			t.Fatalf("no new version of the plans: %v", err)
		}
		m := member.in(t)
		m.open(fmt.Sprintf("%s/documents/%d/review", filePage, newDoc), 200)
		waitViewer(m, 3)
		listed := texts(m, "ol.annotations > li")
		if len(listed) != 3 {
			t.Fatalf("the new version lists %d annotations, want the 3 open ones: %v", len(listed), listed)
		}
		carried := cat.T(fr, "planreview.review.carried", "version", 1)
		for _, li := range listed {
			if !strings.Contains(li, carried) {
				t.Fatalf("an annotation on the new version is not marked %q: %s", carried, li)
			}
			if strings.Contains(li, "Servitude") {
				t.Fatal("the annotation for information was carried over")
			}
		}
		m.checkConsole(review)
	})

	step("the member compares the two versions, side by side and overlaid", func(t *testing.T) {
		m := member.in(t)
		m.open(fmt.Sprintf("%s/documents/%d/review", filePage, newDoc), 200)
		// The form names the first version; choosing it opens the comparison.
		m.do(chromedp.SetValue(chromedp.CSS("#compare"), strconv.FormatInt(doc, 10)))
		submit(m, "compare", `form.plan-compare-form button[type=submit]`)
		wantText(m, "#compare-heading", cat.T(fr, "planreview.compare.heading", "new", 2, "old", 1))
		panes := func() []float64 {
			var w []float64
			within(t, 30*time.Second, "both versions drawn side by side", func() error {
				w = eval[[]float64](m, `[...document.querySelectorAll('.plan-compare-pane canvas')].map(c => c.getBoundingClientRect().width)`)
				if len(w) != 2 {
					return errNotYet
				}
				return nil
			})
			return w
		}
		before := panes()
		// Zoomed together, from the viewer's zoom.
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("+"), chromedp.KeyEvent("+"))
		var after []float64
		within(t, 30*time.Second, "both versions zoomed", func() error {
			after = panes()
			if after[0] <= before[0]*1.5 {
				return errNotYet
			}
			return nil
		})
		if math.Abs(after[0]-after[1]) > 2 {
			t.Fatalf("zoomed, the versions are %v pixels wide", after)
		}
		// Panned together.
		// (As far as the second can go: the versions may differ in size.)
		eval[bool](m, `(() => { const s = document.querySelectorAll('.plan-compare-scroll'); s[0].scrollLeft = 120; s[0].scrollTop = 80; return true; })()`)
		within(t, 5*time.Second, "the second version follows the first", func() error {
			pan := eval[[]float64](m, `(() => { const s = document.querySelectorAll('.plan-compare-scroll');
				return [s[0].scrollLeft, s[0].scrollTop, Math.min(s[0].scrollLeft, s[1].scrollWidth - s[1].clientWidth),
					Math.min(s[0].scrollTop, s[1].scrollHeight - s[1].clientHeight), s[1].scrollLeft, s[1].scrollTop]; })()`)
			if pan[0] != 120 {
				return fmt.Errorf("the first version scrolled to %v, not 120", pan[0])
			}
			if math.Abs(pan[4]-pan[2]) > 1 || math.Abs(pan[5]-pan[3]) > 1 {
				return errNotYet
			}
			return nil
		})
		// Overlaid: what only the first version has in red, what only the
		// second has in blue, and how much of the page differs.
		m.do(chromedp.Click(chromedp.CSS(`[data-plan-compare] button[data-mode="overlay"]`)))
		within(t, 60*time.Second, "the overlay", func() error {
			if count(m, ".plan-compare-diff") != 1 {
				return errNotYet
			}
			return nil
		})
		o := eval[[]int](m, `(() => { const d = document.querySelector('.plan-compare-diff'); return [+d.dataset.onlyOld, +d.dataset.onlyNew]; })()`)
		if o[0] == 0 || o[1] == 0 {
			t.Fatalf("the overlay of two different plans shows %d pixels only in the first, %d only in the second", o[0], o[1])
		}
		if v := firstNumber(t, text(m, ".plan-compare-result")); v <= 0 || v >= 100 {
			t.Fatalf("the overlay says %q", text(m, ".plan-compare-result"))
		}
		m.checkAxe()
		m.checkConsole(review)
		if dir := os.Getenv("MADINA_SCREENSHOTS"); dir != "" {
			shot(m, filepath.Join(dir, "planreview-compare-1280-fr.png"))
		}
	})

	step("the annotated export holds them as PDF annotations qpdf reads", func(t *testing.T) {
		m := member.in(t)
		pdfBytes := download(t, m, fmt.Sprintf("%s/documents/%d/annotated.pdf", filePage, newDoc))
		in := filepath.Join(t.TempDir(), "annotated.pdf")
		if err := os.WriteFile(in, pdfBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(qpdf, "--check", in).CombinedOutput(); err != nil {
			t.Fatalf("qpdf --check: %v\n%s", err, out)
		}
		out, err := exec.Command(qpdf, "--json=2", "--json-key=qpdf", in).Output()
		if err != nil {
			t.Fatalf("qpdf --json: %v", err)
		}
		var doc struct {
			QPDF []json.RawMessage `json:"qpdf"`
		}
		var objs map[string]struct {
			Value map[string]any `json:"value"`
		}
		if err := json.Unmarshal(out, &doc); err != nil || len(doc.QPDF) != 2 {
			t.Fatalf("qpdf's JSON: %v", err)
		}
		if err := json.Unmarshal(doc.QPDF[1], &objs); err != nil {
			t.Fatal(err)
		}
		found := map[string]string{}
		for _, o := range objs {
			if o.Value["/Type"] == "/Annot" || o.Value["/Subtype"] != nil {
				if c, ok := o.Value["/Contents"].(string); ok {
					found[fmt.Sprint(o.Value["/Subtype"])] = c
				}
			}
		}
		for subtype, want := range map[string]string{"/Polygon": "Séjour", "/Text": "façade", "/Square": "Escalier"} {
			if !strings.Contains(found[subtype], want) {
				t.Fatalf("the export has no %s annotation saying %q: %v", subtype, want, found)
			}
		}
		if strings.Contains(fmt.Sprint(found), "Servitude") {
			t.Fatal("the export of the new version holds the annotation left with the first")
		}
		if v := firstNumber(t, found["/Polygon"]); math.Abs(v-areaShown) > 0.01 {
			t.Fatalf("the area's PDF annotation says %q, not the %.2f m² measured", found["/Polygon"], areaShown)
		}
	})

	step("the member signs the annotated plan with their key; pdfsig trusts it", func(t *testing.T) {
		m := member.in(t)
		page := fmt.Sprintf("%s/documents/%d/review", filePage, newDoc)
		m.open(page, 200)
		// A wrong PIN comes back on its field.
		m.do(chromedp.SendKeys(chromedp.CSS("#pin"), "000000"))
		if status, _ := post(m, `form[action$="/signed-export"] button[type=submit]`); status == 200 {
			t.Fatal("a wrong PIN signed the export")
		}
		if count(m, "#pin-error") != 1 {
			t.Fatal("a wrong PIN is not told on its field")
		}
		m.checkConsole(fmt.Sprintf("%s%s/documents/%d/signed-export", srv.URL, filePage, newDoc))
		// The right one: the form's answer is the signed PDF.
		r := eval[struct {
			Status int
			Type   string
			Body   string
		}](m, `(async () => { const f = document.querySelector('form[action$="/signed-export"]');
			const fd = new FormData(f); fd.set('pin', '246813');
			const r = await fetch(f.action, {method: 'POST', body: new URLSearchParams(fd)});
			const b = new Uint8Array(await r.arrayBuffer()); let s = ''; for (const c of b) s += String.fromCharCode(c);
			return {Status: r.status, Type: r.headers.get('Content-Type'), Body: btoa(s)}; })()`)
		signed, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil || r.Status != 200 || r.Type != "application/pdf" {
			t.Fatalf("signing answered %d %s (%v)", r.Status, r.Type, err)
		}
		out := padestest.Pdfsig(t, padestest.NSSDB(t, rootCert(t, srv.URL)), signed)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the signed annotated plan:\n%s", out)
		}
		if !strings.Contains(strings.ToLower(out), "benjelloun") {
			t.Errorf("the annotated plan is not signed by the member:\n%s", out)
		}
		m.checkConsole(page)
	})
}

// waitViewer waits until the viewer has drawn page 1 with n annotations.
func waitViewer(tb *tab, n int) {
	tb.t.Helper()
	within(tb.t, 30*time.Second, "the viewer draws the plan", func() error {
		got := eval[int](tb, `(() => { document.querySelector('.plan-viewer-page[data-page="1"]')?.scrollIntoView({block: 'nearest'});
			const f = document.querySelector('.plan-viewer-page[data-page="1"] .plan-viewer-overlay');
			return f ? f.querySelectorAll('.plan-annotation').length : -1; })()`)
		if got != n {
			return errNotYet
		}
		return nil
	})
}

// clickOn clicks point p of page 1 (in its user space), scrolling the
// plan and the page so that it is in view first.
func clickOn(tb *tab, p [2]float64) {
	tb.t.Helper()
	xy := eval[[2]float64](tb, fmt.Sprintf(`(() => {
		const g = document.querySelector('.plan-viewer-page[data-page="1"] .plan-viewer-overlay g');
		const where = () => new DOMPoint(%g, %g).matrixTransform(g.getScreenCTM());
		const pages = document.querySelector('.plan-viewer-pages');
		let q = where(), r = pages.getBoundingClientRect();
		pages.scrollBy(q.x - (r.left + r.width / 2), q.y - (r.top + r.height / 2));
		q = where();
		window.scrollBy(0, q.y - innerHeight / 2);
		q = where();
		return [q.x, q.y];
	})()`, p[0], p[1]))
	tb.do(chromedp.MouseClickXY(xy[0], xy[1]))
}

// save sends the annotation form and waits for the page it reloads.
func save(tb *tab) {
	tb.t.Helper()
	eval[bool](tb, `window.planReviewBefore = true`)
	tb.do(chromedp.Click(chromedp.CSS(`[data-plan-save] button[type=submit]`)))
	within(tb.t, 20*time.Second, "the annotation is saved", func() error {
		// The page reloads meanwhile: an evaluation it interrupts is tried again.
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		st, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			Before bool
			Search string
			Ready  string
			Alert  string
		}](`({Before: !!window.planReviewBefore, Search: location.search, Ready: document.readyState,
			Alert: (document.querySelector('[data-plan-save] [data-plan-error]:not([hidden])') || {}).textContent || ''})`))
		cancel()
		switch {
		case err != nil:
			return errNotYet
		case st.Alert != "":
			return fmt.Errorf("the form says: %s", st.Alert)
		case st.Before || !strings.Contains(st.Search, "done=annotated") || st.Ready != "complete":
			return errNotYet
		}
		return nil
	})
}

var numberRE = regexp.MustCompile(`\d+(?:[.,]\d+)?`)

// firstNumber is the first number written in s (a decimal comma or point).
func firstNumber(t *testing.T, s string) float64 {
	t.Helper()
	m := numberRE.FindString(s)
	v, err := strconv.ParseFloat(strings.Replace(m, ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("no number in %q", s)
	}
	return v
}

func shoelace(pts [][2]float64) float64 {
	s := 0.0
	for i := range pts {
		j := (i + 1) % len(pts)
		s += pts[i][0]*pts[j][1] - pts[j][0]*pts[i][1]
	}
	return s / 2
}
