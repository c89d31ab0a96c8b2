package booking

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// The second round (issue #15 point 3, migration 0062). The first
// round gives each association one weekly slot at most; the slots it
// leaves ungranted, and those given back before the second round is
// allocated, are offered to the associations it gave nothing (they
// asked for one slot and got less: nothing; an association already
// served gets no second slot, which would take one from another). The
// mechanism is the first round's, its own commitment: when the first
// round is allocated a second seed is drawn, sealed, and its SHA-256
// published at once — before any second-round application — with a
// window from then to halfway between the first round's close and the
// season's first day (no second round when that moment has passed, or
// when the first round left no one without a slot). Eligible
// associations apply through a representative acting for them with up
// to three ranked choices among the slots not held by a first-round
// grant. When the window closes the seed is revealed, the order computed
// by Order with every application weighing 1, the slots offered fixed
// (the facility's weekly slots less the first round's grants still in
// force) and AllocateAmong gives each in order its first choice still
// offered and free; the bookings are made as in the first round. The
// published roster carries the round (second_round), which verify-draw
// re-runs like the first.

// Round is a roster's second round.
type Round struct {
	ID, Roster    int64
	Opens, Closes time.Time
	SeedHash      string
	Seed          string   // "" until allocated
	Offered       []string // fixed at allocation
	State         string   // open, allocated
	AllocatedAt   *time.Time
}

// RoundResult is the second round as the published roster gives it.
type RoundResult struct {
	SeedHash    string              `json:"seed_hash"`
	Seed        string              `json:"seed,omitempty"`
	Opens       time.Time           `json:"opens"`
	Closes      time.Time           `json:"closes"`
	State       string              `json:"state"`
	AllocatedAt *time.Time          `json:"allocated_at,omitempty"`
	Entries     []Entry             `json:"entries"`
	Choices     map[string][]string `json:"choices"`
	Offered     []string            `json:"offered,omitempty"`
	Result      []string            `json:"result,omitempty"`
	Granted     map[string]string   `json:"granted,omitempty"`
}

// AllocateAmong is Allocate restricted to the slots offered.
func AllocateAmong(order []string, choices map[string][]string, offered []string) map[string]string {
	only := map[string][]string{}
	for tok, cs := range choices {
		for _, c := range cs {
			if slices.Contains(offered, c) {
				only[tok] = append(only[tok], c)
			}
		}
	}
	return Allocate(order, only)
}

// verify re-runs an allocated second round of a roster whose first
// round gave granted (given back: givenBack).
func (x *RoundResult) verify(granted map[string]string, givenBack map[string]time.Time) error {
	if x.State != "allocated" {
		return nil
	}
	if x.Seed == "" || SeedHash(x.Seed) != x.SeedHash {
		return fmt.Errorf("second round: the revealed seed is not the one committed (published %s)", x.SeedHash)
	}
	for _, e := range x.Entries {
		if e.Weight != 1 {
			return fmt.Errorf("second round: entry %s weighs %d: a roster's entries all weigh 1", e.Token, e.Weight)
		}
		if _, ok := granted[e.Token]; ok {
			return fmt.Errorf("second round: token %s was given a slot in the first round", e.Token)
		}
	}
	got, err := Order(x.Seed, x.Entries)
	if err != nil {
		return err
	}
	if !slices.Equal(got, x.Result) {
		return fmt.Errorf("second round: the published order differs from the draw re-run")
	}
	for tok, k := range granted {
		if _, back := givenBack[tok]; slices.Contains(x.Offered, k) && !back {
			return fmt.Errorf("second round: it offered %q, which token %s holds from the first round", k, tok)
		}
	}
	want := AllocateAmong(got, x.Choices, x.Offered)
	if len(want) != len(x.Granted) {
		return fmt.Errorf("second round: it gave %d weekly slots, the allocation re-run %d", len(x.Granted), len(want))
	}
	for tok, k := range want {
		if x.Granted[tok] != k {
			return fmt.Errorf("second round: token %s was given %q, the allocation re-run gives %q", tok, x.Granted[tok], k)
		}
	}
	return nil
}

const roundColumns = `id, roster_id, opens_at, closes_at, seed_hash, COALESCE(seed, ''), COALESCE(offered, ''), state, allocated_at`

func scanRound(row interface{ Scan(...any) error }) (*Round, error) {
	var r Round
	var offered string
	var at sql.NullTime
	if err := row.Scan(&r.ID, &r.Roster, &r.Opens, &r.Closes, &r.SeedHash, &r.Seed, &offered, &r.State, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errs.E(errs.NotFound, "booking.error.roster_round_none").Cause(err)
		}
		return nil, err
	}
	if offered != "" {
		r.Offered = strings.Split(offered, ",")
	}
	r.Opens, r.Closes, r.AllocatedAt = r.Opens.UTC(), r.Closes.UTC(), nullTime(at)
	return &r, nil
}

func roundOf(ctx context.Context, q db.Querier, roster int64) (*Round, error) {
	return scanRound(q.QueryRowContext(ctx, `SELECT `+roundColumns+` FROM booking_roster_rounds WHERE roster_id = $1`, roster))
}

func roundAAD(r *Roster) string { return rosterAAD(r.Facility, r.SeasonFrom) + "#2" }

// RoundCloses is when roster r's second round closes: halfway between
// the first round's close and the season's first day.
func RoundCloses(r *Roster) time.Time {
	start, _ := time.ParseInLocation(time.DateOnly, r.SeasonFrom, i18n.Casablanca)
	return r.Closes.Add(start.Sub(r.Closes) / 2).UTC()
}

// openRound commits roster r's second round at its first round's
// allocation, when some application got nothing and there is still time.
func (s *Service) openRound(ctx context.Context, tx *db.Tx, r *Roster, nothing int, now time.Time) error {
	closes := RoundCloses(r)
	if nothing == 0 || !now.Before(closes) {
		return nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	seed := hex.EncodeToString(raw[:])
	_, err := tx.ExecContext(ctx, `INSERT INTO booking_roster_rounds (roster_id, opens_at, closes_at, seed_hash, sealed_seed, state,
		created_at) VALUES ($1, $2, $3, $4, $5, 'open', $2)`, r.ID, now, closes, SeedHash(seed), s.box.Seal([]byte(seed), roundAAD(r)))
	if err != nil {
		return fmt.Errorf("booking: second round: %w", err)
	}
	return nil
}

// RoundApplication is an association's second-round application.
type RoundApplication struct {
	ID, Round, Application int64
	Person                 int64
	Token                  string
	Choices                []WeeklySlot
	Rank                   int
	Granted                string
	Booked                 int
}

func roundApplications(ctx context.Context, q db.Querier, where string, args ...any) ([]*RoundApplication, error) {
	rows, err := q.QueryContext(ctx, `SELECT x.id, x.round_id, x.application_id, x.person_id, x.token, x.choice1,
		COALESCE(x.choice2, ''), COALESCE(x.choice3, ''), COALESCE(x.rank, 0), COALESCE(x.granted, ''),
		(SELECT count(*) FROM booking_roster_round_weeks w WHERE w.application_id = x.id AND w.outcome = 'booked')
		FROM booking_roster_round_applications x WHERE `+where+` ORDER BY x.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("booking: second-round applications: %w", err)
	}
	defer rows.Close()
	var out []*RoundApplication
	for rows.Next() {
		var p RoundApplication
		var c [3]string
		if err := rows.Scan(&p.ID, &p.Round, &p.Application, &p.Person, &p.Token, &c[0], &c[1], &c[2], &p.Rank, &p.Granted,
			&p.Booked); err != nil {
			return nil, err
		}
		for _, k := range c {
			if w, ok := ParseWeekly(k); ok {
				p.Choices = append(p.Choices, w)
			}
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}

// heldByFirst are the weekly slots the first round granted and nobody
// gave back.
func heldByFirst(apps []*Application) []string {
	var out []string
	for _, p := range apps {
		if p.Granted != "" && p.Withdrawal != GivenBack {
			out = append(out, p.Granted)
		}
	}
	return out
}

// ApplyRound records the second-round application of the association
// whose first-round application is app (it got nothing), for a
// representative acting for it, while the round is open.
func (s *Service) ApplyRound(ctx context.Context, a authz.Actor, app int64, choices []WeeklySlot) (*RoundApplication, error) {
	apps, err := applications(ctx, s.db, `a.id = $1`, app)
	if err != nil {
		return nil, err
	}
	if len(apps) != 1 {
		return nil, errs.E(errs.NotFound, "booking.error.roster_application")
	}
	first := apps[0]
	if err := authz.Check(a, authz.BookFacility, authz.Resource{OwnerLegal: first.Legal}); err != nil {
		return nil, err
	}
	out := &RoundApplication{Application: app, Person: a.Person, Token: newToken(), Choices: choices}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_rosters", "id", first.Roster); err != nil {
			return err
		}
		ro, err := roundOf(ctx, tx, first.Roster)
		if err != nil {
			return err
		}
		now := s.clock()
		if ro.State != "open" || !now.Before(ro.Closes) {
			return errs.E(errs.Conflict, "booking.error.roster_round_closed")
		}
		all, err := applications(ctx, tx, `a.roster_id = $1`, first.Roster)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(p *Application) bool { return p.ID == app })
		if p := all[i]; p.Rank == 0 || p.Granted != "" || p.Withdrawal != "" {
			return errs.E(errs.Conflict, "booking.error.roster_round_eligible")
		}
		f, _, err := facility(ctx, tx, first.Facility)
		if err != nil {
			return err
		}
		keys, err := checkChoices(f, choices)
		if err != nil {
			return err
		}
		held := heldByFirst(all)
		for i, k := range keys {
			if slices.Contains(held, k) {
				return errs.E(errs.Invalid, "booking.error.roster_round_slot").OnField("choice" + strconv.Itoa(i+1))
			}
		}
		if sp, err := suspendedUntil(ctx, tx, a.Person, a.ActingFor, now); err != nil {
			return err
		} else if sp != nil {
			return sp.refusal()
		}
		choice := func(i int) any {
			if i < len(keys) {
				return keys[i]
			}
			return nil
		}
		out.Round = ro.ID
		err = tx.QueryRowContext(ctx, `INSERT INTO booking_roster_round_applications (round_id, application_id, person_id, token,
			choice1, choice2, choice3, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			ro.ID, app, a.Person, out.Token, choice(0), choice(1), choice(2), now).Scan(&out.ID)
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "booking.error.roster_applied").Cause(err)
		}
		if err != nil {
			return fmt.Errorf("booking: second-round application: %w", err)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, authz.Resource{OwnerLegal: first.Legal}),
			Action: "booking.roster_round_apply", ObjectType: "booking_roster", ObjectID: strconv.FormatInt(first.Roster, 10),
			Change: map[string]any{"choices": keys}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkChoices checks an application's choices: one to MaxChoices of
// the facility's weekly slots, none twice; it returns their keys.
func checkChoices(f *Facility, choices []WeeklySlot) ([]string, error) {
	if len(choices) == 0 {
		return nil, errs.E(errs.Invalid, "booking.error.roster_choice").OnField("choice1")
	}
	if len(choices) > MaxChoices {
		return nil, errs.E(errs.Invalid, "booking.error.roster_choices").With("max", MaxChoices).OnField("choice1")
	}
	weekly := f.WeeklySlots()
	keys := make([]string, len(choices))
	for i, c := range choices {
		field := "choice" + strconv.Itoa(i+1)
		if !slices.Contains(weekly, c) {
			return nil, errs.E(errs.Invalid, "booking.error.roster_slot").OnField(field)
		}
		keys[i] = c.Key()
		if slices.Contains(keys[:i], keys[i]) {
			return nil, errs.E(errs.Invalid, "booking.error.roster_same").OnField(field)
		}
	}
	return keys, nil
}

// AllocateRound allocates roster id's second round once its window has
// closed: for the clock (the system) or a facility manager officially,
// never one who represents an applicant of either round.
func (s *Service) AllocateRound(ctx context.Context, a authz.Actor, roster int64) (*Published, error) {
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_rosters", "id", roster); err != nil {
			return err
		}
		r, err := rosterByID(ctx, tx, roster)
		if err != nil {
			return err
		}
		ro, err := roundOf(ctx, tx, roster)
		if err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, r.Facility)
		if err != nil {
			return err
		}
		apps, err := applications(ctx, tx, `a.roster_id = $1`, roster)
		if err != nil {
			return err
		}
		second, err := roundApplications(ctx, tx, `x.round_id = $1`, ro.ID)
		if err != nil {
			return err
		}
		var involved authz.Involved
		for _, p := range apps {
			involved = involved.AddPersons(p.Person).AddLegals(p.Legal)
		}
		for _, p := range second {
			involved = involved.AddPersons(p.Person)
		}
		if err := mayAllocate(a, f, involved); err != nil {
			return err
		}
		now := s.clock()
		if ro.State != "open" {
			return errs.E(errs.Conflict, "booking.error.roster_allocated")
		}
		if now.Before(ro.Closes) {
			return errs.E(errs.Conflict, "booking.error.roster_open").With("date", dateTimeText(ro.Closes))
		}
		var sealed string
		if err := tx.QueryRowContext(ctx, `SELECT sealed_seed FROM booking_roster_rounds WHERE id = $1`, ro.ID).Scan(&sealed); err != nil {
			return err
		}
		seedB, err := s.box.Open(sealed, roundAAD(r))
		if err != nil {
			return fmt.Errorf("booking: roster %d second round: unseal: %w", roster, err)
		}
		seed := string(seedB)
		held := heldByFirst(apps)
		var offered []string
		for _, w := range f.WeeklySlots() {
			if !slices.Contains(held, w.Key()) {
				offered = append(offered, w.Key())
			}
		}
		pub, choices := roundEntries(second)
		order, err := Order(seed, pub)
		if err != nil {
			return err
		}
		granted := AllocateAmong(order, choices, offered)
		legal := map[int64]int64{}
		for _, p := range apps {
			legal[p.ID] = p.Legal
		}
		byToken := map[string]*RoundApplication{}
		for _, p := range second {
			byToken[p.Token] = p
		}
		for i, tok := range order {
			p := byToken[tok]
			var g any
			if k, ok := granted[tok]; ok {
				g = k
			}
			if _, err := tx.ExecContext(ctx, `UPDATE booking_roster_round_applications SET rank = $1, granted = $2 WHERE id = $3`,
				i+1, g, p.ID); err != nil {
				return err
			}
			if g == nil {
				continue
			}
			w, _ := ParseWeekly(granted[tok])
			holder := &Application{ID: p.ID, Person: p.Person, Legal: legal[p.Application]}
			if err := s.rosterWeeks(ctx, tx, a, f, r, holder, w, now, "booking_roster_round_weeks"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_roster_rounds SET seed = $1, offered = $2, state = 'allocated',
			allocated_at = $3 WHERE id = $4`, seed, strings.Join(offered, ","), now, ro.ID); err != nil {
			return err
		}
		label := "system"
		if !a.System {
			label = authz.ActorLabel(a, authz.Resource{Org: f.Organisation})
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking.roster_round_allocate", ObjectType: "booking_roster",
			ObjectID: strconv.FormatInt(roster, 10), Change: map[string]any{"seed_hash": ro.SeedHash, "applications": len(second),
				"offered": offered, "granted": len(granted)}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.PublishedRoster(ctx, roster)
}

func roundEntries(apps []*RoundApplication) ([]Entry, map[string][]string) {
	pub := make([]Entry, 0, len(apps))
	choices := map[string][]string{}
	for _, p := range apps {
		pub = append(pub, Entry{Token: p.Token, Weight: 1})
		for _, c := range p.Choices {
			choices[p.Token] = append(choices[p.Token], c.Key())
		}
	}
	return pub, choices
}

// publishedRound is roster id's second round as published, nil if none.
func publishedRound(ctx context.Context, q db.Querier, id int64) (*RoundResult, error) {
	ro, err := roundOf(ctx, q, id)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	second, err := roundApplications(ctx, q, `x.round_id = $1`, ro.ID)
	if err != nil {
		return nil, err
	}
	pub, choices := roundEntries(second)
	out := &RoundResult{SeedHash: ro.SeedHash, Seed: ro.Seed, Opens: ro.Opens, Closes: ro.Closes, State: ro.State,
		AllocatedAt: ro.AllocatedAt, Entries: pub, Choices: choices, Offered: ro.Offered}
	if ro.State == "allocated" {
		out.Result = make([]string, len(second))
		out.Granted = map[string]string{}
		for _, p := range second {
			if p.Rank > 0 && p.Rank <= len(second) {
				out.Result[p.Rank-1] = p.Token
			}
			if p.Granted != "" {
				out.Granted[p.Token] = p.Granted
			}
		}
	}
	return out, nil
}

// DueRounds lists the rosters whose second round's window has closed
// and that are not allocated yet.
func (s *Service) DueRounds(ctx context.Context) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT roster_id FROM booking_roster_rounds WHERE state = 'open' AND closes_at <= $1
		ORDER BY closes_at, id`, s.clock())
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

// MyRounds lists the second-round applications of the association a
// acts for, by first-round application.
func (s *Service) MyRounds(ctx context.Context, a authz.Actor) (map[int64]*RoundApplication, error) {
	if a.ActingFor == 0 {
		return nil, nil
	}
	if err := authz.Check(a, authz.ReadBooking, owner(a)); err != nil {
		return nil, err
	}
	xs, err := roundApplications(ctx, s.db, `x.application_id IN (SELECT id FROM booking_roster_applications WHERE legal_id = $1)`, a.ActingFor)
	if err != nil {
		return nil, err
	}
	out := map[int64]*RoundApplication{}
	for _, x := range xs {
		out[x.Application] = x
	}
	return out, nil
}

// RoundOffer is roster id's second round and the weekly slots it offers
// now (the facility's less the first round's grants still in force);
// NotFound when the roster has none.
func (s *Service) RoundOffer(ctx context.Context, id int64) (*Round, []WeeklySlot, error) {
	ro, err := roundOf(ctx, s.db, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := rosterByID(ctx, s.db, id)
	if err != nil {
		return nil, nil, err
	}
	f, _, err := facility(ctx, s.db, r.Facility)
	if err != nil {
		return nil, nil, err
	}
	apps, err := applications(ctx, s.db, `a.roster_id = $1`, id)
	if err != nil {
		return nil, nil, err
	}
	held := heldByFirst(apps)
	var out []WeeklySlot
	for _, w := range f.WeeklySlots() {
		if !slices.Contains(held, w.Key()) {
			out = append(out, w)
		}
	}
	return ro, out, nil
}

// DeskRound is roster id's second round and its applications by
// first-round application, for the facility's desk; nil when the roster
// has none.
func (s *Service) DeskRound(ctx context.Context, a authz.Actor, id int64) (*Round, map[int64]*RoundApplication, error) {
	if _, err := s.deskRoster(ctx, a, id); err != nil {
		return nil, nil, err
	}
	ro, err := roundOf(ctx, s.db, id)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	xs, err := roundApplications(ctx, s.db, `x.round_id = $1`, ro.ID)
	if err != nil {
		return nil, nil, err
	}
	out := map[int64]*RoundApplication{}
	for _, x := range xs {
		out[x.Application] = x
	}
	return ro, out, nil
}
