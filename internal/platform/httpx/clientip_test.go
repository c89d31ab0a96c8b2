package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientAddrTakesWhatTheTrustedProxyWrote(t *testing.T) {
	const peer = "10.0.0.5" // the proxy
	cases := []struct {
		name  string
		trust bool
		hops  int
		xff   []string // header lines
		want  string
	}{
		{"no proxy: the header is the client's", false, 1, []string{"1.2.3.4"}, peer},
		{"no header", true, 1, nil, peer},
		{"one proxy", true, 1, []string{"203.0.113.7"}, "203.0.113.7"},
		{"one proxy, client wrote a header", true, 1, []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"one proxy, client wrote several", true, 1, []string{"1.2.3.4,5.6.7.8 ,  203.0.113.7"}, "203.0.113.7"},
		{"header lines are one list", true, 1, []string{"1.2.3.4", "203.0.113.7"}, "203.0.113.7"},
		{"zero hops count as one", true, 0, []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"two proxies", true, 2, []string{"1.2.3.4, 203.0.113.7, 198.51.100.2"}, "203.0.113.7"},
		{"two proxies, the outer one bypassed", true, 2, []string{"203.0.113.7"}, "203.0.113.7"},
		{"garbage the client wrote is ignored", true, 1, []string{"<script>, ;;, 203.0.113.7"}, "203.0.113.7"},
		{"a malformed entry where the address is", true, 1, []string{"1.2.3.4, unknown"}, peer},
		{"an empty entry where the address is", true, 1, []string{"1.2.3.4,"}, peer},
		{"with a port", true, 1, []string{"203.0.113.7:51234"}, "203.0.113.7"},
		{"IPv6", true, 1, []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv6 in brackets", true, 1, []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 with a port", true, 1, []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv4-mapped", true, 1, []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"a zone is not an address", true, 1, []string{"fe80::1%eth0"}, peer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = peer + ":40000"
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, c.trust, c.hops); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// Handlers read the address the chain worked out.
func TestClientIPThroughTheChain(t *testing.T) {
	var got string
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }),
		Options{Responder: testResponder(t), TrustProxy: true, ProxyHops: 1})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "203.0.113.9" {
		t.Fatalf("ClientIP = %q", got)
	}
}
