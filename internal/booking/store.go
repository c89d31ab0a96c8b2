package booking

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// All SQL of bookings, one text for both engines.

func facility(ctx context.Context, q db.Querier, code string) (*Facility, int, error) {
	var def string
	var v int
	err := q.QueryRowContext(ctx, `SELECT definition, version FROM booking_facilities WHERE code = $1`, code).Scan(&def, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, errs.E(errs.NotFound, "booking.error.facility").Cause(err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("booking: facility %s: %w", code, err)
	}
	var f Facility
	if err := json.Unmarshal([]byte(def), &f); err != nil {
		return nil, 0, fmt.Errorf("booking: facility %s: %w", code, err)
	}
	return &f, v, nil
}

func facilities(ctx context.Context, q db.Querier, arr string) ([]*Facility, error) {
	rows, err := q.QueryContext(ctx, `SELECT definition FROM booking_facilities WHERE $1 = '' OR arrondissement_code = $1
		ORDER BY arrondissement_code, kind, code`, arr)
	if err != nil {
		return nil, fmt.Errorf("booking: facilities: %w", err)
	}
	defer rows.Close()
	var out []*Facility
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return nil, err
		}
		var f Facility
		if err := json.Unmarshal([]byte(def), &f); err != nil {
			return nil, err
		}
		out = append(out, &f)
	}
	return out, rows.Err()
}

const bookingColumns = `id, number, facility_code, slot_start, slot_end, holder_id, COALESCE(holder_legal_id, 0), group_code,
	method, token, state, confirm_by, checked_in_at, COALESCE(decided_by, 0), ended_at, created_at, updated_at, version,
	transferred_at`

func scanBooking(row interface{ Scan(...any) error }) (*Booking, error) {
	var b Booking
	var confirm, checked, ended, transferred sql.NullTime
	if err := row.Scan(&b.ID, &b.Number, &b.Facility, &b.Start, &b.End, &b.Holder, &b.HolderLegal, &b.Group, &b.Method,
		&b.Token, &b.State, &confirm, &checked, &b.DecidedBy, &ended, &b.CreatedAt, &b.UpdatedAt, &b.Version, &transferred); err != nil {
		return nil, err
	}
	b.ConfirmBy, b.CheckedInAt, b.EndedAt = nullTime(confirm), nullTime(checked), nullTime(ended)
	b.TransferredAt = nullTime(transferred)
	for _, t := range []*time.Time{&b.Start, &b.End, &b.CreatedAt, &b.UpdatedAt} {
		*t = t.UTC()
	}
	return &b, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func booking(ctx context.Context, q db.Querier, id int64) (*Booking, error) {
	b, err := scanBooking(q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "booking.error.not_found").Cause(err)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: read booking: %w", err)
	}
	return b, nil
}

func listBookings(ctx context.Context, q db.Querier, where, order string, limit int, args ...any) ([]*Booking, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM bookings WHERE %s ORDER BY %s LIMIT %d`,
		bookingColumns, where, order, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("booking: list bookings: %w", err)
	}
	defer rows.Close()
	var out []*Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// insertBooking writes a new booking; someone else holding the slot is a
// definite refusal (the unique index bookings_one_holder decides). Its
// token is b.Token when set (a draw's winner keeps its entry's), else new.
func insertBooking(ctx context.Context, tx *db.Tx, b *Booking) error {
	if b.Token == "" {
		b.Token = newToken()
	}
	b.Number, b.Version, b.UpdatedAt = newNumber(), 1, b.CreatedAt
	var legal any
	if b.HolderLegal != 0 {
		legal = b.HolderLegal
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO bookings (number, facility_code, slot_start, slot_end, holder_id,
		holder_legal_id, group_code, method, token, state, confirm_by, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1) RETURNING id`,
		b.Number, b.Facility, b.Start, b.End, b.Holder, legal, b.Group, b.Method, b.Token, string(b.State), b.ConfirmBy,
		b.CreatedAt).Scan(&b.ID)
	if db.IsUniqueViolation(err) {
		return errs.E(errs.Conflict, "booking.error.taken").Cause(err)
	}
	if err != nil {
		return fmt.Errorf("booking: insert: %w", err)
	}
	return nil
}

// bump writes a booking's moving parts, if nobody changed it since read.
func bump(ctx context.Context, tx *db.Tx, b *Booking, now time.Time) error {
	var decided any
	if b.DecidedBy != 0 {
		decided = b.DecidedBy
	}
	res, err := tx.ExecContext(ctx, `UPDATE bookings SET state = $1, confirm_by = $2, checked_in_at = $3, decided_by = $4,
		ended_at = $5, updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8`,
		string(b.State), b.ConfirmBy, b.CheckedInAt, decided, b.EndedAt, now, b.ID, b.Version)
	if err != nil {
		return fmt.Errorf("booking: update %d: %w", b.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "booking.error.stale")
	}
	b.Version++
	b.UpdatedAt = now
	return nil
}

func count(ctx context.Context, q db.Querier, where string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("booking: count: %w", err)
	}
	return n, nil
}

// notLifted keeps the penalties p (booking_penalties) that a review did
// not lift (review.go): a lifted one neither counts on the ladder nor
// suspends.
const notLifted = `NOT EXISTS (SELECT 1 FROM booking_penalty_reviews r WHERE r.penalty_id = p.id AND r.decision = 'lifted')`

// ladder selects, with $1 the account's id, the penalties p on the
// penalty ladder of an account: a legal person's (legal not 0) are those
// of the bookings held for it, whoever of its representatives booked;
// a person's own are those of the bookings they held in their own name.
// It returns the condition and the id for $1.
func ladder(person, legal int64) (string, int64) {
	if legal != 0 {
		return `p.legal_id = $1`, legal
	}
	return `p.person_id = $1 AND p.legal_id IS NULL`, person
}

// suspension is a suspension of the penalty ladder running: its end, and
// whose it is — a legal person's (Legal, with its names) or, Legal 0,
// the person's own.
type suspension struct {
	Until        time.Time
	Legal        int64
	Name, NameAR string
}

// refusal is the refusal of booking under suspension sp: the date in
// the reader's language (Casablanca time), and whose suspension it is.
func (sp *suspension) refusal() *errs.Error {
	if sp.Legal != 0 {
		return errs.E(errs.Forbidden, "booking.error.suspended_legal").With("date", dateText(sp.Until)).
			With("name", name(sp.NameAR, sp.Name)).WithMember("until", sp.Until)
	}
	return suspended(sp.Until)
}

// suspendedUntil is the suspension that stops person acting for legal (0:
// in their own name) at now, nil when none runs (a lifted penalty's
// suspension has ended). In their own name, only the penalties of their
// own bookings suspend them (not those of the bookings they made for an
// association). Acting for a legal person, its suspension stops whoever
// books for it, and so does the person's own: whoever holds a booking
// comes to it, and a person suspended for not coming does not book in an
// association's name either. Of two, the one ending last.
func suspendedUntil(ctx context.Context, q db.Querier, person, legal int64, now time.Time) (*suspension, error) {
	var l any
	if legal != 0 {
		l = legal
	}
	var sp suspension
	err := q.QueryRowContext(ctx, `SELECT p.suspended_until, COALESCE(p.legal_id, 0), COALESCE(l.name, ''), COALESCE(l.name_ar, '')
		FROM booking_penalties p LEFT JOIN legal_persons l ON l.id = p.legal_id
		WHERE ((p.person_id = $1 AND p.legal_id IS NULL) OR p.legal_id = $2) AND p.suspended_until > $3 AND `+notLifted+`
		ORDER BY p.suspended_until DESC, p.id DESC LIMIT 1`, person, l, now).Scan(&sp.Until, &sp.Legal, &sp.Name, &sp.NameAR)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("booking: suspension: %w", err)
	}
	sp.Until = sp.Until.UTC()
	return &sp, nil
}

type waiting struct {
	id, person, legal, team int64
	rank                    int
}

// addWaiting puts person (for legal, or for team with its players
// besides person) at the end of the slot's waitlist; it returns the
// place in the line.
func addWaiting(ctx context.Context, tx *db.Tx, code string, start time.Time, person, legal, team int64, players []int64,
	now time.Time) (int, error) {
	var rank int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(rank), 0) + 1 FROM booking_waitlist WHERE facility_code = $1 AND slot_start = $2`,
		code, start).Scan(&rank); err != nil {
		return 0, err
	}
	var l, t any
	if legal != 0 {
		l = legal
	}
	if team != 0 {
		t = team
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO booking_waitlist (facility_code, slot_start, person_id, legal_id, rank, state,
		joined_at, team_id) VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7) RETURNING id`, code, start, person, l, rank, now, t).Scan(&id); err != nil {
		return 0, err
	}
	// The holder's row is the database's (booking_waitlist_player); the
	// other players' copy the place's slot and state.
	for _, p := range players {
		if p == person {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_waitlist_players (waitlist_id, facility_code, slot_start, person_id, state)
			SELECT id, facility_code, slot_start, $2, state FROM booking_waitlist WHERE id = $1`, id, p); err != nil {
			return 0, err
		}
	}
	// Those ahead still waiting give the place in the line.
	var ahead int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM booking_waitlist WHERE facility_code = $1 AND slot_start = $2
		AND state = 'waiting' AND rank < $3`, code, start, rank).Scan(&ahead); err != nil {
		return 0, err
	}
	return ahead + 1, nil
}

func firstWaiting(ctx context.Context, tx *db.Tx, code string, start time.Time) (waiting, bool, error) {
	var w waiting
	err := tx.QueryRowContext(ctx, `SELECT id, person_id, COALESCE(legal_id, 0), COALESCE(team_id, 0), rank FROM booking_waitlist
		WHERE facility_code = $1 AND slot_start = $2 AND state = 'waiting' ORDER BY rank LIMIT 1`, code, start).
		Scan(&w.id, &w.person, &w.legal, &w.team, &w.rank)
	if errors.Is(err, sql.ErrNoRows) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("booking: waitlist: %w", err)
	}
	return w, true, nil
}

// WaitPlace is a person's place on a waitlist.
type WaitPlace struct {
	Facility string
	Start    time.Time
	Place    int
	// NotDrawn: the place comes from a draw the person entered and did
	// not win (the waitlist in the draw's order).
	NotDrawn bool
	// Team: the place is the team's of that name (the person its
	// captain or one of its players); "" in one's own name.
	Team string
}

// waitPlaces lists the places person waits in: their own, and their
// teams' they play in.
func waitPlaces(ctx context.Context, q db.Querier, person int64) ([]WaitPlace, error) {
	rows, err := q.QueryContext(ctx, `SELECT w.facility_code, w.slot_start,
		(SELECT count(*) FROM booking_waitlist o WHERE o.facility_code = w.facility_code AND o.slot_start = w.slot_start
			AND o.state = 'waiting' AND o.rank <= w.rank),
		CASE WHEN EXISTS (SELECT 1 FROM booking_entry_players ep JOIN booking_entries e ON e.id = ep.entry_id
			JOIN booking_draws d ON d.id = e.draw_id
			WHERE d.facility_code = w.facility_code AND d.slot_start = w.slot_start AND d.state = 'drawn'
			AND ep.person_id = wp.person_id AND e.rank > 1) THEN 1 ELSE 0 END, COALESCE(t.name, '')
		FROM booking_waitlist_players wp JOIN booking_waitlist w ON w.id = wp.waitlist_id
		LEFT JOIN booking_teams t ON t.id = w.team_id
		WHERE wp.person_id = $1 AND wp.state = 'waiting' ORDER BY w.slot_start, w.id`, person)
	if err != nil {
		return nil, fmt.Errorf("booking: waitlist places: %w", err)
	}
	defer rows.Close()
	var out []WaitPlace
	for rows.Next() {
		var p WaitPlace
		var notDrawn int
		if err := rows.Scan(&p.Facility, &p.Start, &p.Place, &notDrawn, &p.Team); err != nil {
			return nil, err
		}
		p.NotDrawn = notDrawn == 1
		p.Start = p.Start.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
