-- The team's work, told (issue #16, point 3: "plan and close"): the team
-- tells the citizen the day the work is planned for. planned_for is the
-- start of that day in Africa/Casablanca; a reopening clears it. The
-- history line of a plan keeps its day (package complaint).
ALTER TABLE complaint_requests ADD COLUMN planned_for TIMESTAMPTZ;
ALTER TABLE complaint_events ADD COLUMN planned_for TIMESTAMPTZ;
ALTER TABLE complaint_events DROP CONSTRAINT complaint_events_kind_check;
ALTER TABLE complaint_events ADD CONSTRAINT complaint_events_kind_check CHECK (kind IN ('filed', 'acknowledge', 'start',
	'ask', 'reply', 'resolve', 'close', 'reopen', 'reassign', 'merge', 'merged', 'release', 'plan'));
-- A plan's line says its day; no other line has one.
ALTER TABLE complaint_events ADD CONSTRAINT complaint_events_planned CHECK ((kind = 'plan') = (planned_for IS NOT NULL));

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
	added_at TIMESTAMPTZ NOT NULL,
	added_by BIGINT NOT NULL REFERENCES persons (id),
	PRIMARY KEY (request_id, position)
);
CREATE FUNCTION complaint_work_photos_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'complaint_work_photos are immutable'; END $$;
CREATE TRIGGER complaint_work_photos_immutable BEFORE UPDATE OR DELETE ON complaint_work_photos
FOR EACH ROW EXECUTE FUNCTION complaint_work_photos_refuse();
