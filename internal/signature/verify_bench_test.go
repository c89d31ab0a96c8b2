package signature_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/pades"
	"madina/internal/platform/pki"
	"madina/internal/signature"
)

// pdfWithStream is a one-page PDF carrying an uncompressed stream of n
// bytes (a scanned plan's weight), written by hand.
func pdfWithStream(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", n+1, strings.Repeat("%", n))}
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// BenchmarkVerify compares a whole verification through the server's
// handler (POST /api/v1/verify: middleware, rate limit, reading the body,
// CRLs, pades.Verify, the report as JSON) with pades.Verify alone, for a
// one-page document and one of 20 MB. docs/arch/verify-perf.md.
func BenchmarkVerify(b *testing.B) {
	a := apptest.Accounts(b, db.SQLite, apptest.Config(func(c *config.Config) { c.TrustProxy = true }))
	ctx := context.Background()
	actor := authz.Actor{Person: apptest.PersonID(b, a, architect), EmailVerified: true,
		Profession: authz.Architect, ProfessionalVerified: true, Now: time.Now()}
	if _, err := a.Signature.Enrol(ctx, actor, pin, pin); err != nil {
		b.Fatal(err)
	}
	ca := a.Signature.CA()
	crl, _ := ca.CRL(ctx)
	rootCRL, _ := ca.RootCRL(ctx)
	for _, size := range []struct {
		name string
		pdf  []byte
	}{{"1page", apptest.OnePagePDF()}, {"20MB", pdfWithStream(20 << 20)}} {
		sg, err := a.Signature.Unlock(ctx, actor, pin, signature.Act{ObjectType: "pdf", Purpose: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		signed, err := pades.Sign(ctx, size.pdf, pades.Signer{Key: sg, Cert: sg.Cert, Chain: sg.Chain}, pades.Options{Stamper: a.Signature.TSA()})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(size.name+"/pades.Verify", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				trust, _ := pki.NewTrust([]*x509.Certificate{ca.Root()})
				rep, err := pades.Verify(signed, trust, pades.VerifyOptions{CRLs: [][]byte{crl, rootCRL}, Intermediates: []*x509.Certificate{ca.Issuing()}})
				if err != nil || !rep.Valid() {
					b.Fatalf("%v %+v", err, rep)
				}
			}
		})
		b.Run(size.name+"/handler", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			i := 0
			for b.Loop() {
				i++
				// Each request from another address: the rate limit is not
				// what is measured.
				ip := "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
				r := apptest.Do(b, a.Handler, "POST", signature.PathVerifyAPI, bytes.NewReader(signed), "Content-Type", "application/pdf", "X-Forwarded-For", ip)
				if r.Code != 200 || !strings.Contains(r.Body, `"verdict":"valid"`) {
					b.Fatalf("%d %s", r.Code, r.Body)
				}
			}
		})
	}
}
