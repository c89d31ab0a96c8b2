package tsa_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pki"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/testenv"
	"madina/internal/platform/tsa"
)

func newTSA(t *testing.T) (*pki.CA, *tsa.Authority) {
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
	return ca, a
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func openssl(t *testing.T, args ...string) (string, error) {
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

// TestTSAAnswersOpenSSLQueries: a query `openssl ts -query` wrote, POSTed
// as application/timestamp-query, gets a response `openssl ts -verify`
// accepts for the data and refuses for other data; a query that is not
// one gets a rejection, not a token.
func TestTSAAnswersOpenSSLQueries(t *testing.T) {
	_, err := exec.LookPath("openssl")
	testenv.Need(t, "openssl", err == nil, "openssl is not installed")
	ca, a := newTSA(t)
	srv := httptest.NewServer(a)
	defer srv.Close()
	dir := t.TempDir()
	data := write(t, dir, "data.bin", []byte("Procès-verbal de la commission, séance du 5 décembre"))
	other := write(t, dir, "other.bin", []byte("Procès-verbal de la commission, séance du 6 décembre"))
	root := write(t, dir, "root.pem", pemCert(ca.Root().Raw))
	tsaCert := write(t, dir, "tsa.pem", pemCert(a.Certificate().Raw))
	query := filepath.Join(dir, "q.tsq")
	if out, err := openssl(t, "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query); err != nil {
		t.Fatalf("openssl ts -query: %v\n%s", err, out)
	}
	q, _ := os.ReadFile(query)
	res, err := http.Post(srv.URL, tsa.QueryType, bytes.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	body.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != tsa.ReplyType {
		t.Fatalf("HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	reply := write(t, dir, "r.tsr", body.Bytes())
	if out, err := openssl(t, "ts", "-verify", "-data", data, "-in", reply, "-CAfile", root, "-untrusted", tsaCert); err != nil || !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	if out, err := openssl(t, "ts", "-verify", "-data", other, "-in", reply, "-CAfile", root, "-untrusted", tsaCert); err == nil {
		t.Fatalf("openssl accepts the time stamp for other data:\n%s", out)
	}
	if out, err := openssl(t, "ts", "-verify", "-queryfile", query, "-in", reply, "-CAfile", root, "-untrusted", tsaCert); err != nil {
		t.Fatalf("openssl ts -verify -queryfile (nonce): %v\n%s", err, out)
	}
	text, _ := openssl(t, "ts", "-reply", "-in", reply, "-text")
	if !strings.Contains(text, "Status: Granted") || !strings.Contains(text, "Policy OID: 1.3.6.1.4.1.32473.1.2") {
		t.Fatalf("reply:\n%s", text)
	}

	rejected, err := a.Respond([]byte("not a query"))
	if err != nil {
		t.Fatal(err)
	}
	bad := write(t, dir, "bad.tsr", rejected)
	if text, _ := openssl(t, "ts", "-reply", "-in", bad, "-text"); !strings.Contains(text, "Status: Rejected") {
		t.Fatalf("a malformed query was not rejected:\n%s", text)
	}
	res, err = http.Post(srv.URL, "text/plain", bytes.NewReader(q))
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("wrong content type answered %d", res.StatusCode)
		}
	}
}

// TestClientChecksTheAnswer: the client gets a token for its digest from
// a TSA over HTTP, and refuses a replayed answer (another nonce) or an
// error page.
func TestClientChecksTheAnswer(t *testing.T) {
	_, a := newTSA(t)
	srv := httptest.NewServer(a)
	defer srv.Close()
	ctx := context.Background()
	sum := sha256.Sum256([]byte("plan A-12"))
	c := &tsa.Client{URL: srv.URL}
	tok, err := c.Stamp(ctx, crypto.SHA256, sum[:])
	if err != nil || len(tok) == 0 {
		t.Fatalf("stamp: %v", err)
	}

	var saved []byte
	replay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		if saved == nil {
			a.ServeHTTP(rec, r)
			saved = rec.Body.Bytes()
		}
		w.Header().Set("Content-Type", tsa.ReplyType)
		w.Write(saved)
	}))
	defer replay.Close()
	rc := &tsa.Client{URL: replay.URL}
	if _, err := rc.Stamp(ctx, crypto.SHA256, sum[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Stamp(ctx, crypto.SHA256, sum[:]); !errors.Is(err, tsa.ErrRejected) {
		t.Fatalf("a replayed answer was accepted: %v", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	if _, err := (&tsa.Client{URL: down.URL}).Stamp(ctx, crypto.SHA256, sum[:]); !errors.Is(err, tsa.ErrRejected) {
		t.Fatalf("an error page: %v", err)
	}
	if _, err := c.Stamp(ctx, crypto.SHA1, make([]byte, 20)); err == nil {
		t.Fatal("SHA-1 accepted")
	}
}
