package apptest

import (
	"context"
	"io"
	"testing"

	"madina/internal/app"
	"madina/internal/district"
	"madina/internal/identity/identitydemo"
	"madina/internal/module"
	"madina/internal/platform/db"
)

// CheckedAPI is an API client of the application a served at base, with
// token (none when ""), whose every /api/v1 answer is checked against the
// document a serves (see Checked): a response that disagrees fails t, so
// that a test of the API checks the contract of every response it gets,
// refusals included.
func CheckedAPI(t testing.TB, a *app.App, base, token string) APIClient {
	t.Helper()
	return APIClient{T: t, Base: base, Token: token, Client: Checked(t, a, nil)}
}

// Accounts builds the real application, as New does, with Casablanca's
// territorial reference and the demonstration's accounts (identitydemo:
// citizens, professionals, staff, their companies), but none of the
// demonstration's permit files or mandates: for tests whose people must
// start with nothing filed, where Demo would bring files of their own.
func Accounts(t testing.TB, e db.Engine, opts ...Option) *app.App {
	t.Helper()
	a := New(t, e, opts...)
	ctx := context.Background()
	if _, err := a.LoadReference(ctx, district.Casablanca(), "test"); err != nil {
		t.Fatalf("LoadReference: %v", err)
	}
	// The accounts' loader needs only the two services it enrols through.
	env := &module.Env{}
	env.Provide("identity", a.Identity)
	env.Provide("staff", a.Staff)
	if err := identitydemo.Load(ctx, env, io.Discard); err != nil {
		t.Fatalf("identitydemo.Load: %v", err)
	}
	return a
}
