package permit

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The rounds of an urban file on its page (rounds.go, decide.go): the
// committee's conclusion for the staff; the secretariat's remarks form,
// or its forwarding to the president; the president's decision; the
// remarks and answers of every round for whoever reads the file, with
// the applicant's answers and the way back to the committee.

// roundsView is the rounds section of a file's page.
type roundsView struct {
	Conclusion *conclusionView
	// Drafts: the secretariat consolidates the remarks (one per opinion).
	Drafts  []remarkDraftView
	Forward bool   // the secretariat forwards the conclusion to the president
	Decide  string // the president's transition (TGrant, TReject), "" when not theirs
	Rounds  []roundRemarks
	// Revised: for each round after the first, the documents the
	// applicant uploaded for it (the versions it studies), with the one
	// each replaces: the comparison of one round's file with the last.
	Revised []roundVersions
	Answer  bool // the applicant answers the last round's remarks now
	Revise  bool // and may send the file back to the committee
}

type conclusionView struct {
	Round, Outcome, Tag, Date string
	Grounds                   []groundView
	Silences                  string
	Source                    string
}

type groundView struct {
	Body, Rule, Reasons string
}

type remarkDraftView struct {
	Index      int
	Body, Name string
	Text       string
	Err        string
}

type roundRemarks struct {
	Round   int
	Title   string
	Remarks []remarkView
}

type roundVersions struct {
	Title string
	Docs  []revisedDoc
}

type revisedDoc struct {
	Item, Name, URL, Date string
	Version               int
	Replaces              string // the name of the version it replaces ("" for a new item)
	ReplacesURL           string
}

type remarkView struct {
	ID                         int64
	Position                   int
	Body, Text, Answer, Sent   string
	Answered, Unanswered, Open bool
}

// outcomeTags colours a round's outcome.
var outcomeTags = map[string]string{catalogue.OutcomeGrant: "green", catalogue.OutcomeRefuse: "red", catalogue.OutcomeRemarks: "yellow"}

// roundsSection builds the rounds section of urban file vw for a; nil
// when there is nothing to show.
func (h *FileHandlers) roundsSection(r *http.Request, a authz.Actor, vw *View, st *pageState, p printer) (*roundsView, error) {
	f := vw.File
	if f.Family != Urban || f.State == Draft || f.State == Submitted || f.State == Returned || f.State == Withdrawn {
		return nil, nil
	}
	ctx := r.Context()
	rv := &roundsView{Forward: vw.Can[TForward], Answer: vw.Can[TRevise], Revise: vw.Can[TRevise]}
	if vw.Can[TGrant] {
		rv.Decide = TGrant
	} else if vw.Can[TReject] {
		rv.Decide = TReject
	}
	if a.Staff() && !f.Tacit {
		c, err := h.Service.Conclusion(ctx, a, f.ID)
		if err != nil {
			return nil, err
		}
		if c != nil {
			cv := &conclusionView{Round: strconv.Itoa(c.Round.N), Outcome: p.t("permit.rounds.outcome." + c.Outcome),
				Tag: outcomeTags[c.Outcome], Source: c.Rule.Source.Short.Pick(p.l)}
			if c.Round.ClosedAt != nil {
				cv.Date = i18n.FormatDateTime(p.l, *c.Round.ClosedAt)
			}
			for _, g := range c.Grounds {
				cv.Grounds = append(cv.Grounds, groundView{Body: g.Body.Name.Pick(p.l),
					Rule: p.t("permit.rounds.ground." + g.Rule), Reasons: g.Reasons})
			}
			var names []string
			for _, b := range c.Silences {
				names = append(names, b.Name.Pick(p.l))
			}
			if len(names) > 0 {
				cv.Silences = p.list(names)
			}
			rv.Conclusion = cv
		}
	}
	if vw.Can[TRemarks] {
		_, drafts, err := h.Service.RemarkDrafts(ctx, a, f.ID)
		if err != nil {
			return nil, err
		}
		for i, d := range drafts {
			dv := remarkDraftView{Index: i, Body: d.Body, Name: h.Service.bodyTerm(ctx, f, d.Body).Name.Pick(p.l), Text: d.Text}
			if st.form == TRemarks {
				dv.Text = st.values.Get("remark-" + strconv.Itoa(i))
			}
			rv.Drafts = append(rv.Drafts, dv)
		}
	}
	rs, err := h.Service.Remarks(ctx, a, f.ID)
	if err != nil {
		return nil, err
	}
	last := 0
	for _, rm := range rs {
		last = max(last, rm.Round)
	}
	for _, rm := range rs {
		if len(rv.Rounds) == 0 || rv.Rounds[len(rv.Rounds)-1].Round != rm.Round {
			rv.Rounds = append(rv.Rounds, roundRemarks{Round: rm.Round, Title: p.t("permit.rounds.remarks_of", "round", rm.Round)})
		}
		v := remarkView{ID: rm.ID, Position: rm.Position, Body: rm.Body.Name.Pick(p.l), Text: rm.Text, Answer: rm.Answer,
			Sent: i18n.FormatDate(p.l, rm.SentAt), Answered: rm.AnsweredAt != nil}
		v.Open = rv.Answer && rm.Round == last
		v.Unanswered = v.Open && !v.Answered
		if v.Open && st.form == "answers" {
			v.Answer = st.values.Get("answer-" + strconv.FormatInt(rm.ID, 10))
		}
		rr := &rv.Rounds[len(rv.Rounds)-1]
		rr.Remarks = append(rr.Remarks, v)
	}
	// Sending back is offered once every remark of the last round has
	// its answer (the service refuses it before).
	for _, rr := range rv.Rounds {
		for _, rm := range rr.Remarks {
			if rm.Open && !rm.Answered {
				rv.Revise = false
			}
		}
	}
	if rv.Revised, err = h.revisedVersions(r, a, p, vw); err != nil {
		return nil, err
	}
	if rv.Conclusion == nil && len(rv.Drafts) == 0 && !rv.Forward && rv.Decide == "" && len(rv.Rounds) == 0 {
		return nil, nil
	}
	return rv, nil
}

// drafts reads the remarks the secretariat typed: remark-N and body-N.
func draftsFrom(v url.Values) []RemarkDraft {
	var out []RemarkDraft
	for i := 0; i < 50; i++ {
		body := v.Get("body-" + strconv.Itoa(i))
		if body == "" {
			break
		}
		out = append(out, RemarkDraft{Body: body, Text: v.Get("remark-" + strconv.Itoa(i))})
	}
	return out
}

// webRemarksConfirm asks before sending the remarks: who is told, each
// remark to read again.
func (h *FileHandlers) webRemarksConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	c, err := h.confirmation(r, v.Actor, id, TRemarks, q.Get("version"), web.Form{Values: url.Values{}})
	if err != nil {
		return err
	}
	drafts := draftsFrom(q)
	n := 0
	for i, d := range drafts {
		text := strings.TrimSpace(d.Text)
		c.Hidden["body-"+strconv.Itoa(i)], c.Hidden["remark-"+strconv.Itoa(i)] = d.Body, text
		if text != "" {
			n++
			c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.rounds.remark_n", "n", n), Value: text})
		}
	}
	if n == 0 {
		return h.fail(w, r, v.Actor, id, TRemarks, "", errs.E(errs.Invalid, "permit.rounds.error.no_remark").OnField("remark-0"))
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

func (h *FileHandlers) webRemarks(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, TRemarks, "remarks_sent", func(a authz.Actor, id int64, version int) error {
		if err := r.ParseForm(); err != nil {
			return errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err)
		}
		_, err := h.Service.SendRemarks(r.Context(), a, id, version, draftsFrom(r.PostForm))
		return err
	})
}

// webAnswers saves the applicant's answers (answer-ID fields).
func (h *FileHandlers) webAnswers(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "answers", "answers_saved", func(a authz.Actor, id int64, _ int) error {
		if err := r.ParseForm(); err != nil {
			return errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err)
		}
		answers := map[int64]string{}
		for k, vs := range r.PostForm {
			if rest, ok := strings.CutPrefix(k, "answer-"); ok {
				rid, err := strconv.ParseInt(rest, 10, 64)
				if err != nil || len(vs) != 1 {
					return errs.E(errs.Invalid, "permit.rounds.error.remark")
				}
				answers[rid] = vs[0]
			}
		}
		return h.Service.AnswerRemarks(r.Context(), a, id, answers)
	})
}

func (h *FileHandlers) webRevise(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, TRevise, "revised", func(a authz.Actor, id int64, version int) error {
		_, err := h.Service.Revise(r.Context(), a, id, version)
		return err
	})
}

func (h *FileHandlers) webForward(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, TForward, "forwarded", func(a authz.Actor, id int64, version int) error {
		_, err := h.Service.Forward(r.Context(), a, id, version)
		return err
	})
}

// webDecidePermit takes the president's decision (TGrant or TReject)
// from its confirmation; a wrong PIN comes back to it.
func (h *FileHandlers) webDecidePermit(name, done string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := h.signedIn(w, r)
		if v == nil {
			return nil
		}
		id, err := fileID(r, "id")
		if err != nil {
			return err
		}
		_, c, err := h.Service.MayDecidePermit(r.Context(), v.Actor, id)
		if err == nil && c.Transition() != name {
			err = errs.E(errs.Conflict, "permit.rounds.error.outcome")
		}
		if err == nil {
			_, err = h.Service.DecidePermit(r.Context(), v.Actor, id, formVersion(r), r.PostFormValue("pin"))
		}
		if err != nil {
			return h.confirmFailed(w, r, v.Actor, id, name, err)
		}
		redirectDone(w, r, id, done)
		return nil
	}
}

// roundsConfirmation completes the confirmation of a round's steps: the
// conclusion forwarded or decided on, the answers sent, and for the
// president the PIN of their key (or the seal's note).
func (h *FileHandlers) roundsConfirmation(r *http.Request, a authz.Actor, id int64, name string, c web.Confirm) (web.Confirm, error) {
	p := h.printer(r)
	switch name {
	case TForward, TGrant, TReject:
		cv, err := h.Service.Conclusion(r.Context(), a, id)
		if err != nil || cv == nil {
			return c, err
		}
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.rounds.conclusion"),
			Value: p.t("permit.rounds.outcome."+cv.Outcome) + " — " + p.t("permit.rounds.round_n", "round", cv.Round.N)})
		for _, g := range cv.Grounds {
			c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.rounds.ground_fact", "body", g.Body.Name.Pick(p.l),
				"rule", p.t("permit.rounds.ground."+g.Rule)), Value: g.Reasons})
		}
		if name == TForward {
			break
		}
		if h.Service.SignsDecisions(r.Context(), a) {
			c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.confirm.signature"), Value: p.t("permit.confirm.pin_hint")})
			c.Inputs = append(c.Inputs, web.Input{Name: "pin", Type: "password", Label: "permit.confirm.pin", Autocomplete: "off"})
		} else if h.Service.SealsDecisions() {
			c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.confirm.signature"), Value: p.t("permit.confirm.seal_hint")})
		}
	case TRevise:
		rs, err := h.Service.Remarks(r.Context(), a, id)
		if err != nil {
			return c, err
		}
		last, open := 0, 0
		for _, rm := range rs {
			last = max(last, rm.Round)
		}
		for _, rm := range rs {
			if rm.Round == last && rm.AnsweredAt == nil {
				open++
			}
		}
		if open > 0 {
			return c, errs.E(errs.Invalid, "permit.rounds.error.unanswered").With("count", open).OnField("answers")
		}
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.rounds.next"), Value: strconv.Itoa(last + 1)})
	}
	return c, nil
}

// revisedVersions lists, for each round after the first, the documents
// uploaded between the previous round's conclusion and its opening: the
// revised versions the committee studied again, each with the version it
// replaced.
func (h *FileHandlers) revisedVersions(r *http.Request, a authz.Actor, p printer, vw *View) ([]roundVersions, error) {
	rounds, err := h.Service.Rounds(r.Context(), a, vw.File.ID)
	if err != nil {
		return nil, err
	}
	page := "/files/" + strconv.FormatInt(vw.File.ID, 10)
	name := func(item string) string {
		for _, d := range vw.Kind.Documents {
			if d.Code == item {
				return d.Name.Pick(p.l)
			}
		}
		return item
	}
	var out []roundVersions
	for i := 1; i < len(rounds); i++ {
		prev := rounds[i-1]
		if prev.ClosedAt == nil {
			continue
		}
		rv := roundVersions{Title: p.t("permit.rounds.revised_for", "round", rounds[i].N)}
		for _, d := range vw.Documents {
			if !d.UploadedAt.After(*prev.ClosedAt) || d.UploadedAt.After(rounds[i].OpenedAt) {
				continue
			}
			doc := revisedDoc{Item: name(d.Item), Name: d.Name, Version: d.Version, Date: i18n.FormatDate(p.l, d.UploadedAt),
				URL: page + "/documents/" + strconv.FormatInt(d.ID, 10)}
			for _, o := range vw.Documents {
				if o.Item == d.Item && o.Version == d.Version-1 {
					doc.Replaces, doc.ReplacesURL = o.Name, page+"/documents/"+strconv.FormatInt(o.ID, 10)
				}
			}
			rv.Docs = append(rv.Docs, doc)
		}
		if len(rv.Docs) == 0 {
			rv.Docs = nil
		}
		out = append(out, rv)
	}
	return out, nil
}
