package permit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/httpx"
	"madina/internal/platform/pdf"
)

// lockedBuffer collects logs written from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// throttled sends b in pieces, pausing before each; stallAfter > 0 pauses
// for stall once that many pieces are sent.
func throttled(b []byte, pieces int, pause time.Duration, stallAfter int, stall time.Duration) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		size := (len(b) + pieces - 1) / pieces
		for i := 0; len(b) > 0; i++ {
			time.Sleep(pause)
			if stallAfter > 0 && i == stallAfter {
				time.Sleep(stall)
			}
			n := min(size, len(b))
			if _, err := pw.Write(b[:n]); err != nil {
				return
			}
			b = b[n:]
		}
		pw.Close()
	}()
	return pr
}

// A slow line uploads a document for longer than the server's read
// timeout as long as bytes keep coming; a line that stalls past the idle
// timeout gets a 408 logged as a warning, and nothing is stored.
func TestSlowUploadsAreNotCut(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := newFilesApp(t, e)
		logs := &lockedBuffer{}
		a.Resp.Log = slog.New(slog.NewTextHandler(logs, nil))
		// The production figures scaled down: a 600 ms read timeout for
		// the whole request, 700 ms of silence allowed in an upload.
		a.Router.Uploads = httpx.UploadTimeouts{Idle: 700 * time.Millisecond, Answer: 5 * time.Second}
		srv := httptest.NewUnstartedServer(a.Handler)
		srv.Config.ReadTimeout = 600 * time.Millisecond
		srv.Config.WriteTimeout = 600 * time.Millisecond
		srv.Start()
		defer srv.Close()

		ctx := context.Background()
		var owner int64
		now := time.Now().UTC()
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, lang, created_at, updated_at)
				VALUES ('slow@example.ma', 'slow@example.ma', $1, 'fr', $1, $1) RETURNING id`, now).Scan(&owner)
		}); err != nil {
			t.Fatal(err)
		}
		token, err := a.Identity.CreateToken(ctx, owner, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var f apptest.APIFile
		if code, body := apptest.CheckedAPI(t, a, srv.URL, token).JSON("POST", "/api/v1/files", map[string]any{"kind": "repair"}, &f); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		doc := pdf.New(pdf.Options{})
		doc.Text(72, 72, 12, false, "Plan "+strings.Repeat("R+1 ", 2000))
		var plan bytes.Buffer
		if _, err := doc.WriteTo(&plan); err != nil {
			t.Fatal(err)
		}
		upload := func(item string, body io.Reader) (int, string, error) {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/files/%d/documents/%s?name=plan.pdf&lang=fr", srv.URL, f.ID, item), body)
			req.ContentLength = int64(plan.Len())
			req.Header.Set("Content-Type", "application/pdf")
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := srv.Client().Do(req)
			if err != nil {
				return 0, "", err
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b), nil
		}
		stored := func() int {
			var n int
			if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_documents WHERE file_id = $1`, f.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// 1.5 s in 15 pieces: past the read and write timeouts, never
		// 700 ms without bytes.
		start := time.Now()
		code, body, err := upload("works_note", throttled(plan.Bytes(), 15, 100*time.Millisecond, 0, 0))
		if err != nil || code != http.StatusCreated {
			t.Fatalf("slow upload: %d %s %v", code, body, err)
		}
		if took := time.Since(start); took < time.Second {
			t.Fatalf("the upload took %s: not slower than the read timeout", took)
		}
		var up struct{ SHA256 string }
		_ = json.Unmarshal([]byte(body), &up)
		if stored() != 1 || up.SHA256 == "" {
			t.Fatalf("slow upload not stored: %d rows, %s", stored(), body)
		}

		// A line silent for two seconds halfway.
		blobsBefore := countFiles(t, a.Cfg.DataDir)
		code, body, err = upload("existing_plans", throttled(plan.Bytes(), 10, 20*time.Millisecond, 5, 2*time.Second))
		t.Logf("stalled: %d %v %.80s", code, err, body)
		if err == nil && (code != http.StatusRequestTimeout || !strings.Contains(body, "connexion a été coupée")) {
			t.Fatalf("stalled upload: %d %s", code, body)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(logs.String(), "request incomplete") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if l := logs.String(); !strings.Contains(l, "level=WARN msg=\"request incomplete\"") || strings.Contains(l, "level=ERROR") {
			t.Fatalf("stalled upload not logged as a warning:\n%s", l)
		}
		if n := stored(); n != 1 {
			t.Fatalf("stalled upload stored: %d rows", n)
		}
		if n := countFiles(t, a.Cfg.DataDir); n != blobsBefore {
			t.Fatalf("stalled upload left %d files in the data directory", n-blobsBefore)
		}
	})
}

// countFiles counts the regular files under the data directory's blob
// store and spool (the database's own files left aside).
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), "madina.db") && e.Name() != "secret.key" {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
