package geo

import (
	"testing"
	"time"

	"madina/internal/platform/errs"
)

func TestFeatureQueryParameters(t *testing.T) {
	if b, err := ParseBBox("-7.7, 33.5,-7.4,33.7"); err != nil || *b != (Bounds{Min: Point{-7.7, 33.5}, Max: Point{-7.4, 33.7}}) {
		t.Errorf("a box: %+v, %v", b, err)
	}
	for _, s := range []string{"", "1,2,3", "1,2,3,4,5", "a,2,3,4", "170,0,-170,1" /* across the antimeridian */, "0,10,1,5", /* inverted */
		"-181,0,0,1", "0,-91,1,0", "0,0,1,NaN", "0,0,1e400,1"} {
		if _, err := ParseBBox(s); !errs.Is(err, errs.Invalid) || errs.As(err).Key != KeyBBox || errs.As(err).Field != "bbox" {
			t.Errorf("bbox %q: %v", s, err)
		}
	}

	day := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for s, want := range map[string][2]time.Time{
		"2026-12-06T10:00:00Z":                      {day, day},
		"2026-12-06T11:00:00+01:00":                 {day, day},
		"2026-12-06T10:00:00Z/..":                   {day, {}},
		"../2026-12-06T10:00:00Z":                   {{}, day},
		"/2026-12-06T10:00:00Z":                     {{}, day},
		"2026-12-05T10:00:00Z/2026-12-06T10:00:00Z": {day.Add(-24 * time.Hour), day},
		"../..": {},
	} {
		from, to, err := ParseInterval(s)
		if err != nil || !from.Equal(want[0]) || !to.Equal(want[1]) {
			t.Errorf("datetime %q: %v, %v, %v; want %v", s, from, to, err, want)
		}
	}
	for _, s := range []string{"yesterday", "2026-12-06", "2026-12-06T10:00:00Z/2026-12-05T10:00:00Z", "2026-12-06T10:00:00Z/soon", ".."} {
		if _, _, err := ParseInterval(s); errs.As(err) == nil || errs.As(err).Key != KeyDatetime {
			t.Errorf("datetime %q: %v", s, err)
		}
	}

	if n, err := ParseLimit("", 100, 10000); n != 100 || err != nil {
		t.Errorf("no limit: %d, %v", n, err)
	}
	if n, err := ParseLimit("10000", 100, 10000); n != 10000 || err != nil {
		t.Errorf("the greatest limit: %d, %v", n, err)
	}
	for _, s := range []string{"0", "-1", "10001", "1000000000", "ten", "1.5"} {
		if _, err := ParseLimit(s, 100, 10000); errs.As(err) == nil || errs.As(err).Key != KeyLimit || errs.As(err).Params["max"] != 10000 {
			t.Errorf("limit %q: %v", s, err)
		}
	}
	if n, err := ParseOffset("20"); n != 20 || err != nil {
		t.Errorf("offset 20: %d, %v", n, err)
	}
	for _, s := range []string{"-1", "x"} {
		if _, err := ParseOffset(s); errs.As(err) == nil || errs.As(err).Key != KeyOffset {
			t.Errorf("offset %q: %v", s, err)
		}
	}
}
