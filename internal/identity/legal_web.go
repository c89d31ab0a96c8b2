package identity

import (
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// legalRoutes registers the pages where a person says whom they represent
// and acts for them, declares their profession, and gives mandates.
func (h *Handlers) legalRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /me/legal", h.legalList)
	rt.HandleErr("GET /me/legal/new/{kind}", h.legalForm)
	rt.HandleErr("POST /me/legal/new/{kind}", h.legalCreate)
	rt.HandleErr("POST /me/acting/{id}", h.actFor)
	rt.HandleErr("POST /me/acting/self", h.actAsSelf)
	rt.HandleErr("GET /me/profession", h.professionPage)
	rt.HandleErr("POST /me/profession", h.professionDeclare)
	h.mandateRoutes(rt)
	h.claimRoutes(rt)
}

// formFail shows the person's own mistakes (invalid input, a conflict) on
// the form; a refusal of the policy or a failure is returned for the one
// error path.
func (h *Handlers) formFail(w http.ResponseWriter, r *http.Request, page, title string, f Form, data map[string]any, err error) error {
	switch errs.KindOf(err) {
	case errs.Invalid, errs.Conflict, errs.TooMany:
		return h.formError(w, r, page, title, f, data, err)
	}
	return err
}

// doneMessage is the confirmation to show after a redirect, from a fixed
// list so that the address cannot put words in the page.
func doneMessage(r *http.Request, prefix string, known ...string) string {
	done := r.URL.Query().Get("done")
	for _, k := range known {
		if k == done {
			return prefix + ".done_" + k
		}
	}
	return ""
}

func (h *Handlers) legalList(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadProfile)
	if v == nil {
		return err
	}
	ctx := r.Context()
	list, err := h.Service.LegalPersons(ctx, v.Actor)
	if err != nil {
		return err
	}
	acting, err := h.Service.ActingFor(ctx, v.Actor)
	if err != nil {
		return err
	}
	claims, err := h.Service.Claims(ctx, v.Actor)
	if err != nil {
		return err
	}
	done := doneMessage(r, "identity.legal", "registered", "acting", "self")
	if done == "" {
		done = doneMessage(r, "identity.claims", "claimed", "claim_approved", "claim_refused")
	}
	h.Web.Render(w, r, http.StatusOK, "identity/legal", web.Msg("identity.legal.title"), map[string]any{
		"Legal": list, "ActingFor": acting, "Done": done, "Claims": claims,
		"CanCreate": authz.Check(v.Actor, authz.CreateLegalPerson, authz.Resource{}) == nil,
	})
	return nil
}

// legalKind is the kind named in the address; another is not found.
func legalKind(r *http.Request) (string, error) {
	kind := r.PathValue("kind")
	if _, ok := RepresentativeRoles[kind]; !ok {
		return "", errs.E(errs.NotFound, "error.route")
	}
	return kind, nil
}

func legalFormData(kind string) map[string]any {
	return map[string]any{"Kind": kind, "Roles": RepresentativeRoles[kind]}
}

func (h *Handlers) legalForm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	kind, err := legalKind(r)
	if err != nil {
		return err
	}
	if err := authz.Check(v.Actor, authz.CreateLegalPerson, authz.Resource{}); err != nil {
		return err
	}
	data := legalFormData(kind)
	data["Form"] = Form{Values: url.Values{"role": {RepresentativeRoles[kind][0]}}}
	h.Web.Render(w, r, http.StatusOK, "identity/legal_new", web.Msg("identity.legal.new_"+kind), data)
	return nil
}

func (h *Handlers) legalCreate(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	kind, err := legalKind(r)
	if err != nil {
		return err
	}
	in := LegalInput{Kind: kind, Name: r.PostFormValue("name"), NameAR: r.PostFormValue("name_ar"), ICE: r.PostFormValue("ice"),
		RC: r.PostFormValue("rc"), AssociationNumber: r.PostFormValue("association_number"), SchoolCode: r.PostFormValue("school_code"),
		Role: r.PostFormValue("role")}
	if _, err := h.Service.RegisterLegalPerson(r.Context(), v.Actor, in); err != nil {
		if e := errs.As(err); e != nil && e.Key == ErrRegistered {
			// Registered already: lead the person to the claim, the number and
			// role kept.
			norm := in
			_ = norm.Validate() // it passed in the service: now only normalises
			number := norm.ICE
			switch kind {
			case Association:
				number = norm.AssociationNumber
			case School:
				number = norm.SchoolCode
			}
			h.renderClaim(w, r, http.StatusConflict, kind, Form{Values: url.Values{"number": {number}, "role": {in.Role}}}, true)
			return nil
		}
		return h.formFail(w, r, "legal_new", "identity.legal.new_"+kind, Form{Values: r.PostForm}, legalFormData(kind), err)
	}
	http.Redirect(w, r, "/me/legal?done=registered", http.StatusSeeOther)
	return nil
}

// actFor switches the session to act for a legal person: a change to the
// person's own session, then to acting for someone the policy must allow.
func (h *Handlers) actFor(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 || v.Session == nil {
		return errs.E(errs.NotFound, "error.route")
	}
	if err := h.Service.ActFor(r.Context(), v.Actor, v.Session.TokenHash, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/legal?done=acting", http.StatusSeeOther)
	return nil
}

func (h *Handlers) actAsSelf(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	if v.Session == nil {
		return errs.E(errs.NotFound, "error.route")
	}
	if err := h.Service.ActAsSelf(r.Context(), v.Actor, v.Session.TokenHash); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/legal?done=self", http.StatusSeeOther)
	return nil
}

func (h *Handlers) professionData(r *http.Request, v *Visitor) (map[string]any, error) {
	p, err := h.Service.Profession(r.Context(), v.Actor)
	if errs.Is(err, errs.NotFound) {
		p, err = nil, nil // none declared yet: the page offers to declare one
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"Professional": p, "Professions": Professions,
		"Done": doneMessage(r, "identity.profession", "declared")}, nil
}

func (h *Handlers) professionPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadProfile)
	if v == nil {
		return err
	}
	data, err := h.professionData(r, v)
	if err != nil {
		return err
	}
	f := Form{Values: url.Values{}}
	if p, _ := data["Professional"].(*Professional); p != nil {
		f.Values.Set("profession", p.Profession)
		f.Values.Set("registration_number", p.RegistrationNumber)
	}
	data["Form"] = f
	h.Web.Render(w, r, http.StatusOK, "identity/profession", web.Msg("identity.profession.title"), data)
	return nil
}

func (h *Handlers) professionDeclare(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadProfile)
	if v == nil {
		return err
	}
	in := ProfessionInput{Profession: r.PostFormValue("profession"), RegistrationNumber: r.PostFormValue("registration_number")}
	if err := h.Service.DeclareProfession(r.Context(), v.Actor, in); err != nil {
		data, derr := h.professionData(r, v)
		if derr != nil {
			return derr
		}
		return h.formFail(w, r, "profession", "identity.profession.title", Form{Values: r.PostForm}, data, err)
	}
	http.Redirect(w, r, "/me/profession?done=declared", http.StatusSeeOther)
	return nil
}
