package pades_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"os/exec"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pades"
	"madina/internal/platform/pades/padestest"
	"madina/internal/platform/pdf"
	"madina/internal/platform/pki"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/testenv"
	"madina/internal/platform/tsa"
)

type fixture struct {
	ca    *pki.CA
	tsa   *tsa.Authority
	trust *pki.Trust
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	box, _ := secretbox.New(bytes.Repeat([]byte{7}, secretbox.KeySize))
	ca, err := pki.Open(context.Background(), pki.SQLStore{DB: dbtest.Open(t, db.SQLite)}, box, pki.Config{BaseURL: "https://madina.example.ma"})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.TimeStamping(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(cert, key, ca.Chain(), tsa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	trust, err := pki.NewTrust([]*x509.Certificate{ca.Root()})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{ca, a, trust}
}

func (f fixture) signer(t testing.TB, kt pki.KeyType, name string) pades.Signer {
	t.Helper()
	key, err := pki.GenerateKey(kt)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := f.ca.Issue(context.Background(), key.Public(), pki.Identity{
		Name: name, SerialNumber: pki.CINSerial("BE123456"),
		Organisation: "Commune de Casablanca", Title: "Membre de la commission",
	})
	if err != nil {
		t.Fatal(err)
	}
	return pades.Signer{Key: key, Cert: cert, Chain: f.ca.Chain()}
}

// validation is the B-LT data: every certificate from the signers to the
// root, the TSA's, and both CRLs.
func (f fixture) validation(t testing.TB, signers ...pades.Signer) pades.ValidationData {
	t.Helper()
	crl, err := f.ca.CRL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rootCRL, err := f.ca.RootCRL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	vd := pades.ValidationData{CRLs: [][]byte{crl, rootCRL}}
	for _, s := range signers {
		vd.Certs = append(vd.Certs, s.Cert)
	}
	vd.Certs = append(vd.Certs, f.ca.Chain()...)
	vd.Certs = append(vd.Certs, f.tsa.Certificate())
	return vd
}

// Texts drawn on the test document: Arabic and French.
const (
	textAR = "قرار الترخيص رقم 2026/118"
	textFR = "Autorisation n° 2026/118 — Casablanca"
)

// document writes a PDF with the project's writer: Arabic and French
// text on two pages, padded with extra pages of text to about minSize
// bytes.
func document(t testing.TB, minSize int) []byte {
	t.Helper()
	d := pdf.New(pdf.Options{Title: "Décision", Lang: "ar", CreationDate: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)})
	d.AddPage()
	d.TextRight(550, 100, 16, true, textAR)
	d.Text(40, 140, 12, false, textFR)
	d.AddPage()
	d.Text(40, 100, 12, false, "Page 2")
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	for b.Len() < minSize {
		// Grow with pages of varied text (compressed content streams).
		for i := 0; i < 40; i++ {
			d.AddPage()
			for l := 0; l < 50; l++ {
				d.Text(40, float64(40+15*l), 9, false, strings.Repeat(string(rune('A'+(i*l)%26))+"0123456789", 1+(i+l)%9))
			}
		}
		b.Reset()
		if _, err := d.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	return padestest.NeedTool(t, name, pkg)
}

func run(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	return padestest.Run(t, name, args...)
}

func must(t testing.TB, name string, args ...string) string {
	t.Helper()
	return padestest.Must(t, name, args...)
}

func write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	return padestest.Write(t, dir, name, data)
}

func pemCerts(certs ...*x509.Certificate) []byte { return padestest.PEM(certs...) }

func needOpenSSL(t testing.TB) {
	_, err := exec.LookPath("openssl")
	testenv.Need(t, "openssl", err == nil, "openssl is not installed")
}

// nssDB, pdfsig and pdfsigCount are padestest's, shared with the
// capabilities' tests.
func nssDB(t testing.TB, root *x509.Certificate) string { t.Helper(); return padestest.NSSDB(t, root) }

func pdfsig(t testing.TB, nss string, data []byte) string {
	t.Helper()
	return padestest.Pdfsig(t, nss, data)
}

func pdfsigCount(out string) (valid, trusted, total int) { return padestest.Count(out) }

// recorder keeps the tokens the TSA made.
type recorder struct {
	tsa.Stamper
	tokens [][]byte
}

func (r *recorder) Stamp(ctx context.Context, h crypto.Hash, d []byte) ([]byte, error) {
	tok, err := r.Stamper.Stamp(ctx, h, d)
	r.tokens = append(r.tokens, tok)
	return tok, err
}
