package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered, forward-only schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads files named NNNN_name.sql from dir in fsys.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("db: migration %q: name must be NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("db: migrations %q and %q share number %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL
)`

// Migrate applies, in order, every migration not yet recorded, each in its
// own transaction together with its record. It returns how many it applied.
// On PostgreSQL an advisory lock keeps several starting nodes from racing.
func (d *DB) Migrate(ctx context.Context, ms []Migration) (int, error) {
	if _, err := d.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range ms {
		if d.Engine == SQLite && m.ForeignKeysOff() {
			done, err := d.migrateForeignKeysOff(ctx, m)
			if err != nil {
				return applied, err
			}
			if !done {
				applied++
			}
			continue
		}
		var done bool
		err := d.Transact(ctx, func(tx *Tx) error {
			if d.Engine == Postgres {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7216601)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, time.Now())
			return err
		})
		if err != nil {
			return applied, err
		}
		if !done {
			applied++
		}
	}
	return applied, nil
}

// ForeignKeysOffMarker, as the first line of a SQLite migration, runs it
// with the foreign keys off (migrateForeignKeysOff).
const ForeignKeysOffMarker = "-- madina:foreign-keys-off"

// ForeignKeysOff reports whether m is marked to run with SQLite's foreign
// keys off.
func (m Migration) ForeignKeysOff() bool {
	first, _, _ := strings.Cut(m.SQL, "\n")
	return strings.TrimSpace(first) == ForeignKeysOffMarker
}

// migrateForeignKeysOff applies a marked SQLite migration the way SQLite
// documents a table rebuild (a CHECK cannot be altered): PRAGMA
// foreign_keys cannot change inside a transaction, so on one connection
// it is turned OFF, the migration and its record run in one transaction,
// PRAGMA foreign_key_check must report no row (else everything is rolled
// back), then COMMIT, and foreign_keys is ON again whatever happened. Off,
// dropping a table that others reference neither fails nor deletes their
// rows; their REFERENCES clauses name the table, which the rebuild
// creates again under the same name.
func (d *DB) migrateForeignKeysOff(ctx context.Context, m Migration) (done bool, err error) {
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: foreign keys off: %w", m.Version, m.Name, err)
	}
	defer func() {
		if _, e := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); e != nil && err == nil {
			err = fmt.Errorf("db: migration %04d_%s: foreign keys on: %w", m.Version, m.Name, e)
		}
	}()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: begin: %w", m.Version, m.Name, err)
	}
	rollback := func(e error) (bool, error) {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return false, e
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return rollback(err)
	}
	if n > 0 {
		_, err := conn.ExecContext(ctx, `COMMIT`)
		return true, err
	}
	if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
		return rollback(fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err))
	}
	rows, err := conn.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return rollback(fmt.Errorf("db: migration %04d_%s: foreign key check: %w", m.Version, m.Name, err))
	}
	var broken []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			rows.Close()
			return rollback(err)
		}
		broken = append(broken, fmt.Sprintf("%s row %d → %s", table, rowid.Int64, parent))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rollback(err)
	}
	if len(broken) > 0 {
		return rollback(fmt.Errorf("db: migration %04d_%s leaves broken references: %s", m.Version, m.Name, strings.Join(broken, "; ")))
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, time.Now()); err != nil {
		return rollback(err)
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return rollback(fmt.Errorf("db: migration %04d_%s: commit: %w", m.Version, m.Name, err))
	}
	return false, nil
}

// Pending reports how many of ms are not applied yet (for readiness checks).
func (d *DB) Pending(ctx context.Context, ms []Migration) (int, error) {
	rows, err := d.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return len(ms), fmt.Errorf("db: read schema_migrations: %w", err)
	}
	defer rows.Close()
	have := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return len(ms), err
		}
		have[v] = true
	}
	if err := rows.Err(); err != nil {
		return len(ms), err
	}
	n := 0
	for _, m := range ms {
		if !have[m.Version] {
			n++
		}
	}
	return n, nil
}
