package signature

import (
	"net/http"
	"strconv"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/pki"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/web"
)

// Handlers serve the capability's pages, its API and the published PKI.
type Handlers struct {
	Service *Service
	Web     *web.Renderer
	Resp    *httpx.Responder
	// TSALimit bounds time-stamp requests per client address.
	TSALimit *ratelimit.Limiter
	// Verifier checks the PDFs sent to /verify; VerifyLimit bounds those
	// checks per client address.
	Verifier    *Verifier
	VerifyLimit *ratelimit.Limiter
}

// Content types of the published PKI (RFC 2585, RFC 3161).
const (
	ContentTypeCert = "application/pkix-cert"
	ContentTypeCRL  = "application/pkix-crl"
)

// PathTSA is where the built-in TSA answers RFC 3161 queries over HTTP.
// It is under /api/ because it is for programs: no session, no
// anti-forgery token (a form's), only the query in the body.
const PathTSA = "/api/v1/tsa"

// PKIRoutes publishes the CA certificates and CRLs at the addresses
// written into every certificate, and the TSA. All public, no account.
func (h *Handlers) PKIRoutes(rt *httpx.Router) {
	ca := h.Service.ca
	// The CA certificates never change once made: a day in any cache.
	rt.HandleFunc("GET "+pki.PathRoot, h.der(ContentTypeCert, "madina-root.crt", 86400, func(*http.Request) ([]byte, error) { return ca.Root().Raw, nil }))
	rt.HandleFunc("GET "+pki.PathIssuing, h.der(ContentTypeCert, "madina-issuing.crt", 86400, func(*http.Request) ([]byte, error) { return ca.Issuing().Raw, nil }))
	// A CRL changes at every revocation: five minutes.
	rt.HandleFunc("GET "+pki.PathCRL, h.der(ContentTypeCRL, "madina-issuing.crl", 300, func(r *http.Request) ([]byte, error) { return ca.CRL(r.Context()) }))
	rt.HandleFunc("GET "+pki.PathRootCRL, h.der(ContentTypeCRL, "madina-root.crl", 300, func(r *http.Request) ([]byte, error) { return ca.RootCRL(r.Context()) }))
	rt.HandleErr("POST "+PathTSA, h.timeStamp)
}

// der answers with a DER object the same for everyone: public, cacheable.
func (h *Handlers) der(ctype, name string, maxAge int, get func(*http.Request) ([]byte, error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := get(r)
		if err != nil {
			h.Resp.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
		w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	}
}

// timeStamp is RFC 3161 over HTTP, rate-limited per client address.
func (h *Handlers) timeStamp(w http.ResponseWriter, r *http.Request) error {
	if ok, retry := h.TSALimit.Allow(httpx.ClientIP(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
		return errs.E(errs.TooMany, "signature.error.tsa_too_many")
	}
	h.Service.tsa.ServeHTTP(w, r)
	return nil
}
