-- A committee member's absence (package permit, absences.go): from one
-- day to another (Casablanca days, inclusive), for one organisation they
-- sit for, with the colleague of the same organisation who stands in for
-- them, if any. Notices to the organisation's members skip whoever is
-- absent and reach their substitute. An absence is cancelled, never
-- deleted nor changed otherwise.
CREATE TABLE committee_absences (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	starts_on TEXT NOT NULL CHECK (length(starts_on) = 10),
	ends_on TEXT NOT NULL CHECK (length(ends_on) = 10),
	substitute_id BIGINT REFERENCES persons (id),
	reason TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
	declared_at TIMESTAMP NOT NULL,
	cancelled_at TIMESTAMP,
	CHECK (ends_on >= starts_on),
	CHECK (substitute_id IS NULL OR substitute_id <> person_id)
);
CREATE INDEX committee_absences_org ON committee_absences (organisation_code, ends_on) WHERE cancelled_at IS NULL;
CREATE INDEX committee_absences_person ON committee_absences (person_id, ends_on);
CREATE TRIGGER committee_absences_kept BEFORE DELETE ON committee_absences
BEGIN SELECT RAISE(ABORT, 'committee_absences are kept'); END;
CREATE TRIGGER committee_absences_fixed BEFORE UPDATE ON committee_absences
WHEN OLD.cancelled_at IS NOT NULL OR NEW.person_id <> OLD.person_id OR NEW.organisation_code <> OLD.organisation_code
	OR NEW.starts_on <> OLD.starts_on OR NEW.ends_on <> OLD.ends_on OR NEW.substitute_id IS NOT OLD.substitute_id
	OR NEW.reason <> OLD.reason OR NEW.declared_at <> OLD.declared_at
BEGIN SELECT RAISE(ABORT, 'committee_absences: only cancelled, once'); END;
