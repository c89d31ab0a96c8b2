package identity

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

// mandateRoutes registers the mandate pages.
func (h *Handlers) mandateRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /me/mandates", h.mandateList)
	rt.HandleErr("GET /me/mandates/new", h.mandateForm)
	rt.HandleErr("POST /me/mandates", h.mandateGrant)
	rt.HandleErr("GET /me/mandates/{id}/revoke", h.mandateRevokeConfirm)
	rt.HandleErr("POST /me/mandates/{id}/revoke", h.mandateRevoke)
}

// mandateRevokeConfirm asks before a mandate is revoked: who loses what,
// from when. Only a mandate the person gave, still active, has the page.
func (h *Handlers) mandateRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "error.route")
	}
	given, _, err := h.Service.Mandates(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	lang := string(i18n.FromContext(r.Context()))
	now := h.Service.now()
	for _, m := range given {
		if m.ID != id || m.Status(now) != "active" {
			continue
		}
		name := m.Professional.Name(lang)
		scope := m.KindLabel(lang)
		if m.FileRef != "" {
			scope = m.FileRef
		}
		h.Web.RenderConfirm(w, r, http.StatusOK, web.Confirm{
			Title: web.Msg("identity.mandate.revoke_confirm.title"),
			Text:  web.Msg("identity.mandate.revoke_confirm.text", "name", name),
			Facts: []web.Fact{{Key: web.Msg("identity.mandate.professional"), Value: name},
				{Key: web.Msg("identity.mandate.scope"), Value: scope},
				{Key: web.Msg("identity.mandate.until"), Value: i18n.FormatDate(i18n.Lang(lang), m.LastDay())}},
			Action: "/me/mandates/" + strconv.FormatInt(id, 10) + "/revoke",
			Button: web.Msg("identity.mandate.revoke_confirm.button"),
			Back:   "/me/mandates",
		})
		return nil
	}
	return errs.E(errs.NotFound, "error.route")
}

func (h *Handlers) mandateList(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	ctx := r.Context()
	given, received, err := h.Service.Mandates(ctx, v.Actor)
	if err != nil {
		return err
	}
	acting, err := h.Service.ActingFor(ctx, v.Actor)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "identity/mandates", web.Msg("identity.mandate.title"), map[string]any{
		"Given": given, "Received": received, "ActingFor": acting, "Now": h.Service.now(),
		"Professional": v.Actor.Profession != "" && v.Actor.ActingFor == 0,
		"Done":         doneMessage(r, "identity.mandate", "granted", "revoked"),
	})
	return nil
}

// mandateFormData is what the grant form shows besides the form itself.
func (h *Handlers) mandateFormData(r *http.Request, v *Visitor) (map[string]any, error) {
	acting, err := h.Service.ActingFor(r.Context(), v.Actor)
	if err != nil {
		return nil, err
	}
	now := h.Service.now()
	return map[string]any{"ActingFor": acting, "Kinds": h.Service.PermitKinds(),
		"Min": now.In(i18n.Casablanca).Format("2006-01-02"),
		"Max": MaxMandateEnd(now).Format("2006-01-02")}, nil
}

func (h *Handlers) mandateForm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	if err := authz.Check(v.Actor, authz.GrantMandate, ownerOf(v.Actor)); err != nil {
		return err
	}
	data, err := h.mandateFormData(r, v)
	if err != nil {
		return err
	}
	first := ""
	if ks := h.Service.PermitKinds(); len(ks) > 0 {
		first = ks[0].Code
	}
	data["Form"] = Form{Values: url.Values{"scope": {ScopeKind}, "permit_kind": {first},
		"until": {DefaultMandateEnd(h.Service.now()).Format("2006-01-02")}}}
	h.Web.Render(w, r, http.StatusOK, "identity/mandate_new", web.Msg("identity.mandate.new"), data)
	return nil
}

func (h *Handlers) mandateGrant(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	in := MandateInput{Professional: r.PostFormValue("professional"), Scope: r.PostFormValue("scope"),
		PermitKind: r.PostFormValue("permit_kind"), FileRef: r.PostFormValue("file_ref"), Until: r.PostFormValue("until")}
	if _, err := h.Service.GrantMandate(r.Context(), v.Actor, in); err != nil {
		data, derr := h.mandateFormData(r, v)
		if derr != nil {
			return derr
		}
		f := Form{Values: r.PostForm, Order: []string{"professional", "scope", "permit_kind", "file_ref", "until"}}
		return h.formFail(w, r, "mandate_new", "identity.mandate.new", f, data, err)
	}
	http.Redirect(w, r, "/me/mandates?done=granted", http.StatusSeeOther)
	return nil
}

// mandateRevoke ends a mandate; the service asks the policy once it knows
// whose mandate it is, and anyone else's is not found.
func (h *Handlers) mandateRevoke(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "error.route")
	}
	if err := h.Service.RevokeMandate(r.Context(), v.Actor, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/mandates?done=revoked", http.StatusSeeOther)
	return nil
}
