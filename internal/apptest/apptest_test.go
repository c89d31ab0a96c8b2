package apptest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// TestUntranslatedCatchesPlantedKeys proves the page-walking tests' check
// can fail: a page of the real application rendered with keys the
// catalogues lack (under prefixes the old regular expressions skipped) is
// reported, in every language, while the page still shows what it showed
// before.
func TestUntranslatedCatchesPlantedKeys(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	if ks := apptest.Untranslated(a); len(ks) > 0 {
		t.Fatalf("keys without a text while starting: %q", ks)
	}
	for _, l := range i18n.Langs {
		r := httptest.NewRequest("GET", "/planted", nil)
		r = r.WithContext(i18n.WithLang(r.Context(), l))
		w := httptest.NewRecorder()
		a.Web.Render(w, r, http.StatusNotFound, "web/error", web.Msg("identity.planted_key"),
			web.ErrorData{Status: http.StatusNotFound, Title: a.Cat.T(l, "admin.planted_key"), Message: a.Cat.T(l, "error.back_home")})
		if !strings.Contains(w.Body.String(), "admin.planted_key") {
			t.Errorf("%s: the planted key is no longer shown as before", l)
		}
		want := string(l) + ":admin.planted_key " + string(l) + ":identity.planted_key"
		if got := strings.Join(apptest.Untranslated(a), " "); got != want {
			t.Errorf("%s: untranslated %q, want %q", l, got, want)
		}
	}
}

// Serve runs the real server on a loopback port until the test ends: its
// pages answer, and Untranslated sees what they rendered.
func TestServe(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	base := apptest.Serve(t, a)
	res, err := http.Get(base + "/arrondissements")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "سيدي عثمان") {
		t.Fatalf("GET /arrondissements: %d", res.StatusCode)
	}
	if ks := apptest.Untranslated(a); len(ks) > 0 {
		t.Fatalf("keys without a text %q", ks)
	}
}
