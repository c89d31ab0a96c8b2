package booking

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The "my teams" page (/bookings/teams): create a team, invite, see its
// members; answer the invitations; leave or remove.

// pickName is a person's name in the reader's language.
func pickName(l i18n.Lang, latin, ar string) string {
	if l == i18n.AR && ar != "" {
		return ar
	}
	if latin == "" {
		return ar
	}
	return latin
}

func (h *Handlers) invitationRows(r *http.Request, a authz.Actor) ([]map[string]any, error) {
	l := h.lang(r)
	vs, err := h.Service.Invitations(r.Context(), a)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, v := range vs {
		out = append(out, map[string]any{"ID": v.ID, "Team": v.TeamName, "Captain": pickName(l, v.Captain, v.CaptainAR),
			"Members": v.Members, "At": i18n.FormatDate(l, v.InvitedAt)})
	}
	return out, nil
}

func (h *Handlers) teamsData(r *http.Request, a authz.Actor) (map[string]any, error) {
	l := h.lang(r)
	ts, err := h.Service.Teams(r.Context(), a)
	if err != nil {
		return nil, err
	}
	var teams []map[string]any
	for _, t := range ts {
		var ms []map[string]any
		accepted := 0
		for _, m := range t.Members {
			row := map[string]any{"ID": m.ID, "Invited": m.State == MemberInvited, "Captain": m.Person == t.Captain,
				"Name": pickName(l, m.Name, m.NameAR), "Email": m.Email, "Me": m.Person == a.Person}
			if m.State == MemberAccepted {
				accepted++
			}
			ms = append(ms, row)
		}
		teams = append(teams, map[string]any{"ID": t.ID, "Name": t.Name, "Captain": t.Captain == a.Person, "Members": ms,
			"Accepted": accepted})
	}
	inv, err := h.invitationRows(r, a)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Teams": teams, "Invitations": inv, "Done": doneMessage(r.URL.Query().Get("done")),
		"Form": web.Form{Values: url.Values{}}}, nil
}

func (h *Handlers) teams(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	data, err := h.teamsData(r, v.Actor)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "booking/team", web.Msg("booking.teams.title"), data)
	return nil
}

// teamAct creates a team, invites, answers an invitation, leaves or
// removes a member.
func (h *Handlers) teamAct(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "/bookings/teams")
	if v == nil {
		return nil
	}
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	act := r.PostFormValue("action")
	values := url.Values{}
	var err error
	switch act {
	case "create":
		values.Set("name", r.PostFormValue("name"))
		_, err = h.Service.CreateTeam(ctx, v.Actor, r.PostFormValue("name"))
	case "invite":
		err = h.Service.Invite(ctx, v.Actor, id, r.PostFormValue("email"))
	case "accept", "decline":
		err = h.Service.Answer(ctx, v.Actor, id, act == "accept")
	case "leave":
		err = h.Service.Leave(ctx, v.Actor, id)
	case "remove":
		err = h.Service.Remove(ctx, v.Actor, id)
	case "handover":
		err = h.Service.HandOver(ctx, v.Actor, id)
	case "dissolve":
		if r.PostFormValue("confirm") != "true" {
			err = errs.E(errs.Invalid, "booking.error.team_dissolve_confirm")
		} else {
			err = h.Service.Dissolve(ctx, v.Actor, id)
		}
	default:
		err = errs.E(errs.Invalid, "booking.error.action")
	}
	if e := errs.As(err); e != nil && e.Field != "" && act != "create" {
		c := *e
		c.Field = "" // one form per team or member: the refusal above them
		err = &c
	}
	if err == nil {
		http.Redirect(w, r, "/bookings/teams?done=team_"+act, http.StatusSeeOther)
		return nil
	}
	data, derr := h.teamsData(r, v.Actor)
	if derr != nil {
		return derr
	}
	return h.Web.RenderForm(w, r, "booking/team", web.Msg("booking.teams.title"), data, web.Form{Values: values, Order: []string{"name"}}, err)
}

// teamChoice is the facility page's choice of who books a slot: oneself
// (when citizens book there) or one of the teams one captains (when
// teams do); nil when there is no choice to make.
func (h *Handlers) teamChoice(r *http.Request, f *Facility) []map[string]any {
	v := authz.FromContext(r.Context())
	// Teams book from a personal account: acting for an association or
	// a school, the team choice is not offered (the service refuses it).
	if !isCitizen(r.Context()) || v.Actor.ActingFor != 0 || !slices.Contains(f.Rules.Who, WhoTeam) {
		return nil
	}
	ts, err := h.Service.CaptainOf(r.Context(), v.Actor)
	if err != nil || len(ts) == 0 {
		return nil
	}
	var out []map[string]any
	if slices.Contains(f.Rules.Who, WhoCitizen) {
		out = append(out, map[string]any{"Value": "", "Label": h.t(r, "booking.facility.myself")})
	}
	for _, t := range ts {
		out = append(out, map[string]any{"Value": strconv.FormatInt(t.ID, 10), "Label": t.Name})
	}
	return out
}

// teamFacts are a team booking's lines on its page: the team and who of
// its players has checked in.
func (h *Handlers) teamFacts(r *http.Request, b *Booking) ([]map[string]string, error) {
	ts, ok, err := h.Service.TeamSlot(r.Context(), b.ID)
	if err != nil || !ok {
		return nil, err
	}
	return []map[string]string{
		{"Key": h.t(r, "booking.fact.team"), "Value": ts.TeamName},
		{"Key": h.t(r, "booking.fact.players"), "Value": h.t(r, "booking.team.checked_in", "in", len(ts.In), "players", len(ts.Players),
			"need", ts.Need)},
	}, nil
}
