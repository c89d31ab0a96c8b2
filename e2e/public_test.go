package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPublicPages opens the home page, an arrondissement's page and the
// privacy notice at 390 and 1366 pixels in Arabic and French: no sideways
// scrolling, axe clean (WCAG 2.2), targets large enough, header under 120
// pixels; then a signed-in citizen's header with a two-digit unread count
// on a phone. MADINA_PUBLIC_SHOTS=DIR saves a screenshot of each.
func TestPublicPages(t *testing.T) {
	needAxe(t)
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	shots := os.Getenv("MADINA_PUBLIC_SHOTS")
	shoot := func(tb *tab, name string) {
		if shots == "" {
			return
		}
		eval[bool](tb, `document.fonts.ready.then(() => true)`)
		png := get(tb, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
	for _, v := range []viewport{phone390, laptop1366} {
		tb := b.newTab(t, srv, v)
		for _, lang := range []string{"ar", "fr"} {
			tb.setLanguage(lang)
			for _, p := range []string{"/", "/arrondissements/anfa", "/privacy"} {
				t.Run(fmt.Sprintf("%s %s %d", p, lang, v.width), func(t *testing.T) {
					tb := tb.in(t)
					tb.open(p, 200)
					checkLanguage(tb, lang)
					checkNoHorizontalScroll(tb)
					checkHeader(tb)
					checkTargets(tb)
					checkAxe22(tb)
					tb.checkConsole("")
					shoot(tb, fmt.Sprintf("%s-%s-%d", strings.Trim(strings.ReplaceAll(p+"_home", "/", "_"), "_"), lang, v.width))
				})
			}
		}
	}
	t.Run("signed-in header with unread notices at 390", func(t *testing.T) {
		tb := b.newTab(t, srv, phone390)
		signIn(tb, "youssef.elamrani@example.ma", false)
		for _, lang := range []string{"ar", "fr", "en"} {
			tb.setLanguage(lang)
			tb.open("/", 200)
			// Give the link the badge a person with 12 unread notices gets
			// (the one they have, or a new one).
			eval[bool](tb, `(() => {
				const a = document.querySelector('.account a[href="/me/inbox"]');
				let s = a.querySelector('.nav-count');
				if (!s) { s = document.createElement('span'); s.className = 'nav-count'; a.append(s); }
				s.textContent = '12'; return true; })()`)
			checkNoHorizontalScroll(tb)
			checkHeader(tb)
			checkTargets(tb)
			shoot(tb, "signedin-"+lang+"-390")
		}
		// The switch, signed in, is a form: pressing Arabic saves the
		// preference and comes back to the same page in Arabic.
		tb.open("/procedures?family=urban", 200)
		tb.follow("press العربية", 200, chromedp.Click(chromedp.CSS(`.langs button[lang="ar"]`)))
		checkLanguage(tb, "ar")
		if got := eval[string](tb, `location.pathname + location.search`); got != "/procedures?family=urban" {
			t.Errorf("after the switch: at %s", got)
		}
	})
}
