package pki

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// MaxPKCS12Size bounds an imported PKCS#12 file: a key, a certificate and
// its chain fit in a few kilobytes.
const MaxPKCS12Size = 64 << 10

// Imported is a signer's own certificate and key, from a provider.
type Imported struct {
	Key   crypto.Signer
	Cert  *x509.Certificate
	Chain []*x509.Certificate // the CA certificates the file carried
}

// Errors of ImportPKCS12.
var (
	ErrPKCS12         = errors.New("pki: not a PKCS#12 file, or the password is wrong")
	ErrKeyMismatch    = errors.New("pki: the key in the file is not the certificate's")
	ErrNotForSigning  = errors.New("pki: the certificate is not for signatures (key usage)")
	ErrNotYetValid    = errors.New("pki: the certificate is not valid yet")
	ErrExpired        = errors.New("pki: the certificate has expired")
	ErrKeyNotAccepted = errors.New("pki: the key type is not accepted")
)

// ImportPKCS12 reads a PKCS#12 (.p12, .pfx) file with its password: the
// signer's private key, their certificate and the chain it carries. It
// refuses a key that is not the certificate's, a certificate that does not
// allow signatures (key usage digitalSignature or nonRepudiation) or is
// not valid at now. Whether the certificate is trusted is Trust.Verify's
// question.
func ImportPKCS12(data []byte, password string, now time.Time) (*Imported, error) {
	if len(data) == 0 || len(data) > MaxPKCS12Size {
		return nil, ErrPKCS12
	}
	k, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPKCS12, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, ErrKeyNotAccepted
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, ErrKeyMismatch
	}
	if err := checkKeyImported(cert.PublicKey); err != nil {
		return nil, err
	}
	if cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return nil, ErrNotForSigning
	}
	if now.Before(cert.NotBefore) {
		return nil, ErrNotYetValid
	}
	if now.After(cert.NotAfter) {
		return nil, ErrExpired
	}
	return &Imported{Key: key, Cert: cert, Chain: chain}, nil
}

// checkKeyImported accepts what providers issue today: ECDSA P-256/P-384
// and RSA from 2048 bits.
func checkKeyImported(pub crypto.PublicKey) error {
	if err := checkKey(pub); err == nil {
		return nil
	}
	if k, ok := pub.(*rsa.PublicKey); ok && k.N.BitLen() >= 2048 {
		return nil
	}
	return ErrKeyNotAccepted
}

// Trust is the set of roots signatures are verified against: Madina's own
// root and those the operator configures (the providers the city's signers
// hold certificates from).
type Trust struct {
	roots *x509.CertPool
	list  []*x509.Certificate
}

// NewTrust returns a Trust of the given roots and of every certificate in
// the PEM bundles (e.g. the contents of the configured trusted-roots
// file). A bundle with no certificate, or a certificate that is not a CA,
// is an error: a misconfigured trust store must not start silently.
func NewTrust(roots []*x509.Certificate, pemBundles ...[]byte) (*Trust, error) {
	t := &Trust{roots: x509.NewCertPool()}
	for _, r := range roots {
		t.add(r)
	}
	for i, b := range pemBundles {
		n := 0
		for {
			var block *pem.Block
			block, b = pem.Decode(b)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: trusted roots bundle %d: %w", i+1, err)
			}
			if !c.IsCA {
				return nil, fmt.Errorf("pki: trusted roots bundle %d: %q is not a CA certificate", i+1, c.Subject)
			}
			t.add(c)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("pki: trusted roots bundle %d holds no certificate", i+1)
		}
	}
	return t, nil
}

func (t *Trust) add(c *x509.Certificate) {
	t.roots.AddCert(c)
	t.list = append(t.list, c)
}

// Roots lists the trusted roots.
func (t *Trust) Roots() []*x509.Certificate { return append([]*x509.Certificate(nil), t.list...) }

// Verify checks that cert chains to a trusted root through intermediates,
// at time at (the signing time, for a signature), and allows signatures.
// Revocation is the caller's to check against the issuer's CRL.
func (t *Trust) Verify(cert *x509.Certificate, intermediates []*x509.Certificate, at time.Time) ([][]*x509.Certificate, error) {
	pool := x509.NewCertPool()
	for _, c := range intermediates {
		pool.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         t.roots,
		Intermediates: pool,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("pki: certificate not trusted: %w", err)
	}
	if cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return nil, ErrNotForSigning
	}
	return chains, nil
}
