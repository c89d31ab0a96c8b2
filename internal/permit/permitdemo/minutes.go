package permitdemo

import (
	"context"
	"fmt"
	"time"

	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
)

// The committee sessions of the demonstration's last days (issue #12,
// point 9): sessions are generated sitSessionDays before the end of the
// stories, their agendas planned and frozen each day as the sessions'
// worker does, and once a session at a window with a demonstration
// secretariat has sat, its minutes are drawn up: the first closed — the
// members present who hold a certificate sign, then the president —, the
// second waiting for signatures, the demonstration account of the urban
// agency's member left to sign them by whoever tries the demonstration.
// The last session of each such window is left without minutes, for its
// secretariat to draw up.

// sitSessionDays is how long before the end of the stories the sessions
// start.
const sitSessionDays = 16

// sitMinutes bounds the minutes drawn up per window: each signature
// counts against the signer's rate (ten a minute), and the demonstration
// loads in seconds.
const sitMinutes = 2

// sitSessions runs, at the start of day, the sessions' worker and draws up
// the minutes of the sessions that sat.
func (d *demoFiles) sitSessions(ctx context.Context, day calendar.Date) error {
	if d.a.Permit.Deps().Signatures == nil || day.Before(calendar.DateOf(d.end.AddDate(0, 0, -sitSessionDays))) {
		return nil
	}
	if d.sat == nil {
		d.sat = map[string]int{}
		if _, err := d.svc.GenerateSessions(ctx, permit.SessionWeeks); err != nil {
			if errs.Is(err, errs.Invalid) { // a year the holiday calendar lacks
				return nil
			}
			return err
		}
	}
	if _, err := d.svc.PlanAll(ctx); err != nil {
		return err
	}
	if _, err := d.svc.FreezeDue(ctx); err != nil {
		return err
	}
	for _, w := range dfAgentWindows {
		agent, ok := d.agents[w]
		if !ok {
			continue
		}
		agent.Now = time.Now()
		sat, err := d.svc.MinutesToDraft(ctx, agent)
		if err != nil {
			return err
		}
		// The last one stays for the secretariat.
		for i := 0; i+1 < len(sat) && d.sat[w] < sitMinutes; i++ {
			if sat[i].Window != w {
				continue
			}
			d.sat[w]++
			if err := d.minutes(ctx, agent, sat[i].ID, d.sat[w] == 1); err != nil {
				return fmt.Errorf("minutes of session %d: %w", sat[i].ID, err)
			}
		}
	}
	return nil
}

// minutes draws up session id's minutes with one member of each
// organisation seated present — only those holding a certificate when
// closed — and has them sign, then the president when closed.
func (d *demoFiles) minutes(ctx context.Context, agent authz.Actor, id int64, closed bool) error {
	_, roster, err := d.svc.MayDraftMinutes(ctx, agent, id)
	if err != nil {
		return err
	}
	ss, err := d.svc.GetSession(ctx, agent, id)
	if err != nil {
		return err
	}
	// Minutes the demonstration closes need the window's president; at a
	// window without one they stay open, waiting for the urban agency's
	// demonstration member too (whatever day the demonstration is loaded,
	// some minutes wait for Karim Benjelloun).
	pres, hasPres := d.presidents[ss.Window]
	closes := closed && hasPres
	var present []int64
	var signers []authz.Actor
	for _, st := range roster {
		// One member of each organisation: one who holds a certificate
		// when there is one (the demonstration accounts do).
		var who *authz.Actor
		keyed := false
		for _, p := range st.Members {
			a := authz.Actor{Person: p.ID, EmailVerified: true, MFA: true, Now: time.Now(),
				Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: st.Organisation.Code}}}
			if d.svc.SignsDecisions(ctx, a) {
				who, keyed = &a, true
				break
			}
			if who == nil && !closed {
				who = &a
			}
		}
		if who == nil {
			continue
		}
		present = append(present, who.Person)
		// The urban agency's demonstration member signs the open minutes
		// themself.
		if keyed && (closes || st.Organisation.Code != "aucasa") {
			signers = append(signers, *who)
		}
	}
	if len(present) == 0 {
		return nil
	}
	if _, err := d.svc.DraftMinutes(ctx, agent, id, present); err != nil {
		return err
	}
	for _, a := range signers {
		d.clock.advance(d.clock.Now().Add(10 * time.Minute))
		if err := patiently(ctx, func() error { _, err := d.svc.SignMinutes(ctx, a, id, DemoPIN); return err }); err != nil {
			return err
		}
	}
	if !closes {
		return nil
	}
	pres.Now = time.Now()
	d.clock.advance(d.clock.Now().Add(time.Hour))
	return patiently(ctx, func() error { _, err := d.svc.SignMinutes(ctx, pres, id, DemoPIN); return err })
}

// patiently signs with sign; a signer past the signature capability's
// rate (ten a minute) waits the time they are told, as a person would,
// and signs again.
func patiently(ctx context.Context, sign func() error) error {
	for {
		err := sign()
		e := errs.As(err)
		if e == nil || e.Kind != errs.TooMany {
			return err
		}
		retry, _ := e.Params["retry"].(int)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(max(retry, 1)) * time.Second):
		}
	}
}
