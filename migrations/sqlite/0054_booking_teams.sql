-- Casa In's teams (issue #15, points 2 and 4; package booking): team
-- slots booked by a team of registered, verified members, and each
-- co-player's own check-in at the venue.
--
-- booking_teams: a team, created by its captain (a verified citizen);
-- the captain is bound to it (booking_teams_fixed) and is always one of
-- its accepted members (booking_team_members_captain). Never deleted.
CREATE TABLE booking_teams (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 60),
	captain_id BIGINT NOT NULL REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX booking_teams_captain ON booking_teams (captain_id);
CREATE TRIGGER booking_teams_fixed BEFORE UPDATE OF captain_id, created_at ON booking_teams
WHEN OLD.captain_id <> NEW.captain_id OR OLD.created_at <> NEW.created_at
BEGIN SELECT RAISE(ABORT, 'booking_teams: a team keeps its captain'); END;
CREATE TRIGGER booking_teams_kept BEFORE DELETE ON booking_teams
BEGIN SELECT RAISE(ABORT, 'booking_teams are never deleted'); END;

-- booking_team_members: an invitation to an e-mail address (email_key,
-- as persons.email_key folds it) and what became of it. The inviter
-- never learns whether an account has the address: an invitation nobody
-- can answer simply stays invited. Only the verified owner of the
-- address accepts or declines (person_id is then theirs, set once);
-- an accepted member leaves, or the captain removes them (or withdraws an
-- invitation). States move forward only; rows are never deleted.
CREATE TABLE booking_team_members (
	id INTEGER PRIMARY KEY,
	team_id BIGINT NOT NULL REFERENCES booking_teams (id),
	email_key TEXT NOT NULL CHECK (length(email_key) BETWEEN 3 AND 254 AND email_key = lower(trim(email_key))),
	person_id BIGINT REFERENCES persons (id),
	state TEXT NOT NULL CHECK (state IN ('invited', 'accepted', 'declined', 'left', 'removed')),
	invited_by BIGINT NOT NULL REFERENCES persons (id),
	invited_at TIMESTAMP NOT NULL,
	answered_at TIMESTAMP,
	ended_at TIMESTAMP,
	CONSTRAINT booking_team_members_person CHECK ((state = 'invited' AND person_id IS NULL)
		OR (state IN ('accepted', 'declined', 'left') AND person_id IS NOT NULL) OR state = 'removed'),
	CONSTRAINT booking_team_members_ended CHECK ((state IN ('left', 'removed')) = (ended_at IS NOT NULL))
);
CREATE UNIQUE INDEX booking_team_members_once ON booking_team_members (team_id, email_key) WHERE state IN ('invited', 'accepted');
CREATE UNIQUE INDEX booking_team_members_person ON booking_team_members (team_id, person_id) WHERE state = 'accepted';
CREATE INDEX booking_team_members_invitee ON booking_team_members (email_key, state);
CREATE INDEX booking_team_members_of ON booking_team_members (person_id, state);
CREATE TRIGGER booking_team_members_fixed BEFORE UPDATE OF team_id, email_key, invited_by, invited_at, person_id ON booking_team_members
WHEN OLD.team_id <> NEW.team_id OR OLD.email_key <> NEW.email_key OR OLD.invited_by <> NEW.invited_by
	OR OLD.invited_at <> NEW.invited_at OR (OLD.person_id IS NOT NULL AND COALESCE(NEW.person_id, 0) <> OLD.person_id)
BEGIN SELECT RAISE(ABORT, 'booking_team_members: an invitation is never readdressed'); END;
CREATE TRIGGER booking_team_members_transition BEFORE UPDATE OF state ON booking_team_members
WHEN OLD.state <> NEW.state AND (OLD.state || '>' || NEW.state) NOT IN (
	'invited>accepted', 'invited>declined', 'invited>removed', 'declined>removed', 'accepted>left', 'accepted>removed')
BEGIN SELECT RAISE(ABORT, 'booking_team_members: no such change of state'); END;
-- Only the verified owner of the invited address answers; the captain
-- stays an accepted member.
CREATE TRIGGER booking_team_members_answer BEFORE UPDATE ON booking_team_members
WHEN (NEW.state IN ('accepted', 'declined') AND OLD.state = 'invited' AND NOT EXISTS (SELECT 1 FROM persons p
		WHERE p.id = NEW.person_id AND p.email_key = NEW.email_key AND p.email_verified_at IS NOT NULL))
	OR (OLD.state = 'accepted' AND NEW.state <> 'accepted'
		AND OLD.person_id = (SELECT captain_id FROM booking_teams WHERE id = OLD.team_id))
BEGIN SELECT RAISE(ABORT, 'booking_team_members: answered by the address''s owner; the captain stays'); END;
CREATE TRIGGER booking_team_members_new BEFORE INSERT ON booking_team_members
WHEN NEW.state NOT IN ('invited', 'accepted') OR (NEW.state = 'accepted' AND NOT EXISTS (SELECT 1 FROM booking_teams t
	JOIN persons p ON p.id = t.captain_id WHERE t.id = NEW.team_id AND p.id = NEW.person_id AND p.email_key = NEW.email_key))
BEGIN SELECT RAISE(ABORT, 'booking_team_members: a member is invited (the captain joins at creation)'); END;
CREATE TRIGGER booking_team_members_kept BEFORE DELETE ON booking_team_members
BEGIN SELECT RAISE(ABORT, 'booking_team_members are never deleted'); END;

-- booking_team_slots: a booking made for a team, by its captain (the
-- holder); need is how many co-players must check in, with the holder,
-- for the slot to count as used (half the facility's minimum team,
-- rounded up, fixed when booked). Never changed.
CREATE TABLE booking_team_slots (
	booking_id BIGINT PRIMARY KEY NOT NULL REFERENCES bookings (id),
	team_id BIGINT NOT NULL REFERENCES booking_teams (id),
	need INTEGER NOT NULL CHECK (need BETWEEN 1 AND 1000)
);
CREATE INDEX booking_team_slots_team ON booking_team_slots (team_id);
CREATE TRIGGER booking_team_slots_captain BEFORE INSERT ON booking_team_slots
WHEN NOT EXISTS (SELECT 1 FROM bookings b JOIN booking_teams t ON t.captain_id = b.holder_id
	WHERE b.id = NEW.booking_id AND t.id = NEW.team_id AND b.holder_legal_id IS NULL)
BEGIN SELECT RAISE(ABORT, 'booking_team_slots: a team slot is held by the team''s captain'); END;
CREATE TRIGGER booking_team_slots_fixed BEFORE UPDATE ON booking_team_slots
BEGIN SELECT RAISE(ABORT, 'booking_team_slots are never changed'); END;
CREATE TRIGGER booking_team_slots_kept BEFORE DELETE ON booking_team_slots
BEGIN SELECT RAISE(ABORT, 'booking_team_slots are never deleted'); END;

-- booking_players: the team's accepted members when the slot was booked
-- (the holder among them). Each counts the booking in their own quotas,
-- so no one passes a quota through teams; each gets a check-in code.
CREATE TABLE booking_players (
	booking_id BIGINT NOT NULL REFERENCES booking_team_slots (booking_id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	PRIMARY KEY (booking_id, person_id)
);
CREATE INDEX booking_players_person ON booking_players (person_id, booking_id);
CREATE TRIGGER booking_players_fixed BEFORE UPDATE ON booking_players
BEGIN SELECT RAISE(ABORT, 'booking_players are never changed'); END;
CREATE TRIGGER booking_players_kept BEFORE DELETE ON booking_players
BEGIN SELECT RAISE(ABORT, 'booking_players are never deleted'); END;

-- booking_checkins: who of a team slot's players checked in, when, and
-- the staff member who scanned the code; once each (a replay is refused).
CREATE TABLE booking_checkins (
	id INTEGER PRIMARY KEY,
	booking_id BIGINT NOT NULL REFERENCES bookings (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	at TIMESTAMP NOT NULL,
	by_id BIGINT NOT NULL REFERENCES persons (id),
	UNIQUE (booking_id, person_id)
);
CREATE TRIGGER booking_checkins_player BEFORE INSERT ON booking_checkins
WHEN NOT EXISTS (SELECT 1 FROM booking_players WHERE booking_id = NEW.booking_id AND person_id = NEW.person_id)
BEGIN SELECT RAISE(ABORT, 'booking_checkins: only a player of the slot checks in'); END;
CREATE TRIGGER booking_checkins_fixed BEFORE UPDATE ON booking_checkins
BEGIN SELECT RAISE(ABORT, 'booking_checkins are never changed'); END;
CREATE TRIGGER booking_checkins_kept BEFORE DELETE ON booking_checkins
BEGIN SELECT RAISE(ABORT, 'booking_checkins are never deleted'); END;
