package permit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// apiServer is the files API behind the real router and responder, with
// the message catalogues it speaks.
func apiServer(t *testing.T, e *env) (*httpx.Router, *i18n.Catalog) {
	t.Helper()
	cat, err := i18n.Load(httpx.Messages, authz.Messages, Messages)
	if err != nil {
		t.Fatal(err)
	}
	rs := &httpx.Responder{Cat: cat}
	rt := httpx.NewRouter(rs)
	h := &FileHandlers{Service: e.s, Cat: cat, Resp: rs}
	h.APIRoutes(rt)
	return rt, cat
}

// as sends a request as a signed-in actor, in a language.
func as(rt http.Handler, a authz.Actor, method, target string, lang i18n.Lang) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	ctx := identity.WithVisitor(r.Context(), &identity.Visitor{Actor: a})
	r = r.WithContext(i18n.WithLang(ctx, lang))
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, r)
	return w
}

// An incomplete file's submission answers one problem listing every
// missing item, each in the caller's language, with the members every
// problem has and no others.
func TestAPIIncompleteSubmitListsWhatIsMissing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		rt, cat := apiServer(t, e)
		arch := e.architectActor()
		f, err := e.s.Create(context.Background(), arch, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.s.View(context.Background(), arch, f.ID)
		if err != nil || len(v.Missing) == 0 {
			t.Fatalf("view: %v, missing %v", err, v.Missing)
		}
		path := fmt.Sprintf("/api/v1/files/%d/submit", f.ID)
		w := as(rt, arch, "POST", path, i18n.FR)
		if w.Code != http.StatusBadRequest || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		var p map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range p {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"code", "detail", "errors", "instance", "status", "title", "type"}; !slices.Equal(keys, want) {
			t.Errorf("members %v, want %v", keys, want)
		}
		want := map[string]any{"type": "urn:madina:problem:invalid", "title": cat.T(i18n.FR, "error.invalid.title"),
			"status": float64(400), "instance": path, "code": "permit.error.incomplete",
			"detail": cat.TMap(i18n.FR, "permit.error.incomplete", map[string]any{"count": len(v.Missing)})}
		for k, x := range want {
			if p[k] != x {
				t.Errorf("%s = %v, want %v", k, p[k], x)
			}
		}
		list, _ := p["errors"].([]any)
		if len(list) != len(v.Missing) {
			t.Fatalf("errors %v, want one per missing item %v", list, v.Missing)
		}
		for i, item := range v.Missing {
			got, _ := list[i].(map[string]any)
			if got["field"] != "documents."+item || got["detail"] != cat.T(i18n.FR, "permit.error.missing_document") {
				t.Errorf("errors[%d] = %v, want documents.%s", i, got, item)
			}
		}
	})
}

// A form error is shown on its page with the one map's status. The
// removed second map (statusOf) gave the same statuses for every kind a
// form error can carry; it differed only for kinds that never reach a
// form (not found, sign-in, unavailable, internal…: it said 400), which
// take the error page with their own status, as they did. Both are pinned
// here.
func TestFormErrorsKeepTheirStatus(t *testing.T) {
	cases := []struct {
		kind   errs.Kind
		key    string
		form   bool // shown on the form, else on the error page
		status int
	}{
		{errs.Invalid, "permit.error.field", true, 400},
		{errs.Conflict, "permit.error.stale", true, 409},
		{errs.Forbidden, "permit.error.no_mandate", true, 403},
		{errs.Forbidden, "error.authz.architect", true, 403},
		{errs.Forbidden, "error.authz.unverified_professional", true, 403},
		{errs.TooLarge, "error.blob.too_large", true, 413},
		{errs.TooMany, "permit.error.rate", true, 429},
		{errs.Unsupported, "error.blob.type", true, 415},
		// Refusals that are not about the form's choices, and failures.
		{errs.Forbidden, "error.authz.mfa", false, 403},
		{errs.Forbidden, "error.authz.conflict", false, 403},
		{errs.NotFound, "permit.error.file_not_found", false, 404},
		{errs.Unauthenticated, "error.authz.signin", false, 401},
		{errs.Incomplete, "", false, 408},
		{errs.Unavailable, "", false, 503},
		{errs.Internal, "", false, 500},
	}
	for _, c := range cases {
		e := errs.E(c.kind, c.key)
		if userError(e) != c.form || httpx.Status(c.kind) != c.status {
			t.Errorf("%s %s: on the form %v, status %d; want %v, %d", c.kind, c.key, userError(e), httpx.Status(c.kind), c.form, c.status)
		}
	}
}
