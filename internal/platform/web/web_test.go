package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"madina/internal/platform/i18n"
)

// TestRendererReportsPlantedKey: a page referring to a key the catalogue
// does not have is caught by the catalogue's record of misses, whatever the
// key's prefix, while a page using only known keys records none. This is
// the check the page-walking tests of every capability rely on.
func TestRendererReportsPlantedKey(t *testing.T) {
	// The layout's account links come from the identity capability.
	account := `{"layout.signin":"s","layout.signup":"s","layout.user_nav":"s"}`
	cat, err := i18n.Load(Messages, fstest.MapFS{
		"messages/ar.json": {Data: []byte(account)},
		"messages/fr.json": {Data: []byte(account)},
		"messages/en.json": {Data: []byte(account)},
	})
	if err != nil {
		t.Fatal(err)
	}
	pages := fstest.MapFS{
		"templates/planted.html": {Data: []byte(`{{define "content"}}<p>{{.T "identity.planted_key"}}</p>{{end}}`)},
		"templates/clean.html":   {Data: []byte(`{{define "content"}}<p>{{.T "site.name"}}</p>{{end}}`)},
	}
	rd, err := New(cat, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, Pages{Prefix: "test", FS: pages})
	if err != nil {
		t.Fatal(err)
	}
	misses := cat.TrackMisses()
	for _, l := range i18n.Langs {
		render := func(name string, title Message) string {
			r := httptest.NewRequest("GET", "/x", nil)
			r = r.WithContext(i18n.WithLang(r.Context(), l))
			w := httptest.NewRecorder()
			rd.Render(w, r, 200, name, title, nil)
			if w.Code != 200 {
				t.Fatalf("%s in %s: %d", name, l, w.Code)
			}
			return w.Body.String()
		}
		render("test/clean", Msg("site.name"))
		if got := misses.Take(); len(got) != 0 {
			t.Errorf("clean page in %s recorded %v", l, got)
		}
		if body := render("test/planted", Msg("admin.planted_title")); !strings.Contains(body, "<p>identity.planted_key</p>") {
			t.Errorf("planted page in %s no longer shows the key as before", l)
		}
		want := string(l) + ":admin.planted_title " + string(l) + ":identity.planted_key"
		if got := strings.Join(misses.Take(), " "); got != want {
			t.Errorf("planted page in %s recorded %q, want %q", l, got, want)
		}
	}
}

// Ago says how long ago, with the language's plural forms, then the date.
func TestAgo(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		l    i18n.Lang
		d    time.Duration
		want string
	}{
		{i18n.EN, 20 * time.Second, "just now"}, {i18n.EN, time.Minute, "1 minute ago"}, {i18n.EN, 2 * time.Hour, "2 hours ago"},
		{i18n.FR, 90 * time.Minute, "il y a 1 heure"}, {i18n.FR, 3 * 24 * time.Hour, "il y a 3 jours"},
		{i18n.AR, 2 * time.Hour, "منذ ساعتين"}, {i18n.AR, 5 * time.Minute, "منذ 5 دقائق"}, {i18n.AR, 11 * 24 * time.Hour, "منذ 11 يوما"},
		{i18n.FR, 40 * 24 * time.Hour, "26 octobre 2026"},
	} {
		v := &View{Lang: c.l, cat: cat}
		if got := v.Ago(now.Add(-c.d), now); got != c.want {
			t.Errorf("%s, %v ago: %q, want %q", c.l, c.d, got, c.want)
		}
	}
}
