// Package jobs is Madina's transactional outbox and job queue, on SQLite and
// PostgreSQL alike. A capability publishes an event in the transaction that
// changes its state; the dispatcher hands each event once to every
// subscriber, which typically enqueues jobs; workers run the jobs with
// leases, retries and back-off, so that work survives crashes and restarts
// and several nodes can share one database.
package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Job states, as stored (and enforced by a CHECK constraint).
const (
	Queued    = "queued"
	Running   = "running"
	Succeeded = "succeeded"
	Failed    = "failed"
)

// States lists every job state.
var States = []string{Queued, Running, Succeeded, Failed}

// DefaultMaxAttempts is how many runs a job gets unless its enqueuer says.
const DefaultMaxAttempts = 20

// Job is one run of a job, as its handler sees it.
type Job struct {
	ID          int64
	Kind        string
	Payload     json.RawMessage
	Attempt     int // 1 on the first run
	MaxAttempts int

	run *runState // the run's lease, for Finish; nil outside a worker
}

// runState is what Finish needs of the run that holds a job.
type runState struct {
	holder string // the queue's lease holder, as in jobs.locked_by
	now    func() time.Time
	done   atomic.Bool // Finish committed: the worker has nothing to record
}

// ErrLeaseLost is Finish's answer when the run no longer holds its job:
// its lease expired and another run took it (or finished it). The caller's
// transaction must roll back, so that its effect is not committed twice.
var ErrLeaseLost = errors.New("jobs: lease lost: another run holds this job")

// Finish records the job as succeeded inside tx, the transaction that
// commits the handler's effect, provided this run still holds the job's
// lease; otherwise it returns ErrLeaseLost and tx must roll back. The
// effect and the job's success then commit together or not at all: a run
// whose lease was taken over by another node (it stalled past its lease,
// or lost the database for a while) cannot commit its result as well. On
// PostgreSQL the update locks the job's row, so a node reclaiming an
// expired lease at that moment skips the job, then finds it done.
// Handlers whose effect is outside the database (a message sent) cannot be
// fenced this way: they stay at least once, and give the receiving side a
// stable identity to drop the copy by.
func (j Job) Finish(ctx context.Context, tx *db.Tx) error {
	if j.run == nil {
		return errors.New("jobs: Finish needs a job claimed by a worker")
	}
	now := j.run.now()
	r, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'succeeded', finished_at = $1, updated_at = $2,
		locked_by = NULL, locked_until = NULL
		WHERE id = $3 AND state = 'running' AND locked_by = $4 AND attempt = $5`, now, now, j.ID, j.run.holder, j.Attempt)
	if err != nil {
		return fmt.Errorf("jobs: finish %s %d: %w", j.Kind, j.ID, err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return fmt.Errorf("jobs: finish %s %d attempt %d: %w", j.Kind, j.ID, j.Attempt, ErrLeaseLost)
	}
	run := j.run
	tx.AfterCommit(func() { run.done.Store(true) })
	return nil
}

// Decode unmarshals the payload into v.
func (j Job) Decode(v any) error {
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return Permanent(fmt.Errorf("jobs: decode %s payload: %w", j.Kind, err))
	}
	return nil
}

// Handler runs a job. It must be idempotent (a crash after its side effect
// but before the queue records success runs it again) and honour ctx, which
// ends with cause ErrLeaseLost when another node has taken the job over. A
// handler whose effect is a database write commits it with Job.Finish in
// the same transaction: then it is committed once, whoever runs the job.
type Handler func(ctx context.Context, j Job) error

// Event is an outbox event as a subscriber sees it.
type Event struct {
	ID        int64
	Topic     string
	Payload   json.RawMessage
	CreatedAt time.Time
}

// Decode unmarshals the payload into v.
func (e Event) Decode(v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("jobs: decode %s event %d: %w", e.Topic, e.ID, err)
	}
	return nil
}

// Subscriber reacts to an event inside the dispatcher's transaction. It must
// write only through tx (on SQLite the writer connection is tx's), so that
// its effects commit together with the event being marked dispatched.
type Subscriber func(ctx context.Context, tx *db.Tx, ev Event) error

// EnqueueOptions tune one job.
type EnqueueOptions struct {
	// UniqueKey makes enqueueing idempotent: a second job of the same kind
	// and key is not created, and Enqueue returns the first one's id.
	UniqueKey string
	// RunAt delays the first run; zero means now.
	RunAt time.Time
	// MaxAttempts bounds the runs; zero means DefaultMaxAttempts.
	MaxAttempts int
}

// DefaultLease is how long a claimed job is its worker's without news
// from it. The worker renews it every third of it while the job runs, so
// it bounds how long a crashed node's jobs wait before another node
// retries them, not how long a job may run.
const DefaultLease = time.Minute

// Options tune a Queue. Zero values take the defaults in brackets.
type Options struct {
	Workers int           // jobs run at once by this process [4]
	Poll    time.Duration // how often to look for work nobody woke us for [1s]
	Lease   time.Duration // how long a claimed job is ours; renewed every third of it while it runs [DefaultLease]
	// Node is this node's stable identity, the same across restarts (see
	// NodeID) and different on every node sharing the database. When set,
	// Start releases at once the jobs a previous process of this node
	// held when it died, instead of waiting for their leases to expire.
	// Empty: a name unique to this queue, and no such release.
	Node string
	Now  func() time.Time
	// RetryBase and RetryMax shape the back-off after a failed run:
	// RetryBase·2^(attempt-1), capped at RetryMax, with jitter [1s, 1h].
	RetryBase time.Duration
	RetryMax  time.Duration
}

// Queue is the outbox dispatcher and the worker pool of one process.
type Queue struct {
	d    *db.DB
	log  *slog.Logger
	opt  Options
	node string // this queue's lease holder name, see holderName

	mu       sync.Mutex
	handlers map[string]Handler
	subs     map[string][]namedSubscriber
	started  bool
	stopped  bool

	wakeJobs   chan struct{}
	wakeEvents chan struct{}
	slots      chan struct{}
	stop       chan struct{}
	loops      sync.WaitGroup
	running    sync.WaitGroup
	jobCtx     context.Context
	cancelJobs context.CancelFunc
}

type namedSubscriber struct {
	name string
	fn   Subscriber
}

// New returns a queue on d. Register handlers and subscribers, then Start it.
func New(d *db.DB, logger *slog.Logger, opts Options) *Queue {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = time.Hour
	}
	if opts.RetryMax < opts.RetryBase {
		opts.RetryMax = opts.RetryBase
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Queue{
		d:          d,
		log:        logger,
		opt:        opts,
		node:       holderName(opts.Node),
		handlers:   map[string]Handler{},
		subs:       map[string][]namedSubscriber{},
		wakeJobs:   make(chan struct{}, 1),
		wakeEvents: make(chan struct{}, 1),
		slots:      make(chan struct{}, opts.Workers),
		stop:       make(chan struct{}),
	}
}

// holderName names this queue in leases (jobs.locked_by): the node's
// stable identity, or host and pid when it has none, then a random suffix,
// so that two processes of one node over time, and two queues in one
// process, are told apart too.
func holderName(node string) string {
	if node == "" {
		host, _ := os.Hostname()
		node = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return node + "/" + hex.EncodeToString(b[:])
}

// NodeID returns the node identity kept in the file at path, creating the
// file with a random identity the first time: a node whose data directory
// survives a restart keeps its identity. Nodes must not share the file.
func NodeID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if id == "" || strings.ContainsAny(id, "/\n") {
			return "", fmt.Errorf("jobs: node identity in %s is empty or malformed", path)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("jobs: node identity: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("jobs: node identity: %w", err)
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	id := "node-" + hex.EncodeToString(r[:])
	tmp, err := os.CreateTemp(filepath.Dir(path), ".node-id-*")
	if err != nil {
		return "", fmt.Errorf("jobs: node identity: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(id + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// A concurrent first start may have written its own: keep that one.
		if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
			return NodeID(path)
		}
	}
	if err != nil {
		return "", fmt.Errorf("jobs: node identity: %w", err)
	}
	return id, nil
}

func (q *Queue) now() time.Time { return q.opt.Now() }

// Handle registers the handler of a job kind. Registering a kind twice is a
// programming error and panics.
func (q *Queue) Handle(kind string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if kind == "" || h == nil {
		panic("jobs: Handle needs a kind and a handler")
	}
	if _, dup := q.handlers[kind]; dup {
		panic("jobs: two handlers for kind " + kind)
	}
	q.handlers[kind] = h
}

// Subscribe registers fn, named name, for the events of topic. Each event is
// given to each subscriber once. Registering a name twice on a topic panics.
func (q *Queue) Subscribe(topic, name string, fn Subscriber) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if topic == "" || name == "" || fn == nil {
		panic("jobs: Subscribe needs a topic, a name and a function")
	}
	for _, s := range q.subs[topic] {
		if s.name == name {
			panic("jobs: two subscribers named " + name + " on " + topic)
		}
	}
	q.subs[topic] = append(q.subs[topic], namedSubscriber{name, fn})
}

// Publish writes an event in tx, so that it exists if and only if tx
// commits, and wakes the dispatcher once tx has committed.
func (q *Queue) Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error {
	if tx == nil {
		return errors.New("jobs: Publish needs a transaction")
	}
	if topic == "" {
		return errors.New("jobs: Publish needs a topic")
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("jobs: encode %s event: %w", topic, err)
	}
	now := q.now()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO events (topic, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4)`,
		topic, string(b), now, now); err != nil {
		return fmt.Errorf("jobs: publish %s: %w", topic, err)
	}
	tx.AfterCommit(func() { signal(q.wakeEvents) })
	return nil
}

// Enqueue adds a job of kind. With x a *db.Tx the job exists if and only if
// that transaction commits; with x the *db.DB it is written at once. A
// duplicate UniqueKey (for the same kind) is a no-op returning the id of
// the job already there.
func (q *Queue) Enqueue(ctx context.Context, x db.Querier, kind string, payload any, opt EnqueueOptions) (int64, error) {
	if kind == "" {
		return 0, errors.New("jobs: Enqueue needs a kind")
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("jobs: encode %s payload: %w", kind, err)
	}
	switch x := x.(type) {
	case *db.Tx:
		id, err := q.enqueue(ctx, x, kind, b, opt)
		if err == nil {
			x.AfterCommit(func() { signal(q.wakeJobs) })
		}
		return id, err
	case *db.DB:
		// On SQLite a *db.DB reads through read-only connections; write
		// through a transaction on the writer.
		var id int64
		err := x.Transact(ctx, func(tx *db.Tx) error {
			var err error
			id, err = q.enqueue(ctx, tx, kind, b, opt)
			return err
		})
		if err == nil {
			signal(q.wakeJobs)
		}
		return id, err
	default:
		id, err := q.enqueue(ctx, x, kind, b, opt)
		if err == nil {
			signal(q.wakeJobs)
		}
		return id, err
	}
}

func (q *Queue) enqueue(ctx context.Context, x db.Querier, kind string, payload []byte, opt EnqueueOptions) (int64, error) {
	now := q.now()
	runAt := opt.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	maxAttempts := opt.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	var key any
	if opt.UniqueKey != "" {
		key = opt.UniqueKey
	}
	var id int64
	err := x.QueryRowContext(ctx, `INSERT INTO jobs
		(kind, payload, unique_key, state, attempt, max_attempts, run_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7)
		ON CONFLICT (kind, unique_key) DO NOTHING
		RETURNING id`,
		kind, string(payload), key, maxAttempts, runAt, now, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && key != nil {
		err = x.QueryRowContext(ctx, `SELECT id FROM jobs WHERE kind = $1 AND unique_key = $2`, kind, key).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return id, nil
}

// signal wakes a loop without blocking; a wake-up already pending suffices.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Depth counts jobs by state, every state present (for a metrics gauge).
func (q *Queue) Depth(ctx context.Context) (map[string]int64, error) {
	m := make(map[string]int64, len(States))
	for _, s := range States {
		m[s] = 0
	}
	rows, err := q.d.QueryContext(ctx, `SELECT state, count(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: depth: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("jobs: depth: %w", err)
		}
		m[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: depth: %w", err)
	}
	return m, nil
}

// Undispatched counts the events not yet handed to their subscribers.
func (q *Queue) Undispatched(ctx context.Context) (int64, error) {
	var n int64
	if err := q.d.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE dispatched_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("jobs: undispatched: %w", err)
	}
	return n, nil
}

// Info is a job's stored state, for administrators and tests.
type Info struct {
	ID          int64
	Kind        string
	State       string
	Attempt     int
	MaxAttempts int
	LastError   string
	RunAt       time.Time
	CreatedAt   time.Time
	FinishedAt  *time.Time
}

// Status returns the stored state of job id.
func (q *Queue) Status(ctx context.Context, id int64) (Info, error) {
	var in Info
	var lastErr sql.NullString
	var fin sql.NullTime
	err := q.d.QueryRowContext(ctx, `SELECT id, kind, state, attempt, max_attempts, last_error, run_at, created_at, finished_at
		FROM jobs WHERE id = $1`, id).Scan(&in.ID, &in.Kind, &in.State, &in.Attempt, &in.MaxAttempts, &lastErr, &in.RunAt, &in.CreatedAt, &fin)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, &errs.Error{Kind: errs.NotFound, Err: fmt.Errorf("jobs: job %d not found", id)}
	}
	if err != nil {
		return Info{}, fmt.Errorf("jobs: status of %d: %w", id, err)
	}
	in.LastError = lastErr.String
	if fin.Valid {
		in.FinishedAt = &fin.Time
	}
	return in, nil
}

// Prune deletes finished jobs and dispatched events older than before, and
// returns how many rows went. A job's UniqueKey protects against duplicates
// only while the job is kept, so keep finished jobs longer than any caller
// may retry.
func (q *Queue) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := q.d.Transact(ctx, func(tx *db.Tx) error {
		n = 0
		r, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND finished_at < $1`, before)
		if err != nil {
			return err
		}
		a, _ := r.RowsAffected()
		r, err = tx.ExecContext(ctx, `DELETE FROM events WHERE dispatched_at IS NOT NULL AND dispatched_at < $1`, before)
		if err != nil {
			return err
		}
		b, _ := r.RowsAffected()
		n = a + b
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("jobs: prune: %w", err)
	}
	return n, nil
}

// permanentError marks a failure that retrying cannot mend.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the job fails at once, without retries.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
