package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/digitorus/pkcs7"
)

// Signed is a parsed CMS SignedData with one signer, as Parse returns it.
// Parse checks nothing cryptographic; Check does.
type Signed struct {
	Certificates   []*x509.Certificate // all the certificates it carries
	Signer         *x509.Certificate   // the one named by the signer info
	Hash           crypto.Hash         // the digest algorithm
	MessageDigest  []byte              // the signed message-digest attribute
	SigningTime    time.Time           // the signing-time attribute; zero when absent
	SignatureValue []byte
	TimeStampToken []byte // the unsigned signature-time-stamp, if any
	// SigningCertificateV2 is the signing-certificate-v2 value, nil if absent.
	SigningCertificateV2 []byte

	signedAttrs []byte // DER SET OF the signed attributes, as signed
	sigAlg      asn1.ObjectIdentifier
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerialNumber struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attributeDER struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue
}

// ErrMalformed is a signature that is not a CMS SignedData we can read.
var ErrMalformed = errors.New("cms: not a readable CMS SignedData with one signer")

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSAPSS     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
)

// Parse reads a DER CMS SignedData (a PDF's /Contents may pad it with
// zeros after its end: they are ignored) with exactly one signer whose
// certificate it carries, and signed attributes.
func Parse(der []byte) (*Signed, error) {
	var ci contentInfo
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v", ErrMalformed, ci.ContentType)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: %d signers", ErrMalformed, len(sd.SignerInfos))
	}
	s := &Signed{}
	if len(sd.Certificates.Bytes) > 0 {
		certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificates: %v", ErrMalformed, err)
		}
		s.Certificates = certs
	}
	si := sd.SignerInfos[0]
	var ias issuerAndSerialNumber
	if _, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil {
		return nil, fmt.Errorf("%w: signer identifier: %v", ErrMalformed, err)
	}
	for _, c := range s.Certificates {
		if bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) && c.SerialNumber.Cmp(ias.Serial) == 0 {
			s.Signer = c
			break
		}
	}
	if s.Signer == nil {
		return nil, fmt.Errorf("%w: the signer's certificate is not in the signature", ErrMalformed)
	}
	switch {
	case si.DigestAlgorithm.Algorithm.Equal(oidSHA256):
		s.Hash = crypto.SHA256
	case si.DigestAlgorithm.Algorithm.Equal(oidSHA384):
		s.Hash = crypto.SHA384
	case si.DigestAlgorithm.Algorithm.Equal(oidSHA512):
		s.Hash = crypto.SHA512
	default:
		return nil, fmt.Errorf("%w: digest algorithm %v not accepted", ErrMalformed, si.DigestAlgorithm.Algorithm)
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: no signed attributes", ErrMalformed)
	}
	// What was signed is the attributes as a SET OF: the [0] IMPLICIT tag
	// replaced by the SET tag.
	s.signedAttrs = bytes.Clone(si.SignedAttrs.FullBytes)
	s.signedAttrs[0] = 0x31
	s.sigAlg = si.SignatureAlgorithm.Algorithm
	s.SignatureValue = si.Signature
	err := eachAttribute(si.SignedAttrs.Bytes, func(a attributeDER) error {
		switch {
		case a.Type.Equal(pkcs7.OIDAttributeMessageDigest):
			if _, err := asn1.Unmarshal(a.Values.Bytes, &s.MessageDigest); err != nil {
				return err
			}
		case a.Type.Equal(pkcs7.OIDAttributeSigningTime):
			if _, err := asn1.Unmarshal(a.Values.Bytes, &s.SigningTime); err != nil {
				return err
			}
		case a.Type.Equal(OIDSigningCertificateV2):
			s.SigningCertificateV2 = a.Values.Bytes
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: signed attributes: %v", ErrMalformed, err)
	}
	if s.MessageDigest == nil {
		return nil, fmt.Errorf("%w: no message-digest attribute", ErrMalformed)
	}
	err = eachAttribute(si.UnsignedAttrs.Bytes, func(a attributeDER) error {
		if a.Type.Equal(OIDSignatureTimeStampTok) {
			var tok asn1.RawValue
			if _, err := asn1.Unmarshal(a.Values.Bytes, &tok); err != nil {
				return err
			}
			s.TimeStampToken = tok.FullBytes
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: unsigned attributes: %v", ErrMalformed, err)
	}
	return s, nil
}

func eachAttribute(b []byte, f func(attributeDER) error) error {
	for len(b) > 0 {
		var a attributeDER
		rest, err := asn1.Unmarshal(b, &a)
		if err != nil {
			return err
		}
		if err := f(a); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

// Errors of Check.
var (
	ErrDigest          = errors.New("cms: the signed data does not match the signature (digest)")
	ErrSignature       = errors.New("cms: the signature value is not the signer's over its attributes")
	ErrSigningCertHash = errors.New("cms: signing-certificate-v2 does not name the signer's certificate")
)

// Check verifies that digest (of the signed data, with s.Hash) is the
// signed message digest, that the signer's key made the signature over the
// signed attributes, and, when present, that signing-certificate-v2 names
// the signer's certificate. Whether that certificate is trusted is
// pki.Trust's question.
func (s *Signed) Check(digest []byte) error {
	if subtle.ConstantTimeCompare(digest, s.MessageDigest) != 1 {
		return ErrDigest
	}
	alg, err := s.algorithm()
	if err != nil {
		return err
	}
	if err := s.Signer.CheckSignature(alg, s.signedAttrs, s.SignatureValue); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if s.SigningCertificateV2 != nil {
		want, err := SigningCertificateV2(s.Signer)
		if err != nil {
			return err
		}
		// Compare the certificate hash only: issuer and serial are
		// optional in the attribute.
		var got, exp signingCertificateV2Loose
		if _, err := asn1.Unmarshal(s.SigningCertificateV2, &got); err != nil || len(got.Certs) == 0 {
			return ErrSigningCertHash
		}
		asn1.Unmarshal(want, &exp)
		if len(got.Certs[0].Algorithm.Algorithm) > 0 && !got.Certs[0].Algorithm.Algorithm.Equal(oidSHA256) {
			return fmt.Errorf("%w: hash algorithm %v", ErrSigningCertHash, got.Certs[0].Algorithm.Algorithm)
		}
		if !bytes.Equal(got.Certs[0].Hash, exp.Certs[0].Hash) {
			return ErrSigningCertHash
		}
	}
	return nil
}

// signingCertificateV2Loose reads an ESSCertIDv2 whose hash algorithm may
// be present (it is DEFAULT sha256).
type signingCertificateV2Loose struct {
	Certs    []essCertIDv2Loose
	Policies asn1.RawValue `asn1:"optional"`
}

type essCertIDv2Loose struct {
	Algorithm    pkix.AlgorithmIdentifier `asn1:"optional"`
	Hash         []byte
	IssuerSerial asn1.RawValue `asn1:"optional"`
}

func (s *Signed) algorithm() (x509.SignatureAlgorithm, error) {
	if s.sigAlg.Equal(oidRSAPSS) {
		return 0, fmt.Errorf("%w: RSASSA-PSS is not accepted", ErrSignature)
	}
	switch s.Signer.PublicKey.(type) {
	case *rsa.PublicKey:
		switch s.Hash {
		case crypto.SHA256:
			return x509.SHA256WithRSA, nil
		case crypto.SHA384:
			return x509.SHA384WithRSA, nil
		case crypto.SHA512:
			return x509.SHA512WithRSA, nil
		}
	case *ecdsa.PublicKey:
		switch s.Hash {
		case crypto.SHA256:
			return x509.ECDSAWithSHA256, nil
		case crypto.SHA384:
			return x509.ECDSAWithSHA384, nil
		case crypto.SHA512:
			return x509.ECDSAWithSHA512, nil
		}
	}
	return 0, fmt.Errorf("%w: key type %T", ErrSignature, s.Signer.PublicKey)
}
