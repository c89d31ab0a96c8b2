package booking

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/refcode"
	"madina/internal/platform/secretbox"
)

// Publisher writes an event in a transaction (jobs.Queue).
type Publisher interface {
	Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error
}

// Deps are the service's collaborators.
type Deps struct {
	DB        *db.DB
	Catalogue *Catalogue
	Events    Publisher
	// Box seals the draws' seeds until they are drawn and signs the
	// check-in codes.
	Box *secretbox.Box
	// People and Notify tell holders of their waitlist offers and
	// refusals; without them, nobody is told.
	People  People
	Notify  Notifier
	BaseURL string
	// Blobs keeps the facilities' photos (photos.go); without it, none
	// is added.
	Blobs blob.Store
	// City is the city's territory: a new facility lies within it
	// (facilitycreate.go); without it, any point on Earth.
	City cityFunc
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service is Casa In's use cases: each asks the policy first, then the
// facility's rules, then writes in one transaction with its audit record
// and its event; the database keeps one holder per slot whatever races.
type Service struct {
	db      *db.DB
	cat     *Catalogue
	events  Publisher
	box     *secretbox.Box
	codes   *secretbox.Signer
	notices *noticeDeps
	now     func() time.Time
	// cache keeps facilities read for booking a short while (a flash
	// crowd reads the same one thousands of times a second); a change of
	// rules on this node clears it, on another node it shows within
	// cacheFor.
	mu    sync.Mutex
	cache map[string]cached
	// gates lets one request at a time go on to write a slot (gate.go).
	gates slotGates

	// devices and networks hash a request's origin for the signals of
	// brokering (signals.go): only their keyed hashes are stored.
	devices, networks *secretbox.Signer

	// blobs keeps the facilities' photos.
	blobs blob.Store
	// city is the territory new facilities lie within.
	city cityFunc
}

type cached struct {
	f    *Facility
	read time.Time
}

// cacheFor is how long a facility read for booking is reused.
const cacheFor = 2 * time.Second

// bookable reads facility code through the short cache.
func (s *Service) bookable(ctx context.Context, code string) (*Facility, error) {
	s.mu.Lock()
	defer s.mu.Unlock() // one read on a miss; the others wait for it
	if c, ok := s.cache[code]; ok && time.Since(c.read) < cacheFor {
		return c.f, nil
	}
	f, _, err := facility(ctx, s.db, code)
	if err != nil {
		return nil, err
	}
	if s.cache == nil {
		s.cache = map[string]cached{}
	}
	s.cache[code] = cached{f, time.Now()}
	return f, nil
}

// NewService builds the service.
func NewService(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{db: d.DB, cat: d.Catalogue, events: d.Events, box: d.Box, codes: d.Box.Signer("booking.checkin"), now: now,
		devices: d.Box.Signer("booking.device"), networks: d.Box.Signer("booking.network"), blobs: d.Blobs, city: d.City}
	if d.People != nil && d.Notify != nil {
		s.notices = &noticeDeps{people: d.People, notify: d.Notify, baseURL: d.BaseURL}
	}
	return s
}

// Catalogue is the facilities' catalogue as loaded.
func (s *Service) Catalogue() *Catalogue { return s.cat }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// State of a booking.
type State string

const (
	Pending   State = "pending"
	Offered   State = "offered"
	Held      State = "held"
	CheckedIn State = "checked_in"
	NoShow    State = "no_show"
	Cancelled State = "cancelled"
	Refused   State = "refused"
	Lapsed    State = "lapsed"
)

// Active reports whether a booking in state st counts as booked: it
// holds its slot (holdingSQL), or held it and its holder did not come.
func (st State) Active() bool {
	return st == Pending || st == Offered || st == Held || st == CheckedIn || st == NoShow
}

// activeSQL is Active in SQL: what quotas, statistics and calendars
// count.
const activeSQL = `state IN ('pending', 'offered', 'held', 'checked_in', 'no_show')`

// holdingSQL is the bookings that hold their slot, as bookings_one_holder
// says it: a no-show released it (migration 0068) to whoever waits.
const holdingSQL = `state IN ('pending', 'offered', 'held', 'checked_in')`

// Methods of allocation.
const (
	FirstCome = "first_come"
	ByDraw    = "draw"
	Waitlist  = "waitlist"
)

// Booking is one slot held by one person (for themself or their
// association).
type Booking struct {
	ID          int64
	Number      string
	Facility    string
	Start, End  time.Time
	Holder      int64
	HolderLegal int64
	Group       string
	Method      string
	Token       string
	State       State
	ConfirmBy   *time.Time
	CheckedInAt *time.Time
	DecidedBy   int64
	EndedAt     *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int

	// TransferredAt: the desk reported that someone else than the holder
	// showed the code (the booking is then a no-show; transfer.go).
	TransferredAt *time.Time
}

// TopicBookingChanged is published in the transaction of every change
// of a booking. Payload BookingChanged.
const TopicBookingChanged = "booking.changed"

// EventVersion is the version of BookingChanged.
const EventVersion = 1

// BookingChanged reports a change: ids and codes only.
type BookingChanged struct {
	V        int       `json:"v"`
	Booking  int64     `json:"booking"`
	Number   string    `json:"number"`
	Facility string    `json:"facility"`
	Change   string    `json:"change"`
	To       State     `json:"to"`
	Silent   bool      `json:"silent,omitempty"`
	At       time.Time `json:"at"`
}

// Seed writes the catalogue's facilities that are not in the database
// yet (staff may have changed the others' rules since). Idempotent.
func (s *Service) Seed(ctx context.Context) error {
	now := s.clock()
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		for _, f := range s.cat.Facilities {
			def, err := json.Marshal(f)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO booking_facilities (code, arrondissement_code, organisation_code,
				kind, definition, version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, 1, $6, 'catalogue')
				ON CONFLICT (code) DO NOTHING`, f.Code, f.Arrondissement, f.Organisation, f.Kind, string(def), now); err != nil {
				return fmt.Errorf("booking: seed %s: %w", f.Code, err)
			}
		}
		return nil
	})
}

// Facilities lists the facilities, of one arrondissement when arr is
// not "", by kind then code.
func (s *Service) Facilities(ctx context.Context, arr string) ([]*Facility, error) {
	return facilities(ctx, s.db, arr)
}

// Facility reads one facility.
func (s *Service) Facility(ctx context.Context, code string) (*Facility, int, error) {
	return facility(ctx, s.db, code)
}

// UpdateRules replaces a facility's rules, for one of its managers: the
// whole rule set is checked first, and refused with every contradiction
// named; version is the one the manager saw.
func (s *Service) UpdateRules(ctx context.Context, a authz.Actor, code string, version int, r Rules) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.rules", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		if err := rosterRuleKept(ctx, tx, g, r, now); err != nil {
			return nil, err
		}
		g.Rules = r
		return nil, nil
	})
}

// Slot is a slot of a facility.
type Slot struct {
	Start, End time.Time
	Peak       bool
}

// local is t on Casablanca's clock.
func local(t time.Time) time.Time { return t.In(i18n.Casablanca) }

// Slots lists the facility's slots on day (a Casablanca date), none on a
// day of closure. Hours are read on Casablanca's wall clock of that day
// (calendar.Date.WallSlot), never as time elapsed since midnight: on the
// nights Morocco changes its clocks a field opening at 08:00 still opens
// at 08:00, and a slot the change cuts or doubles (02:00–03:00) is left
// out rather than sold short, long or twice.
func (f *Facility) Slots(day calendar.Date) []Slot {
	if f.Request() {
		return nil
	}
	iso := day.Weekday()
	if iso == 0 {
		iso = 7
	}
	ds := day.String()
	for _, c := range f.Closures {
		if ds >= c.From && ds <= c.To {
			return nil
		}
	}
	var out []Slot
	for _, h := range f.Hours {
		if !slices.Contains(h.Days, int(iso)) {
			continue
		}
		o, _ := clock(h.Open)
		c, _ := clock(h.Close)
		for m := o; m+f.SlotMinutes <= c; m += f.SlotMinutes {
			if sl, ok := f.wallSlot(day, m); ok {
				out = append(out, sl)
			}
		}
	}
	return out
}

// wallSlot is the slot starting at minute m of day on Casablanca's wall
// clock, false where that night's clock change cuts or doubles it.
func (f *Facility) wallSlot(day calendar.Date, m int) (Slot, bool) {
	if f.SlotMinutes <= 0 {
		return Slot{}, false
	}
	st, end, ok := day.WallSlot(calendar.Clock(m), time.Duration(f.SlotMinutes)*time.Minute)
	if !ok {
		return Slot{}, false
	}
	return Slot{Start: st.UTC(), End: end.UTC(), Peak: f.peak(st)}, true
}

// slotAt is the facility's slot starting at start, if there is one
// (what Slots would list, without listing the day): the same wall-clock
// slot, at the same instant (the second 02:30 of a night the clocks go
// back is not the slot of 02:30).
func (f *Facility) slotAt(start time.Time) (Slot, bool) {
	if f.Request() || f.SlotMinutes <= 0 {
		return Slot{}, false
	}
	t := local(start)
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return Slot{}, false
	}
	day := calendar.DateOf(start)
	ds := day.String()
	for _, c := range f.Closures {
		if ds >= c.From && ds <= c.To {
			return Slot{}, false
		}
	}
	iso := int(t.Weekday())
	if iso == 0 {
		iso = 7
	}
	m := t.Hour()*60 + t.Minute()
	for _, h := range f.Hours {
		if !slices.Contains(h.Days, iso) {
			continue
		}
		o, _ := clock(h.Open)
		c, _ := clock(h.Close)
		if m >= o && m+f.SlotMinutes <= c && (m-o)%f.SlotMinutes == 0 {
			if sl, ok := f.wallSlot(day, m); ok && sl.Start.Equal(start) {
				return sl, true
			}
		}
	}
	return Slot{}, false
}

// peak reports whether the slot starting at t (Casablanca) is a peak
// slot, allocated by draw.
func (f *Facility) peak(t time.Time) bool {
	p := f.Rules.Peak
	if p == nil {
		return false
	}
	t = local(t)
	iso := int(t.Weekday())
	if iso == 0 {
		iso = 7
	}
	a, _ := clock(p.From)
	b, _ := clock(p.To)
	m := t.Hour()*60 + t.Minute()
	return slices.Contains(p.Days, iso) && m >= a && m < b
}

// Release is when the slot starting at start opens to booking: its day
// less the horizon, at the release time.
func (f *Facility) Release(start time.Time) time.Time {
	t := local(start)
	m, _ := clock(f.Rules.Release)
	// The release time is on the wall clock of the release day, like
	// the slots: not minutes elapsed since its midnight.
	return time.Date(t.Year(), t.Month(), t.Day()-f.Rules.HorizonDays, m/60, m%60, 0, 0, i18n.Casablanca).UTC()
}

// DrawCloses is when a peak slot's draw stops collecting requests.
func (f *Facility) DrawCloses(start time.Time) time.Time {
	c := f.Release(start).Add(time.Duration(f.Rules.Peak.WindowHours) * time.Hour)
	if last := start.Add(-time.Duration(f.Rules.MinNoticeHours) * time.Hour); c.After(last) {
		c = last
	}
	return c
}

// dateText is t's date written in each language, for a message's
// parameter; dateTimeText with the time of day.
func dateText(t time.Time) i18n.Text {
	return i18n.Text{AR: i18n.FormatDate(i18n.AR, t), FR: i18n.FormatDate(i18n.FR, t), EN: i18n.FormatDate(i18n.EN, t)}
}

func dateTimeText(t time.Time) i18n.Text {
	return i18n.Text{AR: i18n.FormatDateTime(i18n.AR, t), FR: i18n.FormatDateTime(i18n.FR, t), EN: i18n.FormatDateTime(i18n.EN, t)}
}

// suspended is the refusal of a person suspended until until, the date
// in the reader's language.
func suspended(until time.Time) *errs.Error {
	return errs.E(errs.Forbidden, "booking.error.suspended").With("date", dateText(until)).WithMember("until", until)
}

// BookInput is what a person books.
type BookInput struct {
	Facility string
	Start    time.Time
	Group    string // a priority group of the facility, "" none
	Team     int64  // the team booking (its captain books; teams.go), 0 none

	// From is where the request came from, for the signals of brokering.
	From Origin
}

// owner is the resource a booking made by a is for: the association
// they act for, or themself.
func owner(a authz.Actor) authz.Resource {
	if a.ActingFor != 0 {
		return authz.Resource{OwnerLegal: a.ActingFor}
	}
	return authz.Resource{OwnerPerson: a.Person}
}

// Resource is the booking as the policy sees it.
func (b *Booking) Resource(f *Facility) authz.Resource {
	r := authz.Resource{OwnerPerson: b.Holder, OwnerLegal: b.HolderLegal, Org: f.Organisation, Arrondissement: f.Arrondissement}
	if b.HolderLegal != 0 {
		r.OwnerPerson = 0
		r.Involved = r.Involved.AddPersons(b.Holder)
	}
	return r
}

// admissible checks what a booking or a draw request of a on slot start
// of f needs besides the database: the policy, who may book, the slot,
// the horizon and the notice.
func (s *Service) admissible(ctx context.Context, a authz.Actor, f *Facility, in *BookInput, now time.Time) (Slot, error) {
	if err := authz.Check(a, authz.BookFacility, owner(a)); err != nil {
		return Slot{}, err
	}
	if f.Request() {
		return Slot{}, errs.E(errs.Invalid, "booking.error.request_service")
	}
	who := WhoCitizen
	if a.ActingFor != 0 {
		var err error
		if who, err = legalWho(ctx, s.db, a.ActingFor); err != nil {
			return Slot{}, err
		}
	}
	if in.Team != 0 {
		if a.ActingFor != 0 {
			return Slot{}, errs.E(errs.Invalid, "booking.error.team_not_found").OnField("team")
		}
		who = WhoTeam
	}
	if !slices.Contains(f.Rules.Who, who) {
		return Slot{}, errs.E(errs.Forbidden, "booking.error.who."+who)
	}
	if in.Group != "" {
		i := slices.IndexFunc(f.Rules.Groups, func(g Group) bool { return g.Code == in.Group })
		if i < 0 {
			return Slot{}, errs.E(errs.Invalid, "booking.error.group").OnField("group")
		}
		// A group bound to who books is theirs by who they are, not by
		// what they declare.
		if g := f.Rules.Groups[i]; g.Who != "" && g.Who != who {
			return Slot{}, errs.E(errs.Invalid, "booking.error.group_who."+g.Who).OnField("group")
		}
	}
	sl, ok := f.slotAt(in.Start.UTC())
	if !ok {
		return Slot{}, errs.E(errs.Invalid, "booking.error.slot").OnField("start")
	}
	if rel := f.Release(sl.Start); now.Before(rel) {
		return Slot{}, errs.E(errs.Conflict, "booking.error.not_yet").With("date", dateTimeText(rel)).
			WithMember("opens", rel)
	}
	if sl.Start.Sub(now) < time.Duration(f.Rules.MinNoticeHours)*time.Hour {
		return Slot{}, errs.E(errs.Conflict, "booking.error.notice").With("hours", f.Rules.MinNoticeHours)
	}
	if in.Group == "" && who != WhoCitizen {
		// A school (or association) booking within the hours of a group
		// bound to it books in that group: it is who it is.
		for _, g := range f.Rules.Groups {
			if g.Who == who && g.holds(sl.Start, sl.End) {
				in.Group = g.Code
				break
			}
		}
	}
	return sl, nil
}

// legalWho is who books when acting for legal person id: an association
// as an association, a school as a school (its kind, as registered); a
// company books no public facility.
func legalWho(ctx context.Context, q db.Querier, id int64) (string, error) {
	var kind string
	err := q.QueryRowContext(ctx, `SELECT kind FROM legal_persons WHERE id = $1`, id).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.E(errs.NotFound, "")
	}
	if err != nil {
		return "", fmt.Errorf("booking: legal person %d: %w", id, err)
	}
	switch kind {
	case WhoAssociation, WhoSchool:
		return kind, nil
	}
	return "", errs.E(errs.Forbidden, "booking.error.who.company")
}

// Book books slot in.Start of a facility for a (or the association a
// acts for), first come first served: refused with a clear reason when
// the rules forbid it, when the person is suspended, past a quota, or
// when someone else holds the slot (the database decides the race).
func (s *Service) Book(ctx context.Context, a authz.Actor, in BookInput) (*Booking, error) {
	f, err := s.bookable(ctx, in.Facility)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	sl, err := s.admissible(ctx, a, f, &in, now)
	if err != nil {
		return nil, err
	}
	if sl.Peak && now.Before(f.DrawCloses(sl.Start)) {
		return nil, errs.E(errs.Conflict, "booking.error.peak_draw")
	}
	// A slot already held is refused before any write: in a flash crowd
	// most requests end here, on a read. The race between those that
	// pass is the unique index's (bookings_one_holder).
	if err := slotFree(ctx, s.db, f.Code, sl.Start); err != nil {
		return nil, err
	}
	// Those that passed the read together go on one at a time, each
	// reading the slot again first: the writes are left to the few that
	// may still win it (gate.go).
	release, err := s.gates.enter(ctx, f.Code, sl.Start)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := slotFree(ctx, s.db, f.Code, sl.Start); err != nil {
		return nil, err
	}
	b := &Booking{Facility: f.Code, Start: sl.Start, End: sl.End, Holder: a.Person, HolderLegal: a.ActingFor,
		Group: in.Group, Method: FirstCome, State: Held, CreatedAt: now}
	if f.Rules.Approval {
		b.State = Pending
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// Those that passed the read together queue for the write: by
		// their turn the slot is often taken, which one read says before
		// the quotas are counted (SQLite writes one at a time).
		if err := slotFree(ctx, tx, f.Code, sl.Start); err != nil {
			return err
		}
		if sl.Peak {
			// A draw not yet held keeps its slot from first-come.
			var st string
			err := tx.QueryRowContext(ctx, `SELECT state FROM booking_draws WHERE facility_code = $1 AND slot_start = $2`,
				f.Code, sl.Start).Scan(&st)
			if err == nil && st == "open" {
				return errs.E(errs.Conflict, "booking.error.draw_pending")
			}
		}
		var ps []int64 // a team's players (teams.go)
		if in.Team != 0 {
			var err error
			if ps, err = s.teamAllowed(ctx, tx, f, a, in.Team, sl.Start, now); err != nil {
				return err
			}
		} else if err := s.allowed(ctx, tx, f, a.Person, a.ActingFor, sl.Start, now); err != nil {
			return err
		}
		if err := s.reserved(ctx, tx, f, b, now); err != nil {
			return err
		}
		if err := insertBooking(ctx, tx, b); err != nil {
			return err
		}
		if err := s.recordOrigin(ctx, tx, "book", f.Code, sl.Start, a.Person, in.From, now); err != nil {
			return err
		}
		if in.Team != 0 {
			if err := addTeamSlot(ctx, tx, f, b, in.Team, ps); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, f, b, "booked", now)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// slotFree refuses with booking.error.taken a slot of facility code
// starting at start that someone holds.
func slotFree(ctx context.Context, q db.Querier, code string, start time.Time) error {
	var held bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bookings WHERE facility_code = $1 AND slot_start = $2
		AND `+holdingSQL+`)`, code, start).Scan(&held); err != nil {
		return fmt.Errorf("booking: slot: %w", err)
	}
	if held {
		return errs.E(errs.Conflict, "booking.error.taken")
	}
	return nil
}

// allowed checks, in tx and under a lock on the person (so that one
// person's two devices cannot both pass a quota), the suspension, the
// cap on future bookings and the quotas. Booking for an association or a
// school, the lock is on it too: its representatives, each locking
// themselves, would otherwise pass its quota together.
func (s *Service) allowed(ctx context.Context, tx *db.Tx, f *Facility, person, legal int64, start, now time.Time) error {
	if err := tx.LockRow(ctx, "persons", "id", person); err != nil {
		return err
	}
	if legal != 0 {
		if err := tx.LockRow(ctx, "legal_persons", "id", legal); err != nil {
			return err
		}
	}
	if sp, err := suspendedUntil(ctx, tx, person, legal, now); err != nil {
		return err
	} else if sp != nil {
		return sp.refusal()
	}
	col, id := "holder_id", person
	per := WhoCitizen
	if legal != 0 {
		col, id = "holder_legal_id", legal
		// An association's or a school's quotas, by its kind.
		var err error
		if per, err = legalWho(ctx, tx, legal); err != nil {
			return err
		}
	}
	own := `facility_code = $1 AND ` + col + ` = $2 AND ` + activeSQL
	if legal == 0 {
		own = personalSQL // with the team slots they play in (teams.go)
	}
	// An association's or a school's limits are its own, counted over
	// all its representatives: the refusal names it.
	refuse := func(limit string, max int) error {
		if legal == 0 {
			return errs.E(errs.Conflict, "booking.error."+limit).With("max", max)
		}
		name, err := legalName(ctx, tx, legal)
		if err != nil {
			return err
		}
		return errs.E(errs.Conflict, "booking.error.legal_"+limit).With("max", max).With("name", name)
	}
	n, err := count(ctx, tx, own+` AND slot_end > $3`, f.Code, id, now)
	if err != nil {
		return err
	}
	if n >= f.Rules.MaxFuture {
		return refuse("max_future", f.Rules.MaxFuture)
	}
	for _, q := range f.Rules.Quotas {
		if q.Per != per {
			continue
		}
		from, to, ok := f.quotaPeriod(start, q.Period)
		if !ok {
			continue // a slot out of season: no season quota
		}
		n, err := count(ctx, tx, own+` AND slot_start >= $3 AND slot_start < $4`, f.Code, id, from, to)
		if err != nil {
			return err
		}
		if n >= q.Max {
			return refuse("quota."+q.Period, q.Max)
		}
	}
	return nil
}

// ReservedUntil is how long before its slot a priority group's share
// stays reserved for it; closer to the slot, anyone may book what is left.
const ReservedUntil = 48 * time.Hour

// reserved keeps the priority groups' shares of a day's slots: a booking
// outside group g may not take a slot that the reserved shares need,
// until ReservedUntil before the slot. A group limited to some days or
// hours ("schools in school hours") is owed its share of the slots
// within them, and only those slots are kept for it. The group is
// declared by the holder and checked by staff at the venue.
func (s *Service) reserved(ctx context.Context, tx *db.Tx, f *Facility, b *Booking, now time.Time) error {
	if len(f.Rules.Groups) == 0 || b.Start.Sub(now) < ReservedUntil {
		return nil
	}
	slots := f.Slots(calendar.DateOf(b.Start))
	if len(slots) == 0 {
		return nil
	}
	// The other groups whose days and hours hold this slot.
	var others []Group
	for _, g := range f.Rules.Groups {
		if g.Code != b.Group && g.holds(b.Start, b.End) {
			others = append(others, g)
		}
	}
	if len(others) == 0 {
		return nil
	}
	from, to := slots[0].Start, slots[len(slots)-1].End
	taken := map[int64]string{} // slot start → the holder's group
	rows, err := tx.QueryContext(ctx, `SELECT slot_start, group_code FROM bookings WHERE facility_code = $1 AND slot_start >= $2
		AND slot_start < $3 AND `+activeSQL, f.Code, from, to)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t time.Time
		var g string
		if err := rows.Scan(&t, &g); err != nil {
			rows.Close()
			return err
		}
		taken[t.Unix()] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The free slots within these groups' hours, and what each is still
	// owed: its share of the slots within its hours (rounded up) less
	// what it holds there.
	free, owed := 0, 0
	for _, sl := range slots {
		if _, ok := taken[sl.Start.Unix()]; ok {
			continue
		}
		if slices.ContainsFunc(others, func(g Group) bool { return g.holds(sl.Start, sl.End) }) {
			free++
		}
	}
	for _, g := range others {
		n, held := 0, 0
		for _, sl := range slots {
			if g.holds(sl.Start, sl.End) {
				n++
				if taken[sl.Start.Unix()] == g.Code {
					held++
				}
			}
		}
		owed += max((n*g.Share+99)/100-held, 0)
	}
	if free-owed < 1 {
		return errs.E(errs.Conflict, "booking.error.reserved")
	}
	return nil
}

// period is the Casablanca week (from Monday) or month holding t.
func period(t time.Time, p string) (time.Time, time.Time) {
	l := local(t)
	if p == "month" {
		a := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, i18n.Casablanca)
		return a.UTC(), a.AddDate(0, 1, 0).UTC()
	}
	wd := int(l.Weekday()+6) % 7 // Monday 0
	a := time.Date(l.Year(), l.Month(), l.Day()-wd, 0, 0, 0, 0, i18n.Casablanca)
	return a.UTC(), a.AddDate(0, 0, 7).UTC()
}

// record writes a change's audit record and event, in tx.
func (s *Service) record(ctx context.Context, tx *db.Tx, a authz.Actor, f *Facility, b *Booking, change string, now time.Time) error {
	label := "system"
	if !a.Anonymous() {
		label = authz.ActorLabel(a, b.Resource(f))
	}
	if _, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking." + change, ObjectType: "booking",
		ObjectID: strconv.FormatInt(b.ID, 10), Change: map[string]any{"number": b.Number, "state": b.State, "version": b.Version},
		At: now}); err != nil {
		return err
	}
	if s.events == nil {
		return fmt.Errorf("booking: no event publisher (Deps.Events)")
	}
	return s.events.Publish(ctx, tx, TopicBookingChanged, BookingChanged{V: EventVersion, Booking: b.ID, Number: b.Number,
		Facility: b.Facility, Change: change, To: b.State, Silent: notify.IsQuiet(ctx), At: now})
}

// Get reads a booking for its holder or the facility's managers.
func (s *Service) Get(ctx context.Context, a authz.Actor, id int64) (*Booking, *Facility, error) {
	b, err := booking(ctx, s.db, id)
	if err != nil {
		return nil, nil, err
	}
	f, _, err := facility(ctx, s.db, b.Facility)
	if err != nil {
		return nil, nil, err
	}
	if err := authz.Check(a, authz.ReadBooking, b.Resource(f)); err != nil {
		return nil, nil, err
	}
	return b, f, nil
}

// Mine lists the bookings of a (or of the association a acts for),
// newest slot first.
func (s *Service) Mine(ctx context.Context, a authz.Actor) ([]*Booking, error) {
	r := owner(a)
	if err := authz.Check(a, authz.ReadBooking, r); err != nil {
		return nil, err
	}
	if r.OwnerLegal != 0 {
		return listBookings(ctx, s.db, `holder_legal_id = $1`, `slot_start DESC, id DESC`, 200, r.OwnerLegal)
	}
	return listBookings(ctx, s.db, `holder_id = $1 AND holder_legal_id IS NULL`, `slot_start DESC, id DESC`, 200, a.Person)
}

// move changes booking id under a lock, after check has said yes: the
// state moves from one of from to to, with what set adds.
func (s *Service) move(ctx context.Context, id int64, check func(b *Booking, f *Facility, now time.Time) error,
	to State, change string, a authz.Actor, set func(b *Booking, now time.Time)) (*Booking, error) {
	var b *Booking
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "bookings", "id", id); err != nil {
			return err
		}
		var err error
		if b, err = booking(ctx, tx, id); err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, b.Facility)
		if err != nil {
			return err
		}
		now := s.clock()
		if err := check(b, f, now); err != nil {
			return err
		}
		b.State = to
		if set != nil {
			set(b, now)
		}
		if !to.Active() {
			b.EndedAt = &now
		}
		if to != Offered {
			b.ConfirmBy = nil
		}
		if err := bump(ctx, tx, b, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, f, b, change, now); err != nil {
			return err
		}
		if !to.Active() {
			// The slot is free again: the first one waiting is offered it.
			return s.promote(ctx, tx, f, b.Start, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Cancel cancels a's booking id: free of penalty until the facility's
// cancellation deadline; a held booking past it is refused (the holder
// comes, or it counts as a no-show).
func (s *Service) Cancel(ctx context.Context, a authz.Actor, id int64) (*Booking, error) {
	return s.move(ctx, id, func(b *Booking, f *Facility, now time.Time) error {
		if err := s.own(a, b, f); err != nil {
			return err
		}
		if b.State != Pending && b.State != Offered && b.State != Held {
			return errs.E(errs.Conflict, "booking.error.state")
		}
		if dl := b.Start.Add(-time.Duration(f.Rules.CancelHours) * time.Hour); b.State == Held && now.After(dl) {
			return errs.E(errs.Conflict, "booking.error.cancel_late").With("hours", f.Rules.CancelHours)
		}
		return nil
	}, Cancelled, "cancelled", a, nil)
}

// own checks that a may act on b as its holder (themself, or acting for
// its association).
func (s *Service) own(a authz.Actor, b *Booking, f *Facility) error {
	if err := authz.Check(a, authz.ReadBooking, b.Resource(f)); err != nil {
		return err
	}
	r := b.Resource(f)
	r.Org, r.Arrondissement, r.Involved = "", "", authz.Involved{}
	return authz.Check(a, authz.BookFacility, r)
}

// Confirm confirms a waitlist offer before its deadline; a holder
// suspended since the offer may not (the offer lapses to the next).
func (s *Service) Confirm(ctx context.Context, a authz.Actor, id int64) (*Booking, error) {
	sp, err := suspendedUntil(ctx, s.db, a.Person, a.ActingFor, s.clock())
	if err != nil {
		return nil, err
	}
	return s.move(ctx, id, func(b *Booking, f *Facility, now time.Time) error {
		if err := s.own(a, b, f); err != nil {
			return err
		}
		if sp != nil {
			return sp.refusal()
		}
		if b.State != Offered {
			return errs.E(errs.Conflict, "booking.error.state")
		}
		if now.After(*b.ConfirmBy) {
			return errs.E(errs.Conflict, "booking.error.offer_lapsed")
		}
		return nil
	}, Held, "confirmed", a, nil)
}

// Decide approves or refuses a pending booking, for a manager of the
// facility, officially: never their own, nor their association's.
func (s *Service) Decide(ctx context.Context, a authz.Actor, id int64, approve bool) (*Booking, error) {
	to, change := Held, "approved"
	if !approve {
		to, change = Refused, "refused"
	}
	return s.move(ctx, id, func(b *Booking, f *Facility, now time.Time) error {
		if err := authz.Check(a, authz.ReadBooking, b.Resource(f)); err != nil {
			return err
		}
		if err := authz.Check(a, authz.ManageBooking, b.Resource(f)); err != nil {
			return err
		}
		if b.State != Pending {
			return errs.E(errs.Conflict, "booking.error.state")
		}
		return nil
	}, to, change, a, func(b *Booking, now time.Time) { b.DecidedBy = a.Person })
}

// JoinWaitlist puts a (or their association) in line for a slot that
// someone else holds; with in.Team, the team a captains (team_entries.go),
// checked as a team booking is. A person waits once per slot.
func (s *Service) JoinWaitlist(ctx context.Context, a authz.Actor, in BookInput) (int, error) {
	f, _, err := facility(ctx, s.db, in.Facility)
	if err != nil {
		return 0, err
	}
	now := s.clock()
	sl, err := s.admissible(ctx, a, f, &in, now)
	if err != nil {
		return 0, err
	}
	var rank int
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		var id, holder int64
		err := tx.QueryRowContext(ctx, `SELECT id, holder_id FROM bookings WHERE facility_code = $1 AND slot_start = $2 AND `+holdingSQL,
			f.Code, sl.Start).Scan(&id, &holder)
		if err != nil {
			return errs.E(errs.Conflict, "booking.error.free").Cause(err)
		}
		if holder == a.Person {
			return errs.E(errs.Conflict, "booking.error.yours")
		}
		ps := []int64{a.Person} // everyone the place is for
		if in.Team != 0 {
			if ps, err = s.teamAllowed(ctx, tx, f, a, in.Team, sl.Start, now); err != nil {
				return err
			}
			if ts, ok, err := teamSlot(ctx, tx, id); err != nil {
				return err
			} else if ok && ts.Team == in.Team {
				return errs.E(errs.Conflict, "booking.error.yours")
			}
		} else if sp, err := suspendedUntil(ctx, tx, a.Person, a.ActingFor, now); err != nil {
			return err
		} else if sp != nil {
			return sp.refusal()
		}
		if err := onceWaiting(ctx, tx, f.Code, sl.Start, a.Person, ps); err != nil {
			return err
		}
		if err := legalOnce(ctx, tx, "waiting", a.ActingFor, `SELECT 1 FROM booking_waitlist WHERE legal_id = $1
			AND facility_code = $2 AND slot_start = $3 AND state = 'waiting'`, f.Code, sl.Start); err != nil {
			return err
		}
		var players []int64
		if in.Team != 0 {
			players = ps
		}
		if rank, err = addWaiting(ctx, tx, f.Code, sl.Start, a.Person, a.ActingFor, in.Team, players, now); err != nil {
			if db.IsUniqueViolation(err) {
				return errs.E(errs.Conflict, "booking.error.waiting").Cause(err)
			}
			return err
		}
		if err := s.recordOrigin(ctx, tx, "wait", f.Code, sl.Start, a.Person, in.From, now); err != nil {
			return err
		}
		change := map[string]any{"rank": rank}
		if in.Team != 0 {
			change["team"], change["players"] = in.Team, len(ps)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, owner(a)), Action: "booking.waitlist",
			ObjectType: "booking_slot", ObjectID: f.Code + "@" + sl.Start.Format(time.RFC3339), Change: change, At: now})
		return err
	})
	return rank, err
}

// promote offers a freed slot to the first one waiting: a booking in
// state offered, to confirm within the facility's confirm hours (never
// after the slot starts) — or, for a slot already begun that a no-show
// released, within NoShowGrace while enough of it is left. A team's place
// is offered as a team slot, held by the team's captain, if the team
// still has its quorum (team_entries.go).
func (s *Service) promote(ctx context.Context, tx *db.Tx, f *Facility, start, now time.Time) error {
	sl, ok := f.slotAt(start)
	if !ok {
		return nil // closed since: nobody is offered it
	}
	// A slot begun (a no-show's release) is offered while enough of it is
	// left to come and play: to confirm within NoShowGrace.
	begun := !start.After(now)
	if begun && sl.End.Sub(now) < 2*NoShowGrace {
		return nil
	}
	var w waiting
	holder, ps := int64(0), []int64(nil)
	for {
		var ok bool
		var err error
		if w, ok, err = firstWaiting(ctx, tx, f.Code, start); err != nil || !ok {
			return err
		}
		// A person suspended by the penalty ladder may not book, nor may
		// anyone for an association suspended by its own: the place is
		// passed over, and leaves the line; so does a team that lost its
		// quorum.
		if w.team != 0 {
			listed, err := waitingPlayers(ctx, tx, w.id)
			if err != nil {
				return err
			}
			if holder, ps, ok, err = teamStill(ctx, tx, f, w.team, listed, now); err != nil {
				return err
			} else if ok {
				break
			}
		} else {
			sp, err := suspendedUntil(ctx, tx, w.person, w.legal, now)
			if err != nil {
				return err
			}
			if sp == nil {
				holder = w.person
				break
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_waitlist SET state = 'left' WHERE id = $1`, w.id); err != nil {
			return err
		}
	}
	by := now.Add(time.Duration(f.Rules.ConfirmHours) * time.Hour)
	if by.After(start) {
		by = start
	}
	if begun {
		by = now.Add(NoShowGrace)
	}
	b := &Booking{Facility: f.Code, Start: start, End: sl.End, Holder: holder, HolderLegal: w.legal, Method: Waitlist,
		State: Offered, ConfirmBy: &by, CreatedAt: now}
	if err := insertBooking(ctx, tx, b); err != nil {
		return err
	}
	if w.team != 0 {
		if err := addTeamSlot(ctx, tx, f, b, w.team, ps); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE booking_waitlist SET state = 'offered', booking_id = $1 WHERE id = $2`, b.ID, w.id); err != nil {
		return err
	}
	return s.record(ctx, tx, authz.Actor{}, f, b, "offered", now)
}

// newNumber is a booking's number, random rather than counted so that
// a flash crowd's bookings do not queue on one counter row.
func newNumber() string { return "B-" + refcode.Random(8) }

// newToken is a booking's or entry's anonymous mark on the register.
func newToken() string { return strings.ToLower(refcode.Random(10)) }
