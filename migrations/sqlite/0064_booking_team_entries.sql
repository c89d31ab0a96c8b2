-- Casa In's team entries (issue #15: "who may book: ... team of N
-- registered members"; "requests collected during a window are allocated
-- by a lottery"; "cancellations promote the next on the waitlist";
-- package booking): a captain enters a peak slot's draw, or joins a
-- taken slot's waitlist, for their team.
--
-- team_id: the entry (the waitlist place) is a team's, made by its
-- captain, who is the row's person (booking_entries_team,
-- booking_waitlist_team). Set when written, never changed.
ALTER TABLE booking_entries ADD COLUMN team_id BIGINT REFERENCES booking_teams (id);
ALTER TABLE booking_waitlist ADD COLUMN team_id BIGINT REFERENCES booking_teams (id);

CREATE TRIGGER booking_entries_team BEFORE INSERT ON booking_entries
WHEN NEW.team_id IS NOT NULL AND (NEW.legal_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM booking_teams t
	WHERE t.id = NEW.team_id AND t.captain_id = NEW.person_id AND t.dissolved_at IS NULL))
BEGIN SELECT RAISE(ABORT, 'booking_entries: a team''s entry is made by its captain, in their own name'); END;
CREATE TRIGGER booking_entries_team_fixed BEFORE UPDATE OF team_id ON booking_entries
WHEN COALESCE(OLD.team_id, 0) <> COALESCE(NEW.team_id, 0)
BEGIN SELECT RAISE(ABORT, 'booking_entries: an entry is never changed'); END;
CREATE TRIGGER booking_waitlist_team BEFORE INSERT ON booking_waitlist
WHEN NEW.team_id IS NOT NULL AND (NEW.legal_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM booking_teams t
	WHERE t.id = NEW.team_id AND t.captain_id = NEW.person_id AND t.dissolved_at IS NULL))
BEGIN SELECT RAISE(ABORT, 'booking_waitlist: a team''s place is taken by its captain, in their own name'); END;
CREATE TRIGGER booking_waitlist_team_fixed BEFORE UPDATE OF team_id ON booking_waitlist
WHEN COALESCE(OLD.team_id, 0) <> COALESCE(NEW.team_id, 0)
BEGIN SELECT RAISE(ABORT, 'booking_waitlist: a place is never handed to another team'); END;

-- booking_entry_players: everyone a draw's entry is for — its maker
-- (written by booking_entries_player with the entry itself, whether in
-- their own name, an association's or a team's) and a team entry's other
-- players (the team's players when it entered). One chance per person
-- per draw: nobody is in a draw twice, in their own name and in a
-- team's, or in two teams' (UNIQUE (draw_id, person_id)). Never changed.
CREATE TABLE booking_entry_players (
	entry_id BIGINT NOT NULL REFERENCES booking_entries (id),
	draw_id BIGINT NOT NULL REFERENCES booking_draws (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	PRIMARY KEY (entry_id, person_id),
	UNIQUE (draw_id, person_id)
);
CREATE INDEX booking_entry_players_person ON booking_entry_players (person_id);
INSERT INTO booking_entry_players (entry_id, draw_id, person_id) SELECT id, draw_id, person_id FROM booking_entries;
CREATE TRIGGER booking_entry_players_entry BEFORE INSERT ON booking_entry_players
WHEN NOT EXISTS (SELECT 1 FROM booking_entries e WHERE e.id = NEW.entry_id AND e.draw_id = NEW.draw_id
	AND (e.person_id = NEW.person_id OR e.team_id IS NOT NULL))
BEGIN SELECT RAISE(ABORT, 'booking_entry_players: a player of an entry of this draw (its maker, or a team''s)'); END;
CREATE TRIGGER booking_entries_player AFTER INSERT ON booking_entries
BEGIN INSERT INTO booking_entry_players (entry_id, draw_id, person_id) VALUES (NEW.id, NEW.draw_id, NEW.person_id); END;
CREATE TRIGGER booking_entry_players_fixed BEFORE UPDATE ON booking_entry_players
BEGIN SELECT RAISE(ABORT, 'booking_entry_players are never changed'); END;
CREATE TRIGGER booking_entry_players_kept BEFORE DELETE ON booking_entry_players
BEGIN SELECT RAISE(ABORT, 'booking_entry_players are never deleted'); END;

-- booking_waitlist_players: everyone a waitlist place is for — its
-- holder (booking_waitlist_player) and a team place's other players —
-- with the place's slot and state copied (booking_waitlist_state keeps
-- the state the place's). A person waits once per slot: in their own
-- name or in one team's place (booking_waitlist_players_once).
CREATE TABLE booking_waitlist_players (
	waitlist_id BIGINT NOT NULL REFERENCES booking_waitlist (id),
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	slot_start TIMESTAMP NOT NULL,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'left')),
	PRIMARY KEY (waitlist_id, person_id)
);
CREATE UNIQUE INDEX booking_waitlist_players_once ON booking_waitlist_players (facility_code, slot_start, person_id)
	WHERE state = 'waiting';
CREATE INDEX booking_waitlist_players_person ON booking_waitlist_players (person_id, state);
INSERT INTO booking_waitlist_players (waitlist_id, facility_code, slot_start, person_id, state)
	SELECT id, facility_code, slot_start, person_id, state FROM booking_waitlist;
CREATE TRIGGER booking_waitlist_players_place BEFORE INSERT ON booking_waitlist_players
WHEN NOT EXISTS (SELECT 1 FROM booking_waitlist w WHERE w.id = NEW.waitlist_id AND w.facility_code = NEW.facility_code
	AND w.slot_start = NEW.slot_start AND w.state = NEW.state AND (w.person_id = NEW.person_id OR w.team_id IS NOT NULL))
BEGIN SELECT RAISE(ABORT, 'booking_waitlist_players: a player of a place on this slot''s waitlist (its holder, or a team''s)'); END;
CREATE TRIGGER booking_waitlist_player AFTER INSERT ON booking_waitlist
BEGIN INSERT INTO booking_waitlist_players (waitlist_id, facility_code, slot_start, person_id, state)
	VALUES (NEW.id, NEW.facility_code, NEW.slot_start, NEW.person_id, NEW.state); END;
CREATE TRIGGER booking_waitlist_state AFTER UPDATE OF state ON booking_waitlist
WHEN OLD.state <> NEW.state
BEGIN UPDATE booking_waitlist_players SET state = NEW.state WHERE waitlist_id = NEW.id; END;
CREATE TRIGGER booking_waitlist_players_fixed BEFORE UPDATE ON booking_waitlist_players
WHEN OLD.waitlist_id <> NEW.waitlist_id OR OLD.facility_code <> NEW.facility_code OR OLD.slot_start <> NEW.slot_start
	OR OLD.person_id <> NEW.person_id OR NEW.state <> (SELECT state FROM booking_waitlist WHERE id = NEW.waitlist_id)
BEGIN SELECT RAISE(ABORT, 'booking_waitlist_players: a place''s players follow its state, nothing else changes'); END;
CREATE TRIGGER booking_waitlist_players_kept BEFORE DELETE ON booking_waitlist_players
BEGIN SELECT RAISE(ABORT, 'booking_waitlist_players are never deleted'); END;
