// Package httpx is Madina's HTTP plumbing: the router that answers unknown
// routes and wrong methods in the caller's language, the middleware every
// request passes (request IDs, logs, metrics, security headers, language,
// recovery), and the one place where error kinds become HTTP statuses,
// problem+json bodies (RFC 9457) or HTML error pages.
package httpx

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// ErrorPages renders an HTML error page.
type ErrorPages interface {
	ErrorPage(w http.ResponseWriter, r *http.Request, status int, title, message string)
}

// Responder writes responses and errors.
type Responder struct {
	Cat   *i18n.Catalog
	Pages ErrorPages // nil: errors are always problem+json
	Log   *slog.Logger
}

// Status maps an error kind to its HTTP status. This is the only such map.
func Status(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.TooMany:
		return http.StatusTooManyRequests
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	case errs.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case errs.Incomplete:
		return http.StatusRequestTimeout
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ProblemType is the stable, machine-readable type URI of an error kind.
func ProblemType(k errs.Kind) string { return "urn:madina:problem:" + string(k) }

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Instance  string         `json:"instance,omitempty"`
	Code      string         `json:"code,omitempty"` // message key: finer than type
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
	// Extensions are further members, written beside the others (from
	// errs.Error.Members). A name the members above use is never
	// overwritten.
	Extensions map[string]any `json:"-"`
}

// problemJSON is Problem without its methods.
type problemJSON Problem

// MarshalJSON writes the extension members after the standard ones, in
// name order.
func (p Problem) MarshalJSON() ([]byte, error) {
	base, err := marshalNoEscape(problemJSON(p))
	if err != nil {
		return nil, err
	}
	ext := map[string]any{}
	for k, v := range p.Extensions {
		if !problemMembers[k] {
			ext[k] = v
		}
	}
	if len(ext) == 0 {
		return base, nil
	}
	more, err := marshalNoEscape(ext)
	if err != nil {
		return nil, err
	}
	// {"type":…} + {"k":…} → {"type":…,"k":…}
	return append(append(base[:len(base)-1], ','), more[1:]...), nil
}

// UnmarshalJSON reads the standard members into their fields and every
// other member into Extensions.
func (p *Problem) UnmarshalJSON(b []byte) error {
	var base problemJSON
	if err := json.Unmarshal(b, &base); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	*p = Problem(base)
	for k, raw := range all {
		if problemMembers[k] {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if p.Extensions == nil {
			p.Extensions = map[string]any{}
		}
		p.Extensions[k] = v
	}
	return nil
}

// problemMembers are the names Problem's own fields use.
var problemMembers = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(problemJSON{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ProblemField names a field at fault.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// WantsJSON reports whether the caller should get JSON rather than HTML.
func WantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "json") && !strings.Contains(acc, "text/html")
}

// Error answers err: its kind sets the status, its key the translated
// message, its field and faults the problem's "errors", its members the
// problem's extension members; the cause goes to the log only. Unknown
// errors are internal. HTML pages show the message (forms that show
// faults beside their fields do so themselves).
func (rs *Responder) Error(w http.ResponseWriter, r *http.Request, err error) {
	e := errs.As(err)
	if e == nil {
		e = errs.E(errs.Internal, "").Cause(err)
	}
	status := Status(e.Kind)
	lang := i18n.FromContext(r.Context())
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "60")
	}
	if status >= 500 {
		rs.log().ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "path", r.URL.Path, "err", err.Error())
	} else if e.Kind == errs.Incomplete {
		// A slow or cut line: worth watching, not an error of ours.
		rs.log().WarnContext(r.Context(), "request incomplete", "request_id", RequestID(r.Context()), "path", r.URL.Path, "err", err.Error())
	} else if e.Err != nil {
		rs.log().InfoContext(r.Context(), "request refused", "request_id", RequestID(r.Context()), "path", r.URL.Path, "kind", string(e.Kind), "err", e.Err.Error())
	}
	title := rs.Cat.T(lang, "error."+string(e.Kind)+".title")
	msg := rs.Cat.T(lang, "error."+string(e.Kind)+".message")
	if e.Key != "" && rs.Cat.Has(lang, e.Key) {
		msg = rs.Cat.TMap(lang, e.Key, e.Params)
	}
	if !WantsJSON(r) && rs.Pages != nil {
		rs.Pages.ErrorPage(w, r, status, title, msg)
		return
	}
	p := Problem{Type: ProblemType(e.Kind), Title: title, Status: status, Detail: msg,
		Instance: r.URL.Path, Code: e.Key, RequestID: RequestID(r.Context()), Extensions: e.Members}
	if e.Field != "" {
		p.Errors = []ProblemField{{Field: e.Field, Detail: msg}}
	}
	for _, f := range e.Faults {
		p.Errors = append(p.Errors, ProblemField{Field: f.Field, Detail: rs.Cat.TMap(lang, f.Key, f.Params)})
	}
	w.Header().Set("Content-Language", string(lang))
	rs.writeJSON(w, status, "application/problem+json", p)
}

// JSON writes v as a JSON response.
func (rs *Responder) JSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Language", string(i18n.FromContext(r.Context())))
	rs.writeJSON(w, status, "application/json", v)
}

func (rs *Responder) writeJSON(w http.ResponseWriter, status int, ctype string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		rs.log().Error("encode JSON response", "err", err.Error())
		http.Error(w, `{"status":500}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (rs *Responder) log() *slog.Logger {
	if rs.Log != nil {
		return rs.Log
	}
	return slog.Default()
}

// DecodeJSON reads one JSON value from r's body into v. The body must be
// application/json, valid UTF-8, at most max bytes, with no unknown fields
// and nothing after the value; every string in it passes textin.Clean
// (single-line unless its field is tagged `text:"multiline"`, see
// cleanJSON) and is stored in v cleaned. Failures are errs.Invalid /
// TooLarge / Unsupported with keys the catalogue explains.
func DecodeJSON(r *http.Request, v any, max int64) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
		return errs.E(errs.Unsupported, "error.json.content_type")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "error.body.too_large").With("max", humanBytes(mbe.Limit)).Cause(err)
		}
		return errs.E(errs.Invalid, "error.body.read").Cause(err)
	}
	if int64(len(body)) > max {
		return errs.E(errs.TooLarge, "error.body.too_large").With("max", humanBytes(max))
	}
	if !utf8.Valid(body) {
		return errs.E(errs.Invalid, "error.utf8")
	}
	if err := checkEscapes(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errs.E(errs.Invalid, "error.json.field_type").With("field", ute.Field).OnField(ute.Field).Cause(err)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return errs.E(errs.Invalid, "error.json.unknown_field").With("field", f).OnField(f).Cause(err)
		}
		return errs.E(errs.Invalid, "error.json.malformed").Cause(err)
	}
	if dec.More() {
		return errs.E(errs.Invalid, "error.json.trailing")
	}
	return cleanJSON(reflect.ValueOf(v), "", "")
}

func humanBytes(n int64) string {
	const mb = 1 << 20
	if n >= mb && n%mb == 0 {
		return strconv.FormatInt(n/mb, 10) + " MB"
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.FormatInt(n/(1<<10), 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// Messages holds the texts of the HTTP errors.
//
//go:embed messages/*.json
var Messages embed.FS
