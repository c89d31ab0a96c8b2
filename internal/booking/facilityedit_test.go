package booking

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"testing"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
)

// faultKeys are the message keys of a refusal, the first and its faults.
func faultKeys(t *testing.T, err error) []string {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("got %v, want a refusal naming the contradictions", err)
	}
	keys := []string{e.Key}
	for _, f := range e.Faults {
		keys = append(keys, f.Key)
	}
	return keys
}

func wantKeys(t *testing.T, err error, want ...string) {
	t.Helper()
	keys := faultKeys(t, err)
	for _, k := range want {
		if !slices.Contains(keys, k) {
			t.Errorf("the refusal does not name %s (it names %v)", k, keys)
		}
	}
}

func (e *env) version(t *testing.T, code string) int {
	t.Helper()
	_, v, err := e.s.Facility(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// New opening hours and slot length: saved with the version, effective
// at once (a slot outside them is no longer offered); refused whole when
// they contradict the rules (every contradiction named), when bookings
// to come would fall outside them (with their count), on a stale
// version, and for a manager of another arrondissement.
func TestTheDeskChangesTheOpeningHours(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		v := e.version(t, field1)
		weekdaysEvenings := []Opening{{Days: []int{1, 2, 3, 4, 5}, Open: "16:00", Close: "23:00"}, {Days: []int{6, 7}, Open: "08:00", Close: "23:00"}}

		// Contradictions, all at once: hours that do not divide into the
		// slots, peak slots (every day) on closed days.
		_, err := e.s.UpdateHours(ctx, mgr, field1, v, []Opening{{Days: []int{1, 2, 3, 4, 5}, Open: "08:00", Close: "22:30"}}, 60)
		wantKeys(t, err, "booking.rules.hours_slots", "booking.rules.peak_closed")

		// A booking on Wednesday morning: evenings-only hours would leave
		// it on a slot that no longer exists.
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 9, 10, 0)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.UpdateHours(ctx, mgr, field1, v, weekdaysEvenings, 60)
		wantKey(t, err, "booking.hours.affected")
		if n := errs.As(err).Params["count"]; n != 1 {
			t.Errorf("affected bookings: %v, want 1", n)
		}
		if e.version(t, field1) != v {
			t.Fatal("a refused change was written")
		}
		if _, err := e.s.Cancel(ctx, e.citizen(0), b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.UpdateHours(ctx, e.manager(e.maarifMgr, "maarif"), field1, v, weekdaysEvenings, 60); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Maarif's manager changed Moulay Rachid's hours: %v", err)
		}
		if _, err := e.s.UpdateHours(ctx, mgr, field1, v, weekdaysEvenings, 60); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.UpdateHours(ctx, mgr, field1, v, weekdaysEvenings, 60)
		wantKey(t, err, "booking.error.stale")
		// Tuesday 10:00 is no longer a slot; 17:00 is.
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 8, 10, 0)})
		wantKey(t, err, "booking.error.slot")
		if _, err := e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 8, 17, 0)}); err != nil {
			t.Fatalf("a slot of the new hours: %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'booking.hours' AND object_id = $1`, field1).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit records of the change: %d, %v", n, err)
		}
	})
}

// A closure over booked days is refused with the count of the bookings
// it would cancel, unless the manager ticks that it cancels them: then
// they are cancelled in the same transaction, each holder told through
// the outbox, the waitlist left as it is; no slot is offered on its days.
// Its reason may be given in one language and shows in the others.
func TestAClosureCancelsBookedDaysOnlyWhenTheManagerSaysSo(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		start := at(2026, 12, 10, 10, 0)
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.JoinWaitlist(ctx, e.citizen(1), BookInput{Facility: field1, Start: start}); err != nil {
			t.Fatal(err)
		}
		works := Closure{From: "2026-12-10", To: "2026-12-11", Reason: i18n.Text{FR: "Travaux d'éclairage"}}
		v := e.version(t, field1)
		_, _, err = e.s.AddClosure(ctx, mgr, field1, v, Closure{From: "2026-12-12", To: "2026-12-10"}, false)
		wantKeys(t, err, "booking.rules.closure", "booking.rules.closure_reason")
		_, _, err = e.s.AddClosure(ctx, e.manager(e.maarifMgr, "maarif"), field1, v, works, true)
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("Maarif's manager closed Moulay Rachid's field: %v", err)
		}
		_, _, err = e.s.AddClosure(ctx, mgr, field1, v, works, false)
		wantKey(t, err, "booking.closure.affected")
		if n := errs.As(err).Params["count"]; n != 1 || e.active(t, field1, start) != 1 || e.version(t, field1) != v {
			t.Fatalf("a refused closure: count %v, the booking active %d", n, e.active(t, field1, start))
		}
		var events int
		_ = d.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE topic = $1`, TopicBookingChanged).Scan(&events)
		f, n, err := e.s.AddClosure(ctx, mgr, field1, v, works, true)
		if err != nil || n != 1 {
			t.Fatalf("the closure: %d cancelled, %v", n, err)
		}
		got, _ := booking(ctx, d, b.ID)
		if got.State != Cancelled {
			t.Fatalf("the booking on a closed day is %s", got.State)
		}
		var after int
		var payload string
		_ = d.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE topic = $1`, TopicBookingChanged).Scan(&after)
		_ = d.QueryRowContext(ctx, `SELECT payload FROM events WHERE topic = $1 ORDER BY id DESC LIMIT 1`, TopicBookingChanged).Scan(&payload)
		var ev BookingChanged
		_ = json.Unmarshal([]byte(payload), &ev)
		if after != events+1 || ev.Change != "closed" || ev.Booking != b.ID {
			t.Fatalf("the holder is not told: %d events after %d, last %+v", after, events, ev)
		}
		if places, _ := e.s.WaitPlaces(ctx, e.citizen(1)); len(places) != 1 {
			t.Errorf("the waitlist changed: %+v", places)
		}
		if mine, _ := e.s.Mine(ctx, e.citizen(1)); len(mine) != 0 {
			t.Errorf("someone waiting was offered a closed slot: %+v", mine)
		}
		_, err = e.s.Book(ctx, e.citizen(2), BookInput{Facility: field1, Start: at(2026, 12, 11, 9, 0)})
		wantKey(t, err, "booking.error.slot")
		if r := pickAny(f.Closures[0].Reason, i18n.EN); r != "Travaux d'éclairage" {
			t.Errorf("the reason in English falls back to %q", r)
		}
		// Removed, the days are open again.
		_, err = e.s.RemoveClosure(ctx, mgr, field1, v, works.From, works.To)
		wantKey(t, err, "booking.error.stale")
		if _, err := e.s.RemoveClosure(ctx, mgr, field1, v+1, works.From, works.To); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Book(ctx, e.citizen(2), BookInput{Facility: field1, Start: at(2026, 12, 11, 9, 0)}); err != nil {
			t.Fatalf("a day no longer closed: %v", err)
		}
	})
}

// Sidi Othmane's hall keeps 40 % of its weekday slots from 09:00 to
// 18:00 for schools (3 of those 6 slots), taken by schools booking as
// schools: in those hours only, and a
// change of the share applies at once; a group's hours outside the
// opening hours, on a closed day, or shares above 100 % are refused
// together.
func TestSchoolsHoldTheirShareInSchoolHoursOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "sidi-othmane")
		i := 0
		book := func(y, mo, day, h, m int, group string) error {
			i++
			p := e.person(t, fmt.Sprintf("school%d@example.ma", i))
			_, err := e.s.Book(ctx, authz.Actor{Person: p, EmailVerified: true, Now: monday},
				BookInput{Facility: hall, Start: at(y, 12, day, h, m), Group: group})
			return err
		}
		// Friday 11 December.
		for _, hm := range [][2]int{{9, 0}, {10, 30}, {12, 0}} {
			if err := book(2026, 12, 11, hm[0], hm[1], ""); err != nil {
				t.Fatalf("%02d:%02d: %v", hm[0], hm[1], err)
			}
		}
		// Three of six school-hour slots left, all owed to the schools.
		wantKey(t, book(2026, 12, 11, 13, 30, ""), "booking.error.reserved")
		// The share is the schools' by who books (schools_test.go): a
		// citizen declaring the group is refused; a school's director,
		// acting for it, takes the slot.
		wantKey(t, book(2026, 12, 11, 13, 30, "schools"), "booking.error.group_who.school")
		school := e.legalPerson(t, "school", "École Ibn Khaldoun", "school@example.ma", "21074V")
		school.Now = monday
		if _, err := e.s.Book(ctx, school, BookInput{Facility: hall, Start: at(2026, 12, 11, 13, 30), Group: "schools"}); err != nil {
			t.Fatalf("a school's slot: %v", err)
		}
		wantKey(t, book(2026, 12, 11, 15, 0, ""), "booking.error.reserved")
		// After school hours, and on Saturday, the schools hold nothing.
		if err := book(2026, 12, 11, 18, 0, ""); err != nil {
			t.Fatalf("after school hours: %v", err)
		}
		for _, hm := range [][2]int{{9, 0}, {10, 30}, {12, 0}, {13, 30}, {15, 0}} {
			if err := book(2026, 12, 12, hm[0], hm[1], ""); err != nil {
				t.Fatalf("Saturday %02d:%02d: %v", hm[0], hm[1], err)
			}
		}
		f, v, _ := e.s.Facility(ctx, hall)
		schools := f.Rules.Groups[0]
		if !slices.Equal(schools.Days, []int{1, 2, 3, 4, 5}) || schools.From != "09:00" {
			t.Fatalf("the catalogue's schools: %+v", schools)
		}
		// Contradictions together: Sunday (closed), from 08:00 (the hall
		// opens at 09:00), 70 % more.
		youth := Group{Code: "youth", Share: 70, Name: schools.Name, Days: []int{6, 7}, From: "08:00", To: "17:00"}
		_, err := e.s.SaveGroup(ctx, mgr, hall, v, youth)
		wantKeys(t, err, "booking.rules.group_closed", "booking.rules.group_hours", "booking.rules.shares")
		if _, err := e.s.SaveGroup(ctx, e.manager(e.mrManager, "moulay-rachid"), hall, v, schools); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Moulay Rachid's manager changed Sidi Othmane's groups: %v", err)
		}
		// 10 %: one slot, which the schools hold.
		schools.Share = 10
		if _, err := e.s.SaveGroup(ctx, mgr, hall, v, schools); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.SaveGroup(ctx, mgr, hall, v, schools)
		wantKey(t, err, "booking.error.stale")
		if err := book(2026, 12, 11, 15, 0, ""); err != nil {
			t.Fatalf("after the share's change: %v", err)
		}
		// A new group added, then removed.
		youth = Group{Code: "youth", Share: 20, Name: schools.Name, Days: []int{6}, From: "18:00", To: "22:30"}
		if _, err := e.s.SaveGroup(ctx, mgr, hall, v+1, youth); err != nil {
			t.Fatal(err)
		}
		g, _, _ := e.s.Facility(ctx, hall)
		if len(g.Rules.Groups) != 2 || g.Rules.Groups[1].From != "18:00" {
			t.Fatalf("groups after the addition: %+v", g.Rules.Groups)
		}
		if _, err := e.s.RemoveGroup(ctx, mgr, hall, v+2, "youth"); err != nil {
			t.Fatal(err)
		}
		if g, _, _ := e.s.Facility(ctx, hall); len(g.Rules.Groups) != 1 {
			t.Fatalf("groups after the removal: %+v", g.Rules.Groups)
		}
	})
}

// A season quota counts the bookings of the season holding the slot (the
// catalogue's September to June); out of season it does not apply. A
// season quota without a season, or below a week's or month's, is
// refused.
func TestASeasonQuotaRefusesTheBookingPastIt(t *testing.T) {
	c := DefaultCatalogue()
	f, _ := c.Facility(field1)
	if len(f.Seasons) != 2 || f.Seasons[0].From != "2026-09-01" {
		t.Fatalf("the catalogue's seasons are not the field's: %+v", f.Seasons)
	}
	bad := *f
	bad.Seasons = nil
	bad.Rules.Quotas = []Quota{{Per: WhoCitizen, Period: "week", Max: 5}, {Per: WhoCitizen, Period: "season", Max: 3},
		{Per: WhoCitizen, Period: "month", Max: 6}}
	wantKeys(t, bad.Check(), "booking.rules.quota_season", "booking.rules.quota_season_order")
	overlap := *f
	overlap.Seasons = []Season{{From: "2026-09-01", To: "2027-06-30"}, {From: "2027-06-01", To: "2027-12-31"}, {From: "2027-13-01", To: "x"}}
	wantKeys(t, overlap.Check(), "booking.rules.season_overlap", "booking.rules.season")

	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		f, v, _ := e.s.Facility(ctx, field1)
		r := f.Rules
		r.Quotas = []Quota{{Per: WhoCitizen, Period: "season", Max: 2}}
		_, err := e.s.UpdateRules(ctx, mgr, field1, v, Rules{})
		if errs.As(err) == nil || errs.As(err).Kind != errs.Invalid {
			t.Fatalf("empty rules: %v", err)
		}
		if _, err := e.s.UpdateRules(ctx, mgr, field1, v, r); err != nil {
			t.Fatal(err)
		}
		for _, day := range []int{8, 9} {
			if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, day, 10, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 10, 10, 0)})
		wantKey(t, err, "booking.error.quota.season")
		// The last season left without a season quota's season is refused;
		// with the current season removed, December is out of season.
		if _, err := e.s.RemoveSeason(ctx, mgr, field1, v+1, "2026-09-01", "2027-06-30"); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.RemoveSeason(ctx, mgr, field1, v+2, "2027-09-01", "2028-06-30")
		wantKey(t, err, "booking.rules.quota_season")
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 10, 10, 0)}); err != nil {
			t.Fatalf("out of season: %v", err)
		}
		_, err = e.s.AddSeason(ctx, mgr, field1, v+2, Season{From: "2027-06-01", To: "2027-10-01"})
		wantKey(t, err, "booking.rules.season_overlap")
	})
}

// The holder of a booking cancelled by a closure is told, in their
// language (Arabic here), with the reason given in French only.
func TestAClosuresCancellationIsToldWithItsReason(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		q := jobs.New(d, nil, jobs.Options{})
		n, err := notify.New(d, q, nil, notify.Config{Templates: []fs.FS{Notices()}})
		if err != nil {
			t.Fatal(err)
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		box, err := secretbox.New(key)
		if err != nil {
			t.Fatal(err)
		}
		s := NewService(Deps{DB: d, Catalogue: DefaultCatalogue(), Events: q, Box: box, People: identity.NewStore(d), Notify: n,
			BaseURL: "https://madina.test", Now: e.clock.now})
		q.Subscribe(TopicBookingChanged, "booking.notices", s.SendNotices)
		if _, err := s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 10, 10, 0)}); err != nil {
			t.Fatal(err)
		}
		_, v, _ := s.Facility(ctx, field1)
		if _, _, err := s.AddClosure(ctx, e.manager(e.mrManager, "moulay-rachid"), field1, v,
			Closure{From: "2026-12-10", To: "2026-12-10", Reason: i18n.Text{FR: "Travaux d'éclairage"}}, true); err != nil {
			t.Fatal(err)
		}
		for {
			k, err := q.DispatchNow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				break
			}
		}
		var raw string
		if err := d.QueryRowContext(ctx, `SELECT data FROM notify_deliveries WHERE template = 'booking.closed' AND channel = 'inbox'
			AND user_id = $1`, "person:"+strconv.FormatInt(e.people[0], 10)).Scan(&raw); err != nil {
			t.Fatalf("no notice of the closure: %v", err)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(raw), &m)
		if m["Reason"] != "Travaux d'éclairage" || m["Slot"] != i18n.FormatDateTime(i18n.AR, at(2026, 12, 10, 10, 0)) {
			t.Fatalf("the closure's notice: %v", m)
		}
	})
}
