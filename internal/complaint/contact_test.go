package complaint

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestCodeAttemptsAreCounted: each try spends one of five, the right code
// after five wrong ones is refused, an expired code too; a proven
// contact's token files as that contact and nothing else; contacts are
// never deleted; what a person types is read as an address or a Moroccan
// mobile number.
func TestCodeAttemptsAreCounted(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		add := func(code string, expires time.Time) int64 {
			var id int64
			err := d.Transact(ctx, func(tx *db.Tx) error {
				return tx.QueryRowContext(ctx, `INSERT INTO complaint_contacts (channel, address, code_hash, lang, created_at, expires_at)
					VALUES ('sms', '0661234567', $1, 'fr', $2, $3) RETURNING id`, keyHash(code), monday.Add(-time.Minute), expires).Scan(&id)
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		id := add("123456", monday.Add(CodeLife))
		for i := 4; i >= 0; i-- {
			_, err := e.s.Prove(ctx, id, "000000")
			if i > 0 && (errs.As(err) == nil || errs.As(err).Params["left"] != i) {
				t.Fatalf("wrong code %d: %v", 5-i, err)
			}
			if i == 0 && !errs.Is(err, errs.Conflict) {
				t.Fatalf("the fifth wrong code: %v", err)
			}
		}
		if _, err := e.s.Prove(ctx, id, "123456"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("the right code after five wrong ones: %v", err)
		}
		if _, err := e.s.Prove(ctx, add("123456", monday.Add(-time.Second)), "123456"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("an expired code: %v", err)
		}
		ok := add("654321", monday.Add(CodeLife))
		tok, err := e.s.Prove(ctx, ok, "٦٥٤ ٣٢١")
		if err != nil || tok == "" {
			t.Fatalf("the right code in Arabic digits: %v", err)
		}
		a, p, err := e.s.ContactActor(ctx, tok)
		if err != nil || a.Contact != ok || p.Address != "0661234567" {
			t.Fatalf("the contact's actor: %v %+v", err, a)
		}
		if _, err := e.s.Mine(ctx, a); err == nil {
			t.Error("a proven contact lists requests")
		}
		in := lighting()
		in.Category = "noise"
		in.Answers = map[string]string{"when": "night"}
		if _, err := e.s.File(ctx, a, in); errs.As(err) == nil || errs.As(err).Key != "complaint.error.anonymous" && !hasFault(errs.As(err), "complaint.error.anonymous") {
			t.Errorf("noise filed without an account: %v", err)
		}
		r, err := e.s.File(ctx, a, lighting())
		if err != nil || r.Reporter != 0 || r.ContactID != ok || r.Contact != ContactSMS {
			t.Fatalf("filed with a proven contact: %v %+v", err, r)
		}
		e.clock.add(ContactLife + time.Minute)
		if _, _, err := e.s.ContactActor(ctx, tok); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("a token past its life: %v", err)
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM complaint_contacts WHERE id = $1`, id); err == nil {
			t.Error("a contact was deleted")
		}
		for typed, want := range map[string]string{"06 61 23 45 67": "0661234567", "+212 661-234567": "0661234567",
			"٠٧٧٠١١٢٢٣٣": "0770112233", "Amina@Example.ma": "amina@example.ma", "0522123456": "", "amina@": "", "12": ""} {
			_, got, _ := normalContact(typed)
			if got != want {
				t.Errorf("%q read as %q, want %q", typed, got, want)
			}
		}
	})
}

func hasFault(e *errs.Error, key string) bool {
	for _, f := range e.Faults {
		if f.Key == key {
			return true
		}
	}
	return false
}
