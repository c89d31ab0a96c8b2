package permit

import (
	"net/http"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// "Which permit do I need?": a few questions in everyday words, one per
// page, answered by links (no script), ending at the procedure.

// whichAnswer is an answer: another question, or the kinds it leads to.
type whichAnswer struct {
	Code  string
	Next  string   // the next question
	Kinds []string // the procedures it leads to
}

// whichQuestions are the questions by code; "start" is the first.
var whichQuestions = map[string][]whichAnswer{
	"start": {
		{Code: "build", Kinds: []string{"building"}},
		{Code: "works", Kinds: []string{"repair"}},
		{Code: "business", Next: "business"},
		{Code: "sign", Kinds: []string{"billboard"}},
		{Code: "finished", Next: "finished"},
		{Code: "land", Next: "land"},
		{Code: "housing", Kinds: []string{"housing_group"}},
		{Code: "demolish", Kinds: []string{"demolition"}},
		{Code: "regularise", Kinds: []string{"regularisation"}},
		{Code: "antenna", Kinds: []string{"telecom_equipment"}},
	},
	"business": {
		{Code: "classified", Kinds: []string{"classified_establishment"}},
		{Code: "small", Kinds: []string{"auto_entrepreneur"}},
	},
	"finished": {
		{Code: "home", Kinds: []string{"habitation"}},
		{Code: "other", Kinds: []string{"conformity"}},
	},
	"land": {
		{Code: "lots", Kinds: []string{"subdivision"}},
		{Code: "split", Kinds: []string{"land_division"}},
	},
}

type whichLink struct{ Text, Href string }

type whichResult struct{ Code, Name, Description string }

type whichView struct {
	Question string
	Answers  []whichLink
	Results  []whichResult
	Back     string
}

// whichPage asks question ?q= (start by default), or, with ?a=, follows
// the answer to the next question or to the procedures.
func (h *Handlers) whichPage(w http.ResponseWriter, r *http.Request) error {
	p := printer{h.Cat, i18n.FromContext(r.Context())}
	q := r.URL.Query().Get("q")
	if q == "" {
		q = "start"
	}
	answers, ok := whichQuestions[q]
	if !ok {
		return errs.E(errs.NotFound, "")
	}
	v := whichView{}
	if q != "start" {
		v.Back = "/procedures/which"
	}
	if a := r.URL.Query().Get("a"); a != "" {
		i := -1
		for j, ans := range answers {
			if ans.Code == a {
				i = j
			}
		}
		if i < 0 {
			return errs.E(errs.NotFound, "")
		}
		ans := answers[i]
		if ans.Next != "" {
			http.Redirect(w, r, "/procedures/which?q="+ans.Next, http.StatusSeeOther)
			return nil
		}
		v.Back = "/procedures/which?q=" + q
		v.Question = p.t("permit.which.result")
		for _, code := range ans.Kinds {
			if k, err := h.Catalogue.Kind(code); err == nil {
				v.Results = append(v.Results, whichResult{Code: k.Code, Name: k.Name.Pick(p.l), Description: k.Description.Pick(p.l)})
			}
		}
		h.Web.RenderStatic(w, r, "permit/which", web.Msg("permit.which.title"), v)
		return nil
	}
	v.Question = p.t("permit.which.q." + q)
	for _, ans := range answers {
		v.Answers = append(v.Answers, whichLink{Text: p.t("permit.which.a." + q + "." + ans.Code),
			Href: "/procedures/which?q=" + q + "&a=" + ans.Code})
	}
	h.Web.RenderStatic(w, r, "permit/which", web.Msg("permit.which.title"), v)
	return nil
}
