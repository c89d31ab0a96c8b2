package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Clock is a wall-clock time of day in Casablanca, in minutes after
// midnight; 24:00 (1440) closes a day.
type Clock int

// At returns the clock time hour:min.
func At(hour, min int) Clock { return Clock(hour*60 + min) }

// ParseClock reads "08:30" (or "24:00").
func ParseClock(s string) (Clock, error) {
	digit := func(i int) (int, bool) { return int(s[i] - '0'), s[i] >= '0' && s[i] <= '9' }
	if len(s) == 5 && s[2] == ':' {
		h1, ok1 := digit(0)
		h2, ok2 := digit(1)
		m1, ok3 := digit(3)
		m2, ok4 := digit(4)
		h, m := h1*10+h2, m1*10+m2
		if ok1 && ok2 && ok3 && ok4 && m < 60 && (h < 24 || h == 24 && m == 0) {
			return At(h, m), nil
		}
	}
	return 0, fmt.Errorf("calendar: clock %q: want HH:MM from 00:00 to 24:00", s)
}

// String writes "08:30".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// MarshalText writes "08:30".
func (c Clock) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads "08:30".
func (c *Clock) UnmarshalText(b []byte) error {
	p, err := ParseClock(string(b))
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// wall returns c as a wall-clock offset from midnight.
func (c Clock) wall() time.Duration { return time.Duration(c) * time.Minute }

// Span is an opening from one clock time to another, From included, To
// excluded.
type Span struct {
	From Clock `json:"from"`
	To   Clock `json:"to"`
}

// Week holds opening spans for each day, indexed by time.Weekday (Sunday
// first); a day with no span is closed.
type Week [7][]Span

// Period is a dated exception to the usual week: Ramadan hours, summer
// hours, or a closure (a Week with no spans).
type Period struct {
	Name  string    `json:"name"`
	Dates DateRange `json:"dates"`
	Week  Week      `json:"week"`
}

// OpeningHours says when a service or facility opens.
type OpeningHours struct {
	Week Week `json:"week"`
	// Periods override Week on their dates; where periods overlap, the
	// last listed wins (a one-day closure listed after Ramadan hours).
	Periods []Period `json:"periods,omitempty"`
	// OpenOnDaysOff keeps the hours on weekends and public holidays (a
	// sports ground); otherwise only working days open.
	OpenOnDaysOff bool `json:"open_on_days_off,omitempty"`
}

// Moroccan administration hours: Monday to Thursday 08:30–12:30 and
// 14:30–16:30, Friday 08:30–11:30 and 15:00–16:30 (the long Friday break
// is for the midday prayer); Ramadan 09:00–15:00, Monday to Friday.
var (
	administrationWeek = Week{
		time.Monday:    {{At(8, 30), At(12, 30)}, {At(14, 30), At(16, 30)}},
		time.Tuesday:   {{At(8, 30), At(12, 30)}, {At(14, 30), At(16, 30)}},
		time.Wednesday: {{At(8, 30), At(12, 30)}, {At(14, 30), At(16, 30)}},
		time.Thursday:  {{At(8, 30), At(12, 30)}, {At(14, 30), At(16, 30)}},
		time.Friday:    {{At(8, 30), At(11, 30)}, {At(15, 0), At(16, 30)}},
	}
	ramadanWeek = Week{
		time.Monday:    {{At(9, 0), At(15, 0)}},
		time.Tuesday:   {{At(9, 0), At(15, 0)}},
		time.Wednesday: {{At(9, 0), At(15, 0)}},
		time.Thursday:  {{At(9, 0), At(15, 0)}},
		time.Friday:    {{At(9, 0), At(15, 0)}},
	}
)

// AdministrationWeek returns the usual week of a Moroccan administration.
func AdministrationWeek() Week { return administrationWeek.clone() }

// RamadanWeek returns the Ramadan week of a Moroccan administration.
func RamadanWeek() Week { return ramadanWeek.clone() }

// AdministrationHours returns the hours of a city window: the usual week,
// with Ramadan hours during each Ramadan the calendar knows of.
func (c *Calendar) AdministrationHours() OpeningHours {
	return c.WithRamadan(OpeningHours{Week: AdministrationWeek()}, RamadanWeek())
}

// WithRamadan returns h with week as its hours during each Ramadan the
// calendar knows of. The Ramadan periods come first, so closures already
// in h still win.
func (c *Calendar) WithRamadan(h OpeningHours, week Week) OpeningHours {
	ps := make([]Period, 0, len(c.ramadan)+len(h.Periods))
	for _, r := range c.ramadan {
		r.Week = week.clone()
		ps = append(ps, r)
	}
	h.Periods = append(ps, h.Periods...)
	return h
}

func (w Week) clone() Week {
	var c Week
	for i := range w {
		c[i] = slices.Clone(w[i])
	}
	return c
}

// On returns the spans of day d, from the last period containing d or the
// usual week; it does not look at weekends or holidays (see Slots).
func (h OpeningHours) On(d Date) []Span {
	for i := len(h.Periods) - 1; i >= 0; i-- {
		if h.Periods[i].Dates.Contains(d) {
			return h.Periods[i].Week[d.Weekday()]
		}
	}
	return h.Week[d.Weekday()]
}

// Validate reports every malformed span or period.
func (h OpeningHours) Validate() error {
	var probs []error
	check := func(where string, w Week) {
		for wd, spans := range w {
			prev := Clock(-1)
			for _, s := range spans {
				switch {
				case s.From < 0 || s.To > At(24, 0) || s.From >= s.To:
					probs = append(probs, fmt.Errorf("%s, %s: span %s–%s: want From before To, within the day", where, time.Weekday(wd), s.From, s.To))
				case s.From < prev:
					probs = append(probs, fmt.Errorf("%s, %s: span %s–%s overlaps or precedes the one before", where, time.Weekday(wd), s.From, s.To))
				}
				prev = s.To
			}
		}
	}
	check("week", h.Week)
	for _, p := range h.Periods {
		where := fmt.Sprintf("period %q", p.Name)
		if !p.Dates.From.Valid() || !p.Dates.To.Valid() || p.Dates.To.Before(p.Dates.From) {
			probs = append(probs, fmt.Errorf("%s: dates %s to %s: want two dates in order", where, p.Dates.From, p.Dates.To))
		}
		check(where, p.Week)
	}
	if len(probs) > 0 {
		return fmt.Errorf("calendar: opening hours: %w", errors.Join(probs...))
	}
	return nil
}

// Slot is a bookable time: Capacity people (or bookings) from Start to End.
type Slot struct {
	Start    time.Time
	End      time.Time
	Capacity int
}

// Slots returns the bookable slots of the given length, each with the given
// capacity, lying within [from, to) and starting no earlier than now, in
// order. Slots run back to back from the start of each opening span; a
// remainder shorter than length is left unused. Only working days open
// unless hours.OpenOnDaysOff.
//
// Times are wall-clock times in Casablanca on each day: a 09:00 slot is at
// 09:00 local on both sides of the Ramadan offset change, so its UTC instant
// moves by the hour the clocks moved. On the nights the clocks change, a
// slot the change cuts or doubles (around 02:00–03:00) is left out, so
// every slot lasts exactly length and no wall-clock hour is sold twice. The window is the caller's to bound: the work is proportional to the
// days between from and to. A non-positive length or capacity gives no
// slots; hours are assumed valid (see Validate).
func (c *Calendar) Slots(from, to time.Time, hours OpeningHours, length time.Duration, capacity int, now time.Time) []Slot {
	if length <= 0 || capacity < 1 || !to.After(from) {
		return nil
	}
	start := from
	if now.After(start) {
		start = now
	}
	var slots []Slot
	for n, last := DateOf(start).days(), DateOf(to).days(); n <= last; n++ {
		if !hours.OpenOnDaysOff && !c.working(n) {
			continue
		}
		d := dateOfDays(n)
		for _, sp := range hours.On(d) {
			for w := sp.From.wall(); w+length <= sp.To.wall(); w += length {
				s, e, ok := wallSlot(d, w, length)
				if !ok || s.Before(start) || e.After(to) {
					continue
				}
				slots = append(slots, Slot{Start: s, End: e, Capacity: capacity})
			}
		}
	}
	return slots
}

// IsOpen reports whether t falls within the opening hours.
func (c *Calendar) IsOpen(t time.Time, hours OpeningHours) bool {
	d := DateOf(t)
	if !hours.OpenOnDaysOff && !c.IsWorkingDay(d) {
		return false
	}
	lt := t.In(Zone)
	now := Clock(lt.Hour()*60 + lt.Minute())
	for _, sp := range hours.On(d) {
		if sp.From <= now && now < sp.To {
			return true
		}
	}
	return false
}

// WallSlot is the slot of d starting at wall-clock time from and lasting
// length, as Slots offers it: from is read on Casablanca's clock that day,
// never as time elapsed since midnight, and ok is false when the clock
// change of that night cuts or doubles the slot (see wallSlot). Callers
// with their own notion of hours (Casa In's facilities) build slots with
// it, so that every module agrees on which slot a change night has.
func (d Date) WallSlot(from Clock, length time.Duration) (start, end time.Time, ok bool) {
	if length <= 0 {
		return time.Time{}, time.Time{}, false
	}
	return wallSlot(d, from.wall(), length)
}

// wallSlot returns the slot starting at wall-clock offset w after midnight
// on d and lasting length, and false when a clock change means the wall
// clock does not show its start, or does not show its end length later:
// the start falls in the hour skipped, or the end in the hour skipped or
// doubled. A start in the doubled hour is taken at its first occurrence,
// so the repeated hour is never offered twice.
func wallSlot(d Date, w, length time.Duration) (start, end time.Time, ok bool) {
	// time.Date normalises the overflowing seconds on the wall clock before
	// applying the zone: this is wall-clock arithmetic.
	s := time.Date(d.Year, d.Month, d.Day, 0, 0, int(w/time.Second), int(w%time.Second), Zone)
	if wallOf(s, d) != w {
		return time.Time{}, time.Time{}, false // in the hour skipped
	}
	// If the clocks went back shortly before s, the same wall time came
	// once before, one offset change earlier.
	_, now := s.Zone()
	if _, before := s.Add(-2 * time.Hour).Zone(); before > now {
		if e := s.Add(-time.Duration(before-now) * time.Second); wallOf(e, d) == w {
			s = e
		}
	}
	e := s.Add(length)
	if wallOf(e, d) != w+length {
		return time.Time{}, time.Time{}, false
	}
	return s, e, true
}

// wallOf returns the wall-clock time of t in Casablanca as an offset from
// midnight on d (beyond 24h on the following days).
func wallOf(t time.Time, d Date) time.Duration {
	lt := t.In(Zone)
	day := Date{lt.Year(), lt.Month(), lt.Day()}
	return time.Duration(day.Sub(d))*24*time.Hour +
		time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
}
