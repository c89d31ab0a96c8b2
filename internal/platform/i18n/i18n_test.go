package i18n

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestFormatDateInCasablanca(t *testing.T) {
	// 23:30 UTC on 31 December is already 1 January in Casablanca (UTC+1).
	at := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	for l, want := range map[Lang]string{AR: "1 يناير 2027", FR: "1 janvier 2027", EN: "1 January 2027"} {
		if got := FormatDate(l, at); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
	if got := FormatDateTime(FR, at); got != "1 janvier 2027 à 00:30" {
		t.Errorf("FormatDateTime = %q", got)
	}
	// During Ramadan Morocco returns to UTC+0: the tz database knows it.
	// On 1 March 2026 (Ramadan 1447) 12:00 UTC is 12:00 in Casablanca.
	if got := FormatDateTime(EN, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)); got != "1 March 2026, 12:00" {
		t.Errorf("Ramadan time: %q", got)
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		cookie, accept string
		want           Lang
	}{
		{"", "", AR},
		{"", "fr-FR,fr;q=0.9", FR},
		{"", "en-US", EN},
		{"", "de-DE", AR},
		{"", "garbage;;q=x", AR},
		{"fr", "en", FR},
		{"xx", "en", EN},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", CookieName+"="+c.cookie)
		}
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if got := Negotiate(r); got != c.want {
			t.Errorf("cookie %q accept %q: %s, want %s", c.cookie, c.accept, got, c.want)
		}
	}
}

func TestCatalogCheckFindsGaps(t *testing.T) {
	fsys := fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"a":"أ {n}","b":"ب"}`)},
		"messages/fr.json": {Data: []byte(`{"a":"a {m}"}`)},
		"messages/en.json": {Data: []byte(`{"a":"a {n}","b":"b"}`)},
	}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	probs := c.Check()
	if len(probs) != 2 {
		t.Fatalf("problems %v, want b missing in fr and a's placeholders", probs)
	}
	if got := c.T(EN, "a", "n", 3); got != "a 3" {
		t.Errorf("T = %q", got)
	}
	city := Text{AR: "الدار البيضاء", FR: "Casablanca", EN: "Casablanca"}
	if got := c.T(AR, "a", "n", city); got != "أ الدار البيضاء" {
		t.Errorf("T with a Text parameter = %q, want its Arabic version", got)
	}
	if _, err := Load(fsys, fsys); err == nil {
		t.Error("a key defined twice was accepted")
	}
}

// TestTrackMissesRecordsEveryUnknownKey: whatever its prefix, a key without a
// text in the language asked for is recorded, while T still shows what it
// showed before (the default language's text, else the key).
func TestTrackMissesRecordsEveryUnknownKey(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"a":"أ","only_ar":"ع"}`)},
		"messages/fr.json": {Data: []byte(`{"a":"a"}`)},
		"messages/en.json": {Data: []byte(`{"a":"a"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T(FR, "identity.before_tracking"); got != "identity.before_tracking" {
		t.Fatalf("untracked miss shows %q", got)
	}
	m := c.TrackMisses()
	if c.TrackMisses() != m {
		t.Fatal("a second TrackMisses started another record")
	}
	if got := m.Take(); len(got) != 0 {
		t.Fatalf("recorded before tracking: %v", got)
	}
	got := []string{c.T(AR, "a"), c.T(FR, "identity.planted_key"), c.T(EN, "only_ar"), c.TMap(AR, "admin.planted_key", map[string]any{"n": 1})}
	want := []string{"أ", "identity.planted_key", "ع", "admin.planted_key"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("T %d = %q, want %q (tracking must not change what is shown)", i, got[i], want[i])
		}
	}
	if got, want := strings.Join(m.Take(), " "), "ar:admin.planted_key en:only_ar fr:identity.planted_key"; got != want {
		t.Errorf("misses %q, want %q", got, want)
	}
	if got := m.Take(); len(got) != 0 {
		t.Errorf("Take did not forget: %v", got)
	}
}
