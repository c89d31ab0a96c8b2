package cms_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"testing"

	"madina/internal/platform/cms"
	"madina/internal/platform/pki"
	"madina/internal/platform/testenv"
)

// TestParseChecksOpenSSLAndOwnSignatures: Parse and Check accept a
// detached signature `openssl cms -sign` made (as another signer's tool
// would), for ECDSA P-256 and RSA 3072, and refuse other data and a
// changed signature value; our own signatures carry signing-time unless
// NoSigningTime (PAdES) leaves it out, and check alike.
func TestParseChecksOpenSSLAndOwnSignatures(t *testing.T) {
	_, err := exec.LookPath("openssl")
	testenv.Need(t, "openssl", err == nil, "openssl is not installed")
	f := newFixture(t)
	dir := t.TempDir()
	content := make([]byte, 10_000)
	rand.Read(content)
	data := write(t, dir, "data.bin", content)
	sum := sha256.Sum256(content)
	other := sha256.Sum256([]byte("other"))
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.RSA3072} {
		t.Run(string(kt), func(t *testing.T) {
			key, cert := f.signer(t, kt)
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			keyPath := write(t, dir, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
			certPath := write(t, dir, "cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
			sigPath := dir + "/openssl.p7s"
			if out, err := openssl("cms", "-sign", "-binary", "-in", data, "-signer", certPath, "-inkey", keyPath, "-md", "sha256", "-outform", "DER", "-out", sigPath); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, out)
			}
			fromOpenSSL, _ := os.ReadFile(sigPath)

			own, err := cms.Sign(context.Background(), content, key, cert, f.ca.Chain(), cms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			pades, err := cms.SignDigest(context.Background(), sum[:], key, cert, f.ca.Chain(), cms.Options{NoSigningTime: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name        string
				der         []byte
				signingTime bool
			}{{"openssl", fromOpenSSL, true}, {"own", own, true}, {"pades", pades, false}} {
				s, err := cms.Parse(c.der)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !s.Signer.Equal(cert) || s.SigningTime.IsZero() == c.signingTime {
					t.Errorf("%s: signer %v, signing-time %v", c.name, s.Signer.Subject, s.SigningTime)
				}
				if err := s.Check(sum[:]); err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
				if err := s.Check(other[:]); !errors.Is(err, cms.ErrDigest) {
					t.Errorf("%s, other data: %v", c.name, err)
				}
				s.SignatureValue = bytes.Clone(s.SignatureValue)
				s.SignatureValue[len(s.SignatureValue)/2] ^= 1
				if err := s.Check(sum[:]); !errors.Is(err, cms.ErrSignature) {
					t.Errorf("%s, changed signature value: %v", c.name, err)
				}
			}
			if _, err := cms.Parse([]byte("garbage")); !errors.Is(err, cms.ErrMalformed) {
				t.Errorf("garbage: %v", err)
			}
		})
	}
}
