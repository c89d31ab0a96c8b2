package booking

import (
	"context"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// Sbata's ambulances: a request with every mistake named at once; the
// dispatchers' queue by urgency then waiting time; assignment of a
// vehicle and crew, then each step, by a dispatcher of Sbata only and
// never on their own request; each step kept for the response times.
func TestAmbulanceRequestsAreDispatchedByUrgency(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		_, err := e.s.RequestAmbulance(ctx, e.citizen(0), AmbulanceInput{Service: "sbata-ambulance", Urgency: "soon", Phone: "12"})
		fe := errs.As(err)
		if fe == nil || fe.Kind != errs.Invalid || len(fe.Faults) < 4 {
			t.Fatalf("a form full of mistakes: %v", err)
		}
		_, err = e.s.RequestAmbulance(ctx, e.citizen(0), AmbulanceInput{Service: field1, Patient: "x", Address: "y", Urgency: "urgent",
			Destination: "z", Phone: "0661234567"})
		wantKey(t, err, "booking.error.not_request")
		file := func(i int, urgency string) *AmbulanceRequest {
			r, err := e.s.RequestAmbulance(ctx, e.citizen(i), AmbulanceInput{Service: "sbata-ambulance", Patient: "Fatna, 72 ans",
				Address: "Derb Sbata, rue 14, n° 3", Urgency: urgency, Destination: "Hôpital Moulay Youssef", Phone: "0661 23 45 67"})
			if err != nil {
				t.Fatal(err)
			}
			e.clock.add(time.Minute)
			return r
		}
		routine := file(0, "routine")
		urgentOld := file(1, "urgent")
		critical := file(2, "critical")
		urgentNew := file(3, "urgent")
		disp := authz.Actor{Person: e.mrManager, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.Dispatcher, Org: "sbata"}}}
		q, err := e.s.DispatchQueue(ctx, disp, "sbata")
		if err != nil {
			t.Fatal(err)
		}
		var order []int64
		for _, r := range q {
			order = append(order, r.ID)
		}
		want := []int64{critical.ID, urgentOld.ID, urgentNew.ID, routine.ID}
		if len(order) != 4 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] || order[3] != want[3] {
			t.Fatalf("queue %v, want %v", order, want)
		}
		if _, err := e.s.DispatchQueue(ctx, e.manager(e.maarifMgr, "maarif"), "sbata"); err == nil {
			t.Error("a facility manager of Maarif read Sbata's dispatch queue")
		}
		_, err = e.s.MoveAmbulance(ctx, disp, critical.ID, AAssigned, "", "")
		wantKey(t, err, "booking.ambulance.error.vehicle")
		_, err = e.s.MoveAmbulance(ctx, disp, critical.ID, ADone, "", "")
		wantKey(t, err, "booking.error.state")
		r, err := e.s.MoveAmbulance(ctx, disp, critical.ID, AAssigned, "AMB-SB-02", "Dr Alami, infirmier Bennani")
		if err != nil || r.State != AAssigned || r.AssignedAt == nil {
			t.Fatalf("assign: %+v %v", r, err)
		}
		for _, st := range []string{AOnScene, ATransporting, ADone} {
			if r, err = e.s.MoveAmbulance(ctx, disp, critical.ID, st, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if r.ClosedAt == nil {
			t.Fatal("a request done has no end")
		}
		// A dispatcher who filed a request does not dispatch it.
		own := authz.Actor{Person: e.people[0], EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.Dispatcher, Org: "sbata"}}}
		_, err = e.s.MoveAmbulance(ctx, own, routine.ID, AAssigned, "AMB-SB-01", "")
		wantKey(t, err, "error.authz.conflict")
		var steps int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM ambulance_events WHERE request_id = $1`, critical.ID).Scan(&steps); err != nil || steps != 5 {
			t.Fatalf("%d steps kept (%v), want 5", steps, err)
		}
		// Each step is an event for the requester's SMS, in the outbox.
		var events int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE topic = $1`, TopicAmbulanceChanged).Scan(&events); err != nil || events != 4+4 {
			t.Fatalf("%d ambulance events in the outbox (%v), want 8", events, err)
		}
		mine, err := e.s.MyAmbulanceRequests(ctx, e.citizen(2))
		if err != nil || len(mine) != 1 || mine[0].State != ADone {
			t.Fatalf("the requester's requests: %+v %v", mine, err)
		}
	})
}
