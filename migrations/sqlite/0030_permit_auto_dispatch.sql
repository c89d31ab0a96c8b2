-- Automatic dispatch (issue #12, point 2; package permit, autodispatch.go).
-- Madina itself dispatches an accepted urban file to its committee, within
-- the dispatch deadline: its selection of the seats has no person behind
-- it. selected_by becomes nullable, and NULL means exactly that: the
-- system selected the seat by the catalogue's rules (a permanent or an
-- occasional member). A member added with a reason is always an agent's
-- act. SQLite cannot change a column's NOT NULL: the table is rebuilt
-- under its own name (no foreign key refers to it). Not by renaming a new
-- table: SQLite re-reads every trigger on a rename and refuses while one
-- (permit_opinions_seated, permit_silences_seated, or a later one) names
-- the table dropped; a table dropped and created again under the same
-- name leaves those triggers as they are.
CREATE TABLE permit_committee_seats_copy AS SELECT * FROM permit_committee_seats;
DROP TABLE permit_committee_seats;
CREATE TABLE permit_committee_seats (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	committee TEXT NOT NULL CHECK (committee <> ''),
	body TEXT NOT NULL CHECK (body <> ''),
	organisation_code TEXT REFERENCES organisations (code),
	basis TEXT NOT NULL CHECK (basis IN ('permanent', 'occasional', 'added')),
	note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
	selected_by BIGINT REFERENCES persons (id),
	selected_at TIMESTAMP NOT NULL,
	UNIQUE (file_id, body),
	CHECK ((basis = 'added') = (note <> '')),
	CONSTRAINT permit_committee_seats_system CHECK (selected_by IS NOT NULL OR basis IN ('permanent', 'occasional'))
);
INSERT INTO permit_committee_seats (id, file_id, committee, body, organisation_code, basis, note, selected_by, selected_at)
	SELECT id, file_id, committee, body, organisation_code, basis, note, selected_by, selected_at
	FROM permit_committee_seats_copy ORDER BY id;
DROP TABLE permit_committee_seats_copy;
CREATE TRIGGER permit_committee_seats_accepted BEFORE INSERT ON permit_committee_seats
WHEN (SELECT state FROM permit_files WHERE id = NEW.file_id) <> 'accepted'
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats: only an accepted file goes to a committee'); END;
CREATE TRIGGER permit_committee_seats_immutable BEFORE UPDATE ON permit_committee_seats
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats are immutable'); END;
CREATE TRIGGER permit_committee_seats_kept BEFORE DELETE ON permit_committee_seats
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats are immutable'); END;

-- Whether a window's accepted urban files are dispatched by Madina itself
-- (automatic, the default: a window without a row) or wait for an agent
-- (automatic false). Configuration kept by the operator or an
-- administrator (authz orgs.manage), audited.
CREATE TABLE permit_dispatch_modes (
	window_code TEXT PRIMARY KEY NOT NULL REFERENCES windows (code),
	automatic BOOLEAN NOT NULL,
	set_by BIGINT REFERENCES persons (id),
	set_at TIMESTAMP NOT NULL
);
