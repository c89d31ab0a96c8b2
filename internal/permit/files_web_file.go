package permit

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// pageState is what a request adds to a file page: the form it posted
// (shown again with its values when it failed), the errors, the
// confirmation of a done action.
type pageState struct {
	status     int
	form       string // the form whose values to show again: "draft", "return"…
	values     url.Values
	errors     map[string]string // by form.field
	top        string            // the error, above everything
	topLink    string            // the field it is about
	incomplete *Incomplete
	done       string
}

// dones are the confirmations an action's redirect may ask for.
var dones = []string{"created", "saved", "uploaded", "submitted", "withdrawn", "booked", "cancelled", "accepted", "returned",
	"approved", "refused", "extended", "asked", "answered", "uploaded_several", "removed", "signed", "dispatched", "member_added", "opinion_given",
	"remarks_sent", "answers_saved", "revised", "forwarded", "granted", "rejected", "declared", "photos_added", "recourse_filed"}

// fileView is the data of a file's page.
type fileView struct {
	ID                         int64
	Display, Ref, Number, Code string
	TrackURL                   string
	Kind, KindCode, Family     string
	FamilyCode                 string // Urban, Economic
	Title, Address, Place      string
	State                      State
	StateLabel                 string
	Closed                     bool
	Step, Holder               string
	Due, Left                  string
	Overdue                    bool
	Window                     string
	Route                      *fileRoute
	Decision                   string
	DecisionSigned             string // how its document is signed (DecisionSignature)
	Tacit                      bool
	Version                    int
	Can                        map[string]bool
	Agent                      bool
	Conflict                   bool // an agent of the window involved in the file
	Applicant                  *Contact
	Draft                      *draftView
	Checklist                  []itemView
	Missing                    []link
	Incomplete                 []link
	Appointment                *appointmentView
	SlotDays                   []slotDay
	SlotDay                    string       // the chosen day
	SlotTimes                  []slotOption // its free times
	SlotsNote                  string       // the receipt deadline the slots keep, or miss
	SlotsLate                  bool
	ChangeHours                int
	SendBacks                  []sendBackForm // return to the applicant, ask for more
	Decisions                  []decisionForm
	MaxMB                      string
	OpenDeadlines              []option
	Committee                  *committeeView  // once dispatched
	Opinions                   *opinionsView   // the committee's opinions, for staff
	Rounds                     *roundsView     // conclusions, remarks and answers, the president's decision
	AfterWorks                 *afterWorksView // the completion declaration, the inspection, the recourse
	Deadlines                  []deadlineRow
	Events                     []eventRow
	Top, TopLink, Done         string
	Summary                    []summaryRow    // what was filed, once it cannot be edited
	Tasks                      []taskRow       // a draft's sections
	SendBack                   *sendBackBanner // the window's return or request for more
	CheckURL                   string          // "check your answers", when the draft can be submitted
	errors                     map[string]string
	form                       string
	values                     url.Values
}

// Err is the error of a form's field ("return.note").
func (v *fileView) Err(key string) string { return v.errors[key] }

// ErrorSummary is the error summary at the top of the page when an action
// failed: the message, linking to the field at fault when it is about one
// (a failure not about a field has no link); an incomplete submission
// adds what is missing, each linking to its field or checklist item.
func (v *fileView) ErrorSummary() []web.FieldError {
	if v.Top == "" {
		return nil
	}
	out := []web.FieldError{{Field: strings.TrimPrefix(v.TopLink, "#"), Text: v.Top}}
	for _, l := range v.Incomplete {
		out = append(out, web.FieldError{Field: strings.TrimPrefix(l.Href, "#"), Text: l.Label})
	}
	return out
}

// Failed reports whether the page comes back after a failed form (its
// title then says so first).
func (v *fileView) Failed() bool { return v.Top != "" }

// Val is a field's value as the failed form posted it.
func (v *fileView) Val(form, key string) string {
	if v.form != form {
		return ""
	}
	return v.values.Get(key)
}

// Posted reports whether the failed form posted value for key.
func (v *fileView) Posted(form, key, value string) bool {
	return v.form == form && slices.Contains(v.values[key], value)
}

type fileRoute struct {
	Window, Explanation string
	Decided             bool
}

type link struct{ Label, Href string }

type draftView struct {
	Title, Address, Arrondissement string
	Lat, Lon, GeoJSON              string
	Arrondissements                []option
	Fields                         []fieldInput
	Parties                        []partyInput
	LocationRequired               bool
}

type fieldInput struct {
	ID, Label, Type, Unit, Value, Hint, Error string
	Described                                 string // the ids of its hint and error
	Required, Checked                         bool
	Options                                   []option
}

// decisionForm is the approval or the refusal form of an economic file.
type decisionForm struct {
	Action, Heading, Label, Submit, Value, Error string
}

// sendBackForm hands a file back to its applicant with what is missing:
// the return of an incomplete deposit, or the officer asking for more.
type sendBackForm struct {
	Action, Heading, Legend, NoteLabel, Submit string
	Items                                      []option
	Note, MissingError, NoteError              string
}

type partyInput struct {
	Role, Legend, Name, Registration, Error string
	Required                                bool
}

type itemView struct {
	Code, Name, Types, Accept, Error string
	SameAs                           string // the other items whose document is the same file (same SHA-256)
	Needed, Optional, Requested      bool
	Latest                           *uploadView
	Versions                         int
	CanUpload                        bool
	Several                          bool          // a set: several files, each its own document
	Docs                             []*uploadView // the documents that count (files_web_documents.go)
	Count                            string        // how many, for a set
}

type uploadView struct {
	Name, Meta, Date, URL string
	Version               int
	Image                 bool   // a photo or scan: previewed on the page as a thumbnail
	RemoveURL             string // the page asking to remove it, when the reader may
	SignURL               string // the page asking for the PIN to sign it, when the reader may
	Signed                string // "Signed electronically by … on …", when a signed copy
	ReviewURL             string // the plan-review page (annotations, measurements) of a PDF of a filed urban file
}

type appointmentView struct {
	When, Window string
	CanChange    bool
}

type slotDay struct {
	ID, Date, Day, Href string
	Free                int
	Current             bool
}

type slotOption struct {
	ID, Value, Label string
	Checked          bool
}

type deadlineRow struct {
	Step, Actor, Due, Status, Extended string
	Overdue                            bool
}

type eventRow struct {
	At, Who, What string
	Details       []string
}

func (h *FileHandlers) webFile(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	st := &pageState{status: http.StatusOK}
	if d := r.URL.Query().Get("done"); slices.Contains(dones, d) {
		st.done = "permit.files.done." + d
	}
	return h.renderFile(w, r, v.Actor, id, st)
}

// renderFile renders a file's page as it stands now, with what the
// request adds.
func (h *FileHandlers) renderFile(w http.ResponseWriter, r *http.Request, a authz.Actor, id int64, st *pageState) error {
	vw, err := h.Service.View(r.Context(), a, id)
	if err != nil {
		return err
	}
	fv, err := h.fileView(r, a, vw, st)
	if err != nil {
		return err
	}
	h.Web.Render(w, r, st.status, "permit/files_file", web.Msg("permit.files.file.title", "number", vw.File.Display()), fv)
	return nil
}

// fail shows an action's error on the file's page, next to the field at
// fault (at names it for uploads: the item), with the file as it is now.
// Refusals and failures take the one error path.
func (h *FileHandlers) fail(w http.ResponseWriter, r *http.Request, a authz.Actor, id int64, form, at string, err error) error {
	e := errs.As(err)
	if e == nil || !userError(e) {
		return err
	}
	// The one map of statuses: a form error is of one of userError's
	// kinds (invalid 400, conflict 409, forbidden 403, too large 413, too
	// many 429, unsupported 415).
	values := r.PostForm
	if r.Method == http.MethodGet {
		values = r.URL.Query() // a form leading to a confirmation (webConfirm)
	}
	st := &pageState{status: httpx.Status(e.Kind), form: form, values: values, errors: map[string]string{}}
	msg := h.message(r, e)
	if e.Key == "permit.error.stale" {
		msg = h.Cat.T(i18n.FromContext(r.Context()), "permit.files.stale")
		st.form = "" // the page shows the file as it is now
	}
	st.incomplete = isIncomplete(err)
	field := at
	if field == "" {
		field = e.Field
	}
	if field != "" {
		st.errors[form+"."+field] = msg
		st.topLink = "#" + anchor(form, field)
	}
	st.top = msg
	return h.renderFile(w, r, a, id, st)
}

// anchor is the id of the control a form's field error is about.
func anchor(form, field string) string {
	switch form {
	case "draft":
		switch {
		case field == "location":
			return "place"
		case strings.HasPrefix(field, "party_"):
			return field + "_name"
		}
		return field
	case "upload":
		return "file-" + field
	case "book":
		return "slots"
	}
	return form + "-" + field
}

// draftField maps a service error's field to the draft form's control.
func draftField(k *Kind, field string) string {
	if _, ok := k.Field(field); ok {
		return "field_" + field
	}
	return field
}

func (h *FileHandlers) fileView(r *http.Request, a authz.Actor, vw *View, st *pageState) (*fileView, error) {
	ctx := r.Context()
	p := h.printer(r)
	now := h.Service.now()
	cat := h.Service.Catalogue()
	f, k := vw.File, vw.Kind
	id := strconv.FormatInt(f.ID, 10)
	v := &fileView{ID: f.ID, Display: f.Display(), Ref: f.Ref, Number: f.Number, Code: f.TrackingCode,
		Kind: k.Name.Pick(p.l), KindCode: k.Code, Family: p.t("permit.family." + k.Family), FamilyCode: k.Family, Title: f.Title, Address: f.Address,
		State: f.State, StateLabel: p.state(f.State), Closed: f.State.Closed(), Decision: f.DecisionReason, Tacit: f.Tacit,
		Version: f.Version, Can: vw.Can, Top: st.top, TopLink: st.topLink, Done: "", errors: st.errors, form: st.form,
		values: st.values}
	if st.done != "" {
		v.Done = p.t(st.done)
	}
	if f.State == Approved || f.State == Refused {
		v.DecisionSigned = h.Service.DecisionSignature(ctx, f.ID)
	}
	if v.errors == nil {
		v.errors = map[string]string{}
	}
	v.TrackURL = "/track?" + url.Values{"number": {f.Display()}, "code": {f.TrackingCode}}.Encode()
	v.Agent = vw.Can[TAccept] || vw.Can[TReturn] || vw.Can[TAsk] || vw.Can[TApprove] || vw.Can[TRefuse] || vw.Can["extend"] ||
		vw.Can[TDispatch]
	var err error
	if v.Committee, err = h.committeeSection(r, a, vw, p); err != nil {
		return nil, err
	}
	if v.Opinions, err = h.opinionsSection(r, a, vw, st, p); err != nil {
		return nil, err
	}
	if v.Rounds, err = h.roundsSection(r, a, vw, st, p); err != nil {
		return nil, err
	}
	if v.AfterWorks, err = h.afterWorksSection(r, a, vw, p); err != nil {
		return nil, err
	}
	v.Conflict = vw.Conflict
	v.Applicant = h.contact(r, a, vw)
	if f.Step != "" && !f.State.Closed() {
		v.Step = cat.StepName(f.Step).Pick(p.l)
	}
	v.Holder = p.holder(f.Holder, vw.Window)
	if f.Holder == HolderCommittee && f.Step == StepDecision {
		v.Holder = p.t("permit.holder.president")
	}
	if vw.Window != nil {
		v.Window = vw.Window.Name.Pick(p.l)
	}
	v.Due, v.Left, v.Overdue = h.due(p, f.DueAt, now)
	if f.Arrondissement != "" {
		if ar, _, _, err := h.Service.places.Arrondissement(ctx, f.Arrondissement); err == nil {
			v.Place = ar.Name.Pick(p.l)
		}
	}
	if vw.Route != nil {
		rt := &fileRoute{Window: p.t("permit.window." + vw.Route.Window), Explanation: vw.Route.Explanation.Pick(p.l), Decided: f.Window != ""}
		if rt.Decided && v.Window != "" {
			rt.Window = v.Window
		}
		v.Route = rt
	}

	// Requested: the items the window asked for when it last returned the
	// file or asked for more.
	var requested []string
	if f.State == Returned || f.State == InfoRequested {
		for _, e := range slices.Backward(vw.Events) {
			if e.Kind == TReturn || e.Kind == TAsk {
				requested = strList(e.Data, "missing")
				break
			}
		}
	}

	if vw.Can["edit"] {
		d, err := h.draft(ctx, p, k, f, st)
		if err != nil {
			return nil, err
		}
		v.Draft = d
	} else {
		v.Summary = h.summary(ctx, p, k, f, "")
	}
	if f.State == Draft && vw.Can["edit"] {
		v.Tasks = tasks(p, k, f, vw)
	}
	for _, t := range v.Tasks {
		if vw.Can["submit"] && t.Href == "/files/"+id+"/check" {
			v.CheckURL = t.Href // once every section is complete
		}
	}
	v.SendBack = h.sendBack(p, k, f, vw)
	for _, it := range vw.Checklist {
		iv := itemView{Code: it.Code, Name: it.Name.Pick(p.l), Needed: it.Needed, Optional: !it.Required,
			Versions: it.Versions, CanUpload: vw.Can["upload"], Requested: slices.Contains(requested, it.Code),
			Error: v.errors["upload."+it.Code]}
		var types, accept []string
		for _, t := range it.Types {
			types = append(types, p.t("permit.files.types."+t))
			switch t {
			case "pdf":
				accept = append(accept, ".pdf", "application/pdf")
			case "image":
				accept = append(accept, ".jpg", ".jpeg", ".png", "image/jpeg", "image/png")
			}
		}
		iv.Types, iv.Accept = strings.Join(types, p.t("permit.cond.or")), strings.Join(accept, ",")
		h.itemDocuments(p, vw, it, &iv)
		v.Checklist = append(v.Checklist, iv)
	}
	// The same file uploaded for two items is flagged on both: a likely
	// slip (the ID card uploaded as the title deed).
	for i := range v.Checklist {
		l := vw.Checklist[i].Latest
		if l == nil {
			continue
		}
		var others []string
		for j, it := range vw.Checklist {
			if j != i && it.Latest != nil && it.Latest.SHA256 == l.SHA256 {
				others = append(others, it.Name.Pick(p.l))
			}
		}
		if len(others) > 0 {
			v.Checklist[i].SameAs = p.t("permit.journey.item.same", "items", p.list(others))
		}
	}
	if vw.Can["edit"] {
		for _, code := range vw.Missing {
			if i := slices.IndexFunc(vw.Checklist, func(it ChecklistItem) bool { return it.Code == code }); i >= 0 {
				v.Missing = append(v.Missing, link{Label: vw.Checklist[i].Name.Pick(p.l), Href: "#item-" + code})
			}
		}
	}
	if in := st.incomplete; in != nil {
		for _, code := range in.Fields {
			v.Incomplete = append(v.Incomplete, link{Label: p.t("permit.msgs.incomplete.field", "name", fieldLabel(p, k, code)), Href: "#" + anchor("draft", draftField(k, code))})
		}
		for _, code := range in.Documents {
			if i := slices.IndexFunc(k.Documents, func(d Requirement) bool { return d.Code == code }); i >= 0 {
				v.Incomplete = append(v.Incomplete, link{Label: p.t("permit.msgs.incomplete.item", "name", k.Documents[i].Name.Pick(p.l)), Href: "#item-" + code})
			}
		}
	}

	if ap := vw.Appointment; ap != nil {
		v.Appointment = &appointmentView{When: h.slotTime(p, ap.Start, ap.End), Window: v.Window,
			CanChange: vw.Can["book"] && now.Add(time.Duration(cat.Deposit.ChangeNoticeHours)*time.Hour).Before(ap.Start)}
	}
	v.ChangeHours = cat.Deposit.ChangeNoticeHours
	if vw.Can["book"] && (vw.Appointment == nil || v.Appointment.CanChange) {
		if err := h.slots(r, p, f, k, vw.Appointment, v); err != nil {
			return nil, err
		}
	}

	for _, act := range []string{TApprove, TRefuse} {
		if vw.Can[act] {
			v.Decisions = append(v.Decisions, decisionForm{Action: act, Heading: p.t("permit.files." + act + ".heading"),
				Label: p.t("permit.files." + act + ".reason"), Submit: p.t("permit.files." + act + ".submit"),
				Value: v.Val(act, "reason"), Error: v.errors[act+".reason"]})
		}
	}
	v.MaxMB = blob.FormatMB(MaxUpload)
	for _, act := range []string{TReturn, TAsk} {
		if !vw.Can[act] {
			continue
		}
		sb := sendBackForm{Action: act, Heading: p.t("permit.files." + act + ".heading"), Legend: p.t("permit.files." + act + ".missing"),
			NoteLabel: p.t("permit.files." + act + ".note"), Submit: p.t("permit.files." + act + ".submit"),
			Note: v.Val(act, "note"), MissingError: v.errors[act+".missing"], NoteError: v.errors[act+".note"]}
		for _, d := range k.Documents {
			sb.Items = append(sb.Items, option{Value: d.Code, Label: d.Name.Pick(p.l), Selected: v.Posted(act, "missing", d.Code)})
		}
		v.SendBacks = append(v.SendBacks, sb)
	}
	for _, d := range vw.Deadlines {
		row := deadlineRow{Step: cat.StepName(d.Step).Pick(p.l), Actor: actorName(k, f, d.Actor).Pick(p.l),
			Due: i18n.FormatDate(p.l, d.DueAt)}
		switch {
		case d.MetAt != nil:
			outcome := d.Outcome
			if !slices.Contains([]string{"met", "dropped", "referral", "tacit_approval"}, outcome) {
				outcome = "met"
			}
			row.Status = p.t("permit.files.deadline." + outcome)
		case d.PausedAt != nil:
			row.Status = p.t("permit.files.deadline.paused")
		case d.DueAt.Before(now):
			row.Status, row.Overdue = p.t("permit.files.deadline.overdue"), true
		default:
			row.Status = p.t("permit.files.deadline.running")
		}
		if d.ExtendedDays > 0 {
			row.Extended = p.t("permit.files.deadline.extended", "duration", p.duration(Deadline{Value: d.ExtendedDays, Unit: WorkingDays}))
		}
		v.Deadlines = append(v.Deadlines, row)
		if vw.Can["extend"] && d.Open() {
			v.OpenDeadlines = append(v.OpenDeadlines, option{Value: d.Step,
				Label:    p.t("permit.files.extend.option", "step", row.Step, "date", row.Due),
				Selected: v.Val("extend", "step") == d.Step})
		}
	}
	windows := h.windowNames(ctx)
	for _, e := range slices.Backward(vw.Events) {
		what, details := h.eventText(p, k, windows, e, false)
		v.Events = append(v.Events, eventRow{At: i18n.FormatDateTime(p.l, e.At), Who: who(p, e, f, a.Person), What: what, Details: details})
	}
	return v, nil
}

// fieldLabel names a missing field for people.
func fieldLabel(p printer, k *Kind, code string) string {
	if fd, ok := k.Field(code); ok {
		return fd.Label.Pick(p.l)
	}
	return p.t("permit.files.field." + code)
}

// actorName is the name of a deadline's actor in the file's schedule.
func actorName(k *Kind, f *File, code string) Text {
	for _, hd := range k.Handling {
		if hd.Schedule.Code != f.Schedule {
			continue
		}
		for _, st := range hd.Schedule.Steps {
			if st.Actor.Code == code {
				return st.Actor.Name
			}
		}
	}
	for _, hd := range k.Handling {
		for _, st := range hd.Schedule.Steps {
			if st.Actor.Code == code {
				return st.Actor.Name
			}
		}
	}
	return Text{AR: code, FR: code, EN: code}
}

// draft is the draft form, filled from the file or, when it failed, from
// what was posted.
func (h *FileHandlers) draft(ctx context.Context, p printer, k *Kind, f *File, st *pageState) (*draftView, error) {
	arrs, err := h.arrondissements(ctx, p.l)
	if err != nil {
		return nil, err
	}
	posted := st.form == "draft"
	get := func(name, current string) string {
		if posted {
			return st.values.Get(name)
		}
		return current
	}
	d := &draftView{Title: get("title", f.Title), Address: get("address", f.Address), LocationRequired: f.Family == Urban}
	d.Arrondissement = get("arrondissement", f.Arrondissement)
	lat, lon, gj := "", "", ""
	if f.Location != "" {
		if strings.Contains(f.Location, `"Point"`) {
			lat, lon = strconv.FormatFloat(f.Lat, 'f', -1, 64), strconv.FormatFloat(f.Lon, 'f', -1, 64)
		} else {
			gj = f.Location
		}
	}
	d.Lat, d.Lon, d.GeoJSON = get("lat", lat), get("lon", lon), get("location", gj)
	for _, a := range arrs {
		a.Selected = a.Value == d.Arrondissement
		d.Arrondissements = append(d.Arrondissements, a)
	}
	errOf := func(name string) string { return st.errors["draft."+name] }
	for _, fd := range k.Fields {
		name := "field_" + fd.Code
		in := fieldInput{ID: name, Label: fd.Label.Pick(p.l), Type: fd.Type, Value: get(name, f.Fields[fd.Code]), Required: fd.Required,
			Error: errOf(name)}
		if fd.Unit != "" {
			in.Unit = p.t("permit.unit." + fd.Unit)
		}
		switch fd.Type {
		case FieldText:
			if multiline(fd.Code) {
				in.Type = "textarea" // room for sentences
			}
		case FieldBoolean:
			in.Checked = parseBool(in.Value)
		case FieldChoice:
			for _, o := range fd.Options {
				in.Options = append(in.Options, option{Value: o.Code, Label: o.Label.Pick(p.l), Selected: o.Code == in.Value})
			}
		case FieldNumber:
			switch {
			case fd.Min != nil && fd.Max != nil:
				in.Hint = p.t("permit.files.field.range", "min", num(*fd.Min), "max", num(*fd.Max))
			case fd.Min != nil:
				in.Hint = p.t("permit.files.field.min", "min", num(*fd.Min))
			case fd.Max != nil:
				in.Hint = p.t("permit.files.field.max", "max", num(*fd.Max))
			}
			if fd.Integer {
				in.Hint = strings.TrimSpace(in.Hint + " " + p.t("permit.files.field.integer"))
			}
		}
		var ids []string
		if in.Hint != "" {
			ids = append(ids, name+"-hint")
		}
		if in.Error != "" {
			ids = append(ids, name+"-error")
		}
		in.Described = strings.Join(ids, " ")
		d.Fields = append(d.Fields, in)
	}
	for _, role := range PartyRoles {
		pi := partyInput{Role: role, Legend: p.t("permit.files.party." + role), Error: errOf("party_" + role),
			Required: role == PartyArchitect && k.ArchitectRequired}
		for _, pt := range f.Parties {
			if pt.Role == role {
				pi.Name, pi.Registration = pt.Name, pt.Registration
			}
		}
		pi.Name, pi.Registration = get("party_"+role+"_name", pi.Name), get("party_"+role+"_reg", pi.Registration)
		d.Parties = append(d.Parties, pi)
	}
	return d, nil
}

func num(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }

// slotTime writes a slot as its day and hours in Casablanca.
func (h *FileHandlers) slotTime(p printer, start, end time.Time) string {
	return p.t("permit.files.slot.when", "date", i18n.FormatDate(p.l, start), "weekday", weekday(p, start),
		"start", start.In(i18n.Casablanca).Format("15:04"), "end", end.In(i18n.Casablanca).Format("15:04"))
}

func weekday(p printer, t time.Time) string {
	return p.t("permit.files.weekday." + strconv.Itoa(int(t.In(i18n.Casablanca).Weekday())))
}

// slots offers the window's free deposit slots as a phone can take them:
// the days first (links, ?day=YYYY-MM-DD), then the free times of the
// chosen day (the first day, or the appointment's). Slots after the
// receipt step's legal deadline are not offered unless none is free
// before it; then the page says so.
func (h *FileHandlers) slots(r *http.Request, p printer, f *File, k *Kind, ap *Appointment, v *fileView) error {
	ss, limit, late, err := h.Service.DepositSlots(r.Context(), f, k)
	if err != nil {
		return err
	}
	if !limit.IsZero() && len(ss) > 0 {
		date := i18n.FormatDate(p.l, limit)
		if late {
			v.SlotsNote = p.t("permit.journey.slots.late", "date", date)
		} else {
			v.SlotsNote = p.t("permit.journey.slots.limit", "date", date)
		}
		v.SlotsLate = late
	}
	chosen := v.Val("book", "start")
	day := textnormDay(r.URL.Query().Get("day"))
	if day == "" && chosen != "" {
		if t, err := time.Parse(time.RFC3339, chosen); err == nil {
			day = calendar.DateOf(t).String()
		}
	}
	if day == "" && ap != nil {
		day = calendar.DateOf(ap.Start).String()
	}
	for _, s := range ss {
		d := calendar.DateOf(s.Start).String()
		if len(v.SlotDays) == 0 || v.SlotDays[len(v.SlotDays)-1].Date != d {
			v.SlotDays = append(v.SlotDays, slotDay{ID: "day-" + d, Date: d,
				Href: "/files/" + strconv.FormatInt(f.ID, 10) + "?day=" + d + "#slots",
				Day:  p.t("permit.files.slot.day", "weekday", weekday(p, s.Start), "date", i18n.FormatDate(p.l, s.Start))})
		}
		v.SlotDays[len(v.SlotDays)-1].Free++
	}
	if len(v.SlotDays) == 0 {
		return nil
	}
	i := slices.IndexFunc(v.SlotDays, func(sd slotDay) bool { return sd.Date == day })
	if i < 0 {
		i = 0
	}
	v.SlotDays[i].Current = true
	v.SlotDay = v.SlotDays[i].Day
	for _, s := range ss {
		if calendar.DateOf(s.Start).String() != v.SlotDays[i].Date {
			continue
		}
		value := s.Start.UTC().Format(time.RFC3339)
		v.SlotTimes = append(v.SlotTimes, slotOption{ID: "slot-" + strconv.FormatInt(s.Start.Unix(), 10), Value: value,
			Label:   s.Start.In(i18n.Casablanca).Format("15:04") + "–" + s.End.In(i18n.Casablanca).Format("15:04"),
			Checked: value == chosen || (chosen == "" && ap != nil && ap.Start.Equal(s.Start))})
	}
	return nil
}

// textnormDay keeps a ?day= value only if it is a date (YYYY-MM-DD, any
// digits): anything else chooses the first day.
func textnormDay(s string) string {
	s = textnorm.Digits(strings.TrimSpace(s))
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return ""
	}
	return s
}

// agentEvents are the events only the window's agents cause.
var agentEvents = []string{TAccept, TReturn, TAsk, TApprove, TRefuse, "extended"}

// who says who caused an event, in words: the technical label is for the
// audit log.
func who(p printer, e Event, f *File, viewer int64) string {
	switch {
	case e.ActorLabel == "system" || e.Actor == 0:
		return p.t("permit.files.who.system")
	case slices.Contains(agentEvents, e.Kind):
		return p.t("permit.files.who.window")
	case e.Actor == viewer:
		return p.t("permit.files.who.you")
	case e.Actor == f.OwnerPerson:
		return p.t("permit.files.who.owner")
	}
	return p.t("permit.files.who.representative")
}

// eventText says what an event did, with its details (the reason, the
// note); public leaves out what the public page may not show.
func (h *FileHandlers) eventText(p printer, k *Kind, windows map[string]district.Window, e Event, public bool) (string, []string) {
	d := e.Data
	var details []string
	docName := func(code string) string {
		for _, r := range k.Documents {
			if r.Code == code {
				return r.Name.Pick(p.l)
			}
		}
		return code
	}
	step := func() {
		if s := str(d, "step"); s != "" && !public {
			details = append(details, p.t("permit.files.event.step", "step", h.Service.Catalogue().StepName(s).Pick(p.l)))
		}
	}
	reason := func(key string) {
		if s := str(d, key); s != "" && !public {
			details = append(details, p.t("permit.files.event."+key, key, s))
		}
	}
	var what string
	switch e.Kind {
	case "uploaded", "document_removed", "document_signed":
		what = p.t("permit.event."+e.Kind, "item", docName(str(d, "item")), "version", strconv.Itoa(intOf(d, "version")))
	case TSubmit:
		if w, ok := windows[str(d, "window")]; ok {
			what = p.t("permit.event.submit", "window", w.Name.Pick(p.l))
		} else {
			what = p.t("permit.event.submit_plain")
		}
	case TReturn, TAsk:
		what = p.t("permit.event." + e.Kind)
		var names []string
		for _, m := range strList(d, "missing") {
			names = append(names, docName(m))
		}
		if len(names) > 0 {
			details = append(details, p.t("permit.files.event.missing", "items", p.list(names)))
		}
		reason("note")
	case TAccept:
		what = p.t("permit.event.accept", "number", str(d, "number"))
	case TApprove, TRefuse:
		what = p.t("permit.event." + e.Kind)
		reason("reason")
	case "booked", "moved", "cancelled":
		what = p.t("permit.event."+e.Kind, "when", i18n.FormatDateTime(p.l, timeOf(d, "start")))
		if timeOf(d, "start").IsZero() {
			what = p.t("permit.event." + e.Kind + "_plain")
		}
	case "extended":
		what = p.t("permit.event.extended", "duration", p.duration(Deadline{Value: intOf(d, "days"), Unit: WorkingDays}))
		step()
		reason("reason")
	case "opinion":
		body, _ := h.Service.Catalogue().Body(str(d, "body"))
		what = p.t("permit.event.opinion", "body", body.Name.Pick(p.l), "verdict", p.t("permit.opinion.verdict."+str(d, "verdict")))
	case "member_added":
		body, _ := h.Service.Catalogue().Body(str(d, "body"))
		what = p.t("permit.event.member_added", "body", body.Name.Pick(p.l))
		reason("note")
	case "concluded":
		what = p.t("permit.event.concluded", "round", intOf(d, "round"), "outcome", p.t("permit.rounds.outcome."+str(d, "outcome")))
	case "silence":
		var names []string
		for _, b := range strList(d, "bodies") {
			body, _ := h.Service.Catalogue().Body(b)
			names = append(names, body.Name.Pick(p.l))
		}
		what = p.t("permit.event.silence", "bodies", p.list(names))
	case TRemarks:
		what = p.t("permit.event.remarks", "count", intOf(d, "remarks"))
	case TRevise:
		what = p.t("permit.event.revise", "round", intOf(d, "round"))
	case TGrant, TReject:
		what = p.t("permit.event." + e.Kind)
		reason("reason")
	case TTacit, "referral", "overdue":
		what = p.t("permit.event." + e.Kind)
		step()
	default:
		key := "permit.event." + e.Kind
		if !h.Cat.Has(p.l, key) {
			key = "permit.event.other"
		}
		what = p.t(key)
	}
	return what, details
}

func str(d map[string]any, k string) string {
	s, _ := d[k].(string)
	return s
}

func intOf(d map[string]any, k string) int {
	switch n := d[k].(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

func strList(d map[string]any, k string) []string {
	switch l := d[k].(type) {
	case []string:
		return l
	case []any:
		var out []string
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func timeOf(d map[string]any, k string) time.Time {
	switch t := d[k].(type) {
	case time.Time:
		return t
	case string:
		if v, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return v
		}
	}
	return time.Time{}
}

// formVersion is the file version the form was rendered with.
func formVersion(r *http.Request) int {
	n, _ := strconv.Atoi(r.PostFormValue("version"))
	return n
}

func redirectDone(w http.ResponseWriter, r *http.Request, id int64, done string) {
	http.Redirect(w, r, fmt.Sprintf("/files/%d?done=%s", id, done), http.StatusSeeOther)
}
