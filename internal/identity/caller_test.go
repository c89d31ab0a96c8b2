package identity

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// TestMiddlewareSetsTheCaller checks what other capabilities read of a
// request's visitor (authz.FromContext, their only way to know it): the
// actor of a signed-in session, nobody for a visitor without one, and
// nobody, but pending, for a session still owing the second factor.
func TestMiddlewareSetsTheCaller(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mw := &Middleware{Service: e.s}
		callerOf := func(token string) authz.Caller {
			t.Helper()
			var got authz.Caller
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = authz.FromContext(r.Context()) }))
			r := httptest.NewRequest(http.MethodGet, "/files", nil)
			if token != "" {
				r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("middleware answered %d", w.Code)
			}
			return got
		}
		if c := callerOf(""); c.SignedIn || c.Pending || !c.Actor.Anonymous() {
			t.Fatalf("no session: %+v", c)
		}
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		r, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "phone")
		if err != nil {
			t.Fatal(err)
		}
		if c := callerOf(r.Token); !c.SignedIn || c.Pending || c.Actor.Person != id || !c.Actor.EmailVerified {
			t.Fatalf("signed in as %d: %+v", id, c)
		}
		enrol, err := e.s.BeginTOTP(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := otptotp.GenerateCode(enrol.Secret, e.clock.now())
		if _, err := e.s.ConfirmTOTP(ctx, id, r.Token, code); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "laptop")
		if err != nil || !p.NeedsMFA {
			t.Fatalf("sign-in with 2FA: %+v %v", p, err)
		}
		if c := callerOf(p.Token); c.SignedIn || !c.Pending || !c.Actor.Anonymous() {
			t.Fatalf("second factor owed: %+v", c)
		}
	})
}
