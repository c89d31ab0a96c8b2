package migrations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/migrations"
)

// TestSchoolsMigrationKeepsLegalPersons applies 0060 (schools as legal
// persons) to a database that already holds a company, an association,
// their representatives, a claim and a session acting for one: on SQLite
// the three tables are rebuilt with the foreign keys off, and every row,
// every reference to legal_persons (of every table that has one) and the
// enforcement of foreign keys afterwards survive; on both engines a school
// then registers and a school without its code is refused.
func TestSchoolsMigrationKeepsLegalPersons(t *testing.T) {
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
				if m.Version < 60 {
					before = append(before, m)
				} else {
					after = append(after, m)
				}
			}
			if len(after) == 0 || after[0].Version != 60 {
				t.Fatalf("no migration 0060: %v", after)
			}
			if e == db.SQLite && !after[0].ForeignKeysOff() {
				t.Fatal("the SQLite 0060 is not marked to run with the foreign keys off")
			}
			if _, err := d.Migrate(ctx, before); err != nil {
				t.Fatal(err)
			}
			refs := func() []string {
				if e != db.SQLite {
					return nil
				}
				var out []string
				rows, err := d.QueryContext(ctx, `SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
					WHERE m.type = 'table' AND f."table" = 'legal_persons' ORDER BY m.name, f."from"`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var a, b string
					if err := rows.Scan(&a, &b); err != nil {
						t.Fatal(err)
					}
					out = append(out, a+"."+b)
				}
				return out
			}
			refsBefore := refs()
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := d.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for i, email := range []string{"a@example.ma", "b@example.ma"} {
				exec(`INSERT INTO persons (id, email, email_key, created_at, updated_at) VALUES ($1, $2, $2, $3, $3)`, i+1, email, now)
			}
			exec(`INSERT INTO legal_persons (id, kind, name, ice, rc, created_by, created_at) VALUES (1, 'company', 'Atlas SARL', '001234567000089', 'RC 12', 1, $1)`, now)
			exec(`INSERT INTO legal_persons (id, kind, name, association_number, association_key, created_by, created_at) VALUES (2, 'association', 'Amal', '2019/456', '2019-456', 1, $1)`, now)
			exec(`INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES (1, 1, 'manager', $1), (2, 1, 'president', $1)`, now)
			exec(`INSERT INTO legal_claims (legal_person_id, claimant_id, role, evidence_sha256, evidence_size, created_at) VALUES (2, 2, 'president', $1, 10, $2)`,
				strings.Repeat("a", 64), now)
			exec(`INSERT INTO sessions (token_hash, person_id, acting_for, created_at, last_seen_at, expires_at) VALUES ($1, 1, 2, $2, $2, $3)`,
				strings.Repeat("b", 64), now, now.Add(time.Hour))

			// 0060 keeps every reference; later migrations may add their own.
			if n, err := d.Migrate(ctx, after[:1]); err != nil || n != 1 {
				t.Fatalf("0060: %d applied, %v", n, err)
			}
			refsAfter := refs()
			if n, err := d.Migrate(ctx, after[1:]); err != nil || n != len(after)-1 {
				t.Fatalf("after 0060: %d applied, %v", n, err)
			}
			for q, want := range map[string]int{
				`SELECT count(*) FROM legal_persons WHERE (id = 1 AND kind = 'company' AND ice = '001234567000089') OR (id = 2 AND association_key = '2019-456')`: 2,
				`SELECT count(*) FROM representatives WHERE person_id = 1`:                                                                                        2,
				`SELECT count(*) FROM legal_claims WHERE legal_person_id = 2`:                                                                                     1,
				`SELECT count(*) FROM sessions WHERE acting_for = 2`:                                                                                              1,
				`SELECT count(*) FROM legal_persons WHERE school_code IS NOT NULL`:                                                                                0,
			} {
				var n int
				if err := d.QueryRowContext(ctx, q).Scan(&n); err != nil || n != want {
					t.Errorf("%s: %d (%v), want %d", q, n, err, want)
				}
			}
			if strings.Join(refsAfter, ",") != strings.Join(refsBefore, ",") {
				t.Errorf("references to legal_persons before %v, after %v", refsBefore, refsAfter)
			}
			if e == db.SQLite {
				var on int
				if err := d.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
					t.Errorf("foreign_keys after the migration: %d (%v)", on, err)
				}
			}
			// Foreign keys still enforced; a school registers with its code
			// and director; a school without a code, or a code on a company,
			// is refused; a code is held once.
			if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES (99, 2, 'manager', $1)`, now); err == nil {
				t.Error("a representative of no legal person was accepted")
			}
			exec(`INSERT INTO legal_persons (id, kind, name, school_code, created_by, created_at) VALUES (3, 'school', 'École Ibn Khaldoun', '21074V', 2, $1)`, now)
			exec(`INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES (3, 2, 'director', $1)`, now)
			for _, q := range []string{
				`INSERT INTO legal_persons (kind, name, created_by, created_at) VALUES ('school', 'Sans code', 2, $1)`,
				`INSERT INTO legal_persons (kind, name, ice, rc, school_code, created_by, created_at) VALUES ('company', 'Mixte', '001234567000090', 'RC 1', '21075V', 2, $1)`,
				`INSERT INTO legal_persons (kind, name, school_code, created_by, created_at) VALUES ('school', 'Double', '21074V', 2, $1)`,
				`INSERT INTO legal_persons (kind, name, created_by, created_at) VALUES ('club', 'Club', 2, $1)`,
			} {
				if _, err := d.ExecContext(ctx, q, now); err == nil {
					t.Errorf("accepted: %s", q)
				}
			}
		})
	}
}
