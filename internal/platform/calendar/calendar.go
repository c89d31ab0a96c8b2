// Package calendar is Madina's one calendar: civil days in Africa/Casablanca,
// Moroccan public holidays (fixed dates, and Hijri ones as yearly data),
// working-day arithmetic for legal deadlines, and opening hours with slot
// generation for appointments, committee sessions and facility bookings.
// It does no I/O beyond reading its embedded holiday file.
package calendar

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

//go:embed holidays.json
var defaultFile []byte

// Messages holds the package's messages/{ar,fr,en}.json for i18n.Load.
//
//go:embed messages/*.json
var Messages embed.FS

// DefaultFile returns the embedded holiday file, the starting point for a
// city's own copy.
func DefaultFile() []byte { return bytes.Clone(defaultFile) }

var defaultCal = sync.OnceValue(func() *Calendar {
	c, err := Parse(defaultFile)
	if err != nil {
		panic("calendar: embedded holidays.json: " + err.Error()) // caught by the tests
	}
	return c
})

// Default returns the calendar of the embedded holiday file.
func Default() *Calendar { return defaultCal() }

// Format is the value of the "format" field of a holiday file.
const Format = "madina/holidays/v1"

// Holiday statuses of Hijri-calendar dates.
const (
	// Estimated dates come from EstimateHijri; the Ministry of Habous
	// announces the real one a day or so before.
	Estimated = "estimate"
	// Announced dates were published by the Ministry of Habous.
	Announced = "announced"
)

// Names is a name in the three languages of Madina.
type Names = i18n.Text

// Holiday is one day of a public holiday.
type Holiday struct {
	ID    string // stable identifier, e.g. "eid-al-fitr"
	Names Names
	Date  Date // this day
	Day   int  // which day of the holiday, from 1
	Days  int  // how many days the holiday lasts
	// For Hijri-calendar holidays: this day in the Islamic calendar, and
	// whether the date is Estimated or Announced, with its source.
	Hijri  HijriDate
	Status string
	Source string
}

// Name returns the holiday's name in l; a page showing day 2 of an Eid
// has Day and Days for that.
func (h Holiday) Name(l i18n.Lang) string { return h.Names.Pick(l) }

// IsEstimate reports whether the date is an estimate, not yet announced.
func (h Holiday) IsEstimate() bool { return h.Status == Estimated }

// file is the holiday file; see Parse.
type file struct {
	Format string     `json:"format"`
	Note   string     `json:"note,omitempty"`
	Fixed  []fixedDef `json:"fixed"`
	Hijri  []hijriDef `json:"hijri"`
	Years  []yearData `json:"years"`
}

type fixedDef struct {
	ID    string     `json:"id"`
	Month time.Month `json:"month"`
	Day   int        `json:"day"`
	From  int        `json:"from"`
	Until int        `json:"until,omitempty"`
	Names Names      `json:"names"`
}

type hijriDef struct {
	ID    string `json:"id"`
	Month int    `json:"month"`
	Day   int    `json:"day"`
	Days  int    `json:"days"`
	Names Names  `json:"names"`
}

type yearData struct {
	Year     int            `json:"year"`
	Holidays []datedEntry   `json:"holidays"`
	Ramadan  []ramadanEntry `json:"ramadan"`
}

type datedEntry struct {
	ID        string `json:"id"`
	HijriYear int    `json:"hijri_year"`
	Date      Date   `json:"date"`
	Status    string `json:"status"`
	Source    string `json:"source"`
}

type ramadanEntry struct {
	HijriYear int    `json:"hijri_year"`
	From      Date   `json:"from"`
	To        Date   `json:"to"`
	Status    string `json:"status"`
	Source    string `json:"source"`
}

// Calendar answers questions about days: holidays, working days, deadlines
// and slots. It is immutable and safe for concurrent use.
type Calendar struct {
	f     file
	years map[int]bool
	// Days lo ≤ n < lo+len(off) are precomputed: off[n-lo] says whether the
	// day is a holiday, byDay holds its holidays. Other days fall back to
	// the fixed-date rules (no Hijri data there).
	lo      int
	off     []bool
	byDay   map[int][]Holiday
	ramadan []Period
}

// KeyInvalidFile is the message key of a holiday file that does not parse
// or validate; the cause lists every problem.
const KeyInvalidFile = "error.calendar.file"

// maxFileSize bounds what Load reads: the real file is a few kilobytes.
const maxFileSize = 1 << 20

// Load reads and validates a complete holiday file.
func Load(r io.Reader) (*Calendar, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: load: %w", err)
	}
	if len(b) > maxFileSize {
		return nil, invalid(fmt.Errorf("file larger than %d bytes", maxFileSize))
	}
	return Parse(b)
}

// Parse reads and validates a complete holiday file. The file is one JSON
// object (the embedded holidays.json is the example):
//
//	format  "madina/holidays/v1"
//	note    free text
//	fixed   [{id, month, day, from, until?, names: {ar, fr, en}}]
//	        the same date every year, from year `from` (to `until`)
//	hijri   [{id, month, day, days, names: {ar, fr, en}}]
//	        Hijri-calendar holidays: which Hijri day, for how many days
//	years   [{year,
//	          holidays: [{id, hijri_year, date, status, source}],
//	          ramadan:  [{hijri_year, from, to, status, source}]}]
//
// A year listed is covered: all its Hijri holidays and Ramadan are given,
// each under the Gregorian year of its first day, with status "estimate" or
// "announced" and a source. Validation reports every problem at once:
// names in the three languages, ids unique, dates real and in their year,
// each Hijri date within three days of the tabular Islamic calendar, no
// holiday given twice, Ramadan of 29 or 30 days ending the eve of Eid
// al-Fitr, no Hijri holiday missing from a covered year.
func Parse(b []byte) (*Calendar, error) {
	f, err := decode(b)
	if err != nil {
		return nil, err
	}
	return build(f)
}

// Override returns a calendar with the contents of a partial holiday file
// laid over c's: fixed and Hijri holidays replace those of the same id (or
// are added), and each year listed replaces that year entirely (or adds it).
// This is how a city records an announced Eid, or adds a new year, without
// copying the whole file.
func (c *Calendar) Override(b []byte) (*Calendar, error) {
	o, err := decode(b)
	if err != nil {
		return nil, err
	}
	f := c.f.clone()
	f.Fixed = mergeBy(f.Fixed, o.Fixed, func(d fixedDef) string { return d.ID })
	f.Hijri = mergeBy(f.Hijri, o.Hijri, func(d hijriDef) string { return d.ID })
	f.Years = mergeBy(f.Years, o.Years, func(y yearData) int { return y.Year })
	slices.SortFunc(f.Years, func(a, b yearData) int { return a.Year - b.Year })
	if o.Note != "" {
		f.Note = o.Note
	}
	return build(f)
}

// File returns the calendar's data as a holiday file.
func (c *Calendar) File() []byte { return encode(c.f) }

func mergeBy[T any, K comparable](base, over []T, key func(T) K) []T {
	out := slices.Clone(base)
	for _, o := range over {
		if i := slices.IndexFunc(out, func(b T) bool { return key(b) == key(o) }); i >= 0 {
			out[i] = o
		} else {
			out = append(out, o)
		}
	}
	return out
}

func (f file) clone() file {
	g := f
	g.Fixed = slices.Clone(f.Fixed)
	g.Hijri = slices.Clone(f.Hijri)
	g.Years = make([]yearData, len(f.Years))
	for i, y := range f.Years {
		g.Years[i] = yearData{Year: y.Year, Holidays: slices.Clone(y.Holidays), Ramadan: slices.Clone(y.Ramadan)}
	}
	return g
}

func decode(b []byte) (file, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return file{}, invalid(err)
	}
	if dec.More() {
		return file{}, invalid(errors.New("data after the JSON object"))
	}
	if f.Format != Format {
		return file{}, invalid(fmt.Errorf("format %q: want %q", f.Format, Format))
	}
	return f, nil
}

func encode(f file) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		panic(err) // plain structs of strings and numbers
	}
	return buf.Bytes()
}

func invalid(cause error) error {
	return errs.E(errs.Invalid, KeyInvalidFile).Cause(fmt.Errorf("calendar: holiday file: %w", cause))
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Years a holiday file may speak of: wide enough for any real use, narrow
// enough to catch a typo.
const minYear, maxYear = 1900, 2200

// validate returns every problem of f, not just the first: whoever edits
// the file fixes them in one go.
func validate(f file) error {
	var probs []error
	bad := func(format string, args ...any) { probs = append(probs, fmt.Errorf(format, args...)) }

	ids := map[string]bool{}
	checkID := func(kind, id string) {
		switch {
		case !idPattern.MatchString(id):
			bad("%s holiday id %q: want lower-case words joined by hyphens", kind, id)
		case ids[id]:
			bad("holiday id %q defined twice", id)
		}
		ids[id] = true
	}
	checkNames := func(id string, n Names) {
		for _, p := range []struct{ lang, v string }{{"ar", n.AR}, {"fr", n.FR}, {"en", n.EN}} {
			if strings.TrimSpace(p.v) == "" {
				bad("holiday %q: name missing in %s", id, p.lang)
			}
		}
	}
	for _, h := range f.Fixed {
		checkID("fixed", h.ID)
		checkNames(h.ID, h.Names)
		// 2000 is a leap year: 29 February is a valid fixed date.
		if h.Month < time.January || h.Month > time.December || h.Day < 1 || !(Date{2000, h.Month, h.Day}).Valid() {
			bad("holiday %q: month %d day %d is not a date", h.ID, h.Month, h.Day)
		}
		if h.From < minYear || h.From > maxYear {
			bad("holiday %q: from %d: want the first year it applies (%d–%d)", h.ID, h.From, minYear, maxYear)
		}
		if h.Until != 0 && h.Until < h.From {
			bad("holiday %q: until %d is before from %d", h.ID, h.Until, h.From)
		}
	}
	defs := map[string]hijriDef{}
	for _, h := range f.Hijri {
		checkID("hijri", h.ID)
		checkNames(h.ID, h.Names)
		if h.Month < 1 || h.Month > hijriMonths || h.Day < 1 || h.Day > 30 {
			bad("holiday %q: Hijri month %d day %d is not a date", h.ID, h.Month, h.Day)
		}
		if h.Days < 1 || h.Days > 3 {
			bad("holiday %q: days %d: want 1 to 3", h.ID, h.Days)
		}
		defs[h.ID] = h
	}

	covered := map[int]bool{}
	seen := map[string]string{} // "id/hijri year" → where
	for _, y := range f.Years {
		if y.Year < minYear || y.Year > maxYear {
			bad("year %d: out of range %d–%d", y.Year, minYear, maxYear)
			continue
		}
		if covered[y.Year] {
			bad("year %d listed twice", y.Year)
		}
		covered[y.Year] = true
		for _, e := range y.Holidays {
			where := fmt.Sprintf("year %d: %s %d", y.Year, e.ID, e.HijriYear)
			def, ok := defs[e.ID]
			if !ok {
				bad("%s: no Hijri holiday with this id", where)
				continue
			}
			checkDated(bad, where, y.Year, e.Date, e.Status, e.Source)
			if e.Date.Valid() {
				if d := e.Date.Sub(TabularHijri(e.HijriYear, def.Month, def.Day)); d < -3 || d > 3 {
					bad("%s: %s is %+d days from %d-%02d-%02d in the tabular Islamic calendar (want within 3)", where, e.Date, d, e.HijriYear, def.Month, def.Day)
				}
			}
			key := fmt.Sprintf("%s/%d", e.ID, e.HijriYear)
			if prev, dup := seen[key]; dup {
				bad("%s: already given in %s", where, prev)
			}
			seen[key] = where
		}
		for _, r := range y.Ramadan {
			where := fmt.Sprintf("year %d: ramadan %d", y.Year, r.HijriYear)
			checkDated(bad, where, y.Year, r.From, r.Status, r.Source)
			if !r.To.Valid() {
				bad("%s: to %s is not a date", where, r.To)
			} else if n := (DateRange{r.From, r.To}).Days(); n != 29 && n != 30 {
				bad("%s: %s to %s is %d days (want 29 or 30)", where, r.From, r.To, n)
			}
			if r.From.Valid() {
				if d := r.From.Sub(TabularHijri(r.HijriYear, Ramadan, 1)); d < -3 || d > 3 {
					bad("%s: starts %+d days from 1 Ramadan %d in the tabular Islamic calendar (want within 3)", where, d, r.HijriYear)
				}
			}
			key := fmt.Sprintf("ramadan/%d", r.HijriYear)
			if prev, dup := seen[key]; dup {
				bad("%s: already given in %s", where, prev)
			}
			seen[key] = where
		}
	}
	// Eid al-Fitr is the day after Ramadan, when both are given.
	for _, y := range f.Years {
		for _, r := range y.Ramadan {
			for _, yy := range f.Years {
				for _, e := range yy.Holidays {
					if def, ok := defs[e.ID]; ok && def.Month == Shawwal && def.Day == 1 && e.HijriYear == r.HijriYear && e.Date != r.To.AddDays(1) {
						bad("year %d: ramadan %d ends %s but %s is %s (want the next day)", y.Year, r.HijriYear, r.To, e.ID, e.Date)
					}
				}
			}
		}
	}
	// A covered year holds every Hijri holiday of the year (one within days
	// of New Year may belong to the neighbouring year: not required).
	for y := range covered {
		for _, def := range append(slices.Clone(f.Hijri), hijriDef{ID: "ramadan", Month: Ramadan, Day: 1}) {
			for _, hy := range HijriYearsIn(y) {
				t := TabularHijri(hy, def.Month, def.Day)
				if t.Year != y {
					continue
				}
				// The real date may be in the neighbouring year.
				nearEdge := (t.Month == time.January && t.Day <= 3) || (t.Month == time.December && t.Day >= 29)
				if _, ok := seen[fmt.Sprintf("%s/%d", def.ID, hy)]; !ok && !nearEdge {
					bad("year %d: %s of Hijri year %d missing (about %s)", y, def.ID, hy, t)
				}
			}
		}
	}
	if len(probs) > 0 {
		return invalid(errors.Join(probs...))
	}
	return nil
}

func checkDated(bad func(string, ...any), where string, year int, d Date, status, source string) {
	if !d.Valid() {
		bad("%s: %s is not a date", where, d)
	} else if d.Year != year {
		bad("%s: %s is not in %d (list a date under the year of its first day)", where, d, year)
	}
	if status != Estimated && status != Announced {
		bad("%s: status %q: want %q or %q", where, status, Estimated, Announced)
	}
	if strings.TrimSpace(source) == "" {
		bad("%s: source missing (say where the date comes from)", where)
	}
}

func build(f file) (*Calendar, error) {
	if err := validate(f); err != nil {
		return nil, err
	}
	c := &Calendar{f: f, years: map[int]bool{}, byDay: map[int][]Holiday{}}
	if len(f.Years) == 0 {
		return c, nil
	}
	first, last := f.Years[0].Year, f.Years[0].Year
	for _, y := range f.Years {
		c.years[y.Year] = true
		first, last = min(first, y.Year), max(last, y.Year)
	}
	// Precompute from a year before the first covered year to a year after
	// the last (a Hijri holiday listed under the last year may spill into
	// the next): deadlines near the edges stay on the fast path.
	c.lo = daysOf(first-1, time.January, 1)
	hi := daysOf(last+2, time.January, 1)
	c.off = make([]bool, hi-c.lo)
	add := func(h Holiday) {
		n := h.Date.days()
		c.byDay[n] = append(c.byDay[n], h)
		c.off[n-c.lo] = true
	}
	for y := first - 1; y <= last+1; y++ {
		for _, h := range c.fixedIn(y) {
			add(h)
		}
	}
	defs := map[string]hijriDef{}
	for _, h := range f.Hijri {
		defs[h.ID] = h
	}
	for _, y := range f.Years {
		for _, e := range y.Holidays {
			def := defs[e.ID]
			for i := range def.Days {
				add(Holiday{
					ID: e.ID, Names: def.Names, Date: e.Date.AddDays(i), Day: i + 1, Days: def.Days,
					Hijri:  HijriDate{e.HijriYear, def.Month, def.Day + i},
					Status: e.Status, Source: e.Source,
				})
			}
		}
		for _, r := range y.Ramadan {
			c.ramadan = append(c.ramadan, Period{
				Name:  fmt.Sprintf("ramadan-%d", r.HijriYear),
				Dates: DateRange{r.From, r.To},
			})
		}
	}
	slices.SortFunc(c.ramadan, func(a, b Period) int { return a.Dates.From.Compare(b.Dates.From) })
	return c, nil
}

// fixedIn returns the fixed-date holidays of year y.
func (c *Calendar) fixedIn(y int) []Holiday {
	var hs []Holiday
	for _, h := range c.f.Fixed {
		if y < h.From || (h.Until != 0 && y > h.Until) {
			continue
		}
		d := Date{y, h.Month, h.Day}
		if !d.Valid() { // 29 February of a common year
			continue
		}
		hs = append(hs, Holiday{ID: h.ID, Names: h.Names, Date: d, Day: 1, Days: 1})
	}
	return hs
}

// Covers reports whether the calendar has the Hijri holidays of year y.
// Outside the covered years only weekends and fixed-date holidays are
// known: a legal deadline there may be a day or two early. Callers showing
// such a deadline should say so, and the holiday file be extended.
func (c *Calendar) Covers(y int) bool { return c.years[y] }

// Years returns the covered years, in order.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// IsHoliday reports whether d is a public holiday.
func (c *Calendar) IsHoliday(d Date) bool { return c.holiday(d.days()) }

// Holiday returns the public holiday on d, if any. When two fall on the
// same day (a fixed holiday during an Eid), it returns the first listed;
// Holidays returns them all.
func (c *Calendar) Holiday(d Date) (Holiday, bool) {
	hs := c.Holidays(d)
	if len(hs) == 0 {
		return Holiday{}, false
	}
	return hs[0], true
}

// Holidays returns every public holiday on d.
func (c *Calendar) Holidays(d Date) []Holiday {
	n := d.days()
	if c.inTable(n) {
		return slices.Clone(c.byDay[n])
	}
	var hs []Holiday
	for _, h := range c.fixedIn(d.Year) {
		if h.Date == d {
			hs = append(hs, h)
		}
	}
	return hs
}

// HolidaysIn returns the holidays from one date to another, both included,
// in date order, for display.
func (c *Calendar) HolidaysIn(r DateRange) []Holiday {
	var hs []Holiday
	for n := r.From.days(); n <= r.To.days(); n++ {
		if c.holiday(n) {
			hs = append(hs, c.Holidays(dateOfDays(n))...)
		}
	}
	return hs
}

// IsWorkingDay reports whether d is a working day: Monday to Friday, and
// not a public holiday.
func (c *Calendar) IsWorkingDay(d Date) bool { return c.working(d.days()) }

// Ramadan returns the Ramadan periods of the covered years.
func (c *Calendar) Ramadan() []Period { return slices.Clone(c.ramadan) }

func (c *Calendar) inTable(n int) bool { return uint(n-c.lo) < uint(len(c.off)) }

func (c *Calendar) holiday(n int) bool {
	if c.inTable(n) {
		return c.off[n-c.lo]
	}
	d := dateOfDays(n)
	for _, h := range c.f.Fixed {
		if h.Month == d.Month && h.Day == d.Day && d.Year >= h.From && (h.Until == 0 || d.Year <= h.Until) {
			return true
		}
	}
	return false
}

func (c *Calendar) working(n int) bool {
	switch weekdayOfDays(n) {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.holiday(n)
}
