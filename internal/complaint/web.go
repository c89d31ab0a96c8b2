package complaint

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/textin"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are the requests' page templates.
var Pages = web.Pages{Prefix: "complaint", FS: templates}

// Messages are the requests' texts in ar, fr and en.
//
//go:embed messages/*.json
var Messages embed.FS

// Handlers serve the requests' pages. Every journey is a plain form:
// nothing needs JavaScript.
type Handlers struct {
	Service *Service
	Cat     *i18n.Catalog
	Web     *web.Renderer
	Resp    *httpx.Responder
	// Track limits the public tracking page per client address (codes
	// cannot be guessed by trying).
	Track *ratelimit.Limiter
	// File and FileAddress are the flood limits per account and per
	// client address (generous: a mobile operator's NAT puts many
	// citizens behind one address). A filing past either is not refused
	// but held for the team's review (Input.Hold). FileCap refuses past
	// a hard cap per account, which no person reaches.
	File, FileAddress, FileCap *ratelimit.Limiter
	// Device is the flood limit of Open311 posts per client and device_id,
	// and per client and person (the e-mail or phone it sends): a post
	// past it is held for review too. (A client's server posts for many
	// people from one address: the address says nothing there.)
	Device *ratelimit.Limiter
	// Media fetches an Open311 post's media_url (NewMediaClient).
	Media *http.Client
	// Proof limits the one-time codes sent per client address.
	Proof *ratelimit.Limiter
}

// maxFilingBody bounds a filing's body: five photos and the text.
const maxFilingBody = MaxPhotos*MaxPhotoBytes + 1<<20

// Routes registers the pages.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /requests", h.mine)
	rt.HandleErr("GET /requests/new", h.choose)
	rt.HandleErr("GET /requests/new/{category}", h.form)
	rt.HandleLargeErr("POST /requests/new/{category}", maxFilingBody, h.file)
	rt.HandleErr("GET /requests/track", h.track)
	h.verifyRoutes(rt)
	h.statsRoutes(rt)
	rt.HandleErr("GET /requests/public", h.public)
	rt.HandleErr("GET /requests/queue", h.queue)
	rt.HandleErr("GET /requests/{id}", h.page)
	rt.HandleErr("POST /requests/{id}", h.move, httpx.Multiline("note", "comment"))
	rt.HandleLargeErr("POST /requests/resolve/{id}", MaxPhotoBytes+1<<20, h.resolve)
	rt.HandleErr("GET /requests/{id}/photos/{n}", h.photo)
	rt.HandleErr("GET /requests/{id}/work-photos/{n}", h.workPhoto)
}

// signedIn returns the visitor, or sends them to sign in (or to finish
// the second factor) and back.
var signedIn = authz.SignedInOr

// isCitizen shows "my requests" to signed-in people without a staff role
// (staff file from their personal account).
func isCitizen(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return v.SignedIn && !v.Pending && !v.Actor.Staff()
}

// isOfficer shows the queue in the navigation to complaint officers.
func isOfficer(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return v.SignedIn && !v.Pending && len(QueueOrgs(v.Actor)) > 0
}

// printer writes values in the request's language.
type printer struct {
	cat *i18n.Catalog
	l   i18n.Lang
}

func (h *Handlers) printer(r *http.Request) printer {
	return printer{h.Cat, i18n.FromContext(r.Context())}
}

func (p printer) t(key string, params ...any) string { return p.cat.T(p.l, key, params...) }

func (p printer) state(s State) string { return p.t("complaint.state." + string(s)) }

// stateTag is a state as a tag: its colour says where it stands, its
// words say it too (never colour alone).
func stateTag(s State) string {
	switch s {
	case Received, Reopened:
		return "blue"
	case Waiting:
		return "yellow"
	case Resolved, Closed:
		return "green"
	}
	return "grey"
}

// arrondissementName names an arrondissement.
func (h *Handlers) arrondissementName(ctx context.Context, l i18n.Lang, code string) string {
	as, err := h.Service.places.Arrondissements(ctx)
	if err == nil {
		for _, a := range as {
			if a.Code == code {
				return a.Name.Pick(l)
			}
		}
	}
	return code
}

// row is a request in a list.
type row struct {
	ID                 int64
	Number             string
	Category           string
	Area               string
	State              string
	Tag                string
	Filed              string
	Due                string
	Overdue, Waiting   bool
	Description        string
	Organisation, Team string
}

func (h *Handlers) rows(r *http.Request, rs []*Request) []row {
	p := h.printer(r)
	now := h.Service.now()
	out := make([]row, 0, len(rs))
	for _, x := range rs {
		rw := row{ID: x.ID, Number: x.Number, Category: x.Category, State: p.state(x.State), Tag: stateTag(x.State),
			Filed: i18n.FormatDate(p.l, x.FiledAt), Area: h.arrondissementName(r.Context(), p.l, x.Arrondissement),
			Overdue: x.Overdue(now), Waiting: x.State == Waiting, Description: x.PublicDescription}
		if k, ok := h.Service.cat.Category(x.Category); ok {
			rw.Category, rw.Team = k.Name.Pick(p.l), k.Team.Pick(p.l)
		}
		due := x.ResolveDue
		if x.State == Received {
			due = x.AckDue
		}
		if x.State.Open() {
			rw.Due = i18n.FormatDate(p.l, due)
		}
		out = append(out, rw)
	}
	return out
}

func (h *Handlers) mine(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	rs, err := h.Service.Mine(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/mine", web.Msg("complaint.mine.title"), map[string]any{
		"Rows": h.rows(r, rs), "Done": doneMessage(r.URL.Query().Get("done"))})
	return nil
}

// doneMessage is the success banner a redirect asks for, from a fixed
// list so that an address cannot put words in the page.
func doneMessage(name string) string {
	if slices.Contains([]string{"filed", "acknowledge", "start", "plan", "ask", "reply", "resolve", "close", "reopen", "reassign", "merge", "rate", "release"}, name) {
		return "complaint.done." + name
	}
	return ""
}

// choice is a category offered on the first page.
type choice struct {
	Code, Name, Team string
	Private          bool
	// Areas: where a category of some arrondissements only is handled.
	Areas string
}

// areas names, in p's language, the arrondissements k is limited to ("" for
// the whole city).
func (h *Handlers) areas(ctx context.Context, p printer, k *Category) string {
	if len(k.Arrondissements) == 0 {
		return ""
	}
	names := make([]string, 0, len(k.Arrondissements))
	for _, a := range k.Arrondissements {
		names = append(names, h.arrondissementName(ctx, p.l, a))
	}
	return p.t("complaint.new.only_in", "areas", i18n.JoinList(p.l, names))
}

func (h *Handlers) choose(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	p := h.printer(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	var out []choice
	for _, k := range h.Service.cat.Search(q) {
		out = append(out, choice{Code: k.Code, Name: k.Name.Pick(p.l), Team: k.Team.Pick(p.l), Private: k.Private, Areas: h.areas(r.Context(), p, k)})
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/choose", web.Msg("complaint.new.title"), map[string]any{
		"Q": q, "Choices": out, "Searched": q != ""})
	return nil
}

// option is a value of a select or radio group.
type option struct {
	Value, Label string
	Selected     bool
}

// question is a category's field on the form.
type question struct {
	Name, Input, Kind, Label, Value, Error string
	Required                               bool
	Options                                []option
	Condition                              string // "Only if …", in words
}

// formData builds the filing form of k.
func (h *Handlers) formData(r *http.Request, k *Category, f web.Form) (map[string]any, error) {
	p := h.printer(r)
	as, err := h.Service.places.Arrondissements(r.Context())
	if err != nil {
		return nil, err
	}
	arrs := []option{{Value: "", Label: p.t("complaint.form.arrondissement.choose")}}
	for _, a := range as {
		arrs = append(arrs, option{Value: a.Code, Label: a.Name.Pick(p.l), Selected: f.Get("arrondissement") == a.Code})
	}
	var qs []question
	labels := map[string]string{}
	for _, fd := range k.Fields {
		labels[fd.Name] = fd.Label.Pick(p.l)
		qu := question{Name: fd.Name, Input: FieldInput(fd.Name), Kind: fd.Kind, Label: fd.Label.Pick(p.l),
			Value: f.Get(FieldInput(fd.Name)), Required: fd.Required, Error: f.Errors[FieldInput(fd.Name)]}
		switch fd.Kind {
		case FieldChoice:
			for _, o := range fd.Options {
				qu.Options = append(qu.Options, option{Value: o.Code, Label: o.Name.Pick(p.l), Selected: qu.Value == o.Code})
			}
		case FieldBoolean:
			qu.Options = []option{{Value: "true", Label: p.t("complaint.form.yes"), Selected: qu.Value == "true"},
				{Value: "false", Label: p.t("complaint.form.no"), Selected: qu.Value == "false"}}
		}
		if w := fd.When; w != nil {
			answer := w.Equals
			for _, dep := range k.Fields {
				if dep.Name != w.Field {
					continue
				}
				for _, o := range dep.Options {
					if o.Code == w.Equals {
						answer = o.Name.Pick(p.l)
					}
				}
				if dep.Kind == FieldBoolean {
					answer = p.t("complaint.form." + map[string]string{"true": "yes", "false": "no"}[w.Equals])
				}
			}
			qu.Condition = p.t("complaint.form.condition", "question", labels[w.Field], "answer", answer)
		}
		qs = append(qs, qu)
	}
	contact := f.Get("contact")
	if contact == "" {
		contact = ContactInbox
	}
	var contacts []option
	for _, c := range Contacts {
		contacts = append(contacts, option{Value: c, Label: p.t("complaint.contact." + c), Selected: contact == c})
	}
	return map[string]any{"Form": f, "Code": k.Code, "Name": k.Name.Pick(p.l), "Team": k.Team.Pick(p.l),
		"Location": k.Location, "Photo": k.Photo, "Private": k.Private, "Arrondissements": arrs, "Questions": qs,
		"Contacts": contacts, "MaxPhotos": MaxPhotos, "MaxMB": MaxPhotoBytes >> 20, "MaxDescription": MaxDescription,
		"Acknowledge": k.Service.Acknowledge, "Resolve": k.Service.Resolve, "Areas": h.areas(r.Context(), p, k)}, nil
}

func (h *Handlers) category(r *http.Request) (*Category, error) {
	k, ok := h.Service.cat.Category(r.PathValue("category"))
	if !ok {
		return nil, errs.E(errs.NotFound, "complaint.error.category")
	}
	return k, nil
}

// ContactCookie holds a proven contact's token (filing without an
// account), on the requests' pages only.
const ContactCookie = "madina_contact"

// filer is who files in category k: the signed-in person, or a visitor
// holding a proven contact where k allows it. Anyone else is sent to sign
// in — or, where k allows it, to choose between signing in and proving
// an address — and ok is false.
func (h *Handlers) filer(w http.ResponseWriter, r *http.Request, k *Category) (authz.Actor, *ContactProof, bool) {
	c := authz.FromContext(r.Context())
	if !c.SignedIn && !c.Pending && k.Anonymous {
		if ck, err := r.Cookie(ContactCookie); err == nil {
			if a, p, err := h.Service.ContactActor(r.Context(), ck.Value); err == nil {
				return a, p, true
			}
		}
		http.Redirect(w, r, "/requests/verify?category="+url.QueryEscape(k.Code), http.StatusSeeOther)
		return authz.Actor{}, nil, false
	}
	v := signedIn(w, r, "/requests/new/"+url.PathEscape(k.Code))
	if v == nil {
		return authz.Actor{}, nil, false
	}
	return v.Actor, nil, true
}

func (h *Handlers) form(w http.ResponseWriter, r *http.Request) error {
	k, err := h.category(r)
	if err != nil {
		return err
	}
	actor, proven, ok := h.filer(w, r, k)
	if !ok {
		return nil
	}
	// Whoever may not file learns it before typing (a staff account).
	if err := authz.Check(actor, authz.FileRequest, authz.Resource{}); err != nil {
		return err
	}
	data, err := h.formData(r, k, web.Form{Values: url.Values{}})
	if err != nil {
		return err
	}
	if proven != nil {
		data["Proven"] = proven.Address
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/form", web.Msg("complaint.form.title", "category", k.Name.Pick(i18n.FromContext(r.Context()))), data)
	return nil
}

// file reads the multipart form part by part: the text through the one
// text rule, each photo bounded, then files the request.
func (h *Handlers) file(w http.ResponseWriter, r *http.Request) error {
	k, err := h.category(r)
	if err != nil {
		return err
	}
	actor, proven, ok := h.filer(w, r, k)
	if !ok {
		return nil
	}
	title := web.Msg("complaint.form.title", "category", k.Name.Pick(i18n.FromContext(r.Context())))
	values := url.Values{}
	fail := func(err error) error {
		data, derr := h.formData(r, k, web.Form{Values: values})
		if derr != nil {
			return derr
		}
		if proven != nil {
			data["Proven"] = proven.Address
		}
		return h.Web.RenderForm(w, r, "complaint/form", title, data, web.Form{Values: values}, err)
	}
	person := "person:" + strconv.FormatInt(actor.Person, 10)
	if proven != nil {
		person = "contact:" + proven.Address
	}
	hold, err := h.floodLimits(r, person)
	if err != nil {
		return fail(err)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err))
	}
	var photos [][]byte
	var fe errs.Fields
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return fail(errs.E(errs.Invalid, "complaint.error.photo_size").With("mb", MaxPhotoBytes>>20).OnField("photos").Cause(err))
			}
			return fail(errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err))
		}
		name := part.FormName()
		switch {
		case name == "photos":
			if part.FileName() == "" {
				_, _ = io.Copy(io.Discard, io.LimitReader(part, 1<<10))
				break
			}
			if len(photos) >= MaxPhotos {
				_ = fe.Add(errs.E(errs.Invalid, "complaint.error.photo_count").With("max", MaxPhotos).OnField("photos"))
				_, _ = io.Copy(io.Discard, part)
				break
			}
			b, err := io.ReadAll(io.LimitReader(part, MaxPhotoBytes+1))
			if err != nil {
				return fail(errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err))
			}
			if len(b) > 0 {
				photos = append(photos, b)
			}
		case name == "csrf_token" || name == "":
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 1<<10))
		default:
			max := int64(4 * MaxAddress)
			if name == "description" {
				max = 4 * MaxDescription
			}
			s, err := textPart(part, name, max, name == "description")
			if err != nil {
				_ = part.Close()
				if ferr := fe.Add(err); ferr != nil {
					return fail(ferr)
				}
				continue
			}
			values.Add(name, s)
		}
		_ = part.Close()
	}
	if err := fe.Err(); err != nil {
		return fail(err)
	}
	in := Input{Category: k.Code, Lat: values.Get("lat"), Lon: values.Get("lon"), Address: values.Get("address"),
		Arrondissement: values.Get("arrondissement"), Description: values.Get("description"), Contact: values.Get("contact"),
		Answers: map[string]string{}, Hold: hold}
	for _, fd := range k.Fields {
		in.Answers[fd.Name] = values.Get(FieldInput(fd.Name))
	}
	for _, b := range photos {
		in.Photos = append(in.Photos, bytes.NewReader(b))
	}
	req, err := h.Service.File(r.Context(), actor, in)
	if err != nil {
		return fail(err)
	}
	if proven != nil {
		// No account page: the request is followed on the tracking page.
		http.Redirect(w, r, "/requests/track?"+url.Values{"number": {req.Number}, "code": {req.TrackingCode}, "done": {"filed"}}.Encode(), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/requests/"+strconv.FormatInt(req.ID, 10)+"?done=filed", http.StatusSeeOther)
	return nil
}

// floodLimits counts a filing by person (an account or a proven
// contact) and by the client's address: past the hard cap per person it
// is refused; past either flood limit it is held for the team's review
// (hold says which), never dropped.
func (h *Handlers) floodLimits(r *http.Request, person string) (hold string, err error) {
	if h.FileCap != nil {
		if ok, wait := h.FileCap.Allow(person); !ok {
			return "", errs.E(errs.TooMany, "complaint.error.rate").With("retry", max(1, int(wait.Seconds())))
		}
	}
	if h.File != nil {
		if ok, _ := h.File.Allow(person); !ok {
			hold = "account"
		}
	}
	if h.FileAddress != nil {
		if ok, _ := h.FileAddress.Allow("ip:" + httpx.ClientIP(r)); !ok && hold == "" {
			hold = "address"
		}
	}
	return hold, nil
}

// textPart reads a text part through the one text rule.
func textPart(part io.Reader, name string, max int64, multiline bool) (string, error) {
	if !multiline {
		return httpx.PartText(part, name, max)
	}
	b, err := io.ReadAll(io.LimitReader(part, max+1))
	if err != nil {
		return "", errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err)
	}
	if int64(len(b)) > max {
		return "", errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxDescription).OnField(name)
	}
	s, err := textin.Clean(string(b), textin.Lines)
	if err != nil {
		return "", errs.As(err).OnField(name)
	}
	return s, nil
}

func requestID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "complaint.error.not_found")
	}
	return id, nil
}

// fact is a line of a summary list.
type fact struct{ Key, Value, Href, Action string }

// historyLine is an event in words.
type historyLine struct {
	What, At, Note, Who string
}

// action is a move the visitor may make, as a form.
type action struct {
	Change, Label, NoteLabel string
	NeedNote, Optional       bool
	// Day: the form asks a day (a plan), from Today on.
	Day   bool
	Today string
	// Photo: the form offers a photo of the work done (a resolution).
	Photo bool
}

func (h *Handlers) history(p printer, evs []Event, withWho bool) []historyLine {
	out := make([]historyLine, 0, len(evs))
	for _, e := range evs {
		l := historyLine{What: p.t("complaint.history." + string(e.Kind)), At: i18n.FormatDateTime(p.l, e.At), Note: e.Note}
		if e.Planned != nil {
			l.What = p.t("complaint.history.plan", "day", i18n.FormatDate(p.l, *e.Planned))
		}
		if withWho {
			l.Who = e.ActorLabel
		}
		out = append(out, l)
	}
	return out
}

func (h *Handlers) page(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	id, err := requestID(r)
	if err != nil {
		return err
	}
	httpx.Private(r)
	x, evs, err := h.Service.Get(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	return h.renderPage(w, r, v.Actor, x, evs, http.StatusOK, web.Form{})
}

func (h *Handlers) renderPage(w http.ResponseWriter, r *http.Request, a authz.Actor, x *Request, evs []Event, status int, f web.Form) error {
	p := h.printer(r)
	k, _ := h.Service.cat.Category(x.Category)
	name, team := x.Category, ""
	if k != nil {
		name, team = k.Name.Pick(p.l), k.Team.Pick(p.l)
	}
	now := h.Service.now()
	facts := []fact{{Key: p.t("complaint.fact.category"), Value: name}, {Key: p.t("complaint.fact.state"), Value: p.state(x.State)},
		{Key: p.t("complaint.fact.area"), Value: h.arrondissementName(r.Context(), p.l, x.Arrondissement)},
		{Key: p.t("complaint.fact.team"), Value: team}, {Key: p.t("complaint.fact.filed"), Value: i18n.FormatDateTime(p.l, x.FiledAt)}}
	if x.State == Received {
		facts = append(facts, fact{Key: p.t("complaint.fact.ack_due"), Value: i18n.FormatDate(p.l, x.AckDue)})
	}
	if x.State.Open() && x.State != Waiting {
		facts = append(facts, fact{Key: p.t("complaint.fact.resolve_due"), Value: i18n.FormatDate(p.l, x.ResolveDue)})
	}
	if x.PlannedFor != nil && x.State.Open() {
		facts = append(facts, fact{Key: p.t("complaint.fact.planned"), Value: i18n.FormatDate(p.l, *x.PlannedFor)})
	}
	if x.Address != "" {
		facts = append(facts, fact{Key: p.t("complaint.fact.address"), Value: x.Address})
	}
	if x.Lat != nil {
		facts = append(facts, fact{Key: p.t("complaint.fact.point"), Value: strconv.FormatFloat(*x.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(*x.Lon, 'f', 5, 64)})
	}
	if k != nil {
		for _, fd := range k.Fields {
			val, ok := x.Answers[fd.Name]
			if !ok {
				continue
			}
			switch fd.Kind {
			case FieldChoice:
				for _, o := range fd.Options {
					if o.Code == val {
						val = o.Name.Pick(p.l)
					}
				}
			case FieldBoolean:
				val = p.t("complaint.form." + map[string]string{"true": "yes", "false": "no"}[val])
			}
			facts = append(facts, fact{Key: fd.Label.Pick(p.l), Value: val})
		}
	}
	if x.Client != 0 {
		// Posted through Open311: the team reads what the client sent of
		// the person (nobody else reads this page).
		via, err := clientName(r.Context(), h.Service.db, x.Client)
		if err != nil {
			return err
		}
		facts = append(facts, fact{Key: p.t("complaint.fact.via"), Value: via})
		var who []string
		for _, s := range []string{x.Via.Name, x.Via.Email, x.Via.Phone} {
			if s != "" {
				who = append(who, s)
			}
		}
		if len(who) > 0 {
			facts = append(facts, fact{Key: p.t("complaint.fact.reporter"), Value: strings.Join(who, " · ")})
		}
	} else {
		facts = append(facts, fact{Key: p.t("complaint.fact.contact"), Value: p.t("complaint.contact." + x.Contact)})
	}
	var actions []action
	for _, c := range Changes {
		m := moves[c]
		if !c.allowed(x.State) || authz.Check(a, m.action, x.Resource()) != nil {
			continue
		}
		if c == CReopen && (x.ResolvedAt == nil || now.Sub(*x.ResolvedAt) > ReopenWindow) {
			continue
		}
		ac := action{Change: string(c), Label: p.t("complaint.action." + string(c)),
			NoteLabel: p.t("complaint.action." + string(c) + ".note"), NeedNote: m.needNote,
			Optional: c == CClose && x.State == Resolved}
		if c == CPlan {
			// A day, and a message the citizen may be told besides.
			ac.Day, ac.NeedNote, ac.Optional, ac.Today = true, true, true, calendar.DateOf(now).String()
		}
		ac.Photo = c == CResolve
		actions = append(actions, ac)
	}
	// The team's other work: to another team, a duplicate merged in.
	handles := authz.Check(a, authz.HandleRequest, x.Resource()) == nil
	var teams, areas []option
	if handles && x.State.Open() {
		orgs, err := organisationNames(r.Context(), h.Service.db, p.l)
		if err != nil {
			return err
		}
		for code, name := range orgs {
			teams = append(teams, option{Value: code, Label: name, Selected: code == f.Get("organisation")})
		}
		slices.SortFunc(teams, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
		arrs, err := h.Service.places.Arrondissements(r.Context())
		if err != nil {
			return err
		}
		for _, ar := range arrs {
			areas = append(areas, option{Value: ar.Code, Label: ar.Name.Pick(p.l), Selected: ar.Code == x.Arrondissement})
		}
	}
	if x.MergedInto != 0 {
		if m, err := request(r.Context(), h.Service.db, "id", x.MergedInto); err == nil {
			facts = append(facts, fact{Key: p.t("complaint.fact.merged_into"), Value: m.Number, Action: p.t("complaint.fact.merged_into.follow"),
				Href: "/requests/track?" + url.Values{"number": {m.Number}, "code": {m.TrackingCode}}.Encode()})
		}
	}
	if len(x.CoReporters) > 0 && handles {
		facts = append(facts, fact{Key: p.t("complaint.fact.coreporters"), Value: strconv.Itoa(len(x.CoReporters))})
	}
	if x.HeldAt != nil {
		facts = append([]fact{{Key: p.t("complaint.fact.held"), Value: p.t("complaint.held." + x.HeldReason)}}, facts...)
	}
	rating, err := h.Service.RatingOf(r.Context(), x.ID)
	if err != nil {
		return err
	}
	if rating != nil {
		v := p.t("complaint.rating.stars", "n", rating.Stars)
		if rating.Comment != "" {
			v += " — " + rating.Comment
		}
		facts = append(facts, fact{Key: p.t("complaint.fact.rating"), Value: v})
	}
	canRate := a.Person == x.Reporter && x.Reporter != 0 && !x.State.Open() && x.MergedInto == 0
	var stars []option
	if canRate {
		cur := f.Get("stars")
		if cur == "" && rating != nil {
			cur = strconv.Itoa(rating.Stars)
		}
		for n := 5; n >= 1; n-- {
			stars = append(stars, option{Value: strconv.Itoa(n), Label: p.t("complaint.rating.stars", "n", n), Selected: cur == strconv.Itoa(n)})
		}
	}
	// The team sees who did what; the reporter, what was done.
	officer := a.Person != x.Reporter
	var pics, workPics []int
	for _, ph := range x.Photos {
		pics = append(pics, ph.Position)
	}
	for _, ph := range x.WorkPhotos {
		workPics = append(workPics, ph.Position)
	}
	data := map[string]any{"ID": x.ID, "Number": x.Number, "Code": x.TrackingCode, "Facts": facts,
		"Description": x.Description, "PublicDescription": x.PublicDescription, "Answer": x.PublicAnswer,
		"State": p.state(x.State), "Tag": stateTag(x.State), "Overdue": x.Overdue(now), "Version": x.Version,
		"Photos": pics, "WorkPhotos": workPics, "History": h.history(p, evs, officer), "Actions": actions, "Reporter": a.Person == x.Reporter,
		"Private": x.Private, "Done": doneMessage(r.URL.Query().Get("done")), "Form": f,
		"TrackURL": "/requests/track?" + url.Values{"number": {x.Number}, "code": {x.TrackingCode}}.Encode(),
		"Teams":    teams, "Areas": areas, "CanMerge": handles && x.State != Closed && x.MergedInto == 0, "Stars": stars}
	h.Web.Render(w, r, status, "complaint/request", web.Msg("complaint.request.title", "number", x.Number), data)
	return nil
}

func (h *Handlers) move(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "/requests/"+strconv.FormatInt(id, 10))
	if v == nil {
		return nil
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	c := Change(r.PostFormValue("change"))
	var x *Request
	var err2 error
	switch c {
	case "rate":
		stars, _ := strconv.Atoi(r.PostFormValue("stars"))
		if err2 = h.Service.Rate(r.Context(), v.Actor, id, stars, r.PostFormValue("comment")); err2 == nil {
			x = &Request{ID: id}
		}
	default:
		if !c.known() {
			return errs.E(errs.Invalid, "complaint.error.change")
		}
		x, err2 = h.apply(r.Context(), v.Actor, id, changeInput{Change: c, Version: version, Note: r.PostFormValue("note"),
			PlannedFor: r.PostFormValue("planned_for"), Organisation: r.PostFormValue("organisation"),
			Arrondissement: r.PostFormValue("arrondissement"), Duplicate: r.PostFormValue("duplicate")})
	}
	if err := err2; err != nil {
		return h.moveFailed(w, r, v.Actor, id, c, url.Values{"change": {string(c)}, "note": {r.PostFormValue("note")},
			"organisation": {r.PostFormValue("organisation")}, "duplicate": {r.PostFormValue("duplicate")},
			"stars": {r.PostFormValue("stars")}, "comment": {r.PostFormValue("comment")}, "planned_for": {r.PostFormValue("planned_for")}}, err)
	}
	to := "/requests/" + strconv.FormatInt(x.ID, 10) + "?done=" + string(c)
	if c == CReassign {
		if _, _, err := h.Service.Get(r.Context(), v.Actor, x.ID); err != nil {
			// Gone to a team the officer is not in: back to their queue.
			to = "/requests/queue"
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// moveFailed answers change c refused with err: a mistake on one of its
// fields (the note missing or too long, a day, a photo) shows the page
// again with the mistake on the action's form and what was typed.
func (h *Handlers) moveFailed(w http.ResponseWriter, r *http.Request, a authz.Actor, id int64, c Change, typed url.Values, err error) error {
	e := errs.As(err)
	if e == nil || e.Field == "" {
		return err
	}
	cur, evs, gerr := h.Service.Get(r.Context(), a, id)
	if gerr != nil {
		return gerr
	}
	field := "note-" + string(c)
	if e.Field != "note" {
		field = e.Field
	}
	f, ok := h.Web.WithError(r, web.Form{Values: typed}, e.OnField(field))
	if !ok {
		return err
	}
	return h.renderPage(w, r, a, cur, evs, httpx.Status(e.Kind), f)
}

// resolve resolves a request with its public answer and, optionally, a
// photo of the work done: a multipart form, streamed (the photo may be
// 10 MB), its text through the one text rule.
func (h *Handlers) resolve(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	v := signedIn(w, r, "/requests/"+strconv.FormatInt(id, 10))
	if v == nil {
		return nil
	}
	typed := url.Values{"change": {string(CResolve)}}
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err)
	}
	var photo []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				err = errs.E(errs.Invalid, "complaint.error.photo_size").With("mb", MaxPhotoBytes>>20).OnField("photo").Cause(err)
				return h.moveFailed(w, r, v.Actor, id, CResolve, typed, err)
			}
			return errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err)
		}
		switch name := part.FormName(); name {
		case "photo":
			if part.FileName() == "" {
				_, _ = io.Copy(io.Discard, io.LimitReader(part, 1<<10))
				break
			}
			if photo, err = io.ReadAll(io.LimitReader(part, MaxPhotoBytes+1)); err != nil {
				return errs.E(errs.Invalid, "complaint.error.bad_form").Cause(err)
			}
		case "note", "version":
			s, err := textPart(part, name, 4*MaxNote, name == "note")
			if err != nil {
				_ = part.Close()
				return h.moveFailed(w, r, v.Actor, id, CResolve, typed, err)
			}
			typed.Set(name, s)
		default:
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 1<<10))
		}
		_ = part.Close()
	}
	version, _ := strconv.Atoi(typed.Get("version"))
	var in io.Reader
	if len(photo) > 0 {
		in = bytes.NewReader(photo)
	}
	if _, err := h.Service.Resolve(r.Context(), v.Actor, id, version, typed.Get("note"), in); err != nil {
		return h.moveFailed(w, r, v.Actor, id, CResolve, typed, err)
	}
	http.Redirect(w, r, "/requests/"+strconv.FormatInt(id, 10)+"?done=resolve", http.StatusSeeOther)
	return nil
}

// workPhoto sends a photo of the work done, to the reporters and the team.
func (h *Handlers) workPhoto(w http.ResponseWriter, r *http.Request) error {
	httpx.Private(r)
	return h.sendPhoto(w, r, h.Service.WorkPhotoOf)
}

func (h *Handlers) photo(w http.ResponseWriter, r *http.Request) error {
	return h.sendPhoto(w, r, h.Service.PhotoOf)
}

// sendPhoto sends the photo open gives for the request and position the
// address names, as the visitor may see it.
func (h *Handlers) sendPhoto(w http.ResponseWriter, r *http.Request,
	open func(ctx context.Context, a authz.Actor, id int64, position int) (io.ReadCloser, Photo, error)) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return errs.E(errs.NotFound, "complaint.error.not_found")
	}
	rc, ph, err := open(r.Context(), authz.FromContext(r.Context()).Actor, id, n)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.FormatInt(ph.Size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = io.Copy(w, rc)
	return nil
}

func (h *Handlers) track(w http.ResponseWriter, r *http.Request) error {
	p := h.printer(r)
	number := strings.TrimSpace(r.URL.Query().Get("number"))
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	data := map[string]any{"Number": number, "Code": code, "Errors": map[string]string{}}
	httpx.Private(r)
	render := func(status int) error {
		var list []web.FieldError
		for _, f := range []string{"number", "code"} {
			if e := data["Errors"].(map[string]string)[f]; e != "" {
				list = append(list, web.FieldError{Field: f, Text: e})
			}
		}
		if e, _ := data["Error"].(string); e != "" && len(list) == 0 {
			list = append(list, web.FieldError{Text: e})
		}
		data["ErrorList"] = list
		h.Web.Render(w, r, status, "complaint/track", web.Msg("complaint.track.title"), data)
		return nil
	}
	if number == "" && code == "" {
		return render(http.StatusOK)
	}
	if number == "" || code == "" {
		errsByField := map[string]string{}
		for name, val := range map[string]string{"number": number, "code": code} {
			if val == "" {
				errsByField[name] = p.t("complaint.track.required." + name)
			}
		}
		data["Errors"], data["Error"] = errsByField, p.t("complaint.track.incomplete")
		return render(http.StatusBadRequest)
	}
	if h.Track != nil {
		if ok, wait := h.Track.Allow(httpx.ClientIP(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()))))
			data["Error"] = p.t("complaint.error.rate")
			return render(http.StatusTooManyRequests)
		}
	}
	t, err := h.Service.Track(r.Context(), number, code)
	if err != nil {
		if !errs.Is(err, errs.NotFound) {
			return err
		}
		data["Error"] = p.t("complaint.error.track")
		return render(http.StatusNotFound)
	}
	facts := []fact{{Key: p.t("complaint.fact.state"), Value: p.state(t.State)},
		{Key: p.t("complaint.fact.area"), Value: h.arrondissementName(r.Context(), p.l, t.Arrondissement)},
		{Key: p.t("complaint.fact.filed"), Value: i18n.FormatDate(p.l, t.FiledAt)}}
	if t.Category != nil {
		facts = append([]fact{{Key: p.t("complaint.fact.category"), Value: t.Category.Name.Pick(p.l)}},
			append(facts, fact{Key: p.t("complaint.fact.team"), Value: t.Category.Team.Pick(p.l)})...)
	}
	if t.State.Open() && t.State != Waiting {
		facts = append(facts, fact{Key: p.t("complaint.fact.resolve_due"), Value: i18n.FormatDate(p.l, t.ResolveDue)})
	}
	if t.PlannedFor != nil && t.State.Open() {
		facts = append(facts, fact{Key: p.t("complaint.fact.planned"), Value: i18n.FormatDate(p.l, *t.PlannedFor)})
	}
	if t.Address != "" {
		facts = append(facts, fact{Key: p.t("complaint.fact.address"), Value: t.Address})
	}
	data["Found"], data["Display"], data["Facts"], data["Tag"], data["State"] = true, t.Number, facts, stateTag(t.State), p.state(t.State)
	data["Description"], data["Answer"], data["Private"] = t.Description, t.PublicAnswer, t.Private
	data["History"] = h.history(p, t.Events, false)
	return render(http.StatusOK)
}

// queueOrg is one organisation's queue.
type queueOrg struct {
	Code, Name string
	Rows       []row
	Overdue    int
	Held       []row // filed in a flood, waiting for review
}

func (h *Handlers) queue(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	orgs := QueueOrgs(v.Actor)
	if len(orgs) == 0 {
		return authz.Check(v.Actor, authz.ReadRequestQueue, authz.Resource{})
	}
	p := h.printer(r)
	var out []queueOrg
	for _, org := range orgs {
		rs, err := h.Service.Queue(r.Context(), v.Actor, org)
		if err != nil {
			return err
		}
		held, err := h.Service.Held(r.Context(), v.Actor, org)
		if err != nil {
			return err
		}
		q := queueOrg{Code: org, Name: h.orgName(r.Context(), p.l, org), Rows: h.rows(r, rs), Held: h.rows(r, held)}
		for _, x := range q.Rows {
			if x.Overdue {
				q.Overdue++
			}
		}
		out = append(out, q)
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/queue", web.Msg("complaint.queue.title"), map[string]any{"Orgs": out})
	return nil
}

// orgName names an organisation (staff's table, read only).
func (h *Handlers) orgName(ctx context.Context, l i18n.Lang, code string) string {
	var n i18n.Text
	err := h.Service.db.QueryRowContext(ctx, `SELECT name_ar, name_fr, name_en FROM organisations WHERE code = $1`, code).
		Scan(&n.AR, &n.FR, &n.EN)
	if err != nil {
		return code
	}
	return n.Pick(l)
}

// publicPage is how many requests the public list shows per page.
const publicPage = 50

// public lists the requests of the last 90 days as anyone may see them:
// category, area, state, dates, the public answer; never a name or a
// contact, and for private-life categories no description.
func (h *Handlers) public(w http.ResponseWriter, r *http.Request) error {
	p := h.printer(r)
	q := r.URL.Query()
	cat, arr, state := q.Get("category"), q.Get("arrondissement"), q.Get("status")
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	f := PublicFilter{Category: cat, Arrondissement: arr, Status: state, Since: h.Service.now().AddDate(0, 0, -90),
		Limit: publicPage + 1, Offset: (page - 1) * publicPage}
	rs, err := h.Service.PublicList(r.Context(), f)
	if err != nil {
		return err
	}
	more := len(rs) > publicPage
	if more {
		rs = rs[:publicPage]
	}
	rows := h.rows(r, rs)
	for i, x := range rs {
		if x.Private {
			rows[i].Description = ""
		}
	}
	cats := []option{{Value: "", Label: p.t("complaint.public.any")}}
	for _, k := range h.Service.cat.Categories {
		cats = append(cats, option{Value: k.Code, Label: k.Name.Pick(p.l), Selected: k.Code == cat})
	}
	arrs := []option{{Value: "", Label: p.t("complaint.public.any")}}
	if as, err := h.Service.places.Arrondissements(r.Context()); err == nil {
		for _, a := range as {
			arrs = append(arrs, option{Value: a.Code, Label: a.Name.Pick(p.l), Selected: a.Code == arr})
		}
	}
	states := []option{{Value: "", Label: p.t("complaint.public.any")}, {Value: "open", Label: p.t("complaint.public.open"), Selected: state == "open"},
		{Value: "closed", Label: p.t("complaint.public.closed"), Selected: state == "closed"}}
	link := func(n int) string {
		v := url.Values{}
		for k, x := range map[string]string{"category": cat, "arrondissement": arr, "status": state} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("page", strconv.Itoa(n))
		return "/requests/public?" + v.Encode()
	}
	data := map[string]any{"Rows": rows, "Categories": cats, "Arrondissements": arrs, "States": states, "Page": page}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if more {
		data["Next"] = link(page + 1)
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/public", web.Msg("complaint.public.title"), data)
	return nil
}

// changeInput is a change on a request with what it brings, as a page's
// form or the API gives it: the note (question, reply, public answer,
// reason), a plan's day, a reassignment's team and arrondissement, a
// merge's duplicate (its number), a resolution's photo of the work done.
type changeInput struct {
	Change                                                    Change
	Version                                                   int
	Note, PlannedFor, Organisation, Arrondissement, Duplicate string
	Photo                                                     io.Reader
}

// known reports whether c is a change a page or the API may ask for.
func (c Change) known() bool {
	_, ok := moves[c]
	return ok || c == CReassign || c == CMerge || c == CRelease
}

// apply makes change in on request id for a, through the service's
// method for it: the one path of the team's pages and of the API.
func (h *Handlers) apply(ctx context.Context, a authz.Actor, id int64, in changeInput) (*Request, error) {
	switch in.Change {
	case CReassign:
		return h.Service.Reassign(ctx, a, id, in.Version, in.Organisation, in.Arrondissement, in.Note)
	case CMerge:
		number := strings.ToUpper(strings.TrimSpace(textnorm.Digits(in.Duplicate)))
		dup, err := request(ctx, h.Service.db, "number", number)
		if err != nil {
			return nil, errs.E(errs.Invalid, "complaint.error.duplicate").OnField("duplicate")
		}
		return h.Service.Merge(ctx, a, id, dup.ID, in.Note)
	case CRelease:
		return h.Service.Release(ctx, a, id)
	case CPlan:
		return h.Service.Plan(ctx, a, id, in.Version, in.PlannedFor, in.Note)
	case CResolve:
		return h.Service.Resolve(ctx, a, id, in.Version, in.Note, in.Photo)
	}
	if !in.Change.known() {
		return nil, errs.E(errs.Invalid, "complaint.error.change").OnField("change")
	}
	return h.Service.Move(ctx, a, id, in.Version, in.Change, in.Note)
}
