package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/pades"
	"madina/internal/signature"
)

// `madina verify` exits 0 only for a document whose every signature is
// valid and trusted, and with a code of its own for each other answer.
func TestVerifyCommandLine(t *testing.T) {
	a := apptest.Accounts(t, db.SQLite)
	ctx := context.Background()
	actor := authz.Actor{Person: apptest.PersonID(t, a, "omar.berrada@example.ma"), EmailVerified: true,
		Profession: authz.Architect, ProfessionalVerified: true, Now: time.Now()}
	if _, err := a.Signature.Enrol(ctx, actor, "482915", "482915"); err != nil {
		t.Fatal(err)
	}
	sg, err := a.Signature.Unlock(ctx, actor, "482915", signature.Act{ObjectType: "pdf", Purpose: "test"})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := pades.Sign(ctx, apptest.OnePagePDF(), pades.Signer{Key: sg, Cert: sg.Cert, Chain: sg.Chain}, pades.Options{Stamper: a.Signature.TSA()})
	if err != nil {
		t.Fatal(err)
	}
	// The CRLs the server publishes (and stores).
	if _, err := a.Signature.CA().CRL(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Signature.CA().RootCRL(ctx); err != nil {
		t.Fatal(err)
	}
	crl, _ := a.Signature.CA().CRL(ctx)
	rootCRL, _ := a.Signature.CA().RootCRL(ctx)
	// B-LT: the document carries its chain and CRLs.
	withDSS, err := pades.AddDSS(ctx, signed, pades.ValidationData{Certs: a.Signature.CA().Chain(), CRLs: [][]byte{crl, rootCRL}})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	madinaRoot := write("madina-root.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Signature.CA().Root().Raw}))
	otherRoot := write("other-root.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: foreignRoot(t)}))
	files := map[string]string{
		"signed":   write("signed.pdf", signed),
		"dss":      write("dss.pdf", withDSS),
		"tampered": write("tampered.pdf", bytes.Replace(signed, []byte("595 842"), []byte("596 842"), 1)),
		"unsigned": write("unsigned.pdf", apptest.OnePagePDF()),
		"garbage":  write("garbage.pdf", []byte("not a pdf at all")),
	}
	empty := t.TempDir() // a data directory with no database
	db := []string{"--database-url", a.Cfg.DatabaseURL}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"valid, Madina's database", append(append([]string{}, db...), "--lang", "fr", files["signed"]), app.VerifyOK, "Les signatures sont valides"},
		{"valid, in Arabic", append(append([]string{}, db...), "--lang", "ar", files["signed"]), app.VerifyOK, "التوقيعات صحيحة"},
		{"tampered", append(append([]string{}, db...), "--lang", "fr", files["tampered"]), app.VerifyInvalid, "Les signatures ne sont pas valides"},
		{"unsigned", append(append([]string{}, db...), "--lang", "en", files["unsigned"]), app.VerifyUnsigned, "carries no electronic signature"},
		{"garbage", append(append([]string{}, db...), "--lang", "en", files["garbage"]), app.VerifyUnreadable, "damaged or incomplete"},
		{"missing file", append(append([]string{}, db...), filepath.Join(dir, "none.pdf")), app.VerifyUnreadable, ""},
		{"untrusted root", []string{"--data-dir", empty, "--root", otherRoot, "--lang", "fr", files["signed"]}, app.VerifyUntrusted, "Non délivré par une autorité"},
		{"Madina's root, no CRL", []string{"--data-dir", empty, "--root", madinaRoot, "--lang", "fr", files["signed"]}, app.VerifyUntrusted, "Sa révocation n'a pas pu être vérifiée"},
		{"Madina's root, B-LT document", []string{"--data-dir", empty, "--root", madinaRoot, "--lang", "fr", files["dss"]}, app.VerifyOK, "Valide et non révoqué"},
		{"no root at all", []string{"--data-dir", empty, files["signed"]}, app.VerifyUsage, ""},
	} {
		var out, errb bytes.Buffer
		code := app.MainWith(ctx, append([]string{"verify"}, c.args...), &out, &errb, app.Options{Hasher: apptest.Hasher})
		if code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%s: exit %d (want %d)\n%s\n%s", c.name, code, c.code, out.String(), errb.String())
		}
		if c.name == "valid, Madina's database" && (!strings.Contains(out.String(), "CNOA-") || !strings.Contains(out.String(), "Omar")) {
			t.Errorf("the signer is not named:\n%s", out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(empty, "madina.db")); err == nil {
		t.Error("verify created a database in an empty data directory")
	}
}

// foreignRoot is a CA certificate nobody at Madina knows.
func foreignRoot(t *testing.T) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Other Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour * 24 * 365),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
