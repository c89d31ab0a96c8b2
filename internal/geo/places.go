package geo

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// The directory of places (issue #14, point 2): the administrations,
// arrondissement offices, health centres, schools, sports grounds and
// halls, cultural spaces, parks, markets and transport of the city, each
// with its names in the three languages, address, opening hours and
// contacts, at a point assigned to its arrondissement by point-in-polygon.
// The editors keep it (authz.ManagePlaces), one place at a time or by
// importing a GeoJSON or CSV file; every place has its page, and the
// directory is a layer of the portal.

// Categories are the kinds of place, in the order the directory lists
// them; their names are messages geo.category.<code>.
var Categories = []string{"administration", "arrondissement-office", "health", "school", "sports-field", "sports-hall",
	"culture", "park", "market", "transport"}

// Place is a place of the directory.
type Place struct {
	Code           string    // a stable slug: the key of imports and of the page's address
	Category       string    // one of Categories
	Name           i18n.Text // in ar, fr and en
	Address        i18n.Text // may be empty in any language
	Point          geom.Point
	Arrondissement string // assigned from Point, never typed
	Hours          string // opening hours, e.g. "Mo-Fr 08:30-16:30; Sa 09:00-12:00" ("" when unknown)
	Phone          string
	Email          string
	Website        string
	Source         string // where the place comes from (an import's file name, "demo")
	Version        int
	UpdatedAt      time.Time
}

// Limits of a place's texts.
const (
	maxPlaceName    = 200
	maxPlaceAddress = 300
	maxPlaceCode    = 80
)

var (
	placeCodeRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	placePhone  = regexp.MustCompile(`^\+?[0-9][0-9 .-]{5,24}$`)
)

// field is the error of one of a place's fields (form field name and
// message key geo.place.error.<key>).
func field(name, key string) *errs.Error {
	return errs.E(errs.Invalid, "geo.place.error."+key).OnField(name)
}

// check validates p's own fields (not its arrondissement, which needs the
// city's outlines), every mistake at once.
func (p Place) check() error {
	var fe errs.Fields
	switch {
	case p.Code == "":
		_ = fe.Add(field("code", "code_missing"))
	case len(p.Code) > maxPlaceCode || !placeCodeRE.MatchString(p.Code):
		_ = fe.Add(field("code", "code").With("max", maxPlaceCode))
	}
	if !slices.Contains(Categories, p.Category) {
		_ = fe.Add(field("category", "category"))
	}
	for _, n := range []struct{ f, v string }{{"name_ar", p.Name.AR}, {"name_fr", p.Name.FR}, {"name_en", p.Name.EN}} {
		if strings.TrimSpace(n.v) == "" {
			_ = fe.Add(field(n.f, "name_missing"))
		} else if len([]rune(n.v)) > maxPlaceName {
			_ = fe.Add(field(n.f, "too_long").With("max", maxPlaceName))
		}
	}
	for _, a := range []struct{ f, v string }{{"address_ar", p.Address.AR}, {"address_fr", p.Address.FR}, {"address_en", p.Address.EN}} {
		if len([]rune(a.v)) > maxPlaceAddress {
			_ = fe.Add(field(a.f, "too_long").With("max", maxPlaceAddress))
		}
	}
	if _, err := ParseHours(p.Hours); err != nil {
		_ = fe.Add(field("hours", "hours").With("detail", err.Error()))
	}
	if p.Phone != "" && !placePhone.MatchString(p.Phone) {
		_ = fe.Add(field("phone", "phone"))
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			_ = fe.Add(field("email", "email"))
		}
	}
	if p.Website != "" {
		if u, err := url.Parse(p.Website); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			_ = fe.Add(field("website", "website"))
		}
	}
	return fe.Err()
}

// folded is what a search of the directory compares: the three names,
// folded (Arabic spelling, accents and case).
func (p Place) folded() string {
	return textnorm.Fold(p.Name.AR) + " | " + textnorm.Fold(p.Name.FR) + " | " + textnorm.Fold(p.Name.EN)
}

// days are the opening hours' day abbreviations (OpenStreetMap's), Monday
// first, with their time.Weekday.
var days = []struct {
	abbr string
	day  time.Weekday
}{{"Mo", time.Monday}, {"Tu", time.Tuesday}, {"We", time.Wednesday}, {"Th", time.Thursday}, {"Fr", time.Friday},
	{"Sa", time.Saturday}, {"Su", time.Sunday}}

// ParseHours reads opening hours in the common subset of OpenStreetMap's
// opening_hours syntax — rules separated by ";", each days then times:
// "Mo-Fr 08:30-12:30,14:30-16:30; Sa 09:00-12:00", "24/7", or "Su off" —
// into the week the calendar uses. "" is hours not known (an empty week).
// A later rule replaces an earlier one's days.
func ParseHours(s string) (calendar.Week, error) {
	var w calendar.Week
	s = strings.TrimSpace(s)
	if s == "" {
		return w, nil
	}
	if s == "24/7" {
		for d := range w {
			w[d] = []calendar.Span{{From: 0, To: calendar.At(24, 0)}}
		}
		return w, nil
	}
	for _, rule := range strings.Split(s, ";") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		daysPart, timesPart, ok := strings.Cut(rule, " ")
		if !ok {
			return w, fmt.Errorf("%q: days then times, as in “Mo-Fr 08:30-16:30”", rule)
		}
		var which []time.Weekday
		for _, dr := range strings.Split(daysPart, ",") {
			from, to, isRange := strings.Cut(dr, "-")
			i, j := dayIndex(from), dayIndex(to)
			if !isRange {
				j = i
			}
			if i < 0 || j < 0 || j < i {
				return w, fmt.Errorf("%q: days are Mo Tu We Th Fr Sa Su, as in “Mo-Fr” or “Mo,We”", dr)
			}
			for k := i; k <= j; k++ {
				which = append(which, days[k].day)
			}
		}
		var spans []calendar.Span
		if t := strings.TrimSpace(timesPart); t != "off" && t != "closed" {
			for _, tr := range strings.Split(t, ",") {
				a, b, ok := strings.Cut(strings.TrimSpace(tr), "-")
				from, err1 := calendar.ParseClock(a)
				to, err2 := calendar.ParseClock(b)
				if !ok || err1 != nil || err2 != nil || to <= from {
					return w, fmt.Errorf("%q: times are hh:mm-hh:mm, the first before the second, as in “08:30-16:30”", tr)
				}
				if n := len(spans); n > 0 && from < spans[n-1].To {
					return w, fmt.Errorf("%q: times must follow one another", tr)
				}
				spans = append(spans, calendar.Span{From: from, To: to})
			}
		}
		for _, d := range which {
			w[d] = spans
		}
	}
	return w, nil
}

func dayIndex(s string) int {
	for i, d := range days {
		if d.abbr == strings.TrimSpace(s) {
			return i
		}
	}
	return -1
}
