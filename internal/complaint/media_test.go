package complaint

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"madina/internal/platform/errs"
)

// TestMediaOnlyFromPublicAddresses: by default a media_url is
// fetched from public addresses only — never this machine, the private
// ranges, link-local (the cloud's metadata address) or carrier-grade NAT.
func TestMediaOnlyFromPublicAddresses(t *testing.T) {
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.9": false, "192.168.1.10": false,
		"169.254.169.254": false, "100.64.0.1": false, "fd00::1": false, "fe80::1": false, "0.0.0.0": false,
		"::ffff:127.0.0.1": false, "224.0.0.1": false,
		"41.248.0.1": true, "8.8.8.8": true, "2001:4860:4860::8888": true,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("%s public: %v, want %v", addr, got, public)
		}
	}
	// A real server on this machine: refused by the default client,
	// fetched by the one a city allowing its network uses.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write([]byte("\xff\xd8\xff not much of a photo"))
	}))
	defer srv.Close()
	ctx := context.Background()
	if _, err := fetchMedia(ctx, NewMediaClient(false), srv.URL+"/p.jpg"); !errs.Is(err, errs.Invalid) || errs.As(err).Key != "complaint.error.media_fetch" {
		t.Errorf("fetched from this machine by default: %v", err)
	}
	if b, err := fetchMedia(ctx, NewMediaClient(true), srv.URL+"/p.jpg"); err != nil || len(b) == 0 {
		t.Errorf("not fetched with the private network allowed: %v", err)
	}
	for _, raw := range []string{"file:///etc/passwd", "ftp://example.org/p.jpg", "not a url", "http://"} {
		if _, err := fetchMedia(ctx, NewMediaClient(true), raw); errs.As(err) == nil || errs.As(err).Key != "complaint.error.media_url" {
			t.Errorf("%q: %v", raw, err)
		}
	}
}
