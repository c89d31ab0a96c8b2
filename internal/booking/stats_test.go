package booking

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// statsWeek books Moulay Rachid's first field as people would, at the
// test's clock: on Tuesday 8 December five slots are held (two by the
// young, three without a group), one cancelled and promoted from the
// waitlist, three holders check in and two do not come; one more slot
// on Wednesday; Monday 14's 19:00 goes by draw. It returns the tokens
// of the bookings.
func statsWeek(t *testing.T, e *env) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := e.s.PrepareDraws(ctx); err != nil {
		t.Fatal(err)
	}
	var toks []string
	book := func(i int, start time.Time, group string) *Booking {
		t.Helper()
		b, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: field1, Start: start, Group: group})
		if err != nil {
			t.Fatalf("citizen %d at %v: %v", i, start, err)
		}
		toks = append(toks, b.Token)
		return b
	}
	tue := func(h int) time.Time { return at(2026, 12, 8, h, 0) }
	b0 := book(0, tue(10), "youth")
	book(1, tue(11), "youth")
	b2 := book(2, tue(12), "")
	book(3, tue(13), "")
	b4 := book(4, tue(14), "")
	book(0, at(2026, 12, 9, 10, 0), "")
	if _, err := e.s.JoinWaitlist(ctx, e.citizen(5), BookInput{Facility: field1, Start: tue(14)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Cancel(ctx, e.citizen(4), b4.ID); err != nil {
		t.Fatal(err)
	}
	mine, err := e.s.Mine(ctx, e.citizen(5))
	if err != nil || len(mine) != 1 || mine[0].State != Offered {
		t.Fatalf("the waitlist's offer: %v %v", mine, err)
	}
	b5, err := e.s.Confirm(ctx, e.citizen(5), mine[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	toks = append(toks, b5.Token)
	if _, err := e.s.Enter(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 14, 19, 0)}); err != nil {
		t.Fatal(err)
	}
	e.clock.set(tue(8).Add(time.Minute))
	if _, err := e.s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	mgr := e.manager(e.mrManager, "moulay-rachid")
	for _, x := range []struct {
		who int
		b   *Booking
	}{{0, b0}, {2, b2}, {5, b5}} {
		e.clock.set(x.b.Start.Add(5 * time.Minute))
		code, _, err := e.s.Code(ctx, e.citizen(x.who), x.b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CheckIn(ctx, mgr, code); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.set(tue(23).Add(30 * time.Minute))
	if _, err := e.s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	drawn, err := e.s.Mine(ctx, e.citizen(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range drawn {
		toks = append(toks, b.Token)
	}
	return toks
}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

// The managers' figures: occupancy, check-ins, no-shows among the
// bookings whose outcome is known, cancellations, waitlist promotions,
// how slots were allocated and each group's share against its reserved
// share — for the organisation's managers only; the public daily
// figures add up to the same and name no one.
func TestStatisticsOfAFacility(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		toks := statsWeek(t, e)
		mgr := e.manager(e.mrManager, "moulay-rachid")
		tue := calendar.MakeDate(2026, 12, 8)
		st, err := e.s.Stats(ctx, mgr, "moulay-rachid", Period{From: tue, To: tue})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Facilities) != 2 || st.Facilities[0].Facility.Code != field1 {
			t.Fatalf("facilities: %+v", st.Facilities)
		}
		f := st.Facilities[0]
		want := Counts{Offered: 15, Booked: 5, CheckedIn: 3, NoShows: 2, FirstCome: 4, FromWaitlist: 1}
		if f.Counts != want || f.Cancelled != 1 || f.Promotions != 1 || f.PromotionsTaken != 1 {
			t.Fatalf("Tuesday's figures: %+v, cancelled %d, promotions %d/%d", f.Counts, f.Cancelled, f.Promotions, f.PromotionsTaken)
		}
		if !near(f.Occupancy(), 1.0/3) || !near(f.Attendance(), 0.2) || !near(f.NoShowRate(), 0.4) {
			t.Errorf("occupancy %v, attendance %v, no-show rate %v", *f.Occupancy(), *f.Attendance(), *f.NoShowRate())
		}
		if len(f.Groups) != 2 || f.Groups[0].Code != "youth" || f.Groups[0].Booked != 2 || !near(f.Groups[0].Share, 0.4) ||
			f.Groups[0].Reserved != 30 || f.Groups[1].Code != "" || f.Groups[1].Booked != 3 || !near(f.Groups[1].Share, 0.6) {
			t.Errorf("groups: %+v", f.Groups)
		}
		if o := st.Facilities[1]; o.Booked != 0 || o.Offered == 0 || o.Occupancy() == nil || *o.Occupancy() != 0 {
			t.Errorf("the second field: %+v", o.Counts)
		}
		// The week: Wednesday's booking and Monday's drawn slot count.
		week := Period{From: tue, To: tue.AddDays(6)}
		st, err = e.s.Stats(ctx, mgr, "moulay-rachid", week)
		if err != nil {
			t.Fatal(err)
		}
		f = st.Facilities[0]
		if f.Offered != 7*15 || f.Booked != 7 || f.Drawn != 1 || f.FirstCome != 5 || !near(f.Occupancy(), 7.0/105) {
			t.Errorf("the week: %+v", f.Counts)
		}
		// Another organisation's manager, or a citizen, is refused.
		for _, a := range []authz.Actor{e.manager(e.maarifMgr, "maarif"), e.citizen(0)} {
			if _, err := e.s.Stats(ctx, a, "moulay-rachid", week); err == nil {
				t.Errorf("%d read Moulay Rachid's figures", a.Person)
			}
		}
		// The public daily figures: the same counts, day by day.
		daily, err := e.s.Daily(ctx, field1, week)
		if err != nil {
			t.Fatal(err)
		}
		if len(daily.Days) != 7 || daily.Days[0].Counts != want || daily.Days[1].Booked != 1 || daily.Days[1].FirstCome != 1 ||
			daily.Days[6].Drawn != 1 || daily.Days[6].Offered != 15 || daily.Totals() != f.Counts {
			t.Fatalf("daily: %+v, totals %+v", daily.Days, daily.Totals())
		}
		js, _ := json.Marshal(daily)
		for _, tok := range toks {
			if strings.Contains(string(js), tok) {
				t.Fatalf("the daily figures show the token %s: %s", tok, js)
			}
		}
		if !strings.Contains(string(js), `{"date":"2026-12-08","offered":15,"booked":5,"checked_in":3,"no_shows":2,"first_come":4,"draw":0,"waitlist":1}`) {
			t.Errorf("daily JSON: %s", js)
		}
	})
}

// A period is read from its two dates: a date that is none, an end
// before the start or more than a year are refused on their field.
func TestStatisticsPeriod(t *testing.T) {
	def := LastDays(monday, DefaultPeriodDays)
	if def.To != calendar.MakeDate(2026, 12, 6) || def.From != calendar.MakeDate(2026, 11, 7) || def.Days() != 30 {
		t.Fatalf("default period: %+v", def)
	}
	for _, c := range []struct{ from, to, key, field string }{
		{"2026-02-30", "", "booking.error.stats_date", "from"},
		{"", "soon", "booking.error.stats_date", "to"},
		{"2026-12-10", "2026-12-01", "booking.error.stats_order", "to"},
		{"2025-01-01", "2026-12-01", "booking.error.stats_span", "from"},
	} {
		_, err := ParsePeriod(c.from, c.to, def)
		wantKey(t, err, c.key)
		if e := errsField(err); e != c.field {
			t.Errorf("%s–%s: on %q, want %q", c.from, c.to, e, c.field)
		}
	}
	if p, err := ParsePeriod("2026-12-20", "", def); err != nil || p.From != p.To || p.To != calendar.MakeDate(2026, 12, 20) {
		t.Errorf("a day ahead alone: %+v %v", p, err)
	}
	if p, err := ParsePeriod("2026-11-20", "", def); err != nil || p.From != calendar.MakeDate(2026, 11, 20) || p.To != def.To {
		t.Errorf("a first day alone: %+v %v", p, err)
	}
	p, err := ParsePeriod("٢٠٢٦-١٢-٠١", "2026-12-07", def)
	if err != nil || p.From != calendar.MakeDate(2026, 12, 1) || p.Days() != 7 {
		t.Errorf("Arabic digits: %+v %v", p, err)
	}
}

func errsField(err error) string {
	if e := errs.As(err); e != nil {
		return e.Field
	}
	return ""
}
