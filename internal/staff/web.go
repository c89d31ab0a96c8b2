package staff

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are the back office's page templates.
var Pages = web.Pages{Prefix: "staff", FS: templates}

// Messages are the back office's texts.
//
//go:embed messages/*.json
var Messages embed.FS

//go:embed notices
var noticesFS embed.FS

// Notices are the back office's e-mail templates, as notify reads them
// (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, _ := fs.Sub(noticesFS, "notices") // a valid path: fs.Sub cannot fail
	return sub
}

// Sessions tells who the request's visitor is: the identity capability,
// which keeps the sessions (see identity.Service.Visiting).
type Sessions interface {
	Visiting(ctx context.Context) (a authz.Actor, pending, totp bool)
}

// Form is a form shown again with its values and errors.
type Form = web.Form

// Handlers serve the back office to signed-in staff. They ask the policy
// only to choose what to show (a page, or the second-factor explanation);
// the service decides every use case itself.
type Handlers struct {
	Service  *Service
	Sessions Sessions
	Web      *web.Renderer
	Resp     *httpx.Responder
	Log      *slog.Logger
}

// visitor is the signed-in person a back-office request comes from.
type visitor struct {
	Actor authz.Actor
	TOTP  bool // has a second factor set up
}

func (v *visitor) op() Operator { return As(v.Actor) }

// signedIn returns the visitor, or sends an anonymous one to sign in (and
// one owing the second factor to give it) and returns nil.
func (h *Handlers) signedIn(w http.ResponseWriter, r *http.Request) *visitor {
	a, pending, totp := h.Sessions.Visiting(r.Context())
	if pending {
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if a.Anonymous() {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	return &visitor{Actor: a, TOTP: totp}
}

// message is err's text in the request's language.
func (h *Handlers) message(r *http.Request, err error) string {
	lang := i18n.FromContext(r.Context())
	if e := errs.As(err); e != nil && e.Key != "" && h.Resp.Cat.Has(lang, e.Key) {
		return h.Resp.Cat.TMap(lang, e.Key, e.Params)
	}
	return h.Resp.Cat.T(lang, "error."+string(errs.KindOf(err))+".message")
}

// Routes registers the back office. Every page first asks the policy for
// its action to choose what to answer: a staff member refused only for
// want of the second factor gets a page that says so and leads to the
// security page. The service decides each use case again, with the person
// concerned.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /admin", h.adminHome)
	rt.HandleErr("GET /admin/staff", h.adminStaff)
	rt.HandleErr("POST /admin/staff/grants", h.adminGrant)
	rt.HandleErr("GET /admin/staff/grants/{id}/revoke", h.adminRevokeConfirm)
	rt.HandleErr("POST /admin/staff/grants/{id}/revoke", h.adminRevoke)
	rt.HandleErr("GET /admin/organisations", h.adminOrgs)
	rt.HandleErr("POST /admin/organisations", h.adminCreateOrg)
	rt.HandleErr("GET /admin/organisations/{code}", h.adminOrg)
	rt.HandleErr("POST /admin/organisations/{code}", h.adminRenameOrg)
	rt.HandleErr("GET /admin/professionals", h.adminProfessionals)
	rt.HandleErr("POST /admin/professionals/{id}/verify", h.adminVerify)
	rt.HandleErr("POST /admin/professionals/{id}/reject", h.adminReject, httpx.Multiline("reason"))
	rt.HandleErr("GET /admin/audit", h.adminAudit)
}

// adminAllowed returns the visitor when the policy allows act, or nil and
// the refusal to answer — nil and no error when it sent the visitor to
// sign in or showed the second-factor page.
func (h *Handlers) adminAllowed(w http.ResponseWriter, r *http.Request, act authz.Action) (*visitor, error) {
	v := h.signedIn(w, r)
	if v == nil {
		return nil, nil
	}
	if err := authz.Check(v.Actor, act, authz.Resource{}); err != nil {
		return nil, h.adminRefuse(w, r, v, err, act)
	}
	return v, nil
}

// adminRefuse answers a refusal. When the policy would allow one of acts
// once the session passed the second factor, the page explains that and
// leads to the security page (and adminRefuse returns nil); any other
// refusal is returned, for the one error path.
func (h *Handlers) adminRefuse(w http.ResponseWriter, r *http.Request, v *visitor, err error, acts ...authz.Action) error {
	if authz.AllowedWithSecondFactor(v.Actor, acts...) {
		h.Web.RenderSecondFactorNeeded(w, r, err)
		return nil
	}
	return err
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

func (h *Handlers) adminHome(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	errStaff := authz.Check(v.Actor, authz.ManageStaff, authz.Resource{})
	errAudit := authz.Check(v.Actor, authz.ReadAudit, authz.Resource{})
	if errStaff != nil && errAudit != nil {
		return h.adminRefuse(w, r, v, errStaff, authz.ManageStaff, authz.ReadAudit)
	}
	data := map[string]any{"Manage": errStaff == nil, "Audit": errAudit == nil}
	if errStaff == nil {
		c, err := h.Service.Counts(r.Context(), v.op())
		if err != nil {
			return err
		}
		data["Counts"] = c
		loads, err := h.Service.Overview(r.Context(), v.op())
		if err != nil {
			return err
		}
		data["Overview"] = h.overviewRows(r, loads)
	}
	h.Web.Render(w, r, http.StatusOK, "staff/home", web.Msg("admin.title"), data)
	return nil
}

// staffPage renders the staff list with the grant form.
func (h *Handlers) staffPage(w http.ResponseWriter, r *http.Request, v *visitor, status int, f Form) error {
	ctx := r.Context()
	staff, err := h.Service.Staff(ctx, v.op())
	if err != nil {
		return err
	}
	orgs, err := h.Service.Organisations(ctx, v.op())
	if err != nil {
		return err
	}
	arrs, err := h.Service.Places().Arrondissements(ctx)
	if err != nil {
		return err
	}
	wins, err := h.Service.Places().Windows(ctx)
	if err != nil {
		return err
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
	h.Web.Render(w, r, status, "staff/staff", web.Msg("admin.staff.title"), map[string]any{
		"Staff": staff, "Orgs": orgs, "Roles": authz.Roles, "Arrondissements": arrs, "Windows": wins,
		"OrgNames": orgNames, "OrgArr": orgArr, "ArrNames": arrNames, "WinNames": winNames, "Form": f,
		"Done": done(r, "granted", "revoked")})
	return nil
}

func (h *Handlers) adminStaff(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageStaff)
	if v == nil {
		return err
	}
	return h.staffPage(w, r, v, http.StatusOK, Form{})
}

func (h *Handlers) adminGrant(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageStaff)
	if v == nil {
		return err
	}
	ctx := r.Context()
	f := Form{Values: url.Values{}}
	for _, k := range []string{"email", "role", "org", "arrondissement", "window"} {
		f.Values.Set(k, r.PostFormValue(k))
	}
	// No one grants themselves a role (separation of duties): the service
	// asks the policy with the person as involved.
	_, err = h.Service.GrantByEmail(ctx, v.op(), r.PostFormValue("email"), GrantSpec{Role: authz.Role(r.PostFormValue("role")),
		Org: r.PostFormValue("org"), Arrondissement: r.PostFormValue("arrondissement"), Window: r.PostFormValue("window")})
	if err != nil {
		if ff, status, ok := h.adminForm(r, f, err); ok {
			return h.staffPage(w, r, v, status, ff)
		}
		return err
	}
	http.Redirect(w, r, "/admin/staff?done=granted", http.StatusSeeOther)
	return nil
}

func (h *Handlers) adminRevoke(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageStaff)
	if v == nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "admin.error.grant_unknown")
	}
	if _, err := h.Service.RevokeGrant(r.Context(), v.op(), id); err != nil {
		if errs.Is(err, errs.Conflict) {
			f, status, _ := h.adminForm(r, Form{}, err)
			return h.staffPage(w, r, v, status, f)
		}
		return err
	}
	http.Redirect(w, r, "/admin/staff?done=revoked", http.StatusSeeOther)
	return nil
}

// orgsPage renders the organisations with the creation form.
func (h *Handlers) orgsPage(w http.ResponseWriter, r *http.Request, v *visitor, status int, f Form) error {
	ctx := r.Context()
	orgs, err := h.Service.Organisations(ctx, v.op())
	if err != nil {
		return err
	}
	arrs, err := h.Service.Places().Arrondissements(ctx)
	if err != nil {
		return err
	}
	arrNames := map[string]Names{}
	for _, a := range arrs {
		arrNames[a.Code] = a.Name
	}
	h.Web.Render(w, r, status, "staff/orgs", web.Msg("admin.orgs.title"), map[string]any{
		"Orgs": orgs, "Kinds": OrgKinds, "Arrondissements": arrs, "ArrNames": arrNames, "Form": f,
		"Done": done(r, "created", "renamed")})
	return nil
}

func (h *Handlers) adminOrgs(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageOrgs)
	if v == nil {
		return err
	}
	return h.orgsPage(w, r, v, http.StatusOK, Form{})
}

func (h *Handlers) adminCreateOrg(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageOrgs)
	if v == nil {
		return err
	}
	f := Form{Values: url.Values{}}
	for _, k := range []string{"code", "kind", "arrondissement", "name_ar", "name_fr", "name_en"} {
		f.Values.Set(k, r.PostFormValue(k))
	}
	o := Organisation{Code: f.Get("code"), Kind: f.Get("kind"), Arrondissement: f.Get("arrondissement"),
		Name: Names{AR: f.Get("name_ar"), FR: f.Get("name_fr"), EN: f.Get("name_en")}}
	if _, err := h.Service.CreateOrganisation(r.Context(), v.op(), o); err != nil {
		if ff, status, ok := h.adminForm(r, f, err); ok {
			return h.orgsPage(w, r, v, status, ff)
		}
		return err
	}
	http.Redirect(w, r, "/admin/organisations?done=created", http.StatusSeeOther)
	return nil
}

func (h *Handlers) orgPage(w http.ResponseWriter, r *http.Request, status int, o Organisation, f Form) {
	h.Web.Render(w, r, status, "staff/org", web.Msg("admin.org.title"), map[string]any{"Org": o, "Form": f})
}

func (h *Handlers) adminOrg(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageOrgs)
	if v == nil {
		return err
	}
	o, err := h.Service.Organisation(r.Context(), v.op(), r.PathValue("code"))
	if err != nil {
		return err
	}
	h.orgPage(w, r, http.StatusOK, o, Form{Values: url.Values{"name_ar": {o.Name.AR}, "name_fr": {o.Name.FR}, "name_en": {o.Name.EN}}})
	return nil
}

func (h *Handlers) adminRenameOrg(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageOrgs)
	if v == nil {
		return err
	}
	ctx := r.Context()
	o, err := h.Service.Organisation(ctx, v.op(), r.PathValue("code"))
	if err != nil {
		return err
	}
	f := Form{Values: url.Values{}}
	for _, k := range []string{"name_ar", "name_fr", "name_en"} {
		f.Values.Set(k, r.PostFormValue(k))
	}
	if err := h.Service.RenameOrganisation(ctx, v.op(), o.Code, Names{AR: f.Get("name_ar"), FR: f.Get("name_fr"), EN: f.Get("name_en")}); err != nil {
		if ff, status, ok := h.adminForm(r, f, err); ok {
			h.orgPage(w, r, status, o, ff)
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/admin/organisations?done=renamed", http.StatusSeeOther)
	return nil
}

func (h *Handlers) professionalsPage(w http.ResponseWriter, r *http.Request, v *visitor, status int, f Form) error {
	list, err := h.Service.PendingProfessionals(r.Context(), v.op())
	if err != nil {
		return err
	}
	h.Web.Render(w, r, status, "staff/professionals", web.Msg("admin.professionals.title"),
		map[string]any{"Pending": list, "Form": f, "Done": done(r, "verified", "rejected")})
	return nil
}

func (h *Handlers) adminProfessionals(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.VerifyProfessional)
	if v == nil {
		return err
	}
	return h.professionalsPage(w, r, v, http.StatusOK, Form{})
}

// declarationID reads the person whose declaration a form acts on.
func declarationID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "admin.error.declaration_unknown")
	}
	return id, nil
}

func (h *Handlers) adminVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.VerifyProfessional)
	if v == nil {
		return err
	}
	id, err := declarationID(r)
	// No one rules on their own declaration: the service asks the policy
	// with the person as involved.
	if err == nil {
		err = h.Service.VerifyProfessional(r.Context(), v.op(), id)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/professionals?done=verified", http.StatusSeeOther)
	return nil
}

func (h *Handlers) adminReject(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.VerifyProfessional)
	if v == nil {
		return err
	}
	id, err := declarationID(r)
	// No one rules on their own declaration: the service asks the policy
	// with the person as involved.
	if err == nil {
		err = h.Service.RejectProfessional(r.Context(), v.op(), id, r.PostFormValue("reason"))
	}
	if err != nil {
		f := Form{Values: url.Values{"person": {r.PathValue("id")}, "reason": {r.PostFormValue("reason")}}}
		if ff, status, ok := h.adminForm(r, f, err); ok && errs.Is(err, errs.Invalid) {
			return h.professionalsPage(w, r, v, status, ff)
		}
		return err
	}
	http.Redirect(w, r, "/admin/professionals?done=rejected", http.StatusSeeOther)
	return nil
}

// The audit viewer (adminAudit) is in auditview_web.go.
