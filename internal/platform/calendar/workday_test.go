package calendar

import (
	"testing"
	"time"
)

func TestAddWorkingDays(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		from string // Casablanca wall clock
		n    int
		want string // the deadline's date; the time is always 23:59:59.999
	}{
		{"end-of-day convention: Friday evening + 1 is Monday", "2026-11-20 19:00", 1, "2026-11-23"},
		{"received on a Saturday", "2026-11-21 10:00", 1, "2026-11-23"},
		{"received early Monday", "2026-11-23 00:05", 1, "2026-11-24"},
		{"zero keeps the day, even a Sunday", "2026-11-22 09:00", 0, "2026-11-22"},
		{"a working week", "2026-11-23 09:00", 5, "2026-11-30"},
		{"Throne Day skipped", "2026-07-29 09:00", 1, "2026-07-31"},
		{"Oued Ed-Dahab and a weekend skipped", "2026-08-13 09:00", 1, "2026-08-17"},
		{"Revolution and Youth Day and a weekend skipped", "2026-08-19 09:00", 1, "2026-08-24"},
		{"chain 30 Jul – 14 Aug – 20/21 Aug, 15 working days", "2026-07-28 11:00", 15, "2026-08-24"},
		{"Eid al-Fitr 1446 (Mon–Tue) after a weekend", "2025-03-28 16:00", 1, "2025-04-02"},
		{"Eid al-Adha 1446 on a weekend costs nothing", "2025-06-05 09:00", 1, "2025-06-06"},
		{"Eid al-Mawlid 1447 (Fri) skipped", "2025-09-04 09:00", 1, "2025-09-08"},
		{"New Year skipped", "2025-12-31 09:00", 1, "2026-01-02"},
		{"January: 1, 11 (Sun) and 14 Jan", "2026-01-12 09:00", 3, "2026-01-16"},
		{"backwards over Eid al-Fitr", "2025-04-02 10:00", -1, "2025-03-28"},
		{"backwards from Monday", "2025-04-07 10:00", -1, "2025-04-04"},
		{"the year after the covered ones: fixed holidays count", "2032-11-17 09:00", 1, "2032-11-19"},
		{"far beyond the covered years: fixed holidays count", "2036-11-17 09:00", 1, "2036-11-19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkingDays(local(t, tt.from), tt.n)
			if want := mustDate(t, tt.want).End(); !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got.In(Zone), want)
			}
			if lt := got.In(Zone); lt.Hour() != 23 || lt.Minute() != 59 || lt.Second() != 59 || lt.Nanosecond() != 999_000_000 {
				t.Errorf("deadline %s is not 23:59:59.999 local", lt)
			}
			if tt.n > 0 && !c.IsWorkingDay(DateOf(got)) {
				t.Errorf("deadline %s is not a working day", DateOf(got))
			}
		})
	}
}

// The deadline's end of day follows the offset in force that day: UTC+0 in
// Ramadan, UTC+1 otherwise.
func TestDeadlineAcrossRamadanOffset(t *testing.T) {
	c := Default()
	from := local(t, "2025-02-20 10:00") // Thursday, UTC+1
	in := c.AddWorkingDays(from, 2)      // Monday 24 Feb, UTC+0 since the 23rd
	if _, off := in.Zone(); off != 0 || !in.Equal(mustTime(t, "2025-02-24T23:59:59.999Z")) {
		t.Errorf("in Ramadan: %s", in)
	}
	out := c.AddWorkingDays(local(t, "2025-04-04 10:00"), 1) // Monday 7 April, UTC+1 again
	if !out.Equal(mustTime(t, "2025-04-07T22:59:59.999Z")) {
		t.Errorf("after Ramadan: %s", out)
	}
}

func TestWorkingDaysBetweenInvertsAddWorkingDays(t *testing.T) {
	c := Default()
	start := local(t, "2024-12-20 08:00")
	for day := 0; day < 7*366+30; day += 3 {
		for _, hour := range []int{0, 13, 23} {
			from := start.AddDate(0, 0, day).Add(time.Duration(hour-8) * time.Hour)
			for n := 0; n <= 40; n += 7 {
				to := c.AddWorkingDays(from, n)
				if got := c.WorkingDaysBetween(from, to); got != n {
					t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(.., %d) = %s) = %d", from, n, to, got)
				}
				if got := c.WorkingDaysBetween(to, from); got != -n {
					t.Fatalf("WorkingDaysBetween is not antisymmetric at %s, %d: %d", from, n, got)
				}
				// Backwards from a working day, the count is exact too.
				if c.IsWorkingDay(DateOf(from)) {
					back := c.AddWorkingDays(from, -n)
					if got := c.WorkingDaysBetween(back, from); got != n {
						t.Fatalf("WorkingDaysBetween(AddWorkingDays(%s, -%d), ..) = %d", from, n, got)
					}
				}
			}
		}
	}
}

// AddWorkingDays agrees with the obvious loop over time.Time and a map of
// holidays (the benchmark's floor).
func TestAddWorkingDaysMatchesNaiveLoop(t *testing.T) {
	c := Default()
	holidays := holidayMap(c)
	for day := 0; day < 2500; day += 5 {
		from := local(t, "2025-01-01 10:00").AddDate(0, 0, day)
		for _, n := range []int{1, 3, 15, 30} {
			if got, want := c.AddWorkingDays(from, n), naiveAddWorkingDays(holidays, from, n); !got.Equal(want) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, naive loop %s", from, n, got, want)
			}
		}
	}
}

func holidayMap(c *Calendar) map[Date]bool {
	m := map[Date]bool{}
	for _, h := range c.HolidaysIn(DateRange{MakeDate(2024, 1, 1), MakeDate(2032, 12, 31)}) {
		m[h.Date] = true
	}
	return m
}

func naiveAddWorkingDays(holidays map[Date]bool, from time.Time, n int) time.Time {
	y, m, d := from.In(Zone).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if holidays[Date{day.Year(), day.Month(), day.Day()}] {
			continue
		}
		n--
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 999e6, Zone)
}

func TestCalendarDays(t *testing.T) {
	c := Default()
	// 30 calendar days may end on a holiday: it is not moved...
	got := c.AddCalendarDays(local(t, "2025-03-01 15:00"), 30)
	if !got.Equal(mustDate(t, "2025-03-31").End()) {
		t.Errorf("AddCalendarDays = %s", got.In(Zone))
	}
	// ...unless the text says so.
	if d := c.NextWorkingDay(DateOf(got)); d != mustDate(t, "2025-04-02") {
		t.Errorf("NextWorkingDay = %s", d)
	}
	if d := c.NextWorkingDay(mustDate(t, "2025-04-02")); d != mustDate(t, "2025-04-02") {
		t.Errorf("NextWorkingDay of a working day = %s", d)
	}
	if d := c.AddWorkingDaysTo(mustDate(t, "2025-03-28"), 1); d != mustDate(t, "2025-04-02") {
		t.Errorf("AddWorkingDaysTo = %s", d)
	}
}

func TestExtend(t *testing.T) {
	c := Default()
	// A clock of 15 working days started on Monday 2 November 2026: due
	// Wednesday 25 November (6 and 18 November are holidays).
	deadline := c.AddWorkingDays(local(t, "2026-11-02 09:00"), 15)
	if DateOf(deadline) != mustDate(t, "2026-11-25") {
		t.Fatalf("deadline %s", DateOf(deadline))
	}
	p := func(from, to string) Interval { return Interval{local(t, from), local(t, to)} }
	tests := []struct {
		name   string
		pauses []Interval
		want   string
	}{
		{"no pause", nil, "2026-11-25"},
		{"Tuesday 10:00 to Thursday 15:00 gives back Wed and Thu", []Interval{p("2026-11-10 10:00", "2026-11-12 15:00")}, "2026-11-27"},
		{"same-day pause gives nothing", []Interval{p("2026-11-10 10:00", "2026-11-10 16:00")}, "2026-11-25"},
		{"pause over a holiday and a weekend counts working days only", []Interval{p("2026-11-05 10:00", "2026-11-09 10:00")}, "2026-11-26"},
		{"overlapping pauses count each day once", []Interval{
			p("2026-11-10 10:00", "2026-11-12 15:00"), // Wed, Thu
			p("2026-11-11 09:00", "2026-11-13 09:00"), // Thu, Fri
		}, "2026-11-30"},
		{"identical pauses count once", []Interval{
			p("2026-11-10 10:00", "2026-11-12 15:00"),
			p("2026-11-10 10:00", "2026-11-12 15:00"),
		}, "2026-11-27"},
		{"touching pauses", []Interval{
			p("2026-11-09 10:00", "2026-11-10 12:00"), // Tue
			p("2026-11-10 14:00", "2026-11-12 09:00"), // Wed, Thu
		}, "2026-11-30"},
		{"order does not matter", []Interval{
			p("2026-11-19 10:00", "2026-11-20 10:00"), // Fri
			p("2026-11-10 10:00", "2026-11-12 15:00"), // Wed, Thu
		}, "2026-11-30"},
		{"pause on the deadline day", []Interval{p("2026-11-25 16:00", "2026-11-27 10:00")}, "2026-11-27"},
		{"pause after the deadline is ignored", []Interval{p("2026-11-26 09:00", "2026-11-30 09:00")}, "2026-11-25"},
		{"pause after the original deadline but before the extended one counts", []Interval{
			p("2026-11-10 10:00", "2026-11-12 15:00"), // to Fri 27
			p("2026-11-26 09:00", "2026-11-30 09:00"), // Fri 27, Mon 30: to Tue 1 Dec
		}, "2026-12-01"},
		{"inverted pause is ignored", []Interval{p("2026-11-12 10:00", "2026-11-10 10:00")}, "2026-11-25"},
		// 12 of 15 days ran (3–20 Nov); the last 3 follow the restart.
		{"pause straddling the deadline", []Interval{p("2026-11-20 10:00", "2026-12-02 10:00")}, "2026-12-07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Extend(deadline, tt.pauses)
			if want := mustDate(t, tt.want).End(); !got.Equal(want) {
				t.Errorf("Extend = %s, want %s", got.In(Zone).Format(time.DateOnly), tt.want)
			}
		})
	}
	// With nothing to give back, the deadline is returned as given, even
	// when it is not an end of day.
	noon := local(t, "2026-11-24 12:00")
	if got := c.Extend(noon, []Interval{p("2026-11-30 10:00", "2026-12-02 10:00")}); !got.Equal(noon) {
		t.Errorf("Extend moved an unaffected deadline to %s", got)
	}
}
