package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// Statistics (issue #15, points 7 and 8): per facility, over a period
// of Casablanca days, the slots offered (the opening hours less the
// closures, as Slots lists them), the slots booked, checked in and
// missed, cancellations, waitlist promotions, how slots were allocated
// and the share of each priority group. Each family of figures is one
// query grouped in the database; the days are Casablanca's
// (db.DateIn). The managers' figures are behind the policy; the daily
// figures of one facility are public and name no one (no holder, no
// token).

// MaxPeriodDays is the longest period the statistics cover.
const MaxPeriodDays = 366

// DefaultPeriodDays is the period shown when none is chosen: the last
// 30 days up to yesterday.
const DefaultPeriodDays = 30

// Period is a span of Casablanca days, both ends included.
type Period struct {
	From calendar.Date `json:"from"`
	To   calendar.Date `json:"to"`
}

// LastDays is the period of the n days up to the day before now's.
func LastDays(now time.Time, n int) Period {
	y := calendar.DateOf(now).AddDays(-1)
	return Period{From: y.AddDays(1 - n), To: y}
}

// Days is how many days p covers.
func (p Period) Days() int { return p.To.Sub(p.From) + 1 }

// bounds are the first instant of p and the first after it.
func (p Period) bounds() (time.Time, time.Time) {
	return p.From.Start().UTC(), p.To.AddDays(1).Start().UTC()
}

// ParsePeriod reads a period from its two dates (YYYY-MM-DD; digits of
// any script); an empty one is def's (or, when def's would come on the
// wrong side of the other, the other's: one day). A date that is not one, an end before
// the start or a period longer than MaxPeriodDays is refused on its
// field ("from", "to").
func ParsePeriod(from, to string, def Period) (Period, error) {
	p := def
	var fe errs.Fields
	read := func(field, v string, dst *calendar.Date) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		d, err := calendar.ParseDate(textnorm.Digits(v))
		if err != nil || !d.Valid() || d.Year < 2000 || d.Year > 2200 {
			_ = fe.Add(errs.E(errs.Invalid, "booking.error.stats_date").OnField(field))
			return
		}
		*dst = d
	}
	read("from", from, &p.From)
	read("to", to, &p.To)
	if err := fe.Err(); err != nil {
		return def, err
	}
	// One date alone beyond the default's other end: that day.
	if strings.TrimSpace(to) == "" && p.From.After(p.To) {
		p.To = p.From
	}
	if strings.TrimSpace(from) == "" && p.To.Before(p.From) {
		p.From = p.To
	}
	if err := p.check(); err != nil {
		return def, err
	}
	return p, nil
}

// check refuses an end before the start and a period longer than
// MaxPeriodDays.
func (p Period) check() error {
	if p.To.Before(p.From) {
		return errs.E(errs.Invalid, "booking.error.stats_order").OnField("to")
	}
	if p.Days() > MaxPeriodDays {
		return errs.E(errs.Invalid, "booking.error.stats_span").With("max", MaxPeriodDays).OnField("from")
	}
	return nil
}

// Counts are the figures of a facility's bookings whose slot falls in a
// period (or a day).
type Counts struct {
	// Offered: the slots the opening hours give, less the closures.
	Offered int `json:"offered"`
	// Booked: the slots someone holds (pending, offered, held, checked
	// in, no-show).
	Booked    int `json:"booked"`
	CheckedIn int `json:"checked_in"`
	NoShows   int `json:"no_shows"`
	// How the booked slots were allocated.
	FirstCome    int `json:"first_come"`
	Drawn        int `json:"draw"`
	FromWaitlist int `json:"waitlist"`
}

// Occupancy is the share of the offered slots booked, nil when none was
// offered.
func (c Counts) Occupancy() *float64 { return ratio(c.Booked, c.Offered) }

// Attendance is the share of the offered slots whose holder checked in.
func (c Counts) Attendance() *float64 { return ratio(c.CheckedIn, c.Offered) }

// NoShowRate is the share of no-shows among the past bookings whose
// outcome is recorded (checked in or no-show).
func (c Counts) NoShowRate() *float64 { return ratio(c.NoShows, c.CheckedIn+c.NoShows) }

func ratio(n, of int) *float64 {
	if of <= 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

// GroupShare is a priority group's part of a facility's booked slots.
type GroupShare struct {
	Code string // "" for the bookings made outside any group
	Name i18n.Text
	// Booked: the slots booked by holders who declared the group.
	Booked int
	// Share of the booked slots, nil when none was booked.
	Share *float64
	// Reserved is the share the rules reserve for the group, in percent
	// (0 for no group, or a group the rules no longer have).
	Reserved int
}

// FacilityStats are one facility's figures over a period.
type FacilityStats struct {
	Facility *Facility
	Counts
	// Cancelled: bookings cancelled by their holder.
	Cancelled int
	// Promotions: waitlist offers made when a slot was freed;
	// PromotionsTaken those confirmed (held since).
	Promotions, PromotionsTaken int
	Groups                      []GroupShare
}

// Stats are an organisation's facilities' figures over a period.
type Stats struct {
	Org        string
	Period     Period
	Facilities []FacilityStats
}

// statsCountsSQL counts, per facility of organisation $1, the bookings
// whose slot starts in [$2, $3).
const statsCountsSQL = `SELECT facility_code,
	SUM(CASE WHEN ` + activeSQL + ` THEN 1 ELSE 0 END),
	SUM(CASE WHEN state = 'checked_in' THEN 1 ELSE 0 END),
	SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
	SUM(CASE WHEN ` + activeSQL + ` AND method = 'first_come' THEN 1 ELSE 0 END),
	SUM(CASE WHEN ` + activeSQL + ` AND method = 'draw' THEN 1 ELSE 0 END),
	SUM(CASE WHEN ` + activeSQL + ` AND method = 'waitlist' THEN 1 ELSE 0 END),
	SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
	SUM(CASE WHEN method = 'waitlist' THEN 1 ELSE 0 END),
	SUM(CASE WHEN method = 'waitlist' AND state IN ('held', 'checked_in', 'no_show') THEN 1 ELSE 0 END)
	FROM bookings WHERE facility_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)
	AND slot_start >= $2 AND slot_start < $3 GROUP BY facility_code`

// statsGroupsSQL counts the booked slots per facility and declared group.
const statsGroupsSQL = `SELECT facility_code, group_code, COUNT(*) FROM bookings
	WHERE facility_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)
	AND slot_start >= $2 AND slot_start < $3 AND ` + activeSQL + ` GROUP BY facility_code, group_code`

// Stats computes the figures of org's facilities (request services
// have no slots and are left out) over p, for one of its managers.
func (s *Service) Stats(ctx context.Context, a authz.Actor, org string, p Period) (*Stats, error) {
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	fs, err := facilities(ctx, s.db, "")
	if err != nil {
		return nil, err
	}
	out := &Stats{Org: org, Period: p}
	at := map[string]int{}
	for _, f := range fs {
		if f.Organisation != org || f.Request() {
			continue
		}
		at[f.Code] = len(out.Facilities)
		out.Facilities = append(out.Facilities, FacilityStats{Facility: f, Counts: Counts{Offered: offered(f, p)}})
	}
	if len(out.Facilities) == 0 {
		return out, nil
	}
	from, to := p.bounds()
	rows, err := s.db.QueryContext(ctx, statsCountsSQL, org, from, to)
	if err != nil {
		return nil, fmt.Errorf("booking: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var c Counts
		var cancelled, promoted, taken int
		if err := rows.Scan(&code, &c.Booked, &c.CheckedIn, &c.NoShows, &c.FirstCome, &c.Drawn, &c.FromWaitlist,
			&cancelled, &promoted, &taken); err != nil {
			return nil, err
		}
		i, ok := at[code]
		if !ok {
			continue
		}
		fst := &out.Facilities[i]
		c.Offered = fst.Offered
		fst.Counts, fst.Cancelled, fst.Promotions, fst.PromotionsTaken = c, cancelled, promoted, taken
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	held := map[string]map[string]int{}
	grows, err := s.db.QueryContext(ctx, statsGroupsSQL, org, from, to)
	if err != nil {
		return nil, fmt.Errorf("booking: stats by group: %w", err)
	}
	defer grows.Close()
	for grows.Next() {
		var code, group string
		var n int
		if err := grows.Scan(&code, &group, &n); err != nil {
			return nil, err
		}
		if held[code] == nil {
			held[code] = map[string]int{}
		}
		held[code][group] = n
	}
	if err := grows.Err(); err != nil {
		return nil, err
	}
	for i := range out.Facilities {
		fst := &out.Facilities[i]
		fst.Groups = groupShares(fst.Facility, held[fst.Facility.Code], fst.Booked)
	}
	return out, nil
}

// groupShares lists f's priority groups (those of its rules, then any
// other group declared in the bookings), then the bookings outside any
// group, each with its share of booked.
func groupShares(f *Facility, held map[string]int, booked int) []GroupShare {
	var out []GroupShare
	for _, g := range f.Rules.Groups {
		out = append(out, GroupShare{Code: g.Code, Name: g.Name, Booked: held[g.Code], Reserved: g.Share})
	}
	var other []string
	for code := range held {
		if code != "" && !slices.ContainsFunc(f.Rules.Groups, func(g Group) bool { return g.Code == code }) {
			other = append(other, code)
		}
	}
	slices.Sort(other)
	for _, code := range other {
		out = append(out, GroupShare{Code: code, Name: i18n.Text{AR: code, FR: code, EN: code}, Booked: held[code]})
	}
	out = append(out, GroupShare{Booked: held[""]})
	for i := range out {
		out[i].Share = ratio(out[i].Booked, booked)
	}
	return out
}

// offered counts f's slots over p, as Slots lists them.
func offered(f *Facility, p Period) int {
	n := 0
	for d := p.From; !d.After(p.To); d = d.AddDays(1) {
		n += len(f.Slots(d))
	}
	return n
}

// Day is one day's public figures of a facility.
type Day struct {
	Date calendar.Date `json:"date"`
	Counts
}

// Daily are a facility's public figures, day by day.
type Daily struct {
	Facility string `json:"facility"`
	Period
	Days []Day `json:"days"`
}

// Totals adds up the days.
func (d *Daily) Totals() Counts {
	var c Counts
	for _, x := range d.Days {
		c.Offered += x.Offered
		c.Booked += x.Booked
		c.CheckedIn += x.CheckedIn
		c.NoShows += x.NoShows
		c.FirstCome += x.FirstCome
		c.Drawn += x.Drawn
		c.FromWaitlist += x.FromWaitlist
	}
	return c
}

// dailySQL counts facility $1's bookings per Casablanca day of their
// slot in [$2, $3); {day} is the day's expression.
const dailySQL = `SELECT {day},
	SUM(CASE WHEN ` + activeSQL + ` THEN 1 ELSE 0 END),
	SUM(CASE WHEN state = 'checked_in' THEN 1 ELSE 0 END),
	SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
	SUM(CASE WHEN ` + activeSQL + ` AND method = 'first_come' THEN 1 ELSE 0 END),
	SUM(CASE WHEN ` + activeSQL + ` AND method = 'draw' THEN 1 ELSE 0 END),
	SUM(CASE WHEN ` + activeSQL + ` AND method = 'waitlist' THEN 1 ELSE 0 END)
	FROM bookings WHERE facility_code = $1 AND slot_start >= $2 AND slot_start < $3 GROUP BY 1`

// Daily gives facility code's figures for each day of p: public, they
// count slots and never name a holder.
func (s *Service) Daily(ctx context.Context, code string, p Period) (*Daily, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	f, _, err := facility(ctx, s.db, code)
	if err != nil {
		return nil, err
	}
	if f.Request() {
		return nil, errs.E(errs.Invalid, "booking.error.request_service")
	}
	out := &Daily{Facility: f.Code, Period: p, Days: make([]Day, 0, p.Days())}
	at := map[string]int{}
	for d := p.From; !d.After(p.To); d = d.AddDays(1) {
		at[d.String()] = len(out.Days)
		out.Days = append(out.Days, Day{Date: d, Counts: Counts{Offered: len(f.Slots(d))}})
	}
	from, to := p.bounds()
	q := strings.Replace(dailySQL, "{day}", db.DateIn(s.db.Dialect(), "slot_start", i18n.Casablanca.String()), 1)
	rows, err := s.db.QueryContext(ctx, q, f.Code, from, to)
	if err != nil {
		return nil, fmt.Errorf("booking: daily figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var c Counts
		if err := rows.Scan(&day, &c.Booked, &c.CheckedIn, &c.NoShows, &c.FirstCome, &c.Drawn, &c.FromWaitlist); err != nil {
			return nil, err
		}
		i, ok := at[day]
		if !ok {
			continue
		}
		c.Offered = out.Days[i].Offered
		out.Days[i].Counts = c
	}
	return out, rows.Err()
}
