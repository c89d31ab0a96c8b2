package migrations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/migrations"
)

// TestPenaltyLaddersMigrationFillsTheLegalPerson applies 0065 (whose
// ladder a penalty climbs) to a database that already holds a penalty of
// an association's booking and one of a person's own: the first names
// the association afterwards, the second none, and both stay immutable.
func TestPenaltyLaddersMigrationFillsTheLegalPerson(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			d := dbtest.OpenEmpty(t, e)
			ms, err := migrations.For(e)
			if err != nil {
				t.Fatal(err)
			}
			var before, after []db.Migration
			for _, m := range ms {
				if m.Version < 65 {
					before = append(before, m)
				} else {
					after = append(after, m)
				}
			}
			if len(after) == 0 || after[0].Version != 65 {
				t.Fatalf("no migration 0065: %v", after)
			}
			if _, err := d.Migrate(ctx, before); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := d.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO prefectures (code, name_ar, name_fr, name_en, position) VALUES ('p', 'ع', 'P', 'P', 1)`)
			exec(`INSERT INTO arrondissements (code, prefecture_code, name_ar, name_fr, name_en, position) VALUES ('a', 'p', 'ع', 'A', 'A', 1)`)
			exec(`INSERT INTO organisations (code, kind, arrondissement_code, name_ar, name_fr, name_en, created_at)
				VALUES ('a', 'arrondissement', 'a', 'ع', 'A', 'A', $1)`, now)
			exec(`INSERT INTO booking_facilities (code, arrondissement_code, organisation_code, kind, definition, version, updated_at, updated_by)
				VALUES ('field', 'a', 'a', 'sports_field', '{}', 1, $1, 'test')`, now)
			exec(`INSERT INTO persons (id, email, email_key, created_at, updated_at) VALUES (1, 'a@example.ma', 'a@example.ma', $1, $1)`, now)
			exec(`INSERT INTO legal_persons (id, kind, name, association_number, association_key, created_by, created_at)
				VALUES (7, 'association', 'Amal', '2019/456', '2019-456', 1, $1)`, now)
			for i, legal := range []any{7, nil} {
				start := now.Add(time.Duration(i+1) * time.Hour)
				exec(`INSERT INTO bookings (id, number, facility_code, slot_start, slot_end, holder_id, holder_legal_id, method, token, state,
					created_at, updated_at, version) VALUES ($1, $2, 'field', $3, $4, 1, $5, 'first_come', $6, 'no_show', $7, $7, 1)`,
					i+1, fmt.Sprintf("CI-%06d", i+1), start, start.Add(time.Hour), legal, fmt.Sprintf("tok%07d", i+1), now)
				exec(`INSERT INTO booking_penalties (person_id, booking_id, reason, step, at) VALUES (1, $1, 'no_show', $2, $3)`, i+1, i+1, start)
			}

			if n, err := d.Migrate(ctx, after); err != nil || n != len(after) {
				t.Fatalf("0065 onwards: %d applied, %v", n, err)
			}
			for booking, want := range map[int]int64{1: 7, 2: 0} {
				var legal int64
				if err := d.QueryRowContext(ctx, `SELECT COALESCE(legal_id, 0) FROM booking_penalties WHERE booking_id = $1`, booking).
					Scan(&legal); err != nil || legal != want {
					t.Errorf("the penalty of booking %d: legal person %d (%v), want %d", booking, legal, err, want)
				}
			}
			if _, err := d.ExecContext(ctx, `UPDATE booking_penalties SET legal_id = NULL`); err == nil {
				t.Error("a penalty changed ladders after the migration")
			}
		})
	}
}
