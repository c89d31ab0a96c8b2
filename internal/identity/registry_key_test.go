package identity

import (
	"context"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// The spellings of one association's number that a broker (or an honest
// user) types share one key; genuinely different numbers do not.
func TestAssociationKey(t *testing.T) {
	same := []string{"2019/0456", " 2019 / 0456 ", "٢٠١٩/٠٤٥٦", "۲۰۱۹/۰۴۵۶", "2019-456", "2019-0456", "2019/456", "0456/2019",
		"２０１９／０４５６", "2019\u00a00456", "2019\u2009/\u20090456", "2019.0456", "2019_0456", "2019 456"}
	want := AssociationKey("2019/0456")
	for _, s := range same {
		if got := AssociationKey(s); got != want {
			t.Errorf("AssociationKey(%q) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"2019/0457", "2020/0456", "201/90456", "20190456", "RC 2019/0456", "2019/0456/1", "0/2019"} {
		if got := AssociationKey(s); got == want {
			t.Errorf("AssociationKey(%q) = %q, the same as 2019/0456's", s, got)
		}
	}
	if a, b := AssociationKey("casa-12a"), AssociationKey("CASA 12 A"); a != b {
		t.Errorf("letters and case: %q, %q", a, b)
	}
	if got := ICEKey("００１２３４５６７\u2009０００\u00a0０８９"); got != "001234567000089" {
		t.Errorf("ICEKey of fullwidth digits and thin spaces: %q", got)
	}
}

// Every spelling of a registered association's number, and of a company's
// ICE, meets the registered one (a conflict that leads to a claim); the
// claim finds it by any spelling; two genuinely different numbers both
// register.
func TestLegalNumberSpellingsLeadToTheClaim(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		amina := e.joinAs(t, "amina@example.ma", "BK1002", "ar")
		sidi := LegalInput{Kind: Association, Name: "Association Sidi Othmane Sport et Culture", AssociationNumber: "2019/0456", Role: RolePresident}
		if _, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), sidi); err != nil {
			t.Fatal(err)
		}
		atlas := LegalInput{Kind: Company, Name: "Atlas Bâtiment", ICE: "001234567000089", RC: "123456", Role: RoleManager}
		if _, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), atlas); err != nil {
			t.Fatal(err)
		}
		for _, number := range []string{"2019/0456", " 2019 / 0456 ", "٢٠١٩/٠٤٥٦", "2019-456", "2019-0456", "2019/456", "0456/2019",
			"２０１９／０４５６", "2019\u2009/\u20090456", "2019.0456"} {
			again := sidi
			again.AssociationNumber = number
			_, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, amina), again)
			wantErrKey(t, "association "+number, err, errs.Conflict, ErrRegistered)
			key, err := registryKey(Association, number)
			if err != nil {
				t.Fatalf("%q: %v", number, err)
			}
			if _, err := e.s.store.legalByKey(ctx, d, Association, key); err != nil {
				t.Errorf("a claim on %q does not find the association: %v", number, err)
			}
		}
		for _, ice := range []string{"001234567000089", "001 234 567 000 089", "001.234.567.000.089", "001-234567-000089",
			"٠٠١٢٣٤٥٦٧٠٠٠٠٨٩", "００１２３４５６７０００ ０８９", "001\u2009234\u2009567\u2009000\u2009089", "001\u00a0234567000089"} {
			again := atlas
			again.ICE = ice
			_, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, amina), again)
			wantErrKey(t, "ICE "+ice, err, errs.Conflict, ErrRegistered)
		}
		if n := count(t, d, `SELECT count(*) FROM legal_persons`); n != 2 {
			t.Fatalf("%d legal persons after the lookalikes, want 2", n)
		}
		// Genuinely different numbers register.
		for _, number := range []string{"2019/0457", "2020/0456"} {
			other := sidi
			other.Name, other.AssociationNumber = "Association "+number, number
			if _, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, amina), other); err != nil {
				t.Errorf("%s: %v", number, err)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM legal_persons WHERE association_key IS NOT NULL`); n != 3 {
			t.Fatalf("%d associations with a key, want 3", n)
		}
	})
}

// An association registered before the key column existed gets its key at
// start-up, and then meets its lookalikes like any other.
func TestFillAssociationKeys(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		amina := e.joinAs(t, "amina@example.ma", "BK1002", "ar")
		if _, err := d.ExecContext(ctx, `INSERT INTO legal_persons (kind, name, name_ar, association_number, created_by, created_at)
			VALUES ('association', 'Association Sidi Othmane Sport et Culture', '', '2019/0456', $1, $2)`, youssef.id, e.s.now()); err != nil {
			t.Fatal(err)
		}
		if err := e.s.FillAssociationKeys(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, amina), LegalInput{Kind: Association, Name: "Association Sidi Othmane",
			AssociationNumber: "0456-2019", Role: RolePresident})
		wantErrKey(t, "after the start-up fill", err, errs.Conflict, ErrRegistered)
	})
}
