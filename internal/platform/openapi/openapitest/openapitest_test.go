package openapitest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/platform/openapi/openapitest"
)

const doc = `{
  "openapi": "3.1.0",
  "info": {"title": "T", "version": "1"},
  "paths": {
    "/api/things/{id}": {
      "get": {"operationId": "get", "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}},
        "4XX": {"$ref": "#/components/responses/Problem"}
      }},
      "delete": {"operationId": "del", "responses": {"204": {"description": "gone"}}},
      "put": {"operationId": "put", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}, "4XX": {"$ref": "#/components/responses/Problem"}}}
    },
    "/api/things/new": {
      "get": {"operationId": "new", "responses": {"200": {"description": "a PDF", "content": {"application/pdf": {}}}}}
    }
  },
  "components": {
    "responses": {"Problem": {"description": "problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
    "schemas": {
      "Problem": {"type": "object", "required": ["status", "detail"], "properties": {"status": {"type": "integer"}, "detail": {"type": "string"}}},
      "Thing": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}},
      "Detail": {"allOf": [{"$ref": "#/components/schemas/Thing"}, {"type": "object", "properties": {"parts": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}]}
    }
  }
}`

func TestResponse(t *testing.T) {
	v, err := openapitest.New([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	js := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	problem := http.Header{"Content-Type": {"application/problem+json"}}
	pdf := http.Header{"Content-Type": {"application/pdf"}}
	for _, c := range []struct {
		name, method, path string
		status             int
		h                  http.Header
		body, want         string // want "" means valid
	}{
		{"valid", "GET", "/api/things/7", 200, js, `{"id": 7, "name": "a", "at": "2026-01-02T03:04:05Z", "parts": [{"id": 8, "name": "b"}]}`, ""},
		{"wrong type", "GET", "/api/things/7", 200, js, `{"id": "7", "name": "a"}`, "/id"},
		{"missing required", "GET", "/api/things/7", 200, js, `{"id": 7}`, "name"},
		{"undocumented member", "GET", "/api/things/7", 200, js, `{"id": 7, "name": "a", "secret": 1}`, "secret"},
		{"undocumented member in a part", "GET", "/api/things/7", 200, js, `{"id": 7, "name": "a", "parts": [{"id": 8, "name": "b", "x": 1}]}`, "x"},
		{"bad format", "GET", "/api/things/7", 200, js, `{"id": 7, "name": "a", "at": "yesterday"}`, "date-time"},
		{"not JSON", "GET", "/api/things/7", 200, js, `{"id": 7,`, "not JSON"},
		{"wrong content type", "GET", "/api/things/7", 200, http.Header{"Content-Type": {"text/html"}}, `<p>`, "text/html is not among"},
		{"problem through a 4XX $ref", "GET", "/api/things/7", 404, problem, `{"status": 404, "detail": "no"}`, ""},
		{"bad problem", "GET", "/api/things/7", 404, problem, `{"status": "404"}`, "disagrees"},
		{"undocumented status", "GET", "/api/things/7", 500, problem, `{"status": 500, "detail": "x"}`, "status 500 is not documented"},
		{"no content", "DELETE", "/api/things/7", 204, http.Header{}, ``, ""},
		{"body where none is documented", "DELETE", "/api/things/7", 204, js, `{}`, "documents no content"},
		{"literal path before a parameter", "GET", "/api/things/new", 200, pdf, "%PDF-1.7", ""},
		{"undocumented operation", "POST", "/api/things/7", 200, js, `{}`, "not in the document"},
		{"undocumented path", "GET", "/api/other", 200, js, `{}`, "not in the document"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := v.Response(c.method, c.path, c.status, c.h, []byte(c.body))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("valid response refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	v, err := openapitest.New([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	js := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		name, method string
		h            http.Header
		body, want   string
	}{
		{"valid", "PUT", js, `{"id": 1, "name": "a"}`, ""},
		{"wrong type", "PUT", js, `{"id": 1, "name": 2}`, "/name"},
		{"undocumented member", "PUT", js, `{"id": 1, "name": "a", "extra": true}`, "extra"},
		{"required body missing", "PUT", js, ``, "requires"},
		{"undocumented content type", "PUT", http.Header{"Content-Type": {"text/plain"}}, `x`, "text/plain is not documented"},
		{"body where none is documented", "DELETE", js, `{}`, "the document none"},
		{"no body, none documented", "DELETE", http.Header{}, ``, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := v.Request(c.method, "/api/things/7", c.h, []byte(c.body))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("valid request refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// fakeT records what the client reports, to test that it reports.
type fakeT struct {
	testing.TB
	errs []string
}

func (f *fakeT) Errorf(format string, args ...any) { f.errs = append(f.errs, format) }
func (f *fakeT) Helper()                           {}

func TestClientChecksEveryResponseUnderThePrefix(t *testing.T) {
	v, err := openapitest.New([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id": 7, "name": "a"}`
	var got string // the last request body the server received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	ft := &fakeT{TB: t}
	c := v.Client(ft, nil, "/api/")
	get := func(path string) string {
		res, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if got := get("/api/things/7"); got != body || len(ft.errs) != 0 {
		t.Fatalf("valid response: body %q, reports %v", got, ft.errs)
	}
	body = `{"id": 7, "name": 3}` // a planted wrong field
	if got := get("/api/things/7"); got != body || len(ft.errs) != 1 {
		t.Fatalf("wrong field: body %q, reports %v", got, ft.errs)
	}
	get("/elsewhere") // outside the prefix: not checked
	if len(ft.errs) != 1 {
		t.Fatalf("a response outside the prefix was checked: %v", ft.errs)
	}
	// The body of an accepted request is checked too, and still sent.
	body = `{"id": 7, "name": "a"}`
	put := func(in string) {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/things/7", strings.NewReader(in))
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	put(`{"id": 7, "name": "a"}`)
	if len(ft.errs) != 1 || got != `{"id": 7, "name": "a"}` {
		t.Fatalf("valid request: received %q, reports %v", got, ft.errs)
	}
	put(`{"id": 7, "nom": "a"}`)
	if len(ft.errs) != 2 {
		t.Fatalf("an accepted request outside the document passed: %v", ft.errs)
	}
}
