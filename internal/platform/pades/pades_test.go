package pades_test

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/pades"
	"madina/internal/platform/pki"
)

func TestSmoke(t *testing.T) {
	f := newFixture(t)
	s := f.signer(t, pki.ECDSAP256, "Karim El Idrissi")
	doc := document(t, 0)
	out, err := pades.Sign(context.Background(), doc, s, pades.Options{Reason: "Décision", Location: "Casablanca", Name: "Karim", Time: time.Now(), Stamper: f.tsa})
	if err != nil {
		t.Fatal(err)
	}
	write(t, "/tmp", "pades-smoke.pdf", out)
	rep, err := pades.Verify(out, f.trust, pades.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Signatures {
		t.Logf("%+v", s)
	}
	nss := nssDB(t, f.ca.Root())
	t.Log(pdfsig(t, nss, out))
	t.Log(must(t, "qpdf", "--check", "/tmp/pades-smoke.pdf"))
}
