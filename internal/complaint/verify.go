package complaint

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The pages that prove an e-mail address or phone number for filing
// without an account: /requests/verify (sign in, or give an address),
// /requests/verify/{id} (the code sent there).

func (h *Handlers) verifyRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /requests/verify", h.verify)
	rt.HandleErr("POST /requests/verify", h.startProof)
	rt.HandleErr("GET /requests/verify/{id}", h.codeForm)
	rt.HandleErr("POST /requests/verify/{id}", h.prove)
}

// anonymousCategory is the category named by ?category=, if it may be
// filed without an account.
func (h *Handlers) anonymousCategory(r *http.Request) (*Category, error) {
	k, ok := h.Service.cat.Category(r.FormValue("category"))
	if !ok || !k.Anonymous {
		return nil, errs.E(errs.NotFound, "complaint.error.category")
	}
	return k, nil
}

func (h *Handlers) verifyData(r *http.Request, k *Category) map[string]any {
	return map[string]any{"Category": k.Code, "Name": k.Name.Pick(i18n.FromContext(r.Context())),
		"SignIn": "/signin?next=" + url.QueryEscape("/requests/new/"+k.Code)}
}

func (h *Handlers) verify(w http.ResponseWriter, r *http.Request) error {
	k, err := h.anonymousCategory(r)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/verify", web.Msg("complaint.verify.title"), h.verifyData(r, k))
	return nil
}

func (h *Handlers) startProof(w http.ResponseWriter, r *http.Request) error {
	k, err := h.anonymousCategory(r)
	if err != nil {
		return err
	}
	f := web.Form{Values: url.Values{"contact": {r.PostFormValue("contact")}}}
	fail := func(err error) error {
		return h.Web.RenderForm(w, r, "complaint/verify", web.Msg("complaint.verify.title"), h.verifyData(r, k), f, err)
	}
	if h.Proof != nil {
		if ok, wait := h.Proof.Allow("ip:" + httpx.ClientIP(r)); !ok {
			return fail(errs.E(errs.TooMany, "complaint.error.rate").With("retry", max(1, int(wait.Seconds()))))
		}
	}
	p, err := h.Service.StartProof(r.Context(), r.PostFormValue("contact"), i18n.FromContext(r.Context()))
	if err != nil {
		return fail(err)
	}
	http.Redirect(w, r, "/requests/verify/"+strconv.FormatInt(p.ID, 10)+"?category="+url.QueryEscape(k.Code), http.StatusSeeOther)
	return nil
}

func (h *Handlers) codeData(r *http.Request, k *Category, p *ContactProof) map[string]any {
	d := h.verifyData(r, k)
	d["ID"], d["Address"], d["Channel"] = p.ID, p.Address, p.Channel
	d["Minutes"] = int(CodeLife / time.Minute)
	return d
}

func (h *Handlers) proofOf(r *http.Request) (*ContactProof, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, errs.E(errs.NotFound, "complaint.error.proof")
	}
	return h.Service.Proof(r.Context(), id)
}

func (h *Handlers) codeForm(w http.ResponseWriter, r *http.Request) error {
	k, err := h.anonymousCategory(r)
	if err != nil {
		return err
	}
	p, err := h.proofOf(r)
	if err != nil {
		return err
	}
	httpx.Private(r)
	h.Web.Render(w, r, http.StatusOK, "complaint/code", web.Msg("complaint.verify.code.title"), h.codeData(r, k, p))
	return nil
}

func (h *Handlers) prove(w http.ResponseWriter, r *http.Request) error {
	k, err := h.anonymousCategory(r)
	if err != nil {
		return err
	}
	p, err := h.proofOf(r)
	if err != nil {
		return err
	}
	token, err := h.Service.Prove(r.Context(), p.ID, r.PostFormValue("code"))
	if err != nil {
		return h.Web.RenderForm(w, r, "complaint/code", web.Msg("complaint.verify.code.title"), h.codeData(r, k, p), web.Form{}, err)
	}
	http.SetCookie(w, &http.Cookie{Name: ContactCookie, Value: token, Path: "/requests", MaxAge: int(ContactLife / time.Second),
		HttpOnly: true, Secure: r.TLS != nil || strings.HasPrefix(h.Service.baseURL(), "https://"), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/requests/new/"+url.PathEscape(k.Code), http.StatusSeeOther)
	return nil
}
