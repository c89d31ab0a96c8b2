package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/password"
	"madina/internal/platform/textin"
)

const textPassword = "Tissage-Derb-Sultan-1987"

// fileIDRE reads the new file's number from where its creation redirects.
var fileIDRE = regexp.MustCompile(`^/files/(\d+)\?done=created$`)

// textApp is the real application on engine e with one applicant, who may
// sign in with textPassword and holds a files API token; it returns the
// applicant's token.
func textApp(tb testing.TB, e db.Engine) (*app.App, string) {
	tb.Helper()
	a := apptest.New(tb, e, apptest.Config(func(c *config.Config) { c.BaseURL = "http://madina.test" }))
	ctx := context.Background()
	hash, err := password.Hash(textPassword)
	if err != nil {
		tb.Fatal(err)
	}
	var id int64
	now := time.Now().UTC()
	if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
			family_name_latin, lang, password_hash, created_at, updated_at) VALUES ('hanane@example.ma', 'hanane@example.ma', $1, 'Hanane',
			'Berrada', 'fr', $2, $1, $1) RETURNING id`, now, hash).Scan(&id)
	}); err != nil {
		tb.Fatal(err)
	}
	token, err := a.Identity.CreateToken(ctx, id, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return a, token
}

// stored reads back what a file holds.
func stored(tb testing.TB, d *db.DB, id int64) (title, address string, fields map[string]string, version int) {
	tb.Helper()
	var raw string
	if err := d.QueryRowContext(context.Background(), `SELECT title, address, fields, version FROM permit_files WHERE id = $1`, id).
		Scan(&title, &address, &raw, &version); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		tb.Fatalf("fields %q: %v", raw, err)
	}
	return title, address, fields, version
}

func problemOf(t *testing.T, body string) httpx.Problem {
	t.Helper()
	var p httpx.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a problem: %s", body)
	}
	return p
}

// TestHostileTextOverHTTP replays the probe: NUL, invalid UTF-8 and
// direction overrides in the sign-in form, a draft's form and the JSON API
// are refused in the caller's language (a 500 on PostgreSQL before),
// nothing is stored, invisible marks at the ends are dropped and a
// description keeps its lines.
func TestHostileTextOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a, token := textApp(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		b := apptest.NewBrowser(t, srv.URL)
		b.SetLang(i18n.FR)
		code, body, h := b.Post("/signin", "/signin", url.Values{"email": {"hanane\x00@example.ma"}, "password": {textPassword}})
		if code != http.StatusBadRequest || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "caractère nul") {
			t.Fatalf("NUL in the sign-in e-mail: %d %s", code, apptest.Grep(body, "nul"))
		}
		// The browser's name is stored with the session: a byte that is not
		// UTF-8 in it is dropped, not a 500.
		_, page, _ := b.Get("/signin")
		form := url.Values{"email": {"hanane@example.ma"}, "password": {textPassword}, "csrf_token": {apptest.CSRFRE.FindStringSubmatch(page)[1]}}
		req, _ := http.NewRequest("POST", srv.URL+"/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Navigateur \xff\xfe/1.0")
		res, err := b.C.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in with a badly encoded user agent: %d", res.StatusCode)
		}
		var ua string
		if err := a.DB.QueryRowContext(context.Background(), `SELECT user_agent FROM sessions ORDER BY created_at DESC LIMIT 1`).Scan(&ua); err != nil || ua != "Navigateur /1.0" {
			t.Fatalf("stored user agent %q, %v", ua, err)
		}
		code, _, h = b.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}, "title": {"Façade"}})
		apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
		m := fileIDRE.FindStringSubmatch(h.Get("Location"))
		if m == nil {
			t.Fatalf("create went to %q", h.Get("Location"))
		}
		page = "/files/" + m[1]
		var id int64
		fmt.Sscan(m[1], &id)

		draft := func(title, desc string) url.Values {
			return url.Values{"title": {title}, "address": {"12 rue Ibn Batouta"}, "arrondissement": {"maarif"},
				"field_owner_kind": {"person"}, "field_works_description": {desc}}
		}
		for _, c := range []struct{ name, title, want string }{
			{"NUL", "x\x00y", "caractère nul"},
			{"invalid UTF-8", "x\xffy", "mal encodés"},
			{"right-to-left override", "plan\u202Efdp.exe", "sens d’écriture"},
			{"line break", "a\r\nb", "une seule ligne"},
		} {
			code, body, _ := b.Act(page, page, draft(c.title, "ok"))
			if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Fatalf("%s in a draft's title: %d %s", c.name, code, apptest.Grep(body, c.want))
			}
		}
		// A description may hold lines; a tab is a space.
		code, body, _ = b.Act(page, page, draft("x", "a\u202Eb\nc"))
		if code != http.StatusBadRequest || !strings.Contains(body, "sens d’écriture") {
			t.Fatalf("override in a description: %d", code)
		}
		if title, _, _, _ := stored(t, a.DB, id); title != "Façade" {
			t.Fatalf("a refused draft was stored: %q", title)
		}
		code, _, h = b.Act(page, page, draft("\u200FRéfection de la façade\u200B", "Ligne 1\r\nLigne 2\tsuite\r\n\r\nLigne 4"))
		apptest.WantStatus(t, "clean draft", code, http.StatusSeeOther, h)
		title, _, fields, version := stored(t, a.DB, id)
		if title != "Réfection de la façade" || fields["works_description"] != "Ligne 1\nLigne 2 suite\n\nLigne 4" {
			t.Fatalf("stored %q and %q", title, fields["works_description"])
		}

		// An upload's text part passes the same rule; the file's name, chosen
		// by the browser, loses its direction override.
		code, body, _ = b.Upload(page, "application\x00", "demande.pdf", apptest.TinyPDF("demande"))
		if code != http.StatusBadRequest || !strings.Contains(body, "caractère nul") {
			t.Fatalf("NUL in the upload's item: %d %s", code, apptest.Grep(body, "nul"))
		}
		code, _, h = b.Upload(page, "application", "demande\u202Efdp.exe", apptest.TinyPDF("demande"))
		apptest.WantStatus(t, "upload", code, http.StatusSeeOther, h)
		var name string
		if err := a.DB.QueryRowContext(context.Background(), `SELECT name FROM permit_documents WHERE file_id = $1`, id).Scan(&name); err != nil ||
			!strings.HasPrefix(name, "demandefdp") || strings.ContainsRune(name, '\u202E') {
			t.Fatalf("stored name %q, %v", name, err)
		}

		// The JSON API: the probe's body, then others.
		c := apptest.APIClient{T: t, Base: srv.URL, Token: token}
		path := fmt.Sprintf("/api/v1/files/%d?lang=en", id)
		for _, x := range []struct{ body, code, field string }{
			{`{"title":"x\u0000y","version":%d}`, "error.text.nul", "title"},
			{`{"title":"x\ud800y","version":%d}`, "error.text.encoding", ""},
			{`{"title":"x","address":"a\u202eb","version":%d}`, "error.text.bidi", "address"},
			{`{"title":"x","parties":[{"role":"architect","name":"a\u0007"}],"version":%d}`, "error.text.control", "parties.0.name"},
			{`{"title":"x","fields":{"owner_kind":"a\nb"},"version":%d}`, "error.text.newline", "fields.owner_kind"},
		} {
			code, body := c.Call("PUT", path, "application/json", strings.NewReader(fmt.Sprintf(x.body, version)), nil)
			p := problemOf(t, body)
			if code != http.StatusBadRequest || p.Code != x.code || !strings.Contains(p.Type, "invalid") ||
				x.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != x.field) {
				t.Fatalf("%s: %d %s", x.body, code, body)
			}
		}
		code, body = c.Call("PUT", path, "application/json", strings.NewReader(fmt.Sprintf(
			`{"kind":"repair","title":"\ufeffFaçade Est\u200e","address":"12 rue Ibn Batouta","arrondissement":"maarif",`+
				`"fields":{"owner_kind":"person","works_description":"L1\r\nL2"},"version":%d}`, version)), nil)
		if code != http.StatusOK {
			t.Fatalf("clean JSON: %d %s", code, body)
		}
		if title, _, fields, _ := stored(t, a.DB, id); title != "Façade Est" || fields["works_description"] != "L1\nL2" {
			t.Fatalf("stored %q and %q", title, fields["works_description"])
		}
	})
}

// jsonString writes s as a JSON string, escaping only what JSON requires,
// so that invalid UTF-8 reaches the server as it is.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzPermitText drives a draft's form and the files API through the real
// router on both engines with arbitrary text: never a 5xx, and what is
// stored is what textin makes of what was typed (then trimmed), which
// breaks none of its rules.
func FuzzPermitText(f *testing.F) {
	for _, s := range [][2]string{{"x\x00y", "a"}, {"x\xffy", "a"}, {"\u202Eabc", "a"}, {"Maarif\u200B", "a\r\nb"}, {"a\tb", "c\u2028d"},
		{"e\u0301", "\ufeff"}, {"\x1b[31m", "ok"}, {"رقم\u200F 12", "\u200e"}, {"", ""}} {
		f.Add(s[0], s[1])
	}
	type target struct {
		a      *app.App
		b      *apptest.Browser
		api    apptest.APIClient
		id     int64
		engine db.Engine
	}
	var targets []target
	for _, e := range dbtest.Engines() {
		if e == db.Postgres && os.Getenv("MADINA_TEST_DATABASE_URL") == "" {
			continue
		}
		a, token := textApp(f, e)
		srv := httptest.NewServer(a.Handler)
		f.Cleanup(srv.Close)
		b := apptest.NewBrowser(f, srv.URL)
		b.SignInAs("hanane@example.ma", textPassword, false)
		api := apptest.APIClient{T: &testing.T{}, Base: srv.URL, Token: token} // its t is the fuzz input's
		var out struct{ ID int64 }
		if code, body := api.JSON("POST", "/api/v1/files", map[string]any{"kind": "repair"}, &out); code != http.StatusCreated {
			f.Fatalf("create: %d %s", code, body)
		}
		targets = append(targets, target{a: a, b: b, api: api, id: out.ID, engine: e})
	}
	f.Fuzz(func(t *testing.T, title, desc string) {
		for _, tg := range targets {
			tg.b.T, tg.api.T = t, t
			page := fmt.Sprintf("/files/%d", tg.id)
			wantTitle, errT := textin.Clean(title, textin.Line)
			wantDesc, errD := textin.Clean(desc, textin.Lines)
			wantTitle, wantDesc = strings.TrimSpace(wantTitle), strings.TrimSpace(wantDesc)
			check := func(via string, code int, body string) {
				if code >= 500 {
					t.Fatalf("%s on %s: %d %s", via, tg.engine, code, body)
				}
				gotTitle, _, fields, _ := stored(t, tg.a.DB, tg.id)
				for _, s := range []string{gotTitle, fields["works_description"]} {
					if !storable(s, true) {
						t.Fatalf("%s on %s stored %q", via, tg.engine, s)
					}
				}
				if code >= 300 && code < 400 || code == http.StatusOK {
					if errT != nil || errD != nil {
						t.Fatalf("%s on %s accepted %q / %q", via, tg.engine, title, desc)
					}
					if gotTitle != wantTitle || fields["works_description"] != wantDesc {
						t.Fatalf("%s on %s stored %q / %q, want %q / %q", via, tg.engine, gotTitle, fields["works_description"], wantTitle, wantDesc)
					}
				}
			}
			_, _, _, version := stored(t, tg.a.DB, tg.id)
			form := url.Values{"title": {title}, "field_works_description": {desc}, "version": {fmt.Sprint(version)}}
			code, body, _ := tg.b.Post(page, page, form)
			check("form", code, body)
			_, _, _, version = stored(t, tg.a.DB, tg.id)
			code, body = tg.api.Call("PUT", fmt.Sprintf("/api/v1/files/%d", tg.id), "application/json", strings.NewReader(
				`{"title":`+jsonString(title)+`,"fields":{"works_description":`+jsonString(desc)+`},"version":`+fmt.Sprint(version)+`}`), nil)
			check("api", code, body)
		}
	})
}

// storable: valid UTF-8, no control character but "\n" in a multi-line
// field, no direction override, embedding or isolate, no byte order mark.
func storable(s string, multi bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' && multi:
		case unicode.IsControl(r), r == 0xFEFF, textin.Bidi(r):
			return false
		}
	}
	return true
}
