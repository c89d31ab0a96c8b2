package signature_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/testenv"
	"madina/internal/signature"
)

const (
	architect = "omar.berrada@example.ma"
	citizen   = "fatima.benali@example.ma"
	agent     = "amina.idrissi@example.ma"
	admin     = "nadia.bensouda@example.ma"
	pin       = "482915"
)

func needOpenSSL(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("openssl")
	testenv.Need(t, "openssl", err == nil, "openssl is not installed")
}

func openssl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

// get fetches a public address with no cookie.
func get(t *testing.T, base, path string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// writePEM writes DER objects as one PEM file.
func writePEM(t *testing.T, dir, name, typ string, ders ...[]byte) string {
	t.Helper()
	var buf bytes.Buffer
	for _, d := range ders {
		_ = pem.Encode(&buf, &pem.Block{Type: typ, Bytes: d})
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// published fetches the four /pki addresses, checks their types and
// caching, and writes them as PEM files: root, issuing, crl, rootCRL.
func published(t *testing.T, base, dir string) (root, issuing, crl, rootCRL string) {
	t.Helper()
	files := map[string]string{}
	for _, p := range []struct{ path, ctype, pemType string }{
		{"/pki/root.crt", signature.ContentTypeCert, "CERTIFICATE"}, {"/pki/issuing.crt", signature.ContentTypeCert, "CERTIFICATE"},
		{"/pki/crl", signature.ContentTypeCRL, "X509 CRL"}, {"/pki/root.crl", signature.ContentTypeCRL, "X509 CRL"}} {
		res, b := get(t, base, p.path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != p.ctype || !strings.HasPrefix(res.Header.Get("Cache-Control"), "public, max-age=") {
			t.Fatalf("GET %s: %d %q %q", p.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		if res.Header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s sets a cookie on a public answer", p.path)
		}
		files[p.path] = writePEM(t, dir, strings.ReplaceAll(strings.TrimPrefix(p.path, "/pki/"), ".", "_")+".pem", p.pemType, b)
	}
	return files["/pki/root.crt"], files["/pki/issuing.crt"], files["/pki/crl"], files["/pki/root.crl"]
}

// The CA's certificates and CRLs as the real server publishes them verify
// with openssl, and the TSA answers openssl's queries over HTTP with time
// stamps openssl verifies under the published root.
func TestPublishedPKIVerifiesWithOpenSSL(t *testing.T) {
	needOpenSSL(t)
	a := apptest.New(t, db.SQLite)
	base := apptest.Serve(t, a)
	dir := t.TempDir()
	root, issuing, crl, rootCRL := published(t, base, dir)
	if out, err := openssl(t, "verify", "-CAfile", root, issuing); err != nil || !strings.Contains(out, ": OK") {
		t.Fatalf("openssl verify issuing: %v\n%s", err, out)
	}
	chain := writePEM(t, dir, "chain.pem", "CERTIFICATE", a.Signature.CA().Issuing().Raw, a.Signature.CA().Root().Raw)
	if out, err := openssl(t, "crl", "-in", crl, "-CAfile", chain, "-noout"); err != nil || !strings.Contains(out, "verify OK") {
		t.Fatalf("openssl crl: %v\n%s", err, out)
	}
	if out, err := openssl(t, "crl", "-in", rootCRL, "-CAfile", root, "-noout"); err != nil || !strings.Contains(out, "verify OK") {
		t.Fatalf("openssl root crl: %v\n%s", err, out)
	}
	if out, err := openssl(t, "crl", "-in", crl, "-CAfile", root, "-noout"); err == nil && strings.Contains(out, "verify OK") {
		t.Fatalf("the issuing CA's CRL verifies under the root alone:\n%s", out)
	}
	// A HEAD is answered like the GET, without the body.
	res, err := http.Head(base + "/pki/root.crt")
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != signature.ContentTypeCert {
		t.Fatalf("HEAD: %v %v", res, err)
	}

	data := filepath.Join(dir, "data.txt")
	other := filepath.Join(dir, "other.txt")
	_ = os.WriteFile(data, []byte("procès-verbal de la commission"), 0o600)
	_ = os.WriteFile(other, []byte("autre chose"), 0o600)
	query := filepath.Join(dir, "q.tsq")
	if out, err := openssl(t, "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query); err != nil {
		t.Fatalf("openssl ts -query: %v\n%s", err, out)
	}
	q, _ := os.ReadFile(query)
	resp, err := http.Post(base+signature.PathTSA, "application/timestamp-query", bytes.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
		t.Fatalf("TSA: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	tsr := filepath.Join(dir, "r.tsr")
	_ = os.WriteFile(tsr, reply, 0o600)
	if out, err := openssl(t, "ts", "-verify", "-data", data, "-in", tsr, "-CAfile", root); err != nil || !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	if out, err := openssl(t, "ts", "-verify", "-data", other, "-in", tsr, "-CAfile", root); err == nil {
		t.Fatalf("the time stamp verifies for other data:\n%s", out)
	}
	// Not a time-stamp query: refused, nothing stamped.
	resp, err = http.Post(base+signature.PathTSA, "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("wrong content type: %d", resp.StatusCode)
	}
}

var errorRE = regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)

// summary is the error summary of a page, "" if none.
func summary(page string) string { return errorRE.FindString(page) }

// A verified architect gets a certificate from /me/signature with a PIN
// typed twice; openssl verifies it under the published root and CRL; five
// wrong PINs lock it, each refusal in the person's language, and revoking
// it puts it on the published CRL. A citizen cannot enrol. Bad PKCS#12
// files are refused with their message.
func TestSignerPages(t *testing.T) {
	needOpenSSL(t)
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		b := apptest.NewBrowser(t, base)
		b.SignIn(architect, false)
		b.SetLang(i18n.EN)

		code, page, _ := b.Get("/me/signature")
		if code != 200 || !strings.Contains(page, `action="/me/signature/enrol"`) {
			t.Fatalf("/me/signature: %d\n%s", code, page)
		}
		if !strings.Contains(page, `href="/me/signature"`) {
			t.Error("no navigation entry to /me/signature for a verified architect")
		}
		for _, c := range []struct{ pin, confirm, want string }{
			{"123456", "123456", "not the same digit repeated nor a run"},
			{pin, "482916", "The two PINs are different"},
			{"12ab", "12ab", "6 to 12 digits"},
		} {
			code, page, _ = b.Post("/me/signature", "/me/signature/enrol", url.Values{"pin": {c.pin}, "pin_confirm": {c.confirm}})
			if code != 400 || !strings.Contains(summary(page), c.want) {
				t.Fatalf("PIN %q/%q: %d, summary %q", c.pin, c.confirm, code, summary(page))
			}
		}
		code, _, h := b.Post("/me/signature", "/me/signature/enrol", url.Values{"pin": {pin}, "pin_confirm": {pin}})
		if code != 303 || h.Get("Location") != "/me/signature?done=enrolled" {
			t.Fatalf("enrol: %d %s", code, h.Get("Location"))
		}
		_, page, _ = b.Get("/me/signature?done=enrolled")
		for _, want := range []string{"Your signing certificate is ready.", "Active", "CNOA-1187", "5 attempts left"} {
			if !strings.Contains(page, want) {
				t.Errorf("/me/signature lacks %q", want)
			}
		}
		code, certPEM, _ := b.Get("/me/signature/certificate.pem")
		if code != 200 || !strings.HasPrefix(certPEM, "-----BEGIN CERTIFICATE-----") {
			t.Fatalf("certificate.pem: %d", code)
		}
		dir := t.TempDir()
		mine := filepath.Join(dir, "mine.pem")
		_ = os.WriteFile(mine, []byte(certPEM), 0o600)
		root, issuing, crl, _ := published(t, base, dir)
		if out, err := openssl(t, "verify", "-purpose", "smimesign", "-crl_check", "-CRLfile", crl, "-CAfile", root, "-untrusted", issuing, mine); err != nil || !strings.Contains(out, ": OK") {
			t.Fatalf("openssl verify the signer's certificate: %v\n%s", err, out)
		}
		text, _ := openssl(t, "x509", "-in", mine, "-noout", "-text")
		for _, want := range []string{"Digital Signature, Non Repudiation", "serialNumber = CNOA-1187", "title = Architecte", "/pki/crl"} {
			if !strings.Contains(text, want) {
				t.Errorf("the certificate lacks %q:\n%s", want, text)
			}
		}

		// Five wrong PINs, in three languages.
		wrong := url.Values{"old_pin": {"111112"}, "pin": {"905172"}, "pin_confirm": {"905172"}}
		for i, c := range []struct {
			lang i18n.Lang
			want string
		}{
			{i18n.AR, "رمز سري خاطئ. بقيت 4 محاولات"},
			{i18n.FR, "Code PIN erroné. Il vous reste 3 essais"},
			{i18n.EN, "Wrong PIN. 2 attempts left"},
			{i18n.EN, "Wrong PIN. 1 attempt left"},
			{i18n.FR, "votre clé de signature est maintenant verrouillée"},
		} {
			b.SetLang(c.lang)
			code, page, _ := b.Post("/me/signature/pin", "/me/signature/pin", apptest.CloneForm(wrong))
			want := 400
			if i == 4 {
				want = 403
			}
			if code != want || !strings.Contains(summary(page), c.want) {
				t.Fatalf("wrong PIN %d (%s): %d, summary %q", i+1, c.lang, code, summary(page))
			}
		}
		b.SetLang(i18n.EN)
		code, page, _ = b.Post("/me/signature/pin", "/me/signature/pin", url.Values{"old_pin": {pin}, "pin": {"905172"}, "pin_confirm": {"905172"}})
		if code != 403 || !strings.Contains(summary(page), "locked after 5 wrong PINs") {
			t.Fatalf("the right PIN on a locked key: %d %q", code, summary(page))
		}
		_, page, _ = b.Get("/me/signature")
		if !strings.Contains(page, "Locked") || !strings.Contains(page, "Nobody can unlock it") {
			t.Error("the page does not say the key is locked")
		}
		// Revoke: a confirmation first, then the CRL lists it.
		code, page, _ = b.Get("/me/signature/revoke?reason=key_compromise")
		if code != 200 || !strings.Contains(page, "Revoke this signing certificate?") || !strings.Contains(page, "may be known to someone else") {
			t.Fatalf("revoke confirmation: %d", code)
		}
		code, _, h = b.Post("/me/signature/revoke?reason=key_compromise", "/me/signature/revoke", url.Values{"reason": {"key_compromise"}})
		if code != 303 || h.Get("Location") != "/me/signature?done=revoked" {
			t.Fatalf("revoke: %d %s", code, h.Get("Location"))
		}
		dir2 := t.TempDir()
		_, _, crlNow, _ := published(t, base, dir2)
		out, err := openssl(t, "verify", "-crl_check", "-CRLfile", crlNow, "-CAfile", root, "-untrusted", issuing, mine)
		if err == nil || !strings.Contains(out, "certificate revoked") {
			t.Fatalf("openssl accepts the revoked certificate: %v\n%s", err, out)
		}
		_, page, _ = b.Get("/me/signature")
		if !strings.Contains(page, "Revoked certificates") || !strings.Contains(page, `action="/me/signature/enrol"`) {
			t.Error("after revocation the page shows neither the history nor the enrolment form")
		}

		// Bad PKCS#12 files.
		_, form, _ := b.Get("/me/signature/import")
		tok := apptest.CSRFRE.FindStringSubmatch(form)[1]
		fields := url.Values{"csrf_token": {tok}, "password": {"x"}, "pin": {pin}, "pin_confirm": {pin}}
		code, page, _ = b.PostMultipart("/me/signature/import", fields, "file", "empty.p12", nil)
		if code != 400 || !strings.Contains(summary(page), "the file sent is empty") {
			t.Fatalf("empty PKCS#12: %d %q", code, summary(page))
		}
		code, page, _ = b.PostMultipart("/me/signature/import", fields, "file", "bad.p12", []byte("not pkcs12"))
		if code != 400 || !strings.Contains(summary(page), "cannot be read as a PKCS#12") {
			t.Fatalf("garbage PKCS#12: %d %q", code, summary(page))
		}
		code, page, _ = b.PostMultipart("/me/signature/import", fields, "file", "huge.p12", bytes.Repeat([]byte{1}, 2<<20))
		if code != 413 {
			t.Fatalf("huge PKCS#12: %d", code)
		}

		// A citizen: no entry, no form, a refusal that says why.
		c := apptest.NewBrowser(t, base)
		c.SignIn(citizen, false)
		c.SetLang(i18n.EN)
		_, page, _ = c.Get("/me/signature")
		if strings.Contains(page, `action="/me/signature/enrol"`) || !strings.Contains(page, "architects whose registration has been verified") {
			t.Error("a citizen is offered a certificate")
		}
		if strings.Contains(page, `<a href="/me/signature"`) {
			t.Error("a citizen sees the navigation entry")
		}
		code, page, _ = c.Post("/me/signature", "/me/signature/enrol", url.Values{"pin": {pin}, "pin_confirm": {pin}})
		if code != 403 || !strings.Contains(page, "architects whose registration has been verified") {
			t.Fatalf("citizen enrols: %d", code)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}

// A window agent enrols; the administrator sees the list and revokes the
// agent's certificate after a confirmation; the agent cannot see the list.
func TestAdminRevokes(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ag := apptest.NewBrowser(t, base)
		ag.SignIn(agent, true)
		ag.SetLang(i18n.FR)
		if code, _, _ := ag.Post("/me/signature", "/me/signature/enrol", url.Values{"pin": {pin}, "pin_confirm": {pin}}); code != 303 {
			t.Fatalf("agent enrols: %d", code)
		}
		if code, _, _ := ag.Get("/admin/signature"); code != 403 && code != 404 {
			t.Fatalf("an agent sees the signers' list: %d", code)
		}
		ad := apptest.NewBrowser(t, base)
		ad.SignIn(admin, true)
		ad.SetLang(i18n.FR)
		code, page, _ := ad.Get("/admin/signature")
		if code != 200 || !strings.Contains(page, "Amina") || !strings.Contains(page, "Actif") {
			t.Fatalf("admin list: %d", code)
		}
		m := regexp.MustCompile(`href="(/admin/signature/(\d+)/revoke)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no revoke link")
		}
		code, page, _ = ad.Get(m[1])
		if code != 200 || !strings.Contains(page, "Révoquer ce certificat de signature ?") {
			t.Fatalf("confirm: %d", code)
		}
		code, _, h := ad.Post(m[1], m[1], url.Values{"reason": {"privilege_withdrawn"}})
		if code != 303 || h.Get("Location") != "/admin/signature?done=revoked" {
			t.Fatalf("revoke: %d %s", code, h.Get("Location"))
		}
		_, page, _ = ag.Get("/me/signature")
		if !strings.Contains(page, "Le droit de signer a été retiré") {
			t.Error("the agent's page does not show the revocation and its reason")
		}
		var n int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'signature.revoked' AND actor = $1`,
			"person:"+itoa(apptest.PersonID(t, a, admin))).Scan(&n); err != nil || n != 1 {
			t.Fatalf("revocation audit records by the administrator: %d %v", n, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The API: an architect's token with the certificate scopes lists, issues
// and revokes; every answer matches the API document; a token without the
// scopes is refused; a second enrolment conflicts.
func TestCertificatesAPI(t *testing.T) {
	a := apptest.Accounts(t, db.SQLite)
	base := apptest.Serve(t, a)
	ctx := context.Background()
	id := apptest.PersonID(t, a, architect)
	token, err := a.Identity.CreateToken(ctx, id, "signing", []authz.Scope{authz.ScopeCertificatesRead, authz.ScopeCertificatesWrite}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	api := apptest.CheckedAPI(t, a, base, token)
	var list struct {
		MayEnrol     bool                       `json:"may_enrol"`
		Certificates []signature.APICertificate `json:"certificates"`
	}
	if code, body := api.JSON("GET", "/api/v1/signature/certificates", nil, &list); code != 200 || !list.MayEnrol || len(list.Certificates) != 0 {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body := api.JSON("POST", "/api/v1/signature/certificates", map[string]string{"pin": "12", "pin_confirm": "12"}, nil); code != 400 {
		t.Fatalf("short PIN: %d %s", code, body)
	}
	var c signature.APICertificate
	if code, body := api.JSON("POST", "/api/v1/signature/certificates", map[string]string{"pin": pin, "pin_confirm": pin}, &c); code != 201 {
		t.Fatalf("issue: %d %s", code, body)
	}
	cert, err := x509.ParseCertificate(c.Certificate)
	if err != nil || cert.Subject.SerialNumber != "CNOA-1187" || c.State != signature.Active || c.AttemptsLeft != 5 {
		t.Fatalf("issued %+v %v", c, err)
	}
	if code, body := api.JSON("POST", "/api/v1/signature/certificates", map[string]string{"pin": pin, "pin_confirm": pin}, nil); code != 409 {
		t.Fatalf("second enrolment: %d %s", code, body)
	}
	if code, body := api.JSON("POST", "/api/v1/signature/certificates/"+itoa(c.ID)+"/revoke", map[string]string{"reason": "privilege_withdrawn"}, nil); code != 400 {
		t.Fatalf("a reason not for the holder: %d %s", code, body)
	}
	var r signature.APICertificate
	if code, body := api.JSON("POST", "/api/v1/signature/certificates/"+itoa(c.ID)+"/revoke", map[string]string{"reason": "superseded"}, &r); code != 200 || r.State != signature.Revoked || r.Reason != "superseded" {
		t.Fatalf("revoke: %d %s", code, body)
	}
	readOnly, err := a.Identity.CreateToken(ctx, id, "read", []authz.Scope{authz.ScopeCertificatesRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := api.As(readOnly).JSON("POST", "/api/v1/signature/certificates", map[string]string{"pin": pin, "pin_confirm": pin}, nil); code != 403 {
		t.Fatalf("read-only token issues: %d %s", code, body)
	}
	// Someone else's certificate: not found, whoever's token asks.
	other, err := a.Identity.CreateToken(ctx, apptest.PersonID(t, a, citizen), "c", []authz.Scope{authz.ScopeCertificatesWrite}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := api.As(other).JSON("POST", "/api/v1/signature/certificates/"+itoa(c.ID)+"/revoke", map[string]string{"reason": "superseded"}, nil); code != 404 {
		t.Fatalf("someone else's certificate: %d %s", code, body)
	}
}
