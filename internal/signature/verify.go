package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/pades"
	"madina/internal/platform/pki"
)

// MaxVerifySize bounds a PDF sent to be verified (/verify, the API): the
// documents Madina signs are far smaller, and the upload is held in
// memory only while it is checked, never stored.
const MaxVerifySize = 50 << 20

// Verdicts of one signature and of a whole document, worst last.
const (
	VerdictValid     = "valid"     // intact, unchanged since, trusted, not revoked
	VerdictUntrusted = "untrusted" // intact, but the signer is not trusted, or revocation could not be checked
	VerdictRevoked   = "revoked"   // the certificate was revoked at the signing time
	VerdictInvalid   = "invalid"   // the signed bytes changed, or the document was changed after
)

// SignerName is who signed, as the certificate names them: the name
// (commonName), the identity (serialNumber: IDCMA-<CIN>, CNOA-<number>,
// MADINA-<id>), the organisation and the capacity (title).
type SignerName struct {
	Name         string `json:"name"`
	Identity     string `json:"identity,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	Title        string `json:"title,omitempty"`
}

// VerifiedSignature is one signature of a verified document, as people
// read it.
type VerifiedSignature struct {
	Signer SignerName `json:"signer"`
	// Time is the time-stamp's time when TimeStamped, else the time the
	// signer's software claimed (/M; zero when absent).
	Time        time.Time `json:"time,omitzero"`
	TimeStamped bool      `json:"time_stamped"`
	// Intact: the signed bytes are those the signer signed.
	Intact bool `json:"intact"`
	// ChangedAfter: a later revision changed the document.
	ChangedAfter bool `json:"changed_after"`
	// Trusted: the certificate chains to a trusted root at the signing time.
	Trusted           bool       `json:"trusted"`
	RevocationChecked bool       `json:"revocation_checked"`
	Revoked           bool       `json:"revoked"`
	RevokedAt         *time.Time `json:"revoked_at,omitempty"`
	Verdict           string     `json:"verdict"`
}

// IssuedMatch is the record of a document Madina issued whose bytes are
// exactly the verified file's.
type IssuedMatch struct {
	Kind      string    `json:"kind"`
	Reference string    `json:"reference"`
	SignedAt  time.Time `json:"signed_at"`
	Signers   []string  `json:"signers"`
}

// Verification is what /verify, the API and `madina verify` answer.
type Verification struct {
	SHA256     string              `json:"sha256"`
	Verdict    string              `json:"verdict"`
	Signatures []VerifiedSignature `json:"signatures"`
	// Issued is Madina's record of this exact file, nil when none.
	Issued *IssuedMatch `json:"issued"`
}

var (
	oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidTitleAttr    = asn1.ObjectIdentifier{2, 5, 4, 12}
)

// signerName reads a certificate's subject; the /Name of the signature
// dictionary stands in when the certificate could not be read.
func signerName(s pades.Signature) SignerName {
	c := s.Signer
	if c == nil {
		return SignerName{Name: s.Name}
	}
	n := SignerName{Name: c.Subject.CommonName}
	for _, a := range c.Subject.Names {
		v, _ := a.Value.(string)
		switch {
		case a.Type.Equal(oidSerialNumber):
			n.Identity = v
		case a.Type.Equal(oidTitleAttr):
			n.Title = v
		}
	}
	if len(c.Subject.Organization) > 0 {
		n.Organisation = c.Subject.Organization[0]
	}
	if n.Name == "" {
		n.Name = s.Name
	}
	return n
}

// Summarize turns pades' report into the verdicts people read. It is the
// same for the web page, the API and the command line.
func Summarize(rep *pades.Report, sum [32]byte) *Verification {
	v := &Verification{SHA256: hex.EncodeToString(sum[:]), Verdict: VerdictValid, Signatures: []VerifiedSignature{}}
	rank := map[string]int{VerdictValid: 0, VerdictUntrusted: 1, VerdictRevoked: 2, VerdictInvalid: 3}
	for _, s := range rep.Signatures {
		vs := VerifiedSignature{
			Signer:            signerName(s),
			Intact:            s.Covers && s.Intact,
			ChangedAfter:      s.ChangedAfter,
			Trusted:           s.Trusted,
			RevocationChecked: s.RevocationChecked,
			Revoked:           s.Revoked,
		}
		if !s.TimeStamp.IsZero() && s.TimeStampErr == nil {
			vs.Time, vs.TimeStamped = s.TimeStamp.UTC(), true
		} else if !s.Claimed.IsZero() {
			vs.Time = s.Claimed.UTC()
		}
		if s.Revoked {
			t := s.RevokedAt.UTC()
			vs.RevokedAt = &t
		}
		switch {
		case !vs.Intact || s.ChangedAfter:
			vs.Verdict = VerdictInvalid
		case s.Revoked:
			vs.Verdict = VerdictRevoked
		case !s.Trusted || !s.RevocationChecked || s.TimeStampErr != nil:
			vs.Verdict = VerdictUntrusted
		default:
			vs.Verdict = VerdictValid
		}
		if rank[vs.Verdict] > rank[v.Verdict] {
			v.Verdict = vs.Verdict
		}
		v.Signatures = append(v.Signatures, vs)
	}
	return v
}

// issuedLookup finds a document Madina issued by the SHA-256 of its
// bytes (errs NotFound when none). The registry of issued documents is
// the PDF side's (Service.IssuedDocument); until it is wired, the answer
// is "not in Madina's records".
type issuedLookup func(ctx context.Context, sha256Hex string) (IssuedMatch, error)

// Verifier checks documents sent to be verified against Madina's CA.
type Verifier struct {
	CA *pki.CA
	// ExtraRoots are PEM bundles of the other roots the operator trusts
	// (providers of the city's signers' certificates).
	ExtraRoots [][]byte
	// Issued finds a document Madina issued by the SHA-256 of its signed
	// bytes; BySource by the SHA-256 of the document before signing (the
	// code its QR code carries). nil: none is found. Both are the
	// registry of issued documents' (Service.IssuedDocument,
	// Service.IssuedBySource), wired in module.go.
	Issued, BySource issuedLookup
}

// newVerifier is the verifier of Madina's CA and of the roots in the PEM
// file rootsFile (none when empty). A file that cannot be read, or holds
// no CA certificate, stops the start: a misconfigured trust store must
// not start silently.
func newVerifier(ca *pki.CA, rootsFile string) (*Verifier, error) {
	v := &Verifier{CA: ca}
	if rootsFile == "" {
		return v, nil
	}
	b, err := os.ReadFile(rootsFile)
	if err != nil {
		return nil, fmt.Errorf("signature: trusted roots: %w", err)
	}
	v.ExtraRoots = [][]byte{b}
	if _, err := v.trust(); err != nil {
		return nil, fmt.Errorf("signature: --trusted-roots-file %s: %w", rootsFile, err)
	}
	return v, nil
}

// trust is Madina's root and the operator's extra roots.
func (s *Verifier) trust() (*pki.Trust, error) {
	return pki.NewTrust([]*x509.Certificate{s.CA.Root()}, s.ExtraRoots...)
}

// Verify checks every signature of a PDF against Madina's root (and
// the configured extra roots), with Madina's current CRLs besides those
// the document carries, and looks the file up among the documents Madina
// issued. Nothing of the document is kept. Unreadable, encrypted and
// unsigned files are errors of kind Invalid whose keys say which
// (pades.Messages).
func (s *Verifier) Verify(ctx context.Context, data []byte) (*Verification, error) {
	if len(data) == 0 {
		return nil, errs.E(errs.Invalid, "signature.verify.error.empty").OnField("file")
	}
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return nil, errs.E(errs.Invalid, "signature.verify.error.not_pdf").OnField("file")
	}
	trust, err := s.trust()
	if err != nil {
		return nil, err
	}
	crl, err := s.CA.CRL(ctx)
	if err != nil {
		return nil, err
	}
	rootCRL, err := s.CA.RootCRL(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := pades.Verify(data, trust, pades.VerifyOptions{CRLs: [][]byte{crl, rootCRL}, Intermediates: []*x509.Certificate{s.CA.Issuing()}})
	if err != nil {
		return nil, verifyError(err)
	}
	v := Summarize(rep, sha256.Sum256(data))
	if s.Issued != nil {
		m, err := s.Issued(ctx, v.SHA256)
		switch {
		case err == nil:
			v.Issued = &m
		case errs.Is(err, errs.NotFound):
		default:
			return nil, err
		}
	}
	return v, nil
}

// verifyError puts pades' refusals on the form's file field; anything
// else (a fault of ours) stays as it is.
func verifyError(err error) error {
	for _, c := range []struct {
		sentinel error
		key      string
	}{{pades.ErrEncrypted, "signature.verify.error.encrypted"}, {pades.ErrUnsigned, "signature.verify.error.unsigned"},
		{pades.ErrBroken, "signature.verify.error.broken"}, {pades.ErrCorrupt, "signature.verify.error.corrupt"}} {
		if errors.Is(err, c.sentinel) {
			return errs.E(errs.Invalid, c.key).OnField("file").Cause(err)
		}
	}
	if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
		return errs.E(errs.Invalid, "signature.verify.error.corrupt").OnField("file").Cause(err)
	}
	return err
}
