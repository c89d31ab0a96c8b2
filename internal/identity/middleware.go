package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// Cookie names. The session cookie is host-only, HttpOnly, SameSite=Lax and
// Secure whenever the site is reached over HTTPS.
const (
	SessionCookie = "madina_session"
	CSRFCookie    = "madina_csrf"
	CSRFField     = "csrf_token"
)

type visitorKey struct{}

// FromContext returns the request's visitor (an anonymous one if nobody
// signed in).
func FromContext(ctx context.Context) *Visitor {
	if v, ok := ctx.Value(visitorKey{}).(*Visitor); ok {
		return v
	}
	return &Visitor{}
}

// WithVisitor returns ctx carrying v (for tests and jobs acting for
// someone), and the authz.Caller other capabilities read of it.
func WithVisitor(ctx context.Context, v *Visitor) context.Context {
	ctx = authz.WithCaller(ctx, authz.Caller{Actor: v.Actor, SignedIn: v.SignedIn(), Pending: v.Pending()})
	return context.WithValue(ctx, visitorKey{}, v)
}

// Middleware identifies the visitor of every request from the session
// cookie, and guards every state-changing form against forgery.
type Middleware struct {
	Service    *Service
	Resp       *httpx.Responder
	TrustProxy bool
	// Unread counts a person's unread notices (notify.Service.Unread), for
	// the account navigation; nil: none shown.
	Unread func(ctx context.Context, userID string) (int, error)
}

// Wrap returns next behind the middleware. Unlike a handler, it answers
// its refusals with Resp.Error itself: it either refuses before next runs
// or hands the untouched ResponseWriter to next, which an ErrorHandler
// adapter around both would wrap for every request of the site.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v := &Visitor{}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			// The API knows only bearer tokens: cookies are ignored there, so
			// a page elsewhere cannot make a browser act through the API.
			if auth := r.Header.Get("Authorization"); auth != "" {
				scheme, secret, _ := strings.Cut(auth, " ")
				if !strings.EqualFold(scheme, "Bearer") {
					w.Header().Set("WWW-Authenticate", `Bearer realm="madina"`)
					m.Resp.Error(w, r, errs.E(errs.Unauthenticated, "identity.error.token_invalid"))
					return
				}
				vv, err := m.Service.tokenVisitor(ctx, strings.TrimSpace(secret))
				if err != nil {
					w.Header().Set("WWW-Authenticate", `Bearer realm="madina", error="invalid_token"`)
					m.Resp.Error(w, r, err)
					return
				}
				v = vv
				httpx.Private(r) // a token's answers are its owner's
			}
			next.ServeHTTP(w, r.WithContext(WithVisitor(ctx, v)))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/open311/") {
			// Open311 (complaint) knows its clients by the api_key each
			// post carries, and reads publish only what anyone may see:
			// cookies are ignored there, so a page elsewhere cannot make a
			// browser post through it, and there is no anti-forgery token.
			next.ServeHTTP(w, r.WithContext(WithVisitor(ctx, v)))
			return
		}
		if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
			lookup := m.Service.visitor
			if unsafe(r.Method) {
				lookup = m.Service.freshVisitor // no cache where a request acts
			}
			vv, err := lookup(ctx, ck.Value)
			switch {
			case err == nil:
				v = vv
				m.touch(ctx, vv)
			case errs.Is(err, errs.Unauthenticated):
				m.clearSession(w, r)
			default:
				m.Resp.Error(w, r, err)
				return
			}
		}
		if v.Person != nil && !langCookie(r) && !r.URL.Query().Has("lang") {
			// No language chosen on this browser, nor asked for: the
			// person's own.
			if l, ok := i18n.Parse(v.Person.Lang); ok {
				ctx = i18n.WithLang(ctx, l)
				w.Header().Set("Content-Language", string(l))
			}
		}
		ctx = WithVisitor(ctx, v)
		if v.Person != nil {
			// Whatever a signed-in person sees may be theirs: no cache keeps it.
			httpx.Private(r)
			u := web.User{Name: v.Person.DisplayName(string(i18n.FromContext(ctx))), Staff: v.Actor.Staff(), Pending: v.Pending()}
			if m.Unread != nil && !v.Pending() {
				uctx, key := ctx, personKey(v.Person.ID)
				u.UnreadCount = func() int { n, _ := m.Unread(uctx, key); return n } // asked only by a page that shows it
			}
			ctx = web.WithUser(ctx, u)
		}
		token := m.csrfToken(w, r, v)
		ctx = web.WithCSRF(ctx, token)
		if unsafe(r.Method) && !m.validCSRF(r, token) {
			m.Resp.Error(w, r.WithContext(ctx), errs.E(errs.Forbidden, "identity.error.csrf"))
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// langCookie reports whether the browser carries a valid language choice
// (the language switch's cookie).
func langCookie(r *http.Request) bool {
	ck, err := r.Cookie(i18n.CookieName)
	if err != nil {
		return false
	}
	_, ok := i18n.Parse(ck.Value)
	return ok
}

func unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// touch records activity at most once a minute per session.
func (m *Middleware) touch(ctx context.Context, v *Visitor) {
	now := m.Service.now()
	if v.Session != nil && now.Sub(v.Session.LastSeenAt) > time.Minute {
		if m.Service.store.touchSession(ctx, v.Session.TokenHash, now) == nil {
			m.Service.cache.forget(v.Person.ID) // reread with the new time
		}
	}
}

// csrfToken is the token forms must post back: bound to a random
// per-browser cookie and, once signed in, to the session, and signed with
// the server's key (the "signed double-submit cookie" pattern). It sets the
// cookie when the browser has none.
func (m *Middleware) csrfToken(w http.ResponseWriter, r *http.Request, v *Visitor) string {
	seed := ""
	if ck, err := r.Cookie(CSRFCookie); err == nil && len(ck.Value) >= 32 {
		seed = ck.Value
	} else {
		var b [24]byte
		_, _ = rand.Read(b[:])
		seed = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: seed, Path: "/", HttpOnly: true,
			Secure: httpx.IsHTTPS(r, m.TrustProxy), SameSite: http.SameSiteLaxMode})
		// The form this request renders must match the cookie the browser
		// will send back: make the new cookie visible to ourselves too.
		r.AddCookie(&http.Cookie{Name: CSRFCookie, Value: seed})
	}
	bind := seed
	if v.Session != nil {
		bind += "|" + v.Session.TokenHash
	}
	return m.Service.csrf.Sign([]byte(bind))
}

func (m *Middleware) validCSRF(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		// Multipart forms (uploads) must not be read whole here; they carry
		// the token in the query string or header, or as their first field
		// parsed by the handler after this check. Plain forms are small.
		ct := r.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
			got = r.PostFormValue(CSRFField)
		case strings.HasPrefix(ct, "multipart/form-data"):
			// The token as the form's first field keeps it out of the
			// address bar (a failed upload re-rendered at an action
			// address with ?csrf_token= showed it there).
			got = firstPartToken(r)
		}
		if got == "" {
			got = r.URL.Query().Get(CSRFField)
		}
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// firstPartToken reads the anti-forgery token from a multipart body's
// first field, named csrf_token, without consuming the body: the bytes
// read are put back in front of the rest for the handler, which skips the
// field like any other it does not know.
func firstPartToken(r *http.Request) string {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" || r.Body == nil {
		return ""
	}
	head := make([]byte, 2048)
	n, _ := io.ReadFull(r.Body, head)
	head = head[:n]
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	part, err := multipart.NewReader(bytes.NewReader(head), params["boundary"]).NextPart()
	if err != nil || part.FormName() != CSRFField {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(part, 512))
	if err != nil {
		return "" // the field does not end within the first bytes
	}
	return strings.TrimSpace(string(b))
}

// SetSession starts the session cookie for a new sign-in (a new token every
// time: a cookie planted before sign-in is never promoted).
func (m *Middleware) SetSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: httpx.IsHTTPS(r, m.TrustProxy), SameSite: http.SameSiteLaxMode,
		MaxAge: int(m.Service.cfg.AbsoluteTimeout / time.Second)})
}

func (m *Middleware) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: httpx.IsHTTPS(r, m.TrustProxy), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
