package booking

import (
	"context"
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
)

// Availability of a slot, as the public pages show it.
const (
	SlotFree    = "free"     // first-come, bookable now
	SlotTaken   = "taken"    // someone holds it (the waitlist is open)
	SlotDraw    = "draw"     // a peak slot whose draw collects requests
	SlotDrawing = "drawing"  // the draw's window closed, the draw not held yet
	SlotNotYet  = "not_yet"  // not released yet
	SlotPast    = "past"     // too late (past, or within the notice)
	SlotPending = "approval" // held, waiting for the arrondissement's approval
)

// SlotView is a slot with its availability and, when held, its holder's
// anonymous token and how it was allocated.
type SlotView struct {
	Slot
	Availability string
	Token        string
	Method       string
	Release      time.Time
}

// Day is facility code's slots on day, with their availability now.
func (s *Service) Day(ctx context.Context, code string, day calendar.Date) (*Facility, []SlotView, error) {
	f, _, err := facility(ctx, s.db, code)
	if err != nil {
		return nil, nil, err
	}
	slots := f.Slots(day)
	if len(slots) == 0 {
		return f, nil, nil
	}
	// A slot a no-show released and someone took again: the taker first.
	held, err := listBookings(ctx, s.db, `facility_code = $1 AND slot_start >= $2 AND slot_start < $3 AND `+activeSQL,
		`slot_start, state = 'no_show'`, 500, code, slots[0].Start, slots[len(slots)-1].End)
	if err != nil {
		return nil, nil, err
	}
	draws, err := s.Draws(ctx, code, 500)
	if err != nil {
		return nil, nil, err
	}
	now := s.clock()
	out := make([]SlotView, 0, len(slots))
	for _, sl := range slots {
		v := SlotView{Slot: sl, Release: f.Release(sl.Start)}
		i := slices.IndexFunc(held, func(b *Booking) bool { return b.Start.Equal(sl.Start) })
		drawOpen := slices.ContainsFunc(draws, func(d *Draw) bool { return d.Start.Equal(sl.Start) && d.State == "open" })
		switch {
		case i >= 0:
			v.Availability, v.Token, v.Method = SlotTaken, held[i].Token, held[i].Method
			if held[i].State == Pending {
				v.Availability = SlotPending
			}
		case sl.Start.Sub(now) < time.Duration(f.Rules.MinNoticeHours)*time.Hour:
			v.Availability = SlotPast
		case now.Before(v.Release):
			v.Availability = SlotNotYet
		case sl.Peak && now.Before(f.DrawCloses(sl.Start)):
			v.Availability = SlotDraw
		case drawOpen:
			v.Availability = SlotDrawing
		default:
			v.Availability = SlotFree
		}
		out = append(out, v)
	}
	return f, out, nil
}

// Free counts facility code's slots bookable first-come now over the
// next days, for the public list's live availability.
func (s *Service) Free(ctx context.Context, f *Facility, days int) (int, error) {
	if f.Request() {
		return 0, nil
	}
	n := 0
	now := s.clock()
	for d := 0; d < days; d++ {
		_, views, err := s.Day(ctx, f.Code, calendar.DateOf(now).AddDays(d))
		if err != nil {
			return 0, err
		}
		for _, v := range views {
			if v.Availability == SlotFree || v.Availability == SlotDraw {
				n++
			}
		}
	}
	return n, nil
}

// RegisterRow is a line of a facility's public register: a slot, how it
// was allocated, the holder's anonymous token and what became of it.
type RegisterRow struct {
	Start  time.Time
	Method string
	Token  string
	State  State
}

// Register is facility code's public register: its latest bookings
// (holders as tokens only) and draws.
func (s *Service) Register(ctx context.Context, code string) ([]RegisterRow, []*Draw, error) {
	bs, err := listBookings(ctx, s.db, `facility_code = $1`, `slot_start DESC, id DESC`, 100, code)
	if err != nil {
		return nil, nil, err
	}
	out := make([]RegisterRow, 0, len(bs))
	for _, b := range bs {
		out = append(out, RegisterRow{Start: b.Start, Method: b.Method, Token: b.Token, State: b.State})
	}
	ds, err := s.Draws(ctx, code, 30)
	return out, ds, err
}

// DeskOrgs are the organisations whose facilities a manages.
func DeskOrgs(a authz.Actor) []string {
	var out []string
	for _, g := range a.Grants {
		if g.Role == authz.FacilityManager && !slices.Contains(out, g.Org) {
			out = append(out, g.Org)
		}
	}
	return out
}

// Desk is a facility manager's back office of one organisation: its
// facilities, the bookings waiting for approval, and the coming days'
// bookings.
type Desk struct {
	Org        string
	Facilities []*Facility
	Pending    []*Booking
	Coming     []*Booking
}

// Desk reads the back office of org for one of its facility managers.
func (s *Service) Desk(ctx context.Context, a authz.Actor, org string) (*Desk, error) {
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	d := &Desk{Org: org}
	fs, err := facilities(ctx, s.db, "")
	if err != nil {
		return nil, err
	}
	var codes []any
	for _, f := range fs {
		if f.Organisation == org {
			d.Facilities = append(d.Facilities, f)
			codes = append(codes, f.Code)
		}
	}
	if len(codes) == 0 {
		return d, nil
	}
	in := "facility_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)"
	if d.Pending, err = listBookings(ctx, s.db, in+` AND state = 'pending'`, `slot_start, id`, 200, org); err != nil {
		return nil, err
	}
	now := s.clock()
	d.Coming, err = listBookings(ctx, s.db, in+` AND `+activeSQL+` AND slot_end > $2 AND slot_start < $3`, `slot_start, facility_code`, 300,
		org, now, now.Add(7*24*time.Hour))
	return d, err
}
