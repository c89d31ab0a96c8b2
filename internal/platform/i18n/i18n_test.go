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

// A message that changes with a number takes its language's plural form:
// six in Arabic, two in French (0 and 1 singular) and English; a plural
// message lacking a form of its language, or with one it does not have,
// is reported.
func TestPluralForms(t *testing.T) {
	fsys := fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"unread":{"zero":"لا إشعارات","one":"إشعار واحد","two":"إشعاران","few":"{count} إشعارات","many":"{count} إشعارا","other":"{count} إشعار"}}`)},
		"messages/fr.json": {Data: []byte(`{"unread":{"one":"{count} notification non lue","other":"{count} notifications non lues"}}`)},
		"messages/en.json": {Data: []byte(`{"unread":{"one":"{count} unread notification","other":"{count} unread notifications"}}`)},
	}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if probs := c.Check(); len(probs) != 0 {
		t.Fatalf("complete plural message reported: %v", probs)
	}
	for _, tc := range []struct {
		l    Lang
		n    int
		want string
	}{
		{AR, 0, "لا إشعارات"}, {AR, 1, "إشعار واحد"}, {AR, 2, "إشعاران"}, {AR, 3, "3 إشعارات"},
		{AR, 10, "10 إشعارات"}, {AR, 11, "11 إشعارا"}, {AR, 99, "99 إشعارا"}, {AR, 100, "100 إشعار"},
		{AR, 102, "102 إشعار"}, {AR, 103, "103 إشعارات"}, {AR, 111, "111 إشعارا"},
		{FR, 0, "0 notification non lue"}, {FR, 1, "1 notification non lue"}, {FR, 2, "2 notifications non lues"},
		{EN, 0, "0 unread notifications"}, {EN, 1, "1 unread notification"}, {EN, 21, "21 unread notifications"},
	} {
		if got := c.T(tc.l, "unread", "count", tc.n); got != tc.want {
			t.Errorf("T(%s, %d) = %q, want %q", tc.l, tc.n, got, tc.want)
		}
	}
	if got := c.T(EN, "unread"); got != "{count} unread notifications" {
		t.Errorf("without a count: %q, want the other form", got)
	}

	bad := fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"n":{"one":"واحد","other":"{count}"}}`)},
		"messages/fr.json": {Data: []byte(`{"n":{"one":"un","few":"quelques","other":"{count}"}}`)},
		"messages/en.json": {Data: []byte(`{"n":{"other":"{count}"}}`)},
	}
	c, err = Load(bad)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.Check(), "\n")
	for _, want := range []string{`plural form "zero" missing in ar`, `plural form "many" missing in ar`, `fr has no plural form "few"`, `plural form "one" missing in en`} {
		if !strings.Contains(got, want) {
			t.Errorf("Check() = %s\nwant a line with %s", got, want)
		}
	}
	dodged := fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"n":"{count} موظف(ة)"}`)},
		"messages/fr.json": {Data: []byte(`{"n":"{count} organisme(s)"}`)},
		"messages/en.json": {Data: []byte(`{"n":"{count} files (of 3)"}`)},
	}
	if c, err = Load(dodged); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Check(), "\n"); !strings.Contains(got, `"ف(ة)" in ar`) || !strings.Contains(got, `"e(s)" in fr`) || strings.Contains(got, " in en") {
		t.Errorf("Check() = %s\nwant the (ة) and (s) plurals refused, the parenthesis in English left alone", got)
	}
	if _, err := Load(fstest.MapFS{
		"messages/ar.json": {Data: []byte(`{"n":3}`)}, "messages/fr.json": {Data: []byte(`{}`)}, "messages/en.json": {Data: []byte(`{}`)},
	}); err == nil {
		t.Error("a number as a message was accepted")
	}
}
