package permit

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"madina/internal/district"
	"madina/internal/people"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
)

// minutesDraft is what a session's minutes say, gathered in the
// transaction that records them.
type minutesDraft struct {
	Session   *Session
	Window    *district.Window
	DraftedAt time.Time
	Present   []Attendee
	Absent    []people.Organisation
	Items     []minutesDraftItem
}

// minutesDraftItem is a file on the minutes.
type minutesDraftItem struct {
	File       *File
	Kind       *Kind
	Round      int
	Outcome    string
	Opinions   []Opinion   // the round's, bodies named
	Conclusion *Conclusion // nil when adjourned
}

// minutesPDF draws the minutes, in Arabic then French line by line, as
// the decisions are: the session, who was present and which
// organisations were not represented, each file with its round, the
// opinions and the outcome, and how the minutes are signed. The
// signatures themselves are the PDF's (each an incremental revision).
func (s *Service) minutesPDF(d minutesDraft) ([]byte, error) {
	msgs, err := decisionTexts()
	if err != nil {
		return nil, err
	}
	ss := d.Session
	cm := ss.CatalogueCommittee
	tr := func(key string, params ...any) [2]string {
		return [2]string{msgs.T(i18n.AR, key, params...), msgs.T(i18n.FR, key, params...)}
	}
	// each is a line whose parameters differ by language.
	each := func(f func(l i18n.Lang) string) [2]string { return [2]string{f(i18n.AR), f(i18n.FR)} }

	doc := pdf.New(pdf.Options{Title: "Procès-verbal — " + cm.Name.FR + " — " + ss.Start.In(i18n.Casablanca).Format("02/01/2006"),
		Author: "Madina", Subject: cm.Name.FR, Lang: "ar", CreationDate: d.DraftedAt})
	doc.AddPage()
	const margin = 48.0
	size := doc.Size()
	right := size.W - margin
	width := size.W - 2*margin
	y := 56.0
	height := func(s string, sz float64, bold bool) float64 {
		return math.Ceil(doc.Width(s, sz, bold)*1.15/width+0.01) * pdf.LineHeight(sz)
	}
	room := func(need float64) {
		if y+need > size.H-64 {
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
	heading := func(t [2]string) {
		room(4 * pdf.LineHeight(11))
		line(t, 11, true)
	}
	free := func(text string, sz float64) {
		for _, para := range strings.Split(text, "\n") {
			room(height(para, sz, false))
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, sz, false, para, rtlText(para))
		}
		y += 4
	}
	rule := func() { y += 2; doc.Line(margin, y, right, y, 0.6); y += 8 }

	wAR, wFR := ss.Window, ss.Window
	if d.Window != nil {
		wAR, wFR = d.Window.Name.AR, d.Window.Name.FR
	}
	commune := tr("permit.decision.doc.commune")
	line([2]string{commune[0] + " — " + wAR, commune[1] + " — " + wFR}, 10.5, false)
	rule()
	line(tr("permit.minutes.doc.title"), 18, true)
	line([2]string{cm.Name.AR, cm.Name.FR}, 13, true)
	line(each(func(l i18n.Lang) string {
		return msgs.T(l, "permit.minutes.doc.when", "date", i18n.FormatDate(l, ss.Start), "start", clock(ss.Start), "end", clock(ss.End))
	}), 10.5, false)
	rule()

	heading(tr("permit.minutes.doc.present", "count", len(d.Present)))
	for _, at := range d.Present {
		line(each(func(l i18n.Lang) string {
			return at.Person.DisplayName(string(l)) + " — " + at.Organisation.Name.Pick(l)
		}), 10, false)
	}
	heading(tr("permit.minutes.doc.absent"))
	if len(d.Absent) == 0 {
		line(tr("permit.minutes.doc.none"), 10, false)
	}
	for _, org := range d.Absent {
		line(each(func(l i18n.Lang) string { return org.Name.Pick(l) }), 10, false)
	}
	rule()

	heading(tr("permit.minutes.doc.files", "count", len(d.Items)))
	for i, it := range d.Items {
		k := it.Kind
		line(each(func(l i18n.Lang) string {
			return msgs.T(l, "permit.minutes.doc.file", "position", i+1, "number", iso(it.File.Display()), "kind", k.Name.Pick(l),
				"round", it.Round)
		}), 11, true)
		if len(it.Opinions) == 0 {
			line(tr("permit.minutes.doc.no_opinion"), 10, false)
		}
		for _, o := range it.Opinions {
			verdict := "permit.opinion.verdict." + o.Verdict
			if o.Verdict == verdictSilence {
				verdict = "permit.minutes.verdict.silence"
			}
			line(each(func(l i18n.Lang) string {
				return msgs.T(l, "permit.minutes.doc.opinion", "body", o.Body.Name.Pick(l), "verdict", msgs.T(l, verdict))
			}), 10, false)
			if strings.TrimSpace(o.Reasons) != "" {
				free(o.Reasons, 9.5)
			}
		}
		outcome := "permit.minutes.outcome." + it.Outcome
		line(each(func(l i18n.Lang) string {
			return msgs.T(l, "permit.minutes.doc.outcome", "outcome", msgs.T(l, outcome))
		}), 10.5, true)
		if it.Conclusion != nil && it.Conclusion.Rule.Source.Short.FR != "" {
			line(tr("permit.decision.doc.rule_source", "source", it.Conclusion.Rule.Source.Short), 8.5, false)
		}
		y += 4
	}
	rule()
	line(tr("permit.minutes.doc.signatures"), 10.5, true)
	line(each(func(l i18n.Lang) string {
		return msgs.T(l, "permit.minutes.doc.drafted", "date", i18n.FormatDateTime(l, d.DraftedAt))
	}), 9.5, false)
	line(tr("permit.minutes.doc.verify", "url", iso(s.cfg.BaseURL+"/verify")), 8.5, false)
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("permit: minutes of session %d: %w", ss.ID, err)
	}
	return b.Bytes(), nil
}
