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
	rt.HandleFunc("GET /me/tokens", h.tokens)
	rt.HandleFunc("POST /me/tokens", h.createToken)
	rt.HandleFunc("POST /me/tokens/revoke", h.revokeToken)
	rt.HandleFunc("GET /api/v1/me", h.apiMe)
}

func (h *Handlers) renderTokens(w http.ResponseWriter, r *http.Request, v *Visitor, status int, data map[string]any) {
	list, err := h.Service.Tokens(r.Context(), v.Person.ID)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Tokens"], data["Scopes"] = list, authz.Scopes
	if _, ok := data["Form"]; !ok {
		data["Form"] = Form{}
	}
	h.Web.Render(w, r, status, "identity/tokens", web.Msg("identity.tokens.title"), data)
}

func (h *Handlers) tokens(w http.ResponseWriter, r *http.Request) {
	if v := h.own(w, r, authz.ManageTokens); v != nil {
		h.renderTokens(w, r, v, http.StatusOK, nil)
	}
}

func (h *Handlers) createToken(w http.ResponseWriter, r *http.Request) {
	v := h.own(w, r, authz.ManageTokens)
	if v == nil {
		return
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
			h.Resp.Error(w, r, err)
			return
		}
		f := Form{Values: r.PostForm, Errors: map[string]string{}}
		if e := errs.As(err); e.Field != "" {
			f.Errors[e.Field] = h.message(r, err)
		} else {
			f.Error = h.message(r, err)
		}
		h.renderTokens(w, r, v, httpx.Status(errs.KindOf(err)), map[string]any{"Form": f})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.renderTokens(w, r, v, http.StatusOK, map[string]any{"New": secret})
}

func (h *Handlers) revokeToken(w http.ResponseWriter, r *http.Request) {
	v := h.own(w, r, authz.ManageTokens)
	if v == nil {
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err := h.Service.RevokeToken(r.Context(), v.Person.ID, id); err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/me/tokens", http.StatusSeeOther)
}

// apiMe is the token holder's profile.
func (h *Handlers) apiMe(w http.ResponseWriter, r *http.Request) {
	v := FromContext(r.Context())
	if v.Person == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="madina"`)
		h.Resp.Error(w, r, errs.E(errs.Unauthenticated, "error.authz.signin"))
		return
	}
	if err := authz.Check(v.Actor, authz.ReadProfile, authz.Resource{OwnerPerson: v.Person.ID}); err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	p := v.Person
	h.Resp.JSON(w, r, http.StatusOK, map[string]any{
		"id": p.ID, "email": p.Email, "email_verified": p.EmailVerifiedAt != nil, "phone": p.Phone,
		"phone_verified": p.PhoneVerifiedAt != nil, "given_name_ar": p.GivenNameAR, "family_name_ar": p.FamilyNameAR,
		"given_name_latin": p.GivenNameLatin, "family_name_latin": p.FamilyNameLatin, "lang": p.Lang,
		"profession": v.Actor.Profession, "professional_verified": v.Actor.ProfessionalVerified,
	})
}
