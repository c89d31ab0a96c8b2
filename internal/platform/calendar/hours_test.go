package calendar

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// starts lists the slots' local start times, "2006-01-02 15:04".
func starts(slots []Slot) []string {
	var out []string
	for _, s := range slots {
		out = append(out, s.Start.In(Zone).Format("2006-01-02 15:04"))
	}
	return out
}

func TestClock(t *testing.T) {
	for _, s := range []string{"00:00", "08:30", "23:59", "24:00"} {
		c, err := ParseClock(s)
		if err != nil || c.String() != s {
			t.Errorf("ParseClock(%q) = %v, %v", s, c, err)
		}
	}
	for _, s := range []string{"8:30", "24:01", "12:60", "ab:cd", "12-30", ""} {
		if _, err := ParseClock(s); err == nil {
			t.Errorf("ParseClock(%q) accepted", s)
		}
	}
}

func TestSlotsAdministrationDay(t *testing.T) {
	c := Default()
	hours := OpeningHours{Week: AdministrationWeek()}
	tests := []struct {
		day  string
		want int
	}{
		{"2026-11-23", 12}, // Monday: 08:30–12:30 (8) and 14:30–16:30 (4)
		{"2026-11-27", 9},  // Friday: 08:30–11:30 (6) and 15:00–16:30 (3)
		{"2026-11-28", 0},  // Saturday
		{"2026-11-18", 0},  // Independence Day, a Wednesday
	}
	for _, tt := range tests {
		d := mustDate(t, tt.day)
		slots := c.Slots(d.Start(), d.AddDays(1).Start(), hours, 30*time.Minute, 2, d.Start())
		if len(slots) != tt.want {
			t.Errorf("%s: %d slots, want %d: %v", tt.day, len(slots), tt.want, starts(slots))
		}
		for _, s := range slots {
			if s.End.Sub(s.Start) != 30*time.Minute || s.Capacity != 2 {
				t.Errorf("%s: slot %v", tt.day, s)
			}
		}
	}
	mon := mustDate(t, "2026-11-23")
	got := starts(c.Slots(mon.Start(), mon.AddDays(1).Start(), hours, time.Hour, 1, mon.Start()))
	want := []string{"2026-11-23 08:30", "2026-11-23 09:30", "2026-11-23 10:30", "2026-11-23 11:30", "2026-11-23 14:30", "2026-11-23 15:30"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hourly slots (-want +got):\n%s", diff)
	}
}

func TestSlotsNeverInThePast(t *testing.T) {
	c := Default()
	hours := OpeningHours{Week: AdministrationWeek()}
	mon := mustDate(t, "2026-11-23")
	now := local(t, "2026-11-23 10:05")
	got := starts(c.Slots(mon.Start(), mon.AddDays(1).Start(), hours, time.Hour, 1, now))
	want := []string{"2026-11-23 10:30", "2026-11-23 11:30", "2026-11-23 14:30", "2026-11-23 15:30"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A slot starting exactly now is still bookable; the window's end is
	// respected.
	now = local(t, "2026-11-23 14:30")
	got = starts(c.Slots(mon.Start(), local(t, "2026-11-23 15:30"), hours, time.Hour, 1, now))
	if diff := cmp.Diff([]string{"2026-11-23 14:30"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := c.Slots(mon.Start(), mon.AddDays(1).Start(), hours, time.Hour, 1, mon.AddDays(2).Start()); s != nil {
		t.Errorf("slots after now ran out: %v", starts(s))
	}
}

func TestSlotsWorkingDaysOnly(t *testing.T) {
	c := Default()
	hours := OpeningHours{Week: Week{}}
	for wd := range hours.Week {
		hours.Week[wd] = []Span{{At(9, 0), At(10, 0)}}
	}
	// Thursday 2026-07-30 (Throne Day) to Monday 2026-08-03.
	from, to := local(t, "2026-07-30 00:00"), local(t, "2026-08-04 00:00")
	got := starts(c.Slots(from, to, hours, time.Hour, 1, from))
	if diff := cmp.Diff([]string{"2026-07-31 09:00", "2026-08-03 09:00"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A sports ground keeps its hours on days off.
	hours.OpenOnDaysOff = true
	if got := c.Slots(from, to, hours, time.Hour, 1, from); len(got) != 5 {
		t.Errorf("%d slots on days off, want 5: %v", len(got), starts(got))
	}
}

// A slot at 09:00 local stays at 09:00 local on both sides of the switch to
// UTC+0 for Ramadan (Sunday 23 February 2025) and back to UTC+1 (Sunday 6
// April 2025); its UTC instant moves by the hour the clocks moved.
func TestSlotsAcrossRamadanOffsetChange(t *testing.T) {
	c := Default()
	week := Week{}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		week[wd] = []Span{{At(9, 0), At(10, 0)}}
	}
	hours := OpeningHours{Week: week}
	from, to := local(t, "2025-02-21 00:00"), local(t, "2025-04-08 00:00")
	var before, during, after *Slot
	for _, s := range c.Slots(from, to, hours, time.Hour, 1, from) {
		if lt := s.Start.In(Zone); lt.Hour() != 9 || lt.Minute() != 0 {
			t.Fatalf("slot at %s local", lt)
		}
		switch DateOf(s.Start) {
		case mustDate(t, "2025-02-21"):
			before = &s
		case mustDate(t, "2025-02-24"):
			during = &s
		case mustDate(t, "2025-04-07"):
			after = &s
		}
	}
	if before == nil || during == nil || after == nil {
		t.Fatal("missing slots around the switches")
	}
	if !before.Start.Equal(mustTime(t, "2025-02-21T08:00:00Z")) || !during.Start.Equal(mustTime(t, "2025-02-24T09:00:00Z")) || !after.Start.Equal(mustTime(t, "2025-04-07T08:00:00Z")) {
		t.Errorf("UTC instants %s %s %s", before.Start.UTC(), during.Start.UTC(), after.Start.UTC())
	}
	// Same wall clock three days apart: 72 hours plus the hour given back.
	if d := during.Start.Sub(before.Start); d != 73*time.Hour {
		t.Errorf("Friday 09:00 to Monday 09:00 across the switch = %s, want 73h", d)
	}
	if d := after.Start.Sub(during.Start); d != 42*24*time.Hour-time.Hour {
		t.Errorf("across the switch back = %s", d)
	}
}

// On the nights the clocks change, the wall-clock hour 02:00–03:00 is
// doubled (23 February 2025, 03:00 → 02:00) or skipped (6 April 2025,
// 02:00 → 03:00). Slots the change cuts or doubles are left out, every slot
// lasts exactly its length, and the doubled hour is not offered twice.
func TestSlotsOnClockChangeNights(t *testing.T) {
	c := Default()
	var week Week
	for wd := range week {
		week[wd] = []Span{{At(1, 0), At(4, 0)}}
	}
	hours := OpeningHours{Week: week, OpenOnDaysOff: true}
	tests := []struct {
		day  string
		want []string
		utc  []string
	}{
		// 01:00+01 to 02:00+01 is a real hour; 02:00–03:00 would begin in
		// the first 02:00 and end in the second: left out.
		{"2025-02-23", []string{"01:00", "03:00"}, []string{"00:00", "03:00"}},
		// 01:00–02:00 ends at a time the clock never shows; 02:00 never is.
		{"2025-04-06", []string{"03:00"}, []string{"02:00"}},
		{"2025-04-13", []string{"01:00", "02:00", "03:00"}, []string{"00:00", "01:00", "02:00"}},
	}
	for _, tt := range tests {
		d := mustDate(t, tt.day)
		var got, utc []string
		for _, s := range c.Slots(d.Start(), d.AddDays(1).Start(), hours, time.Hour, 1, d.Start()) {
			if s.End.Sub(s.Start) != time.Hour {
				t.Errorf("%s: slot %s lasts %s", tt.day, s.Start.In(Zone), s.End.Sub(s.Start))
			}
			got = append(got, s.Start.In(Zone).Format("15:04"))
			utc = append(utc, s.Start.UTC().Format("15:04"))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s local starts (-want +got):\n%s", tt.day, diff)
		}
		if diff := cmp.Diff(tt.utc, utc); diff != "" {
			t.Errorf("%s UTC starts (-want +got):\n%s", tt.day, diff)
		}
	}
}

// A span may run to midnight; the last slot ends at 24:00, the next day's
// 00:00.
func TestSlotsToMidnight(t *testing.T) {
	c := Default()
	hours := OpeningHours{Week: Week{time.Monday: {{At(22, 0), At(24, 0)}}}}
	d := mustDate(t, "2026-11-23")
	slots := c.Slots(d.Start(), d.AddDays(2).Start(), hours, time.Hour, 1, d.Start())
	if len(slots) != 2 || !slots[1].End.Equal(d.AddDays(1).Start()) {
		t.Errorf("slots %v", slots)
	}
}

func TestAdministrationHoursInRamadan(t *testing.T) {
	c := Default()
	hours := c.AdministrationHours()
	if err := hours.Validate(); err != nil {
		t.Fatal(err)
	}
	mon := mustDate(t, "2026-02-23") // Ramadan 1447
	got := starts(c.Slots(mon.Start(), mon.AddDays(1).Start(), hours, 2*time.Hour, 1, mon.Start()))
	if diff := cmp.Diff([]string{"2026-02-23 09:00", "2026-02-23 11:00", "2026-02-23 13:00"}, got); diff != "" {
		t.Errorf("Ramadan slots (-want +got):\n%s", diff)
	}
	if !c.IsOpen(local(t, "2026-02-23 14:59"), hours) || c.IsOpen(local(t, "2026-02-23 15:00"), hours) {
		t.Error("IsOpen wrong in Ramadan")
	}
	if !c.IsOpen(local(t, "2026-03-23 16:29"), hours) || c.IsOpen(local(t, "2026-03-23 13:00"), hours) {
		t.Error("IsOpen wrong after Ramadan")
	}
	if c.IsOpen(local(t, "2026-03-20 10:00"), hours) {
		t.Error("open on Eid al-Fitr")
	}
}

func TestPeriodsLastWins(t *testing.T) {
	c := Default()
	hours := c.AdministrationHours()
	// A closure for works during Ramadan, then a special opening.
	hours.Periods = append(hours.Periods,
		Period{Name: "works", Dates: DateRange{mustDate(t, "2026-02-23"), mustDate(t, "2026-02-27")}},
		Period{Name: "open day", Dates: DateRange{mustDate(t, "2026-02-25"), mustDate(t, "2026-02-25")},
			Week: Week{time.Wednesday: {{At(10, 0), At(11, 0)}}}},
	)
	from := mustDate(t, "2026-02-23")
	got := starts(c.Slots(from.Start(), from.AddDays(5).Start(), hours, time.Hour, 1, from.Start()))
	if diff := cmp.Diff([]string{"2026-02-25 10:00"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSlotsDegenerate(t *testing.T) {
	c := Default()
	hours := OpeningHours{Week: AdministrationWeek()}
	d := mustDate(t, "2026-11-23")
	for _, tt := range []struct {
		length time.Duration
		cap    int
	}{{0, 1}, {-time.Hour, 1}, {time.Hour, 0}, {5 * time.Hour, 1}} {
		if s := c.Slots(d.Start(), d.AddDays(1).Start(), hours, tt.length, tt.cap, d.Start()); len(s) != 0 {
			t.Errorf("length %s capacity %d: %d slots", tt.length, tt.cap, len(s))
		}
	}
	if s := c.Slots(d.AddDays(1).Start(), d.Start(), hours, time.Hour, 1, d.Start()); s != nil {
		t.Error("slots in an inverted window")
	}
}

func TestOpeningHoursValidate(t *testing.T) {
	bad := OpeningHours{
		Week: Week{
			time.Monday:  {{At(9, 0), At(12, 0)}, {At(11, 0), At(13, 0)}},
			time.Tuesday: {{At(12, 0), At(9, 0)}},
			time.Friday:  {{At(22, 0), At(25, 0)}},
		},
		Periods: []Period{{Name: "x", Dates: DateRange{MakeDate(2026, 3, 2), MakeDate(2026, 3, 1)}}},
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad hours")
	}
	for _, w := range []string{"Monday: span 11:00–13:00 overlaps", "Tuesday: span 12:00–09:00", "Friday: span 22:00–25:00", `period "x": dates`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

func TestOpeningHoursJSON(t *testing.T) {
	h := Default().AdministrationHours()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `{"from":"08:30","to":"12:30"}`) {
		t.Errorf("JSON %s", b[:200])
	}
	var back OpeningHours
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// Date.WallSlot reads its start on the wall clock of that very day, 2027's
// change nights included (7 February 03:00 → 02:00, 14 March 02:00 → 03:00):
// 08:00 is 08:00 local whatever the offset, the skipped hour has no slot
// and the doubled hour's slot is its first occurrence.
func TestDateWallSlot(t *testing.T) {
	tests := []struct {
		day, from string
		ok        bool
		utc       string
	}{
		{"2027-02-06", "08:00", true, "2027-02-06T07:00:00Z"},
		{"2027-02-07", "08:00", true, "2027-02-07T08:00:00Z"},
		{"2027-02-07", "01:00", true, "2027-02-07T00:00:00Z"},
		{"2027-02-07", "02:00", false, ""}, // would end in the second 02:00–03:00
		{"2027-03-13", "08:00", true, "2027-03-13T08:00:00Z"},
		{"2027-03-14", "08:00", true, "2027-03-14T07:00:00Z"},
		{"2027-03-14", "02:00", false, ""}, // never shown on the clock
		{"2027-03-14", "01:00", false, ""}, // would end at 02:00, never shown
	}
	for _, tt := range tests {
		c, err := ParseClock(tt.from)
		if err != nil {
			t.Fatal(err)
		}
		s, e, ok := mustDate(t, tt.day).WallSlot(c, time.Hour)
		if ok != tt.ok {
			t.Errorf("%s %s: ok %v, want %v", tt.day, tt.from, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if !s.Equal(mustTime(t, tt.utc)) || e.Sub(s) != time.Hour {
			t.Errorf("%s %s: %s–%s, want start %s lasting 1h", tt.day, tt.from, s.UTC(), e.UTC(), tt.utc)
		}
		if got := s.In(Zone).Format("15:04"); got != tt.from {
			t.Errorf("%s %s: shows %s on the wall clock", tt.day, tt.from, got)
		}
	}
	if _, _, ok := mustDate(t, "2027-02-06").WallSlot(At(8, 0), 0); ok {
		t.Error("a slot of no length")
	}
}
