package complaint

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// TestStatistics: three requests and a duplicate — one acknowledged in
// two hours and resolved in time, one resolved then reopened as not
// fixed, one never acknowledged, a duplicate merged — give the median
// times, the share within the service level and the reopen rate, per
// category, team and arrondissement; the duplicate does not count.
func TestStatistics(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lydec := e.officer(e.lydec, "lydec", "")
		r1, err := e.s.File(ctx, e.actor(e.citizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		r2, err := e.s.File(ctx, e.actor(e.other), lighting())
		if err != nil {
			t.Fatal(err)
		}
		noise := Input{Category: "noise", Arrondissement: "anfa", Address: "12 rue des Lilas", Description: "Fête chaque nuit",
			Answers: map[string]string{"when": "night"}, Contact: ContactInbox}
		if _, err := e.s.File(ctx, e.actor(e.citizen), noise); err != nil {
			t.Fatal(err)
		}
		dup, err := e.s.File(ctx, e.actor(e.other), lighting())
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(2 * time.Hour)
		for _, id := range []int64{r1.ID, r2.ID} {
			if _, err := e.s.Move(ctx, lydec, id, 0, CAcknowledge, ""); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.add(22 * time.Hour) // resolved a day after filing
		for _, id := range []int64{r1.ID, r2.ID} {
			if _, err := e.s.Move(ctx, lydec, id, 0, CResolve, "Lampe remplacée."); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.Merge(ctx, lydec, r1.ID, dup.ID, ""); err != nil {
			t.Fatal(err)
		}
		e.clock.add(24 * time.Hour)
		if _, err := e.s.Move(ctx, e.actor(e.other), r2.ID, 0, CReopen, "Toujours éteint."); err != nil {
			t.Fatal(err)
		}
		st, err := e.s.Statistics(ctx, monday.Add(-time.Hour), e.clock.now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f := func(v *float64) float64 {
			if v == nil {
				return -1
			}
			return *v
		}
		a := st.All
		if a.Filed != 3 || a.Acknowledged != 2 || f(a.MedianAckHours) != 2 || a.Resolved != 1 || f(a.MedianResolveDays) != 1 ||
			f(a.WithinLevel) != 1 || a.Reopened != 1 || f(a.ReopenRate) != 0.5 {
			t.Errorf("all: %+v ack %v resolve %v within %v reopen %v", a, f(a.MedianAckHours), f(a.MedianResolveDays), f(a.WithinLevel), f(a.ReopenRate))
		}
		want := map[string]map[string]int{"category": {"lighting": 2, "noise": 1}, "team": {"lydec": 2, "anfa": 1},
			"arrondissement": {"sidi-moumen": 2, "anfa": 1}}
		for name, fs := range map[string][]Figure{"category": st.ByCategory, "team": st.ByTeam, "arrondissement": st.ByArrondissement} {
			if len(fs) != 2 || fs[0].Filed != 2 || want[name][fs[0].Key] != 2 || want[name][fs[1].Key] != 1 {
				t.Errorf("by %s: %+v", name, fs)
			}
			if fs[1].MedianAckHours != nil || fs[1].ReopenRate != nil {
				t.Errorf("by %s: the unacknowledged noise request has figures: %+v", name, fs[1])
			}
		}
	})
}
