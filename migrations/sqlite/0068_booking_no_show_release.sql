-- A no-show releases its slot (issue #15, point 5; package booking,
-- sweep.go noShow, service.go promote). The booking clock records a
-- no-show NoShowGrace after the slot began without its holder; the rest
-- of the slot then goes to the first one waiting for it, as a
-- cancellation's would, with a short time to confirm. A no-show keeps
-- its record (its penalty, the statistics) but no longer holds the
-- slot: one holder per slot is among those still to come or there.
DROP INDEX bookings_one_holder;
CREATE UNIQUE INDEX bookings_one_holder ON bookings (facility_code, slot_start)
	WHERE state IN ('pending', 'offered', 'held', 'checked_in');
