package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/apptest"
	"madina/internal/platform/pades"
)

// The result pages of /verify (a POST, so not in TestEveryPage): a
// signed document's report (a provider's signer Madina does not trust:
// the banner, a tag, the summary lists) and a refusal (unsigned: the
// error summary), each at 390 and 1366 px in Arabic and French, pass the
// same checks as every page: no sideways scroll, targets, axe-core.
func TestVerifyResultPages(t *testing.T) {
	needAxe(t)
	srv := startServer(t, "--data-dir", t.TempDir())
	b := startBrowser(t)
	dir := t.TempDir()

	now := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Karim Alaoui-Bennani Architecte Principal", Organization: []string{"Cabinet d'architecture Alaoui"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	signed, err := pades.Sign(context.Background(), apptest.OnePagePDF(), pades.Signer{Key: key, Cert: cert}, pades.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name   string
		data   []byte
		status int64
	}{{"signed.pdf", signed, 200}, {"unsigned.pdf", apptest.OnePagePDF(), 400}}
	for i := range files {
		if err := os.WriteFile(filepath.Join(dir, files[i].name), files[i].data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range everySize {
		for _, lang := range []string{"ar", "fr"} {
			for _, f := range files {
				t.Run(fmt.Sprintf("%d %s %s", v.width, lang, f.name), func(t *testing.T) {
					tb := b.newTab(t, srv, v)
					tb.setLanguage(lang)
					tb.open("/verify", 200)
					tb.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{filepath.Join(dir, f.name)}))
					if status, problem := post(tb, `form[action="/verify"] button[type=submit]`); status != f.status {
						t.Fatalf("answered %d, want %d: %s", status, f.status, problem)
					}
					checkLanguage(tb, lang)
					if fs := pageFindings(tb); len(fs) > 0 {
						t.Errorf("findings: %+v", fs)
					}
				})
			}
		}
	}
}
