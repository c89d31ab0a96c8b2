package httpx

import (
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// TestUnavailableIs503 maps the kind of a dependency that cannot do its
// part now: 503, a delay to try again after, and a message in every
// language saying nothing was saved.
func TestUnavailableIs503(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	rs := &Responder{Cat: cat}
	for _, l := range i18n.Langs {
		r := httptest.NewRequest("POST", "/api/v1/x", nil)
		r = r.WithContext(i18n.WithLang(r.Context(), l))
		w := httptest.NewRecorder()
		rs.Error(w, r, errs.E(errs.Unavailable, ""))
		if w.Code != 503 || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d, Retry-After %q", l, w.Code, w.Header().Get("Retry-After"))
		}
		if !cat.Has(l, "error.unavailable.title") || !cat.Has(l, "error.unavailable.message") ||
			strings.Contains(w.Body.String(), "error.unavailable") {
			t.Errorf("%s: no title or message: %s", l, w.Body)
		}
	}
}
