package app_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/apptest"
	"madina/internal/audit"
	"madina/internal/complaint/complaintdemo"
	"madina/internal/identity/identitydemo"
	"madina/internal/permit/permitdemo"
	"madina/internal/platform/db"
)

// TestDemoMDListsEveryAccount keeps docs/DEMO.md and demoAccounts in step.
func TestDemoMDListsEveryAccount(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/DEMO.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rows := 0
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "@example.ma") {
			rows++
		}
	}
	accounts := identitydemo.Accounts()
	if rows != len(accounts) {
		t.Errorf("docs/DEMO.md has %d account rows for %d accounts", rows, len(accounts))
	}
	for _, d := range accounts {
		var line string
		for _, l := range strings.Split(doc, "\n") {
			if strings.HasPrefix(l, "| "+d.Email+" |") {
				line = l
			}
		}
		switch {
		case line == "":
			t.Errorf("%s is not in docs/DEMO.md", d.Email)
		case !strings.Contains(line, d.GivenNameLatin) || !strings.Contains(line, d.FamilyNameAR) || !strings.Contains(line, identitydemo.Password):
			t.Errorf("%s: names or password missing from its row", d.Email)
		case strings.Contains(line, identitydemo.TOTPSecret) != (d.Grant != nil):
			t.Errorf("%s: the TOTP secret column is wrong", d.Email)
		case d.Registration != "" && !strings.Contains(line, d.Registration):
			t.Errorf("%s: registration number missing", d.Email)
		}
	}
	if !strings.Contains(doc, "otpauth://totp/") || !strings.Contains(doc, "secret="+identitydemo.TOTPSecret) {
		t.Error("docs/DEMO.md lacks the otpauth URI")
	}
}

// demoCounts counts the rows the demonstration touches.
func demoCounts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"persons", "organisations", "staff_grants", "legal_persons", "representatives", "professionals",
		"verification_codes", "sessions", "recovery_codes", "notify_deliveries", "jobs", "audit_log",
		"mandates", "permit_files", "permit_documents", "permit_events", "places", "addresses"} {
		var n int
		if err := d.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func TestDemoTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		ctx := context.Background()
		var out strings.Builder
		if err := a.LoadDemo(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "25 demonstration accounts opened") {
			t.Fatalf("first demo said %q", out.String())
		}
		first := demoCounts(t, a.DB)
		out.Reset()
		if err := a.LoadDemo(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "already there") {
			t.Fatalf("second demo said %q", out.String())
		}
		if diff := cmp.Diff(first, demoCounts(t, a.DB)); diff != "" {
			t.Fatalf("the second demo changed the database (-first +second):\n%s", diff)
		}
		// The accounts, and the people the demonstration files add (demo_files.go).
		added := permitdemo.OwnerCount + len(permitdemo.Architects()) + len(permitdemo.Agents()) + len(permitdemo.Members())
		// Casa In's two facility managers and its dispatcher, and the
		// directory's editor, are among the accounts (identitydemo).
		// Legal persons: the demonstration's company, association and
		// school (identitydemo), and the files' companies.
		want := map[string]int{"persons": 25 + added, "staff_grants": 15 + len(permitdemo.Agents()) + len(permitdemo.Members()) + len(complaintdemo.Officers),
			"legal_persons": 3 + len(permitdemo.Companies()), "representatives": 3 + len(permitdemo.Companies()),
			"professionals": 4 + len(permitdemo.Architects()), "permit_files": permitdemo.FileCount + afterWorks(t, a.DB)}
		for k, n := range want {
			if first[k] != n {
				t.Errorf("%s: %d, want %d", k, first[k], n)
			}
		}
		rep, err := audit.New(a.DB).Verify(ctx)
		if err != nil || !rep.Intact() {
			t.Fatalf("audit chain: %+v %v", rep, err)
		}
		q := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := q(`SELECT count(*) FROM persons WHERE email_verified_at IS NULL`); n != 0 {
			t.Errorf("%d demo people unverified", n)
		}
		// The accounts have the password; the people the files add have none.
		if n := q(`SELECT count(*) FROM persons WHERE password_hash IS NULL`); n != added {
			t.Errorf("%d demo people without password, want %d", n, added)
		}
		if n := q(`SELECT count(*) FROM persons WHERE cin IS NOT NULL AND phone_verified_at IS NULL`); n != 0 {
			t.Errorf("%d citizens without a verified phone", n)
		}
		if n := q(`SELECT count(*) FROM persons p WHERE totp_enabled_at IS NULL AND EXISTS (SELECT 1 FROM staff_grants g WHERE g.person_id = p.id)`); n != 0 {
			t.Errorf("%d staff without second factor", n)
		}
		if n := q(`SELECT count(*) FROM professionals f JOIN persons p ON p.id = f.person_id WHERE f.verified_at IS NULL AND p.email_key = 'salma.alaoui@example.ma'`); n != 1 {
			t.Error("the pending architect is not pending")
		}
		if n := q(`SELECT count(*) FROM professionals WHERE verified_at IS NOT NULL`); n != 3+len(permitdemo.Architects()) {
			t.Errorf("%d verified professionals, want %d", n, 3+len(permitdemo.Architects()))
		}
		// A citizen signs in with the documented password; staff need the documented code.
		if r, err := a.Identity.SignIn(ctx, "youssef.elamrani@example.ma", identitydemo.Password, "test"); err != nil || r.NeedsMFA {
			t.Fatalf("citizen sign-in: %+v %v", r, err)
		}
		r, err := a.Identity.SignIn(ctx, "souad.chraibi@example.ma", identitydemo.Password, "test")
		if err != nil || !r.NeedsMFA {
			t.Fatalf("staff sign-in: %+v %v", r, err)
		}
		code, _ := otptotp.GenerateCode(identitydemo.TOTPSecret, time.Now())
		if _, err := a.Identity.SecondFactor(ctx, r.Token, code); err != nil {
			t.Fatalf("demo TOTP: %v", err)
		}
	})
}

// afterWorks is how many files the demonstration's holders declared
// after the works, besides its stories' (permitdemo/afterworks.go).
func afterWorks(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT count(*) FROM permit_after_works`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
