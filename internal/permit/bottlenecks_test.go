package permit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestBottlenecks: four small projects at the Sidi Othmane window, read
// on Thursday 3 December 2026 at 11:00 in Casablanca. A and B were
// dispatched on Monday 23 November within the hour, C three working days
// late on Thursday 26 (its dispatch was due by Tuesday 24); D, accepted on
// the 26th, still waits to be dispatched (due Friday 27). The
// arrondissement's member gave its opinion on A in two working days and
// on B in eight, a day past the study's deadline (Wednesday 2 December);
// the urban agency gave none, so it is late on A and B and still in time
// on C; the prefecture's and the distributor's seats have no organisation
// registered and show as such. The window's agents and the administrator
// read these figures; an agent of another window and a citizen do not.
func TestBottlenecks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
			VALUES ('aucasa', 'urban_agency', 'الوكالة الحضرية', 'Agence urbaine de Casablanca', 'Casablanca urban agency', $1)`, monday); err != nil {
			t.Fatal(err)
		}
		member := e.person(t, "member@example.ma", "fr")
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'sidi-othmane', 'committee_member', $2)`, member, monday); err != nil {
			t.Fatal(err)
		}
		agent := func() authz.Actor { return e.agentActor(e.agent, "sidi-othmane") }
		arrondissement := func() authz.Actor {
			return authz.Actor{Person: member, EmailVerified: true, MFA: true, Now: e.clock.now(),
				Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "sidi-othmane"}}}
		}
		accepted := func() *File {
			f := e.submitted(t, e.architectActor(), sidiOthmane(e.owner))
			f, err := e.s.Accept(ctx, agent(), f.ID, f.Version)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		dispatch := func(f *File) {
			if _, err := e.s.Dispatch(ctx, agent(), f.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
		opinion := func(f *File) {
			if _, err := e.s.GiveOpinion(ctx, arrondissement(), f.ID, 0, Favourable, ""); err != nil {
				t.Fatal(err)
			}
		}
		at := func(day, hour int) {
			e.clock.add(time.Date(2026, 11, day, hour-1, 0, 0, 0, time.UTC).Sub(e.clock.now()))
		}

		// Monday 23 November, 08:00 (monday): A, B, C accepted.
		a, b, c := accepted(), accepted(), accepted()
		at(23, 9)
		dispatch(a)
		dispatch(b)
		at(25, 10)
		opinion(a)
		at(26, 10)
		dispatch(c)
		dd := accepted()
		at(33, 9) // Thursday 3 December
		opinion(b)
		at(33, 11)

		bn, err := e.s.Bottlenecks(ctx, agent(), "sidi-othmane", 0)
		if err != nil {
			t.Fatal(err)
		}
		if bn.Days != DefaultRiskDays || !bn.Horizon.Equal(time.Date(2026, 12, 8, 22, 59, 59, 999000000, time.UTC)) {
			t.Fatalf("look-ahead %d days, to %v", bn.Days, bn.Horizon)
		}
		orgs := map[string]OrgBottleneck{}
		for _, o := range bn.Orgs {
			orgs[o.key()] = o
		}
		f1 := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprint(*p)
		}
		figures := func(d Delays) string {
			return fmt.Sprintf("waiting %d, overdue %d, done %d, late %d, median %s, p90 %s", d.Waiting, d.Overdue, d.Done, d.Late, f1(d.Median), f1(d.P90))
		}
		for key, want := range map[string]string{
			"aucasa":           "waiting 3, overdue 2, done 0, late 0, median -, p90 -",
			"sidi-othmane":     "waiting 1, overdue 0, done 2, late 1, median 5, p90 8",
			"body:prefecture":  "waiting 3, overdue 2, done 0, late 0, median -, p90 -",
			"body:distributor": "waiting 3, overdue 2, done 0, late 0, median -, p90 -",
		} {
			o, ok := orgs[key]
			if !ok {
				t.Errorf("%s: no line", key)
				continue
			}
			if got := figures(o.Delays); got != want {
				t.Errorf("%s: %s, want %s", key, got, want)
			}
		}
		if len(bn.Orgs) != 4 {
			t.Errorf("%d lines: %+v", len(bn.Orgs), bn.Orgs)
		}
		if o := orgs["aucasa"]; o.Name.FR != "Agence urbaine de Casablanca" {
			t.Errorf("the urban agency's name: %+v", o.Name)
		}
		if o := orgs["body:prefecture"]; o.Organisation != "" || o.Body != "prefecture" || o.Name.FR == "" {
			t.Errorf("the prefecture's seat: %+v", o.SeatHolder)
		}
		if bn.Orgs[len(bn.Orgs)-1].Organisation != "sidi-othmane" {
			t.Errorf("the least stuck is not last: %+v", bn.Orgs)
		}

		// The window's own step: dispatch.
		if len(bn.Steps) != 1 || bn.Steps[0].Step != "dispatch" || bn.Steps[0].Window != "sidi-othmane" {
			t.Fatalf("steps: %+v", bn.Steps)
		}
		if got, want := figures(bn.Steps[0].Delays), "waiting 1, overdue 1, done 3, late 1, median 0, p90 3"; got != want {
			t.Errorf("dispatch: %s, want %s", got, want)
		}

		// At risk: D (dispatch due 27 November), A and B (study due
		// 2 December), C (study due 7 December).
		var ids []int64
		for _, r := range bn.Risks {
			ids = append(ids, r.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint([]int64{dd.ID, a.ID, b.ID, c.ID}) || bn.More != 0 {
			t.Fatalf("at risk %v (+%d), want D A B C %v", ids, bn.More, []int64{dd.ID, a.ID, b.ID, c.ID})
		}
		pending := func(r RiskFile) string {
			var out []string
			for _, h := range r.Pending {
				out = append(out, h.key())
			}
			return fmt.Sprint(out)
		}
		if r := bn.Risks[0]; r.Holder != HolderWindow || r.Step != "dispatch" || r.Overall || len(r.Pending) != 0 ||
			e.s.cal.WorkingDaysBetween(r.Due, bn.Now) != 4 {
			t.Errorf("D: %+v", r)
		}
		if r := bn.Risks[1]; r.Holder != HolderCommittee || r.Step != "study" || pending(r) != "[body:prefecture aucasa body:distributor]" ||
			e.s.cal.WorkingDaysBetween(bn.Now, r.Due) != -1 {
			t.Errorf("A: %+v, pending %s", r, pending(r))
		}
		if r := bn.Risks[3]; pending(r) != "[sidi-othmane body:prefecture aucasa body:distributor]" ||
			e.s.cal.WorkingDaysBetween(bn.Now, r.Due) != 2 || r.OverallDue == nil {
			t.Errorf("C: %+v, pending %s", r, pending(r))
		}
		// One day ahead: C is not at risk yet.
		if bn, err := e.s.Bottlenecks(ctx, agent(), "sidi-othmane", 1); err != nil || len(bn.Risks) != 3 {
			t.Fatalf("one day ahead: %v", err)
		}
		_, err = e.s.Bottlenecks(ctx, agent(), "sidi-othmane", MaxRiskDays+1)
		wantErr(t, err, errs.Invalid, "permit.bottlenecks.error.days")

		// Who reads them: the window's agents, administrators (every
		// window, or one); not another window's agent, nor a citizen.
		admin := authz.Actor{Person: e.admin, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.Admin, Org: "sidi-othmane"}}}
		all, err := e.s.Bottlenecks(ctx, admin, "", 0)
		if err != nil || len(all.Orgs) != 4 || len(all.Risks) != 4 || len(all.Steps) != 1 {
			t.Fatalf("the administrator's overview: %+v, %v", all, err)
		}
		if _, err := e.s.Bottlenecks(ctx, admin, "sidi-othmane", 0); err != nil {
			t.Fatal(err)
		}
		anfa, err := e.s.Bottlenecks(ctx, admin, "anfa", 0)
		if err != nil || len(anfa.Orgs)+len(anfa.Steps)+len(anfa.Risks) != 0 {
			t.Fatalf("Anfa's figures: %+v, %v", anfa, err)
		}
		_, err = e.s.Bottlenecks(ctx, e.agentActor(e.otherAgent, "anfa"), "sidi-othmane", 0)
		wantErr(t, err, errs.NotFound, "")
		_, err = e.s.Bottlenecks(ctx, agent(), "", 0)
		wantErr(t, err, errs.NotFound, "")
		_, err = e.s.Bottlenecks(ctx, e.ownerActor(), "sidi-othmane", 0)
		if err == nil {
			t.Fatal("a citizen reads the window's figures")
		}
		_, err = e.s.Bottlenecks(ctx, admin, "nowhere", 0)
		wantErr(t, err, errs.NotFound, "")
	})
}

func TestPercentiles(t *testing.T) {
	for _, c := range []struct {
		in          []int
		median, p90 float64
	}{{[]int{3}, 3, 3}, {[]int{8, 2}, 5, 8}, {[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 9}, {[]int{0, 0, 1, 7, 1}, 1, 7}} {
		m, p := percentiles(c.in)
		if *m != c.median || *p != c.p90 {
			t.Errorf("%v: median %v, p90 %v; want %v, %v", c.in, *m, *p, c.median, c.p90)
		}
	}
	if m, p := percentiles(nil); m != nil || p != nil {
		t.Error("figures of nothing")
	}
}
