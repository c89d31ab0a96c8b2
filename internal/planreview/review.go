package planreview

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The review page lists a sheet's annotations as text — who, what, where,
// the measured value, the comment, the thread — in the order they were
// made, page by page: what a screen-reader user reviews the remarks with,
// and what every reader gets without JavaScript. It shows what its reader
// may see, as the API does.

// reviewRow is one annotation as the page shows it.
type reviewRow struct {
	N            int
	ID           int64
	Kind         string
	Page         int
	Author       string
	Organisation string
	Status       string
	Tag          string // the status tag's colour
	Visibility   string
	Measured     string
	Calibration  string
	Body         string
	Carried      int
	Created      time.Time
	Replies      []reviewReply
}

type reviewReply struct {
	Author  string
	Side    string
	Body    string
	Created time.Time
}

// localNumber writes v with d decimals as the language writes it (Western
// digits in all three; a decimal comma in French).
func localNumber(l i18n.Lang, v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	if l == i18n.FR {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// measuredText is a measurement as text: "6.45 m² (perimeter 10.16 m)".
func measuredText(v *web.View, l i18n.Lang, m *Measurement) string {
	if m == nil {
		return ""
	}
	switch m.Unit {
	case "m":
		return v.T("planreview.review.metres", "value", localNumber(l, m.Value, 2))
	case "m2":
		return v.T("planreview.review.square_metres", "value", localNumber(l, m.Value, 2), "perimeter", localNumber(l, m.Perimeter, 2))
	case "deg":
		return v.T("planreview.review.degrees", "value", localNumber(l, m.Value, 1))
	case "count":
		return v.T("planreview.review.count", "count", int(m.Value))
	}
	return ""
}

func (h *Handlers) review(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc")
	if err != nil {
		return err
	}
	data, title, err := h.reviewPage(r, ids[0], ids[1])
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "replied":
		data["Done"] = "planreview.review.replied"
	case "annotated":
		data["Done"] = "planreview.review.annotated"
	}
	h.Web.Render(w, r, http.StatusOK, "planreview/review", title, data)
	return nil
}

// reviewPage is the review page's data and title.
func (h *Handlers) reviewPage(r *http.Request, file, doc int64) (map[string]any, web.Message, error) {
	v, err := h.Service.View(r.Context(), actor(r), file, doc, false)
	if err != nil {
		return nil, web.Message{}, err
	}
	lang := i18n.FromContext(r.Context())
	name := func(id int64) string {
		if p, ok := v.Names[id]; ok && p.ID != 0 {
			return p.DisplayName(string(lang))
		}
		return ""
	}
	d := reviewData{View: v, lang: lang, name: name}
	// ?compare=DOC: another version of the same item, drawn against this
	// one by the viewer.
	if c := r.URL.Query().Get("compare"); c != "" {
		id, _ := strconv.ParseInt(c, 10, 64)
		for _, ver := range v.Sheet.Versions {
			if ver.Document == id && id != v.Sheet.Document {
				d.Compare = ver
			}
		}
		if d.Compare.Document == 0 {
			return nil, web.Message{}, errs.E(errs.Invalid, "planreview.error.compare").OnField("compare")
		}
	}
	return map[string]any{"Review": d, "Form": web.Form{}},
		web.Msg("planreview.review.title", "name", v.Sheet.Name), nil
}

// webReply answers on an annotation from the review page's form (no
// JavaScript needed): back to the page at the annotation, or the page
// again with the mistake on the answer's field.
func (h *Handlers) webReply(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc", "ann")
	if err != nil {
		return err
	}
	field := "reply-" + strconv.FormatInt(ids[2], 10)
	_, _, err = h.Service.Reply(r.Context(), actor(r), ids[0], ids[1], ids[2], r.PostFormValue(field))
	if err == nil {
		http.Redirect(w, r, fmt.Sprintf("/files/%d/documents/%d/review?done=replied#annotation-%d", ids[0], ids[1], ids[2]), http.StatusSeeOther)
		return nil
	}
	if e := errs.As(err); e != nil && e.Field == "body" {
		moved := *e
		moved.Field = field
		err = &moved
	}
	data, title, lerr := h.reviewPage(r, ids[0], ids[1])
	if lerr != nil {
		return lerr
	}
	return h.Web.RenderForm(w, r, "planreview/review", title, data, web.Form{Values: r.PostForm}, err)
}

// reviewData is the page's data; Rows needs the page's View for its
// texts, so the template asks for them.
type reviewData struct {
	View *View
	// Compare is the version drawn against this one, if any.
	Compare SheetVersion
	lang    i18n.Lang
	name    func(int64) string
}

// Rows are the annotations as the page lists them.
func (d reviewData) Rows(pv *web.View) []reviewRow {
	out := make([]reviewRow, 0, len(d.View.Annotations))
	for i, a := range d.View.Annotations {
		row := reviewRow{N: i + 1, ID: a.ID, Kind: a.Kind, Page: a.Page, Author: d.name(a.Author), Organisation: a.Organisation,
			Status: a.Status, Visibility: a.Visibility, Body: a.Body, Created: a.Created,
			Measured: measuredText(pv, d.lang, a.Measurement)}
		row.Tag = map[string]string{StatusOpen: "yellow", StatusResolved: "green", StatusInfo: "blue"}[a.Status]
		if a.Calibration != nil {
			row.Calibration = pv.T("planreview.review.calibration."+a.Calibration.Source, "ratio", localNumber(d.lang, a.Calibration.Ratio, 0))
		}
		if a.Carried(d.View.Sheet.Version) {
			row.Carried = a.DocVersion
		}
		for _, rp := range a.Replies {
			row.Replies = append(row.Replies, reviewReply{Author: d.name(rp.Author), Side: rp.Side, Body: rp.Body, Created: rp.Created})
		}
		out = append(out, row)
	}
	return out
}

// Export is the address of the sheet's annotated PDF.
func (d reviewData) Export() string {
	return fmt.Sprintf("/files/%d/documents/%d/annotated.pdf", d.View.Sheet.File, d.View.Sheet.Document)
}

// File is the address of the sheet's file.
func (d reviewData) File() string { return fmt.Sprintf("/files/%d", d.View.Sheet.File) }

// Tool is one of the viewer's drawing and measuring tools, with its key:
// a letter read by its physical position (KeyboardEvent.code), so that it
// is the same key on an Arabic, French or English keyboard.
type Tool struct {
	Kind string // an annotation kind, or "calibrate" for the reference line
	Key  string // the letter on a QWERTY keyboard: KeyboardEvent.code "Key"+Key
}

// Tools are the viewer's tools in two groups: measurements (the
// reference line first), then annotations.
func (d reviewData) Tools() map[string][]Tool {
	return map[string][]Tool{
		"measure": {{"calibrate", "K"}, {"distance", "D"}, {"polyline", "L"}, {"area", "A"}, {"rectangle_area", "X"}, {"count", "N"}, {"angle", "Q"}},
		"annotate": {{"pin", "P"}, {"arrow", "W"}, {"line", "I"}, {"rectangle", "B"}, {"ellipse", "E"}, {"polygon", "G"},
			{"freehand", "F"}, {"text", "T"}, {"highlight", "H"}},
	}
}

// PDFScale reports whether a page of the sheet gives its own scale.
func (d reviewData) PDFScale() bool {
	for _, p := range d.View.Pages {
		if p.Measure > 0 {
			return true
		}
	}
	return false
}

// Others are the item's other versions, newest first: what the sheet may
// be compared with.
func (d reviewData) Others() []SheetVersion {
	var out []SheetVersion
	for i := len(d.View.Sheet.Versions) - 1; i >= 0; i-- {
		if v := d.View.Sheet.Versions[i]; v.Document != d.View.Sheet.Document {
			out = append(out, v)
		}
	}
	return out
}
