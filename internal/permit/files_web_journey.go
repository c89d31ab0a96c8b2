package permit

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The applicant's journey (issue #10): what was filed as a summary list,
// the window's return as a banner, the draft's task list and the "check
// your answers" page before submission.

// summaryRow is a row of a summary list: a fact of the file with, on a
// draft, the link that changes it.
type summaryRow struct {
	Key, Value, Href, Action string
}

// taskRow is a section of a draft with its state (task-list partial).
type taskRow struct {
	Title, Href, Hint, Status, Kind string
}

// sendBackBanner is the window's last return or request for more, shown
// at the top of the file while the applicant must act on it.
type sendBackBanner struct {
	Title, Text string
	Body        template.HTML // the window's note, isolated: it may be in another language and direction
}

// Task states: one tag colour each (components.html, tag).
const (
	taskNotStarted = "not_started" // grey
	taskIncomplete = "incomplete"  // yellow: the applicant must act
	taskCompleted  = "completed"   // green
	taskOptional   = "optional"    // grey
	taskCannot     = "cannot"      // no tag, no link
)

var taskKinds = map[string]string{taskNotStarted: "grey", taskIncomplete: "yellow", taskCompleted: "green", taskOptional: "grey"}

// ownerName is the file's owner as people know them.
func (h *FileHandlers) ownerName(ctx context.Context, f *File, l i18n.Lang) string {
	s := h.Service
	if f.OwnerLegal != 0 {
		if lp, err := s.people.LegalPerson(ctx, s.db, f.OwnerLegal); err == nil {
			return lp.DisplayName(string(l))
		}
		return ""
	}
	if p, err := s.people.Person(ctx, s.db, f.OwnerPerson); err == nil {
		return p.DisplayName(string(l))
	}
	return ""
}

// summary lists everything the file holds as filed: the kind, the owner,
// the place, every field of the kind and the parties. change gives the
// rows their "Change" links (a draft's check page, the draft itself).
func (h *FileHandlers) summary(ctx context.Context, p printer, k *Kind, f *File, change string) []summaryRow {
	var rows []summaryRow
	add := func(key, value, anchor string) {
		r := summaryRow{Key: key, Value: value}
		if r.Value == "" {
			r.Value = p.t("permit.journey.summary.empty")
		}
		if change != "" && anchor != "" {
			r.Href, r.Action = change+"#"+anchor, p.t("permit.journey.change")
		}
		rows = append(rows, r)
	}
	add(p.t("permit.files.fact.kind"), k.Name.Pick(p.l), "")
	add(p.t("permit.journey.summary.owner"), h.ownerName(ctx, f, p.l), "")
	add(p.t("permit.files.field.title"), f.Title, "title")
	add(p.t("permit.files.field.address"), f.Address, "address")
	place := ""
	if f.Arrondissement != "" {
		place = f.Arrondissement
		if ar, _, _, err := h.Service.places.Arrondissement(ctx, f.Arrondissement); err == nil {
			place = ar.Name.Pick(p.l)
		}
	}
	add(p.t("permit.files.field.arrondissement"), place, "arrondissement")
	loc := ""
	switch {
	case f.Location == "":
	case strings.Contains(f.Location, `"Point"`):
		loc = num(f.Lat) + ", " + num(f.Lon)
	default:
		loc = p.t("permit.journey.summary.geometry")
	}
	add(p.t("permit.files.field.location"), loc, "place")
	for _, fd := range k.Fields {
		val := strings.TrimSpace(f.Fields[fd.Code])
		switch fd.Type {
		case FieldBoolean:
			if val != "" {
				if parseBool(val) {
					val = p.t("permit.journey.yes")
				} else {
					val = p.t("permit.journey.no")
				}
			}
		case FieldChoice:
			for _, o := range fd.Options {
				if o.Code == val {
					val = o.Label.Pick(p.l)
				}
			}
		case FieldNumber:
			if val != "" && fd.Unit != "" {
				val += " " + p.t("permit.unit."+fd.Unit)
			}
		}
		add(fd.Label.Pick(p.l), val, "field_"+fd.Code)
	}
	for _, role := range PartyRoles {
		val := ""
		for _, pt := range f.Parties {
			if pt.Role == role {
				val = pt.Name
				if pt.Registration != "" {
					val += " (" + pt.Registration + ")"
				}
			}
		}
		if val == "" && !(role == PartyArchitect && k.ArchitectRequired) {
			if change == "" {
				continue // a party nobody named, after submission: nothing to show
			}
		}
		add(p.t("permit.files.party."+role), val, "party_"+role+"_name")
	}
	return rows
}

// documentRows lists the checklist as filed: each item with its file, or
// why it has none.
func documentRows(p printer, vw *View, change string) []summaryRow {
	var rows []summaryRow
	for _, it := range vw.Checklist {
		r := summaryRow{Key: it.Name.Pick(p.l)}
		switch {
		case it.Latest != nil:
			r.Value = it.Latest.Name
		case it.Needed:
			r.Value = p.t("permit.files.item.missing")
		case !it.Required:
			r.Value = p.t("permit.journey.summary.not_given")
		default:
			r.Value = p.t("permit.files.item.not_needed")
		}
		// Nothing to change on an item this file does not need.
		if change != "" && (it.Latest != nil || it.Needed || !it.Required) {
			r.Href, r.Action = change+"#item-"+it.Code, p.t("permit.journey.change")
		}
		rows = append(rows, r)
	}
	return rows
}

// tasks are a draft's sections with each one's state.
func tasks(p printer, k *Kind, f *File, vw *View) []taskRow {
	id := strconv.FormatInt(f.ID, 10)
	state := func(done, todo int) string {
		switch {
		case todo == 0:
			return taskCompleted
		case done == 0:
			return taskNotStarted
		}
		return taskIncomplete
	}
	ready := true
	row := func(title, href, hint, st string) taskRow {
		if st == taskNotStarted || st == taskIncomplete {
			ready = false
		}
		t := taskRow{Title: p.t(title), Href: href, Hint: hint, Status: p.t("permit.journey.task." + st), Kind: taskKinds[st]}
		if st == taskCannot {
			t.Href = ""
		}
		return t
	}
	var out []taskRow

	// Where: address, arrondissement, the location for an urban file.
	done, todo := 0, 0
	for _, set := range []bool{f.Address != "", f.Arrondissement != "", f.Family != Urban || f.Location != ""} {
		if set {
			done++
		} else {
			todo++
		}
	}
	out = append(out, row("permit.journey.task.place", "#address", "", state(done, todo)))

	// The project: the kind's fields.
	done, todo = 0, 0
	some := false
	for _, fd := range k.Fields {
		v := strings.TrimSpace(f.Fields[fd.Code])
		if v != "" && !(fd.Type == FieldBoolean && !parseBool(v) && !fd.Required) {
			some = true
		}
		if !fd.Required {
			continue
		}
		if v == "" {
			todo++
		} else {
			done++
		}
	}
	st := state(done, todo)
	switch {
	case st == taskNotStarted && some:
		st = taskIncomplete
	case done+todo == 0 && !some:
		st = taskOptional // nothing required, nothing given yet
	}
	if len(k.Fields) > 0 {
		out = append(out, row("permit.journey.task.project", "#draft-project", "", st))
	}

	// The parties: the architect when the kind needs one.
	named := len(f.Parties) > 0
	switch {
	case k.ArchitectRequired && !slices.ContainsFunc(f.Parties, func(pt Party) bool { return pt.Role == PartyArchitect }):
		st = taskNotStarted
		if named {
			st = taskIncomplete
		}
	case named || k.ArchitectRequired:
		st = taskCompleted
	default:
		st = taskOptional
	}
	out = append(out, row("permit.journey.task.parties", "#parties", "", st))

	// The documents.
	done, todo = 0, len(vw.Missing)
	for _, it := range vw.Checklist {
		if it.Latest != nil {
			done++
		}
	}
	out = append(out, row("permit.journey.task.documents", "#checklist-heading",
		p.t("permit.journey.task.documents.hint", "count", len(vw.Missing)), state(done, todo)))
	if len(vw.Missing) == 0 {
		out[len(out)-1].Hint = ""
	}

	// Check and submit: once every section above is complete.
	if ready {
		out = append(out, row("permit.journey.task.check", "/files/"+id+"/check", "", taskNotStarted))
	} else {
		out = append(out, row("permit.journey.task.check", "", p.t("permit.journey.task.check.hint"), taskCannot))
	}
	// The appointment: after submission.
	out = append(out, row("permit.journey.task.appointment", "", p.t("permit.journey.task.appointment.hint"), taskCannot))
	return out
}

// sendBack is the banner of the window's last return or request for more,
// while the file waits for the applicant.
func (h *FileHandlers) sendBack(p printer, k *Kind, f *File, vw *View) *sendBackBanner {
	if f.State != Returned && f.State != InfoRequested {
		return nil
	}
	for _, e := range slices.Backward(vw.Events) {
		if e.Kind != TReturn && e.Kind != TAsk {
			continue
		}
		b := &sendBackBanner{Title: p.t("permit.journey.sendback." + e.Kind + ".title")}
		var names []string
		for _, code := range strList(e.Data, "missing") {
			name := code
			if i := slices.IndexFunc(k.Documents, func(d Requirement) bool { return d.Code == code }); i >= 0 {
				name = k.Documents[i].Name.Pick(p.l)
			}
			names = append(names, name)
		}
		b.Text = p.t("permit.journey.sendback." + e.Kind + ".text")
		if len(names) > 0 {
			b.Text = p.t("permit.journey.sendback.items", "count", len(names), "items", p.list(names))
		}
		if n := str(e.Data, "note"); n != "" {
			b.Body = template.HTML(strings.Replace(html.EscapeString(p.t("permit.files.event.note", "note", "\x00")), "\x00",
				`<bdi class="pre">`+html.EscapeString(n)+`</bdi>`, 1))
		}
		return b
	}
	return nil
}

// checkView is the data of "check your answers".
type checkView struct {
	ID               int64
	Display, Kind    string
	Version          int
	Summary, Docs    []summaryRow
	Missing          []link
	CanSubmit, Ready bool
}

// webCheck is "check your answers": everything the draft holds, each
// with a link to change it, then the submission.
func (h *FileHandlers) webCheck(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	return h.renderCheck(w, r, v.Actor, id)
}

func (h *FileHandlers) renderCheck(w http.ResponseWriter, r *http.Request, a authz.Actor, id int64) error {
	vw, err := h.Service.View(r.Context(), a, id)
	if err != nil {
		return err
	}
	f, k := vw.File, vw.Kind
	if !vw.Can["submit"] {
		// Nothing to check: the file is not a draft this person may submit.
		http.Redirect(w, r, "/files/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
	p := h.printer(r)
	page := "/files/" + strconv.FormatInt(id, 10)
	cv := &checkView{ID: f.ID, Display: f.Display(), Kind: k.Name.Pick(p.l), Version: f.Version, CanSubmit: true,
		Summary: h.summary(r.Context(), p, k, f, page), Docs: documentRows(p, vw, page)}
	if err := h.Service.complete(r.Context(), h.Service.db, k, f); err != nil {
		if in := isIncomplete(err); in != nil {
			for _, code := range in.Fields {
				cv.Missing = append(cv.Missing, link{Label: fieldLabel(p, k, code), Href: page + "#" + anchor("draft", draftField(k, code))})
			}
			for _, code := range in.Documents {
				if i := slices.IndexFunc(k.Documents, func(d Requirement) bool { return d.Code == code }); i >= 0 {
					cv.Missing = append(cv.Missing, link{Label: k.Documents[i].Name.Pick(p.l), Href: page + "#item-" + code})
				}
			}
		} else {
			return err
		}
	}
	cv.Ready = len(cv.Missing) == 0
	h.Web.Render(w, r, http.StatusOK, "permit/files_check", web.Msg("permit.journey.check.title", "number", f.Display()), cv)
	return nil
}
