package permit

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ical"
	"madina/internal/platform/web"
)

// Committee sessions on the web (docs/arch/sessions.md): the member's
// /committee page lists their next sessions with their agendas and their
// calendar feed; a session's page lists its files in order with the time
// of each, and offers the window's secretariat to freeze it, from a
// confirmation.

// sessionCard is a session as the pages show it.
type sessionCard struct {
	ID                         int64
	Heading, When, Used, Count string
	Tag, TagKind, Freezes      string
	Frozen                     bool
	Items                      []agendaRow
}

// agendaRow is a file on an agenda.
type agendaRow struct {
	FileID                       int64
	Time, Display, Kind, Minutes string
	Deadline, Why                string
	Late                         bool
}

// sessionCard writes ss in the reader's language.
func (h *FileHandlers) sessionCard(p printer, ss *Session) sessionCard {
	c := sessionCard{ID: ss.ID, Frozen: ss.Frozen(),
		Heading: p.t("permit.sessions.heading", "committee", ss.CatalogueCommittee.Name.Pick(p.l), "date", i18n.FormatDate(p.l, ss.Start)),
		When:    p.t("permit.sessions.when", "start", clock(ss.Start), "end", clock(ss.End)),
		Used:    p.t("permit.sessions.used", "used", ss.Used, "capacity", ss.Capacity),
		Count:   p.t("permit.sessions.count", "count", len(ss.Items)),
		Tag:     p.t("permit.sessions.tag.open"), TagKind: "blue",
		Freezes: p.t("permit.sessions.freezes", "date", i18n.FormatDateTime(p.l, ss.FreezesAt))}
	if c.Frozen {
		c.Tag, c.TagKind, c.Freezes = p.t("permit.sessions.tag.frozen"), "green", ""
	}
	for _, it := range ss.Items {
		row := agendaRow{FileID: it.FileID, Time: clock(it.At), Display: it.Display, Kind: it.Kind,
			Minutes:  p.t("permit.sessions.minutes", "n", it.Minutes),
			Deadline: i18n.FormatDate(p.l, it.Deadline), Late: it.Late,
			Why: p.t("permit.sessions.reason." + string(it.Reason.Code))}
		if k, err := h.Service.cat.Kind(it.Kind); err == nil {
			row.Kind = k.Name.Pick(p.l)
		}
		c.Items = append(c.Items, row)
	}
	return c
}

// clock is a time of day in Casablanca, 24-hour.
func clock(t time.Time) string { return t.In(i18n.Casablanca).Format("15:04") }

// sessionsSection completes the /committee page: the next sessions of
// the visitor's committees (or windows), and their calendar feed.
func (h *FileHandlers) sessionsSection(r *http.Request, a authz.Actor, p printer, sv *studyView) error {
	list, err := h.Service.MySessions(r.Context(), a)
	if err != nil {
		return err
	}
	for _, ss := range list {
		sv.Sessions = append(sv.Sessions, h.sessionCard(p, ss))
	}
	sv.Feed = authz.Decide(a, authz.ManageFeed, authz.Resource{OwnerPerson: a.Person}).Allow
	sv.Minutes, err = h.minutesWaiting(r, a, p)
	return err
}

// sessionPage is a session's page.
type sessionPage struct {
	sessionCard
	CanFreeze bool
	Done      string // the banner's message after an action
	// The minutes once the session sat (files_web_minutes.go): the form
	// to draw them up, or their state.
	Draft   *draftForm
	Minutes *minutesView
}

// webSession shows a session's agenda.
func (h *FileHandlers) webSession(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	ss, err := h.Service.GetSession(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	p := h.printer(r)
	pg := sessionPage{sessionCard: h.sessionCard(p, ss),
		CanFreeze: !ss.Frozen() && ss.Start.After(h.Service.now()) &&
			authz.Decide(v.Actor, authz.ManageAgenda, ss.resource()).Allow}
	if !ss.End.After(h.Service.now()) {
		pg.Tag, pg.TagKind = p.t("permit.sessions.tag.held"), "grey"
	}
	switch r.URL.Query().Get("done") {
	case "frozen":
		pg.Done = p.t("permit.sessions.frozen_done")
	case "minutes":
		pg.Done = p.t("permit.minutes.drafted_done")
	case "signed":
		pg.Done = p.t("permit.minutes.signed_done")
	}
	if err := h.minutesSection(r, v.Actor, p, ss, &pg); err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "permit/sessions", web.Msg("permit.sessions.heading", "committee",
		ss.CatalogueCommittee.Name.Pick(p.l), "date", i18n.FormatDate(p.l, ss.Start)), pg)
	return nil
}

// freezeConfirmation is the page asking to freeze session id.
func (h *FileHandlers) freezeConfirmation(r *http.Request, a authz.Actor, id int64) (web.Confirm, error) {
	ss, err := h.Service.GetSession(r.Context(), a, id)
	if err != nil {
		return web.Confirm{}, err
	}
	if err := authz.Check(a, authz.ManageAgenda, ss.resource()); err != nil {
		return web.Confirm{}, err
	}
	p := h.printer(r)
	page := "/committee/sessions/" + strconv.FormatInt(id, 10)
	c := web.Confirm{
		Title:   web.Msg("permit.sessions.freeze.title", "date", i18n.FormatDateTime(p.l, ss.Start)),
		Text:    web.Msg("permit.sessions.freeze.text"),
		Warning: web.Msg("permit.sessions.freeze.warning"),
		Action:  page + "/freeze",
		Button:  web.Msg("permit.sessions.freeze.confirm"),
		Back:    page,
	}
	card := h.sessionCard(p, ss)
	c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.sessions.col.minutes"), Value: card.Used})
	for _, it := range card.Items {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.sessions.heading", "committee", it.Time, "date", it.Minutes),
			Value: it.Display + " — " + it.Kind})
	}
	if len(card.Items) == 0 {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.sessions.col.file"), Value: p.t("permit.sessions.empty")})
	}
	return c, nil
}

// webFreezeConfirm asks the secretariat to confirm freezing an agenda.
func (h *FileHandlers) webFreezeConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.freezeConfirmation(r, v.Actor, id)
	if err != nil {
		return err
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

// webFreeze freezes an agenda; a refusal (frozen meanwhile by a
// colleague, started, over capacity) shows on the confirmation again.
func (h *FileHandlers) webFreeze(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.Service.FreezeSession(r.Context(), v.Actor, id); err != nil {
		c, cerr := h.freezeConfirmation(r, v.Actor, id)
		if cerr != nil {
			return err
		}
		return h.Web.RenderConfirmError(w, r, c, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/committee/sessions/%d?done=frozen", id), http.StatusSeeOther)
	return nil
}

// webRenewFeed gives the member a new calendar address, shown once.
func (h *FileHandlers) webRenewFeed(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	token, err := h.Service.RenewFeed(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	return h.studies(w, r, v.Actor, studyExtra{FeedURL: h.Service.cfg.BaseURL + "/committee/calendar/" + token + ".ics"})
}

// webFeed serves a member's calendar of sessions (RFC 5545), to whoever
// holds its private address: calendar applications sign in no other way.
func (h *FileHandlers) webFeed(w http.ResponseWriter, r *http.Request) error {
	token := strings.TrimSuffix(r.PathValue("token"), ".ics")
	who, list, err := h.Service.FeedSessions(r.Context(), token)
	if err != nil {
		return err
	}
	p := printer{h.Cat, i18n.Lang(who.Lang)}
	var evs []ical.FeedEvent
	for _, ss := range list {
		var files []string
		for _, it := range ss.Items {
			files = append(files, clock(it.At)+" "+it.Display)
		}
		desc := p.t("permit.sessions.ical.empty")
		if len(files) > 0 {
			desc = p.t("permit.sessions.ical.agenda", "files", p.list(files))
		}
		evs = append(evs, ical.FeedEvent{UID: fmt.Sprintf("session-%d@%s", ss.ID, hostOf(h.Service.cfg.BaseURL)),
			Start: ss.Start, End: ss.End,
			Summary:     p.t("permit.sessions.ical.summary", "committee", ss.CatalogueCommittee.Name.Pick(p.l)),
			Description: desc,
			URL:         h.Service.cfg.BaseURL + "/committee/sessions/" + strconv.FormatInt(ss.ID, 10)})
	}
	b, err := ical.Feed(p.t("permit.sessions.ical.name"), i18n.Casablanca, h.Service.now(), evs)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ical.ContentTypeFeed)
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(b)
	return err
}
