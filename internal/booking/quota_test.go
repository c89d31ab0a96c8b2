package booking

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// refusal checks that err is the refusal key with max as its "max"
// parameter, and that the reader sees that figure in Arabic, French and
// English (the message the page shows, not only its key).
func refusal(t *testing.T, err error, key string, max int) {
	t.Helper()
	wantKey(t, err, key)
	e := errs.As(err)
	if got, ok := e.Params["max"]; !ok || fmt.Sprint(got) != fmt.Sprint(max) {
		t.Fatalf("%s: max = %v, want %d", key, e.Params["max"], max)
	}
	cat, cerr := i18n.Load(Messages)
	if cerr != nil {
		t.Fatal(cerr)
	}
	for _, l := range []i18n.Lang{i18n.AR, i18n.FR, i18n.EN} {
		if !cat.Has(l, key) {
			t.Fatalf("%s has no %s text", key, l)
		}
		if s := cat.TMap(l, key, e.Params); !strings.Contains(s, fmt.Sprint(max)) || strings.Contains(s, "{max}") {
			t.Errorf("the %s refusal reads %q: the limit %d is not in it", l, s, max)
		}
	}
}

// representative makes person p a representative of association id and
// returns them acting for it.
func (e *env) representative(t *testing.T, id, p int64) authz.Actor {
	t.Helper()
	if _, err := e.d.ExecContext(context.Background(), `INSERT INTO representatives (legal_person_id, person_id, role, created_at)
		VALUES ($1, $2, 'legal_representative', $3)`, id, p, monday); err != nil {
		t.Fatal(err)
	}
	return authz.Actor{Person: p, EmailVerified: true, Now: e.clock.now(), Represents: []int64{id}, ActingFor: id}
}

// setQuotas gives facility code the quotas qs and the cap maxFuture, as
// its manager would at the desk.
func (e *env) setQuotas(t *testing.T, code, org string, maxFuture int, qs ...Quota) {
	t.Helper()
	ctx := context.Background()
	f, v, err := e.s.Facility(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Rules
	r.Quotas, r.MaxFuture = qs, maxFuture
	if _, err := e.s.UpdateRules(ctx, e.manager(e.mrManager, org), code, v, r); err != nil {
		t.Fatal(err)
	}
}

// A citizen's month quota on Moulay Rachid's first field (six a month,
// two a week, three held at once): week after week, the sixth booking of
// December is taken, the seventh refused with "this month's quota (6)"
// although its week is empty and nothing else is held; January starts
// afresh.
func TestACitizensMonthQuotaRefusesTheSeventh(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		book := func(day time.Time) error {
			_, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: day})
			return err
		}
		for _, week := range []int{7, 14, 21} {
			e.clock.set(at(2026, 12, week, 9, 0)) // Monday: last week's bookings are past
			for _, day := range []int{week + 1, week + 2} {
				if err := book(at(2026, 12, day, 10, 0)); err != nil {
					t.Fatalf("booking %d December: %v", day, err)
				}
			}
		}
		e.clock.set(at(2026, 12, 28, 9, 0))
		refusal(t, book(at(2026, 12, 29, 10, 0)), "booking.error.quota.month", 6)
		// Someone else's month is theirs.
		if _, err := e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 29, 10, 0)}); err != nil {
			t.Fatalf("another citizen: %v", err)
		}
		// A new month, in the same week.
		if err := book(at(2027, 1, 2, 10, 0)); err != nil {
			t.Fatalf("the first booking of January: %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE holder_id = $1`, e.people[0]).Scan(&n); err != nil || n != 7 {
			t.Fatalf("%d bookings held (%v), want 7", n, err)
		}
	})
}

// The cap on future bookings held: a citizen of the hall (four held at
// once, one a week) books four weeks ahead, the fifth is refused with
// "you already hold 4"; once one of them has passed, or is cancelled,
// the next is taken. A cancelled booking is not held.
func TestTheCapOnFutureBookingsHeld(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// No week or month quota in the way: the cap alone.
		e.setQuotas(t, hall, "sidi-othmane", 4)
		book := func(day int) (*Booking, error) {
			return e.s.Book(ctx, e.citizen(0), BookInput{Facility: hall, Start: at(2026, 12, day, 19, 30)})
		}
		var held []*Booking
		for _, day := range []int{8, 9, 10, 11} {
			b, err := book(day)
			if err != nil {
				t.Fatalf("booking %d of 4: %v", len(held)+1, err)
			}
			held = append(held, b)
		}
		_, err := book(12)
		refusal(t, err, "booking.error.max_future", 4)
		// Cancelled in time, one is no longer held.
		if _, err := e.s.Cancel(ctx, e.citizen(0), held[3].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := book(12); err != nil {
			t.Fatalf("after a cancellation: %v", err)
		}
		_, err = book(14)
		refusal(t, err, "booking.error.max_future", 4)
		// Once the first has ended, the next is taken.
		e.clock.set(at(2026, 12, 8, 21, 1))
		if _, err := book(14); err != nil {
			t.Fatalf("after the first booking ended: %v", err)
		}
	})
}

// An association's quotas count the bookings of the association,
// whichever of its representatives made them; its representatives' own
// bookings count apart, and the association's do not count in theirs.
// On Moulay Rachid's first field an association holds three at once and
// books four a week.
func TestAnAssociationsQuotasCountItsRepresentativesTogether(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rep1 := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: monday, Represents: []int64{e.assoc}, ActingFor: e.assoc}
		rep2 := e.representative(t, e.assoc, e.people[5])
		own1, own2 := rep1, rep2
		own1.ActingFor, own2.ActingFor = 0, 0
		book := func(a authz.Actor, day, h int) error {
			_, err := e.s.Book(ctx, a, BookInput{Facility: field1, Start: at(2026, 12, day, h, 0)})
			return err
		}
		// The first representative fills their own week (two).
		for _, day := range []int{8, 9} {
			if err := book(own1, day, 14); err != nil {
				t.Fatalf("in their own name: %v", err)
			}
		}
		refusal(t, book(own1, 10, 14), "booking.error.quota.week", 2)
		// Their own two do not count in the association's.
		if err := book(rep1, 7, 12); err != nil {
			t.Fatalf("for the association, their own week full: %v", err)
		}
		if err := book(rep2, 8, 10); err != nil {
			t.Fatal(err)
		}
		if err := book(rep1, 9, 10); err != nil {
			t.Fatal(err)
		}
		// Three held by the association, by two people: the cap.
		refusal(t, book(rep2, 10, 10), "booking.error.max_future", 3)
		// Today's has ended: the fourth of the week is taken.
		e.clock.set(at(2026, 12, 7, 13, 1))
		if err := book(rep2, 10, 10); err != nil {
			t.Fatalf("the fourth of the week: %v", err)
		}
		// Tuesday's has ended too (two held): the week's quota refuses.
		e.clock.set(at(2026, 12, 8, 11, 1))
		refusal(t, book(rep1, 11, 10), "booking.error.quota.week", 4)
		refusal(t, book(rep2, 12, 10), "booking.error.quota.week", 4)
		// The association's four do not count in its representatives' own.
		if err := book(own2, 11, 10); err != nil {
			t.Fatalf("the second representative in their own name: %v", err)
		}
		refusal(t, book(own1, 11, 11), "booking.error.quota.week", 2)
		var mine, theirs int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE holder_legal_id = $1`, e.assoc).Scan(&theirs); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE holder_id = $1 AND holder_legal_id IS NULL`,
			e.maarifRep).Scan(&mine); err != nil {
			t.Fatal(err)
		}
		if theirs != 4 || mine != 2 {
			t.Fatalf("the association holds %d (want 4), its representative %d in their name (want 2)", theirs, mine)
		}
	})
}

// An association's month and season quotas, set at the desk (two a
// week, three a month, four a season), hit by its two representatives
// together: the refusal names the period and its figure.
func TestAnAssociationsMonthAndSeasonQuotas(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.setQuotas(t, field1, "moulay-rachid", 10, Quota{Per: WhoCitizen, Period: "week", Max: 2},
			Quota{Per: WhoAssociation, Period: "week", Max: 2}, Quota{Per: WhoAssociation, Period: "month", Max: 3},
			Quota{Per: WhoAssociation, Period: "season", Max: 4})
		rep1 := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: monday, Represents: []int64{e.assoc}, ActingFor: e.assoc}
		rep2 := e.representative(t, e.assoc, e.people[5])
		book := func(a authz.Actor, y int, m time.Month, day int) error {
			_, err := e.s.Book(ctx, a, BookInput{Facility: field1, Start: at(y, m, day, 10, 0)})
			return err
		}
		if err := book(rep1, 2026, 12, 8); err != nil {
			t.Fatal(err)
		}
		if err := book(rep2, 2026, 12, 9); err != nil {
			t.Fatal(err)
		}
		refusal(t, book(rep1, 2026, 12, 10), "booking.error.quota.week", 2)
		e.clock.set(at(2026, 12, 14, 9, 0))
		if err := book(rep1, 2026, 12, 15); err != nil {
			t.Fatalf("the third of the month: %v", err)
		}
		refusal(t, book(rep2, 2026, 12, 16), "booking.error.quota.month", 3)
		e.clock.set(at(2027, 1, 4, 9, 0))
		if err := book(rep2, 2027, 1, 5); err != nil {
			t.Fatalf("the fourth of the season: %v", err)
		}
		refusal(t, book(rep1, 2027, 1, 6), "booking.error.quota.season", 4)
		// Another association's season is its own.
		other := e.association(t, "Widad Sbata", "widad@example.ma")
		if err := book(other, 2027, 1, 6); err != nil {
			t.Fatalf("another association: %v", err)
		}
	})
}

// One person's devices racing for the last unit of a month quota: one
// wins, the others are refused with the month's quota.
func TestOnePersonsDevicesCannotPassTheMonthQuota(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.setQuotas(t, field1, "moulay-rachid", 10, Quota{Per: WhoCitizen, Period: "month", Max: 3})
		for _, day := range []int{8, 9} {
			if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, day, 10, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		results := race(6, func(i int) error {
			_, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 10, 8+i, 0)})
			return err
		})
		if won := definite(t, results, "booking.error.quota.month"); won != 1 {
			t.Fatalf("%d devices won the last unit of the month", won)
		}
	})
}

// Representatives of one association racing, each from their own
// device, for the last unit of the association's month quota: one wins,
// the others are refused. Their locks are on different people, so the
// association itself must be what serialises them. A race is won or
// lost by a hair: several associations race, round after round.
func TestRepresentativesCannotPassTheAssociationsQuotaTogether(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.setQuotas(t, field1, "moulay-rachid", 10, Quota{Per: WhoAssociation, Period: "month", Max: 3})
		for round := range 6 {
			club := e.association(t, fmt.Sprintf("Club %d", round), fmt.Sprintf("p%d@example.ma", round))
			reps := []authz.Actor{club}
			for i := range 7 {
				reps = append(reps, e.representative(t, club.ActingFor, e.person(t, fmt.Sprintf("r%d-%d@example.ma", round, i))))
			}
			// Two days a round: the rounds' slots do not meet.
			day := 8 + 2*(round%3)
			if round >= 3 {
				e.clock.set(at(2026, 12, 14, 9, 0))
				day += 7
			}
			for _, h := range []int{8, 9} {
				if _, err := e.s.Book(ctx, club, BookInput{Facility: field1, Start: at(2026, 12, day, h, 0)}); err != nil {
					t.Fatal(err)
				}
			}
			results := race(len(reps), func(i int) error {
				_, err := e.s.Book(ctx, reps[i], BookInput{Facility: field1, Start: at(2026, 12, day+1, 8+i, 0)})
				return err
			})
			won := definite(t, results, "booking.error.quota.month")
			var n int
			if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE holder_legal_id = $1 AND `+activeSQL,
				club.ActingFor).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if won != 1 || n != 3 {
				t.Fatalf("round %d: %d representatives won the last unit; the association holds %d for a quota of 3", round, won, n)
			}
		}
	})
}

// race runs f(0..n-1) at once and returns their errors.
func race(n int, f func(i int) error) []error {
	var wg sync.WaitGroup
	out := make([]error, n)
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i] = f(i)
		}()
	}
	close(gate)
	wg.Wait()
	return out
}

// definite counts the successes, failing on any error other than the
// refusal key.
func definite(t *testing.T, results []error, key string) int {
	t.Helper()
	won := 0
	for _, err := range results {
		switch k := errs.As(err); {
		case err == nil:
			won++
		case k != nil && k.Key == key:
		default:
			t.Errorf("a racer got %v, not a definite answer", err)
		}
	}
	return won
}
