package permit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// BenchmarkBottlenecks reads the bottleneck figures of every window (the
// administrators' overview, the heaviest page) and of one window over
// 5,000 files — a fifth held by the windows, two fifths with the
// committee, two fifths decided — with their seats, opinions and
// deadlines, on each engine. Beside it, the floor: plain SELECT COUNT(*)s
// of the rows the page's queries read, with the same filters. With
// MADINA_EXPLAIN=1, PostgreSQL's plans of the page's queries are printed.
//
//	MADINA_TEST_DATABASE_URL=postgres://… go test -p 1 -run '^$' -bench Bottlenecks -benchtime 20x ./internal/permit/
func BenchmarkBottlenecks(b *testing.B) {
	for _, e := range dbtest.Engines() {
		if e == db.Postgres && os.Getenv(dbtest.EnvURL) == "" {
			continue
		}
		b.Run(string(e), func(b *testing.B) {
			d := dbtest.Open(b, e)
			now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
			s, window := benchBottlenecks(b, d, now, 5000)
			ctx := context.Background()
			admin := authz.Actor{Person: 1, EmailVerified: true, MFA: true, Now: now, Grants: []authz.Grant{{Role: authz.Admin, Org: "bench-commune"}}}
			if os.Getenv("MADINA_EXPLAIN") != "" {
				explainBottlenecks(b, d, now, s.cal.AddWorkingDays(now, DefaultRiskDays))
			}
			// The floor: the rows the page's queries read, counted by
			// plain SELECT COUNT(*)s with the same filters and joins.
			since := now.AddDate(0, 0, -DelayPeriodDays)
			horizon := s.cal.AddWorkingDays(now, DefaultRiskDays)
			floor := func() {
				for _, q := range []struct {
					sql  string
					args []any
				}{
					{`SELECT COUNT(*) FROM permit_files f JOIN permit_committee_seats s ON s.file_id = f.id
						WHERE f.holder = 'committee' AND f.state = 'accepted'`, nil},
					{`SELECT COUNT(*) FROM permit_opinions o JOIN permit_committee_seats s ON s.file_id = o.file_id AND s.body = o.body
						WHERE o.given_at >= $1 AND o.given_at <= $2`, []any{since, now}},
					{`SELECT COUNT(*) FROM permit_files f JOIN permit_deadlines d ON d.file_id = f.id AND d.step = f.step
						WHERE f.holder = 'window' AND d.met_at IS NULL`, nil},
					{`SELECT COUNT(*) FROM permit_deadlines WHERE outcome = 'met' AND met_at >= $1 AND met_at <= $2 AND actor = 'window'`, []any{since, now}},
					{`SELECT COUNT(*) FROM permit_deadlines d JOIN permit_files f ON f.id = d.file_id
						WHERE d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at <= $1`, []any{horizon}},
				} {
					var n int
					if err := d.QueryRowContext(ctx, q.sql, q.args...).Scan(&n); err != nil {
						b.Fatal(err)
					}
				}
			}
			var bn *Bottlenecks
			var page, one, flo time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				var err error
				if bn, err = s.Bottlenecks(ctx, admin, "", 0); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := s.Bottlenecks(ctx, admin, window, 0); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				floor()
				page, one, flo = page+t1.Sub(t0), one+t2.Sub(t1), flo+time.Since(t2)
			}
			b.StopTimer()
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(page), "overview-ms")
			b.ReportMetric(ms(one), "window-ms")
			b.ReportMetric(ms(flo), "floor-ms")
			b.ReportMetric(ms(page)/ms(flo), "overview/floor")
			if b.N > 1 {
				b.Logf("%s: %d organisations, %d window steps, %d files at risk (+%d)", e, len(bn.Orgs), len(bn.Steps), len(bn.Risks), bn.More)
			}
		})
	}
}

// benchBottlenecks fills d with n files at now and returns a service on
// it and the busiest window's code.
func benchBottlenecks(b *testing.B, d *db.DB, now time.Time, n int) (*Service, string) {
	b.Helper()
	ctx := context.Background()
	places := district.NewStore(d)
	if _, err := places.Load(ctx, district.Casablanca(), "system"); err != nil {
		b.Fatal(err)
	}
	register := identity.NewStore(d)
	cal := calendar.Default()
	s := NewService(Deps{DB: d, Catalogue: Casablanca(), Calendar: cal, People: register, Staff: register, Places: places},
		Config{Now: func() time.Time { return now }})
	var windows []string
	rows, err := d.QueryContext(ctx, `SELECT code FROM windows ORDER BY code`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			b.Fatal(err)
		}
		windows = append(windows, c)
	}
	rows.Close()
	err = d.Transact(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO persons (id, email, email_key, lang, created_at, updated_at)
			VALUES (1, 'bench@example.ma', 'bench@example.ma', 'fr', $1, $1)`, now); err != nil {
			return err
		}
		for _, o := range [][2]string{{"bench-commune", "commune"}, {"bench-prefecture", "prefecture"}, {"bench-agency", "urban_agency"},
			{"bench-protection", "civil_protection"}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
				VALUES ($1, $2, $1, $1, $1, $3)`, o[0], o[1], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(12, 8))
	day := 24 * time.Hour
	var files, seats, opinions, deadlines [][]any
	var closed []any
	bodies := []struct{ body, org string }{{"commune", "bench-commune"}, {"prefecture", "bench-prefecture"},
		{"urban_agency", "bench-agency"}, {"distributor", ""}, {"civil_protection", "bench-protection"}}
	for id := 1; id <= n; id++ {
		// The city window takes a third of the files; the others share
		// the rest.
		w := windows[r.IntN(len(windows))]
		if r.IntN(3) == 0 {
			w = "city"
		}
		accepted := now.Add(-time.Duration(r.IntN(120*24)) * time.Hour)
		state, holder, step := "accepted", "committee", "study"
		switch k := r.IntN(5); {
		case k == 0:
			holder, step = "window", "dispatch"
			accepted = now.Add(-time.Duration(r.IntN(6*24)) * time.Hour)
		case k <= 2:
			accepted = now.Add(-time.Duration(r.IntN(20*24)) * time.Hour)
		default:
			accepted = now.Add(-20*day - time.Duration(r.IntN(100*24))*time.Hour)
			closed = append(closed, id)
		}
		overall := accepted.Add(15 * day)
		files = append(files, []any{id, fmt.Sprintf("BENCH-%06d", id), fmt.Sprintf("N-%06d", id), "ABCD1234", "building", "urban",
			"bench", 1, 1, state, step, holder, w, accepted, accepted, accepted, accepted})
		deadlines = append(deadlines, []any{id, Overall, "window", accepted, overall, nil, ""})
		dispatchDue := s.cal.AddWorkingDays(accepted, 1)
		if holder == "window" {
			deadlines = append(deadlines, []any{id, "dispatch", "window", accepted, dispatchDue, nil, ""})
			continue
		}
		dispatched := accepted.Add(time.Duration(r.IntN(4*24)) * time.Hour)
		deadlines = append(deadlines, []any{id, "dispatch", "window", accepted, dispatchDue, dispatched, "met"})
		studyDue := s.cal.AddWorkingDays(dispatched, 7)
		var studyMet any
		if closedID(closed, id) {
			studyMet = dispatched.Add(12 * day)
		}
		outcome := ""
		if studyMet != nil {
			outcome = "met"
		}
		deadlines = append(deadlines, []any{id, "study", "members", dispatched, studyDue, studyMet, outcome})
		for i, bd := range bodies {
			if i == 4 && r.IntN(5) != 0 {
				continue
			}
			var org any
			if bd.org != "" {
				org = bd.org
			}
			seats = append(seats, []any{id, "urban_small", bd.body, org, "permanent", 1, dispatched})
			given := dispatched.Add(time.Duration(r.IntN(14*24)) * time.Hour)
			if bd.org != "" && given.Before(now) && (closedID(closed, id) || r.IntN(2) == 0) {
				opinions = append(opinions, []any{id, bd.body, bd.org, 1, "favourable", given})
			}
		}
	}
	for i := range deadlines {
		deadlines[i] = append(deadlines[i], "order_1839_23")
	}
	err = d.Transact(ctx, func(tx *db.Tx) error {
		for _, bk := range []struct {
			table, cols string
			rows        [][]any
		}{
			{"permit_files", "id, ref, number, tracking_code, kind, family, catalogue_version, owner_person_id, created_by, state, step, holder, window_code, submitted_at, accepted_at, created_at, updated_at", files},
			{"permit_deadlines", "file_id, step, actor, starts_at, due_at, met_at, outcome, source", deadlines},
			{"permit_committee_seats", "file_id, committee, body, organisation_code, basis, selected_by, selected_at", seats},
			{"permit_opinions", "file_id, body, organisation_code, given_by, verdict, given_at", opinions},
		} {
			if err := bulkInsert(ctx, tx, bk.table, bk.cols, bk.rows); err != nil {
				return err
			}
		}
		// The decided files close after their opinions were recorded.
		for i := 0; i < len(closed); i += 500 {
			part := closed[i:min(i+500, len(closed))]
			ph := make([]string, len(part))
			for j := range part {
				ph[j] = fmt.Sprintf("$%d", j+2)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE permit_files SET state = 'approved', holder = 'none', step = 'decision',
				closed_at = $1 WHERE id IN (`+strings.Join(ph, ", ")+`)`, append([]any{now.Add(-day)}, part...)...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET met_at = $1, outcome = 'met' WHERE met_at IS NULL AND file_id IN (`+
				strings.Join(ph, ", ")+`)`, append([]any{now.Add(-day)}, part...)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return s, "city"
}

func closedID(closed []any, id int) bool { return len(closed) > 0 && closed[len(closed)-1] == id }

// bulkInsert inserts rows into table, a few hundred a statement.
func bulkInsert(ctx context.Context, tx *db.Tx, table, cols string, rows [][]any) error {
	const chunk = 200
	for i := 0; i < len(rows); i += chunk {
		part := rows[i:min(i+chunk, len(rows))]
		var args []any
		var vals []string
		for _, row := range part {
			ph := make([]string, len(row))
			for j, v := range row {
				args = append(args, v)
				ph[j] = fmt.Sprintf("$%d", len(args))
			}
			vals = append(vals, "("+strings.Join(ph, ", ")+")")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+cols+`) VALUES `+strings.Join(vals, ", "), args...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// explainBottlenecks prints PostgreSQL's plans of the page's queries.
func explainBottlenecks(b *testing.B, d *db.DB, now, horizon time.Time) {
	ctx := context.Background()
	since := now.AddDate(0, 0, -DelayPeriodDays)
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"waiting", strings.Replace(BottleneckWaitingSQL, "{steps}", "$2", 1) + ` GROUP BY 1, 2`, []any{now, "study"}},
		{"waiting, city", strings.Replace(BottleneckWaitingSQL, "{steps}", "$2", 1) + ` AND f.window_code = $3 GROUP BY 1, 2`, []any{now, "study", "city"}},
		{"opinions", BottleneckOpinionsSQL, []any{since, now}},
		{"opinions, city", BottleneckOpinionsSQL + ` AND f.window_code = $3`, []any{since, now, "city"}},
		{"window steps waiting", BottleneckWindowWaitingSQL + ` GROUP BY f.window_code, d.step`, []any{now}},
		{"window steps done", BottleneckWindowDoneSQL, []any{since, now}},
		{"at risk", strings.Replace(BottleneckRiskSQL, "{window}", "", 1) + ` LIMIT 200`, []any{horizon}},
		{"at risk, city", strings.Replace(BottleneckRiskSQL, "{window}", " AND f.window_code = $2", 1) + ` LIMIT 200`, []any{horizon, "city"}},
	} {
		explain := `EXPLAIN (ANALYZE, COSTS OFF) `
		if d.Engine == db.SQLite {
			explain = `EXPLAIN QUERY PLAN `
		}
		rows, err := d.QueryContext(ctx, explain+q.sql, q.args...)
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		t0 := time.Now()
		rows, err = d.QueryContext(ctx, q.sql, q.args...)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		fmt.Fprintf(os.Stderr, "== %s %s: %v\n%s\n", d.Engine, q.name, time.Since(t0), strings.Join(plan, "\n"))
	}
}
