package audit_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/migrations"
)

// On PostgreSQL a record's id is drawn when it is written, not when it
// commits: a record with a smaller id can commit after a larger one has
// been sealed. It must be sealed too, after it, and the chain stay whole.
// (SQLite's single writer commits in id order: nothing to test there.)
func TestRecordCommittedLateIsSealedAfter(t *testing.T) {
	d := dbtest.Open(t, db.Postgres)
	mustAppend(t, d, entry(1)) // #1

	// A: written first (smaller id), committed last.
	written, commit, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- d.Transact(ctx, func(tx *db.Tx) error {
			e := entry(2)
			e.ObjectID = "late"
			if _, err := audit.Append(ctx, tx, e); err != nil {
				return err
			}
			close(written)
			<-commit
			return nil
		})
	}()
	<-written
	// B: written after A, committed before it, and sealed.
	early := entry(3)
	early.ObjectID = "early"
	if err := d.Transact(ctx, func(tx *db.Tx) error { _, err := audit.Append(ctx, tx, early); return err }); err != nil {
		t.Fatal(err)
	}
	if n := seal(t, d); n != 1 {
		t.Fatalf("sealed %d with A uncommitted, want 1 (B)", n)
	}
	close(commit)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var idLate, idEarly int64
	if err := d.QueryRowContext(ctx, `SELECT (SELECT id FROM audit_log WHERE object_id = 'late'), (SELECT id FROM audit_log WHERE object_id = 'early')`).Scan(&idLate, &idEarly); err != nil || idLate >= idEarly {
		t.Fatalf("ids late %d, early %d, %v: the test needs the late record to have the smaller id", idLate, idEarly, err)
	}
	if n := seal(t, d); n != 1 {
		t.Fatalf("sealed %d after A committed, want 1", n)
	}
	rs, err := audit.New(d).List(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.ObjectID)
	}
	if want := []string{"late", "early", "d1"}; !slices.Equal(got, want) || rs[0].Seq != 3 {
		t.Fatalf("chain, newest first: %v (head #%d), want %v ending at #3", got, rs[0].Seq, want)
	}
	if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 3 || rep.Unsealed != 0 {
		t.Fatalf("Verify = %+v (broken %+v), want 3 intact", rep, rep.Broken)
	}
}

// A record the sealer has not linked after UnsealedLimit is a fault that
// Verify and `madina audit verify` report; a young one is only counted.
func TestUnsealedRecordsAreReported(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		mustAppendN(t, d, 2)
		for i := 3; i <= 4; i++ {
			if err := d.Transact(ctx, func(tx *db.Tx) error { _, err := audit.Append(ctx, tx, entry(i)); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 2 || rep.Unsealed != 2 {
			t.Fatalf("young unsealed records: Verify = %+v (broken %+v), want 2 intact, 2 unsealed", rep, rep.Broken)
		}
		var out bytes.Buffer
		if err := audit.RunVerify(ctx, d, &out); err != nil || out.String() != "audit chain intact: 2 records (2 more awaiting the sealer)\n" {
			t.Fatalf("RunVerify: %q, %v", out.String(), err)
		}

		// The sealer stopped: one of them is now older than the limit.
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET written_at = $1 WHERE id = (SELECT min(id) FROM audit_log WHERE seq IS NULL)`,
			time.Now().Add(-audit.UnsealedLimit-time.Second)); err != nil {
			t.Fatal(err)
		}
		rep := mustVerify(t, d)
		if rep.Intact() || rep.Broken.Problem != audit.Unsealed || rep.Broken.Seq != 3 || rep.Checked != 2 || rep.Unsealed != 2 {
			t.Fatalf("late unsealed record: Verify = %+v (broken %+v), want unsealed at #3 after 2 intact", rep, rep.Broken)
		}
		out.Reset()
		err := audit.RunVerify(ctx, d, &out)
		if !errors.Is(err, audit.ErrBroken) || !strings.HasPrefix(out.String(), "audit chain broken at record #3: unsealed records: 1 written more than 1m0s ago") {
			t.Fatalf("RunVerify: %q, %v; want unsealed records and ErrBroken", out.String(), err)
		}

		// A sealer catches up: all is well again.
		if n := seal(t, d); n != 2 {
			t.Fatalf("sealed %d, want 2", n)
		}
		if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 4 || rep.Unsealed != 0 {
			t.Fatalf("after sealing: Verify = %+v (broken %+v), want 4 intact", rep, rep.Broken)
		}
	})
}

// A sealer failing in the middle of a batch (here a trigger refuses the
// third record; a crash or a lost connection does the same) seals nothing
// of that batch: the chain stays as it was, and the next sealer seals all.
func TestSealerFailingMidBatchLeavesTheChainWhole(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		mustAppendN(t, d, 2)
		for i := 3; i <= 6; i++ {
			if err := d.Transact(ctx, func(tx *db.Tx) error { _, err := audit.Append(ctx, tx, entry(i)); return err }); err != nil {
				t.Fatal(err)
			}
		}
		var third int64
		if err := d.QueryRowContext(ctx, `SELECT id FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 1 OFFSET 2`).Scan(&third); err != nil {
			t.Fatal(err)
		}
		trigger := map[db.Engine][]string{
			db.SQLite: {`CREATE TRIGGER audit_crash BEFORE UPDATE ON audit_log WHEN NEW.id = ` + strconv.FormatInt(third, 10) + `
				BEGIN SELECT RAISE(ABORT, 'sealer crashed'); END`},
			db.Postgres: {`CREATE FUNCTION audit_crash() RETURNS trigger LANGUAGE plpgsql AS
				'BEGIN RAISE EXCEPTION ''sealer crashed''; END'`,
				`CREATE TRIGGER audit_crash BEFORE UPDATE ON audit_log FOR EACH ROW WHEN (NEW.id = ` + strconv.FormatInt(third, 10) + `)
				EXECUTE FUNCTION audit_crash()`},
		}
		for _, q := range trigger[d.Engine] {
			if _, err := d.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s := audit.NewSealer(d, audit.SealerOptions{Batch: 10})
		if n, err := s.SealNow(ctx); err == nil || !strings.Contains(err.Error(), "sealer crashed") || n != 0 {
			t.Fatalf("SealNow = %d, %v; want the crash", n, err)
		}
		if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 2 || rep.Unsealed != 4 {
			t.Fatalf("after the crash: Verify = %+v (broken %+v), want the 2 sealed intact, 4 unsealed", rep, rep.Broken)
		}
		if _, err := d.ExecContext(ctx, `DROP TRIGGER audit_crash`+map[db.Engine]string{db.Postgres: ` ON audit_log`}[d.Engine]); err != nil {
			t.Fatal(err)
		}
		if n, err := s.SealNow(ctx); err != nil || n != 4 {
			t.Fatalf("SealNow = %d, %v; want 4", n, err)
		}
		if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 6 || rep.Unsealed != 0 {
			t.Fatalf("after sealing: Verify = %+v (broken %+v), want 6 intact", rep, rep.Broken)
		}
	})
}

// A chain written before migration 0014 (appended under the lock, seq as
// primary key) stays verifiable after it, and new records continue it.
func TestChainBeforeTheSealerStaysValid(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			d := dbtest.OpenEmpty(t, e)
			ms, err := migrations.For(e)
			if err != nil {
				t.Fatal(err)
			}
			var before []db.Migration
			for _, m := range ms {
				if m.Version < 14 {
					before = append(before, m)
				}
			}
			if _, err := d.Migrate(ctx, before); err != nil {
				t.Fatal(err)
			}
			prev := audit.Genesis
			for i := int64(1); i <= 3; i++ {
				digest, _ := audit.Digest(map[string]any{"n": i})
				r := audit.Record{Seq: i, At: time.Date(2026, 1, 1, 10, 0, int(i), 0, time.UTC), Actor: "system",
					Action: "district.seed", ObjectType: "district", ObjectID: "anfa", ChangeDigest: digest, PrevHash: prev}
				r.Hash = r.ComputeHash()
				prev = r.Hash
				if _, err := d.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, change_digest, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.Seq, r.At, r.Actor, r.Action, r.ObjectType, r.ObjectID, r.ChangeDigest, r.PrevHash, r.Hash); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := d.Migrate(ctx, ms); err != nil {
				t.Fatal(err)
			}
			if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 3 || rep.Head != prev || rep.Unsealed != 0 {
				t.Fatalf("migrated chain: Verify = %+v (broken %+v), want 3 intact", rep, rep.Broken)
			}
			if r := mustAppend(t, d, entry(4)); r.Seq != 4 || r.PrevHash != prev {
				t.Fatalf("next record %+v, want #4 after %s", r, prev)
			}
			var ids []int64
			rows, err := d.QueryContext(ctx, `SELECT id FROM audit_log ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			rows.Close()
			if len(ids) != 4 || ids[0] != 1 || ids[2] != 3 || ids[3] <= 3 {
				t.Fatalf("ids %v: the migrated records keep their seq as id and new ones come after", ids)
			}
		})
	}
}
