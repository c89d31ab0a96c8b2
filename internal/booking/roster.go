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

// Season rosters (issue #15 point 3). Before each season of a facility
// whose rules have a roster, associations apply — through a
// representative acting for them — for one weekly slot of the season,
// with up to three ranked choices, during the roster's window (from
// OpensDays to ClosesDays before the season's first day). When the
// window opens the roster's seed is drawn and sealed, its SHA-256
// published; when it closes the seed is revealed and the order computed
// by Order, the peak slots' lottery, with every application weighing 1:
// holding a slot last season counts for nothing, for or against (no
// acquired rights). Each association in that order gets its first choice
// that no one before it got (Allocate); its weekly slot becomes its
// bookings for every week of the season, in one transaction, skipping
// the days the facility is closed and the weeks someone else already
// holds (listed, never double-booked). The published roster is a draw
// for madina booking verify-draw, with the choices and what each token
// got, so that anyone re-runs the allocation too.

// RosterRule opens a facility's seasons to associations' applications
// from OpensDays to ClosesDays before the season's first day (00:00,
// Casablanca).
type RosterRule struct {
	OpensDays  int `json:"opens_days"`
	ClosesDays int `json:"closes_days"`
}

// MaxChoices is how many weekly slots an application ranks.
const MaxChoices = 3

// WeeklySlot is a slot of every week: ISO weekday (1 Monday … 7 Sunday)
// and start time ("HH:MM").
type WeeklySlot struct {
	Day  int
	Time string
}

// Key is the slot as stored and published: "6@17:00".
func (w WeeklySlot) Key() string { return strconv.Itoa(w.Day) + "@" + w.Time }

// ParseWeekly reads a Key.
func ParseWeekly(s string) (WeeklySlot, bool) {
	d, t, ok := strings.Cut(s, "@")
	n, err := strconv.Atoi(d)
	if !ok || err != nil || n < 1 || n > 7 {
		return WeeklySlot{}, false
	}
	if _, ok := clock(t); !ok {
		return WeeklySlot{}, false
	}
	return WeeklySlot{Day: n, Time: t}, true
}

// checkRoster adds to Check the roster rule's contradictions.
func (f *Facility) checkRoster(bad func(key string, params ...any)) {
	r := f.Rules.Roster
	if r == nil {
		return
	}
	if r.ClosesDays < 1 || r.OpensDays <= r.ClosesDays || r.OpensDays > 365 {
		bad("booking.rules.roster", "opens", r.OpensDays, "closes", r.ClosesDays)
	}
	if !slices.Contains(f.Rules.Who, WhoAssociation) {
		bad("booking.rules.roster_who")
	}
	if len(f.Seasons) == 0 {
		bad("booking.rules.roster_season")
	}
}

// WeeklySlots lists the facility's weekly slots, Monday first.
func (f *Facility) WeeklySlots() []WeeklySlot {
	var out []WeeklySlot
	for d := 1; d <= 7; d++ {
		o, c, ok := f.opening(d)
		if !ok || f.SlotMinutes <= 0 {
			continue
		}
		for m := o; m+f.SlotMinutes <= c; m += f.SlotMinutes {
			out = append(out, WeeklySlot{Day: d, Time: fmt.Sprintf("%02d:%02d", m/60, m%60)})
		}
	}
	return out
}

// RosterWindow is when season s's applications open and close.
func (f *Facility) RosterWindow(s Season) (time.Time, time.Time, bool) {
	r := f.Rules.Roster
	start, err := time.ParseInLocation(time.DateOnly, s.From, i18n.Casablanca)
	if r == nil || err != nil {
		return time.Time{}, time.Time{}, false
	}
	return start.AddDate(0, 0, -r.OpensDays).UTC(), start.AddDate(0, 0, -r.ClosesDays).UTC(), true
}

// RosterSeason is the season whose applications are open at now.
func (f *Facility) RosterSeason(now time.Time) (Season, bool) {
	for _, s := range f.Seasons {
		if o, c, ok := f.RosterWindow(s); ok && !now.Before(o) && now.Before(c) {
			return s, true
		}
	}
	return Season{}, false
}

// Roster is a facility's roster draw for a season.
type Roster struct {
	ID                   int64
	Facility             string
	SeasonFrom, SeasonTo string
	Opens, Closes        time.Time
	SeedHash             string
	Seed                 string // "" until allocated
	State                string // open, allocated
	AllocatedAt          *time.Time
}

// Application is an association's application to a roster, with its
// result once allocated.
type Application struct {
	ID, Roster     int64
	Person, Legal  int64
	LegalName      string // for the desk
	Token          string
	Choices        []WeeklySlot
	EnteredAt      time.Time
	Rank           int    // 0 until allocated
	Granted        string // the weekly slot given ("" none)
	Facility       string
	Season         Season
	State          string    // the roster's
	Closes         time.Time // the roster's window closes
	Booked, Closed int
	Taken          []time.Time // weeks someone else already held
	// Withdrawal is "" or how the association left the roster
	// (roster_withdraw.go): Withdrawn before the allocation, GivenBack
	// after, at WithdrawnAt; Cancelled its bookings cancelled then, Kept
	// those past the cancellation deadline (known only when it happens).
	Withdrawal      string
	WithdrawnAt     *time.Time
	Cancelled, Kept int
}

// GrantedSlot is the weekly slot given, if any.
func (a *Application) GrantedSlot() (WeeklySlot, bool) { return ParseWeekly(a.Granted) }

// RosterResult is what a published roster adds to its draw: each
// token's choices, and what it was given.
type RosterResult struct {
	SeasonFrom string              `json:"season_from"`
	SeasonTo   string              `json:"season_to"`
	Choices    map[string][]string `json:"choices"`
	Granted    map[string]string   `json:"granted,omitempty"`
	// Withdrawn are the tokens of the applications withdrawn before the
	// allocation: not among the draw's entries.
	Withdrawn []string `json:"withdrawn,omitempty"`
	// GivenBack is, for each token that gave back its weekly slot after
	// the allocation, when (its bookings from then on were cancelled).
	// Granted stays the allocation as drawn, which verify-draw re-runs.
	GivenBack map[string]time.Time `json:"given_back,omitempty"`
	// Second is the second round (roster_round.go), if any.
	Second *RoundResult `json:"second_round,omitempty"`
}

// Allocate gives each token, in order, its first choice that no token
// before it got; a token whose choices are all taken gets nothing.
func Allocate(order []string, choices map[string][]string) map[string]string {
	out := map[string]string{}
	taken := map[string]bool{}
	for _, tok := range order {
		for _, c := range choices[tok] {
			if !taken[c] {
				taken[c] = true
				out[tok] = c
				break
			}
		}
	}
	return out
}

const rosterColumns = `id, facility_code, season_from, season_to, opens_at, closes_at, seed_hash, COALESCE(seed, ''), state, allocated_at`

func scanRoster(row interface{ Scan(...any) error }) (*Roster, error) {
	var r Roster
	var at sql.NullTime
	if err := row.Scan(&r.ID, &r.Facility, &r.SeasonFrom, &r.SeasonTo, &r.Opens, &r.Closes, &r.SeedHash, &r.Seed, &r.State, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errs.E(errs.NotFound, "booking.error.roster").Cause(err)
		}
		return nil, err
	}
	r.Opens, r.Closes, r.AllocatedAt = r.Opens.UTC(), r.Closes.UTC(), nullTime(at)
	return &r, nil
}

func rosterByID(ctx context.Context, q db.Querier, id int64) (*Roster, error) {
	return scanRoster(q.QueryRowContext(ctx, `SELECT `+rosterColumns+` FROM booking_rosters WHERE id = $1`, id))
}

func rosterAAD(code, season string) string { return "booking.roster:" + code + "@" + season }

// openRoster returns f's roster for season s, committing it (a fresh
// sealed seed, its hash published) when there is none.
func (s *Service) openRoster(ctx context.Context, tx *db.Tx, f *Facility, se Season, now time.Time) (*Roster, bool, error) {
	r, err := scanRoster(tx.QueryRowContext(ctx, `SELECT `+rosterColumns+` FROM booking_rosters WHERE facility_code = $1 AND season_from = $2`,
		f.Code, se.From))
	if err == nil || !errs.Is(err, errs.NotFound) {
		return r, false, err
	}
	opens, closes, ok := f.RosterWindow(se)
	if !ok {
		return nil, false, errs.E(errs.Invalid, "booking.error.roster_none")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, false, err
	}
	seed := hex.EncodeToString(raw[:])
	if _, err := tx.ExecContext(ctx, `INSERT INTO booking_rosters (facility_code, season_from, season_to, opens_at, closes_at,
		seed_hash, sealed_seed, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)
		ON CONFLICT (facility_code, season_from) DO NOTHING`,
		f.Code, se.From, se.To, opens, closes, SeedHash(seed), s.box.Seal([]byte(seed), rosterAAD(f.Code, se.From)), now); err != nil {
		return nil, false, fmt.Errorf("booking: open roster: %w", err)
	}
	r, err = scanRoster(tx.QueryRowContext(ctx, `SELECT `+rosterColumns+` FROM booking_rosters WHERE facility_code = $1 AND season_from = $2`,
		f.Code, se.From))
	return r, err == nil, err
}

// PrepareRosters commits the rosters whose application window opens
// within the next day (or is open), so that their seeds' hashes are
// published before the first application. The booking clock calls it.
func (s *Service) PrepareRosters(ctx context.Context) (int, error) {
	now := s.clock()
	fs, err := facilities(ctx, s.db, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		if f.Rules.Roster == nil {
			continue
		}
		for _, se := range f.Seasons {
			o, c, ok := f.RosterWindow(se)
			if !ok || o.After(now.Add(24*time.Hour)) || !now.Before(c) {
				continue
			}
			err := s.db.Transact(ctx, func(tx *db.Tx) error {
				_, created, err := s.openRoster(ctx, tx, f, se, now)
				if created {
					n++
				}
				return err
			})
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// RosterInput is an application: the facility and up to MaxChoices
// weekly slots, the preferred first.
type RosterInput struct {
	Facility string
	Choices  []WeeklySlot
}

// ApplyRoster records the application of the association a acts for to
// the roster of the season whose window is open: associations only, one
// application per association and season, weekly slots of the facility.
func (s *Service) ApplyRoster(ctx context.Context, a authz.Actor, in RosterInput) (*Application, error) {
	if err := authz.Check(a, authz.BookFacility, owner(a)); err != nil {
		return nil, err
	}
	if a.ActingFor == 0 {
		return nil, errs.E(errs.Forbidden, "booking.error.roster_association")
	}
	// Clubs and associations only: a school or a company acting as such
	// does not apply.
	if who, err := legalWho(ctx, s.db, a.ActingFor); err != nil && !errs.Is(err, errs.Forbidden) {
		return nil, err
	} else if who != WhoAssociation {
		return nil, errs.E(errs.Forbidden, "booking.error.roster_association")
	}
	f, _, err := facility(ctx, s.db, in.Facility)
	if err != nil {
		return nil, err
	}
	if f.Rules.Roster == nil || !slices.Contains(f.Rules.Who, WhoAssociation) {
		return nil, errs.E(errs.Invalid, "booking.error.roster_none")
	}
	now := s.clock()
	se, ok := f.RosterSeason(now)
	if !ok {
		var next time.Time
		for _, x := range f.Seasons {
			if o, _, ok := f.RosterWindow(x); ok && o.After(now) && (next.IsZero() || o.Before(next)) {
				next = o
			}
		}
		if !next.IsZero() {
			return nil, errs.E(errs.Conflict, "booking.error.roster_not_yet").With("date", dateTimeText(next)).WithMember("opens", next)
		}
		return nil, errs.E(errs.Conflict, "booking.error.roster_closed")
	}
	keys, err := checkChoices(f, in.Choices)
	if err != nil {
		return nil, err
	}
	choice := func(i int) any {
		if i < len(keys) {
			return keys[i]
		}
		return nil
	}
	app := &Application{Person: a.Person, Legal: a.ActingFor, Token: newToken(), Choices: in.Choices, EnteredAt: now,
		Facility: f.Code, Season: se, State: "open"}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		r, _, err := s.openRoster(ctx, tx, f, se, now)
		if err != nil {
			return err
		}
		// The committed window decides (the rules may have changed since).
		if r.State != "open" || !now.Before(r.Closes) {
			return errs.E(errs.Conflict, "booking.error.roster_closed")
		}
		if now.Before(r.Opens) {
			return errs.E(errs.Conflict, "booking.error.roster_not_yet").With("date", dateTimeText(r.Opens)).WithMember("opens", r.Opens)
		}
		app.Roster = r.ID
		if sp, err := suspendedUntil(ctx, tx, a.Person, a.ActingFor, now); err != nil {
			return err
		} else if sp != nil {
			return sp.refusal()
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO booking_roster_applications (roster_id, person_id, legal_id, token,
			choice1, choice2, choice3, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			r.ID, a.Person, a.ActingFor, app.Token, choice(0), choice(1), choice(2), now).Scan(&app.ID)
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "booking.error.roster_applied").Cause(err)
		}
		if err != nil {
			return fmt.Errorf("booking: roster application: %w", err)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, owner(a)), Action: "booking.roster_apply",
			ObjectType: "booking_roster", ObjectID: strconv.FormatInt(r.ID, 10), Change: map[string]any{"choices": keys}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// applications reads a roster's applications in the order they were made.
func applications(ctx context.Context, q db.Querier, where string, args ...any) ([]*Application, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.roster_id, a.person_id, a.legal_id, COALESCE(l.name, ''), a.token,
		a.choice1, COALESCE(a.choice2, ''), COALESCE(a.choice3, ''), a.entered_at, COALESCE(a.rank, 0), COALESCE(a.granted, ''),
		r.facility_code, r.season_from, r.season_to, r.state, r.closes_at,
		(SELECT count(*) FROM booking_roster_weeks w WHERE w.application_id = a.id AND w.outcome = 'booked'),
		(SELECT count(*) FROM booking_roster_weeks w WHERE w.application_id = a.id AND w.outcome = 'closed'),
		COALESCE(x.kind, ''), x.at, COALESCE(x.cancelled, 0)
		FROM booking_roster_applications a JOIN booking_rosters r ON r.id = a.roster_id
		LEFT JOIN booking_roster_withdrawals x ON x.application_id = a.id
		LEFT JOIN legal_persons l ON l.id = a.legal_id WHERE `+where+` ORDER BY r.season_from DESC, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("booking: roster applications: %w", err)
	}
	defer rows.Close()
	var out []*Application
	for rows.Next() {
		var p Application
		var c [3]string
		var wat sql.NullTime
		if err := rows.Scan(&p.ID, &p.Roster, &p.Person, &p.Legal, &p.LegalName, &p.Token, &c[0], &c[1], &c[2], &p.EnteredAt,
			&p.Rank, &p.Granted, &p.Facility, &p.Season.From, &p.Season.To, &p.State, &p.Closes, &p.Booked, &p.Closed,
			&p.Withdrawal, &wat, &p.Cancelled); err != nil {
			return nil, err
		}
		for _, k := range c {
			if w, ok := ParseWeekly(k); ok {
				p.Choices = append(p.Choices, w)
			}
		}
		p.EnteredAt, p.WithdrawnAt, p.Closes = p.EnteredAt.UTC(), nullTime(wat), p.Closes.UTC()
		out = append(out, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range out {
		if p.Granted == "" {
			continue
		}
		rows, err := q.QueryContext(ctx, `SELECT slot_start FROM booking_roster_weeks WHERE application_id = $1 AND outcome = 'taken'
			ORDER BY slot_start`, p.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var t time.Time
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return nil, err
			}
			p.Taken = append(p.Taken, t.UTC())
		}
		rows.Close()
	}
	return out, nil
}

// AllocateRoster allocates roster id once its window has closed: the
// seed revealed, the order computed with equal weights, each association
// given its first choice still free, and its bookings made for every
// week of the season left (closed days and weeks someone else holds
// skipped and listed). The booking clock runs it (the system), or a
// facility manager officially — never one who represents an applicant.
func (s *Service) AllocateRoster(ctx context.Context, a authz.Actor, id int64) (*Published, error) {
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_rosters", "id", id); err != nil {
			return err
		}
		r, err := rosterByID(ctx, tx, id)
		if err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, r.Facility)
		if err != nil {
			return err
		}
		apps, err := applications(ctx, tx, `a.roster_id = $1`, id)
		if err != nil {
			return err
		}
		var involved authz.Involved
		for _, p := range apps {
			involved = involved.AddPersons(p.Person).AddLegals(p.Legal)
		}
		if err := mayAllocate(a, f, involved); err != nil {
			return err
		}
		now := s.clock()
		if r.State != "open" {
			return errs.E(errs.Conflict, "booking.error.roster_allocated")
		}
		if now.Before(r.Closes) {
			return errs.E(errs.Conflict, "booking.error.roster_open").With("date", dateTimeText(r.Closes))
		}
		seedB, err := s.box.Open(sealedRosterSeed(ctx, tx, id), rosterAAD(r.Facility, r.SeasonFrom))
		if err != nil {
			return fmt.Errorf("booking: roster %d: unseal: %w", id, err)
		}
		seed := string(seedB)
		apps = slices.DeleteFunc(apps, func(p *Application) bool { return p.Withdrawal == Withdrawn })
		pub, choices := rosterEntries(apps)
		order, err := Order(seed, pub)
		if err != nil {
			return err
		}
		granted := Allocate(order, choices)
		byToken := map[string]*Application{}
		for _, p := range apps {
			byToken[p.Token] = p
		}
		for i, tok := range order {
			p := byToken[tok]
			var g any
			if k, ok := granted[tok]; ok {
				g = k
			}
			if _, err := tx.ExecContext(ctx, `UPDATE booking_roster_applications SET rank = $1, granted = $2 WHERE id = $3`,
				i+1, g, p.ID); err != nil {
				return err
			}
			if g == nil {
				continue
			}
			w, _ := ParseWeekly(granted[tok])
			if err := s.rosterWeeks(ctx, tx, a, f, r, p, w, now, "booking_roster_weeks"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_rosters SET seed = $1, state = 'allocated', allocated_at = $2 WHERE id = $3`,
			seed, now, id); err != nil {
			return err
		}
		// The slots left, and those given back, go to a second round.
		if err := s.openRound(ctx, tx, r, len(apps)-len(granted), now); err != nil {
			return err
		}
		label := "system"
		if !a.System {
			label = authz.ActorLabel(a, authz.Resource{Org: f.Organisation})
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking.roster_allocate", ObjectType: "booking_roster",
			ObjectID: strconv.FormatInt(id, 10), Change: map[string]any{"seed_hash": r.SeedHash, "applications": len(apps),
				"granted": len(granted)}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.PublishedRoster(ctx, id)
}

// rosterWeeks books weekly slot w for application p on every week of
// the roster's season still ahead: a closed day is skipped, a slot
// someone else holds too (both recorded).
// weeks is the table recording them (booking_roster_weeks, or
// booking_roster_round_weeks for the second round).
func (s *Service) rosterWeeks(ctx context.Context, tx *db.Tx, a authz.Actor, f *Facility, r *Roster, p *Application, w WeeklySlot,
	now time.Time, weeks string) error {
	from, err1 := time.ParseInLocation(time.DateOnly, r.SeasonFrom, i18n.Casablanca)
	to, err2 := time.ParseInLocation(time.DateOnly, r.SeasonTo, i18n.Casablanca)
	m, _ := clock(w.Time)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("booking: roster %d: season %s–%s", r.ID, r.SeasonFrom, r.SeasonTo)
	}
	// The first day of the season on weekday w.Day.
	iso := int(from.Weekday())
	if iso == 0 {
		iso = 7
	}
	day := from.AddDate(0, 0, (w.Day-iso+7)%7)
	for ; !day.After(to); day = day.AddDate(0, 0, 7) {
		// The weekly time on that day's wall clock (not minutes since its
		// midnight: the Sundays Morocco changes its clocks keep 10:00).
		start := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, i18n.Casablanca).UTC()
		if !start.After(now) {
			continue
		}
		outcome := "booked"
		var bookingID any
		sl, open := f.slotAt(start)
		if !open {
			outcome = "closed"
		} else {
			var held bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bookings WHERE facility_code = $1 AND slot_start = $2
				AND `+holdingSQL+`)`, f.Code, start).Scan(&held); err != nil {
				return err
			}
			if held {
				outcome = "taken"
			}
		}
		if outcome == "booked" {
			b := &Booking{Facility: f.Code, Start: sl.Start, End: sl.End, Holder: p.Person, HolderLegal: p.Legal,
				Method: ByDraw, State: Held, CreatedAt: now}
			if err := insertBooking(ctx, tx, b); err != nil {
				return err
			}
			if err := s.record(ctx, tx, a, f, b, "roster", now); err != nil {
				return err
			}
			bookingID = b.ID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+weeks+` (application_id, slot_start, outcome, booking_id)
			VALUES ($1, $2, $3, $4)`, p.ID, start, outcome, bookingID); err != nil {
			return fmt.Errorf("booking: roster week: %w", err)
		}
	}
	return nil
}

func sealedRosterSeed(ctx context.Context, q db.Querier, id int64) string {
	var s string
	_ = q.QueryRowContext(ctx, `SELECT sealed_seed FROM booking_rosters WHERE id = $1`, id).Scan(&s)
	return s
}

// rosterEntries are a roster's applications as its draw's entries, all
// weighing 1, and each token's choices.
func rosterEntries(apps []*Application) ([]Entry, map[string][]string) {
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

// PublishedRoster is roster id as the public register gives it: a draw
// (verify-draw re-runs it) whose entries are the applications' tokens,
// with their choices, and once allocated the seed, the order and what
// each token was given.
func (s *Service) PublishedRoster(ctx context.Context, id int64) (*Published, error) {
	r, err := rosterByID(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	apps, err := applications(ctx, s.db, `a.roster_id = $1`, id)
	if err != nil {
		return nil, err
	}
	start, _ := time.ParseInLocation(time.DateOnly, r.SeasonFrom, i18n.Casablanca)
	var withdrawn []string
	givenBack := map[string]time.Time{}
	apps = slices.DeleteFunc(apps, func(p *Application) bool {
		switch p.Withdrawal {
		case Withdrawn:
			withdrawn = append(withdrawn, p.Token)
			return true
		case GivenBack:
			givenBack[p.Token] = *p.WithdrawnAt
		}
		return false
	})
	pub, choices := rosterEntries(apps)
	p := &Published{Facility: r.Facility, SlotStart: start.UTC(), Method: Method, SeedHash: r.SeedHash, Seed: r.Seed,
		Opens: r.Opens, Closes: r.Closes, State: r.State, Entries: pub,
		Roster: &RosterResult{SeasonFrom: r.SeasonFrom, SeasonTo: r.SeasonTo, Choices: choices, Withdrawn: withdrawn}}
	if len(givenBack) > 0 {
		p.Roster.GivenBack = givenBack
	}
	if p.Roster.Second, err = publishedRound(ctx, s.db, id); err != nil {
		return nil, err
	}
	if r.State == "allocated" {
		p.Result = make([]string, len(apps))
		p.Roster.Granted = map[string]string{}
		for _, a := range apps {
			if a.Rank > 0 && a.Rank <= len(apps) {
				p.Result[a.Rank-1] = a.Token
			}
			if a.Granted != "" {
				p.Roster.Granted[a.Token] = a.Granted
			}
		}
	}
	return p, nil
}

// DueRosters lists the rosters whose window has closed and that are not
// allocated yet.
func (s *Service) DueRosters(ctx context.Context) ([]int64, error) {
	return s.dueIDs(ctx, "booking_rosters")
}

// Rosters lists a facility's rosters, the latest season first.
func (s *Service) Rosters(ctx context.Context, code string) ([]*Roster, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+rosterColumns+` FROM booking_rosters WHERE facility_code = $1
		ORDER BY season_from DESC LIMIT 10`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Roster
	for rows.Next() {
		r, err := scanRoster(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MyRosterApplications lists the applications of the association a acts
// for (or those a made as a representative, acting for none).
func (s *Service) MyRosterApplications(ctx context.Context, a authz.Actor) ([]*Application, error) {
	r := owner(a)
	if err := authz.Check(a, authz.ReadBooking, r); err != nil {
		return nil, err
	}
	if r.OwnerLegal != 0 {
		return applications(ctx, s.db, `a.legal_id = $1`, r.OwnerLegal)
	}
	return applications(ctx, s.db, `a.person_id = $1`, a.Person)
}

// RosterApplications lists a roster's applications, with the
// associations' names and results, for the facility's managers.
func (s *Service) RosterApplications(ctx context.Context, a authz.Actor, id int64) (*Roster, []*Application, error) {
	r, err := s.deskRoster(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	apps, err := applications(ctx, s.db, `a.roster_id = $1`, id)
	return r, apps, err
}

// deskRoster reads roster id for a's desk: one of its facility's
// managers (or their organisation's staff who read the desk).
func (s *Service) deskRoster(ctx context.Context, a authz.Actor, id int64) (*Roster, error) {
	r, err := rosterByID(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	f, _, err := facility(ctx, s.db, r.Facility)
	if err != nil {
		return nil, err
	}
	return r, authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: f.Organisation})
}
