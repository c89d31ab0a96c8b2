package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/migrations"
)

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ms, err := migrations.For(d.Engine)
		if err != nil {
			t.Fatal(err)
		}
		n, err := d.Migrate(ctx, ms)
		if err != nil || n != 0 {
			t.Fatalf("second Migrate applied %d, err %v; want 0, nil", n, err)
		}
		p, err := d.Pending(ctx, ms)
		if err != nil || p != 0 {
			t.Fatalf("Pending = %d, %v; want 0", p, err)
		}
	})
}

func TestMigrationFailureLeavesNothingHalfApplied(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			d := dbtest.OpenEmpty(t, e)
			ctx := context.Background()
			bad := []db.Migration{
				{Version: 1, Name: "ok", SQL: "CREATE TABLE a (x INTEGER)"},
				{Version: 2, Name: "broken", SQL: "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1)"},
			}
			n, err := d.Migrate(ctx, bad)
			if err == nil || n != 1 {
				t.Fatalf("Migrate = %d, %v; want 1 and an error", n, err)
			}
			var c int
			if err := d.QueryRowContext(ctx, `SELECT count(*) FROM a`).Scan(&c); err != nil {
				t.Fatalf("migration 1 should have stayed: %v", err)
			}
			if _, err := d.ExecContext(ctx, `SELECT count(*) FROM b`); err == nil {
				t.Fatal("table b exists: the failed migration was half applied")
			}
			if p, _ := d.Pending(ctx, bad); p != 1 {
				t.Fatalf("Pending = %d, want 1", p)
			}
		})
	}
}

func TestTimesRoundTripInUTCAndOrder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		casa, _ := time.LoadLocation("Africa/Casablanca")
		base := time.Date(2026, 3, 1, 10, 0, 0, 123456789, casa)
		times := []time.Time{base.Add(time.Second), base, base.Add(500 * time.Microsecond), base.Add(-time.Hour)}
		for i, at := range times {
			if _, err := d.ExecContext(ctx, `INSERT INTO ev (id, at) VALUES ($1, $2)`, i, at); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.QueryContext(ctx, `SELECT id, at FROM ev WHERE at >= $1 ORDER BY at`, base)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []int
		for rows.Next() {
			var id int
			var at time.Time
			if err := rows.Scan(&id, &at); err != nil {
				t.Fatal(err)
			}
			if want := times[id].Truncate(time.Microsecond); !at.Equal(want) {
				t.Errorf("row %d: at = %v, want %v", id, at, want)
			}
			got = append(got, id)
		}
		if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 0 {
			t.Fatalf("order = %v, want [1 2 0]", got)
		}
	})
}

func TestTransactRollsBackOnErrorAndRunsAfterCommit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE k (v TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		ran := false
		err := d.Transact(ctx, func(tx *db.Tx) error {
			tx.AfterCommit(func() { ran = true })
			if _, err := tx.ExecContext(ctx, `INSERT INTO k VALUES ($1)`, "a"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || ran {
			t.Fatalf("err = %v, afterCommit ran = %v", err, ran)
		}
		err = d.Transact(ctx, func(tx *db.Tx) error {
			tx.AfterCommit(func() { ran = true })
			_, err := tx.ExecContext(ctx, `INSERT INTO k VALUES ($1)`, "b")
			return err
		})
		if err != nil || !ran {
			t.Fatalf("err = %v, afterCommit ran = %v", err, ran)
		}
		_, err = d.ExecContext(ctx, `INSERT INTO k VALUES ($1)`, "b")
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: %v, want unique violation", err)
		}
		var n int
		_ = d.QueryRowContext(ctx, `SELECT count(*) FROM k`).Scan(&n)
		if n != 1 {
			t.Fatalf("rows = %d, want 1", n)
		}
	})
}

// TestAsyncCommit: a transaction of a bulk load (WithAsyncCommit) on
// PostgreSQL does not wait for its commit's flush, and only it; on both
// engines it stays a transaction: all of it or nothing.
func TestAsyncCommit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE k (v TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		setting := func(ctx context.Context) (got string) {
			t.Helper()
			err := d.Transact(ctx, func(tx *db.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO k VALUES ($1)`, fmt.Sprint(time.Now().UnixNano())); err != nil {
					return err
				}
				if d.Engine != db.Postgres {
					return nil
				}
				return tx.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&got)
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		bulk := db.WithAsyncCommit(ctx)
		if d.Engine == db.Postgres {
			if got := setting(bulk); got != "off" {
				t.Errorf("a bulk load's transaction: synchronous_commit %q", got)
			}
			if got := setting(ctx); got != "on" {
				t.Errorf("the next ordinary transaction: synchronous_commit %q", got)
			}
		}
		boom := errors.New("boom")
		err := d.Transact(bulk, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(bulk, `INSERT INTO k VALUES ('half')`); err != nil {
				return err
			}
			return boom
		})
		var n int
		_ = d.QueryRowContext(ctx, `SELECT count(*) FROM k WHERE v = 'half'`).Scan(&n)
		if !errors.Is(err, boom) || n != 0 {
			t.Errorf("a failed bulk transaction: %v, %d rows kept", err, n)
		}
	})
}

// Concurrent read-modify-write transactions must not lose updates on either
// engine when they lock what they read.
func TestConcurrentTransactionsDoNotLoseUpdates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO c VALUES (1, 0)`); err != nil {
			t.Fatal(err)
		}
		lock := ""
		if d.Engine == db.Postgres {
			lock = " FOR UPDATE"
		}
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := d.Transact(ctx, func(tx *db.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT n FROM c WHERE id = 1`+lock).Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `UPDATE c SET n = $1 WHERE id = 1`, n+1)
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var n int
		_ = d.QueryRowContext(ctx, `SELECT n FROM c WHERE id = 1`).Scan(&n)
		if n != 20 {
			t.Fatalf("n = %d, want 20", n)
		}
	})
}

func TestRebindLeavesLiteralsAlone(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	var s string
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT '$1 costs', $1 + $2`, 2, 3).Scan(&s, &n); err != nil {
		t.Fatal(err)
	}
	if s != "$1 costs" || n != 5 {
		t.Fatalf("got %q %d", s, n)
	}
}

// A constraint that concurrent writers trip answers the same kind on both
// engines, with a message key, once Transact returns: a conflict for
// unique, primary-key and check violations, invalid input for a dangling
// reference. An error fn gave a kind itself keeps it, and the database's
// error stays in the chain.
func TestTransactGivesViolationsAKind(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, q := range []string{
			`CREATE TABLE parent (id INTEGER PRIMARY KEY)`,
			`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id),
				code TEXT NOT NULL UNIQUE, n INTEGER NOT NULL CHECK (n <= 2))`,
			`INSERT INTO parent VALUES (1)`,
			`INSERT INTO child VALUES (1, 1, 'a', 1)`,
		} {
			if _, err := d.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		insert := func(q string, args ...any) error {
			return d.Transact(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, q, args...)
				return err
			})
		}
		for _, c := range []struct {
			name string
			err  error
			kind errs.Kind
			key  string
		}{
			{"unique", insert(`INSERT INTO child VALUES (2, 1, 'a', 1)`), errs.Conflict, db.KeyConflict},
			{"primary key", insert(`INSERT INTO child VALUES (1, 1, 'b', 1)`), errs.Conflict, db.KeyConflict},
			{"check", insert(`UPDATE child SET n = n + 5 WHERE id = 1`), errs.Conflict, db.KeyConflict},
			{"foreign key", insert(`INSERT INTO child VALUES (3, 99, 'c', 1)`), errs.Invalid, db.KeyReference},
		} {
			e := errs.As(c.err)
			if e == nil || e.Kind != c.kind || e.Key != c.key {
				t.Errorf("%s: %v, want %s %s", c.name, c.err, c.kind, c.key)
			}
		}
		if err := insert(`INSERT INTO child VALUES (2, 1, 'a', 1)`); !db.IsUniqueViolation(err) {
			t.Errorf("the cause is lost: %v", err)
		}
		own := errs.E(errs.Conflict, "x.taken")
		err := d.Transact(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO child VALUES (2, 1, 'a', 1)`); err != nil {
				return own.Cause(err)
			}
			return nil
		})
		if e := errs.As(err); e == nil || e.Key != "x.taken" {
			t.Errorf("fn's own kind replaced: %v", err)
		}
		// Not-null is a programming error, not a race: it stays internal.
		if err := insert(`INSERT INTO child (id, parent_id, n) VALUES (4, 1, 1)`); err == nil || errs.KindOf(err) != errs.Internal {
			t.Errorf("not null: %v", err)
		}
	})
}

// LockRow serialises read-modify-write transactions on one row: none of
// them loses another's update, on either engine.
func TestLockRowSerialisesWorkOnOneRow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO c VALUES (1, 0)`); err != nil {
			t.Fatal(err)
		}
		const workers = 30
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := d.Transact(ctx, func(tx *db.Tx) error {
					if err := tx.LockRow(ctx, "c", "id", 1); err != nil {
						return err
					}
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT n FROM c WHERE id = 1`).Scan(&n); err != nil {
						return err
					}
					time.Sleep(time.Millisecond) // widen the window a lost update needs
					_, err := tx.ExecContext(ctx, `UPDATE c SET n = $1 WHERE id = 1`, n+1)
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var n int
		_ = d.QueryRowContext(ctx, `SELECT n FROM c WHERE id = 1`).Scan(&n)
		if n != workers {
			t.Fatalf("n = %d, want %d", n, workers)
		}
	})
}

// A transaction waiting for another's row lock gives up after LockWait with
// a conflict instead of holding its connection for ever.
func TestLockRowWaitIsBounded(t *testing.T) {
	d := dbtest.Open(t, db.Postgres)
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, `CREATE TABLE c (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO c VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- d.Transact(ctx, func(tx *db.Tx) error {
			if err := tx.LockRow(ctx, "c", "id", 1); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	// The holder lets go by itself, long after LockWait.
	time.AfterFunc(db.LockWait+5*time.Second, func() { close(release) })
	began := time.Now()
	err := d.Transact(ctx, func(tx *db.Tx) error { return tx.LockRow(ctx, "c", "id", 1) })
	waited := time.Since(began)
	if e := errs.As(err); e == nil || e.Kind != errs.Conflict || e.Key != db.KeyConflict {
		t.Errorf("waiting past LockWait: %v, want a conflict", err)
	}
	if waited < db.LockWait-time.Second || waited > db.LockWait+4*time.Second {
		t.Errorf("waited %s, want about %s", waited, db.LockWait)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The bound is for the lock only: the rest of the transaction waits as before.
	var timeout string
	if err := d.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "c", "id", 1); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SHOW lock_timeout`).Scan(&timeout)
	}); err != nil || timeout != "0" {
		t.Errorf("lock_timeout after LockRow = %q, %v; want 0", timeout, err)
	}
}

// Statements are kept prepared on SQLite; reusing one must never mix up the
// rows of two runs, in or out of a transaction, nor stop a changed schema
// or more query texts than the cache holds from working.
func TestPreparedStatementsKeepResultsApart(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE stmt_probe (id INTEGER PRIMARY KEY, parent INTEGER)`); err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int{{1, 0}, {2, 1}, {3, 1}, {4, 2}, {5, 2}, {6, 3}} {
			if _, err := d.ExecContext(ctx, `INSERT INTO stmt_probe (id, parent) VALUES ($1, $2)`, r[0], r[1]); err != nil {
				t.Fatal(err)
			}
		}
		const children = `SELECT id FROM stmt_probe WHERE parent = $1 ORDER BY id`
		// A tree walk runs the same query inside the loop over its own
		// rows; run twice so that the second walk finds it prepared.
		var walk func(q db.Querier, id int) ([]int, error)
		walk = func(q db.Querier, id int) ([]int, error) {
			rows, err := q.QueryContext(ctx, children, id)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out []int
			for rows.Next() {
				var c int
				if err := rows.Scan(&c); err != nil {
					return nil, err
				}
				sub, err := walk(q, c)
				if err != nil {
					return nil, err
				}
				out = append(append(out, c), sub...)
			}
			return out, rows.Err()
		}
		want := "[2 4 5 3 6]"
		for i := 0; i < 3; i++ {
			// PostgreSQL's connection answers one query at a time: a
			// transaction there cannot walk this way at all.
			err := d.Transact(ctx, func(tx *db.Tx) error {
				if d.Engine == db.Postgres {
					return nil
				}
				got, err := walk(tx, 1)
				if err == nil && fmt.Sprint(got) != want {
					err = fmt.Errorf("walk in a transaction = %v, want %s", got, want)
				}
				return err
			})
			if err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
			got, err := walk(d, 1)
			if err != nil || fmt.Sprint(got) != want {
				t.Fatalf("run %d outside a transaction: %v, %v; want %s", i+1, got, err, want)
			}
		}
		// A changed table is seen by the statements prepared before.
		if _, err := d.ExecContext(ctx, `ALTER TABLE stmt_probe ADD COLUMN label TEXT`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE stmt_probe SET label = 'x' || id`); err != nil {
			t.Fatal(err)
		}
		var label string
		if err := d.QueryRowContext(ctx, `SELECT label FROM stmt_probe WHERE parent = $1 ORDER BY id`, 2).Scan(&label); err != nil || label != "x4" {
			t.Fatalf("after ALTER: %q, %v", label, err)
		}
		// More distinct texts than the cache keeps still run, in and out
		// of transactions.
		for i := 0; i < 600; i++ {
			q := fmt.Sprintf(`SELECT count(*) + %d FROM stmt_probe`, i)
			var n int
			if err := d.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 6+i {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
			if err := d.Transact(ctx, func(tx *db.Tx) error { return tx.QueryRowContext(ctx, q).Scan(&n) }); err != nil || n != 6+i {
				t.Fatalf("query %d in a transaction: %d, %v", i, n, err)
			}
		}
	})
}
