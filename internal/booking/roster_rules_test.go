package booking

import (
	"context"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// A manager sets the roster rule with the rest of the rules, checked by
// the catalogue's validation; a roster already committed is never
// changed retroactively: a rule giving its season (not begun) another
// window, or none, is refused; once the season has begun the change is
// accepted and applies to the next seasons.
func TestRosterRuleAtTheDesk(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		f1, _, err := e.s.Facility(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		if f1.Rules.Roster != nil {
			t.Fatal("field 1 has a roster already")
		}
		rules := f1.Rules
		rules.Roster = &RosterRule{OpensDays: 10, ClosesDays: 30}
		_, err = e.s.UpdateRules(ctx, mgr, field1, 0, rules)
		wantKeys(t, err, "booking.rules.roster")
		rules.Roster = &RosterRule{OpensDays: 45, ClosesDays: 15}
		g, err := e.s.UpdateRules(ctx, mgr, field1, 0, rules)
		if err != nil || g.Rules.Roster == nil || g.Rules.Roster.OpensDays != 45 {
			t.Fatalf("the roster rule on field 1: %+v, %v", g, err)
		}
		// Another organisation's manager may not.
		_, err = e.s.UpdateRules(ctx, e.manager(e.maarifMgr, "maarif"), field1, 0, rules)
		if errs.As(err) == nil || errs.As(err).Kind == errs.Invalid {
			t.Fatalf("Maarif's manager set Moulay Rachid's rule: %v", err)
		}

		// Field 2's roster for 2027–2028 is committed (the clock, the day
		// before its window).
		e.clock.set(at(2027, 7, 2, 9, 0))
		if _, err := e.s.PrepareRosters(ctx); err != nil {
			t.Fatal(err)
		}
		id := mustRoster(t, e, field2)
		f2, _, _ := e.s.Facility(ctx, field2)
		changed := f2.Rules
		changed.Roster = &RosterRule{OpensDays: 50, ClosesDays: 20}
		_, err = e.s.UpdateRules(ctx, mgr, field2, 0, changed)
		wantKey(t, err, "booking.rules.roster_committed")
		if errs.As(err).Field != "roster_opens_days" {
			t.Errorf("the refusal is on %q", errs.As(err).Field)
		}
		none := f2.Rules
		none.Roster = nil
		_, err = e.s.UpdateRules(ctx, mgr, field2, 0, none)
		wantKey(t, err, "booking.rules.roster_committed")
		// Nor is the season removed while its roster stands (in the
		// manager's words); once it has ended, it may be.
		ro, err := rosterByID(ctx, d, id)
		if err != nil {
			t.Fatal(err)
		}
		se := Season{From: ro.SeasonFrom, To: ro.SeasonTo}
		_, err = e.s.RemoveSeason(ctx, mgr, field2, 0, se.From, se.To)
		wantKey(t, err, "booking.error.season_roster")
		if txt, ok := errs.As(err).Params["season"].(i18n.Text); !ok || !strings.Contains(txt.FR, "2027") || strings.Contains(txt.FR, "-09-") {
			t.Errorf("the season in the refusal: %#v", errs.As(err).Params["season"])
		}
		// Another rule, the roster's window unchanged: accepted.
		same := f2.Rules
		same.CancelHours = 12
		if _, err := e.s.UpdateRules(ctx, mgr, field2, 0, same); err != nil {
			t.Fatal(err)
		}
		r, err := rosterByID(ctx, d, id)
		if err != nil || !r.Opens.Equal(at(2027, 7, 3, 0, 0)) || !r.Closes.Equal(at(2027, 8, 2, 0, 0)) {
			t.Fatalf("the committed roster: %+v, %v", r, err)
		}
		// The season has begun: the new window is accepted, for the next
		// seasons; the committed roster keeps its own.
		e.clock.set(at(2027, 9, 2, 9, 0))
		changed.CancelHours = 12
		g, err = e.s.UpdateRules(ctx, mgr, field2, 0, changed)
		if err != nil || g.Rules.Roster.OpensDays != 50 {
			t.Fatalf("the rule after the season began: %+v, %v", g, err)
		}
		if r2, _ := rosterByID(ctx, d, id); !r2.Opens.Equal(r.Opens) || !r2.Closes.Equal(r.Closes) {
			t.Fatalf("the committed roster changed: %+v", r2)
		}
		end, _ := time.ParseInLocation(time.DateOnly, se.To, i18n.Casablanca)
		e.clock.set(end.AddDate(0, 0, 1).Add(time.Hour).UTC())
		if _, err := e.s.RemoveSeason(ctx, mgr, field2, 0, se.From, se.To); err != nil {
			t.Fatalf("removing the season once ended: %v", err)
		}
	})
}
