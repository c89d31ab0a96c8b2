package httpx

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

func testResponder(t *testing.T) *Responder {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	return &Responder{Cat: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// A JSON endpoint behind the real router and middleware.
func echoServer(t *testing.T) http.Handler {
	rs := testResponder(t)
	rt := NewRouter(rs)
	rt.HandleFunc("POST /api/v1/echo", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		}
		if err := DecodeJSON(r, &in, 1024); err != nil {
			rs.Error(w, r, err)
			return
		}
		rs.JSON(w, r, 200, in)
	})
	rt.HandleFunc("GET /api/v1/panic", func(w http.ResponseWriter, r *http.Request) { panic("secret internals") })
	return Chain(rt, Options{Responder: rs})
}

func TestDecodeJSONRefusesBadInput(t *testing.T) {
	h := echoServer(t)
	cases := []struct {
		name, ctype, body, lang string
		status                  int
		code, detail            string
	}{
		{"ok", "application/json", `{"name":"الدار البيضاء","count":2}`, "ar", 200, "", ""},
		{"malformed", "application/json", `{"name":`, "fr", 400, "error.json.malformed", "mal formé"},
		{"unknown field", "application/json", `{"nom":"x"}`, "en", 400, "error.json.unknown_field", "“nom”"},
		{"wrong type", "application/json", `{"count":"two"}`, "ar", 400, "error.json.field_type", "«count»"},
		{"two values", "application/json", `{} {}`, "en", 400, "error.json.trailing", "single JSON value"},
		{"invalid UTF-8", "application/json", "{\"name\":\"\xff\xfe\"}", "fr", 400, "error.utf8", "UTF-8"},
		{"not JSON", "text/plain", `{}`, "en", 415, "error.json.content_type", "application/json"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", 2000) + `"}`, "fr", 413, "error.body.too_large", "1 KB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/echo?lang="+c.lang, strings.NewReader(c.body))
			r.Header.Set("Content-Type", c.ctype)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.status == 200 {
				if !strings.Contains(w.Body.String(), "الدار البيضاء") {
					t.Fatalf("echo lost Arabic: %s", w.Body)
				}
				return
			}
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != c.code || !strings.Contains(p.Detail, c.detail) || w.Header().Get("Content-Language") != c.lang {
				t.Fatalf("problem %+v, Content-Language %q", p, w.Header().Get("Content-Language"))
			}
		})
	}
}

func TestPanicBecomesTranslated500WithoutInternals(t *testing.T) {
	h := echoServer(t)
	r := httptest.NewRequest("GET", "/api/v1/panic?lang=en", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret") || !strings.Contains(w.Body.String(), "Something went wrong on our side") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestStatusMapCoversEveryKind(t *testing.T) {
	want := map[errs.Kind]int{errs.Invalid: 400, errs.Unauthenticated: 401, errs.Forbidden: 403, errs.NotFound: 404,
		errs.MethodNotAllowed: 405, errs.Conflict: 409, errs.TooLarge: 413, errs.Unsupported: 415, errs.TooMany: 429, errs.Internal: 500}
	cat, _ := i18n.Load(Messages)
	for k, s := range want {
		if Status(k) != s {
			t.Errorf("%s → %d, want %d", k, Status(k), s)
		}
		for _, l := range i18n.Langs {
			if !cat.Has(l, "error."+string(k)+".title") || !cat.Has(l, "error."+string(k)+".message") {
				t.Errorf("%s: no title/message in %s", k, l)
			}
		}
	}
}

func TestRequestIDIsKeptOrMade(t *testing.T) {
	h := echoServer(t)
	for in, keep := range map[string]bool{"abc-123": true, "<script>": false, "": false} {
		r := httptest.NewRequest("GET", "/api/v1/none", nil)
		r.Header.Set("X-Request-ID", in)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get("X-Request-ID")
		if (got == in) != keep || got == "" {
			t.Errorf("in %q: got %q", in, got)
		}
	}
}
