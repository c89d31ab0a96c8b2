package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// uploadFixture is a citizen's draft file over the API: a client with a
// token that may write files, the file, and a checklist item taking PDFs.
type uploadFixture struct {
	c    apiClient
	file int64
	item string
}

func newUploadFixture(t *testing.T, a *App, base string) uploadFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var id int64
	if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
			family_name_latin, lang, created_at, updated_at) VALUES ('hanane@example.ma', 'hanane@example.ma', $1, 'Hanane',
			'Berrada', 'fr', $1, $1) RETURNING id`, now).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	tok, err := a.Identity.CreateToken(ctx, id, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := apiClient{t: t, base: base, token: tok}
	var f apiFile
	code, body := c.json("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 3, Sidi Othmane",
		"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55120", "activity": "Couture"}}, &f)
	if code != 201 || len(f.Missing) == 0 {
		t.Fatalf("create: %d %s", code, body)
	}
	return uploadFixture{c: c, file: f.ID, item: f.Missing[0]}
}

// upload posts content as a new version of the fixture's item.
func (u uploadFixture) upload(name, lang string, content []byte) (int, string) {
	u.c.t.Helper()
	return u.c.call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=%s&lang=%s", u.file, u.item, name, lang),
		"application/pdf", bytes.NewReader(content), nil)
}

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

func newStorageApp(t *testing.T, e db.Engine, mod func(*config.Config)) *App {
	return newTestAppWith(t, func(c *config.Config) {
		c.DatabaseURL = dbtest.URL(t, e)
		if e == db.SQLite {
			c.DatabaseURL = "sqlite:" + c.DatabaseURL
		}
		mod(c)
	})
}

// TestStorageFailuresSaySo: a read-only or full file store answers
// uploads with 503 and a message to try again later, in the user's
// language; /readyz says the files are unavailable; nothing is stored.
func TestStorageFailuresSaySo(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		t.Run("read-only", func(t *testing.T) {
			dir, readOnly := mountTmpfs(t, 8<<20)
			a := newStorageApp(t, d.Engine, func(c *config.Config) { c.BlobURL = "file://" + dir })
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			u := newUploadFixture(t, a, srv.URL)
			if r := do(t, a.Handler, "GET", "/readyz", nil); r.code != 200 {
				t.Fatalf("readyz before: %d %s", r.code, r.body)
			}
			readOnly()
			code, body := u.upload("plan.pdf", "fr", tinyPDF("plan"))
			if code != 503 || !strings.Contains(body, "réessayer plus tard") || !strings.Contains(body, "error.blob.unavailable") {
				t.Errorf("upload to a read-only store: %d %s", code, body)
			}
			if r := do(t, a.Handler, "GET", "/readyz", nil); r.code != 503 || !strings.Contains(r.body, `"files":"unavailable"`) {
				t.Errorf("readyz with a read-only store: %d %s", r.code, r.body)
			}
			if n := countWhere(t, a.DB, "permit_documents", "1=1"); n != 0 {
				t.Errorf("%d document rows after a failed upload", n)
			}
		})
		t.Run("full", func(t *testing.T) {
			dir, _ := mountTmpfs(t, 1<<20)
			a := newStorageApp(t, d.Engine, func(c *config.Config) { c.BlobURL = "file://" + dir })
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			u := newUploadFixture(t, a, srv.URL)
			big := append(tinyPDF("plan"), bytes.Repeat([]byte("% filler\n"), 300<<10)...)
			code, body := u.upload("plan.pdf", "ar", big)
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
	a := newTestAppWith(t, func(c *config.Config) { c.MinFreeSpaceMB = 1 << 40 })
	if r := do(t, a.Handler, "GET", "/readyz", nil); r.code != 503 || !strings.Contains(r.body, `"files":"low-space"`) {
		t.Errorf("readyz below the floor: %d %s", r.code, r.body)
	}
	b := newTestAppWith(t, func(c *config.Config) { c.MinFreeSpaceMB = 1 })
	if r := do(t, b.Handler, "GET", "/readyz", nil); r.code != 200 {
		t.Errorf("readyz above the floor: %d %s", r.code, r.body)
	}
}
