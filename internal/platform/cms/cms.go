// Package cms makes detached CMS (PKCS#7) SignedData signatures, CAdES
// style: SHA-256, the signed attributes content-type, message-digest,
// signing-time and signing-certificate-v2 (RFC 5035, which CAdES and PAdES
// require so the signer's certificate cannot be swapped), the signer's
// certificate and chain, and optionally an RFC 3161 signature-time-stamp
// as an unsigned attribute (CAdES-T / PAdES B-T). The encoding is
// github.com/digitorus/pkcs7's; see docs/ARCHITECTURE.md, "Electronic signature".
package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sort"

	"github.com/digitorus/pkcs7"

	"madina/internal/platform/tsa"
)

// Attribute types.
var (
	OIDSigningCertificateV2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDSignatureTimeStampTok = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
)

// Options are a signature's optional parts.
type Options struct {
	// Stamper, if set, time-stamps the signature value and the token is
	// added as the unsigned signature-time-stamp attribute.
	Stamper tsa.Stamper
	// NoSigningTime leaves out the signing-time signed attribute, which
	// PAdES baseline signatures must not carry (their claimed time is the
	// signature dictionary's /M).
	NoSigningTime bool
}

// SigningCertificateV2 (RFC 5035): one ESSCertIDv2, with the default
// hash algorithm SHA-256 left out as DER requires, and the issuer and
// serial of the certificate.
type signingCertificateV2 struct {
	Certs []essCertIDv2
}

type essCertIDv2 struct {
	CertHash     []byte
	IssuerSerial issuerSerial
}

type issuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

// SigningCertificateV2 returns the DER attribute value naming cert.
func SigningCertificateV2(cert *x509.Certificate) ([]byte, error) {
	sum := sha256.Sum256(cert.Raw)
	return asn1.Marshal(signingCertificateV2{Certs: []essCertIDv2{{
		CertHash: sum[:],
		IssuerSerial: issuerSerial{
			// directoryName [4], explicit since Name is a CHOICE.
			Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer}},
			Serial: cert.SerialNumber,
		},
	}}})
}

// Sign returns a detached CMS SignedData (DER) over data by key, whose
// certificate is cert; chain lists the CAs above it, nearest first, and
// goes into the signature with cert.
func Sign(ctx context.Context, data []byte, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, opts Options) ([]byte, error) {
	sum := sha256.Sum256(data)
	return SignDigest(ctx, sum[:], key, cert, chain, opts)
}

// SignDigest is Sign for data whose SHA-256 digest the caller computed
// (a PDF signs its ByteRange, two pieces of a file, without joining them).
// The key signs once, over the final signed attributes.
func SignDigest(ctx context.Context, digest []byte, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, opts Options) ([]byte, error) {
	if key == nil || cert == nil {
		return nil, errors.New("cms: a key and its certificate are required")
	}
	if len(digest) != sha256.Size {
		return nil, errors.New("cms: the digest is not SHA-256")
	}
	// pkcs7 builds the SignedData and its attributes; it is handed a
	// signer that only records, since its attributes are not final yet:
	// the message digest is ours and signing-time may have to go.
	sd, err := pkcs7.NewSignedData(nil)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	scv2, err := SigningCertificateV2(cert)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	conf := pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{
		{Type: OIDSigningCertificateV2, Value: asn1.RawValue{FullBytes: scv2}},
	}}
	if err := sd.AddSignerChain(cert, deferred{key.Public()}, chain, conf); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	si := &sd.GetSignedData().SignerInfos[0]
	md, err := asn1.Marshal(digest)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	attrs := si.AuthenticatedAttributes[:0]
	for _, a := range si.AuthenticatedAttributes {
		switch {
		case opts.NoSigningTime && a.Type.Equal(pkcs7.OIDAttributeSigningTime):
			continue
		case a.Type.Equal(pkcs7.OIDAttributeMessageDigest):
			a.Value = asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: md}
		}
		attrs = append(attrs, a)
	}
	// DER: the SET OF is in the order of the attributes' encodings, both
	// where it is signed and where it is written ([0] IMPLICIT).
	enc := make([][]byte, len(attrs))
	for i := range attrs {
		if enc[i], err = asn1.Marshal(attrs[i]); err != nil {
			return nil, fmt.Errorf("cms: %w", err)
		}
	}
	idx := make([]int, len(attrs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return bytes.Compare(enc[idx[a]], enc[idx[b]]) < 0 })
	sorted := slices.Clone(attrs)
	var set []byte
	for k, i := range idx {
		sorted[k] = attrs[i]
		set = append(set, enc[i]...)
	}
	si.AuthenticatedAttributes = sorted
	signed, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: set})
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	h := sha256.Sum256(signed)
	if si.EncryptedDigest, err = key.Sign(rand.Reader, h[:], crypto.SHA256); err != nil {
		return nil, fmt.Errorf("cms: signing: %w", err)
	}
	if opts.Stamper != nil {
		sum := sha256.Sum256(si.EncryptedDigest)
		token, err := opts.Stamper.Stamp(ctx, crypto.SHA256, sum[:])
		if err != nil {
			return nil, fmt.Errorf("cms: time stamp: %w", err)
		}
		if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{
			{Type: OIDSignatureTimeStampTok, Value: asn1.RawValue{FullBytes: token}},
		}); err != nil {
			return nil, fmt.Errorf("cms: %w", err)
		}
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return der, nil
}

// deferred is the public key pkcs7 sees while it builds the attributes;
// its "signature" is replaced by the real one over the final attributes.
type deferred struct{ pub crypto.PublicKey }

func (d deferred) Public() crypto.PublicKey { return d.pub }

func (d deferred) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return []byte{0}, nil }
