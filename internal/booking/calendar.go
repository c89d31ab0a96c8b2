package booking

import (
	"context"
	"fmt"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
)

// The desk's calendar of a facility: a week of its slots, each with its
// state and booking, and the slots' waitlists with their people in
// order, for the facility's managers. The slots and their availability
// are Day's; the calendar adds what only the managers read.

// Calendar states of a slot besides the public availabilities (Slot*):
// the state of the booking holding it.
const (
	CalOffered   = "offered"
	CalHeld      = "held"
	CalCheckedIn = "checked_in"
	CalNoShow    = "no_show"
	CalPending   = "pending"
)

// Waiter is a person waiting for a slot, at their place in the line.
type Waiter struct {
	Position          int
	Person, Legal     int64
	LegalName         string
	NameAR, NameLatin string
	Since             time.Time
	// Team: the place is the team's of that name (the person its
	// captain; team_entries.go).
	Team string
}

// CalendarCell is a slot of the calendar.
type CalendarCell struct {
	SlotView
	// State is the booking's state when one holds the slot (pending,
	// offered, held, checked_in, no_show), else the slot's availability.
	State   string
	Booking *Booking
	// HolderAR and HolderLatin name an offer's holder (who must confirm).
	HolderAR, HolderLatin string
	Waiting               []Waiter
}

// CalendarDay is a day of the calendar: its slots, or none when the
// facility is closed (Closure, when a closure says why).
type CalendarDay struct {
	Date    calendar.Date
	Cells   []CalendarCell
	Closure *Closure
}

// Week is a facility's calendar from Monday From.
type Week struct {
	Facility *Facility
	From     calendar.Date
	Days     []CalendarDay
}

// Monday is the Monday of the week holding d.
func Monday(d calendar.Date) calendar.Date {
	wd := int(d.Weekday()+6) % 7 // Monday 0
	return d.AddDays(-wd)
}

// Calendar reads facility code's week holding day (from its Monday), for
// its managers (booking.desk of the running organisation).
func (s *Service) Calendar(ctx context.Context, a authz.Actor, code string, day calendar.Date) (*Week, error) {
	f, _, err := facility(ctx, s.db, code)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: f.Organisation}); err != nil {
		return nil, err
	}
	if f.Request() {
		return nil, errs.E(errs.NotFound, "booking.error.facility")
	}
	w := &Week{Facility: f, From: Monday(day)}
	from, to := w.From.Start().UTC(), w.From.AddDays(7).Start().UTC()
	bs, err := listBookings(ctx, s.db, `facility_code = $1 AND slot_start >= $2 AND slot_start < $3 AND `+activeSQL,
		`slot_start, state = 'no_show'`, 2000, code, from, to)
	if err != nil {
		return nil, err
	}
	// A slot a no-show released and someone took again shows its taker.
	held := map[int64]*Booking{}
	for _, b := range bs {
		if held[b.Start.Unix()] == nil {
			held[b.Start.Unix()] = b
		}
	}
	waiting, err := s.waiters(ctx, code, from, to)
	if err != nil {
		return nil, err
	}
	for i := range 7 {
		d := w.From.AddDays(i)
		_, views, err := s.Day(ctx, code, d)
		if err != nil {
			return nil, err
		}
		cd := CalendarDay{Date: d}
		if len(views) == 0 {
			ds := d.String()
			for _, c := range f.Closures {
				if ds >= c.From && ds <= c.To {
					c := c
					cd.Closure = &c
				}
			}
		}
		for _, v := range views {
			c := CalendarCell{SlotView: v, State: v.Availability, Waiting: waiting[v.Start.Unix()]}
			if b := held[v.Start.Unix()]; b != nil {
				c.Booking, c.State = b, string(b.State)
				if b.State == Offered {
					if c.HolderAR, c.HolderLatin, err = personNames(ctx, s.db, b.Holder); err != nil {
						return nil, err
					}
				}
			}
			cd.Cells = append(cd.Cells, c)
		}
		w.Days = append(w.Days, cd)
	}
	return w, nil
}

// waiters are the people waiting for facility code's slots in [from,
// to), by slot start, each slot's line in order.
func (s *Service) waiters(ctx context.Context, code string, from, to time.Time) (map[int64][]Waiter, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT w.slot_start, w.person_id, COALESCE(w.legal_id, 0), COALESCE(l.name, ''),
		p.given_name_ar || ' ' || p.family_name_ar, p.given_name_latin || ' ' || p.family_name_latin, w.joined_at, COALESCE(t.name, '')
		FROM booking_waitlist w JOIN persons p ON p.id = w.person_id LEFT JOIN legal_persons l ON l.id = w.legal_id
		LEFT JOIN booking_teams t ON t.id = w.team_id
		WHERE w.facility_code = $1 AND w.slot_start >= $2 AND w.slot_start < $3 AND w.state = 'waiting'
		ORDER BY w.slot_start, w.rank`, code, from, to)
	if err != nil {
		return nil, fmt.Errorf("booking: waiters: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Waiter{}
	for rows.Next() {
		var start time.Time
		var w Waiter
		if err := rows.Scan(&start, &w.Person, &w.Legal, &w.LegalName, &w.NameAR, &w.NameLatin, &w.Since, &w.Team); err != nil {
			return nil, err
		}
		k := start.Unix()
		w.Position = len(out[k]) + 1
		w.Since, w.NameAR, w.NameLatin = w.Since.UTC(), strings.TrimSpace(w.NameAR), strings.TrimSpace(w.NameLatin)
		out[k] = append(out[k], w)
	}
	return out, rows.Err()
}
