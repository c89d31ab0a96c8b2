package signature

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pades"
	"madina/internal/platform/pki"
	"madina/internal/platform/tsa"
)

// provider is an outside trust-service provider over HTTP: its own CA
// (another database, another root) publishing its CRLs, and its RFC 3161
// time-stamping authority.
type provider struct {
	ca   *pki.CA
	url  string
	down atomic.Bool // its CRLs answer 503
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	ctx := context.Background()
	p := &provider{}
	var stamps *tsa.Authority
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tsa", func(w http.ResponseWriter, r *http.Request) { stamps.ServeHTTP(w, r) })
	crl := func(get func(context.Context) ([]byte, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if p.down.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			b, err := get(r.Context())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = w.Write(b)
		}
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	ca, err := pki.Open(ctx, pki.SQLStore{DB: dbtest.Open(t, db.SQLite)}, newBox(t, 3), pki.Config{BaseURL: srv.URL,
		Organisation: "Prestataire de confiance"})
	if err != nil {
		t.Fatal(err)
	}
	p.ca = ca
	mux.HandleFunc("GET "+pki.PathCRL, crl(ca.CRL))
	mux.HandleFunc("GET "+pki.PathRootCRL, crl(ca.RootCRL))
	c, k, err := ca.TimeStamping(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stamps, err = tsa.New(c, k, ca.Chain(), tsa.Config{}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExternalTimeStampingAuthority: with --tsa-url, Madina's signatures
// are time-stamped by the provider's authority, and the document stays
// self-sufficient (B-LT): its Document Security Store carries the
// provider's CRLs, fetched when signing, so that it verifies with the two
// roots alone, no network. A verifier that does not trust the provider's
// root does not accept the time stamp. When the provider's CRLs cannot be
// fetched, nothing is signed nor recorded.
func TestExternalTimeStampingAuthority(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		p := newProvider(t)
		store, err := blob.Open(ctx, "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s := NewService(Deps{DB: e.d, CA: e.ca, Box: e.box, People: identity.NewStore(e.d), PIN: cheap, Blobs: store,
			Stamper: &tsa.Client{URL: p.url + "/tsa"}})
		sys := authz.Actor{System: true}

		p.down.Store(true)
		_, err = s.Seal(ctx, sys, Document{Kind: KindReceipt, Reference: "AN-2026-000031", FileID: 31,
			PDF: onePagePDF(t, "Dossier AN-2026-000031"), Reason: "Récépissé de dépôt"})
		if err == nil || !strings.Contains(err.Error(), "revocation list") {
			t.Fatalf("sealed without the provider's CRLs: %v", err)
		}
		if n := count(t, d, `SELECT count(*) FROM signed_documents`); n != 0 {
			t.Fatalf("%d documents recorded while the provider's CRLs were out of reach", n)
		}

		p.down.Store(false)
		if _, err := s.Seal(ctx, sys, Document{Kind: KindReceipt, Reference: "AN-2026-000031", FileID: 31,
			PDF: onePagePDF(t, "Dossier AN-2026-000031"), Reason: "Récépissé de dépôt"}); err != nil {
			t.Fatal(err)
		}
		signed, err := s.IssuedPDF(ctx, KindReceipt, 31)
		if err != nil {
			t.Fatal(err)
		}
		// Offline from here: the provider is gone.
		p.down.Store(true)
		both, err := pki.NewTrust([]*x509.Certificate{e.ca.Root(), p.ca.Root()})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := pades.Verify(signed, both, pades.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Valid() || len(rep.Signatures) != 1 || rep.Signatures[0].TimeStamp.IsZero() || rep.Signatures[0].TSA == nil {
			t.Fatalf("not a valid time-stamped signature: valid %v, %+v", rep.Valid(), rep.Signatures)
		}
		sig := rep.Signatures[0]
		if sig.TimeStampErr != nil || !strings.Contains(strings.Join(sig.TSA.Issuer.Organization, " "), "Prestataire de confiance") {
			t.Fatalf("time stamp by %v: %v", sig.TSA.Issuer, sig.TimeStampErr)
		}

		ours, err := pki.NewTrust([]*x509.Certificate{e.ca.Root()})
		if err != nil {
			t.Fatal(err)
		}
		rep, err = pades.Verify(signed, ours, pades.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Signatures[0].TimeStampErr == nil {
			t.Fatal("the provider's time stamp is accepted by a verifier that does not trust its root")
		}
	})
}
