package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"

	"madina/internal/platform/db"
)

// dispatchBatch is how many events one dispatcher transaction takes.
const dispatchBatch = 100

// dispatchLoop hands undispatched events to their subscribers.
func (q *Queue) dispatchLoop() {
	defer q.loops.Done()
	for {
		if q.stopping() {
			return
		}
		n, err := q.dispatch(q.jobCtx)
		if err != nil && q.jobCtx.Err() == nil {
			q.log.Error("jobs: dispatch", "err", err)
		}
		if err == nil && n == dispatchBatch {
			continue
		}
		if !q.wait(q.wakeEvents, q.opt.Poll) {
			return
		}
	}
}

// dispatch takes one batch of due events, in order, and in one transaction
// runs every subscriber of each and marks it dispatched. Each event has a
// savepoint: when a subscriber fails, that event's effects are rolled back
// and it is tried again later, as a whole, so that each subscriber's
// effects commit exactly once. On PostgreSQL, SKIP LOCKED lets several
// nodes dispatch different events at once; on SQLite the one writer
// serialises them. It returns how many events it took.
func (q *Queue) dispatch(ctx context.Context) (int, error) {
	lock := ""
	if q.d.Engine == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var n int
	err := q.d.Transact(ctx, func(tx *db.Tx) error {
		now := q.now()
		rows, err := tx.QueryContext(ctx, `SELECT id, topic, payload, created_at, attempts FROM events
			WHERE dispatched_at IS NULL AND next_attempt_at <= $1
			ORDER BY id LIMIT $2`+lock, now, dispatchBatch)
		if err != nil {
			return err
		}
		type row struct {
			ev       Event
			attempts int
		}
		var evs []row
		for rows.Next() {
			var r row
			var p string
			if err := rows.Scan(&r.ev.ID, &r.ev.Topic, &p, &r.ev.CreatedAt, &r.attempts); err != nil {
				rows.Close()
				return err
			}
			r.ev.Payload = json.RawMessage(p)
			evs = append(evs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = len(evs)
		for _, r := range evs {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT jobs_event`); err != nil {
				return err
			}
			if serr := q.deliver(ctx, tx, r.ev); serr != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT jobs_event`); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT jobs_event`); err != nil {
					return err
				}
				at := now.Add(q.backoff(r.attempts + 1))
				q.log.Warn("jobs: event dispatch failed", "topic", r.ev.Topic, "event", r.ev.ID, "attempt", r.attempts+1, "retry_at", at, "err", serr)
				if _, err := tx.ExecContext(ctx, `UPDATE events SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2
					WHERE id = $3`, clip(serr.Error()), at, r.ev.ID); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT jobs_event`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET attempts = attempts + 1, dispatched_at = $1 WHERE id = $2`,
				now, r.ev.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("jobs: dispatch: %w", err)
	}
	return n, nil
}

// deliver runs the subscribers of ev's topic, stopping at the first error;
// a panic counts as an error.
func (q *Queue) deliver(ctx context.Context, tx *db.Tx, ev Event) error {
	q.mu.Lock()
	subs := q.subs[ev.Topic]
	q.mu.Unlock()
	for _, s := range subs {
		if err := callSubscriber(ctx, s.fn, tx, ev); err != nil {
			return fmt.Errorf("subscriber %s: %w", s.name, err)
		}
	}
	return nil
}

func callSubscriber(ctx context.Context, fn Subscriber, tx *db.Tx, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx, tx, ev)
}

// DispatchNow runs one dispatch batch at once, without waiting for the
// loop (for tools and tests); it returns how many events it took.
func (q *Queue) DispatchNow(ctx context.Context) (int, error) { return q.dispatch(ctx) }
