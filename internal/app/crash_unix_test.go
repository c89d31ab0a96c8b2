//go:build unix

package app_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/blob"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// served is the real binary serving, its log kept.
type served struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs bytes.Buffer
}

func (s *served) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Write(p)
}

func (s *served) log() string { s.mu.Lock(); defer s.mu.Unlock(); return s.logs.String() }

func serveBinary(t *testing.T, bin string, args []string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, append([]string{"serve"}, args...)...)}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Madina is running at ") {
		t.Fatalf("serve printed %q, %v\n%s", line, err, s.log())
	}
	s.url = strings.TrimSpace(strings.TrimPrefix(line, "Madina is running at "))
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCrashLeftoversAreSwept kills the real binary with SIGKILL in the
// middle of an upload, as a power cut or the OOM killer would, then starts
// it again once time has passed: the upload's temporary file and a blob
// whose row never committed are swept, and logged; a blob a row names is
// kept.
func TestCrashLeftoversAreSwept(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "madina")
	if out, err := exec.Command("go", "build", "-o", bin, "madina/cmd/madina").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			cfg := config.Config{DataDir: dir, Workers: 1}
			args := []string{"--data-dir", dir, "--log-format", "text", "--addr", "127.0.0.1:0"}
			if e == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(t, e)
				args = append(args, "--database-url", cfg.DatabaseURL)
			}

			// A citizen's draft with one document, and a blob stored by
			// an upload killed before its row committed.
			a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(a.Handler)
			u := apptest.NewUploadFixture(t, a, srv.URL)
			var doc struct{ SHA256 string }
			code, body := u.C.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=plan.pdf", u.File, u.Item),
				"application/pdf", bytes.NewReader(apptest.TinyPDF("kept")), &doc)
			if code != 201 {
				t.Fatalf("upload: %d %s", code, body)
			}
			orphan, err := a.Blobs.Put(ctx, bytes.NewReader(apptest.TinyPDF("orphan")), blob.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			srv.Close()
			a.Close()
			blobPath := func(sha string) string { return filepath.Join(dir, "blobs", sha[:2], sha[2:4], sha) }
			spool := func() []string {
				m, _ := filepath.Glob(filepath.Join(dir, "blobs", "tmp", "put-*"))
				return m
			}

			// Serve, and kill -9 while an upload streams in.
			s1 := serveBinary(t, bin, args)
			pr, pw := io.Pipe()
			go func() {
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/files/%d/documents/%s?name=big.pdf", s1.url, u.File, u.Item), pr)
				req.Header.Set("Authorization", "Bearer "+u.C.Token)
				req.Header.Set("Content-Type", "application/pdf")
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
			}()
			go func() {
				_, _ = pw.Write([]byte("%PDF-1.7\n"))
				_, _ = pw.Write(make([]byte, 4<<20))
			}()
			waitFor(t, "the upload's temporary file", func() bool {
				sp := spool()
				if len(sp) != 1 {
					return false
				}
				info, err := os.Stat(sp[0])
				return err == nil && info.Size() >= 4<<20
			})
			if err := s1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = s1.cmd.Wait()
			pw.CloseWithError(io.ErrClosedPipe)
			left := spool()
			if len(left) != 1 {
				t.Fatalf("after the kill, temporary files %v, want the upload's", left)
			}

			// Time passes: longer than any upload, longer than the grace.
			past := func(p string, d time.Duration) {
				if err := os.Chtimes(p, time.Now().Add(-d), time.Now().Add(-d)); err != nil {
					t.Fatal(err)
				}
			}
			past(left[0], blob.StaleSpool+time.Minute)
			past(blobPath(orphan.SHA256), blob.DefaultGrace+time.Minute)
			past(blobPath(doc.SHA256), blob.DefaultGrace+time.Minute)

			s2 := serveBinary(t, bin, args)
			waitFor(t, "the sweep's log", func() bool { return strings.Contains(s2.log(), "file store swept") })
			if sp := spool(); len(sp) != 0 {
				t.Errorf("temporary files after the restart: %v", sp)
			}
			if _, err := os.Stat(blobPath(orphan.SHA256)); !os.IsNotExist(err) {
				t.Errorf("unreferenced blob after the restart: %v", err)
			}
			if _, err := os.Stat(blobPath(doc.SHA256)); err != nil {
				t.Errorf("the document's blob is gone: %v", err)
			}
			if !strings.Contains(s2.log(), "spool_files=1") || !strings.Contains(s2.log(), "blobs=1") {
				t.Errorf("the log does not say what was swept:\n%s", s2.log())
			}
			res, err := http.Get(s2.url + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			m, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Logf("metrics not served on the main address (%d): the counter is tested in package blob", res.StatusCode)
			} else if !strings.Contains(string(m), `madina_blob_swept_files_total{kind="blob"} 1`) {
				t.Errorf("no swept blob in the metrics:\n%s", apptest.Grep(string(m), "madina_blob"))
			}
			_ = s2.cmd.Process.Signal(syscall.SIGTERM)
		})
	}
}
