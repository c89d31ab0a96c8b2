// Package smtptest runs a real SMTP server on loopback for tests (Debian's
// python3-aiosmtpd, filing every message in a Maildir) and reads what it
// received.
package smtptest

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/testenv"
)

// aiosmtpdPython finds a python3 that has aiosmtpd (Debian's
// python3-aiosmtpd installs it for /usr/bin/python3).
func aiosmtpdPython() (string, bool) {
	cands := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import aiosmtpd.handlers").Run() == nil {
			return p, true
		}
	}
	return "", false
}

// Start runs a real SMTP server on loopback that files every message
// it accepts in a Maildir, and returns its port and the Maildir.
func Start(t testing.TB) (int, string) {
	t.Helper()
	py, ok := aiosmtpdPython()
	testenv.Need(t, "smtp", ok, "no python3 with aiosmtpd (Debian: apt install python3-aiosmtpd)")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	maildir := filepath.Join(t.TempDir(), "Maildir")
	cmd := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:"+strconv.Itoa(port), "-c", "aiosmtpd.handlers.Mailbox", maildir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return port, maildir
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Read parses the messages in maildir/new.
func Read(t testing.TB, maildir string) []*mail.Message {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(maildir, "new", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var ms []*mail.Message
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(fh)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		b, err := io.ReadAll(m.Body)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		m.Body = strings.NewReader(string(b))
		ms = append(ms, m)
	}
	return ms
}

// Body decodes a single-part text body by its transfer encoding.
func Body(t testing.TB, m *mail.Message) string {
	t.Helper()
	var r io.Reader = m.Body
	switch cte := strings.ToLower(m.Header.Get("Content-Transfer-Encoding")); cte {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // ignores line breaks
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	default:
		t.Fatalf("Content-Transfer-Encoding %q, want base64 or quoted-printable", cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
}
