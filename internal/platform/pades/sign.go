// Package pades signs PDFs with PAdES baseline signatures (ETSI EN
// 319 142-1: B-B, B-T with an RFC 3161 time stamp, B-LT with a Document
// Security Store) and verifies them. Each signature is an incremental
// update: the bytes signed before stay as they were, so several people
// sign one document one after another and every earlier signature stays
// valid. The CMS is package cms's (github.com/digitorus/pkcs7), the PDF
// reading and writing package pdf's; see docs/arch/pades.md.
package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/cms"
	"madina/internal/platform/errs"
	"madina/internal/platform/pdf"
	"madina/internal/platform/tsa"
)

// Messages holds the texts of this package's message keys (ar, fr, en).
//
//go:embed messages/*.json
var Messages embed.FS

// Message keys.
const (
	keyUnsigned  = "error.pades.unsigned"
	keySignature = "error.pades.signature"
	keyEncrypted = "error.pdf.encrypted" // package pdf's
	keyCorrupt   = "error.pdf.corrupt"   // package pdf's
)

// Errors: each is the cause inside an errs.Error of kind Invalid with a
// message key, so errors.Is finds them and users read a translation.
var (
	ErrEncrypted = errors.New("pades: the PDF is encrypted")
	ErrCorrupt   = errors.New("pades: the PDF is damaged")
	ErrUnsigned  = errors.New("pades: the PDF has no signature")
	ErrBroken    = errors.New("pades: a signature dictionary cannot be read")
)

func invalid(key string, sentinel error, cause error) error {
	if cause == nil {
		return errs.E(errs.Invalid, key).Cause(sentinel)
	}
	return errs.E(errs.Invalid, key).Cause(fmt.Errorf("%w: %v", sentinel, cause))
}

// open reads data with package pdf, turning its errors into ours.
func open(data []byte) (*pdf.Reader, error) {
	r, err := pdf.NewReader(data)
	if err != nil {
		if e := errs.As(err); e != nil && e.Key == keyEncrypted {
			return nil, invalid(keyEncrypted, ErrEncrypted, err)
		}
		return nil, invalid(keyCorrupt, ErrCorrupt, err)
	}
	return r, nil
}

// Signer is who signs: a key, its certificate and the CA certificates
// above it, nearest first (the root may be included).
type Signer struct {
	Key   crypto.Signer
	Cert  *x509.Certificate
	Chain []*x509.Certificate
}

// Options are what a signature says besides the signer.
type Options struct {
	Reason, Location, Name, ContactInfo string
	// Time is the claimed signing time written as /M; default now. The
	// trusted time is the time stamp's.
	Time time.Time
	// Stamper, if set, time-stamps the signature (PAdES B-T).
	Stamper tsa.Stamper
	// Visible, if set, draws a signature block on a page; otherwise the
	// signature's widget is invisible.
	Visible *Appearance
}

// Signature dictionary values.
const (
	Filter    = "Adobe.PPKLite"
	SubFilter = "ETSI.CAdES.detached"
)

// byteRangeMark is the placeholder of /ByteRange, replaced once the
// offsets are known by numbers padded with spaces to the same width.
const byteRangeMark = "[0 ********** ********** **********]"

// maxPages bounds the page tree walked.
const maxPages = 100_000

// Sign returns pdfBytes followed by an incremental update that adds a
// signature field (on the first page, invisible, or where opts.Visible
// says), the AcroForm with /SigFlags 3, and a /Sig dictionary with
// SubFilter ETSI.CAdES.detached whose CMS signs the whole file but the
// /Contents string: signing-certificate-v2, no signing-time, and with a
// Stamper a signature time stamp.
func Sign(ctx context.Context, pdfBytes []byte, s Signer, opts Options) ([]byte, error) {
	if s.Key == nil || s.Cert == nil {
		return nil, errors.New("pades: a key and its certificate are required")
	}
	if !publicKeysEqual(s.Key.Public(), s.Cert.PublicKey) {
		return nil, errors.New("pades: the key is not the certificate's")
	}
	r, err := open(pdfBytes)
	if err != nil {
		return nil, err
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	reserve := estimate(s, opts.Stamper != nil)
	for attempt := 0; ; attempt++ {
		out, a, b, err := prepare(r, pdfBytes, s, opts, reserve)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		h.Write(out[:a])
		h.Write(out[b:])
		der, err := cms.SignDigest(ctx, h.Sum(nil), s.Key, s.Cert, s.Chain, cms.Options{Stamper: opts.Stamper, NoSigningTime: true})
		if err != nil {
			return nil, fmt.Errorf("pades: %w", err)
		}
		if len(der) > reserve {
			if attempt > 0 {
				return nil, fmt.Errorf("pades: the signature (%d bytes) does not fit its place", len(der))
			}
			reserve = len(der) + 2048
			continue
		}
		hex.Encode(out[a+1:], der)
		return out, nil
	}
}

// estimate is the room reserved for the CMS: the certificates, the
// signature and attributes, and a time-stamp token (the TSA's own
// certificates, which an external TSA may send several of).
func estimate(s Signer, stamped bool) int {
	n := len(s.Cert.Raw) + 2048
	for _, c := range s.Chain {
		n += len(c.Raw)
	}
	if stamped {
		n += 12 << 10
	}
	return n
}

// prepare builds the update with a zero-filled /Contents of reserve
// bytes and the /ByteRange filled in; it returns the file and the
// offsets of /Contents' '<' and just after its '>'.
func prepare(r *pdf.Reader, orig []byte, s Signer, opts Options, reserve int) ([]byte, int, int, error) {
	catRef := r.Root()
	cat, ok := r.Get(catRef).(pdf.Dict)
	if !ok {
		return nil, 0, 0, invalid(keyCorrupt, ErrCorrupt, errors.New("the catalogue is not a dictionary"))
	}
	cat = maps.Clone(cat)
	pages, err := r.Pages(maxPages)
	if err != nil {
		return nil, 0, 0, invalid(keyCorrupt, ErrCorrupt, err)
	}
	size := r.NextNumber()
	if _, ok := r.Trailer()["Size"].(int64); !ok {
		return nil, 0, 0, invalid(keyCorrupt, ErrCorrupt, errors.New("the trailer has no /Size"))
	}
	next := size
	alloc := func() int64 { n := next; next++; return n }
	objs := map[int64][]byte{}
	catChanged := false

	// The AcroForm: the field joins /Fields, /SigFlags 3 (signatures
	// exist, append only).
	var acro pdf.Dict
	acroRef, acroIsRef := cat["AcroForm"].(pdf.Ref)
	switch v := r.Get(cat["AcroForm"]).(type) {
	case pdf.Dict:
		acro = maps.Clone(v)
	default:
		acro = pdf.Dict{}
		acroIsRef = false
	}
	fields, _ := r.Get(acro["Fields"]).([]any)
	fields = append([]any(nil), fields...)
	name := fieldName(r, fields)

	pageIdx := 0
	if opts.Visible != nil {
		pageIdx = len(pages) - 1
		if p := opts.Visible.Page; p > 0 && p <= len(pages) {
			pageIdx = p - 1
		} else if p != 0 {
			return nil, 0, 0, fmt.Errorf("pades: page %d does not exist (the document has %d)", p, len(pages))
		}
	}
	pageRef := pages[pageIdx]
	page, ok := r.Get(pageRef).(pdf.Dict)
	if !ok {
		return nil, 0, 0, invalid(keyCorrupt, ErrCorrupt, errors.New("a page is not a dictionary"))
	}

	sigNum, fieldNum, apNum := alloc(), alloc(), alloc()
	fieldRef := pdf.MakeRef(fieldNum)

	// The widget's appearance.
	rect := []any{int64(0), int64(0), int64(0), int64(0)}
	ap := pdf.EncodeStream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": []any{int64(0), int64(0), int64(0), int64(0)}}, nil)
	if opts.Visible != nil {
		var extra map[int64][]byte
		rect, ap, extra, err = opts.Visible.build(r, page, s, opts, alloc)
		if err != nil {
			return nil, 0, 0, err
		}
		maps.Copy(objs, extra)
	}
	objs[apNum] = ap

	objs[fieldNum] = pdf.Encode(pdf.Dict{
		"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
		"T": pdf.TextString(name), "V": pdf.MakeRef(sigNum), "P": pageRef,
		"Rect": rect, "F": int64(132), // print, locked
		"AP": pdf.Dict{"N": pdf.MakeRef(apNum)},
	})

	fields = append(fields, fieldRef)
	acro["Fields"] = fields
	acro["SigFlags"] = int64(3)
	if acroIsRef {
		objs[acroRef.Num()] = pdf.Encode(acro)
	} else {
		n := alloc()
		objs[n] = pdf.Encode(acro)
		cat["AcroForm"] = pdf.MakeRef(n)
		catChanged = true
	}

	// The page lists the widget among its annotations.
	page = maps.Clone(page)
	if ar, ok := page["Annots"].(pdf.Ref); ok {
		annots, _ := r.Get(ar).([]any)
		objs[ar.Num()] = pdf.Encode(append(append([]any(nil), annots...), fieldRef))
	} else {
		annots, _ := page["Annots"].([]any)
		page["Annots"] = append(append([]any(nil), annots...), fieldRef)
		objs[pageRef.Num()] = pdf.Encode(page)
	}
	if catChanged {
		objs[catRef.Num()] = pdf.Encode(cat)
	}

	// The signature dictionary, written by hand around its placeholders.
	var sig bytes.Buffer
	sig.WriteString("<< /Type /Sig /Filter /" + Filter + " /SubFilter /" + SubFilter)
	sig.WriteString(" /ByteRange " + byteRangeMark)
	sig.WriteString(" /Contents <")
	sig.Write(bytes.Repeat([]byte{'0'}, 2*reserve))
	sig.WriteString(">")
	sig.WriteString(" /M ")
	sig.Write(pdf.Encode(pdf.Literal(pdf.Date(opts.Time))))
	for _, kv := range [][2]string{{"Name", opts.Name}, {"Reason", opts.Reason}, {"Location", opts.Location}, {"ContactInfo", opts.ContactInfo}} {
		if kv[1] != "" {
			sig.WriteString(" /" + kv[0] + " ")
			sig.Write(pdf.Encode(pdf.TextString(kv[1])))
		}
	}
	sig.WriteString(" /Prop_Build << /App << /Name /Madina >> >> >>")
	objs[sigNum] = sig.Bytes()

	out := r.AppendUpdate(objs, next)
	// Find the placeholders in the update (after the original bytes).
	at := bytes.Index(out[len(orig):], []byte("/ByteRange "+byteRangeMark))
	if at < 0 {
		return nil, 0, 0, errors.New("pades: lost the /ByteRange placeholder")
	}
	br := len(orig) + at + len("/ByteRange ")
	a := bytes.Index(out[br:], []byte("/Contents <")) + br + len("/Contents ")
	b := a + 2*reserve + 2
	if out[a] != '<' || out[b-1] != '>' {
		return nil, 0, 0, errors.New("pades: lost the /Contents placeholder")
	}
	nums := "[0 " + strconv.Itoa(a) + " " + strconv.Itoa(b) + " " + strconv.Itoa(len(out)-b) + "]"
	if len(nums) > len(byteRangeMark) {
		return nil, 0, 0, errors.New("pades: the file is too large to sign")
	}
	copy(out[br:], nums+strings.Repeat(" ", len(byteRangeMark)-len(nums)))
	return out, a, b, nil
}

// fieldName returns "Signature<n>", the first n not taken by a field.
func fieldName(r *pdf.Reader, fields []any) string {
	taken := map[string]bool{}
	for _, f := range fields {
		if d, ok := r.Get(f).(pdf.Dict); ok {
			taken[pdf.Text(d["T"])] = true
		}
	}
	for n := 1; ; n++ {
		name := "Signature" + strconv.Itoa(n)
		if !taken[name] {
			return name
		}
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	switch k := a.(type) {
	case *ecdsa.PublicKey:
		return k.Equal(b)
	case *rsa.PublicKey:
		return k.Equal(b)
	}
	return false
}
