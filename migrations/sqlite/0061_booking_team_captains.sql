-- Casa In's teams, continued (issue #15, points 2 and 4; package
-- booking): a captain hands the team over, or dissolves it.
--
-- booking_teams_fixed of 0054 bound a team to its captain for good. It
-- is replaced: the captain changes only to an accepted member of the
-- team, and never once the team is dissolved (the package writes the
-- audit record booking.team_captain in the same transaction). Team
-- slots already booked keep their holder, the captain who booked them
-- (booking_team_slots_captain checks it when the slot is written only).
--
-- dissolved_at: the captain dissolved the team; set once, never
-- cleared. A dissolved team invites nobody, no invitation to it is
-- answered, and it books no team slot (the triggers below). Rows are
-- never deleted.
ALTER TABLE booking_teams ADD COLUMN dissolved_at TIMESTAMP;

DROP TRIGGER booking_teams_fixed;
CREATE TRIGGER booking_teams_fixed BEFORE UPDATE ON booking_teams
WHEN OLD.created_at <> NEW.created_at
	OR (OLD.dissolved_at IS NOT NULL AND (NEW.dissolved_at IS NULL OR NEW.dissolved_at <> OLD.dissolved_at))
BEGIN SELECT RAISE(ABORT, 'booking_teams: a team keeps its creation and its dissolution'); END;
CREATE TRIGGER booking_teams_captain BEFORE UPDATE OF captain_id ON booking_teams
WHEN OLD.captain_id <> NEW.captain_id AND (OLD.dissolved_at IS NOT NULL OR NEW.dissolved_at IS NOT NULL
	OR NOT EXISTS (SELECT 1 FROM booking_team_members m WHERE m.team_id = NEW.id
		AND m.person_id = NEW.captain_id AND m.state = 'accepted'))
BEGIN SELECT RAISE(ABORT, 'booking_teams: the captaincy goes to an accepted member of a team not dissolved'); END;

CREATE TRIGGER booking_team_members_dissolved BEFORE INSERT ON booking_team_members
WHEN EXISTS (SELECT 1 FROM booking_teams WHERE id = NEW.team_id AND dissolved_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'booking_team_members: a dissolved team invites nobody'); END;
CREATE TRIGGER booking_team_members_dissolved_answer BEFORE UPDATE OF state ON booking_team_members
WHEN OLD.state = 'invited' AND NEW.state = 'accepted'
	AND EXISTS (SELECT 1 FROM booking_teams WHERE id = NEW.team_id AND dissolved_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'booking_team_members: a dissolved team takes no member'); END;
CREATE TRIGGER booking_team_slots_dissolved BEFORE INSERT ON booking_team_slots
WHEN EXISTS (SELECT 1 FROM booking_teams WHERE id = NEW.team_id AND dissolved_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'booking_team_slots: a dissolved team books nothing'); END;
