// Package tsa is an RFC 3161 time-stamping authority (the built-in one of
// the embedded default, with a certificate from package pki) and a client
// for an external one. Both give a Stamper: a hash in, a TimeStampToken
// (DER ContentInfo of a SignedData over a TSTInfo) out. The encoding is
// github.com/digitorus/timestamp's; see docs/ARCHITECTURE.md, "Electronic signature".
package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// Media types of RFC 3161 over HTTP.
const (
	QueryType = "application/timestamp-query"
	ReplyType = "application/timestamp-reply"
)

// MaxRequest bounds a TimeStampReq: a hash, a nonce, a policy and flags
// fit in a few hundred bytes.
const MaxRequest = 8 << 10

// MaxReply bounds a TimeStampResp read from an external TSA.
const MaxReply = 1 << 20

// PlaceholderPolicy is the TSA policy written into each TSTInfo unless
// Config.Policy names the city's own: under IANA's documentation
// enterprise number, like pki.PlaceholderPolicyOID (see there why).
var PlaceholderPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1, 2}

// Stamper returns a TimeStampToken for a digest made with hash h.
type Stamper interface {
	Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error)
}

// Config is the built-in TSA's settings.
type Config struct {
	Policy asn1.ObjectIdentifier // default PlaceholderPolicy
	Now    func() time.Time      // default time.Now
}

// Authority is the built-in time-stamping authority.
type Authority struct {
	cert  *x509.Certificate
	key   crypto.Signer
	chain []*x509.Certificate
	cfg   Config
}

// New returns a TSA signing with key under cert, whose extended key usage
// must be timeStamping alone and critical (pki.CA.TimeStamping makes
// one); chain lists the CAs above cert, nearest first, and is put in the
// token with cert when the request asks for certificates (the root may be
// left out: verifiers bring their own).
func New(cert *x509.Certificate, key crypto.Signer, chain []*x509.Certificate, cfg Config) (*Authority, error) {
	if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(cert.UnknownExtKeyUsage) != 0 {
		return nil, errors.New("tsa: the certificate's extended key usage is not timeStamping alone")
	}
	if cfg.Policy == nil {
		cfg.Policy = PlaceholderPolicy
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var parents []*x509.Certificate
	for _, c := range chain {
		if c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
			continue // self-signed: a root
		}
		parents = append(parents, c)
	}
	return &Authority{cert: cert, key: key, chain: parents, cfg: cfg}, nil
}

// Certificate returns the TSA's certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

func supported(h crypto.Hash) bool {
	return h == crypto.SHA256 || h == crypto.SHA384 || h == crypto.SHA512
}

// Respond answers a DER TimeStampReq with a DER TimeStampResp: granted,
// or a rejection with its failure info for a request it cannot parse, a
// hash it does not take (SHA-256, -384 and -512 only) or another policy.
func (a *Authority) Respond(req []byte) ([]byte, error) {
	r, err := timestamp.ParseRequest(req)
	if err != nil {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadDataFormat)
	}
	if !supported(r.HashAlgorithm) || len(r.HashedMessage) != r.HashAlgorithm.Size() {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadAlgorithm)
	}
	if r.TSAPolicyOID != nil && !r.TSAPolicyOID.Equal(a.cfg.Policy) {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.UnacceptedPolicy)
	}
	return a.respond(r.HashAlgorithm, r.HashedMessage, r.Nonce, r.Certificates)
}

func (a *Authority) respond(h crypto.Hash, digest []byte, nonce *big.Int, certs bool) ([]byte, error) {
	ts := timestamp.Timestamp{
		HashAlgorithm:     h,
		HashedMessage:     digest,
		Time:              a.cfg.Now().UTC(),
		Accuracy:          time.Second,
		Policy:            a.cfg.Policy,
		Nonce:             nonce,
		AddTSACertificate: certs,
	}
	if certs {
		ts.Certificates = a.chain
	}
	resp, err := ts.CreateResponseWithOpts(a.cert, a.key, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	return resp, nil
}

// Stamp time-stamps digest directly, without HTTP: the token carries the
// TSA's certificate and chain.
func (a *Authority) Stamp(_ context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	if !supported(h) || len(digest) != h.Size() {
		return nil, fmt.Errorf("tsa: hash %v not accepted", h)
	}
	resp, err := a.respond(h, digest, nil, true)
	if err != nil {
		return nil, err
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("tsa: own response: %w", err)
	}
	return ts.RawToken, nil
}

// ServeHTTP answers POSTed application/timestamp-query bodies with
// application/timestamp-reply, as RFC 3161 section 3.4 describes.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a time-stamp query", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Content-Type") != QueryType {
		http.Error(w, "Content-Type must be "+QueryType, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequest))
	if err != nil {
		http.Error(w, "time-stamp query too large or cut short", http.StatusRequestEntityTooLarge)
		return
	}
	resp, err := a.Respond(body)
	if err != nil {
		http.Error(w, "time-stamping failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ReplyType)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(resp)
}

// Client asks an external TSA over HTTP.
type Client struct {
	URL  string
	HTTP *http.Client // default: one with a 30-second timeout
	// Policy, if set, is asked for and required in the answer.
	Policy asn1.ObjectIdentifier
}

// ErrRejected reports a TSA that answered, but not with a usable token.
var ErrRejected = errors.New("tsa: the time-stamping authority refused or answered wrongly")

// Stamp sends a TimeStampReq with a random nonce and asks for
// certificates; the token is returned only if it is granted, signed, and
// for this digest, hash and nonce.
func (c *Client) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	if !supported(h) || len(digest) != h.Size() {
		return nil, fmt.Errorf("tsa: hash %v not accepted", h)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	req, err := (&timestamp.Request{HashAlgorithm: h, HashedMessage: digest, Certificates: true, Nonce: nonce, TSAPolicyOID: c.Policy}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	hr.Header.Set("Content-Type", QueryType)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: HTTP %s", ErrRejected, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxReply+1))
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	if len(body) > MaxReply {
		return nil, fmt.Errorf("%w: answer too large", ErrRejected)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	switch {
	case ts.HashAlgorithm != h || !bytes.Equal(ts.HashedMessage, digest):
		return nil, fmt.Errorf("%w: the token is for another digest", ErrRejected)
	case ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0:
		return nil, fmt.Errorf("%w: the nonce does not match", ErrRejected)
	case c.Policy != nil && !ts.Policy.Equal(c.Policy):
		return nil, fmt.Errorf("%w: another policy", ErrRejected)
	}
	return ts.RawToken, nil
}
