package signature

import (
	"net/http"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
)

// APIRoutes registers the certificates API (bearer tokens with the
// certificates:read and certificates:write scopes; a token holds no staff
// role, so through the API only verified architects enrol).
func (h *Handlers) APIRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /api/v1/signature/certificates", h.apiList)
	rt.HandleErr("POST /api/v1/signature/certificates", h.apiIssue)
	rt.HandleErr("POST /api/v1/signature/certificates/{id}/revoke", h.apiRevoke)
}

// APICertificate is a signing certificate as the API shows it.
type APICertificate struct {
	ID           int64      `json:"id"`
	Kind         Kind       `json:"kind"`
	Serial       string     `json:"serial"`
	Subject      string     `json:"subject"`
	Issuer       string     `json:"issuer"`
	NotBefore    time.Time  `json:"not_before"`
	NotAfter     time.Time  `json:"not_after"`
	CreatedAt    time.Time  `json:"created_at"`
	State        State      `json:"state"`
	AttemptsLeft int        `json:"attempts_left"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Certificate  []byte     `json:"certificate"` // DER, base64 in JSON
}

func apiCertificate(k Key, now time.Time) APICertificate {
	c := APICertificate{ID: k.ID, Kind: k.Kind, Serial: k.Serial, Subject: k.Subject, Issuer: k.Issuer,
		NotBefore: k.NotBefore.UTC(), NotAfter: k.NotAfter.UTC(), CreatedAt: k.CreatedAt.UTC(), State: k.StateAt(now),
		AttemptsLeft: k.AttemptsLeft(), Certificate: k.Cert.Raw}
	if k.RevokedAt != nil {
		t := k.RevokedAt.UTC()
		c.RevokedAt, c.Reason = &t, ReasonName(k.Reason)
	}
	return c
}

func (h *Handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	st, err := h.Service.Mine(r.Context(), c)
	if err != nil {
		return err
	}
	now := h.Service.now()
	out := struct {
		MayEnrol     bool             `json:"may_enrol"`
		Certificates []APICertificate `json:"certificates"`
	}{MayEnrol: st.May, Certificates: []APICertificate{}}
	if st.Key != nil {
		out.Certificates = append(out.Certificates, apiCertificate(*st.Key, now))
	}
	for _, k := range st.History {
		out.Certificates = append(out.Certificates, apiCertificate(k, now))
	}
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handlers) apiIssue(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		PIN        string `json:"pin"`
		PINConfirm string `json:"pin_confirm"`
	}
	if err := httpx.DecodeJSON(r, &in, 4<<10); err != nil {
		return err
	}
	k, err := h.Service.Enrol(r.Context(), callerOf(r), in.PIN, in.PINConfirm)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusCreated, apiCertificate(k, h.Service.now()))
	return nil
}

func (h *Handlers) apiRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := keyID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in, 4<<10); err != nil {
		return err
	}
	if !ownReasons[in.Reason] {
		return errs.E(errs.Invalid, "signature.error.reason").OnField("reason")
	}
	reason, _ := ParseReason(in.Reason)
	k, err := h.Service.Revoke(r.Context(), callerOf(r), id, reason)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, apiCertificate(k, h.Service.now()))
	return nil
}

// callerOf is the request's actor (anonymous without a token).
func callerOf(r *http.Request) authz.Actor { return authz.FromContext(r.Context()).Actor }
