package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// appendLock is the PostgreSQL advisory lock key serialising appends
// (ASCII "audit"); db.Migrate uses 7216601.
const appendLock int64 = 0x6175646974

const columns = `seq, at, actor, action, object_type, object_id, change_digest, prev_hash, hash`

// Append adds e to the log inside tx, the transaction making the change, so
// that the change and its record commit or roll back together.
//
// Appends are serialised so the chain never forks: on PostgreSQL by an
// advisory lock held until tx ends, on SQLite by its single writer. The
// lock makes concurrent changes queue from their Append to their commit, so
// call Append as the last statement of a transaction. It relies on READ
// COMMITTED (db.Transact's default) to see the record committed by the
// previous holder; under a stricter level a race ends in a unique violation
// on seq rather than a fork.
func Append(ctx context.Context, tx *db.Tx, e Entry) (Record, error) {
	r, err := normalize(e, time.Now)
	if err != nil {
		return Record{}, err
	}
	if tx.Dialect() == db.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, appendLock); err != nil {
			return Record{}, fmt.Errorf("audit: lock: %w", err)
		}
	}
	var last int64
	prev := Genesis
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("audit: read chain head: %w", err)
	}
	r.Seq = last + 1
	r.PrevHash = prev
	r.Hash = r.ComputeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.Seq, r.At, r.Actor, r.Action, r.ObjectType, r.ObjectID, r.ChangeDigest, r.PrevHash, r.Hash)
	if err != nil {
		return Record{}, fmt.Errorf("audit: append %s seq %d: %w", r.Action, r.Seq, err)
	}
	return r, nil
}

// Log reads the audit log.
type Log struct {
	d         *db.DB
	batchSize int // records per Verify query; verifyBatch when zero
}

// New returns the log stored in d.
func New(d *db.DB) *Log { return &Log{d: d} }

// Filter selects records for List. Empty fields match everything.
type Filter struct {
	ObjectType string
	ObjectID   string // requires ObjectType
	Actor      string
	Limit      int   // 50 when zero, at most 1000
	BeforeSeq  int64 // only records older than this one, to page back
}

// List returns the records matching f, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Record, error) {
	if f.ObjectID != "" && f.ObjectType == "" {
		return nil, errs.E(errs.Invalid, "error.audit.required").OnField("object_type")
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 1000:
		limit = 1000
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.ObjectType != "" {
		add("object_type =", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id =", f.ObjectID)
	}
	if f.Actor != "" {
		add("actor =", f.Actor)
	}
	if f.BeforeSeq > 0 {
		add("seq <", f.BeforeSeq)
	}
	q := `SELECT ` + columns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	q += ` ORDER BY seq DESC LIMIT $` + strconv.Itoa(len(args))
	rs, err := l.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return rs, nil
}

func (l *Log) query(ctx context.Context, q string, args ...any) ([]Record, error) {
	rows, err := l.d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []Record
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Seq, &r.At, &r.Actor, &r.Action, &r.ObjectType, &r.ObjectID, &r.ChangeDigest, &r.PrevHash, &r.Hash); err != nil {
			return nil, err
		}
		r.At = r.At.UTC()
		rs = append(rs, r)
	}
	return rs, rows.Err()
}
