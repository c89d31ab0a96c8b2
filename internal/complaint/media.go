package complaint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"madina/internal/platform/errs"
)

// Fetching an Open311 post's media_url (GeoReport v2: "a URL to media
// associated with the request, e.g. an image"): the photo is fetched when
// the request is posted and goes through the same checks and re-encoding
// as a photo sent from the site (processPhoto), so what is published is
// Madina's copy, never the client's link. The URL is the client's, so
// the fetch is bounded: http or https only, ten seconds, MaxPhotoBytes,
// three redirects, and — unless the city allows its private network —
// only public addresses, checked on every connection (a redirect or a
// name that resolves inward cannot reach the network Madina runs in).
// A media_url that cannot be fetched refuses the post, naming media_url:
// nothing is filed without the photo the client meant to send.

// MediaTimeout bounds the fetch of one media_url.
const MediaTimeout = 10 * time.Second

// NewMediaClient is the HTTP client that fetches media_url; allowPrivate
// lets it reach private, loopback and link-local addresses.
func NewMediaClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: MediaTimeout, Control: func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		if !publicAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s", errNotPublic, ap.Addr())
		}
		return nil
	}}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: MediaTimeout, ResponseHeaderTimeout: MediaTimeout,
		MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second, Proxy: nil}
	return &http.Client{Transport: tr, Timeout: MediaTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
			return errTooManyRedirects
		}
		return nil
	}}
}

var (
	errNotPublic        = errors.New("complaint: media_url: not a public address")
	errTooManyRedirects = errors.New("complaint: media_url: too many redirects")
)

// publicAddr reports whether a is an address of the public internet.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(a) && // carrier-grade NAT
		!netip.MustParsePrefix("fc00::/7").Contains(a)
}

// fetchMedia fetches raw, a media_url, with c: the photo's bytes, or an
// error on field "photos" the client reads as media_url's.
func fetchMedia(ctx context.Context, c *http.Client, raw string) ([]byte, error) {
	bad := func(key string, cause error) error {
		return errs.E(errs.Invalid, key).OnField("photos").Cause(cause)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2000 {
		return nil, bad("complaint.error.media_url", err)
	}
	ctx, cancel := context.WithTimeout(ctx, MediaTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, bad("complaint.error.media_url", err)
	}
	req.Header.Set("Accept", "image/jpeg, image/png")
	res, err := c.Do(req)
	if err != nil {
		return nil, bad("complaint.error.media_fetch", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, bad("complaint.error.media_fetch", fmt.Errorf("status %d", res.StatusCode))
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxPhotoBytes+1))
	if err != nil {
		return nil, bad("complaint.error.media_fetch", err)
	}
	if len(b) > MaxPhotoBytes {
		return nil, errs.E(errs.Invalid, "complaint.error.photo_size").With("mb", MaxPhotoBytes>>20).OnField("photos")
	}
	return b, nil
}
