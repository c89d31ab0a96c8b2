// Package openapitest checks real HTTP responses against an OpenAPI 3.1
// document, for tests: the operation must be documented, the status among
// its responses, the content type among that response's media types and a
// JSON body valid against its schema (JSON Schema 2020-12, checked by
// github.com/santhosh-tekuri/jsonschema). It is strict where the document
// is silent: an object schema that lists properties and says nothing of
// others refuses undocumented members, so a field the API adds without
// documenting it fails the tests too.
package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const docURL = "mem://openapi.json"

// Validator holds one document, its schemas compiled on first use.
type Validator struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	ops      []operation

	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

type operation struct {
	method   string
	segments []string // "{id}" for a parameter
	pointer  string   // JSON pointer to the operation object
	template string
}

// New parses an OpenAPI document.
func New(doc []byte) (*Validator, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapitest: the document is not an object")
	}
	strict(root)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, root); err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	val := &Validator{doc: root, compiler: c, compiled: map[string]*jsonschema.Schema{}}
	paths, _ := root["paths"].(map[string]any)
	for tmpl, item := range paths {
		ops, _ := item.(map[string]any)
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options":
				val.ops = append(val.ops, operation{method: strings.ToUpper(m), template: tmpl,
					segments: strings.Split(tmpl, "/"), pointer: "/paths/" + escape(tmpl) + "/" + m})
			}
		}
	}
	// Literal segments win over parameters: /files/new before /files/{id}.
	sort.Slice(val.ops, func(i, j int) bool {
		return strings.Count(val.ops[i].template, "{") < strings.Count(val.ops[j].template, "{")
	})
	return val, nil
}

// strict adds unevaluatedProperties: false to every schema object that
// lists properties and leaves additional ones unspecified. A schema built
// with allOf gets it on the whole instead of on its parts (a part sees only
// its own properties), and a component it names gets a loose twin,
// NAME.loose, for that use.
func strict(root map[string]any) {
	comps, _ := root["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	orig := map[string]any{}
	for n, sch := range schemas {
		orig[n] = deepCopy(sch)
	}
	loose := map[string]bool{}
	strictSchema(root, true, loose)
	for n := range loose {
		if sch, ok := orig[n]; ok {
			strictSchema(sch, false, map[string]bool{})
			schemas[n+looseSuffix] = sch
		}
	}
}

const looseSuffix = ".loose"

func strictSchema(v any, self bool, loose map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		_, a := x["additionalProperties"]
		_, u := x["unevaluatedProperties"]
		_, props := x["properties"].(map[string]any)
		parts, all := x["allOf"].([]any)
		if self && !a && !u && (props || all) {
			x["unevaluatedProperties"] = false
		}
		for k, e := range x {
			if k == "allOf" {
				continue
			}
			strictSchema(e, true, loose)
		}
		if all {
			for _, p := range parts {
				pm, _ := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok && strings.HasPrefix(ref, "#/components/schemas/") {
					loose[strings.TrimPrefix(ref, "#/components/schemas/")] = true
					pm["$ref"] = ref + looseSuffix
					continue
				}
				strictSchema(p, false, loose)
			}
		}
	case []any:
		for _, e := range x {
			strictSchema(e, true, loose)
		}
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// find returns the documented operation serving method and path.
func (v *Validator) find(method, path string) (operation, bool) {
	segs := strings.Split(path, "/")
	for _, op := range v.ops {
		if op.method != method || len(op.segments) != len(segs) {
			continue
		}
		match := true
		for i, s := range op.segments {
			if !(strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && segs[i] != "") && s != segs[i] {
				match = false
				break
			}
		}
		if match {
			return op, true
		}
	}
	return operation{}, false
}

// at follows a JSON pointer from the document's root.
func (v *Validator) at(pointer string) any {
	var cur any = v.doc
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[tok]
	}
	return cur
}

// deref follows a local $ref (a response object may be one).
func (v *Validator) deref(pointer string) (string, map[string]any) {
	for range 8 {
		m, _ := v.at(pointer).(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return pointer, m
		}
		pointer = strings.TrimPrefix(ref, "#")
	}
	return pointer, nil
}

// Response checks one response to method path (without the query).
func (v *Validator) Response(method, path string, status int, header http.Header, body []byte) error {
	op, ok := v.find(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not in the document", method, path)
	}
	where := method + " " + op.template
	code := strconv.Itoa(status)
	var rp string
	for _, key := range []string{code, code[:1] + "XX", "default"} {
		if v.at(op.pointer+"/responses/"+key) != nil {
			rp = op.pointer + "/responses/" + key
			break
		}
	}
	if rp == "" {
		return fmt.Errorf("%s: status %d is not documented (body %.300s)", where, status, body)
	}
	rp, resp := v.deref(rp)
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 && method != http.MethodHead {
			return fmt.Errorf("%s: %d documents no content, the response has %d bytes of %s", where, status, len(body), header.Get("Content-Type"))
		}
		return nil
	}
	ct := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%s: %d: content type %q: %v", where, status, ct, err)
	}
	key := mt
	if content[key] == nil {
		key = "*/*"
		if content[key] == nil {
			key = strings.Split(mt, "/")[0] + "/*"
		}
	}
	if content[key] == nil {
		var have []string
		for k := range content {
			have = append(have, k)
		}
		sort.Strings(have)
		return fmt.Errorf("%s: %d: content type %s is not among %v", where, status, mt, have)
	}
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil
	}
	media, _ := content[key].(map[string]any)
	if media["schema"] == nil {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %d: the body is not JSON: %v", where, status, err)
	}
	sch, err := v.schema(rp + "/content/" + escape(key) + "/schema")
	if err != nil {
		return fmt.Errorf("%s: %d: %v", where, status, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s: %d: the body disagrees with the document: %v\nbody: %.2000s", where, status, err, body)
	}
	return nil
}

// Request checks the body of a request the API accepted: the operation
// must document a request body of its content type, and a JSON body must
// be valid against its schema. (A refused request may be malformed on
// purpose; only what the API takes must be what the document promises.)
func (v *Validator) Request(method, path string, header http.Header, body []byte) error {
	op, ok := v.find(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not in the document", method, path)
	}
	where := method + " " + op.template
	bp, rb := v.deref(op.pointer + "/requestBody")
	content, _ := rb["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			return fmt.Errorf("%s: the request has a body of %d bytes and the document none", where, len(body))
		}
		return nil
	}
	if len(body) == 0 {
		if req, _ := rb["required"].(bool); req {
			return fmt.Errorf("%s: accepted without the body the document requires", where)
		}
		return nil
	}
	ct := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%s: request content type %q: %v", where, ct, err)
	}
	key := mt
	if content[key] == nil {
		key = "*/*"
		if content[key] == nil {
			key = strings.Split(mt, "/")[0] + "/*"
		}
	}
	if content[key] == nil {
		return fmt.Errorf("%s: request content type %s is not documented", where, mt)
	}
	media, _ := content[key].(map[string]any)
	if (mt != "application/json" && !strings.HasSuffix(mt, "+json")) || media["schema"] == nil {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: the accepted request body is not JSON: %v", where, err)
	}
	sch, err := v.schema(bp + "/content/" + escape(key) + "/schema")
	if err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s: the accepted request body disagrees with the document: %v\nbody: %.2000s", where, err, body)
	}
	return nil
}

func (v *Validator) schema(pointer string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s := v.compiled[pointer]; s != nil {
		return s, nil
	}
	s, err := v.compiler.Compile(docURL + "#" + pointer)
	if err != nil {
		return nil, err
	}
	v.compiled[pointer] = s
	return s, nil
}

// Client returns a copy of c (http.DefaultClient when nil) whose every
// response under prefix is checked against the document, and the body of
// every request the API accepted (2xx) too; a mismatch fails t (without
// stopping it) and the response reaches the caller unchanged.
func (v *Validator) Client(t testing.TB, c *http.Client, prefix string) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	next := cc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cc.Transport = roundTripper(func(req *http.Request) (*http.Response, error) {
		if !strings.HasPrefix(req.URL.Path, prefix) {
			return next.RoundTrip(req)
		}
		var sent []byte
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return nil, err
			}
			sent = b
			req = req.Clone(req.Context())
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.ContentLength = int64(len(b))
		}
		res, err := next.RoundTrip(req)
		if err != nil {
			return res, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		if err := v.Response(req.Method, req.URL.Path, res.StatusCode, res.Header, body); err != nil {
			t.Errorf("OpenAPI contract: %v", err)
		}
		if res.StatusCode/100 == 2 {
			if err := v.Request(req.Method, req.URL.Path, req.Header, sent); err != nil {
				t.Errorf("OpenAPI contract: %v", err)
			}
		}
		return res, nil
	})
	return &cc
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
