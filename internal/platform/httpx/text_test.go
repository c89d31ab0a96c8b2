package httpx

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"madina/internal/platform/errs"
)

// storable is the text rule stated independently of textin: valid UTF-8,
// no NUL, no control character but "\n" in a multi-line field, no bidi
// embedding, override or isolate, no byte order mark.
func storable(s string, multi bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' && multi:
		case unicode.IsControl(r), r == 0xFEFF, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return false
		}
	}
	return true
}

// formServer is a form endpoint behind the real router and middleware that
// echoes what the handler sees.
func formServer(t testing.TB) http.Handler {
	rs := testResponder(t.(*testing.T))
	rt := NewRouter(rs)
	rt.HandleFunc("POST /forms", func(w http.ResponseWriter, r *http.Request) {
		rs.JSON(w, r, 200, map[string]any{"title": r.FormValue("title"), "note": r.PostFormValue("note"), "form": r.PostForm})
	}, Multiline("note", "field_*description"))
	return Chain(rt, Options{Responder: rs})
}

func postForm(h http.Handler, body, lang string) *httptest.ResponseRecorder {
	return postAs(h, "application/x-www-form-urlencoded", body, lang)
}

func postAs(h http.Handler, ctype, body, lang string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/forms", strings.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	r.Header.Set("Accept-Language", lang)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestFormTextIsCheckedBeforeHandlers(t *testing.T) {
	h := formServer(t)
	refused := []struct {
		name, body, lang, code, detail string
	}{
		{"NUL", "title=a%00b", "fr", "error.text.nul", "caractère nul"},
		{"invalid UTF-8", "title=a%FFb", "ar", "error.text.encoding", "بترميز غير صالح"},
		{"right-to-left override", "title=" + url.QueryEscape("invoice\u202Efdp.exe"), "en", "error.text.bidi", "direction of writing"},
		{"isolate", "title=" + url.QueryEscape("a\u2067b"), "en", "error.text.bidi", "direction"},
		{"escape sequence", "title=a%1B%5B31mb", "en", "error.text.control", "control character"},
		{"C1 control", "title=" + url.QueryEscape("a\u0085b"), "en", "error.text.control", "control character"},
		{"line break in a single-line field", "title=a%0D%0Ab", "fr", "error.text.newline", "une seule ligne"},
		{"NUL in a multi-line field", "note=a%0Ab%00", "en", "error.text.nul", "null character"},
		{"bad field name", "ti%00tle=x", "en", "error.text.nul", "null character"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			w := postForm(h, c.body, c.lang)
			var p Problem
			_ = json.Unmarshal(w.Body.Bytes(), &p)
			if w.Code != http.StatusBadRequest || p.Code != c.code || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("%s: %d %s", c.body, w.Code, w.Body)
			}
			if f := strings.SplitN(strings.TrimPrefix(c.body, "ti%00"), "=", 2)[0]; f != "x" && !strings.HasPrefix(c.body, "ti%00") &&
				(len(p.Errors) != 1 || p.Errors[0].Field != f) {
				t.Fatalf("%s: error not on the field %s: %+v", c.body, f, p.Errors)
			}
		})
	}
	cleaned := []struct {
		name, body, title, note string
	}{
		{"trailing zero-width and direction marks", "title=" + url.QueryEscape("Maarif\u200B\u200F"), "Maarif", ""},
		{"byte order mark", "title=" + url.QueryEscape("\uFEFFدار"), "دار", ""},
		{"tab", "title=a%09b", "a b", ""},
		{"NFC", "title=" + url.QueryEscape("e\u0301te\u0301"), "été", ""},
		{"multi-line keeps its lines", "note=" + url.QueryEscape("line 1\r\nline 2\n\nline 4"), "", "line 1\nline 2\n\nline 4"},
		{"marks inside kept", "title=" + url.QueryEscape("رقم\u200F 12"), "رقم\u200F 12", ""},
	}
	for _, c := range cleaned {
		t.Run(c.name, func(t *testing.T) {
			w := postForm(h, c.body, "en")
			var out struct{ Title, Note string }
			_ = json.Unmarshal(w.Body.Bytes(), &out)
			if w.Code != 200 || out.Title != c.title || out.Note != c.note {
				t.Fatalf("%s: %d %s", c.body, w.Code, w.Body)
			}
		})
	}
	// A textarea declared by pattern keeps its lines; another field does not.
	if w := postForm(h, "field_works_description=a%0D%0Ab", "en"); w.Code != 200 || !strings.Contains(w.Body.String(), `"a\nb"`) {
		t.Fatalf("pattern: %d %s", w.Code, w.Body)
	}
	if w := postForm(h, "field_works=a%0D%0Ab", "en"); w.Code != 400 {
		t.Fatalf("undeclared: %d %s", w.Code, w.Body)
	}
}

// A multipart body on an ordinary route is parsed and cleaned alike, so
// that PostFormValue cannot be made to return raw text by changing the
// content type.
func TestMultipartFormTextIsChecked(t *testing.T) {
	h := formServer(t)
	post := func(title string) *httptest.ResponseRecorder {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("title", title)
		_ = mw.WriteField("note", "a\r\nb")
		_ = mw.Close()
		r := httptest.NewRequest("POST", "/forms", &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := post("x\x00y"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "error.text.nul") {
		t.Fatalf("NUL in a multipart field: %d %s", w.Code, w.Body)
	}
	if w := post("\u202Ex"); w.Code != http.StatusBadRequest {
		t.Fatalf("override in a multipart field: %d %s", w.Code, w.Body)
	}
	if w := post("Maarif\u200B"); w.Code != 200 || !strings.Contains(w.Body.String(), `"note":"a\nb","title":"Maarif"`) {
		t.Fatalf("clean multipart: %d %s", w.Code, w.Body)
	}
}

func TestQueryAndPathTextIsChecked(t *testing.T) {
	h := echoServer(t)
	for _, target := range []string{"/api/v1/echo?q=a%00b", "/api/v1/echo?q=a%FF", "/api/v1/echo?q=%E2%80%AEx", "/api/v1/ec%00ho", "/api/v1/echo?q=a%0Ab"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
		r.URL, _ = url.Parse(target)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
}

type jsonParty struct {
	Role string `json:"role"`
	Name string `json:"name"`
}

type jsonInput struct {
	Title   string          `json:"title"`
	Notes   string          `json:"notes" text:"multiline"`
	Fields  map[string]any  `json:"fields" text:"multiline=*description,*note"`
	Parties []jsonParty     `json:"parties"`
	Raw     json.RawMessage `json:"raw"`
	Tags    []string        `json:"tags"`
	Ptr     *string         `json:"ptr"`
}

func decode(body string) (jsonInput, error) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	var in jsonInput
	err := DecodeJSON(r, &in, 64<<10)
	return in, err
}

func TestDecodeJSONChecksEveryString(t *testing.T) {
	refused := []struct{ body, key, field string }{
		{`{"title":"x\u0000y"}`, "error.text.nul", "title"},
		{`{"title":"x\ud800y"}`, "error.text.encoding", ""},
		{`{"title":"x\udc00"}`, "error.text.encoding", ""},
		{`{"title":"a\u202eb"}`, "error.text.bidi", "title"},
		{`{"title":"a\nb"}`, "error.text.newline", "title"},
		{`{"parties":[{"role":"owner","name":"ok"},{"name":"a\u0007"}]}`, "error.text.control", "parties.1.name"},
		{`{"fields":{"works_description":"a\nb","use":"a\nb"}}`, "error.text.newline", "fields.use"},
		{`{"fields":{"x":["a","b\u0000"]}}`, "error.text.nul", "fields.x.1"},
		{`{"fields":{"x\u0000":"a"}}`, "error.text.nul", "fields.x\x00"},
		{`{"tags":["a","\u2066"]}`, "error.text.bidi", "tags.1"},
		{`{"ptr":"\u001b"}`, "error.text.control", "ptr"},
		{`{"notes":"a\u0000"}`, "error.text.nul", "notes"},
	}
	for _, c := range refused {
		_, err := decode(c.body)
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || e.Key != c.key || e.Field != c.field {
			t.Errorf("%s: %v, want %s on %q", c.body, err, c.key, c.field)
		}
	}
	in, err := decode(`{"title":"\ufeffMaarif\u200b","notes":"a\r\nb\tc","fields":{"works_description":"l1\r\nl2","n":2,"e\u0301":"e\u0301"},` +
		`"parties":[{"name":"\u200fسعيد"}],"raw":{"k":"\u00e9"},"tags":["\ud83d\ude00"],"ptr":"x\u200e"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := jsonInput{Title: "Maarif", Notes: "a\nb c", Fields: map[string]any{"works_description": "l1\nl2", "n": 2.0, "é": "é"},
		Parties: []jsonParty{{Name: "سعيد"}}, Raw: json.RawMessage(`{"k":"\u00e9"}`), Tags: []string{"😀"}}
	x := "x"
	want.Ptr = &x
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("decoded\n%#v\nwant\n%#v", in, want)
	}
}

// FuzzFormDecoder posts arbitrary bytes as an urlencoded form, then as a
// multipart one, through the real router: never a 5xx; refused with a 4xx,
// or every value the handler sees is storable.
func FuzzFormDecoder(f *testing.F) {
	for _, s := range []string{"title=a%00b", "title=a%FFb", "title=%E2%80%AEx", "note=a%0D%0Ab", "title=x%E2%80%8B",
		"email=a%00%40example.ma&password=x", "%", "a=%zz", "field_works_description=%0A%0D%E2%80%A8",
		"--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\na\x00b\r\n--B--\r\n",
		"--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\na\r\nb\u202e\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n\xff\r\n--B--\r\n"} {
		f.Add([]byte(s))
	}
	h := formServer(&testing.T{})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFormAnswer(t, body, postForm(h, string(body), "en"))
		checkFormAnswer(t, body, postAs(h, "multipart/form-data; boundary=B", string(body), "en"))
	})
}

// checkFormAnswer asserts a form answer: no 5xx, and a handler that ran saw only
// storable text.
func checkFormAnswer(t *testing.T, body []byte, w *httptest.ResponseRecorder) {
	if w.Code >= 500 {
		t.Fatalf("%q: %d %s", body, w.Code, w.Body)
	}
	if w.Code != 200 {
		return
	}
	var out struct {
		Form map[string][]string `json:"form"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	for k, vs := range out.Form {
		for _, v := range vs {
			if !storable(k, false) || !storable(v, k == "note" || strings.HasPrefix(k, "field_") && strings.HasSuffix(k, "description")) {
				t.Fatalf("%q: handler saw %q=%q", body, k, v)
			}
		}
	}
}

// FuzzDecodeJSON decodes arbitrary bytes: never a panic; refused with an
// errs kind, or every string decoded is storable.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"title":"x\u0000y"}`, `{"title":"x\ud800"}`, `{"title":"\u202e"}`, `{"notes":"a\r\nb"}`,
		`{"fields":{"works_description":"a\nb","x":[1,"\u0007",{"y":"z"}]}}`, `{"parties":[{"name":"\ufeff"}]}`, "{\"title\":\"\xff\"}", `{"ptr":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decode(string(body))
		if err != nil {
			if errs.As(err) == nil || errs.KindOf(err) == errs.Internal {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		// Under fields, an entry named *description or *note may hold lines.
		var walk func(v any, key string, tagged bool)
		walk = func(v any, key string, tagged bool) {
			switch x := v.(type) {
			case string:
				if !storable(x, tagged && (strings.HasSuffix(key, "description") || strings.HasSuffix(key, "note"))) {
					t.Fatalf("%q: decoded %q", body, x)
				}
			case map[string]any:
				for k, e := range x {
					walk(k, "", false)
					walk(e, k, tagged)
				}
			case []any:
				for _, e := range x {
					walk(e, "", tagged)
				}
			}
		}
		walk(in.Title, "", false)
		if !storable(in.Notes, true) {
			t.Fatalf("%q: decoded notes %q", body, in.Notes)
		}
		walk(in.Fields, "", true)
		for _, p := range in.Parties {
			walk(p.Name, "", false)
			walk(p.Role, "", false)
		}
		for _, s := range in.Tags {
			walk(s, "", false)
		}
		if in.Ptr != nil {
			walk(*in.Ptr, "", false)
		}
	})
}
