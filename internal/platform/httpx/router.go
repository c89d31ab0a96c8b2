package httpx

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"madina/internal/platform/errs"
)

// DefaultBodyLimit bounds request bodies on routes that declare no larger
// limit.
const DefaultBodyLimit = 1 << 20

// Router is a net/http ServeMux that answers unknown routes, wrong methods,
// hostile text and oversized bodies with Madina's own errors, and records
// the routes it serves (the OpenAPI test compares them to the document).
// Every form value reaches handlers already through textin.Clean.
type Router struct {
	mux       *http.ServeMux
	rs        *Responder
	limits    map[string]int64
	multiline map[string][]string
	routes    []string

	// Uploads bound the bodies of routes registered with HandleLarge;
	// zero fields take DefaultUploadIdle and DefaultUploadAnswer.
	Uploads UploadTimeouts
}

// NewRouter returns an empty router answering errors through rs.
func NewRouter(rs *Responder) *Router {
	return &Router{mux: http.NewServeMux(), rs: rs, limits: map[string]int64{}, multiline: map[string][]string{}}
}

// A RouteOption declares something about a route's input.
type RouteOption func(rt *Router, pattern string)

// Multiline declares the form fields of a route that may hold several lines
// (its textareas), by name or path.Match pattern ("field_*description").
// Every other field is single-line.
func Multiline(fields ...string) RouteOption {
	return func(rt *Router, pattern string) { rt.multiline[pattern] = append(rt.multiline[pattern], fields...) }
}

// Handle registers h for a method-and-path pattern ("GET /arrondissements").
func (rt *Router) Handle(pattern string, h http.Handler, opts ...RouteOption) {
	rt.mux.Handle(pattern, h)
	rt.routes = append(rt.routes, pattern)
	for _, o := range opts {
		o(rt, pattern)
	}
}

// HandleFunc registers a handler function.
func (rt *Router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request), opts ...RouteOption) {
	rt.Handle(pattern, http.HandlerFunc(h), opts...)
}

// HandleLarge registers h with a body limit other than the default
// (uploads). Its body is not bound by the server's ReadTimeout but by
// rt.Uploads: the deadline moves as bytes arrive.
func (rt *Router) HandleLarge(pattern string, limit int64, h http.Handler) {
	rt.Handle(pattern, h)
	rt.limits[pattern] = limit
}

// Routes lists the registered patterns in registration order.
func (rt *Router) Routes() []string { return append([]string(nil), rt.routes...) }

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkURL(r.URL); err != nil {
		rt.rs.Error(w, r, err)
		return
	}
	cleanHeaders(r)
	if to, ok := withoutToken(r); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	h, pattern := rt.mux.Handler(r)
	if pattern == "" {
		// No route: let the mux say why (404, 405 with Allow, or a redirect
		// to the clean path) and answer in our own words.
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound:
			rt.rs.Error(w, r, errs.E(errs.NotFound, "error.route"))
		case http.StatusMethodNotAllowed:
			if to, ok := rt.formPage(r); ok {
				// A browser asking with GET for an address that only takes
				// posts (the address bar after a failed post, reloaded or
				// bookmarked) is sent to the page of its form, without the
				// query (no anti-forgery token stays in the address bar).
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			w.Header().Set("Allow", rec.header.Get("Allow"))
			rt.rs.Error(w, r, errs.E(errs.MethodNotAllowed, ""))
		default:
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
		}
		return
	}
	setRoute(r, pattern)
	limit, large := rt.limits[pattern]
	if !large {
		limit = DefaultBodyLimit
	}
	if r.ContentLength > limit {
		rt.rs.Error(w, r, errs.E(errs.TooLarge, "error.body.too_large").With("max", humanBytes(limit)))
		return
	}
	if large {
		r.Body = newDeadlineBody(w, r.Body, rt.Uploads)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	// Uploads stream their multipart body: the router leaves it unparsed.
	if err := cleanForm(r, rt.multiline[pattern], large); err != nil {
		rt.rs.Error(w, r, err)
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// CSRFParam is the name of the anti-forgery token in forms (identity's
// CSRFField).
const CSRFParam = "csrf_token"

// withoutToken is the address of a browser's GET or HEAD without the
// anti-forgery token its query carries (an upload form's action address,
// shown after a failed post and reloaded; a form with method get): the
// token never stays in an address bar, a bookmark or a shared link.
func withoutToken(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || WantsJSON(r) || !strings.Contains(r.URL.RawQuery, CSRFParam) {
		return "", false
	}
	q := r.URL.Query()
	if !q.Has(CSRFParam) {
		return "", false
	}
	q.Del(CSRFParam)
	to := r.URL.Path
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	return to, true
}

// formPage is where a browser's GET or HEAD for an address that answers
// only other methods goes instead: the nearest address above it that
// answers GET (POST /me/mandates/7/revoke → /me/mandates; POST /signout
// → /), the form or list the post came from. Programs (WantsJSON) keep
// their 405 with Allow.
func (rt *Router) formPage(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || WantsJSON(r) {
		return "", false
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	for p != "" && p != "/" {
		p = path.Dir(p)
		probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Host: r.Host, Header: http.Header{}}
		if _, pattern := rt.mux.Handler(probe); pattern != "" {
			return p, true
		}
	}
	return "/", true
}

// checkURL refuses a path or query value that textin refuses. They are not
// rewritten: they are never stored (an upload's ?name= is sanitized).
func checkURL(u *url.URL) error {
	if err := checkText(u.Path); err != nil {
		return err
	}
	if u.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return errs.E(errs.Invalid, "error.utf8").Cause(err)
	}
	for k, vs := range q {
		if err := checkText(k); err != nil {
			return err
		}
		for _, v := range vs {
			if err := checkText(v); err != nil {
				return errs.As(err).OnField(k)
			}
		}
	}
	return nil
}

type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return len(b), nil
}
func (s *statusRecorder) WriteHeader(c int) {
	if s.status == 0 {
		s.status = c
	}
}
