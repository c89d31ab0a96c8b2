package booking

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The season rosters' pages: the application form and the roster's
// register on the facility's page, the applications on "my bookings",
// the rosters and their applications on the desk (roster.go).

// rosterFields are the application form's fields.
var rosterFields = []string{"choice1", "choice2", "choice3"}

// weeklyLabel is a weekly slot in words: "Saturday 17:00".
func (h *Handlers) weeklyLabel(r *http.Request, w WeeklySlot) string {
	return h.t(r, "booking.day."+strconv.Itoa(w.Day)) + " " + w.Time
}

// seasonText is a season in words, from its first to its last day.
func (h *Handlers) seasonText(r *http.Request, s Season) string {
	day := func(d string) string {
		t, err := time.ParseInLocation(time.DateOnly, d, i18n.Casablanca)
		if err != nil {
			return d
		}
		return i18n.FormatDate(h.lang(r), t.Add(12*time.Hour))
	}
	return h.t(r, "booking.roster.season", "from", day(s.From), "to", day(s.To))
}

// rosterFacility is the roster's part of a facility's page: the window
// in words, the application form for a representative acting for their
// association while it is open, and the rosters' public register
// (tokens only). Nil when the facility has no roster.
func (h *Handlers) rosterFacility(r *http.Request, f *Facility, now time.Time) (map[string]any, error) {
	if f.Rules.Roster == nil || f.Request() {
		return nil, nil
	}
	l := h.lang(r)
	out := map[string]any{}
	var windows []string
	for _, s := range f.Seasons {
		o, c, ok := f.RosterWindow(s)
		if !ok || !now.Before(c) {
			continue // past windows: the register keeps their rosters
		}
		windows = append(windows, h.t(r, "booking.roster.window", "season", h.seasonText(r, s),
			"opens", i18n.FormatDateTime(l, o), "closes", i18n.FormatDateTime(l, c)))
	}
	out["Windows"] = windows
	if s, open := f.RosterSeason(now); open {
		out["Open"] = h.seasonText(r, s)
		v := authz.FromContext(r.Context())
		if isCitizen(r.Context()) && v.Actor.ActingFor != 0 {
			var opts []map[string]string
			for _, w := range f.WeeklySlots() {
				opts = append(opts, map[string]string{"Value": w.Key(), "Label": h.weeklyLabel(r, w)})
			}
			var fields []map[string]any
			for i, name := range rosterFields {
				fields = append(fields, map[string]any{"Name": name, "Label": h.t(r, "booking.roster.choice", "n", i+1), "First": i == 0})
			}
			out["Fields"], out["Options"] = fields, opts
		} else if isCitizen(r.Context()) {
			out["ActFor"] = true
		}
	}
	rs, err := h.Service.Rosters(r.Context(), f.Code)
	if err != nil {
		return nil, err
	}
	var reg []map[string]any
	for _, ro := range rs {
		row := map[string]any{"ID": ro.ID, "Season": h.seasonText(r, Season{From: ro.SeasonFrom, To: ro.SeasonTo}), "Hash": ro.SeedHash,
			"Seed": ro.Seed, "Closes": i18n.FormatDateTime(l, ro.Closes), "Allocated": ro.State == "allocated"}
		if ro.State == "allocated" {
			p, err := h.Service.PublishedRoster(r.Context(), ro.ID)
			if err != nil {
				return nil, err
			}
			var res []map[string]any
			for i, tok := range p.Result {
				got := h.t(r, "booking.roster.nothing")
				if w, ok := ParseWeekly(p.Roster.Granted[tok]); ok {
					got = h.weeklyLabel(r, w)
				}
				res = append(res, map[string]any{"Rank": i + 1, "Token": tok, "Granted": got})
			}
			row["Results"] = res
		}
		reg = append(reg, row)
	}
	out["Register"] = reg
	return out, nil
}

// applyRoster records the application sent from a facility's page.
func (h *Handlers) applyRoster(w http.ResponseWriter, r *http.Request, a authz.Actor, code string) error {
	values := url.Values{}
	in := RosterInput{Facility: code}
	var fieldOf []string // the form's field of each choice given
	var err error
	for _, name := range rosterFields {
		v := r.PostFormValue(name)
		values.Set(name, v)
		if v == "" {
			continue
		}
		ws, ok := ParseWeekly(v)
		if !ok {
			err = errs.E(errs.Invalid, "booking.error.roster_slot").OnField(name)
			break
		}
		in.Choices = append(in.Choices, ws)
		fieldOf = append(fieldOf, name)
	}
	if err == nil {
		_, err = h.Service.ApplyRoster(r.Context(), a, in)
		if e := errs.As(err); e != nil && e.Field != "" {
			// The service counts the choices given; the form has gaps.
			c := *e
			if n, _ := strconv.Atoi(c.Field[len("choice"):]); n >= 1 && n <= len(fieldOf) {
				c.Field = fieldOf[n-1]
			}
			err = &c
		}
	}
	if err == nil {
		http.Redirect(w, r, "/bookings?done=roster", http.StatusSeeOther)
		return nil
	}
	data, f, derr := h.facilityData(r, code)
	if derr != nil {
		return derr
	}
	return h.Web.RenderForm(w, r, "booking/facility", web.Msg("booking.facility.title", "name", f.Name.Pick(h.lang(r))), data,
		web.Form{Values: values, Order: rosterFields}, err)
}

// rosterMine lists the applications of the association a acts for,
// with their results, for "my bookings".
func (h *Handlers) rosterMine(r *http.Request, a authz.Actor) ([]map[string]any, error) {
	if a.ActingFor == 0 {
		return nil, nil
	}
	apps, err := h.Service.MyRosterApplications(r.Context(), a)
	if err != nil {
		return nil, err
	}
	rows, err := h.applicationRows(r, apps, false)
	if err != nil {
		return nil, err
	}
	return rows, h.roundRows(r, a, apps, rows)
}

func (h *Handlers) applicationRows(r *http.Request, apps []*Application, names bool) ([]map[string]any, error) {
	l := h.lang(r)
	var out []map[string]any
	fnames := map[string]string{}
	for _, p := range apps {
		if _, ok := fnames[p.Facility]; !ok {
			f, _, err := h.Service.Facility(r.Context(), p.Facility)
			if err != nil {
				return nil, err
			}
			fnames[p.Facility] = f.Name.Pick(l)
		}
		var choices []string
		for _, c := range p.Choices {
			choices = append(choices, h.weeklyLabel(r, c))
		}
		row := map[string]any{"ID": p.ID, "Facility": fnames[p.Facility], "Season": h.seasonText(r, p.Season), "Choices": choices,
			"Token": p.Token, "Rank": p.Rank}
		if names {
			row["Name"] = p.LegalName
		}
		now := h.Service.clock()
		switch {
		case p.Withdrawal == Withdrawn:
			row["State"], row["Tag"] = h.t(r, "booking.roster.withdrawn", "date", i18n.FormatDateTime(l, *p.WithdrawnAt)), "grey"
		case p.State != "allocated":
			row["Withdraw"] = !names && now.Before(p.Closes)
			row["State"], row["Tag"] = h.t(r, "booking.roster.waiting"), "yellow"
		case p.Granted == "":
			row["State"], row["Tag"] = h.t(r, "booking.roster.not_granted"), "grey"
		default:
			w, _ := p.GrantedSlot()
			row["State"], row["Tag"] = h.t(r, "booking.roster.granted", "slot", h.weeklyLabel(r, w)), "green"
			row["Weeks"] = h.t(r, "booking.roster.weeks", "booked", p.Booked, "closed", p.Closed)
			end, _ := time.ParseInLocation(time.DateOnly, p.Season.To, i18n.Casablanca)
			if p.Withdrawal == GivenBack {
				row["GivenBack"] = h.t(r, "booking.roster.given_back", "date", i18n.FormatDateTime(l, *p.WithdrawnAt), "n", p.Cancelled)
			} else {
				row["GiveBack"] = !names && now.Before(end.AddDate(0, 0, 1))
			}
			var taken []string
			for _, t := range p.Taken {
				taken = append(taken, i18n.FormatDate(l, t)+" "+hm(t))
			}
			if len(taken) > 0 {
				row["Taken"] = h.t(r, "booking.roster.taken", "dates", joinList(l, taken))
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// rosterDesk lists the rosters of an organisation's facilities with
// their applications, for its managers.
func (h *Handlers) rosterDesk(r *http.Request, a authz.Actor, fs []*Facility) ([]map[string]any, error) {
	l := h.lang(r)
	now := h.Service.clock()
	var out []map[string]any
	for _, f := range fs {
		if f.Rules.Roster == nil {
			continue
		}
		rs, err := h.Service.Rosters(r.Context(), f.Code)
		if err != nil {
			return nil, err
		}
		for _, ro := range rs {
			_, apps, err := h.Service.RosterApplications(r.Context(), a, ro.ID)
			if err != nil {
				return nil, err
			}
			rows, err := h.applicationRows(r, apps, true)
			if err != nil {
				return nil, err
			}
			row := map[string]any{"ID": ro.ID, "Facility": f.Name.Pick(l),
				"Season": h.seasonText(r, Season{From: ro.SeasonFrom, To: ro.SeasonTo}), "Closes": i18n.FormatDateTime(l, ro.Closes),
				"Allocated": ro.State == "allocated", "Due": ro.State == "open" && !now.Before(ro.Closes), "Rows": rows}
			// The second round: its window, each application's choices
			// and result beside the first round's, and the desk's button
			// once the window has closed (the clock allocates it too).
			round, second, err := h.Service.DeskRound(r.Context(), a, ro.ID)
			if err != nil {
				return nil, err
			}
			if round != nil {
				row["Round"] = map[string]any{"Closes": i18n.FormatDateTime(l, round.Closes), "Allocated": round.State == "allocated",
					"Due": round.State == "open" && !now.Before(round.Closes), "Applications": len(second)}
				for i, p := range apps {
					if x, ok := second[p.ID]; ok {
						rows[i]["Second"] = h.secondText(r, x)
					}
				}
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// allocateRoster allocates a roster from the desk, officially.
func (h *Handlers) allocateRoster(w http.ResponseWriter, r *http.Request) error {
	return h.allocateAtDesk(w, r, h.Service.AllocateRoster, "roster_allocated")
}

// allocateAtDesk runs allocate (a roster's first or second round) on the
// roster the path names, for the signed-in manager, and goes back to the
// desk saying done; a refusal is shown on the desk.
func (h *Handlers) allocateAtDesk(w http.ResponseWriter, r *http.Request,
	allocate func(context.Context, authz.Actor, int64) (*Published, error), done string) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "booking.error.roster")
	}
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	if _, err := allocate(r.Context(), v.Actor, id); err != nil {
		data, derr := h.deskData(r, v.Actor)
		if derr != nil {
			return derr
		}
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data, web.Form{Values: url.Values{}}, err)
	}
	http.Redirect(w, r, "/bookings/desk?done="+done, http.StatusSeeOther)
	return nil
}

// withdrawRoster withdraws an application, or gives back its weekly
// slot, from "my bookings" (roster_withdraw.go).
func (h *Handlers) withdrawRoster(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "booking.error.roster_application")
	}
	v := signedIn(w, r, "/bookings")
	if v == nil {
		return nil
	}
	app, err := h.Service.WithdrawRoster(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/bookings?done=roster_"+app.Withdrawal, http.StatusSeeOther)
	return nil
}

func (h *Handlers) apiRoster(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "booking.error.roster")
	}
	p, err := h.Service.PublishedRoster(r.Context(), id)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, p)
	return nil
}
