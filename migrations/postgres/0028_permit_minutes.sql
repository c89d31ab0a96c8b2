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
	drafted_at TIMESTAMPTZ NOT NULL,
	source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0),
	signed_at TIMESTAMPTZ
);

-- Who was present: a committee member (or their substitute) of an
-- organisation sitting on the session, recorded with the minutes.
CREATE TABLE permit_minutes_attendance (
	session_id BIGINT NOT NULL REFERENCES permit_minutes (session_id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	PRIMARY KEY (session_id, person_id)
);

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

-- The signatures, in order: each member present once, then the
-- president once, last.
CREATE TABLE permit_minutes_signatures (
	session_id BIGINT NOT NULL REFERENCES permit_minutes (session_id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	role TEXT NOT NULL CHECK (role IN ('member', 'president')),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	signer TEXT NOT NULL CHECK (signer <> ''),
	serial TEXT NOT NULL CHECK (serial <> ''),
	signed_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (session_id, person_id)
);
CREATE UNIQUE INDEX permit_minutes_one_president ON permit_minutes_signatures (session_id) WHERE role = 'president';

CREATE FUNCTION permit_minutes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		RAISE EXCEPTION 'permit_minutes are kept';
	END IF;
	IF OLD.signed_at IS NOT NULL OR NEW.session_id <> OLD.session_id OR NEW.drafted_by <> OLD.drafted_by
		OR NEW.drafted_at <> OLD.drafted_at OR NEW.source_sha256 <> OLD.source_sha256 THEN
		RAISE EXCEPTION 'permit_minutes: signed minutes never change; drafted ones change only by a signature';
	END IF;
	IF NEW.signed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM permit_minutes_signatures
		WHERE session_id = NEW.session_id AND role = 'president') THEN
		RAISE EXCEPTION 'permit_minutes: the president''s signature completes the minutes';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER permit_minutes_guard BEFORE UPDATE OR DELETE ON permit_minutes
FOR EACH ROW EXECUTE FUNCTION permit_minutes_guard();

CREATE FUNCTION permit_minutes_attendance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		RAISE EXCEPTION 'permit_minutes_attendance: attendance is recorded once';
	END IF;
	IF EXISTS (SELECT 1 FROM permit_minutes_signatures WHERE session_id = NEW.session_id) THEN
		RAISE EXCEPTION 'permit_minutes_attendance: nobody joins signed minutes';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER permit_minutes_attendance_guard BEFORE INSERT OR UPDATE OR DELETE ON permit_minutes_attendance
FOR EACH ROW EXECUTE FUNCTION permit_minutes_attendance_guard();

CREATE FUNCTION permit_minutes_items_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'permit_minutes_items: the minutes'' files never change';
END $$;
CREATE TRIGGER permit_minutes_items_guard BEFORE UPDATE OR DELETE ON permit_minutes_items
FOR EACH ROW EXECUTE FUNCTION permit_minutes_items_guard();

CREATE FUNCTION permit_minutes_signatures_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		RAISE EXCEPTION 'permit_minutes_signatures: a signature is never rewritten';
	END IF;
	IF NEW.role = 'member' AND NOT EXISTS (SELECT 1 FROM permit_minutes_attendance
		WHERE session_id = NEW.session_id AND person_id = NEW.person_id) THEN
		RAISE EXCEPTION 'permit_minutes_signatures: only a member present signs the minutes';
	END IF;
	IF EXISTS (SELECT 1 FROM permit_minutes_signatures WHERE session_id = NEW.session_id AND role = 'president') THEN
		RAISE EXCEPTION 'permit_minutes_signatures: the president signs last';
	END IF;
	IF NEW.role = 'president' AND EXISTS (SELECT 1 FROM permit_minutes_attendance a WHERE a.session_id = NEW.session_id
		AND NOT EXISTS (SELECT 1 FROM permit_minutes_signatures s WHERE s.session_id = a.session_id AND s.person_id = a.person_id)) THEN
		RAISE EXCEPTION 'permit_minutes_signatures: the president signs after every member present';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER permit_minutes_signatures_guard BEFORE INSERT OR UPDATE OR DELETE ON permit_minutes_signatures
FOR EACH ROW EXECUTE FUNCTION permit_minutes_signatures_guard();

-- A frozen agenda keeps its files, until the session's minutes adjourn
-- one to a later session (the minutes record it).
CREATE OR REPLACE FUNCTION permit_agenda_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		RAISE EXCEPTION 'permit_agenda: rows are replaced, never updated';
	END IF;
	IF TG_OP = 'DELETE' THEN
		IF (SELECT frozen_at FROM permit_sessions WHERE id = OLD.session_id) IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM permit_minutes_items WHERE session_id = OLD.session_id AND file_id = OLD.file_id
				AND outcome = 'adjourned') THEN
			RAISE EXCEPTION 'permit_agenda: a frozen agenda keeps its files';
		END IF;
		RETURN OLD;
	END IF;
	IF (SELECT frozen_at FROM permit_sessions WHERE id = NEW.session_id) IS NOT NULL THEN
		RAISE EXCEPTION 'permit_agenda: a frozen agenda takes no file';
	END IF;
	IF NEW.session_id IS NOT NULL AND (SELECT COALESCE(SUM(minutes), 0) FROM permit_agenda WHERE session_id = NEW.session_id)
		+ NEW.minutes > (SELECT capacity FROM permit_sessions WHERE id = NEW.session_id) THEN
		RAISE EXCEPTION 'permit_agenda: over the session''s capacity';
	END IF;
	RETURN NEW;
END $$;
