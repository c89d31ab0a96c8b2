-- Transactional outbox and job queue (package jobs).
--
-- An event is written in the same transaction as the state change it
-- reports; the dispatcher hands it to every subscriber once, then sets
-- dispatched_at. A failed dispatch is retried at next_attempt_at.
CREATE TABLE events (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	topic TEXT NOT NULL CHECK (topic <> ''),
	payload TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	next_attempt_at TIMESTAMPTZ NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error TEXT,
	dispatched_at TIMESTAMPTZ
);
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;

-- A job is claimed with a lease (locked_by, locked_until); a job whose lease
-- has expired belongs to a stopped or crashed worker and is claimed again.
-- attempt counts the runs started. (kind, unique_key) makes enqueueing
-- idempotent; a NULL key never conflicts.
CREATE TABLE jobs (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind <> ''),
	payload TEXT NOT NULL,
	unique_key TEXT CHECK (unique_key <> ''),
	state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
	attempt INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
	run_at TIMESTAMPTZ NOT NULL,
	locked_by TEXT,
	locked_until TIMESTAMPTZ,
	last_error TEXT,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	finished_at TIMESTAMPTZ,
	UNIQUE (kind, unique_key),
	CHECK (attempt >= 0 AND attempt <= max_attempts),
	CHECK ((state = 'running') = (locked_by IS NOT NULL AND locked_until IS NOT NULL)),
	CHECK ((state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
