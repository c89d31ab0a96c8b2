-- Casa In: booking public services (issue #15; package booking).
--
-- booking_facilities: a facility or request-type service of an
-- arrondissement, with its opening hours, slot length, closures and
-- booking rules (definition, the catalogue's JSON, checked whole by the
-- service before it is written: a self-contradicting rule set never
-- reaches this table). Seeded from catalogue/casablanca.json; staff
-- change the rules from the back office (version counts the changes).
CREATE TABLE booking_facilities (
	code TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 2 AND 64),
	arrondissement_code TEXT NOT NULL REFERENCES arrondissements (code),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	kind TEXT NOT NULL CHECK (kind IN ('sports_field', 'sports_hall', 'coworking', 'cultural_room', 'ambulance')),
	definition TEXT NOT NULL CHECK (definition <> ''),
	version INTEGER NOT NULL CHECK (version >= 1),
	updated_at TIMESTAMP NOT NULL,
	updated_by TEXT NOT NULL CHECK (updated_by <> '')
);
CREATE INDEX booking_facilities_area ON booking_facilities (arrondissement_code, kind);

-- bookings: one slot of a facility held by one verified person (and the
-- association they booked for). The invariant of Casa In is here: one
-- holder per slot (bookings_one_holder), whatever the races; a booking
-- is never handed to someone else (bookings_bound). States: pending
-- (waiting for the arrondissement's approval, the slot kept), offered (a
-- waitlist place promoted, to confirm before confirm_by), held,
-- checked_in, no_show (all five keep the slot), and the ends cancelled,
-- refused, lapsed (the offer was not confirmed in time).
-- token is the holder's anonymous mark on the public register.
CREATE TABLE bookings (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 6 AND 32),
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	slot_start TIMESTAMP NOT NULL,
	slot_end TIMESTAMP NOT NULL,
	holder_id BIGINT NOT NULL REFERENCES persons (id),
	holder_legal_id BIGINT REFERENCES legal_persons (id),
	group_code TEXT NOT NULL DEFAULT '',
	method TEXT NOT NULL CHECK (method IN ('first_come', 'draw', 'waitlist')),
	token TEXT NOT NULL UNIQUE CHECK (length(token) = 10),
	state TEXT NOT NULL CHECK (state IN ('pending', 'offered', 'held', 'checked_in', 'no_show', 'cancelled', 'refused', 'lapsed')),
	confirm_by TIMESTAMP,
	checked_in_at TIMESTAMP,
	decided_by BIGINT REFERENCES persons (id),
	ended_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	version INTEGER NOT NULL CHECK (version >= 1),
	CONSTRAINT bookings_slot CHECK (slot_start < slot_end),
	CONSTRAINT bookings_offer CHECK ((state = 'offered') = (confirm_by IS NOT NULL)),
	CONSTRAINT bookings_checked_in CHECK ((state = 'checked_in') = (checked_in_at IS NOT NULL)),
	CONSTRAINT bookings_ended CHECK ((state IN ('cancelled', 'refused', 'lapsed')) = (ended_at IS NOT NULL))
);
CREATE UNIQUE INDEX bookings_one_holder ON bookings (facility_code, slot_start)
	WHERE state IN ('pending', 'offered', 'held', 'checked_in', 'no_show');
CREATE INDEX bookings_holder ON bookings (holder_id, slot_start);
CREATE INDEX bookings_legal ON bookings (holder_legal_id, slot_start);
CREATE INDEX bookings_clock ON bookings (state, slot_end);
CREATE TRIGGER bookings_bound BEFORE UPDATE OF number, facility_code, slot_start, slot_end, holder_id, holder_legal_id, token, method, created_at ON bookings
WHEN OLD.number <> NEW.number OR OLD.facility_code <> NEW.facility_code OR OLD.slot_start <> NEW.slot_start
	OR OLD.slot_end <> NEW.slot_end OR OLD.holder_id <> NEW.holder_id
	OR COALESCE(OLD.holder_legal_id, 0) <> COALESCE(NEW.holder_legal_id, 0) OR OLD.token <> NEW.token
	OR OLD.method <> NEW.method OR OLD.created_at <> NEW.created_at
BEGIN SELECT RAISE(ABORT, 'bookings: a booking is bound to its holder and slot, never transferred'); END;
CREATE TRIGGER bookings_transition BEFORE UPDATE OF state ON bookings
WHEN OLD.state <> NEW.state AND (OLD.state || '>' || NEW.state) NOT IN (
		'pending>held', 'pending>refused', 'pending>cancelled',
		'offered>held', 'offered>lapsed', 'offered>cancelled',
		'held>checked_in', 'held>no_show', 'held>cancelled')
BEGIN SELECT RAISE(ABORT, 'bookings: no such change of state'); END;
CREATE TRIGGER bookings_kept BEFORE DELETE ON bookings
BEGIN SELECT RAISE(ABORT, 'bookings are never deleted'); END;

-- booking_waitlist: people waiting for a slot that is taken, in the
-- order they joined (or the draw ranked them). When the slot is freed the
-- first one waiting is offered it (a booking in state offered) and told.
CREATE TABLE booking_waitlist (
	id INTEGER PRIMARY KEY,
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	slot_start TIMESTAMP NOT NULL,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	legal_id BIGINT REFERENCES legal_persons (id),
	rank INTEGER NOT NULL CHECK (rank >= 1),
	state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'left')),
	booking_id BIGINT REFERENCES bookings (id),
	joined_at TIMESTAMP NOT NULL,
	CONSTRAINT booking_waitlist_offer CHECK ((state = 'offered') = (booking_id IS NOT NULL))
);
CREATE UNIQUE INDEX booking_waitlist_once ON booking_waitlist (facility_code, slot_start, person_id) WHERE state = 'waiting';
CREATE UNIQUE INDEX booking_waitlist_rank ON booking_waitlist (facility_code, slot_start, rank);

-- booking_draws: the lottery of a peak slot. seed_hash (SHA-256 of the
-- seed, hex) is published when the draw is created, before requests are
-- collected; the seed is kept sealed until the draw, then published with
-- the results, so anyone re-runs it (madina booking verify-draw). What
-- was published is never changed (booking_draws_committed).
CREATE TABLE booking_draws (
	id INTEGER PRIMARY KEY,
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	slot_start TIMESTAMP NOT NULL,
	slot_end TIMESTAMP NOT NULL,
	opens_at TIMESTAMP NOT NULL,
	closes_at TIMESTAMP NOT NULL,
	seed_hash TEXT NOT NULL CHECK (length(seed_hash) = 64),
	sealed_seed TEXT NOT NULL CHECK (sealed_seed <> ''),
	seed TEXT CHECK (seed IS NULL OR length(seed) = 64),
	state TEXT NOT NULL CHECK (state IN ('open', 'drawn')),
	drawn_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (facility_code, slot_start),
	CONSTRAINT booking_draws_window CHECK (opens_at < closes_at AND closes_at <= slot_start),
	CONSTRAINT booking_draws_revealed CHECK ((state = 'drawn') = (seed IS NOT NULL AND drawn_at IS NOT NULL))
);
CREATE TRIGGER booking_draws_committed BEFORE UPDATE ON booking_draws
WHEN OLD.seed_hash <> NEW.seed_hash OR OLD.sealed_seed <> NEW.sealed_seed OR OLD.slot_start <> NEW.slot_start
	OR OLD.opens_at <> NEW.opens_at OR OLD.closes_at <> NEW.closes_at OR OLD.state = 'drawn'
BEGIN SELECT RAISE(ABORT, 'booking_draws: a committed draw is never changed'); END;
CREATE TRIGGER booking_draws_kept BEFORE DELETE ON booking_draws
BEGIN SELECT RAISE(ABORT, 'booking_draws are never deleted'); END;

-- booking_entries: the requests of a draw, one per person; weight is
-- fixed when the request is made (the less recently served, the heavier)
-- and published with the results. rank is the draw's order (1 wins).
CREATE TABLE booking_entries (
	id INTEGER PRIMARY KEY,
	draw_id BIGINT NOT NULL REFERENCES booking_draws (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	legal_id BIGINT REFERENCES legal_persons (id),
	token TEXT NOT NULL UNIQUE CHECK (length(token) = 10),
	weight INTEGER NOT NULL CHECK (weight BETWEEN 1 AND 1000),
	entered_at TIMESTAMP NOT NULL,
	rank INTEGER CHECK (rank IS NULL OR rank >= 1),
	UNIQUE (draw_id, person_id),
	UNIQUE (draw_id, rank)
);
CREATE TRIGGER booking_entries_fixed BEFORE UPDATE OF draw_id, person_id, token, weight ON booking_entries
WHEN OLD.draw_id <> NEW.draw_id OR OLD.person_id <> NEW.person_id OR OLD.token <> NEW.token OR OLD.weight <> NEW.weight
BEGIN SELECT RAISE(ABORT, 'booking_entries: an entry is never changed'); END;

-- booking_penalties: the penalty ladder's steps a person reached (a
-- no-show, an unauthorised transfer), each with the suspension it
-- brought (none for a warning). Never changed.
CREATE TABLE booking_penalties (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	booking_id BIGINT NOT NULL UNIQUE REFERENCES bookings (id),
	reason TEXT NOT NULL CHECK (reason IN ('no_show', 'transfer')),
	step INTEGER NOT NULL CHECK (step >= 1),
	suspended_until TIMESTAMP,
	at TIMESTAMP NOT NULL
);
CREATE INDEX booking_penalties_person ON booking_penalties (person_id, at);
CREATE TRIGGER booking_penalties_immutable BEFORE UPDATE ON booking_penalties
BEGIN SELECT RAISE(ABORT, 'booking_penalties are immutable'); END;
