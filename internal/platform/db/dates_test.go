package db_test

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// DateIn groups by the civil date of a zone on both engines alike, across
// midnight and Morocco's change of offset for Ramadan (UTC+0 then, UTC+1
// otherwise).
func TestDateInGroupsByLocalDay(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			d := dbtest.OpenEmpty(t, e)
			ctx := context.Background()
			if _, err := d.ExecContext(ctx, `CREATE TABLE date_in_test (at TIMESTAMP WITH TIME ZONE NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"2026-12-07T23:30:00Z", "2026-12-08T10:00:00Z", "2026-02-25T23:30:00Z", "2026-06-25T22:59:00Z"} {
				at, _ := time.Parse(time.RFC3339, s)
				if _, err := d.ExecContext(ctx, `INSERT INTO date_in_test (at) VALUES ($1)`, at); err != nil {
					t.Fatal(err)
				}
			}
			rows, err := d.QueryContext(ctx, `SELECT `+db.DateIn(d.Dialect(), "at", "Africa/Casablanca")+`, COUNT(*) FROM date_in_test
				GROUP BY 1 ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]int{}
			for rows.Next() {
				var day string
				var n int
				if err := rows.Scan(&day, &n); err != nil {
					t.Fatal(err)
				}
				got[day] = n
			}
			// 23:30 UTC is the next day at UTC+1, the same day in Ramadan.
			want := map[string]int{"2026-12-08": 2, "2026-02-25": 1, "2026-06-25": 1}
			if len(got) != len(want) {
				t.Fatalf("days %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("days %v, want %v", got, want)
				}
			}
		})
	}
}
