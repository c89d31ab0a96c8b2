package permit

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// WebRoutes registers the HTML pages of permit files: the applicant's list
// and file pages, the window's queue and the public tracking page. Every
// journey is a plain form: nothing needs JavaScript.
func (h *FileHandlers) WebRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /files", h.webList)
	rt.HandleErr("GET /files/new", h.webNew)
	rt.HandleErr("POST /files", h.webCreate)
	rt.HandleErr("GET /files/{id}", h.webFile)
	rt.HandleErr("POST /files/{id}", h.webSave, httpx.Multiline(append([]string{"location"}, multilineFields...)...))
	rt.HandleLargeErr("POST /files/{id}/documents", MaxUpload+1<<20, h.webUpload)
	rt.HandleErr("GET /files/{id}/documents/{doc}", h.webDownload)
	rt.HandleErr("GET /files/{id}/documents/{doc}/remove", h.webRemoveConfirm)
	rt.HandleErr("POST /files/{id}/documents/{doc}/remove", h.webRemove)
	rt.HandleErr("GET /files/{id}/documents/{doc}/sign", h.webSignConfirm)
	rt.HandleErr("POST /files/{id}/documents/{doc}/sign", h.webSign)
	rt.HandleErr("GET /files/{id}/check", h.webCheck)
	rt.HandleErr("POST /files/{id}/submit", h.webSubmit)
	rt.HandleErr("POST /files/{id}/withdraw", h.webWithdraw)
	rt.HandleErr("POST /files/{id}/appointment", h.webBook)
	rt.HandleErr("POST /files/{id}/appointment/cancel", h.webCancel)
	rt.HandleErr("GET /files/{id}/accept", h.webConfirm(TAccept))
	rt.HandleErr("POST /files/{id}/accept", h.webAccept)
	rt.HandleErr("GET /files/{id}/dispatch", h.webConfirm(TDispatch))
	rt.HandleErr("POST /files/{id}/dispatch", h.webDispatch)
	rt.HandleErr("POST /files/{id}/members", h.webAddMember, httpx.Multiline("note"))
	rt.HandleErr("GET /files/{id}/opinion", h.webOpinionConfirm, httpx.Multiline("reasons"))
	rt.HandleErr("POST /files/{id}/opinion", h.webOpinion, httpx.Multiline("reasons"))
	rt.HandleErr("GET /files/{id}/return", h.webConfirm(TReturn), httpx.Multiline("note"))
	rt.HandleErr("POST /files/{id}/return", h.webSendBack(TReturn, "returned"), httpx.Multiline("note"))
	rt.HandleErr("GET /files/{id}/ask", h.webConfirm(TAsk), httpx.Multiline("note"))
	rt.HandleErr("POST /files/{id}/ask", h.webSendBack(TAsk, "asked"), httpx.Multiline("note"))
	rt.HandleErr("POST /files/{id}/answer", h.webAnswer)
	rt.HandleErr("GET /files/{id}/approve", h.webConfirm(TApprove), httpx.Multiline("reason"))
	rt.HandleErr("POST /files/{id}/approve", h.webApprove, httpx.Multiline("reason"))
	rt.HandleErr("GET /files/{id}/refuse", h.webConfirm(TRefuse), httpx.Multiline("reason"))
	rt.HandleErr("POST /files/{id}/refuse", h.webRefuse, httpx.Multiline("reason"))
	rt.HandleErr("POST /files/{id}/extend", h.webExtend, httpx.Multiline("reason"))
	rt.HandleErr("GET /files/{id}/remarks", h.webRemarksConfirm, httpx.Multiline("remark-*"))
	rt.HandleErr("POST /files/{id}/remarks", h.webRemarks, httpx.Multiline("remark-*"))
	rt.HandleErr("POST /files/{id}/answers", h.webAnswers, httpx.Multiline("answer-*"))
	rt.HandleErr("GET /files/{id}/revise", h.webConfirm(TRevise))
	rt.HandleErr("POST /files/{id}/revise", h.webRevise)
	rt.HandleErr("GET /files/{id}/forward", h.webConfirm(TForward))
	rt.HandleErr("POST /files/{id}/forward", h.webForward)
	rt.HandleErr("GET /files/{id}/grant", h.webConfirm(TGrant))
	rt.HandleErr("POST /files/{id}/grant", h.webDecidePermit(TGrant, "granted"))
	rt.HandleErr("GET /files/{id}/reject", h.webConfirm(TReject))
	rt.HandleErr("POST /files/{id}/reject", h.webDecidePermit(TReject, "rejected"))
	h.afterWorksRoutes(rt)
	rt.HandleErr("GET /committee", h.webStudies)
	h.absenceRoutes(rt)
	rt.HandleErr("POST /committee/calendar", h.webRenewFeed)
	rt.HandleErr("GET /committee/calendar/{token}", h.webFeed)
	rt.HandleErr("GET /committee/sessions/{id}", h.webSession)
	rt.HandleErr("GET /committee/sessions/{id}/freeze", h.webFreezeConfirm)
	rt.HandleErr("POST /committee/sessions/{id}/freeze", h.webFreeze)
	rt.HandleErr("GET /committee/sessions/{id}/minutes", h.webDraftConfirm)
	rt.HandleErr("POST /committee/sessions/{id}/minutes", h.webDraftMinutes)
	rt.HandleErr("GET /committee/sessions/{id}/minutes.pdf", h.webMinutesPDF)
	rt.HandleErr("GET /committee/sessions/{id}/minutes/sign", h.webSignMinutesConfirm)
	rt.HandleErr("POST /committee/sessions/{id}/minutes/sign", h.webSignMinutes)
	rt.HandleErr("GET /window", h.webWindows)
	rt.HandleErr("GET /window/{code}", h.webQueue)
	h.bottleneckRoutes(rt)
	h.dispatchModeRoutes(rt)
	rt.HandleErr("GET /track", h.webTrack)
}

// signedIn returns the visitor, or sends them to sign in (or to finish
// the second factor) and back to this page.
func (h *FileHandlers) signedIn(w http.ResponseWriter, r *http.Request) *authz.Caller {
	v := authz.FromContext(r.Context())
	back := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		// A form posted while signed out: come back to its page.
		back = "/files"
		if id := r.PathValue("id"); id != "" {
			back += "/" + id
		}
	}
	if v.Pending {
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(back), http.StatusSeeOther)
		return nil
	}
	if !v.SignedIn {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(back), http.StatusSeeOther)
		return nil
	}
	return &v
}

func (h *FileHandlers) printer(r *http.Request) printer {
	return printer{h.Cat, i18n.FromContext(r.Context())}
}

// state is a state in words.
func (p printer) state(s State) string { return p.t("permit.state." + string(s)) }

// holder says who holds a file now, naming the window when known.
func (p printer) holder(holder string, w *district.Window) string {
	if holder == HolderWindow && w != nil {
		return w.Name.Pick(p.l)
	}
	return p.t("permit.holder." + holder)
}

// due writes a deadline as a date and the working days left; overdue
// tells whether it has passed.
func (h *FileHandlers) due(p printer, due *time.Time, now time.Time) (date, left string, overdue bool) {
	if due == nil {
		return "", "", false
	}
	date = i18n.FormatDate(p.l, *due)
	if due.Before(now) {
		return date, p.t("permit.files.overdue"), true
	}
	n := h.Service.Calendar().WorkingDaysBetween(now, *due)
	if n <= 0 {
		return date, p.t("permit.files.due_today"), false
	}
	return date, p.t("permit.files.left", "duration", p.duration(Deadline{Value: n, Unit: WorkingDays})), false
}

// windowNames maps window codes to windows, read once per page.
func (h *FileHandlers) windowNames(ctx context.Context) map[string]district.Window {
	out := map[string]district.Window{}
	ws, err := h.Service.places.Windows(ctx)
	if err != nil {
		return out
	}
	for _, w := range ws {
		out[w.Code] = w
	}
	return out
}

// arrondissements lists the city's arrondissements for the draft form.
func (h *FileHandlers) arrondissements(ctx context.Context, l i18n.Lang) ([]option, error) {
	as, err := h.Service.places.Arrondissements(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(as))
	for _, a := range as {
		out = append(out, option{Value: a.Code, Label: a.Name.Pick(l)})
	}
	return out, nil
}

// option is an entry of a select or a radio group.
type option struct {
	Value, Label string
	Selected     bool
}

// "My files" (webList) is in files_web_list.go.

// kindChoice is a kind offered on the new file form.
type kindChoice struct {
	Code, Name, Description string
	Architect, Selected     bool
}

// kindBlocked is a kind the person cannot file themselves, told before
// they start, with what to do instead.
type kindBlocked struct {
	Code, Name, Reason, Href, Link string
}

type kindGroup struct {
	Family, Heading string
	Kinds           []kindChoice
	Blocked         []kindBlocked
}

type ownerChoice struct {
	Value, Label, Kinds string
	Selected            bool
}

// newFileView is the data of the new file form.
type newFileView struct {
	Groups       []kindGroup
	Owners       []ownerChoice
	Form         web.Form
	Professional bool // kinds no mandate covers are left out, and the page says so
	Nothing      bool // nothing to file: no kind for any owner
}

// Failed reports whether the page comes back with errors (its title then
// says so first).
func (v *newFileView) Failed() bool { return v.Form.Failed() }

func ownerValue(o OwnerChoice) string {
	switch {
	case o.Self:
		return "self"
	case o.Legal != 0:
		return "legal:" + strconv.FormatInt(o.Legal, 10)
	}
	return "person:" + strconv.FormatInt(o.Person, 10)
}

// newFileData is the new file form: the kinds the person may file, by
// family, and for whom — asked of the catalogue and the policy before
// they start. A citizen sees the kinds only an architect may file with
// the way to mandate one; a professional sees only the kinds and owners
// they may file (their mandates, their own files).
func (h *FileHandlers) newFileData(r *http.Request, a authz.Actor, f web.Form) (*newFileView, error) {
	p := h.printer(r)
	owners, err := h.Service.Owners(r.Context(), a, string(p.l))
	if err != nil {
		return nil, err
	}
	cat := h.Service.Catalogue()
	ok, why := h.Service.Fileable(a, owners)
	v := &newFileView{Form: f, Professional: a.Profession != ""}
	for _, fam := range families {
		g := kindGroup{Family: fam, Heading: p.t("permit.family." + fam)}
		for _, k := range cat.Kinds {
			if k.Family != fam {
				continue
			}
			if _, yes := ok[k.Code]; yes {
				g.Kinds = append(g.Kinds, kindChoice{Code: k.Code, Name: k.Name.Pick(p.l), Description: k.Description.Pick(p.l),
					Architect: k.ArchitectRequired, Selected: f.Get("kind") == k.Code})
				continue
			}
			if v.Professional {
				continue // not theirs to file: the page says mandates decide
			}
			b := kindBlocked{Code: k.Code, Name: k.Name.Pick(p.l)}
			if e := errs.As(why[k.Code]); e != nil {
				b.Reason = h.message(r, e)
			}
			if k.ArchitectRequired {
				b.Reason = p.t("permit.journey.new.architect_needed")
				b.Href, b.Link = "/me/mandates", p.t("permit.journey.new.mandate")
			}
			g.Blocked = append(g.Blocked, b)
		}
		if len(g.Kinds) > 0 || len(g.Blocked) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	v.Nothing = len(ok) == 0
	// The owners: those the person may file something for.
	usable := map[int][]string{}
	for _, k := range cat.Kinds {
		for _, i := range ok[k.Code] {
			usable[i] = append(usable[i], k.Name.Pick(p.l))
		}
	}
	chosen := f.Get("owner")
	if chosen == "" {
		chosen = "self"
		// A professional files for the owners who mandated them: the
		// first of those, not themselves, is the likely choice.
		for i, o := range owners {
			if !o.Self && len(usable[i]) > 0 {
				chosen = ownerValue(o)
				break
			}
		}
	}
	for i, o := range owners {
		if len(usable[i]) == 0 {
			continue
		}
		c := ownerChoice{Value: ownerValue(o), Label: p.t("permit.files.new.mandator", "name", o.Name)}
		switch {
		case o.Self && o.Legal != 0:
			c.Label = p.t("permit.files.new.self_legal", "name", o.Name)
		case o.Self:
			c.Label = p.t("permit.files.new.self", "name", o.Name)
		}
		c.Selected = c.Value == chosen
		if !o.Self {
			c.Kinds = p.t("permit.files.new.mandate_kinds", "kinds", p.list(usable[i]))
		} else if v.Professional {
			c.Kinds = p.t("permit.journey.new.own_kinds", "kinds", p.list(usable[i]))
		}
		v.Owners = append(v.Owners, c)
	}
	if len(v.Owners) == 1 {
		v.Owners[0].Selected = true
	}
	return v, nil
}

func (h *FileHandlers) webNew(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	if err := authz.Check(v.Actor, authz.PrepareFile, authz.Resource{OwnerPerson: v.Actor.Person, OwnerLegal: v.Actor.ActingFor}); err != nil {
		return err
	}
	f := web.Form{Values: url.Values{"kind": {r.URL.Query().Get("kind")}}}
	data, err := h.newFileData(r, v.Actor, f)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "permit/files_new", web.Msg("permit.files.new.title"), data)
	return nil
}

// parseOwner reads the owner radio: oneself, or an owner under mandate.
func parseOwner(s string) (person, legal int64, ok bool) {
	if s == "" || s == "self" {
		return 0, 0, true
	}
	kind, id, found := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !found || err != nil || n <= 0 {
		return 0, 0, false
	}
	switch kind {
	case "person":
		return n, 0, true
	case "legal":
		return 0, n, true
	}
	return 0, 0, false
}

func (h *FileHandlers) webCreate(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	in := Input{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title")}
	var err error
	person, legal, ok := parseOwner(r.PostFormValue("owner"))
	if !ok {
		err = errs.E(errs.Invalid, "permit.error.owner").OnField("owner")
	} else {
		in.OwnerPerson, in.OwnerLegal = person, legal
		if in.Kind == "" {
			err = errs.E(errs.Invalid, "permit.error.kind").OnField("kind")
		}
	}
	var f *File
	if err == nil {
		f, err = h.Service.Create(r.Context(), v.Actor, in)
	}
	if err != nil {
		e := errs.As(err)
		if e == nil || !userError(e) {
			return err
		}
		form := web.Form{Values: r.PostForm, Errors: map[string]string{}, Order: []string{"kind", "owner", "title"}}
		msg := h.message(r, e)
		if e.Field == "" && e.Kind == errs.Forbidden {
			e = e.OnField("kind") // the kind needs an architect, or a verified one
		}
		if e.Field == "owner" || e.Field == "kind" || e.Field == "title" {
			form.Errors[e.Field] = msg
		} else {
			form.Error = msg
		}
		data, derr := h.newFileData(r, v.Actor, form)
		if derr != nil {
			return derr
		}
		h.Web.Render(w, r, httpx.Status(e.Kind), "permit/files_new", web.Msg("permit.files.new.title"), data)
		return nil
	}
	http.Redirect(w, r, "/files/"+strconv.FormatInt(f.ID, 10)+"?done=created", http.StatusSeeOther)
	return nil
}

// userError reports whether an error is the person's own doing, to show on
// the form, rather than a refusal or a failure for the error page.
func userError(e *errs.Error) bool {
	switch e.Kind {
	case errs.Invalid, errs.Conflict, errs.TooMany, errs.TooLarge, errs.Unsupported:
		return true
	case errs.Forbidden:
		// Who may file what is about the choices on the form; the
		// policy's other refusals are not.
		return strings.HasPrefix(e.Key, "permit.") || e.Key == "error.authz.architect" || e.Key == "error.authz.unverified_professional"
	}
	return false
}

// message is an error's text in the page's language.
func (h *FileHandlers) message(r *http.Request, e *errs.Error) string {
	l := i18n.FromContext(r.Context())
	if e.Key != "" && h.Cat.Has(l, e.Key) {
		return h.Cat.TMap(l, e.Key, e.Params)
	}
	return h.Cat.T(l, "error."+string(e.Kind)+".message")
}

// isIncomplete returns what an incomplete file lacks.
func isIncomplete(err error) *Incomplete {
	var in *Incomplete
	if errors.As(err, &in) {
		return in
	}
	return nil
}
