package identity

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// claimRoutes registers the claim to represent a registered legal person,
// its decision by a representative or an administrator, and its evidence.
func (h *Handlers) claimRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /me/legal/claim/{kind}", h.claimForm)
	rt.HandleLargeErr("POST /me/legal/claim/{kind}", MaxEvidence+64<<10, h.claimCreate)
	rt.HandleErr("POST /me/legal/claims/{id}/decide", h.claimDecide("/me/legal"), httpx.Multiline("reason"))
	rt.HandleErr("GET /me/legal/claims/{id}/evidence", h.claimEvidence)
	rt.HandleErr("GET /admin/legal-claims", h.adminClaims)
	rt.HandleErr("POST /admin/legal-claims/{id}/decide", h.claimDecide("/admin/legal-claims"), httpx.Multiline("reason"))
}

func claimFormData(kind string) map[string]any {
	return map[string]any{"Kind": kind, "Roles": RepresentativeRoles[kind], "MaxMB": blob.FormatMB(MaxEvidence)}
}

// renderClaim shows the claim form; registered says the person came from
// registering a legal person that turned out to be registered already.
func (h *Handlers) renderClaim(w http.ResponseWriter, r *http.Request, status int, kind string, f Form, registered bool) {
	data := claimFormData(kind)
	data["Form"], data["Registered"] = f, registered
	h.Web.Render(w, r, status, "identity/legal_claim", web.Msg("identity.claims.title_"+kind), data)
}

func (h *Handlers) claimForm(w http.ResponseWriter, r *http.Request) error {
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
	h.renderClaim(w, r, http.StatusOK, kind, Form{Values: url.Values{"role": {RepresentativeRoles[kind][0]}}}, false)
	return nil
}

// claimCreate reads the small fields, then streams the evidence part
// straight to the blob store, never buffered whole.
func (h *Handlers) claimCreate(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	kind, err := legalKind(r)
	if err != nil {
		return err
	}
	f := Form{Values: url.Values{}}
	fail := func(err error) error {
		switch errs.KindOf(err) {
		case errs.Invalid, errs.Conflict, errs.TooMany, errs.TooLarge, errs.Unsupported:
			return h.formError(w, r, "legal_claim", "identity.claims.title_"+kind, f, claimFormData(kind), err)
		}
		return err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(errs.E(errs.Invalid, "identity.claims.error.form").Cause(err))
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fail(errs.E(errs.Invalid, "identity.claims.error.no_evidence").OnField("evidence"))
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				err = errs.E(errs.TooLarge, "error.blob.too_large").With("max", blob.FormatMB(MaxEvidence)).OnField("evidence").Cause(err)
			} else {
				err = errs.E(errs.Invalid, "identity.claims.error.form").Cause(err)
			}
			return fail(err)
		}
		switch name := part.FormName(); name {
		case "number", "role":
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			f.Values.Set(name, strings.TrimSpace(string(b)))
		case "evidence":
			in := ClaimInput{Kind: kind, Number: f.Get("number"), Role: f.Get("role")}
			if _, err := h.Service.ClaimLegalPerson(r.Context(), v.Actor, in, part.FileName(), part); err != nil {
				return fail(err)
			}
			http.Redirect(w, r, "/me/legal?done=claimed", http.StatusSeeOther)
			return nil
		default:
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 64<<10))
		}
		_ = part.Close()
	}
}

func claimID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "error.route")
	}
	return id, nil
}

// claimDecide approves or refuses a claim and goes back to back.
func (h *Handlers) claimDecide(back string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := h.signedIn(w, r)
		if v == nil {
			return nil
		}
		id, err := claimID(r)
		if err == nil {
			approve := r.PostFormValue("decision") == "approve"
			if !approve && r.PostFormValue("decision") != "refuse" {
				err = errs.E(errs.Invalid, "identity.claims.error.decision")
			} else {
				err = h.Service.DecideClaim(r.Context(), v.Actor, id, approve, r.PostFormValue("reason"))
			}
		}
		if err != nil {
			if back == "/admin/legal-claims" {
				return h.adminRefuse(w, r, v, err, authz.DecideLegalClaim)
			}
			return err
		}
		done := "claim_refused"
		if r.PostFormValue("decision") == "approve" {
			done = "claim_approved"
		}
		http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
		return nil
	}
}

func (h *Handlers) claimEvidence(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := claimID(r)
	if err != nil {
		return err
	}
	c, rc, err := h.Service.ClaimEvidence(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.FormatInt(c.EvidenceSize, 10))
	w.Header().Set("Content-Disposition", `attachment; filename="claim-`+strconv.FormatInt(c.ID, 10)+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = io.Copy(w, rc)
	return nil
}

func (h *Handlers) adminClaims(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.DecideLegalClaim)
	if v == nil {
		return err
	}
	claims, err := h.Service.PendingClaims(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "identity/admin_claims", web.Msg("identity.claims.admin_title"), map[string]any{
		"Claims": claims, "Done": doneMessage(r, "identity.claims", "claim_approved", "claim_refused")})
	return nil
}

// adminAllowed returns the visitor when the policy allows act, or nil and
// the refusal to answer — nil and no error when it sent the visitor to
// sign in or showed the second-factor page.
func (h *Handlers) adminAllowed(w http.ResponseWriter, r *http.Request, act authz.Action) (*Visitor, error) {
	v := h.signedIn(w, r)
	if v == nil {
		return nil, nil
	}
	if err := authz.Check(v.Actor, act, authz.Resource{}); err != nil {
		return nil, h.adminRefuse(w, r, v, err, act)
	}
	return v, nil
}

// adminRefuse answers a refusal of the back office's claims page. When the
// policy would allow one of acts once the session passed the second
// factor, the page explains that and leads to the security page (and
// adminRefuse returns nil); any other refusal is returned, for the one
// error path.
func (h *Handlers) adminRefuse(w http.ResponseWriter, r *http.Request, v *Visitor, err error, acts ...authz.Action) error {
	if authz.AllowedWithSecondFactor(v.Actor, acts...) {
		h.Web.RenderSecondFactorNeeded(w, r, err)
		return nil
	}
	return err
}
