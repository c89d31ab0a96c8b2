package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"madina/internal/app"
	"madina/internal/district"
	"madina/internal/identity/identitydemo"
	"madina/internal/module"
	"madina/internal/platform/db"
)

// API is an APIClient whose requests go through Client instead of
// http.DefaultClient; CheckedAPI's Client validates every /api/v1 answer
// against the OpenAPI document, so that a test of the API checks the
// contract of every response it gets, refusals included.
type API struct {
	APIClient
	Client *http.Client
}

// CheckedAPI is an API client of the application a served at base, with
// token (none when ""), whose every /api/v1 answer is checked against the
// document a serves (see Checked): a response that disagrees fails t.
func CheckedAPI(t testing.TB, a *app.App, base, token string) API {
	t.Helper()
	return API{APIClient: APIClient{T: t, Base: base, Token: token}, Client: Checked(t, a, nil)}
}

// As is the same client with another token ("" for none): another
// person, or the same person with other scopes.
func (c API) As(token string) API {
	c.Token = token
	return c
}

// Call sends body with content type ctype; a successful answer is decoded
// into out when out is not nil.
func (c API) Call(method, path, ctype string, body io.Reader, out any) (int, string) {
	c.T.Helper()
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		c.T.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.Client.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.T.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode, string(b)
}

// JSON sends in as JSON (no body when nil).
func (c API) JSON(method, path string, in, out any) (int, string) {
	c.T.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	return c.Call(method, path, "application/json", body, out)
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
