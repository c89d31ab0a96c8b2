-- One chance per association (issue #15, point 3; package booking,
-- draw.go Enter, service.go JoinWaitlist). An association (or a school)
-- has as many representatives as it likes; each could otherwise enter
-- the same draw for it, or wait for the same slot for it, multiplying
-- its chances — the capture the draw exists to stop. An association is
-- in a draw once, and waits for a slot once, whichever representative
-- asks. (A representative's own name is another person: their own
-- chance, as booking_entry_players already keeps it to one.)
CREATE UNIQUE INDEX booking_entries_legal_once ON booking_entries (draw_id, legal_id) WHERE legal_id IS NOT NULL;
CREATE UNIQUE INDEX booking_waitlist_legal_once ON booking_waitlist (facility_code, slot_start, legal_id)
	WHERE legal_id IS NOT NULL AND state = 'waiting';
