package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"madina/internal/platform/i18n"
)

// staticWith is the committed static folder plus extra files (what
// scripts/assets brings), as the binary embeds it.
func staticWith(t *testing.T, extra map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, n := range []string{"app.css", "app.js", "favicon.svg"} {
		b, err := os.ReadFile("static/" + n)
		if err != nil {
			t.Fatal(err)
		}
		fsys["static/"+n] = &fstest.MapFile{Data: b}
	}
	for n, s := range extra {
		fsys["static/"+n] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

const fakeFonts = `@font-face{font-family:"IBM Plex Sans Arabic";font-weight:400;font-display:swap;src:url(fonts/plex-arabic-400.woff2) format("woff2");unicode-range:U+0600-06FF}`

// TestFontsReachTheStylesheetHashed: with the fonts the build brings,
// app.css starts with their @font-face rules pointing at the fonts'
// hashed URLs, which are served with a one-year immutable cache; a new
// font changes app.css's own URL. Without them (a bare go build), app.css
// is served alone, with no rule pointing nowhere.
func TestFontsReachTheStylesheetHashed(t *testing.T) {
	with, err := loadAssets(staticWith(t, map[string]string{
		"vendor/fonts.css":                   fakeFonts,
		"vendor/fonts/plex-arabic-400.woff2": "wOF2 one",
	}))
	if err != nil {
		t.Fatal(err)
	}
	fontURL, err := with.URL("vendor/fonts/plex-arabic-400.woff2")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^/static/vendor/fonts/plex-arabic-400\.[0-9a-f]{12}\.woff2$`).MatchString(fontURL) {
		t.Errorf("font URL %q is not content-hashed", fontURL)
	}
	cssURL, _ := with.URL("app.css")
	css := string(with.byURL[cssURL].body)
	if !strings.HasPrefix(css, `@font-face{`) || !strings.Contains(css, "src:url("+fontURL+`) format("woff2")`) {
		t.Errorf("app.css does not start with the @font-face rule at the font's hashed URL:\n%.300s", css)
	}
	if !strings.Contains(css, "font-display:swap") || !strings.Contains(css, "unicode-range:") {
		t.Errorf("the @font-face rule lost font-display or unicode-range")
	}
	if with.Has(fontRules) {
		t.Errorf("%s is served on its own: it belongs inside app.css", fontRules)
	}

	// The server's answer: type and immutable cache.
	rd := &Renderer{assets: with}
	for u, ctype := range map[string]string{fontURL: "font/woff2", cssURL: "text/css; charset=utf-8"} {
		w := httptest.NewRecorder()
		rd.StaticHandler(nil).ServeHTTP(w, httptest.NewRequest("GET", u, nil))
		if w.Code != 200 || w.Header().Get("Content-Type") != ctype ||
			w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: %d %q %q", u, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
		}
	}

	// Another font file, another stylesheet address.
	other, err := loadAssets(staticWith(t, map[string]string{
		"vendor/fonts.css":                   fakeFonts,
		"vendor/fonts/plex-arabic-400.woff2": "wOF2 two",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := other.URL("app.css"); u == cssURL {
		t.Errorf("a new font kept app.css at %s: browsers would keep the old rules", u)
	}

	// Without the fonts.
	without, err := loadAssets(staticWith(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := without.URL("app.css")
	plain, _ := os.ReadFile("static/app.css")
	if !bytes.Equal(without.byURL[u].body, plain) {
		t.Errorf("without fonts app.css is not served as committed")
	}

	// A stylesheet naming a file the build did not bring is an error.
	if _, err := loadAssets(staticWith(t, map[string]string{"vendor/fonts.css": fakeFonts})); err == nil {
		t.Errorf("a @font-face rule naming a missing font was accepted")
	}
}

// TestPagesRenderWithoutBuiltAssets: a bare go build on a fresh clone has
// no fonts and no icons; pages still render, with the system fonts and no
// icon markup, and an icon name missing from icons.txt still fails.
func TestPagesRenderWithoutBuiltAssets(t *testing.T) {
	cat, err := i18n.Load(Messages, fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"layout.signin":"s","layout.signup":"s","layout.user_nav":"s"}`)},
		"messages/fr.json": {Data: []byte(`{}`)}, "messages/en.json": {Data: []byte(`{}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	pages := fstest.MapFS{
		"templates/p.html":   {Data: []byte(`{{define "content"}}<p>{{icon "arrow-right"}}x</p>{{end}}`)},
		"templates/bad.html": {Data: []byte(`{{define "content"}}{{icon "no-such-icon"}}{{end}}`)},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name     string
		static   fstest.MapFS
		wantIcon bool
	}{
		{"without vendor", staticWith(t, nil), false},
		{"with vendor", staticWith(t, map[string]string{"vendor/icons/arrow-right.svg": `<!-- c --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M5 12h14" onclick="x()"/></svg>`}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := newRenderer(cat, log, nil, tc.static, Pages{Prefix: "t", FS: pages})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			rd.Render(w, httptest.NewRequest("GET", "/", nil), 200, "t/p", Msg("site.name"), nil)
			body := w.Body.String()
			if w.Code != 200 || !strings.Contains(body, "x</p>") {
				t.Fatalf("page: %d\n%s", w.Code, body)
			}
			hasIcon := strings.Contains(body, `<svg class="icon icon-arrow-right icon-mirror"`)
			if hasIcon != tc.wantIcon {
				t.Errorf("icon drawn: %v, want %v", hasIcon, tc.wantIcon)
			}
			if strings.Contains(body, "onclick") {
				t.Errorf("an attribute from the icon file reached the page")
			}
			w = httptest.NewRecorder()
			rd.Render(w, httptest.NewRequest("GET", "/", nil), 200, "t/bad", Msg("site.name"), nil)
			if w.Code != 500 {
				t.Errorf("an icon missing from icons.txt rendered with %d", w.Code)
			}
		})
	}
}

func TestSVGShapesRefusesMarkup(t *testing.T) {
	for _, src := range []string{
		`<svg><script>alert(1)</script></svg>`,
		`<svg><foreignObject><p>x</p></foreignObject></svg>`,
		`<html></html>`,
		`<svg></svg>`,
	} {
		if got, err := svgShapes(src); err == nil {
			t.Errorf("%s: accepted as %q", src, got)
		}
	}
	got, err := svgShapes(`<svg a="b"><circle cx="1" cy="2" r="3" style="x"/><path d="m9 18 6-6"/></svg>`)
	if err != nil || got != `<circle cx="1" cy="2" r="3"/><path d="m9 18 6-6"/>` {
		t.Errorf("svgShapes = %q, %v", got, err)
	}
}

func TestDict(t *testing.T) {
	m, err := dict("A", 1, "B", "two")
	if err != nil || m["A"] != 1 || m["B"] != "two" || len(m) != 2 {
		t.Errorf("dict = %v, %v", m, err)
	}
	for _, bad := range [][]any{{"A"}, {1, 2}, {"A", 1, "A", 2}} {
		if _, err := dict(bad...); err == nil {
			t.Errorf("dict(%v) accepted", bad)
		}
	}
	if l := list(1, "a"); len(l) != 2 {
		t.Errorf("list = %v", l)
	}
}

func TestErrorListFollowsTheForm(t *testing.T) {
	f := Form{Errors: map[string]string{"phone": "P", "email": "E", "zeta": "Z", "alpha": "A"}, Error: "whole"}
	got := f.ErrorList("email", "phone")
	want := []FieldError{{"email", "E"}, {"phone", "P"}, {"alpha", "A"}, {"zeta", "Z"}, {"", "whole"}}
	if len(got) != len(want) {
		t.Fatalf("ErrorList = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ErrorList[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestStylesheetIsLogical: the stylesheet mirrors itself between Arabic
// and French only if it never names a physical side.
func TestStylesheetIsLogical(t *testing.T) {
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	if bad := physical(string(css)); len(bad) > 0 {
		t.Errorf("app.css names physical sides (use inline-start/end): %s", strings.Join(bad, "; "))
	}
	if bad := physical(".a { margin-left: 1px; float: right; text-align: left } .b { left: 0 }"); len(bad) != 4 {
		t.Errorf("the check finds %v in a planted rule, want 4", bad)
	}
}

var physicalSide = regexp.MustCompile(`(?i)(?:[a-z-]*-(?:left|right)[a-z-]*\s*:|[{;\s](?:left|right)\s*:|:\s*(?:left|right)\b)`)

func physical(css string) []string {
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	return physicalSide.FindAllString(css, -1)
}

// TestColourTokensContrast computes WCAG 2.1 contrast for the colour
// tokens' pairs of text and background (axe skips contrast on Arabic
// text, so the tokens are checked here): 4.5:1 for text, 3:1 for
// controls' borders and the focus ring.
func TestColourTokensContrast(t *testing.T) {
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		tokens[m[1]] = m[2]
	}
	pairs := []struct {
		fg, bg string
		min    float64
	}{
		{"ink", "paper", 4.5}, {"muted", "paper", 4.5}, {"muted", "band", 4.5}, {"ink", "band", 4.5},
		{"link", "paper", 4.5}, {"link", "band", 4.5}, {"link", "info-tint", 4.5}, {"link", "success-tint", 4.5},
		{"on-brand", "brand", 4.5}, {"on-brand", "brand-dark", 4.5}, {"on-brand", "success", 4.5},
		{"on-brand", "error", 4.5}, {"on-brand", "info", 4.5}, {"error", "paper", 4.5}, {"error", "error-tint", 4.5},
		{"ink", "success-tint", 4.5}, {"ink", "info-tint", 4.5}, {"ink", "error-tint", 4.5}, {"focus-ring", "focus", 4.5},
		{"tag-grey", "tag-grey-bg", 4.5}, {"tag-blue", "tag-blue-bg", 4.5}, {"tag-yellow", "tag-yellow-bg", 4.5},
		{"tag-green", "tag-green-bg", 4.5}, {"tag-red", "tag-red-bg", 4.5}, {"warning", "paper", 4.5},
		{"input-border", "paper", 3}, {"focus-ring", "paper", 3}, {"focus", "brand-dark", 3}, {"brand", "paper", 3},
	}
	for _, p := range pairs {
		fg, bg := tokens[p.fg], tokens[p.bg]
		if fg == "" || bg == "" {
			t.Errorf("token --%s or --%s is gone", p.fg, p.bg)
			continue
		}
		if c := contrast(fg, bg); c < p.min {
			t.Errorf("--%s %s on --%s %s: contrast %.2f, want %.1f", p.fg, fg, p.bg, bg, c, p.min)
		}
	}
	if c := contrast("#999999", "#ffffff"); c > 3 {
		t.Errorf("contrast(#999, #fff) = %.2f: the formula is wrong", c)
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

// TestStylesheetGzipped: text assets go compressed to browsers that
// accept it, whole to the others, with Vary so caches keep both.
func TestStylesheetGzipped(t *testing.T) {
	a, err := loadAssets(staticWith(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	rd := &Renderer{assets: a}
	u, _ := a.URL("app.css")
	plain, _ := os.ReadFile("static/app.css")
	for _, tc := range []struct {
		accept string
		gz     bool
	}{{"gzip, deflate, br", true}, {"", false}, {"br", false}, {"gzip;q=0", false}} {
		r := httptest.NewRequest("GET", u, nil)
		r.Header.Set("Accept-Encoding", tc.accept)
		w := httptest.NewRecorder()
		rd.StaticHandler(nil).ServeHTTP(w, r)
		body := w.Body.Bytes()
		if tc.gz {
			if w.Header().Get("Content-Encoding") != "gzip" || len(body) > len(plain)/3 {
				t.Errorf("Accept-Encoding %q: %q, %d bytes of %d", tc.accept, w.Header().Get("Content-Encoding"), len(body), len(plain))
				continue
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		} else if w.Header().Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: compressed", tc.accept)
		}
		if !bytes.Equal(body, plain) || w.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: body differs or no Vary", tc.accept)
		}
	}
}
