package booking

import (
	"testing"

	"madina/internal/platform/i18n"
)

// A list in a sentence is joined in its language's way: the Arabic
// comma in Arabic, a Latin comma in French and English.
func TestJoinListByLanguage(t *testing.T) {
	items := []string{"a", "b", "c"}
	for l, want := range map[i18n.Lang]string{i18n.AR: "a، b، c", i18n.FR: "a, b, c", i18n.EN: "a, b, c"} {
		if got := joinList(l, items); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
	if got := joinList(i18n.AR, []string{"المواطنون"}); got != "المواطنون" {
		t.Errorf("one item: %q", got)
	}
}
