package permit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestAutoDispatch: Madina dispatches an accepted urban file itself —
// once its delay after acceptance has passed, or at the latest just
// before its dispatch deadline — with the selection the agent's dispatch
// would have made, recorded as the system's (no selector, audit actor
// "system", event marked automatic); the applicant is told as for any
// dispatch; the agent can still add a member with a reason, and still
// dispatches by hand first. A window set to dispatch by hand is left to
// its agents. The database refuses a member added without a person.
func TestAutoDispatch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		arch := e.architectActor()
		agent := e.agentActor(e.agent, "sidi-othmane")
		accepted := func() *File {
			t.Helper()
			f := e.submitted(t, arch, sidiOthmane(e.owner))
			f, err := e.s.Accept(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID, f.Version)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		e.s.cfg.AutoDispatchAfter = 2 * time.Hour

		a := accepted()
		_, preview, err := e.s.DispatchPreview(ctx, agent, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The agent dispatches b by hand before Madina does.
		b := accepted()
		if _, err := e.s.Dispatch(ctx, agent, b.ID, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := e.s.AutoDispatch(ctx); err != nil || n != 0 {
			t.Fatalf("dispatched %d files before their time (%v)", n, err)
		}

		e.clock.add(2*time.Hour + time.Minute)
		if n, err := e.s.AutoDispatch(ctx); err != nil || n != 1 {
			t.Fatalf("dispatched %d files, want a (%v)", n, err)
		}
		if n, err := e.s.AutoDispatch(ctx); err != nil || n != 0 {
			t.Fatalf("dispatched %d files again (%v)", n, err)
		}
		f, err := e.s.Get(ctx, agent, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.State != Accepted || f.Holder != HolderCommittee || f.Step != StepStudy || f.DueAt == nil {
			t.Fatalf("a: %s, held by %s at %s, due %v", f.State, f.Holder, f.Step, f.DueAt)
		}
		seats, err := e.s.Seats(ctx, agent, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := bodiesOf(seats), bodiesOf(preview); !slices.Equal(got, want) {
			t.Fatalf("Madina selected %v, the agent would have %v", got, want)
		}
		for i, st := range seats {
			if st.Basis != preview[i].Basis || st.Reason != preview[i].Reason || st.Organisation.Code != preview[i].Organisation.Code {
				t.Errorf("seat %s: %+v, want %+v", st.Body.Code, st, preview[i])
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_committee_seats WHERE file_id = $1 AND selected_by IS NULL`, a.ID); n != len(seats) {
			t.Fatalf("%d of %d seats selected by the system", n, len(seats))
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_committee_seats WHERE file_id = $1 AND selected_by = $2`, b.ID, e.agent); n == 0 {
			t.Fatal("the agent's dispatch of b is not recorded as theirs")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND step = 'dispatch' AND outcome = 'met'`, a.ID); n != 1 {
			t.Fatal("the dispatch step is not met")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.dispatch' AND actor = 'system' AND object_id = $1`,
			strconv.FormatInt(a.ID, 10)); n != 1 {
			t.Fatalf("%d audit records of the system's dispatch", n)
		}
		v, err := e.s.View(ctx, e.ownerActor(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev := v.Events[len(v.Events)-1]; ev.Kind != TDispatch || ev.Data["automatic"] != true || ev.ActorLabel != "system" || !ev.Public {
			t.Fatalf("last event %+v", ev)
		}
		if auto, _, at, ok, err := dispatcher(ctx, d, a.ID); err != nil || !ok || !auto || !at.Equal(e.clock.now()) {
			t.Fatalf("a dispatched automatically %v at %v (%v, %v)", auto, at, ok, err)
		}
		if auto, by, _, ok, err := dispatcher(ctx, d, b.ID); err != nil || !ok || auto || by != e.agent {
			t.Fatalf("b dispatched automatically %v by %d (%v, %v)", auto, by, ok, err)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.dispatch' AND channel = 'inbox' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.owner)); n != 2 {
			t.Fatalf("the owner was told of %d dispatches, want a's and b's", n)
		}
		// The agent adds a member to the file Madina dispatched.
		added, err := e.s.AddSeat(ctx, agent, a.ID, "civil_protection", "Salle de sport au rez-de-chaussée.")
		if err != nil || added.Basis != SeatAdded {
			t.Fatalf("add a member: %+v %v", added, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_committee_seats WHERE file_id = $1 AND body = 'civil_protection' AND selected_by = $2`,
			a.ID, e.agent); n != 1 {
			t.Fatal("the added member is not the agent's selection")
		}

		// At the latest before the deadline: with a day's delay, the file
		// is dispatched just before its dispatch step is due, not after.
		e.s.cfg.AutoDispatchAfter = 72 * time.Hour
		c := accepted()
		var due time.Time
		if err := d.QueryRowContext(ctx, `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND step = 'dispatch'`, c.ID).Scan(&due); err != nil {
			t.Fatal(err)
		}
		e.clock.t = due.Add(-autoDispatchMargin - time.Minute)
		if n, _ := e.s.AutoDispatch(ctx); n != 0 {
			t.Fatal("dispatched long before the deadline")
		}
		e.clock.t = due.Add(-autoDispatchMargin + time.Minute)
		if n, err := e.s.AutoDispatch(ctx); err != nil || n != 1 {
			t.Fatalf("not dispatched before its deadline: %d %v", n, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND step = 'dispatch' AND met_at < due_at`, c.ID); n != 1 {
			t.Fatal("the dispatch step is not met within its deadline")
		}

		// A window that dispatches by hand: Madina leaves its files to
		// its agents, even past the deadline; the setting is the
		// administrator's, audited.
		admin := authz.Actor{Person: e.admin, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.Admin, Org: "sidi-othmane"}}}
		wantErr(t, e.s.SetDispatchMode(ctx, agent, "sidi-othmane", false), errs.Forbidden, "")
		wantErr(t, e.s.SetDispatchMode(ctx, admin, "atlantis", false), errs.Invalid, "permit.autodispatch.error.window")
		if err := e.s.SetDispatchMode(ctx, admin, "sidi-othmane", false); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.dispatch_mode' AND object_id = 'sidi-othmane'`); n != 1 {
			t.Fatalf("%d audit records of the setting", n)
		}
		m := accepted()
		e.clock.add(10 * 24 * time.Hour)
		if n, err := e.s.AutoDispatch(ctx); err != nil || n != 0 {
			t.Fatalf("dispatched %d files of a window that dispatches by hand (%v)", n, err)
		}
		if _, err := e.s.Dispatch(ctx, e.agentActor(e.agent, "sidi-othmane"), m.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetDispatchMode(ctx, system, "sidi-othmane", true); err != nil {
			t.Fatal(err)
		}

		// The database: a member added is always someone's selection.
		_, err = d.ExecContext(ctx, `INSERT INTO permit_committee_seats (file_id, committee, body, basis, note, selected_by, selected_at)
			VALUES ($1, 'urban_small', 'land_registry', 'added', 'Une raison assez longue.', NULL, $2)`, m.ID, e.clock.now())
		if err == nil {
			t.Fatal("the database took a member added by nobody")
		}
	})
}

// TestAutoDispatchOnceAcrossNodes: several nodes sweeping at once (six
// goroutines here), while an agent dispatches one of the files by hand,
// dispatch each accepted file once: one selection, one round, one event
// and one audit record per file; the agent, if Madina was first, gets a
// conflict.
func TestAutoDispatchOnceAcrossNodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		arch := e.architectActor()
		agent := e.agentActor(e.agent, "sidi-othmane")
		var ids []int64
		for range 6 {
			f := e.submitted(t, arch, sidiOthmane(e.owner))
			f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		// The window's agent dispatches the first file at the same time.
		var agentErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, agentErr = e.s.Dispatch(ctx, agent, ids[0], 0)
		}()
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := e.s.AutoDispatch(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		switch {
		case agentErr == nil && total == len(ids)-1:
			// the agent was first
		case agentErr != nil && total == len(ids):
			wantErr(t, agentErr, errs.Conflict, "")
		default:
			t.Fatalf("the sweeps dispatched %d times for %d files, the agent: %v", total, len(ids), agentErr)
		}
		for _, id := range ids {
			if n := count(t, d, `SELECT COUNT(*) FROM permit_rounds WHERE file_id = $1`, id); n != 1 {
				t.Errorf("file %d: %d rounds", id, n)
			}
			if n := count(t, d, `SELECT COUNT(*) FROM permit_events WHERE file_id = $1 AND kind = 'dispatch'`, id); n != 1 {
				t.Errorf("file %d: %d dispatch events", id, n)
			}
			if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.dispatch' AND object_id = $1`, strconv.FormatInt(id, 10)); n != 1 {
				t.Errorf("file %d: %d audit records", id, n)
			}
			if n := count(t, d, `SELECT COUNT(*) FROM permit_committee_seats WHERE file_id = $1`, id); n != 4 {
				t.Errorf("file %d: %d seats", id, n)
			}
		}
	})
}
