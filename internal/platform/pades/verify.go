package pades

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"madina/internal/platform/cms"
	"madina/internal/platform/pdf"
	"madina/internal/platform/pki"
)

// VerifyOptions are what the verifier brings besides the document.
type VerifyOptions struct {
	// CRLs (DER) used besides those in the document's DSS.
	CRLs [][]byte
	// Certificates that may complete chains besides the document's.
	Intermediates []*x509.Certificate
}

// Report is what Verify found.
type Report struct {
	Signatures []Signature // in the order they were made
	Revisions  int         // the original and each incremental update
	// DSS is true when the document has a Document Security Store.
	DSS bool
	// DSSCerts, DSSCRLs count what it holds.
	DSSCerts, DSSCRLs int
}

// Valid reports whether every signature is valid (see Signature.Valid).
func (r *Report) Valid() bool {
	for _, s := range r.Signatures {
		if !s.Valid() {
			return false
		}
	}
	return len(r.Signatures) > 0
}

// Signature is one signature's verification.
type Signature struct {
	Field     string
	SubFilter string
	// Name, Reason, Location, ContactInfo as the dictionary says them.
	Name, Reason, Location, ContactInfo string

	Signer  *x509.Certificate // nil when the CMS cannot be read
	Subject string

	Claimed   time.Time // /M, zero if absent
	TimeStamp time.Time // the time-stamp token's time, zero if none
	// TimeStampErr says why a time stamp present is not accepted.
	TimeStampErr error
	TSA          *x509.Certificate

	// Revision is the revision (index into the file's revisions) the
	// signature ends; -1 when its /ByteRange ends at no revision's end.
	Revision int
	// Covers: the /ByteRange starts at 0, leaves out exactly the
	// /Contents string and ends at the end of a revision.
	Covers bool
	// Intact: the digest over the /ByteRange is the signed one and the
	// signer's key signed it (with its certificate named, ESS v2).
	Intact    bool
	IntactErr error
	// SigningTime is in the CMS: PAdES baseline forbids it.
	HasSigningTime bool

	// ChangedAfter: a later revision changes something else than adding
	// signatures, their fields and a DSS. Changes says what.
	ChangedAfter bool
	Changes      []string

	// Trusted: the signer's certificate chains to a trusted root at the
	// signing time (the time stamp's, else the claimed time).
	Trusted  bool
	TrustErr error
	At       time.Time // the time the chain was checked at
	Chain    []*x509.Certificate

	// RevocationChecked: a CRL signed by the issuer was found for every
	// certificate of the chain below the root.
	RevocationChecked bool
	Revoked           bool
	RevokedAt         time.Time
}

// Valid reports whether the signature covers its revision intact, the
// document was not changed after, the signer was trusted at the signing
// time and not revoked, and revocation could be checked.
func (s Signature) Valid() bool {
	return s.Covers && s.Intact && !s.ChangedAfter && s.Trusted && s.RevocationChecked && !s.Revoked && s.TimeStampErr == nil
}

// maxSignatures bounds the signatures read from one document.
const maxSignatures = 1000

// Verify checks every signature of a PDF against trust. An unsigned PDF
// is ErrUnsigned; a damaged or encrypted one ErrCorrupt or ErrEncrypted;
// a signature dictionary that cannot be read at all ErrBroken. What is
// wrong with a readable signature is in its Signature, not an error.
func Verify(pdfBytes []byte, trust *pki.Trust, opts VerifyOptions) (*Report, error) {
	r, err := open(pdfBytes)
	if err != nil {
		return nil, err
	}
	rep := &Report{Revisions: len(r.Revisions())}
	cat, _ := r.Get(r.Root()).(pdf.Dict)
	if cat == nil {
		return nil, invalid(keyCorrupt, ErrCorrupt, errors.New("the catalogue is not a dictionary"))
	}
	v := &verifier{r: r, data: pdfBytes, trust: trust}
	dssCerts, dssCRLs, err := v.readDSS(cat)
	if err != nil {
		return nil, err
	}
	rep.DSS = cat["DSS"] != nil
	rep.DSSCerts, rep.DSSCRLs = len(dssCerts), len(dssCRLs)
	v.extra = append(append(v.extra, opts.Intermediates...), dssCerts...)
	for _, der := range opts.CRLs {
		c, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("pades: a CRL given: %w", err)
		}
		v.crls = append(v.crls, c)
	}
	v.crls = append(v.crls, dssCRLs...)

	fields, err := v.sigFields(cat)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, invalid(keyUnsigned, ErrUnsigned, nil)
	}
	for _, f := range fields {
		s, err := v.signature(f)
		if err != nil {
			return nil, err
		}
		rep.Signatures = append(rep.Signatures, s)
	}
	slices.SortStableFunc(rep.Signatures, func(a, b Signature) int { return a.Revision - b.Revision })
	return rep, nil
}

type verifier struct {
	r     *pdf.Reader
	data  []byte
	trust *pki.Trust
	extra []*x509.Certificate
	crls  []*x509.RevocationList
	// crlOK caches CRL signature checks: every signature of a document
	// asks about the same CRLs and issuers.
	crlOK map[crlIssuer]bool
}

type crlIssuer struct {
	crl    *x509.RevocationList
	issuer string // the issuer certificate's DER
}

func (v *verifier) crlSignedBy(crl *x509.RevocationList, issuer *x509.Certificate) bool {
	k := crlIssuer{crl, string(issuer.Raw)}
	ok, done := v.crlOK[k]
	if !done {
		ok = crl.CheckSignatureFrom(issuer) == nil
		if v.crlOK == nil {
			v.crlOK = map[crlIssuer]bool{}
		}
		v.crlOK[k] = ok
	}
	return ok
}

type sigField struct {
	name string
	sig  pdf.Dict
}

// sigFields walks the AcroForm's fields for signature fields with a value.
func (v *verifier) sigFields(cat pdf.Dict) ([]sigField, error) {
	acro, _ := v.r.Get(cat["AcroForm"]).(pdf.Dict)
	if acro == nil {
		return nil, nil
	}
	var out []sigField
	seen := map[pdf.Ref]bool{}
	var walk func(list any, parent string, ft pdf.Name, depth int) error
	walk = func(list any, parent string, ft pdf.Name, depth int) error {
		arr, _ := v.r.Get(list).([]any)
		if depth > 16 {
			return invalid(keyCorrupt, ErrCorrupt, errors.New("form fields nested too deeply"))
		}
		for _, f := range arr {
			if ref, ok := f.(pdf.Ref); ok {
				if seen[ref] {
					continue
				}
				seen[ref] = true
			}
			d, _ := v.r.Get(f).(pdf.Dict)
			if d == nil {
				continue
			}
			name := pdf.Text(d["T"])
			if parent != "" && name != "" {
				name = parent + "." + name
			} else if name == "" {
				name = parent
			}
			typ := ft
			if t, ok := d["FT"].(pdf.Name); ok {
				typ = t
			}
			if kids := d["Kids"]; kids != nil {
				if err := walk(kids, name, typ, depth+1); err != nil {
					return err
				}
			}
			if typ != "Sig" || d["V"] == nil {
				continue
			}
			sig, ok := v.r.Get(d["V"]).(pdf.Dict)
			if !ok {
				return invalid(keySignature, ErrBroken, fmt.Errorf("field %q: the signature value is not a dictionary", name))
			}
			if len(out) >= maxSignatures {
				return invalid(keySignature, ErrBroken, errors.New("too many signatures"))
			}
			out = append(out, sigField{name, sig})
		}
		return nil
	}
	if err := walk(acro["Fields"], "", "", 0); err != nil {
		return nil, err
	}
	return out, nil
}

func (v *verifier) signature(f sigField) (Signature, error) {
	d := f.sig
	s := Signature{
		Field: f.name, Revision: -1,
		Name: pdf.Text(d["Name"]), Reason: pdf.Text(d["Reason"]),
		Location: pdf.Text(d["Location"]), ContactInfo: pdf.Text(d["ContactInfo"]),
	}
	sf, _ := d["SubFilter"].(pdf.Name)
	s.SubFilter = string(sf)
	if m := pdf.Text(d["M"]); m != "" {
		s.Claimed, _ = parseDate(m)
	}
	broken := func(why string) (Signature, error) {
		return s, invalid(keySignature, ErrBroken, fmt.Errorf("field %q: %s", f.name, why))
	}
	contents, ok := d["Contents"].(string)
	if !ok || len(contents) == 0 {
		return broken("no /Contents")
	}
	br, _ := v.r.Get(d["ByteRange"]).([]any)
	if len(br) != 4 {
		return broken("/ByteRange is not four numbers")
	}
	var n [4]int64
	for i, x := range br {
		k, ok := x.(int64)
		if !ok || k < 0 {
			return broken("/ByteRange is not four numbers")
		}
		n[i] = k
	}
	size := int64(len(v.data))
	if n[0] != 0 || n[1] < 1 || n[1] >= n[2] || n[2]+n[3] > size {
		return broken("/ByteRange lies outside the file")
	}
	a, b, end := n[1], n[2], n[2]+n[3]
	// The gap is the hexadecimal /Contents string, delimiters included.
	gapOK := v.data[a] == '<' && v.data[b-1] == '>' && hexEqual(v.data[a+1:b-1], contents)
	for i, rev := range v.r.Revisions() {
		if rev.End == end {
			s.Revision = i
		}
	}
	s.Covers = gapOK && s.Revision >= 0

	signed, err := cms.Parse(bytes.TrimRight([]byte(contents), "\x00"))
	if err != nil {
		signed, err = cms.Parse([]byte(contents))
	}
	if err != nil {
		s.IntactErr = err
		return s, nil
	}
	s.Signer = signed.Signer
	s.Subject = subject(signed.Signer)
	s.HasSigningTime = !signed.SigningTime.IsZero()
	h := signed.Hash.New()
	h.Write(v.data[:a])
	h.Write(v.data[b:end])
	if err := signed.Check(h.Sum(nil)); err != nil {
		s.IntactErr = err
	} else {
		s.Intact = true
	}
	if s.Revision >= 0 {
		s.Changes = v.changesAfter(s.Revision)
		s.ChangedAfter = len(s.Changes) > 0
	}

	if signed.TimeStampToken != nil {
		s.TimeStamp, s.TSA, s.TimeStampErr = v.timeStamp(signed)
	}
	s.At = s.Claimed
	if !s.TimeStamp.IsZero() && s.TimeStampErr == nil {
		s.At = s.TimeStamp
	}
	if s.At.IsZero() {
		s.At = time.Now()
	}
	chains, err := v.trust.Verify(signed.Signer, append(slices.Clone(signed.Certificates), v.extra...), s.At)
	if err != nil {
		s.TrustErr = err
	} else {
		s.Trusted = true
		s.Chain = chains[0]
		s.RevocationChecked, s.Revoked, s.RevokedAt = v.revocation(s.Chain, s.At)
	}
	return s, nil
}

func hexEqual(h []byte, want string) bool {
	if len(h) != 2*len(want) {
		return false
	}
	got := make([]byte, len(want))
	for i := range got {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		got[i] = hi<<4 | lo
	}
	return string(got) == want
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// timeStamp checks the signature-time-stamp token: its signature, that
// it is over the signature value, and its TSA's chain at its time.
func (v *verifier) timeStamp(signed *cms.Signed) (time.Time, *x509.Certificate, error) {
	ts, err := timestamp.Parse(signed.TimeStampToken)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("pades: time stamp: %w", err)
	}
	if !ts.AddTSACertificate {
		return time.Time{}, nil, errors.New("pades: the time stamp carries no certificate")
	}
	if !ts.HashAlgorithm.Available() {
		return time.Time{}, nil, errors.New("pades: the time stamp's hash is not available")
	}
	h := ts.HashAlgorithm.New()
	h.Write(signed.SignatureValue)
	if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
		return time.Time{}, nil, errors.New("pades: the time stamp is for another signature")
	}
	p7, err := pkcs7.Parse(signed.TimeStampToken)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("pades: time stamp: %w", err)
	}
	tsaCert := p7.GetOnlySigner()
	if tsaCert == nil {
		return time.Time{}, nil, errors.New("pades: the time stamp has no single signer")
	}
	if !slices.Contains(tsaCert.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
		return ts.Time, tsaCert, errors.New("pades: the time stamp's certificate is not for time stamping")
	}
	chains, err := v.trust.Verify(tsaCert, append(slices.Clone(p7.Certificates), v.extra...), ts.Time)
	if err != nil {
		return ts.Time, tsaCert, err
	}
	if checked, revoked, _ := v.revocation(chains[0], ts.Time); !checked {
		return ts.Time, tsaCert, errors.New("pades: no CRL for the time-stamping certificate")
	} else if revoked {
		return ts.Time, tsaCert, errors.New("pades: the time-stamping certificate is revoked")
	}
	return ts.Time, tsaCert, nil
}

// revocation looks, for each certificate of chain below the root, for a
// CRL its issuer signed; it reports whether one was found for all, and
// whether one lists the certificate as revoked before at.
func (v *verifier) revocation(chain []*x509.Certificate, at time.Time) (checked, revoked bool, when time.Time) {
	checked = true
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		found := false
		for _, crl := range v.crls {
			if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) || !v.crlSignedBy(crl, issuer) {
				continue
			}
			found = true
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber.Cmp(cert.SerialNumber) == 0 && !e.RevocationTime.After(at) {
					revoked, when = true, e.RevocationTime
				}
			}
		}
		if !found {
			checked = false
		}
	}
	return checked, revoked, when
}

// readDSS returns the certificates and CRLs of the Document Security
// Store.
func (v *verifier) readDSS(cat pdf.Dict) ([]*x509.Certificate, []*x509.RevocationList, error) {
	dss, _ := v.r.Get(cat["DSS"]).(pdf.Dict)
	if dss == nil {
		return nil, nil, nil
	}
	var certs []*x509.Certificate
	var crls []*x509.RevocationList
	each := func(key pdf.Name, f func([]byte) error) error {
		list, _ := v.r.Get(dss[key]).([]any)
		for _, x := range list {
			ref, ok := x.(pdf.Ref)
			if !ok {
				continue
			}
			_, data, err := v.r.Stream(ref)
			if err != nil {
				return invalid(keyCorrupt, ErrCorrupt, fmt.Errorf("DSS /%s: %w", key, err))
			}
			if err := f(data); err != nil {
				return invalid(keyCorrupt, ErrCorrupt, fmt.Errorf("DSS /%s: %w", key, err))
			}
		}
		return nil
	}
	err := each("Certs", func(b []byte) error {
		c, err := x509.ParseCertificate(b)
		certs = append(certs, c)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	err = each("CRLs", func(b []byte) error {
		c, err := x509.ParseRevocationList(b)
		crls = append(crls, c)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return certs, crls, nil
}

// changesAfter lists what the revisions after rev change besides adding
// signatures, their fields and widgets, and validation data: an object
// that existed at rev and is written again must be the catalogue
// (changing only /AcroForm, /DSS), a page (only /Annots), the AcroForm
// (only /Fields, /SigFlags, /DR, /DA), an annotations array that only
// grows, or the DSS. New objects are free to add: nothing signed refers
// to them unless a changed object does.
func (v *verifier) changesAfter(rev int) []string {
	revs := v.r.Revisions()
	root := v.r.Root().Num()
	var out []string
	for j := rev + 1; j < len(revs); j++ {
		for _, num := range revs[j].Objects {
			if num == 0 {
				continue
			}
			ref := pdf.MakeRef(num)
			old, err := v.r.ObjectAt(ref, j-1)
			if err != nil || old == nil {
				continue // new (or unreadable before: not signed content)
			}
			now, err := v.r.ObjectAt(ref, j)
			if err != nil {
				out = append(out, fmt.Sprintf("revision %d: object %d removed or unreadable", j, num))
				continue
			}
			if !allowedChange(num == root, old, now) {
				out = append(out, fmt.Sprintf("revision %d: object %d changed", j, num))
			}
		}
	}
	return out
}

func allowedChange(isRoot bool, old, now any) bool {
	if oa, ok := old.([]any); ok {
		na, ok := now.([]any)
		return ok && len(na) >= len(oa) && bytes.Equal(pdf.Encode(oa), pdf.Encode(na[:len(oa)]))
	}
	od, ok1 := old.(pdf.Dict)
	nd, ok2 := now.(pdf.Dict)
	if !ok1 || !ok2 {
		return bytes.Equal(pdf.Encode(old), pdf.Encode(now))
	}
	var free []pdf.Name
	switch {
	case isRoot:
		free = []pdf.Name{"AcroForm", "DSS"}
	case od["Type"] == pdf.Name("Page"):
		free = []pdf.Name{"Annots"}
	case od["Fields"] != nil || od["SigFlags"] != nil:
		free = []pdf.Name{"Fields", "SigFlags", "DR", "DA"}
	case od["Type"] == pdf.Name("DSS"):
		free = []pdf.Name{"Certs", "CRLs", "OCSPs", "VRI"}
	}
	od, nd = maps.Clone(od), maps.Clone(nd)
	for _, k := range free {
		delete(od, k)
		delete(nd, k)
	}
	return bytes.Equal(pdf.Encode(od), pdf.Encode(nd))
}

// parseDate reads a PDF date, D:YYYYMMDDHHmmSSOHH'mm', any tail part
// left out.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	s = strings.ReplaceAll(s, "'", "")
	layouts := []string{"20060102150405Z0700", "20060102150405Z", "20060102150405-0700", "20060102150405", "200601021504", "20060102"}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if len(s) > 14 {
		if t, err := time.Parse("20060102150405", s[:14]); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("pades: bad date %q", s)
}

// subject writes a certificate's subject for people: name, identifier
// (CIN or order number), organisation, title (the capacity), country,
// with the attribute names of RFC 4514.
func subject(c *x509.Certificate) string {
	names := map[string]string{
		"2.5.4.3": "CN", "2.5.4.5": "SERIALNUMBER", "2.5.4.10": "O", "2.5.4.11": "OU",
		"2.5.4.12": "T", "2.5.4.6": "C", "2.5.4.7": "L", "1.2.840.113549.1.9.1": "E",
	}
	var parts []string
	for _, want := range []string{"2.5.4.3", "2.5.4.5", "2.5.4.10", "2.5.4.11", "2.5.4.12", "2.5.4.7", "2.5.4.6", "1.2.840.113549.1.9.1"} {
		for _, a := range c.Subject.Names {
			if a.Type.String() == want {
				if v, ok := a.Value.(string); ok {
					parts = append(parts, names[want]+"="+v)
				}
			}
		}
	}
	if len(parts) == 0 {
		return c.Subject.String()
	}
	return strings.Join(parts, ", ")
}
