package permit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/pades/padestest"
	"madina/internal/platform/pki"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/tsa"
	"madina/internal/signature"
)

// withSignatures gives e's service the signature capability on the same
// database and blob store (its CA, TSA and signers' keys), as the server
// wires it, and a certificate to e's architect, PIN 246813.
func (e *env) withSignatures(t *testing.T) *pki.CA {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{9}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.Open(ctx, pki.SQLStore{DB: e.d}, box, pki.Config{BaseURL: "https://madina.test"})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.TimeStamping(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stamps, err := tsa.New(cert, key, ca.Chain(), tsa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sig := signature.NewService(signature.Deps{DB: e.d, CA: ca, Box: box, People: identity.NewStore(e.d), Blobs: e.s.blobs,
		TSA: stamps, PIN: signature.PINParams{Memory: 1024, Time: 1}})
	e.s.signatures = sig
	if _, err := sig.Enrol(ctx, e.architectActor(), "246813", "246813"); err != nil {
		t.Fatalf("enrol the architect: %v", err)
	}
	return ca
}

// TestArchitectSignsTheirPlans: the architect under mandate signs a PDF
// of a draft from their space. The signed copy takes the document's place
// on the checklist (its source kept, out of sight), says who signed it and
// when, is on the timeline and in the audit chain; pdfsig finds one valid
// signature by a certificate Madina's root makes trusted. A wrong PIN
// signs nothing; nobody else may sign, nor sign a picture, an earlier
// version or a file the window holds; removing the signed copy brings the
// unsigned one back; the database refuses what the service would.
func TestArchitectSignsTheirPlans(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		ca := e.withSignatures(t)
		a := e.architectActor()
		f, err := e.s.Create(ctx, a, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		code := "architectural_plans"
		old, err := e.s.AddDocument(ctx, a, f.ID, code, "esquisse.pdf", bytes.NewReader(testPDF("esquisse")))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := e.s.AddDocument(ctx, a, f.ID, code, "plan.pdf", bytes.NewReader(testPDF("plan R+1")))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := e.s.View(ctx, a, f.ID)
		if !v.Signable[plan.ID] || v.Signable[old.ID] {
			t.Fatalf("signable: %v (the current plan %d only)", v.Signable, plan.ID)
		}
		if v, _ := e.s.View(ctx, e.ownerActor(), f.ID); len(v.Signable) != 0 {
			t.Fatalf("the owner, who holds no key and may not sign plans, is offered %v", v.Signable)
		}

		// A wrong PIN: nothing signed, the attempt counted.
		_, err = e.s.SignDocument(ctx, a, f.ID, plan.ID, "135790")
		if e := errs.As(err); e == nil || e.Field != "pin" {
			t.Fatalf("wrong PIN: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_document_signatures`); n != 0 {
			t.Fatalf("%d signatures after a wrong PIN", n)
		}
		// Not the current version; nobody but the architect.
		_, err = e.s.SignDocument(ctx, a, f.ID, old.ID, "246813")
		wantErr(t, err, errs.Conflict, "permit.sign.error.old_version")
		_, err = e.s.SignDocument(ctx, e.ownerActor(), f.ID, plan.ID, "246813")
		wantErr(t, err, errs.Forbidden, "error.authz.architect")
		_, err = e.s.SignDocument(ctx, authz.Actor{Person: e.stranger, EmailVerified: true, Now: e.clock.now()}, f.ID, plan.ID, "246813")
		wantErr(t, err, errs.NotFound, "permit.error.file_not_found")

		e.clock.add(time.Minute)
		signed, err := e.s.SignDocument(ctx, a, f.ID, plan.ID, "246813")
		if err != nil {
			t.Fatal(err)
		}
		if signed.Item != code || signed.Version != plan.Version+1 || signed.Name != "plan.pdf" || signed.Signature == nil ||
			signed.Signature.Signs != plan.ID || !strings.Contains(signed.Signature.Signer, "Alaoui") {
			t.Fatalf("signed document %+v %+v", signed, signed.Signature)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		it := item(t, v, code)
		if it.Latest == nil || it.Latest.ID != signed.ID || it.Latest.Signature == nil || it.Latest.Signature.Serial != signed.Signature.Serial {
			t.Fatalf("the item shows %+v", it.Latest)
		}
		for _, dd := range v.Documents {
			if dd.ID == plan.ID {
				t.Fatal("the unsigned plan is still listed beside its signed copy")
			}
		}
		if v.Signable[signed.ID] {
			t.Fatal("the architect is offered to sign again what they signed")
		}
		_, err = e.s.SignDocument(ctx, a, f.ID, signed.ID, "246813")
		wantErr(t, err, errs.Conflict, "permit.sign.error.already")
		if ev := v.Events[len(v.Events)-1]; ev.Kind != "document_signed" || ev.Data["item"] != code {
			t.Fatalf("last event %+v", ev)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'signature.signed' AND object_id = $1`,
			strconv.FormatInt(f.ID, 10)); n != 1 {
			t.Fatalf("%d audit entries of the signature", n)
		}

		// What is served is a PDF whose signature independent tools accept.
		_, rc, err := e.s.Document(ctx, a, f.ID, signed.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != signed.SHA256 {
			t.Fatal("the signed document served is not the one recorded")
		}
		out := padestest.Pdfsig(t, padestest.NSSDB(t, ca.Root()), b)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the signed plan:\n%s", out)
		}

		// Removing the signed copy gives the unsigned plan back.
		if _, err := e.s.RemoveDocument(ctx, a, f.ID, signed.ID); err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		if it := item(t, v, code); it.Latest == nil || it.Latest.ID != plan.ID || !v.Signable[plan.ID] {
			t.Fatalf("after removing the signed copy the item shows %+v", it.Latest)
		}

		// A picture is not signed; nor anything once the window holds it.
		photo := ""
		for _, r := range v.Kind.Documents {
			if slices.Contains(r.Accepted(), "image/png") && r.Code != code {
				photo = r.Code
				break
			}
		}
		if photo == "" {
			t.Fatal("no item of a building file takes a picture")
		}
		pic, err := e.s.AddDocument(ctx, a, f.ID, photo, "site.png", bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.SignDocument(ctx, a, f.ID, pic.ID, "246813")
		wantErr(t, err, errs.Invalid, "permit.sign.error.not_pdf")
		// Nor what the architect does not draw up: the owner's request.
		req, err := e.s.AddDocument(ctx, a, f.ID, "application", "demande.pdf", bytes.NewReader(testPDF("demande")))
		if err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		if v.Signable[req.ID] {
			t.Fatal("the owner's request is offered to the architect to sign")
		}
		_, err = e.s.SignDocument(ctx, a, f.ID, req.ID, "246813")
		wantErr(t, err, errs.Conflict, "permit.sign.error.not_author")
		e.uploadAll(t, a, f.ID)
		if _, err := e.s.Submit(ctx, a, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.SignDocument(ctx, a, f.ID, plan.ID, "246813")
		wantErr(t, err, errs.Conflict, "permit.sign.error.not_with_you")

		// The database: a signature row only for a later document of the
		// same file and item, only while the applicant holds the file,
		// never changed.
		sig := `INSERT INTO permit_document_signatures (document_id, source_id, signer, signer_name, serial, signed_at)
			VALUES ($1, $2, $3, 'X', 'AB', $4)`
		if _, err := d.ExecContext(ctx, sig, signed.ID, plan.ID, e.architect, monday); err == nil {
			t.Fatal("a signature recorded while the window holds the file")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_document_signatures SET signer_name = 'Y'`); err == nil {
			t.Fatal("a signature row was changed")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM permit_document_signatures`); err == nil {
			t.Fatal("a signature row was deleted")
		}
		g, err := e.s.Create(ctx, a, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.s.AddDocument(ctx, a, g.ID, code, "autre.pdf", bytes.NewReader(testPDF("autre")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, sig, other.ID, plan.ID, e.architect, monday); err == nil {
			t.Fatal("a document signs one of another file")
		}
	})
}
