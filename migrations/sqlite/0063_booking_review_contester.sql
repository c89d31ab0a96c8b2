-- Who contested a penalty, and reviewers kept impartial (issue #15,
-- points 4 and 7; package booking, review.go).
--
-- A penalty on a booking held by an association belongs to the
-- association: any of its current representatives, acting for it,
-- contests it, not only the one who booked. contested_by records who did
-- (a contest without it is refused; contests made before this migration
-- keep NULL), and it is never changed, like the rest of the contest.
--
-- booking_penalty_reviews_impartial refuses a decision by the person the
-- penalty fell on, by the one who contested it, or by a current
-- representative of the association holding the booking: the policy's
-- conflict-of-interest rule, kept by the database too.
ALTER TABLE booking_penalty_reviews ADD COLUMN contested_by BIGINT REFERENCES persons (id);
DROP TRIGGER booking_penalty_reviews_final;
CREATE TRIGGER booking_penalty_reviews_final BEFORE UPDATE ON booking_penalty_reviews
WHEN OLD.decision IS NOT NULL OR NEW.penalty_id <> OLD.penalty_id OR NEW.reason <> OLD.reason
	OR NEW.contested_at <> OLD.contested_at OR NEW.contested_by IS NOT OLD.contested_by
BEGIN SELECT RAISE(ABORT, 'booking_penalty_reviews: a contest is never changed, a decision is final'); END;
CREATE TRIGGER booking_penalty_reviews_contester BEFORE INSERT ON booking_penalty_reviews
WHEN NEW.contested_by IS NULL
BEGIN SELECT RAISE(ABORT, 'booking_penalty_reviews: a contest names who made it'); END;
CREATE TRIGGER booking_penalty_reviews_impartial BEFORE UPDATE ON booking_penalty_reviews
WHEN NEW.decided_by IS NOT NULL AND (NEW.decided_by = NEW.contested_by
	OR NEW.decided_by = (SELECT person_id FROM booking_penalties WHERE id = NEW.penalty_id)
	OR EXISTS (SELECT 1 FROM booking_penalties p JOIN bookings b ON b.id = p.booking_id
		JOIN representatives r ON r.legal_person_id = b.holder_legal_id
		WHERE p.id = NEW.penalty_id AND r.person_id = NEW.decided_by AND r.revoked_at IS NULL))
BEGIN SELECT RAISE(ABORT, 'booking_penalty_reviews: a reviewer never decides a penalty they are involved in'); END;
