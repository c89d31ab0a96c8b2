package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"
	"github.com/prometheus/client_golang/prometheus"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// sweepHarness is a store with a way to age its blobs and reach its spool.
type sweepHarness struct {
	store Store
	spool string                                          // directory of the temporary files
	age   func(t *testing.T, sha string, d time.Duration) // set a blob's modification time d in the past
}

// tableRefs names the blobs listed in a table of the test's database, as
// a capability's query does.
type tableRefs struct{ d *db.DB }

func (r tableRefs) BlobRefs(ctx context.Context, fn func(string)) error {
	rows, err := r.d.QueryContext(ctx, "SELECT sha256 FROM sweep_refs")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		fn(s)
	}
	return rows.Err()
}

func TestSweeper(t *testing.T) {
	fsStore := func(t *testing.T) sweepHarness {
		root := filepath.Join(t.TempDir(), "b")
		s, err := Open(context.Background(), "file://"+root, "")
		if err != nil {
			t.Fatal(err)
		}
		return sweepHarness{store: s, spool: filepath.Join(root, "tmp"), age: func(t *testing.T, sha string, d time.Duration) {
			p := filepath.Join(root, sha[:2], sha[2:4], sha)
			if err := os.Chtimes(p, time.Now().Add(-d), time.Now().Add(-d)); err != nil {
				t.Fatal(err)
			}
		}}
	}
	t.Run("fs", func(t *testing.T) { testSweeper(t, fsStore) })
	t.Run("s3", func(t *testing.T) {
		gw := startVersityGW(t)
		t.Setenv("MADINA_S3_ACCESS_KEY", gwAccess)
		t.Setenv("MADINA_S3_SECRET_KEY", gwSecret)
		var n atomic.Int32
		testSweeper(t, func(t *testing.T) sweepHarness {
			ctx := context.Background()
			bucket := fmt.Sprintf("sweep-test-%d", n.Add(1))
			if err := gw.admin.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
				t.Fatal(err)
			}
			dataDir := t.TempDir()
			s, err := Open(ctx, fmt.Sprintf("s3://%s?endpoint=http://%s&region=us-east-1&path_style=true&prefix=blobs/",
				bucket, gw.addr), dataDir)
			if err != nil {
				t.Fatal(err)
			}
			// The posix backend keeps each object as a file and lists its
			// modification time as the object's.
			return sweepHarness{store: s, spool: filepath.Join(dataDir, "blob-spool"), age: func(t *testing.T, sha string, d time.Duration) {
				p := filepath.Join(gw.root, bucket, "blobs", sha)
				if err := os.Chtimes(p, time.Now().Add(-d), time.Now().Add(-d)); err != nil {
					t.Fatal(err)
				}
			}}
		})
	})
}

func testSweeper(t *testing.T, newStore func(t *testing.T) sweepHarness) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		h := newStore(t)
		if _, err := d.ExecContext(ctx, "CREATE TABLE sweep_refs (sha256 TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		put := func(content string, age time.Duration, referenced bool) string {
			b, err := h.store.Put(ctx, strings.NewReader(content), PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if referenced {
				if _, err := d.ExecContext(ctx, "INSERT INTO sweep_refs (sha256) VALUES ($1)", b.SHA256); err != nil {
					t.Fatal(err)
				}
			}
			h.age(t, b.SHA256, age)
			return b.SHA256
		}
		old := DefaultGrace + time.Hour
		referencedOld := put("a plan a row names", old, true)
		orphanOld := put("a plan whose row never committed", old, false)
		orphanFresh := put("a plan whose row is committing now", time.Minute, false)
		spoolFile := func(name string, age time.Duration) {
			p := filepath.Join(h.spool, name)
			if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, time.Now().Add(-age), time.Now().Add(-age)); err != nil {
				t.Fatal(err)
			}
		}
		spoolFile(spoolPrefix+"killed", StaleSpool+time.Minute)
		spoolFile(spoolPrefix+"running", time.Second)

		var logs bytes.Buffer
		sw := &Sweeper{Store: h.store, Refs: []Referencer{tableRefs{d}}, Log: slogTo(&logs)}
		reg := prometheus.NewRegistry()
		sw.Register(reg)
		rep, err := sw.Sweep(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := SweepReport{SpoolFiles: 1, SpoolBytes: 1000, Blobs: 1, BlobBytes: int64(len("a plan whose row never committed"))}
		if diff := cmp.Diff(want, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		var left []string
		if err := h.store.Walk(ctx, func(sha string, _ time.Time) error { left = append(left, sha); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(left)
		keep := []string{referencedOld, orphanFresh}
		slices.Sort(keep)
		if diff := cmp.Diff(keep, left); diff != "" {
			t.Errorf("blobs after the sweep (-want +got):\n%s\n(swept orphan %s)", diff, orphanOld)
		}
		if diff := cmp.Diff([]string{spoolPrefix + "running"}, listFiles(t, h.spool)); diff != "" {
			t.Errorf("spool after the sweep (-want +got):\n%s", diff)
		}
		for _, kind := range []string{"blob", "spool"} {
			if got := counter(t, reg, "madina_blob_swept_files_total", kind); got != 1 {
				t.Errorf("madina_blob_swept_files_total{kind=%q} = %v, want 1", kind, got)
			}
		}
		if !strings.Contains(logs.String(), "file store swept") {
			t.Errorf("no log of the sweep: %s", logs.String())
		}

		// A failing reference query sweeps no blob: better a leftover
		// than a citizen's plan lost.
		if _, err := d.ExecContext(ctx, "DROP TABLE sweep_refs"); err != nil {
			t.Fatal(err)
		}
		h.age(t, orphanFresh, old)
		if _, err := sw.Sweep(ctx, time.Now()); err == nil {
			t.Error("sweep with a failing reference query succeeded")
		}
		if _, err := h.store.Stat(ctx, referencedOld); err != nil {
			t.Errorf("referenced blob gone after a failed sweep: %v", err)
		}
	})
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// counter reads a counter of reg with the label kind.
func counter(t *testing.T, reg *prometheus.Registry, name, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{kind=%q}", name, kind)
	return 0
}

// TestSweeperStopsOnTheWrongDatabase: a node whose database names none of
// the store's blobs (an empty or staging database on the production
// store) removes nothing.
func TestSweeperStopsOnTheWrongDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		root := filepath.Join(t.TempDir(), "b")
		s, err := Open(ctx, "file://"+root, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, "CREATE TABLE sweep_refs (sha256 TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		for i := range maxUnchecked + 1 {
			b, err := s.Put(ctx, strings.NewReader(fmt.Sprint("plan ", i)), PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(root, b.SHA256[:2], b.SHA256[2:4], b.SHA256)
			old := time.Now().Add(-DefaultGrace - time.Hour)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		sw := &Sweeper{Store: s, Refs: []Referencer{tableRefs{d}}}
		rep, err := sw.Sweep(ctx, time.Now())
		if err == nil || !strings.Contains(err.Error(), "refusing") || rep.Blobs != 0 {
			t.Fatalf("sweep on an empty database: %+v, %v", rep, err)
		}
		n := 0
		_ = s.Walk(ctx, func(string, time.Time) error { n++; return nil })
		if n != maxUnchecked+1 {
			t.Errorf("%d blobs left, want %d", n, maxUnchecked+1)
		}
	})
}
