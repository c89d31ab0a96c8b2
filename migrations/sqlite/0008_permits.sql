-- Permit files (package permit): from the first draft to the committee's
-- door, with their documents, deposit appointments, legal deadlines and
-- timeline. Document versions and timeline events are append-only: triggers
-- refuse to change or delete them.

-- Catalogue versions imported with `madina admin import-catalogue`; the
-- active one replaces the embedded default at start-up.
CREATE TABLE permit_catalogues (
	version TEXT PRIMARY KEY CHECK (version <> ''),
	content TEXT NOT NULL,
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	imported_by TEXT NOT NULL,
	imported_at TIMESTAMP NOT NULL,
	active BOOLEAN NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX permit_catalogues_active ON permit_catalogues (active) WHERE active;

CREATE TABLE permit_files (
	id INTEGER PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE CHECK (length(ref) BETWEEN 6 AND 64),
	number TEXT UNIQUE,
	tracking_code TEXT NOT NULL CHECK (length(tracking_code) = 8),
	kind TEXT NOT NULL CHECK (kind <> ''),
	family TEXT NOT NULL CHECK (family IN ('urban', 'economic')),
	catalogue_version TEXT NOT NULL,
	owner_person_id BIGINT REFERENCES persons (id),
	owner_legal_id BIGINT REFERENCES legal_persons (id),
	created_by BIGINT NOT NULL REFERENCES persons (id),
	state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'returned', 'accepted', 'under_review',
		'info_requested', 'approved', 'refused', 'withdrawn')),
	step TEXT NOT NULL DEFAULT '',
	holder TEXT NOT NULL CHECK (holder IN ('applicant', 'window', 'committee', 'none')),
	title TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 200),
	address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300),
	arrondissement_code TEXT REFERENCES arrondissements (code),
	location TEXT,
	lon REAL,
	lat REAL,
	fields TEXT NOT NULL DEFAULT '{}',
	window_code TEXT REFERENCES windows (code),
	route_rule TEXT,
	schedule TEXT,
	committee TEXT,
	due_at TIMESTAMP,
	decision_reason TEXT,
	tacit BOOLEAN NOT NULL DEFAULT 0,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	submitted_at TIMESTAMP,
	accepted_at TIMESTAMP,
	closed_at TIMESTAMP,
	CHECK ((owner_person_id IS NULL) <> (owner_legal_id IS NULL)),
	CHECK ((number IS NULL) = (state IN ('draft', 'submitted', 'returned', 'withdrawn'))),
	CHECK (state IN ('draft', 'withdrawn') OR (window_code IS NOT NULL AND submitted_at IS NOT NULL)),
	CHECK ((closed_at IS NULL) = (state NOT IN ('approved', 'refused', 'withdrawn'))),
	CHECK ((location IS NULL) = (lon IS NULL) AND (lon IS NULL) = (lat IS NULL)),
	CHECK (state <> 'refused' OR decision_reason IS NOT NULL)
);
CREATE INDEX permit_files_owner_person ON permit_files (owner_person_id) WHERE owner_person_id IS NOT NULL;
CREATE INDEX permit_files_owner_legal ON permit_files (owner_legal_id) WHERE owner_legal_id IS NOT NULL;
CREATE INDEX permit_files_created_by ON permit_files (created_by);
-- A window's queue: files it holds, the most urgent first; by state for
-- its tabs and their counts.
CREATE INDEX permit_files_queue ON permit_files (window_code, due_at, id) WHERE holder = 'window';
CREATE INDEX permit_files_tabs ON permit_files (window_code, state, due_at, id) WHERE holder = 'window';

-- The parties named on a file; person_id when they have an account.
CREATE TABLE permit_parties (
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	role TEXT NOT NULL CHECK (role IN ('architect', 'engineer', 'surveyor')),
	person_id BIGINT REFERENCES persons (id),
	name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 200),
	registration TEXT NOT NULL DEFAULT '' CHECK (length(registration) <= 40),
	PRIMARY KEY (file_id, role)
);

-- Every upload is a new version of a checklist item, never overwritten.
CREATE TABLE permit_documents (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	item TEXT NOT NULL CHECK (item <> ''),
	version INTEGER NOT NULL CHECK (version >= 1),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0),
	content_type TEXT NOT NULL,
	name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 200),
	pages INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),
	uploaded_by BIGINT NOT NULL REFERENCES persons (id),
	uploaded_at TIMESTAMP NOT NULL,
	UNIQUE (file_id, item, version)
);
CREATE TRIGGER permit_documents_immutable BEFORE UPDATE ON permit_documents
BEGIN SELECT RAISE(ABORT, 'permit_documents are immutable'); END;
CREATE TRIGGER permit_documents_kept BEFORE DELETE ON permit_documents
BEGIN SELECT RAISE(ABORT, 'permit_documents are immutable'); END;

-- The timeline. public events show on the status page anyone with the
-- number and tracking code may see; data never holds personal data there.
CREATE TABLE permit_events (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	at TIMESTAMP NOT NULL,
	actor_person_id BIGINT REFERENCES persons (id),
	actor_label TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind <> ''),
	state_from TEXT NOT NULL DEFAULT '',
	state_to TEXT NOT NULL DEFAULT '',
	data TEXT NOT NULL DEFAULT '{}',
	public BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX permit_events_file ON permit_events (file_id, id);
CREATE TRIGGER permit_events_immutable BEFORE UPDATE ON permit_events
BEGIN SELECT RAISE(ABORT, 'permit_events are append-only'); END;
CREATE TRIGGER permit_events_kept BEFORE DELETE ON permit_events
BEGIN SELECT RAISE(ABORT, 'permit_events are append-only'); END;

-- Legal deadlines: one per step (and one overall) of a file. A paused
-- deadline waits on the applicant; resuming pushes due_at by the pause.
CREATE TABLE permit_deadlines (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	step TEXT NOT NULL CHECK (step <> ''),
	actor TEXT NOT NULL CHECK (actor <> ''),
	source TEXT NOT NULL,
	silence TEXT NOT NULL DEFAULT '' CHECK (silence IN ('', 'approval', 'referral')),
	starts_at TIMESTAMP NOT NULL,
	due_at TIMESTAMP NOT NULL,
	paused_at TIMESTAMP,
	extended_days INTEGER NOT NULL DEFAULT 0 CHECK (extended_days >= 0),
	met_at TIMESTAMP,
	alerted_at TIMESTAMP,
	outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'met', 'tacit_approval', 'referral', 'dropped')),
	CHECK (due_at > starts_at),
	CHECK ((met_at IS NULL) = (outcome = ''))
);
CREATE UNIQUE INDEX permit_deadlines_open ON permit_deadlines (file_id, step) WHERE met_at IS NULL;
CREATE INDEX permit_deadlines_due ON permit_deadlines (due_at) WHERE met_at IS NULL AND paused_at IS NULL;

-- Deposit slots of each window: booked can never pass capacity.
CREATE TABLE permit_slots (
	window_code TEXT NOT NULL REFERENCES windows (code),
	starts_at TIMESTAMP NOT NULL,
	capacity INTEGER NOT NULL CHECK (capacity >= 1),
	booked INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
	PRIMARY KEY (window_code, starts_at)
);

CREATE TABLE permit_appointments (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	window_code TEXT NOT NULL REFERENCES windows (code),
	starts_at TIMESTAMP NOT NULL,
	ends_at TIMESTAMP NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'moved')),
	sequence INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),
	booked_by BIGINT NOT NULL REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX permit_appointments_one ON permit_appointments (file_id) WHERE status = 'booked';
CREATE INDEX permit_appointments_window ON permit_appointments (window_code, starts_at) WHERE status = 'booked';

-- Official numbers: one sequence per window and year.
CREATE TABLE permit_counters (
	window_code TEXT NOT NULL REFERENCES windows (code),
	year INTEGER NOT NULL,
	last INTEGER NOT NULL CHECK (last >= 0),
	PRIMARY KEY (window_code, year)
);
