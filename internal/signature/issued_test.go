package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/pades"
	"madina/internal/platform/pdf"
	"madina/internal/platform/pki"
	"madina/internal/platform/tsa"
)

// issuing is a service that signs: the env's, with a blob store and the
// built-in TSA.
func (e *env) issuing(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	store, err := blob.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, k, err := e.ca.TimeStamping(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stamps, err := tsa.New(c, k, e.ca.Chain(), tsa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return NewService(Deps{DB: e.d, CA: e.ca, Box: e.box, People: identity.NewStore(e.d), PIN: cheap, Blobs: store, TSA: stamps})
}

func onePagePDF(t *testing.T, text string) []byte {
	t.Helper()
	doc := pdf.New(pdf.Options{Title: "Récépissé", Lang: "fr"})
	doc.AddPage()
	doc.Paragraph(pdf.Rect{X: 48, Y: 64, W: 400}, 12, false, text, false)
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The commune's seal signs a receipt as B-LT; the registry finds it by
// the signed bytes' hash and by the unsigned one's (the QR code's);
// sealing again changes nothing; only the system seals.
func TestRegistryOfSealedDocuments(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		s := e.issuing(t)
		unsigned := onePagePDF(t, "Dossier AN-2026-000017 accepte")
		doc := Document{Kind: KindReceipt, Reference: "AN-2026-000017", FileID: 17, PDF: unsigned, Reason: "Récépissé de dépôt"}

		for _, a := range []authz.Actor{e.architectActor(), {Person: e.admin, Grants: []authz.Grant{{Role: authz.Admin, Org: "commune"}}, MFA: true}, {}} {
			if _, err := s.Seal(ctx, a, doc); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("%+v sealed: %v", a, err)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM signature_seals`); n != 0 {
			t.Fatalf("a refused seal made %d seal keys", n)
		}

		sys := authz.Actor{System: true}
		rec, err := s.Seal(ctx, sys, doc)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind != KindReceipt || rec.Reference != "AN-2026-000017" || rec.FileID != 17 || len(rec.Signers) != 1 ||
			!strings.HasPrefix(rec.Signers[0], "Commune de Casablanca (") {
			t.Fatalf("record %+v", rec)
		}
		signed, err := s.IssuedPDF(ctx, KindReceipt, 17)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(signed, unsigned) {
			t.Fatal("the signed receipt does not keep the unsigned bytes as its first revision")
		}
		trust, err := pki.NewTrust([]*x509.Certificate{e.ca.Root()})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := pades.Verify(signed, trust, pades.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Valid() || len(rep.Signatures) != 1 || !rep.DSS || rep.Signatures[0].TimeStamp.IsZero() {
			t.Fatalf("not a valid B-LT seal: valid %v, %d signatures, DSS %v", rep.Valid(), len(rep.Signatures), rep.DSS)
		}
		if cn := rep.Signatures[0].Signer.Subject.CommonName; cn != "Commune de Casablanca" {
			t.Fatalf("sealed by %q", cn)
		}

		for _, h := range []string{hexSum(signed), strings.ToUpper(hexSum(signed))} {
			got, err := s.IssuedDocument(ctx, h)
			if err != nil || got.Reference != rec.Reference || got.FileID != 17 || got.Kind != KindReceipt || len(got.Signers) != 1 {
				t.Fatalf("IssuedDocument(%s) = %+v, %v", h, got, err)
			}
		}
		if got, err := s.IssuedBySource(ctx, hexSum(unsigned)); err != nil || got.Reference != rec.Reference {
			t.Fatalf("IssuedBySource = %+v, %v", got, err)
		}
		for _, h := range []string{hexSum(unsigned), hexSum(append(signed, '\n')), "zz", ""} {
			if _, err := s.IssuedDocument(ctx, h); !errs.Is(err, errs.NotFound) {
				t.Fatalf("IssuedDocument(%q): %v, want not found", h, err)
			}
		}

		// Again, and from another service (a restart): the same record, the
		// same seal, nothing signed twice.
		s2 := e.issuing(t)
		s2.blobs = s.blobs
		if again, err := s2.Seal(ctx, sys, doc); err != nil || !again.SignedAt.Equal(rec.SignedAt) {
			t.Fatalf("sealed again: %+v, %v", again, err)
		}
		if _, err := s2.Seal(ctx, sys, Document{Kind: KindReceipt, Reference: "AN-2026-000018", FileID: 18,
			PDF: onePagePDF(t, "Dossier 18"), Reason: "Récépissé"}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT count(*) FROM signature_seals`); n != 1 {
			t.Fatalf("%d seal keys, want 1", n)
		}
		if n := count(t, d, `SELECT count(*) FROM signed_documents`); n != 2 {
			t.Fatalf("%d records, want 2", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_log WHERE action = 'signature.document_signed'`); n != 2 {
			t.Fatalf("%d audit records of signed documents, want 2", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_log WHERE action = 'signature.seal_created'`); n != 1 {
			t.Fatalf("%d audit records of the seal's creation, want 1", n)
		}
		// Thirty days before the seal's certificate ends, a new seal is
		// made and the old one retired.
		var notAfter time.Time
		if err := d.QueryRowContext(ctx, `SELECT not_after FROM signature_seals`).Scan(&notAfter); err != nil {
			t.Fatal(err)
		}
		s3 := e.issuing(t)
		s3.now = func() time.Time { return notAfter.Add(-29 * 24 * time.Hour) }
		if _, err := s3.Seal(ctx, sys, Document{Kind: KindReceipt, Reference: "AN-2026-000019", FileID: 19,
			PDF: onePagePDF(t, "Dossier 19"), Reason: "Récépissé"}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT count(*) FROM signature_seals WHERE revoked_at IS NULL`); n != 1 || count(t, d, `SELECT count(*) FROM signature_seals`) != 2 {
			t.Fatalf("%d seals in use after renewal, want 1 of 2", n)
		}
		// The record is unique per kind and file.
		sd := Signed{IssuedDocument: IssuedDocument{Kind: KindReceipt, Reference: "X", FileID: 17, SignedAt: monday,
			Signers: []string{"x"}}, SHA256: strings.Repeat("a", 64), Source: strings.Repeat("b", 64), PDF: []byte("x")}
		err = d.Transact(ctx, func(tx *db.Tx) error { return s.Record(ctx, tx, "system", sd) })
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("a second receipt for file 17 recorded: %v", err)
		}
	})
}
