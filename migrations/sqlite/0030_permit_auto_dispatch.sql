-- Automatic dispatch (issue #12, point 2; package permit, autodispatch.go).
-- Madina itself dispatches an accepted urban file to its committee, within
-- the dispatch deadline: its selection of the seats has no person behind
-- it. selected_by becomes nullable, and NULL means exactly that: the
-- system selected the seat by the catalogue's rules (a permanent or an
-- occasional member). A member added with a reason is always an agent's
-- act. SQLite cannot change a column's NOT NULL: the table is rebuilt (no
-- foreign key refers to it; the triggers of other tables that read it are
-- dropped first and created again, unchanged).
DROP TRIGGER permit_opinions_seated;
DROP TRIGGER permit_silences_seated;
CREATE TABLE permit_committee_seats_new (
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
INSERT INTO permit_committee_seats_new (id, file_id, committee, body, organisation_code, basis, note, selected_by, selected_at)
	SELECT id, file_id, committee, body, organisation_code, basis, note, selected_by, selected_at FROM permit_committee_seats;
DROP TABLE permit_committee_seats;
ALTER TABLE permit_committee_seats_new RENAME TO permit_committee_seats;
CREATE TRIGGER permit_committee_seats_accepted BEFORE INSERT ON permit_committee_seats
WHEN (SELECT state FROM permit_files WHERE id = NEW.file_id) <> 'accepted'
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats: only an accepted file goes to a committee'); END;
CREATE TRIGGER permit_committee_seats_immutable BEFORE UPDATE ON permit_committee_seats
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats are immutable'); END;
CREATE TRIGGER permit_committee_seats_kept BEFORE DELETE ON permit_committee_seats
BEGIN SELECT RAISE(ABORT, 'permit_committee_seats are immutable'); END;
CREATE TRIGGER permit_opinions_seated BEFORE INSERT ON permit_opinions
WHEN NOT EXISTS (SELECT 1 FROM permit_committee_seats s JOIN permit_files f ON f.id = s.file_id
	JOIN permit_rounds r ON r.file_id = f.id AND r.round = NEW.round AND r.closed_at IS NULL
	WHERE s.file_id = NEW.file_id AND s.body = NEW.body AND s.organisation_code = NEW.organisation_code
	AND f.state = 'accepted' AND f.holder = 'committee')
BEGIN SELECT RAISE(ABORT, 'permit_opinions: only a body sitting on a file its committee studies gives an opinion, in the open round'); END;
CREATE TRIGGER permit_silences_seated BEFORE INSERT ON permit_silences
WHEN NOT EXISTS (SELECT 1 FROM permit_committee_seats s
	JOIN permit_rounds r ON r.file_id = s.file_id AND r.round = NEW.round AND r.closed_at IS NULL
	WHERE s.file_id = NEW.file_id AND s.body = NEW.body)
	OR EXISTS (SELECT 1 FROM permit_opinions WHERE file_id = NEW.file_id AND round = NEW.round AND body = NEW.body)
BEGIN SELECT RAISE(ABORT, 'permit_silences: only a seated body that gave no opinion, in the open round'); END;

-- Whether a window's accepted urban files are dispatched by Madina itself
-- (automatic, the default: a window without a row) or wait for an agent
-- (automatic false). Configuration kept by the operator or an
-- administrator (authz orgs.manage), audited.
CREATE TABLE permit_dispatch_modes (
	window_code TEXT PRIMARY KEY REFERENCES windows (code),
	automatic BOOLEAN NOT NULL,
	set_by BIGINT REFERENCES persons (id),
	set_at TIMESTAMP NOT NULL
);
