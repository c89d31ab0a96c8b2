package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"maps"

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
	size, ok := r.Trailer()["Size"].(int64)
	if !ok || size <= 0 {
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
