-- Committee sessions and their agendas (package permit, sessions.go;
-- docs/arch/sessions.md). A committee instance is a committee type
-- sitting for one window (the city window sits the large-projects
-- committee, each arrondissement window the small one): code is
-- "<committee>@<window>". Planning and freezing lock its row, so two
-- nodes never plan the same committee at once.
CREATE TABLE permit_session_committees (
	code TEXT PRIMARY KEY NOT NULL CHECK (code = committee || '@' || window_code),
	committee TEXT NOT NULL CHECK (committee <> ''),
	window_code TEXT NOT NULL REFERENCES windows (code),
	planned_at TIMESTAMP,
	UNIQUE (committee, window_code)
);

-- A sitting of a committee instance, generated from the catalogue's
-- calendar (never on a public holiday): once per instance and start.
-- Its agenda freezes at freezes_at (the sweep), or earlier when the
-- window's secretariat freezes it (frozen_by); a frozen session never
-- changes again.
CREATE TABLE permit_sessions (
	id INTEGER PRIMARY KEY,
	committee_code TEXT NOT NULL REFERENCES permit_session_committees (code),
	starts_at TIMESTAMP NOT NULL,
	ends_at TIMESTAMP NOT NULL,
	capacity INTEGER NOT NULL CHECK (capacity >= 0),
	freezes_at TIMESTAMP NOT NULL,
	frozen_at TIMESTAMP,
	frozen_by BIGINT REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	UNIQUE (committee_code, starts_at),
	CHECK (ends_at > starts_at),
	CHECK (freezes_at <= starts_at),
	CHECK (frozen_by IS NULL OR frozen_at IS NOT NULL)
);
CREATE INDEX permit_sessions_start ON permit_sessions (starts_at, committee_code);
CREATE TRIGGER permit_sessions_frozen BEFORE UPDATE ON permit_sessions
WHEN OLD.frozen_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'permit_sessions: a frozen session never changes'); END;
CREATE TRIGGER permit_sessions_kept BEFORE DELETE ON permit_sessions
BEGIN SELECT RAISE(ABORT, 'permit_sessions are kept'); END;
CREATE TRIGGER permit_sessions_capacity BEFORE UPDATE OF frozen_at ON permit_sessions
WHEN NEW.frozen_at IS NOT NULL AND
	(SELECT COALESCE(SUM(minutes), 0) FROM permit_agenda WHERE session_id = NEW.id) > NEW.capacity
BEGIN SELECT RAISE(ABORT, 'permit_sessions: an agenda over capacity does not freeze'); END;

-- Where the planner put each waiting file (session_id), or why it could
-- not (session_id NULL), with the planner's reason: code and parameters.
-- One row per file; a re-plan deletes and inserts the rows of files on
-- open sessions, never those of a frozen one; a session's files never
-- take more than its capacity.
CREATE TABLE permit_agenda (
	file_id BIGINT PRIMARY KEY NOT NULL REFERENCES permit_files (id),
	committee_code TEXT NOT NULL REFERENCES permit_session_committees (code),
	session_id BIGINT REFERENCES permit_sessions (id),
	minutes INTEGER NOT NULL CHECK (minutes > 0),
	reason TEXT NOT NULL CHECK (reason <> ''),
	reason_session BIGINT,
	reason_file BIGINT,
	reason_body TEXT NOT NULL DEFAULT '',
	reason_count INTEGER NOT NULL DEFAULT 0,
	late BOOLEAN NOT NULL DEFAULT 0,
	deadline TIMESTAMP NOT NULL,
	planned_at TIMESTAMP NOT NULL,
	CHECK (session_id IS NOT NULL OR NOT late)
);
CREATE INDEX permit_agenda_session ON permit_agenda (session_id) WHERE session_id IS NOT NULL;
CREATE TRIGGER permit_agenda_fixed BEFORE UPDATE ON permit_agenda
BEGIN SELECT RAISE(ABORT, 'permit_agenda: rows are replaced, never updated'); END;
CREATE TRIGGER permit_agenda_frozen_in BEFORE INSERT ON permit_agenda
WHEN (SELECT frozen_at FROM permit_sessions WHERE id = NEW.session_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'permit_agenda: a frozen agenda takes no file'); END;
CREATE TRIGGER permit_agenda_frozen_out BEFORE DELETE ON permit_agenda
WHEN (SELECT frozen_at FROM permit_sessions WHERE id = OLD.session_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'permit_agenda: a frozen agenda keeps its files'); END;
CREATE TRIGGER permit_agenda_capacity BEFORE INSERT ON permit_agenda
WHEN NEW.session_id IS NOT NULL AND (SELECT COALESCE(SUM(minutes), 0) FROM permit_agenda WHERE session_id = NEW.session_id)
	+ NEW.minutes > (SELECT capacity FROM permit_sessions WHERE id = NEW.session_id)
BEGIN SELECT RAISE(ABORT, 'permit_agenda: over the session''s capacity'); END;

-- A committee member's private calendar feed: the SHA-256 of its token
-- (hex), one per person; renewing replaces it.
CREATE TABLE permit_session_feeds (
	person_id BIGINT PRIMARY KEY NOT NULL REFERENCES persons (id),
	token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
	created_at TIMESTAMP NOT NULL
);
