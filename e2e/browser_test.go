package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"madina/internal/platform/testenv"
)

const (
	actionTimeout = 20 * time.Second // one navigation, click or evaluation
	launchTimeout = 60 * time.Second // starting Chromium, opening a tab
)

// otherLanguage is what a browser sends when its user reads none of
// Madina's languages (Swedish here), so that the site's own default applies.
const otherLanguage = "sv-SE,sv;q=0.9"

// browser is one headless Chromium shared by a test's subtests.
type browser struct {
	ctx context.Context
}

// startBrowser launches Chromium for t and closes it when t ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := os.Getenv("MADINA_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	_, err := exec.LookPath(path)
	testenv.Need(t, "browser", err == nil, fmt.Sprintf("install Debian's chromium or set MADINA_CHROMIUM (%v)", err))
	profile := t.TempDir() // before the cleanup below, so removed after Chromium exits
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests often run as root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Do starts Chromium and ties it to ctx, so it cannot take a
	// timeout of its own: watch it from here instead.
	within(t, launchTimeout, "start Chromium", func() error { return chromedp.Do(ctx) })
	return &browser{ctx: ctx}
}

// within runs f and fails t if it errs or takes longer than d. While f
// answers errNotYet (a message still on its way), it is tried again every
// 100 ms until d has passed.
func within(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.After(d)
	for {
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			switch {
			case err == nil:
				return
			case !errors.Is(err, errNotYet):
				t.Fatalf("%s: %v", what, err)
			}
		case <-deadline:
			t.Fatalf("%s: no answer within %s", what, d)
		}
		select {
		case <-deadline:
			t.Fatalf("%s: not yet after %s", what, d)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tab is a browser tab in a browser context of its own: its own cookies,
// like a fresh private window.
type tab struct {
	t *testing.T // the test that uses the tab now; see in
	*tabState
}

type tabState struct {
	ctx  context.Context
	base string // the server's URL

	mu      sync.Mutex
	console []chromedp.ConsoleMessage // errors and exceptions not yet checked
}

// in is the same tab used by subtest t.
func (tb *tab) in(t *testing.T) *tab { return &tab{t: t, tabState: tb.tabState} }

// viewport is a screen size in CSS pixels.
type viewport struct {
	width, height int64
	mobile        bool // a phone's touch screen and mobile layout viewport
}

var (
	desktop = viewport{1280, 900, false}
	phone   = viewport{375, 740, true}
)

// newTab opens a tab on srv with viewport v, in a browser that asks for
// otherLanguage.
func (b *browser) newTab(t *testing.T, srv *server, v viewport) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, tabState: &tabState{ctx: ctx, base: srv.URL}}
	within(t, launchTimeout, "open a tab", func() error { return chromedp.Do(ctx) })
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				tb.mu.Lock()
				tb.console = append(tb.console, m)
				tb.mu.Unlock()
			}
		}
	}()
	var vopts []chromedp.EmulateViewportOption
	if v.mobile {
		vopts = append(vopts, chromedp.EmulateMobile)
	}
	// Reduced motion: with it, the site scrolls smoothly (scroll-behavior:
	// smooth), also when chromedp scrolls a button into view before
	// clicking it; the click then lands mid-scroll and the form is never
	// sent.
	reduceMotion := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	})
	tb.do(chromedp.EmulateViewport(v.width, v.height, vopts...), acceptLanguageAction(otherLanguage), reduceMotion)
	return tb
}

// acceptLanguageAction makes the tab's requests carry Accept-Language: v.
func acceptLanguageAction(v string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": v}})
		return err
	})
}

// do runs actions with a time limit, failing the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// get runs one action that returns a value, with a time limit.
func get[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
	return v
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	return get(tb, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// open navigates to path and fails unless the page answers with status.
func (tb *tab) open(path string, status int64) {
	tb.t.Helper()
	resp := get(tb, chromedp.NavigateResponse(tb.base+path))
	tb.checkStatus(path, resp, status)
}

// follow performs a user action that loads a page (a click on a link) and
// waits for that page, which must answer with status.
func (tb *tab) follow(what string, status int64, action chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
	tb.checkStatus(what, resp, status)
}

func (tb *tab) checkStatus(what string, resp *network.Response, status int64) {
	tb.t.Helper()
	if resp == nil {
		tb.t.Fatalf("%s: no page loaded", what)
	}
	if resp.Status != status {
		tb.t.Fatalf("%s: %s answered %d, want %d", what, resp.URL, resp.Status, status)
	}
}

// setLanguage chooses lang with the language switcher's address, as a
// click on it would: the site remembers it in a cookie.
func (tb *tab) setLanguage(lang string) {
	tb.t.Helper()
	tb.open("/?lang="+lang, 200)
	if got := eval[string](tb, `document.documentElement.lang`); got != lang {
		tb.t.Fatalf("after /?lang=%s the page is in %q", lang, got)
	}
}

// path is the current page's path and query.
func (tb *tab) path() string {
	tb.t.Helper()
	return eval[string](tb, `location.pathname + location.search`)
}

// checkConsole fails the test for errors and uncaught exceptions the pages
// logged since the last check. An error page's own status ("Failed to load
// resource: … 404") is expected and ignored when pageURL names it.
func (tb *tab) checkConsole(pageURL string) {
	tb.t.Helper()
	tb.mu.Lock()
	msgs := tb.console
	tb.console = nil
	tb.mu.Unlock()
	var bad []string
	for _, m := range msgs {
		if pageURL != "" && m.Source == "network" && m.URL == pageURL {
			continue
		}
		if m.URL != "" {
			bad = append(bad, fmt.Sprintf("%s (%s)", m, m.URL))
		} else {
			bad = append(bad, m.String())
		}
	}
	if len(bad) > 0 {
		tb.t.Errorf("browser console:\n  %s", strings.Join(bad, "\n  "))
	}
}

// axeTags are the rule sets a page must pass: WCAG 2.1 A and AA, and
// axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"}

// axeScript is node_modules/axe-core/axe.min.js, installed by npm ci.
var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

type axeResult struct {
	Version    string
	Violations []struct {
		ID, Impact, Help, HelpURL string
		Nodes                     []struct{ Target, Summary string }
	}
	Incomplete []string
	Passes     int
}

// needAxe skips or fails t when axe-core is not installed.
func needAxe(t *testing.T) string {
	t.Helper()
	src, err := axeScript()
	testenv.Need(t, "browser", err == nil, fmt.Sprintf("axe-core missing: run npm ci at the repository root (%v)", err))
	return src
}

// checkAxe runs axe-core on the current page and fails the test with a
// readable list if it finds any violation.
func (tb *tab) checkAxe() {
	tb.t.Helper()
	src := needAxe(tb.t)
	// Runtime.evaluate is not subject to the page's Content-Security-Policy
	// (script-src 'self'), so axe runs on the page exactly as served.
	tb.do(chromedp.Evaluate[chromedp.Void](src))
	tags, _ := json.Marshal(axeTags)
	js := fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
		.then(r => ({
			version: axe.version,
			violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
				nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), summary: n.failureSummary || ''}))})),
			incomplete: r.incomplete.map(v => v.id),
			passes: r.passes.length,
		}))`, tags)
	r := eval[axeResult](tb, js)
	where := tb.path()
	if r.Passes == 0 {
		tb.t.Errorf("axe-core %s checked nothing on %s", r.Version, where)
	}
	if len(r.Incomplete) > 0 {
		tb.t.Logf("axe-core %s on %s: to review by hand: %s", r.Version, where, strings.Join(r.Incomplete, ", "))
	}
	if len(r.Violations) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "axe-core %s: %d rules violated on %s:", r.Version, len(r.Violations), where)
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "\n  %s [%s] %s (%s)", v.ID, v.Impact, v.Help, v.HelpURL)
		for i, n := range v.Nodes {
			if i == 3 {
				fmt.Fprintf(&b, "\n      … and %d more", len(v.Nodes)-i)
				break
			}
			fmt.Fprintf(&b, "\n      %s: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
		}
	}
	tb.t.Error(b.String())
}
