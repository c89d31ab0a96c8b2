package planreview_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"madina/internal/platform/db"
	"madina/internal/platform/testenv"
)

// loadTimeout bounds one load of the sheet, from navigation to its first
// screen.
var loadTimeout = 8 * time.Minute

// BenchmarkFirstScreen measures the plan viewer's first screen against
// PDF.js alone (issue #13: under 2×), in one headless Chromium, on a
// generated 50 MB A0 vector sheet (a0Sheet) stored as the new version of
// a plan the urban agency's member studies, served by the real
// application over loopback:
//
//   - viewer: the member opens the sheet's review page; from the start of
//     that navigation until the viewer has drawn the page on screen (the
//     mark planviewer.js sets, "madina:plan-first-screen");
//   - floor: a bare page, from the same server (so with the same cookies
//     and the same URLs), that loads the same PDF.js build (the hashed
//     files the review page names), opens the same PDF from the same
//     address, and renders the region of the page the viewer had on
//     screen, at the same scale and pixel ratio, on a canvas of that
//     region's size; from the start of its navigation until that render
//     resolves (the same mark).
//
// Both are timed by the page's own clock (the mark's startTime, from
// navigation start), so the time the benchmark takes to notice is not
// counted. The HTTP cache is disabled for the tab (Network.setCacheDisabled):
// every load fetches the page, PDF.js, its worker and the 50 MB PDF
// again, as a first visit does, for both. Between loads the tab goes to
// about:blank, which ends the previous page and its PDF.js worker. One
// untimed load of each comes first (the server reads the sheet's pages
// once per content hash: that first read is not measured). Each
// iteration loads both, in turns (viewer first on even iterations, floor
// first on odd ones), so that the machine's load falls on both alike.
// Reported: viewer-ns/op and floor-ns/op (means), viewer/floor (the
// ratio of the means), and each pair in the log; ns/op is the whole
// iteration's wall time.
//
// Skipped without Chromium (MADINA_CHROMIUM or /usr/bin/chromium) or
// without PDF.js in the build (make assets). SQLite: the database only
// serves the page and the (empty) annotations.
//
//	go test -run '^$' -bench FirstScreen -benchtime 3x -timeout 60m ./internal/planreview/
func BenchmarkFirstScreen(b *testing.B) {
	chromium := os.Getenv("MADINA_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err := exec.LookPath(chromium)
	testenv.Need(b, "browser", err == nil, fmt.Sprintf("install Debian's chromium or set MADINA_CHROMIUM (%v)", err))
	if _, err := os.Stat("../platform/web/static/vendor/pdfjs/pdf.min.js"); err != nil {
		b.Skip("PDF.js is not in the build: run make assets")
	}
	sheet, err := sheetBytes()
	if err != nil {
		b.Fatal(err)
	}
	if n := len(sheet); n < 45e6 || n > 55e6 {
		b.Fatalf("the sheet is %d bytes, not 50 MB ± 10 %%", n)
	}
	f := newSheetFixture(b, db.SQLite)
	doc := f.newVersion(sheet, 1)
	review := f.sheet("", doc) + "/review"
	code, page, _ := f.member.Get(review)
	review += "#plan" // the viewer at the top of the window, as a link to the plan opens it
	if code != http.StatusOK {
		b.Fatalf("%s: %d", review, code)
	}
	attr := func(name string) string {
		m := regexp.MustCompile(name + `="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			b.Fatalf("no %s on the review page", name)
		}
		return m[1]
	}
	floorPage := floorData{PDFJS: attr("data-pdfjs"), Worker: attr("data-worker"), PDF: attr("data-pdf")}

	// The application, and the bare page beside it on the same origin.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bench/first-screen-floor", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := floorHTML.Execute(w, floorPage); err != nil {
			b.Error(err)
		}
	})
	mux.Handle("/", f.a.Handler)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)

	ctx := startChromium(b, chromium)
	base, _ := url.Parse(f.srv.URL)
	var cookies []*network.CookieParam
	for _, c := range f.member.C.Jar.Cookies(base) {
		cookies = append(cookies, &network.CookieParam{Name: c.Name, Value: c.Value, URL: srv.URL + "/"})
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.SetCookies, network.SetCookiesParams{Cookies: cookies}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	})); err != nil {
		b.Fatal(err)
	}

	// load navigates to path and returns the milliseconds from navigation
	// start to the first screen's mark.
	load := func(path string) float64 {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(srv.URL+path)); err != nil {
			b.Fatalf("%s: %v", path, err)
		}
		wait, cancelWait := context.WithTimeout(ctx, loadTimeout)
		ms, err := chromedp.Run(wait, chromedp.Evaluate[float64](firstScreenJS, chromedp.EvalAwaitPromise))
		cancelWait()
		if err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](stateJS))
			b.Fatalf("%s: %v\n%s", path, err, state)
		}
		return ms
	}
	// The region of the page the viewer has on screen, its scale and
	// pixel ratio, for the floor to render the same.
	load(review)
	region, err := chromedp.Run(ctx, chromedp.Evaluate[floorRegion](regionJS))
	if err != nil {
		b.Fatal(err)
	}
	if region.W <= 0 || region.H <= 0 || region.Scale <= 0 {
		b.Fatalf("nothing of the sheet on screen: %+v", region)
	}
	floor := fmt.Sprintf("/bench/first-screen-floor?scale=%g&x=%d&y=%d&w=%d&h=%d&ratio=%g",
		region.Scale, region.X, region.Y, region.W, region.H, region.Ratio)
	load(floor)
	b.Logf("sheet %d bytes; region on screen %d×%d CSS px at (%d, %d) of a %.0f×%.0f page, scale %.4f, pixel ratio %g",
		len(sheet), region.W, region.H, region.X, region.Y, region.PageW, region.PageH, region.Scale, region.Ratio)

	var viewer, bare []float64
	i := 0
	for b.Loop() {
		var v, fl float64
		if i%2 == 0 {
			v, fl = load(review), load(floor)
		} else {
			fl, v = load(floor), load(review)
		}
		viewer, bare = append(viewer, v), append(bare, fl)
		b.Logf("iteration %d: viewer %.0f ms, floor %.0f ms, %.2f×", i+1, v, fl, v/fl)
		i++
	}
	mv, mf := mean(viewer), mean(bare)
	b.ReportMetric(mv*1e6, "viewer-ns/op")
	b.ReportMetric(mf*1e6, "floor-ns/op")
	b.ReportMetric(mv/mf, "viewer/floor")
	b.Logf("viewer median %.0f ms, floor median %.0f ms", median(viewer), median(bare))
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// startChromium launches a headless Chromium for b, as the browser tests
// do (e2e), and returns a tab's context.
func startChromium(b *testing.B, path string) context.Context {
	b.Helper()
	profile := b.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	start, cancelStart := context.WithTimeout(ctx, time.Minute)
	defer cancelStart()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			b.Fatalf("start Chromium: %v", err)
		}
	case <-start.Done():
		b.Fatal("start Chromium: no answer within a minute")
	}
	return ctx
}

// stateJS tells where the page is, when the first screen does not come.
const stateJS = `JSON.stringify({url: location.href, ready: document.readyState, now: performance.now(),
	viewer: (document.querySelector('[data-plan-viewer]') || {}).outerHTML?.slice(0, 300),
	rect: document.querySelector('[data-plan-viewer]')?.getBoundingClientRect(), inner: innerHeight,
	floorError: document.body?.dataset.floorError})`

// firstScreenJS waits for the first screen's mark and gives its time
// from navigation start, in milliseconds; it fails if the viewer says it
// could not draw the sheet.
const firstScreenJS = `new Promise((resolve, reject) => {
	const name = 'madina:plan-first-screen';
	const found = () => performance.getEntriesByName(name)[0];
	if (found()) return resolve(found().startTime);
	new PerformanceObserver((list, o) => {
		const m = list.getEntriesByName(name)[0];
		if (m) { o.disconnect(); resolve(m.startTime); }
	}).observe({type: 'mark'});
	const failed = setInterval(() => {
		const e = document.querySelector('[data-plan-viewer] [role=alert], [data-floor-error]');
		if (e) { clearInterval(failed); reject(new Error(e.textContent || e.dataset.floorError)); }
	}, 500);
})`

// floorRegion is the part of page 1 the viewer has on screen, in CSS
// pixels of its canvas, with the viewer's scale and pixel ratio.
type floorRegion struct {
	X, Y, W, H   int
	Scale, Ratio float64
	PageW, PageH float64
}

const regionJS = `(() => {
	const frame = document.querySelector('.plan-viewer-page[data-page="1"]');
	const sheet = frame.querySelector('.plan-viewer-sheet'), canvas = sheet.querySelector('canvas');
	const r = sheet.getBoundingClientRect(), v = document.querySelector('.plan-viewer-pages').getBoundingClientRect();
	const x0 = Math.max(r.left, v.left), x1 = Math.min(r.right, v.right);
	const y0 = Math.max(r.top, v.top), y1 = Math.min(r.bottom, v.bottom);
	return {X: Math.floor(x0 - r.left), Y: Math.floor(y0 - r.top), W: Math.ceil(x1 - x0), H: Math.ceil(y1 - y0),
		Scale: frame.vp.scale, Ratio: canvas.width / Math.floor(frame.vp.width), PageW: frame.vp.width, PageH: frame.vp.height};
})()`

type floorData struct{ PDFJS, Worker, PDF string }

// floorHTML is the bare page: PDF.js alone renders the region asked for
// (scale, x, y, w, h, ratio in its address) of page 1, as the viewer
// draws a part of a page (its detail canvas), then sets the same mark.
var floorHTML = template.Must(template.New("floor").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>PDF.js alone</title>
<canvas></canvas>
<script type="module">
async function floor() {
  const q = new URLSearchParams(location.search);
  const scale = Number(q.get("scale")), x = Number(q.get("x")), y = Number(q.get("y"));
  const w = Number(q.get("w")), h = Number(q.get("h")), ratio = Number(q.get("ratio"));
  const pdfjs = await import({{.PDFJS}});
  pdfjs.GlobalWorkerOptions.workerSrc = {{.Worker}};
  const doc = await pdfjs.getDocument({ url: {{.PDF}}, withCredentials: true }).promise;
  const page = await doc.getPage(1);
  const vp = page.getViewport({ scale, rotation: page.rotate });
  const canvas = document.querySelector("canvas");
  canvas.width = Math.floor(w * ratio);
  canvas.height = Math.floor(h * ratio);
  canvas.style.width = w + "px";
  canvas.style.height = h + "px";
  await page.render({ canvas, viewport: vp, transform: [ratio, 0, 0, ratio, -x * ratio, -y * ratio] }).promise;
  performance.mark("madina:plan-first-screen");
}
floor().catch((err) => { document.body.dataset.floorError = String(err); });
</script>
</html>
`))
