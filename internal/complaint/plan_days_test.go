package complaint

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// A team plans the work up to 366 Casablanca days ahead, counted on the
// calendar: on 24 January 2027 (UTC+1) 25 January 2028 is allowed though
// its midnight, in Ramadan's UTC+0, is 366 days and one hour away; 26
// January 2028 is not.
func TestPlanAheadCountsCalendarDaysAcrossAClockChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock.add(time.Date(2027, 1, 24, 10, 0, 0, 0, i18n.Casablanca).Sub(e.clock.now()))
		r, err := e.s.File(ctx, e.actor(e.citizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		lydec := e.officer(e.lydec, "lydec", "")
		if _, err := e.s.Move(ctx, lydec, r.ID, 0, CAcknowledge, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Plan(ctx, lydec, r.ID, 0, "2028-01-26", ""); errs.As(err) == nil || errs.As(err).Key != "complaint.error.plan_day" {
			t.Errorf("planned 367 days ahead: %v", err)
		}
		if r, err = e.s.Plan(ctx, lydec, r.ID, 0, "2028-01-25", ""); err != nil {
			t.Fatalf("planning 366 days ahead: %v", err)
		}
		if r.PlannedFor == nil || r.PlannedFor.In(i18n.Casablanca).Format(time.DateOnly) != "2028-01-25" {
			t.Errorf("planned for %v", r.PlannedFor)
		}
	})
}
