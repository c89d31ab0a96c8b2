// Package testenv tells tests which real outside parts they may use and
// whether CI requires them. A test needing PostgreSQL, Chromium, an SMTP
// server or an S3 server calls Need: it skips on a developer machine that
// lacks the part, and fails when MADINA_TEST_REQUIRE names it, so that a CI
// run cannot pass green without having used it.
package testenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Need skips or fails t when a part is missing. what names the part as in
// MADINA_TEST_REQUIRE (e.g. "postgres", "browser", "s3", "smtp"); why says
// what is missing.
func Need(t testing.TB, what string, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if Required(what) {
		t.Fatalf("%s is required by MADINA_TEST_REQUIRE but unavailable: %s", what, why)
	}
	t.Skipf("%s unavailable: %s", what, why)
}

// Required reports whether MADINA_TEST_REQUIRE names what (or "all").
func Required(what string) bool {
	for _, w := range strings.Split(os.Getenv("MADINA_TEST_REQUIRE"), ",") {
		w = strings.TrimSpace(w)
		if w == what || w == "all" {
			return true
		}
	}
	return false
}

// Buffer collects output written from several goroutines (a server's log,
// a child process's output) for a test to read.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// RunTool runs an outside program (a checker such as qpdf, pdfsig or
// openssl) with the extra environment given, and returns its standard
// output and error output together with its exit code; it fails t when the
// program cannot be started at all.
func RunTool(t testing.TB, env []string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	}
	t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	return "", 0
}
