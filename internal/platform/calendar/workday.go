package calendar

import (
	"slices"
	"time"
)

// Deadlines. The conventions, shared by every legal clock in Madina:
//
//   - The day of the event that starts a clock (receipt of a file, a
//     notice) never counts, whatever the hour: counting starts the next day.
//   - A deadline of n working days ends at the end of the n-th working day
//     after that day, 23:59:59.999 Casablanca. A file received on a Friday
//     evening with 1 working day is due Monday end of day (Tuesday, if that
//     Monday is a holiday); received on a Saturday, also Monday.
//   - A deadline of n calendar days ends at the end of the n-th day after,
//     even on a weekend or holiday (AddCalendarDays). Where a text moves
//     such a deadline to the next working day, apply NextWorkingDay.
//   - Working days are Monday to Friday, except public holidays.

// AddWorkingDays returns the deadline n working days after the day of
// from: the end (23:59:59.999 Casablanca) of the n-th working day after
// that day. The hour of from does not matter: a file received on a Friday
// evening with 1 working day is due Monday end of day. n = 0 gives the end
// of from's own day; n < 0 the end of the |n|-th working day before it.
//
// For n ≥ 0, WorkingDaysBetween(from, AddWorkingDays(from, n)) == n.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	return dateOfDays(c.addWorking(DateOf(from).days(), n)).End()
}

// AddWorkingDaysTo is AddWorkingDays on dates.
func (c *Calendar) AddWorkingDaysTo(d Date, n int) Date {
	return dateOfDays(c.addWorking(d.days(), n))
}

func (c *Calendar) addWorking(day, n int) int {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		day += step
		if c.working(day) {
			n--
		}
	}
	return day
}

// WorkingDaysBetween counts the working days after a's day up to and
// including b's day; if b's day is before a's, it is minus the count from b
// to a. The times of day do not matter.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	return c.workingBetween(DateOf(a).days(), DateOf(b).days())
}

func (c *Calendar) workingBetween(a, b int) int {
	if b < a {
		return -c.workingBetween(b, a)
	}
	k := 0
	for n := a + 1; n <= b; n++ {
		if c.working(n) {
			k++
		}
	}
	return k
}

// AddCalendarDays returns the end (23:59:59.999 Casablanca) of the n-th
// day after from's day, for deadlines stated in calendar days.
func (c *Calendar) AddCalendarDays(from time.Time, n int) time.Time {
	return DateOf(from).AddDays(n).End()
}

// NextWorkingDay returns d if it is a working day, else the first working
// day after it.
func (c *Calendar) NextWorkingDay(d Date) Date {
	n := d.days()
	for !c.working(n) {
		n++
	}
	return dateOfDays(n)
}

// Interval is the time from Start to End.
type Interval struct {
	Start, End time.Time
}

// Extend returns deadline pushed back by the working days the pauses
// covered: the legal clock stops while a file waits on the applicant.
//
// A pause from Start to End covers the working days after Start's day up to
// and including End's day: the clock ran on the day it stopped, and the day
// it restarts does not count (as the day of receipt does not). A pause of a
// Tuesday 10:00 to the Thursday 15:00 gives back Wednesday and Thursday, two
// working days. Overlapping pauses count each day once. A pause that starts
// after the deadline (as extended by the earlier ones) is ignored: the clock
// had already run out. A pause still running is passed with End = now, for
// a provisional deadline; one with End before Start covers nothing.
//
// The result is the end of a day, like every deadline here; with no day to
// give back, deadline is returned unchanged.
func (c *Calendar) Extend(deadline time.Time, pauses []Interval) time.Time {
	type span struct {
		start      time.Time // earliest instant, to compare with the deadline
		from, upTo int       // days: after from, up to and including upTo
	}
	spans := make([]span, 0, len(pauses))
	for _, p := range pauses {
		if !p.End.After(p.Start) {
			continue
		}
		spans = append(spans, span{p.Start, DateOf(p.Start).days(), DateOf(p.End).days()})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	// Merge spans whose days overlap or touch: (1,3] and (3,5] are (1,5].
	merged := spans[:0]
	for _, s := range spans {
		if k := len(merged) - 1; k >= 0 && s.from <= merged[k].upTo {
			merged[k].upTo = max(merged[k].upTo, s.upTo)
			if s.start.Before(merged[k].start) {
				merged[k].start = s.start
			}
			continue
		}
		merged = append(merged, s)
	}
	end, day, moved := deadline, DateOf(deadline).days(), false
	for _, s := range merged {
		if s.start.After(end) {
			break
		}
		if k := c.workingBetween(s.from, s.upTo); k > 0 {
			day = c.addWorking(day, k)
			end, moved = dateOfDays(day).End(), true
		}
	}
	if !moved {
		return deadline
	}
	return end
}
