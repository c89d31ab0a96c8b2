package httpx

import (
	"net"
	"net/http"
	"strings"
)

// ClientIP is the address of the client: the first X-Forwarded-For entry
// when trustProxy (Madina behind a reverse proxy), else the peer address.
// Rate limits key on it.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xf := r.Header.Get("X-Forwarded-For"); xf != "" {
			ip, _, _ := strings.Cut(xf, ",")
			return strings.TrimSpace(ip)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
