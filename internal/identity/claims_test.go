package identity

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/pdf"
)

// minimalPDF is a well-formed one-page PDF (its cross-reference table
// right), as statutes scanned to PDF would be, only smaller.
func minimalPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	}
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// withBlobs gives the service a file-system blob store and the PDF check.
func (e *env) withBlobs(t *testing.T) blob.Store {
	t.Helper()
	bs, err := blob.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.s.deps.Blobs = bs
	e.s.deps.InspectPDF = func(_ context.Context, r io.ReaderAt, size int64) (int, error) {
		info, err := pdf.Inspect(r, size)
		return info.Pages, err
	}
	return bs
}

func adminActor(id int64) authz.Actor {
	return authz.Actor{Person: id, EmailVerified: true, MFA: true, Grants: []authz.Grant{{Role: authz.Admin, Org: "commune"}}}
}

func represents(a authz.Actor, legal int64) bool {
	for _, id := range a.Represents {
		if id == legal {
			return true
		}
	}
	return false
}

// An association registers once, its number compared without spaces and
// with Arabic-Indic digits read as digits; a second registration leads to
// a claim with evidence that an administrator or a representative decides.
func TestLegalPersonClaims(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		withReference(t, d)
		e.withBlobs(t)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		amina := e.joinAs(t, "amina@example.ma", "BK1002", "ar")
		karim := e.joinAs(t, "karim@example.ma", "BK1003", "en")
		admin := adminActor(e.newAdmin(t, "admin@casablanca.ma"))

		sidi := LegalInput{Kind: Association, Name: "Association Sidi Othmane Sport et Culture", AssociationNumber: "٢٣/٢٠١٩", Role: RolePresident}
		sidiID, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), sidi)
		if err != nil {
			t.Fatal(err)
		}
		for _, number := range []string{"23/2019", " 23 /2019", "٢٣ / ٢٠١٩"} {
			again := sidi
			again.AssociationNumber = number
			_, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, amina), again)
			wantErrKey(t, "second registration of "+number, err, errs.Conflict, ErrRegistered)
		}
		if n := count(t, d, `SELECT count(*) FROM legal_persons`); n != 1 {
			t.Fatalf("%d legal persons", n)
		}

		claim := ClaimInput{Kind: Association, Number: "23 / 2019", Role: RolePresident}
		// Evidence must be a sound PDF; nothing is recorded otherwise.
		_, err = e.s.ClaimLegalPerson(ctx, e.actorOf(t, amina), claim, "statuts.pdf", strings.NewReader("<html>statuts</html>"))
		if !errs.Is(err, errs.Unsupported) || errs.As(err).Field != "evidence" {
			t.Fatalf("HTML as evidence: %v", err)
		}
		_, err = e.s.ClaimLegalPerson(ctx, e.actorOf(t, amina), claim, "statuts.pdf", strings.NewReader("%PDF-1.7\ntruncated"))
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("broken PDF as evidence: %v", err)
		}
		_, err = e.s.ClaimLegalPerson(ctx, e.actorOf(t, amina), ClaimInput{Kind: Association, Number: "99/2020", Role: RolePresident}, "s.pdf", bytes.NewReader(minimalPDF()))
		wantErrKey(t, "claim of an unregistered number", err, errs.Invalid, "identity.claims.error.not_registered")
		if n := count(t, d, `SELECT count(*) FROM legal_claims`); n != 0 {
			t.Fatalf("%d claims after refused ones", n)
		}

		first, err := e.s.ClaimLegalPerson(ctx, e.actorOf(t, amina), claim, "statuts.pdf", bytes.NewReader(minimalPDF()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.ClaimLegalPerson(ctx, e.actorOf(t, amina), claim, "statuts.pdf", bytes.NewReader(minimalPDF())); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second pending claim: %v", err)
		}
		// Both sides are told.
		if m := e.rec.last("identity.legal_claim_filed"); e.rec.count("identity.legal_claim_filed") != 2 || m.To.UserID != personKey(youssef.id) {
			t.Fatalf("claim notices: %d, last %+v", e.rec.count("identity.legal_claim_filed"), m)
		}
		// The representative sees it to decide, and its evidence; another person does not.
		if v, err := e.s.Claims(ctx, e.actorOf(t, youssef)); err != nil || len(v.ToDecide) != 1 || v.ToDecide[0].ID != first {
			t.Fatalf("to decide: %+v, %v", v, err)
		}
		if _, _, err := e.s.ClaimEvidence(ctx, e.actorOf(t, karim), first); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a stranger opens the evidence: %v", err)
		}
		if _, rc, err := e.s.ClaimEvidence(ctx, admin, first); err != nil {
			t.Fatalf("the administrator cannot read the evidence: %v", err)
		} else {
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b, minimalPDF()) {
				t.Fatal("evidence changed")
			}
		}
		// Nobody decides their own claim, nor a stranger's.
		if err := e.s.DecideClaim(ctx, e.actorOf(t, amina), first, true, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("claimant approves their own claim: %v", err)
		}
		if err := e.s.DecideClaim(ctx, e.actorOf(t, karim), first, true, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a stranger approves: %v", err)
		}
		// Refused: a reason is needed, and nothing else changes.
		if err := e.s.DecideClaim(ctx, admin, first, false, " "); !errs.Is(err, errs.Invalid) {
			t.Fatalf("refusal without a reason: %v", err)
		}
		if err := e.s.DecideClaim(ctx, admin, first, false, "Le procès-verbal ne vous nomme pas."); err != nil {
			t.Fatal(err)
		}
		if represents(e.actorOf(t, amina), sidiID) || count(t, d, `SELECT count(*) FROM representatives`) != 1 {
			t.Fatal("a refused claim made a representative")
		}
		if err := e.s.DecideClaim(ctx, admin, first, true, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("deciding twice: %v", err)
		}
		if m := e.rec.last("identity.legal_claim_decided"); m.Data["Status"] != ClaimRefused {
			t.Fatalf("decision notice %+v", m)
		}

		// Approved by an administrator: a representative, who may act for it.
		second, err := e.s.ClaimLegalPerson(ctx, e.actorOf(t, amina), claim, "pv.pdf", bytes.NewReader(minimalPDF()))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.DecideClaim(ctx, admin, second, true, ""); err != nil {
			t.Fatal(err)
		}
		if !represents(e.actorOf(t, amina), sidiID) {
			t.Fatal("the approved claimant does not represent the association")
		}
		// Approved by the existing representative.
		third, err := e.s.ClaimLegalPerson(ctx, e.actorOf(t, karim), ClaimInput{Kind: Association, Number: "23/2019", Role: RoleLegalRepresentative}, "pv.pdf", bytes.NewReader(minimalPDF()))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.DecideClaim(ctx, e.actorOf(t, youssef), third, true, ""); err != nil {
			t.Fatal(err)
		}
		if !represents(e.actorOf(t, karim), sidiID) {
			t.Fatal("approved by the representative, not a representative")
		}
		trail := strings.Join(auditTrail(t, d, "legal_person"), "\n")
		for _, want := range []string{"identity.legal_claim_filed", "identity.legal_claim_refused", "identity.legal_claim_approved"} {
			if !strings.Contains(trail, want) {
				t.Errorf("audit has no %s:\n%s", want, trail)
			}
		}
	})
}

// The database itself refuses a second legal person with a number already
// registered, whatever the spaces, on both engines.
func TestLegalNumbersAreUniqueInTheDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		if _, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), LegalInput{Kind: Association,
			Name: "Association Sidi Othmane Sport et Culture", AssociationNumber: "23/2019", Role: RolePresident}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), LegalInput{Kind: Company,
			Name: "Atlas Bâtiment", ICE: "001234567000089", RC: "123456", Role: RoleManager}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for _, c := range []struct{ name, ice, rc, number string }{
			{"same number", "", "", "23/2019"},
			{"same number, spaced", "", "", "23 / 2019"},
			{"same number, turned round", "", "", "2019-023"},
			{"same ICE", "001234567000089", "999", ""},
		} {
			kind, key := Association, AssociationKey(c.number)
			if c.ice != "" {
				kind, key = Company, ""
			}
			_, err := d.ExecContext(ctx, `INSERT INTO legal_persons (kind, name, name_ar, ice, rc, association_number, association_key, created_by, created_at)
				VALUES ($1, 'Copie', '', $2, $3, $4, $5, $6, $7)`, kind, nullString(c.ice), nullString(c.rc), nullString(c.number), nullString(key), youssef.id, now)
			if !db.IsUniqueViolation(err) {
				t.Errorf("%s: %v, want a unique violation", c.name, err)
			}
		}
	})
}
