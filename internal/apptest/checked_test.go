package apptest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/openapi/openapitest"
)

// TestOpenAPIContractCatchesAPlantedField checks the check on the real
// document: a real response passes, the same response with one field of
// the wrong type, one field missing or one undocumented field fails.
func TestOpenAPIContractCatchesAPlantedField(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	v, err := openapitest.New(a.OpenAPI()) // the document Checked validates against
	if err != nil {
		t.Fatal(err)
	}
	r := apptest.Do(t, a.Handler, "GET", "/api/v1/windows", nil)
	if err := v.Response("GET", "/api/v1/windows", r.Code, r.Header, []byte(r.Body)); err != nil {
		t.Fatalf("the real response disagrees: %v", err)
	}
	if !strings.Contains(r.Body, `"code":"`) {
		t.Fatalf("no window code to plant a wrong one on: %s", r.Body)
	}
	for name, body := range map[string]string{
		"wrong type":   strings.Replace(r.Body, `"code":"`, `"code":7,"x":"`, 1),
		"missing":      strings.Replace(r.Body, `"code":"`, `"not_code":"`, 1),
		"undocumented": strings.Replace(r.Body, `"code":"`, `"planted":1,"code":"`, 1),
	} {
		if err := v.Response("GET", "/api/v1/windows", r.Code, r.Header, []byte(body)); err == nil {
			t.Errorf("%s: a planted field passed", name)
		}
	}
	p := apptest.Do(t, a.Handler, "GET", "/api/v1/arrondissements/nowhere", nil)
	if err := v.Response("GET", "/api/v1/arrondissements/nowhere", p.Code, p.Header, []byte(p.Body)); err != nil {
		t.Fatalf("the real problem disagrees: %v", err)
	}
	if err := v.Response("GET", "/api/v1/arrondissements/nowhere", p.Code, p.Header, []byte(strings.Replace(p.Body, `"status":`, `"status":"x","was":`, 1))); err == nil {
		t.Error("a problem with a status of the wrong type passed")
	}
}

// failures stands in for a test, recording what would have failed it.
type failures struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (f *failures) Helper() {}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *failures) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := f.errs
	f.errs = nil
	return errs
}

// TestCheckedAPIFailsOnAnAnswerOffContract: the API client the
// capabilities' tests use lets a real answer pass, and fails the test on
// the same answer with an undocumented field planted in it.
func TestCheckedAPIFailsOnAnAnswerOffContract(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, r)
		body := rec.Body.String()
		if r.URL.Query().Get("plant") != "" {
			body = strings.Replace(body, `"code":"`, `"planted":1,"code":"`, 1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	f := &failures{TB: t}
	c := apptest.CheckedAPI(f, a, srv.URL, "")
	if code, body := c.JSON("GET", "/api/v1/windows", nil, nil); code != 200 || !strings.Contains(body, `"code":"`) {
		t.Fatalf("windows: %d %.200s", code, body)
	}
	if errs := f.took(); len(errs) > 0 {
		t.Fatalf("the real answer failed the contract: %q", errs)
	}
	if code, body := c.JSON("GET", "/api/v1/windows?plant=1", nil, nil); code != 200 || !strings.Contains(body, `"planted":1`) {
		t.Fatalf("planted windows: %d %.200s", code, body)
	}
	if errs := f.took(); len(errs) == 0 || !strings.Contains(errs[0], "OpenAPI contract") {
		t.Errorf("an undocumented field passed the checked client: %q", errs)
	}
}
