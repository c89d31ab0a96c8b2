package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// pageWriter is the HTML error page a browser gets: title and message.
type pageWriter struct{}

func (pageWriter) ErrorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<h1>%s</h1><p>%s</p>", title, message)
}

// errServer serves handlers that return errors, behind the real router
// and middleware; log collects what the responder logs.
func errServer(t *testing.T, log *bytes.Buffer) http.Handler {
	t.Helper()
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	rs := &Responder{Cat: cat, Pages: pageWriter{}, Log: slog.New(slog.NewTextHandler(log, nil))}
	rt := NewRouter(rs)
	// A stale write: the file's current version and the fields at fault
	// travel with the error.
	rt.HandleErr("PUT /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("id") == "ok" {
			rs.JSON(w, r, http.StatusOK, map[string]int{"version": 8})
			return nil
		}
		return errs.E(errs.Conflict, "error.json.unknown_field").With("field", "name").OnField("name").
			WithFaults(errs.Fault{Field: "colour", Key: "error.json.unknown_field", Params: map[string]any{"field": "colour"}},
				errs.Fault{Field: "size", Key: "error.utf8"}).
			WithMember("current_version", 7).WithMember("status", 200).Cause(errors.New("version 6 is stale"))
	})
	rt.HandleErr("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.NotFound, "error.route").WithMember("current_version", 7)
	})
	rt.HandleErr("GET /api/v1/broken", func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("reading the disk: %w", errors.New("secret path /var/lib/madina"))
	})
	rt.HandleErr("GET /api/v1/half", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/csv")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "a,b\n")
		return errs.E(errs.Unavailable, "").Cause(errors.New("store went away mid-stream"))
	})
	rt.HandleLargeErr("POST /api/v1/uploads", 1<<10, func(w http.ResponseWriter, r *http.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return errs.E(errs.TooLarge, "error.body.too_large").With("max", "1 KB").Cause(err)
		}
		return errs.E(errs.Invalid, "error.utf8").OnField("file")
	})
	return Chain(rt, Options{Responder: rs})
}

func do(h http.Handler, method, target, accept, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Accept-Language", "en")
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestErrorHandlerWritesTheErrorsMembers(t *testing.T) {
	var log bytes.Buffer
	h := errServer(t, &log)
	w := do(h, "PUT", "/api/v1/things/6?lang=fr", "", "")
	if w.Code != http.StatusConflict || w.Header().Get("Content-Type") != "application/problem+json; charset=utf-8" ||
		w.Header().Get("Content-Language") != "fr" {
		t.Fatalf("%d %q %q: %s", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Language"), w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	rid := w.Header().Get("X-Request-ID")
	want := map[string]any{
		"type": "urn:madina:problem:conflict", "title": "Conflit", "status": float64(409),
		"detail": "Le champ « name » est inconnu.", "instance": "/api/v1/things/6", "code": "error.json.unknown_field",
		"request_id": rid,
		"errors": []any{
			map[string]any{"field": "name", "detail": "Le champ « name » est inconnu."},
			map[string]any{"field": "colour", "detail": "Le champ « colour » est inconnu."},
			map[string]any{"field": "size", "detail": "La demande contient du texte mal encodé (UTF-8 attendu)."},
		},
		// The extension member; "status" from the error could not
		// overwrite the problem's own.
		"current_version": float64(7),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problem\n got %v\nwant %v", got, want)
	}
	// Read back through Problem, the member lands in Extensions.
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 409 || len(p.Errors) != 3 || !reflect.DeepEqual(p.Extensions, map[string]any{"current_version": float64(7)}) {
		t.Errorf("Problem %+v", p)
	}
	// The cause is logged with the refusal, never shown.
	if strings.Contains(w.Body.String(), "stale") || !strings.Contains(log.String(), "version 6 is stale") {
		t.Errorf("cause: body %s, log %s", w.Body, log.String())
	}
}

func TestErrorHandlerLeavesSuccessAlone(t *testing.T) {
	w := do(errServer(t, &bytes.Buffer{}), "PUT", "/api/v1/things/ok", "", "")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"version":8}` || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// Browsers get the page, in their language; members are for programs.
func TestErrorHandlerGivesBrowsersThePage(t *testing.T) {
	w := do(errServer(t, &bytes.Buffer{}), "GET", "/things/3", "text/html", "")
	if w.Code != 404 || w.Body.String() != "<h1>Page not found</h1><p>There is no page at this address. Check the link or go back to the home page.</p>" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// A JSON client of the same route gets the problem with its member.
	w = do(errServer(t, &bytes.Buffer{}), "GET", "/things/3", "application/json", "")
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 404 || p.Extensions["current_version"] != float64(7) {
		t.Fatalf("%d %s (%v)", w.Code, w.Body, err)
	}
}

func TestErrorHandlerHidesUnknownErrors(t *testing.T) {
	var log bytes.Buffer
	w := do(errServer(t, &log), "GET", "/api/v1/broken?lang=en", "", "")
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if w.Code != 500 || p.Type != "urn:madina:problem:internal" || strings.Contains(w.Body.String(), "secret") ||
		!strings.Contains(p.Detail, "Something went wrong on our side") || !strings.Contains(log.String(), "secret path") {
		t.Fatalf("%d %s\nlog: %s", w.Code, w.Body, log.String())
	}
}

// Once a handler has started its response, a late error cannot change
// it: the response stays whole as written and the error is logged.
func TestErrorHandlerAfterTheResponseStarted(t *testing.T) {
	var log bytes.Buffer
	w := do(errServer(t, &log), "GET", "/api/v1/half", "", "")
	if w.Code != 200 || w.Body.String() != "a,b\n" || w.Header().Get("Content-Type") != "text/csv" || w.Header().Get("Retry-After") != "" {
		t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
	}
	if !strings.Contains(log.String(), "error after the response started") || !strings.Contains(log.String(), "mid-stream") {
		t.Fatalf("log: %s", log.String())
	}
}

func TestHandleLargeErrKeepsItsLimit(t *testing.T) {
	h := errServer(t, &bytes.Buffer{})
	w := do(h, "POST", "/api/v1/uploads", "", strings.Repeat("x", 2<<10))
	if w.Code != 413 {
		t.Fatalf("over the limit: %d %s", w.Code, w.Body)
	}
	w = do(h, "POST", "/api/v1/uploads", "", "small")
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "file" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// A problem without extensions is written as before; one with them keeps
// the standard members first and never lets a member replace one.
func TestProblemExtensionsJSON(t *testing.T) {
	// As the responder writes it: no HTML escaping.
	marshal := func(v any) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(b.String())
	}
	p := Problem{Type: "urn:madina:problem:conflict", Title: "<Conflict>", Status: 409, Detail: "d & e"}
	if b := marshal(p); b != `{"type":"urn:madina:problem:conflict","title":"<Conflict>","status":409,"detail":"d & e"}` {
		t.Fatal(b)
	}
	p.Extensions = map[string]any{"retry_after": 30, "current_version": 4, "type": "x", "errors": "y"}
	if b := marshal(p); b != `{"type":"urn:madina:problem:conflict","title":"<Conflict>","status":409,"detail":"d & e","current_version":4,"retry_after":30}` {
		t.Fatal(b)
	}
}
