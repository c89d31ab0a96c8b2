// Package padestest checks signed PDFs with tools nobody here wrote, for
// the tests of every package that signs: poppler's pdfsig, with Madina's
// root trusted in an NSS database that certutil (libnss3-tools) makes.
// The tools are required: a missing one fails the test.
package padestest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"madina/internal/platform/testenv"
)

// NeedTool fails t unless name is installed (Debian package pkg).
func NeedTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by the signature tests: install the Debian package %s (scripts/test-deps does)", name, pkg)
	}
	return p
}

// Run runs a tool and returns its output and exit code.
func Run(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	return testenv.RunTool(t, []string{"LC_ALL=C.UTF-8"}, name, args...)
}

// Must runs a tool that must succeed.
func Must(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, code := Run(t, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// Write writes data to dir/name and returns the path.
func Write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// PEM encodes certificates.
func PEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// NSSDB makes an NSS database in a temporary directory with root trusted
// for signatures, as a user of pdfsig would.
func NSSDB(t testing.TB, root *x509.Certificate) string {
	t.Helper()
	NeedTool(t, "certutil", "libnss3-tools")
	dir := t.TempDir()
	Must(t, "certutil", "-N", "-d", "sql:"+dir, "--empty-password")
	rootPath := Write(t, t.TempDir(), "root.pem", PEM(root))
	Must(t, "certutil", "-A", "-d", "sql:"+dir, "-n", "Madina Root", "-t", "CT,C,CT", "-a", "-i", rootPath)
	return dir
}

// Pdfsig runs poppler's pdfsig on data with the NSS database nss and
// returns its report.
func Pdfsig(t testing.TB, nss string, data []byte) string {
	t.Helper()
	NeedTool(t, "pdfsig", "poppler-utils")
	p := Write(t, t.TempDir(), "signed.pdf", data)
	out, _ := Run(t, "pdfsig", "-nssdir", "sql:"+nss, p)
	return out
}

// Count counts the signatures pdfsig reports valid and trusted, and all.
func Count(out string) (valid, trusted, total int) {
	valid = strings.Count(out, "Signature Validation: Signature is Valid.")
	trusted = strings.Count(out, "Certificate Validation: Certificate is Trusted.")
	total = strings.Count(out, "Signature #")
	return
}
