-- Casa In's team entries (issue #15; package booking). The comments are
-- in the SQLite migration of the same number.
ALTER TABLE booking_entries ADD COLUMN team_id BIGINT REFERENCES booking_teams (id);
ALTER TABLE booking_waitlist ADD COLUMN team_id BIGINT REFERENCES booking_teams (id);

CREATE FUNCTION booking_entries_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.team_id IS NOT NULL AND (NEW.legal_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM booking_teams t
		WHERE t.id = NEW.team_id AND t.captain_id = NEW.person_id AND t.dissolved_at IS NULL)) THEN
		RAISE EXCEPTION 'booking_entries: a team''s entry is made by its captain, in their own name';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_entries_team BEFORE INSERT ON booking_entries
FOR EACH ROW EXECUTE FUNCTION booking_entries_team();
CREATE FUNCTION booking_entries_team_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF COALESCE(OLD.team_id, 0) <> COALESCE(NEW.team_id, 0) THEN
		RAISE EXCEPTION 'booking_entries: an entry is never changed';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_entries_team_fixed BEFORE UPDATE ON booking_entries
FOR EACH ROW EXECUTE FUNCTION booking_entries_team_fixed();
CREATE FUNCTION booking_waitlist_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.team_id IS NOT NULL AND (NEW.legal_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM booking_teams t
		WHERE t.id = NEW.team_id AND t.captain_id = NEW.person_id AND t.dissolved_at IS NULL)) THEN
		RAISE EXCEPTION 'booking_waitlist: a team''s place is taken by its captain, in their own name';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_waitlist_team BEFORE INSERT ON booking_waitlist
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_team();
CREATE FUNCTION booking_waitlist_team_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF COALESCE(OLD.team_id, 0) <> COALESCE(NEW.team_id, 0) THEN
		RAISE EXCEPTION 'booking_waitlist: a place is never handed to another team';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_waitlist_team_fixed BEFORE UPDATE ON booking_waitlist
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_team_fixed();

CREATE TABLE booking_entry_players (
	entry_id BIGINT NOT NULL REFERENCES booking_entries (id),
	draw_id BIGINT NOT NULL REFERENCES booking_draws (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	PRIMARY KEY (entry_id, person_id),
	UNIQUE (draw_id, person_id)
);
CREATE INDEX booking_entry_players_person ON booking_entry_players (person_id);
INSERT INTO booking_entry_players (entry_id, draw_id, person_id) SELECT id, draw_id, person_id FROM booking_entries;
CREATE FUNCTION booking_entry_players_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM booking_entries e WHERE e.id = NEW.entry_id AND e.draw_id = NEW.draw_id
		AND (e.person_id = NEW.person_id OR e.team_id IS NOT NULL)) THEN
		RAISE EXCEPTION 'booking_entry_players: a player of an entry of this draw (its maker, or a team''s)';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_entry_players_entry BEFORE INSERT ON booking_entry_players
FOR EACH ROW EXECUTE FUNCTION booking_entry_players_entry();
CREATE FUNCTION booking_entries_player() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO booking_entry_players (entry_id, draw_id, person_id) VALUES (NEW.id, NEW.draw_id, NEW.person_id);
	RETURN NULL;
END $$;
CREATE TRIGGER booking_entries_player AFTER INSERT ON booking_entries
FOR EACH ROW EXECUTE FUNCTION booking_entries_player();
CREATE FUNCTION booking_entry_players_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'booking_entry_players are never changed or deleted'; END $$;
CREATE TRIGGER booking_entry_players_fixed BEFORE UPDATE ON booking_entry_players
FOR EACH ROW EXECUTE FUNCTION booking_entry_players_fixed();
CREATE TRIGGER booking_entry_players_kept BEFORE DELETE ON booking_entry_players
FOR EACH ROW EXECUTE FUNCTION booking_entry_players_fixed();

CREATE TABLE booking_waitlist_players (
	waitlist_id BIGINT NOT NULL REFERENCES booking_waitlist (id),
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	slot_start TIMESTAMPTZ NOT NULL,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'left')),
	PRIMARY KEY (waitlist_id, person_id)
);
CREATE UNIQUE INDEX booking_waitlist_players_once ON booking_waitlist_players (facility_code, slot_start, person_id)
	WHERE state = 'waiting';
CREATE INDEX booking_waitlist_players_person ON booking_waitlist_players (person_id, state);
INSERT INTO booking_waitlist_players (waitlist_id, facility_code, slot_start, person_id, state)
	SELECT id, facility_code, slot_start, person_id, state FROM booking_waitlist;
CREATE FUNCTION booking_waitlist_players_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM booking_waitlist w WHERE w.id = NEW.waitlist_id AND w.facility_code = NEW.facility_code
		AND w.slot_start = NEW.slot_start AND w.state = NEW.state AND (w.person_id = NEW.person_id OR w.team_id IS NOT NULL)) THEN
		RAISE EXCEPTION 'booking_waitlist_players: a player of a place on this slot''s waitlist (its holder, or a team''s)';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_waitlist_players_place BEFORE INSERT ON booking_waitlist_players
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_players_place();
CREATE FUNCTION booking_waitlist_player() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO booking_waitlist_players (waitlist_id, facility_code, slot_start, person_id, state)
		VALUES (NEW.id, NEW.facility_code, NEW.slot_start, NEW.person_id, NEW.state);
	RETURN NULL;
END $$;
CREATE TRIGGER booking_waitlist_player AFTER INSERT ON booking_waitlist
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_player();
CREATE FUNCTION booking_waitlist_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.state <> NEW.state THEN
		UPDATE booking_waitlist_players SET state = NEW.state WHERE waitlist_id = NEW.id;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER booking_waitlist_state AFTER UPDATE ON booking_waitlist
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_state();
CREATE FUNCTION booking_waitlist_players_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		RAISE EXCEPTION 'booking_waitlist_players are never deleted';
	END IF;
	IF OLD.waitlist_id <> NEW.waitlist_id OR OLD.facility_code <> NEW.facility_code OR OLD.slot_start <> NEW.slot_start
		OR OLD.person_id <> NEW.person_id OR NEW.state <> (SELECT state FROM booking_waitlist WHERE id = NEW.waitlist_id) THEN
		RAISE EXCEPTION 'booking_waitlist_players: a place''s players follow its state, nothing else changes';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_waitlist_players_fixed BEFORE UPDATE ON booking_waitlist_players
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_players_fixed();
CREATE TRIGGER booking_waitlist_players_kept BEFORE DELETE ON booking_waitlist_players
FOR EACH ROW EXECUTE FUNCTION booking_waitlist_players_fixed();
