package e2e

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"madina/internal/app"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/i18n"
)

// pages lists every page the site serves, with the status it answers. A
// change that adds a page adds it here: every page, in every language,
// must pass axe-core and fit a phone's screen.
var pages = []struct {
	name   string
	path   string
	status int64
}{
	{"home", "/", 200},
	{"arrondissements", "/arrondissements", 200},
	{"arrondissement", "/arrondissements/sidi-othmane", 200},
	{"not found", "/no-such-page", 404},
	{"unknown language", "/?lang=xx", 400},
	{"sign up", "/signup", 200},
	{"sign in", "/signin", 200},
	{"forgotten password", "/reset", 200},
	{"check your e-mail", "/signup/sent", 200},
	{"bad e-mail link", "/verify-email?token=nope", 400},
	{"procedures", "/procedures", 200},
	{"procedures searched", "/procedures?q=%D8%A7%D9%84%D8%A7%D8%B5%D9%84%D8%A7%D8%AD&family=urban", 200},
	{"procedures, none found", "/procedures?q=xyzzy", 200},
	{"building permit procedure", "/procedures/building", 200},
	{"classified establishment procedure", "/procedures/classified_establishment", 200},
	{"habitation permit procedure", "/procedures/habitation", 200},
	{"unknown procedure", "/procedures/kiosk", 404},
	{"track a file", "/track", 200},
	{"text refused", "/procedures?q=%E2%80%AEfdp.exe", 400},
	{"track a file, not found", "/track?number=CASA-2026-00001&code=ABCDEFGH", 404},
}

// TestSite drives one server, on a fresh SQLite database, with one
// Chromium; each scenario has tabs of its own with their own cookies.
func TestSite(t *testing.T) {
	needAxe(t)
	srv := startServer(t)
	b := startBrowser(t) // closes before the server stops
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("home in Arabic by default", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t, srv, desktop)
		tb.open("/", 200)
		checkLanguage(tb, "ar")
		if got := eval[string](tb, `getComputedStyle(document.body).direction`); got != "rtl" {
			t.Errorf("body's computed direction is %q, want rtl", got)
		}
		checkMirrored(tb, "rtl")
		checkOneColumn(tb)
		if got, want := get(tb, chromedp.Text(chromedp.CSS("h1"))), cat.T(i18n.AR, "portal.home.heading"); got != want {
			t.Errorf("heading %q, want %q", got, want)
		}
		tb.checkAxe()
		tb.checkConsole("")
	})

	t.Run("language switch", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t, srv, desktop)
		tb.open("/", 200)
		checkLanguage(tb, "ar")

		tb.follow("click Français", 200, chromedp.Click(chromedp.CSS(`.langs a[hreflang="fr"]`)))
		if p := tb.path(); p != "/" {
			t.Errorf("after the switch the address is %q, want / (the choice is kept in a cookie)", p)
		}
		checkLanguage(tb, "fr")
		if got, want := get(tb, chromedp.Text(chromedp.CSS("h1"), chromedp.NodeVisible)), cat.T(i18n.FR, "portal.home.heading"); got != want {
			t.Errorf("heading %q, want %q", got, want)
		}
		checkMirrored(tb, "ltr")
		tb.checkAxe()

		// The choice holds on the next page.
		tb.follow("click the arrondissements link", 200, chromedp.Click(chromedp.CSS(`.site-footer a[href="/arrondissements"]`)))
		checkLanguage(tb, "fr")
		if got, want := get(tb, chromedp.Text(chromedp.CSS("h1"))), cat.T(i18n.FR, "district.list.title"); got != want {
			t.Errorf("heading %q, want %q", got, want)
		}

		// Back to Arabic, on the same page.
		tb.follow("click العربية", 200, chromedp.Click(chromedp.CSS(`.langs a[hreflang="ar"]`)))
		if p := tb.path(); p != "/arrondissements" {
			t.Errorf("after the switch the address is %q, want /arrondissements", p)
		}
		checkLanguage(tb, "ar")
		checkMirrored(tb, "rtl")

		// An explicit choice outlives the browser's own language.
		tb.do(acceptLanguageAction("fr-FR,fr;q=0.9"))
		tb.follow("click the home link", 200, chromedp.Click(chromedp.CSS(`a.brand[href="/"]`)))
		checkLanguage(tb, "ar")
		tb.checkConsole("")
	})

	t.Run("every page passes axe", func(t *testing.T) {
		t.Parallel()
		for _, lang := range i18n.Langs {
			t.Run(string(lang), func(t *testing.T) {
				tb := b.newTab(t, srv, desktop)
				tb.setLanguage(string(lang))
				for _, p := range pages {
					t.Run(p.name, func(t *testing.T) {
						tb := tb.in(t)
						tb.open(p.path, p.status)
						checkLanguage(tb, string(lang))
						tb.checkAxe()
						tb.checkConsole(srv.URL + p.path)
					})
				}
			})
		}
	})

	t.Run("skip link first on the keyboard", func(t *testing.T) {
		t.Parallel()
		for _, lang := range i18n.Langs {
			t.Run(string(lang), func(t *testing.T) {
				tb := b.newTab(t, srv, desktop)
				tb.setLanguage(string(lang)) // loads the home page
				tb.do(chromedp.KeyEvent(kb.Tab))
				focus := eval[struct {
					Skip   bool
					Inside bool
				}](tb, `(() => {
					const e = document.activeElement, r = e.getBoundingClientRect();
					return {skip: e.matches('a.skip-link'),
						inside: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
							r.bottom <= innerHeight && r.right <= innerWidth};
				})()`)
				if !focus.Skip {
					t.Fatalf("Tab focused %s, want the skip link", eval[string](tb, `document.activeElement.outerHTML.slice(0, 120)`))
				}
				if !focus.Inside {
					t.Errorf("the focused skip link is not inside the viewport")
				}
				tb.do(chromedp.KeyEvent(kb.Enter))
				get(tb, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === 'main'`))
				if h := eval[string](tb, `location.hash`); h != "#main" {
					t.Errorf("after the skip link the address ends with %q, want #main", h)
				}
				tb.checkConsole("")
			})
		}
	})

	t.Run("phone without horizontal scrolling", func(t *testing.T) {
		t.Parallel()
		for _, lang := range i18n.Langs {
			t.Run(string(lang), func(t *testing.T) {
				tb := b.newTab(t, srv, phone)
				tb.setLanguage(string(lang))
				for _, p := range pages {
					t.Run(p.name, func(t *testing.T) {
						tb := tb.in(t)
						tb.open(p.path, p.status)
						checkNoHorizontalScroll(tb)
					})
				}
			})
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t, srv, desktop)
		tb.open("/", 200)
		eval[bool](tb, `document.fonts.ready.then(() => true)`)
		shot := get(tb, chromedp.CaptureScreenshot())
		cfg, err := png.DecodeConfig(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("screenshot is no PNG: %v", err)
		}
		if cfg.Width != 1280 || cfg.Height != 900 {
			t.Errorf("screenshot is %d×%d, want 1280×900", cfg.Width, cfg.Height)
		}
		if path := os.Getenv("MADINA_SCREENSHOT"); path != "" {
			if !filepath.IsAbs(path) {
				path = filepath.Join(root, path)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		}
	})
}

// TestSiteOnPostgres checks that the binary serves its pages from
// PostgreSQL too; it needs MADINA_TEST_DATABASE_URL.
func TestSiteOnPostgres(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	needAxe(t)
	srv := startServer(t, "--database-url", url)
	b := startBrowser(t)
	tb := b.newTab(t, srv, desktop)
	for _, p := range pages {
		tb.open(p.path, p.status)
		checkLanguage(tb, "ar")
		tb.checkConsole(srv.URL + p.path)
	}
	tb.open("/arrondissements", 200)
	tb.checkAxe()
	tb.follow("click an arrondissement", 200, chromedp.Click(chromedp.CSS(`a[href="/arrondissements/sidi-othmane"]`)))
	tb.checkConsole("")
}

// checkLanguage checks the page's language and direction.
func checkLanguage(tb *tab, lang string) {
	tb.t.Helper()
	got := eval[struct{ Lang, Dir string }](tb, `({lang: document.documentElement.lang, dir: document.documentElement.dir})`)
	want := i18n.Lang(lang).Dir()
	if got.Lang != lang || got.Dir != want {
		tb.t.Errorf("%s: <html lang=%q dir=%q>, want lang=%q dir=%q", tb.path(), got.Lang, got.Dir, lang, want)
	}
}

// checkMirrored checks that the header is laid out in the page's
// direction: the brand at the start (the right in Arabic) and the language
// switcher at the end.
func checkMirrored(tb *tab, dir string) {
	tb.t.Helper()
	type box struct{ Left, Right float64 }
	l := eval[struct {
		Width        float64
		Brand, Langs box
	}](tb, `(() => {
		const box = s => { const r = document.querySelector(s).getBoundingClientRect(); return {left: r.left, right: r.right}; };
		return {width: document.documentElement.clientWidth, brand: box('.site-header .brand'), langs: box('.site-header .langs')};
	})()`)
	mid := l.Width / 2
	right := func(b box) bool { return b.Left >= mid }
	left := func(b box) bool { return b.Right <= mid }
	ok := right(l.Brand) && left(l.Langs)
	if dir == "ltr" {
		ok = left(l.Brand) && right(l.Langs)
	}
	if !ok {
		tb.t.Errorf("%s (%s): brand at %.0f–%.0f and languages at %.0f–%.0f of %.0f px: the header is not laid out %s",
			tb.path(), dir, l.Brand.Left, l.Brand.Right, l.Langs.Left, l.Langs.Right, l.Width, dir)
	}
}

// checkOneColumn checks that the header, the main content and the footer
// line up in one column on a wide screen.
func checkOneColumn(tb *tab) {
	tb.t.Helper()
	type edges struct{ Left, Right float64 }
	got := eval[map[string]edges](tb, `(() => {
		const content = s => { const e = document.querySelector(s), r = e.getBoundingClientRect(), c = getComputedStyle(e);
			return {left: r.left + parseFloat(c.paddingLeft), right: r.right - parseFloat(c.paddingRight)}; };
		return {header: content('.site-header .bar'), main: content('main'), footer: content('.site-footer > p')};
	})()`)
	want := got["main"]
	for _, part := range []string{"header", "footer"} {
		e := got[part]
		if math.Abs(e.Left-want.Left) > 1 || math.Abs(e.Right-want.Right) > 1 {
			tb.t.Errorf("%s: the %s's content spans %.0f–%.0f px, main's %.0f–%.0f px", tb.path(), part, e.Left, e.Right, want.Left, want.Right)
		}
	}
}

// checkNoHorizontalScroll fails when the page is wider than the viewport,
// naming the elements that stick out.
func checkNoHorizontalScroll(tb *tab) {
	tb.t.Helper()
	r := eval[struct {
		ScrollWidth, ClientWidth float64
		Wide                     []string
	}](tb, `(() => {
		const d = document.documentElement, w = d.clientWidth;
		const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
			(typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
		const wide = [...document.body.querySelectorAll('*')]
			.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > w + 1 || r.left < -1); })
			.slice(0, 8).map(name);
		return {scrollWidth: d.scrollWidth, clientWidth: w, wide};
	})()`)
	if r.ScrollWidth > r.ClientWidth {
		tb.t.Errorf("%s scrolls sideways on a phone: %.0f px wide in a %.0f px viewport; sticking out: %s",
			tb.path(), r.ScrollWidth, r.ClientWidth, strings.Join(r.Wide, ", "))
	}
}
