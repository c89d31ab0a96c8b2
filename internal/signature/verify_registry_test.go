package signature_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/signature"
)

// A receipt the commune's seal signed is recognised as issued by Madina,
// by its exact bytes, and its QR code's address (the hash before signing)
// names it.
func TestVerifyIssuedDocument(t *testing.T) {
	a := apptest.Accounts(t, db.SQLite)
	base := apptest.Serve(t, a)
	ctx := context.Background()
	src := apptest.OnePagePDF()
	if _, err := a.Signature.Seal(ctx, authz.Actor{System: true}, signatureDocument(src)); err != nil {
		t.Fatal(err)
	}
	pdf, err := a.Signature.IssuedPDF(ctx, "receipt", 42)
	if err != nil {
		t.Fatal(err)
	}
	fr := apptest.NewBrowser(t, base)
	fr.SetLang(i18n.FR)
	code, page := verifyUpload(fr, pdf)
	page = html.UnescapeString(page)
	if code != 200 || !strings.Contains(page, "Délivré par Madina : Récépissé PC-2026-42") || !strings.Contains(page, "Les signatures sont valides") {
		t.Errorf("issued: %d\n%s", code, apptest.Grep(page, "Madina"))
	}
	// The API says the same, checked against the API document.
	var v signature.Verification
	code, body := apptest.CheckedAPI(t, a, base, "").Call(http.MethodPost, signature.PathVerifyAPI, "application/pdf", bytes.NewReader(pdf), &v)
	if code != 200 || v.Verdict != signature.VerdictValid || v.Issued == nil || v.Issued.Reference != "PC-2026-42" || v.Issued.Kind != "receipt" || len(v.Issued.Signers) != 1 {
		t.Errorf("API: %d %s", code, body)
	}
	sum := sha256.Sum256(src)
	code, page, _ = fr.Get("/verify?h=" + hex.EncodeToString(sum[:]))
	page = html.UnescapeString(page)
	if code != 200 || !strings.Contains(page, "Madina a délivré ce document : Récépissé PC-2026-42") {
		t.Errorf("?h=: %d\n%s", code, apptest.Grep(page, "banner"))
	}
}

func signatureDocument(pdf []byte) signature.Document {
	return signature.Document{Kind: "receipt", Reference: "PC-2026-42", FileID: 42, PDF: pdf, Reason: "test"}
}
