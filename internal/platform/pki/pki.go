// Package pki is Madina's built-in certificate authority, the embedded
// default for electronic signatures (issue #11): a root and an issuing CA
// created on first start, their private keys sealed at rest with the server
// key, signing certificates for verified signers, revocation published as
// CRLs, and a time-stamping unit's certificate. It also imports a signer's
// own certificate and key from a provider (PKCS#12) and verifies
// certificates against a configurable set of trusted roots.
//
// Everything is plain crypto/x509: certificates, CRLs and the checks. The
// published addresses are stable: BaseURL + /pki/root.crt, /pki/issuing.crt,
// /pki/crl (the issuing CA's CRL) and /pki/root.crl (the root's, which only
// ever lists a retired issuing CA); they are written into every certificate
// issued, so BaseURL must not change once the CA exists.
package pki

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"madina/internal/platform/secretbox"
)

// Published paths, under Config.BaseURL.
const (
	PathRoot    = "/pki/root.crt"
	PathIssuing = "/pki/issuing.crt"
	PathCRL     = "/pki/crl"
	PathRootCRL = "/pki/root.crl"
)

// PlaceholderPolicyOID is the certificate policy written into the signing
// certificates unless Config.PolicyOID names the city's own. It is under
// 1.3.6.1.4.1.32473, the private enterprise number IANA keeps for examples
// and documentation (RFC 5612): it belongs to no one, so it can claim no
// one's policy, and any verifier that looks sees it is not an official
// one. A city that publishes its certificate policy and practice statement
// registers its own enterprise number and sets it here. (Arcs stay below
// 2^31: Go's encoding/asn1, which the time-stamp encoding uses, reads no
// larger, which rules out the 2.25 UUID arc.)
const PlaceholderPolicyOID = "1.3.6.1.4.1.32473.1.1"

// Document-signing extended key usages. id-kp-documentSigning (RFC 9336)
// says what the key is for; emailProtection is there too because the
// verifiers people use check signatures with the S/MIME purpose: OpenSSL's
// `cms -verify` and NSS (poppler's pdfsig) refuse a certificate whose
// extended key usage lacks it.
var (
	OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	oidTimeStamping    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidExtKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTitle           = asn1.ObjectIdentifier{2, 5, 4, 12}
)

// Validity periods.
const (
	RootValidity    = 20 * 365 * 24 * time.Hour
	IssuingValidity = 10 * 365 * 24 * time.Hour
	SignerValidity  = 2 * 365 * 24 * time.Hour
	TSAValidity     = 6 * 365 * 24 * time.Hour
	// DefaultCRLValidity is how long a CRL is valid (its nextUpdate); a
	// new one is issued at the latest when a quarter of it is left, and at
	// once after a revocation.
	DefaultCRLValidity = 7 * 24 * time.Hour
)

// KeyType names the key algorithms the CA issues certificates for.
type KeyType string

const (
	ECDSAP256 KeyType = "ecdsa-p256" // the default
	RSA3072   KeyType = "rsa-3072"
)

// GenerateKey makes a new private key of type t.
func GenerateKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("pki: unknown key type %q", t)
}

// Config is the CA's settings.
type Config struct {
	// BaseURL is the public address Madina is reached at, such as
	// "https://madina.casablanca.ma": the CRL and CA certificate URLs in
	// every certificate start with it. Required.
	BaseURL string
	// Organisation names the CA in its certificates (default "Madina").
	Organisation string
	// Country is the ISO 3166 code in the CA's names (default "MA").
	Country string
	// PolicyOID is the certificate policy of signing certificates
	// (default PlaceholderPolicyOID).
	PolicyOID string
	// CRLValidity is the interval between a CRL's thisUpdate and
	// nextUpdate (default DefaultCRLValidity).
	CRLValidity time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// CA is the built-in certificate authority. It is safe for concurrent use.
type CA struct {
	store  Store
	box    *secretbox.Box
	cfg    Config
	policy x509.OID

	root, issuing       *x509.Certificate
	rootKey, issuingKey crypto.Signer

	crlMu sync.Mutex
	tsaMu sync.Mutex
}

// Open loads the CA from store, creating the root and the issuing CA on
// first start. Two nodes starting together end with the same CA: the one
// that stores an authority first wins and the other loads it.
func Open(ctx context.Context, store Store, box *secretbox.Box, cfg Config) (*CA, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("pki: base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Organisation == "" {
		cfg.Organisation = "Madina"
	}
	if cfg.Country == "" {
		cfg.Country = "MA"
	}
	if cfg.PolicyOID == "" {
		cfg.PolicyOID = PlaceholderPolicyOID
	}
	if cfg.CRLValidity <= 0 {
		cfg.CRLValidity = DefaultCRLValidity
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	policy, err := x509.ParseOID(cfg.PolicyOID)
	if err != nil {
		return nil, fmt.Errorf("pki: policy OID %q: %w", cfg.PolicyOID, err)
	}
	ca := &CA{store: store, box: box, cfg: cfg, policy: policy}

	ca.root, ca.rootKey, err = ca.loadOrCreate(ctx, "root", ca.newRoot)
	if err != nil {
		return nil, err
	}
	ca.issuing, ca.issuingKey, err = ca.loadOrCreate(ctx, "issuing", func(now time.Time) (*x509.Certificate, crypto.Signer, error) {
		return ca.newIssuing(ctx, now)
	})
	if err != nil {
		return nil, err
	}
	if err := ca.issuing.CheckSignatureFrom(ca.root); err != nil {
		return nil, fmt.Errorf("pki: the stored issuing CA is not signed by the stored root: %w", err)
	}
	return ca, nil
}

// Root returns the root certificate.
func (ca *CA) Root() *x509.Certificate { return ca.root }

// Issuing returns the issuing CA's certificate.
func (ca *CA) Issuing() *x509.Certificate { return ca.issuing }

// Chain returns the certificates above a certificate the issuing CA
// issued, nearest first: the issuing CA, then the root.
func (ca *CA) Chain() []*x509.Certificate { return []*x509.Certificate{ca.issuing, ca.root} }

// URL returns the public address of one of the Path constants.
func (ca *CA) URL(path string) string { return ca.cfg.BaseURL + path }

func sealAAD(name string) string { return "pki:authority:" + name }

// loadOrCreate returns the stored authority name, or makes one with create
// and stores it; if another node stored one meanwhile, that one is used.
func (ca *CA) loadOrCreate(ctx context.Context, name string, create func(now time.Time) (*x509.Certificate, crypto.Signer, error)) (*x509.Certificate, crypto.Signer, error) {
	for range 2 {
		a, err := ca.store.Authority(ctx, name)
		if err == nil {
			return ca.open(a)
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, nil, err
		}
		now := ca.cfg.Now()
		cert, key, err := create(now)
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("pki: %w", err)
		}
		err = ca.store.AddAuthority(ctx, Authority{Name: name, Cert: cert.Raw, SealedKey: ca.box.Seal(der, sealAAD(name)), CreatedAt: now})
		if errors.Is(err, ErrExists) {
			continue // another node won: load its authority
		}
		if err != nil {
			return nil, nil, err
		}
		return cert, key, nil
	}
	return nil, nil, fmt.Errorf("pki: authority %s neither loads nor stores", name)
}

func (ca *CA) open(a Authority) (*x509.Certificate, crypto.Signer, error) {
	cert, err := x509.ParseCertificate(a.Cert)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: stored %s certificate: %w", a.Name, err)
	}
	der, err := ca.box.Open(a.SealedKey, sealAAD(a.Name))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: the %s key does not open with this server key: %w", a.Name, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: stored %s key: %w", a.Name, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok || !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, nil, fmt.Errorf("pki: the stored %s key does not match its certificate", a.Name)
	}
	return cert, key, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// newSerial returns a random positive serial of 127 bits (RFC 5280 allows
// 20 octets; CA/Browser practice wants at least 64 random bits).
func newSerial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b)
	b[0] &= 0x7f
	if b[0] == 0 {
		b[0] = 1 // keep 16 octets, so every serial prints alike
	}
	return new(big.Int).SetBytes(b)
}

// SerialHex is how the store and the API name a serial.
func SerialHex(n *big.Int) string { return hex.EncodeToString(n.Bytes()) }

func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(spki.Key.Bytes) // RFC 7093 method 1: leftmost 160 bits of SHA-256
	return sum[:20], nil
}

func (ca *CA) caName(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{ca.cfg.Organisation}, Country: []string{ca.cfg.Country}}
}

func (ca *CA) newRoot(now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		return nil, nil, err
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               ca.caName(ca.cfg.Organisation + " Root CA"),
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(RootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, t, t, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: root: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func (ca *CA) newIssuing(ctx context.Context, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		return nil, nil, err
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               ca.caName(ca.cfg.Organisation + " Signing CA"),
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              minTime(now.Add(IssuingValidity), ca.root.NotAfter),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
		CRLDistributionPoints: []string{ca.URL(PathRootCRL)},
		IssuingCertificateURL: []string{ca.URL(PathRoot)},
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca.root, key.Public(), ca.rootKey)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: issuing CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	if err := ca.record(ctx, "root", cert); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (ca *CA) record(ctx context.Context, issuer string, cert *x509.Certificate) error {
	return ca.store.AddIssued(ctx, Issued{
		Issuer: issuer, Serial: SerialHex(cert.SerialNumber), Subject: cert.Subject.String(),
		NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, Cert: cert.Raw,
	})
}

// Identity is the signer a certificate names.
type Identity struct {
	// Name is the signer's full name, as on their identity card (the
	// subject's commonName; Arabic or Latin script).
	Name string
	// SerialNumber identifies the person: use CINSerial for a national
	// identity card number or OrderSerial for a professional order's
	// number (the subject's serialNumber attribute).
	SerialNumber string
	// Organisation is who they sign for (the commune, an architects'
	// firm).
	Organisation string
	// Title is the capacity they sign in: "Président du conseil",
	// "Architecte" (the subject's title attribute).
	Title string
	// Country is an ISO 3166 code (default "MA").
	Country string
	// Email, if set, is written as an rfc822Name.
	Email string
}

// CINSerial is the serialNumber of a Moroccan national identity card
// number, in the semantic-identifier form of ETSI EN 319 412-1
// ("IDC" + country + "-" + number).
func CINSerial(cin string) string { return "IDCMA-" + strings.ToUpper(strings.TrimSpace(cin)) }

// OrderSerial is the serialNumber of a member of a professional order
// (the order's short name, such as "CNOA" for the architects, and the
// member's number). ETSI has no type for it; the prefix keeps the two
// kinds of number apart.
func OrderSerial(order, number string) string {
	return strings.ToUpper(strings.TrimSpace(order)) + "-" + strings.TrimSpace(number)
}

// Check reports what makes id unusable in a certificate.
func (id Identity) Check() error {
	switch {
	case strings.TrimSpace(id.Name) == "":
		return errors.New("pki: the signer's name is missing")
	case strings.TrimSpace(id.SerialNumber) == "":
		return errors.New("pki: the signer's identity number is missing")
	case strings.TrimSpace(id.Organisation) == "":
		return errors.New("pki: the signer's organisation is missing")
	case len(id.Name) > 64*4 || len(id.Organisation) > 64*4 || len(id.Title) > 64*4 || len(id.SerialNumber) > 64:
		return errors.New("pki: an identity field is too long")
	}
	return nil
}

func (id Identity) name() pkix.Name {
	n := pkix.Name{
		CommonName:   id.Name,
		SerialNumber: id.SerialNumber,
		Organization: []string{id.Organisation},
		Country:      []string{id.Country},
	}
	if n.Country[0] == "" {
		n.Country[0] = "MA"
	}
	if id.Title != "" {
		n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidTitle, Value: id.Title}}
	}
	return n
}

// checkKey accepts the keys the CA certifies: ECDSA P-256 or P-384, RSA of
// 3072 bits or more.
func checkKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return nil
		}
	case *rsa.PublicKey:
		if k.N.BitLen() >= 3072 {
			return nil
		}
	}
	return fmt.Errorf("pki: key %T not accepted: ECDSA P-256 or P-384, or RSA of 3072 bits or more", pub)
}

// Issue makes a 2-year signing certificate for id's public key pub, and
// records it. Its key usage is digitalSignature and nonRepudiation
// (contentCommitment), its extended key usage documentSigning and
// emailProtection, its policy the configured one; it names the CRL and the
// issuing CA's certificate by their public addresses. The certificate does
// not outlive the issuing CA.
func (ca *CA) Issue(ctx context.Context, pub crypto.PublicKey, id Identity) (*x509.Certificate, error) {
	if err := id.Check(); err != nil {
		return nil, err
	}
	if err := checkKey(pub); err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	now := ca.cfg.Now()
	t := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               id.name(),
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              minTime(now.Add(SignerValidity), ca.issuing.NotAfter),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{OIDDocumentSigning},
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
		Policies:              []x509.OID{ca.policy},
		CRLDistributionPoints: []string{ca.URL(PathCRL)},
		IssuingCertificateURL: []string{ca.URL(PathIssuing)},
	}
	if id.Email != "" {
		t.EmailAddresses = []string{id.Email}
	}
	return ca.sign(ctx, t, pub)
}

func (ca *CA) sign(ctx context.Context, t *x509.Certificate, pub crypto.PublicKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, t, ca.issuing, pub, ca.issuingKey)
	if err != nil {
		return nil, fmt.Errorf("pki: issue: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: issue: %w", err)
	}
	if err := ca.record(ctx, "issuing", cert); err != nil {
		return nil, err
	}
	return cert, nil
}

// TimeStamping returns the certificate and key of the built-in
// time-stamping unit, made on first use: an ECDSA P-256 key certified by the
// issuing CA with the one extended key usage timeStamping, marked critical
// as RFC 3161 requires. The key is sealed and stored like the CA's.
func (ca *CA) TimeStamping(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
	ca.tsaMu.Lock()
	defer ca.tsaMu.Unlock()
	return ca.loadOrCreate(ctx, "tsa", func(now time.Time) (*x509.Certificate, crypto.Signer, error) {
		key, err := GenerateKey(ECDSAP256)
		if err != nil {
			return nil, nil, err
		}
		ski, err := subjectKeyID(key.Public())
		if err != nil {
			return nil, nil, err
		}
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
		if err != nil {
			return nil, nil, err
		}
		t := &x509.Certificate{
			SerialNumber:          newSerial(),
			Subject:               ca.caName(ca.cfg.Organisation + " Time Stamping Unit"),
			NotBefore:             now.Add(-time.Minute),
			NotAfter:              minTime(now.Add(TSAValidity), ca.issuing.NotAfter),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			BasicConstraintsValid: true,
			SubjectKeyId:          ski,
			Policies:              []x509.OID{ca.policy},
			CRLDistributionPoints: []string{ca.URL(PathCRL)},
			IssuingCertificateURL: []string{ca.URL(PathIssuing)},
			// crypto/x509 writes extended key usage non-critical; an extra
			// extension of the same OID replaces it.
			ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
		}
		cert, err := ca.sign(ctx, t, key.Public())
		return cert, key, err
	})
}
