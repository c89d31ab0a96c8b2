package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"madina/internal/platform/db"
)

// BenchmarkHomeHandler measures the home page through the whole handler
// chain in-process, beside a bare handler writing the same bytes; the ratio
// of the two is Madina's own cost per request. (madina bench measures the
// same over loopback HTTP with 64 clients.)
func BenchmarkHomeHandler(b *testing.B) {
	a := newTestApp(b, db.SQLite)
	req := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	body := w.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(body)
	})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"madina", a.Handler}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", "/", nil)
					c.h.ServeHTTP(discard{h: http.Header{}}, r)
				}
			})
		})
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

var _ io.Writer = discard{}
