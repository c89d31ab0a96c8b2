package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"

	"github.com/digitorus/pkcs7"

	"madina/internal/platform/cms"
	"madina/internal/platform/pdf"
)

// ValidationData is what a verifier needs besides the document to
// validate its signatures offline: the certificates of every chain (the
// signers', the time-stamping unit's, up to and including the roots) and
// the revocation data of each certificate below a root.
type ValidationData struct {
	Certs []*x509.Certificate
	CRLs  [][]byte // DER
	OCSPs [][]byte // DER OCSP responses
}

// AddDSS returns pdfBytes followed by an incremental update that adds
// the validation data to the document's Document Security Store (ISO
// 32000-2 §12.8.4.3, PAdES B-LT), creating it or adding to the one there:
// each certificate, CRL and OCSP response is a stream listed in the DSS
// dictionary's /Certs, /CRLs and /OCSPs. Data already in the store is not
// added twice. It changes no signed byte: every signature stays valid.
func AddDSS(ctx context.Context, pdfBytes []byte, vd ValidationData) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := open(pdfBytes)
	if err != nil {
		return nil, err
	}
	catRef := r.Root()
	cat, ok := r.Get(catRef).(pdf.Dict)
	if !ok {
		return nil, invalid(keyCorrupt, ErrCorrupt, errors.New("the catalogue is not a dictionary"))
	}
	cat = maps.Clone(cat)
	size := r.NextNumber()
	if _, ok := r.Trailer()["Size"].(int64); !ok {
		return nil, invalid(keyCorrupt, ErrCorrupt, errors.New("the trailer has no /Size"))
	}
	next := size
	objs := map[int64][]byte{}

	dss := pdf.Dict{"Type": pdf.Name("DSS")}
	dssRef, dssIsRef := cat["DSS"].(pdf.Ref)
	if old, ok := r.Get(cat["DSS"]).(pdf.Dict); ok {
		dss = maps.Clone(old)
	} else {
		dssIsRef = false
	}
	add := func(key pdf.Name, items [][]byte) error {
		list, _ := r.Get(dss[key]).([]any)
		list = append([]any(nil), list...)
		var have [][]byte
		for _, x := range list {
			if ref, ok := x.(pdf.Ref); ok {
				if _, data, err := r.Stream(ref); err == nil {
					have = append(have, data)
				}
			}
		}
		for _, it := range items {
			dup := false
			for _, h := range have {
				dup = dup || bytes.Equal(h, it)
			}
			if dup {
				continue
			}
			have = append(have, it)
			n := next
			next++
			objs[n] = pdf.EncodeStream(pdf.Dict{}, it)
			list = append(list, pdf.MakeRef(n))
		}
		if len(list) > 0 {
			dss[key] = list
		}
		return nil
	}
	var certs [][]byte
	for _, c := range vd.Certs {
		certs = append(certs, c.Raw)
	}
	for _, kv := range []struct {
		key   pdf.Name
		items [][]byte
	}{{"Certs", certs}, {"CRLs", vd.CRLs}, {"OCSPs", vd.OCSPs}} {
		if err := add(kv.key, kv.items); err != nil {
			return nil, err
		}
	}
	if dssIsRef {
		objs[dssRef.Num()] = pdf.Encode(dss)
	} else {
		n := next
		next++
		objs[n] = pdf.Encode(dss)
		cat["DSS"] = pdf.MakeRef(n)
		objs[catRef.Num()] = pdf.Encode(cat)
	}
	return r.AppendUpdate(objs, next), nil
}

// Certificates returns every certificate the document's signatures carry:
// each CMS's (the signer's and its chain) and each time-stamp token's
// (the TSA's and its chain), once each, in the order found. With the
// roots and the CRLs of their issuers it is what AddDSS needs for B-LT.
func Certificates(pdfBytes []byte) ([]*x509.Certificate, error) {
	r, err := open(pdfBytes)
	if err != nil {
		return nil, err
	}
	cat, _ := r.Get(r.Root()).(pdf.Dict)
	v := &verifier{r: r, data: pdfBytes}
	fields, err := v.sigFields(cat)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, invalid(keyUnsigned, ErrUnsigned, nil)
	}
	var out []*x509.Certificate
	seen := map[string]bool{}
	add := func(certs []*x509.Certificate) {
		for _, c := range certs {
			if !seen[string(c.Raw)] {
				seen[string(c.Raw)] = true
				out = append(out, c)
			}
		}
	}
	for _, f := range fields {
		contents, _ := f.sig["Contents"].(string)
		signed, err := cms.Parse([]byte(contents))
		if err != nil {
			return nil, invalid(keySignature, ErrBroken, fmt.Errorf("field %q: %w", f.name, err))
		}
		add(signed.Certificates)
		if signed.TimeStampToken != nil {
			if p7, err := pkcs7.Parse(signed.TimeStampToken); err == nil {
				add(p7.Certificates)
			}
		}
	}
	return out, nil
}
