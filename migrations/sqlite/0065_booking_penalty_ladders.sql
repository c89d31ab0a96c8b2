-- Whose ladder a penalty climbs (issue #15, point 4; package booking,
-- sweep.go penalise, store.go suspendedUntil).
--
-- A penalty of a booking held for a legal person (an association, a
-- school) is the legal person's: it counts on the legal person's ladder
-- and its suspension stops the legal person's bookings, whoever of its
-- representatives books for it — not the representative in their own
-- name. legal_id names that legal person (NULL for a person's own
-- booking: the penalty is on person_id's ladder); person_id stays the
-- holder who booked. Rows before this migration are filled from their
-- booking. booking_penalties_ladder refuses a penalty whose legal_id or
-- person_id is not its booking's holder_legal_id and holder_id; the rows
-- stay immutable (booking_penalties_immutable, set again after the fill).
ALTER TABLE booking_penalties ADD COLUMN legal_id BIGINT REFERENCES legal_persons (id);
DROP TRIGGER booking_penalties_immutable;
UPDATE booking_penalties SET legal_id = (SELECT holder_legal_id FROM bookings b WHERE b.id = booking_penalties.booking_id);
CREATE TRIGGER booking_penalties_immutable BEFORE UPDATE ON booking_penalties
BEGIN SELECT RAISE(ABORT, 'booking_penalties are immutable'); END;
CREATE TRIGGER booking_penalties_ladder BEFORE INSERT ON booking_penalties
WHEN NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.holder_id = NEW.person_id
	AND b.holder_legal_id IS NEW.legal_id)
BEGIN SELECT RAISE(ABORT, 'booking_penalties: a penalty is on the ladder of its booking''s holder'); END;
CREATE INDEX booking_penalties_legal ON booking_penalties (legal_id, at) WHERE legal_id IS NOT NULL;
