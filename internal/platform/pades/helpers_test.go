package pades_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pades"
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
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by the pades tests: install the Debian package %s (scripts/test-deps does)", name, pkg)
	}
	return p
}

func run(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	}
	t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	return "", 0
}

func must(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, code := run(t, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

func write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemCerts(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

func needOpenSSL(t testing.TB) {
	_, err := exec.LookPath("openssl")
	testenv.Need(t, "openssl", err == nil, "openssl is not installed")
}

// nssDB makes an NSS database in a temporary directory with Madina's
// root trusted for signatures, as a user of pdfsig would.
func nssDB(t testing.TB, root *x509.Certificate) string {
	t.Helper()
	needTool(t, "certutil", "libnss3-tools")
	dir := t.TempDir()
	must(t, "certutil", "-N", "-d", "sql:"+dir, "--empty-password")
	rootPath := write(t, t.TempDir(), "root.pem", pemCerts(root))
	must(t, "certutil", "-A", "-d", "sql:"+dir, "-n", "Madina Root", "-t", "CT,C,CT", "-a", "-i", rootPath)
	return dir
}

// pdfsig runs poppler's pdfsig on data and returns its report.
func pdfsig(t testing.TB, nss string, data []byte) string {
	t.Helper()
	needTool(t, "pdfsig", "poppler-utils")
	p := write(t, t.TempDir(), "signed.pdf", data)
	out, _ := run(t, "pdfsig", "-nssdir", "sql:"+nss, p)
	return out
}

// pdfsigCount counts the signatures pdfsig reports valid and trusted.
func pdfsigCount(out string) (valid, trusted, total int) {
	valid = strings.Count(out, "Signature Validation: Signature is Valid.")
	trusted = strings.Count(out, "Certificate Validation: Certificate is Trusted.")
	total = strings.Count(out, "Signature #")
	return
}

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
