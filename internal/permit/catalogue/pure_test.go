package catalogue

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The compiler is pure: bytes in, a catalogue or its problems out. It
// imports no capability, no database, no HTTP and no logging, only these
// platform packages.
func TestCompilerIsPure(t *testing.T) {
	allowed := []string{"madina/internal/platform/errs", "madina/internal/platform/i18n", "madina/internal/platform/textnorm"}
	banned := []string{"database/sql", "net/http", "log", "log/slog", "os/exec", "net"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "madina/") && !slices.Contains(allowed, p) || slices.Contains(banned, p) {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source file checked")
	}
}

// Every document type the compiler accepts says which uploads it takes.
func TestDocumentTypesAcceptContentTypes(t *testing.T) {
	for _, typ := range docTypes {
		if got := (Document{Types: []string{typ}}).Accepted(); len(got) == 0 {
			t.Errorf("document type %q accepts no content type", typ)
		}
	}
	got := (Document{Types: []string{"pdf", "image"}}).Accepted()
	if want := []string{"application/pdf", "image/jpeg", "image/png"}; !slices.Equal(got, want) {
		t.Errorf("pdf and image accept %q, want %q", got, want)
	}
}
