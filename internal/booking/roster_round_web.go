package booking

import (
	"net/http"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// roundRows adds to the association's roster rows (rosterMine) the
// second round: its form while open for an application the first round
// gave nothing, or the second-round application and its result.
func (h *Handlers) roundRows(r *http.Request, a authz.Actor, apps []*Application, rows []map[string]any) error {
	mine, err := h.Service.MyRounds(r.Context(), a)
	if err != nil {
		return err
	}
	now := h.Service.clock()
	for i, p := range apps {
		if p.State != "allocated" || p.Granted != "" || p.Withdrawal != "" {
			continue
		}
		if x, ok := mine[p.ID]; ok {
			rows[i]["Second"] = h.secondText(r, x)
			continue
		}
		ro, offer, err := h.Service.RoundOffer(r.Context(), p.Roster)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if ro.State != "open" || !now.Before(ro.Closes) {
			continue
		}
		var opts []map[string]string
		for _, w := range offer {
			opts = append(opts, map[string]string{"Value": w.Key(), "Label": h.weeklyLabel(r, w)})
		}
		var fields []map[string]any
		for j, name := range rosterFields {
			fields = append(fields, map[string]any{"Name": name, "ID": "second-" + strconv.FormatInt(p.ID, 10) + "-" + name,
				"Label": h.t(r, "booking.roster.choice", "n", j+1), "First": j == 0})
		}
		rows[i]["Round"] = map[string]any{"App": p.ID, "Closes": i18n.FormatDateTime(h.lang(r), ro.Closes), "Options": opts, "Fields": fields}
	}
	return nil
}

// secondText is a second-round application as "my bookings" and the
// desk show it: its choices, and where it stands.
func (h *Handlers) secondText(r *http.Request, x *RoundApplication) map[string]any {
	var choices []string
	for _, c := range x.Choices {
		choices = append(choices, h.weeklyLabel(r, c))
	}
	state := h.t(r, "booking.roster.waiting")
	if w, ok := ParseWeekly(x.Granted); ok {
		state = h.t(r, "booking.roster.granted", "slot", h.weeklyLabel(r, w)) + " — " +
			h.t(r, "booking.roster.weeks", "booked", x.Booked, "closed", 0)
	} else if x.Rank > 0 {
		state = h.t(r, "booking.roster.nothing")
	}
	return map[string]any{"Choices": choices, "State": state}
}

// allocateRound allocates a roster's second round from the desk,
// officially (AllocateRound: never one who represents an applicant).
func (h *Handlers) allocateRound(w http.ResponseWriter, r *http.Request) error {
	return h.allocateAtDesk(w, r, h.Service.AllocateRound, "roster_round_allocated")
}

// applyRound records a second-round application sent from "my
// bookings".
func (h *Handlers) applyRound(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "booking.error.roster_application")
	}
	v := signedIn(w, r, "/bookings")
	if v == nil {
		return nil
	}
	var choices []WeeklySlot
	for _, name := range rosterFields {
		s := r.PostFormValue(name)
		if s == "" {
			continue
		}
		ws, ok := ParseWeekly(s)
		if !ok {
			return errs.E(errs.Invalid, "booking.error.roster_slot").OnField(name)
		}
		choices = append(choices, ws)
	}
	if _, err := h.Service.ApplyRound(r.Context(), v.Actor, id, choices); err != nil {
		return err
	}
	http.Redirect(w, r, "/bookings?done=roster", http.StatusSeeOther)
	return nil
}
