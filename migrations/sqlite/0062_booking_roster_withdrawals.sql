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
