-- Whose ladder a penalty climbs (issue #15, point 4; package booking).
-- The comments are in the SQLite migration of the same number.
ALTER TABLE booking_penalties ADD COLUMN legal_id BIGINT REFERENCES legal_persons (id);
ALTER TABLE booking_penalties DISABLE TRIGGER booking_penalties_immutable;
UPDATE booking_penalties p SET legal_id = b.holder_legal_id FROM bookings b WHERE b.id = p.booking_id;
ALTER TABLE booking_penalties ENABLE TRIGGER booking_penalties_immutable;
CREATE FUNCTION booking_penalties_ladder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.holder_id = NEW.person_id
		AND b.holder_legal_id IS NOT DISTINCT FROM NEW.legal_id) THEN
		RAISE EXCEPTION 'booking_penalties: a penalty is on the ladder of its booking''s holder';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_penalties_ladder BEFORE INSERT ON booking_penalties
FOR EACH ROW EXECUTE FUNCTION booking_penalties_ladder();
CREATE INDEX booking_penalties_legal ON booking_penalties (legal_id, at) WHERE legal_id IS NOT NULL;
