package identity

import (
	"context"
	"strings"
	"testing"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

func TestEnableTOTPSecret(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		if err := e.s.EnableTOTPSecret(ctx, id, "not base32!"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad secret: %v", err)
		}
		if err := e.s.EnableTOTPSecret(ctx, id, "JBSWY3DP"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("short secret: %v", err)
		}
		if err := e.s.EnableTOTPSecret(ctx, id, secret); err != nil {
			t.Fatal(err)
		}
		audits := count(t, d, `SELECT count(*) FROM audit_log`)
		if err := e.s.EnableTOTPSecret(ctx, id, strings.ToLower(secret)); err != nil || count(t, d, `SELECT count(*) FROM audit_log`) != audits {
			t.Fatalf("same secret again: %v, or audited", err)
		}
		if err := e.s.EnableTOTPSecret(ctx, id, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"); !errs.Is(err, errs.Conflict) {
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
