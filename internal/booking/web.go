package booking

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are Casa In's page templates.
var Pages = web.Pages{Prefix: "booking", FS: templates}

// Messages are Casa In's texts in ar, fr and en.
//
//go:embed messages/*.json
var Messages embed.FS

// Places names the arrondissements (district's store).
type Places interface {
	Arrondissements(ctx context.Context) ([]district.Arrondissement, error)
}

// Handlers serve Casa In's pages: plain forms, nothing needs JavaScript.
type Handlers struct {
	Service *Service
	Places  Places
	Cat     *i18n.Catalog
	Web     *web.Renderer
	Resp    *httpx.Responder
	// TrustProxy: the proxy's X-Forwarded-Proto says whether the device
	// cookie is Secure (the platform's setting).
	TrustProxy bool
}

// Routes registers the pages.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /bookings/places", h.places)
	rt.HandleErr("GET /bookings/places/{code}", h.facility)
	rt.HandleErr("POST /bookings/places/{code}", h.act)
	rt.HandleErr("GET /bookings", h.mine)
	rt.HandleErr("GET /bookings/teams", h.teams)
	rt.HandleErr("POST /bookings/teams", h.teamAct)
	rt.HandleErr("GET /bookings/desk", h.desk)
	rt.HandleErr("GET /bookings/desk/stats", h.stats)
	rt.HandleErr("POST /bookings/desk/checkin", h.checkIn)
	rt.HandleErr("POST /bookings/desk/transfer", h.reportTransfer)
	rt.HandleErr("POST /bookings/desk/holder", h.showHolder)
	rt.HandleErr("POST /bookings/desk/{id}", h.decide)
	rt.HandleErr("POST /bookings/ambulance/{id}", h.moveAmbulance)
	rt.HandleErr("GET /bookings/desk/facilities/{code}", h.rules)
	rt.HandleErr("POST /bookings/desk/facilities/{code}", h.saveRules)
	rt.HandleErr("GET /bookings/desk/facilities/{code}/hours", h.hours)
	rt.HandleErr("POST /bookings/desk/facilities/{code}/hours", h.saveHours)
	rt.HandleErr("GET /bookings/desk/facilities/{code}/closures", h.closures)
	rt.HandleErr("POST /bookings/desk/facilities/{code}/closures", h.saveClosures)
	rt.HandleErr("GET /bookings/desk/facilities/{code}/groups", h.groups)
	rt.HandleErr("POST /bookings/desk/facilities/{code}/groups", h.saveGroups)
	// A new facility, at the desk (facilitycreate_web.go).
	rt.HandleErr("GET /bookings/desk/facilities/new", h.newFacility)
	rt.HandleErr("POST /bookings/desk/facilities/new", h.createFacility)
	// The desk's calendar and penalty reviews (calendar_web.go, review_web.go).
	rt.HandleErr("GET /bookings/desk/facilities/{code}/calendar", h.calendar)
	rt.HandleErr("POST /bookings/desk/reviews/{id}", h.decideReview, httpx.Multiline("note_*"))
	rt.HandleErr("POST /bookings/desk/rosters/{id}", h.allocateRoster)
	rt.HandleErr("POST /bookings/desk/rosters/{id}/round", h.allocateRound)
	rt.HandleErr("POST /bookings/rosters/applications/{id}", h.withdrawRoster)
	rt.HandleErr("POST /bookings/rosters/applications/{id}/second", h.applyRound)
	rt.HandleErr("GET /bookings/{id}", h.page)
	rt.HandleErr("POST /bookings/{id}", h.change, httpx.Multiline("reason"))
	// A facility's photos (photosweb.go).
	h.photoRoutes(rt)
}

// signedIn returns the visitor, or sends them to sign in (or to finish
// the second factor) and back.
var signedIn = authz.SignedInOr

func isCitizen(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return v.SignedIn && !v.Pending && !v.Actor.Staff()
}

// notStaff shows the public facilities to visitors and citizens (staff
// book from a personal account).
func notStaff(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return !v.SignedIn || !v.Actor.Staff()
}

func isManager(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return v.SignedIn && !v.Pending && (len(DeskOrgs(v.Actor)) > 0 || len(DispatchOrgs(v.Actor)) > 0)
}

func (h *Handlers) lang(r *http.Request) i18n.Lang { return i18n.FromContext(r.Context()) }

func (h *Handlers) t(r *http.Request, key string, params ...any) string {
	return h.Cat.T(h.lang(r), key, params...)
}

func (h *Handlers) areaName(ctx context.Context, l i18n.Lang, code string) string {
	as, err := h.Places.Arrondissements(ctx)
	if err == nil {
		for _, a := range as {
			if a.Code == code {
				return a.Name.Pick(l)
			}
		}
	}
	return code
}

// joinList joins the items of a list in a sentence of language l.
func joinList(l i18n.Lang, items []string) string { return i18n.JoinList(l, items) }

// hm is a time of day on Casablanca's clock.
func hm(t time.Time) string { return local(t).Format("15:04") }

// when is a slot in words: its date and hours.
func (h *Handlers) when(r *http.Request, start, end time.Time) string {
	return i18n.FormatDate(h.lang(r), start) + " · " + span(hm(start), hm(end))
}

// span is a range of hours ("10:00–11:00") isolated left to right (LRI
// … PDI) for text that may be Arabic, which would read it backwards
// ("11:00–10:00").
func span(from, to string) string { return "\u2066" + from + "–" + to + "\u2069" }

type area struct {
	Code, Name string
	Selected   bool
}

type place struct {
	Code, Name, Kind, Address, Area string
	Free                            int
	Request                         bool
	Capacity                        int
}

func (h *Handlers) places(w http.ResponseWriter, r *http.Request) error {
	l := h.lang(r)
	arr := strings.TrimSpace(r.URL.Query().Get("arrondissement"))
	all, err := h.Service.Facilities(r.Context(), "")
	if err != nil {
		return err
	}
	var areas []area
	for _, f := range all {
		if !slices.ContainsFunc(areas, func(a area) bool { return a.Code == f.Arrondissement }) {
			areas = append(areas, area{Code: f.Arrondissement, Name: h.areaName(r.Context(), l, f.Arrondissement), Selected: f.Arrondissement == arr})
		}
	}
	var rows []place
	for _, f := range all {
		if arr != "" && f.Arrondissement != arr {
			continue
		}
		free, err := h.Service.Free(r.Context(), f, 3)
		if err != nil {
			return err
		}
		rows = append(rows, place{Code: f.Code, Name: f.Name.Pick(l), Kind: h.t(r, "booking.kind."+f.Kind), Address: f.Address.Pick(l),
			Area: h.areaName(r.Context(), l, f.Arrondissement), Free: free, Request: f.Request(), Capacity: f.Capacity})
	}
	h.Web.Render(w, r, http.StatusOK, "booking/places", web.Msg("booking.places.title"), map[string]any{
		"Areas": areas, "Arr": arr, "Rows": rows, "Citizen": isCitizen(r.Context())})
	return nil
}

type slotRow struct {
	Start, Hours, Availability, Tag, Token, Method string
	Book, Enter, Wait                              bool
	Teams                                          []map[string]any // who books: oneself or a team (web_teams.go)
}

func availabilityTag(a string) string {
	switch a {
	case SlotFree:
		return "green"
	case SlotDraw:
		return "blue"
	case SlotTaken, SlotPending:
		return "grey"
	case SlotDrawing:
		return "yellow"
	}
	return "grey"
}

// facilityData builds a facility's page: its facts, the day's slots, its
// rules in words and its public register.
func (h *Handlers) facilityData(r *http.Request, code string) (map[string]any, *Facility, error) {
	l := h.lang(r)
	now := h.Service.clock()
	day := calendar.DateOf(now)
	if q := r.URL.Query().Get("day"); q != "" {
		if t, err := time.ParseInLocation(time.DateOnly, q, i18n.Casablanca); err == nil {
			day = calendar.DateOf(t)
		}
	}
	f, views, err := h.Service.Day(r.Context(), code, day)
	if err != nil {
		return nil, nil, err
	}
	signed := isCitizen(r.Context())
	teams := h.teamChoice(r, f)
	var slots []slotRow
	for _, v := range views {
		sr := slotRow{Start: v.Start.Format(time.RFC3339), Hours: hm(v.Start) + "–" + hm(v.End), Availability: h.t(r, "booking.slot."+v.Availability),
			Tag: availabilityTag(v.Availability), Token: v.Token}
		if v.Method != "" {
			sr.Method = h.t(r, "booking.method."+v.Method)
		}
		if v.Availability == SlotNotYet {
			sr.Availability = h.t(r, "booking.slot.not_yet_at", "date", i18n.FormatDate(l, v.Release)+" "+hm(v.Release))
		}
		sr.Book = signed && v.Availability == SlotFree
		sr.Enter = signed && v.Availability == SlotDraw
		sr.Wait = signed && (v.Availability == SlotTaken || v.Availability == SlotPending)
		if sr.Book || sr.Enter || sr.Wait {
			sr.Teams = teams // a team books, enters a draw or waits too (team_entries.go)
		}
		slots = append(slots, sr)
	}
	var days []map[string]any
	for d := 0; d <= min(f.Rules.HorizonDays, 14); d++ {
		dd := calendar.DateOf(now).AddDays(d) // Casablanca days, not 24 hours apart
		days = append(days, map[string]any{"Value": dd.String(), "Label": i18n.FormatDate(l, dd.At(12, 0)), "Current": dd == day})
	}
	reg, draws, err := h.Service.Register(r.Context(), code)
	if err != nil {
		return nil, nil, err
	}
	var regRows []map[string]string
	for _, x := range reg {
		regRows = append(regRows, map[string]string{"When": i18n.FormatDate(l, x.Start) + " " + hm(x.Start), "Method": h.t(r, "booking.method."+x.Method),
			"Token": x.Token, "State": h.t(r, "booking.state."+string(x.State))})
	}
	var drawRows []map[string]any
	for _, d := range draws {
		drawRows = append(drawRows, map[string]any{"ID": d.ID, "When": i18n.FormatDate(l, d.Start) + " " + hm(d.Start),
			"Closes": i18n.FormatDate(l, d.Closes) + " " + hm(d.Closes), "Hash": d.SeedHash, "Seed": d.Seed, "Drawn": d.State == "drawn"})
	}
	facts := []map[string]string{
		{"Key": h.t(r, "booking.fact.kind"), "Value": h.t(r, "booking.kind."+f.Kind)},
		{"Key": h.t(r, "booking.fact.area"), "Value": h.areaName(r.Context(), l, f.Arrondissement)},
		{"Key": h.t(r, "booking.fact.address"), "Value": f.Address.Pick(l)},
		{"Key": h.t(r, "booking.fact.capacity"), "Value": strconv.Itoa(f.Capacity)},
	}
	var rules []string
	if !f.Request() {
		var who []string
		for _, x := range f.Rules.Who {
			who = append(who, h.t(r, "booking.who."+x))
		}
		rules = append(rules, h.t(r, "booking.rule.who", "who", joinList(l, who)),
			h.t(r, "booking.rule.horizon", "days", f.Rules.HorizonDays, "time", f.Rules.Release),
			h.t(r, "booking.rule.notice", "hours", f.Rules.MinNoticeHours),
			h.t(r, "booking.rule.cancel", "hours", f.Rules.CancelHours),
			h.t(r, "booking.rule.max_future", "max", f.Rules.MaxFuture))
		for _, q := range f.Rules.Quotas {
			rules = append(rules, h.t(r, "booking.rule.quota."+q.Period, "max", q.Max, "who", h.t(r, "booking.who."+q.Per)))
		}
		if f.Rules.Approval {
			rules = append(rules, h.t(r, "booking.rule.approval"))
		}
		if slices.Contains(f.Rules.Who, WhoTeam) {
			rules = append(rules, h.t(r, "booking.rule.team", "min", f.Rules.TeamMin, "need", teamNeed(f.Rules.TeamMin)))
		}
		if p := f.Rules.Peak; p != nil {
			rules = append(rules, h.t(r, "booking.rule.peak", "span", span(p.From, p.To), "hours", p.WindowHours))
		}
		for _, g := range f.Rules.Groups {
			if g.Limited() {
				rules = append(rules, h.t(r, "booking.rule.group_hours", "group", g.Name.Pick(l), "share", g.Share, "when", h.groupWhen(r, g)))
			} else {
				rules = append(rules, h.t(r, "booking.rule.group", "group", g.Name.Pick(l), "share", g.Share))
			}
			if g.Who != "" {
				rules = append(rules, h.t(r, "booking.rule.group_who", "group", g.Name.Pick(l), "who", h.t(r, "booking.who."+g.Who)))
			}
		}
		rules = append(rules, h.calendarRules(r, f, now)...)
	}
	occupancy, err := h.occupancyLine(r, f)
	if err != nil {
		return nil, nil, err
	}
	var groups []map[string]string
	for _, g := range f.Rules.Groups {
		groups = append(groups, map[string]string{"Code": g.Code, "Name": g.Name.Pick(l)})
	}
	var urgencies []map[string]any
	for _, u := range Urgencies {
		urgencies = append(urgencies, map[string]any{"Value": u, "Label": h.t(r, "booking.ambulance.urgency."+u)})
	}
	roster, err := h.rosterFacility(r, f, now)
	if err != nil {
		return nil, nil, err
	}
	// The facility's photos (photosweb.go).
	pics, err := h.photoRows(r, f)
	if err != nil {
		return nil, nil, err
	}
	// Whom a representative books for (schools.go).
	acting, err := h.actingBanner(r, f)
	if err != nil {
		return nil, nil, err
	}
	return map[string]any{"Acting": acting, "Roster": roster, "Urgencies": urgencies, "Code": f.Code, "Name": f.Name.Pick(l), "Facts": facts, "Rules": rules, "Slots": slots, "Days": days, "Photos": pics,
		"Day":      i18n.FormatDate(l, time.Date(day.Year, day.Month, day.Day, 12, 0, 0, 0, i18n.Casablanca)),
		"Register": regRows, "Draws": drawRows, "Request": f.Request(), "SignedIn": signed, "Groups": groups, "Occupancy": occupancy,
		"Lat": f.Lat, "Lon": f.Lon, "NotYetOpen": !f.Request() && len(f.Hours) == 0, "Form": web.Form{Values: url.Values{}}}, f, nil
}

func (h *Handlers) facility(w http.ResponseWriter, r *http.Request) error {
	data, f, err := h.facilityData(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "booking/facility", web.Msg("booking.facility.title", "name", f.Name.Pick(h.lang(r))), data)
	return nil
}

// act books, requests a peak slot in its draw, or joins a waitlist.
func (h *Handlers) act(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := signedIn(w, r, "/bookings/places/"+url.PathEscape(code))
	if v == nil {
		return nil
	}
	if r.PostFormValue("action") == "ambulance" {
		return h.ambulance(w, r, v.Actor, code)
	}
	if r.PostFormValue("action") == "roster" {
		return h.applyRoster(w, r, v.Actor, code)
	}
	start, err := time.Parse(time.RFC3339, r.PostFormValue("start"))
	if err != nil {
		err = errs.E(errs.Invalid, "booking.error.slot")
	}
	in := BookInput{Facility: code, Start: start, Group: r.PostFormValue("group"), From: h.origin(w, r)}
	// Who books, enters or waits: oneself ("") or a team one captains.
	if t := r.PostFormValue("team"); t != "" && err == nil {
		if id, perr := strconv.ParseInt(t, 10, 64); perr == nil && id > 0 {
			in.Team = id
		} else {
			err = errs.E(errs.Invalid, "booking.error.team_not_found")
		}
	}
	var done string
	if err == nil {
		switch r.PostFormValue("action") {
		case "book":
			var b *Booking
			if b, err = h.Service.Book(r.Context(), v.Actor, in); err == nil {
				http.Redirect(w, r, "/bookings/"+strconv.FormatInt(b.ID, 10)+"?done=booked", http.StatusSeeOther)
				return nil
			}
		case "enter":
			done = "entered"
			_, err = h.Service.Enter(r.Context(), v.Actor, in)
		case "wait":
			done = "waiting"
			_, err = h.Service.JoinWaitlist(r.Context(), v.Actor, in)
		default:
			err = errs.E(errs.Invalid, "booking.error.action")
		}
	}
	if err == nil {
		http.Redirect(w, r, "/bookings?done="+done, http.StatusSeeOther)
		return nil
	}
	data, f, derr := h.facilityData(r, code)
	if derr != nil {
		return derr
	}
	if e := errs.As(err); e != nil && e.Field != "" {
		c := *e
		c.Field = "" // the refusal above the slots: the page has no such field
		err = &c
	}
	return h.Web.RenderForm(w, r, "booking/facility", web.Msg("booking.facility.title", "name", f.Name.Pick(h.lang(r))), data,
		web.Form{Values: url.Values{}}, err)
}

type bookingRow struct {
	ID                                int64
	Number, Facility, When, State     string
	Tag, Method, ConfirmBy, HolderFor string
	Cancel, Confirm, Code             bool
}

func stateTag(s State) string {
	switch s {
	case Held, CheckedIn:
		return "green"
	case Pending, Offered:
		return "yellow"
	case NoShow, Refused:
		return "red"
	}
	return "grey"
}

func (h *Handlers) rows(r *http.Request, bs []*Booking) ([]bookingRow, error) {
	l := h.lang(r)
	names := map[string]string{}
	out := make([]bookingRow, 0, len(bs))
	now := h.Service.clock()
	for _, b := range bs {
		if _, ok := names[b.Facility]; !ok {
			f, _, err := h.Service.Facility(r.Context(), b.Facility)
			if err != nil {
				return nil, err
			}
			names[b.Facility] = f.Name.Pick(l)
		}
		row := bookingRow{ID: b.ID, Number: b.Number, Facility: names[b.Facility], When: h.when(r, b.Start, b.End),
			State: h.t(r, "booking.state."+string(b.State)), Tag: stateTag(b.State), Method: h.t(r, "booking.method."+b.Method),
			Cancel:  (b.State == Pending || b.State == Offered || b.State == Held) && b.End.After(now),
			Confirm: b.State == Offered, Code: b.State == Held && b.End.After(now)}
		if b.TransferredAt != nil {
			row.State = h.t(r, "booking.state.transferred")
		}
		if b.ConfirmBy != nil {
			row.ConfirmBy = i18n.FormatDateTime(l, *b.ConfirmBy)
		}
		out = append(out, row)
	}
	return out, nil
}

func doneMessage(name string) string {
	if slices.Contains([]string{"booked", "entered", "waiting", "cancel", "confirm", "approve", "refuse", "checked_in", "ambulance", "moved", "rules",
		"transferred", "contested", "review_upheld", "review_lifted", "team_create", "team_invite", "team_accept", "team_decline", "team_leave",
		"team_remove", "team_handover", "team_dissolve", "player_in", "roster", "roster_allocated",
		"roster_withdrawn", "roster_given_back", "roster_round_allocated"}, name) {
		return "booking.done." + name
	}
	return ""
}

func (h *Handlers) mine(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	bs, err := h.Service.Mine(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	rows, err := h.rows(r, bs)
	if err != nil {
		return err
	}
	l := h.lang(r)
	var places []map[string]any
	if v.Actor.ActingFor == 0 {
		ws, err := h.Service.WaitPlaces(r.Context(), v.Actor)
		if err != nil {
			return err
		}
		for _, p := range ws {
			f, _, err := h.Service.Facility(r.Context(), p.Facility)
			if err != nil {
				return err
			}
			places = append(places, map[string]any{"Facility": f.Name.Pick(l), "When": i18n.FormatDate(l, p.Start) + " " + hm(p.Start), "Place": p.Place,
				"NotDrawn": p.NotDrawn, "Team": p.Team})
		}
	}
	// The draws not held yet one is in: one's own entries, one's teams'.
	var entries []map[string]any
	if v.Actor.ActingFor == 0 {
		es, err := h.Service.Entries(r.Context(), v.Actor)
		if err != nil {
			return err
		}
		for _, p := range es {
			f, _, err := h.Service.Facility(r.Context(), p.Facility)
			if err != nil {
				return err
			}
			entries = append(entries, map[string]any{"Facility": f.Name.Pick(l), "When": i18n.FormatDate(l, p.Start) + " " + hm(p.Start),
				"Closes": i18n.FormatDate(l, p.Closes) + " " + hm(p.Closes), "Team": p.Team, "Player": p.Team != "" && !p.Captain})
		}
	}
	// Penalties: those of the account one acts in (review_web.go).
	pens, others, err := h.minePenalties(r, v.Actor)
	if err != nil {
		return err
	}
	var amb []ambulanceRow
	if v.Actor.ActingFor == 0 {
		as, err := h.Service.MyAmbulanceRequests(r.Context(), v.Actor)
		if err != nil {
			return err
		}
		amb = h.ambulanceRows(r, as)
	}
	// Teams: the invitations to answer and the team slots one plays in.
	var inv []map[string]any
	var played []bookingRow
	teams := authz.Decide(v.Actor, authz.ManageTeam, authz.Resource{OwnerPerson: v.Actor.Person}).Allow
	if teams {
		if inv, err = h.invitationRows(r, v.Actor); err != nil {
			return err
		}
		ps, err := h.Service.Played(r.Context(), v.Actor)
		if err != nil {
			return err
		}
		if played, err = h.rows(r, ps); err != nil {
			return err
		}
	}
	rosters, err := h.rosterMine(r, v.Actor)
	if err != nil {
		return err
	}
	acting, err := h.actingBanner(r, nil)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "booking/mine", web.Msg("booking.mine.title"), map[string]any{
		"Acting": acting, "Rows": rows, "Places": places, "Penalties": pens, "AssociationPenalties": others, "Ambulance": amb, "Done": doneMessage(r.URL.Query().Get("done")),
		"Invitations": inv, "Played": played, "Teams": teams, "Rosters": rosters, "Entries": entries, "Personal": v.Actor.ActingFor == 0,
		"Form": web.Form{Values: url.Values{}}})
	return nil
}

func bookingID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "booking.error.not_found")
	}
	return id, nil
}

func (h *Handlers) page(w http.ResponseWriter, r *http.Request) error {
	id, err := bookingID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	return h.renderPage(w, r, v.Actor, id, http.StatusOK, web.Form{Values: url.Values{}})
}

func (h *Handlers) renderPage(w http.ResponseWriter, r *http.Request, a authz.Actor, id int64, status int, form web.Form) error {
	b, f, err := h.Service.Get(r.Context(), a, id)
	player := false // a co-player of a team slot (teams.go)
	if errs.Is(err, errs.NotFound) {
		if pb, pf, perr := h.Service.PlayerBooking(r.Context(), a, id); perr == nil {
			b, f, err, player = pb, pf, nil, true
		}
	}
	if errs.Is(err, errs.NotFound) {
		// An association's booking read from the wrong account: say so.
		if werr := h.Service.wrongAccount(r.Context(), a, id); werr != nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	rows, err := h.rows(r, []*Booking{b})
	if err != nil {
		return err
	}
	if player {
		rows[0].Cancel, rows[0].Confirm = false, false
		rows[0].Code = (b.State == Held || b.State == CheckedIn) && b.End.After(h.Service.clock())
	}
	teamFacts, err := h.teamFacts(r, b)
	if err != nil {
		return err
	}
	l := h.lang(r)
	data := map[string]any{"B": rows[0], "Facility": f.Code, "Done": doneMessage(r.URL.Query().Get("done")), "Form": form,
		"Facts": []map[string]string{
			{"Key": h.t(r, "booking.fact.facility"), "Value": f.Name.Pick(l)},
			{"Key": h.t(r, "booking.fact.when"), "Value": rows[0].When},
			{"Key": h.t(r, "booking.fact.method"), "Value": rows[0].Method},
			{"Key": h.t(r, "booking.fact.token"), "Value": b.Token},
		}}
	data["Facts"] = append(data["Facts"].([]map[string]string), teamFacts...)
	if !player { // a penalty is its holder's
		if err := h.penaltyFacts(r, a, id, data); err != nil {
			return err
		}
	}
	if rows[0].Code && player {
		if code, until, err := h.Service.PlayerCode(r.Context(), a, id); err == nil {
			data["CheckCode"], data["CodeUntil"], data["QR"] = code, hm(until), qrDataURL(code)
		}
	} else if rows[0].Code && h.Service.own(a, b, f) == nil {
		code, until, err := h.Service.Code(r.Context(), a, id)
		if err == nil {
			data["CheckCode"], data["CodeUntil"] = code, hm(until)
			data["QR"] = qrDataURL(code)
		}
	}
	h.Web.Render(w, r, status, "booking/booking", web.Msg("booking.booking.title", "number", b.Number), data)
	return nil
}

func (h *Handlers) change(w http.ResponseWriter, r *http.Request) error {
	id, err := bookingID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "/bookings/"+strconv.FormatInt(id, 10))
	if v == nil {
		return nil
	}
	act := r.PostFormValue("action")
	switch act {
	case "cancel":
		_, err = h.Service.Cancel(r.Context(), v.Actor, id)
	case "confirm":
		_, err = h.Service.Confirm(r.Context(), v.Actor, id)
	case "contest":
		act, err = "contested", h.Service.Contest(r.Context(), v.Actor, id, r.PostFormValue("reason"))
	default:
		err = errs.E(errs.Invalid, "booking.error.action")
	}
	if err != nil {
		f, ok := h.Web.WithError(r, contestForm(r), err)
		if !ok {
			return err
		}
		return h.renderPage(w, r, v.Actor, id, httpx.Status(errs.KindOf(err)), f)
	}
	http.Redirect(w, r, "/bookings/"+strconv.FormatInt(id, 10)+"?done="+act, http.StatusSeeOther)
	return nil
}

func (h *Handlers) deskData(r *http.Request, a authz.Actor) (map[string]any, error) {
	l := h.lang(r)
	var orgs []map[string]any
	for _, org := range DeskOrgs(a) {
		d, err := h.Service.Desk(r.Context(), a, org)
		if err != nil {
			return nil, err
		}
		pending, err := h.rows(r, d.Pending)
		if err != nil {
			return nil, err
		}
		coming, err := h.rows(r, d.Coming)
		if err != nil {
			return nil, err
		}
		var fs []map[string]string
		for _, f := range d.Facilities {
			fs = append(fs, map[string]string{"Code": f.Code, "Name": f.Name.Pick(l), "Rules": strconv.FormatBool(!f.Request())})
		}
		sg, err := h.Service.Signals(r.Context(), a, org)
		if err != nil {
			return nil, err
		}
		reviews, err := h.reviewRows(r, a, org)
		if err != nil {
			return nil, err
		}
		rosters, err := h.rosterDesk(r, a, d.Facilities)
		if err != nil {
			return nil, err
		}
		orgs = append(orgs, map[string]any{"Name": h.areaName(r.Context(), l, org), "Pending": pending, "Coming": coming, "Facilities": fs,
			"Signals": h.signalRows(r, sg), "Reviews": reviews, "Rosters": rosters})
	}
	var dispatch []map[string]any
	for _, org := range DispatchOrgs(a) {
		q, err := h.Service.DispatchQueue(r.Context(), a, org)
		if err != nil {
			return nil, err
		}
		dispatch = append(dispatch, map[string]any{"Name": h.areaName(r.Context(), l, org), "Rows": h.ambulanceRows(r, q)})
	}
	return map[string]any{"Orgs": orgs, "Dispatch": dispatch, "Managers": len(DeskOrgs(a)) > 0, "Done": doneMessage(r.URL.Query().Get("done")),
		"Form": web.Form{Values: url.Values{}}}, nil
}

func (h *Handlers) desk(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	if len(DeskOrgs(v.Actor)) == 0 && len(DispatchOrgs(v.Actor)) == 0 {
		return authz.Check(v.Actor, authz.ReadBookingDesk, authz.Resource{Org: "-"})
	}
	data, err := h.deskData(r, v.Actor)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "booking/desk", web.Msg("booking.desk.title"), data)
	return nil
}

func (h *Handlers) checkIn(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	code := r.PostFormValue("code")
	b, err := h.Service.CheckIn(r.Context(), v.Actor, code)
	if err != nil {
		data, derr := h.deskData(r, v.Actor)
		if derr != nil {
			return derr
		}
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data, web.Form{Values: url.Values{"code": {code}}}, err)
	}
	done := "checked_in"
	if b.State == Held {
		done = "player_in" // a team slot's player, the quorum not yet reached
	}
	http.Redirect(w, r, "/bookings/desk?done="+done, http.StatusSeeOther)
	return nil
}

func (h *Handlers) decide(w http.ResponseWriter, r *http.Request) error {
	id, err := bookingID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	act := r.PostFormValue("action")
	if act != "approve" && act != "refuse" {
		return errs.E(errs.Invalid, "booking.error.action")
	}
	if _, err := h.Service.Decide(r.Context(), v.Actor, id, act == "approve"); err != nil {
		data, derr := h.deskData(r, v.Actor)
		if derr != nil {
			return derr
		}
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data, web.Form{Values: url.Values{}}, err)
	}
	http.Redirect(w, r, "/bookings/desk?done="+act, http.StatusSeeOther)
	return nil
}

// ambulanceFields are the request form's fields, in its order.
var ambulanceFields = []string{"patient", "address", "lat", "lon", "urgency", "destination", "phone"}

// ambulance files an ambulance request from the service's page.
func (h *Handlers) ambulance(w http.ResponseWriter, r *http.Request, a authz.Actor, code string) error {
	values := url.Values{}
	for _, k := range ambulanceFields {
		values.Set(k, r.PostFormValue(k))
	}
	_, err := h.Service.RequestAmbulance(r.Context(), a, AmbulanceInput{Service: code, Patient: values.Get("patient"),
		Address: values.Get("address"), Lat: values.Get("lat"), Lon: values.Get("lon"), Urgency: values.Get("urgency"),
		Destination: values.Get("destination"), Phone: values.Get("phone")})
	if err == nil {
		http.Redirect(w, r, "/bookings?done=ambulance", http.StatusSeeOther)
		return nil
	}
	data, f, derr := h.facilityData(r, code)
	if derr != nil {
		return derr
	}
	return h.Web.RenderForm(w, r, "booking/facility", web.Msg("booking.facility.title", "name", f.Name.Pick(h.lang(r))), data,
		web.Form{Values: values, Order: ambulanceFields}, err)
}

type ambulanceRow struct {
	ID                                        int64
	Number, Patient, Where, Urgency, UrgTag   string
	Destination, Phone, State, Filed, Vehicle string
	Moves                                     []map[string]string
}

func (h *Handlers) ambulanceRows(r *http.Request, rs []*AmbulanceRequest) []ambulanceRow {
	l := h.lang(r)
	var out []ambulanceRow
	for _, x := range rs {
		where := x.Address
		if x.Lat != nil {
			where = strings.TrimSpace(where + " (" + strconv.FormatFloat(*x.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(*x.Lon, 'f', 5, 64) + ")")
		}
		row := ambulanceRow{ID: x.ID, Number: x.Number, Patient: x.Patient, Where: where, Urgency: h.t(r, "booking.ambulance.urgency."+x.Urgency),
			UrgTag: map[string]string{"critical": "red", "urgent": "yellow"}[x.Urgency], Destination: x.Destination, Phone: x.Phone,
			State: h.t(r, "booking.ambulance.state."+x.State), Filed: i18n.FormatDateTime(l, x.FiledAt), Vehicle: x.Vehicle}
		if row.UrgTag == "" {
			row.UrgTag = "grey"
		}
		for _, to := range ambulanceMoves[x.State] {
			row.Moves = append(row.Moves, map[string]string{"To": to, "Label": h.t(r, "booking.ambulance.move."+to)})
		}
		out = append(out, row)
	}
	return out
}

func (h *Handlers) moveAmbulance(w http.ResponseWriter, r *http.Request) error {
	id, err := bookingID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	vehicle, crew := r.PostFormValue("vehicle"), r.PostFormValue("crew")
	if _, err := h.Service.MoveAmbulance(r.Context(), v.Actor, id, r.PostFormValue("to"), vehicle, crew); err != nil {
		data, derr := h.deskData(r, v.Actor)
		if derr != nil {
			return derr
		}
		if e := errs.As(err); e != nil && e.Field != "" {
			c := *e
			c.Field = ""
			err = &c
		}
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data, web.Form{Values: url.Values{}}, err)
	}
	http.Redirect(w, r, "/bookings/desk?done=moved", http.StatusSeeOther)
	return nil
}

// ruleFields are the rules' form fields, in order.
var ruleFields = []string{"horizon_days", "release", "min_notice_hours", "cancel_hours", "max_future", "confirm_hours",
	"quota_citizen_week", "quota_citizen_month", "quota_citizen_season", "quota_association_week", "quota_association_month",
	"quota_association_season", "quota_school_week", "quota_school_month", "quota_school_season", "peak_window_hours"}

// ruleField puts each contradiction of a rule set on the field to change.
var ruleField = map[string]string{
	"booking.rules.horizon": "horizon_days", "booking.rules.release": "release", "booking.rules.notice_horizon": "min_notice_hours",
	"booking.rules.cancel_horizon": "cancel_hours", "booking.rules.max_future": "max_future", "booking.rules.hours_negative": "confirm_hours",
	"booking.rules.quota": "quota_citizen_week", "booking.rules.quota_who": "quota_association_week",
	"booking.rules.peak_window": "peak_window_hours", "booking.rules.approval_draw": "peak_window_hours",
	"booking.rules.quota_season": "quota_citizen_season", "booking.rules.quota_season_order": "quota_citizen_season",
	"booking.rules.who": "who", "booking.rules.group_who": "who",
}

func rulesForm(f *Facility) url.Values {
	v := url.Values{}
	r := f.Rules
	v.Set("horizon_days", strconv.Itoa(r.HorizonDays))
	v.Set("release", r.Release)
	v.Set("min_notice_hours", strconv.Itoa(r.MinNoticeHours))
	v.Set("cancel_hours", strconv.Itoa(r.CancelHours))
	v.Set("max_future", strconv.Itoa(r.MaxFuture))
	v.Set("confirm_hours", strconv.Itoa(r.ConfirmHours))
	v["who"] = slices.Clone(r.Who)
	for _, q := range r.Quotas {
		v.Set("quota_"+q.Per+"_"+q.Period, strconv.Itoa(q.Max))
	}
	if r.Peak != nil {
		v.Set("peak_window_hours", strconv.Itoa(r.Peak.WindowHours))
	}
	if r.Approval {
		v.Set("approval", "true")
	}
	rosterRulesForm(v, f)
	teamRulesForm(f, v)
	return v
}

func (h *Handlers) renderRules(w http.ResponseWriter, r *http.Request, f *Facility, version int, form web.Form, err error) error {
	var fields []map[string]string
	for _, k := range ruleFields {
		if k == "peak_window_hours" && f.Rules.Peak == nil {
			continue
		}
		fields = append(fields, map[string]string{"Name": k, "Label": h.t(r, "booking.rules.field."+k)})
	}
	if teamRules(f) {
		for _, k := range teamRuleFields {
			fields = append(fields, map[string]string{"Name": k, "Label": h.t(r, "booking.rules.field."+k)})
		}
	}
	// Who books, by choice on the form (a team rule stays as it is:
	// teams.go).
	var whos []map[string]any
	for _, x := range []string{WhoCitizen, WhoAssociation, WhoSchool} {
		whos = append(whos, map[string]any{"Value": x, "Label": h.t(r, "booking.rules.who_opt."+x), "Checked": slices.Contains(form.Values["who"], x)})
	}
	data := map[string]any{"Code": f.Code, "Name": f.Name.Pick(h.lang(r)), "Version": version, "Fields": fields, "Whos": whos,
		"Done": doneMessage(r.URL.Query().Get("done")), "Form": form, "Roster": h.rosterRulesFields(r, f)}
	if !f.Request() {
		data["Tabs"] = h.tabs(r, f.Code, "rules")
	}
	title := web.Msg("booking.rules.title", "name", f.Name.Pick(h.lang(r)))
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/rules", title, data, form, err)
	}
	h.Web.Render(w, r, http.StatusOK, "booking/rules", title, data)
	return nil
}

func (h *Handlers) rules(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	f, version, err := h.Service.Facility(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if err := authz.Check(v.Actor, authz.ManageBooking, authz.Resource{Org: f.Organisation, Arrondissement: f.Arrondissement}); err != nil {
		return err
	}
	return h.renderRules(w, r, f, version, web.Form{Values: rulesForm(f), Order: slices.Concat([]string{"who"}, ruleFields, teamRuleFields, rosterRuleFields)}, nil)
}

func (h *Handlers) saveRules(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := signedIn(w, r, "/bookings/desk/facilities/"+url.PathEscape(code))
	if v == nil {
		return nil
	}
	f, version, err := h.Service.Facility(r.Context(), code)
	if err != nil {
		return err
	}
	values := url.Values{}
	for _, k := range append(slices.Concat(ruleFields, teamRuleFields), "approval") {
		values.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	rules := f.Rules
	values["who"] = slices.DeleteFunc(slices.Clone(rules.Who), func(x string) bool { return x == WhoTeam })
	if r.PostFormValue("who_shown") == "1" {
		// The form shows who books (a form posted without the choice,
		// from before it, keeps who books as it is).
		var who []string
		for _, x := range []string{WhoCitizen, WhoAssociation, WhoSchool} {
			if slices.Contains(r.PostForm["who"], x) {
				who = append(who, x)
			}
		}
		values["who"] = slices.Clone(who)
		if slices.Contains(rules.Who, WhoTeam) {
			who = append(who, WhoTeam)
		}
		rules.Who = who
	}
	form := web.Form{Values: values, Order: slices.Concat([]string{"who"}, ruleFields, teamRuleFields, rosterRuleFields)}
	var fe errs.Fields
	num := func(k string, dst *int) {
		n, err := strconv.Atoi(textnorm.Digits(values.Get(k)))
		if err != nil {
			_ = fe.Add(errs.E(errs.Invalid, "booking.rules.number").OnField(k))
			return
		}
		*dst = n
	}
	num("horizon_days", &rules.HorizonDays)
	num("min_notice_hours", &rules.MinNoticeHours)
	num("cancel_hours", &rules.CancelHours)
	num("max_future", &rules.MaxFuture)
	num("confirm_hours", &rules.ConfirmHours)
	rules.Release = values.Get("release")
	rules.Approval = values.Get("approval") == "true"
	// A team's quotas and minimum, where teams book (web_teamrules.go).
	rules.Quotas = slices.DeleteFunc(slices.Clone(rules.Quotas), func(q Quota) bool { return q.Per != WhoTeam })
	if teamRules(f) {
		readTeamRules(values, &rules, &fe)
	}
	for _, per := range []string{WhoCitizen, WhoAssociation, WhoSchool} {
		for _, period := range QuotaPeriods {
			k := "quota_" + per + "_" + period
			if values.Get(k) == "" {
				continue
			}
			q := Quota{Per: per, Period: period}
			num(k, &q.Max)
			rules.Quotas = append(rules.Quotas, q)
		}
	}
	if rules.Peak != nil {
		p := *rules.Peak
		num("peak_window_hours", &p.WindowHours)
		rules.Peak = &p
	}
	rosterRulesRead(r.PostFormValue, values, &rules, &fe)
	if err := fe.Err(); err != nil {
		return h.renderRules(w, r, f, version, form, err)
	}
	sent, _ := strconv.Atoi(r.PostFormValue("version"))
	if _, err := h.Service.UpdateRules(r.Context(), v.Actor, code, sent, rules); err != nil {
		if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
			// Each contradiction on the field to change.
			var faults []errs.Fault
			for _, ft := range append([]errs.Fault{{Key: e.Key, Params: e.Params}}, e.Faults...) {
				ft.Field = ruleField[ft.Key]
				if tf := teamRuleField(ft); tf != "" {
					ft.Field = tf
				}
				if ft.Key == "booking.rules.quota_season_order" && (ft.Params["per"] == WhoAssociation || ft.Params["per"] == WhoSchool) {
					ft.Field = "quota_" + ft.Params["per"].(string) + "_season"
				}
				if ft.Key == "booking.rules.quota_who" && ft.Params["per"] == WhoSchool {
					ft.Field = "quota_school_week"
				}
				if ft.Field == "" {
					ft.Field = "horizon_days"
				}
				// Who a quota is for, in the reader's words.
				if per, ok := ft.Params["per"].(string); ok {
					ft.Params = maps.Clone(ft.Params)
					ft.Params["per"] = h.t(r, "booking.who."+per)
				}
				faults = append(faults, ft)
			}
			err = (&errs.Error{Kind: errs.Invalid, Key: faults[0].Key, Params: faults[0].Params, Field: faults[0].Field}).WithFaults(faults[1:]...)
		}
		return h.renderRules(w, r, f, version, form, err)
	}
	http.Redirect(w, r, "/bookings/desk/facilities/"+url.PathEscape(code)+"?done=rules", http.StatusSeeOther)
	return nil
}

// DeviceCookie is the device cookie's name: a long-lived random value
// set when a signed-in person first asks for a slot, so that one browser
// used by many accounts shows on the desk's signals. Only a keyed hash
// of it is stored.
const DeviceCookie = "madina_device"

// deviceLen is the length of a device cookie's value (24 random bytes,
// base64url).
const deviceLen = 32

// origin is where the request came from: its device cookie (set now if
// the browser has none, or a malformed one) and the client's address as
// the platform worked it out behind its proxies.
func (h *Handlers) origin(w http.ResponseWriter, r *http.Request) Origin {
	dev := ""
	if ck, err := r.Cookie(DeviceCookie); err == nil && len(ck.Value) == deviceLen {
		if _, err := base64.RawURLEncoding.Strict().DecodeString(ck.Value); err == nil {
			dev = ck.Value
		}
	}
	if dev == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		dev = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{Name: DeviceCookie, Value: dev, Path: "/bookings", MaxAge: 2 * 365 * 24 * 3600,
			HttpOnly: true, Secure: httpx.IsHTTPS(r, h.TrustProxy), SameSite: http.SameSiteLaxMode})
	}
	return Origin{Device: dev, IP: httpx.ClientIP(r)}
}

// signalRows are the desk's signals in words: what was seen, and what
// the manager should check before acting.
func (h *Handlers) signalRows(r *http.Request, sg []Signal) []map[string]string {
	l := h.lang(r)
	names := map[string]string{}
	facility := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		n := code
		if f, _, err := h.Service.Facility(r.Context(), code); err == nil {
			n = f.Name.Pick(l)
		}
		names[code] = n
		return n
	}
	slot := func(t time.Time) string { return i18n.FormatDate(l, t) + " " + hm(t) }
	var out []map[string]string
	for _, s := range sg {
		row := map[string]string{"Check": h.t(r, "booking.signal."+s.Kind+"_check")}
		switch s.Kind {
		case SignalTransfer:
			row["Text"] = h.t(r, "booking.signal.transfer", "number", s.Number, "facility", facility(s.Facility), "slot", slot(s.Slot),
				"name", s.Holder.Pick(l))
			row["Href"] = "/bookings/" + strconv.FormatInt(s.Booking, 10)
		case SignalForOthers:
			row["Text"] = h.t(r, "booking.signal.for_others", "name", s.Holder.Pick(l), "bookings", s.Bookings,
				"associations", s.Associations, "transfers", s.Transfers)
		case SignalSharedDevice:
			row["Text"] = h.t(r, "booking.signal.shared_device", "device", s.Label, "accounts", s.Accounts, "requests", s.Requests)
		case SignalBurst:
			key := "booking.signal.burst_device"
			if s.Network {
				key = "booking.signal.burst_network"
			}
			row["Text"] = h.t(r, key, "label", s.Label, "requests", s.Requests, "accounts", s.Accounts, "facility", facility(s.Facility),
				"slot", slot(s.Slot), "from", hm(s.From), "to", hm(s.To), "date", i18n.FormatDate(l, s.From))
		case SignalSharedPhone:
			row["Text"] = h.t(r, "booking.signal.shared_phone", "phone", s.Phone, "accounts", s.Accounts, "bookings", s.Bookings)
		}
		out = append(out, row)
	}
	return out
}

// reportTransfer refuses a check-in because the person showing the code
// is not the booking's holder (the check-in form's second button).
func (h *Handlers) reportTransfer(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	code := r.PostFormValue("code")
	if _, err := h.Service.ReportTransfer(r.Context(), v.Actor, code); err != nil {
		data, derr := h.deskData(r, v.Actor)
		if derr != nil {
			return derr
		}
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data, web.Form{Values: url.Values{"code": {code}}}, err)
	}
	http.Redirect(w, r, "/bookings/desk?done=transferred", http.StatusSeeOther)
	return nil
}

// showHolder shows, above the check-in form's buttons, the booking the
// typed code names and its holder's names, for the manager to compare
// with the identity document before checking in or reporting a transfer.
func (h *Handlers) showHolder(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "/bookings/desk")
	if v == nil {
		return nil
	}
	code := r.PostFormValue("code")
	form := web.Form{Values: url.Values{"code": {code}}}
	data, err := h.deskData(r, v.Actor)
	if err != nil {
		return err
	}
	ho, err := h.Service.Holder(r.Context(), v.Actor, code)
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/desk", web.Msg("booking.desk.title"), data, form, err)
	}
	rows, err := h.rows(r, []*Booking{ho.Booking})
	if err != nil {
		return err
	}
	data["Form"] = form
	data["Holder"] = []map[string]string{
		{"Key": h.t(r, "booking.col.booking"), "Value": ho.Booking.Number},
		{"Key": h.t(r, "booking.fact.facility"), "Value": rows[0].Facility},
		{"Key": h.t(r, "booking.fact.when"), "Value": rows[0].When},
		{"Key": h.t(r, "booking.col.state"), "Value": rows[0].State},
		{"Key": h.t(r, "booking.desk.holder_ar"), "Value": ho.NameAR},
		{"Key": h.t(r, "booking.desk.holder_latin"), "Value": ho.NameLatin},
	}
	if ho.Player { // a co-player's code: their names (team_checkin.go)
		rows := data["Holder"].([]map[string]string)
		rows[4]["Key"], rows[5]["Key"] = h.t(r, "booking.desk.player_ar"), h.t(r, "booking.desk.player_latin")
	}
	// What staff check at the venue besides the face: the association
	// booked for, and the priority group declared (its proof: a student
	// card for the youth, the school's letter…).
	if l := ho.Booking.HolderLegal; l != 0 {
		name, err := h.Service.LegalName(r.Context(), l)
		if err != nil {
			return err
		}
		data["Holder"] = append(data["Holder"].([]map[string]string), map[string]string{"Key": h.t(r, "booking.desk.holder_for"),
			"Value": name.Pick(h.lang(r))})
	}
	if g := ho.Booking.Group; g != "" {
		label := g
		if i := slices.IndexFunc(ho.Facility.Rules.Groups, func(x Group) bool { return x.Code == g }); i >= 0 {
			label = ho.Facility.Rules.Groups[i].Name.Pick(h.lang(r))
		}
		data["Holder"] = append(data["Holder"].([]map[string]string), map[string]string{"Key": h.t(r, "booking.desk.holder_group"),
			"Value": h.t(r, "booking.desk.holder_group_check", "group", label)})
	}
	h.Web.Render(w, r, http.StatusOK, "booking/desk", web.Msg("booking.desk.title"), data)
	return nil
}
