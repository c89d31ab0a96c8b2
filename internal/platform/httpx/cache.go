package httpx

import (
	"context"
	"net"
	"net/http"
	"strings"
)

// CachePrivate is the Cache-Control of every answer that shows personal
// data: no cache keeps it, neither a shared one (a proxy, a CDN, a
// company's gateway) nor the browser's on a shared computer.
const CachePrivate = "private, no-store"

type privacyKey struct{}

// privacy is shared by every copy of a request, so that a layer deep
// inside (the identity middleware, a handler) can tell the guard outside.
type privacy struct{ personal bool }

// Private marks the answer to r as personal: it leaves with CachePrivate
// whatever its handler set, unless that handler declared it "public" (the
// same for everyone: static assets, the API description). The identity
// middleware marks every request that carries a session or a token; a
// handler marks an anonymous answer that still shows someone's data.
func Private(r *http.Request) {
	if p, ok := r.Context().Value(privacyKey{}).(*privacy); ok {
		p.personal = true
	}
}

// cacheGuard settles Cache-Control when the headers leave: CachePrivate
// for an answer marked personal, and for any answer setting a cookie (a
// cache must never hand one browser's cookie to another); an answer its
// handler declared public sets no cookie.
func cacheGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &privacy{}
		r = r.WithContext(context.WithValue(r.Context(), privacyKey{}, p))
		next.ServeHTTP(&guardWriter{ResponseWriter: w, p: p}, r)
	})
}

type guardWriter struct {
	http.ResponseWriter
	p     *privacy
	wrote bool
}

func (g *guardWriter) WriteHeader(code int) {
	if !g.wrote {
		h := g.Header()
		switch {
		case strings.Contains(strings.ToLower(h.Get("Cache-Control")), "public"):
			// The same for everyone, so nobody's cookie: the browser gets
			// it with its next page.
			h.Del("Set-Cookie")
		case g.p.personal || len(h.Values("Set-Cookie")) > 0:
			h.Set("Cache-Control", CachePrivate)
		}
	}
	if code >= 200 {
		g.wrote = true
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *guardWriter) Write(b []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	return g.ResponseWriter.Write(b)
}

// proxyHeaders are headers, in canonical form, that proxies and CDNs add
// to say whom they relay; any of them (or any X-Forwarded-* and
// X-Original-*) means the request was relayed.
var proxyHeaders = map[string]bool{
	"Forwarded": true, "Via": true, "X-Real-Ip": true, "True-Client-Ip": true, "X-Client-Ip": true,
	"Cf-Connecting-Ip": true, "Fastly-Client-Ip": true, "X-Cluster-Client-Ip": true,
}

// Unwrap lets http.ResponseController reach the connection.
func (g *guardWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// FromThisMachine reports whether r came straight from this machine: a
// loopback peer and no header a proxy adds (a proxy on this machine relays
// other people's requests, and not every proxy writes X-Forwarded-For).
func FromThisMachine(r *http.Request) bool {
	for name := range r.Header {
		if proxyHeaders[name] || strings.HasPrefix(name, "X-Forwarded-") || strings.HasPrefix(name, "X-Original-") {
			return false
		}
	}
	ip := net.ParseIP(peerIP(r))
	return ip != nil && ip.IsLoopback()
}
