package audit

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

const columns = `seq, at, actor, action, object_type, object_id, change_digest, prev_hash, hash`

// Append adds e to the log inside tx, the transaction making the change, so
// that the change and its record commit or roll back together.
//
// The record is written unlinked: it takes no lock and reads nothing, so
// concurrent writers do not queue behind one another. The Sealer links it
// into the chain after commit, giving it its sequence number, prev_hash and
// hash; until then the returned record's Seq is 0 and its hashes empty.
func Append(ctx context.Context, tx *db.Tx, e Entry) (Record, error) {
	r, err := normalize(e, time.Now)
	if err != nil {
		return Record{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (written_at, at, actor, action, object_type, object_id, change_digest)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		time.Now(), r.At, r.Actor, r.Action, r.ObjectType, r.ObjectID, r.ChangeDigest)
	if err != nil {
		return Record{}, fmt.Errorf("audit: append %s: %w", r.Action, err)
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
	// ActingFor widens Actor to the records it wrote acting for someone
	// else ("person:7 for legal:3" under "person:7").
	ActingFor bool
	Since     time.Time // records at or after, when not zero
	Until     time.Time // records before, when not zero
	Limit     int       // 50 when zero, at most 1000
	BeforeSeq int64     // only records older than this one, to page back
	// SealedOnly leaves out the records not sealed yet: the page after one
	// that ended on an unsealed record starts at the chain's head.
	SealedOnly bool
}

// List returns the records matching f, newest first: records not sealed
// yet (Seq 0) first, in the order they were written, then the chain from
// its head down. BeforeSeq pages through the sealed chain only.
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
	if f.Actor != "" && !f.ActingFor {
		add("actor =", f.Actor)
	}
	if f.Actor != "" && f.ActingFor {
		args = append(args, f.Actor, strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Actor)+" for %")
		where = append(where, "(actor = $"+strconv.Itoa(len(args)-1)+" OR actor LIKE $"+strconv.Itoa(len(args))+` ESCAPE '\')`)
	}
	if !f.Since.IsZero() {
		add("at >=", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		add("at <", f.Until.UTC())
	}
	// selectWhere runs the query on the filters and cond, newest first by
	// order, at most n records.
	selectWhere := func(cond, order string, n int, extra ...any) ([]Record, error) {
		a := append(slices.Clone(args), extra...)
		q := `SELECT ` + columns + ` FROM audit_log WHERE ` + strings.Join(append(slices.Clone(where), cond), ` AND `)
		a = append(a, n)
		q += ` ORDER BY ` + order + ` DESC LIMIT $` + strconv.Itoa(len(a))
		return l.query(ctx, q, a...)
	}
	var rs []Record
	if f.BeforeSeq <= 0 && !f.SealedOnly {
		unsealed, err := selectWhere(`seq IS NULL`, `id`, limit)
		if err != nil {
			return nil, fmt.Errorf("audit: list unsealed: %w", err)
		}
		rs = unsealed
	}
	if len(rs) < limit {
		cond, extra := `seq IS NOT NULL`, []any(nil)
		if f.BeforeSeq > 0 {
			cond, extra = `seq < $`+strconv.Itoa(len(args)+1), []any{f.BeforeSeq}
		}
		sealed, err := selectWhere(cond, `seq`, limit-len(rs), extra...)
		if err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		rs = append(rs, sealed...)
	}
	return rs, nil
}

// query runs q, which selects columns, and returns its records; an
// unsealed record has Seq 0 and empty hashes.
func (l *Log) query(ctx context.Context, q string, args ...any) ([]Record, error) {
	rows, err := l.d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []Record
	for rows.Next() {
		var r Record
		var seq sql.NullInt64
		var prev, hash sql.NullString
		if err := rows.Scan(&seq, &r.At, &r.Actor, &r.Action, &r.ObjectType, &r.ObjectID, &r.ChangeDigest, &prev, &hash); err != nil {
			return nil, err
		}
		r.Seq, r.PrevHash, r.Hash = seq.Int64, prev.String, hash.String
		r.At = r.At.UTC()
		rs = append(rs, r)
	}
	return rs, rows.Err()
}
