-- The team's work on requests and the citizen's say (issue #16, points 3
-- and 4; package complaint).
--
-- warned_at: when the team (and the escalation organisation above it)
-- was told that a deadline comes within a working day; once, and again
-- after a reopening. merged_into: a duplicate merged into another request
-- is closed, names the request kept, and never changes again.
ALTER TABLE complaint_requests
	ADD COLUMN warned_at TIMESTAMPTZ,
	ADD COLUMN merged_into BIGINT REFERENCES complaint_requests (id);
CREATE INDEX complaint_requests_merged_into ON complaint_requests (merged_into);
-- (A trigger rather than a CHECK, as SQLite must.)
CREATE FUNCTION complaint_requests_merged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' AND NEW.merged_into IS NOT NULL THEN
		RAISE EXCEPTION 'complaint_requests: a request is filed unmerged';
	END IF;
	IF NEW.merged_into IS NOT NULL AND (NEW.state <> 'closed' OR NEW.merged_into = NEW.id) THEN
		RAISE EXCEPTION 'CHECK constraint failed: complaint_requests_merged';
	END IF;
	IF TG_OP = 'UPDATE' AND OLD.merged_into IS NOT NULL AND OLD.merged_into IS DISTINCT FROM NEW.merged_into THEN
		RAISE EXCEPTION 'complaint_requests: a merge is never undone';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER complaint_requests_merged BEFORE INSERT OR UPDATE ON complaint_requests
FOR EACH ROW EXECUTE FUNCTION complaint_requests_merged();

-- held_at, held_reason: a request filed past the limits of one account
-- or one address (a flood) is held for the team's review instead of
-- refused: out of the queue, the public list and Open311 until released
-- (or closed).
ALTER TABLE complaint_requests ADD COLUMN held_at TIMESTAMPTZ;
ALTER TABLE complaint_requests ADD COLUMN held_reason TEXT NOT NULL DEFAULT '' CHECK (held_reason IN ('', 'account', 'address', 'device'));
CREATE INDEX complaint_requests_held ON complaint_requests (organisation_code, held_at);

-- The history knows the team's new moves: reassigning to another team
-- (state unchanged, with its reason), closing a duplicate as merged, and
-- the kept request's line about it.
ALTER TABLE complaint_events DROP CONSTRAINT complaint_events_kind_check;
ALTER TABLE complaint_events ADD CONSTRAINT complaint_events_kind_check CHECK (kind IN ('filed', 'acknowledge', 'start',
	'ask', 'reply', 'resolve', 'close', 'reopen', 'reassign', 'merge', 'merged', 'release'));

-- complaint_coreporters: the reporters of the duplicates merged into a
-- request: they hear of its every change as its reporter does. via: the
-- duplicate that brought them. Never changed.
CREATE TABLE complaint_coreporters (
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	via_request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	added_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (request_id, person_id),
	CONSTRAINT complaint_coreporters_via CHECK (via_request_id <> request_id)
);
CREATE INDEX complaint_coreporters_person ON complaint_coreporters (person_id);
CREATE FUNCTION complaint_coreporters_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'complaint_coreporters are never changed'; END $$;
CREATE TRIGGER complaint_coreporters_immutable BEFORE UPDATE OR DELETE ON complaint_coreporters
FOR EACH ROW EXECUTE FUNCTION complaint_coreporters_refuse();

-- complaint_ratings: the reporter's rating of the answer (1 to 5 stars,
-- an optional comment), once the request is resolved or closed; one per
-- request, which the reporter may change (rated_at follows).
CREATE TABLE complaint_ratings (
	request_id BIGINT PRIMARY KEY REFERENCES complaint_requests (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
	comment TEXT NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
	rated_at TIMESTAMPTZ NOT NULL
);
