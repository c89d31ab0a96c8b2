-- The team's work on requests and the citizen's say (issue #16, points 3
-- and 4; package complaint).
--
-- warned_at: when the team (and the escalation organisation above it)
-- was told that a deadline comes within a working day; once, and again
-- after a reopening. merged_into: a duplicate merged into another request
-- is closed, names the request kept, and never changes again (SQLite adds
-- no CHECK to a table: triggers hold the rule).
ALTER TABLE complaint_requests ADD COLUMN warned_at TIMESTAMP;
ALTER TABLE complaint_requests ADD COLUMN merged_into BIGINT REFERENCES complaint_requests (id);
CREATE INDEX complaint_requests_merged_into ON complaint_requests (merged_into);
CREATE TRIGGER complaint_requests_merged_insert BEFORE INSERT ON complaint_requests
WHEN NEW.merged_into IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'complaint_requests: a request is filed unmerged'); END;
CREATE TRIGGER complaint_requests_merged BEFORE UPDATE ON complaint_requests
WHEN NEW.merged_into IS NOT NULL AND (NEW.state <> 'closed' OR NEW.merged_into = NEW.id)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: complaint_requests_merged'); END;
CREATE TRIGGER complaint_requests_merge_kept BEFORE UPDATE OF merged_into ON complaint_requests
WHEN OLD.merged_into IS NOT NULL AND OLD.merged_into IS NOT NEW.merged_into
BEGIN SELECT RAISE(ABORT, 'complaint_requests: a merge is never undone'); END;

-- held_at, held_reason: a request filed past the limits of one account
-- or one address (a flood) is held for the team's review instead of
-- refused: out of the queue, the public list and Open311 until released
-- (or closed).
ALTER TABLE complaint_requests ADD COLUMN held_at TIMESTAMP;
ALTER TABLE complaint_requests ADD COLUMN held_reason TEXT NOT NULL DEFAULT '' CHECK (held_reason IN ('', 'account', 'address', 'device'));
CREATE INDEX complaint_requests_held ON complaint_requests (organisation_code, held_at);

-- The history knows the team's new moves: reassigning to another team
-- (state unchanged, with its reason), closing a duplicate as merged, and
-- the kept request's line about it. Its CHECK is in the table: built again
-- (nothing references it).
CREATE TABLE complaint_events_0038 (
	id INTEGER PRIMARY KEY,
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	at TIMESTAMP NOT NULL,
	actor_id BIGINT REFERENCES persons (id),
	actor_label TEXT NOT NULL CHECK (actor_label <> ''),
	kind TEXT NOT NULL CHECK (kind IN ('filed', 'acknowledge', 'start', 'ask', 'reply', 'resolve', 'close', 'reopen',
		'reassign', 'merge', 'merged', 'release')),
	from_state TEXT NOT NULL DEFAULT '',
	to_state TEXT NOT NULL CHECK (to_state <> ''),
	note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 4000)
);
INSERT INTO complaint_events_0038 (id, request_id, at, actor_id, actor_label, kind, from_state, to_state, note)
SELECT id, request_id, at, actor_id, actor_label, kind, from_state, to_state, note FROM complaint_events;
DROP TABLE complaint_events;
ALTER TABLE complaint_events_0038 RENAME TO complaint_events;
CREATE INDEX complaint_events_request ON complaint_events (request_id, id);
CREATE INDEX complaint_events_at ON complaint_events (at, id);
CREATE TRIGGER complaint_events_immutable BEFORE UPDATE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events are immutable'); END;
CREATE TRIGGER complaint_events_kept BEFORE DELETE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events are immutable'); END;

-- complaint_coreporters: the reporters of the duplicates merged into a
-- request: they hear of its every change as its reporter does. via: the
-- duplicate that brought them. Never changed.
CREATE TABLE complaint_coreporters (
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	via_request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	added_at TIMESTAMP NOT NULL,
	PRIMARY KEY (request_id, person_id),
	CONSTRAINT complaint_coreporters_via CHECK (via_request_id <> request_id)
);
CREATE INDEX complaint_coreporters_person ON complaint_coreporters (person_id);
CREATE TRIGGER complaint_coreporters_immutable BEFORE UPDATE ON complaint_coreporters
BEGIN SELECT RAISE(ABORT, 'complaint_coreporters are never changed'); END;
CREATE TRIGGER complaint_coreporters_kept BEFORE DELETE ON complaint_coreporters
BEGIN SELECT RAISE(ABORT, 'complaint_coreporters are never changed'); END;

-- complaint_ratings: the reporter's rating of the answer (1 to 5 stars,
-- an optional comment), once the request is resolved or closed; one per
-- request, which the reporter may change (rated_at follows).
CREATE TABLE complaint_ratings (
	request_id BIGINT PRIMARY KEY NOT NULL REFERENCES complaint_requests (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
	comment TEXT NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
	rated_at TIMESTAMP NOT NULL
);
