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
	"github.com/chromedp/chromedp/kb"

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
	saveWith(tb, chromedp.Click(chromedp.CSS(`[data-plan-save] button[type=submit]`)))
}

// saveWith sends the annotation form with actions (a click, or keys) and
// waits for the page it reloads.
func saveWith(tb *tab, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	eval[bool](tb, `window.planReviewBefore = true`)
	tb.do(actions...)
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

// TestPlanReviewKeyboard drives the viewer with the keyboard alone (issue
// #13): the urban agency's member measures a distance and draws a
// rectangle with the crosshair the arrows move, Space and Enter placing
// the points, and saves them; the value the browser showed is the one the
// server stored. Then the member resolves the rectangle and rewrites its
// comment from its entry in the list (the list and the sheet show it at
// once, and again after a reload), opens an entry from its shape on the
// sheet, and another member of the committee, who did not write it, is
// told in Arabic that only its author changes its text. Axe on each new
// state; on a 390-pixel phone in Arabic, no sideways scroll.
func TestPlanReviewKeyboard(t *testing.T) {
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
	const fr, ar = i18n.FR, i18n.AR

	// A file the urban agency sits on, with PDF plans and no annotation
	// yet, and a member of another organisation sitting on it.
	var file, doc int64
	var other string
	err = d.QueryRowContext(ctx, `SELECT f.id, d.id, p.email FROM permit_files f
		JOIN permit_committee_seats s ON s.file_id = f.id AND s.organisation_code = 'aucasa'
		JOIN permit_documents d ON d.file_id = f.id AND d.item = 'architectural_plans' AND d.content_type = 'application/pdf'
		JOIN permit_committee_seats s2 ON s2.file_id = f.id AND s2.organisation_code <> 'aucasa'
		JOIN staff_grants g ON g.organisation_code = s2.organisation_code AND g.role = 'committee_member' AND g.revoked_at IS NULL
		JOIN persons p ON p.id = g.person_id AND p.password_hash IS NOT NULL
		WHERE f.state = 'accepted' AND f.holder = 'applicant' AND f.step = 'remarks'
		AND NOT EXISTS (SELECT 1 FROM permit_documents d2 WHERE d2.file_id = f.id AND d2.item = d.item AND d2.version > d.version)
		AND NOT EXISTS (SELECT 1 FROM planreview_annotations a WHERE a.file_id = f.id)
		ORDER BY f.id, p.id LIMIT 1`).Scan(&file, &doc, &other)
	if err != nil {
		t.Fatalf("no file with PDF plans on which the urban agency and another organisation sit: %v", err)
	}
	review := fmt.Sprintf("/files/%d/documents/%d/review", file, doc)
	t.Logf("file %d, plans %d, other member %s", file, doc, other)
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	member := b.newTab(t, srv, desktop)
	member.setLanguage("fr")
	signIn(member, "karim.benjelloun@example.ma", true)
	shift := chromedp.KeyModifiers(chromedp.ModifierShift)
	keys := func(tb *tab, k string, n int, opts ...chromedp.KeyOption) {
		tb.t.Helper()
		for range n {
			tb.do(chromedp.KeyEvent(k, opts...))
		}
	}
	stored := func(tb *tab) []struct {
		ID, Kind, Status, SVG, Body string
		Value                       float64
	} {
		return eval[[]struct {
			ID, Kind, Status, SVG, Body string
			Value                       float64
		}](tb, `fetch(location.pathname.replace(/review$/, 'annotations'), {headers: {Accept: 'application/json'}}).then(r => r.json())
			.then(j => j.first.items.map(a => ({ID: a.id.split('/').pop(), Kind: a['madina:kind'], Status: a['madina:status'],
				SVG: a.target.selector.refinedBy.value, Body: (a.body || []).map(b => b.value).join(' '),
				Value: a['madina:measurement'] ? a['madina:measurement'].value : 0})))`)
	}
	var rectID, distID string
	step("the member measures a distance and draws a rectangle with the keyboard", func(t *testing.T) {
		m := member.in(t)
		m.open(review, 200)
		waitViewer(m, 0)
		// CSS pixels per user-space unit of page 1 at this zoom.
		pxPerUnit := eval[float64](m, `fetch(location.pathname.replace(/review$/, 'annotations'), {headers: {Accept: 'application/json'}})
			.then(r => r.json()).then(j => { const b = j['madina:sheet'].pages[0].box;
				return document.querySelector('.plan-viewer-page[data-page="1"] .plan-viewer-sheet').getBoundingClientRect().width / (b[2] - b[0]); })`)
		eval[bool](m, `(s => { s.value = '100'; s.dispatchEvent(new Event('change')); return true; })(document.querySelector('#plan-scale'))`)
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("d"))
		if p := attrs(m, `[data-tool="distance"]`, "aria-pressed"); len(p) != 1 || p[0] != "true" {
			t.Fatalf("the key D did not choose the distance tool: %v", p)
		}
		wantText(m, "[data-plan-hint-keys]:not([hidden])", cat.T(fr, "planreview.tools.hint.keyboard"))
		keys(m, kb.ArrowLeft, 2, shift)
		if count(m, ".plan-cursor") != 1 {
			t.Fatal("the arrows show no crosshair on the plan")
		}
		cursorSays := strings.Split(cat.T(fr, "planreview.tools.cursor", "page", 1, "x", "X", "y", "Y"), "X")[0]
		within(t, 5*time.Second, "the crosshair's place is said", func() error {
			if !strings.HasPrefix(text(m, "[data-plan-cursor-say]"), cursorSays) {
				return errNotYet
			}
			return nil
		})
		// A first point, then Backspace takes it back.
		keys(m, " ", 1)
		keys(m, kb.ArrowRight, 4, shift)
		if count(m, "#plan-measured:not([hidden])") != 1 {
			t.Fatal("no live value while measuring with the keyboard")
		}
		keys(m, kb.Backspace, 1)
		if count(m, "#plan-measured:not([hidden])") != 0 {
			t.Fatal("Backspace left the first point")
		}
		keys(m, kb.ArrowLeft, 4, shift)
		keys(m, " ", 1)
		keys(m, kb.ArrowRight, 4, shift)
		shown := text(m, "#plan-measured")
		keys(m, kb.Enter, 1)
		if count(m, "[data-plan-save]:not([hidden])") != 1 {
			t.Fatal("Enter did not place the second point and finish the distance")
		}
		got := firstNumber(t, shown)
		// 4 large steps of 50 CSS pixels at 1:100.
		want := 200 / pxPerUnit * 100 * 0.0254 / 72
		if math.Abs(got-want) > want*0.01 {
			t.Fatalf("the keyboard's distance shows %q, want about %.2f m", shown, want)
		}
		m.checkAxe()
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-comment"), "Recul sur rue."))
		saveWith(m, chromedp.Focus(chromedp.CSS(`[data-plan-save] button[type=submit]`)), chromedp.KeyEvent(kb.Enter))
		waitViewer(m, 1)
		for _, a := range stored(m) {
			if a.Kind == "distance" {
				distID = a.ID
				if math.Abs(a.Value-got) > 0.01 {
					t.Fatalf("the browser showed %.2f m, the server stored %v m", got, a.Value)
				}
			}
		}
		// A rectangle: B, two corners placed with Space and Enter.
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("b"))
		keys(m, kb.ArrowUp, 3, shift)
		keys(m, " ", 1)
		keys(m, kb.ArrowRight, 2, shift)
		keys(m, kb.ArrowDown, 10)
		keys(m, kb.Enter, 1)
		m.do(chromedp.SendKeys(chromedp.CSS("#plan-comment"), "Escalier à revoir."))
		saveWith(m, chromedp.Focus(chromedp.CSS(`[data-plan-save] button[type=submit]`)), chromedp.KeyEvent(kb.Enter))
		waitViewer(m, 2)
		for _, a := range stored(m) {
			if a.Kind != "rectangle" {
				continue
			}
			rectID = a.ID
			var x, y, w, h float64
			if _, err := fmt.Sscanf(regexp.MustCompile(`x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"`).ReplaceAllString(
				regexp.MustCompile(`<rect [^>]*/>`).FindString(a.SVG), "$1 $2 $3 $4"), "<rect %g %g %g %g/>", &x, &y, &w, &h); err != nil {
				t.Fatalf("the rectangle stored: %s (%v)", a.SVG, err)
			}
			if math.Abs(w*pxPerUnit-100) > 1 || math.Abs(h*pxPerUnit-50) > 1 {
				t.Fatalf("the rectangle is %g × %g units, want 100 × 50 CSS pixels at %g pixels a unit", w, h, pxPerUnit)
			}
		}
		if rectID == "" || distID == "" {
			t.Fatalf("saved: %+v", stored(m))
		}
		m.checkConsole(review)
	})

	step("the member resolves the rectangle and rewrites its comment from the list", func(t *testing.T) {
		m := member.in(t)
		edit := fmt.Sprintf(`[data-plan-edit-for="%s"]`, rectID)
		m.do(chromedp.Focus(chromedp.CSS(edit)), chromedp.KeyEvent(kb.Enter))
		if id := eval[string](m, `document.activeElement.id`); id != "plan-edit-status" {
			t.Fatalf("the editor opened with the focus on %q", id)
		}
		if count(m, fmt.Sprintf(`#annotation-%s [data-plan-edit]:not([hidden])`, rectID)) != 1 {
			t.Fatal("the editor is not under its annotation")
		}
		if v := value(m, "#plan-edit-comment"); v != "Escalier à revoir." {
			t.Fatalf("the editor shows the comment %q", v)
		}
		m.checkAxe()
		eval[bool](m, `(document.querySelector('#plan-edit-comment').value = '', true)`)
		m.do(chromedp.SetValue(chromedp.CSS("#plan-edit-status"), "resolved"),
			chromedp.SendKeys(chromedp.CSS("#plan-edit-comment"), "Escalier conforme dans la version révisée."),
			chromedp.Focus(chromedp.CSS(`[data-plan-edit] button[type=submit]`)), chromedp.KeyEvent(kb.Enter))
		li := fmt.Sprintf("#annotation-%s", rectID)
		within(t, 10*time.Second, "the change is shown", func() error {
			if text(m, li+" [data-plan-edit-said]") != cat.T(fr, "planreview.tools.edited") {
				return errNotYet
			}
			return nil
		})
		check := func() {
			t.Helper()
			wantText(m, li+" .tag", cat.T(fr, "planreview.status.resolved"))
			wantText(m, li+" [data-plan-body] dd", "Escalier conforme dans la version révisée.")
			if n := count(m, fmt.Sprintf(`.plan-annotation[data-id="%s"] [stroke-dasharray]`, rectID)); n != 1 {
				t.Fatalf("the sheet does not draw the resolved rectangle dashed (%d)", n)
			}
		}
		check()
		if f := eval[string](m, `document.activeElement.dataset.planEditFor || ''`); f != rectID {
			t.Fatalf("after saving, the focus is not back on the button (%q)", f)
		}
		m.open(review, 200)
		waitViewer(m, 2)
		check()
		for _, a := range stored(m) {
			if a.ID == rectID && (a.Status != "resolved" || a.Body != "Escalier conforme dans la version révisée.") {
				t.Fatalf("the server keeps %+v", a)
			}
		}
		// From the sheet: the distance's shape, followed with Enter, opens
		// its entry's editor; Escape closes it, back to its button.
		m.do(chromedp.Focus(chromedp.CSS(fmt.Sprintf(`.plan-annotation[data-id="%s"]`, distID))), chromedp.KeyEvent(kb.Enter))
		if count(m, fmt.Sprintf(`#annotation-%s [data-plan-edit]:not([hidden])`, distID)) != 1 || eval[string](m, `document.activeElement.id`) != "plan-edit-status" {
			t.Fatal("the shape on the sheet does not open its annotation's editor")
		}
		// (Chromium keeps Escape for a focused select: from the comment.)
		m.do(chromedp.Focus(chromedp.CSS("#plan-edit-comment")), chromedp.KeyEvent(kb.Escape))
		if count(m, "[data-plan-edit]:not([hidden])") != 0 || eval[string](m, `document.activeElement.dataset.planEditFor || ''`) != distID {
			t.Fatalf("Escape does not close the editor back to its button: %d open, focus on %s", count(m, "[data-plan-edit]:not([hidden])"),
				eval[string](m, `document.activeElement.outerHTML.slice(0, 200)`))
		}
		m.checkConsole(review)

		// On a phone, in Arabic: the editor and the crosshair fit.
		m.setLanguage("ar")
		m.do(viewportAction(phone390))
		m.open(review, 200)
		waitViewer(m, 2)
		m.do(chromedp.Click(chromedp.CSS(edit)))
		checkNoHorizontalScroll(m)
		m.checkAxe()
		if tr := eval[string](m, `getComputedStyle(document.querySelector('.back-link .icon')).transform`); !strings.HasPrefix(tr, "matrix(-1") {
			t.Fatalf("the back link's arrow is not turned in Arabic: %q", tr)
		}
		if dir := os.Getenv("MADINA_SCREENSHOTS"); dir != "" {
			shot(m, filepath.Join(dir, "planreview-edit-390-ar.png"))
		}
		m.do(chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("p"), chromedp.KeyEvent(kb.ArrowDown))
		if count(m, ".plan-cursor") != 1 {
			t.Fatal("no crosshair on the phone")
		}
		checkNoHorizontalScroll(m)
		m.checkAxe()
		if dir := os.Getenv("MADINA_SCREENSHOTS"); dir != "" {
			eval[bool](m, `(document.querySelector('details.plan-keys').open = true, true)`)
			shot(m, filepath.Join(dir, "planreview-cursor-390-ar.png"))
			m.do(viewportAction(laptop1366))
			m.setLanguage("fr")
			m.open(review, 200)
			waitViewer(m, 2)
			m.do(chromedp.Click(chromedp.CSS(edit)), chromedp.Focus(chromedp.CSS(".plan-viewer-pages")), chromedp.KeyEvent("b"), chromedp.KeyEvent(kb.ArrowDown))
			shot(m, filepath.Join(dir, "planreview-edit-1366-fr.png"))
		}
		m.setLanguage("fr")
		m.do(viewportAction(desktop))
	})

	step("another member of the committee may not rewrite the member's comment", func(t *testing.T) {
		o := b.newTab(t, srv, desktop)
		o.setLanguage("ar")
		signIn(o, other, true)
		o.open(review, 200)
		waitViewer(o, 2)
		o.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-plan-edit-for="%s"]`, rectID))),
			chromedp.SendKeys(chromedp.CSS("#plan-edit-comment"), " !"),
			chromedp.Click(chromedp.CSS(`[data-plan-edit] button[type=submit]`)))
		within(t, 10*time.Second, "the refusal is shown", func() error {
			if text(o, "[data-plan-edit] [data-plan-error]") == "" {
				return errNotYet
			}
			return nil
		})
		wantText(o, "[data-plan-edit] [data-plan-error]", cat.T(ar, "planreview.error.not_author"))
		o.checkAxe()
		if dir := os.Getenv("MADINA_SCREENSHOTS"); dir != "" {
			shot(o, filepath.Join(dir, "planreview-refused-1280-ar.png"))
		}
		for _, a := range stored(o) {
			if a.ID == rectID && a.Body != "Escalier conforme dans la version révisée." {
				t.Fatalf("the refused change was kept: %+v", a)
			}
		}
	})
}
