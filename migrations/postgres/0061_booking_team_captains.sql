-- Casa In's teams, continued: a captain hands the team over, or
-- dissolves it. The comments are in the SQLite migration of the same
-- number.
ALTER TABLE booking_teams ADD COLUMN dissolved_at TIMESTAMPTZ;

CREATE OR REPLACE FUNCTION booking_teams_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.created_at <> NEW.created_at
		OR (OLD.dissolved_at IS NOT NULL AND (NEW.dissolved_at IS NULL OR NEW.dissolved_at <> OLD.dissolved_at)) THEN
		RAISE EXCEPTION 'booking_teams: a team keeps its creation and its dissolution';
	END IF;
	IF OLD.captain_id <> NEW.captain_id AND (OLD.dissolved_at IS NOT NULL OR NEW.dissolved_at IS NOT NULL
		OR NOT EXISTS (SELECT 1 FROM booking_team_members m WHERE m.team_id = NEW.id
			AND m.person_id = NEW.captain_id AND m.state = 'accepted')) THEN
		RAISE EXCEPTION 'booking_teams: the captaincy goes to an accepted member of a team not dissolved';
	END IF;
	RETURN NEW;
END $$;

CREATE FUNCTION booking_team_members_dissolved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (TG_OP = 'INSERT' OR (OLD.state = 'invited' AND NEW.state = 'accepted'))
		AND EXISTS (SELECT 1 FROM booking_teams WHERE id = NEW.team_id AND dissolved_at IS NOT NULL) THEN
		RAISE EXCEPTION 'booking_team_members: a dissolved team takes no member';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_team_members_dissolved BEFORE INSERT OR UPDATE ON booking_team_members
FOR EACH ROW EXECUTE FUNCTION booking_team_members_dissolved();

CREATE FUNCTION booking_team_slots_dissolved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM booking_teams WHERE id = NEW.team_id AND dissolved_at IS NOT NULL) THEN
		RAISE EXCEPTION 'booking_team_slots: a dissolved team books nothing';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER booking_team_slots_dissolved BEFORE INSERT ON booking_team_slots
FOR EACH ROW EXECUTE FUNCTION booking_team_slots_dissolved();
