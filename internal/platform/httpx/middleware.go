package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

type ridKey struct{}

type routeKey struct{}

// routeHolder lets the router tell the outer middleware which pattern
// matched (handlers see a copy of the request, so r.Pattern does not travel
// back out).
type routeHolder struct{ pattern string }

func setRoute(r *http.Request, pattern string) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		h.pattern = pattern
	}
}

// RequestID returns the request's ID ("" outside a request).
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Metrics are the HTTP server's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "madina_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "madina_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Options configure the middleware chain.
type Options struct {
	Log        *slog.Logger
	Metrics    *Metrics
	Responder  *Responder
	TrustProxy bool // honour X-Forwarded-Proto (for HSTS and Secure cookies) and X-Forwarded-For (ClientIP)
	// ProxyHops is the number of trusted proxies in front (0 counts as 1):
	// ClientIP takes the address that many entries from the right of
	// X-Forwarded-For.
	ProxyHops int
}

// Chain wraps h in Madina's middleware, outermost first: request ID and
// logging, the client's address, the cache guard (see Private), recovery,
// security headers, language.
func Chain(h http.Handler, o Options) http.Handler {
	h = languageMiddleware(h, o)
	h = securityHeaders(h, o)
	h = recoverMiddleware(h, o)
	h = cacheGuard(h)
	h = withClient(h, o)
	h = observe(h, o)
	return h
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(c int) {
	if r.status == 0 {
		r.status = c
	}
	r.ResponseWriter.WriteHeader(c)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe assigns the request ID and logs and measures every request. The
// log has the route and path but never the query string, which may carry
// personal data or tokens.
func observe(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-ID")
		if !validRequestID(rid) {
			rid = newRequestID()
		}
		w.Header().Set("X-Request-ID", rid)
		holder := &routeHolder{}
		ctx := context.WithValue(r.Context(), ridKey{}, rid)
		r = r.WithContext(context.WithValue(ctx, routeKey{}, holder))
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		route := holder.pattern
		if route == "" {
			route = "unmatched"
		}
		if o.Metrics != nil {
			o.Metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
			o.Metrics.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
		}
		if o.Log != nil {
			lvl := slog.LevelInfo
			if rec.status >= 500 {
				lvl = slog.LevelError
			}
			o.Log.LogAttrs(r.Context(), lvl, "http request",
				slog.String("request_id", rid), slog.String("method", r.Method),
				slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
				slog.Float64("ms", float64(d.Microseconds())/1000))
		}
	})
}

// recoverMiddleware turns a panic into a 500 in the caller's language; the
// panic value goes to the log, never to the caller.
func recoverMiddleware(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				// The panic may come from before the language was set.
				lang, _ := requestLang(r)
				r = r.WithContext(i18n.WithLang(r.Context(), lang))
				o.Responder.Error(w, r, errs.E(errs.Internal, "").Cause(panicError{p}))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic: " + strings.TrimSpace(toString(p.v)) }

func toString(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case string:
		return x
	}
	return "non-error panic"
}

// ContentSecurityPolicy allows nothing inline and nothing from elsewhere.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// IsHTTPS reports whether the request reached us over TLS, directly or, when
// the proxy is trusted, at the proxy.
func IsHTTPS(r *http.Request, trustProxy bool) bool {
	return r.TLS != nil || trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func securityHeaders(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self), payment=()")
		if IsHTTPS(r, o.TrustProxy) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// requestLang is the request's language: a valid ?lang=, else the cookie,
// Accept-Language or the default. explicit reports a valid ?lang=.
func requestLang(r *http.Request) (lang i18n.Lang, explicit bool) {
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	return i18n.Negotiate(r), false
}

// sameAddress is the address to come back to after the language switch:
// the request's path, cleaned (a path such as "//evil.example/" must not
// become a redirect to another site), with query q; the home page when the
// path is not a clean local one.
func sameAddress(p string, q url.Values) string {
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	u := (&url.URL{Path: clean}).EscapedPath()
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return LocalPathOr(u, "/")
}

// languageMiddleware sets the request's language. An explicit ?lang= wins:
// on a page it is remembered in a cookie and the browser is sent back to the
// same address without it; an unsupported code is a 400 in the language the
// request would otherwise have had.
func languageMiddleware(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, explicit := requestLang(r)
		q := r.URL.Query()
		if q.Has("lang") {
			if !explicit {
				r = r.WithContext(i18n.WithLang(r.Context(), lang))
				o.Responder.Error(w, r, errs.E(errs.Invalid, "error.lang").With("langs", "ar, fr, en"))
				return
			}
			if !strings.HasPrefix(r.URL.Path, "/api/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: string(lang), Path: "/",
					MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: IsHTTPS(r, o.TrustProxy), SameSite: http.SameSiteLaxMode})
				q.Del("lang")
				w.Header().Set("Vary", "Cookie, Accept-Language")
				http.Redirect(w, r, sameAddress(r.URL.Path, q), http.StatusSeeOther)
				return
			}
		}
		w.Header().Add("Vary", "Cookie, Accept-Language")
		w.Header().Set("Content-Language", string(lang))
		next.ServeHTTP(w, r.WithContext(i18n.WithLang(r.Context(), lang)))
	})
}
