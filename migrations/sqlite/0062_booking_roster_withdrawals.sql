-- Casa In: season rosters, withdrawals and slots given back (issue #15
-- point 3; package booking, roster_withdraw.go).
--
-- booking_roster_withdrawals: an association's representative, acting
-- for it, withdrew its application while the window was open
-- ('withdrawn': it takes no part in the allocation, and its token is
-- listed as withdrawn on the published roster) or gave back the weekly
-- slot it was granted for the rest of the season ('given_back': its
-- roster bookings still ahead and past the cancellation deadline were
-- cancelled, counted in cancelled). The application itself and its
-- result are never changed (0056): the allocation published stays
-- verifiable. One per application; never changed nor deleted.
CREATE TABLE booking_roster_withdrawals (
	id INTEGER PRIMARY KEY,
	application_id INTEGER NOT NULL UNIQUE REFERENCES booking_roster_applications (id),
	kind TEXT NOT NULL CHECK (kind IN ('withdrawn', 'given_back')),
	person_id INTEGER NOT NULL REFERENCES persons (id),
	at TIMESTAMP NOT NULL,
	cancelled INTEGER NOT NULL CHECK (cancelled >= 0),
	CONSTRAINT booking_roster_withdrawals_cancelled CHECK (kind = 'given_back' OR cancelled = 0)
);
CREATE TRIGGER booking_roster_withdrawals_withdrawn BEFORE INSERT ON booking_roster_withdrawals
WHEN NEW.kind = 'withdrawn' AND NOT EXISTS (SELECT 1 FROM booking_roster_applications a JOIN booking_rosters r ON r.id = a.roster_id
	WHERE a.id = NEW.application_id AND a.rank IS NULL AND r.state = 'open' AND julianday(NEW.at) < julianday(r.closes_at))
BEGIN SELECT RAISE(ABORT, 'booking_roster_withdrawals: an application is withdrawn only while its window is open'); END;
CREATE TRIGGER booking_roster_withdrawals_given_back BEFORE INSERT ON booking_roster_withdrawals
WHEN NEW.kind = 'given_back' AND NOT EXISTS (SELECT 1 FROM booking_roster_applications a
	WHERE a.id = NEW.application_id AND a.granted IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'booking_roster_withdrawals: only a granted weekly slot is given back'); END;
CREATE TRIGGER booking_roster_withdrawals_kept BEFORE UPDATE ON booking_roster_withdrawals
BEGIN SELECT RAISE(ABORT, 'booking_roster_withdrawals are never changed nor deleted'); END;
CREATE TRIGGER booking_roster_withdrawals_deleted BEFORE DELETE ON booking_roster_withdrawals
BEGIN SELECT RAISE(ABORT, 'booking_roster_withdrawals are never changed nor deleted'); END;
-- A withdrawn application takes no part in the allocation.
CREATE TRIGGER booking_roster_applications_withdrawn BEFORE UPDATE ON booking_roster_applications
WHEN NEW.rank IS NOT NULL AND EXISTS (SELECT 1 FROM booking_roster_withdrawals w
	WHERE w.application_id = NEW.id AND w.kind = 'withdrawn')
BEGIN SELECT RAISE(ABORT, 'booking_roster_applications: a withdrawn application takes no part in the allocation'); END;

-- booking_roster_rounds: a roster's second round. When the first round
-- is allocated, the weekly slots it left ungranted — and those given
-- back until this round is allocated — are offered to the associations
-- the first round gave nothing (one weekly slot each, as asked). Its
-- own seed is sealed and its SHA-256 published at the first round's
-- allocation, before any second-round application; its window closes
-- halfway between the first round's close and the season's first day.
-- At allocation the seed is revealed, the order computed with equal
-- weights, and offered fixes the slots offered (comma-separated keys).
-- Never changed once committed, never deleted.
CREATE TABLE booking_roster_rounds (
	id INTEGER PRIMARY KEY,
	roster_id INTEGER NOT NULL UNIQUE REFERENCES booking_rosters (id),
	opens_at TIMESTAMP NOT NULL,
	closes_at TIMESTAMP NOT NULL,
	seed_hash TEXT NOT NULL CHECK (length(seed_hash) = 64),
	sealed_seed TEXT NOT NULL CHECK (sealed_seed <> ''),
	seed TEXT CHECK (seed IS NULL OR length(seed) = 64),
	offered TEXT,
	state TEXT NOT NULL CHECK (state IN ('open', 'allocated')),
	allocated_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	CONSTRAINT booking_roster_rounds_window CHECK (opens_at < closes_at),
	CONSTRAINT booking_roster_rounds_revealed CHECK ((state = 'allocated') = (seed IS NOT NULL AND allocated_at IS NOT NULL AND offered IS NOT NULL))
);
CREATE TRIGGER booking_roster_rounds_committed BEFORE UPDATE ON booking_roster_rounds
WHEN OLD.seed_hash <> NEW.seed_hash OR OLD.sealed_seed <> NEW.sealed_seed OR OLD.opens_at <> NEW.opens_at
	OR OLD.closes_at <> NEW.closes_at OR OLD.roster_id <> NEW.roster_id OR OLD.state = 'allocated'
BEGIN SELECT RAISE(ABORT, 'booking_roster_rounds: a committed round is never changed'); END;
CREATE TRIGGER booking_roster_rounds_kept BEFORE DELETE ON booking_roster_rounds
BEGIN SELECT RAISE(ABORT, 'booking_roster_rounds are never deleted'); END;

-- booking_roster_round_applications: a second-round application, by a
-- representative (person_id) of an association whose first-round
-- application (application_id: one each) was allocated nothing and not
-- withdrawn; choices, rank and result as in the first round.
CREATE TABLE booking_roster_round_applications (
	id INTEGER PRIMARY KEY,
	round_id INTEGER NOT NULL REFERENCES booking_roster_rounds (id),
	application_id INTEGER NOT NULL UNIQUE REFERENCES booking_roster_applications (id),
	person_id INTEGER NOT NULL REFERENCES persons (id),
	token TEXT NOT NULL UNIQUE CHECK (length(token) = 10),
	choice1 TEXT NOT NULL CHECK (length(choice1) = 7),
	choice2 TEXT CHECK (choice2 IS NULL OR (length(choice2) = 7 AND choice2 <> choice1)),
	choice3 TEXT CHECK (choice3 IS NULL OR (length(choice3) = 7 AND choice2 IS NOT NULL AND choice3 <> choice1 AND choice3 <> choice2)),
	entered_at TIMESTAMP NOT NULL,
	rank INTEGER CHECK (rank IS NULL OR rank >= 1),
	granted TEXT CHECK (granted IS NULL OR granted = choice1 OR granted = choice2 OR granted = choice3),
	UNIQUE (round_id, rank)
);
CREATE UNIQUE INDEX booking_roster_round_applications_granted ON booking_roster_round_applications (round_id, granted) WHERE granted IS NOT NULL;
CREATE TRIGGER booking_roster_round_applications_eligible BEFORE INSERT ON booking_roster_round_applications
WHEN NOT EXISTS (SELECT 1 FROM booking_roster_applications a JOIN booking_roster_rounds o ON o.roster_id = a.roster_id
	WHERE a.id = NEW.application_id AND o.id = NEW.round_id AND o.state = 'open' AND a.rank IS NOT NULL AND a.granted IS NULL
	AND NOT EXISTS (SELECT 1 FROM booking_roster_withdrawals w WHERE w.application_id = a.id))
BEGIN SELECT RAISE(ABORT, 'booking_roster_round_applications: the second round is for the first round''s applicants given nothing'); END;
CREATE TRIGGER booking_roster_round_applications_fixed BEFORE UPDATE ON booking_roster_round_applications
WHEN OLD.round_id <> NEW.round_id OR OLD.application_id <> NEW.application_id OR OLD.person_id <> NEW.person_id
	OR OLD.token <> NEW.token OR OLD.choice1 <> NEW.choice1 OR COALESCE(OLD.choice2, '') <> COALESCE(NEW.choice2, '')
	OR COALESCE(OLD.choice3, '') <> COALESCE(NEW.choice3, '') OR OLD.rank IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'booking_roster_round_applications: an application is never changed, nor its result'); END;
CREATE TRIGGER booking_roster_round_applications_kept BEFORE DELETE ON booking_roster_round_applications
BEGIN SELECT RAISE(ABORT, 'booking_roster_round_applications are never deleted'); END;

-- booking_roster_round_weeks: each week of a second-round grant, as
-- booking_roster_weeks for the first round.
CREATE TABLE booking_roster_round_weeks (
	id INTEGER PRIMARY KEY,
	application_id INTEGER NOT NULL REFERENCES booking_roster_round_applications (id),
	slot_start TIMESTAMP NOT NULL,
	outcome TEXT NOT NULL CHECK (outcome IN ('booked', 'taken', 'closed')),
	booking_id INTEGER UNIQUE REFERENCES bookings (id),
	UNIQUE (application_id, slot_start),
	CONSTRAINT booking_roster_round_weeks_booked CHECK ((outcome = 'booked') = (booking_id IS NOT NULL))
);
CREATE TRIGGER booking_roster_round_weeks_holder BEFORE INSERT ON booking_roster_round_weeks
WHEN NEW.booking_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bookings b, booking_roster_round_applications x,
	booking_roster_applications a WHERE b.id = NEW.booking_id AND x.id = NEW.application_id AND a.id = x.application_id
	AND b.holder_id = x.person_id AND b.holder_legal_id = a.legal_id AND b.slot_start = NEW.slot_start AND b.method = 'draw')
BEGIN SELECT RAISE(ABORT, 'booking_roster_round_weeks: a roster week is the association''s own booking of that slot'); END;
CREATE TRIGGER booking_roster_round_weeks_kept BEFORE UPDATE ON booking_roster_round_weeks
BEGIN SELECT RAISE(ABORT, 'booking_roster_round_weeks are never changed nor deleted'); END;
CREATE TRIGGER booking_roster_round_weeks_deleted BEFORE DELETE ON booking_roster_round_weeks
BEGIN SELECT RAISE(ABORT, 'booking_roster_round_weeks are never changed nor deleted'); END;
