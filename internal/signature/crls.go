package signature

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// With an external time-stamping authority (Deps.Stamper, setting
// --tsa-url), the time stamp's certificate and the CAs above it are not
// Madina's: a B-LT document must still carry what validates them. The
// CRLs their distribution points publish are fetched when a document is
// signed (kept until their nextUpdate, an hour at most) and go into the
// Document Security Store beside Madina's own.

// maxCRL bounds a fetched CRL.
const maxCRL = 8 << 20

// crlCache keeps fetched CRLs by address.
type crlCache struct {
	mu     sync.Mutex
	byURL  map[string]cachedCRL
	client *http.Client
}

type cachedCRL struct {
	der   []byte
	until time.Time
}

// foreignCRLs returns, for each certificate of certs below a root that
// Madina's CA did not issue, a CRL its issuer signed, fetched from the
// certificate's distribution points; an error names a certificate none
// of whose points gives one (the document could not be validated
// without the network later: it is not signed). A certificate with no
// HTTP distribution point is left as it is.
func (s *Service) foreignCRLs(ctx context.Context, certs []*x509.Certificate) ([][]byte, error) {
	ours := map[string]bool{}
	for _, c := range s.ca.Chain() {
		ours[string(c.RawSubject)] = true
	}
	var out [][]byte
	seen := map[string]bool{}
	for _, c := range certs {
		if ours[string(c.RawIssuer)] || bytes.Equal(c.RawIssuer, c.RawSubject) || seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		der, err := s.crlFor(ctx, c, issuerOf(c, certs))
		if err != nil {
			return nil, err
		}
		if der != nil {
			out = append(out, der)
		}
	}
	return out, nil
}

// issuerOf finds the certificate among certs that signed c; nil when
// it is not there (a root: the verifier holds it, and checks the CRL's
// signature then).
func issuerOf(c *x509.Certificate, certs []*x509.Certificate) *x509.Certificate {
	for _, i := range certs {
		if bytes.Equal(i.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(i) == nil {
			return i
		}
	}
	return nil
}

// crlFor is a current CRL by c's issuer (signed by issuer when known), from the cache or c's first
// distribution point that answers with one; nil when c names no HTTP
// distribution point (a provider's certificate checked by OCSP only: the
// document then carries no CRL for it).
func (s *Service) crlFor(ctx context.Context, c, issuer *x509.Certificate) ([]byte, error) {
	var last error
	for _, u := range c.CRLDistributionPoints {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue
		}
		der, err := s.fetchCRL(ctx, u, c, issuer)
		if err == nil {
			return der, nil
		}
		last = err
	}
	if last == nil {
		return nil, nil
	}
	return nil, fmt.Errorf("signature: no revocation list for %q: %w", c.Subject.CommonName, last)
}

func (s *Service) fetchCRL(ctx context.Context, u string, c0, issuer *x509.Certificate) ([]byte, error) {
	now := s.now()
	c := s.crlCache
	c.mu.Lock()
	hit, ok := c.byURL[u]
	c.mu.Unlock()
	if ok && now.Before(hit.until) {
		return hit.der, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", u, res.Status)
	}
	der, err := io.ReadAll(io.LimitReader(res.Body, maxCRL+1))
	if err != nil {
		return nil, err
	}
	if len(der) > maxCRL {
		return nil, fmt.Errorf("%s: larger than %d bytes", u, maxCRL)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if !bytes.Equal(crl.RawIssuer, c0.RawIssuer) {
		return nil, fmt.Errorf("%s: a CRL of another issuer", u)
	}
	if issuer != nil {
		if err := crl.CheckSignatureFrom(issuer); err != nil {
			return nil, fmt.Errorf("%s: not signed by %q: %w", u, issuer.Subject.CommonName, err)
		}
	}
	if !crl.NextUpdate.IsZero() && !now.Before(crl.NextUpdate) {
		return nil, fmt.Errorf("%s: out of date since %s", u, crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	until := now.Add(time.Hour)
	if !crl.NextUpdate.IsZero() && crl.NextUpdate.Before(until) {
		until = crl.NextUpdate
	}
	c.mu.Lock()
	c.byURL[u] = cachedCRL{der: der, until: until}
	c.mu.Unlock()
	return der, nil
}
