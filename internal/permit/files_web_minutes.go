package permit

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// Session minutes on the web (minutes.go): once a session sat, its page
// offers the window's secretariat the attendance form; ticking who was
// present leads to a confirmation listing them and each file's outcome,
// which draws the minutes. Then the page shows the minutes' state — who
// signed, who has yet to — and their PDF, and offers each member present,
// then the president, to sign them with their PIN from a confirmation.
// The /committee page lists the minutes waiting for the visitor.

// minutesView is the minutes section of a session's page.
type minutesView struct {
	Tag, TagKind string
	Drafted      string
	Present      []attendeeRow
	Items        []minutesItemRow
	CanSign      bool
	SignRole     string
}

type attendeeRow struct {
	Name, Organisation, Signed string
}

type minutesItemRow struct {
	FileID           int64
	Display, Outcome string
	Round            int
}

// draftForm is the attendance form of a session that sat.
type draftForm struct {
	Seats []draftSeat
}

type draftSeat struct {
	Organisation string
	Members      []draftMember
}

type draftMember struct {
	ID   int64
	Name string
}

// minutesSection completes a session's page with its minutes, or the
// form to draw them up.
func (h *FileHandlers) minutesSection(r *http.Request, a authz.Actor, p printer, ss *Session, pg *sessionPage) error {
	ctx := r.Context()
	m, err := h.Service.minutesOf(ctx, h.Service.db, ss.ID)
	if err != nil {
		return err
	}
	if m == nil {
		if roster, err := h.Service.DraftRoster(ctx, a, ss, nil); err == nil {
			f := &draftForm{}
			for _, st := range roster {
				ds := draftSeat{Organisation: st.Organisation.Name.Pick(p.l)}
				for _, who := range st.Members {
					ds.Members = append(ds.Members, draftMember{ID: who.ID, Name: who.DisplayName(string(p.l))})
				}
				f.Seats = append(f.Seats, ds)
			}
			pg.Draft = f
		}
		return nil
	}
	mv := &minutesView{Drafted: p.t("permit.minutes.drafted", "date", i18n.FormatDateTime(p.l, m.DraftedAt))}
	switch waiting := len(m.Waiting()); {
	case m.SignedAt != nil:
		mv.Tag, mv.TagKind = p.t("permit.minutes.tag.signed"), "green"
	case waiting > 0:
		mv.Tag, mv.TagKind = p.t("permit.minutes.tag.members", "count", waiting), "yellow"
	default:
		mv.Tag, mv.TagKind = p.t("permit.minutes.tag.president"), "blue"
	}
	for _, at := range m.Present {
		row := attendeeRow{Name: at.Person.DisplayName(string(p.l)), Organisation: at.Organisation.Name.Pick(p.l),
			Signed: p.t("permit.minutes.not_signed")}
		if at.SignedAt != nil {
			row.Signed = p.t("permit.minutes.signed_at", "date", i18n.FormatDateTime(p.l, *at.SignedAt))
		}
		mv.Present = append(mv.Present, row)
	}
	for _, it := range m.Items {
		mv.Items = append(mv.Items, minutesItemRow{FileID: it.FileID, Display: it.Display, Round: it.Round,
			Outcome: p.t("permit.minutes.outcome." + it.Outcome)})
	}
	if role, err := MinutesRole(a, ss, m); err == nil {
		mv.CanSign, mv.SignRole = true, role
	}
	pg.Minutes = mv
	// The files the session studied are the minutes' (the adjourned ones
	// left its agenda for a later session).
	pg.Count = p.t("permit.sessions.count", "count", len(m.Items))
	return nil
}

// presentOf reads the ticked members of the attendance form.
func presentOf(v url.Values) ([]int64, error) {
	var out []int64
	for _, s := range v["present"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, errs.E(errs.Invalid, "permit.minutes.error.not_member").OnField("present")
		}
		out = append(out, id)
	}
	return out, nil
}

// draftConfirmation is the page asking to draw up session id's minutes
// with the members ticked present.
func (h *FileHandlers) draftConfirmation(r *http.Request, a authz.Actor, id int64, present []int64) (web.Confirm, error) {
	ss, roster, err := h.Service.MayDraftMinutes(r.Context(), a, id)
	if err != nil {
		return web.Confirm{}, err
	}
	p := h.printer(r)
	page := "/committee/sessions/" + strconv.FormatInt(id, 10)
	c := web.Confirm{
		Title:        web.Msg("permit.minutes.draft.title", "date", i18n.FormatDate(p.l, ss.Start)),
		Text:         web.Msg("permit.minutes.draft.text"),
		Warning:      web.Msg("permit.minutes.draft.warning"),
		Action:       page + "/minutes",
		Button:       web.Msg("permit.minutes.draft.confirm"),
		Back:         page,
		HiddenValues: url.Values{},
	}
	for _, st := range roster {
		for _, who := range st.Members {
			for _, id := range present {
				if id == who.ID {
					c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.minutes.present_fact", "organisation",
						st.Organisation.Name.Pick(p.l)), Value: who.DisplayName(string(p.l))})
					c.HiddenValues["present"] = append(c.HiddenValues["present"], strconv.FormatInt(id, 10))
				}
			}
		}
	}
	card := h.sessionCard(p, ss)
	for _, it := range card.Items {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.minutes.file_fact", "number", it.Display), Value: it.Kind})
	}
	return c, nil
}

// webDraftConfirm asks the secretariat to confirm the attendance.
func (h *FileHandlers) webDraftConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	present, perr := presentOf(r.URL.Query())
	c, err := h.draftConfirmation(r, v.Actor, id, present)
	if err != nil {
		return err
	}
	if perr == nil && len(present) == 0 {
		perr = errs.E(errs.Invalid, "permit.minutes.error.nobody").OnField("present")
	}
	if perr != nil {
		c.Action, c.Button = "", web.Message{}
		return h.Web.RenderConfirmError(w, r, c, perr)
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

// webDraftMinutes draws up the minutes.
func (h *FileHandlers) webDraftMinutes(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "error.bad_request")
	}
	present, err := presentOf(r.PostForm)
	if err == nil {
		_, err = h.Service.DraftMinutes(r.Context(), v.Actor, id, present)
	}
	if err != nil {
		c, cerr := h.draftConfirmation(r, v.Actor, id, present)
		if cerr != nil {
			return err
		}
		return h.Web.RenderConfirmError(w, r, c, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/committee/sessions/%d?done=minutes", id), http.StatusSeeOther)
	return nil
}

// minutesSignConfirmation is the page asking a member present, or the
// president, to sign session id's minutes with their PIN.
func (h *FileHandlers) minutesSignConfirmation(r *http.Request, a authz.Actor, id int64) (web.Confirm, error) {
	ss, m, role, err := h.Service.MaySignMinutes(r.Context(), a, id)
	if err != nil {
		return web.Confirm{}, err
	}
	p := h.printer(r)
	page := "/committee/sessions/" + strconv.FormatInt(id, 10)
	c := web.Confirm{
		Title:   web.Msg("permit.minutes.sign.title", "date", i18n.FormatDate(p.l, ss.Start)),
		Text:    web.Msg("permit.minutes.sign.text." + role),
		Warning: web.Msg("permit.minutes.sign.warning"),
		Action:  page + "/minutes/sign",
		Button:  web.Msg("permit.minutes.sign.confirm"),
		Back:    page,
		Inputs:  []web.Input{{Name: "pin", Type: "password", Label: "permit.confirm.pin", Autocomplete: "off"}},
	}
	c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.minutes.document"), Value: p.t("permit.minutes.download_hint"),
		Href: page + "/minutes.pdf", Action: web.Msg("permit.minutes.read")})
	for _, it := range m.Items {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.minutes.file_fact", "number", it.Display),
			Value: p.t("permit.minutes.outcome." + it.Outcome)})
	}
	c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.confirm.signature"), Value: p.t("permit.minutes.pin_hint")})
	return c, nil
}

func (h *FileHandlers) webSignMinutesConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.minutesSignConfirmation(r, v.Actor, id)
	if err != nil {
		return err
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

// webSignMinutes signs the minutes; a wrong PIN comes back to the
// confirmation.
func (h *FileHandlers) webSignMinutes(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.Service.SignMinutes(r.Context(), v.Actor, id, r.PostFormValue("pin")); err != nil {
		c, cerr := h.minutesSignConfirmation(r, v.Actor, id)
		if cerr != nil {
			return err
		}
		return h.Web.RenderConfirmError(w, r, c, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/committee/sessions/%d?done=signed", id), http.StatusSeeOther)
	return nil
}

// webMinutesPDF sends the minutes as they stand.
func (h *FileHandlers) webMinutesPDF(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	b, name, err := h.Service.MinutesPDF(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(b)
	return nil
}

// minutesRow is a session whose minutes wait for the visitor.
type minutesRow struct {
	ID               int64
	Heading, Waiting string
}

// minutesWaiting lists, on /committee, the minutes the visitor has to
// draw up or sign.
func (h *FileHandlers) minutesWaiting(r *http.Request, a authz.Actor, p printer) ([]minutesRow, error) {
	var out []minutesRow
	draft, err := h.Service.MinutesToDraft(r.Context(), a)
	if err != nil {
		return nil, err
	}
	for _, ss := range draft {
		out = append(out, minutesRow{ID: ss.ID, Heading: h.sessionCard(p, ss).Heading, Waiting: p.t("permit.minutes.waiting.draft")})
	}
	sign, err := h.Service.MinutesToSign(r.Context(), a)
	if err != nil {
		return nil, err
	}
	for _, ss := range sign {
		out = append(out, minutesRow{ID: ss.ID, Heading: h.sessionCard(p, ss).Heading, Waiting: p.t("permit.minutes.waiting.sign")})
	}
	return out, nil
}
