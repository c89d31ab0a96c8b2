-- Rounds of committee study (package permit, rounds.go). Dispatch opens
-- round 1; once every body sitting on the file has given its opinion, or
-- the study step's deadline passed with silence counting as agreement,
-- the round closes with the outcome the committee's decision rule gives
-- (grant, refuse, remarks). Remarks go to the applicant, whose answers
-- and new plans open the next round. A round is closed once; its outcome
-- never changes.
CREATE TABLE permit_rounds (
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	round INTEGER NOT NULL CHECK (round >= 1),
	opened_at TIMESTAMP NOT NULL,
	closed_at TIMESTAMP,
	outcome TEXT CHECK (outcome IN ('grant', 'refuse', 'remarks')),
	PRIMARY KEY (file_id, round),
	CHECK ((closed_at IS NULL) = (outcome IS NULL))
);
CREATE TRIGGER permit_rounds_closed_once BEFORE UPDATE ON permit_rounds
WHEN OLD.closed_at IS NOT NULL OR NEW.file_id <> OLD.file_id OR NEW.round <> OLD.round OR NEW.opened_at <> OLD.opened_at
BEGIN SELECT RAISE(ABORT, 'permit_rounds: a closed round never changes'); END;
CREATE TRIGGER permit_rounds_kept BEFORE DELETE ON permit_rounds
BEGIN SELECT RAISE(ABORT, 'permit_rounds are kept'); END;
-- Rounds follow one another: round n+1 only once round n is closed.
CREATE TRIGGER permit_rounds_in_order BEFORE INSERT ON permit_rounds
WHEN NEW.round > 1 AND NOT EXISTS (SELECT 1 FROM permit_rounds
	WHERE file_id = NEW.file_id AND round = NEW.round - 1 AND outcome = 'remarks')
BEGIN SELECT RAISE(ABORT, 'permit_rounds: a new round follows a round closed with remarks'); END;

-- Files dispatched before rounds existed are in their first round.
INSERT INTO permit_rounds (file_id, round, opened_at)
	SELECT file_id, 1, MIN(selected_at) FROM permit_committee_seats GROUP BY file_id;

-- A body that said nothing by the study step's deadline, where the
-- catalogue counts silence as agreement: recorded as such, once per body
-- and round, by the clock.
CREATE TABLE permit_silences (
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	round INTEGER NOT NULL,
	body TEXT NOT NULL CHECK (body <> ''),
	applied_at TIMESTAMP NOT NULL,
	PRIMARY KEY (file_id, round, body),
	FOREIGN KEY (file_id, round) REFERENCES permit_rounds (file_id, round)
);
CREATE TRIGGER permit_silences_kept BEFORE UPDATE ON permit_silences
BEGIN SELECT RAISE(ABORT, 'permit_silences are immutable'); END;
CREATE TRIGGER permit_silences_kept_d BEFORE DELETE ON permit_silences
BEGIN SELECT RAISE(ABORT, 'permit_silences are immutable'); END;

-- The remarks the window's secretariat sends the applicant after a round
-- closed with remarks, each from the opinion it consolidates (body), and
-- the applicant's answer to each. The text never changes once sent; the
-- answer is written once, before the next round opens.
CREATE TABLE permit_remarks (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	round INTEGER NOT NULL,
	position INTEGER NOT NULL CHECK (position >= 1),
	body TEXT NOT NULL CHECK (body <> ''),
	text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
	sent_by BIGINT NOT NULL REFERENCES persons (id),
	sent_at TIMESTAMP NOT NULL,
	answer TEXT CHECK (length(answer) BETWEEN 1 AND 4000),
	answered_by BIGINT REFERENCES persons (id),
	answered_at TIMESTAMP,
	UNIQUE (file_id, round, position),
	FOREIGN KEY (file_id, round) REFERENCES permit_rounds (file_id, round),
	CHECK ((answer IS NULL) = (answered_at IS NULL) AND (answer IS NULL) = (answered_by IS NULL))
);
CREATE TRIGGER permit_remarks_sent BEFORE UPDATE ON permit_remarks
WHEN NEW.text <> OLD.text OR NEW.body <> OLD.body OR NEW.file_id <> OLD.file_id OR NEW.round <> OLD.round
	OR NEW.position <> OLD.position OR NEW.sent_by <> OLD.sent_by OR NEW.sent_at <> OLD.sent_at
	OR (SELECT COUNT(*) FROM permit_rounds WHERE file_id = OLD.file_id AND round > OLD.round) > 0
BEGIN SELECT RAISE(ABORT, 'permit_remarks: a remark sent never changes, nor its answer once the next round opened'); END;
CREATE TRIGGER permit_remarks_kept BEFORE DELETE ON permit_remarks
BEGIN SELECT RAISE(ABORT, 'permit_remarks are kept'); END;

-- The applicant signs new plans while answering remarks (the file is then
-- accepted and with its applicant).
DROP TRIGGER permit_document_signatures_open;
CREATE TRIGGER permit_document_signatures_open BEFORE INSERT ON permit_document_signatures
WHEN NOT EXISTS (SELECT 1 FROM permit_documents d JOIN permit_files f ON f.id = d.file_id WHERE d.id = NEW.document_id
	AND (f.state IN ('draft', 'returned', 'info_requested') OR (f.state = 'accepted' AND f.holder = 'applicant')))
BEGIN SELECT RAISE(ABORT, 'permit_document_signatures: the file is no longer with its applicant'); END;

-- The president of the commune or of an arrondissement decides the files
-- of its window: like a window agent, the role names its window. SQLite
-- cannot change a CHECK: the table is rebuilt (nothing refers to it).
CREATE TABLE staff_grants_new (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	role TEXT NOT NULL CHECK (role IN ('admin', 'window_agent', 'committee_member', 'complaint_officer',
		'facility_manager', 'dispatcher', 'editor', 'moderator', 'auditor', 'president')),
	arrondissement_code TEXT REFERENCES arrondissements (code),
	window_code TEXT REFERENCES windows (code),
	granted_by BIGINT REFERENCES persons (id),
	granted_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	CHECK (role <> 'window_agent' OR window_code IS NOT NULL),
	CONSTRAINT staff_grants_president_window CHECK (role <> 'president' OR window_code IS NOT NULL)
);
INSERT INTO staff_grants_new (id, person_id, organisation_code, role, arrondissement_code, window_code, granted_by, granted_at, revoked_at)
	SELECT id, person_id, organisation_code, role, arrondissement_code, window_code, granted_by, granted_at, revoked_at FROM staff_grants;
DROP TABLE staff_grants;
ALTER TABLE staff_grants_new RENAME TO staff_grants;
CREATE INDEX staff_grants_person ON staff_grants (person_id);
CREATE UNIQUE INDEX staff_grants_active ON staff_grants (person_id, role, organisation_code,
	COALESCE(arrondissement_code, ''), COALESCE(window_code, '')) WHERE revoked_at IS NULL;

-- An opinion is for the round being studied, and a silence too.
DROP TRIGGER permit_opinions_seated;
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
