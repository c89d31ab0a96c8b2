package calendar

import (
	"encoding/json"
	"testing"
	"time"
)

// mustDate parses "2006-01-02" or fails the test.
func mustDate(tb testing.TB, s string) Date {
	tb.Helper()
	d, err := ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// mustTime parses an RFC 3339 instant or fails the test.
func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// local is the instant of a Casablanca wall-clock time "2006-01-02 15:04".
func local(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Zone)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestDateOfUsesCasablancaOffset(t *testing.T) {
	tests := []struct {
		instant string
		want    string
	}{
		// UTC+1 outside Ramadan: 23:30 UTC is already the next day.
		{"2025-05-01T23:30:00Z", "2025-05-02"},
		// UTC+0 during Ramadan 1446 (23 Feb – 6 Apr 2025 in the tz database).
		{"2025-03-10T23:30:00Z", "2025-03-10"},
		{"2025-03-10T23:59:59Z", "2025-03-10"},
		{"2026-01-01T00:30:00+01:00", "2026-01-01"},
	}
	for _, tt := range tests {
		if got := DateOf(mustTime(t, tt.instant)).String(); got != tt.want {
			t.Errorf("DateOf(%s) = %s, want %s", tt.instant, got, tt.want)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	d := mustDate(t, "2024-02-28")
	if got := d.AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("AddDays(1) = %s", got)
	}
	if got := d.AddDays(2).String(); got != "2024-03-01" {
		t.Errorf("AddDays(2) = %s", got)
	}
	if got := mustDate(t, "2031-01-01").Sub(mustDate(t, "2025-01-01")); got != 2191 {
		t.Errorf("Sub = %d, want 2191", got)
	}
	if got := MakeDate(2025, time.April, 31).String(); got != "2025-05-01" {
		t.Errorf("MakeDate normalises to %s", got)
	}
	if (Date{2025, time.February, 29}).Valid() || !(Date{2024, time.February, 29}).Valid() {
		t.Error("Valid is wrong about 29 February")
	}
	if !mustDate(t, "2025-01-01").Before(mustDate(t, "2025-01-02")) || mustDate(t, "2025-02-01").Before(mustDate(t, "2025-01-31")) {
		t.Error("Before is wrong")
	}
	if _, err := ParseDate("2025-02-30"); err == nil {
		t.Error("ParseDate accepted 30 February")
	}
	// Day numbers agree with the time package over a long stretch, negative
	// ones included.
	for n := -800000; n < 200000; n += 97 {
		d := dateOfDays(n)
		if d.days() != n {
			t.Fatalf("round trip of day %d gives %d", n, d.days())
		}
		if got, want := weekdayOfDays(n), time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday(); got != want {
			t.Fatalf("weekday of %s = %s, want %s", d, got, want)
		}
	}
}

func TestDateEndIsMillisecondBeforeMidnight(t *testing.T) {
	for _, s := range []string{"2025-03-10", "2025-06-10"} { // UTC+0 and UTC+1
		d := mustDate(t, s)
		end := d.End()
		if got := end.In(Zone).Format("2006-01-02 15:04:05.000"); got != s+" 23:59:59.999" {
			t.Errorf("End = %s", got)
		}
		if next := end.Add(time.Millisecond); DateOf(next) != d.AddDays(1) || !next.Equal(d.AddDays(1).Start()) {
			t.Errorf("%s: a millisecond after End is %s, want next midnight", s, next)
		}
		// A database keeping microseconds does not push it into the next day.
		if r := end.Round(time.Microsecond); DateOf(r) != d {
			t.Errorf("%s: End rounded to µs lands on %s", s, DateOf(r))
		}
	}
}

func TestDateJSON(t *testing.T) {
	b, err := json.Marshal(struct{ D Date }{mustDate(t, "2025-03-31")})
	if err != nil || string(b) != `{"D":"2025-03-31"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var v struct{ D Date }
	if err := json.Unmarshal([]byte(`{"D":"2026-03-20"}`), &v); err != nil || v.D != (Date{2026, time.March, 20}) {
		t.Fatalf("Unmarshal = %v, %v", v.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"20-03-2026"}`), &v); err == nil {
		t.Fatal("Unmarshal accepted 20-03-2026")
	}
}

func TestDateRange(t *testing.T) {
	r := DateRange{mustDate(t, "2025-03-02"), mustDate(t, "2025-03-30")}
	if r.Days() != 29 || !r.Contains(mustDate(t, "2025-03-30")) || r.Contains(mustDate(t, "2025-03-31")) {
		t.Errorf("DateRange %v: Days %d", r, r.Days())
	}
	if (DateRange{r.To, r.From}).Days() != 0 {
		t.Error("an inverted range has days")
	}
}
