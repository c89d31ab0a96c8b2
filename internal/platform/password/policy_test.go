package password

import (
	"strings"
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

func TestCheck(t *testing.T) {
	ctx := []string{"fatima.zahra92@example.ma", "Fatima Zahra El Idrissi"}
	cases := []struct {
		pw     string
		key    string // "" for accepted
		params map[string]any
	}{
		{"short", KeyShort, map[string]any{"min": MinLen}},
		{"ninechars", KeyShort, map[string]any{"min": MinLen}},
		{"كلمةمرور", KeyShort, map[string]any{"min": MinLen}}, // 8 runes, 16 bytes
		{"شمس الظهيرة حارة", "", nil},                         // 16 runes
		{"tenchars!!", "", nil},                               // exactly MinLen
		{strings.Repeat("ab cd ", 21) + "xy", "", nil},        // exactly MaxLen
		{strings.Repeat("ab cd ", 21) + "xyz", KeyLong, map[string]any{"max": MaxLen}},
		{strings.Repeat("ش", 129), KeyLong, map[string]any{"max": MaxLen}}, // runes, not bytes
		{"123456789", KeyShort, map[string]any{"min": MinLen}},             // short beats common
		{"1234567890", KeyCommon, nil},
		{"١٢٣٤٥٦٧٨٩٠", KeyCommon, nil}, // Arabic-Indic digits
		{"Azerty123!", KeyCommon, nil}, // case and punctuation folded
		{"PASSWORD123", KeyCommon, nil},
		{"MotDePasse123", KeyCommon, nil},
		{"Casablanca123", KeyCommon, nil},
		{"كلمة السر 123", KeyCommon, nil},
		{"!@#$%^&*()", KeyCommon, nil},   // no letters left after folding
		{"aaaaaaaaaaaa", KeyCommon, nil}, // repeated unit
		{"abababababab", KeyCommon, nil},
		{"1231231231", KeyCommon, nil},
		{"Fatima.Zahra92", KeyPersonal, nil},     // e-mail local part
		{"fatimazahra2025", KeyPersonal, nil},    // contains it
		{"ilove-idrissi-2025", KeyPersonal, nil}, // a name word
		{"ZAHRA is my cat", KeyPersonal, nil},
		{"alibaba et les 40", "", nil}, // "el" and "ali" are too short to forbid
		{"horse battery staple", "", nil},
	}
	for _, c := range cases {
		err := Check(c.pw, ctx...)
		if c.key == "" {
			if err != nil {
				t.Errorf("Check(%q) = %v; want nil", c.pw, err)
			}
			continue
		}
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || e.Key != c.key {
			t.Errorf("Check(%q) = %v; want invalid %s", c.pw, err, c.key)
			continue
		}
		for k, v := range c.params {
			if e.Params[k] != v {
				t.Errorf("Check(%q): param %s = %v, want %v", c.pw, k, e.Params[k], v)
			}
		}
	}
	// Without context the personal rule has nothing to check.
	if err := Check("Fatima.Zahra92"); err != nil {
		t.Errorf("Check without context = %v", err)
	}
}

func TestCommonListLoaded(t *testing.T) {
	if n := len(common); n < 100 {
		t.Errorf("common list has %d folded entries; the embedded file did not load", n)
	}
}

func TestMessages(t *testing.T) {
	c, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Check() {
		t.Error(p)
	}
	for _, l := range i18n.Langs {
		for _, k := range []string{KeyShort, KeyLong, KeyCommon, KeyPersonal} {
			if !c.Has(l, k) {
				t.Errorf("%s lacks %s", l, k)
			}
		}
	}
	if got := c.T(i18n.AR, KeyShort, "min", MinLen); !strings.Contains(got, "10") {
		t.Errorf("ar %s = %q: {min} not filled", KeyShort, got)
	}
}
