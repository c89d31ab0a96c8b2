package booking

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// The fair allocation of peak slots. A draw is created for a peak slot
// before requests are collected: its seed is drawn at random and sealed,
// and only its SHA-256 is published. People request the slot while the
// window is open, each request weighted by how long ago its maker was
// last served at a facility of the kind (never: the most). When the
// window closes the seed is revealed and the order computed by Order —
// which anyone can re-run from the published data (madina booking
// verify-draw): the first gets the slot, the others the waitlist in the
// draw's order. A slot nobody requested goes first-come. A captain
// enters for their team too (team_entries.go): the entry weighs as its
// least weighty player, and nobody is in a draw twice.

// Method is the published name of the draw's algorithm.
const Method = "weighted-lottery-v1"

// MaxWeight is the weight of someone never served (or not for
// MaxWeight days); someone served today weighs 1.
const MaxWeight = 30

// Entry is a request in a draw, as published: the anonymous token and
// the weight.
type Entry struct {
	Token  string `json:"token"`
	Weight int    `json:"weight"`
}

// Order is the draw's result: the entries' tokens, winner first. Each
// entry's key is u^(1/weight), u uniform in (0, 1) from HMAC-SHA256(seed,
// token) (weighted sampling without replacement, Efraimidis–Spirakis);
// the larger key comes first, ties by token. seed is the revealed seed
// (64 hexadecimal digits).
func Order(seed string, entries []Entry) ([]string, error) {
	key, err := hex.DecodeString(seed)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("booking: a seed is 64 hexadecimal digits")
	}
	type keyed struct {
		token string
		k     float64
	}
	ks := make([]keyed, 0, len(entries))
	for _, e := range entries {
		if e.Weight < 1 {
			return nil, fmt.Errorf("booking: entry %s weighs %d", e.Token, e.Weight)
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(e.Token))
		h := m.Sum(nil)
		u := (float64(binary.BigEndian.Uint64(h[:8])>>11) + 0.5) / (1 << 53)
		ks = append(ks, keyed{e.Token, math.Log(u) / float64(e.Weight)})
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		switch {
		case a.k > b.k:
			return -1
		case a.k < b.k:
			return 1
		case a.token < b.token:
			return -1
		case a.token > b.token:
			return 1
		}
		return 0
	})
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.token
	}
	return out, nil
}

// SeedHash is the published commitment of a seed.
func SeedHash(seed string) string {
	h := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(h[:])
}

// Draw is a peak slot's lottery.
type Draw struct {
	ID         int64
	Facility   string
	Start, End time.Time
	Opens      time.Time
	Closes     time.Time
	SeedHash   string
	Seed       string // "" until drawn
	State      string // open, drawn
	DrawnAt    *time.Time
}

// Published is a draw as the public register gives it, and as
// verify-draw reads it back.
type Published struct {
	Facility  string    `json:"facility"`
	SlotStart time.Time `json:"slot_start"`
	Method    string    `json:"method"`
	SeedHash  string    `json:"seed_hash"`
	Seed      string    `json:"seed,omitempty"`
	Opens     time.Time `json:"opens"`
	Closes    time.Time `json:"closes"`
	State     string    `json:"state"`
	Entries   []Entry   `json:"entries"`
	// Result is the tokens in the draw's order; the first wins unless
	// suspended since their request (a team: unless it lost its quorum).
	Result []string `json:"result,omitempty"`
	// Roster: a season roster's draw (roster.go), with each token's
	// choices and, once allocated, what each was given.
	Roster *RosterResult `json:"roster,omitempty"`
}

// Verify re-runs a published draw: the seed is the one committed, and
// the order is the one published.
func (p Published) Verify() error {
	if p.Method != Method {
		return fmt.Errorf("unknown method %q", p.Method)
	}
	if p.Seed == "" {
		return fmt.Errorf("the draw is not held yet: its seed is not revealed")
	}
	if SeedHash(p.Seed) != p.SeedHash {
		return fmt.Errorf("the revealed seed is not the one committed (SHA-256 %s, published %s)", SeedHash(p.Seed), p.SeedHash)
	}
	got, err := Order(p.Seed, p.Entries)
	if err != nil {
		return err
	}
	if !slices.Equal(got, p.Result) {
		return fmt.Errorf("the published result differs from the draw re-run (first: %v, published first: %v)", first(got), first(p.Result))
	}
	if p.Roster != nil {
		// A roster: every application weighs 1 (no acquired rights), and
		// each token in order gets its first choice still free.
		for _, e := range p.Entries {
			if e.Weight != 1 {
				return fmt.Errorf("roster entry %s weighs %d: a roster's entries all weigh 1", e.Token, e.Weight)
			}
		}
		for _, tok := range p.Roster.Withdrawn {
			if slices.ContainsFunc(p.Entries, func(e Entry) bool { return e.Token == tok }) {
				return fmt.Errorf("token %s is both withdrawn and drawn", tok)
			}
		}
		for tok := range p.Roster.GivenBack {
			if p.Roster.Granted[tok] == "" {
				return fmt.Errorf("token %s gave back a weekly slot it was not granted", tok)
			}
		}
		if p.Roster.Second != nil {
			if err := p.Roster.Second.verify(p.Roster.Granted, p.Roster.GivenBack); err != nil {
				return err
			}
		}
		want := Allocate(got, p.Roster.Choices)
		if len(want) != len(p.Roster.Granted) {
			return fmt.Errorf("the roster gave %d weekly slots, the allocation re-run %d", len(p.Roster.Granted), len(want))
		}
		for tok, k := range want {
			if p.Roster.Granted[tok] != k {
				return fmt.Errorf("token %s was given %q, the allocation re-run gives %q", tok, p.Roster.Granted[tok], k)
			}
		}
	}
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[0]
}

// openDraw returns the draw of a peak slot, creating it (with a fresh
// sealed seed) when there is none.
func (s *Service) openDraw(ctx context.Context, tx *db.Tx, f *Facility, sl Slot, now time.Time) (*Draw, error) {
	if d, err := drawOf(ctx, tx, f.Code, sl.Start); err == nil {
		return d, nil
	} else if !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	seed := hex.EncodeToString(raw[:])
	sealed := s.box.Seal([]byte(seed), "booking.draw:"+f.Code+"@"+sl.Start.Format(time.RFC3339))
	if _, err := tx.ExecContext(ctx, `INSERT INTO booking_draws (facility_code, slot_start, slot_end, opens_at, closes_at,
		seed_hash, sealed_seed, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)
		ON CONFLICT (facility_code, slot_start) DO NOTHING`,
		f.Code, sl.Start, sl.End, f.Release(sl.Start), f.DrawCloses(sl.Start), SeedHash(seed), sealed, now); err != nil {
		return nil, fmt.Errorf("booking: open draw: %w", err)
	}
	return drawOf(ctx, tx, f.Code, sl.Start)
}

// PrepareDraws commits the draws of the peak slots released within the
// next day, so that their seeds' hashes are published before their
// windows open. The booking clock calls it.
func (s *Service) PrepareDraws(ctx context.Context) (int, error) {
	now := s.clock()
	fs, err := facilities(ctx, s.db, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		if f.Rules.Peak == nil {
			continue
		}
		for d := 0; d <= f.Rules.HorizonDays+1; d++ {
			for _, sl := range f.Slots(calendar.DateOf(now).AddDays(d)) {
				rel := f.Release(sl.Start)
				if !sl.Peak || rel.After(now.Add(24*time.Hour)) || !now.Before(f.DrawCloses(sl.Start)) {
					continue
				}
				err := s.db.Transact(ctx, func(tx *db.Tx) error {
					_, err := s.openDraw(ctx, tx, f, sl, now)
					return err
				})
				if err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, nil
}

// Enter requests peak slot in.Start for a (or their association) in its
// draw, while the draw's window is open; with in.Team, for the team a
// captains (team_entries.go): checked as a team booking is, and weighing
// as its least weighty player. Nobody is in a draw twice. It returns the
// entry's token.
func (s *Service) Enter(ctx context.Context, a authz.Actor, in BookInput) (string, error) {
	f, _, err := facility(ctx, s.db, in.Facility)
	if err != nil {
		return "", err
	}
	now := s.clock()
	sl, err := s.admissible(ctx, a, f, &in, now)
	if err != nil {
		return "", err
	}
	if !sl.Peak {
		return "", errs.E(errs.Conflict, "booking.error.not_peak")
	}
	if !now.Before(f.DrawCloses(sl.Start)) {
		return "", errs.E(errs.Conflict, "booking.error.draw_closed")
	}
	token := newToken()
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		d, err := s.openDraw(ctx, tx, f, sl, now)
		if err != nil {
			return err
		}
		if d.State != "open" {
			return errs.E(errs.Conflict, "booking.error.draw_closed")
		}
		ps := []int64{a.Person} // everyone the entry is for
		if in.Team != 0 {
			if ps, err = s.teamAllowed(ctx, tx, f, a, in.Team, sl.Start, now); err != nil {
				return err
			}
		} else if err := s.allowed(ctx, tx, f, a.Person, a.ActingFor, sl.Start, now); err != nil {
			return err
		}
		if err := onceInDraw(ctx, tx, d.ID, a.Person, ps); err != nil {
			return err
		}
		if err := legalOnce(ctx, tx, "entered", a.ActingFor, `SELECT 1 FROM booking_entries WHERE legal_id = $1 AND draw_id = $2`,
			d.ID); err != nil {
			return err
		}
		// An association's entry weighs as the association was served;
		// a person's, or a team's, as its least recently served player.
		w := MaxWeight
		if a.ActingFor != 0 {
			if w, err = s.weight(ctx, tx, f, 0, a.ActingFor, now); err != nil {
				return err
			}
		} else {
			for _, p := range ps {
				pw, err := s.weight(ctx, tx, f, p, 0, now)
				if err != nil {
					return err
				}
				w = min(w, pw)
			}
		}
		var legal, team any
		if a.ActingFor != 0 {
			legal = a.ActingFor
		}
		if in.Team != 0 {
			team = in.Team
		}
		var eid int64
		err = tx.QueryRowContext(ctx, `INSERT INTO booking_entries (draw_id, person_id, legal_id, token, weight, entered_at, team_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, d.ID, a.Person, legal, token, w, now, team).Scan(&eid)
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "booking.error.entered").Cause(err)
		}
		if err != nil {
			return err
		}
		if err := addEntryPlayers(ctx, tx, eid, d.ID, a.Person, ps); err != nil {
			return err
		}
		if err := s.recordOrigin(ctx, tx, "enter", f.Code, sl.Start, a.Person, in.From, now); err != nil {
			return err
		}
		change := map[string]any{"weight": w}
		if in.Team != 0 {
			change["team"], change["players"] = in.Team, len(ps)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, owner(a)), Action: "booking.enter",
			ObjectType: "booking_draw", ObjectID: strconv.FormatInt(d.ID, 10), Change: change, At: now})
		return err
	})
	return token, err
}

// weight is how long ago (days) person — or legal person legal, when
// not 0 — was last served at a facility of f's kind, 1 to MaxWeight. A
// person is served by the slots they held in their own name and the team
// slots they were listed to play in (a team's players are served with
// it); a legal person by the slots held in its name, whichever
// representative booked them (those do not count for the representative).
func (s *Service) weight(ctx context.Context, q db.Querier, f *Facility, person, legal int64, now time.Time) (int, error) {
	const served = ` AND f.kind = $2 AND b.state IN ('held', 'checked_in', 'no_show') AND b.slot_start <= $3
		ORDER BY b.slot_start DESC LIMIT 1`
	queries := []string{
		`SELECT b.slot_start FROM bookings b JOIN booking_facilities f ON f.code = b.facility_code
		WHERE b.holder_id = $1 AND b.holder_legal_id IS NULL` + served,
		`SELECT b.slot_start FROM booking_players p JOIN bookings b ON b.id = p.booking_id JOIN booking_facilities f ON f.code = b.facility_code
		WHERE p.person_id = $1` + served,
	}
	who := person
	if legal != 0 {
		queries, who = []string{`SELECT b.slot_start FROM bookings b JOIN booking_facilities f ON f.code = b.facility_code
		WHERE b.holder_legal_id = $1` + served}, legal
	}
	var last time.Time
	for _, query := range queries {
		var t sql.NullTime
		if err := q.QueryRowContext(ctx, query, who, f.Kind, now).Scan(&t); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("booking: weight: %w", err)
		}
		if t.Valid && t.Time.After(last) {
			last = t.Time
		}
	}
	if last.IsZero() {
		return MaxWeight, nil
	}
	days := int(now.Sub(last).Hours() / 24)
	return min(max(days, 1), MaxWeight), nil
}

// RunDraw holds draw id once its window has closed: the seed revealed,
// the order computed, the winner booked (and told), the others put on the
// waitlist in the draw's order; someone suspended since their request is
// passed over, and so is a team that lost its quorum (the order stays
// the one anyone re-computes); a team that wins holds a team slot. The booking clock runs it (the system), or
// a facility manager (officially).
func (s *Service) RunDraw(ctx context.Context, a authz.Actor, id int64) (*Published, error) {
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_draws", "id", id); err != nil {
			return err
		}
		d, err := drawByID(ctx, tx, id)
		if err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, d.Facility)
		if err != nil {
			return err
		}
		// Nobody holds a draw they, their association or their team
		// entered.
		ents, err := entries(ctx, tx, id)
		if err != nil {
			return err
		}
		involved, err := drawInvolved(ctx, tx, id, ents)
		if err != nil {
			return err
		}
		if err := mayAllocate(a, f, involved); err != nil {
			return err
		}
		now := s.clock()
		if d.State != "open" {
			return errs.E(errs.Conflict, "booking.error.drawn")
		}
		if now.Before(d.Closes) {
			return errs.E(errs.Conflict, "booking.error.draw_open")
		}
		seedB, err := s.box.Open(sealedSeed(ctx, tx, id), "booking.draw:"+f.Code+"@"+d.Start.Format(time.RFC3339))
		if err != nil {
			return fmt.Errorf("booking: draw %d: unseal: %w", id, err)
		}
		seed := string(seedB)
		pub := make([]Entry, len(ents))
		for i, e := range ents {
			pub[i] = e.Entry
		}
		order, err := Order(seed, pub)
		if err != nil {
			return err
		}
		byToken := map[string]entry{}
		for _, e := range ents {
			byToken[e.Token] = e
		}
		won := false
		// A slot closed since the draw opened (a closure, new hours) is
		// still drawn, for the record, but nobody is booked or waits.
		_, offered := f.slotAt(d.Start)
		// So is a slot a season roster gave an association (roster.go).
		var held bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bookings WHERE facility_code = $1 AND slot_start = $2
			AND `+holdingSQL+`)`, f.Code, d.Start).Scan(&held); err != nil {
			return err
		} else if held {
			offered = false
		}
		for i, tok := range order {
			e := byToken[tok]
			if _, err := tx.ExecContext(ctx, `UPDATE booking_entries SET rank = $1 WHERE id = $2`, i+1, e.id); err != nil {
				return err
			}
			if !offered {
				continue
			}
			// Someone suspended since their request is passed over: no
			// booking, no waitlist place; so is a team that lost its
			// quorum since (team_entries.go).
			holder, ps := e.person, []int64(nil)
			if e.team != 0 {
				listed, err := entryPlayers(ctx, tx, e.id)
				if err != nil {
					return err
				}
				var ok bool
				if holder, ps, ok, err = teamStill(ctx, tx, f, e.team, listed, now); err != nil {
					return err
				} else if !ok {
					continue
				}
			} else if sp, err := suspendedUntil(ctx, tx, e.person, e.legal, now); err != nil {
				return err
			} else if sp != nil {
				continue
			}
			if !won {
				won = true
				// The winner's token on the register is the one the
				// published result names first, so that anyone can tell.
				b := &Booking{Facility: f.Code, Start: d.Start, End: d.End, Holder: holder, HolderLegal: e.legal,
					Method: ByDraw, State: Held, CreatedAt: now, Token: e.Token}
				if err := insertBooking(ctx, tx, b); err != nil {
					return err
				}
				if e.team != 0 {
					if err := addTeamSlot(ctx, tx, f, b, e.team, ps); err != nil {
						return err
					}
				}
				if err := s.record(ctx, tx, a, f, b, "won", now); err != nil {
					return err
				}
				continue
			}
			if _, err := addWaiting(ctx, tx, f.Code, d.Start, holder, e.legal, e.team, ps, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_draws SET seed = $1, state = 'drawn', drawn_at = $2 WHERE id = $3`,
			seed, now, id); err != nil {
			return err
		}
		label := "system"
		if !a.System {
			label = authz.ActorLabel(a, authz.Resource{Org: f.Organisation})
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking.draw", ObjectType: "booking_draw",
			ObjectID: strconv.FormatInt(id, 10), Change: map[string]any{"seed_hash": d.SeedHash, "entries": len(ents)}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.PublishedDraw(ctx, id)
}

// drawInvolved is everyone draw id's entries are for: those who made
// them, the associations they made them for, and the teams' players.
func drawInvolved(ctx context.Context, q db.Querier, id int64, ents []entry) (authz.Involved, error) {
	var in authz.Involved
	for _, e := range ents {
		in = in.AddPersons(e.person).AddLegals(e.legal)
	}
	ps, err := personIDs(ctx, q, `SELECT person_id FROM booking_entry_players WHERE draw_id = $1`, id)
	return in.AddPersons(ps...), err
}

// mayAllocate lets the booking clock (the system) or a manager of
// facility f, officially — never one of involved — hold a draw or
// allocate a roster.
func mayAllocate(a authz.Actor, f *Facility, involved authz.Involved) error {
	if a.System {
		return authz.Check(a, authz.SweepBookings, authz.Resource{Org: f.Organisation})
	}
	return authz.Check(a, authz.ManageBooking, authz.Resource{Org: f.Organisation, Arrondissement: f.Arrondissement, Involved: involved})
}

// PublishedDraw is draw id as the public register gives it: before the
// draw, the seed's hash and the entries' tokens and weights; after, the
// seed and the order too.
func (s *Service) PublishedDraw(ctx context.Context, id int64) (*Published, error) {
	d, err := drawByID(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	ents, err := entries(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	p := &Published{Facility: d.Facility, SlotStart: d.Start, Method: Method, SeedHash: d.SeedHash, Seed: d.Seed,
		Opens: d.Opens, Closes: d.Closes, State: d.State, Entries: []Entry{}}
	ranked := make([]string, len(ents))
	for _, e := range ents {
		p.Entries = append(p.Entries, e.Entry)
		if e.rank > 0 && e.rank <= len(ranked) {
			ranked[e.rank-1] = e.Token
		}
	}
	if d.State == "drawn" {
		p.Result = ranked
	}
	return p, nil
}

// DueDraws lists the draws whose window has closed and that are not held
// yet.
func (s *Service) DueDraws(ctx context.Context) ([]int64, error) {
	return s.dueIDs(ctx, "booking_draws")
}

// dueIDs lists the rows of table (booking_draws, booking_rosters) still
// open whose window has closed, the earliest closed first.
func (s *Service) dueIDs(ctx context.Context, table string) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM `+table+` WHERE state = 'open' AND closes_at <= $1 ORDER BY closes_at, id`, s.clock())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Draws lists a facility's draws, the latest slot first.
func (s *Service) Draws(ctx context.Context, code string, limit int) ([]*Draw, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+drawColumns+` FROM booking_draws WHERE facility_code = $1
		ORDER BY slot_start DESC LIMIT `+strconv.Itoa(limit), code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Draw
	for rows.Next() {
		d, err := scanDraw(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

const drawColumns = `id, facility_code, slot_start, slot_end, opens_at, closes_at, seed_hash, COALESCE(seed, ''), state, drawn_at`

func scanDraw(row interface{ Scan(...any) error }) (*Draw, error) {
	var d Draw
	var drawn sql.NullTime
	if err := row.Scan(&d.ID, &d.Facility, &d.Start, &d.End, &d.Opens, &d.Closes, &d.SeedHash, &d.Seed, &d.State, &drawn); err != nil {
		return nil, err
	}
	d.DrawnAt = nullTime(drawn)
	for _, t := range []*time.Time{&d.Start, &d.End, &d.Opens, &d.Closes} {
		*t = t.UTC()
	}
	return &d, nil
}

func drawOf(ctx context.Context, q db.Querier, code string, start time.Time) (*Draw, error) {
	d, err := scanDraw(q.QueryRowContext(ctx, `SELECT `+drawColumns+` FROM booking_draws WHERE facility_code = $1 AND slot_start = $2`, code, start))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "booking.error.draw").Cause(err)
	}
	return d, err
}

func drawByID(ctx context.Context, q db.Querier, id int64) (*Draw, error) {
	d, err := scanDraw(q.QueryRowContext(ctx, `SELECT `+drawColumns+` FROM booking_draws WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "booking.error.draw").Cause(err)
	}
	return d, err
}

func sealedSeed(ctx context.Context, q db.Querier, id int64) string {
	var s string
	_ = q.QueryRowContext(ctx, `SELECT sealed_seed FROM booking_draws WHERE id = $1`, id).Scan(&s)
	return s
}

type entry struct {
	Entry
	id, person, legal, team int64
	rank                    int
}

// entries reads a draw's entries in the order they were made (the
// published order; the draw's own order does not depend on it).
func entries(ctx context.Context, q db.Querier, id int64) ([]entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, person_id, COALESCE(legal_id, 0), COALESCE(team_id, 0), token, weight,
		COALESCE(rank, 0) FROM booking_entries WHERE draw_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.person, &e.legal, &e.team, &e.Token, &e.Weight, &e.rank); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
