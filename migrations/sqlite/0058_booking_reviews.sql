-- Penalty reviews (issue #15, point 7; package booking, review.go).
--
-- booking_penalty_reviews: a holder contests a penalty of the ladder (a
-- no-show, a booking reported handed over) once, within seven days, with
-- a reason; one of the facility's managers decides, officially, to
-- uphold or to lift it, with a note. booking_penalties stays immutable: a
-- lifted penalty is the penalty with a review whose decision is
-- 'lifted', and the ladder's count and the suspension check skip it. A
-- review is never deleted; its contest is never changed, and a decision,
-- once made, is final.
CREATE TABLE booking_penalty_reviews (
	id INTEGER PRIMARY KEY,
	penalty_id BIGINT NOT NULL UNIQUE REFERENCES booking_penalties (id),
	reason TEXT NOT NULL CHECK (length(trim(reason)) >= 1 AND length(reason) <= 1000),
	contested_at TIMESTAMP NOT NULL,
	decision TEXT CHECK (decision IN ('upheld', 'lifted')),
	decided_at TIMESTAMP,
	decided_by BIGINT REFERENCES persons (id),
	note TEXT CHECK (note IS NULL OR (length(trim(note)) >= 1 AND length(note) <= 1000)),
	CONSTRAINT booking_penalty_reviews_decided CHECK ((decision IS NULL) = (decided_at IS NULL)
		AND (decision IS NULL) = (decided_by IS NULL) AND (decision IS NULL) = (note IS NULL))
);
CREATE INDEX booking_penalty_reviews_open ON booking_penalty_reviews (contested_at) WHERE decision IS NULL;
CREATE TRIGGER booking_penalty_reviews_final BEFORE UPDATE ON booking_penalty_reviews
WHEN OLD.decision IS NOT NULL OR NEW.penalty_id <> OLD.penalty_id OR NEW.reason <> OLD.reason
	OR NEW.contested_at <> OLD.contested_at
BEGIN SELECT RAISE(ABORT, 'booking_penalty_reviews: a contest is never changed, a decision is final'); END;
CREATE TRIGGER booking_penalty_reviews_kept BEFORE DELETE ON booking_penalty_reviews
BEGIN SELECT RAISE(ABORT, 'booking_penalty_reviews are never deleted'); END;
