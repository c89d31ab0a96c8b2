// Package db gives Madina one database handle over two engines: embedded
// SQLite (pure Go, modernc.org/sqlite) and PostgreSQL (pgx). Stores write SQL
// with PostgreSQL's $1 placeholders; for SQLite they are rewritten to ?1.
// Times are stored in UTC with microsecond precision on both engines.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"madina/internal/platform/errs"
)

// Messages holds the user-visible texts of the errors Transact gives a
// kind to, one flat JSON object per language.
//
//go:embed messages/*.json
var Messages embed.FS

// Message keys of the errors Transact returns for a violated constraint.
const (
	// KeyConflict: a unique, check or exclusion constraint refused the
	// write, or a serialization failure outlived the retries; almost always
	// someone else changing the same thing at the same moment.
	KeyConflict = "db.error.conflict"
	// KeyReference: a foreign key named a row that does not exist.
	KeyReference = "db.error.reference"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// sqliteTime is how SQLite stores times: fixed width, so text comparison is
// time order, and in a layout the driver parses back into time.Time.
const sqliteTime = "2006-01-02 15:04:05.000000-07:00"

// DB is a handle on one database. For SQLite it keeps two pools, one writer
// connection (SQLite allows one writer at a time; queuing writes in Go beats
// busy-waiting in the engine) and several readers.
type DB struct {
	Engine Engine
	read   *sql.DB
	write  *sql.DB
	url    string
	// readStmts and writeStmts keep SQLite's statements prepared, one per
	// query text and pool: parsing the larger joins cost more than running
	// them. PostgreSQL's driver keeps its own statement cache.
	readStmts, writeStmts *stmtCache
}

// Open connects to the database named by rawURL: "postgres://…" or
// "postgresql://…" for PostgreSQL, "sqlite:PATH" or a bare file path for SQLite.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		return openPostgres(ctx, rawURL)
	}
	return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite:"))
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	pool, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(20)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect postgres %s: %w", Redact(rawURL), err)
	}
	return &DB{Engine: Postgres, read: pool, write: pool, url: rawURL}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: create data directory: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &DB{Engine: SQLite, read: r, write: w, url: path, readStmts: newStmtCache(r), writeStmts: newStmtCache(w)}, nil
}

// Close closes every pool.
func (d *DB) Close() error {
	d.readStmts.close()
	d.writeStmts.close()
	err := d.read.Close()
	if d.write != d.read {
		err = errors.Join(err, d.write.Close())
	}
	return err
}

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// Stats returns the read pool's statistics.
func (d *DB) Stats() sql.DBStats { return d.read.Stats() }

// Querier runs statements; *DB and *Tx both are one. Store helpers take a
// Querier so that they run inside or outside a transaction alike.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Engine
}

var _ Querier = (*DB)(nil)
var _ Querier = (*Tx)(nil)

func (d *DB) Dialect() Engine { return d.Engine }

// ExecContext runs a statement outside any transaction (on the writer).
func (d *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = d.rebind(q)
	if s := d.writeStmts.prepared(ctx, q); s != nil {
		return s.ExecContext(ctx, d.args(args)...)
	}
	return d.write.ExecContext(ctx, q, d.args(args)...)
}

// QueryContext reads.
func (d *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = d.rebind(q)
	if s := d.readStmts.prepared(ctx, q); s != nil {
		return s.QueryContext(ctx, d.args(args)...)
	}
	return d.read.QueryContext(ctx, q, d.args(args)...)
}

// QueryRowContext reads one row.
func (d *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q = d.rebind(q)
	if s := d.readStmts.prepared(ctx, q); s != nil {
		return s.QueryRowContext(ctx, d.args(args)...)
	}
	return d.read.QueryRowContext(ctx, q, d.args(args)...)
}

// Tx is a transaction with callbacks run after it commits.
type Tx struct {
	tx          *sql.Tx
	d           *DB
	afterCommit []func()
	// unprepared lists the statements this transaction ran that the writer
	// has not prepared yet: they are prepared once it ends, since the
	// writer's one connection is the transaction's until then.
	unprepared []string
	// open holds the last rows read with each prepared statement: running
	// a statement again while its rows are still being read (a query inside
	// the loop over its own results) would reset them on SQLite's single
	// connection, so that query runs unprepared.
	open map[string]*sql.Rows
}

func (t *Tx) Dialect() Engine { return t.d.Engine }

func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = t.d.rebind(q)
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, t.d.args(args)...)
	}
	return t.tx.ExecContext(ctx, q, t.d.args(args)...)
}

func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = t.d.rebind(q)
	if s := t.stmt(ctx, q); s != nil {
		rows, err := s.QueryContext(ctx, t.d.args(args)...)
		if err == nil {
			if t.open == nil {
				t.open = map[string]*sql.Rows{}
			}
			t.open[q] = rows
		}
		return rows, err
	}
	return t.tx.QueryContext(ctx, q, t.d.args(args)...)
}

func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q = t.d.rebind(q)
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, t.d.args(args)...)
	}
	return t.tx.QueryRowContext(ctx, q, t.d.args(args)...)
}

// stmt returns the writer's prepared statement for q bound to this
// transaction, or nil when it is not prepared yet (it will be once the
// transaction ends) or the engine keeps its own cache.
func (t *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if t.d.writeStmts == nil {
		return nil
	}
	if rows := t.open[q]; rows != nil {
		if _, err := rows.Columns(); err == nil {
			return nil // still open
		}
		delete(t.open, q)
	}
	s, known := t.d.writeStmts.lookup(q)
	if s == nil {
		if !known {
			t.unprepared = append(t.unprepared, q)
		}
		return nil
	}
	return t.tx.StmtContext(ctx, s)
}

// AfterCommit registers f to run once the transaction has committed (to wake
// workers, for example). It does not run if the transaction rolls back.
func (t *Tx) AfterCommit(f func()) { t.afterCommit = append(t.afterCommit, f) }

// LockRow takes the write lock on the rows of table whose column equals
// value, until the transaction ends: a second transaction locking the same
// row waits for this one to finish, then reads what it committed. Take it
// first, before reading what will be written, in every write transaction on
// an object that concurrent requests may change (a case and what hangs from
// it), so that work on one object is serialised on PostgreSQL as SQLite's
// single writer serialises every write; there it is a no-op. table and
// column are code, never input.
//
// The wait is bounded by LockWait, as SQLite's writer waits no longer than
// its busy timeout: a waiter holds a pooled connection, and a holder that
// needed one more (a cache refreshed inside its transaction) while waiters
// held them all would otherwise wait for ever. A wait that runs out is a
// conflict (55P03), answered "try again".
func (t *Tx) LockRow(ctx context.Context, table, column string, value any) error {
	if t.d.Engine != Postgres {
		return nil
	}
	if _, err := t.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, LockWait.Milliseconds())); err != nil {
		return fmt.Errorf("db: lock %s: %w", table, err)
	}
	if _, err := t.ExecContext(ctx, `SELECT 1 FROM `+table+` WHERE `+column+` = $1 FOR UPDATE`, value); err != nil {
		return fmt.Errorf("db: lock %s: %w", table, err)
	}
	if _, err := t.ExecContext(ctx, `SET LOCAL lock_timeout TO DEFAULT`); err != nil {
		return fmt.Errorf("db: lock %s: %w", table, err)
	}
	return nil
}

// LockWait bounds how long LockRow waits for another transaction's lock,
// SQLite's busy timeout.
const LockWait = 10 * time.Second

// Transact runs fn in a transaction, committing if it returns nil. On
// PostgreSQL a serialization failure or deadlock is retried; on SQLite a busy
// database is retried. fn must therefore be safe to run again.
//
// It is also the one place where an error the database raised becomes an
// error kind, when fn has not given it one itself: a unique, check or
// exclusion violation (or a serialization failure still there after the
// retries) is a conflict, a foreign-key violation is invalid input, alike
// on both engines; the cause stays wrapped for the log and for
// IsUniqueViolation.
func (d *DB) Transact(ctx context.Context, fn func(*Tx) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = d.transactOnce(ctx, fn)
		if err == nil || !retryable(err) {
			return kinded(err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(10*(i+1)) * time.Millisecond):
		}
	}
	return kinded(err)
}

// kinded gives a database error its kind, leaving alone errors that have
// one and errors the database did not raise.
func kinded(err error) error {
	if err == nil || errs.As(err) != nil {
		return err
	}
	switch violation(err) {
	case conflict:
		return errs.E(errs.Conflict, KeyConflict).Cause(err)
	case reference:
		return errs.E(errs.Invalid, KeyReference).Cause(err)
	}
	return err
}

type violationKind int

const (
	noViolation violationKind = iota
	conflict
	reference
)

// violation classifies err: a constraint that concurrent writers trip
// (unique, primary key, check, exclusion; serialization failure, deadlock
// and a lock wait that ran out), or a dangling reference (foreign key). Not-null and other
// violations are programming errors and stay internal.
func violation(err error) violationKind {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "23514", "23P01", "40001", "40P01", "55P03":
			return conflict
		case "23503":
			return reference
		}
		return noViolation
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return conflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return reference
		}
	}
	return noViolation
}

// asyncCommitKey marks a context whose transactions need not wait for
// their commit to reach the disk (WithAsyncCommit).
type asyncCommitKey struct{}

// WithAsyncCommit marks ctx for bulk loads whose loss in a crash costs
// nothing (the demonstration): on PostgreSQL its transactions commit
// without waiting for the write-ahead log's flush (synchronous_commit
// off, for that transaction only) — still atomic and in order, never
// half-written, only the last ones may be lost on a crash. SQLite's
// commits are unchanged.
func WithAsyncCommit(ctx context.Context) context.Context {
	return context.WithValue(ctx, asyncCommitKey{}, true)
}

func (d *DB) transactOnce(ctx context.Context, fn func(*Tx) error) (err error) {
	stx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tx := &Tx{tx: stx, d: d}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
	}()
	if async, _ := ctx.Value(asyncCommitKey{}).(bool); async && d.Engine == Postgres {
		if _, err := stx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			_ = stx.Rollback()
			return fmt.Errorf("db: asynchronous commit: %w", err)
		}
	}
	err = fn(tx)
	if err != nil {
		_ = stx.Rollback()
	} else if err = stx.Commit(); err != nil {
		err = fmt.Errorf("db: commit: %w", err)
	}
	d.writeStmts.prepareAll(ctx, tx.unprepared) // the writer is free again
	if err != nil {
		return err
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsConstraintViolation reports whether err is any integrity-constraint
// violation (unique, foreign key, check, not null) on either engine.
func IsConstraintViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "23")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	return false
}

// rebind rewrites $N placeholders to SQLite's ?N, leaving string literals
// and quoted identifiers alone.
func (d *DB) rebind(q string) string {
	if d.Engine != SQLite || !strings.Contains(q, "$") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// args normalises arguments: times become UTC with microsecond precision on
// both engines, and fixed-width text on SQLite.
func (d *DB) args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = d.timeArg(v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = d.timeArg(*v)
			}
		}
	}
	return args
}

func (d *DB) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.Engine == SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// stmtCache keeps one prepared statement per query text for one SQLite
// pool. It is bounded: a store building query texts from input (lists of
// any length) would otherwise fill it; past the bound, statements run
// unprepared as before.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt // nil value: preparing failed, run unprepared
}

const maxStmts = 512

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) lookup(q string) (s *sql.Stmt, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, known = c.m[q]
	return s, known || len(c.m) >= maxStmts
}

// prepared returns the statement for q, preparing it on first use; nil when
// the cache is full or q does not prepare (it then fails unprepared, with
// the error the caller expects).
func (c *stmtCache) prepared(ctx context.Context, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if s, known := c.lookup(q); known {
		return s
	}
	c.prepareAll(ctx, []string{q})
	s, _ := c.lookup(q)
	return s
}

func (c *stmtCache) prepareAll(ctx context.Context, qs []string) {
	if c == nil {
		return
	}
	for _, q := range qs {
		if _, known := c.lookup(q); known {
			continue
		}
		s, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return // not the statement's fault: try again next time
			}
			s = nil
		}
		c.mu.Lock()
		if _, dup := c.m[q]; dup || len(c.m) >= maxStmts {
			if s != nil {
				s.Close()
			}
		} else {
			c.m[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		if s != nil {
			s.Close()
		}
		delete(c.m, q)
	}
}

// Redact hides the password of a database URL for logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
