package pki_test

import (
	"bytes"
	"context"
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
	"madina/internal/platform/pki"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/testenv"

	"software.sslmate.com/src/go-pkcs12"
)

const baseURL = "https://madina.example.ma"

func box(t testing.TB, fill byte) *secretbox.Box {
	b, err := secretbox.New(bytes.Repeat([]byte{fill}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openCA(t testing.TB, d *db.DB) *pki.CA {
	t.Helper()
	ca, err := pki.Open(context.Background(), pki.SQLStore{DB: d}, box(t, 1), pki.Config{BaseURL: baseURL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func needOpenSSL(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("openssl")
	testenv.Need(t, "openssl", err == nil, "openssl is not installed")
}

func writePEM(t *testing.T, dir, name, typ string, ders ...[]byte) string {
	t.Helper()
	var b bytes.Buffer
	for _, d := range ders {
		pem.Encode(&b, &pem.Block{Type: typ, Bytes: d})
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func openssl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

var architect = pki.Identity{
	Name:         "Salma Bennani سلمى بناني",
	SerialNumber: pki.OrderSerial("CNOA", "12345"),
	Organisation: "Atelier Bennani",
	Title:        "Architecte",
	Email:        "salma@example.ma",
}

// TestCAIssuesCertificatesOpenSSLVerifies: the CA made on first start
// issues ECDSA P-256 and RSA 3072 signing certificates that `openssl
// verify` accepts through the issuing CA up to the root, with the policy,
// usages, identity and published addresses the issue asks for; a revoked
// one is refused with -crl_check and the CRL verifies under the issuing CA;
// CRL numbers grow.
func TestCAIssuesCertificatesOpenSSLVerifies(t *testing.T) {
	needOpenSSL(t)
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ca := openCA(t, d)
		dir := t.TempDir()
		root := writePEM(t, dir, "root.pem", "CERTIFICATE", ca.Root().Raw)
		issuing := writePEM(t, dir, "issuing.pem", "CERTIFICATE", ca.Issuing().Raw)
		chain := writePEM(t, dir, "chain.pem", "CERTIFICATE", ca.Issuing().Raw, ca.Root().Raw)

		var certs []*x509.Certificate
		for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.RSA3072} {
			key, err := pki.GenerateKey(kt)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := ca.Issue(ctx, key.Public(), architect)
			if err != nil {
				t.Fatal(err)
			}
			certs = append(certs, cert)
			p := writePEM(t, dir, string(kt)+".pem", "CERTIFICATE", cert.Raw)
			if out, err := openssl(t, "verify", "-CAfile", root, "-untrusted", issuing, p); err != nil || !strings.Contains(out, ": OK") {
				t.Fatalf("openssl verify %s: %v\n%s", kt, err, out)
			}
			text, _ := openssl(t, "x509", "-in", p, "-noout", "-text")
			for _, want := range []string{
				"Digital Signature, Non Repudiation",
				"E-mail Protection", "1.3.6.1.5.5.7.3.36",
				"Policy: " + pki.PlaceholderPolicyOID,
				"URI:" + baseURL + "/pki/crl",
				"CA Issuers - URI:" + baseURL + "/pki/issuing.crt",
				"CA:FALSE",
				"serialNumber = CNOA-12345", "O = Atelier Bennani", "title = Architecte", "C = MA",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("%s certificate lacks %q:\n%s", kt, want, text)
				}
			}
			if got := cert.NotAfter.Sub(cert.NotBefore); got < 2*365*24*time.Hour || got > 2*366*24*time.Hour {
				t.Errorf("%s validity %v, want 2 years", kt, got)
			}
			if cert.Subject.CommonName != architect.Name {
				t.Errorf("common name %q", cert.Subject.CommonName)
			}
		}

		crl1, err := ca.CRL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ca.Revoke(ctx, pki.SerialHex(certs[1].SerialNumber), pki.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		crl2, err := ca.CRL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l1, _ := x509.ParseRevocationList(crl1)
		l2, err := x509.ParseRevocationList(crl2)
		if err != nil {
			t.Fatal(err)
		}
		if l2.Number.Cmp(l1.Number) <= 0 {
			t.Fatalf("CRL number %v after %v: numbers must grow", l2.Number, l1.Number)
		}
		if len(l2.RevokedCertificateEntries) != 1 || l2.RevokedCertificateEntries[0].ReasonCode != pki.ReasonKeyCompromise {
			t.Fatalf("CRL entries %+v", l2.RevokedCertificateEntries)
		}
		again, _ := ca.CRL(ctx)
		if !bytes.Equal(again, crl2) {
			t.Fatal("a fresh CRL is issued again on every request")
		}
		crlPEM := writePEM(t, dir, "crl.pem", "X509 CRL", crl2)
		if out, err := openssl(t, "crl", "-in", crlPEM, "-CAfile", chain, "-noout"); err != nil || !strings.Contains(out, "verify OK") {
			t.Fatalf("openssl crl -verify: %v\n%s", err, out)
		}
		// The CRL must not verify under another key: the check can fail.
		if out, err := openssl(t, "crl", "-in", crlPEM, "-CAfile", root, "-noout"); err == nil && strings.Contains(out, "verify OK") {
			t.Fatalf("the CRL verifies under the root, which did not sign it:\n%s", out)
		}
		good := filepath.Join(dir, string(pki.ECDSAP256)+".pem")
		revoked := filepath.Join(dir, string(pki.RSA3072)+".pem")
		if out, err := openssl(t, "verify", "-crl_check", "-CRLfile", crlPEM, "-CAfile", root, "-untrusted", issuing, good); err != nil {
			t.Fatalf("the unrevoked certificate fails -crl_check: %v\n%s", err, out)
		}
		out, err := openssl(t, "verify", "-crl_check", "-CRLfile", crlPEM, "-CAfile", root, "-untrusted", issuing, revoked)
		if err == nil || !strings.Contains(out, "certificate revoked") {
			t.Fatalf("openssl accepts the revoked certificate: %v\n%s", err, out)
		}
		// The whole chain, with the root's CRL.
		rootCRL, err := ca.RootCRL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		crls := writePEM(t, dir, "crls.pem", "X509 CRL", crl2, rootCRL)
		if out, err := openssl(t, "verify", "-crl_check_all", "-CRLfile", crls, "-CAfile", root, "-untrusted", issuing, good); err != nil {
			t.Fatalf("-crl_check_all: %v\n%s", err, out)
		}

		st, err := ca.Status(ctx, pki.SerialHex(certs[1].SerialNumber))
		if err != nil || st.RevokedAt == nil || *st.Reason != pki.ReasonKeyCompromise {
			t.Fatalf("status %+v %v", st, err)
		}
		if err := ca.Revoke(ctx, "00ff", pki.ReasonUnspecified); !errors.Is(err, pki.ErrNotFound) {
			t.Fatalf("revoking an unknown serial: %v", err)
		}
		if err := ca.Revoke(ctx, pki.SerialHex(certs[0].SerialNumber), 6); !errors.Is(err, pki.ErrReason) {
			t.Fatalf("certificate hold accepted: %v", err)
		}
	})
}

// TestCAIsMadeOnceAndSealed: a second start loads the same root, issuing
// CA and time-stamping unit; the private keys are stored sealed (no PKCS#8
// in the row) and do not open with another server key.
func TestCAIsMadeOnceAndSealed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a := openCA(t, d)
		tsa1, _, err := a.TimeStamping(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b := openCA(t, d)
		tsa2, _, err := b.TimeStamping(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Root().Equal(b.Root()) || !a.Issuing().Equal(b.Issuing()) || !tsa1.Equal(tsa2) {
			t.Fatal("a second start made a new CA")
		}
		var sealed string
		if err := d.QueryRowContext(ctx, `SELECT sealed_key FROM pki_authorities WHERE name = 'issuing'`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1.") {
			t.Fatalf("stored key is not sealed: %.20s", sealed)
		}
		_, err = pki.Open(ctx, pki.SQLStore{DB: d}, box(t, 2), pki.Config{BaseURL: baseURL})
		if err == nil || !strings.Contains(err.Error(), "does not open") {
			t.Fatalf("the CA opened with another server key: %v", err)
		}
		if _, err := pki.Open(ctx, pki.SQLStore{DB: d}, box(t, 1), pki.Config{BaseURL: "madina.example"}); err == nil {
			t.Fatal("a relative base URL was accepted")
		}
	})
}

// TestTimeStampingCertificate: the TSA certificate carries the one
// critical extended key usage timeStamping, which OpenSSL checks with
// -purpose timestampsign.
func TestTimeStampingCertificate(t *testing.T) {
	needOpenSSL(t)
	ca := openCA(t, dbtest.Open(t, db.SQLite))
	cert, _, err := ca.TimeStamping(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := writePEM(t, dir, "tsa.pem", "CERTIFICATE", cert.Raw)
	root := writePEM(t, dir, "root.pem", "CERTIFICATE", ca.Root().Raw)
	issuing := writePEM(t, dir, "issuing.pem", "CERTIFICATE", ca.Issuing().Raw)
	if out, err := openssl(t, "verify", "-purpose", "timestampsign", "-CAfile", root, "-untrusted", issuing, p); err != nil {
		t.Fatalf("openssl verify -purpose timestampsign: %v\n%s", err, out)
	}
	text, _ := openssl(t, "x509", "-in", p, "-noout", "-text")
	if !strings.Contains(text, "X509v3 Extended Key Usage: critical\n                Time Stamping\n") {
		t.Fatalf("extended key usage is not critical timeStamping alone:\n%s", text)
	}
	// A signing certificate is no time-stamping certificate.
	key, _ := pki.GenerateKey(pki.ECDSAP256)
	signer, err := ca.Issue(context.Background(), key.Public(), architect)
	if err != nil {
		t.Fatal(err)
	}
	sp := writePEM(t, dir, "signer.pem", "CERTIFICATE", signer.Raw)
	if out, err := openssl(t, "verify", "-purpose", "timestampsign", "-CAfile", root, "-untrusted", issuing, sp); err == nil {
		t.Fatalf("a signing certificate passes as a TSA:\n%s", out)
	}
}

// TestImportPKCS12FromOpenSSL: a .p12 that `openssl pkcs12 -export` wrote
// is read back with its chain; a wrong password, a key of another
// certificate, and an untrusted root are refused.
func TestImportPKCS12FromOpenSSL(t *testing.T) {
	needOpenSSL(t)
	ctx := context.Background()
	ca := openCA(t, dbtest.Open(t, db.SQLite))
	dir := t.TempDir()
	key, _ := pki.GenerateKey(pki.RSA3072)
	cert, err := ca.Issue(ctx, key.Public(), architect)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := pki.GenerateKey(pki.ECDSAP256)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	kp := writePEM(t, dir, "key.pem", "PRIVATE KEY", keyDER)
	cp := writePEM(t, dir, "cert.pem", "CERTIFICATE", cert.Raw)
	chain := writePEM(t, dir, "chain.pem", "CERTIFICATE", ca.Issuing().Raw, ca.Root().Raw)
	p12 := filepath.Join(dir, "signer.p12")
	if out, err := openssl(t, "pkcs12", "-export", "-inkey", kp, "-in", cp, "-certfile", chain, "-passout", "pass:s3cret", "-out", p12); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(p12)
	imp, err := pki.ImportPKCS12(data, "s3cret", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !imp.Cert.Equal(cert) || len(imp.Chain) != 2 {
		t.Fatalf("imported %v with %d chain certificates", imp.Cert.Subject, len(imp.Chain))
	}
	if _, err := pki.ImportPKCS12(data, "wrong", time.Now()); !errors.Is(err, pki.ErrPKCS12) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := pki.ImportPKCS12(data, "s3cret", cert.NotAfter.Add(time.Hour)); !errors.Is(err, pki.ErrExpired) {
		t.Fatalf("expired certificate: %v", err)
	}
	// openssl refuses to write a key with another's certificate; the
	// module writes it.
	bad, err := pkcs12.Modern.Encode(other, cert, nil, "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.ImportPKCS12(bad, "x", time.Now()); !errors.Is(err, pki.ErrKeyMismatch) {
		t.Fatalf("a key of another certificate: %v", err)
	}

	trust, err := pki.NewTrust([]*x509.Certificate{ca.Root()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trust.Verify(imp.Cert, imp.Chain, time.Now()); err != nil {
		t.Fatal(err)
	}
	otherCA := openCA(t, dbtest.Open(t, db.SQLite))
	bundle, _ := os.ReadFile(writePEM(t, dir, "others.pem", "CERTIFICATE", otherCA.Root().Raw))
	strangers, err := pki.NewTrust(nil, bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strangers.Verify(imp.Cert, imp.Chain, time.Now()); err == nil {
		t.Fatal("a certificate verified under roots that did not issue it")
	}
	if _, err := pki.NewTrust(nil, []byte("not a bundle")); err == nil {
		t.Fatal("an empty trusted-roots bundle was accepted")
	}
}

// TestNodesStartingTogetherShareOneCA: several nodes opening the CA on an
// empty database at once end with one root and one issuing CA; revocations
// on different nodes at once give CRLs with distinct, growing numbers, the
// last listing every revocation.
func TestNodesStartingTogetherShareOneCA(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const nodes = 4
		cas := make([]*pki.CA, nodes)
		errs := make(chan error, nodes)
		for i := range cas {
			go func() {
				ca, err := pki.Open(ctx, pki.SQLStore{DB: d}, box(t, 1), pki.Config{BaseURL: baseURL})
				cas[i] = ca
				errs <- err
			}()
		}
		for range nodes {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for _, ca := range cas[1:] {
			if !ca.Root().Equal(cas[0].Root()) || !ca.Issuing().Equal(cas[0].Issuing()) {
				t.Fatal("nodes starting together made different CAs")
			}
		}
		serials := make([]string, nodes)
		for i, ca := range cas {
			key, _ := pki.GenerateKey(pki.ECDSAP256)
			cert, err := ca.Issue(ctx, key.Public(), architect)
			if err != nil {
				t.Fatal(err)
			}
			serials[i] = pki.SerialHex(cert.SerialNumber)
		}
		for i, ca := range cas {
			go func() { errs <- ca.Revoke(ctx, serials[i], pki.ReasonSuperseded) }()
		}
		for range nodes {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var numbers []int64
		rows, err := d.QueryContext(ctx, `SELECT number FROM pki_crls WHERE issuer = 'issuing' ORDER BY number`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n int64
			rows.Scan(&n)
			numbers = append(numbers, n)
		}
		rows.Close()
		if len(numbers) != nodes {
			t.Fatalf("CRL numbers %v after %d revocations", numbers, nodes)
		}
		last, err := cas[0].CRL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l, err := x509.ParseRevocationList(last)
		if err != nil {
			t.Fatal(err)
		}
		if l.Number.Int64() != numbers[len(numbers)-1] || len(l.RevokedCertificateEntries) != nodes {
			t.Fatalf("the newest CRL (number %v) lists %d of %d revocations", l.Number, len(l.RevokedCertificateEntries), nodes)
		}
	})
}
