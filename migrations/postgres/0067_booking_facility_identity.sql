-- A facility's identity is stable (issue #15, point 1; package booking).
-- The comments are in the SQLite migration of the same number.
CREATE FUNCTION booking_facilities_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.code IS DISTINCT FROM OLD.code OR NEW.arrondissement_code IS DISTINCT FROM OLD.arrondissement_code
		OR NEW.organisation_code IS DISTINCT FROM OLD.organisation_code OR NEW.kind IS DISTINCT FROM OLD.kind THEN
		RAISE EXCEPTION 'booking_facilities: a facility''s code, place, organisation and kind never change';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_facilities_identity BEFORE UPDATE ON booking_facilities
FOR EACH ROW EXECUTE FUNCTION booking_facilities_identity();
