-- Who contested a penalty, and reviewers kept impartial (issue #15;
-- package booking). The comments are in the SQLite migration of the same
-- number.
ALTER TABLE booking_penalty_reviews ADD COLUMN contested_by BIGINT REFERENCES persons (id);
CREATE OR REPLACE FUNCTION booking_penalty_reviews_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.decision IS NOT NULL OR NEW.penalty_id <> OLD.penalty_id OR NEW.reason <> OLD.reason
		OR NEW.contested_at <> OLD.contested_at OR NEW.contested_by IS DISTINCT FROM OLD.contested_by THEN
		RAISE EXCEPTION 'booking_penalty_reviews: a contest is never changed, a decision is final';
	END IF;
	RETURN NEW;
END $$;
CREATE FUNCTION booking_penalty_reviews_contester() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.contested_by IS NULL THEN
		RAISE EXCEPTION 'booking_penalty_reviews: a contest names who made it';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_penalty_reviews_contester BEFORE INSERT ON booking_penalty_reviews
FOR EACH ROW EXECUTE FUNCTION booking_penalty_reviews_contester();
CREATE FUNCTION booking_penalty_reviews_impartial() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.decided_by IS NOT NULL AND (NEW.decided_by = NEW.contested_by
		OR NEW.decided_by = (SELECT person_id FROM booking_penalties WHERE id = NEW.penalty_id)
		OR EXISTS (SELECT 1 FROM booking_penalties p JOIN bookings b ON b.id = p.booking_id
			JOIN representatives r ON r.legal_person_id = b.holder_legal_id
			WHERE p.id = NEW.penalty_id AND r.person_id = NEW.decided_by AND r.revoked_at IS NULL)) THEN
		RAISE EXCEPTION 'booking_penalty_reviews: a reviewer never decides a penalty they are involved in';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_penalty_reviews_impartial BEFORE UPDATE ON booking_penalty_reviews
FOR EACH ROW EXECUTE FUNCTION booking_penalty_reviews_impartial();
