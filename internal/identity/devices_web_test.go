package identity_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// withUserAgent sends every request of c as the browser ua would.
type withUserAgent struct {
	ua   string
	next http.RoundTripper
}

func (w withUserAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", w.ua)
	return w.next.RoundTrip(r)
}

// The security page names each signed-in device as its owner knows it
// ("Firefox on Android", "just now"), never by its raw User-Agent, in
// every language.
func TestSecurityPageNamesDevices(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	const firefoxAndroid = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
	phone := apptest.NewBrowser(t, srv.URL)
	phone.C.Transport = withUserAgent{firefoxAndroid, http.DefaultTransport}
	phone.SignIn("fatima.benali@example.ma", false)
	desk := apptest.NewBrowser(t, srv.URL)
	desk.C.Transport = withUserAgent{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", http.DefaultTransport}
	desk.SignIn("fatima.benali@example.ma", false)
	for lang, want := range map[i18n.Lang][]string{
		i18n.EN: {"Firefox on Android", "Edge on Windows", "just now"},
		i18n.FR: {"Firefox sur Android", "Edge sur Windows", "à l’instant"},
		i18n.AR: {"Firefox على Android", "Edge على Windows", "الآن"},
	} {
		desk.SetLang(lang)
		code, body, _ := desk.Get("/me/security")
		if code != http.StatusOK {
			t.Fatalf("%s: %d", lang, code)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the security page lacks %q", lang, w)
			}
		}
		if strings.Contains(body, "Gecko/133.0") || strings.Contains(body, "AppleWebKit") {
			t.Errorf("%s: the raw User-Agent is shown", lang)
		}
	}
	// The device in hand comes first, whichever signed in last: "this
	// device" is what its owner looks for, and two devices may bear the
	// same name.
	phone.SetLang(i18n.EN)
	if _, body, _ := phone.Get("/me/security"); !(strings.Index(body, "Firefox on Android") < strings.Index(body, "Edge on Windows")) {
		t.Error("on the phone, the security page lists the other device first")
	}
	if miss := apptest.Untranslated(a); len(miss) > 0 {
		t.Errorf("untranslated: %v", miss)
	}
}
