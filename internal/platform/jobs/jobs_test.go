package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
	"madina/migrations"
)

// fast are options that keep tests quick: short polls and retries.
func fast() jobs.Options {
	return jobs.Options{Workers: 4, Poll: 20 * time.Millisecond, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// start starts q and shuts it down when the test ends.
func start(t testing.TB, q *jobs.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func status(t testing.TB, q *jobs.Queue, id int64) jobs.Info {
	t.Helper()
	in, err := q.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func waitState(t testing.TB, q *jobs.Queue, id int64, state string) jobs.Info {
	t.Helper()
	var in jobs.Info
	eventually(t, fmt.Sprintf("job %d to be %s", id, state), func() bool {
		in = status(t, q, id)
		return in.State == state
	})
	return in
}

func depth(t testing.TB, q *jobs.Queue) map[string]int64 {
	t.Helper()
	m, err := q.Depth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func undispatched(t testing.TB, q *jobs.Queue) int64 {
	t.Helper()
	n, err := q.Undispatched(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustExec(t testing.TB, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

type filed struct {
	File string `json:"file"`
}

func TestPublishInCommittedTxRunsSubscriberOnceThenJob(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		mustExec(t, d, `CREATE TABLE files (id TEXT PRIMARY KEY)`)
		q := jobs.New(d, testLogger(t), fast())
		var calls atomic.Int32
		q.Subscribe("file.submitted", "mail-applicant", func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
			calls.Add(1)
			var p filed
			if err := ev.Decode(&p); err != nil {
				return err
			}
			_, err := q.Enqueue(ctx, tx, "mail", p, jobs.EnqueueOptions{UniqueKey: fmt.Sprint(ev.ID)})
			return err
		})
		ran := make(chan jobs.Job, 10)
		q.Handle("mail", func(ctx context.Context, j jobs.Job) error {
			ran <- j
			return nil
		})
		start(t, q)

		err := d.Transact(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO files (id) VALUES ($1)`, "PC-2026-0001"); err != nil {
				return err
			}
			return q.Publish(ctx, tx, "file.submitted", filed{File: "PC-2026-0001"})
		})
		if err != nil {
			t.Fatal(err)
		}
		var j jobs.Job
		select {
		case j = <-ran:
		case <-time.After(20 * time.Second):
			t.Fatal("job did not run")
		}
		var p filed
		if err := j.Decode(&p); err != nil || p.File != "PC-2026-0001" || j.Attempt != 1 || j.Kind != "mail" {
			t.Fatalf("job = %+v (%v), payload %+v", j, err, p)
		}
		waitState(t, q, j.ID, jobs.Succeeded)
		if n := undispatched(t, q); n != 0 {
			t.Fatalf("undispatched = %d", n)
		}
		// Another dispatch pass finds nothing left to do.
		if n, err := q.DispatchNow(ctx); err != nil || n != 0 {
			t.Fatalf("DispatchNow = %d, %v", n, err)
		}
		if c := calls.Load(); c != 1 {
			t.Fatalf("subscriber ran %d times, want 1", c)
		}
		if m := depth(t, q); m[jobs.Succeeded] != 1 || m[jobs.Queued]+m[jobs.Running]+m[jobs.Failed] != 0 {
			t.Fatalf("depth = %v", m)
		}
		select {
		case j := <-ran:
			t.Fatalf("job ran twice: %+v", j)
		default:
		}
	})
}

func TestPublishInRolledBackTxLeavesNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		var mu sync.Mutex
		var seen []string
		q.Subscribe("file.submitted", "record", func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
			var p filed
			if err := ev.Decode(&p); err != nil {
				return err
			}
			mu.Lock()
			seen = append(seen, p.File)
			mu.Unlock()
			return nil
		})
		start(t, q)

		boom := errors.New("validation failed")
		err := d.Transact(ctx, func(tx *db.Tx) error {
			if err := q.Publish(ctx, tx, "file.submitted", filed{File: "rolled-back"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Transact = %v", err)
		}
		if n := undispatched(t, q); n != 0 {
			t.Fatalf("undispatched = %d after rollback", n)
		}
		// Events are dispatched in order: once a later one is seen, the
		// rolled-back one would have been seen too.
		if err := d.Transact(ctx, func(tx *db.Tx) error {
			return q.Publish(ctx, tx, "file.submitted", filed{File: "committed"})
		}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the committed event", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) > 0
		})
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 || seen[0] != "committed" {
			t.Fatalf("subscriber saw %q", seen)
		}
	})
}

func TestFailingSubscriberRetriesTheWholeEvent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		var enqueued, failing atomic.Int32
		q.Subscribe("t", "a-enqueues", func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
			enqueued.Add(1)
			_, err := q.Enqueue(ctx, tx, "nobody-handles-this", nil, jobs.EnqueueOptions{})
			return err
		})
		q.Subscribe("t", "b-fails-once", func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
			if failing.Add(1) == 1 {
				// A failed statement inside the event must not poison the
				// dispatcher's transaction on PostgreSQL.
				if _, err := tx.ExecContext(ctx, `SELECT * FROM no_such_table`); err == nil {
					return errors.New("expected an error")
				}
				return errors.New("index unavailable")
			}
			return nil
		})
		start(t, q)
		if err := d.Transact(ctx, func(tx *db.Tx) error { return q.Publish(ctx, tx, "t", map[string]int{"n": 1}) }); err != nil {
			t.Fatal(err)
		}
		eventually(t, "dispatch", func() bool { return undispatched(t, q) == 0 })
		if e, f := enqueued.Load(), failing.Load(); e != 2 || f != 2 {
			t.Fatalf("subscribers ran %d and %d times, want 2 and 2", e, f)
		}
		// The first run's job was rolled back with its event.
		if m := depth(t, q); m[jobs.Queued] != 1 {
			t.Fatalf("depth = %v, want one queued job", m)
		}
	})
}

func TestEnqueueUniqueKeyIsIdempotent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		a, err := q.Enqueue(ctx, d, "mail", map[string]string{"to": "x"}, jobs.EnqueueOptions{UniqueKey: "delivery-1"})
		if err != nil {
			t.Fatal(err)
		}
		var b int64
		err = d.Transact(ctx, func(tx *db.Tx) error {
			var err error
			b, err = q.Enqueue(ctx, tx, "mail", map[string]string{"to": "y"}, jobs.EnqueueOptions{UniqueKey: "delivery-1"})
			return err
		})
		if err != nil || a != b {
			t.Fatalf("second enqueue = %d, %v; want %d", b, err, a)
		}
		c, err := q.Enqueue(ctx, d, "sms", nil, jobs.EnqueueOptions{UniqueKey: "delivery-1"})
		if err != nil || c == a {
			t.Fatalf("same key, other kind = %d, %v; want a new job", c, err)
		}
		// A unique key enqueued in a rolled-back transaction is free again.
		_ = d.Transact(ctx, func(tx *db.Tx) error {
			if _, err := q.Enqueue(ctx, tx, "mail", nil, jobs.EnqueueOptions{UniqueKey: "delivery-2"}); err != nil {
				t.Fatal(err)
			}
			return errors.New("roll back")
		})
		e, err := q.Enqueue(ctx, d, "mail", nil, jobs.EnqueueOptions{UniqueKey: "delivery-2"})
		if err != nil || e == a || e == c {
			t.Fatalf("enqueue after rollback = %d, %v", e, err)
		}
		for range 2 {
			if _, err := q.Enqueue(ctx, d, "mail", nil, jobs.EnqueueOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if m := depth(t, q); m[jobs.Queued] != 5 {
			t.Fatalf("depth = %v, want 5 queued", m)
		}
		if in := status(t, q, a); in.Kind != "mail" || in.State != jobs.Queued || in.MaxAttempts != jobs.DefaultMaxAttempts {
			t.Fatalf("status = %+v", in)
		}
	})
}

func TestRetryThenSuccessCountsAttempts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		q.Handle("flaky", func(ctx context.Context, j jobs.Job) error {
			if j.Attempt < 3 {
				return fmt.Errorf("attempt %d: gateway unavailable", j.Attempt)
			}
			return nil
		})
		start(t, q)
		id, err := q.Enqueue(ctx, d, "flaky", nil, jobs.EnqueueOptions{MaxAttempts: 5})
		if err != nil {
			t.Fatal(err)
		}
		in := waitState(t, q, id, jobs.Succeeded)
		if in.Attempt != 3 || in.LastError != "attempt 2: gateway unavailable" || in.FinishedAt == nil {
			t.Fatalf("status = %+v", in)
		}
	})
}

func TestPermanentErrorFailsAtOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		var calls atomic.Int32
		q.Handle("bad", func(ctx context.Context, j jobs.Job) error {
			calls.Add(1)
			return jobs.Permanent(errors.New("recipient rejected"))
		})
		start(t, q)
		id, err := q.Enqueue(ctx, d, "bad", nil, jobs.EnqueueOptions{MaxAttempts: 5})
		if err != nil {
			t.Fatal(err)
		}
		in := waitState(t, q, id, jobs.Failed)
		if in.Attempt != 1 || in.LastError != "recipient rejected" || calls.Load() != 1 {
			t.Fatalf("status = %+v, calls %d", in, calls.Load())
		}
	})
}

func TestMaxAttemptsThenFailed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		var calls atomic.Int32
		q.Handle("down", func(ctx context.Context, j jobs.Job) error {
			calls.Add(1)
			return errors.New("connection refused")
		})
		q.Handle("panics", func(ctx context.Context, j jobs.Job) error {
			panic("nil map")
		})
		start(t, q)
		id, err := q.Enqueue(ctx, d, "down", nil, jobs.EnqueueOptions{MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		pid, err := q.Enqueue(ctx, d, "panics", nil, jobs.EnqueueOptions{MaxAttempts: 2})
		if err != nil {
			t.Fatal(err)
		}
		in := waitState(t, q, id, jobs.Failed)
		if in.Attempt != 3 || in.LastError != "connection refused" || calls.Load() != 3 {
			t.Fatalf("status = %+v, calls %d", in, calls.Load())
		}
		in = waitState(t, q, pid, jobs.Failed)
		if in.Attempt != 2 || !strings.HasPrefix(in.LastError, "panic: nil map") {
			t.Fatalf("panicking job = %+v", in)
		}
	})
}

// A node claims a job and stops answering (a crash, simulated by a handler
// that never returns); once its lease has expired another node runs the
// job, and the first node's late outcome does not overwrite the second's.
func TestExpiredLeaseIsClaimedAgain(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		optA := fast()
		optA.Lease = time.Minute
		a := jobs.New(d, testLogger(t), optA)
		started := make(chan int64, 2)
		release := make(chan struct{})
		a.Handle("work", func(ctx context.Context, j jobs.Job) error {
			started <- j.ID
			<-release
			return errors.New("late and stale")
		})
		id, err := a.Enqueue(ctx, d, "work", nil, jobs.EnqueueOptions{MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		last, err := a.Enqueue(ctx, d, "work", nil, jobs.EnqueueOptions{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		start(t, a)
		<-started
		<-started
		defer close(release)
		if in := status(t, a, id); in.State != jobs.Running || in.Attempt != 1 {
			t.Fatalf("status on node A = %+v", in)
		}

		optB := fast()
		optB.Lease = time.Minute
		optB.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		b := jobs.New(d, testLogger(t), optB)
		ranOnB := make(chan int64, 2)
		b.Handle("work", func(ctx context.Context, j jobs.Job) error {
			ranOnB <- j.ID
			return nil
		})
		start(t, b)
		in := waitState(t, b, id, jobs.Succeeded)
		if in.Attempt != 2 {
			t.Fatalf("status on node B = %+v", in)
		}
		// The job that was on its last attempt is not run again: it fails.
		in = waitState(t, b, last, jobs.Failed)
		if in.Attempt != 1 || !strings.Contains(in.LastError, "lease expired") {
			t.Fatalf("last-attempt job = %+v", in)
		}
		if got := <-ranOnB; got != id {
			t.Fatalf("node B ran job %d, want %d", got, id)
		}

		// Node A wakes up and reports; its stale outcome is ignored.
		release <- struct{}{}
		release <- struct{}{}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := a.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		if in := status(t, b, id); in.State != jobs.Succeeded || in.Attempt != 2 {
			t.Fatalf("after node A reported: %+v", in)
		}
		if in := status(t, b, last); in.State != jobs.Failed {
			t.Fatalf("after node A reported: %+v", in)
		}
	})
}

// Two nodes on one database share the work: 200 events, each dispatched
// once and turned into one job, each job run once.
func TestTwoNodesRunEachJobExactlyOnce(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			u := dbtest.URL(t, e)
			open := func() *db.DB {
				d, err := db.Open(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				return d
			}
			d1, d2 := open(), open()
			ms, err := migrations.For(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d1.Migrate(ctx, ms); err != nil {
				t.Fatal(err)
			}
			mustExec(t, d1, `CREATE TABLE dispatched (event_id BIGINT NOT NULL, node TEXT NOT NULL)`)
			mustExec(t, d1, `CREATE TABLE effects (job_id BIGINT PRIMARY KEY, node TEXT NOT NULL)`)

			const total = 200
			var dupes atomic.Int32
			node := func(name string, d *db.DB) *jobs.Queue {
				q := jobs.New(d, testLogger(t), fast())
				q.Subscribe("n.ev", "fan-out", func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO dispatched (event_id, node) VALUES ($1, $2)`, ev.ID, name); err != nil {
						return err
					}
					_, err := q.Enqueue(ctx, tx, "n.job", map[string]int64{"event": ev.ID}, jobs.EnqueueOptions{})
					return err
				})
				q.Handle("n.job", func(ctx context.Context, j jobs.Job) error {
					_, err := d.ExecContext(ctx, `INSERT INTO effects (job_id, node) VALUES ($1, $2)`, j.ID, name)
					if db.IsUniqueViolation(err) {
						dupes.Add(1)
						return jobs.Permanent(err)
					}
					return err
				})
				start(t, q)
				return q
			}
			q1 := node("one", d1)
			node("two", d2)

			var wg sync.WaitGroup
			for i := range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, q := d1, q1
					if i%2 == 1 {
						d = d2
					}
					err := d.Transact(ctx, func(tx *db.Tx) error {
						for k := range total / 10 {
							if err := q.Publish(ctx, tx, "n.ev", map[string]int{"i": i, "k": k}); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			eventually(t, "all jobs to succeed", func() bool { return depth(t, q1)[jobs.Succeeded] == total })

			var n, distinct int
			if err := d1.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT event_id) FROM dispatched`).Scan(&n, &distinct); err != nil {
				t.Fatal(err)
			}
			if n != total || distinct != total {
				t.Fatalf("dispatched %d times for %d events, want %d", n, distinct, total)
			}
			if err := d1.QueryRowContext(ctx, `SELECT count(*) FROM effects`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != total || dupes.Load() != 0 {
				t.Fatalf("effects = %d, duplicates %d", n, dupes.Load())
			}
			if m := depth(t, q1); m[jobs.Failed]+m[jobs.Queued]+m[jobs.Running] != 0 || undispatched(t, q1) != 0 {
				t.Fatalf("depth = %v", m)
			}
			rows, err := d1.QueryContext(ctx, `SELECT node, count(*) FROM effects GROUP BY node ORDER BY node`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var name string
				var c int
				if err := rows.Scan(&name, &c); err != nil {
					t.Fatal(err)
				}
				t.Logf("node %s ran %d jobs", name, c)
			}
		})
	}
}

func TestShutdownWaitsForInFlightJob(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		started := make(chan struct{}, 1)
		release := make(chan struct{})
		q.Handle("slow", func(ctx context.Context, j jobs.Job) error {
			started <- struct{}{}
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		id, err := q.Enqueue(ctx, d, "slow", nil, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		<-started
		done := make(chan error, 1)
		go func() {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			done <- q.Shutdown(sctx)
		}()
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned (%v) while a job was running", err)
		case <-time.After(100 * time.Millisecond):
		}
		// Once shutting down, nothing new is claimed.
		later, err := q.Enqueue(ctx, d, "slow", nil, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
		if in := status(t, q, id); in.State != jobs.Succeeded {
			t.Fatalf("in-flight job = %+v", in)
		}
		if in := status(t, q, later); in.State != jobs.Queued || in.Attempt != 0 {
			t.Fatalf("job enqueued during shutdown = %+v", in)
		}
	})
}

func TestShutdownDeadlineReleasesJob(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		started := make(chan struct{}, 1)
		q.Handle("stuck", func(ctx context.Context, j jobs.Job) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		id, err := q.Enqueue(ctx, d, "stuck", nil, jobs.EnqueueOptions{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		<-started
		sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := q.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want deadline exceeded", err)
		}
		// The interrupted run does not count: the job waits for a restart.
		if in := status(t, q, id); in.State != jobs.Queued || in.Attempt != 0 {
			t.Fatalf("interrupted job = %+v", in)
		}
	})
}

func TestStatusOfMissingJob(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	q := jobs.New(d, nil, jobs.Options{})
	if _, err := q.Status(context.Background(), 42); err == nil {
		t.Fatal("no error for a missing job")
	}
}

func TestPrune(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		q.Handle("k", func(context.Context, jobs.Job) error { return nil })
		start(t, q)
		id, err := q.Enqueue(ctx, d, "k", nil, jobs.EnqueueOptions{UniqueKey: "u"})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, q, id, jobs.Succeeded)
		if n, err := q.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("Prune of nothing old = %d, %v", n, err)
		}
		if n, err := q.Prune(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v", n, err)
		}
	})
}
