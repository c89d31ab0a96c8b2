-- Citizens' requests and complaints (issue #16; package complaint).
--
-- complaint_requests: one request, filed by a signed-in person under a
-- category of the complaint catalogue (catalogue/casablanca.json, version
-- kept). It goes to the organisation responsible for its category in its
-- arrondissement. Its public text (public_description) has phone numbers
-- and e-mail addresses masked; a private-life category publishes neither
-- its point nor its address (the service's rule; the flag is kept here).
-- The service level: ack_due and resolve_due on the shared calendar,
-- resolve_due extended when a wait on the citizen ends; escalate_at is
-- when the supervisors are raised. alerted_at and escalated_at: when the
-- team was told a deadline passed, and when the request was raised (each
-- once; a reopened request may be alerted again). The state machine is the service's;
-- the database refuses any other move (complaint_requests_transition).
CREATE TABLE complaint_requests (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 6 AND 32),
	tracking_code TEXT NOT NULL CHECK (length(tracking_code) = 8),
	category TEXT NOT NULL CHECK (category <> ''),
	catalogue_version TEXT NOT NULL CHECK (catalogue_version <> ''),
	reporter_id BIGINT NOT NULL REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	arrondissement_code TEXT NOT NULL REFERENCES arrondissements (code),
	lat REAL CHECK (lat BETWEEN -90 AND 90),
	lon REAL CHECK (lon BETWEEN -180 AND 180),
	address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300),
	description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
	public_description TEXT NOT NULL CHECK (length(public_description) BETWEEN 1 AND 4000),
	answers TEXT NOT NULL DEFAULT '{}' CHECK (answers <> ''),
	contact TEXT NOT NULL CHECK (contact IN ('email', 'sms', 'inbox')),
	private BOOLEAN NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('received', 'acknowledged', 'in_progress', 'waiting', 'resolved', 'closed', 'reopened')),
	version INTEGER NOT NULL CHECK (version >= 1),
	filed_at TIMESTAMP NOT NULL,
	ack_due TIMESTAMP NOT NULL,
	resolve_due TIMESTAMP NOT NULL,
	escalate_at TIMESTAMP NOT NULL,
	acknowledged_at TIMESTAMP,
	resolved_at TIMESTAMP,
	closed_at TIMESTAMP,
	waiting_since TIMESTAMP,
	public_answer TEXT NOT NULL DEFAULT '' CHECK (length(public_answer) <= 4000),
	alerted_at TIMESTAMP,
	escalated_at TIMESTAMP,
	updated_at TIMESTAMP NOT NULL,
	CONSTRAINT complaint_requests_point CHECK ((lat IS NULL) = (lon IS NULL)),
	CONSTRAINT complaint_requests_due CHECK (filed_at < ack_due AND ack_due <= resolve_due AND resolve_due <= escalate_at),
	CONSTRAINT complaint_requests_acknowledged CHECK (state = 'received' OR acknowledged_at IS NOT NULL),
	CONSTRAINT complaint_requests_waiting CHECK ((state = 'waiting') = (waiting_since IS NOT NULL)),
	CONSTRAINT complaint_requests_resolved CHECK (state NOT IN ('resolved', 'reopened') OR resolved_at IS NOT NULL),
	CONSTRAINT complaint_requests_closed CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
	CONSTRAINT complaint_requests_answered CHECK (state NOT IN ('resolved', 'closed') OR public_answer <> '')
);
CREATE INDEX complaint_requests_reporter ON complaint_requests (reporter_id, filed_at);
CREATE INDEX complaint_requests_queue ON complaint_requests (organisation_code, state, resolve_due);
CREATE INDEX complaint_requests_area ON complaint_requests (arrondissement_code, filed_at);
CREATE INDEX complaint_requests_clock ON complaint_requests (state, escalate_at);
CREATE TRIGGER complaint_requests_transition BEFORE UPDATE OF state ON complaint_requests
WHEN OLD.state <> NEW.state AND (OLD.state || '>' || NEW.state) NOT IN (
		'received>acknowledged',
		'received>waiting',
		'received>resolved',
		'received>closed',
		'acknowledged>in_progress',
		'acknowledged>waiting',
		'acknowledged>resolved',
		'acknowledged>closed',
		'in_progress>waiting',
		'in_progress>resolved',
		'in_progress>closed',
		'waiting>in_progress',
		'waiting>resolved',
		'waiting>closed',
		'resolved>closed',
		'resolved>reopened',
		'reopened>in_progress',
		'reopened>waiting',
		'reopened>resolved',
		'reopened>closed')
BEGIN SELECT RAISE(ABORT, 'complaint_requests: no such change of state'); END;
CREATE TRIGGER complaint_requests_fixed BEFORE UPDATE OF number, tracking_code, reporter_id, filed_at, description ON complaint_requests
WHEN OLD.number <> NEW.number OR OLD.tracking_code <> NEW.tracking_code OR OLD.reporter_id <> NEW.reporter_id
	OR OLD.filed_at <> NEW.filed_at OR OLD.description <> NEW.description
BEGIN SELECT RAISE(ABORT, 'complaint_requests: what was filed is never changed'); END;
CREATE TRIGGER complaint_requests_kept BEFORE DELETE ON complaint_requests
BEGIN SELECT RAISE(ABORT, 'complaint_requests are never deleted'); END;

-- complaint_photos: up to five photos of a request, re-encoded as JPEG by
-- the service (no EXIF, no GPS), in the blob store. Never changed.
CREATE TABLE complaint_photos (
	id INTEGER PRIMARY KEY,
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0 AND size <= 5242880),
	width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 4096),
	height INTEGER NOT NULL CHECK (height BETWEEN 1 AND 4096),
	content_type TEXT NOT NULL CHECK (content_type = 'image/jpeg'),
	added_at TIMESTAMP NOT NULL,
	UNIQUE (request_id, position)
);
CREATE TRIGGER complaint_photos_immutable BEFORE UPDATE ON complaint_photos
BEGIN SELECT RAISE(ABORT, 'complaint_photos are immutable'); END;
CREATE TRIGGER complaint_photos_kept BEFORE DELETE ON complaint_photos
BEGIN SELECT RAISE(ABORT, 'complaint_photos are immutable'); END;

-- complaint_events: the request's history, one row per change: who (a
-- person, or none for the system), the state before and after, and the
-- public note (a question to the citizen, their answer, the public
-- answer). Never changed.
CREATE TABLE complaint_events (
	id INTEGER PRIMARY KEY,
	request_id BIGINT NOT NULL REFERENCES complaint_requests (id),
	at TIMESTAMP NOT NULL,
	actor_id BIGINT REFERENCES persons (id),
	actor_label TEXT NOT NULL CHECK (actor_label <> ''),
	kind TEXT NOT NULL CHECK (kind IN ('filed', 'acknowledge', 'start', 'ask', 'reply', 'resolve', 'close', 'reopen')),
	from_state TEXT NOT NULL DEFAULT '',
	to_state TEXT NOT NULL CHECK (to_state <> ''),
	note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 4000)
);
CREATE INDEX complaint_events_request ON complaint_events (request_id, id);
CREATE TRIGGER complaint_events_immutable BEFORE UPDATE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events are immutable'); END;
CREATE TRIGGER complaint_events_kept BEFORE DELETE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events are immutable'); END;

-- complaint_counters: the last number given to a request, per year.
CREATE TABLE complaint_counters (
	year INTEGER PRIMARY KEY NOT NULL,
	last INTEGER NOT NULL CHECK (last >= 0)
);
