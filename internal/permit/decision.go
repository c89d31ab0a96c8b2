package permit

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"

	"madina/internal/authz"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
)

// Decision renders the decision of a decided economic file as PDF: an
// authorisation (approved by the officer or by the administration's
// silence) or a refusal, Arabic first and French beneath, with its file
// name. Whoever may see the file may read it (authz.ReadFile: the
// applicant, the professionals mandated on it, the agents of its window),
// nobody else.
//
// A decision the officer signed (DecideSigned) is the signed PDF kept
// then; any other is drawn from the records (UnsignedDecision).
func (s *Service) Decision(ctx context.Context, a authz.Actor, id int64) ([]byte, string, error) {
	v, err := s.View(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	if s.signatures != nil && v.File.ClosedAt != nil {
		switch b, err := s.signatures.IssuedPDF(ctx, KindDecision, id); {
		case err == nil:
			return b, decisionFileName(v.File), nil
		case !errs.Is(err, errs.NotFound):
			return nil, "", err
		}
	}
	return s.decisionPDF(ctx, v, s.pendingNote())
}

// UnsignedDecision builds the decision document from the file's immutable
// records (its kind under the catalogue it was filed under, its fields,
// owner, number, decision time and recorded reason, the deadline whose
// silence approved it), so the same file always gives the same bytes.
// A file not decided yet has none (errs.Conflict), nor has an urban file:
// its decision follows the committee's opinion, not this workflow.
func (s *Service) UnsignedDecision(ctx context.Context, a authz.Actor, id int64) ([]byte, string, error) {
	v, err := s.View(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	return s.decisionPDF(ctx, v, s.pendingNote())
}

// The note at the foot of a decision on how it is signed.
const (
	noteSigned    = "permit.decision.signed_note"    // by the officer (DecideSigned)
	notePresident = "permit.decision.president_note" // by the president (DecidePermit)
	noteSealed    = "permit.decision.sealed_note"    // by the commune's seal (SealDecision)
	notePending   = "permit.decision.pending_note"   // the sealed copy is on its way (the job)
	noteUnsigned  = "permit.decision.unsigned"       // no signature capability in this deployment
)

// pendingNote is the note of a decision not signed yet.
func (s *Service) pendingNote() string {
	if s.signatures == nil {
		return noteUnsigned
	}
	return notePending
}

// decisionPDF draws the decision of v's file with note (noteSigned…) at
// its foot.
func (s *Service) decisionPDF(ctx context.Context, v *View, note string) ([]byte, string, error) {
	return s.decisionPDFFrom(ctx, s.db, v, note)
}

// decisionPDFFrom is decisionPDF reading the committee's conclusion of an
// urban file through q (the deciding transaction's, or the database).
func (s *Service) decisionPDFFrom(ctx context.Context, q db.Querier, v *View, note string) ([]byte, string, error) {
	f, k := v.File, v.Kind
	if (f.State != Approved && f.State != Refused) || f.ClosedAt == nil || f.AcceptedAt == nil {
		return nil, "", errs.E(errs.Conflict, "permit.error.no_decision")
	}
	var c *Conclusion
	if f.Family == Urban && !f.Tacit {
		var err error
		if c, err = s.conclusionView(ctx, q, k, f); err != nil {
			return nil, "", err
		}
		if c == nil {
			return nil, "", errs.E(errs.Conflict, "permit.error.no_decision")
		}
	}
	msgs, err := decisionTexts()
	if err != nil {
		return nil, "", err
	}
	approved := f.State == Approved
	decided := *f.ClosedAt
	// Both languages of a message, with the same parameters.
	tr := func(key string, params ...any) [2]string {
		return [2]string{msgs.T(i18n.AR, key, params...), msgs.T(i18n.FR, key, params...)}
	}
	// perLang fills a parameter that differs by language (a date, a name).
	perLang := func(key string, name string, val func(i18n.Lang) string, params ...any) [2]string {
		return [2]string{msgs.T(i18n.AR, key, append([]any{name, val(i18n.AR)}, params...)...),
			msgs.T(i18n.FR, key, append([]any{name, val(i18n.FR)}, params...)...)}
	}
	date := func(t time.Time) func(i18n.Lang) string {
		return func(l i18n.Lang) string { return i18n.FormatDate(l, t) }
	}

	title := "Autorisation " + f.Number
	if !approved {
		title = "Refus " + f.Number
	}
	// After the works: the permit the building was put up under, and the
	// day the committee inspected it (afterworks.go).
	aw, err := s.afterWorksDoc(ctx, q, f, c)
	if err != nil {
		return nil, "", err
	}
	if aw != nil && approved {
		title = k.Name.FR + " " + f.Number
	}
	doc := pdf.New(pdf.Options{Title: title, Author: "Madina", Subject: k.Name.FR, Lang: "ar", CreationDate: decided})
	doc.AddPage()
	const margin = 48.0
	size := doc.Size()
	right := size.W - margin
	width := size.W - 2*margin
	y := 56.0
	// height estimates what a paragraph takes once wrapped (a little more
	// than its width over the box's, for the space lost at line ends);
	// room starts a new page when it would enter the bottom of the page
	// kept for the signature block (signatureRoom).
	height := func(s string, sz float64, bold bool) float64 {
		return math.Ceil(doc.Width(s, sz, bold)*1.15/width+0.01) * pdf.LineHeight(sz)
	}
	room := func(need float64) {
		if y+need > size.H-signatureRoom {
			doc.AddPage()
			y = 64
		}
	}
	line := func(t [2]string, sz float64, bold bool) {
		room(height(t[0], sz, bold) + height(t[1], sz*0.9, bold))
		if t[0] != "" {
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, sz, bold, t[0], true)
		}
		if t[1] != "" {
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, sz*0.9, bold, t[1], false)
		}
		y += 4
	}
	// heading starts a section, on a new page unless a few lines of the
	// section fit beneath it.
	heading := func(key string) {
		room(4 * pdf.LineHeight(11))
		line(tr(key), 11, true)
	}
	// free prints text typed by a person (an officer's conditions or
	// reasons) once, in the direction of its first strong letter.
	free := func(text string, sz float64) {
		for _, para := range strings.Split(text, "\n") {
			room(height(para, sz, false))
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, sz, false, para, rtlText(para))
		}
		y += 4
	}
	rule := func() { y += 2; doc.Line(margin, y, right, y, 0.6); y += 8 }
	// grounds prints each opinion a committee's decision rests on: the
	// body and the part of the rule it weighs through, then the members'
	// words; and the rule's legal source.
	grounds := func(c *Conclusion) {
		for _, g := range c.Grounds {
			body := g.Body.Name
			prefix := "permit.decision.doc.ground."
			if aw != nil {
				prefix = "permit.afterworks.doc.ground." // a finding of the visit, not an opinion on plans
			}
			line(perLang(prefix+g.Rule, "body", func(l i18n.Lang) string { return body.Pick(l) }), 10, true)
			if g.Reasons != "" {
				free(g.Reasons, 10.5)
			}
		}
		line(tr("permit.decision.doc.rule_source", "source", c.Rule.Source.Short), 9, false)
	}
	// plans lists the approved plan set, each document by its SHA-256:
	// the plans the permit approves are these bytes.
	plans := func() {
		var docs []Upload
		items, _ := Checklist(k, f.Fields, v.Documents)
		for _, it := range items {
			if it.Author == "architect" {
				docs = append(docs, it.Current...)
			}
		}
		if len(docs) == 0 {
			return
		}
		heading("permit.decision.doc.plans")
		for _, d := range docs {
			room(height(d.Name, 9, false) * 2)
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, 9, false, d.Name, rtlText(d.Name))
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, 8, false, "SHA-256 "+d.SHA256, false)
		}
		y += 4
	}

	wAR, wFR := f.Window, f.Window
	if v.Window != nil {
		wAR, wFR = v.Window.Name.AR, v.Window.Name.FR
	}
	commune := tr("permit.decision.doc.commune")
	line([2]string{commune[0] + " — " + wAR, commune[1] + " — " + wFR}, 10.5, false)
	rule()
	kind := "permit.decision.doc.title.approved"
	switch {
	case !approved:
		kind = "permit.decision.doc.title.refused"
	case f.Tacit && f.Family == Urban:
		kind = "permit.tacit.doc.title" // a certificate of tacit approval (tacit_urban.go)
	}
	if aw != nil && approved {
		line([2]string{k.Name.AR, k.Name.FR}, 18, true)
	} else {
		line(tr(kind), 18, true)
		line([2]string{k.Name.AR, k.Name.FR}, 13, true)
	}
	numberKey, dateKey := "permit.decision.doc.number", "permit.decision.doc.date"
	if f.Tacit && f.Family == Urban {
		numberKey, dateKey = "permit.tacit.doc.number", "permit.tacit.doc.date"
	}
	line(tr(numberKey, "number", iso(f.Number)), 12, true)
	line(perLang(dateKey, "date", date(decided)), 10.5, false)
	line(perLang("permit.decision.doc.file", "date", date(*f.AcceptedAt), "number", iso(f.Number), "code", iso(f.TrackingCode)), 9, false)
	rule()
	switch {
	case f.Tacit:
		line(tr("permit.decision.doc.granted_tacit"), 10.5, false)
	case c != nil:
		key := "permit.decision.doc.granted_urban"
		if !approved {
			key = "permit.decision.doc.refusal_urban"
		}
		cm, _ := committeeOf(k, f)
		concluded := *c.Round.ClosedAt
		both := func(l i18n.Lang) string {
			return msgs.T(l, key, "committee", cm.Name.Pick(l), "date", i18n.FormatDate(l, concluded), "round", c.Round.N)
		}
		if aw != nil {
			both = aw.text(msgs, k, cm, approved, concluded)
		}
		line([2]string{both(i18n.AR), both(i18n.FR)}, 10.5, false)
		// The minutes of the session that studied the round, once drawn
		// up (minutes.go).
		if at, ok := studiedAt(ctx, q, f.ID, c.Round.N); ok {
			line(perLang("permit.minutes.doc.cited", "date", date(at)), 10, false)
		}
	case approved:
		line(tr("permit.decision.doc.granted"), 10.5, false)
	default:
		line(tr("permit.decision.doc.refusal"), 10.5, false)
	}
	holder := "permit.decision.doc.holder"
	if !approved {
		holder = "permit.decision.doc.holder_refused"
	}
	line(perLang(holder, "name", s.holderName(ctx, f, msgs)), 11, true)
	line(tr("permit.decision.doc.activity", "kind", k.Name), 10, false)
	for _, fd := range k.Fields {
		val := strings.TrimSpace(f.Fields[fd.Code])
		if val == "" {
			continue
		}
		line(perLang("permit.decision.doc.field", "value", func(l i18n.Lang) string { return fieldValue(msgs, l, fd, val) },
			"label", fd.Label), 10, false)
	}
	line(perLang("permit.decision.doc.place", "place", s.placeOf(ctx, f)), 10, false)
	rule()
	if approved {
		if val := k.Validity; val != nil {
			heading("permit.decision.doc.validity")
			key := "permit.decision.doc.validity.days"
			if val.Unit == Months {
				key = "permit.decision.doc.validity.months"
			}
			line(perLang(key, "until", date(val.Until(decided, i18n.Casablanca)), "count", val.Value, "source", val.Source.Short), 10.5, false)
			rule()
		}
		if f.Tacit {
			if d, sc, ok := silenceGround(v); ok {
				heading("permit.decision.doc.tacit")
				key := "permit.decision.doc.tacit.ground"
				if sc.Unit == Months {
					key = "permit.decision.doc.tacit.ground_months"
				}
				line(perLang(key, "due", date(d.DueAt), "count", sc.Value, "source", sc.Source.Name), 10.5, false)
				rule()
			}
		}
		heading("permit.decision.doc.conditions")
		general := []string{"personal", "change", "display"}
		if f.Family == Urban {
			general = []string{"plans", "panel", "completion"}
		}
		if aw != nil {
			general = nil
			line(tr("permit.afterworks.doc.condition"), 9.5, false)
		}
		for _, g := range general {
			line(tr("permit.decision.doc.condition."+g), 9.5, false)
		}
		switch {
		case c != nil && len(c.Grounds) > 0:
			line(tr("permit.decision.doc.condition.particular"), 10, true)
			grounds(c)
		case f.DecisionReason != "":
			line(tr("permit.decision.doc.condition.particular"), 10, true)
			free(f.DecisionReason, 10.5)
		}
		if f.Family == Urban && aw == nil {
			plans()
		}
	} else {
		heading("permit.decision.doc.reasons")
		if c != nil {
			grounds(c)
		} else {
			free(f.DecisionReason, 10.5)
		}
		line(tr("permit.decision.doc.reapply"), 10, false)
	}
	rule()
	if !f.Tacit {
		if c != nil {
			line(tr("permit.decision.doc.signatory_president"), 11, true)
		} else {
			line(tr("permit.decision.doc.signatory"), 11, true)
		}
	}
	line(tr(note), 9.5, false)
	line(tr("permit.decision.doc.issued", "url", iso(s.cfg.BaseURL+"/track")), 8.5, false)
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, "", fmt.Errorf("permit: decision %d: %w", f.ID, err)
	}
	return b.Bytes(), decisionFileName(f), nil
}

// decisionFileName is the decision's download name.
func decisionFileName(f *File) string {
	if f.State == Refused {
		return "refus-" + strings.ToLower(f.Number) + ".pdf"
	}
	return "autorisation-" + strings.ToLower(f.Number) + ".pdf"
}

// decisionTexts are the capability's messages, for the document's Arabic
// and French lines (the same texts as the pages).
var decisionTexts = sync.OnceValues(func() (*i18n.Catalog, error) {
	c, err := i18n.Load(Messages)
	if err != nil {
		return nil, fmt.Errorf("permit: messages: %w", err)
	}
	return c, nil
})

// iso keeps a Latin value whole inside an Arabic line (a left-to-right
// isolate), as "12 rue 7", not "rue 7 12".
func iso(v string) string {
	if v == "" {
		return ""
	}
	return "\u2066" + v + "\u2069"
}

// rtlText reports whether s reads right to left: its first strong letter
// is Arabic.
func rtlText(s string) bool {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

// holderName names the file's owner in each language, with the number
// that identifies them (national identity card, ICE, trade register,
// association number).
func (s *Service) holderName(ctx context.Context, f *File, msgs *i18n.Catalog) func(i18n.Lang) string {
	return func(l i18n.Lang) string {
		var name string
		var ids []string
		if f.OwnerLegal != 0 {
			lp, err := s.people.LegalPerson(ctx, s.db, f.OwnerLegal)
			if err != nil {
				return ""
			}
			name = lp.DisplayName(string(l))
			if lp.ICE != "" {
				ids = append(ids, msgs.T(l, "permit.decision.doc.ice", "ice", iso(lp.ICE)))
			}
			if lp.RC != "" {
				ids = append(ids, msgs.T(l, "permit.decision.doc.rc", "rc", iso(lp.RC)))
			}
			if lp.AssociationNumber != "" {
				ids = append(ids, msgs.T(l, "permit.decision.doc.association", "number", iso(lp.AssociationNumber)))
			}
		} else {
			p, err := s.people.Person(ctx, s.db, f.OwnerPerson)
			if err != nil {
				return ""
			}
			name = p.DisplayName(string(l))
			if p.CIN != "" {
				ids = append(ids, msgs.T(l, "permit.decision.doc.cin", "cin", iso(p.CIN)))
			}
		}
		if len(ids) > 0 {
			name += " (" + strings.Join(ids, sep(l)) + ")"
		}
		return name
	}
}

// sep is the list separator of l.
func sep(l i18n.Lang) string { return i18n.ListSep(l) }

// placeOf writes where the activity is: the address and the
// arrondissement, in each language.
func (s *Service) placeOf(ctx context.Context, f *File) func(i18n.Lang) string {
	return func(l i18n.Lang) string {
		parts := []string{}
		if f.Address != "" {
			if l == i18n.AR {
				parts = append(parts, iso(f.Address))
			} else {
				parts = append(parts, f.Address)
			}
		}
		if f.Arrondissement != "" {
			name := f.Arrondissement
			if ar, _, _, err := s.places.Arrondissement(ctx, f.Arrondissement); err == nil {
				name = ar.Name.Pick(l)
			}
			parts = append(parts, name)
		}
		return strings.Join(parts, " — ")
	}
}

// fieldValue writes a form field's value as the decision prints it: a
// choice by its label, yes or no, a number with its unit.
func fieldValue(msgs *i18n.Catalog, l i18n.Lang, fd catalogue.FormField, val string) string {
	switch fd.Type {
	case FieldBoolean:
		if parseBool(val) {
			return msgs.T(l, "permit.journey.yes")
		}
		return msgs.T(l, "permit.journey.no")
	case FieldChoice:
		for _, o := range fd.Options {
			if o.Code == val {
				return o.Label.Pick(l)
			}
		}
	case FieldNumber:
		if fd.Unit != "" {
			val += " " + msgs.T(l, "permit.unit."+fd.Unit)
		}
	}
	if l == i18n.AR && !rtlText(val) {
		return iso(val)
	}
	return val
}

// silenceGround finds the deadline whose passing approved the file (the
// legal clock marks it tacit_approval) and the catalogue's deadline it
// ran on, for the legal ground the document states.
func silenceGround(v *View) (StepDeadline, Deadline, bool) {
	for _, d := range v.Deadlines {
		if d.Outcome != "tacit_approval" {
			continue
		}
		for _, h := range v.Kind.Handling {
			if h.Schedule.Code != v.File.Schedule {
				continue
			}
			if d.Step == Overall {
				return d, h.Schedule.Overall, true
			}
			for _, st := range h.Schedule.Steps {
				if st.Code == d.Step && st.Deadline != nil {
					return d, *st.Deadline, true
				}
			}
		}
	}
	return StepDeadline{}, Deadline{}, false
}
