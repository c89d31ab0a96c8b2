// Package web renders Madina's server-side pages: one layout (header,
// navigation, language switcher, footer) around each capability's page
// templates, in the request's language and direction, with static assets
// served under content-hashed URLs. Every template is parsed at start-up.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

//go:embed layout/*.html
var layoutFS embed.FS

// pagesFS holds the platform's own pages (the error page).
//
//go:embed templates/*.html
var pagesFS embed.FS

//go:embed static
var staticFS embed.FS

// Messages holds the layout's and error pages' texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Pages is one capability's page templates: files templates/NAME.html in FS,
// each defining "title" and "content", known as Prefix/NAME.
type Pages struct {
	Prefix string
	FS     fs.FS
}

// NavItem is an entry of the main navigation.
type NavItem struct {
	Key  string // message key of its label
	Href string
	Rank int // orders the entries of all capabilities, lowest first
	// Show, when set, tells whether the entry is for the request's visitor
	// (e.g. the queue, for window agents only); nil shows it to everyone.
	Show func(ctx context.Context) bool
}

// Renderer renders pages.
type Renderer struct {
	cat    *i18n.Catalog
	log    *slog.Logger
	pages  map[string]*template.Template
	assets *Assets
	nav    []NavItem

	mu     sync.RWMutex
	static map[string]cachedPage
}

// cachedPage is a rendered page whose content depends only on its
// language and address.
type cachedPage struct {
	body    []byte
	etag    string
	expires time.Time
}

// staticTTL bounds how long a static page is served from memory (the
// footer's year, a new release's asset URLs).
const staticTTL = time.Minute

// New parses the layout and every page.
func New(cat *i18n.Catalog, log *slog.Logger, nav []NavItem, sets ...Pages) (*Renderer, error) {
	return newRenderer(cat, log, nav, staticFS, sets...)
}

// newRenderer is New with the static files of static (tests give other
// files: with and without the fonts the build brings).
func newRenderer(cat *i18n.Catalog, log *slog.Logger, nav []NavItem, static fs.FS, sets ...Pages) (*Renderer, error) {
	assets, err := loadAssets(static)
	if err != nil {
		return nil, err
	}
	icons, err := loadIcons(static)
	if err != nil {
		return nil, err
	}
	rd := &Renderer{cat: cat, log: log, pages: map[string]*template.Template{}, assets: assets, nav: nav, static: map[string]cachedPage{}}
	funcs := template.FuncMap{"asset": assets.URL, "hasAsset": assets.Has, "field": field, "icon": icons.Icon, "dict": dict, "list": list}
	base, err := template.New("layout").Funcs(funcs).ParseFS(layoutFS, "layout/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	sets = append(sets, Pages{Prefix: "web", FS: pagesFS})
	for _, s := range sets {
		names, err := fs.Glob(s.FS, "templates/*.html")
		if err != nil {
			return nil, err
		}
		// A file whose name starts with "_" is not a page but partials
		// every page of its set may call ({{template "name" .}}): a block
		// one capability's pages share, kept in its own file.
		var partials []string
		for _, n := range names {
			if strings.HasPrefix(path.Base(n), "_") {
				partials = append(partials, n)
			}
		}
		for _, n := range names {
			if strings.HasPrefix(path.Base(n), "_") {
				continue
			}
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.ParseFS(s.FS, append([]string{n}, partials...)...); err != nil {
				return nil, fmt.Errorf("web: parse %s/%s: %w", s.Prefix, n, err)
			}
			rd.pages[s.Prefix+"/"+strings.TrimSuffix(path.Base(n), ".html")] = t
		}
	}
	return rd, nil
}

type userKey struct{}
type csrfKey struct{}

// User is the signed-in person as the layout shows them.
type User struct {
	Name    string
	Staff   bool
	Pending bool // signed in but waiting for the second factor
	// UnreadCount counts the person's unread notices when a page asks
	// (Unread); nil for none.
	UnreadCount func() int
}

// Unread is the person's count of unread notices, for the account
// navigation: {{with .User.Unread}} shows it only when there are some.
func (u User) Unread() int {
	if u.UnreadCount == nil {
		return 0
	}
	return u.UnreadCount()
}

// WithUser records the signed-in person for the layout.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// WithCSRF records the request's anti-forgery token for forms.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// View is what every page template sees as ".".
type View struct {
	Lang      i18n.Lang
	Title     string
	Path      string
	RequestID string
	Data      any
	User      *User
	CSRF      string // the anti-forgery token every form posts back
	cat       *i18n.Catalog
	nav       []NavItem
	query     url.Values
	ctx       context.Context // the request's, for NavItem.Show
}

func (rd *Renderer) view(r *http.Request, data any) *View {
	v := &View{Lang: i18n.FromContext(r.Context()), Path: r.URL.Path, RequestID: httpx.RequestID(r.Context()), Data: data,
		cat: rd.cat, nav: rd.nav, query: r.URL.Query(), ctx: r.Context()}
	if u, ok := r.Context().Value(userKey{}).(User); ok {
		v.User = &u
	}
	v.CSRF, _ = r.Context().Value(csrfKey{}).(string)
	return v
}

// Dir is "rtl" or "ltr".
func (v *View) Dir() string { return v.Lang.Dir() }

// T translates a key with optional name, value pairs.
func (v *View) T(key string, params ...any) string { return v.cat.T(v.Lang, key, params...) }

// Has reports whether the catalogue has a message key in the page's
// language (a hint that some fields have and others not).
func (v *View) Has(key string) bool { return v.cat.Has(v.Lang, key) }

// Date formats a time as a date in Casablanca.
func (v *View) Date(t time.Time) string { return i18n.FormatDate(v.Lang, t) }

// DateTime formats a time with its hour in Casablanca.
func (v *View) DateTime(t time.Time) string { return i18n.FormatDateTime(v.Lang, t) }

// Pick chooses among per-language variants, e.g. a name in ar, fr and en.
func (v *View) Pick(ar, fr, en string) string {
	switch v.Lang {
	case i18n.FR:
		return fr
	case i18n.EN:
		return en
	}
	return ar
}

// LangLink is an entry of the language switcher.
type LangLink struct {
	Code    i18n.Lang
	Name    string
	Href    string
	Current bool
}

// LangLinks are links to this same page in every language.
func (v *View) LangLinks() []LangLink {
	out := make([]LangLink, 0, len(i18n.Langs))
	for _, l := range i18n.Langs {
		q := url.Values{}
		for k, vs := range v.query {
			q[k] = vs
		}
		q.Set("lang", string(l))
		out = append(out, LangLink{Code: l, Name: l.Name(), Href: v.Path + "?" + q.Encode(), Current: l == v.Lang})
	}
	return out
}

// NavLink is a navigation entry with its state for this page.
type NavLink struct {
	Label   string
	Href    string
	Current bool
}

// Nav is the main navigation for this page.
func (v *View) Nav() []NavLink {
	out := make([]NavLink, 0, len(v.nav))
	for _, n := range v.nav {
		if n.Show != nil && (v.ctx == nil || !n.Show(v.ctx)) {
			continue
		}
		cur := v.Path == n.Href || n.Href != "/" && strings.HasPrefix(v.Path, n.Href+"/")
		out = append(out, NavLink{Label: v.T(n.Key), Href: n.Href, Current: cur})
	}
	return out
}

// Year is the current year in Casablanca, for the footer.
func (v *View) Year() int { return time.Now().In(i18n.Casablanca).Year() }

// Form is a submitted form as pages see it: its values (to fill the form
// again) and its errors, on a field or above the form.
type Form struct {
	Values url.Values
	Errors map[string]string
	Error  string
	// Order is the order of the fields at fault for the error summary
	// when a page names none (WithError keeps the error's order).
	Order []string
}

// Get returns a submitted value.
func (f Form) Get(k string) string { return f.Values.Get(k) }

// FieldError is one entry of an error summary: the field it links to
// ("" for an error of the whole form) and its text.
type FieldError struct {
	Field, Text string
}

// ErrorList is the form's errors for the error summary: the fields named
// in order first (the order of the form), then any other field's in name
// order, then the form's own error.
func (f Form) ErrorList(order ...string) []FieldError {
	var out []FieldError
	seen := map[string]bool{}
	if len(order) == 0 {
		order = f.Order
	}
	for _, k := range order {
		if e, ok := f.Errors[k]; ok && !seen[k] {
			out = append(out, FieldError{Field: k, Text: e})
			seen[k] = true
		}
	}
	rest := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, FieldError{Field: k, Text: f.Errors[k]})
	}
	if f.Error != "" {
		out = append(out, FieldError{Text: f.Error})
	}
	return out
}

// FieldView is one labelled input with its hint and error, for the "field"
// template.
type FieldView struct {
	View                                 *View
	Name, Type, Label, Autocomplete, Dir string
	Value, Hint, Error                   string
}

// field builds a FieldView; templates call it as
// (field . $form "email" "email" "label.key" "email" "ltr"). A hint is the
// message "<label key>.hint" when the catalogue has one.
func field(v *View, f Form, name, typ, label, autocomplete, dir string) FieldView {
	fv := FieldView{View: v, Name: name, Type: typ, Label: label, Autocomplete: autocomplete, Dir: dir,
		Value: f.Get(name), Error: f.Errors[name]}
	if v.cat.Has(v.Lang, label+".hint") {
		fv.Hint = v.T(label + ".hint")
	}
	return fv
}

// dict builds a map from name, value pairs, so that a template can give a
// partial several parameters: {{template "tag" dict "View" . "Text" "x"}}.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("web: dict of %d values: want name, value pairs", len(pairs))
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("web: dict name %v is not a string", pairs[i])
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("web: dict name %q given twice", k)
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}

// list builds a slice, for partials that take several items:
// {{template "summary-list" dict "Rows" (list $row1 $row2)}}.
func list(items ...any) []any { return items }

// Message is a message key with its parameters, translated at rendering.
type Message struct {
	Key    string
	Params []any
}

// Msg builds a Message.
func Msg(key string, params ...any) Message { return Message{Key: key, Params: params} }

// Render writes page name with status and the page title.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, title Message, data any) {
	b, ok := rd.execute(w, r, name, title, data)
	if ok {
		if personal(r, b) {
			httpx.Private(r)
		}
		rd.write(w, r, status, b, "")
	}
}

// personal reports whether a rendered page is for this browser alone: it
// shows who is signed in, or carries the browser's anti-forgery token
// (which a cache must not hand to another browser).
func personal(r *http.Request, page []byte) bool {
	if _, signedIn := r.Context().Value(userKey{}).(User); signedIn {
		return true
	}
	token, _ := r.Context().Value(csrfKey{}).(string)
	return token != "" && bytes.Contains(page, []byte(token))
}

// RenderStatic renders a page whose content depends only on the language
// and the address (no per-person or per-request data), serving it from
// memory for up to a minute. Pages showing anything personal must use
// Render.
func (rd *Renderer) RenderStatic(w http.ResponseWriter, r *http.Request, name string, title Message, data any) {
	if _, signedIn := r.Context().Value(userKey{}).(User); signedIn {
		rd.Render(w, r, http.StatusOK, name, title, data)
		return
	}
	key := name + "|" + string(i18n.FromContext(r.Context())) + "|" + r.URL.RequestURI()
	now := time.Now()
	rd.mu.RLock()
	c, ok := rd.static[key]
	rd.mu.RUnlock()
	if !ok || now.After(c.expires) {
		// A page served to everyone must carry nobody's anti-forgery token:
		// render it without one (a form posting from such a page would be
		// refused, which tests would show).
		b, ok := rd.execute(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, "")), name, title, data)
		if !ok {
			return
		}
		sum := sha256.Sum256(b)
		c = cachedPage{body: b, etag: `W/"` + hex.EncodeToString(sum[:8]) + `"`, expires: now.Add(staticTTL)}
		rd.mu.Lock()
		if len(rd.static) > 1000 { // bounded: addresses with query strings vary
			clear(rd.static)
		}
		rd.static[key] = c
		rd.mu.Unlock()
	}
	if r.Header.Get("If-None-Match") == c.etag {
		w.Header().Set("ETag", c.etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rd.write(w, r, http.StatusOK, c.body, c.etag)
}

func (rd *Renderer) execute(w http.ResponseWriter, r *http.Request, name string, title Message, data any) ([]byte, bool) {
	t, ok := rd.pages[name]
	lang := i18n.FromContext(r.Context())
	if !ok {
		rd.log.Error("web: unknown page", "page", name)
		rd.ErrorPage(w, r, http.StatusInternalServerError, rd.cat.T(lang, "error.internal.title"), rd.cat.T(lang, "error.internal.message"))
		return nil, false
	}
	v := rd.view(r, data)
	v.Title = v.T(title.Key, title.Params...)
	if failed(data) {
		v.Title = v.T("component.error.page_title", "title", v.Title)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		rd.log.Error("web: render", "page", name, "err", err.Error())
		rd.ErrorPage(w, r, http.StatusInternalServerError, rd.cat.T(lang, "error.internal.title"), rd.cat.T(lang, "error.internal.message"))
		return nil, false
	}
	return buf.Bytes(), true
}

func (rd *Renderer) write(w http.ResponseWriter, r *http.Request, status int, b []byte, etag string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		// Revalidate by default; a handler may ask for less (no-store).
		h.Set("Cache-Control", "no-cache")
	}
	if etag != "" {
		h.Set("ETag", etag)
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// ErrorData is the error page's data.
type ErrorData struct {
	Status  int
	Title   string
	Message string
}

// ErrorPage renders the error page; it implements httpx.ErrorPages.
func (rd *Renderer) ErrorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	t := rd.pages["web/error"]
	lang := i18n.FromContext(r.Context())
	v := rd.view(r, ErrorData{Status: status, Title: title, Message: message})
	v.Lang, v.Title, v.query = lang, title, url.Values{}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		rd.log.Error("web: render error page", "err", err.Error())
		http.Error(w, title, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var _ httpx.ErrorPages = (*Renderer)(nil)

// Assets serves the embedded static files under content-hashed names, so
// they can be cached for a year and still change with each release.
//
// Stylesheets refer to other static files by relative address
// (url(fonts/x.woff2)); those references are rewritten to the files'
// hashed URLs, so a new font changes the stylesheet's hash too. The
// @font-face rules that scripts/assets writes into vendor/fonts.css are
// served at the head of app.css (one request, not two); when the build
// brought no fonts, app.css is served alone and pages use system fonts.
type Assets struct {
	byURL  map[string]asset
	byName map[string]string
}

type asset struct {
	body  []byte
	gz    []byte // gzip of body for text files (the stylesheet: 27 KB → 6 KB), nil otherwise
	ctype string
	etag  string
}

// fontRules is where scripts/assets writes the fonts' @font-face rules.
const fontRules = "vendor/fonts.css"

// loadAssets reads the static files of fsys (under static/).
func loadAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{byURL: map[string]asset{}, byName: map[string]string{}}
	files := map[string][]byte{}
	var css []string
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		files[name] = b
		if path.Ext(name) == ".css" {
			css = append(css, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Files other than stylesheets first: stylesheets name them.
	for name, b := range files {
		if path.Ext(name) != ".css" {
			a.add(name, b)
		}
	}
	rewritten := map[string][]byte{}
	for _, name := range css {
		b, err := a.rewriteURLs(name, files[name])
		if err != nil {
			return nil, err
		}
		rewritten[name] = b
	}
	for name, b := range rewritten {
		switch name {
		case fontRules:
			continue // served inside app.css
		case "app.css":
			if fonts, ok := rewritten[fontRules]; ok {
				b = append(append(fonts, '\n'), b...)
			}
		}
		a.add(name, b)
	}
	return a, nil
}

func (a *Assets) add(name string, b []byte) {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])[:12]
	ext := path.Ext(name)
	u := "/static/" + strings.TrimSuffix(name, ext) + "." + h + ext
	a.byName[name] = u
	f := asset{body: b, ctype: contentType(ext), etag: `"` + h + `"`}
	if strings.HasPrefix(f.ctype, "text/") || f.ctype == "image/svg+xml" {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		if buf.Len() < len(b) {
			f.gz = buf.Bytes()
		}
	}
	a.byURL[u] = f
}

// cssURL matches url(...) in a stylesheet, quoted or not.
var cssURL = regexp.MustCompile(`url\(\s*["']?([^"')\s]+)["']?\s*\)`)

// rewriteURLs replaces the relative addresses in stylesheet name by the
// hashed URLs of the files they name; data: and absolute addresses stay.
// A relative address naming no static file is an error: the build would
// otherwise ship a stylesheet pointing nowhere.
func (a *Assets) rewriteURLs(name string, b []byte) ([]byte, error) {
	var missing error
	out := cssURL.ReplaceAllFunc(b, func(m []byte) []byte {
		ref := string(cssURL.FindSubmatch(m)[1])
		if strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "#") || strings.Contains(ref, "://") {
			return m
		}
		target := path.Join(path.Dir(name), ref)
		u, ok := a.byName[target]
		if !ok {
			missing = fmt.Errorf("web: %s refers to %s, which is not a static file", name, ref)
			return m
		}
		return []byte("url(" + u + ")")
	})
	return out, missing
}

// Has reports whether the build brought static file name (the fonts and
// icons under vendor/ are optional).
func (a *Assets) Has(name string) bool {
	_, ok := a.byName[name]
	return ok
}

func contentType(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".woff2":
		return "font/woff2"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// URL is the hashed URL of a static file; templates call it as asset.
func (a *Assets) URL(name string) (string, error) {
	u, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return u, nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") || strings.Contains(params, "q=0.")
		}
	}
	return false
}

// Handler serves hashed static files; unknown names fall to notFound.
func (rd *Renderer) StaticHandler(notFound http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := rd.assets.byURL[r.URL.Path]
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", f.etag)
		if f.gz != nil {
			h.Set("Vary", "Accept-Encoding")
		}
		if r.Header.Get("If-None-Match") == f.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := f.body
		if f.gz != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = f.gz
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}
