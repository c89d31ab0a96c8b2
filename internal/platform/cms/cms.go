// Package cms makes detached CMS (PKCS#7) SignedData signatures, CAdES
// style: SHA-256, the signed attributes content-type, message-digest,
// signing-time and signing-certificate-v2 (RFC 5035, which CAdES and PAdES
// require so the signer's certificate cannot be swapped), the signer's
// certificate and chain, and optionally an RFC 3161 signature-time-stamp
// as an unsigned attribute (CAdES-T / PAdES B-T). The encoding is
// github.com/digitorus/pkcs7's; see docs/ARCHITECTURE.md, "Electronic signature".
package cms

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

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
	if key == nil || cert == nil {
		return nil, errors.New("cms: a key and its certificate are required")
	}
	sd, err := pkcs7.NewSignedData(data)
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
	if err := sd.AddSignerChain(cert, key, chain, conf); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	if opts.Stamper != nil {
		si := &sd.GetSignedData().SignerInfos[0]
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
