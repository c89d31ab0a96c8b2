package calendar

import (
	"math"
	"testing"
	"time"
)

func TestTabularHijri(t *testing.T) {
	// The epoch: 1 Muharram 1 = 16 July 622 Julian = 19 July 622 in the
	// proleptic Gregorian calendar the time package uses.
	if got := TabularHijri(1, 1, 1).String(); got != "0622-07-19" {
		t.Errorf("epoch = %s", got)
	}
	// Structure: months of 30 and 29 days, Dhu al-Hijjah 30 in leap years.
	for y := 1440; y <= 1460; y++ {
		leap := (14+11*y)%30 < 11
		for m := 1; m <= 12; m++ {
			next := tabularDays(y, m+1, 1)
			if m == 12 {
				next = tabularDays(y+1, 1, 1)
			}
			want := 30 - (m+1)%2
			if m == 12 && leap {
				want = 30
			}
			if got := next - tabularDays(y, m, 1); got != want {
				t.Fatalf("tabular %d-%02d has %d days, want %d", y, m, got, want)
			}
		}
		if got := hijriYearOf(dateOfDays(tabularDays(y, 1, 1))); got != y {
			t.Errorf("hijriYearOf(1 Muharram %d) = %d", y, got)
		}
		if got := hijriYearOf(dateOfDays(tabularDays(y, 1, 1) - 1)); got != y-1 {
			t.Errorf("hijriYearOf(eve of 1 Muharram %d) = %d", y, got)
		}
	}
	if got := HijriYearsIn(2030); len(got) != 2 || got[0] != 1451 || got[1] != 1452 {
		t.Errorf("HijriYearsIn(2030) = %v", got)
	}
}

func TestNewMoon(t *testing.T) {
	tests := []struct {
		k    float64
		want string
		tol  time.Duration
	}{
		// Meeus, Astronomical Algorithms, example 49.a: 03:37:42 TD, less
		// this package's ΔT of 69 s; the planetary terms left out here
		// account for about a minute.
		{-283, "1977-02-18T03:36:33Z", 2 * time.Minute},
		// Solar eclipses, conjunction times from the eclipse predictions.
		{216 + 2, "2017-08-21T18:30:00Z", 3 * time.Minute},
		{300, "2024-04-08T18:21:00Z", 3 * time.Minute},
		{329, "2026-08-12T17:37:00Z", 3 * time.Minute},
	}
	for _, tt := range tests {
		got := newMoon(tt.k)
		if d := got.Sub(mustTime(t, tt.want)); d.Abs() > tt.tol {
			t.Errorf("newMoon(%v) = %s, want %s ± %s", tt.k, got, tt.want, tt.tol)
		}
	}
	// The low-precision Moon agrees with the conjunction: at new moon both
	// bodies share an ecliptic longitude, to the formulae's 0.3°.
	for k := 250.0; k < 400; k++ {
		jd := julianDay(newMoon(k))
		lon := func(p equatorial) float64 {
			eps := obliquity(jd - 2451545)
			return math.Atan2(sind(p.ra)*cosd(eps)+math.Tan(p.dec*deg)*sind(eps), cosd(p.ra)) / deg
		}
		if d := math.Remainder(lon(moonPosition(jd))-lon(sunPosition(jd)), 360); math.Abs(d) > 0.35 {
			t.Errorf("lunation %v: Moon − Sun longitude %.2f° at conjunction", k, d)
		}
	}
}

// TestEstimateHijriAgainstAnnouncements checks the estimate against every
// month start the Ministry of Habous announced that the generator knows of
// (2013–2026): never more than a day off, and exact at least as often as
// today (28 of 33). The tabular calendar is logged for comparison.
func TestEstimateHijriAgainstAnnouncements(t *testing.T) {
	exact, tabExact := 0, 0
	for _, a := range announcements {
		want := mustDate(t, a.start)
		got := EstimateHijri(a.year, a.month, 1)
		diff := got.Sub(want)
		switch {
		case diff == 0:
			exact++
		case diff < -1 || diff > 1:
			t.Errorf("1 %s %d: estimate %s, announced %s (%+d days)", hijriMonthNames[a.month], a.year, got, want, diff)
		default:
			t.Logf("1 %s %d: estimate %s, announced %s (%+d)", hijriMonthNames[a.month], a.year, got, want, diff)
		}
		if TabularHijri(a.year, a.month, 1) == want {
			tabExact++
		}
	}
	t.Logf("estimate exact for %d of %d announced months; tabular calendar exact for %d", exact, len(announcements), tabExact)
	if exact < 28 {
		t.Errorf("estimate exact for %d of %d announced months, was 28", exact, len(announcements))
	}
	if d := EstimateHijri(1446, Shawwal, 2).Sub(EstimateHijri(1446, Shawwal, 1)); d != 1 {
		t.Errorf("day 2 is %d days after day 1", d)
	}
}

// The estimated months chain into 29- and 30-day months, as Morocco's do.
func TestEstimateHijriMonthLengths(t *testing.T) {
	for y := 1446; y <= 1453; y++ {
		for m := 1; m <= 12; m++ {
			ny, nm := y, m+1
			if nm > 12 {
				ny, nm = y+1, 1
			}
			if n := EstimateHijri(ny, nm, 1).Sub(EstimateHijri(y, m, 1)); n != 29 && n != 30 {
				t.Errorf("%d-%02d estimated at %d days", y, m, n)
			}
		}
	}
}
