-- The team's work, told (issue #16, point 3: "plan and close"): the team
-- tells the citizen the day the work is planned for. planned_for is the
-- start of that day in Africa/Casablanca; a reopening clears it. The
-- history line of a plan keeps its day (package complaint).
ALTER TABLE complaint_requests ADD COLUMN planned_for TIMESTAMP;

-- The history knows the plan, and a plan's line says its day (no other
-- line has one). Its CHECK is in the table: built again (nothing
-- references it).
CREATE TABLE complaint_events_0052 (
	id INTEGER PRIMARY KEY,
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	at TIMESTAMP NOT NULL,
	actor_id BIGINT REFERENCES persons (id),
	actor_label TEXT NOT NULL CHECK (actor_label <> ''),
	kind TEXT NOT NULL CHECK (kind IN ('filed', 'acknowledge', 'start', 'ask', 'reply', 'resolve', 'close', 'reopen',
		'reassign', 'merge', 'merged', 'release', 'plan')),
	from_state TEXT NOT NULL DEFAULT '',
	to_state TEXT NOT NULL CHECK (to_state <> ''),
	note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
	planned_for TIMESTAMP,
	CONSTRAINT complaint_events_planned CHECK ((kind = 'plan') = (planned_for IS NOT NULL))
);
INSERT INTO complaint_events_0052 (id, request_id, at, actor_id, actor_label, kind, from_state, to_state, note)
SELECT id, request_id, at, actor_id, actor_label, kind, from_state, to_state, note FROM complaint_events;
DROP TABLE complaint_events;
ALTER TABLE complaint_events_0052 RENAME TO complaint_events;
CREATE INDEX complaint_events_request ON complaint_events (request_id, id);
CREATE INDEX complaint_events_at ON complaint_events (at, id);
CREATE TRIGGER complaint_events_immutable BEFORE UPDATE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events are immutable'); END;
CREATE TRIGGER complaint_events_kept BEFORE DELETE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events are immutable'); END;

-- complaint_work_photos: the photos of the work done an officer adds when
-- resolving a request (issue #16, point 3), re-encoded as JPEG like the
-- reporter's (no EXIF, no GPS), in the blob store; read by the reporters
-- and the team, never published (a photo of a street may show people).
-- One per resolution, numbered; never changed.
CREATE TABLE complaint_work_photos (
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0 AND size <= 5242880),
	width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 4096),
	height INTEGER NOT NULL CHECK (height BETWEEN 1 AND 4096),
	added_at TIMESTAMP NOT NULL,
	added_by BIGINT NOT NULL REFERENCES persons (id),
	PRIMARY KEY (request_id, position)
);
CREATE TRIGGER complaint_work_photos_immutable BEFORE UPDATE ON complaint_work_photos
BEGIN SELECT RAISE(ABORT, 'complaint_work_photos are immutable'); END;
CREATE TRIGGER complaint_work_photos_kept BEFORE DELETE ON complaint_work_photos
BEGIN SELECT RAISE(ABORT, 'complaint_work_photos are immutable'); END;
