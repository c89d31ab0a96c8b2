package geo_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// BenchmarkProjectsLayer is issue #14's target: 100,000 authorised
// projects (points inside Casablanca), an items request whose box holds
// about 1,000 of them (limit=1000), at 16 concurrent clients over
// loopback HTTP, against the floor measured in the same run — the same
// rows selected by the same condition through the same driver, scanned
// and dropped, no JSON at all. Then clients that hang up mid-response,
// three runs back to back, after which no database connection may be
// left in use and the layer must answer at full speed again.
//
//	MADINA_TEST_DATABASE_URL=postgres://… go test -p 1 -run '^$' -bench ProjectsLayer -benchtime 4000x ./internal/geo/
func BenchmarkProjectsLayer(b *testing.B) {
	for _, e := range dbtest.Engines() {
		if e == db.Postgres && os.Getenv(dbtest.EnvURL) == "" {
			continue
		}
		b.Run(string(e), func(b *testing.B) {
			a := apptest.New(b, e)
			box := fillProjects(b, a, 100_000)
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			url := srv.URL + "/ogc/collections/projects/items?f=json&limit=1000&bbox=" + box
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
			const clients = 16
			ctx := context.Background()

			// The floor: the items query's rows, bare.
			floorSQL := `SELECT id, number, kind, COALESCE(arrondissement_code, ''), location, closed_at, tacit FROM permit_files
				WHERE family = 'urban' AND state = 'approved' AND lon IS NOT NULL AND ` + boxCondition(a.DB.Engine, box) + `
				ORDER BY closed_at, id LIMIT 1000`
			var rowsSeen atomic.Int64
			floor := func() error {
				rows, err := a.DB.QueryContext(ctx, floorSQL)
				if err != nil {
					return err
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var id int64
					var number, kind, arr, loc string
					var closed time.Time
					var tacit bool
					if err := rows.Scan(&id, &number, &kind, &arr, &loc, &closed, &tacit); err != nil {
						return err
					}
					n++
				}
				rowsSeen.Store(int64(n))
				return rows.Err()
			}
			var features atomic.Int64
			// The client reads each answer whole and drops it; the first
			// is counted.
			items := func() error {
				res, err := client.Get(url)
				if err != nil {
					return err
				}
				defer res.Body.Close()
				if features.Load() == 0 {
					body, err := io.ReadAll(res.Body)
					if err != nil || res.StatusCode != 200 {
						return fmt.Errorf("items: %d %v %.200s", res.StatusCode, err, body)
					}
					features.Store(int64(strings.Count(string(body), `"type":"Feature"`)))
					return nil
				}
				if _, err := io.Copy(io.Discard, res.Body); err != nil || res.StatusCode != 200 {
					return fmt.Errorf("items: %d %v", res.StatusCode, err)
				}
				return nil
			}
			// Clients that hang up after the first kilobyte.
			hangUp := func() error {
				c, cancel := context.WithCancel(ctx)
				defer cancel()
				req, _ := http.NewRequestWithContext(c, http.MethodGet, url, nil)
				res, err := client.Do(req)
				if err != nil {
					return nil
				}
				_, _ = io.ReadFull(res.Body, make([]byte, 1024))
				cancel()
				res.Body.Close()
				return nil
			}
			run := func(op func() error) float64 {
				var next atomic.Int64
				var wg sync.WaitGroup
				var failed atomic.Value
				start := time.Now()
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							if err := op(); err != nil {
								failed.Store(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				if err := failed.Load(); err != nil {
					b.Fatal(err)
				}
				return float64(b.N) / time.Since(start).Seconds()
			}
			_ = run(items) // warm-up: caches, connections
			b.ResetTimer()
			fl := run(floor)
			it := run(items)
			b.StopTimer()
			for range 3 {
				run(hangUp)
			}
			time.Sleep(200 * time.Millisecond)
			b.StartTimer()
			again := run(items)
			b.StopTimer()
			inUse := a.DB.Stats().InUse
			b.ReportMetric(fl, "floor-req/s")
			b.ReportMetric(it, "items-req/s")
			b.ReportMetric(it/fl, "items/floor")
			b.ReportMetric(again/it, "after-hangups/items")
			b.ReportMetric(float64(features.Load()), "features")
			if features.Load() != rowsSeen.Load() {
				b.Errorf("the items answered %d features, the floor read %d rows", features.Load(), rowsSeen.Load())
			}
			if inUse != 0 {
				b.Errorf("%d database connections still in use after the clients hung up", inUse)
			}
		})
	}
}

// boxCondition is the items' box condition for the floor, written out:
// what db.Intersects writes for the permit files.
func boxCondition(e db.Engine, box string) string {
	var x0, y0, x1, y1 float64
	fmt.Sscanf(strings.ReplaceAll(box, ",", " "), "%g %g %g %g", &x0, &y0, &x1, &y1)
	if e == db.Postgres {
		return fmt.Sprintf("ST_Intersects(geom, ST_MakeEnvelope(%g, %g, %g, %g, 4326))", x0, y0, x1, y1)
	}
	return fmt.Sprintf("id IN (SELECT id FROM permit_files_rtree WHERE max_lon >= %[1]g AND min_lon <= %[3]g AND max_lat >= %[2]g AND min_lat <= %[4]g)"+
		" AND geo_intersects_bbox(location, %[1]g, %[2]g, %[3]g, %[4]g)", x0, y0, x1, y1)
}

// fillProjects writes n authorised projects at random points of the city
// (its boundary's box, kept inside the boundary) and returns a box that
// holds about a hundredth of them.
func fillProjects(b *testing.B, a *app.App, n int) string {
	b.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := a.DB.ExecContext(ctx, `INSERT INTO persons (id, email, email_key, lang, created_at, updated_at)
		VALUES (900001, 'bench@example.ma', 'bench@example.ma', 'fr', $1, $1)`, now); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(14, 100))
	kinds := []string{"building", "subdivision", "demolition"}
	arrs := []string{"anfa", "maarif", "sidi-othmane", "ain-chock", "hay-hassani", "sidi-moumen"}
	const cols = 22
	err := a.DB.Transact(ctx, func(tx *db.Tx) error {
		for i := 0; i < n; i += 200 {
			var vals []string
			var args []any
			for id := i + 1; id <= min(i+200, n); id++ {
				lon, lat := -7.70+r.Float64()*0.20, 33.53+r.Float64()*0.08
				lon, lat = float64(int(lon*1e6))/1e6, float64(int(lat*1e6))/1e6
				granted := now.Add(-time.Duration(r.IntN(3*365*24)) * time.Hour)
				row := []any{id, fmt.Sprintf("BENCH-%06d", id), fmt.Sprintf("CASABLANCA-2026-%06d", id), "ABCD1234", kinds[r.IntN(len(kinds))],
					"urban", "bench", 900001, 900001, "approved", "decision", "none", "city", granted, granted, granted, granted,
					fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, lon, lat), lon, lat, granted, arrs[r.IntN(len(arrs))]}
				ph := make([]string, cols)
				for j, v := range row {
					args = append(args, v)
					ph[j] = fmt.Sprintf("$%d", len(args))
				}
				vals = append(vals, "("+strings.Join(ph, ", ")+")")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO permit_files (id, ref, number, tracking_code, kind, family, catalogue_version,
				owner_person_id, created_by, state, step, holder, window_code, submitted_at, accepted_at, created_at, updated_at,
				location, lon, lat, closed_at, arrondissement_code) VALUES `+strings.Join(vals, ", "), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.DB.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	// The area spans 0.20° by 0.08°: a box a tenth of each holds a
	// hundredth of the points.
	return "-7.62,33.56,-7.60,33.568"
}
