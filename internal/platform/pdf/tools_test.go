package pdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"madina/internal/platform/testenv"
)

// The tests check this package's output and its judgement of uploads
// against real PDF tools. They are not optional: without them nothing
// proves that the PDFs are valid, so a missing tool fails the test.
// scripts/test-deps installs them (Debian packages qpdf and poppler-utils).
var toolPackages = map[string]string{
	"qpdf":      "qpdf",
	"pdfinfo":   "poppler-utils",
	"pdffonts":  "poppler-utils",
	"pdftotext": "poppler-utils",
	"pdftoppm":  "poppler-utils",
}

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by the pdf tests: install the Debian package %s (scripts/test-deps does)", name, toolPackages[name])
	}
	return p
}

// runTool runs a tool and returns its standard output and error output
// together with its exit code.
func runTool(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	return testenv.RunTool(t, nil, needTool(t, name), args...)
}

// mustTool runs a tool that must succeed.
func mustTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, code := runTool(t, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// writeFile writes b to a new file in dir and returns its path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pdfBytes returns what d writes.
func pdfBytes(t testing.TB, d *Document) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := d.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}
