package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
)

// A crashed node's jobs wait for their lease to expire before another node
// retries them; the lease is short (renewed by a heartbeat while the job
// runs), so that is about a minute, not five.
func TestDefaultLeaseIsAboutAMinute(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := jobs.New(d, testLogger(t), fast())
		started, release := make(chan struct{}), make(chan struct{})
		q.Handle("work", func(ctx context.Context, j jobs.Job) error {
			close(started)
			<-release
			return nil
		})
		id, err := q.Enqueue(ctx, d, "work", nil, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start(t, q)
		<-started
		defer close(release)
		var until time.Time
		if err := d.QueryRowContext(ctx, `SELECT locked_until FROM jobs WHERE id = $1`, id).Scan(&until); err != nil {
			t.Fatal(err)
		}
		if left := time.Until(until); left > 61*time.Second || left < 50*time.Second {
			t.Fatalf("lease runs for %s, want about a minute", left.Round(time.Second))
		}
	})
}

// runningJob enqueues a job and makes it look held by holder until an hour
// from now, as a node that died while running it leaves it.
func runningJob(t *testing.T, q *jobs.Queue, d *db.DB, holder string) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := q.Enqueue(ctx, d, "work", nil, jobs.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, d, `UPDATE jobs SET state = 'running', attempt = 1, locked_by = $1, locked_until = $2 WHERE id = $3`,
		holder, time.Now().Add(time.Hour), id)
	return id
}

// A node that restarts (same node identity, new process) takes back at once
// the jobs its previous process held, without waiting for their leases;
// another node's jobs, even one whose name starts alike, stay theirs.
func TestRestartedNodeReclaimsItsJobsAtOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		opt := fast()
		opt.Node = "n1"
		q := jobs.New(d, testLogger(t), opt)
		ran := make(chan int64, 3)
		q.Handle("work", func(ctx context.Context, j jobs.Job) error {
			ran <- j.ID
			return nil
		})
		mine := runningJob(t, q, d, "n1/dead0001")
		other := runningJob(t, q, d, "n2/beef0002")
		alike := runningJob(t, q, d, "n10/beef0003")
		start(t, q)
		select {
		case id := <-ran:
			if id != mine {
				t.Fatalf("ran job %d, want %d (this node's)", id, mine)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("this node's job was not taken back at start: %+v", status(t, q, mine))
		}
		if in := waitState(t, q, mine, jobs.Succeeded); in.Attempt != 2 {
			t.Fatalf("reclaimed job = %+v", in)
		}
		time.Sleep(100 * time.Millisecond)
		for _, id := range []int64{other, alike} {
			if in := status(t, q, id); in.State != jobs.Running || in.Attempt != 1 {
				t.Fatalf("another node's job %d = %+v", id, in)
			}
		}
	})
}

// Two worker instances: node A stalls past its lease, node B takes the
// job over and commits its effect with the job's success. When A wakes,
// its own commit is refused (ErrLeaseLost) and rolled back: the effect is
// there once.
func TestLostLeaseDoesNotCommitTwice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		mustExec(t, d, `CREATE TABLE effects (job_id BIGINT NOT NULL, node TEXT NOT NULL)`)
		effect := func(node string) jobs.Handler {
			return func(ctx context.Context, j jobs.Job) error {
				return d.Transact(ctx, func(tx *db.Tx) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO effects (job_id, node) VALUES ($1, $2)`, j.ID, node); err != nil {
						return err
					}
					return j.Finish(ctx, tx)
				})
			}
		}
		optA := fast()
		optA.Lease = time.Minute
		a := jobs.New(d, testLogger(t), optA)
		started, release := make(chan struct{}), make(chan struct{})
		finishedA := make(chan error, 1)
		a.Handle("work", func(ctx context.Context, j jobs.Job) error {
			close(started)
			<-release
			err := effect("A")(context.WithoutCancel(ctx), j)
			finishedA <- err
			return err
		})
		id, err := a.Enqueue(ctx, d, "work", nil, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start(t, a)
		<-started

		optB := fast()
		optB.Lease = time.Minute
		optB.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		b := jobs.New(d, testLogger(t), optB)
		b.Handle("work", effect("B"))
		start(t, b)
		if in := waitState(t, b, id, jobs.Succeeded); in.Attempt != 2 {
			t.Fatalf("after node B: %+v", in)
		}

		close(release)
		select {
		case err := <-finishedA:
			if !errors.Is(err, jobs.ErrLeaseLost) {
				t.Fatalf("node A's late commit: %v, want ErrLeaseLost", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("node A did not finish")
		}
		var n int
		var node string
		if err := d.QueryRowContext(ctx, `SELECT count(*), max(node) FROM effects WHERE job_id = $1`, id).Scan(&n, &node); err != nil {
			t.Fatal(err)
		}
		if n != 1 || node != "B" {
			t.Fatalf("effects: %d (last by %s), want 1 by B", n, node)
		}
		if in := status(t, a, id); in.State != jobs.Succeeded || in.Attempt != 2 {
			t.Fatalf("after node A woke: %+v", in)
		}
	})
}

// The heartbeat notices when another node has taken a running job over and
// stops the run: its context ends with ErrLeaseLost.
func TestHeartbeatStopsARunWhoseLeaseWasTaken(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		optA := fast()
		optA.Lease = 300 * time.Millisecond
		a := jobs.New(d, testLogger(t), optA)
		started := make(chan struct{})
		stopped := make(chan error, 1)
		a.Handle("work", func(ctx context.Context, j jobs.Job) error {
			close(started)
			select {
			case <-ctx.Done():
				stopped <- context.Cause(ctx)
			case <-time.After(15 * time.Second):
				stopped <- nil
			}
			return ctx.Err()
		})
		id, err := a.Enqueue(ctx, d, "work", nil, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start(t, a)
		<-started

		optB := fast()
		optB.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		b := jobs.New(d, testLogger(t), optB)
		b.Handle("work", func(ctx context.Context, j jobs.Job) error { return nil })
		start(t, b)
		waitState(t, b, id, jobs.Succeeded)
		if cause := <-stopped; !errors.Is(cause, jobs.ErrLeaseLost) {
			t.Fatalf("node A's run went on after losing its lease (cause %v)", cause)
		}
		if in := status(t, a, id); in.State != jobs.Succeeded || in.Attempt != 2 {
			t.Fatalf("after node A stopped: %+v", in)
		}
	})
}

func TestNodeIDIsKeptAcrossRestarts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "node-id")
	a, err := jobs.NodeID(p)
	if err != nil || a == "" {
		t.Fatalf("first: %q, %v", a, err)
	}
	b, err := jobs.NodeID(p)
	if err != nil || b != a {
		t.Fatalf("second: %q, %v; want %q", b, err, a)
	}
	if err := os.WriteFile(p, []byte("a/b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.NodeID(p); err == nil {
		t.Fatal("a malformed identity was accepted")
	}
}
