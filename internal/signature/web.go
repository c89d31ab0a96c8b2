package signature

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pki"
	"madina/internal/platform/web"
)

// Form is a form shown again with its values and errors.
type Form = web.Form

// WebRoutes registers the signer's pages and the administrators' list.
func (h *Handlers) WebRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /me/signature", h.mine)
	rt.HandleErr("POST /me/signature/enrol", h.enrol)
	rt.HandleErr("GET /me/signature/import", h.importForm)
	rt.HandleErr("POST /me/signature/import", h.importPost)
	rt.HandleErr("GET /me/signature/pin", h.pinForm)
	rt.HandleErr("POST /me/signature/pin", h.pinPost)
	rt.HandleErr("GET /me/signature/certificate.pem", h.certificate)
	rt.HandleErr("GET /me/signature/revoke", h.revokeConfirm)
	rt.HandleErr("POST /me/signature/revoke", h.revokePost)
	rt.HandleErr("GET /admin/signature", h.admin)
	rt.HandleErr("GET /admin/signature/{id}/revoke", h.adminRevokeConfirm)
	rt.HandleErr("POST /admin/signature/{id}/revoke", h.adminRevokePost)
}

// signedIn returns the caller's actor, or sends a visitor who is not
// signed in (or owes the second factor) to do so and returns false.
func signedIn(w http.ResponseWriter, r *http.Request) (authz.Actor, bool) {
	c := authz.FromContext(r.Context())
	if c.Pending {
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return c.Actor, false
	}
	if !c.SignedIn || c.Actor.Anonymous() {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return c.Actor, false
	}
	return c.Actor, true
}

// refuse answers a refusal: staff whose role would allow the action once
// the session passed the second factor get the page that says so.
func (h *Handlers) refuse(w http.ResponseWriter, r *http.Request, a authz.Actor, err error, acts ...authz.Action) error {
	if errs.Is(err, errs.Forbidden) && authz.AllowedWithSecondFactor(a, acts...) {
		h.Web.RenderSecondFactorNeeded(w, r, err)
		return nil
	}
	return err
}

// message is err's text in the request's language.
func (h *Handlers) message(r *http.Request, err error) string {
	lang := i18n.FromContext(r.Context())
	if e := errs.As(err); e != nil && e.Key != "" && h.Resp.Cat.Has(lang, e.Key) {
		return h.Resp.Cat.TMap(lang, e.Key, e.Params)
	}
	return h.Resp.Cat.T(lang, "error."+string(errs.KindOf(err))+".message")
}

// stateTag is a key state's tag colour.
var stateTag = map[State]string{Active: "green", Locked: "red", Expired: "grey", Revoked: "red"}

func (h *Handlers) mineData(r *http.Request, a authz.Actor) (map[string]any, error) {
	st, err := h.Service.Mine(r.Context(), a)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Status": st, "Done": r.URL.Query().Get("done"), "Form": Form{}}
	if st.Refusal != nil {
		data["Refusal"] = h.message(r, st.Refusal)
	}
	if st.Key != nil {
		data["Tag"] = stateTag[st.State]
	}
	return data, nil
}

func (h *Handlers) mine(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	data, err := h.mineData(r, a)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "signature/mine", web.Msg("signature.mine.title"), data)
	return nil
}

func (h *Handlers) enrol(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	f := Form{Values: url.Values{}, Order: []string{"pin", "pin_confirm"}}
	_, err := h.Service.Enrol(r.Context(), a, r.PostFormValue("pin"), r.PostFormValue("pin_confirm"))
	if err != nil {
		if errs.Is(err, errs.Forbidden) && errs.As(err).Key == "" {
			return h.refuse(w, r, a, err, authz.EnrolSigner)
		}
		data, derr := h.mineData(r, a)
		if derr != nil {
			return derr
		}
		return h.Web.RenderForm(w, r, "signature/mine", web.Msg("signature.mine.title"), data, f, err)
	}
	http.Redirect(w, r, "/me/signature?done=enrolled", http.StatusSeeOther)
	return nil
}

func (h *Handlers) importForm(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	if err := authz.Check(a, authz.EnrolSigner, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return h.refuse(w, r, a, err, authz.EnrolSigner)
	}
	h.Web.Render(w, r, http.StatusOK, "signature/import", web.Msg("signature.import.title"), map[string]any{"Form": Form{}, "MaxKB": pki.MaxPKCS12Size >> 10})
	return nil
}

// importPost reads the small multipart form (the router parsed it within
// its 1 MiB limit; a PKCS#12 file is at most 64 KiB).
func (h *Handlers) importPost(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	f := Form{Values: url.Values{}, Order: []string{"file", "password", "pin", "pin_confirm"}}
	var p12 []byte
	file, _, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile):
	case err != nil:
		return errs.E(errs.Invalid, "signature.error.p12_unreadable").Cause(err)
	default:
		defer file.Close()
		p12, err = io.ReadAll(io.LimitReader(file, pki.MaxPKCS12Size+1))
		if err != nil {
			return err
		}
	}
	_, err = h.Service.Import(r.Context(), a, p12, r.PostFormValue("password"), r.PostFormValue("pin"), r.PostFormValue("pin_confirm"))
	if err != nil {
		return h.Web.RenderForm(w, r, "signature/import", web.Msg("signature.import.title"), map[string]any{"MaxKB": pki.MaxPKCS12Size >> 10}, f, err)
	}
	http.Redirect(w, r, "/me/signature?done=imported", http.StatusSeeOther)
	return nil
}

// myKey is the signed-in person's signing status when they hold a key; a
// visitor not signed in has been sent to sign in (ok false, no error).
func (h *Handlers) myKey(w http.ResponseWriter, r *http.Request) (authz.Actor, Status, bool, error) {
	a, ok := signedIn(w, r)
	if !ok {
		return a, Status{}, false, nil
	}
	st, err := h.Service.Mine(r.Context(), a)
	if err == nil && st.Key == nil {
		err = errs.E(errs.NotFound, "signature.error.no_key")
	}
	return a, st, true, err
}

func (h *Handlers) pinForm(w http.ResponseWriter, r *http.Request) error {
	_, _, ok, err := h.myKey(w, r)
	if !ok || err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "signature/pin", web.Msg("signature.pin.title"), map[string]any{"Form": Form{}})
	return nil
}

func (h *Handlers) pinPost(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	f := Form{Values: url.Values{}, Order: []string{"old_pin", "pin", "pin_confirm"}}
	err := h.Service.ChangePIN(r.Context(), a, r.PostFormValue("old_pin"), r.PostFormValue("pin"), r.PostFormValue("pin_confirm"))
	if err != nil {
		if errs.Is(err, errs.Forbidden) && errs.As(err).Key == "" {
			return h.refuse(w, r, a, err, authz.Sign)
		}
		return h.Web.RenderForm(w, r, "signature/pin", web.Msg("signature.pin.title"), nil, f, err)
	}
	http.Redirect(w, r, "/me/signature?done=pin_changed", http.StatusSeeOther)
	return nil
}

// certificate downloads the signer's certificate and its chain (PEM).
func (h *Handlers) certificate(w http.ResponseWriter, r *http.Request) error {
	_, st, ok, err := h.myKey(w, r)
	if !ok || err != nil {
		return err
	}
	var out []byte
	for _, c := range append([]*x509.Certificate{st.Key.Cert}, st.Key.Chain...) {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	httpx.Attachment(w, "certificate-"+st.Key.Serial+".pem", "application/x-pem-file")
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(out)
	return nil
}

// ownReasons are the reasons a signer gives for revoking their own
// certificate: they stop signing, or someone else may know the PIN or
// have the key.
var ownReasons = map[string]bool{"cessation_of_operation": true, "key_compromise": true, "superseded": true}

func (h *Handlers) revokeConfirm(w http.ResponseWriter, r *http.Request) error {
	_, st, ok, err := h.myKey(w, r)
	if !ok || err != nil {
		return err
	}
	reason := r.URL.Query().Get("reason")
	if !ownReasons[reason] {
		reason = "cessation_of_operation"
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, h.confirm(r, *st.Key, reason, "/me/signature/revoke", "/me/signature", "signature.revoke.text_own"))
	return nil
}

func (h *Handlers) confirm(r *http.Request, k Key, reason, action, back, text string) web.Confirm {
	lang := i18n.FromContext(r.Context())
	return web.Confirm{
		Title: web.Msg("signature.revoke.title"),
		Text:  web.Msg(text, "name", k.Cert.Subject.CommonName),
		Facts: []web.Fact{{Key: web.Msg("signature.field.name"), Value: k.Cert.Subject.CommonName},
			{Key: web.Msg("signature.field.serial"), Value: k.SerialGroups()},
			{Key: web.Msg("signature.field.valid_until"), Value: i18n.FormatDate(lang, k.NotAfter)},
			{Key: web.Msg("signature.field.reason"), Value: h.Resp.Cat.T(lang, "signature.reason."+reason)}},
		Action: action,
		Hidden: map[string]string{"reason": reason},
		Button: web.Msg("signature.revoke.button"),
		Back:   back,
	}
}

func (h *Handlers) revokePost(w http.ResponseWriter, r *http.Request) error {
	a, st, ok, err := h.myKey(w, r)
	if !ok || err != nil {
		return err
	}
	name := r.PostFormValue("reason")
	if !ownReasons[name] {
		return errs.E(errs.Invalid, "signature.error.reason")
	}
	reason, _ := ParseReason(name)
	if _, err := h.Service.Revoke(r.Context(), a, st.Key.ID, reason); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/signature?done=revoked", http.StatusSeeOther)
	return nil
}

// adminReasons are the reasons an administrator gives.
var adminReasons = map[string]bool{"privilege_withdrawn": true, "affiliation_changed": true, "key_compromise": true}

func (h *Handlers) admin(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	list, err := h.Service.List(r.Context(), a)
	if err != nil {
		return h.refuse(w, r, a, err, authz.ManageSigners)
	}
	now := h.Service.now()
	type row struct {
		Listed
		State State
		Tag   string
	}
	rows := make([]row, len(list))
	for i, l := range list {
		rows[i] = row{Listed: l, State: l.StateAt(now), Tag: stateTag[l.StateAt(now)]}
	}
	h.Web.Render(w, r, http.StatusOK, "signature/admin", web.Msg("signature.admin.title"),
		map[string]any{"Keys": rows, "Done": r.URL.Query().Get("done"), "Me": a.Person})
	return nil
}

func keyID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "signature.error.key_unknown")
	}
	return id, nil
}

func (h *Handlers) adminRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	id, err := keyID(r)
	if err != nil {
		return err
	}
	k, err := h.Service.Key(r.Context(), a, id)
	if err != nil {
		return h.refuse(w, r, a, err, authz.ManageSigners)
	}
	if k.RevokedAt != nil {
		return errs.E(errs.Conflict, "signature.error.revoked_already")
	}
	reason := r.URL.Query().Get("reason")
	if !adminReasons[reason] {
		reason = "privilege_withdrawn"
	}
	action := "/admin/signature/" + strconv.FormatInt(id, 10) + "/revoke"
	h.Web.RenderConfirm(w, r, http.StatusOK, h.confirm(r, k, reason, action, "/admin/signature", "signature.revoke.text_admin"))
	return nil
}

func (h *Handlers) adminRevokePost(w http.ResponseWriter, r *http.Request) error {
	a, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	id, err := keyID(r)
	if err != nil {
		return err
	}
	name := r.PostFormValue("reason")
	if !adminReasons[name] {
		return errs.E(errs.Invalid, "signature.error.reason")
	}
	reason, _ := ParseReason(name)
	if _, err := h.Service.Revoke(r.Context(), a, id, reason); err != nil {
		return h.refuse(w, r, a, err, authz.ManageSigners)
	}
	http.Redirect(w, r, "/admin/signature?done=revoked", http.StatusSeeOther)
	return nil
}
