package booking

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// The facilities and their rules are data: another arrondissement adds
// its fields and rooms from the back office (facilitycreate.go) or to
// this file, not to the code. Check refuses a rule set that contradicts itself, naming
// each contradiction in the reader's language.
//
//go:embed catalogue/casablanca.json
var defaultCatalogue []byte

// Kinds of facility.
const (
	SportsField  = "sports_field"
	SportsHall   = "sports_hall"
	Coworking    = "coworking"
	CulturalRoom = "cultural_room"
	Ambulance    = "ambulance" // a request-type service: no slots
)

// Kinds lists the kinds, in the order the public list shows them.
var Kinds = []string{SportsField, SportsHall, Coworking, CulturalRoom, Ambulance}

// Who may book: a person in their own name, or a representative acting
// for an association or a school (the legal person's kind, as registered:
// identity.Association, identity.School). Teams: teams.go.
const (
	WhoCitizen     = "citizen"
	WhoAssociation = "association"
	WhoSchool      = "school"
)

// knownWho reports whether w names who may book.
func knownWho(w string) bool {
	return w == WhoCitizen || w == WhoAssociation || w == WhoSchool || w == WhoTeam
}

// Catalogue is the facilities a city offers, and the penalty ladder.
type Catalogue struct {
	Version    string      `json:"version"`
	Source     string      `json:"source"`
	Facilities []*Facility `json:"facilities"`
	// Penalties is the ladder climbed by no-shows: step n applies at the
	// person's n-th no-show within LookbackDays.
	Penalties Ladder `json:"penalties"`
	// Seasons are the city's seasons (e.g. September to June), given to
	// every facility with slots that names none of its own.
	Seasons []Season `json:"seasons,omitempty"`
}

// Ladder is the penalty ladder.
type Ladder struct {
	LookbackDays int    `json:"lookback_days"`
	Steps        []Step `json:"steps"`
}

// Step is one rung: a warning (SuspendDays 0) or a suspension.
type Step struct {
	SuspendDays int `json:"suspend_days"`
}

// Facility is one bookable place, or a request-type service.
type Facility struct {
	Code           string    `json:"code"`
	Arrondissement string    `json:"arrondissement"`
	Organisation   string    `json:"organisation"`
	Kind           string    `json:"kind"`
	Name           i18n.Text `json:"name"`
	Address        i18n.Text `json:"address"`
	Lat            float64   `json:"lat"`
	Lon            float64   `json:"lon"`
	Capacity       int       `json:"capacity"`
	// Photos are not data of the catalogue: the managers add them at the
	// desk, into the blob store (photos.go, booking_facility_photos).
	// Hours are the opening hours per weekday; SlotMinutes cut them into
	// slots.
	Hours       []Opening `json:"hours,omitempty"`
	SlotMinutes int       `json:"slot_minutes,omitempty"`
	Closures    []Closure `json:"closures,omitempty"`
	// Seasons are the periods a season quota counts over.
	Seasons []Season `json:"seasons,omitempty"`
	Rules   Rules    `json:"rules"`
}

// Opening is a weekday's hours (Days 1 Monday … 7 Sunday; "HH:MM").
type Opening struct {
	Days  []int  `json:"days"`
	Open  string `json:"open"`
	Close string `json:"close"`
}

// Closure closes the facility from From to To, both included (dates
// "2026-12-24").
type Closure struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason i18n.Text `json:"reason"`
}

// Rules are a facility's booking rules.
type Rules struct {
	Who []string `json:"who"`
	// HorizonDays: a slot is bookable from HorizonDays before its day,
	// at Release ("HH:MM", Casablanca time).
	HorizonDays int    `json:"horizon_days"`
	Release     string `json:"release"`
	// MinNoticeHours: no booking later than this before the slot.
	MinNoticeHours int `json:"min_notice_hours"`
	// CancelHours: cancelling is free until this before the slot.
	CancelHours int     `json:"cancel_hours"`
	Quotas      []Quota `json:"quotas,omitempty"`
	// MaxFuture caps the bookings one person (or association) holds at
	// once in the future.
	MaxFuture int `json:"max_future"`
	// Approval: bookings wait for the arrondissement's approval.
	Approval bool `json:"approval"`
	// Peak slots are drawn by lottery among requests collected during
	// WindowHours after their release; leftovers go first-come.
	Peak *Peak `json:"peak,omitempty"`
	// Groups are priority groups with reserved shares of the slots.
	Groups []Group `json:"groups,omitempty"`
	// ConfirmHours: a waitlist place promoted is confirmed within this.
	ConfirmHours int `json:"confirm_hours"`
	// Roster: associations apply for a weekly slot of each season
	// (roster.go).
	Roster *RosterRule `json:"roster,omitempty"`
	// TeamMin is the smallest team that books a team slot (Who has
	// WhoTeam): its accepted, verified members (teams.go).
	TeamMin int `json:"team_min,omitempty"`
}

// Quota caps bookings Per person, association, school or team over a Period (week,
// month, or season: the facility's season holding the slot).
type Quota struct {
	Per    string `json:"per"`
	Period string `json:"period"`
	Max    int    `json:"max"`
}

// Peak names the slots allocated by lottery.
type Peak struct {
	Days        []int  `json:"days"`
	From        string `json:"from"`
	To          string `json:"to"`
	WindowHours int    `json:"window_hours"`
}

// Group is a priority group and the share of slots reserved for it: of
// a day's slots, or, when it has Days or From/To, of the day's slots
// within those days and hours ("schools in school hours").
type Group struct {
	Code  string    `json:"code"`
	Name  i18n.Text `json:"name"`
	Share int       `json:"share"` // percent
	// Days (1 Monday … 7 Sunday; none: every day) and From/To ("HH:MM",
	// both or neither) limit the group to those slots.
	Days []int  `json:"days,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Who, when set, binds the group to who books (one of the facility's
	// Who): only a booking made as that — a representative acting for a
	// school, for "school" — takes the group's share. Without it the group
	// is declared by whoever books ("youth").
	Who string `json:"who,omitempty"`
}

var codeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,63}$`)

// Load parses and checks a catalogue; a bad one names every mistake (in
// English: it stops the start, for the operator).
func Load(b []byte, cat *i18n.Catalog) (*Catalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("booking catalogue: %w", err)
	}
	var problems []string
	seen := map[string]bool{}
	for _, f := range c.Facilities {
		if len(f.Seasons) == 0 && !f.Request() {
			f.Seasons = slices.Clone(c.Seasons)
		}
		if seen[f.Code] {
			problems = append(problems, "facility "+f.Code+" twice")
		}
		seen[f.Code] = true
		if err := f.Check(); err != nil {
			problems = append(problems, "facility "+f.Code+": "+describe(err, cat))
		}
	}
	if c.Version == "" || c.Penalties.LookbackDays < 1 || len(c.Penalties.Steps) == 0 {
		problems = append(problems, "a version and a penalty ladder (lookback_days, steps) are needed")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("booking catalogue: %s", strings.Join(problems, "; "))
	}
	return &c, nil
}

// DefaultCatalogue is Casablanca's catalogue (it is checked by a test).
func DefaultCatalogue() *Catalogue {
	c, err := Load(defaultCatalogue, nil)
	if err != nil {
		panic(err)
	}
	return c
}

// describe says an error in English, or by its keys without a catalogue.
func describe(err error, cat *i18n.Catalog) string {
	e := errs.As(err)
	if e == nil {
		return err.Error()
	}
	var parts []string
	// The first contradiction is the error's own, the others its faults.
	faults := append([]errs.Fault{{Key: e.Key, Params: e.Params}}, e.Faults...)
	for _, f := range faults {
		if cat != nil {
			parts = append(parts, cat.TMap(i18n.EN, f.Key, f.Params))
		} else {
			parts = append(parts, f.Key)
		}
	}
	return strings.Join(parts, "; ")
}

// clock parses "HH:MM" into minutes since midnight.
func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Request reports whether f is a request-type service (no slots).
func (f *Facility) Request() bool { return f.Kind == Ambulance }

// Check refuses a facility whose description or rules contradict
// themselves, every contradiction at once (errs.Invalid, one fault each).
func (f *Facility) Check() error {
	var faults []errs.Fault
	bad := func(key string, params ...any) {
		f := errs.Fault{Field: "rules", Key: key, Params: map[string]any{}}
		for i := 0; i+1 < len(params); i += 2 {
			f.Params[params[i].(string)] = params[i+1]
		}
		if !slices.ContainsFunc(faults, func(x errs.Fault) bool { return x.Key == f.Key }) {
			faults = append(faults, f)
		}
	}
	done := func() error {
		if len(faults) == 0 {
			return nil
		}
		e := &errs.Error{Kind: errs.Invalid, Key: faults[0].Key, Params: faults[0].Params, Field: "rules"}
		return e.WithFaults(faults[1:]...)
	}
	if !codeRE.MatchString(f.Code) {
		bad("booking.rules.code")
	}
	if !slices.Contains(Kinds, f.Kind) {
		bad("booking.rules.kind")
	}
	if f.Arrondissement == "" || f.Organisation == "" {
		bad("booking.rules.place")
	}
	if f.Name.Missing() != "" {
		bad("booking.rules.name", "missing", f.Name.Missing())
	}
	if f.Lat < -90 || f.Lat > 90 || f.Lon < -180 || f.Lon > 180 || (f.Lat == 0 && f.Lon == 0) {
		bad("booking.rules.location")
	}
	if f.Request() {
		if len(f.Hours) > 0 || f.SlotMinutes != 0 || f.Rules.Peak != nil {
			bad("booking.rules.request_slots")
		}
		return done()
	}
	if f.Capacity < 1 {
		bad("booking.rules.capacity")
	}
	if f.SlotMinutes < 15 || f.SlotMinutes > 8*60 {
		bad("booking.rules.slot_minutes")
	}
	// No hours: the facility is not yet open (created at the desk, its
	// hours still to set); it has no slot until it has hours.
	days := map[int]bool{}
	for _, h := range f.Hours {
		o, ok1 := clock(h.Open)
		c, ok2 := clock(h.Close)
		switch {
		case !ok1 || !ok2 || o >= c:
			bad("booking.rules.hours_order", "open", h.Open, "close", h.Close)
		case f.SlotMinutes > 0 && (c-o)%f.SlotMinutes != 0:
			bad("booking.rules.hours_slots", "open", h.Open, "close", h.Close, "minutes", f.SlotMinutes)
		}
		for _, d := range h.Days {
			if d < 1 || d > 7 || days[d] {
				bad("booking.rules.days")
			}
			days[d] = true
		}
	}
	for _, c := range f.Closures {
		a, err1 := time.Parse(time.DateOnly, c.From)
		b, err2 := time.Parse(time.DateOnly, c.To)
		if err1 != nil || err2 != nil || b.Before(a) {
			bad("booking.rules.closure", "from", c.From, "to", c.To)
		}
	}
	r := f.Rules
	if len(r.Who) == 0 {
		bad("booking.rules.who")
	}
	for _, w := range r.Who {
		if !knownWho(w) {
			bad("booking.rules.who")
		}
	}
	if r.HorizonDays < 1 || r.HorizonDays > 365 {
		bad("booking.rules.horizon")
	}
	if _, ok := clock(r.Release); !ok {
		bad("booking.rules.release")
	}
	if r.MinNoticeHours < 0 || r.CancelHours < 0 || r.ConfirmHours < 1 {
		bad("booking.rules.hours_negative")
	}
	if r.MinNoticeHours >= r.HorizonDays*24 {
		bad("booking.rules.notice_horizon", "notice", r.MinNoticeHours, "horizon", r.HorizonDays)
	}
	if r.CancelHours > r.HorizonDays*24 {
		bad("booking.rules.cancel_horizon", "cancel", r.CancelHours, "horizon", r.HorizonDays)
	}
	if r.MaxFuture < 1 {
		bad("booking.rules.max_future")
	}
	// A week's quota above the month's, or a cap under what one period
	// allows, contradicts itself.
	quota := map[string]int{}
	for _, q := range r.Quotas {
		if !knownWho(q.Per) || !slices.Contains(QuotaPeriods, q.Period) || q.Max < 1 {
			bad("booking.rules.quota")
			continue
		}
		if _, dup := quota[q.Per+"/"+q.Period]; dup {
			bad("booking.rules.quota_twice", "per", q.Per, "period", q.Period)
		}
		quota[q.Per+"/"+q.Period] = q.Max
		if !slices.Contains(r.Who, q.Per) {
			bad("booking.rules.quota_who", "per", q.Per)
		}
	}
	for _, per := range []string{WhoCitizen, WhoAssociation, WhoSchool, WhoTeam} {
		w, okw := quota[per+"/week"]
		m, okm := quota[per+"/month"]
		if okw && okm && w > m {
			bad("booking.rules.quota_order", "per", per, "week", w, "month", m)
		}
	}
	// Team slots (teams.go).
	checkTeams(f, bad)
	if r.Approval && !slices.Contains(r.Who, WhoAssociation) && r.Peak != nil {
		bad("booking.rules.approval_draw")
	}
	if p := r.Peak; p != nil {
		a, ok1 := clock(p.From)
		b, ok2 := clock(p.To)
		if !ok1 || !ok2 || a >= b || len(p.Days) == 0 {
			bad("booking.rules.peak")
		}
		for _, d := range p.Days {
			if !days[d] {
				bad("booking.rules.peak_closed", "day", d)
			}
		}
		if p.WindowHours < 1 || p.WindowHours+r.MinNoticeHours >= r.HorizonDays*24 {
			bad("booking.rules.peak_window", "window", p.WindowHours, "horizon", r.HorizonDays)
		}
		if r.Approval {
			bad("booking.rules.approval_draw")
		}
	}
	share := 0
	for _, g := range r.Groups {
		if !codeRE.MatchString(g.Code) || g.Share < 1 || g.Name.Missing() != "" {
			bad("booking.rules.group")
		}
		if g.Who != "" && (!knownWho(g.Who) || !slices.Contains(r.Who, g.Who)) {
			// A share kept for who may not book here.
			bad("booking.rules.group_who", "group", g.Code, "who", g.Who)
		}
		share += g.Share
	}
	if share > 100 {
		bad("booking.rules.shares", "total", share)
	}
	f.checkCalendar(quota, bad)
	f.checkRoster(bad)
	return done()
}

// Facility is the catalogue's facility code.
func (c *Catalogue) Facility(code string) (*Facility, bool) {
	for _, f := range c.Facilities {
		if f.Code == code {
			return f, true
		}
	}
	return nil, false
}

// ---- Hours, closures, groups' hours and seasons (the desk edits them) ----

// Season is a period a season quota counts over, both dates included
// ("2026-09-01" to "2027-06-30").
type Season struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// QuotaPeriods are the periods a quota counts over.
var QuotaPeriods = []string{"week", "month", "season"}

// seasonOf is the season of f holding t (Casablanca), if any: its first
// instant and the instant after its last day.
func (f *Facility) seasonOf(t time.Time) (time.Time, time.Time, bool) {
	ds := local(t).Format(time.DateOnly)
	for _, s := range f.Seasons {
		if ds >= s.From && ds <= s.To {
			a, err1 := time.ParseInLocation(time.DateOnly, s.From, i18n.Casablanca)
			b, err2 := time.ParseInLocation(time.DateOnly, s.To, i18n.Casablanca)
			if err1 != nil || err2 != nil {
				return time.Time{}, time.Time{}, false
			}
			return a.UTC(), b.AddDate(0, 0, 1).UTC(), true
		}
	}
	return time.Time{}, time.Time{}, false
}

// opening is f's hours on weekday iso (1 Monday … 7 Sunday), in minutes.
func (f *Facility) opening(iso int) (int, int, bool) {
	for _, h := range f.Hours {
		if slices.Contains(h.Days, iso) {
			o, ok1 := clock(h.Open)
			c, ok2 := clock(h.Close)
			return o, c, ok1 && ok2
		}
	}
	return 0, 0, false
}

// Limited reports whether the group holds its share only on some days
// or hours.
func (g Group) Limited() bool { return len(g.Days) > 0 || g.From != "" }

// holds reports whether the slot from start to end falls within the
// group's days and hours.
func (g Group) holds(start, end time.Time) bool {
	s, e := local(start), local(end)
	iso := int(s.Weekday())
	if iso == 0 {
		iso = 7
	}
	if len(g.Days) > 0 && !slices.Contains(g.Days, iso) {
		return false
	}
	if g.From == "" {
		return true
	}
	a, _ := clock(g.From)
	b, _ := clock(g.To)
	m := s.Hour()*60 + s.Minute()
	n := e.Hour()*60 + e.Minute()
	if n == 0 && e.After(s) {
		n = 24 * 60
	}
	return m >= a && n <= b
}

// checkCalendar adds to Check the contradictions of the closures, the
// groups' days and hours and the seasons: a closure without a reason, a
// group's hours outside the opening hours, a season quota without a
// season or below a week's or month's quota.
func (f *Facility) checkCalendar(quota map[string]int, bad func(key string, params ...any)) {
	for _, c := range f.Closures {
		if c.Reason.AR == "" && c.Reason.FR == "" && c.Reason.EN == "" {
			bad("booking.rules.closure_reason", "from", c.From, "to", c.To)
		}
	}
	seasons := slices.Clone(f.Seasons)
	slices.SortFunc(seasons, func(a, b Season) int { return strings.Compare(a.From, b.From) })
	for i, s := range seasons {
		a, err1 := time.Parse(time.DateOnly, s.From)
		b, err2 := time.Parse(time.DateOnly, s.To)
		if err1 != nil || err2 != nil || b.Before(a) {
			bad("booking.rules.season", "from", s.From, "to", s.To)
			continue
		}
		if i > 0 && s.From <= seasons[i-1].To {
			bad("booking.rules.season_overlap", "from", s.From, "to", s.To)
		}
	}
	for _, per := range []string{WhoCitizen, WhoAssociation, WhoSchool, WhoTeam} {
		s, ok := quota[per+"/season"]
		if !ok {
			continue
		}
		if len(f.Seasons) == 0 {
			bad("booking.rules.quota_season", "per", per)
		}
		for _, p := range []string{"week", "month"} {
			if n, ok := quota[per+"/"+p]; ok && n > s {
				bad("booking.rules.quota_season_order", "per", per, "period", p, "max", n, "season", s)
			}
		}
	}
	for _, g := range f.Rules.Groups {
		days := map[int]bool{}
		for _, d := range g.Days {
			if d < 1 || d > 7 || days[d] {
				bad("booking.rules.group_days", "group", g.Code)
			}
			days[d] = true
		}
		a, ok1 := clock(g.From)
		b, ok2 := clock(g.To)
		if g.From == "" && g.To == "" {
			a, b = 0, 24*60
		} else if !ok1 || !ok2 || a >= b {
			bad("booking.rules.group_hours_order", "group", g.Code, "from", g.From, "to", g.To)
			continue
		}
		on := g.Days
		if len(on) == 0 {
			on = []int{1, 2, 3, 4, 5, 6, 7}
		}
		for _, d := range on {
			o, c, open := f.opening(d)
			switch {
			case !open && len(g.Days) > 0:
				bad("booking.rules.group_closed", "group", g.Code, "day", d)
			case !open:
			case g.From != "" && (a < o || b > c):
				bad("booking.rules.group_hours", "group", g.Code, "from", g.From, "to", g.To)
			case f.SlotMinutes > 0 && !slotWithin(o, c, f.SlotMinutes, a, b):
				// Not one of the day's slots falls within the group's hours.
				bad("booking.rules.group_hours", "group", g.Code, "from", g.From, "to", g.To)
			}
		}
	}
}

// slotWithin reports whether a slot of n minutes cut from opening o
// (until c) falls within a–b.
func slotWithin(o, c, n, a, b int) bool {
	m := o
	if a > o {
		m = o + (a-o+n-1)/n*n
	}
	return m+n <= min(b, c)
}
