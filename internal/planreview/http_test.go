package planreview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// sheetFixture is the demonstration with a file its committee studies:
// a PDF plan of it, the urban agency's member who sits on it (signed
// in, with the second factor), and its owner's API token.
type sheetFixture struct {
	t          testing.TB
	a          *app.App
	srv        *httptest.Server
	file, doc  int64
	item       string
	version    int
	owner      int64
	member     *apptest.Browser
	memberCSRF string
	token      string
}

func newSheetFixture(t testing.TB, e db.Engine) *sheetFixture {
	t.Helper()
	a := apptest.Demo(t, e)
	ctx := context.Background()
	f := &sheetFixture{t: t, a: a}
	err := a.DB.QueryRowContext(ctx, `SELECT f.id, d.id, d.item, d.version, f.owner_person_id FROM permit_files f
		JOIN permit_committee_seats s ON s.file_id = f.id AND s.organisation_code = 'aucasa'
		JOIN permit_documents d ON d.file_id = f.id AND d.content_type = 'application/pdf'
		WHERE f.state = 'accepted' AND f.holder = 'committee' AND f.owner_person_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM permit_documents d2 WHERE d2.file_id = f.id AND d2.item = d.item AND d2.version > d.version)
		ORDER BY f.id, d.id LIMIT 1`).Scan(&f.file, &f.doc, &f.item, &f.version, &f.owner)
	if err != nil {
		t.Fatalf("a file the urban agency studies, with a PDF plan: %v", err)
	}
	f.srv = httptest.NewServer(a.Handler)
	t.Cleanup(f.srv.Close)
	f.member = apptest.NewBrowser(t, f.srv.URL)
	f.member.SignIn("karim.benjelloun@example.ma", true)
	f.memberCSRF = f.csrf(f.member, fmt.Sprintf("/files/%d", f.file))
	tok, err := a.Identity.CreateToken(ctx, f.owner, "plans", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.token = tok
	return f
}

func (f *sheetFixture) csrf(b *apptest.Browser, page string) string {
	f.t.Helper()
	code, body, _ := b.Get(page)
	m := apptest.CSRFRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		f.t.Fatalf("no anti-forgery token on %s (%d)", page, code)
	}
	return m[1]
}

// sheet is the path of a sheet's annotations under base ("/api/v1" or "").
func (f *sheetFixture) sheet(base string, doc int64) string {
	return fmt.Sprintf("%s/files/%d/documents/%d", base, f.file, doc)
}

// call sends a JSON request from a browser session (with the
// anti-forgery token) or with an API token, in lang, and decodes the
// answer into out when it is JSON.
func (f *sheetFixture) call(b *apptest.Browser, token, method, path string, lang i18n.Lang, in any, out any) (int, map[string]any) {
	f.t.Helper()
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			f.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", string(lang))
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := http.DefaultClient
	if b != nil {
		c = b.C
		b.SetLang(lang) // the language chosen wins over the account's own
		req.Header.Set("X-CSRF-Token", f.memberCSRF)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		c = apptest.Checked(f.t, f.a, nil)
	}
	res, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var problem map[string]any
	if strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
		_ = json.Unmarshal(raw, &problem)
	} else if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			f.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return res.StatusCode, problem
}

// annotation is a W3C annotation as a client posts it.
func annotation(source, kind, svg string, page int, extra map[string]any) map[string]any {
	a := map[string]any{
		"@context": "http://www.w3.org/ns/anno.jsonld",
		"type":     "Annotation",
		"target": map[string]any{"source": source, "selector": map[string]any{
			"type": "FragmentSelector", "conformsTo": "http://tools.ietf.org/rfc/rfc3778", "value": fmt.Sprintf("page=%d", page),
			"refinedBy": map[string]any{"type": "SvgSelector", "value": svg}}},
		"madina:kind": kind,
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

type w3c struct {
	Context    any    `json:"@context"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	Motivation string `json:"motivation"`
	Creator    struct {
		Name         string `json:"name"`
		Organisation string `json:"madina:organisation"`
	} `json:"creator"`
	Body []struct {
		Value string `json:"value"`
	} `json:"body"`
	Target struct {
		Source   string `json:"source"`
		Selector struct {
			Type      string `json:"type"`
			Value     string `json:"value"`
			RefinedBy struct {
				Type  string `json:"type"`
				Value string `json:"value"`
			} `json:"refinedBy"`
		} `json:"selector"`
	} `json:"target"`
	Kind        string `json:"madina:kind"`
	Status      string `json:"madina:status"`
	Visibility  string `json:"madina:visibility"`
	Round       int    `json:"madina:round"`
	Measurement *struct {
		Value     float64 `json:"value"`
		Unit      string  `json:"unit"`
		Perimeter float64 `json:"perimeter"`
	} `json:"madina:measurement"`
	Calibration *struct {
		Source        string  `json:"source"`
		Ratio         float64 `json:"ratio"`
		MetresPerUnit float64 `json:"metres_per_unit"`
	} `json:"madina:calibration"`
	Carried *struct {
		Version int `json:"version"`
	} `json:"madina:carriedFrom"`
	Replies []struct {
		Body struct {
			Value string `json:"value"`
		} `json:"body"`
		Side   string `json:"madina:side"`
		Target string `json:"target"`
	} `json:"madina:replies"`
}

type collection struct {
	Context any    `json:"@context"`
	Type    string `json:"type"`
	Total   int    `json:"total"`
	First   struct {
		Items []w3c `json:"items"`
	} `json:"first"`
	Sheet struct {
		Version int    `json:"version"`
		SHA256  string `json:"sha256"`
		Source  string `json:"source"`
		Pages   []struct {
			Page int       `json:"page"`
			Box  []float64 `json:"box"`
		} `json:"pages"`
	} `json:"madina:sheet"`
	Committee bool `json:"madina:committee"`
}

// newVersion stores content as the next version of the fixture's item,
// as if the applicant had uploaded it (the upload flow is permit's, and
// tested there), and returns the document's id.
func (f *sheetFixture) newVersion(content []byte, pages int) int64 {
	f.t.Helper()
	f.version++
	return f.newDocument(f.item, f.version, content, pages)
}

// newDocument stores content as version v of item of the fixture's file.
func (f *sheetFixture) newDocument(item string, v int, content []byte, pages int) int64 {
	f.t.Helper()
	ctx := context.Background()
	b, err := f.a.Blobs.Put(ctx, bytes.NewReader(content), blob.PutOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var id int64
	err = f.a.DB.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO permit_documents (file_id, item, version, sha256, size, content_type, name, pages,
			uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, 'application/pdf', 'plan.pdf', $6, $7, $8) RETURNING id`,
			f.file, item, v, b.SHA256, b.Size, pages, f.owner, time.Now().UTC()).Scan(&id)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// count is the number of rows of table.
func (f *sheetFixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func wantProblem(t *testing.T, what string, code int, p map[string]any, wantCode int, key, text string) {
	t.Helper()
	if code != wantCode || p == nil || p["code"] != key || !strings.Contains(fmt.Sprint(p["detail"]), text) {
		t.Fatalf("%s: %d %v, want %d %s saying %q", what, code, p, wantCode, key, text)
	}
}
