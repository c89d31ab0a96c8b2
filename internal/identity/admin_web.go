package identity

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// adminRoutes registers the back office. Every handler asks the policy for
// its action; a staff member refused only for want of the second factor
// gets a page that says so and leads to the security page.
func (h *Handlers) adminRoutes(rt *httpx.Router) {
	rt.HandleFunc("GET /admin", h.adminHome)
	rt.HandleFunc("GET /admin/staff", h.adminStaff)
	rt.HandleFunc("POST /admin/staff/grants", h.adminGrant)
	rt.HandleFunc("POST /admin/staff/grants/{id}/revoke", h.adminRevoke)
	rt.HandleFunc("GET /admin/organisations", h.adminOrgs)
	rt.HandleFunc("POST /admin/organisations", h.adminCreateOrg)
	rt.HandleFunc("GET /admin/organisations/{code}", h.adminOrg)
	rt.HandleFunc("POST /admin/organisations/{code}", h.adminRenameOrg)
	rt.HandleFunc("GET /admin/professionals", h.adminProfessionals)
	rt.HandleFunc("POST /admin/professionals/{id}/verify", h.adminVerify)
	rt.HandleFunc("POST /admin/professionals/{id}/reject", h.adminReject, httpx.Multiline("reason"))
	rt.HandleFunc("GET /admin/audit", h.adminAudit)
}

// adminAllowed returns the visitor when the policy allows act, or answers
// the request and returns nil.
func (h *Handlers) adminAllowed(w http.ResponseWriter, r *http.Request, act authz.Action) *Visitor {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	if err := authz.Check(v.Actor, act, authz.Resource{}); err != nil {
		h.adminRefuse(w, r, v, err, act)
		return nil
	}
	return v
}

// adminRefuse answers a refusal. When the policy would allow one of acts
// once the session passed the second factor, the page explains that and
// leads to the security page; any other refusal takes the one error path.
func (h *Handlers) adminRefuse(w http.ResponseWriter, r *http.Request, v *Visitor, err error, acts ...authz.Action) {
	if !v.Actor.MFA {
		with := v.Actor
		with.MFA = true
		for _, act := range acts {
			if authz.Check(with, act, authz.Resource{}) == nil {
				h.Service.log.InfoContext(r.Context(), "request refused", "request_id", httpx.RequestID(r.Context()),
					"path", r.URL.Path, "kind", string(errs.Forbidden), "err", err.Error())
				h.Web.Render(w, r, http.StatusForbidden, "identity/admin_mfa", web.Msg("admin.mfa.title"),
					map[string]any{"TOTP": v.Person.TOTPEnabledAt != nil})
				return
			}
		}
	}
	h.Resp.Error(w, r, err)
}

func operator(v *Visitor) Operator { return Operator{Person: v.Person.ID} }

// about is the resource of a staff decision about a person: the policy
// refuses it to that person (conflict of interest).
func about(person int64) authz.Resource {
	return authz.Resource{Involved: authz.Involved{Persons: []int64{person}}}
}

// adminForm turns a refusal of the user's input into a form to show again
// with the message on its field; ok is false for other errors.
func (h *Handlers) adminForm(r *http.Request, f Form, err error) (Form, int, bool) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		return f, 0, false
	}
	f.Errors = map[string]string{}
	if e.Field != "" {
		f.Errors[e.Field] = h.message(r, err)
	} else {
		f.Error = h.message(r, err)
	}
	return f, httpx.Status(e.Kind), true
}

// done is the confirmation a page shows after a redirect, among known ones.
func done(r *http.Request, known ...string) string {
	if d := r.URL.Query().Get("done"); slices.Contains(known, d) {
		return d
	}
	return ""
}

func (h *Handlers) adminHome(w http.ResponseWriter, r *http.Request) {
	v := h.signedIn(w, r)
	if v == nil {
		return
	}
	errStaff := authz.Check(v.Actor, authz.ManageStaff, authz.Resource{})
	errAudit := authz.Check(v.Actor, authz.ReadAudit, authz.Resource{})
	if errStaff != nil && errAudit != nil {
		h.adminRefuse(w, r, v, errStaff, authz.ManageStaff, authz.ReadAudit)
		return
	}
	data := map[string]any{"Manage": errStaff == nil, "Audit": errAudit == nil}
	if errStaff == nil {
		c, err := h.Service.Counts(r.Context())
		if err != nil {
			h.Resp.Error(w, r, err)
			return
		}
		data["Counts"] = c
	}
	h.Web.Render(w, r, http.StatusOK, "identity/admin", web.Msg("admin.title"), data)
}

// staffPage renders the staff list with the grant form.
func (h *Handlers) staffPage(w http.ResponseWriter, r *http.Request, status int, f Form) {
	ctx := r.Context()
	staff, err := h.Service.Staff(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	orgs, err := h.Service.Organisations(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	arrs, err := h.Service.deps.Places.Arrondissements(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	wins, err := h.Service.deps.Places.Windows(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	orgNames, arrNames, winNames := map[string]Names{}, map[string]Names{}, map[string]Names{}
	orgArr := map[string]string{} // an arrondissement's organisation: its staff's scope goes without saying
	for _, o := range orgs {
		orgNames[o.Code], orgArr[o.Code] = o.Name, o.Arrondissement
	}
	for _, a := range arrs {
		arrNames[a.Code] = a.Name
	}
	for _, x := range wins {
		winNames[x.Code] = x.Name
	}
	h.Web.Render(w, r, status, "identity/admin_staff", web.Msg("admin.staff.title"), map[string]any{
		"Staff": staff, "Orgs": orgs, "Roles": authz.Roles, "Arrondissements": arrs, "Windows": wins,
		"OrgNames": orgNames, "OrgArr": orgArr, "ArrNames": arrNames, "WinNames": winNames, "Form": f,
		"Done": done(r, "granted", "revoked")})
}

func (h *Handlers) adminStaff(w http.ResponseWriter, r *http.Request) {
	if v := h.adminAllowed(w, r, authz.ManageStaff); v != nil {
		h.staffPage(w, r, http.StatusOK, Form{})
	}
}

func (h *Handlers) adminGrant(w http.ResponseWriter, r *http.Request) {
	v := h.adminAllowed(w, r, authz.ManageStaff)
	if v == nil {
		return
	}
	ctx := r.Context()
	f := Form{Values: url.Values{}}
	for _, k := range []string{"email", "role", "org", "arrondissement", "window"} {
		f.Values.Set(k, r.PostFormValue(k))
	}
	p, err := h.Service.PersonByEmail(ctx, r.PostFormValue("email"))
	if errs.Is(err, errs.NotFound) {
		err = errs.E(errs.Invalid, "admin.error.person_unknown").OnField("email")
	}
	if err == nil {
		// No one grants themselves a role (separation of duties).
		err = authz.Check(v.Actor, authz.ManageStaff, about(p.ID))
	}
	if err == nil {
		_, err = h.Service.Grant(ctx, operator(v), p.ID, GrantSpec{Role: authz.Role(r.PostFormValue("role")),
			Org: r.PostFormValue("org"), Arrondissement: r.PostFormValue("arrondissement"), Window: r.PostFormValue("window")})
	}
	if err != nil {
		if ff, status, ok := h.adminForm(r, f, err); ok {
			h.staffPage(w, r, status, ff)
			return
		}
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/staff?done=granted", http.StatusSeeOther)
}

func (h *Handlers) adminRevoke(w http.ResponseWriter, r *http.Request) {
	v := h.adminAllowed(w, r, authz.ManageStaff)
	if v == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.Resp.Error(w, r, errs.E(errs.NotFound, "admin.error.grant_unknown"))
		return
	}
	if _, err := h.Service.RevokeGrant(r.Context(), operator(v), id); err != nil {
		if errs.Is(err, errs.Conflict) {
			f, status, _ := h.adminForm(r, Form{}, err)
			h.staffPage(w, r, status, f)
			return
		}
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/staff?done=revoked", http.StatusSeeOther)
}

// orgsPage renders the organisations with the creation form.
func (h *Handlers) orgsPage(w http.ResponseWriter, r *http.Request, status int, f Form) {
	ctx := r.Context()
	orgs, err := h.Service.Organisations(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	arrs, err := h.Service.deps.Places.Arrondissements(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	arrNames := map[string]Names{}
	for _, a := range arrs {
		arrNames[a.Code] = a.Name
	}
	h.Web.Render(w, r, status, "identity/admin_orgs", web.Msg("admin.orgs.title"), map[string]any{
		"Orgs": orgs, "Kinds": OrgKinds, "Arrondissements": arrs, "ArrNames": arrNames, "Form": f,
		"Done": done(r, "created", "renamed")})
}

func (h *Handlers) adminOrgs(w http.ResponseWriter, r *http.Request) {
	if v := h.adminAllowed(w, r, authz.ManageOrgs); v != nil {
		h.orgsPage(w, r, http.StatusOK, Form{})
	}
}

func (h *Handlers) adminCreateOrg(w http.ResponseWriter, r *http.Request) {
	v := h.adminAllowed(w, r, authz.ManageOrgs)
	if v == nil {
		return
	}
	f := Form{Values: url.Values{}}
	for _, k := range []string{"code", "kind", "arrondissement", "name_ar", "name_fr", "name_en"} {
		f.Values.Set(k, r.PostFormValue(k))
	}
	o := Organisation{Code: f.Get("code"), Kind: f.Get("kind"), Arrondissement: f.Get("arrondissement"),
		Name: Names{AR: f.Get("name_ar"), FR: f.Get("name_fr"), EN: f.Get("name_en")}}
	if _, err := h.Service.CreateOrganisation(r.Context(), operator(v), o); err != nil {
		if ff, status, ok := h.adminForm(r, f, err); ok {
			h.orgsPage(w, r, status, ff)
			return
		}
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/organisations?done=created", http.StatusSeeOther)
}

func (h *Handlers) orgPage(w http.ResponseWriter, r *http.Request, status int, o Organisation, f Form) {
	h.Web.Render(w, r, status, "identity/admin_org", web.Msg("admin.org.title"), map[string]any{"Org": o, "Form": f})
}

func (h *Handlers) adminOrg(w http.ResponseWriter, r *http.Request) {
	if v := h.adminAllowed(w, r, authz.ManageOrgs); v == nil {
		return
	}
	o, err := h.Service.Organisation(r.Context(), r.PathValue("code"))
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	h.orgPage(w, r, http.StatusOK, o, Form{Values: url.Values{"name_ar": {o.Name.AR}, "name_fr": {o.Name.FR}, "name_en": {o.Name.EN}}})
}

func (h *Handlers) adminRenameOrg(w http.ResponseWriter, r *http.Request) {
	v := h.adminAllowed(w, r, authz.ManageOrgs)
	if v == nil {
		return
	}
	ctx := r.Context()
	o, err := h.Service.Organisation(ctx, r.PathValue("code"))
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	f := Form{Values: url.Values{}}
	for _, k := range []string{"name_ar", "name_fr", "name_en"} {
		f.Values.Set(k, r.PostFormValue(k))
	}
	if err := h.Service.RenameOrganisation(ctx, operator(v), o.Code, Names{AR: f.Get("name_ar"), FR: f.Get("name_fr"), EN: f.Get("name_en")}); err != nil {
		if ff, status, ok := h.adminForm(r, f, err); ok {
			h.orgPage(w, r, status, o, ff)
			return
		}
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/organisations?done=renamed", http.StatusSeeOther)
}

func (h *Handlers) professionalsPage(w http.ResponseWriter, r *http.Request, status int, f Form) {
	list, err := h.Service.PendingProfessionals(r.Context())
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	h.Web.Render(w, r, status, "identity/admin_professionals", web.Msg("admin.professionals.title"),
		map[string]any{"Pending": list, "Form": f, "Done": done(r, "verified", "rejected")})
}

func (h *Handlers) adminProfessionals(w http.ResponseWriter, r *http.Request) {
	if v := h.adminAllowed(w, r, authz.VerifyProfessional); v != nil {
		h.professionalsPage(w, r, http.StatusOK, Form{})
	}
}

// declarationID reads the person whose declaration a form acts on.
func declarationID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "admin.error.declaration_unknown")
	}
	return id, nil
}

func (h *Handlers) adminVerify(w http.ResponseWriter, r *http.Request) {
	v := h.adminAllowed(w, r, authz.VerifyProfessional)
	if v == nil {
		return
	}
	id, err := declarationID(r)
	if err == nil {
		// No one rules on their own declaration.
		err = authz.Check(v.Actor, authz.VerifyProfessional, about(id))
	}
	if err == nil {
		err = h.Service.VerifyProfessional(r.Context(), operator(v), id)
	}
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/professionals?done=verified", http.StatusSeeOther)
}

func (h *Handlers) adminReject(w http.ResponseWriter, r *http.Request) {
	v := h.adminAllowed(w, r, authz.VerifyProfessional)
	if v == nil {
		return
	}
	id, err := declarationID(r)
	if err == nil {
		// No one rules on their own declaration.
		err = authz.Check(v.Actor, authz.VerifyProfessional, about(id))
	}
	if err == nil {
		err = h.Service.RejectProfessional(r.Context(), operator(v), id, r.PostFormValue("reason"))
	}
	if err != nil {
		f := Form{Values: url.Values{"person": {r.PathValue("id")}, "reason": {r.PostFormValue("reason")}}}
		if ff, status, ok := h.adminForm(r, f, err); ok && errs.Is(err, errs.Invalid) {
			h.professionalsPage(w, r, status, ff)
			return
		}
		h.Resp.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/professionals?done=rejected", http.StatusSeeOther)
}

// auditPageSize is how many records the audit viewer shows at once.
const auditPageSize = 50

func (h *Handlers) adminAudit(w http.ResponseWriter, r *http.Request) {
	if v := h.adminAllowed(w, r, authz.ReadAudit); v == nil {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	f := Form{Values: url.Values{}}
	for _, k := range []string{"object_type", "object_id", "actor"} {
		f.Values.Set(k, q.Get(k))
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	log := audit.New(h.Service.db)
	records, err := log.List(ctx, audit.Filter{ObjectType: f.Get("object_type"), ObjectID: f.Get("object_id"),
		Actor: f.Get("actor"), BeforeSeq: before, Limit: auditPageSize})
	status := http.StatusOK
	if err != nil {
		ff, st, ok := h.adminForm(r, f, err)
		if !ok {
			h.Resp.Error(w, r, err)
			return
		}
		f, status = ff, st
	}
	// The whole chain is checked on every view: the viewer is for a few
	// auditors, and a break must show at once.
	report, err := log.Verify(ctx)
	if err != nil {
		h.Resp.Error(w, r, err)
		return
	}
	var older string
	if len(records) == auditPageSize {
		next := url.Values{}
		for k, vs := range f.Values {
			if vs[0] != "" {
				next[k] = vs
			}
		}
		next.Set("before", strconv.FormatInt(records[len(records)-1].Seq, 10))
		older = "/admin/audit?" + next.Encode()
	}
	h.Web.Render(w, r, status, "identity/admin_audit", web.Msg("admin.audit.title"), map[string]any{
		"Records": records, "Report": report, "Form": f, "Older": older, "Filtered": before > 0 ||
			f.Get("object_type") != "" || f.Get("object_id") != "" || f.Get("actor") != ""})
}
