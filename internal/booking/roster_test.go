package booking

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// field2 (teams_test.go), Moulay Rachid's field 2, has a roster:
// applications from 60 to 30 days before each season (2027-09-01 to
// 2028-06-30: 3 July to 2 August 2027).

var (
	rosterOpen   = at(2027, 7, 10, 10, 0)
	rosterClosed = at(2027, 8, 2, 0, 1)
)

// association registers an association presided by a new person, and
// returns its representative acting for it.
func (e *env) association(t *testing.T, name, email string) authz.Actor {
	t.Helper()
	ctx := context.Background()
	rep := e.person(t, email)
	var id int64
	if err := e.d.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO legal_persons (kind, name, association_number, created_by, created_at)
		VALUES ('association', $1, $2, $3, $4) RETURNING id`, name, "A-"+email[:3], rep, monday).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, 'president', $3)`,
		id, rep, monday); err != nil {
		t.Fatal(err)
	}
	return authz.Actor{Person: rep, EmailVerified: true, Now: e.clock.now(), Represents: []int64{id}, ActingFor: id}
}

func weekly(day int, t string) WeeklySlot { return WeeklySlot{Day: day, Time: t} }

// An association applies once per season, during the window, for
// weekly slots the facility has; a citizen cannot apply.
func TestRosterApplicationsFollowTheWindow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		club := e.association(t, "Raja des jeunes", "raja@example.ma")
		sat := RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(6, "17:00"), weekly(3, "19:00")}}

		_, err := e.s.ApplyRoster(ctx, club, sat)
		wantKey(t, err, "booking.error.roster_not_yet")
		if d, _ := errs.As(err).Params["date"].(i18n.Text); d.FR == "" {
			t.Errorf("the refusal does not say when the window opens: %+v", errs.As(err).Params)
		}

		e.clock.set(rosterOpen)
		_, err = e.s.ApplyRoster(ctx, e.citizen(0), sat)
		wantKey(t, err, "booking.error.roster_association")
		// Nor does a school or a company acting as such.
		for _, x := range []authz.Actor{e.legalPerson(t, "school", "École Ibn Khaldoun", "director@example.ma", "21974S"),
			e.legalPerson(t, "company", "Brokers SARL", "gerant@example.ma", "001234567000089")} {
			_, err = e.s.ApplyRoster(ctx, x, sat)
			wantKey(t, err, "booking.error.roster_association")
		}
		_, err = e.s.ApplyRoster(ctx, club, RosterInput{Facility: field1, Choices: sat.Choices})
		wantKey(t, err, "booking.error.roster_none")
		// Field 2 opens at 16:00 on weekdays: 09:00 on a Monday is no slot.
		_, err = e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(6, "17:00"), weekly(1, "09:00")}})
		wantKey(t, err, "booking.error.roster_slot")
		if errs.As(err).Field != "choice2" {
			t.Errorf("the refusal is on %q, want choice2", errs.As(err).Field)
		}
		_, err = e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(6, "17:30")}})
		wantKey(t, err, "booking.error.roster_slot")
		_, err = e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(6, "17:00"), weekly(6, "17:00")}})
		wantKey(t, err, "booking.error.roster_same")
		_, err = e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2})
		wantKey(t, err, "booking.error.roster_choice")
		_, err = e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(6, "17:00"), weekly(6, "18:00"),
			weekly(6, "19:00"), weekly(6, "20:00")}})
		wantKey(t, err, "booking.error.roster_choices")

		app, err := e.s.ApplyRoster(ctx, club, sat)
		if err != nil {
			t.Fatal(err)
		}
		if app.Season.From != "2027-09-01" {
			t.Errorf("applied for season %+v, want the one from 2027-09-01", app.Season)
		}
		// Another representative of the same association: still one
		// application.
		other := e.person(t, "raja2@example.ma")
		if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, 'manager', $3)`,
			club.ActingFor, other, monday); err != nil {
			t.Fatal(err)
		}
		second := authz.Actor{Person: other, EmailVerified: true, Now: rosterOpen, Represents: []int64{club.ActingFor}, ActingFor: club.ActingFor}
		_, err = e.s.ApplyRoster(ctx, second, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(7, "10:00")}})
		wantKey(t, err, "booking.error.roster_applied")
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_roster_applications`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d applications (%v), want 1: nothing half-written", n, err)
		}
		mine, err := e.s.MyRosterApplications(ctx, club)
		if err != nil || len(mine) != 1 || mine[0].State != "open" || !slices.Equal(mine[0].Choices, sat.Choices) {
			t.Fatalf("my applications: %+v, %v", mine, err)
		}

		e.clock.set(rosterClosed)
		_, err = e.s.ApplyRoster(ctx, e.association(t, "Wydad", "wydad@example.ma"), sat)
		wantKey(t, err, "booking.error.roster_closed")
	})
}

// The roster is drawn from a seed committed before the window, every
// application weighing the same: the association that held the slot
// last season is not favoured. Each association gets its first choice
// still free, and its bookings for every week of the season, less the
// closed days and the weeks someone else already held.
func TestRosterAllocationHasNoAcquiredRights(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f, _, err := e.s.Facility(ctx, field2)
		if err != nil {
			t.Fatal(err)
		}
		season := Season{From: "2027-09-01", To: "2028-06-30"}
		// Closed over the new year.
		f.Closures = append(f.Closures, Closure{From: "2027-12-25", To: "2028-01-02", Reason: i18n.Text{AR: "صيانة", FR: "Travaux", EN: "Works"}})
		def, _ := json.Marshal(f)
		if _, err := d.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), field2); err != nil {
			t.Fatal(err)
		}

		clubs := []authz.Actor{e.association(t, "Ancien titulaire", "old@example.ma"), e.association(t, "Club B", "clb@example.ma"),
			e.association(t, "Club C", "clc@example.ma"), e.association(t, "Club D", "cld@example.ma")}
		// The first club held Saturday 17:00 all last season.
		for day := at(2026, 9, 5, 17, 0); day.Before(at(2027, 6, 30, 0, 0)); day = day.AddDate(0, 0, 7) {
			if err := d.Transact(ctx, func(tx *db.Tx) error {
				return insertBooking(ctx, tx, &Booking{Facility: field2, Start: day, End: day.Add(time.Hour), Holder: clubs[0].Person,
					HolderLegal: clubs[0].ActingFor, Method: ByDraw, State: Held, CreatedAt: monday})
			}); err != nil {
				t.Fatal(err)
			}
		}
		// A citizen already holds one Saturday of the new season.
		taken := at(2027, 9, 11, 17, 0)
		if err := d.Transact(ctx, func(tx *db.Tx) error {
			return insertBooking(ctx, tx, &Booking{Facility: field2, Start: taken, End: taken.Add(time.Hour), Holder: e.people[0],
				Method: FirstCome, State: Held, CreatedAt: monday})
		}); err != nil {
			t.Fatal(err)
		}

		// The roster is committed with a fixed seed, before the window.
		const seed = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"
		opens, closes, _ := f.RosterWindow(season)
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_rosters (facility_code, season_from, season_to, opens_at, closes_at,
			seed_hash, sealed_seed, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)`, field2, season.From, season.To,
			opens, closes, SeedHash(seed), e.s.box.Seal([]byte(seed), rosterAAD(field2, season.From)), monday); err != nil {
			t.Fatal(err)
		}

		e.clock.set(rosterOpen)
		sat, wed := weekly(6, "17:00"), weekly(3, "19:00")
		choices := [][]WeeklySlot{{sat, wed}, {sat, wed}, {sat}, {weekly(7, "10:00")}}
		tokens := map[string]int{}
		for i, c := range clubs {
			app, err := e.s.ApplyRoster(ctx, c, RosterInput{Facility: field2, Choices: choices[i]})
			if err != nil {
				t.Fatal(err)
			}
			tokens[app.Token] = i
		}
		id := mustRoster(t, e, field2)

		// Too early, and a manager who presides an applicant may not.
		e.clock.set(closes.Add(-time.Minute))
		_, err = e.s.AllocateRoster(ctx, e.manager(e.mrManager, "moulay-rachid"), id)
		wantKey(t, err, "booking.error.roster_open")
		e.clock.set(rosterClosed)
		conflicted := e.manager(clubs[1].Person, "moulay-rachid", clubs[1].ActingFor)
		conflicted.ActingFor = 0
		grant := []authz.Grant{{Role: authz.FacilityManager, Org: "moulay-rachid", Arrondissement: "moulay-rachid"}}
		conflicted.Grants = grant
		_, err = e.s.AllocateRoster(ctx, conflicted, id)
		wantKey(t, err, "error.authz.conflict")

		// Another manager of the arrondissement allocates it from the desk.
		p, err := e.s.AllocateRoster(ctx, e.manager(e.mrManager, "moulay-rachid"), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Seed != seed || p.State != "allocated" || len(p.Entries) != 4 {
			t.Fatalf("published roster: %+v", p)
		}
		if err := p.Verify(); err != nil {
			t.Fatalf("the published roster does not verify: %v", err)
		}
		// Equal weights: the order is the seed's alone, whoever held the
		// slot last season.
		equal := make([]Entry, len(p.Entries))
		for i, x := range p.Entries {
			if x.Weight != 1 {
				t.Errorf("entry %s weighs %d: last season counts", x.Token, x.Weight)
			}
			equal[i] = Entry{Token: x.Token, Weight: 1}
		}
		order, _ := Order(seed, equal)
		if !slices.Equal(order, p.Result) {
			t.Fatalf("order %v, want %v from the seed alone", p.Result, order)
		}
		// Whoever comes first of the three Saturday applicants gets it; the
		// next with a second choice gets Wednesday; the third nothing.
		var satWinner, wedWinner string
		for _, tok := range order {
			if i := tokens[tok]; i <= 2 {
				if satWinner == "" {
					satWinner = tok
				} else if wedWinner == "" && i <= 1 {
					wedWinner = tok
				}
			}
		}
		if p.Roster.Granted[satWinner] != sat.Key() {
			t.Errorf("granted %v, want Saturday for %s", p.Roster.Granted, satWinner)
		}
		if wedWinner != "" && p.Roster.Granted[wedWinner] != wed.Key() {
			t.Errorf("granted %v, want Wednesday for %s", p.Roster.Granted, wedWinner)
		}
		if len(p.Roster.Granted) != 3 && len(p.Roster.Granted) != 2 {
			t.Errorf("granted %v", p.Roster.Granted)
		}
		// madina booking verify-draw re-runs it from the published JSON.
		raw, _ := json.Marshal(p)
		file := t.TempDir() + "/roster.json"
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		if code := CLI(ctx, []string{"verify-draw", file}, &out, &errOut); code != DrawConfirmed || !strings.Contains(out.String(), "season roster") {
			t.Fatalf("verify-draw: %d %s %s", code, out.String(), errOut.String())
		}
		// A tampered result does not verify.
		bad := *p
		bad.Roster = &RosterResult{Choices: p.Roster.Choices, Granted: map[string]string{order[len(order)-1]: "6@17:00"}}
		if bad.Verify() == nil {
			t.Error("a tampered allocation verifies")
		}

		// The Saturday winner's bookings: every Saturday of the season,
		// less the closure and the week the citizen holds.
		winner := clubs[tokens[satWinner]]
		var want []time.Time
		closed := 0
		// Casablanca's clock (it moves back an hour for Ramadan).
		for l := local(at(2027, 9, 4, 17, 0)); l.Before(local(at(2028, 7, 1, 0, 0))); l = l.AddDate(0, 0, 7) {
			day := time.Date(l.Year(), l.Month(), l.Day(), 17, 0, 0, 0, i18n.Casablanca).UTC()
			ds := l.Format(time.DateOnly)
			if ds >= "2027-12-25" && ds <= "2028-01-02" {
				closed++
				continue
			}
			if day.Equal(taken) {
				continue
			}
			want = append(want, day)
		}
		bs, err := listBookings(ctx, d, `facility_code = $1 AND holder_legal_id = $2 AND slot_start >= $3`, `slot_start`, 500,
			field2, winner.ActingFor, at(2027, 9, 1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Time
		for _, b := range bs {
			if b.Holder != winner.Person || b.State != Held || b.Method != ByDraw {
				t.Errorf("roster booking %+v", b)
			}
			got = append(got, b.Start)
		}
		if !slices.EqualFunc(got, want, func(a, b time.Time) bool { return a.Equal(b) }) {
			t.Fatalf("%d bookings, want %d (every Saturday less the closure and the taken week):\n%v\n%v", len(got), len(want), got, want)
		}
		if n := e.active(t, field2, taken); n != 1 {
			t.Fatalf("%d holders of the taken week", n)
		}
		mine, err := e.s.MyRosterApplications(ctx, winner)
		if err != nil || len(mine) != 1 {
			t.Fatal(mine, err)
		}
		if m := mine[0]; m.Granted != sat.Key() || m.Booked != len(want) || len(m.Taken) != 1 || !m.Taken[0].Equal(taken) || m.Closed != closed {
			t.Fatalf("the association's result: %+v", m)
		}

		// A peak Saturday the roster holds: its draw books nobody, and the
		// clock goes on.
		sat18 := at(2027, 9, 18, 17, 0)
		e.clock.set(f.Release(sat18).Add(time.Hour))
		if _, err := e.s.Enter(ctx, e.citizen(1), BookInput{Facility: field2, Start: sat18}); err != nil {
			t.Fatal(err)
		}
		e.clock.set(f.DrawCloses(sat18).Add(time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatalf("the clock on a draw of a roster's slot: %v", err)
		}
		if n := e.active(t, field2, sat18); n != 1 {
			t.Fatalf("%d holders of a roster's Saturday after its draw", n)
		}

		_, err = e.s.AllocateRoster(ctx, e.manager(e.mrManager, "moulay-rachid"), id)
		wantKey(t, err, "booking.error.roster_allocated")
		// The database keeps one association per weekly slot.
		_, err = d.ExecContext(ctx, `UPDATE booking_roster_applications SET granted = '6@17:00' WHERE roster_id = $1 AND granted IS NULL`, id)
		if err == nil {
			t.Fatal("a result was changed after the allocation")
		}
	})
}

func mustRoster(t *testing.T, e *env, code string) int64 {
	t.Helper()
	rs, err := e.s.Rosters(context.Background(), code)
	if err != nil || len(rs) != 1 {
		t.Fatalf("rosters of %s: %+v, %v", code, rs, err)
	}
	return rs[0].ID
}

// The booking clock commits a roster's seed before its window opens.
func TestRosterSeedIsCommittedBeforeTheWindow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock.set(at(2027, 7, 2, 9, 0))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		id := mustRoster(t, e, field2)
		p, err := e.s.PublishedRoster(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Seed != "" || len(p.SeedHash) != 64 || p.Result != nil || !p.Opens.Equal(at(2027, 7, 3, 0, 0)) {
			t.Fatalf("a roster before its window: %+v", p)
		}
		if p.Verify() == nil {
			t.Error("a roster not allocated verifies")
		}
		// When the window closes the clock allocates it (nobody applied:
		// nothing is given, the seed is revealed all the same).
		e.clock.set(rosterClosed)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if p, err = e.s.PublishedRoster(ctx, id); err != nil || p.State != "allocated" || p.Verify() != nil || len(p.Roster.Granted) != 0 {
			t.Fatalf("the roster after the clock: %+v, %v", p, err)
		}
	})
}
