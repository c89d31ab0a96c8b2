package booking

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// The desk's calendar of a facility (calendar.go), one day per table so
// that a week reads on a phone without scrolling sideways, and the
// week's waitlists with each person's place.

type calendarRow struct {
	Hours, State, Tag, Method, Number, Href string
	Group                                   string // the priority group the booking declared
	Peak                                    bool
	Waiting                                 int
}

type waitlistRow struct {
	When, Offer string
	People      []map[string]any
}

// calendar serves GET /bookings/desk/facilities/{code}/calendar?week=YYYY-MM-DD.
func (h *Handlers) calendar(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	l := h.lang(r)
	day := calendar.DateOf(h.Service.clock())
	if q := strings.TrimSpace(textnorm.Digits(r.URL.Query().Get("week"))); q != "" {
		d, err := calendar.ParseDate(q)
		if err != nil || !d.Valid() {
			return errs.E(errs.Invalid, "booking.calendar.error.week").OnField("week")
		}
		day = d
	}
	wk, err := h.Service.Calendar(r.Context(), v.Actor, r.PathValue("code"), day)
	if err != nil {
		return err
	}
	name := func(ar, latin string) string {
		if l == i18n.AR && ar != "" {
			return ar
		}
		return latin
	}
	var days []map[string]any
	var lines []waitlistRow
	for _, d := range wk.Days {
		noon := d.Date.At(12, 0)
		dd := map[string]any{"ID": "day-" + d.Date.String(), "Label": h.t(r, "booking.day."+strconv.Itoa(isoDay(d.Date))) + " " + i18n.FormatDate(l, noon)}
		if len(d.Cells) == 0 {
			dd["Closed"] = h.t(r, "booking.calendar.closed")
			if d.Closure != nil {
				dd["Closed"] = h.t(r, "booking.calendar.closed_because", "reason", pickAny(d.Closure.Reason, l))
			}
		}
		var rows []calendarRow
		for _, c := range d.Cells {
			row := calendarRow{Hours: hm(c.Start) + "–" + hm(c.End), Peak: c.Peak, Waiting: len(c.Waiting)}
			if b := c.Booking; b != nil {
				row.State, row.Tag = h.t(r, "booking.state."+string(b.State)), stateTag(b.State)
				if b.TransferredAt != nil {
					row.State = h.t(r, "booking.state.transferred")
				}
				row.Number, row.Href, row.Method = b.Number, "/bookings/"+strconv.FormatInt(b.ID, 10), h.t(r, "booking.method."+b.Method)
				if i := slices.IndexFunc(wk.Facility.Rules.Groups, func(g Group) bool { return g.Code == b.Group }); i >= 0 {
					row.Group = wk.Facility.Rules.Groups[i].Name.Pick(l)
				}
			} else {
				row.State, row.Tag = h.t(r, "booking.slot."+c.Availability), availabilityTag(c.Availability)
				if c.Availability == SlotPast {
					row.State = h.t(r, "booking.calendar.past") // for the desk: nobody booked it
				}
			}
			rows = append(rows, row)
			if len(c.Waiting) == 0 && (c.Booking == nil || c.Booking.State != Offered) {
				continue
			}
			line := waitlistRow{When: i18n.FormatDate(l, c.Start) + " · " + span(hm(c.Start), hm(c.End))}
			if b := c.Booking; b != nil && b.State == Offered && b.ConfirmBy != nil {
				line.Offer = h.t(r, "booking.calendar.offer", "name", name(c.HolderAR, c.HolderLatin), "number", b.Number,
					"date", i18n.FormatDateTime(l, *b.ConfirmBy))
			}
			for _, x := range c.Waiting {
				p := map[string]any{"Position": x.Position, "Name": name(x.NameAR, x.NameLatin), "Since": i18n.FormatDateTime(l, x.Since)}
				if x.LegalName != "" {
					p["For"] = x.LegalName
				}
				if x.Team != "" {
					p["Team"] = x.Team
				}
				line.People = append(line.People, p)
			}
			lines = append(lines, line)
		}
		dd["Rows"] = rows
		days = append(days, dd)
	}
	code := url.PathEscape(wk.Facility.Code)
	self := "/bookings/desk/facilities/" + code + "/calendar?week="
	fname := wk.Facility.Name.Pick(l)
	h.Web.Render(w, r, http.StatusOK, "booking/calendar", web.Msg("booking.calendar.title", "name", fname), map[string]any{
		"Name": fname, "Code": wk.Facility.Code, "Days": days, "Waitlists": lines,
		"Week": h.t(r, "booking.calendar.week", "from", i18n.FormatDate(l, wk.From.At(12, 0)),
			"to", i18n.FormatDate(l, wk.From.AddDays(6).At(12, 0))),
		"Prev": self + wk.From.AddDays(-7).String(), "Next": self + wk.From.AddDays(7).String(),
		"This": self + Monday(calendar.DateOf(h.Service.clock())).String()})
	return nil
}

// isoDay is d's weekday, Monday 1 to Sunday 7.
func isoDay(d calendar.Date) int {
	if wd := int(d.Weekday()); wd != 0 {
		return wd
	}
	return 7
}
