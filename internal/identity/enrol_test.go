package identity

import (
	"context"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// system is the server's operator, as the command line and the
// demonstration act.
var system = authz.Actor{System: true}

// TestOperatorCallsAskThePolicy: opening an account on an operator's word
// and setting a known second-factor secret are for whoever may manage
// accounts; a citizen, even calling the service directly, is refused and
// nothing is written.
func TestOperatorCallsAskThePolicy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		citizen := authz.Actor{Person: id, EmailVerified: true, Now: time.Now()}
		persons := count(t, d, `SELECT count(*) FROM persons`)
		in := Enrolment{Email: "someone@example.ma", GivenNameAR: "أمينة", FamilyNameAR: "الإدريسي",
			GivenNameLatin: "Amina", FamilyNameLatin: "Idrissi"}
		for _, who := range []authz.Actor{{}, citizen} {
			if _, err := e.s.Enrol(ctx, who, "test", in); err == nil {
				t.Fatalf("%+v opened an account", who)
			}
			if err := e.s.EnableTOTPSecret(ctx, who, id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err == nil {
				t.Fatalf("%+v set a second-factor secret", who)
			}
		}
		if count(t, d, `SELECT count(*) FROM persons`) != persons || count(t, d, `SELECT count(*) FROM persons WHERE totp_enabled_at IS NOT NULL`) != 0 {
			t.Fatal("a refused call wrote something")
		}
		if _, err := e.s.Enrol(ctx, system, "test", in); err != nil {
			t.Fatalf("the operator: %v", err)
		}
	})
}

func TestEnableTOTPSecret(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		if err := e.s.EnableTOTPSecret(ctx, system, id, "not base32!"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad secret: %v", err)
		}
		if err := e.s.EnableTOTPSecret(ctx, system, id, "JBSWY3DP"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("short secret: %v", err)
		}
		if err := e.s.EnableTOTPSecret(ctx, system, id, secret); err != nil {
			t.Fatal(err)
		}
		audits := count(t, d, `SELECT count(*) FROM audit_log`)
		if err := e.s.EnableTOTPSecret(ctx, system, id, strings.ToLower(secret)); err != nil || count(t, d, `SELECT count(*) FROM audit_log`) != audits {
			t.Fatalf("same secret again: %v, or audited", err)
		}
		if err := e.s.EnableTOTPSecret(ctx, system, id, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("another secret: %v", err)
		}
		var stored string
		_ = d.QueryRowContext(ctx, `SELECT totp_secret FROM persons WHERE id = $1`, id).Scan(&stored)
		if strings.Contains(stored, secret) {
			t.Fatal("the secret is stored in the clear")
		}
		p, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "t")
		if err != nil || !p.NeedsMFA {
			t.Fatalf("sign-in: %+v %v", p, err)
		}
		code, _ := otptotp.GenerateCode(secret, e.clock.now())
		done, err := e.s.SecondFactor(ctx, p.Token, code)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := e.s.visitor(ctx, done.Token); !v.Actor.MFA {
			t.Fatal("no MFA after the code")
		}
	})
}
