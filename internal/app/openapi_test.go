package app_test

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
)

type openapiDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

// TestOpenAPIMatchesRoutes fails when a route under /api/v1 is missing from
// the document or the document lists an operation no handler serves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	r := apptest.Do(t, a.Handler, "GET", "/api/v1/openapi.json", nil)
	if r.Code != 200 {
		t.Fatalf("openapi.json: %d", r.Code)
	}
	var doc openapiDoc
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	var documented, served []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	for _, rt := range a.Router.Routes() {
		if method, path, ok := strings.Cut(rt, " "); ok && strings.HasPrefix(path, "/api/") {
			served = append(served, method+" "+path)
		}
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Fatalf("document and routes differ\ndocumented:\n%s\nserved:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
	// Every $ref resolves and every operation is complete.
	refs := map[string]bool{}
	collectRefs([]byte(r.Body), refs)
	for ref := range refs {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if len(parts) != 2 || doc.Components[parts[0]][parts[1]] == nil {
			t.Errorf("unresolved $ref %s", ref)
		}
	}
	ids := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			var op struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
				Parameters  []struct{ Name, In string }
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			if op.OperationID == "" || ids[op.OperationID] || len(op.Responses) == 0 {
				t.Errorf("%s %s: operationId %q missing or repeated, or no responses", m, p, op.OperationID)
			}
			ids[op.OperationID] = true
		}
	}
	// Every documented public GET without path or required query
	// parameters answers 200 with JSON (the ones needing a token or
	// parameters are tested elsewhere).
	skip := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			var op struct {
				Security   []map[string][]string `json:"security"`
				Parameters []struct {
					In       string `json:"in"`
					Required bool   `json:"required"`
				} `json:"parameters"`
			}
			_ = json.Unmarshal(raw, &op)
			if len(op.Security) > 0 {
				skip[strings.ToUpper(m)+" "+p] = true
			}
			for _, prm := range op.Parameters {
				if prm.In == "query" && prm.Required {
					skip[strings.ToUpper(m)+" "+p] = true
				}
			}
		}
	}
	for _, d := range documented {
		m, p, _ := strings.Cut(d, " ")
		if m != "GET" || strings.Contains(p, "{") || skip[d] {
			continue
		}
		r := apptest.Do(t, a.Handler, "GET", p, nil)
		if r.Code != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %s", p, r.Code, r.Header.Get("Content-Type"))
		}
		if err := apptest.Contract(t, a).Response("GET", p, r.Code, r.Header, []byte(r.Body)); err != nil {
			t.Errorf("GET %s: the response disagrees with the document: %v", p, err)
		}
	}
}

func collectRefs(b []byte, refs map[string]bool) {
	var v any
	_ = json.Unmarshal(b, &v)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "$ref" {
					refs[s] = true
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

// TestOpenAPIKeepsEveryOperationAndSchema checks that the document merged
// from the capabilities' fragments still describes every operation and
// every component of the single document it replaced
// (testdata/openapi-before-fragments.json, kept as it was served).
func TestOpenAPIKeepsEveryOperationAndSchema(t *testing.T) {
	t.Parallel()
	before, err := os.ReadFile("testdata/openapi-before-fragments.json")
	if err != nil {
		t.Fatal(err)
	}
	merged := apptest.New(t, db.SQLite).OpenAPI() // merged by New from the modules' fragments
	var was, is openapiDoc
	if err := json.Unmarshal(before, &was); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(merged, &is); err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, ops := range was.Paths {
		for m := range ops {
			n++
			if is.Paths[p][m] == nil {
				t.Errorf("%s %s is no longer documented", m, p)
			}
		}
	}
	for section, entries := range was.Components {
		for name := range entries {
			n++
			if is.Components[section][name] == nil {
				t.Errorf("components.%s.%s is no longer defined", section, name)
			}
		}
	}
	if n < 60 {
		t.Fatalf("only %d operations and components read from the old document", n)
	}
}
