-- The committee that studies an urban file, chosen when the window
-- dispatches it (package permit, Dispatch): one row per body sitting on
-- the file — a permanent member of its committee, an occasional one whose
-- condition the file meets (the catalogue says why), or one an agent
-- added with a reason (note). organisation_code is the organisation
-- holding the seat (NULL when none is registered for that body yet).
-- Once per body and file; rows are never changed: the selection is the
-- file's record.
CREATE TABLE permit_committee_seats (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	committee TEXT NOT NULL CHECK (committee <> ''),
	body TEXT NOT NULL CHECK (body <> ''),
	organisation_code TEXT REFERENCES organisations (code),
	basis TEXT NOT NULL CHECK (basis IN ('permanent', 'occasional', 'added')),
	note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
	selected_by BIGINT NOT NULL REFERENCES persons (id),
	selected_at TIMESTAMP NOT NULL,
	UNIQUE (file_id, body),
	CHECK ((basis = 'added') = (note <> ''))
);
CREATE TRIGGER permit_committee_seats_accepted BEFORE INSERT ON permit_committee_seats
WHEN (SELECT state FROM permit_files WHERE id = NEW.file_id) <> 'accepted'
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats: only an accepted file goes to a committee'); END;
CREATE TRIGGER permit_committee_seats_immutable BEFORE UPDATE ON permit_committee_seats
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats are immutable'); END;
CREATE TRIGGER permit_committee_seats_kept BEFORE DELETE ON permit_committee_seats
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats are immutable'); END;
