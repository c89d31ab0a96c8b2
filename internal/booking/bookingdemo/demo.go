// Package bookingdemo loads Casa In's demonstration (docs/DEMO.md): the
// demonstration's citizens book Moulay Rachid's fields, three of them
// request the same peak slot in its draw, one waits for a taken slot, and
// the Sidi Othmane association asks for Maârif's coworking space, which
// waits for the arrondissement's approval, a school's director books
// Sidi Othmane's hall for her school in school hours, and Fatima's team has one
// member and one invitation waiting — through the services, as
// people would, from the time the demonstration is loaded.
package bookingdemo

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/identity"
	"madina/internal/module"
	"madina/internal/platform/calendar"
	"madina/internal/platform/i18n"
)

// Managers are the demonstration's facility managers: e-mail and the
// arrondissement whose facilities they run (identitydemo gives them the
// role).
var Managers = []struct{ Email, Org string }{
	{"meriem.sentissi@example.ma", "moulay-rachid"},
	{"anas.kabbaj@example.ma", "maarif"},
}

// Dispatcher is the demonstration's ambulance dispatcher (Sbata).
const Dispatcher = "hamid.ouali@example.ma"

// Load books; it does nothing when the demonstration's bookings are
// there already.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	s, err := module.Need[*booking.Service](env)
	if err != nil {
		return err
	}
	id, err := module.Need[*identity.Service](env)
	if err != nil {
		return err
	}
	now := time.Now()
	citizen := func(email string) (authz.Actor, error) {
		p, err := id.AccountID(ctx, email)
		return authz.Actor{Person: p, EmailVerified: true, Now: now}, err
	}
	fatima, err := citizen("fatima.benali@example.ma")
	if err != nil {
		return fmt.Errorf("booking demo: %w (load identity's demonstration first)", err)
	}
	if mine, err := s.Mine(ctx, fatima); err != nil {
		return err
	} else if len(mine) > 0 {
		fmt.Fprintln(out, "demo: Casa In's bookings are already there")
		return nil
	}
	youssef, err := citizen("youssef.elamrani@example.ma")
	if err != nil {
		return err
	}
	khadija, err := citizen("khadija.ouazzani@example.ma")
	if err != nil {
		return err
	}
	// Slots two days from now, at hours that are neither peak nor past.
	day := calendar.DateOf(now.AddDate(0, 0, 2))
	at := func(d calendar.Date, h int) time.Time {
		return time.Date(d.Year, d.Month, d.Day, h, 0, 0, 0, i18n.Casablanca).UTC()
	}
	const field = "moulay-rachid-field-1"
	// Three accounts asking from one computer (a family's, say): the
	// desk's signals list the device for Meriem Sentissi's review.
	shared := booking.Origin{Device: "demo-family-computer-0000000000"}
	if _, err := s.Book(ctx, fatima, booking.BookInput{Facility: field, Start: at(day, 10), From: shared}); err != nil {
		return fmt.Errorf("booking demo: Fatima's booking: %w", err)
	}
	if _, err := s.Book(ctx, youssef, booking.BookInput{Facility: field, Start: at(day, 11), From: shared}); err != nil {
		return fmt.Errorf("booking demo: Youssef's booking: %w", err)
	}
	if _, err := s.JoinWaitlist(ctx, khadija, booking.BookInput{Facility: field, Start: at(day, 10), From: shared}); err != nil {
		return fmt.Errorf("booking demo: Khadija's waitlist place: %w", err)
	}
	// The peak slot released today: its draw collects requests.
	peak := calendar.DateOf(now.AddDate(0, 0, 7))
	if f, _, err := s.Facility(ctx, field); err == nil && now.After(f.Release(at(peak, 19))) {
		for _, a := range []authz.Actor{fatima, youssef, khadija} {
			if _, err := s.Enter(ctx, a, booking.BookInput{Facility: field, Start: at(peak, 19)}); err != nil {
				return fmt.Errorf("booking demo: draw request: %w", err)
			}
		}
	}
	// The association's request for the coworking space, a working day
	// at least two days ahead.
	naima, err := citizen("naima.bennis@example.ma")
	if err != nil {
		return err
	}
	ls, err := id.LegalPersons(ctx, naima)
	if err != nil || len(ls) == 0 {
		return fmt.Errorf("booking demo: Naima's association: %v", err)
	}
	naima.ActingFor, naima.Represents = ls[0].ID, []int64{ls[0].ID}
	cw := calendar.DateOf(now.AddDate(0, 0, 3))
	for cw.Weekday() == time.Sunday {
		cw = calendar.DateOf(at(cw, 12).AddDate(0, 0, 1))
	}
	if _, err := s.Book(ctx, naima, booking.BookInput{Facility: "maarif-coworking", Start: at(cw, 8), Group: "partners"}); err != nil {
		return fmt.Errorf("booking demo: the association's coworking request: %w", err)
	}
	// The school's director, acting for École primaire Ibn Khaldoun, books
	// Sidi Othmane's hall for a physical education class: a weekday at
	// least three days ahead, in school hours, within the share kept for
	// schools (she need not name it: the school is a school).
	rachida, err := citizen("rachida.amrani@example.ma")
	if err != nil {
		return err
	}
	ls, err = id.LegalPersons(ctx, rachida)
	if err != nil || len(ls) == 0 {
		return fmt.Errorf("booking demo: Rachida's school: %v", err)
	}
	rachida.ActingFor, rachida.Represents = ls[0].ID, []int64{ls[0].ID}
	sd := calendar.DateOf(now.AddDate(0, 0, 3))
	for sd.Weekday() == time.Saturday || sd.Weekday() == time.Sunday {
		sd = calendar.DateOf(at(sd, 12).AddDate(0, 0, 1))
	}
	class := time.Date(sd.Year, sd.Month, sd.Day, 10, 30, 0, 0, i18n.Casablanca).UTC()
	if _, err := s.Book(ctx, rachida, booking.BookInput{Facility: "sidi-othmane-hall", Start: class}); err != nil {
		return fmt.Errorf("booking demo: the school's class in the hall: %w", err)
	}
	if _, err := s.RequestAmbulance(ctx, khadija, booking.AmbulanceInput{Service: "sbata-ambulance", Patient: "Fatna Ouazzani, 74",
		Address: "Derb Sbata, street 14, no. 3", Urgency: "urgent", Destination: "Moulay Youssef hospital", Phone: "0770 11 22 33"}); err != nil {
		return fmt.Errorf("booking demo: the ambulance request: %w", err)
	}
	// A team for field 2's team slots: Fatima captains it, Youssef has
	// joined, Khadija's invitation waits in her space.
	team, err := s.CreateTeam(ctx, fatima, "Lions de Moulay Rachid")
	if err != nil {
		return fmt.Errorf("booking demo: the team: %w", err)
	}
	for _, email := range []string{"youssef.elamrani@example.ma", "khadija.ouazzani@example.ma"} {
		if err := s.Invite(ctx, fatima, team.ID, email); err != nil {
			return fmt.Errorf("booking demo: an invitation: %w", err)
		}
	}
	if inv, err := s.Invitations(ctx, youssef); err != nil || len(inv) != 1 {
		return fmt.Errorf("booking demo: Youssef's invitation: %v", err)
	} else if err := s.Answer(ctx, youssef, inv[0].ID, true); err != nil {
		return fmt.Errorf("booking demo: Youssef joins the team: %w", err)
	}
	n, err := past(ctx, env, s, id, now)
	if err != nil {
		return fmt.Errorf("booking demo: the past weeks: %w", err)
	}
	fmt.Fprintf(out, "demo: Casa In bookings made (%d in the past three weeks); facility managers %s (Moulay Rachid), %s (Maârif)\n",
		n, Managers[0].Email, Managers[1].Email)
	return nil
}

// Pasts are the citizens who booked Moulay Rachid's fields in the past
// weeks (none of the journeys' people: their quotas and penalty ladder
// stay clean).
var Pasts = []string{"mehdi.tazi@example.ma", "omar.berrada@example.ma", "hicham.naciri@example.ma", "rachid.lahlou@example.ma"}

// past gives the statistics three weeks to show: every third day before
// today, Moulay Rachid's first field at 10:00 (for the young) and 16:00,
// the second at 22:00, booked the day before by Pasts in turn (the next
// one when a quota refuses); two evenings of the first field drawn by
// lot; one booking cancelled, its slot offered to someone waiting who
// confirms; the holders check in at the desk, but three do not come
// (never twice the same person: a warning each, no suspension). It books
// through the service with a clock set back to each moment, and returns
// how many bookings it made.
func past(ctx context.Context, env *module.Env, s *booking.Service, id *identity.Service, now time.Time) (int, error) {
	var clock time.Time
	ps := booking.NewService(booking.Deps{DB: env.DB, Catalogue: s.Catalogue(), Events: env.Jobs, Box: env.Box,
		Now: func() time.Time { return clock }})
	var people []authz.Actor
	for _, e := range Pasts {
		p, err := id.AccountID(ctx, e)
		if err != nil {
			return 0, err
		}
		people = append(people, authz.Actor{Person: p, EmailVerified: true})
	}
	mgrID, err := id.AccountID(ctx, Managers[0].Email)
	if err != nil {
		return 0, err
	}
	mgr := authz.Actor{Person: mgrID, EmailVerified: true, MFA: true,
		Grants: []authz.Grant{{Role: authz.FacilityManager, Org: Managers[0].Org}}}
	as := func(a authz.Actor) authz.Actor { a.Now = clock; return a }
	const f1, f2 = "moulay-rachid-field-1", "moulay-rachid-field-2"
	at := func(d calendar.Date, h, m int) time.Time { return d.At(h, m).UTC() }
	next, made := 0, 0
	missed := map[int64]bool{}
	// book gives the slot to the next person the rules allow; nil when
	// the facility is closed then.
	book := func(code string, start time.Time, group string) (*booking.Booking, error) {
		f, _, err := ps.Facility(ctx, code)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(f.Slots(calendar.DateOf(start)), func(sl booking.Slot) bool { return sl.Start.Equal(start) }) {
			return nil, nil
		}
		var last error
		for range people {
			a := people[next%len(people)]
			next++
			b, err := ps.Book(ctx, as(a), booking.BookInput{Facility: code, Start: start, Group: group})
			if err == nil {
				made++
				return b, nil
			}
			last = err
		}
		return nil, last
	}
	today := calendar.DateOf(now)
	for k := 21; k >= 3; k -= 3 {
		d := today.AddDays(-k)
		if k == 18 || k == 9 {
			// An evening drawn by lot: two requests at the release, the
			// draw when the window closes.
			start := at(d, 19, 0)
			clock = at(d.AddDays(-7), 9, 0)
			entered := 0
			for i := range people {
				a := people[(next+i)%len(people)]
				if _, err := ps.Enter(ctx, as(a), booking.BookInput{Facility: f1, Start: start}); err == nil {
					if entered++; entered == 2 {
						break
					}
				}
			}
			clock = at(d.AddDays(-6), 8, 5)
			ds, err := ps.Draws(ctx, f1, 500)
			if err != nil {
				return made, err
			}
			for _, dr := range ds {
				if dr.Start.Equal(start) {
					if _, err := ps.RunDraw(ctx, authz.Actor{System: true}, dr.ID); err != nil {
						return made, err
					}
					made++
				}
			}
		}
		clock = at(d.AddDays(-1), 9, 0)
		day := []*booking.Booking{}
		for _, x := range []struct {
			code  string
			h     int
			group string
		}{{f1, 10, "youth"}, {f1, 16, ""}, {f2, 22, ""}} {
			b, err := book(x.code, at(d, x.h, 0), x.group)
			if err != nil {
				return made, err
			}
			if b != nil {
				day = append(day, b)
			}
		}
		if k == 12 && len(day) == 3 {
			// Cancelled the day before; the next person was waiting for
			// the slot and takes the offer.
			b := day[1]
			w := people[next%len(people)]
			if w.Person == b.Holder {
				w = people[(next+1)%len(people)]
			}
			if _, err := ps.JoinWaitlist(ctx, as(w), booking.BookInput{Facility: b.Facility, Start: b.Start}); err != nil {
				return made, err
			}
			clock = clock.Add(30 * time.Minute)
			if _, err := ps.Cancel(ctx, as(people[slices.IndexFunc(people, func(a authz.Actor) bool { return a.Person == b.Holder })]), b.ID); err != nil {
				return made, err
			}
			offers, err := ps.Mine(ctx, as(w))
			if err != nil {
				return made, err
			}
			for _, o := range offers {
				if o.State == booking.Offered {
					if day[1], err = ps.Confirm(ctx, as(w), o.ID); err != nil {
						return made, err
					}
					made++
				}
			}
		}
		mine := func(p int64) authz.Actor {
			for _, a := range people {
				if a.Person == p {
					return a
				}
			}
			return authz.Actor{Person: p, EmailVerified: true}
		}
		// The holders come to the desk, but for one in three days one of
		// them (who never missed before) does not.
		miss := int64(0)
		if k%9 == 3 {
			for i := len(day) - 1; i >= 0 && miss == 0; i-- {
				if !missed[day[i].Holder] {
					miss = day[i].ID
					missed[day[i].Holder] = true
				}
			}
		}
		for _, b := range day {
			if b.ID == miss {
				continue
			}
			clock = b.Start.Add(5 * time.Minute)
			code, _, err := ps.Code(ctx, as(mine(b.Holder)), b.ID)
			if err != nil {
				return made, err
			}
			if _, err := ps.CheckIn(ctx, as(mgr), code); err != nil {
				return made, err
			}
		}
		// The drawn evening's holder comes too.
		if k == 18 || k == 9 {
			clock = at(d, 19, 5)
			bs, err := listDrawn(ctx, ps, people, at(d, 19, 0), as)
			if err != nil {
				return made, err
			}
			for _, b := range bs {
				code, _, err := ps.Code(ctx, as(mine(b.Holder)), b.ID)
				if err != nil {
					return made, err
				}
				if _, err := ps.CheckIn(ctx, as(mgr), code); err != nil {
					return made, err
				}
			}
		}
	}
	// The clock records the no-shows, as it would have each evening.
	clock = at(today.AddDays(-1), 23, 30)
	if _, err := ps.SweepNoShows(ctx); err != nil {
		return made, err
	}
	return made, nil
}

// listDrawn finds the held bookings of people for the slot at start.
func listDrawn(ctx context.Context, s *booking.Service, people []authz.Actor, start time.Time,
	as func(authz.Actor) authz.Actor) ([]*booking.Booking, error) {
	var out []*booking.Booking
	for _, a := range people {
		bs, err := s.Mine(ctx, as(a))
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if b.Start.Equal(start) && b.State == booking.Held {
				out = append(out, b)
			}
		}
	}
	return out, nil
}
