package e2e

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/platform/i18n"
)

// TestStreetLightJourney (issue #16, point 8), on a 390 px phone in
// Arabic: a citizen reports a broken street light in Sidi Moumen with a
// photo, giving only the point (the outlines place it); another reports
// the same light; Lydec's officer merges the duplicate into the first and
// resolves it with an answer; the reporter reopens it as not fixed; the
// team resolves it again; the public list shows it resolved, with no
// name and no phone. Every page is checked with axe-core and for
// sideways scrolling.
func TestStreetLightJourney(t *testing.T) {
	needAxe(t)
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	ar := i18n.AR
	check := func(tb *tab, what string) {
		t.Helper()
		tb.checkAxe()
		if w := eval[float64](tb, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
			t.Errorf("%s scrolls sideways by %.0f px at 390 px", what, w)
		}
	}
	// The photo, as a phone takes it.
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(3 * x), uint8(5 * y), 90, 255})
		}
	}
	photo := filepath.Join(t.TempDir(), "lampadaire.jpg")
	f, err := os.Create(photo)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, img, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()

	report := func(tb *tab, email, description string, withPhoto bool) (string, string) {
		t.Helper()
		signIn(tb, email, false)
		tb.open("/requests/new/lighting", 200)
		check(tb, "the filing form")
		tb.do(chromedp.SendKeys(chromedp.CSS("#lat-input"), "33.5795"), chromedp.SendKeys(chromedp.CSS("#lon"), "-7.5290"),
			chromedp.SendKeys(chromedp.CSS("#description"), description))
		if withPhoto {
			tb.do(chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}))
		}
		submit(tb, "file a street light", `form[action="/requests/new/lighting"] button[type=submit]`)
		m := regexp.MustCompile(`^(/requests/[0-9]+)\?done=filed$`).FindStringSubmatch(tb.path())
		if m == nil {
			t.Fatalf("after filing at %s", tb.path())
		}
		number := regexp.MustCompile(`R\d{4}-\d{6}`).FindString(mainText(tb))
		if number == "" {
			t.Fatal("no number on the filed request's page")
		}
		return m[1], number
	}

	citizen := b.newTab(t, srv, phone390) // Arabic: the site's default
	page, number := report(citizen, "fatima.benali@example.ma", "الضو مطفي قدام المدرسة، عيطو ليا 0612345678", true)
	check(citizen, "the filed request")
	wantText(citizen, "main", cat.T(ar, "complaint.done.filed"), "سيدي مومن")
	if n := count(citizen, "main img.thumb"); n != 1 {
		t.Errorf("%d photos on the request's page, want 1", n)
	}
	other := b.newTab(t, srv, phone390)
	dupPage, dupNumber := report(other, "youssef.elamrani@example.ma", "Le lampadaire devant l'école est éteint", false)
	other.setLanguage("ar") // his account says French; the journey is in Arabic

	officer := b.newTab(t, srv, phone390)
	signIn(officer, "laila.kettani@example.ma", true)
	officer.setLanguage("ar")
	officer.open(page, 200)
	check(officer, "the officer's request page")
	officer.do(chromedp.SendKeys(chromedp.CSS("#duplicate"), dupNumber))
	submit(officer, "merge the duplicate", `form input[name=change][value=merge] ~ p button[type=submit]`)
	wantText(officer, "main", cat.T(ar, "complaint.done.merge"), cat.T(ar, "complaint.history.merged"), dupNumber)
	check(officer, "after the merge")
	officer.do(chromedp.SendKeys(chromedp.CSS("#note-resolve"), "تم تغيير المصباح."))
	submit(officer, "resolve", `form input[name=change][value=resolve] ~ p button[type=submit]`)
	wantText(officer, "main", cat.T(ar, "complaint.done.resolve"))

	// The duplicate's reporter reads where their request went.
	other.open(dupPage, 200)
	wantText(other, "main", cat.T(ar, "complaint.fact.merged_into"), number)
	check(other, "the merged duplicate")

	// Not fixed: the reporter reopens it.
	citizen.open(page, 200)
	citizen.do(chromedp.SendKeys(chromedp.CSS("#note-reopen"), "مازال الضو مطفي."))
	submit(citizen, "reopen", `form input[name=change][value=reopen] ~ p button[type=submit]`)
	wantText(citizen, "main", cat.T(ar, "complaint.done.reopen"))
	check(citizen, "the reopened request")

	// The team fixes it.
	officer.open(page, 200)
	submit(officer, "start", `form input[name=change][value=start] ~ p button[type=submit]`)
	officer.do(chromedp.SendKeys(chromedp.CSS("#note-resolve"), "تم إصلاح الكابل وتغيير المصباح."))
	submit(officer, "resolve again", `form input[name=change][value=resolve] ~ p button[type=submit]`)
	wantText(officer, "main", cat.T(ar, "complaint.done.resolve"))

	// The reporter rates the answer (the form, under axe, on the phone).
	citizen.open(page, 200)
	if count(citizen, "#stars-4") != 1 {
		t.Fatal("the resolved request's page offers its reporter no rating")
	}
	check(citizen, "the rating form")
	citizen.do(chromedp.Click(chromedp.CSS("#stars-4")), chromedp.SendKeys(chromedp.CSS("#comment"), "شكرا، تم الإصلاح."))
	submit(citizen, "rate", `form input[name=change][value=rate] ~ p button[type=submit]`)
	wantText(citizen, "main", cat.T(ar, "complaint.done.rate"))
	check(citizen, "the rated request")

	// The public list: resolved, no name, no phone.
	anyone := b.newTab(t, srv, phone390)
	anyone.open("/requests/public?arrondissement=sidi-moumen&status=closed", 200)
	check(anyone, "the public list")
	wantText(anyone, "main", number, cat.T(ar, "complaint.state.resolved"))
	body := mainText(anyone)
	for _, secret := range []string{"0612345678", "بنعلي", "Benali", "فاطمة", "Amrani"} {
		if strings.Contains(body, secret) {
			t.Errorf("the public list shows %q", secret)
		}
	}

	// The public map: the requests' layer, ticked and filtered to Sidi
	// Moumen, shows as many requests as the portal lists there; this one
	// is closed, with nothing of its reporter.
	anyone.open("/map", 200)
	if !waitJS(anyone, `document.querySelector('[data-portal-map]').dataset.ready === 'true'`, 20) {
		t.Fatalf("the map did not load: %s", text(anyone, "#map-status"))
	}
	anyone.do(chromedp.Click(chromedp.CSS("#layer-requests")))
	anyone.do(chromedp.SetValue(chromedp.CSS("#filter-arrondissement"), "sidi-moumen"))
	eval[bool](anyone, `document.querySelector('#filter-arrondissement').dispatchEvent(new Event('change', {bubbles: true}))`)
	since := time.Now().Add(-90 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	there := eval[int](anyone, `fetch('/ogc/collections/requests/items?f=json&limit=1&arrondissement=sidi-moumen&datetime=`+since+`/..').then(r => r.json()).then(d => d.numberMatched)`)
	if got := eval[string](anyone, `document.querySelector('[data-portal-map]').dataset.shownRequests`); got != strconv.Itoa(there) || there == 0 {
		t.Errorf("the map shows %s requests in Sidi Moumen; the portal lists %d", got, there)
	}
	if n := count(anyone, "[data-portal-map] .map-pin-request, [data-portal-map] .map-cluster"); n == 0 {
		t.Error("no request marker or cluster on the map")
	}
	check(anyone, "the map with the requests")
	item := eval[string](anyone, `fetch('/ogc/collections/requests/items/`+number+`?f=json').then(r => r.text())`)
	if !strings.Contains(item, `"status":"closed"`) {
		t.Errorf("the map's request %s: %.500s", number, item)
	}
	for _, secret := range []string{"0612345678", "بنعلي", "Benali", "فاطمة", "الضو"} {
		if strings.Contains(item, secret) {
			t.Errorf("the map's request shows %q", secret)
		}
	}
}
