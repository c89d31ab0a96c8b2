-- After the works (package permit, afterworks.go; issue #12, point 7).
--
-- permit_after_works links a habitation permit or conformity certificate
-- file to the delivered permit it follows: the holder declared the works
-- complete from that permit's page. Never changed.
CREATE TABLE permit_after_works (
	file_id BIGINT PRIMARY KEY NOT NULL REFERENCES permit_files (id),
	parent_id BIGINT NOT NULL REFERENCES permit_files (id),
	declared_by BIGINT NOT NULL REFERENCES persons (id),
	declared_at TIMESTAMP NOT NULL,
	CHECK (file_id <> parent_id)
);
CREATE INDEX permit_after_works_parent ON permit_after_works (parent_id);
CREATE TRIGGER permit_after_works_granted BEFORE INSERT ON permit_after_works
WHEN NOT EXISTS (SELECT 1 FROM permit_files p WHERE p.id = NEW.parent_id AND p.state = 'approved' AND p.family = 'urban')
BEGIN SELECT RAISE(ABORT, 'permit_after_works: only a delivered urban permit is followed by a completion declaration'); END;
CREATE TRIGGER permit_after_works_immutable BEFORE UPDATE ON permit_after_works
BEGIN SELECT RAISE(ABORT, 'permit_after_works are immutable'); END;
CREATE TRIGGER permit_after_works_kept BEFORE DELETE ON permit_after_works
BEGIN SELECT RAISE(ABORT, 'permit_after_works are immutable'); END;

-- permit_inspection_photos: the photos the inspecting members took on the
-- visit, for the body their organisation holds, in a round of the
-- inspection. JPEG or PNG only, 10 MB at most each; only while the
-- committee holds the file at its inspection; never changed.
CREATE TABLE permit_inspection_photos (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	round INTEGER NOT NULL CHECK (round >= 1),
	body TEXT NOT NULL CHECK (body <> ''),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0 AND size <= 10485760),
	content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
	name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 200),
	uploaded_by BIGINT NOT NULL REFERENCES persons (id),
	uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX permit_inspection_photos_file ON permit_inspection_photos (file_id, round);
CREATE TRIGGER permit_inspection_photos_seated BEFORE INSERT ON permit_inspection_photos
WHEN NOT EXISTS (SELECT 1 FROM permit_committee_seats s JOIN permit_files f ON f.id = s.file_id
	JOIN permit_rounds r ON r.file_id = f.id AND r.round = NEW.round AND r.closed_at IS NULL
	WHERE s.file_id = NEW.file_id AND s.body = NEW.body AND s.organisation_code = NEW.organisation_code
	AND f.state = 'accepted' AND f.holder = 'committee' AND f.step = 'inspection')
BEGIN SELECT RAISE(ABORT, 'permit_inspection_photos: only a body sitting on a file under inspection adds photos to its open round'); END;
CREATE TRIGGER permit_inspection_photos_immutable BEFORE UPDATE ON permit_inspection_photos
BEGIN SELECT RAISE(ABORT, 'permit_inspection_photos are immutable'); END;
CREATE TRIGGER permit_inspection_photos_kept BEFORE DELETE ON permit_inspection_photos
BEGIN SELECT RAISE(ABORT, 'permit_inspection_photos are immutable'); END;

-- permit_recourses: the applicant's recourse to the higher authority once
-- the legal month passed without a decision (the clock recorded the
-- overall deadline's referral). Once per file; never changed.
CREATE TABLE permit_recourses (
	file_id BIGINT PRIMARY KEY NOT NULL REFERENCES permit_files (id),
	filed_by BIGINT NOT NULL REFERENCES persons (id),
	filed_at TIMESTAMP NOT NULL
);
CREATE TRIGGER permit_recourses_referred BEFORE INSERT ON permit_recourses
WHEN NOT EXISTS (SELECT 1 FROM permit_deadlines d JOIN permit_files f ON f.id = d.file_id
	WHERE d.file_id = NEW.file_id AND d.step = 'overall' AND d.outcome = 'referral' AND f.state = 'accepted')
BEGIN SELECT RAISE(ABORT, 'permit_recourses: only after the legal deadline passed without a decision'); END;
CREATE TRIGGER permit_recourses_immutable BEFORE UPDATE ON permit_recourses
BEGIN SELECT RAISE(ABORT, 'permit_recourses are immutable'); END;
CREATE TRIGGER permit_recourses_kept BEFORE DELETE ON permit_recourses
BEGIN SELECT RAISE(ABORT, 'permit_recourses are immutable'); END;
