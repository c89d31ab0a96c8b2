-- A committee member's opinion on a file (package permit, GiveOpinion):
-- for the body whose seat their organisation holds on the file, once per
-- body and round of study; favourable, favourable with reservations or
-- unfavourable, with reasons unless favourable. Only while the committee
-- holds the file, and only for a seat the file's selection gave that
-- organisation; never changed (a new round takes a new opinion).
CREATE TABLE permit_opinions (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	round INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
	body TEXT NOT NULL CHECK (body <> ''),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	given_by BIGINT NOT NULL REFERENCES persons (id),
	verdict TEXT NOT NULL CHECK (verdict IN ('favourable', 'reservations', 'unfavourable')),
	reasons TEXT NOT NULL DEFAULT '' CHECK (length(reasons) <= 4000),
	given_at TIMESTAMP NOT NULL,
	UNIQUE (file_id, round, body),
	CHECK (verdict = 'favourable' OR reasons <> '')
);
CREATE TRIGGER permit_opinions_seated BEFORE INSERT ON permit_opinions
WHEN NOT EXISTS (SELECT 1 FROM permit_committee_seats s JOIN permit_files f ON f.id = s.file_id
	WHERE s.file_id = NEW.file_id AND s.body = NEW.body AND s.organisation_code = NEW.organisation_code
	AND f.state = 'accepted' AND f.holder = 'committee')
BEGIN SELECT RAISE(ABORT, 'permit_opinions: only a body sitting on a file its committee holds gives an opinion'); END;
CREATE TRIGGER permit_opinions_immutable BEFORE UPDATE ON permit_opinions
BEGIN SELECT RAISE(ABORT, 'permit_opinions are immutable'); END;
CREATE TRIGGER permit_opinions_kept BEFORE DELETE ON permit_opinions
BEGIN SELECT RAISE(ABORT, 'permit_opinions are immutable'); END;
