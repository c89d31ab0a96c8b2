package openapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"madina/internal/platform/openapi"
)

const base = `{
  "openapi": "3.1.0",
  "info": {"title": "T", "version": "1"},
  "tags": [{"name": "meta"}],
  "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}},
  "components": {"schemas": {"Problem": {"type": "object"}}}
}`

func TestMergeAddsPathsComponentsAndTags(t *testing.T) {
	f1 := `{
  "tags": [{"name": "files"}],
  "paths": {
    "/a": {"post": {"operationId": "a2", "responses": {"201": {"description": "made"}}}},
    "/b/{id}": {"parameters": [{"name": "id", "in": "path", "required": true}], "get": {"operationId": "b", "responses": {"200": {"description": "ok"}}}}
  },
  "components": {"schemas": {"File": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 9007199254740993}}}, "Problem": {"type": "object"}}}
}`
	f2 := `{
  "tags": [{"name": "files"}],
  "paths": {"/b/{id}": {"parameters": [{"name": "id", "in": "path", "required": true}], "delete": {"operationId": "b2", "responses": {"204": {"description": "gone"}}}}},
  "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
}`
	out, err := openapi.Merge([]byte(base), []byte(f1), []byte(f2))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "T", "version": "1"},
		"tags":    []any{map[string]any{"name": "meta"}, map[string]any{"name": "files"}},
		"paths": map[string]any{
			"/a": map[string]any{
				"get":  map[string]any{"operationId": "a", "responses": map[string]any{"200": map[string]any{"description": "ok"}}},
				"post": map[string]any{"operationId": "a2", "responses": map[string]any{"201": map[string]any{"description": "made"}}},
			},
			"/b/{id}": map[string]any{
				"parameters": []any{map[string]any{"name": "id", "in": "path", "required": true}},
				"get":        map[string]any{"operationId": "b", "responses": map[string]any{"200": map[string]any{"description": "ok"}}},
				"delete":     map[string]any{"operationId": "b2", "responses": map[string]any{"204": map[string]any{"description": "gone"}}},
			},
		},
		"components": map[string]any{
			"schemas": map[string]any{
				"Problem": map[string]any{"type": "object"},
				"File":    map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer", "maximum": 9007199254740993.0}}},
			},
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("merged document (-want +got):\n%s", d)
	}
	// Numbers are kept as written, not rounded through float64.
	if !strings.Contains(string(out), "9007199254740993") {
		t.Fatalf("a large number was rounded:\n%s", out)
	}
	// The base is not changed by a merge.
	again, err := openapi.Merge([]byte(base))
	if err != nil || strings.Contains(string(again), "/b/{id}") {
		t.Fatalf("merge of the base alone: %v\n%s", err, again)
	}
}

func TestMergeRefusesConflicts(t *testing.T) {
	for _, c := range []struct{ name, frag, want string }{
		{"same operation twice", `{"paths": {"/a": {"get": {"operationId": "other"}}}}`, "get /a is described twice"},
		{"component defined differently", `{"components": {"schemas": {"Problem": {"type": "string"}}}}`, "components.schemas.Problem is defined twice, differently"},
		{"path parameters differ", `{"paths": {"/a": {"parameters": [{"name": "x"}]}}}`, ""},
		{"unknown member", `{"info": {"title": "X"}}`, `"info" has no place in a fragment`},
		{"paths not an object", `{"paths": []}`, "paths is not an object"},
		{"tag redefined", `{"tags": [{"name": "meta", "description": "other"}]}`, "tag meta is defined twice, differently"},
		{"not JSON", `{"paths": `, "fragment 1"},
		{"not an object", `[]`, "fragment 1"},
		{"trailing text", `{} {}`, "text after the JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := openapi.Merge([]byte(base), []byte(c.frag))
			if c.want == "" {
				// Path-level parameters added to a path that had none are
				// fine; a second, different list is not.
				if err != nil {
					t.Fatalf("first parameters: %v", err)
				}
				_, err = openapi.Merge(out, []byte(`{"paths": {"/a": {"parameters": [{"name": "y"}]}}}`))
				c.want = "path /a: path-level parameters differ"
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := openapi.Merge([]byte(`{"paths": 1}`)); err == nil {
		t.Fatal("a base whose paths is not an object was accepted")
	}
}
