package booking

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *testClock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// at is a time on Casablanca's clock.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, i18n.Casablanca).UTC()
}

// monday 7 December 2026, 09:00 in Casablanca.
var monday = at(2026, 12, 7, 9, 0)

type env struct {
	s     *Service
	d     *db.DB
	clock *testClock
	// citizens; a Moulay Rachid facility manager; a Maarif one who
	// presides the association; another Maarif manager.
	people                          []int64
	mrManager, maarifRep, maarifMgr int64
	assoc                           int64
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	if _, err := district.NewStore(d).Load(ctx, district.Casablanca(), "system"); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"moulay-rachid", "sidi-othmane", "maarif", "sbata"} {
		if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, arrondissement_code, name_ar, name_fr, name_en, created_at)
			VALUES ($1, 'arrondissement', $1, 'م', 'O', 'O', $2)`, o, monday); err != nil {
			t.Fatal(err)
		}
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &testClock{t: monday}
	e := &env{d: d, clock: c}
	e.s = NewService(Deps{DB: d, Catalogue: DefaultCatalogue(), Events: jobs.New(d, nil, jobs.Options{}), Box: box, Now: c.now})
	if err := e.s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		e.people = append(e.people, e.person(t, fmt.Sprintf("c%d@example.ma", i)))
	}
	e.mrManager = e.person(t, "mr@example.ma")
	e.maarifRep = e.person(t, "rep@example.ma")
	e.maarifMgr = e.person(t, "mm@example.ma")
	if err := d.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO legal_persons (kind, name, association_number, created_by, created_at)
		VALUES ('association', 'Jeunes du Maârif', 'A-1234', $1, $2) RETURNING id`, e.maarifRep, monday).Scan(&e.assoc)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, 'president', $3)`,
		e.assoc, e.maarifRep, monday); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) person(t testing.TB, email string) int64 {
	t.Helper()
	var id int64
	err := e.d.Transact(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO persons (email, email_key, email_verified_at, phone,
		phone_verified_at, given_name_ar, family_name_ar, given_name_latin, family_name_latin, lang, created_at, updated_at)
		VALUES ($1, $1, $2, '+212612345678', $2, 'سعيد', 'العلوي', 'Said', 'Alaoui', 'ar', $2, $2) RETURNING id`,
			email, monday).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) citizen(i int) authz.Actor {
	return authz.Actor{Person: e.people[i], EmailVerified: true, Now: e.clock.now()}
}

func (e *env) manager(p int64, org string, represents ...int64) authz.Actor {
	return authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: e.clock.now(), Represents: represents,
		Grants: []authz.Grant{{Role: authz.FacilityManager, Org: org, Arrondissement: org}}}
}

// field1 is Moulay Rachid's first field; its peak is 18:00–22:00.
const field1 = "moulay-rachid-field-1"

func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Key != key {
		t.Fatalf("got %v, want the refusal %s", err, key)
	}
}

func (e *env) active(t *testing.T, code string, start time.Time) int {
	t.Helper()
	var n int
	if err := e.d.QueryRowContext(context.Background(), `SELECT count(*) FROM bookings WHERE facility_code = $1 AND slot_start = $2 AND `+activeSQL,
		code, start).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The catalogue is data, and a rule set that contradicts itself is
// refused with every contradiction named.
func TestRulesThatContradictThemselvesAreRefused(t *testing.T) {
	c := DefaultCatalogue()
	if len(c.Facilities) < 5 {
		t.Fatalf("%d facilities: the four pilots are missing", len(c.Facilities))
	}
	f, _ := c.Facility(field1)
	bad := *f
	bad.Rules.Quotas = []Quota{{Per: WhoCitizen, Period: "week", Max: 5}, {Per: WhoCitizen, Period: "month", Max: 3}}
	bad.Rules.MinNoticeHours = 24 * 8
	bad.Rules.Groups = []Group{{Code: "youth", Share: 70, Name: f.Rules.Groups[0].Name}, {Code: "schools", Share: 40, Name: f.Rules.Groups[0].Name}}
	bad.SlotMinutes = 70
	err := bad.Check()
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("a contradictory rule set accepted: %v", err)
	}
	keys := []string{e.Key}
	for _, f := range e.Faults {
		keys = append(keys, f.Key)
	}
	for _, k := range []string{"booking.rules.quota_order", "booking.rules.notice_horizon", "booking.rules.shares", "booking.rules.hours_slots"} {
		if !strings.Contains(strings.Join(keys, " "), k) {
			t.Errorf("the refusal does not name %s (it names %v)", k, keys)
		}
	}
	peakWithApproval := *f
	peakWithApproval.Rules.Approval = true
	wantKey(t, peakWithApproval.Check(), "booking.rules.approval_draw")
	if _, err := Load([]byte(`{"version":"x","facilities":[],"penalties":{"lookback_days":0,"steps":[]}}`), nil); err == nil {
		t.Error("a catalogue without a penalty ladder loaded")
	}
}

// Slots follow the opening hours, the slot length and the closures; a
// slot is bookable from its release, never later than the notice; peak
// slots are not first-come while their draw collects requests.
func TestBookingFollowsTheFacilitysRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f, _, err := e.s.Facility(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		slots := f.Slots(calendar.MakeDate(2026, 12, 8))
		if len(slots) != 15 || !slots[0].Start.Equal(at(2026, 12, 8, 8, 0)) || !slots[10].Peak || slots[9].Peak {
			t.Fatalf("slots of Tuesday: %d, first %v", len(slots), slots[0])
		}
		if len(f.Slots(calendar.MakeDate(2027, 1, 11))) != 0 {
			t.Error("slots on a day of closure")
		}
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 8, 10, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if b.State != Held || b.Method != FirstCome || len(b.Token) != 10 || b.Holder != e.people[0] {
			t.Fatalf("booking %+v", b)
		}
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 8, 10, 0)})
		wantKey(t, err, "booking.error.taken")
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 8, 10, 30)})
		wantKey(t, err, "booking.error.slot")
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 7, 10, 0)})
		wantKey(t, err, "booking.error.notice")
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 15, 10, 0)})
		wantKey(t, err, "booking.error.not_yet")
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 14, 19, 0)})
		wantKey(t, err, "booking.error.peak_draw")
		// A peak slot whose draw has closed with nobody asking goes
		// first-come.
		if _, err := e.s.Book(ctx, e.citizen(2), BookInput{Facility: field1, Start: at(2026, 12, 12, 19, 0)}); err != nil {
			t.Fatalf("a leftover peak slot: %v", err)
		}
		// Two a week for a citizen: the third is refused.
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 9, 10, 0)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 10, 10, 0)})
		wantKey(t, err, "booking.error.quota.week")
		// Only associations book the coworking space.
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: "maarif-coworking", Start: at(2026, 12, 15, 8, 0)})
		wantKey(t, err, "booking.error.who.citizen")
		// A staff account books from a personal account.
		_, err = e.s.Book(ctx, e.manager(e.mrManager, "moulay-rachid"), BookInput{Facility: field1, Start: at(2026, 12, 8, 11, 0)})
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("a staff account booked: %v", err)
		}
		// The database refuses a second holder and a transfer.
		_, err = d.ExecContext(ctx, `INSERT INTO bookings (number, facility_code, slot_start, slot_end, holder_id, method, token,
			state, created_at, updated_at, version) VALUES ('B-XXXXXXXX', $1, $2, $3, $4, 'first_come', 'abcdefghij', 'held', $5, $5, 1)`,
			field1, b.Start, b.End, e.people[1], monday)
		if !db.IsUniqueViolation(err) {
			t.Errorf("a second holder written straight into the table: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE bookings SET holder_id = $1 WHERE id = $2`, e.people[1], b.ID); err == nil {
			t.Error("a booking was transferred to someone else")
		}
		if got := e.active(t, field1, b.Start); got != 1 {
			t.Errorf("%d holders of the slot", got)
		}
	})
}

// Many devices racing for the last slot: one wins, every other gets the
// definite refusal "taken"; the slot has one holder.
func TestRaceForTheLastSlotHasOneWinner(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		const n = 40
		var racers []authz.Actor
		for i := range n {
			racers = append(racers, authz.Actor{Person: e.person(t, fmt.Sprintf("racer%d@example.ma", i)), EmailVerified: true, Now: monday})
		}
		start := at(2026, 12, 9, 14, 0)
		var wg sync.WaitGroup
		results := make([]error, n)
		gate := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				_, results[i] = e.s.Book(ctx, racers[i], BookInput{Facility: field1, Start: start})
			}()
		}
		close(gate)
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case errs.As(err) != nil && errs.As(err).Key == "booking.error.taken":
			default:
				t.Errorf("a racer got %v, not a definite answer", err)
			}
		}
		if won != 1 || e.active(t, field1, start) != 1 {
			t.Fatalf("%d winners, %d holders", won, e.active(t, field1, start))
		}
	})
}

// One person's two devices racing past a quota: the quota holds.
func TestOnePersonsDevicesCannotPassTheQuota(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for h := 8; h < 14; h++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 9, h, 0)}); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 2 {
			t.Fatalf("%d bookings in a week for a quota of 2", ok)
		}
	})
}

// A cancellation in time frees the slot for the first one waiting, who
// is offered it with a deadline; an offer not confirmed in time passes
// to the next; a late cancellation is refused.
func TestCancellationPromotesTheWaitlist(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		start := at(2026, 12, 10, 9, 0)
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.JoinWaitlist(ctx, e.citizen(0), BookInput{Facility: field1, Start: start})
		wantKey(t, err, "booking.error.yours")
		for i, want := range []int{1, 2} {
			if place, err := e.s.JoinWaitlist(ctx, e.citizen(i+1), BookInput{Facility: field1, Start: start}); err != nil || place != want {
				t.Fatalf("waitlist place %d, %v; want %d", place, err, want)
			}
		}
		_, err = e.s.JoinWaitlist(ctx, e.citizen(1), BookInput{Facility: field1, Start: start})
		wantKey(t, err, "booking.error.waiting")
		if _, err := e.s.Cancel(ctx, e.citizen(1), b.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("someone else cancelled the booking: %v", err)
		}
		if _, err := e.s.Cancel(ctx, e.citizen(0), b.ID); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, e.citizen(1))
		if len(mine) != 1 || mine[0].State != Offered || mine[0].Method != Waitlist || mine[0].ConfirmBy == nil ||
			!mine[0].ConfirmBy.Equal(monday.Add(4*time.Hour)) {
			t.Fatalf("the first waiting was not offered the slot: %+v", mine)
		}
		// Not confirmed within four hours: the next one is offered it.
		e.clock.add(5 * time.Hour)
		if _, err := e.s.Confirm(ctx, e.citizen(1), mine[0].ID); errs.As(err) == nil || errs.As(err).Key != "booking.error.offer_lapsed" {
			t.Fatalf("a lapsed offer confirmed: %v", err)
		}
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		next, _ := e.s.Mine(ctx, e.citizen(2))
		if len(next) != 1 || next[0].State != Offered {
			t.Fatalf("the second waiting was not offered the slot: %+v", next)
		}
		if c, err := e.s.Confirm(ctx, e.citizen(2), next[0].ID); err != nil || c.State != Held {
			t.Fatalf("confirm: %v", err)
		}
		if e.active(t, field1, start) != 1 {
			t.Fatal("the slot has not one holder")
		}
		// Cancelling a held booking less than 24 hours before is refused.
		e.clock.set(at(2026, 12, 9, 12, 0))
		_, err = e.s.Cancel(ctx, e.citizen(2), next[0].ID)
		wantKey(t, err, "booking.error.cancel_late")
	})
}

// A person suspended by the penalty ladder books nothing, not even
// through a waitlist: they may not join one, when the slot they waited
// for is freed it passes them over to the next one waiting, and an offer
// made before the suspension may not be confirmed.
func TestASuspendedPersonIsPassedOverOnTheWaitlist(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		start := at(2026, 12, 10, 9, 0)
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			if _, err := e.s.JoinWaitlist(ctx, e.citizen(i), BookInput{Facility: field1, Start: start}); err != nil {
				t.Fatal(err)
			}
		}
		// The first one waiting, and another citizen, miss two evenings
		// at the second field this Monday: suspended.
		for _, h := range []int{21, 22} {
			if _, err := e.s.Book(ctx, e.citizen(2), BookInput{Facility: "moulay-rachid-field-2", Start: at(2026, 12, 7, h, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, i := range []int{1, 3} {
			for _, h := range []int{16, 17} {
				if _, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: "moulay-rachid-field-2", Start: at(2026, 12, 7, h+i, 0)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.clock.set(at(2026, 12, 7, 20, 0).Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{1, 3} {
			if ps, _ := e.s.Penalties(ctx, e.citizen(i)); len(ps) != 2 || ps[0].SuspendedUntil == nil {
				t.Fatalf("citizen %d is not suspended: %+v", i, ps)
			}
		}
		_, err = e.s.JoinWaitlist(ctx, e.citizen(3), BookInput{Facility: field1, Start: start})
		wantKey(t, err, "booking.error.suspended")
		if _, err := e.s.Cancel(ctx, e.citizen(0), b.ID); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, e.citizen(1))
		for _, m := range mine {
			if m.Facility == field1 {
				t.Fatalf("the suspended citizen was offered the slot: %+v", m)
			}
		}
		if places, _ := e.s.WaitPlaces(ctx, e.citizen(1)); len(places) != 0 {
			t.Errorf("the suspended citizen still waits: %+v", places)
		}
		var offer *Booking
		next, _ := e.s.Mine(ctx, e.citizen(2))
		for _, m := range next {
			if m.Facility == field1 && m.State == Offered {
				offer = m
			}
		}
		if offer == nil {
			t.Fatalf("the next one waiting was not offered the slot: %+v", next)
		}
		// Suspended after the offer (two evenings missed tonight): the
		// offer may not be confirmed, and the refusal gives the date in
		// the reader's language.
		e.clock.set(at(2026, 12, 7, 22, 0).Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Confirm(ctx, e.citizen(2), offer.ID)
		wantKey(t, err, "booking.error.suspended")
		until := e.clock.now().AddDate(0, 0, 14)
		if d, _ := errs.As(err).Params["date"].(i18n.Text); d.FR != i18n.FormatDate(i18n.FR, until) || d.AR != i18n.FormatDate(i18n.AR, until) {
			t.Errorf("the suspension's date: %+v, want %s", errs.As(err).Params["date"], i18n.FormatDate(i18n.FR, until))
		}
	})
}

// An association books the coworking space; the arrondissement approves.
// A manager who presides the association may not approve it.
func TestCoworkingWaitsForTheArrondissementsApproval(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rep := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: monday, Represents: []int64{e.assoc}, ActingFor: e.assoc}
		b, err := e.s.Book(ctx, rep, BookInput{Facility: "maarif-coworking", Start: at(2026, 12, 15, 8, 0), Group: "partners"})
		if err != nil {
			t.Fatal(err)
		}
		if b.State != Pending || b.HolderLegal != e.assoc || b.Holder != e.maarifRep {
			t.Fatalf("booking %+v", b)
		}
		conflicted := e.manager(e.maarifRep, "maarif", e.assoc)
		conflicted.ActingFor = 0
		_, err = e.s.Decide(ctx, conflicted, b.ID, true)
		wantKey(t, err, "error.authz.conflict")
		// Nor another manager who represents the same association, though
		// someone else made the request.
		colleague := e.people[3]
		e.representative(t, e.assoc, colleague)
		_, err = e.s.Decide(ctx, e.manager(colleague, "maarif", e.assoc), b.ID, true)
		wantKey(t, err, "error.authz.conflict")
		if _, err := e.s.Decide(ctx, e.manager(e.mrManager, "moulay-rachid"), b.ID, true); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Moulay Rachid's manager decided Maarif's booking: %v", err)
		}
		ok, err := e.s.Decide(ctx, e.manager(e.maarifMgr, "maarif"), b.ID, true)
		if err != nil || ok.State != Held || ok.DecidedBy != e.maarifMgr {
			t.Fatalf("approval: %+v, %v", ok, err)
		}
		_, err = e.s.Decide(ctx, e.manager(e.maarifMgr, "maarif"), b.ID, false)
		wantKey(t, err, "booking.error.state")
	})
}

// Several accounts booking with one phone number are a signal for the
// managers' review; a manager of another arrondissement does not see it.
func TestSharedPhonesAreSignalledForReview(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		for i := range 2 {
			if _, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: field1, Start: at(2026, 12, 8, 9+i, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		if sg, err := e.s.Signals(ctx, mgr, "moulay-rachid"); err != nil || len(sg) != 0 {
			t.Fatalf("two accounts on one phone signalled: %+v %v", sg, err)
		}
		if _, err := e.s.Book(ctx, e.citizen(2), BookInput{Facility: field1, Start: at(2026, 12, 8, 12, 0)}); err != nil {
			t.Fatal(err)
		}
		sg, err := e.s.Signals(ctx, mgr, "moulay-rachid")
		if err != nil || len(sg) != 1 || sg[0].Accounts != 3 || sg[0].Bookings != 3 || sg[0].Phone == "+212612345678" {
			t.Fatalf("signals %+v, %v: want one, three accounts, the phone masked", sg, err)
		}
		if _, err := e.s.Signals(ctx, e.manager(e.maarifMgr, "maarif"), "moulay-rachid"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Maarif's manager read Moulay Rachid's signals: %v", err)
		}
	})
}

// A manager changes a facility's rules from the back office: a rule set
// that contradicts itself is refused whole, with every contradiction; a
// manager of another arrondissement cannot; a stale version is refused.
func TestManagersChangeTheRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		f, v, err := e.s.Facility(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		bad := f.Rules
		bad.MinNoticeHours, bad.Quotas = 24*30, []Quota{{Per: WhoCitizen, Period: "week", Max: 9}, {Per: WhoCitizen, Period: "month", Max: 2}}
		_, err = e.s.UpdateRules(ctx, mgr, field1, v, bad)
		if fe := errs.As(err); fe == nil || fe.Kind != errs.Invalid || len(fe.Faults) < 1 {
			t.Fatalf("contradictory rules: %v", err)
		}
		good := f.Rules
		good.MaxFuture = 2
		if _, err := e.s.UpdateRules(ctx, e.manager(e.maarifMgr, "maarif"), field1, v, good); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Maarif's manager changed Moulay Rachid's rules: %v", err)
		}
		if _, err := e.s.UpdateRules(ctx, mgr, field1, v, good); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.UpdateRules(ctx, mgr, field1, v, good)
		wantKey(t, err, "booking.error.stale")
		g, v2, _ := e.s.Facility(ctx, field1)
		if g.Rules.MaxFuture != 2 || v2 != v+1 {
			t.Fatalf("rules after the change: max %d, version %d", g.Rules.MaxFuture, v2)
		}
	})
}

// A priority group's share of a day is kept for it until two days before:
// the young's 30 % of Moulay Rachid's first field (5 of 15 slots, 4 peak
// ones drawn), then anyone may book what is left.
func TestPriorityGroupsKeepTheirShare(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// Friday 11 December: 15 slots, 11 first-come, 5 reserved.
		var people []int64
		for i := range 12 {
			people = append(people, e.person(t, fmt.Sprintf("share%d@example.ma", i)))
		}
		book := func(i, h int, group string) error {
			_, err := e.s.Book(ctx, authz.Actor{Person: people[i], EmailVerified: true, Now: monday},
				BookInput{Facility: field1, Start: at(2026, 12, 11, h, 0), Group: group})
			return err
		}
		// Ten slots booked from 08:00 (the peak ones, whose draws closed
		// with nobody asking, are first-come too).
		hours := []int{8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 22}
		for i := range 10 {
			if err := book(i, hours[i], ""); err != nil {
				t.Fatalf("booking %d: %v", i, err)
			}
		}
		// 15 slots, 10 taken, 5 owed to the young: the 11th is theirs.
		wantKey(t, book(10, 22, ""), "booking.error.reserved")
		if err := book(10, 22, "youth"); err != nil {
			t.Fatalf("the young's slot: %v", err)
		}
		// 15 slots, 11 taken, 4 owed: still nothing for the others.
		wantKey(t, book(11, 19, ""), "booking.error.reserved")
		// Less than two days before, the reservation ends.
		e.clock.set(at(2026, 12, 9, 20, 0))
		if err := book(11, 19, ""); err != nil {
			t.Fatalf("after the reservation: %v", err)
		}
	})
}
