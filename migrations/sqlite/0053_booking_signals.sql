-- Brokering signals (issue #15, point 4; package booking, signals.go and
-- transfer.go).
--
-- transferred_at: the desk's manager saw, at check-in, that the person
-- showing the code was not the booking's holder and reported it instead
-- of checking them in. The booking moves from held to no_show in the
-- same change (the penalty ladder's step, reason 'transfer', is its
-- booking_penalties row); a report is never withdrawn nor moved.
ALTER TABLE bookings ADD COLUMN transferred_at TIMESTAMP
	CONSTRAINT bookings_transfer_no_show CHECK (transferred_at IS NULL OR state = 'no_show');
CREATE INDEX bookings_transferred ON bookings (transferred_at) WHERE transferred_at IS NOT NULL;
CREATE TRIGGER bookings_transferred BEFORE UPDATE OF transferred_at ON bookings
WHEN (OLD.transferred_at IS NOT NULL AND (NEW.transferred_at IS NULL OR NEW.transferred_at <> OLD.transferred_at))
	OR (OLD.transferred_at IS NULL AND NEW.transferred_at IS NOT NULL AND NOT (OLD.state = 'held' AND NEW.state = 'no_show'))
BEGIN SELECT RAISE(ABORT, 'bookings: a transfer is reported once, as the move from held to no_show'); END;

-- booking_origins: where each accepted request for a slot came from (a
-- booking, a draw entry, a waitlist place), for the signals of brokering
-- only: keyed hashes (HMAC-SHA256 under a key of the node, base64url, 43
-- characters) of the browser's device cookie and of the client's network
-- (its /24 IPv4 or /48 IPv6 prefix), never the raw values. Kept for the
-- signals' window, then deleted by the booking clock; never changed.
CREATE TABLE booking_origins (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('book', 'enter', 'wait')),
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	slot_start TIMESTAMP NOT NULL,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	device_hash TEXT CHECK (device_hash IS NULL OR length(device_hash) = 43),
	network_hash TEXT CHECK (network_hash IS NULL OR length(network_hash) = 43),
	at TIMESTAMP NOT NULL
);
CREATE INDEX booking_origins_slot ON booking_origins (facility_code, slot_start, at);
CREATE INDEX booking_origins_at ON booking_origins (at);
CREATE TRIGGER booking_origins_fixed BEFORE UPDATE ON booking_origins
BEGIN SELECT RAISE(ABORT, 'booking_origins are never changed'); END;
