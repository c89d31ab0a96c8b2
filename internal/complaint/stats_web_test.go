package complaint_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestStatisticsPage: anyone reads the figures per category, team and
// arrondissement in ar, fr and en, with no name; a period other than 30,
// 90 or 365 days is refused; the API gives the same figures, checked
// against the served OpenAPI document.
func TestStatisticsPage(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		citizen := apptest.NewBrowser(t, base)
		citizen.SignIn("fatima.benali@example.ma", false)
		file(t, citizen, "lighting", url.Values{"arrondissement": {"sidi-moumen"}, "lat": {"33.579"}, "lon": {"-7.529"},
			"description": {"Lampadaire éteint"}}, nil)
		anyone := apptest.NewBrowser(t, base)
		for l, want := range map[i18n.Lang][]string{i18n.AR: {"الإنارة العمومية", "سيدي مومن", "حسب الفريق"},
			i18n.FR: {"Éclairage public", "Sidi Moumen", "Par équipe"}, i18n.EN: {"Street lighting", "Sidi Moumen", "By team"}} {
			anyone.SetLang(l)
			code, body, _ := anyone.Get("/requests/statistics?days=90")
			if code != 200 || strings.Contains(body, "Benali") {
				t.Fatalf("statistics in %s: %d", l, code)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("statistics in %s lack %q", l, w)
				}
			}
		}
		if code, _, _ := anyone.Get("/requests/statistics?days=7"); code != http.StatusBadRequest {
			t.Errorf("a week: %d", code)
		}
		api := apptest.Checked(t, a, nil)
		res, err := api.Get(base + "/api/v1/requests/statistics?days=30")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var st struct {
			All struct {
				Filed int `json:"filed"`
			} `json:"all"`
			ByCategory []struct {
				Key string `json:"key"`
			} `json:"by_category"`
		}
		if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&st) != nil || st.All.Filed != 1 || len(st.ByCategory) != 1 || st.ByCategory[0].Key != "lighting" {
			t.Errorf("API: %d %+v", res.StatusCode, st)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}
