package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// planSize is the size of the plan the upload benchmark streams: the
// largest a window accepts.
const planSize = 200 << 20

// bigPDF streams a valid PDF of exactly size bytes: one page, then a
// stream of pseudo-random filler (different for each seed, so that the
// content-addressed store really writes every upload), then the
// cross-reference table. Nothing is held in memory but a 64 KiB block.
func bigPDF(size int64, seed uint64) io.Reader {
	var head bytes.Buffer
	var offs []int64
	head.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj := func(s string) {
		offs = append(offs, int64(head.Len()))
		fmt.Fprintf(&head, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1190 842] /Contents 4 0 R >>")
	// The tail's length does not depend on the filler's, but for the
	// digits of the offsets: compute it with a placeholder of fixed width.
	tail := func(streamObj, xref int64) []byte {
		var t bytes.Buffer
		t.WriteString("\nendstream\nendobj\n")
		fmt.Fprintf(&t, "xref\n0 5\n0000000000 65535 f \n")
		for _, o := range append(offs, streamObj) {
			fmt.Fprintf(&t, "%010d 00000 n \n", o)
		}
		fmt.Fprintf(&t, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%012d\n%%%%EOF\n", xref)
		return t.Bytes()
	}
	streamObj := int64(head.Len())
	const lenDigits = 12
	prefix := fmt.Sprintf("4 0 obj\n<< /Length %0*d >>\nstream\n", lenDigits, 0)
	tailLen := int64(len(tail(0, 0)))
	filler := size - int64(head.Len()) - int64(len(prefix)) - tailLen
	fmt.Fprintf(&head, "4 0 obj\n<< /Length %0*d >>\nstream\n", lenDigits, filler)
	xref := int64(head.Len()) + filler + int64(len("\nendstream\nendobj\n"))
	block := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	return io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(&repeat{b: block}, filler),
		bytes.NewReader(tail(streamObj, xref)))
}

// repeat reads its block over and over.
type repeat struct {
	b   []byte
	off int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

// uploadTarget is a draft repair permit file of a person with an API token.
type uploadTarget struct {
	url, token string
}

func newUploadTarget(b *testing.B, a *app.App, srv *httptest.Server) uploadTarget {
	b.Helper()
	ctx := context.Background()
	var id int64
	now := time.Now().UTC()
	err := a.DB.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, lang, created_at, updated_at)
			VALUES ('owner@bench.ma', 'owner@bench.ma', $1, 'ar', $1, $1) RETURNING id`, now).Scan(&id)
	})
	if err != nil {
		b.Fatal(err)
	}
	token, err := a.Identity.CreateToken(ctx, id, "bench", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, 24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/files", bytes.NewReader([]byte(`{"kind":"repair"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var f struct{ ID int64 }
	if err := json.NewDecoder(res.Body).Decode(&f); err != nil || res.StatusCode != 201 {
		b.Fatalf("create file: %d %v", res.StatusCode, err)
	}
	return uploadTarget{url: srv.URL + "/api/v1/files/" + strconv.FormatInt(f.ID, 10) + "/documents/works_note?name=plan.pdf", token: token}
}

func (u uploadTarget) upload(c *http.Client, body io.Reader) error {
	req, _ := http.NewRequest("POST", u.url, body)
	req.ContentLength = planSize
	req.Header.Set("Content-Type", "application/pdf")
	req.Header.Set("Authorization", "Bearer "+u.token)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload: %s %s", res.Status, msg)
	}
	return nil
}

var benchSeed atomic.Uint64

// BenchmarkUpload200MB compares streaming a 200 MB plan through the upload
// endpoint (HTTP on loopback, multipart-free raw body, type sniffing, PDF
// structure check, SHA-256, fsync, content-addressed store, database row
// and audit record) with the floor: copying the same bytes to a file on
// the same disk while computing the same hash, then fsync.
func BenchmarkUpload200MB(b *testing.B) {
	b.Run("floor=disk-copy+sha256", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(planSize)
		for i := 0; b.Loop(); i++ {
			f, err := os.Create(filepath.Join(dir, "copy"))
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(io.MultiWriter(f, h), bigPDF(planSize, benchSeed.Add(1)), make([]byte, 64<<10)); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			os.Remove(f.Name())
		}
	})
	b.Run("upload-endpoint", func(b *testing.B) {
		a := apptest.New(b, db.SQLite)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		u := newUploadTarget(b, a, srv)
		b.SetBytes(planSize)
		for b.Loop() {
			if err := u.upload(srv.Client(), bigPDF(planSize, benchSeed.Add(1))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpload8Concurrent streams 8 plans of 200 MB at once through the
// endpoint and reports how far the memory the process uses rose above
// where it stood before (heap and stacks in use, sampled every 5 ms; the
// client's side streams from a generator and is counted too), in MB.
func BenchmarkUpload8Concurrent(b *testing.B) {
	// Eight plans of 200 MB on one file: room above the per-file quota,
	// which is not what this measures.
	a := apptest.New(b, db.SQLite, apptest.Config(func(c *config.Config) {
		c.DatabaseURL = "sqlite:" + dbtest.URL(b, db.SQLite)
		c.UploadMaxFileMB = 1 << 20
	}))
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	u := newUploadTarget(b, a, srv)
	var peak float64
	b.SetBytes(8 * planSize)
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		inUse := func(m *runtime.MemStats) uint64 { return m.HeapInuse + m.StackInuse }
		base := inUse(&ms)
		stop := make(chan struct{})
		var top atomic.Uint64
		go func() {
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if v := inUse(&m); v > top.Load() {
						top.Store(v)
					}
				}
			}
		}()
		var wg sync.WaitGroup
		errc := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errc <- u.upload(srv.Client(), bigPDF(planSize, benchSeed.Add(1)))
			}()
		}
		wg.Wait()
		close(stop)
		close(errc)
		for err := range errc {
			if err != nil {
				b.Fatal(err)
			}
		}
		if g := float64(int64(top.Load())-int64(base)) / (1 << 20); g > peak {
			peak = g
		}
	}
	b.ReportMetric(peak, "peak-MB-growth")
}

// percentile returns the p-th percentile of ds (sorted in place).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

// seedQueue gives window 10,000 files it holds: new deposits (some with an
// appointment), complete files and economic files under review, due dates
// spread around now so that a tenth are overdue.
func seedQueue(b *testing.B, a *app.App, window string, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	err := a.DB.Transact(ctx, func(tx *db.Tx) error {
		var owners []int64
		rows, err := tx.QueryContext(ctx, `SELECT id FROM persons ORDER BY id LIMIT 20`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			owners = append(owners, id)
		}
		rows.Close()
		states := []struct{ state, family, kind, step string }{{"submitted", "urban", "building", "receipt"},
			{"accepted", "urban", "repair", "dispatch"}, {"under_review", "economic", "auto_entrepreneur", "review"}}
		for i := range n {
			st := states[i%len(states)]
			due := now.Add(time.Duration(i%100-10) * 24 * time.Hour)
			sub := due.Add(-5 * 24 * time.Hour)
			var number any
			if st.state != "submitted" {
				number = fmt.Sprintf("BENCH-%s-%06d", window, i)
			}
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO permit_files (ref, number, tracking_code, kind, family, catalogue_version,
				owner_person_id, created_by, state, step, holder, title, address, arrondissement_code, fields, window_code,
				route_rule, schedule, committee, due_at, version, created_at, updated_at, submitted_at, accepted_at)
				VALUES ($1, $2, 'BENCH234', $3, $4, '2023.1', $5, $5, $6, $7, 'window', 'Projet', 'Adresse', $8, '{}', $9,
				'small_projects', 'small_project', 'urban_small', $10, 1, $11, $11, $11, $12) RETURNING id`,
				fmt.Sprintf("FB-%s-%06d", window, i), number, st.kind, st.family, owners[i%len(owners)], st.state, st.step,
				window, window, due, sub, map[bool]any{true: sub, false: nil}[number != nil]).Scan(&id)
			if err != nil {
				return err
			}
			if st.state == "submitted" && i%2 == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO permit_appointments (file_id, window_code, starts_at, ends_at, status,
					booked_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'booked', $5, $6, $6)`,
					id, window, sub.Add(time.Hour), sub.Add(80*time.Minute), owners[i%len(owners)], sub); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWindowQueue renders a window agent's queue page (signed in with
// the second factor, over loopback HTTP, the most urgent 50 of 10,000
// files with their counts by tab) and, in the same loop, runs the page's
// two queries (the same SQL) bare on the database, reading every row: the
// floor. It reports both 95th
// percentiles and their ratio.
func BenchmarkWindowQueue(b *testing.B) {
	for _, e := range []db.Engine{db.SQLite, db.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			a := apptest.New(b, e)
			if err := a.LoadDemo(context.Background(), io.Discard); err != nil {
				b.Fatal(err)
			}
			const window = "sidi-othmane"
			seedQueue(b, a, window, 10000)
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			br := apptest.NewBrowser(b, srv.URL)
			br.SignIn("abdelkader.fassi@example.ma", true)
			if code, body, _ := br.Get("/window/" + window); code != 200 || !bytes.Contains([]byte(body), []byte("BENCH-")) {
				b.Fatalf("queue page: %d", code)
			}
			ctx := context.Background()
			bare := func() {
				now := time.Now().UTC()
				rows, err := a.DB.QueryContext(ctx, permit.QueueCountsSQL, window, now)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					var state string
					var count, late int
					if err := rows.Scan(&state, &count, &late); err != nil {
						b.Fatal(err)
					}
				}
				rows.Close()
				rows, err = a.DB.QueryContext(ctx, permit.QueueRowsSQL(false, 1), window)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					var id int64
					var display, kind, state, ownerAR, ownerLatin string
					var due, sub, ap sql.NullTime
					if err := rows.Scan(&id, &display, &kind, &state, &due, &sub, &ap, &ownerAR, &ownerLatin); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
				if n != 50 {
					b.Fatalf("bare query: %d rows", n)
				}
			}
			var tBare, tPage []time.Duration
			for b.Loop() {
				t0 := time.Now()
				bare()
				tBare = append(tBare, time.Since(t0))
				t0 = time.Now()
				if code, _, _ := br.Get("/window/" + window); code != 200 {
					b.Fatalf("queue page: %d", code)
				}
				tPage = append(tPage, time.Since(t0))
			}
			pb, pp := percentile(tBare, 0.95), percentile(tPage, 0.95)
			b.ReportMetric(float64(pb.Microseconds())/1000, "bare-p95-ms")
			b.ReportMetric(float64(pp.Microseconds())/1000, "page-p95-ms")
			b.ReportMetric(float64(pp)/float64(pb), "page/bare")
		})
	}
}
