// Package testenv tells tests which real outside parts they may use and
// whether CI requires them. A test needing PostgreSQL, Chromium, an SMTP
// server or an S3 server calls Need: it skips on a developer machine that
// lacks the part, and fails when MADINA_TEST_REQUIRE names it, so that a CI
// run cannot pass green without having used it.
package testenv

import (
	"bytes"
	"os"
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
