package apptest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
)

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestDoCheckedCatchesAPlantedField: DoChecked passes the real answer of
// an API operation and reports the same answer with a field of the wrong
// type.
func TestDoCheckedCatchesAPlantedField(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	rec := &recorder{TB: t}
	if r := apptest.DoChecked(rec, a, "GET", "/api/v1/windows"); r.Code != http.StatusOK || len(rec.errs) > 0 {
		t.Fatalf("the real answer: %d %q", r.Code, rec.errs)
	}
	real := a.Handler
	a.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := httptest.NewRecorder()
		real.ServeHTTP(rw, r)
		for k, v := range rw.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rw.Code)
		_, _ = w.Write([]byte(strings.Replace(rw.Body.String(), `"code":"`, `"code":7,"x":"`, 1)))
	})
	apptest.DoChecked(rec, a, "GET", "/api/v1/windows")
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "OpenAPI contract") {
		t.Fatalf("a planted field passed: %q", rec.errs)
	}
}
