package permit

import (
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// A committee member's absences on /committee (absences.go): those to
// come, each with its cancel button, and the form to declare one.

type absencesView struct {
	List          []absenceRow
	Organisations []option // when they sit for several
	Substitutes   []option
	Form          *absenceForm
}

type absenceRow struct {
	ID                         int64
	When, Organisation, Reason string
	Substitute                 string
}

// absenceForm is the form as posted, with its errors by field.
type absenceForm struct {
	Values url.Values
	Errors map[string]string
}

// Err is the error of field.
func (f *absenceForm) Err(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// Summary is the error summary of a failed declaration.
func (f *absenceForm) Summary() []web.FieldError {
	var out []web.FieldError
	if f == nil {
		return nil
	}
	for _, field := range []string{"organisation", "from", "to", "substitute", "reason"} {
		if msg := f.Errors[field]; msg != "" {
			out = append(out, web.FieldError{Field: "absence-" + field, Text: msg})
		}
	}
	return out
}

// Val is the value posted for field.
func (f *absenceForm) Val(field string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(field)
}

// absencesSection fills the absences of a committee member's page.
func (h *FileHandlers) absencesSection(r *http.Request, a authz.Actor, p printer, sv *studyView, extra studyExtra) error {
	if !authz.Decide(a, authz.DeclareAbsence, authz.Resource{OwnerPerson: a.Person}).Allow {
		return nil
	}
	ctx := r.Context()
	list, err := h.Service.MyAbsences(ctx, a)
	if err != nil {
		return err
	}
	av := &absencesView{Form: extra.Absence}
	if av.Form == nil {
		av.Form = &absenceForm{Values: url.Values{}}
	}
	name := func(id int64) string {
		if pp, err := h.Service.people.Person(ctx, h.Service.db, id); err == nil {
			return pp.DisplayName(string(p.l))
		}
		return ""
	}
	orgs := memberOrgs(a)
	for _, code := range orgs {
		org, err := h.Service.organisation(ctx, h.Service.db, code)
		if err != nil {
			return err
		}
		if len(orgs) > 1 {
			av.Organisations = append(av.Organisations, option{Value: code, Label: org.Name.Pick(p.l), Selected: av.Form.Val("organisation") == code})
		}
		for _, m := range org.Members {
			if m.ID != a.Person {
				v := strconv.FormatInt(m.ID, 10)
				av.Substitutes = append(av.Substitutes, option{Value: v, Label: m.DisplayName(string(p.l)) + " — " + org.Name.Pick(p.l),
					Selected: av.Form.Val("substitute") == v})
			}
		}
	}
	for _, ab := range list {
		row := absenceRow{ID: ab.ID, Reason: ab.Reason,
			When: p.t("permit.absence.when", "from", i18n.FormatDate(p.l, ab.From.Start()), "to", i18n.FormatDate(p.l, ab.To.Start()))}
		if org, err := h.Service.organisation(ctx, h.Service.db, ab.Organisation); err == nil {
			row.Organisation = org.Name.Pick(p.l)
		}
		if ab.Substitute != 0 {
			row.Substitute = name(ab.Substitute)
		}
		av.List = append(av.List, row)
	}
	sv.Absences = av
	if extra.Done != "" && h.Cat.Has(p.l, "permit.absence.done."+extra.Done) {
		sv.Done = p.t("permit.absence.done." + extra.Done)
	}
	return nil
}

// webDeclareAbsence records an absence; what is wrong comes back to the
// page, on its field.
func (h *FileHandlers) webDeclareAbsence(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	sub, _ := strconv.ParseInt(r.PostFormValue("substitute"), 10, 64)
	_, err := h.Service.DeclareAbsence(r.Context(), v.Actor, AbsenceInput{Organisation: r.PostFormValue("organisation"),
		From: r.PostFormValue("from"), To: r.PostFormValue("to"), Substitute: sub, Reason: r.PostFormValue("reason")})
	if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
		field := e.Field
		if field == "" {
			field = "from"
		}
		msg := h.message(r, e)
		return h.studies(w, r, v.Actor, studyExtra{Status: http.StatusBadRequest,
			Absence: &absenceForm{Values: r.PostForm, Errors: map[string]string{field: msg}}})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/committee?done=declared#absences-heading", http.StatusSeeOther)
	return nil
}

// webCancelAbsence cancels one of the member's absences.
func (h *FileHandlers) webCancelAbsence(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	if err := h.Service.CancelAbsence(r.Context(), v.Actor, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/committee?done=cancelled#absences-heading", http.StatusSeeOther)
	return nil
}

// absenceRoutes are the absences' routes.
func (h *FileHandlers) absenceRoutes(rt *httpx.Router) {
	rt.HandleErr("POST /committee/absences", h.webDeclareAbsence, httpx.Multiline("reason"))
	rt.HandleErr("POST /committee/absences/{id}/cancel", h.webCancelAbsence)
}
