package signature_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	mathrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades"
	"madina/internal/signature"
)

// signedByArchitect enrols the demo's verified architect, unlocks the key
// with the PIN and signs a one-page PDF (PAdES B-T, Madina's TSA).
func signedByArchitect(t testing.TB, a *app.App) []byte {
	t.Helper()
	ctx := context.Background()
	actor := authz.Actor{Person: apptest.PersonID(t, a, architect), EmailVerified: true,
		Profession: authz.Architect, ProfessionalVerified: true, Now: time.Now()}
	if _, err := a.Signature.Enrol(ctx, actor, pin, pin); err != nil {
		t.Fatal(err)
	}
	sg, err := a.Signature.Unlock(ctx, actor, pin, signature.Act{ObjectType: "pdf", Purpose: "test"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := pades.Sign(ctx, apptest.OnePagePDF(), pades.Signer{Key: sg, Cert: sg.Cert, Chain: sg.Chain},
		pades.Options{Reason: "test", Stamper: a.Signature.TSA()})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// verifyUpload posts content through /verify's form the way a browser
// does: the anti-forgery token first, then the file.
func verifyUpload(b *apptest.Browser, content []byte) (int, string) {
	b.T.Helper()
	_, page, _ := b.Get("/verify")
	m := apptest.CSRFRE.FindStringSubmatch(page)
	if m == nil {
		b.T.Fatal("no form on /verify")
	}
	code, body, _ := b.PostMultipart("/verify", url.Values{"csrf_token": {html.UnescapeString(m[1])}}, "file", "document.pdf", content)
	return code, body
}

// rowCounts counts the rows of every table, and the files of the data
// directory.
func rowCounts(t *testing.T, a *app.App) map[string]int {
	t.Helper()
	ctx := context.Background()
	rows, err := a.DB.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+n+`"`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	files := 0
	_ = filepath.WalkDir(a.Cfg.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(filepath.Base(p), "madina.db") {
			files++
		}
		return nil
	})
	out["files in the data directory"] = files
	return out
}

// endless is a body of n bytes made as it is read.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	for i := range p {
		p[i] = 'A'
	}
	e.n -= int64(len(p))
	return len(p), nil
}

// The public page verifies a PDF Madina's architect signed, in French and
// Arabic, refuses every bad file with its own message, stops reading at
// the limit, keeps nothing, and limits each address.
func TestVerifyPage(t *testing.T) {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		t.Fatal("qpdf is required (scripts/test-deps installs it)")
	}
	a := apptest.Accounts(t, db.SQLite, apptest.Log(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	// The handler alone: the capabilities' clocks (Casa In prepares its
	// draws at start) would write rows while the checks are counted.
	base := apptest.Server(t, a).URL
	signed := signedByArchitect(t, a)

	fr := apptest.NewBrowser(t, base)
	fr.SetLang(i18n.FR)
	// The first check issues Madina's CRLs (once); then nothing is written.
	if code, page := verifyUpload(fr, signed); code != 200 || !strings.Contains(page, "Les signatures sont valides") {
		t.Fatalf("fr valid: %d\n%s", code, apptest.Grep(page, "<main"))
	}
	before := rowCounts(t, a)

	code, page := verifyUpload(fr, signed)
	page = html.UnescapeString(page)
	for _, want := range []string{"Les signatures sont valides", "Omar", "CNOA-", "Architecte", "Valide", "certifié par un horodatage", "Valide et non révoqué au moment de la signature", `class="panel"`} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("fr: %d, no %q", code, want)
		}
	}
	ar := apptest.NewBrowser(t, base)
	ar.SetLang(i18n.AR)
	code, page = verifyUpload(ar, signed)
	for _, want := range []string{"التوقيعات صحيحة", "Omar", "صحيح", "مصادق عليه بختم زمني"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("ar: %d, no %q", code, want)
		}
	}

	// The address a signed document's QR code may carry.
	if code, page, _ := fr.Get("/verify?ref=PC-2026-00042"); code != 200 || !strings.Contains(page, "Document PC-2026-00042") || !strings.Contains(page, `class="banner banner-important"`) {
		t.Errorf("/verify?ref=: %d\n%s", code, apptest.Grep(page, "banner"))
	}

	// The QR code's address: the hash of the document before signing.
	code, page, _ = fr.Get("/verify?h=" + strings.Repeat("ab", 32))
	// A hash that names no document Madina issued.
	if page = html.UnescapeString(page); code != 200 || !strings.Contains(page, "Ce code ne correspond à aucun document délivré par Madina") {
		t.Errorf("/verify?h=: %d\n%s", code, apptest.Grep(page, "banner"))
	}

	// One changed byte in what was signed.
	tampered := bytes.Replace(signed, []byte("595 842"), []byte("596 842"), 1)
	code, page = verifyUpload(fr, tampered)
	page = html.UnescapeString(page)
	if code != 200 || !strings.Contains(page, "Les signatures ne sont pas valides") || !strings.Contains(page, "le contenu signé a été modifié") ||
		!strings.Contains(page, `class="error-summary"`) || strings.Contains(page, `class="panel"`) {
		t.Errorf("tampered: %d\n%s", code, apptest.Grep(page, "error-summary"))
	}

	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	_ = os.WriteFile(in, signed, 0o600)
	if b, err := exec.Command(qpdf, "--encrypt", "user", "owner", "256", "--", in, out).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v\n%s", err, b)
	}
	encrypted, _ := os.ReadFile(out)

	for _, c := range []struct {
		name    string
		content []byte
		want    string
		status  int
	}{
		{"unsigned", apptest.OnePagePDF(), "Ce PDF ne porte aucune signature électronique", 400},
		{"encrypted", encrypted, "Ce PDF est protégé par un mot de passe", 400},
		{"empty", nil, "le fichier envoyé est vide", 400},
		{"not a PDF", []byte("hello, this is text"), "Ce fichier n'est pas un PDF", 400},
		{"cut", signed[:len(signed)/2], "Ce PDF est endommagé ou incomplet", 400},
	} {
		code, page := verifyUpload(fr, c.content)
		page = html.UnescapeString(page)
		if code != c.status || !strings.Contains(page, c.want) || !strings.Contains(page, `class="error-summary"`) {
			t.Errorf("%s: %d\n%s", c.name, code, apptest.Grep(page, "error"))
		}
	}
	// The same in Arabic.
	if code, page := verifyUpload(ar, apptest.OnePagePDF()); code != 400 || !strings.Contains(page, "لا يحمل ملف PDF هذا أي توقيع إلكتروني") {
		t.Errorf("ar unsigned: %d", code)
	}

	// 2 GB, streamed (no length): the server stops reading at the limit.
	_, form, _ := fr.Get("/verify")
	tok := html.UnescapeString(apptest.CSRFRE.FindStringSubmatch(form)[1])
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	_ = mw.WriteField("csrf_token", tok)
	_, _ = mw.CreateFormFile("file", "huge.pdf")
	body := io.MultiReader(strings.NewReader(head.String()+"%PDF-1.7\n"), &endless{n: 2 << 30})
	req, _ := http.NewRequest(http.MethodPost, base+"/verify", body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.ContentLength = -1
	start := time.Now()
	res, err := fr.C.Do(req)
	if err != nil {
		t.Fatalf("2 GB upload: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 413 || !strings.Contains(html.UnescapeString(string(b)), "Ce fichier dépasse 50 Mo") {
		t.Errorf("2 GB upload: %d\n%s", res.StatusCode, apptest.Grep(string(b), "error"))
	}
	t.Logf("2 GB streamed: answered %d in %v", res.StatusCode, time.Since(start))
	// Declared too large: refused before reading.
	req, _ = http.NewRequest(http.MethodPost, base+"/verify", io.MultiReader(strings.NewReader(head.String()), &endless{n: 2 << 30}))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.ContentLength = 2 << 30
	if res, err := fr.C.Do(req); err != nil {
		t.Errorf("declared 2 GB: %v", err)
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || !strings.Contains(html.UnescapeString(string(b)), "La demande dépasse la taille maximale (51 MB)") {
			t.Errorf("declared 2 GB: %d\n%s", res.StatusCode, apptest.Grep(string(b), "error"))
		}
	}
	// Still up.
	if code, page := verifyUpload(ar, signed); code != 200 || !strings.Contains(page, "التوقيعات صحيحة") {
		t.Fatalf("after the large uploads: %d", code)
	}

	after := rowCounts(t, a)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows before the checks, %d after", k, v, after[k])
		}
	}
	if miss := apptest.Untranslated(a); len(miss) > 0 {
		t.Errorf("untranslated: %v", miss)
	}

	// The rate limit: an address checking too many files is told to wait.
	got429 := false
	for i := 0; i < 3*signature.VerifyBurst && !got429; i++ {
		code, page := verifyUpload(fr, nil)
		if code == 429 {
			got429 = true
			if !strings.Contains(html.UnescapeString(page), "Vous avez vérifié beaucoup de documents") {
				t.Errorf("429 without its message:\n%s", apptest.Grep(page, "error"))
			}
		}
	}
	if !got429 {
		t.Error("no 429 after many checks")
	}
}

// The API answers the same report in JSON, checked against the API
// document, and its refusals as problems.
func TestVerifyAPI(t *testing.T) {
	a := apptest.Accounts(t, db.SQLite, apptest.Config(func(c *config.Config) { c.TrustProxy = true }))
	base := apptest.Serve(t, a)
	signed := signedByArchitect(t, a)
	api := apptest.CheckedAPI(t, a, base, "")
	var v signature.Verification
	code, body := api.Call(http.MethodPost, signature.PathVerifyAPI, "application/pdf", bytes.NewReader(signed), &v)
	if code != 200 || v.Verdict != signature.VerdictValid || len(v.Signatures) != 1 || !strings.HasPrefix(v.Signatures[0].Signer.Identity, "CNOA-") ||
		!v.Signatures[0].TimeStamped || v.Issued != nil || len(v.SHA256) != 64 {
		t.Fatalf("valid: %d %s", code, body)
	}
	// Multipart too.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "d.pdf")
	_, _ = fw.Write(bytes.Replace(signed, []byte("595 842"), []byte("596 842"), 1))
	_ = mw.Close()
	v = signature.Verification{}
	code, body = api.Call(http.MethodPost, signature.PathVerifyAPI, mw.FormDataContentType(), &buf, &v)
	if code != 200 || v.Verdict != signature.VerdictInvalid || v.Signatures[0].Intact {
		t.Fatalf("tampered: %d %s", code, body)
	}
	code, body = api.Call(http.MethodPost, signature.PathVerifyAPI, "application/pdf", bytes.NewReader(apptest.OnePagePDF()), nil)
	var p struct {
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal([]byte(body), &p)
	if code != 400 || !strings.Contains(body, "signature") {
		t.Errorf("unsigned: %d %s", code, body)
	}
	// Damaged copies (bytes changed at random, cut anywhere): a report or
	// a 400, never a 500 (each from its own address: not the rate limit).
	rnd := mathrand.New(mathrand.NewPCG(1, 2))
	for i := range 60 {
		d := bytes.Clone(signed)
		if i%2 == 0 {
			for range 1 + rnd.IntN(8) {
				d[rnd.IntN(len(d))] = byte(rnd.IntN(256))
			}
		} else {
			d = d[:rnd.IntN(len(d))]
		}
		r := apptest.Do(t, a.Handler, "POST", signature.PathVerifyAPI, bytes.NewReader(d), "Content-Type", "application/pdf", "X-Forwarded-For", fmt.Sprintf("10.9.%d.%d", i/250, i%250+1))
		if r.Code != 200 && r.Code != 400 {
			t.Errorf("damaged copy %d: %d %s", i, r.Code, r.Body)
		}
	}

	// The signer's certificate revoked after the signature: the time
	// stamp proves the signature came first, so it stays valid.
	actor := authz.Actor{Person: apptest.PersonID(t, a, architect), EmailVerified: true,
		Profession: authz.Architect, ProfessionalVerified: true, Now: time.Now()}
	// (A revocation in the very second of the time stamp counts as before
	// it: both are whole seconds, and pades is conservative.)
	time.Sleep(1100 * time.Millisecond)
	reason, _ := signature.ParseReason("cessation_of_operation")
	if _, err := a.Signature.Revoke(context.Background(), actor, keyOf(t, a, actor), reason); err != nil {
		t.Fatal(err)
	}
	v = signature.Verification{}
	code, body = api.Call(http.MethodPost, signature.PathVerifyAPI, "application/pdf", bytes.NewReader(signed), &v)
	if code != 200 || v.Verdict != signature.VerdictValid || v.Signatures[0].Revoked || !v.Signatures[0].RevocationChecked {
		t.Errorf("revoked after signing: %d %s", code, body)
	}
	if code, body = api.Call(http.MethodPost, signature.PathVerifyAPI, "text/plain", strings.NewReader("x"), nil); code != 415 {
		t.Errorf("text: %d %s", code, body)
	}
	if code, body = api.Call(http.MethodPost, signature.PathVerifyAPI, "application/pdf", strings.NewReader(""), nil); code != 400 {
		t.Errorf("empty: %d %s", code, body)
	}
}

// A signer whose certificate comes from another provider is trusted only
// when the operator lists that provider's root (--trusted-roots-file).
func TestVerifyTrustsConfiguredRoots(t *testing.T) {
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Provider Root", Organization: []string{"Provider"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	rootDER, _ := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	root, _ := x509.ParseCertificate(rootDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Karim Alaoui", Organization: []string{"Cabinet Alaoui"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(12 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafTmpl, root, &leafKey.PublicKey, rootKey)
	leaf, _ := x509.ParseCertificate(leafDER)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}, root, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	signed, err := pades.Sign(ctx, apptest.OnePagePDF(), pades.Signer{Key: leafKey, Cert: leaf, Chain: []*x509.Certificate{root}}, pades.Options{})
	if err != nil {
		t.Fatal(err)
	}
	signed, err = pades.AddDSS(ctx, signed, pades.ValidationData{Certs: []*x509.Certificate{root}, CRLs: [][]byte{crl}})
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "roots.pem")
	_ = os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}), 0o600)

	for _, c := range []struct {
		name    string
		opts    []apptest.Option
		verdict string
	}{
		{"Madina's root only", nil, signature.VerdictUntrusted},
		{"the provider's root configured", []apptest.Option{apptest.Config(func(c *config.Config) { c.TrustedRootsFile = bundle })}, signature.VerdictValid},
	} {
		a := apptest.New(t, db.SQLite, c.opts...)
		base := apptest.Serve(t, a)
		var v signature.Verification
		code, body := apptest.CheckedAPI(t, a, base, "").Call(http.MethodPost, signature.PathVerifyAPI, "application/pdf", bytes.NewReader(signed), &v)
		if code != 200 || v.Verdict != c.verdict || v.Signatures[0].Signer.Name != "Karim Alaoui" || v.Signatures[0].TimeStamped {
			t.Errorf("%s: %d %s", c.name, code, body)
		}
	}
}

// keyOf is the actor's current key's id.
func keyOf(t *testing.T, a *app.App, actor authz.Actor) int64 {
	t.Helper()
	st, err := a.Signature.Mine(context.Background(), actor)
	if err != nil || st.Key == nil {
		t.Fatalf("no key: %v", err)
	}
	return st.Key.ID
}
