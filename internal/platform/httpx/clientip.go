package httpx

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type clientKey struct{}

// ClientIP is the address of the client, as the middleware chain worked it
// out once per request (see clientAddr); outside the chain, the peer
// address. Rate limits key on it.
func ClientIP(r *http.Request) string {
	if s, ok := r.Context().Value(clientKey{}).(string); ok {
		return s
	}
	return peerIP(r)
}

// withClient records the client's address for ClientIP.
func withClient(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientAddr(r, o.TrustProxy, o.ProxyHops)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, ip)))
	})
}

// clientAddr is the client's address. Without a trusted proxy, the peer's.
// Behind hops trusted proxies (0 counts as 1), each appends to
// X-Forwarded-For the address it received the request from, so the
// hops-th entry from the right was written by the outermost trusted proxy
// and is the client's; everything to its left was written by the client
// and is ignored. With fewer entries, the request reached an inner proxy
// directly, which wrote the left-most one. When the entry is not an
// address, or there is none, the peer's address is used: a limit then
// counts the proxy as one client, never an address the client chose.
func clientAddr(r *http.Request, trustProxy bool, hops int) string {
	if !trustProxy {
		return peerIP(r)
	}
	var entries []string
	for _, line := range r.Header.Values("X-Forwarded-For") {
		for _, e := range strings.Split(line, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	if len(entries) == 0 {
		return peerIP(r)
	}
	hops = max(hops, 1)
	i := max(len(entries)-hops, 0)
	if a, ok := parseAddr(entries[i]); ok {
		return a
	}
	return peerIP(r)
}

// parseAddr reads an IP address as proxies write it: bare, with a port, or
// an IPv6 address in brackets; IPv4-mapped IPv6 addresses become IPv4.
func parseAddr(s string) (string, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap().String(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap().String(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() && a.Zone() == "" {
			return a.Unmap().String(), true
		}
	}
	return "", false
}

// peerIP is the address of the connection's other end.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
