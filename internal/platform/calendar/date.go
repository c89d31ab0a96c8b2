package calendar

import (
	"fmt"
	"time"

	"madina/internal/platform/i18n"
)

// Zone is the city's time zone (Africa/Casablanca from the tz database,
// whose offset drops from UTC+1 to UTC+0 during Ramadan). Every "day" in
// this package is a civil date in this zone.
var Zone = i18n.Casablanca

// Date is a civil date in Casablanca, without a time of day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in Casablanca.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Zone).Date()
	return Date{y, m, d}
}

// MakeDate returns the date y-m-d, normalised like time.Date (31 April is
// 1 May).
func MakeDate(y int, m time.Month, d int) Date {
	return dateOfDays(daysOf(y, m, d))
}

// ParseDate reads "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// String writes "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes "2006-01-02", so a Date is a JSON string.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "2006-01-02".
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d names a real day (not 30 February).
func (d Date) Valid() bool { return MakeDate(d.Year, d.Month, d.Day) == d }

// Start is the first instant of d in Casablanca (midnight; Morocco never
// changes its clocks at midnight).
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Zone)
}

// End is the last instant of d used for deadlines: 23:59:59.999 Casablanca.
// Milliseconds, not nanoseconds, so that the instant survives a round trip
// through a database with microsecond (PostgreSQL) or millisecond precision
// without rounding into the next day.
func (d Date) End() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, int(999*time.Millisecond), Zone)
}

// At is the instant of the wall-clock time hh:mm on d in Casablanca.
func (d Date) At(hour, min int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, hour, min, 0, 0, Zone)
}

// AddDays returns the date n days after d (before, if n < 0).
func (d Date) AddDays(n int) Date { return dateOfDays(d.days() + n) }

// Sub returns the number of days from e to d (d − e).
func (d Date) Sub(e Date) int { return d.days() - e.days() }

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday { return weekdayOfDays(d.days()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns −1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return sign(d.Year - e.Year)
	case d.Month != e.Month:
		return sign(int(d.Month) - int(e.Month))
	}
	return sign(d.Day - e.Day)
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// Days since 1970-01-01 are the package's internal day numbers: arithmetic
// on them is plain integer arithmetic, with no time zone in sight.

func (d Date) days() int { return daysOf(d.Year, d.Month, d.Day) }

func daysOf(y int, m time.Month, d int) int {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

func dateOfDays(n int) Date {
	y, m, d := time.Unix(int64(n)*86400, 0).UTC().Date()
	return Date{y, m, d}
}

// 1970-01-01 was a Thursday.
func weekdayOfDays(n int) time.Weekday {
	return time.Weekday(((n+4)%7 + 7) % 7)
}

func floorDiv(a, b int64) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return int(q)
}

// DateRange is the dates From to To, both included.
type DateRange struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Contains reports whether d is in r.
func (r DateRange) Contains(d Date) bool { return !d.Before(r.From) && !d.After(r.To) }

// Days is the number of dates in r (0 if To is before From).
func (r DateRange) Days() int { return max(0, r.To.Sub(r.From)+1) }
