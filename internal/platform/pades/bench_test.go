package pades_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"maps"
	"testing"
	"time"

	"madina/internal/platform/pades"
	"madina/internal/platform/pdf"
	"madina/internal/platform/pki"
)

// The performance targets (docs/arch/pades-perf.md has the
// figures): signing a 2 MB PDF with one signature and a time stamp costs
// at most 3× the private-key operation plus hashing the file; verifying
// it likewise against a public-key operation plus hashing; a document
// with 10 successive signatures verifies in at most 3× ten single
// verifications. Run:
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/platform/pades/

// bigDocument is a 2 MB PDF: the test document with a 2 MB grey image
// (incompressible noise) in the first page's resources, as a scanned plan
// would be.
func bigDocument(b testing.TB) []byte {
	doc := document(b, 0)
	r, err := pdf.NewReader(doc)
	if err != nil {
		b.Fatal(err)
	}
	pages, _ := r.Pages(1)
	page := maps.Clone(r.Get(pages[0]).(pdf.Dict))
	size := r.Trailer()["Size"].(int64)
	res := maps.Clone(r.Get(page["Resources"]).(pdf.Dict))
	res["XObject"] = pdf.Dict{"Im1": pdf.MakeRef(size)}
	page["Resources"] = res
	const side = 1448 // 1448² ≈ 2 MiB
	pixels := make([]byte, side*side)
	rand.Read(pixels)
	out := r.AppendUpdate(map[int64][]byte{
		pages[0].Num(): pdf.Encode(page),
		size: pdf.EncodeStream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
			"Width": int64(side), "Height": int64(side), "ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": int64(8)}, pixels),
	}, size+1)
	if len(out) < 2<<20 {
		b.Fatalf("the document has %d bytes", len(out))
	}
	return out
}

type benchEnv struct {
	f      fixture
	doc    []byte
	signer map[pki.KeyType]pades.Signer
	crls   [][]byte
}

func newBenchEnv(b *testing.B) benchEnv {
	f := newFixture(b)
	e := benchEnv{f: f, doc: bigDocument(b), signer: map[pki.KeyType]pades.Signer{}, crls: crls(b, f)}
	for _, kt := range keyTypes {
		e.signer[kt] = f.signer(b, kt, "Karim El Idrissi")
	}
	return e
}

// BenchmarkSign signs the 2 MB document once, with a time stamp from the
// built-in TSA (its own ECDSA P-256 signature included).
func BenchmarkSign(b *testing.B) {
	e := newBenchEnv(b)
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			b.SetBytes(int64(len(e.doc)))
			for b.Loop() {
				if _, err := pades.Sign(context.Background(), e.doc, e.signer[kt], pades.Options{Stamper: e.f.tsa}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawSign is the floor: SHA-256 of the 2 MB file and one
// private-key operation.
func BenchmarkRawSign(b *testing.B) {
	e := newBenchEnv(b)
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			b.SetBytes(int64(len(e.doc)))
			key := e.signer[kt].Key
			for b.Loop() {
				sum := sha256.Sum256(e.doc)
				if _, err := key.Sign(rand.Reader, sum[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify verifies the signed 2 MB document: the digest, the
// signature, the chain at the time stamp's time, the time stamp and its
// chain, the CRLs.
func BenchmarkVerify(b *testing.B) {
	e := newBenchEnv(b)
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			signed, err := pades.Sign(context.Background(), e.doc, e.signer[kt], pades.Options{Stamper: e.f.tsa})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				rep, err := pades.Verify(signed, e.f.trust, pades.VerifyOptions{CRLs: e.crls})
				if err != nil || !rep.Valid() {
					b.Fatal(err, rep)
				}
			}
		})
	}
}

// BenchmarkRawVerify is the floor: SHA-256 of the file and one
// public-key operation.
func BenchmarkRawVerify(b *testing.B) {
	e := newBenchEnv(b)
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			key := e.signer[kt].Key
			sum := sha256.Sum256(e.doc)
			sig, _ := key.Sign(rand.Reader, sum[:], crypto.SHA256)
			b.SetBytes(int64(len(e.doc)))
			for b.Loop() {
				sum := sha256.Sum256(e.doc)
				switch k := key.Public().(type) {
				case *ecdsa.PublicKey:
					if !ecdsa.VerifyASN1(k, sum[:], sig) {
						b.Fatal("bad")
					}
				case *rsa.PublicKey:
					if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) != nil {
						b.Fatal("bad")
					}
				}
			}
		})
	}
}

// BenchmarkVerifyTen verifies the 2 MB document signed ten times, one
// signer after another.
func BenchmarkVerifyTen(b *testing.B) {
	e := newBenchEnv(b)
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			signed := e.doc
			for range 10 {
				var err error
				if signed, err = pades.Sign(context.Background(), signed, e.signer[kt], pades.Options{Stamper: e.f.tsa}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				rep, err := pades.Verify(signed, e.f.trust, pades.VerifyOptions{CRLs: e.crls})
				if err != nil || !rep.Valid() || len(rep.Signatures) != 10 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTargets measures the three ratios in one run, each
// operation and its floor alternating so that load from other processes
// hits both alike, and the fastest of many rounds of each kept (the
// least disturbed): sign/raw-sign, verify/raw-verify and
// verify-ten/(10 × verify). Each must stay ≤ 3.
func BenchmarkTargets(b *testing.B) {
	e := newBenchEnv(b)
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			s := e.signer[kt]
			opts := pades.Options{Stamper: e.f.tsa}
			signed, err := pades.Sign(context.Background(), e.doc, s, opts)
			if err != nil {
				b.Fatal(err)
			}
			ten := e.doc
			for range 10 {
				if ten, err = pades.Sign(context.Background(), ten, s, opts); err != nil {
					b.Fatal(err)
				}
			}
			sum := sha256.Sum256(e.doc)
			rawSig, _ := s.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
			ops := []func(){
				func() { pades.Sign(context.Background(), e.doc, s, opts) },
				func() { h := sha256.Sum256(e.doc); s.Key.Sign(rand.Reader, h[:], crypto.SHA256) },
				func() { pades.Verify(signed, e.f.trust, pades.VerifyOptions{CRLs: e.crls}) },
				func() {
					h := sha256.Sum256(signed)
					switch k := s.Key.Public().(type) {
					case *ecdsa.PublicKey:
						ecdsa.VerifyASN1(k, h[:], rawSig)
					case *rsa.PublicKey:
						rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], rawSig)
					}
				},
				func() { pades.Verify(ten, e.f.trust, pades.VerifyOptions{CRLs: e.crls}) },
			}
			best := make([]time.Duration, len(ops))
			for b.Loop() {
				for i, op := range ops {
					start := time.Now()
					op()
					if d := time.Since(start); best[i] == 0 || d < best[i] {
						best[i] = d
					}
				}
			}
			ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
			b.ReportMetric(ms(best[0]), "sign-ms")
			b.ReportMetric(ms(best[1]), "rawsign-ms")
			b.ReportMetric(ms(best[2]), "verify-ms")
			b.ReportMetric(ms(best[3]), "rawverify-ms")
			b.ReportMetric(ms(best[4]), "verify10-ms")
			b.ReportMetric(float64(best[0])/float64(best[1]), "sign/raw")
			b.ReportMetric(float64(best[2])/float64(best[3]), "verify/raw")
			b.ReportMetric(float64(best[4])/float64(10*best[2]), "verify10/10verify")
			b.ReportMetric(0, "ns/op")
		})
	}
}
