package permit

import (
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
)

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

// The draft form's textareas (declared to the router) and the API's
// multi-line fields (declared to DecodeJSON by a tag) are the same ones:
// the catalogue's text fields that multiline names.
func TestMultilineFieldsAgreeAcrossFormAndAPI(t *testing.T) {
	sf, _ := reflect.TypeOf(InputJSON{}).FieldByName("Fields")
	tag := strings.TrimPrefix(sf.Tag.Get("text"), "multiline=")
	var form []string
	for _, p := range strings.Split(tag, ",") {
		form = append(form, "field_"+p)
	}
	if !slices.Equal(form, multilineFields) {
		t.Fatalf("API tag %q, form patterns %q", tag, multilineFields)
	}
	for code, want := range map[string]bool{"works_description": true, "electrical_note": true, "activity": false, "land_title": false} {
		matched := false
		for _, p := range multilineFields {
			if ok, _ := path.Match(p, "field_"+code); ok {
				matched = true
			}
		}
		if multiline(code) != want || matched != want {
			t.Errorf("%s: multiline %v, declared %v, want %v", code, multiline(code), matched, want)
		}
	}
}
