package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"time"

	"madina/internal/platform/db"
)

// maxErrorLen bounds the last_error kept for a job or an event.
const maxErrorLen = 2000

// recordTimeout bounds the writes that record a job's outcome, which run
// even when the job's own context has been cancelled.
const recordTimeout = 10 * time.Second

// Start runs the dispatcher and the workers until Shutdown, or until ctx
// ends, which stops everything at once (in-flight jobs see their context
// cancelled and are released for a later run). For a graceful stop, call
// Shutdown before cancelling ctx.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("jobs: queue already started")
	}
	q.started = true
	if err := q.releaseOwn(ctx); err != nil {
		// Not fatal: those jobs wait for their leases to expire instead.
		q.log.Error("jobs: release the jobs of this node's previous run", "err", err)
	}
	q.jobCtx, q.cancelJobs = context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, func() {
		q.closeStop()
		q.cancelJobs()
	})
	q.loops.Add(2)
	go q.dispatchLoop()
	go q.claimLoop()
	return nil
}

// releaseOwn makes the jobs that a previous process of this node held
// when it died claimable at once, as if their leases had expired: that
// process is gone, and nobody else would take them before the lease ran
// out. Only with a stable node identity; never this queue's own leases.
func (q *Queue) releaseOwn(ctx context.Context) error {
	if q.opt.Node == "" {
		return nil
	}
	prefix := q.opt.Node + "/"
	now := q.now()
	r, err := q.d.ExecContext(ctx, `UPDATE jobs SET locked_until = $1, updated_at = $2
		WHERE state = 'running' AND locked_until > $3 AND substr(locked_by, 1, length(CAST($4 AS TEXT))) = $5 AND locked_by <> $6`,
		now, now, now, prefix, prefix, q.node)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n > 0 {
		q.log.Info("jobs: released the jobs this node held before it restarted", "node", q.opt.Node, "jobs", n)
		signal(q.wakeJobs)
	}
	return nil
}

func (q *Queue) closeStop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.stopped {
		q.stopped = true
		close(q.stop)
	}
}

// Shutdown stops claiming jobs and dispatching events, then waits for the
// jobs in flight to finish. When ctx ends first, their contexts are
// cancelled, they are released for a later run, and Shutdown returns ctx's
// error.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	started := q.started
	q.mu.Unlock()
	if !started {
		return nil
	}
	q.closeStop()
	done := make(chan struct{})
	go func() {
		q.loops.Wait()
		q.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		q.cancelJobs()
		return nil
	case <-ctx.Done():
	}
	q.cancelJobs()
	// Handlers must honour their context; give them a moment to notice
	// and to be released, without hanging on one that does not.
	select {
	case <-done:
	case <-time.After(recordTimeout):
		q.log.Error("jobs: shutdown abandoned jobs that ignore cancellation")
	}
	return ctx.Err()
}

func (q *Queue) stopping() bool {
	select {
	case <-q.stop:
		return true
	default:
		return false
	}
}

// wait sleeps for d, or until woken or stopped; it reports false on stop.
func (q *Queue) wait(wake chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-q.stop:
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}

// claimLoop claims due jobs while worker slots are free and runs each in
// its own goroutine.
func (q *Queue) claimLoop() {
	defer q.loops.Done()
	for {
		// Take one slot, waiting for it, then any other free ones.
		select {
		case q.slots <- struct{}{}:
		case <-q.stop:
			return
		}
		n := 1
	more:
		for n < q.opt.Workers {
			select {
			case q.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		if q.stopping() {
			q.releaseSlots(n)
			return
		}
		jobs, err := q.claim(q.jobCtx, n)
		if err != nil && q.jobCtx.Err() == nil {
			q.log.Error("jobs: claim", "err", err)
		}
		q.releaseSlots(n - len(jobs))
		for _, j := range jobs {
			q.running.Add(1)
			go q.run(j)
		}
		if err == nil && len(jobs) == n {
			continue // there may be more due right now
		}
		d := q.opt.Poll
		if err == nil {
			if next, ok := q.nextRunAt(q.jobCtx); ok {
				if until := next.Sub(q.now()); until < d {
					d = max(until, time.Millisecond)
				}
			}
		}
		if !q.wait(q.wakeJobs, d) {
			return
		}
	}
}

func (q *Queue) releaseSlots(n int) {
	for range n {
		<-q.slots
	}
}

func (q *Queue) kinds() (string, bool) {
	q.mu.Lock()
	ks := make([]string, 0, len(q.handlers))
	for k := range q.handlers {
		ks = append(ks, k)
	}
	q.mu.Unlock()
	sort.Strings(ks)
	b, _ := json.Marshal(ks)
	return string(b), len(ks) > 0
}

// kindFilter restricts a query to the kinds this process handles, passed
// as a JSON array in parameter $n.
func (q *Queue) kindFilter(n int) string {
	if q.d.Engine == db.Postgres {
		return fmt.Sprintf("kind IN (SELECT jsonb_array_elements_text($%d::jsonb))", n)
	}
	return fmt.Sprintf("kind IN (SELECT value FROM json_each($%d))", n)
}

// claim takes up to n due jobs of the kinds this process handles: queued
// ones whose time has come, and running ones whose lease has expired (their
// worker stopped or crashed) with attempts left. Expired ones without
// attempts left fail.
func (q *Queue) claim(ctx context.Context, n int) ([]Job, error) {
	kinds, ok := q.kinds()
	if !ok {
		return nil, nil
	}
	lock := ""
	if q.d.Engine == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var jobs []Job
	err := q.d.Transact(ctx, func(tx *db.Tx) error {
		jobs = jobs[:0]
		now := q.now()
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL,
			finished_at = $1, updated_at = $2, last_error = 'lease expired on the last attempt: the worker stopped or crashed'
			WHERE state = 'running' AND locked_until <= $3 AND attempt >= max_attempts`, now, now, now); err != nil {
			return fmt.Errorf("fail expired: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `UPDATE jobs
			SET state = 'running', attempt = attempt + 1, locked_by = $1, locked_until = $2, updated_at = $3
			WHERE id IN (
				SELECT id FROM jobs
				WHERE ((state = 'queued' AND run_at <= $4)
					OR (state = 'running' AND locked_until <= $5 AND attempt < max_attempts))
				AND `+q.kindFilter(6)+`
				ORDER BY run_at, id
				LIMIT $7`+lock+`)
			RETURNING id, kind, payload, attempt, max_attempts`,
			q.node, now.Add(q.opt.Lease), now, now, now, kinds, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			var p string
			if err := rows.Scan(&j.ID, &j.Kind, &p, &j.Attempt, &j.MaxAttempts); err != nil {
				return err
			}
			j.Payload = json.RawMessage(p)
			j.run = &runState{holder: q.node, now: q.now}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: claim: %w", err)
	}
	return jobs, nil
}

// nextRunAt returns when the next queued job is due, to sleep no longer.
func (q *Queue) nextRunAt(ctx context.Context) (time.Time, bool) {
	kinds, ok := q.kinds()
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	err := q.d.QueryRowContext(ctx, `SELECT run_at FROM jobs WHERE state = 'queued' AND `+q.kindFilter(1)+`
		ORDER BY run_at LIMIT 1`, kinds).Scan(&t)
	return t, err == nil
}

// run runs one claimed job and records its outcome.
func (q *Queue) run(j Job) {
	defer q.running.Done()
	defer q.releaseSlots(1)
	q.mu.Lock()
	h := q.handlers[j.Kind]
	q.mu.Unlock()

	ctx, cancel := context.WithCancelCause(q.jobCtx)
	hbDone := make(chan struct{})
	go q.heartbeat(ctx, cancel, j, hbDone)
	err := call(ctx, h, j)
	lost := errors.Is(context.Cause(ctx), ErrLeaseLost)
	cancel(nil)
	<-hbDone
	if err == nil && j.run.done.Load() {
		return // the handler's transaction recorded the success (Finish)
	}
	if lost || errors.Is(err, ErrLeaseLost) {
		// Another run holds the job now: its outcome is that run's to record.
		q.log.Warn("jobs: lease lost while the job ran; left to the run that took it over",
			"kind", j.Kind, "id", j.ID, "attempt", j.Attempt, "err", err)
		return
	}

	rctx, rcancel := context.WithTimeout(context.WithoutCancel(q.jobCtx), recordTimeout)
	defer rcancel()
	now := q.now()
	var res string
	var rerr error
	switch {
	case err == nil:
		res = Succeeded
		rerr = q.finish(rctx, j, `state = 'succeeded', finished_at = $1, updated_at = $2`, now, now)
	case q.jobCtx.Err() != nil && !IsPermanent(err):
		// Stopped, not failed: give the attempt back and run it later.
		res = "released"
		rerr = q.finish(rctx, j, `state = 'queued', attempt = attempt - 1, run_at = $1, updated_at = $2`, now, now)
	case IsPermanent(err) || j.Attempt >= j.MaxAttempts:
		res = Failed
		q.log.Warn("jobs: job failed", "kind", j.Kind, "id", j.ID, "attempt", j.Attempt, "permanent", IsPermanent(err), "err", err)
		rerr = q.finish(rctx, j, `state = 'failed', last_error = $1, finished_at = $2, updated_at = $3`, clip(err.Error()), now, now)
	default:
		res = "retry"
		at := now.Add(q.backoff(j.Attempt))
		q.log.Info("jobs: job will retry", "kind", j.Kind, "id", j.ID, "attempt", j.Attempt, "at", at, "err", err)
		rerr = q.finish(rctx, j, `state = 'queued', last_error = $1, run_at = $2, updated_at = $3`, clip(err.Error()), at, now)
	}
	if rerr != nil {
		q.log.Error("jobs: record outcome", "kind", j.Kind, "id", j.ID, "outcome", res, "err", rerr)
	}
	if res == "retry" {
		signal(q.wakeJobs) // recompute the sleep: this job may be due soon
	}
}

// finish updates a job this run still holds: the guard on locked_by and
// attempt keeps a run whose lease was taken over from overwriting the
// newer run's outcome. set's parameters come first in args.
func (q *Queue) finish(ctx context.Context, j Job, set string, args ...any) error {
	n := len(args)
	args = append(args, j.ID, q.node, j.Attempt)
	r, err := q.d.ExecContext(ctx, `UPDATE jobs SET `+set+`, locked_by = NULL, locked_until = NULL
		WHERE id = $`+fmt.Sprint(n+1)+` AND state = 'running' AND locked_by = $`+fmt.Sprint(n+2)+` AND attempt = $`+fmt.Sprint(n+3), args...)
	if err != nil {
		return err
	}
	if c, _ := r.RowsAffected(); c == 0 {
		q.log.Warn("jobs: lease lost before the outcome was recorded", "kind", j.Kind, "id", j.ID, "attempt", j.Attempt)
	}
	return nil
}

// heartbeat renews the lease of a running job every third of the lease
// until ctx ends. When the lease turns out to be lost (this node stalled
// or lost the database past the lease, and another node took the job),
// it cancels the job's context with ErrLeaseLost: the run stops rather
// than duplicate the work of the one that took over.
func (q *Queue) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, j Job, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(max(q.opt.Lease/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := q.now()
			r, err := q.d.ExecContext(ctx, `UPDATE jobs SET locked_until = $1, updated_at = $2
				WHERE id = $3 AND state = 'running' AND locked_by = $4 AND attempt = $5`,
				now.Add(q.opt.Lease), now, j.ID, q.node, j.Attempt)
			if err != nil {
				if ctx.Err() == nil {
					q.log.Warn("jobs: renew lease", "kind", j.Kind, "id", j.ID, "err", err)
				}
				continue
			}
			if n, _ := r.RowsAffected(); n == 0 && !j.run.done.Load() {
				cancel(ErrLeaseLost)
				return
			}
		}
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, j)
}

// backoff is the delay after failed attempt n (1-based): exponential from
// RetryBase, capped at RetryMax, with "equal jitter" (half fixed, half
// random) so that jobs failing together do not retry together.
func (q *Queue) backoff(n int) time.Duration {
	d := q.opt.RetryBase
	for i := 1; i < n && d < q.opt.RetryMax; i++ {
		d *= 2
	}
	d = min(d, q.opt.RetryMax)
	half := d / 2
	return half + rand.N(d-half+1)
}

func clip(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	// Cut on a rune boundary: error texts may be Arabic.
	for i := maxErrorLen; i > 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return s[:i] + "…"
		}
	}
	return ""
}
