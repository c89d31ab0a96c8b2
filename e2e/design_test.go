package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/platform/testenv"
)

// Screens of the design system's checks: a 390-pixel phone and a laptop.
var (
	phone390   = viewport{390, 844, true}
	laptop1366 = viewport{1366, 768, false}
)

// checkTargets fails when a control a person taps or clicks is smaller
// than 24×24 CSS pixels (WCAG 2.2 2.5.8), or a primary button (.button)
// smaller than 44×44. Links inside running text are exempt, as WCAG
// exempts them; so are hidden controls. Reuse it on every page test.
func checkTargets(tb *tab) {
	tb.t.Helper()
	if small := smallTargets(tb); len(small) > 0 {
		tb.t.Errorf("%s: targets too small to tap:\n  %s", tb.path(), strings.Join(small, "\n  "))
	}
}

// smallTargets lists the controls of the current page under their
// minimum size (see checkTargets).
func smallTargets(tb *tab) []string {
	tb.t.Helper()
	return eval[[]string](tb, `(() => {
		const out = [];
		const inline = e => {
			if (e.tagName !== 'A') return false;
			const p = e.parentElement, d = getComputedStyle(e).display;
			return d === 'inline' && ['P', 'LI', 'TD', 'DD', 'SPAN', 'DIV', 'SMALL', 'STRONG', 'LABEL'].includes(p.tagName) &&
				p.textContent.trim().length > e.textContent.trim().length;
		};
		for (const e of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
			const r = e.getBoundingClientRect(), s = getComputedStyle(e);
			if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') continue;
			if (e.closest('.visually-hidden') || e.classList.contains('skip-link')) continue;
			if (inline(e)) continue;
			const min = e.classList.contains('button') ? 44 : 24;
			if (r.width + 0.5 < min || r.height + 0.5 < min) {
				out.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') +
					' "' + (e.textContent || e.value || e.name || '').trim().slice(0, 30) + '" ' + Math.round(r.width) + '×' + Math.round(r.height) + ' < ' + min);
			}
		}
		return out;
	})()`)
}

// checkHeader fails when the header is 120 pixels high or more.
func checkHeader(tb *tab) {
	tb.t.Helper()
	if h := eval[float64](tb, `document.querySelector('.site-header').getBoundingClientRect().height`); h >= 120 {
		tb.t.Errorf("%s: the header is %.0f px high, want under 120", tb.path(), h)
	}
}

// checkAxe22 runs axe with the WCAG 2.2 rules too (target-size runs
// only then).
func checkAxe22(tb *tab) {
	tb.t.Helper()
	saved := axeTags
	axeTags = append(append([]string{}, saved...), "wcag22aa")
	defer func() { axeTags = saved }()
	tb.checkAxe()
}

// TestDesignSystem visits the style page (as staff) and the home page at
// 390 and 1366 pixels in Arabic and French, and fails on horizontal
// scrolling, axe violations (WCAG 2.2 AA included), targets under 24×24
// pixels, or a header 120 pixels high or more.
func TestDesignSystem(t *testing.T) {
	needAxe(t)
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	t.Run("the target check finds small targets", func(t *testing.T) {
		tb := b.newTab(t, srv, phone390)
		tb.open("/", 200)
		if got := smallTargets(tb); len(got) != 0 {
			t.Fatalf("before planting: %v", got)
		}
		// A 16-pixel icon button, and a primary button 30 pixels high.
		eval[bool](tb, `(() => {
			const b = document.createElement('button'); b.textContent = 'x';
			Object.assign(b.style, {width: '16px', height: '16px', minHeight: '0', padding: '0'});
			const p = document.createElement('a'); p.href = '/'; p.className = 'button'; p.textContent = 'Go';
			Object.assign(p.style, {minHeight: '0', height: '30px', padding: '0 2rem'});
			document.querySelector('main').append(b, p);
			return true;
		})()`)
		if got := smallTargets(tb); len(got) != 2 {
			t.Errorf("planted a 16 px button and a 30 px primary button, found %q", got)
		}
	})
	step := 0
	for _, v := range []viewport{phone390, laptop1366} {
		tb := b.newTab(t, srv, v)
		signInStaffAt(tb, "nadia.bensouda@example.ma", time.Now().Add(time.Duration(step)*30*time.Second))
		step++
		for _, lang := range []string{"ar", "fr"} {
			tb.setLanguage(lang)
			for _, p := range []string{"/design", "/"} {
				t.Run(fmt.Sprintf("%s %s %d", p, lang, v.width), func(t *testing.T) {
					tb := tb.in(t)
					tb.open(p, 200)
					checkLanguage(tb, lang)
					checkNoHorizontalScroll(tb)
					checkHeader(tb)
					checkTargets(tb)
					checkAxe22(tb)
					tb.checkConsole("")
				})
			}
		}
	}
}

// demo leaves in dir what `madina demo --data-dir dir` leaves there
// (copyDemo: loaded once per test process, copied for each test).
func demo(t *testing.T, dir string) {
	t.Helper()
	if err := copyDemo(dir); err != nil {
		t.Fatal(err)
	}
}

// signInStaffAt signs in a demonstration staff member with the second
// factor's code of time at (two sign-ins in one 30-second step would
// replay a code).
func signInStaffAt(tb *tab, email string, at time.Time) {
	tb.t.Helper()
	tb.open("/signin", 200)
	tb.do(chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), "Madina-Casa-2026"))
	tb.follow("sign in", 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)))
	code, err := otptotp.GenerateCode(demoTOTP, at)
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
	tb.follow("second factor", 200, chromedp.Click(chromedp.CSS(`form[action="/signin/second-factor"] button[type=submit]`)))
	if p := tb.path(); p != "/me" {
		tb.t.Fatalf("%s signed in at %s", email, p)
	}
}

// homeBudget is what a first visit to the home page may transfer: HTML,
// CSS, script, icons and fonts (issue #10: under 150 KB on a phone).
const homeBudget = 150 << 10

// TestFirstVisitBudget opens the home page in a fresh browser on a phone,
// in Arabic and in French, adds up the bytes of every response, and fails
// over the budget, or when a static file (stylesheet, script, font) is not
// cached immutably for a year. When the binary carries the fonts (make build), it
// checks they were used; CI requires them.
func TestFirstVisitBudget(t *testing.T) {
	srv := startServer(t)
	b := startBrowser(t)
	for _, lang := range []string{"ar", "fr"} {
		t.Run(lang, func(t *testing.T) {
			tb := b.newTab(t, srv, phone390)
			var mu sync.Mutex
			got := map[string]float64{}
			urls := map[network.RequestID]string{}
			var mutable []string // static files not cached for good
			err := chromedp.Listen(tb.ctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch e := ev.(type) {
				case *network.EventResponseReceived:
					urls[e.RequestID] = e.Response.URL
					if strings.Contains(e.Response.URL, "/static/") {
						if cc, _ := e.Response.Headers["Cache-Control"].(string); cc != "public, max-age=31536000, immutable" {
							mutable = append(mutable, e.Response.URL+": "+cc)
						}
					}
				case *network.EventLoadingFinished:
					got[urls[e.RequestID]] += e.EncodedDataLength
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			tb.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
				return err
			}), acceptLanguageAction(lang))
			tb.open("/", 200)
			eval[bool](tb, `document.fonts.ready.then(() => true)`)
			time.Sleep(300 * time.Millisecond) // the last loadingFinished events
			checkLanguage(tb, lang)
			mu.Lock()
			var total float64
			var lines []string
			fonts := 0
			for u, n := range got {
				total += n
				lines = append(lines, fmt.Sprintf("%6.1f KB %s", n/1024, strings.TrimPrefix(u, srv.URL)))
				if strings.HasSuffix(u, ".woff2") {
					fonts++
				}
			}
			if len(mutable) > 0 {
				t.Errorf("static files without an immutable year-long cache:\n  %s", strings.Join(mutable, "\n  "))
			}
			mu.Unlock()
			t.Logf("first visit in %s: %.1f KB\n  %s", lang, total/1024, strings.Join(lines, "\n  "))
			if total > homeBudget {
				t.Errorf("the first visit to the home page in %s transfers %.1f KB, over %d KB", lang, total/1024, homeBudget>>10)
			}
			if len(got) == 0 {
				t.Fatalf("no response measured")
			}
			withFonts := eval[bool](tb, `[...document.fonts].some(f => f.family.includes('IBM Plex Sans Arabic'))`)
			testenv.Need(t, "browser", withFonts, "the binary has no fonts: run make build (scripts/assets) before the e2e tests")
			if fonts == 0 {
				t.Errorf("the fonts are declared but none was loaded")
			}
		})
	}
}
