package identity

import (
	"net/http"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// TokenRoutes registers the token pages and the API's "me".
func (h *Handlers) TokenRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /me/tokens", h.tokens)
	rt.HandleErr("POST /me/tokens", h.createToken)
	rt.HandleErr("POST /me/tokens/staff", h.createStaffToken)
	rt.HandleErr("GET /me/tokens/revoke", h.revokeTokenConfirm)
	rt.HandleErr("POST /me/tokens/revoke", h.revokeToken)
	rt.HandleErr("GET /api/v1/me", h.apiMe)
}

func (h *Handlers) renderTokens(w http.ResponseWriter, r *http.Request, v *Visitor, status int, data map[string]any) error {
	list, err := h.Service.Tokens(r.Context(), v.Person.ID)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Tokens"], data["Scopes"] = list, authz.Scopes
	data["Staff"] = authz.Check(v.Actor, authz.IssueStaffToken, authz.Resource{OwnerPerson: v.Person.ID}) == nil
	data["StaffScopes"], data["StaffHours"] = authz.StaffTokenScopes, []int{1, 4, 8, 12}
	if r.Method == http.MethodGet {
		data["Done"] = doneMessage(r, "identity.tokens", "revoked")
	}
	for _, k := range []string{"Form", "StaffForm"} {
		if _, ok := data[k]; !ok {
			data[k] = Form{}
		}
	}
	h.Web.Render(w, r, status, "identity/tokens", web.Msg("identity.tokens.title"), data)
	return nil
}

func (h *Handlers) tokens(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageTokens)
	if v == nil {
		return err
	}
	return h.renderTokens(w, r, v, http.StatusOK, nil)
}

func (h *Handlers) createToken(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageTokens)
	if v == nil {
		return err
	}
	var scopes []authz.Scope
	for _, s := range r.PostForm["scopes"] {
		scopes = append(scopes, authz.Scope(s))
	}
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil {
		days = -1
	}
	secret, err := h.Service.CreateToken(r.Context(), v.Person.ID, r.PostFormValue("name"), scopes, time.Duration(days)*24*time.Hour)
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		f, _ := h.Web.WithError(r, Form{Values: r.PostForm}, err)
		return h.renderTokens(w, r, v, httpx.Status(errs.KindOf(err)), map[string]any{"Form": f})
	}
	w.Header().Set("Cache-Control", "no-store")
	return h.renderTokens(w, r, v, http.StatusOK, map[string]any{"New": secret})
}

// createStaffToken issues a staff token for a team's tool, bound to this
// session (CreateStaffToken).
func (h *Handlers) createStaffToken(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.IssueStaffToken)
	if v == nil {
		return err
	}
	hours, err := strconv.Atoi(r.PostFormValue("hours"))
	if err != nil {
		hours = -1
	}
	secret, err := h.Service.CreateStaffToken(r.Context(), v, r.PostFormValue("name"), time.Duration(hours)*time.Hour)
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		f, _ := h.Web.WithError(r, Form{Values: r.PostForm}, err)
		return h.renderTokens(w, r, v, httpx.Status(errs.KindOf(err)), map[string]any{"StaffForm": f})
	}
	w.Header().Set("Cache-Control", "no-store")
	return h.renderTokens(w, r, v, http.StatusOK, map[string]any{"New": secret})
}

// revokeTokenConfirm asks before a token is deleted: the applications
// using it lose their access at once.
func (h *Handlers) revokeTokenConfirm(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageTokens)
	if v == nil {
		return err
	}
	id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	tokens, err := h.Service.Tokens(r.Context(), v.Person.ID)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if t.ID != id {
			continue
		}
		h.Web.RenderConfirm(w, r, http.StatusOK, web.Confirm{
			Title:  web.Msg("identity.tokens.revoke_confirm.title"),
			Text:   web.Msg("identity.tokens.revoke_confirm.text", "name", t.Name),
			Facts:  []web.Fact{{Key: web.Msg("identity.tokens.name"), Value: t.Name}},
			Action: "/me/tokens/revoke",
			Hidden: map[string]string{"id": strconv.FormatInt(id, 10)},
			Button: web.Msg("identity.tokens.revoke_confirm.button"),
			Back:   "/me/tokens",
		})
		return nil
	}
	return errs.E(errs.NotFound, "error.route")
}

func (h *Handlers) revokeToken(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageTokens)
	if v == nil {
		return err
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err := h.Service.RevokeToken(r.Context(), v.Person.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/tokens?done=revoked", http.StatusSeeOther)
	return nil
}

// apiMe is the token holder's profile.
func (h *Handlers) apiMe(w http.ResponseWriter, r *http.Request) error {
	v := FromContext(r.Context())
	if v.Person == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="madina"`)
		return errs.E(errs.Unauthenticated, "error.authz.signin")
	}
	if err := authz.Check(v.Actor, authz.ReadProfile, authz.Resource{OwnerPerson: v.Person.ID}); err != nil {
		return err
	}
	p := v.Person
	h.Resp.JSON(w, r, http.StatusOK, map[string]any{
		"id": p.ID, "email": p.Email, "email_verified": p.EmailVerifiedAt != nil, "phone": p.Phone,
		"phone_verified": p.PhoneVerifiedAt != nil, "given_name_ar": p.GivenNameAR, "family_name_ar": p.FamilyNameAR,
		"given_name_latin": p.GivenNameLatin, "family_name_latin": p.FamilyNameLatin, "lang": p.Lang,
		"profession": v.Actor.Profession, "professional_verified": v.Actor.ProfessionalVerified,
	})
	return nil
}
