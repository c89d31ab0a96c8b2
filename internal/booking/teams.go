package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Teams: a verified citizen (the captain) creates a team and invites
// friends by the e-mail address of their account. The inviter never
// learns whether an account has the address: an invitation that nobody
// can answer simply stays "invited" (declined ones too, to the captain).
// The invited person sees it in "my space" and accepts or declines; a
// member leaves, the captain removes a member or withdraws an invitation.
//
// A facility whose rules let teams book (Who has WhoTeam) needs a team of
// at least Rules.TeamMin accepted, verified members who are not
// suspended; the captain holds the slot (one holder per slot, as ever),
// and every member counted — the booking's players — carries the booking
// in their own quotas and cap on future bookings: a member of several
// teams cannot pass their personal quota through them, and a team is
// also counted as one (quotas "per": "team").
//
// At the venue each player shows their own code (team_checkin.go). The
// slot counts as used once the holder and half the minimum team (rounded
// up) of the other players have checked in; otherwise the clock records
// the holder's no-show.

// WhoTeam: a team of registered members books.
const WhoTeam = "team"

// Limits of a team.
const (
	// maxTeamRows caps a team's invitations and members, all states.
	maxTeamRows = 60
	// maxTeams caps the teams one person captains.
	maxTeams = 10
)

// Team states of a membership.
const (
	MemberInvited  = "invited"
	MemberAccepted = "accepted"
	MemberDeclined = "declined"
	MemberLeft     = "left"
	MemberRemoved  = "removed"
)

// checkTeams refuses a team rule that contradicts itself or the
// facility: a team smaller than two, larger than the capacity, or a
// minimum for teams that may not book.
func checkTeams(f *Facility, bad func(key string, params ...any)) {
	r := f.Rules
	team := slices.Contains(r.Who, WhoTeam)
	switch {
	case team && r.TeamMin < 2:
		bad("booking.rules.team_min", "min", r.TeamMin)
	case team && r.TeamMin > f.Capacity:
		bad("booking.rules.team_capacity", "min", r.TeamMin, "capacity", f.Capacity)
	case !team && r.TeamMin != 0:
		bad("booking.rules.team_who")
	}
}

// teamNeed is how many players besides the holder must check in for a
// team slot to count as used: half the minimum team, rounded up.
func teamNeed(teamMin int) int { return max((teamMin+1)/2, 1) }

// Team is a team with its members as the reader may see them.
type Team struct {
	ID        int64
	Name      string
	Captain   int64
	CreatedAt time.Time
	// DissolvedAt: the captain dissolved the team (nil while it plays).
	DissolvedAt *time.Time
	Members     []Member
}

// Member is a membership or an invitation.
type Member struct {
	ID     int64
	Team   int64
	Person int64
	// Email is the invited address: the captain's to see, for the
	// invitations not (yet) accepted.
	Email string
	// Name is an accepted member's name (Latin and Arabic).
	Name, NameAR string
	State        string
	InvitedAt    time.Time
}

// Invitation is an invitation waiting for the reader's answer.
type Invitation struct {
	ID                    int64
	Team                  int64
	TeamName              string
	Captain, CaptainAR    string
	InvitedAt             time.Time
	Members, MinimumTeams int
}

// emailKey is an address's unique form, as the register of people keys
// persons.email_key (case-folded, trimmed).
func emailKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// plausibleEmail: one @ with something on each side, no spaces.
func plausibleEmail(k string) bool {
	local, domain, ok := strings.Cut(k, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(k, " \t\r\n<>,;") &&
		!strings.Contains(domain, "@") && len(k) <= 254 && utf8.ValidString(k)
}

// mine is the resource of a person's own part in teams.
func mine(a authz.Actor) authz.Resource { return authz.Resource{OwnerPerson: a.Person} }

// CreateTeam creates a team captained by a, who is its first member.
func (s *Service) CreateTeam(ctx context.Context, a authz.Actor, name string) (*Team, error) {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return nil, err
	}
	name = strings.Join(strings.Fields(name), " ")
	if n := utf8.RuneCountInString(name); n < 2 || n > 60 {
		return nil, errs.E(errs.Invalid, "booking.error.team_name").OnField("name")
	}
	now := s.clock()
	t := &Team{Name: name, Captain: a.Person, CreatedAt: now}
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "persons", "id", a.Person); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM booking_teams WHERE captain_id = $1 AND dissolved_at IS NULL`,
			a.Person).Scan(&n); err != nil {
			return err
		}
		if n >= maxTeams {
			return errs.E(errs.Conflict, "booking.error.team_many").With("max", maxTeams)
		}
		var key string
		if err := tx.QueryRowContext(ctx, `SELECT email_key FROM persons WHERE id = $1`, a.Person).Scan(&key); err != nil {
			return fmt.Errorf("booking: captain: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO booking_teams (name, captain_id, created_at) VALUES ($1, $2, $3) RETURNING id`,
			name, a.Person, now).Scan(&t.ID); err != nil {
			return fmt.Errorf("booking: create team: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_team_members (team_id, email_key, person_id, state, invited_by,
			invited_at, answered_at) VALUES ($1, $2, $3, 'accepted', $3, $4, $4)`, t.ID, key, a.Person, now); err != nil {
			return fmt.Errorf("booking: create team: %w", err)
		}
		return s.teamAudit(ctx, tx, a, t.ID, "booking.team_created", map[string]any{"name": name}, now)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) teamAudit(ctx context.Context, tx *db.Tx, a authz.Actor, team int64, action string, change map[string]any, now time.Time) error {
	_, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, mine(a)), Action: action, ObjectType: "booking_team",
		ObjectID: strconv.FormatInt(team, 10), Change: change, At: now})
	return err
}

// team reads a team; not found is the same answer as not yours.
func team(ctx context.Context, q db.Querier, id int64) (*Team, error) {
	t := &Team{ID: id}
	var dissolved sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT name, captain_id, created_at, dissolved_at FROM booking_teams WHERE id = $1`, id).
		Scan(&t.Name, &t.Captain, &t.CreatedAt, &dissolved)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "booking.error.team_not_found").Cause(err)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: team %d: %w", id, err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if dissolved.Valid {
		d := dissolved.Time.UTC()
		t.DissolvedAt = &d
	}
	return t, nil
}

// captainOf reads team id in tx, locked, for its captain a; a dissolved
// team is refused (it invites, books and changes no more).
func (s *Service) captainOf(ctx context.Context, tx *db.Tx, a authz.Actor, id int64) (*Team, error) {
	if err := tx.LockRow(ctx, "booking_teams", "id", id); err != nil {
		return nil, err
	}
	t, err := team(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ManageTeam, authz.Resource{OwnerPerson: t.Captain}); err != nil {
		return nil, errs.E(errs.NotFound, "booking.error.team_not_found").Cause(err)
	}
	if t.DissolvedAt != nil {
		return nil, errs.E(errs.Conflict, "booking.error.team_dissolved").OnField("team")
	}
	return t, nil
}

// Invite invites the owner of address email to team id, for its
// captain. Whether anyone has the address is never said.
func (s *Service) Invite(ctx context.Context, a authz.Actor, id int64, email string) error {
	key := emailKey(email)
	if !plausibleEmail(key) {
		return errs.E(errs.Invalid, "booking.error.team_email").OnField("email")
	}
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		t, err := s.captainOf(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM booking_team_members WHERE team_id = $1`, t.ID).Scan(&n); err != nil {
			return err
		}
		if n >= maxTeamRows {
			return errs.E(errs.Conflict, "booking.error.team_full").With("max", maxTeamRows)
		}
		now := s.clock()
		var mid int64
		err = tx.QueryRowContext(ctx, `INSERT INTO booking_team_members (team_id, email_key, state, invited_by, invited_at)
			VALUES ($1, $2, 'invited', $3, $4) RETURNING id`, t.ID, key, a.Person, now).Scan(&mid)
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "booking.error.team_invited").OnField("email").Cause(err)
		}
		if err != nil {
			return fmt.Errorf("booking: invite: %w", err)
		}
		if err := s.teamAudit(ctx, tx, a, t.ID, "booking.team_invited", map[string]any{"member": mid}, now); err != nil {
			return err
		}
		return s.teamEvent(ctx, tx, TeamChanged{Team: t.ID, Change: "invited", Member: mid, At: now})
	})
}

// membership is one row of booking_team_members.
type membership struct {
	id, team, person int64
	key, state       string
}

func readMembership(ctx context.Context, q db.Querier, id int64) (membership, error) {
	var m membership
	var p sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, team_id, email_key, person_id, state FROM booking_team_members WHERE id = $1`, id).
		Scan(&m.id, &m.team, &m.key, &p, &m.state)
	if errors.Is(err, sql.ErrNoRows) {
		return m, errs.E(errs.NotFound, "booking.error.team_not_found").Cause(err)
	}
	m.person = p.Int64
	return m, err
}

// verifiedKey is a's verified address's key, "" if not verified.
func verifiedKey(ctx context.Context, q db.Querier, person int64) (string, error) {
	var key string
	err := q.QueryRowContext(ctx, `SELECT email_key FROM persons WHERE id = $1 AND email_verified_at IS NOT NULL
		AND disabled_at IS NULL`, person).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return key, err
}

// Answer accepts or declines invitation id, for the verified owner of
// the invited address; to anyone else it does not exist.
func (s *Service) Answer(ctx context.Context, a authz.Actor, id int64, accept bool) error {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_team_members", "id", id); err != nil {
			return err
		}
		m, err := readMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		key, err := verifiedKey(ctx, tx, a.Person)
		if err != nil {
			return err
		}
		if key == "" || key != m.key {
			return errs.E(errs.NotFound, "booking.error.team_not_found")
		}
		if m.state != MemberInvited {
			return errs.E(errs.Conflict, "booking.error.team_answered")
		}
		if t, err := team(ctx, tx, m.team); err != nil {
			return err
		} else if t.DissolvedAt != nil && accept {
			return errs.E(errs.Conflict, "booking.error.team_dissolved")
		}
		to := MemberDeclined
		if accept {
			to = MemberAccepted
		}
		now := s.clock()
		_, err = tx.ExecContext(ctx, `UPDATE booking_team_members SET state = $1, person_id = $2, answered_at = $3 WHERE id = $4`,
			to, a.Person, now, id)
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "booking.error.team_member").Cause(err)
		}
		if err != nil {
			return fmt.Errorf("booking: answer: %w", err)
		}
		return s.teamAudit(ctx, tx, a, m.team, "booking.team_"+to, map[string]any{"member": id}, now)
	})
}

// Leave takes a out of team id; the captain stays.
func (s *Service) Leave(ctx context.Context, a authz.Actor, id int64) error {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_teams", "id", id); err != nil {
			return err
		}
		t, err := team(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Captain == a.Person {
			return errs.E(errs.Conflict, "booking.error.team_captain")
		}
		now := s.clock()
		res, err := tx.ExecContext(ctx, `UPDATE booking_team_members SET state = 'left', ended_at = $1 WHERE team_id = $2
			AND person_id = $3 AND state = 'accepted'`, now, id, a.Person)
		if err != nil {
			return fmt.Errorf("booking: leave: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "booking.error.team_not_found")
		}
		return s.teamAudit(ctx, tx, a, id, "booking.team_left", nil, now)
	})
}

// Remove removes member id (or withdraws an invitation), for the team's
// captain; the captain stays.
func (s *Service) Remove(ctx context.Context, a authz.Actor, id int64) error {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		m, err := readMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		t, err := s.captainOf(ctx, tx, a, m.team)
		if err != nil {
			return err
		}
		if m.person == t.Captain {
			return errs.E(errs.Conflict, "booking.error.team_captain")
		}
		if m.state != MemberInvited && m.state != MemberAccepted && m.state != MemberDeclined {
			return errs.E(errs.Conflict, "booking.error.team_answered")
		}
		now := s.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE booking_team_members SET state = 'removed', ended_at = $1 WHERE id = $2`, now, id); err != nil {
			return fmt.Errorf("booking: remove member: %w", err)
		}
		if err := s.teamAudit(ctx, tx, a, t.ID, "booking.team_removed", map[string]any{"member": id}, now); err != nil {
			return err
		}
		if m.state != MemberAccepted {
			return nil // an invitation withdrawn: nobody had joined
		}
		return s.teamEvent(ctx, tx, TeamChanged{Team: t.ID, Change: "removed", Member: id, Person: m.person, At: now})
	})
}

// Teams lists the teams a is an accepted member of, with their members:
// the accepted ones by name; to the captain also the invitations not
// accepted, by the address they typed (a declined one reads as
// invited: the captain learns nothing about whether an account exists).
func (s *Service) Teams(ctx context.Context, a authz.Actor) ([]*Team, error) {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.name, t.captain_id, t.created_at FROM booking_teams t
		JOIN booking_team_members m ON m.team_id = t.id WHERE m.person_id = $1 AND m.state = 'accepted'
		AND t.dissolved_at IS NULL ORDER BY t.name, t.id`, a.Person)
	if err != nil {
		return nil, fmt.Errorf("booking: teams: %w", err)
	}
	var out []*Team
	for rows.Next() {
		t := &Team{}
		if err := rows.Scan(&t.ID, &t.Name, &t.Captain, &t.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		t.CreatedAt = t.CreatedAt.UTC()
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range out {
		if t.Members, err = members(ctx, s.db, t.ID, t.Captain == a.Person); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// members lists team id's accepted members (and, for its captain, the
// invitations still open or declined).
func members(ctx context.Context, q db.Querier, id int64, captain bool) ([]Member, error) {
	states := `'accepted'`
	if captain {
		states = `'accepted', 'invited', 'declined'`
	}
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.email_key, COALESCE(m.person_id, 0), m.state, m.invited_at,
		COALESCE(p.given_name_latin || ' ' || p.family_name_latin, ''), COALESCE(p.given_name_ar || ' ' || p.family_name_ar, '')
		FROM booking_team_members m LEFT JOIN persons p ON p.id = m.person_id AND m.state = 'accepted'
		WHERE m.team_id = $1 AND m.state IN (`+states+`) ORDER BY m.state, m.id`, id)
	if err != nil {
		return nil, fmt.Errorf("booking: members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m := Member{Team: id}
		if err := rows.Scan(&m.ID, &m.Email, &m.Person, &m.State, &m.InvitedAt, &m.Name, &m.NameAR); err != nil {
			return nil, err
		}
		m.InvitedAt = m.InvitedAt.UTC()
		m.Name, m.NameAR = strings.TrimSpace(m.Name), strings.TrimSpace(m.NameAR)
		if m.State == MemberAccepted {
			m.Email = ""
		} else {
			m.State, m.Person = MemberInvited, 0 // declined reads as invited
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Invitations lists the invitations waiting for a's answer: to a's
// verified address.
func (s *Service) Invitations(ctx context.Context, a authz.Actor) ([]Invitation, error) {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return nil, err
	}
	key, err := verifiedKey(ctx, s.db, a.Person)
	if err != nil || key == "" {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, t.id, t.name, c.given_name_latin || ' ' || c.family_name_latin,
		c.given_name_ar || ' ' || c.family_name_ar, m.invited_at,
		(SELECT count(*) FROM booking_team_members o WHERE o.team_id = t.id AND o.state = 'accepted')
		FROM booking_team_members m JOIN booking_teams t ON t.id = m.team_id JOIN persons c ON c.id = t.captain_id
		WHERE m.email_key = $1 AND m.state = 'invited' AND t.dissolved_at IS NULL ORDER BY m.invited_at, m.id`, key)
	if err != nil {
		return nil, fmt.Errorf("booking: invitations: %w", err)
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		var v Invitation
		if err := rows.Scan(&v.ID, &v.Team, &v.TeamName, &v.Captain, &v.CaptainAR, &v.InvitedAt, &v.Members); err != nil {
			return nil, err
		}
		v.InvitedAt = v.InvitedAt.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// CaptainOf lists the teams a captains (for the facility page's choice).
func (s *Service) CaptainOf(ctx context.Context, a authz.Actor) ([]*Team, error) {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, captain_id, created_at FROM booking_teams WHERE captain_id = $1
		AND dissolved_at IS NULL ORDER BY name, id`, a.Person)
	if err != nil {
		return nil, fmt.Errorf("booking: teams: %w", err)
	}
	defer rows.Close()
	var out []*Team
	for rows.Next() {
		t := &Team{}
		if err := rows.Scan(&t.ID, &t.Name, &t.Captain, &t.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// personalSQL selects, with $1 the facility and $2 a person, the active
// bookings that count in the person's own quotas: those they hold in
// their own name and those they play in for a team.
// (One set of ids, each side read by its index, rather than an OR that
// would scan the facility's bookings.)
const personalSQL = `facility_code = $1 AND ` + activeSQL + ` AND id IN (SELECT id FROM bookings WHERE holder_id = $2
	AND holder_legal_id IS NULL UNION SELECT booking_id FROM booking_players WHERE person_id = $2)`

// players are the members of team id who count for a booking now: the
// accepted members whose account is verified and active, and who are not
// suspended by the penalty ladder in their own name (suspendedUntil: the
// penalties of their own bookings, not of those made for an association).
// Ascending ids.
func players(ctx context.Context, tx *db.Tx, id int64, now time.Time) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.person_id FROM booking_team_members m JOIN persons u ON u.id = m.person_id
		WHERE m.team_id = $1 AND m.state = 'accepted' AND u.email_verified_at IS NOT NULL AND u.disabled_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM booking_penalties p WHERE p.person_id = m.person_id AND p.legal_id IS NULL
			AND p.suspended_until > $2 AND `+notLifted+`)
		ORDER BY m.person_id`, id, now)
	if err != nil {
		return nil, fmt.Errorf("booking: players: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// teamAllowed checks, in tx, a team booking of f for team id by a (its
// captain): the holder's suspension, the team's size, the team's cap and
// quotas, and every player's own cap and quotas — under a lock on each
// player's row (ascending, so two bookings never wait on each other), so
// that no two bookings pass a quota together. It returns the players.
func (s *Service) teamAllowed(ctx context.Context, tx *db.Tx, f *Facility, a authz.Actor, id int64, start, now time.Time) ([]int64, error) {
	t, err := s.captainOf(ctx, tx, a, id)
	if err != nil {
		return nil, err
	}
	if sp, err := suspendedUntil(ctx, tx, a.Person, 0, now); err != nil {
		return nil, err
	} else if sp != nil {
		return nil, sp.refusal()
	}
	ps, err := players(ctx, tx, t.ID, now)
	if err != nil {
		return nil, err
	}
	if len(ps) < f.Rules.TeamMin || !slices.Contains(ps, a.Person) {
		return nil, errs.E(errs.Conflict, "booking.error.team_small").With("count", len(ps)).With("min", f.Rules.TeamMin).OnField("team")
	}
	for _, p := range ps {
		if err := tx.LockRow(ctx, "persons", "id", p); err != nil {
			return nil, err
		}
	}
	// The team, as one.
	ownTeam := `facility_code = $1 AND ` + activeSQL + ` AND id IN (SELECT booking_id FROM booking_team_slots WHERE team_id = $2)`
	n, err := count(ctx, tx, ownTeam+` AND slot_end > $3`, f.Code, t.ID, now)
	if err != nil {
		return nil, err
	}
	if n >= f.Rules.MaxFuture {
		return nil, errs.E(errs.Conflict, "booking.error.team_max_future").With("max", f.Rules.MaxFuture)
	}
	for _, q := range f.Rules.Quotas {
		if q.Per != WhoTeam {
			continue
		}
		from, to, ok := f.quotaPeriod(start, q.Period)
		if !ok {
			continue // a slot out of season
		}
		if n, err := count(ctx, tx, ownTeam+` AND slot_start >= $3 AND slot_start < $4`, f.Code, t.ID, from, to); err != nil {
			return nil, err
		} else if n >= q.Max {
			return nil, errs.E(errs.Conflict, "booking.error.team_quota."+q.Period).With("max", q.Max)
		}
	}
	// Each player, with what they hold or play in elsewhere.
	for _, p := range ps {
		n, err := count(ctx, tx, personalSQL+` AND slot_end > $3`, f.Code, p, now)
		if err != nil {
			return nil, err
		}
		if n >= f.Rules.MaxFuture {
			if p == a.Person {
				return nil, errs.E(errs.Conflict, "booking.error.max_future").With("max", f.Rules.MaxFuture)
			}
			return nil, errs.E(errs.Conflict, "booking.error.team_member_max").With("max", f.Rules.MaxFuture)
		}
		for _, q := range f.Rules.Quotas {
			if q.Per != WhoCitizen {
				continue
			}
			from, to, ok := f.quotaPeriod(start, q.Period)
			if !ok {
				continue
			}
			n, err := count(ctx, tx, personalSQL+` AND slot_start >= $3 AND slot_start < $4`, f.Code, p, from, to)
			if err != nil {
				return nil, err
			}
			if n >= q.Max {
				if p == a.Person {
					return nil, errs.E(errs.Conflict, "booking.error.quota."+q.Period).With("max", q.Max)
				}
				return nil, errs.E(errs.Conflict, "booking.error.team_member_quota."+q.Period).With("max", q.Max)
			}
		}
	}
	return ps, nil
}

// addTeamSlot records that booking b is team id's, with its players and
// how many of them must check in besides the holder.
func addTeamSlot(ctx context.Context, tx *db.Tx, f *Facility, b *Booking, id int64, ps []int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO booking_team_slots (booking_id, team_id, need) VALUES ($1, $2, $3)`,
		b.ID, id, teamNeed(f.Rules.TeamMin)); err != nil {
		return fmt.Errorf("booking: team slot: %w", err)
	}
	for _, p := range ps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_players (booking_id, person_id) VALUES ($1, $2)`, b.ID, p); err != nil {
			return fmt.Errorf("booking: players: %w", err)
		}
	}
	return nil
}

// TeamSlot is a team booking's team and check-in progress.
type TeamSlot struct {
	Team     int64
	TeamName string
	Need     int
	Players  []int64
	// In are the players checked in (the holder among them, if they are).
	In []int64
}

// Quorum reports whether the slot counts as used: the holder and Need
// other players checked in.
func (t *TeamSlot) Quorum(holder int64) bool {
	return slices.Contains(t.In, holder) && len(t.In)-1 >= t.Need
}

// teamSlot reads booking id's team slot; ok false for a booking that is
// not a team's.
func teamSlot(ctx context.Context, q db.Querier, id int64) (*TeamSlot, bool, error) {
	t := &TeamSlot{}
	err := q.QueryRowContext(ctx, `SELECT s.team_id, t.name, s.need FROM booking_team_slots s JOIN booking_teams t ON t.id = s.team_id
		WHERE s.booking_id = $1`, id).Scan(&t.Team, &t.TeamName, &t.Need)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("booking: team slot: %w", err)
	}
	for _, x := range []struct {
		sql string
		dst *[]int64
	}{{`SELECT person_id FROM booking_players WHERE booking_id = $1 ORDER BY person_id`, &t.Players},
		{`SELECT person_id FROM booking_checkins WHERE booking_id = $1 ORDER BY person_id`, &t.In}} {
		rows, err := q.QueryContext(ctx, x.sql, id)
		if err != nil {
			return nil, false, err
		}
		for rows.Next() {
			var p int64
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, false, err
			}
			*x.dst = append(*x.dst, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
	}
	return t, true, nil
}

// TeamSlot reads a booking's team slot for whoever may read the booking
// (Get's rules) or plays in it; ok false when the booking is no team's.
func (s *Service) TeamSlot(ctx context.Context, id int64) (*TeamSlot, bool, error) {
	return teamSlot(ctx, s.db, id)
}

// Played lists the team bookings a plays in without holding them, newest
// slot first.
func (s *Service) Played(ctx context.Context, a authz.Actor) ([]*Booking, error) {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return nil, err
	}
	return listBookings(ctx, s.db, `holder_id <> $1 AND id IN (SELECT booking_id FROM booking_players WHERE person_id = $1)`,
		`slot_start DESC, id DESC`, 200, a.Person)
}

// playerOf is a's membership of booking id's team when a plays in it
// (a player when it was booked, still an accepted member), else NotFound.
func (s *Service) playerOf(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*Booking, *Facility, int64, error) {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return nil, nil, 0, err
	}
	var mid int64
	err := q.QueryRowContext(ctx, `SELECT m.id FROM booking_team_slots s JOIN booking_players p ON p.booking_id = s.booking_id
		JOIN booking_team_members m ON m.team_id = s.team_id AND m.person_id = p.person_id AND m.state = 'accepted'
		WHERE s.booking_id = $1 AND p.person_id = $2`, id, a.Person).Scan(&mid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, 0, errs.E(errs.NotFound, "booking.error.not_found").Cause(err)
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("booking: player: %w", err)
	}
	b, err := booking(ctx, q, id)
	if err != nil {
		return nil, nil, 0, err
	}
	f, _, err := facility(ctx, q, b.Facility)
	if err != nil {
		return nil, nil, 0, err
	}
	return b, f, mid, nil
}

// PlayerBooking reads team booking id for one of its players.
func (s *Service) PlayerBooking(ctx context.Context, a authz.Actor, id int64) (*Booking, *Facility, error) {
	b, f, _, err := s.playerOf(ctx, s.db, a, id)
	return b, f, err
}
