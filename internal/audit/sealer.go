package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"madina/internal/platform/db"
)

// sealLock is the PostgreSQL advisory lock key held by the one sealer at
// work (ASCII "audit"); db.Migrate uses 7216601.
const sealLock int64 = 0x6175646974

// Sealer links the records Append wrote into the chain, after their
// transactions committed. Every node may run one: an advisory lock on
// PostgreSQL (SQLite's single writer) lets one seal at a time.
//
// Ordering. The chain's order is the order of sealing, not of ids: a batch
// takes the unsealed records its transaction sees (committed ones), oldest
// id first, and gives them the sequence numbers following the chain's head.
// On PostgreSQL ids are drawn before commit, so a record with a smaller id
// may commit after a larger one was sealed; it is not skipped, because the
// sealer selects every record still unsealed rather than ids beyond the
// last one sealed, and it takes the next free place at the head of the
// chain. No gap in seq can open and none is waited for; the ids' gaps
// (rolled-back transactions) never enter the chain. Records written in one
// transaction become visible together and keep their order.
//
// Crash safety. A batch is one transaction: the head read, the records
// sealed. A sealer dying mid-batch leaves the chain as the previous batch
// left it; the unique seq makes a second sealer that got past the lock fail
// rather than fork the chain.
type Sealer struct {
	d        *db.DB
	log      *slog.Logger
	interval time.Duration
	batch    int
}

// SealerOptions tune a Sealer; zero values take the defaults.
type SealerOptions struct {
	Interval time.Duration // between looks for unsealed records; 1 s
	Batch    int           // records sealed per transaction; 500
	Logger   *slog.Logger  // for Run's failures; slog.Default()
}

// NewSealer returns the sealer of the log stored in d.
func NewSealer(d *db.DB, opt SealerOptions) *Sealer {
	s := &Sealer{d: d, log: opt.Logger, interval: opt.Interval, batch: opt.Batch}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.interval <= 0 {
		s.interval = time.Second
	}
	if s.batch <= 0 {
		s.batch = 500
	}
	return s
}

// Run seals records until ctx ends: at once, then every interval, and again
// at once while batches come back full. While another sealer holds the
// lock this one skips its turn. Failures are logged and retried at the next
// turn; a record left unsealed past UnsealedLimit is reported by Verify.
func (s *Sealer) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := s.interval
		// Look first with a read (SQLite's readers, no write lock taken),
		// and open the sealing transaction only if there is work.
		var first sql.NullInt64
		err := s.d.QueryRowContext(ctx, `SELECT min(id) FROM audit_log WHERE seq IS NULL`).Scan(&first)
		n := 0
		if err == nil && first.Valid {
			n, _, err = s.sealBatch(ctx, math.MaxInt64, false)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("audit: seal", "err", err.Error())
		case n == s.batch:
			next = 0
		}
		t.Reset(next)
	}
}

// SealNow seals every record committed before it was called (and perhaps
// some committed since), waiting for another sealer at work, and returns
// how many it sealed itself. Commands that write without a server running
// call it before they finish; tests call it to read the chain.
func (s *Sealer) SealNow(ctx context.Context) (int, error) {
	var upTo sql.NullInt64
	if err := s.d.QueryRowContext(ctx, `SELECT max(id) FROM audit_log WHERE seq IS NULL`).Scan(&upTo); err != nil {
		return 0, fmt.Errorf("audit: seal: %w", err)
	}
	if !upTo.Valid {
		return 0, nil
	}
	total := 0
	for {
		n, _, err := s.sealBatch(ctx, upTo.Int64, true)
		total += n
		if err != nil || n < s.batch {
			return total, err
		}
	}
}

// sealBatch seals, in one transaction, up to s.batch unsealed records of id
// at most upTo, oldest id first. With wait false it gives up at once (busy)
// if another sealer holds the lock.
func (s *Sealer) sealBatch(ctx context.Context, upTo int64, wait bool) (n int, busy bool, err error) {
	err = s.d.Transact(ctx, func(tx *db.Tx) error {
		n, busy = 0, false
		if tx.Dialect() == db.Postgres {
			if wait {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, sealLock); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			} else {
				var got bool
				if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sealLock).Scan(&got); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
				if !got {
					busy = true
					return nil
				}
			}
		}
		// Read after the lock: under READ COMMITTED (db.Transact's level)
		// each statement sees what the previous sealer committed.
		seq := int64(0)
		prev := Genesis
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read chain head: %w", err)
		}
		batch, err := unsealed(ctx, tx, upTo, s.batch)
		if err != nil {
			return fmt.Errorf("read unsealed records: %w", err)
		}
		for _, u := range batch {
			seq++
			u.r.Seq, u.r.PrevHash = seq, prev
			u.r.Hash = u.r.ComputeHash()
			res, err := tx.ExecContext(ctx, `UPDATE audit_log SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4 AND seq IS NULL`,
				u.r.Seq, u.r.PrevHash, u.r.Hash, u.id)
			if err != nil {
				return fmt.Errorf("seal record %d as #%d: %w", u.id, seq, err)
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				return fmt.Errorf("seal record %d as #%d: sealed meanwhile (%d rows, %v)", u.id, seq, k, err)
			}
			prev = u.r.Hash
		}
		n = len(batch)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("audit: seal: %w", err)
	}
	return n, busy, nil
}

type unsealedRecord struct {
	id int64
	r  Record
}

// unsealed returns up to n records not sealed yet, of id at most upTo,
// oldest id first.
func unsealed(ctx context.Context, tx *db.Tx, upTo int64, n int) ([]unsealedRecord, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, at, actor, action, object_type, object_id, change_digest
		FROM audit_log WHERE seq IS NULL AND id <= $1 ORDER BY id LIMIT $2`, upTo, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var us []unsealedRecord
	for rows.Next() {
		var u unsealedRecord
		if err := rows.Scan(&u.id, &u.r.At, &u.r.Actor, &u.r.Action, &u.r.ObjectType, &u.r.ObjectID, &u.r.ChangeDigest); err != nil {
			return nil, err
		}
		u.r.At = u.r.At.UTC()
		us = append(us, u)
	}
	return us, rows.Err()
}
