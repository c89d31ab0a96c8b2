package textin

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"madina/internal/platform/errs"
)

func TestClean(t *testing.T) {
	cases := []struct {
		name, in string
		k        Kind
		want     string // "" with key set: refused
		key      string
	}{
		{"ascii", "Réfection 12", Line, "Réfection 12", ""},
		{"arabic", "مدينة الدار البيضاء", Line, "مدينة الدار البيضاء", ""},
		{"invalid UTF-8", "x\xffy", Line, "", KeyEncoding},
		{"truncated rune", "مد\xd9", Lines, "", KeyEncoding},
		{"NUL", "x\x00y", Line, "", KeyNUL},
		{"NUL in multi-line", "x\x00y", Lines, "", KeyNUL},
		{"bell", "x\ay", Line, "", KeyControl},
		{"escape", "x\x1b[31my", Lines, "", KeyControl},
		{"DEL", "x\x7fy", Line, "", KeyControl},
		{"C1 control", "x\u0085y", Line, "", KeyControl},
		{"noncharacter", "x\uFFFEy", Line, "", KeyControl},
		{"tag characters", "ok\U000E0041\U000E0042", Line, "", KeyControl},
		{"right-to-left override", "invoice\u202Efdp.exe", Line, "", KeyBidi},
		{"override in multi-line", "a\n\u202Db", Lines, "", KeyBidi},
		{"isolate", "a\u2067b\u2069", Line, "", KeyBidi},
		{"newline in a single line", "a\nb", Line, "", KeyNewline},
		{"CR in a single line", "a\rb", Line, "", KeyNewline},
		{"line separator in a single line", "a\u2028b", Line, "", KeyNewline},
		{"CRLF kept as LF", "a\r\nb\rc\n", Lines, "a\nb\nc\n", ""},
		{"line separator to LF", "a\u2029b", Lines, "a\nb", ""},
		{"tab to space", "a\tb", Line, "a b", ""},
		{"BOM removed anywhere", "\uFEFFab\uFEFFc", Line, "abc", ""},
		{"trailing zero-width removed", "Maarif\u200B\u200F", Line, "Maarif", ""},
		{"leading marks removed, spaces kept", "\u200E \u200Fدار ", Line, " دار ", ""},
		{"marks inside kept", "رقم\u200F 12\u200C3", Line, "رقم\u200F 12\u200C3", ""},
		{"NFC", "e\u0301te\u0301", Line, "été", ""},
		{"Arabic NFC", "\u0627\u0654", Line, "\u0623", ""},
		{"spaces kept", "  pass word  ", Line, "  pass word  ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Clean(c.in, c.k)
			if c.key != "" {
				if e := errs.As(err); e == nil || e.Kind != errs.Invalid || e.Key != c.key {
					t.Fatalf("Clean(%q) = %q, %v; want %s", c.in, got, err, c.key)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Clean(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plan\u202Efdp.exe":    "planfdp.exe",
		"a\x00b\xffc\td\r\ne":  "abc d  e",
		"\u200Bنسخة.pdf\u200F": "نسخة.pdf",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
		if got := Sanitize(in); !clean(got, Line) {
			t.Errorf("Sanitize(%q) = %q breaks the rule", in, got)
		}
	}
}

// clean is the rule stated independently of Clean: what may be stored.
func clean(s string, k Kind) bool {
	if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' && k == Lines:
		case unicode.IsControl(r), r == 0xFEFF, r == 0x2028, r == 0x2029, Bidi(r),
			r >= 0xE0000 && r <= 0xE007F, r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
			return false
		}
	}
	trimmed := strings.TrimFunc(s, unicode.IsSpace)
	if r, _ := utf8.DecodeRuneInString(trimmed); invisible(r) {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(trimmed); invisible(r) {
		return false
	}
	return true
}

// FuzzClean: whatever the bytes, Clean refuses them with errs.Invalid or
// returns text that satisfies the rule, and cleaning twice changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "x\x00y", "x\xffy", "%00", "a\u202Eb", "a\r\nb", "\uFEFF\u200Bx\u200F", "e\u0301", "\t", "\U000E0041"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		k := Line
		if multi {
			k = Lines
		}
		got, err := Clean(s, k)
		if err != nil {
			if e := errs.As(err); e == nil || e.Kind != errs.Invalid {
				t.Fatalf("Clean(%q): %v", s, err)
			}
			return
		}
		if !clean(got, k) {
			t.Fatalf("Clean(%q) = %q breaks the rule", s, got)
		}
		if again, err := Clean(got, k); err != nil || again != got {
			t.Fatalf("Clean is not idempotent on %q: %q, %v", got, again, err)
		}
		if san := Sanitize(s); !clean(san, Line) {
			t.Fatalf("Sanitize(%q) = %q breaks the rule", s, san)
		}
	})
}
