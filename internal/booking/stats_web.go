package booking

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The statistics' page at the desk, the occupancy line of the public
// register and the public daily figures (JSON).

// percent writes a share in the reader's language ("33,3 %", "33.3%"),
// "—" when there is none.
func (h *Handlers) percent(r *http.Request, v *float64) string {
	if v == nil {
		return "—"
	}
	s := strings.TrimSuffix(strconv.FormatFloat(math.Round(*v*1000)/10, 'f', 1, 64), ".0")
	if h.lang(r) != i18n.EN {
		s = strings.Replace(s, ".", ",", 1)
	}
	return h.t(r, "booking.stats.percent", "n", s)
}

// dayLabel is a Casablanca date in words.
func dayLabel(l i18n.Lang, d calendar.Date) string { return i18n.FormatDate(l, d.At(12, 0)) }

type statShare struct{ Name, Slots, Share, Reserved string }

// statFacility is a facility's figures in words: counts with their
// shares.
type statFacility struct {
	Code, Name                                     string
	Offered, Booked, CheckedIn, NoShows, Cancelled string
	Promotions, FirstCome, Drawn, FromWaitlist     string
	Groups                                         []statShare
}

func (h *Handlers) statFacility(r *http.Request, f FacilityStats) statFacility {
	l := h.lang(r)
	n := strconv.Itoa
	with := func(count int, share *float64) string {
		return h.t(r, "booking.stats.count_share", "n", count, "share", h.percent(r, share))
	}
	out := statFacility{Code: f.Facility.Code, Name: f.Facility.Name.Pick(l), Offered: n(f.Offered),
		Booked: with(f.Booked, f.Occupancy()), CheckedIn: with(f.CheckedIn, f.Attendance()), NoShows: with(f.NoShows, f.NoShowRate()),
		Cancelled: n(f.Cancelled), Promotions: h.t(r, "booking.stats.promotions_value", "offers", f.Promotions, "confirmed", f.PromotionsTaken),
		FirstCome: with(f.FirstCome, ratio(f.FirstCome, f.Booked)), Drawn: with(f.Drawn, ratio(f.Drawn, f.Booked)),
		FromWaitlist: with(f.FromWaitlist, ratio(f.FromWaitlist, f.Booked))}
	for _, g := range f.Groups {
		s := statShare{Name: g.Name.Pick(l), Slots: n(g.Booked), Share: h.percent(r, g.Share), Reserved: "—"}
		if g.Code == "" {
			s.Name = h.t(r, "booking.stats.no_group")
		}
		if g.Reserved > 0 {
			v := float64(g.Reserved) / 100
			s.Reserved = h.percent(r, &v)
		}
		out.Groups = append(out.Groups, s)
	}
	return out
}

// statsPeriods are the ready-made periods: the last 7 and 30 days, and
// last month.
func (h *Handlers) statsPeriods(r *http.Request, now time.Time) []map[string]string {
	today := calendar.DateOf(now)
	first := calendar.MakeDate(today.Year, today.Month, 1)
	lastMonth := Period{From: calendar.MakeDate(today.Year, today.Month-1, 1), To: first.AddDays(-1)}
	var out []map[string]string
	for _, x := range []struct {
		key string
		p   Period
	}{{"last_week", LastDays(now, 7)}, {"last_30", LastDays(now, DefaultPeriodDays)}, {"last_month", lastMonth}} {
		out = append(out, map[string]string{"Label": h.t(r, "booking.stats."+x.key),
			"Href": "/bookings/desk/stats?" + url.Values{"from": {x.p.From.String()}, "to": {x.p.To.String()}}.Encode()})
	}
	return out
}

// stats is the facility managers' statistics page: a table per facility
// of each organisation they manage, over the period chosen.
func (h *Handlers) stats(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	orgs := DeskOrgs(v.Actor)
	if len(orgs) == 0 {
		return authz.Check(v.Actor, authz.ReadBookingDesk, authz.Resource{Org: "-"})
	}
	l := h.lang(r)
	now := h.Service.clock()
	q := r.URL.Query()
	p, perr := ParsePeriod(q.Get("from"), q.Get("to"), LastDays(now, DefaultPeriodDays))
	values := url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}}
	if perr == nil {
		values = url.Values{"from": {p.From.String()}, "to": {p.To.String()}}
	}
	form := web.Form{Values: values, Order: []string{"from", "to"}}
	data := map[string]any{"Periods": h.statsPeriods(r, now), "Form": form}
	title := web.Msg("booking.stats.title")
	if perr != nil {
		return h.Web.RenderForm(w, r, "booking/stats", title, data, form, perr)
	}
	var out []map[string]any
	for _, org := range orgs {
		st, err := h.Service.Stats(r.Context(), v.Actor, org, p)
		if err != nil {
			return err
		}
		var fs []statFacility
		for _, f := range st.Facilities {
			fs = append(fs, h.statFacility(r, f))
		}
		out = append(out, map[string]any{"Name": h.areaName(r.Context(), l, org), "Facilities": fs})
	}
	data["Orgs"] = out
	data["From"], data["To"] = dayLabel(l, p.From), dayLabel(l, p.To)
	h.Web.Render(w, r, http.StatusOK, "booking/stats", title, data)
	return nil
}

// occupancyLine is the public register's summary of the last 30 days.
func (h *Handlers) occupancyLine(r *http.Request, f *Facility) (string, error) {
	if f.Request() {
		return "", nil
	}
	d, err := h.Service.Daily(r.Context(), f.Code, LastDays(h.Service.clock(), DefaultPeriodDays))
	if err != nil {
		return "", err
	}
	c := d.Totals()
	return h.t(r, "booking.register.occupancy", "booked", c.Booked, "offered", c.Offered, "percent", h.percent(r, c.Occupancy()),
		"no_shows", c.NoShows), nil
}

// apiDaily gives a facility's public figures day by day (?from=&to=,
// the last 30 days up to yesterday by default).
func (h *Handlers) apiDaily(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := ParsePeriod(q.Get("from"), q.Get("to"), LastDays(h.Service.clock(), DefaultPeriodDays))
	if err != nil {
		return err
	}
	d, err := h.Service.Daily(r.Context(), r.PathValue("code"), p)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, d)
	return nil
}
