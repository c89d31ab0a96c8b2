package permit

import (
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// A committee member gives their organisation's opinion from the file's
// page: a verdict and reasons, then a confirmation that says it will be
// seen at once and cannot be changed. The opinions given show on the
// file's page to the staff who read it.

// opinionsView is the opinions section of a file's page.
type opinionsView struct {
	Given []opinionView
	// Form: the member may give their body's opinion now (Body names it)
	// in round Round (the form carries it: an opinion on plans revised
	// since is refused).
	Form     bool
	Body     string
	Round    int
	Verdicts []option
}

type opinionView struct {
	Body, Verdict, Tag, Reasons, By string
	Round                           int
}

// verdictTags colours each verdict.
var verdictTags = map[string]string{Favourable: "green", Reservations: "yellow", Unfavourable: "red"}

// opinionsSection is the opinions of a dispatched file for a staff reader,
// and the form for a member who may give theirs; nil otherwise.
func (h *FileHandlers) opinionsSection(r *http.Request, a authz.Actor, vw *View, st *pageState, p printer) (*opinionsView, error) {
	if !a.Staff() || vw.File.Family != Urban {
		return nil, nil
	}
	ops, err := h.Service.Opinions(r.Context(), a, vw.File.ID)
	if err != nil {
		return nil, err
	}
	ov := &opinionsView{}
	for _, op := range ops {
		ov.Given = append(ov.Given, opinionView{Round: op.Round, Body: op.Body.Name.Pick(p.l), Verdict: p.t(verdictKey(vw.File) + op.Verdict),
			Tag: verdictTags[op.Verdict], Reasons: op.Reasons,
			By: p.t("permit.opinion.by", "name", op.Member.DisplayName(string(p.l)), "date", i18n.FormatDateTime(p.l, op.GivenAt))})
	}
	if _, body, round, err := h.Service.MayGiveOpinion(r.Context(), a, vw.File.ID); err == nil {
		ov.Form, ov.Body, ov.Round = true, body.Name.Pick(p.l), round
		chosen := ""
		if st.form == "opinion" {
			chosen = st.values.Get("verdict")
		}
		for _, v := range Verdicts {
			ov.Verdicts = append(ov.Verdicts, option{Value: v, Label: p.t(verdictKey(vw.File) + v), Selected: v == chosen})
		}
	}
	if len(ov.Given) == 0 && !ov.Form {
		return nil, nil
	}
	return ov, nil
}

// webOpinionConfirm asks before recording an opinion: what will happen,
// the verdict and reasons to read again. What the form lacks comes back
// to the file's page with the error on its field.
func (h *FileHandlers) webOpinionConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, body, round, err := h.Service.MayGiveOpinion(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	if q.Get("round") != "" && q.Get("round") != strconv.Itoa(round) {
		return h.fail(w, r, v.Actor, id, "opinion", "", errs.E(errs.Conflict, "permit.opinion.error.old_round").
			With("number", f.Display()).With("round", round))
	}
	verdict := q.Get("verdict")
	reasons, err := CheckOpinion(verdict, q.Get("reasons"))
	if err != nil {
		return h.fail(w, r, v.Actor, id, "opinion", "", err)
	}
	p := h.printer(r)
	page := "/files/" + strconv.FormatInt(id, 10)
	c := web.Confirm{
		Title: web.Msg("permit.confirm.opinion.title"),
		Text:  web.Msg("permit.confirm.opinion.text", "body", body.Name.Pick(p.l)),
		Facts: []web.Fact{{Key: web.Msg("permit.confirm.file"), Value: f.Display()},
			{Key: web.Msg("permit.rounds.round"), Value: strconv.Itoa(round)},
			{Key: web.Msg("permit.opinion.verdict"), Value: p.t(verdictKey(f) + verdict)}},
		Hidden:  map[string]string{"verdict": verdict, "reasons": reasons, "round": strconv.Itoa(round)},
		Warning: web.Msg("permit.confirm.opinion.warning"),
		Action:  page + "/opinion",
		Button:  web.Msg("permit.confirm.opinion.button"),
		Back:    page + "?" + url.Values{"verdict": {verdict}}.Encode() + "#opinion-heading",
	}
	if reasons != "" {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.opinion.reasons"), Value: reasons})
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

// webOpinion records the opinion and goes back to the file.
func (h *FileHandlers) webOpinion(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "opinion", "opinion_given", func(a authz.Actor, id int64, _ int) error {
		round, err := strconv.Atoi(r.PostFormValue("round"))
		if err != nil {
			round = 0 // a form from before rounds: the current one
		}
		_, err = h.Service.GiveOpinion(r.Context(), a, id, round, r.PostFormValue("verdict"), r.PostFormValue("reasons"))
		return err
	})
}
