package identity

import (
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/useragent"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are identity's page templates.
var Pages = web.Pages{Prefix: "identity", FS: templates}

// Messages are identity's texts.
//
//go:embed messages/*.json
var Messages embed.FS

//go:embed notices
var noticesFS embed.FS

// Notices are identity's e-mail and SMS templates, as notify reads them
// (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, _ := fs.Sub(noticesFS, "notices") // a valid path: fs.Sub cannot fail
	return sub
}

// Handlers serve sign-up, sign-in and the private space.
type Handlers struct {
	Service *Service
	Notify  *notify.Service
	MW      *Middleware
	Web     *web.Renderer
	Resp    *httpx.Responder

	signinIP, signupIP, codes *ratelimit.Limiter
	oidc                      *OIDC // nil: no provider sign-in
}

// NewHandlers builds the handlers from their collaborators (h's exported
// fields) with their rate limits: sign-in 10 a minute per address, sign-up
// and reset 5 an hour per address, codes 10 a minute per person.
func NewHandlers(h Handlers) *Handlers {
	h.signinIP = ratelimit.New(10.0/60, 10, time.Hour)
	h.signupIP = ratelimit.New(5.0/3600, 5, 2*time.Hour)
	h.codes = ratelimit.New(10.0/60, 10, time.Hour)
	return &h
}

// Routes registers the pages.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /signup", h.signupForm)
	rt.HandleErr("POST /signup", h.signup)
	rt.HandleFunc("GET /signup/sent", h.page("signup_sent", "identity.signup_sent.title"))
	rt.HandleErr("GET /verify-email", h.verifyEmail)
	rt.HandleErr("GET /signin", h.signinForm)
	rt.HandleErr("POST /signin", h.signin)
	rt.HandleErr("GET /signin/second-factor", h.secondFactorForm)
	rt.HandleErr("POST /signin/second-factor", h.secondFactor)
	rt.HandleErr("POST /signout", h.signout)
	rt.HandleErr("GET /reset", h.resetForm)
	rt.HandleErr("POST /reset", h.resetRequest)
	rt.HandleErr("GET /reset/new", h.resetNewForm)
	rt.HandleErr("POST /reset/new", h.resetNew)
	rt.HandleErr("GET /me", h.me)
	rt.HandleErr("GET /me/phone", h.phoneForm)
	rt.HandleErr("POST /me/phone", h.phoneVerify)
	rt.HandleErr("POST /me/phone/resend", h.phoneResend)
	rt.HandleErr("GET /me/security", h.security)
	rt.HandleErr("POST /me/security/signout-everywhere", h.signoutEverywhere)
	rt.HandleErr("POST /me/security/sessions/end", h.endSession)
	rt.HandleErr("POST /me/security/second-factor", h.totpBegin)
	rt.HandleErr("POST /me/security/second-factor/confirm", h.totpConfirm)
	rt.HandleErr("GET /me/security/second-factor/disable", h.totpDisableConfirm)
	rt.HandleErr("POST /me/security/second-factor/disable", h.totpDisable)
	rt.HandleErr("GET /me/inbox", h.inbox)
	rt.HandleErr("GET /me/inbox/{id}", h.openNotice)
	rt.HandleErr("POST /me/inbox/read", h.readAll)
	rt.HandleErr("GET /me/export", h.export)
	h.legalRoutes(rt)
}

// Form is a submitted form.
type Form = web.Form

func (h *Handlers) page(name, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.Web.Render(w, r, http.StatusOK, "identity/"+name, web.Msg(title), map[string]any{"DevOutbox": h.devOutbox()})
	}
}

// devOutbox reports whether messages stay on this machine, in the
// development outbox (serve --dev-outbox): the pages that say "we sent you
// a message" then say where to read it.
func (h *Handlers) devOutbox() bool { return h.Notify != nil && h.Notify.Outbox() != nil }

// formError renders page with err explained: each field at fault (err's
// Field and Faults) on its field and in the error summary, a message
// without a field above the form (web.RenderForm). Errors other than the
// user's own (internal) are returned for the one error path.
func (h *Handlers) formError(w http.ResponseWriter, r *http.Request, page, title string, f Form, data map[string]any, err error) error {
	return h.Web.RenderForm(w, r, "identity/"+page, web.Msg(title), data, f, err)
}

// clientIP is the address rate limits key on (httpx.ClientIP: the
// connection's, or the one the trusted proxies report).
func (h *Handlers) clientIP(r *http.Request) string { return httpx.ClientIP(r) }

func (h *Handlers) limited(l *ratelimit.Limiter, key string) error {
	if ok, after := l.Allow(key); !ok {
		secs := int(after.Seconds())
		if secs < 1 {
			secs = 1
		}
		return errs.E(errs.TooMany, "identity.error.rate").With("minutes", (secs+59)/60).With("retry", secs)
	}
	return nil
}

// localPath accepts a return address only if it stays on this site
// (httpx.LocalPath decides), else the personal space.
func localPath(p string) string { return httpx.LocalPathOr(p, "/me") }

func (h *Handlers) signupForm(w http.ResponseWriter, r *http.Request) error {
	h.Web.Render(w, r, http.StatusOK, "identity/signup", web.Msg("identity.signup.title"),
		map[string]any{"Form": Form{Values: url.Values{"lang": {string(i18n.FromContext(r.Context()))}}}})
	return nil
}

func (h *Handlers) signup(w http.ResponseWriter, r *http.Request) error {
	f := Form{Values: r.PostForm}
	if err := h.limited(h.signupIP, h.clientIP(r)); err != nil {
		return h.formError(w, r, "signup", "identity.signup.title", f, nil, err)
	}
	p := Profile{GivenNameAR: r.PostFormValue("given_name_ar"), FamilyNameAR: r.PostFormValue("family_name_ar"),
		GivenNameLatin: r.PostFormValue("given_name_latin"), FamilyNameLatin: r.PostFormValue("family_name_latin"),
		CIN: r.PostFormValue("cin"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone"),
		Lang: r.PostFormValue("lang")}
	// Every mistake at once: the profile's and the password's (checked
	// without the store), the confirmation's and the terms'.
	var fe errs.Fields
	checked := p // CheckSignUp normalises its copy; SignUp checks p again
	if err := fe.Add(CheckSignUp(&checked, r.PostFormValue("password"))); err != nil {
		return err
	}
	if r.PostFormValue("password") != r.PostFormValue("password_confirm") {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.password_mismatch").OnField("password_confirm"))
	}
	if r.PostFormValue("accept") != "yes" {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.accept").OnField("accept"))
	}
	if err := fe.Err(); err != nil {
		return h.formError(w, r, "signup", "identity.signup.title", f, nil, err)
	}
	if _, err := h.Service.SignUp(r.Context(), p, r.PostFormValue("password")); err != nil {
		return h.formError(w, r, "signup", "identity.signup.title", f, nil, err)
	}
	http.Redirect(w, r, "/signup/sent", http.StatusSeeOther)
	return nil
}

func (h *Handlers) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	id, err := h.Service.VerifyEmail(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		return h.formError(w, r, "verify_failed", "identity.verify_failed.title", Form{}, nil, err)
	}
	res, err := h.Service.SessionFromEmailLink(r.Context(), id, r.UserAgent())
	if err != nil {
		return err
	}
	h.MW.SetSession(w, r, res.Token)
	if res.NeedsMFA {
		http.Redirect(w, r, "/signin/second-factor", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/me/phone", http.StatusSeeOther)
	return nil
}

func (h *Handlers) signinForm(w http.ResponseWriter, r *http.Request) error {
	if FromContext(r.Context()).SignedIn() {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	h.Web.Render(w, r, http.StatusOK, "identity/signin", web.Msg("identity.signin.title"),
		map[string]any{"Form": Form{Values: url.Values{"next": {r.URL.Query().Get("next")}}}, "OIDC": h.oidc.Enabled(),
			"Done": doneMessage(r, "identity.recovery", "reset")})
	return nil
}

func (h *Handlers) signin(w http.ResponseWriter, r *http.Request) error {
	f := Form{Values: url.Values{"email": {r.PostFormValue("email")}, "next": {r.PostFormValue("next")}}}
	if err := h.limited(h.signinIP, h.clientIP(r)); err != nil {
		return h.formError(w, r, "signin", "identity.signin.title", f, nil, err)
	}
	res, err := h.Service.SignIn(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"), r.UserAgent())
	if err != nil {
		return h.formError(w, r, "signin", "identity.signin.title", f, map[string]any{"OIDC": h.oidc.Enabled()}, err)
	}
	h.MW.SetSession(w, r, res.Token)
	next := localPath(r.PostFormValue("next"))
	if res.NeedsMFA {
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (h *Handlers) secondFactorForm(w http.ResponseWriter, r *http.Request) error {
	if !FromContext(r.Context()).Pending() {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	h.Web.Render(w, r, http.StatusOK, "identity/second_factor", web.Msg("identity.second_factor.title"),
		map[string]any{"Form": Form{Values: url.Values{"next": {r.URL.Query().Get("next")}}}})
	return nil
}

func (h *Handlers) secondFactor(w http.ResponseWriter, r *http.Request) error {
	v := FromContext(r.Context())
	f := Form{Values: url.Values{"next": {r.PostFormValue("next")}}}
	if !v.Pending() {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	if err := h.limited(h.codes, "2fa:"+strconv.Itoa(int(v.Person.ID))); err != nil {
		return h.formError(w, r, "second_factor", "identity.second_factor.title", f, nil, err)
	}
	res, err := h.Service.SecondFactor(r.Context(), v.token, r.PostFormValue("code"))
	if err != nil {
		return h.formError(w, r, "second_factor", "identity.second_factor.title", f, nil, err)
	}
	h.MW.SetSession(w, r, res.Token)
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

func (h *Handlers) signout(w http.ResponseWriter, r *http.Request) error {
	v := FromContext(r.Context())
	if v.Session != nil {
		if err := h.Service.SignOut(r.Context(), v.Person.ID, v.token); err != nil {
			return err
		}
	}
	h.MW.clearSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (h *Handlers) resetForm(w http.ResponseWriter, r *http.Request) error {
	h.Web.Render(w, r, http.StatusOK, "identity/reset", web.Msg("identity.reset.title"), map[string]any{"Form": Form{}})
	return nil
}

func (h *Handlers) resetRequest(w http.ResponseWriter, r *http.Request) error {
	f := Form{Values: url.Values{"email": {r.PostFormValue("email")}}}
	if err := h.limited(h.signupIP, "reset:"+h.clientIP(r)); err != nil {
		return h.formError(w, r, "reset", "identity.reset.title", f, nil, err)
	}
	if !ValidEmail(NormalizeEmail(r.PostFormValue("email"))) {
		return h.formError(w, r, "reset", "identity.reset.title", f, nil, errs.E(errs.Invalid, "identity.error.email").OnField("email"))
	}
	if err := h.Service.RequestReset(r.Context(), r.PostFormValue("email")); err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "identity/reset_sent", web.Msg("identity.reset_sent.title"), map[string]any{"DevOutbox": h.devOutbox()})
	return nil
}

func (h *Handlers) resetNewForm(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	f := Form{Values: url.Values{"token": {token}}}
	if err := h.Service.CheckResetToken(r.Context(), token); err != nil {
		return h.formError(w, r, "verify_failed", "identity.verify_failed.title", f, nil, err)
	}
	h.Web.Render(w, r, http.StatusOK, "identity/reset_new", web.Msg("identity.reset_new.title"), map[string]any{"Form": f})
	return nil
}

func (h *Handlers) resetNew(w http.ResponseWriter, r *http.Request) error {
	f := Form{Values: url.Values{"token": {r.PostFormValue("token")}}}
	if r.PostFormValue("password") != r.PostFormValue("password_confirm") {
		return h.formError(w, r, "reset_new", "identity.reset_new.title", f, nil, errs.E(errs.Invalid, "identity.error.password_mismatch").OnField("password_confirm"))
	}
	if err := h.Service.ResetPassword(r.Context(), r.PostFormValue("token"), r.PostFormValue("password")); err != nil {
		return h.formError(w, r, "reset_new", "identity.reset_new.title", f, nil, err)
	}
	h.MW.clearSession(w, r)
	http.Redirect(w, r, "/signin?done=reset", http.StatusSeeOther)
	return nil
}

// signedIn returns the visitor, or sends them to sign in (pages) and
// returns nil.
func (h *Handlers) signedIn(w http.ResponseWriter, r *http.Request) *Visitor {
	v := FromContext(r.Context())
	if v.Pending() {
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if !v.SignedIn() {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	return v
}

// own checks the policy for an action on the visitor's own things. It
// returns the visitor, or nil and the refusal to answer — nil and no
// error when it sent the visitor to sign in.
func (h *Handlers) own(w http.ResponseWriter, r *http.Request, act authz.Action) (*Visitor, error) {
	v := h.signedIn(w, r)
	if v == nil {
		return nil, nil
	}
	if err := authz.Check(v.Actor, act, authz.Resource{OwnerPerson: v.Person.ID}); err != nil {
		return nil, err
	}
	return v, nil
}

func (h *Handlers) me(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadProfile)
	if v == nil {
		return err
	}
	unread, err := h.Notify.Unread(r.Context(), personKey(v.Person.ID))
	if err != nil {
		return err
	}
	data := meData(v, unread)
	data["Done"] = doneMessage(r, "identity.me", "saved", "phone_verified")
	h.Web.Render(w, r, http.StatusOK, "identity/me", web.Msg("identity.me.title"), data)
	return nil
}

// meData is what /me shows. The sections of a citizen's own business
// (companies and associations, mandates, profession) and the banner asking
// to verify the mobile number appear only where the policy does not hide
// that business from the account (it hides it from staff accounts), or
// where the person already has something there (a company they represent,
// a declared profession and the mandates it receives). A staff member's
// work comes first: their window's queue, the back office, each where the
// policy allows it.
func meData(v *Visitor, unread int) map[string]any {
	open := func(act authz.Action, r authz.Resource) bool { return !authz.Decide(v.Actor, act, r).Hide }
	citizen := open(authz.GrantMandate, ownerOf(v.Actor)) // as whoever they act for now
	allowed := func(act authz.Action, r authz.Resource) bool { return authz.Decide(v.Actor, act, r).Allow }
	queue := false
	for _, g := range v.Actor.Grants {
		queue = queue || g.Window != "" && allowed(authz.ReviewFile, authz.Resource{Window: g.Window})
	}
	admin := false
	for _, act := range []authz.Action{authz.ManageStaff, authz.ManageOrgs, authz.VerifyProfessional, authz.ReadAudit} {
		admin = admin || allowed(act, authz.Resource{})
	}
	return map[string]any{"Person": v.Person, "Unread": unread, "Staff": v.Actor.Staff(), "MFA": v.Actor.MFA,
		"ShowQueue": queue, "ShowAdmin": admin,
		"ShowLegal":      open(authz.CreateLegalPerson, authz.Resource{}) || len(v.Actor.Represents) > 0,
		"ShowMandates":   citizen || v.Actor.Profession != "",
		"ShowProfession": open(authz.DeclareProfession, authz.Resource{}) || v.Actor.Profession != "",
		"PhoneBanner":    citizen && v.Person.PhoneVerifiedAt == nil && v.Person.Phone != "",
	}
}

// personKey is a person's key in the notification inbox.
func personKey(id int64) string { return "person:" + strconv.Itoa(int(id)) }

func (h *Handlers) phoneForm(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.UpdateProfile)
	if v == nil {
		return err
	}
	if v.Person.PhoneVerifiedAt != nil {
		http.Redirect(w, r, "/me", http.StatusSeeOther)
		return nil
	}
	h.Web.Render(w, r, http.StatusOK, "identity/phone", web.Msg("identity.phone.title"),
		map[string]any{"Form": Form{}, "Phone": v.Person.Phone, "DevOutbox": h.devOutbox(), "Done": doneMessage(r, "identity.phone", "sent")})
	return nil
}

func (h *Handlers) phoneVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.UpdateProfile)
	if v == nil {
		return err
	}
	data := map[string]any{"Phone": v.Person.Phone}
	if err := h.limited(h.codes, "phone:"+strconv.Itoa(int(v.Person.ID))); err != nil {
		return h.formError(w, r, "phone", "identity.phone.title", Form{}, data, err)
	}
	if err := h.Service.VerifyPhone(r.Context(), v.Person.ID, r.PostFormValue("code")); err != nil {
		return h.formError(w, r, "phone", "identity.phone.title", Form{}, data, err)
	}
	http.Redirect(w, r, "/me?done=phone_verified", http.StatusSeeOther)
	return nil
}

func (h *Handlers) phoneResend(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.UpdateProfile)
	if v == nil {
		return err
	}
	data := map[string]any{"Phone": v.Person.Phone}
	if err := h.limited(h.signupIP, "resend:"+strconv.Itoa(int(v.Person.ID))); err != nil {
		return h.formError(w, r, "phone", "identity.phone.title", Form{}, data, err)
	}
	if err := h.Service.ResendPhoneCode(r.Context(), v.Person.ID); err != nil {
		return h.formError(w, r, "phone", "identity.phone.title", Form{}, data, err)
	}
	http.Redirect(w, r, "/me/phone?done=sent", http.StatusSeeOther)
	return nil
}

func (h *Handlers) security(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	return h.renderSecurity(w, r, v, http.StatusOK, nil)
}

// sessionRow is a session as the security page lists it: the device named
// as its owner knows it ("Firefox on Android"), not its User-Agent.
type sessionRow struct {
	Session
	Device useragent.Device
}

func (h *Handlers) renderSecurity(w http.ResponseWriter, r *http.Request, v *Visitor, status int, extra map[string]any) error {
	sessions, err := h.Service.store.Sessions(r.Context(), v.Person.ID, h.Service.now())
	if err != nil {
		return err
	}
	// The device in hand first ("this device" is what its owner looks for,
	// and two devices may bear the same name), then the others as listed.
	rows := make([]sessionRow, 0, len(sessions))
	for _, ss := range sessions {
		row := sessionRow{Session: ss, Device: useragent.Parse(ss.UserAgent)}
		if ss.TokenHash == v.Session.TokenHash {
			rows = append([]sessionRow{row}, rows...)
		} else {
			rows = append(rows, row)
		}
	}
	data := map[string]any{"Person": v.Person, "Sessions": rows, "Current": v.Session.TokenHash,
		"Staff": v.Actor.Staff(), "Form": Form{}, "Now": h.Service.now(), "Done": doneMessage(r, "identity.security", "mfa_off")}
	for k, x := range extra {
		data[k] = x
	}
	h.Web.Render(w, r, status, "identity/security", web.Msg("identity.security.title"), data)
	return nil
}

func (h *Handlers) signoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	if err := h.Service.SignOutEverywhere(r.Context(), v.Person.ID); err != nil {
		return err
	}
	h.MW.clearSession(w, r)
	http.Redirect(w, r, "/signin?signedout=everywhere", http.StatusSeeOther)
	return nil
}

func (h *Handlers) endSession(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	if err := h.Service.EndSession(r.Context(), v.Person.ID, r.PostFormValue("session")); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/security", http.StatusSeeOther)
	return nil
}

func (h *Handlers) totpBegin(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	e, err := h.Service.BeginTOTP(r.Context(), v.Person.ID)
	if err != nil {
		return err
	}
	// The QR code is a data: URL, which html/template refuses from a plain
	// string (it would write "#ZgotmplZ", a broken image): it is built here
	// from the PNG's own bytes, so it is marked safe.
	qr := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG))
	h.Web.Render(w, r, http.StatusOK, "identity/totp_setup", web.Msg("identity.totp.title"), map[string]any{
		"Secret": e.Secret, "QR": qr, "Form": Form{}})
	return nil
}

func (h *Handlers) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	codes, err := h.Service.ConfirmTOTP(r.Context(), v.Person.ID, v.token, r.PostFormValue("code"))
	if err != nil {
		return h.renderSecurity(w, r, v, httpx.Status(errs.KindOf(err)), map[string]any{"TOTPError": h.message(r, err)})
	}
	w.Header().Set("Cache-Control", "no-store")
	h.Web.Render(w, r, http.StatusOK, "identity/recovery_codes", web.Msg("identity.recovery.title"), map[string]any{"Codes": codes})
	return nil
}

// totpDisableConfirm asks before two-step verification is turned off:
// the password alone then opens the account. The person confirms with
// their password and a code.
func (h *Handlers) totpDisableConfirm(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	if v.Actor.Staff() {
		return errs.E(errs.Forbidden, "identity.error.mfa_required_staff")
	}
	if v.Person.TOTPEnabledAt == nil {
		http.Redirect(w, r, "/me/security", http.StatusSeeOther)
		return nil
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, totpDisableConfirm(Form{}))
	return nil
}

func totpDisableConfirm(f Form) web.Confirm {
	return web.Confirm{
		Title: web.Msg("identity.totp.disable_confirm.title"),
		Text:  web.Msg("identity.totp.disable_confirm.text"),
		Inputs: []web.Input{{Name: "password", Type: "password", Label: "identity.field.current_password", Autocomplete: "current-password"},
			{Name: "code", Type: "text", Label: "identity.field.code", Autocomplete: "one-time-code"}},
		Warning: web.Msg("identity.totp.disable_confirm.warning"),
		Action:  "/me/security/second-factor/disable",
		Button:  web.Msg("identity.security.mfa_disable"),
		Back:    "/me/security",
		Form:    f,
	}
}

func (h *Handlers) totpDisable(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ManageSecurity)
	if v == nil {
		return err
	}
	if v.Actor.Staff() {
		return errs.E(errs.Forbidden, "identity.error.mfa_required_staff")
	}
	if err := h.Service.DisableTOTP(r.Context(), v.Person.ID, r.PostFormValue("password"), r.PostFormValue("code")); err != nil {
		f, ok := h.Web.WithError(r, Form{}, err)
		if !ok {
			return err
		}
		h.Web.RenderConfirm(w, r, httpx.Status(errs.KindOf(err)), totpDisableConfirm(f))
		return nil
	}
	http.Redirect(w, r, "/me/security?done=mfa_off", http.StatusSeeOther)
	return nil
}

// message is err's text for the visitor.
func (h *Handlers) message(r *http.Request, err error) string {
	lang := i18n.FromContext(r.Context())
	if e := errs.As(err); e != nil && e.Key != "" && h.Resp.Cat.Has(lang, e.Key) {
		return h.Resp.Cat.TMap(lang, e.Key, e.Params)
	}
	return h.Resp.Cat.T(lang, "error."+string(errs.KindOf(err))+".message")
}

func (h *Handlers) inbox(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadInbox)
	if v == nil {
		return err
	}
	items, err := h.Notify.Inbox(r.Context(), personKey(v.Person.ID), 100)
	if err != nil {
		return err
	}
	unread := 0
	for _, n := range items {
		if n.Unread() {
			unread++
		}
	}
	h.Web.Render(w, r, http.StatusOK, "identity/inbox", web.Msg("identity.inbox.title"),
		map[string]any{"Items": items, "Unread": unread})
	return nil
}

// openNotice marks a notice read and follows it to the page it concerns
// (a path on this site, as notify keeps it), or back to the inbox.
func (h *Handlers) openNotice(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadInbox)
	if v == nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "error.notify.not_found")
	}
	n, err := h.Notify.Open(r.Context(), personKey(v.Person.ID), id)
	if err != nil {
		return err
	}
	to := "/me/inbox#notice-" + strconv.FormatInt(n.ID, 10)
	if n.Link != "" {
		to = n.Link
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// readAll marks every notice of the person read.
func (h *Handlers) readAll(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ReadInbox)
	if v == nil {
		return err
	}
	if err := h.Notify.MarkAllRead(r.Context(), personKey(v.Person.ID)); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/inbox", http.StatusSeeOther)
	return nil
}

func (h *Handlers) export(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.ExportData)
	if v == nil {
		return err
	}
	data, err := h.Service.Export(r.Context(), v.Person.ID)
	if err != nil {
		return err
	}
	items, err := h.Notify.Inbox(r.Context(), personKey(v.Person.ID), 1000)
	if err != nil {
		return err
	}
	data["notifications"] = items
	w.Header().Set("Content-Disposition", `attachment; filename="madina-my-data.json"`)
	w.Header().Set("Cache-Control", "no-store")
	h.Resp.JSON(w, r, http.StatusOK, data)
	return nil
}
