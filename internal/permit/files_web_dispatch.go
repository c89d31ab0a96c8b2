package permit

import (
	"net/http"

	"madina/internal/authz"
	"madina/internal/platform/web"
)

// The window dispatches an accepted urban file to its committee from the
// file's page: its button leads to a confirmation listing who Madina
// selected and why; once dispatched, the file's page shows the committee
// to whoever reads the file (bodies, why each sits, the organisation
// holding the seat; staff also see its members by name), and the window's
// agents may add a member with a reason.

// committeeView is the committee section of a file's page.
type committeeView struct {
	Seats  []seatView
	Bodies []option // the bodies an agent may still add
}

// seatView is one body sitting on the file.
type seatView struct {
	Body, Why, Organisation, Members string
}

// seatViews are the rows of seats in the reader's language; members is
// whether to name the organisations' members (staff only).
func (h *FileHandlers) seatViews(p printer, seats []FileSeat, members bool) []seatView {
	out := make([]seatView, 0, len(seats))
	for _, st := range seats {
		sv := seatView{Body: st.Body.Name.Pick(p.l)}
		switch st.Basis {
		case SeatPermanent:
			sv.Why = p.t("permit.dispatch.why.permanent")
		case SeatOccasional:
			sv.Why = st.Reason.Pick(p.l)
		case SeatAdded:
			sv.Why = p.t("permit.dispatch.why.added", "note", st.Note)
		}
		if st.Organisation.Code == "" {
			sv.Organisation = p.t("permit.dispatch.no_organisation")
		} else {
			sv.Organisation = st.Organisation.Name.Pick(p.l)
		}
		if members && len(st.Organisation.Members) > 0 {
			var names []string
			for _, m := range st.Organisation.Members {
				names = append(names, m.DisplayName(string(p.l)))
			}
			sv.Members = p.list(names)
		}
		out = append(out, sv)
	}
	return out
}

// committeeSection is the committee of a dispatched file, nil before.
func (h *FileHandlers) committeeSection(r *http.Request, a authz.Actor, vw *View, p printer) (*committeeView, error) {
	if vw.File.Holder != HolderCommittee && !vw.File.State.Closed() {
		return nil, nil
	}
	seats, err := h.Service.Seats(r.Context(), a, vw.File.ID)
	if err != nil || len(seats) == 0 {
		return nil, err
	}
	staff := a.Staff()
	cv := &committeeView{Seats: h.seatViews(p, seats, staff)}
	if vw.File.State == Accepted && authz.Decide(a, authz.ReviewFile, vw.File.Resource(vw.Kind)).Allow {
		cat, err := h.Service.catalogueOf(r.Context(), h.Service.db, vw.File.CatalogueVersion)
		if err != nil {
			return nil, err
		}
		for _, b := range cat.Bodies() {
			seated := false
			for _, st := range seats {
				seated = seated || st.Body.Code == b.Code
			}
			if !seated {
				cv.Bodies = append(cv.Bodies, option{Value: b.Code, Label: b.Name.Pick(p.l)})
			}
		}
	}
	return cv, nil
}

// dispatchConfirmation completes the dispatch's confirmation: who sits,
// and why.
func (h *FileHandlers) dispatchConfirmation(r *http.Request, a authz.Actor, id int64, c web.Confirm) (web.Confirm, error) {
	_, seats, err := h.Service.DispatchPreview(r.Context(), a, id)
	if err != nil {
		return c, err
	}
	p := h.printer(r)
	for _, sv := range h.seatViews(p, seats, true) {
		value := sv.Why + " — " + sv.Organisation
		if sv.Members != "" {
			value += " (" + sv.Members + ")"
		}
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.dispatch.body", "name", sv.Body), Value: value})
	}
	c.Warning = web.Msg("permit.confirm.dispatch.warning")
	return c, nil
}

func (h *FileHandlers) webDispatch(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, TDispatch, "dispatched", func(a authz.Actor, id int64, version int) error {
		_, err := h.Service.Dispatch(r.Context(), a, id, version)
		return err
	})
}

// webAddMember adds a member to a dispatched file's committee.
func (h *FileHandlers) webAddMember(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "member", "member_added", func(a authz.Actor, id int64, _ int) error {
		_, err := h.Service.AddSeat(r.Context(), a, id, r.PostFormValue("body"), r.PostFormValue("note"))
		return err
	})
}

// studyView is the committee page: the files a member studies, the
// files waiting for a president's decision, the next sessions.
type studyView struct {
	Rows   []studyRowView
	Max    int
	Full   bool // the list stops at Max
	Member bool // a committee member (Rows are theirs to study)
	// Decide: the files waiting for the president's decision.
	President bool
	Decide    []studyRowView
	// The next sessions of the member's committees, and their calendar
	// feed (files_web_sessions.go).
	Sessions []sessionCard
	// Minutes: the sessions whose minutes wait for the visitor, to draw
	// up or to sign (files_web_minutes.go).
	Minutes []minutesRow
	Feed    bool   // may renew their feed
	FeedURL string // the new feed's address, shown once
	// Absences: a committee member's absences to come, and the form to
	// declare one (absences.go).
	Absences *absencesView
	Done     string
	Top      string // the error summary's message
}

type studyRowView struct {
	ID                       int64
	Display, Kind, Committee string
	Address, Arrondissement  string
	Due, Left                string
	Overdue                  bool
}

// webStudies lists the files a committee member's organisations sit on,
// waiting for their study, the most urgent first.
func (h *FileHandlers) webStudies(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	return h.studies(w, r, v.Actor, studyExtra{Done: r.URL.Query().Get("done")})
}

// studyExtra is what a /committee page shows besides the lists: a
// calendar address just made (shown once), a form that failed, a done
// banner.
type studyExtra struct {
	FeedURL string
	Absence *absenceForm // the absence form as posted, with its errors
	Status  int
	Done    string
}

// studies renders the /committee page for a.
func (h *FileHandlers) studies(w http.ResponseWriter, r *http.Request, a authz.Actor, extra studyExtra) error {
	// A window's agent (the secretariat) has no files to study, but
	// sessions.
	rows, err := h.Service.ToStudy(r.Context(), a)
	if err != nil && len(AgentWindows(a)) == 0 {
		return err
	}
	var decide []StudyRow
	if err == nil {
		if decide, err = h.Service.ToDecide(r.Context(), a); err != nil {
			return err
		}
	}
	p := h.printer(r)
	sv := studyView{Max: MaxStudyRows, Full: len(rows) >= MaxStudyRows, Member: a.HasRole(authz.CommitteeMember),
		President: a.HasRole(authz.President), Rows: h.studyRows(r, p, rows), Decide: h.studyRows(r, p, decide)}
	if err := h.sessionsSection(r, a, p, &sv); err != nil {
		return err
	}
	sv.FeedURL = extra.FeedURL
	if err := h.absencesSection(r, a, p, &sv, extra); err != nil {
		return err
	}
	status := http.StatusOK
	if extra.Status != 0 {
		status = extra.Status
	}
	title := web.Msg("permit.studies.title")
	if sv.President && !sv.Member {
		title = web.Msg("permit.studies.decide.heading")
	}
	h.Web.Render(w, r, status, "permit/studies", title, sv)
	return nil
}

// studyRows are rows of the committee's page, in the reader's language.
func (h *FileHandlers) studyRows(r *http.Request, p printer, rows []StudyRow) []studyRowView {
	now := h.Service.now()
	var out []studyRowView
	for _, row := range rows {
		rv := studyRowView{ID: row.ID, Display: row.Display, Kind: row.Kind, Committee: row.Committee}
		if cat, err := h.Service.catalogueOf(r.Context(), h.Service.db, row.CatalogueVersion); err == nil {
			if k, err := cat.Kind(row.Kind); err == nil {
				rv.Kind = k.Name.Pick(p.l)
				for _, hd := range k.Handling {
					if hd.Committee.Code == row.Committee {
						rv.Committee = hd.Committee.Name.Pick(p.l)
					}
				}
			}
		}
		rv.Address = row.Address
		if row.Arrondissement != "" {
			if ar, _, _, err := h.Service.places.Arrondissement(r.Context(), row.Arrondissement); err == nil {
				rv.Arrondissement = ar.Name.Pick(p.l)
			}
		}
		rv.Due, rv.Left, rv.Overdue = h.due(p, row.DueAt, now)
		out = append(out, rv)
	}
	return out
}
