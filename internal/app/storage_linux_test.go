//go:build linux

package app_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
)

// mountTmpfs mounts a file system of size bytes at a new directory, as
// root can; tests needing one are skipped elsewhere. A real mount gives
// the honest failures: ENOSPC when full, EROFS once remounted read-only,
// which chmod cannot give a root process.
func mountTmpfs(t *testing.T, size int64) (dir string, readOnly func()) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root on Linux): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir, func() {
		if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Fatalf("remount read-only: %v", err)
		}
	}
}

// TestStorageFailuresSaySo: a read-only or full file store answers
// uploads with 503 and a message to try again later, in the user's
// language; /readyz says the files are unavailable; nothing is stored.
func TestStorageFailuresSaySo(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		t.Run("read-only", func(t *testing.T) {
			dir, readOnly := mountTmpfs(t, 8<<20)
			a := apptest.New(t, e, apptest.Config(func(c *config.Config) { c.BlobURL = "file://" + dir }))
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			u := apptest.NewUploadFixture(t, a, srv.URL)
			if r := apptest.Do(t, a.Handler, "GET", "/readyz", nil); r.Code != 200 {
				t.Fatalf("readyz before: %d %s", r.Code, r.Body)
			}
			readOnly()
			code, body := u.Upload("plan.pdf", "fr", apptest.TinyPDF("plan"))
			if code != 503 || !strings.Contains(body, "réessayer plus tard") || !strings.Contains(body, "error.blob.unavailable") {
				t.Errorf("upload to a read-only store: %d %s", code, body)
			}
			if r := apptest.Do(t, a.Handler, "GET", "/readyz", nil); r.Code != 503 || !strings.Contains(r.Body, `"files":"unavailable"`) {
				t.Errorf("readyz with a read-only store: %d %s", r.Code, r.Body)
			}
			if n := countWhere(t, a.DB, "permit_documents", "1=1"); n != 0 {
				t.Errorf("%d document rows after a failed upload", n)
			}
		})
		t.Run("full", func(t *testing.T) {
			dir, _ := mountTmpfs(t, 1<<20)
			a := apptest.New(t, e, apptest.Config(func(c *config.Config) { c.BlobURL = "file://" + dir }))
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			u := apptest.NewUploadFixture(t, a, srv.URL)
			big := append(apptest.TinyPDF("plan"), bytes.Repeat([]byte("% filler\n"), 300<<10)...)
			code, body := u.Upload("plan.pdf", "ar", big)
			if code != 503 || !strings.Contains(body, "مخزن الملفات غير متاح") {
				t.Errorf("upload to a full store: %d %s", code, body)
			}
			if n := countWhere(t, a.DB, "permit_documents", "1=1"); n != 0 {
				t.Errorf("%d document rows after a failed upload", n)
			}
			var left []string
			_ = filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
				if err == nil && !de.IsDir() {
					left = append(left, p)
				}
				return nil
			})
			if len(left) != 0 {
				t.Errorf("files left in the full store: %v", left)
			}
		})
	})
}

// TestReadyzFreeSpaceFloor: below the configured free space, /readyz
// fails before uploads do.
func TestReadyzFreeSpaceFloor(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.MinFreeSpaceMB = 1 << 40 }))
	if r := apptest.Do(t, a.Handler, "GET", "/readyz", nil); r.Code != 503 || !strings.Contains(r.Body, `"files":"low-space"`) {
		t.Errorf("readyz below the floor: %d %s", r.Code, r.Body)
	}
	b := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.MinFreeSpaceMB = 1 }))
	if r := apptest.Do(t, b.Handler, "GET", "/readyz", nil); r.Code != 200 {
		t.Errorf("readyz above the floor: %d %s", r.Code, r.Body)
	}
}
