package booking

import (
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The pages of penalty reviews (review.go): the contest form on the
// booking's page, the contested penalties on the desk.

// penaltyFacts adds to a booking page's data the penalty it brought, its
// review, and the contest form when a may still contest it.
func (h *Handlers) penaltyFacts(r *http.Request, a authz.Actor, id int64, data map[string]any) error {
	v, err := h.Service.PenaltyOf(r.Context(), a, id)
	if err != nil || v == nil {
		return err
	}
	l := h.lang(r)
	p := map[string]any{"Reason": h.t(r, "booking.penalty."+v.Penalty.Reason), "Step": v.Step, "At": i18n.FormatDate(l, v.At)}
	if v.SuspendedUntil != nil {
		p["Until"] = i18n.FormatDate(l, *v.SuspendedUntil)
	}
	if v.Review != "" {
		p["Review"] = h.t(r, "booking.review.state."+v.Review)
		p["Grounds"] = v.Grounds
		p["Note"] = v.Note
	}
	if contestStanding(r.Context(), h.Service.db, a, v.Booking) == nil && v.Contestable(h.Service.clock()) {
		p["Contest"] = true
		p["Deadline"] = i18n.FormatDate(l, v.At.AddDate(0, 0, ContestDays))
		p["Max"] = ReviewTextMax
	}
	data["Penalty"] = p
	return nil
}

// minePenalties are the penalties "my space" lists, those of the account
// a acts in (Service.Penalties), and in a's own name the count of the
// penalties the bookings a made for an association or a school brought
// (on its ladder, not a's).
func (h *Handlers) minePenalties(r *http.Request, a authz.Actor) ([]map[string]any, int, error) {
	ps, err := h.Service.Penalties(r.Context(), a)
	if err != nil {
		return nil, 0, err
	}
	l := h.lang(r)
	var out []map[string]any
	for _, p := range ps {
		m := map[string]any{"Step": p.Step, "At": i18n.FormatDate(l, p.At), "Reason": h.t(r, "booking.penalty."+p.Reason),
			"Href": "/bookings/" + strconv.FormatInt(p.Booking, 10)}
		if p.Review != "" {
			m["Review"] = h.t(r, "booking.review.state."+p.Review)
		}
		if p.SuspendedUntil != nil {
			m["Until"] = i18n.FormatDate(l, *p.SuspendedUntil)
		}
		out = append(out, m)
	}
	others := 0
	if a.ActingFor == 0 {
		if others, err = h.Service.AssociationPenalties(r.Context(), a); err != nil {
			return nil, 0, err
		}
	}
	return out, others, nil
}

// reviewRows are org's contested penalties for the desk.
func (h *Handlers) reviewRows(r *http.Request, a authz.Actor, org string) ([]map[string]any, error) {
	vs, err := h.Service.Reviews(r.Context(), a, org)
	if err != nil {
		return nil, err
	}
	l := h.lang(r)
	var out []map[string]any
	for _, v := range vs {
		name := v.HolderLatin
		if l == i18n.AR {
			name = v.HolderAR
		}
		row := map[string]any{"ID": v.Booking.ID, "Number": v.Booking.Number, "Facility": v.Facility.Name.Pick(l),
			"When": h.when(r, v.Booking.Start, v.Booking.End), "Holder": name, "Reason": h.t(r, "booking.penalty."+v.Penalty.Reason),
			"Step": v.Step, "Contested": i18n.FormatDateTime(l, v.ContestedAt), "Grounds": v.Grounds,
			"Field": "note_" + strconv.FormatInt(v.Booking.ID, 10), "Max": ReviewTextMax}
		if v.SuspendedUntil != nil {
			row["Until"] = i18n.FormatDate(l, *v.SuspendedUntil)
		}
		// One the manager is involved in is another manager's to decide:
		// said, rather than a form the policy would refuse.
		if d := authz.Decide(a, authz.ManageBooking, v.resource(v.Booking, v.Facility)); d.Reason == authz.ReasonConflict {
			row["Conflict"] = true
		}
		out = append(out, row)
	}
	return out, nil
}

// decideReview upholds or lifts a contested penalty from the desk.
func (h *Handlers) decideReview(w http.ResponseWriter, r *http.Request) error {
	id, err := bookingID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	field := "note_" + strconv.FormatInt(id, 10)
	note, decision := r.PostFormValue(field), r.PostFormValue("decision")
	if err := h.Service.DecideReview(r.Context(), v.Actor, id, decision, note); err != nil {
		data, derr := h.deskData(r, v.Actor)
		if derr != nil {
			return derr
		}
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data,
			web.Form{Values: url.Values{field: {note}}}, err)
	}
	done := "review_upheld"
	if decision == Lifted {
		done = "review_lifted"
	}
	http.Redirect(w, r, "/bookings/desk?done="+done, http.StatusSeeOther)
	return nil
}

// contestForm keeps what the holder typed when their contest is refused.
func contestForm(r *http.Request) web.Form {
	return web.Form{Values: url.Values{"reason": {r.PostFormValue("reason")}}}
}
