package permit

import "testing"

// An upload's name is chosen by the browser, not typed: it keeps no
// control or direction-override character (a right-to-left override shows
// "demande\u202Efdp.exe" as "demandeexe.pdf").
func TestUploadNamesLoseHostileCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"demande\u202Efdp.exe":            "demandefdp.exe",
		`C:\Users\x\تصميم.pdf` + "\u200F": "تصميم.pdf",
		"a\x00b\x1b.pdf":                  "ab.pdf",
		"\u2067plan\u2069.pdf":            "plan.pdf",
		"\xff":                            "item",
	} {
		if got := cleanName(in, "item"); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
