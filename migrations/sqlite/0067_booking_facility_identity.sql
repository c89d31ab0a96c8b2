-- A facility's identity is stable (issue #15, point 1; package booking):
-- the desk now creates facilities, deriving their code from the
-- arrondissement and the name; the code (in the public page's address,
-- on every booking, in the audit log), the arrondissement, the
-- organisation running it and its kind never change after creation — only
-- its definition (names, hours, rules) and version do.
CREATE TRIGGER booking_facilities_identity BEFORE UPDATE OF code, arrondissement_code, organisation_code, kind ON booking_facilities
WHEN NEW.code IS NOT OLD.code OR NEW.arrondissement_code IS NOT OLD.arrondissement_code
	OR NEW.organisation_code IS NOT OLD.organisation_code OR NEW.kind IS NOT OLD.kind
BEGIN SELECT RAISE(ABORT, 'booking_facilities: a facility''s code, place, organisation and kind never change'); END;
