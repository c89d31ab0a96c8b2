package district

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/calendar"
)

// HoursRow is a line of opening hours: a run of weekdays with the same
// spans ("Monday to Thursday: 08:30–12:30, 14:30–16:30").
type HoursRow struct {
	From, To time.Weekday // To == From for a single day
	Spans    []string     // "08:30–12:30", "14:30–16:30"
}

// Hours are a window's opening hours as the page tells them: the usual
// week, and the Ramadan hours of the current or next Ramadan the calendar
// knows of.
type Hours struct {
	Week    []HoursRow
	Ramadan []HoursRow
	// RamadanFrom, RamadanTo bound that Ramadan; zero when the calendar
	// knows of none to come.
	RamadanFrom, RamadanTo time.Time
	// RamadanNow is true when today falls in it.
	RamadanNow bool
}

// WindowHours tells h — the administration's hours the deposit
// appointments follow (calendar.AdministrationHours) — as of today.
func WindowHours(h calendar.OpeningHours, today calendar.Date) Hours {
	out := Hours{Week: rows(h.Week)}
	for _, p := range h.Periods {
		if !strings.HasPrefix(p.Name, "ramadan") || p.Dates.To.Before(today) {
			continue
		}
		out.Ramadan = rows(p.Week)
		out.RamadanFrom, out.RamadanTo = p.Dates.From.Start(), p.Dates.To.Start()
		out.RamadanNow = p.Dates.Contains(today)
		break
	}
	return out
}

// rows groups the days of w, Monday first, into runs of equal spans; closed
// days are left out (the page says weekends and holidays are closed).
func rows(w calendar.Week) []HoursRow {
	var out []HoursRow
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	for i, d := range order {
		if len(w[d]) == 0 {
			continue
		}
		text := spans(w[d])
		if n := len(out); n > 0 && slices.Equal(out[n-1].Spans, text) && i > 0 && out[n-1].To == order[i-1] {
			out[n-1].To = d
			continue
		}
		out = append(out, HoursRow{From: d, To: d, Spans: text})
	}
	return out
}

func spans(ss []calendar.Span) []string {
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		parts = append(parts, s.From.String()+"–"+s.To.String())
	}
	return parts
}

// OpenOn reports whether any row opens on day d.
func (h Hours) OpenOn(d time.Weekday) bool {
	return slices.ContainsFunc(h.Week, func(r HoursRow) bool { return r.From <= d && d <= r.To })
}

// OSMURL is the OpenStreetMap page of a point, zoomed on its street, with
// a marker: no script on our side, the map opens on openstreetmap.org.
func OSMURL(lat, lon float64) string {
	f := func(x float64) string { return strings.TrimRight(strings.TrimRight(formatFloat(x), "0"), ".") }
	return "https://www.openstreetmap.org/?mlat=" + f(lat) + "&mlon=" + f(lon) + "#map=17/" + f(lat) + "/" + f(lon)
}

func formatFloat(x float64) string { return strconv.FormatFloat(x, 'f', 5, 64) }
