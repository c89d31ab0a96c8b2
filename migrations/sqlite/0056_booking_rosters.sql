-- Casa In: season rosters (issue #15 point 3; package booking, roster.go).
--
-- booking_rosters: a facility's roster draw for one season. Its seed is
-- drawn and sealed when the application window opens and only its
-- SHA-256 (seed_hash) is published; at allocation the seed is revealed
-- and the order computed like a peak slot's draw (equal weights: no
-- acquired rights from the previous season). What was published is
-- never changed (booking_rosters_committed).
CREATE TABLE booking_rosters (
	id INTEGER PRIMARY KEY,
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	season_from TEXT NOT NULL CHECK (length(season_from) = 10),
	season_to TEXT NOT NULL CHECK (length(season_to) = 10),
	opens_at TIMESTAMP NOT NULL,
	closes_at TIMESTAMP NOT NULL,
	seed_hash TEXT NOT NULL CHECK (length(seed_hash) = 64),
	sealed_seed TEXT NOT NULL CHECK (sealed_seed <> ''),
	seed TEXT CHECK (seed IS NULL OR length(seed) = 64),
	state TEXT NOT NULL CHECK (state IN ('open', 'allocated')),
	allocated_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (facility_code, season_from),
	CONSTRAINT booking_rosters_season CHECK (season_from <= season_to),
	CONSTRAINT booking_rosters_window CHECK (opens_at < closes_at),
	CONSTRAINT booking_rosters_revealed CHECK ((state = 'allocated') = (seed IS NOT NULL AND allocated_at IS NOT NULL))
);
CREATE TRIGGER booking_rosters_committed BEFORE UPDATE ON booking_rosters
WHEN OLD.seed_hash <> NEW.seed_hash OR OLD.sealed_seed <> NEW.sealed_seed OR OLD.season_from <> NEW.season_from
	OR OLD.season_to <> NEW.season_to OR OLD.opens_at <> NEW.opens_at OR OLD.closes_at <> NEW.closes_at
	OR OLD.facility_code <> NEW.facility_code OR OLD.state = 'allocated'
BEGIN SELECT RAISE(ABORT, 'booking_rosters: a committed roster is never changed'); END;
CREATE TRIGGER booking_rosters_kept BEFORE DELETE ON booking_rosters
BEGIN SELECT RAISE(ABORT, 'booking_rosters are never deleted'); END;

-- booking_roster_applications: an association's application (made by
-- its representative, person_id) for one weekly slot of the season, up
-- to three ranked choices ("6@17:00": ISO weekday @ start time). One per
-- association and roster. rank is the roster draw's order; granted the
-- choice it got (NULL: none, or not allocated yet) — one association per
-- weekly slot (booking_roster_applications_granted).
CREATE TABLE booking_roster_applications (
	id INTEGER PRIMARY KEY,
	roster_id BIGINT NOT NULL REFERENCES booking_rosters (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	legal_id BIGINT NOT NULL REFERENCES legal_persons (id),
	token TEXT NOT NULL UNIQUE CHECK (length(token) = 10),
	choice1 TEXT NOT NULL CHECK (length(choice1) = 7),
	choice2 TEXT CHECK (choice2 IS NULL OR (length(choice2) = 7 AND choice2 <> choice1)),
	choice3 TEXT CHECK (choice3 IS NULL OR (length(choice3) = 7 AND choice2 IS NOT NULL AND choice3 <> choice1 AND choice3 <> choice2)),
	entered_at TIMESTAMP NOT NULL,
	rank INTEGER CHECK (rank IS NULL OR rank >= 1),
	granted TEXT CHECK (granted IS NULL OR granted = choice1 OR granted = choice2 OR granted = choice3),
	UNIQUE (roster_id, legal_id),
	UNIQUE (roster_id, rank)
);
CREATE UNIQUE INDEX booking_roster_applications_granted ON booking_roster_applications (roster_id, granted) WHERE granted IS NOT NULL;
CREATE TRIGGER booking_roster_applications_fixed BEFORE UPDATE ON booking_roster_applications
WHEN OLD.roster_id <> NEW.roster_id OR OLD.person_id <> NEW.person_id OR OLD.legal_id <> NEW.legal_id OR OLD.token <> NEW.token
	OR OLD.choice1 <> NEW.choice1 OR COALESCE(OLD.choice2, '') <> COALESCE(NEW.choice2, '')
	OR COALESCE(OLD.choice3, '') <> COALESCE(NEW.choice3, '') OR OLD.rank IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'booking_roster_applications: an application is never changed, nor its result'); END;
CREATE TRIGGER booking_roster_applications_kept BEFORE DELETE ON booking_roster_applications
BEGIN SELECT RAISE(ABORT, 'booking_roster_applications are never deleted'); END;

-- booking_roster_weeks: what a granted application gave, week by week:
-- a booking (method draw, held by the representative for the
-- association: booking_roster_weeks_holder), or the week skipped because
-- the slot was already taken or the facility closed. The bookings keep
-- one holder per slot (bookings_one_holder); nothing here is changed.
CREATE TABLE booking_roster_weeks (
	id INTEGER PRIMARY KEY,
	application_id BIGINT NOT NULL REFERENCES booking_roster_applications (id),
	slot_start TIMESTAMP NOT NULL,
	outcome TEXT NOT NULL CHECK (outcome IN ('booked', 'taken', 'closed')),
	booking_id BIGINT UNIQUE REFERENCES bookings (id),
	UNIQUE (application_id, slot_start),
	CONSTRAINT booking_roster_weeks_booked CHECK ((outcome = 'booked') = (booking_id IS NOT NULL))
);
CREATE TRIGGER booking_roster_weeks_holder BEFORE INSERT ON booking_roster_weeks
WHEN NEW.booking_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bookings b, booking_roster_applications a
	WHERE b.id = NEW.booking_id AND a.id = NEW.application_id AND b.holder_id = a.person_id
	AND b.holder_legal_id = a.legal_id AND b.slot_start = NEW.slot_start AND b.method = 'draw')
BEGIN SELECT RAISE(ABORT, 'booking_roster_weeks: a roster week is the association''s own booking of that slot'); END;
CREATE TRIGGER booking_roster_weeks_kept BEFORE UPDATE ON booking_roster_weeks
BEGIN SELECT RAISE(ABORT, 'booking_roster_weeks are never changed'); END;
CREATE TRIGGER booking_roster_weeks_deleted BEFORE DELETE ON booking_roster_weeks
BEGIN SELECT RAISE(ABORT, 'booking_roster_weeks are never deleted'); END;
