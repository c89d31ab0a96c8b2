package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"madina/internal/platform/testenv"
)

const (
	startTimeout = 30 * time.Second // from exec to /readyz answering 200
	stopTimeout  = 20 * time.Second // from SIGTERM to exit
)

// server is a running "madina serve" process.
type server struct {
	URL string // http://127.0.0.1:PORT, no trailing slash

	cmd    *exec.Cmd
	stdout *lineWatcher
	stderr testenv.Buffer // the JSON log
	exited chan struct{}
	err    error // from cmd.Wait, set before exited closes
}

// startServer runs the binary on a free port with a fresh data directory
// (and so a fresh SQLite database unless args name another one), waits
// until it is ready, and stops it with SIGTERM when t ends: the test fails
// unless it then exits 0 and logged no error.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	// The browser has no network: the maps draw no tiles (--map-tiles
	// none), outlines and points on a plain background.
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--shutdown-grace", "10s", "--map-tiles", "none"}, args...)
	s := &server{stdout: newLineWatcher("Madina is running at "), exited: make(chan struct{})}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Env = childEnv()
	s.cmd.Stdout = s.stdout
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binary, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.After(startTimeout)
	select {
	case s.URL = <-s.stdout.found:
	case <-s.exited:
		t.Fatalf("madina serve exited before listening: %v\n%s", s.err, s.stderr.String())
	case <-deadline:
		t.Fatalf("madina serve printed no address within %s\nstdout: %s", startTimeout, s.stdout.String())
	}
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("madina serve exited before it was ready: %v", s.err)
		case <-deadline:
			t.Fatalf("%s/readyz did not answer 200 within %s (last: %v)", s.URL, startTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and checks the graceful shutdown.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM madina serve: %v", err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("madina serve did not exit cleanly after SIGTERM: %v", s.err)
		}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("madina serve still running %s after SIGTERM; killed", stopTimeout)
	}
	var errs []string
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			errs = append(errs, line)
		}
	}
	if len(errs) > 0 {
		t.Errorf("madina serve logged %d errors:\n%s", len(errs), strings.Join(errs, "\n"))
	}
	if t.Failed() {
		t.Logf("madina serve log:\n%s", tail(s.stderr.String(), 40))
	}
}

// childEnv is this process's environment without MADINA_* settings, so
// that only the flags given here configure the server.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MADINA_") {
			env = append(env, kv)
		}
	}
	return env
}

// lineWatcher keeps what a process writes and sends, once, the rest of the
// first line that starts with prefix.
type lineWatcher struct {
	testenv.Buffer
	prefix string
	found  chan string
	sent   bool
}

func newLineWatcher(prefix string) *lineWatcher {
	return &lineWatcher{prefix: prefix, found: make(chan string, 1)}
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if !w.sent {
		// Only whole lines: the address may arrive in two writes.
		out := w.String()
		out = out[:strings.LastIndex(out, "\n")+1]
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), w.prefix); ok {
				w.found <- rest
				w.sent = true
				break
			}
		}
	}
	return n, err
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
