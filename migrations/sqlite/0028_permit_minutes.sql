-- Minutes of committee sessions (issue #12, point 6; package permit,
-- minutes.go). Once a session sat, the window's secretariat records who
-- was present and draws the minutes (the PDF, source_sha256): the files
-- on its agenda, the opinions and each file's outcome. Each member
-- present signs them, then the president of the window: every signature
-- is an incremental PAdES revision whose bytes are sha256 (the minutes'
-- current revision). The president's signature completes them
-- (signed_at). Nothing of them is ever deleted or rewritten.
CREATE TABLE permit_minutes (
	session_id BIGINT PRIMARY KEY NOT NULL REFERENCES permit_sessions (id),
	drafted_by BIGINT NOT NULL REFERENCES persons (id),
	drafted_at TIMESTAMP NOT NULL,
	source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0),
	signed_at TIMESTAMP
);
CREATE TRIGGER permit_minutes_kept BEFORE DELETE ON permit_minutes
BEGIN SELECT RAISE(ABORT, 'permit_minutes are kept'); END;
CREATE TRIGGER permit_minutes_fixed BEFORE UPDATE ON permit_minutes
WHEN OLD.signed_at IS NOT NULL OR NEW.session_id <> OLD.session_id OR NEW.drafted_by <> OLD.drafted_by
	OR NEW.drafted_at <> OLD.drafted_at OR NEW.source_sha256 <> OLD.source_sha256
BEGIN SELECT RAISE(ABORT, 'permit_minutes: signed minutes never change; drafted ones change only by a signature'); END;
-- Who was present: a committee member (or their substitute) of an
-- organisation sitting on the session, recorded with the minutes.
CREATE TABLE permit_minutes_attendance (
	session_id BIGINT NOT NULL REFERENCES permit_minutes (session_id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	PRIMARY KEY (session_id, person_id)
);
CREATE TRIGGER permit_minutes_attendance_fixed BEFORE UPDATE ON permit_minutes_attendance
BEGIN SELECT RAISE(ABORT, 'permit_minutes_attendance: attendance is recorded once'); END;
CREATE TRIGGER permit_minutes_attendance_kept BEFORE DELETE ON permit_minutes_attendance
BEGIN SELECT RAISE(ABORT, 'permit_minutes_attendance: attendance is recorded once'); END;
CREATE TRIGGER permit_minutes_attendance_late BEFORE INSERT ON permit_minutes_attendance
WHEN EXISTS (SELECT 1 FROM permit_minutes_signatures WHERE session_id = NEW.session_id)
BEGIN SELECT RAISE(ABORT, 'permit_minutes_attendance: nobody joins signed minutes'); END;

-- The files the minutes record, in the agenda's order, with the round
-- studied and its outcome: the committee's conclusion, or adjourned (the
-- round had not concluded; the file goes to a later session).
CREATE TABLE permit_minutes_items (
	session_id BIGINT NOT NULL REFERENCES permit_minutes (session_id),
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	position INTEGER NOT NULL CHECK (position > 0),
	round INTEGER NOT NULL CHECK (round > 0),
	outcome TEXT NOT NULL CHECK (outcome IN ('grant', 'refuse', 'remarks', 'adjourned')),
	PRIMARY KEY (session_id, file_id),
	UNIQUE (session_id, position)
);
CREATE TRIGGER permit_minutes_items_fixed BEFORE UPDATE ON permit_minutes_items
BEGIN SELECT RAISE(ABORT, 'permit_minutes_items: the minutes'' files never change'); END;
CREATE TRIGGER permit_minutes_items_kept BEFORE DELETE ON permit_minutes_items
BEGIN SELECT RAISE(ABORT, 'permit_minutes_items: the minutes'' files never change'); END;

-- The signatures, in order: each member present once, then the
-- president once, last.
CREATE TABLE permit_minutes_signatures (
	session_id BIGINT NOT NULL REFERENCES permit_minutes (session_id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	role TEXT NOT NULL CHECK (role IN ('member', 'president')),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	signer TEXT NOT NULL CHECK (signer <> ''),
	serial TEXT NOT NULL CHECK (serial <> ''),
	signed_at TIMESTAMP NOT NULL,
	PRIMARY KEY (session_id, person_id)
);
CREATE UNIQUE INDEX permit_minutes_one_president ON permit_minutes_signatures (session_id) WHERE role = 'president';
CREATE TRIGGER permit_minutes_signatures_fixed BEFORE UPDATE ON permit_minutes_signatures
BEGIN SELECT RAISE(ABORT, 'permit_minutes_signatures: a signature is never rewritten'); END;
CREATE TRIGGER permit_minutes_signatures_kept BEFORE DELETE ON permit_minutes_signatures
BEGIN SELECT RAISE(ABORT, 'permit_minutes_signatures: a signature is never rewritten'); END;
CREATE TRIGGER permit_minutes_signatures_present BEFORE INSERT ON permit_minutes_signatures
WHEN NEW.role = 'member' AND NOT EXISTS (SELECT 1 FROM permit_minutes_attendance
	WHERE session_id = NEW.session_id AND person_id = NEW.person_id)
BEGIN SELECT RAISE(ABORT, 'permit_minutes_signatures: only a member present signs the minutes'); END;
CREATE TRIGGER permit_minutes_signatures_last BEFORE INSERT ON permit_minutes_signatures
WHEN EXISTS (SELECT 1 FROM permit_minutes_signatures WHERE session_id = NEW.session_id AND role = 'president')
BEGIN SELECT RAISE(ABORT, 'permit_minutes_signatures: the president signs last'); END;
CREATE TRIGGER permit_minutes_signatures_members_first BEFORE INSERT ON permit_minutes_signatures
WHEN NEW.role = 'president' AND EXISTS (SELECT 1 FROM permit_minutes_attendance a WHERE a.session_id = NEW.session_id
	AND NOT EXISTS (SELECT 1 FROM permit_minutes_signatures s WHERE s.session_id = a.session_id AND s.person_id = a.person_id))
BEGIN SELECT RAISE(ABORT, 'permit_minutes_signatures: the president signs after every member present'); END;

CREATE TRIGGER permit_minutes_complete BEFORE UPDATE OF signed_at ON permit_minutes
WHEN NEW.signed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM permit_minutes_signatures
	WHERE session_id = NEW.session_id AND role = 'president')
BEGIN SELECT RAISE(ABORT, 'permit_minutes: the president''s signature completes the minutes'); END;

-- A frozen agenda keeps its files, until the session's minutes adjourn
-- one to a later session (the minutes record it).
DROP TRIGGER permit_agenda_frozen_out;
CREATE TRIGGER permit_agenda_frozen_out BEFORE DELETE ON permit_agenda
WHEN (SELECT frozen_at FROM permit_sessions WHERE id = OLD.session_id) IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM permit_minutes_items WHERE session_id = OLD.session_id AND file_id = OLD.file_id
		AND outcome = 'adjourned')
BEGIN SELECT RAISE(ABORT, 'permit_agenda: a frozen agenda keeps its files'); END;
