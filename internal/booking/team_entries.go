package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Team entries: a captain enters a peak slot's draw, or joins a taken
// slot's waitlist, for their team (Enter, JoinWaitlist with
// BookInput.Team), checked as a team booking is (teamAllowed). The entry
// (the place) lists the team's players of that moment: everyone it is
// for, its maker among them (booking_entry_players,
// booking_waitlist_players). One chance per person per draw: nobody is
// in a draw twice, in their own name and in a team's, or in two teams';
// nobody waits twice for one slot. The service says so, naming who and
// why; the database keeps it whatever races.
//
// A team entry weighs as its least weighty player: a team with someone
// served recently is not heavier for the others. The draw itself is
// unchanged: tokens and weights, Order, verify-draw.
//
// When the draw is held (a freed slot offered), the team must still have
// its quorum: of the players listed when it entered, those still
// accepted members, verified, active and not suspended, the team's
// captain among them, at least the facility's minimum team. If so the
// team slot is held by the team's captain of the moment, with those
// players; if not, the entry (the place) is passed over, as a suspended
// person's is.

// onceInDraw refuses an entry of draw for persons (maker first among
// them, or alone) when any of them is in the draw already.
func onceInDraw(ctx context.Context, tx *db.Tx, draw, maker int64, persons []int64) error {
	for _, p := range makerFirst(maker, persons) {
		var team sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT t.name FROM booking_entry_players ep JOIN booking_entries e ON e.id = ep.entry_id
			LEFT JOIN booking_teams t ON t.id = e.team_id WHERE ep.draw_id = $1 AND ep.person_id = $2`, draw, p).Scan(&team)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("booking: entries: %w", err)
		}
		return twice(ctx, tx, "entered", maker, p, team)
	}
	return nil
}

// onceWaiting refuses a place on the slot's waitlist for persons when
// any of them waits for it already.
func onceWaiting(ctx context.Context, tx *db.Tx, code string, start time.Time, maker int64, persons []int64) error {
	for _, p := range makerFirst(maker, persons) {
		var team sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT t.name FROM booking_waitlist_players wp JOIN booking_waitlist w ON w.id = wp.waitlist_id
			LEFT JOIN booking_teams t ON t.id = w.team_id WHERE wp.facility_code = $1 AND wp.slot_start = $2 AND wp.person_id = $3
			AND wp.state = 'waiting'`, code, start, p).Scan(&team)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("booking: waitlist: %w", err)
		}
		return twice(ctx, tx, "waiting", maker, p, team)
	}
	return nil
}

// legalOnce refuses a second chance (what: entered, waiting) for legal
// person legal (0: none asked for) when exists finds one already: an
// association is in a draw once, and waits for a slot once, whichever
// of its representatives asks (migration 0066 keeps it too).
func legalOnce(ctx context.Context, tx *db.Tx, what string, legal int64, exists string, args ...any) error {
	if legal == 0 {
		return nil
	}
	var n, nameAR string
	err := tx.QueryRowContext(ctx, `SELECT l.name, COALESCE(l.name_ar, '') FROM legal_persons l WHERE l.id = $1 AND EXISTS (`+exists+`)`,
		append([]any{legal}, args...)...).Scan(&n, &nameAR)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("booking: %s: %w", what, err)
	}
	return errs.E(errs.Conflict, "booking.error."+what+"_legal").With("name", name(nameAR, n))
}

// makerFirst is persons with maker first (the refusal says "you" first).
func makerFirst(maker int64, persons []int64) []int64 {
	return append([]int64{maker}, slices.DeleteFunc(slices.Clone(persons), func(p int64) bool { return p == maker })...)
}

// twice is the refusal of a second chance (what: entered, waiting) for
// person p: the maker themself in their own name (the old refusal), the
// maker with a team, or another player of the maker's team — named.
func twice(ctx context.Context, q db.Querier, what string, maker, p int64, team sql.NullString) error {
	if p == maker {
		if !team.Valid {
			return errs.E(errs.Conflict, "booking.error."+what)
		}
		return errs.E(errs.Conflict, "booking.error."+what+"_team").With("team", team.String).OnField("team")
	}
	var latin, ar string
	if err := q.QueryRowContext(ctx, `SELECT given_name_latin || ' ' || family_name_latin, given_name_ar || ' ' || family_name_ar
		FROM persons WHERE id = $1`, p).Scan(&latin, &ar); err != nil {
		return fmt.Errorf("booking: player %d: %w", p, err)
	}
	latin, ar = strings.TrimSpace(latin), strings.TrimSpace(ar)
	name := i18n.Text{AR: pickName(i18n.AR, latin, ar), FR: pickName(i18n.FR, latin, ar), EN: pickName(i18n.EN, latin, ar)}
	return errs.E(errs.Conflict, "booking.error."+what+"_player").With("name", name).OnField("team")
}

// addEntryPlayers lists entry's players besides its maker (whose row is
// the database's: booking_entries_player).
func addEntryPlayers(ctx context.Context, tx *db.Tx, entry, draw, maker int64, persons []int64) error {
	for _, p := range persons {
		if p == maker {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO booking_entry_players (entry_id, draw_id, person_id) VALUES ($1, $2, $3)`, entry, draw, p)
		if db.IsUniqueViolation(err) {
			// A race onceInDraw could not see: the database's answer.
			return errs.E(errs.Conflict, "booking.error.entered_once").Cause(err)
		}
		if err != nil {
			return fmt.Errorf("booking: entry players: %w", err)
		}
	}
	return nil
}

func personIDs(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
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

// entryPlayers are the players listed in draw entry id.
func entryPlayers(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	return personIDs(ctx, q, `SELECT person_id FROM booking_entry_players WHERE entry_id = $1 ORDER BY person_id`, id)
}

// waitingPlayers are the players listed in waitlist place id.
func waitingPlayers(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	return personIDs(ctx, q, `SELECT person_id FROM booking_waitlist_players WHERE waitlist_id = $1 ORDER BY person_id`, id)
}

// teamStill reports whether team id, which entered (waits) with the
// players listed, may still be given f's slot now: not dissolved, teams
// still book f, and of the listed players those who still count
// (players) — its captain of the moment among them — at least the
// minimum team. It returns the captain and those players.
func teamStill(ctx context.Context, tx *db.Tx, f *Facility, id int64, listed []int64, now time.Time) (int64, []int64, bool, error) {
	t, err := team(ctx, tx, id)
	if err != nil {
		return 0, nil, false, err
	}
	if t.DissolvedAt != nil || !slices.Contains(f.Rules.Who, WhoTeam) {
		return 0, nil, false, nil
	}
	current, err := players(ctx, tx, id, now)
	if err != nil {
		return 0, nil, false, err
	}
	ps := slices.DeleteFunc(current, func(p int64) bool { return !slices.Contains(listed, p) })
	if !slices.Contains(ps, t.Captain) || len(ps) < f.Rules.TeamMin {
		return 0, nil, false, nil
	}
	return t.Captain, ps, true, nil
}

// EntryPlace is a draw not yet held that one is in: in one's own name
// (or an association's), or with a team (Team its name).
type EntryPlace struct {
	Facility      string
	Start, Closes time.Time
	Team          string
	// Captain: one made the entry (in one's own name, or as the team's
	// captain); else one is a player of the team's entry.
	Captain bool
}

// Entries lists the draws not yet held that a is in: their own entries
// and their teams' they play in, the earliest slot first.
func (s *Service) Entries(ctx context.Context, a authz.Actor) ([]EntryPlace, error) {
	if err := authz.Check(a, authz.ReadBooking, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT d.facility_code, d.slot_start, d.closes_at, COALESCE(t.name, ''),
		CASE WHEN e.person_id = ep.person_id THEN 1 ELSE 0 END
		FROM booking_entry_players ep JOIN booking_entries e ON e.id = ep.entry_id JOIN booking_draws d ON d.id = ep.draw_id
		LEFT JOIN booking_teams t ON t.id = e.team_id
		WHERE ep.person_id = $1 AND d.state = 'open' AND e.legal_id IS NULL ORDER BY d.slot_start, d.id`, a.Person)
	if err != nil {
		return nil, fmt.Errorf("booking: entries: %w", err)
	}
	defer rows.Close()
	var out []EntryPlace
	for rows.Next() {
		var p EntryPlace
		var captain int
		if err := rows.Scan(&p.Facility, &p.Start, &p.Closes, &p.Team, &captain); err != nil {
			return nil, err
		}
		p.Start, p.Closes, p.Captain = p.Start.UTC(), p.Closes.UTC(), captain == 1
		out = append(out, p)
	}
	return out, rows.Err()
}
