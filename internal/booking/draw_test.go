package booking

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
)

// Three citizens request the same peak slot while its draw collects
// requests: the seed's hash is published before, the draw is held when
// the window closes, one wins, the others wait in the draw's order, and
// anyone re-runs the draw from what was published. A tampered result or
// seed is caught.
func TestPeakSlotsAreDrawnFairlyAndVerifiably(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// Monday 14 December at 19:00 is released on Monday 7 at 08:00;
		// its draw collects requests for 24 hours.
		start := at(2026, 12, 14, 19, 0)
		n, err := e.s.PrepareDraws(ctx)
		if err != nil || n == 0 {
			t.Fatalf("no draw prepared (%d, %v)", n, err)
		}
		draws, _ := e.s.Draws(ctx, field1, 50)
		var id int64
		for _, dr := range draws {
			if dr.Start.Equal(start) {
				id = dr.ID
			}
		}
		before, err := e.s.PublishedDraw(ctx, id)
		if err != nil || before.Seed != "" || len(before.SeedHash) != 64 {
			t.Fatalf("before the window: %+v, %v", before, err)
		}
		// The third citizen was served at a field yesterday: lighter.
		if _, err := d.ExecContext(ctx, `INSERT INTO bookings (number, facility_code, slot_start, slot_end, holder_id, method, token,
			state, created_at, updated_at, version) VALUES ('B-SERVED01', $1, $2, $3, $4, 'first_come', 'servedyest', 'held', $5, $5, 1)`,
			"moulay-rachid-field-2", monday.Add(-24*time.Hour), monday.Add(-23*time.Hour), e.people[2], monday.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := e.s.Enter(ctx, e.citizen(i), BookInput{Facility: field1, Start: start}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.s.Enter(ctx, e.citizen(0), BookInput{Facility: field1, Start: start})
		wantKey(t, err, "booking.error.entered")
		_, err = e.s.Book(ctx, e.citizen(3), BookInput{Facility: field1, Start: start})
		wantKey(t, err, "booking.error.peak_draw")
		_, err = e.s.RunDraw(ctx, e.manager(e.mrManager, "moulay-rachid"), id)
		wantKey(t, err, "booking.error.draw_open")
		e.clock.set(at(2026, 12, 8, 8, 1))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.PublishedDraw(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != "drawn" || p.SeedHash != before.SeedHash || len(p.Result) != 3 || len(p.Entries) != 3 {
			t.Fatalf("after the draw: %+v", p)
		}
		weights := map[int]int{}
		for _, en := range p.Entries {
			weights[en.Weight]++
		}
		if weights[MaxWeight] != 2 || weights[1] != 1 {
			t.Errorf("weights %v: the citizen served yesterday should weigh 1, the others %d", weights, MaxWeight)
		}
		if err := p.Verify(); err != nil {
			t.Fatalf("the published draw does not verify: %v", err)
		}
		if e.active(t, field1, start) != 1 {
			t.Fatal("the draw did not give the slot to one holder")
		}
		var winners, waiting int
		for i := range 3 {
			mine, _ := e.s.Mine(ctx, e.citizen(i))
			for _, b := range mine {
				if b.Start.Equal(start) && b.Method == ByDraw && b.State == Held {
					winners++
				}
			}
			places, _ := e.s.WaitPlaces(ctx, e.citizen(i))
			waiting += len(places)
			// Those not drawn are told so with their place.
			for _, pl := range places {
				if !pl.NotDrawn || !pl.Start.Equal(start) {
					t.Errorf("citizen %d's place %+v does not say they were not drawn", i, pl)
				}
			}
		}
		if winners != 1 || waiting != 2 {
			t.Fatalf("%d winners, %d waiting", winners, waiting)
		}
		// Tampering: another result, another seed, a heavier entry.
		b, _ := json.Marshal(p)
		var forged Published
		_ = json.Unmarshal(b, &forged)
		slices.Reverse(forged.Result)
		if forged.Verify() == nil {
			t.Error("a reversed result verifies")
		}
		_ = json.Unmarshal(b, &forged)
		forged.Seed = map[bool]string{true: "ff", false: "00"}[forged.Seed[:2] == "00"] + forged.Seed[2:] // another, whatever the seed
		if forged.Verify() == nil {
			t.Error("another seed verifies")
		}
		// The draw is never held again, and the database keeps it.
		_, err = e.s.RunDraw(ctx, e.manager(e.mrManager, "moulay-rachid"), id)
		wantKey(t, err, "booking.error.drawn")
		if _, err := d.ExecContext(ctx, `UPDATE booking_draws SET seed_hash = $1 WHERE id = $2`, SeedHash("x"), id); err == nil {
			t.Error("a committed seed hash was changed")
		}
	})
}

// Someone suspended after requesting a peak slot is passed over by the
// draw: the first in the draw's order who is not suspended wins, and the
// suspended get no waitlist place; the published order still verifies.
func TestTheDrawPassesOverTheSuspended(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		start := at(2026, 12, 14, 19, 0)
		for i := range 3 {
			if _, err := e.s.Enter(ctx, e.citizen(i), BookInput{Facility: field1, Start: start}); err != nil {
				t.Fatal(err)
			}
		}
		// Citizens 0 and 1 miss two evenings at the second field tonight.
		for _, i := range []int{0, 1} {
			for _, h := range []int{16, 17} {
				if _, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: "moulay-rachid-field-2", Start: at(2026, 12, 7, h+2*i, 0)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.clock.set(at(2026, 12, 7, 19, 0).Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.set(at(2026, 12, 8, 8, 1))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, e.citizen(2))
		if len(mine) != 1 || !mine[0].Start.Equal(start) || mine[0].State != Held || mine[0].Method != ByDraw {
			t.Fatalf("the one not suspended did not win: %+v", mine)
		}
		for _, i := range []int{0, 1} {
			ms, _ := e.s.Mine(ctx, e.citizen(i))
			for _, m := range ms {
				if m.Facility == field1 {
					t.Errorf("suspended citizen %d got the slot: %+v", i, m)
				}
			}
			if ps, _ := e.s.WaitPlaces(ctx, e.citizen(i)); len(ps) != 0 {
				t.Errorf("suspended citizen %d waits: %+v", i, ps)
			}
		}
		draws, _ := e.s.Draws(ctx, field1, 50)
		for _, dr := range draws {
			if dr.Start.Equal(start) {
				p, err := e.s.PublishedDraw(ctx, dr.ID)
				if err != nil || len(p.Result) != 3 {
					t.Fatalf("published: %+v, %v", p, err)
				}
				if err := p.Verify(); err != nil {
					t.Fatalf("the draw does not verify: %v", err)
				}
			}
		}
	})
}

// The order depends on the seed and the weights only, and favours the
// heavier: over many seeds, an entry weighing 30 beats one weighing 1
// about 30 times in 31.
func TestOrderFavoursThoseServedLessRecently(t *testing.T) {
	wins := 0
	const runs = 2000
	for i := range runs {
		seed := SeedHash(string(rune(i)) + "seed")
		o, err := Order(seed, []Entry{{Token: "heavy00000", Weight: 30}, {Token: "light00000", Weight: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if o[0] == "heavy00000" {
			wins++
		}
		again, _ := Order(seed, []Entry{{Token: "light00000", Weight: 1}, {Token: "heavy00000", Weight: 30}})
		if !slices.Equal(o, again) {
			t.Fatal("the order depends on the entries' order")
		}
	}
	if share := float64(wins) / runs; share < 0.93 || share > 0.99 {
		t.Errorf("the heavier wins %.3f of draws, want about %.3f", share, 30.0/31)
	}
}

// The holder's check-in code is accepted once by the facility's staff;
// a forged code, a replay, an expired code and a manager checking in
// their own booking are refused. A no-show climbs the penalty ladder:
// a warning, then a suspension that refuses new bookings.
func TestCheckInAndNoShows(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		start := at(2026, 12, 8, 10, 0)
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.Code(ctx, e.citizen(1), b.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another citizen got the code: %v", err)
		}
		e.clock.set(start.Add(-10 * time.Minute))
		code, until, err := e.s.Code(ctx, e.citizen(0), b.ID)
		if err != nil || !until.After(e.clock.now()) || until.Sub(e.clock.now()) > 2*CodeStep {
			t.Fatalf("code %q until %v: %v", code, until, err)
		}
		forged := code[:len(code)-1] + map[bool]string{true: "B", false: "A"}[code[len(code)-1] == 'A']
		_, err = e.s.CheckIn(ctx, mgr, forged)
		wantKey(t, err, "booking.error.code")
		_, err = e.s.CheckIn(ctx, e.manager(e.maarifMgr, "maarif"), code)
		wantKey(t, err, "booking.error.code")
		e.clock.add(3 * CodeStep)
		_, err = e.s.CheckIn(ctx, mgr, code)
		wantKey(t, err, "booking.error.code")
		code, _, _ = e.s.Code(ctx, e.citizen(0), b.ID)
		c, err := e.s.CheckIn(ctx, mgr, code)
		if err != nil || c.State != CheckedIn || c.CheckedInAt == nil {
			t.Fatalf("check-in: %+v, %v", c, err)
		}
		_, err = e.s.CheckIn(ctx, mgr, code)
		wantKey(t, err, "booking.error.replayed")

		// The manager's own booking (from their personal account).
		e.clock.set(monday)
		own, err := e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 9, 10, 0)})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.set(own.Start)
		oc, _, _ := e.s.Code(ctx, e.citizen(1), own.ID)
		self := e.manager(e.people[1], "moulay-rachid")
		_, err = e.s.CheckIn(ctx, self, oc)
		wantKey(t, err, "error.authz.conflict")

		// Nobody checks it in: a no-show, a warning.
		e.clock.set(own.Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		ps, err := e.s.Penalties(ctx, e.citizen(1))
		if err != nil || len(ps) != 1 || ps[0].Step != 1 || ps[0].SuspendedUntil != nil {
			t.Fatalf("after one no-show: %+v, %v", ps, err)
		}
		// A second no-show: suspended fourteen days.
		e.clock.set(monday.Add(time.Hour))
		again, err := e.s.Book(ctx, e.citizen(1), BookInput{Facility: "moulay-rachid-field-2", Start: at(2026, 12, 9, 16, 0)})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.set(again.Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		ps, _ = e.s.Penalties(ctx, e.citizen(1))
		if len(ps) != 2 || ps[0].Step != 2 || ps[0].SuspendedUntil == nil {
			t.Fatalf("after two no-shows: %+v", ps)
		}
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 11, 10, 0)})
		wantKey(t, err, "booking.error.suspended")
	})
}

// madina booking verify-draw confirms a published draw and refuses a
// tampered one, with its exit status.
func TestVerifyDrawCommandLine(t *testing.T) {
	seed := SeedHash("a seed drawn at random")
	ents := []Entry{{Token: "aaaaaaaaaa", Weight: 30}, {Token: "bbbbbbbbbb", Weight: 3}, {Token: "cccccccccc", Weight: 12}}
	order, err := Order(seed, ents)
	if err != nil {
		t.Fatal(err)
	}
	p := Published{Facility: field1, SlotStart: at(2026, 12, 14, 19, 0), Method: Method, SeedHash: SeedHash(seed), Seed: seed,
		State: "drawn", Entries: ents, Result: order}
	dir := t.TempDir()
	write := func(name string, p Published) string {
		b, _ := json.Marshal(p)
		path := dir + "/" + name
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var out, errOut strings.Builder
	if code := CLI(context.Background(), []string{"verify-draw", write("good.json", p)}, &out, &errOut); code != DrawConfirmed ||
		!strings.Contains(out.String(), "CONFIRMED") || !strings.Contains(out.String(), order[0]) {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
	bad := p
	bad.Result = []string{order[1], order[0], order[2]}
	out.Reset()
	if code := CLI(context.Background(), []string{"verify-draw", write("bad.json", bad)}, &out, &errOut); code != DrawDiffers ||
		!strings.Contains(out.String(), "NOT CONFIRMED") {
		t.Fatalf("a tampered result: exit %d, %s", code, out.String())
	}
	if code := CLI(context.Background(), []string{"verify-draw", dir + "/none.json"}, &out, &errOut); code != DrawUnreadable {
		t.Fatalf("a missing file: exit %d", code)
	}
	if code := CLI(context.Background(), []string{"verify-draw"}, &out, &errOut); code != DrawUsage {
		t.Fatalf("no file: exit %d", code)
	}
}

// A no-show is told to its holder, in their language, with the step of
// the ladder it reached and the suspension it brought.
func TestNoShowsAreToldWithTheirPenalty(t *testing.T) {
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
		for _, h := range []int{16, 17} {
			if _, err := s.Book(ctx, e.citizen(0), BookInput{Facility: "moulay-rachid-field-2", Start: at(2026, 12, 7, h, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.set(at(2026, 12, 7, 17, 0).Add(NoShowGrace + time.Minute))
		if _, err := s.Sweep(ctx); err != nil {
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
		rows, err := d.QueryContext(ctx, `SELECT data FROM notify_deliveries WHERE template = 'booking.no_show' AND channel = 'inbox'
			AND user_id = $1 ORDER BY id`, "person:"+strconv.FormatInt(e.people[0], 10))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var data []map[string]any
		for rows.Next() {
			var raw string
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatal(err)
			}
			data = append(data, m)
		}
		until := i18n.FormatDate(i18n.AR, e.clock.now().AddDate(0, 0, 14))
		if len(data) != 2 || data[0]["Step"] != float64(1) || data[0]["Until"] != "" || data[1]["Step"] != float64(2) || data[1]["Until"] != until {
			t.Fatalf("the no-shows' notices: %v; want steps 1 (a warning) and 2 (suspended until %s)", data, until)
		}
	})
}
