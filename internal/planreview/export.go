package planreview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
	"madina/internal/platform/web"
)

// The export: the sheet as uploaded, followed by one incremental update
// (ISO 32000 §7.5.6, the platform's writer that the PAdES signer uses)
// adding a real PDF annotation for each annotation its reader sees —
// /Square, /Circle, /Line, /Polygon, /PolyLine, /Ink, /FreeText, /Text,
// /Highlight — with the measurements as PDF measure dictionaries
// (/IT /LineDimension, /PolygonDimension, /PolyLineDimension) and each
// reply as a /Text annotation in reply to it (/IRT). The original bytes
// are never changed, so an existing signature of the sheet still covers
// them. Flattened, the shapes are drawn into the pages' content instead,
// and no annotation is added.

// palette are the colours of the organisations' annotations (RGB), chosen
// to stay apart from each other and from black line work.
var palette = [][3]float64{{0.84, 0.15, 0.16}, {0.12, 0.47, 0.71}, {0.17, 0.63, 0.17}, {0.58, 0.40, 0.74},
	{1.00, 0.50, 0.05}, {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.09, 0.75, 0.81}}

// Colour is the colour of an organisation's annotations: the same for an
// organisation everywhere (a hash of its code), red for no organisation.
func Colour(org string) [3]float64 {
	if org == "" {
		return palette[0]
	}
	h := fnv.New32a()
	h.Write([]byte(org))
	return palette[h.Sum32()%uint32(len(palette))]
}

// kindNames are the PDF /Subj of each kind.
var kindNames = map[string]string{"pin": "Comment", "arrow": "Arrow", "line": "Line", "rectangle": "Rectangle",
	"ellipse": "Ellipse", "polygon": "Polygon", "freehand": "Freehand", "text": "Text box", "highlight": "Highlight",
	"distance": "Distance", "polyline": "Length", "area": "Area", "rectangle_area": "Area", "count": "Count", "angle": "Angle"}

// Export is sheet docID of file fileID as a PDF with the annotations its
// reader may see (as Annotation: the committee's own only for those the
// policy lets read them).
func (s *Service) Export(ctx context.Context, a authz.Actor, fileID, docID int64, flatten bool, lang i18n.Lang) ([]byte, *View, error) {
	v, err := s.View(ctx, a, fileID, docID, false)
	if err != nil {
		return nil, nil, err
	}
	data, err := blob.ReadAll(ctx, s.blobs, v.Sheet.SHA256, v.Sheet.Size)
	if err != nil {
		return nil, nil, err
	}
	name := func(id int64) string {
		if p, ok := v.Names[id]; ok && p.ID != 0 {
			return p.DisplayName(string(lang))
		}
		return "#" + strconv.FormatInt(id, 10)
	}
	out, err := AnnotatePDF(data, v.Annotations, name, flatten)
	if err != nil {
		return nil, nil, err
	}
	return out, v, nil
}

func f64s(vs ...float64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = math.Round(v*1000) / 1000
	}
	return out
}

func flat(pts [][2]float64) []any {
	out := make([]any, 0, 2*len(pts))
	for _, p := range pts {
		out = append(out, f64s(p[0], p[1])...)
	}
	return out
}

// contents is what a PDF viewer shows of an annotation: its text and its
// measurement.
func contents(a *Annotation) string {
	var parts []string
	if a.Measurement != nil {
		m := a.Measurement
		switch m.Unit {
		case "m":
			parts = append(parts, fmt.Sprintf("%.2f m", m.Value))
		case "m2":
			parts = append(parts, fmt.Sprintf("%.2f m² (%.2f m)", m.Value, m.Perimeter))
		case "deg":
			parts = append(parts, fmt.Sprintf("%.1f°", m.Value))
		case "count":
			parts = append(parts, strconv.Itoa(int(m.Value)))
		}
	}
	if a.Body != "" {
		parts = append(parts, a.Body)
	}
	return strings.Join(parts, " — ")
}

// measureDict is a rectilinear measure dictionary of calibration c: a
// PDF viewer reading it measures as the server did.
func measureDict(c *Calibration) pdf.Dict {
	return pdf.Dict{"Type": pdf.Name("Measure"), "Subtype": pdf.Name("RL"),
		"R": pdf.TextString("1:" + strconv.FormatFloat(math.Round(c.Ratio*100)/100, 'f', -1, 64)),
		"X": []any{pdf.Dict{"Type": pdf.Name("NumberFormat"), "U": pdf.TextString("m"), "C": c.MetresPerUnit, "D": int64(100)}},
		"D": []any{pdf.Dict{"Type": pdf.Name("NumberFormat"), "U": pdf.TextString("m"), "C": int64(1), "D": int64(100)}},
		"A": []any{pdf.Dict{"Type": pdf.Name("NumberFormat"), "U": pdf.TextString("m²"), "C": int64(1), "D": int64(100)}}}
}

// annotDict is annotation a as a PDF annotation dictionary on page ref.
func annotDict(a *Annotation, page pdf.Ref, author string) pdf.Dict {
	c := Colour(a.Organisation)
	b := a.Shape.Bounds()
	const pad = 2
	d := pdf.Dict{"Type": pdf.Name("Annot"), "P": page, "F": int64(4), "C": f64s(c[0], c[1], c[2]),
		"Rect": f64s(b[0]-pad, b[1]-pad, b[2]+pad, b[3]+pad), "T": pdf.TextString(author),
		"Contents": pdf.TextString(contents(a)), "Subj": pdf.TextString(kindNames[a.Kind]),
		"NM": pdf.TextString("madina-annotation-" + strconv.FormatInt(a.ID, 10)), "M": pdf.TextString(pdf.Date(a.Updated)),
		"BS": pdf.Dict{"W": 1.5}}
	pts := a.Shape.Points
	switch a.Kind {
	case "pin":
		d["Subtype"], d["Name"] = pdf.Name("Text"), pdf.Name("Comment")
		d["Rect"] = f64s(pts[0][0], pts[0][1]-20, pts[0][0]+20, pts[0][1])
	case "rectangle", "rectangle_area":
		d["Subtype"] = pdf.Name("Square")
		if a.Calibration != nil {
			d["Measure"] = measureDict(a.Calibration)
		}
	case "ellipse":
		d["Subtype"] = pdf.Name("Circle")
	case "text":
		d["Subtype"] = pdf.Name("FreeText")
		d["DA"] = pdf.TextString("0 0 0 rg /Helv 10 Tf")
		d["Rect"] = f64s(b[0], b[1], b[2], b[3])
	case "highlight":
		d["Subtype"] = pdf.Name("Highlight")
		d["QuadPoints"] = f64s(b[0], b[3], b[2], b[3], b[0], b[1], b[2], b[1])
		d["Rect"] = f64s(b[0], b[1], b[2], b[3])
	case "line", "arrow", "distance":
		d["Subtype"] = pdf.Name("Line")
		d["L"] = flat(pts)
		switch a.Kind {
		case "arrow":
			d["LE"] = []any{pdf.Name("None"), pdf.Name("OpenArrow")}
		case "distance":
			d["LE"] = []any{pdf.Name("Butt"), pdf.Name("Butt")}
			d["IT"] = pdf.Name("LineDimension")
			d["Measure"] = measureDict(a.Calibration)
		}
	case "polygon", "area":
		d["Subtype"] = pdf.Name("Polygon")
		d["Vertices"] = flat(pts)
		if a.Kind == "area" {
			d["IT"] = pdf.Name("PolygonDimension")
			d["Measure"] = measureDict(a.Calibration)
		}
	case "polyline", "angle":
		d["Subtype"] = pdf.Name("PolyLine")
		d["Vertices"] = flat(pts)
		if a.Kind == "polyline" {
			d["IT"] = pdf.Name("PolyLineDimension")
			d["Measure"] = measureDict(a.Calibration)
		}
	case "freehand":
		d["Subtype"] = pdf.Name("Ink")
		d["InkList"] = []any{flat(pts)}
	case "count":
		// One small cross per thing counted.
		d["Subtype"] = pdf.Name("Ink")
		var strokes []any
		for _, p := range pts {
			strokes = append(strokes, flat([][2]float64{{p[0] - 4, p[1] - 4}, {p[0] + 4, p[1] + 4}}),
				flat([][2]float64{{p[0] - 4, p[1] + 4}, {p[0] + 4, p[1] - 4}}))
		}
		d["InkList"] = strokes
		d["Rect"] = f64s(b[0]-6, b[1]-6, b[2]+6, b[3]+6)
	}
	return d
}

// AnnotatePDF returns data followed by an incremental update holding
// anns as PDF annotations (author names each person), or, flattened, with
// their shapes drawn into the pages.
func AnnotatePDF(data []byte, anns []*Annotation, author func(int64) string, flatten bool) ([]byte, error) {
	r, err := pdf.NewReader(data)
	if err != nil {
		return nil, err
	}
	maxPage := 0
	for _, a := range anns {
		maxPage = max(maxPage, a.Page)
	}
	if maxPage == 0 {
		return data, nil
	}
	refs, err := r.Pages(maxPage)
	if err != nil || len(refs) < maxPage {
		return nil, errs.E(errs.Invalid, "error.pdf.corrupt").Cause(fmt.Errorf("planreview: pages: %v", err))
	}
	next := r.NextNumber()
	objs := map[int64][]byte{}
	byPage := map[int][]*Annotation{}
	for _, a := range anns {
		byPage[a.Page] = append(byPage[a.Page], a)
	}
	for n := 1; n <= maxPage; n++ {
		list := byPage[n]
		if len(list) == 0 {
			continue
		}
		ref := refs[n-1]
		old, ok := r.Get(ref).(pdf.Dict)
		if !ok {
			return nil, errs.E(errs.Invalid, "error.pdf.corrupt").Cause(fmt.Errorf("planreview: page %d", n))
		}
		page := pdf.Dict{}
		for k, v := range old {
			page[k] = v
		}
		if flatten {
			num := next
			next++
			objs[num] = pdf.EncodeStream(pdf.Dict{}, drawing(list))
			var content []any
			switch c := page["Contents"].(type) {
			case pdf.Ref:
				if arr, ok := r.Get(c).([]any); ok {
					content = append(content, arr...)
				} else {
					content = []any{c}
				}
			case []any:
				content = append(content, c...)
			}
			// The page's own drawing is wrapped in q … Q so that a state it
			// leaves does not move ours.
			qn, qq := next, next+1
			next += 2
			objs[qn] = pdf.EncodeStream(pdf.Dict{}, []byte("q\n"))
			objs[qq] = pdf.EncodeStream(pdf.Dict{}, []byte("Q\n"))
			page["Contents"] = append(append([]any{pdf.MakeRef(qn)}, content...), pdf.MakeRef(qq), pdf.MakeRef(num))
		} else {
			var annots []any
			if arr, ok := r.Get(page["Annots"]).([]any); ok {
				annots = append(annots, arr...)
			}
			for _, a := range list {
				num := next
				next++
				objs[num] = pdf.Encode(annotDict(a, ref, author(a.Author)))
				annots = append(annots, pdf.MakeRef(num))
				b := a.Shape.Bounds()
				for _, rp := range a.Replies {
					rn := next
					next++
					objs[rn] = pdf.Encode(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"), "P": ref,
						"IRT": pdf.MakeRef(num), "RT": pdf.Name("R"), "F": int64(4), "Name": pdf.Name("Comment"),
						"Rect": f64s(b[0], b[3]-20, b[0]+20, b[3]), "T": pdf.TextString(author(rp.Author)),
						"Contents": pdf.TextString(rp.Body), "M": pdf.TextString(pdf.Date(rp.Created)),
						"NM": pdf.TextString("madina-reply-" + strconv.FormatInt(rp.ID, 10))})
					annots = append(annots, pdf.MakeRef(rn))
				}
			}
			page["Annots"] = annots
		}
		objs[ref.Num()] = pdf.Encode(page)
	}
	return r.AppendUpdate(objs, next), nil
}

// drawing is the page content drawing the shapes of anns: each in its
// organisation's colour, 1.5 units wide; highlights filled translucent
// would need a graphics state, so they are outlined.
func drawing(anns []*Annotation) []byte {
	var b bytes.Buffer
	n := func(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }
	b.WriteString("q 1.5 w 1 J 1 j\n")
	for _, a := range anns {
		c := Colour(a.Organisation)
		fmt.Fprintf(&b, "%s %s %s RG\n", n(c[0]), n(c[1]), n(c[2]))
		pts := a.Shape.Points
		switch a.Shape.Type {
		case ShapeRect:
			fmt.Fprintf(&b, "%s %s %s %s re S\n", n(pts[0][0]), n(pts[0][1]), n(pts[1][0]-pts[0][0]), n(pts[1][1]-pts[0][1]))
		case ShapeEllipse:
			// Four Bézier arcs (kappa = 0.5523).
			cx, cy, rx, ry := pts[0][0], pts[0][1], a.Shape.RX, a.Shape.RY
			k := 0.5523
			fmt.Fprintf(&b, "%s %s m\n", n(cx+rx), n(cy))
			fmt.Fprintf(&b, "%s %s %s %s %s %s c\n", n(cx+rx), n(cy+k*ry), n(cx+k*rx), n(cy+ry), n(cx), n(cy+ry))
			fmt.Fprintf(&b, "%s %s %s %s %s %s c\n", n(cx-k*rx), n(cy+ry), n(cx-rx), n(cy+k*ry), n(cx-rx), n(cy))
			fmt.Fprintf(&b, "%s %s %s %s %s %s c\n", n(cx-rx), n(cy-k*ry), n(cx-k*rx), n(cy-ry), n(cx), n(cy-ry))
			fmt.Fprintf(&b, "%s %s %s %s %s %s c S\n", n(cx+k*rx), n(cy-ry), n(cx+rx), n(cy-k*ry), n(cx+rx), n(cy))
		case ShapePoint, ShapePoints:
			for _, p := range pts {
				fmt.Fprintf(&b, "%s %s m %s %s l %s %s m %s %s l S\n", n(p[0]-4), n(p[1]-4), n(p[0]+4), n(p[1]+4),
					n(p[0]-4), n(p[1]+4), n(p[0]+4), n(p[1]-4))
			}
		default:
			for i, p := range pts {
				op := "l"
				if i == 0 {
					op = "m"
				}
				fmt.Fprintf(&b, "%s %s %s\n", n(p[0]), n(p[1]), op)
			}
			if a.Shape.Type == ShapePolygon {
				b.WriteString("h ")
			}
			b.WriteString("S\n")
		}
	}
	b.WriteString("Q\n")
	return b.Bytes()
}

// SignedExport is the annotated export of sheet docID of file fileID
// (with real PDF annotations), signed with a's own key unlocked by pin: a
// member or agent who annotates the file signs what the committee
// remarked on the plan. The signature service checks the PIN and keeps
// the act in the audit chain.
func (s *Service) SignedExport(ctx context.Context, a authz.Actor, fileID, docID int64, pin string, lang i18n.Lang) ([]byte, *View, error) {
	if s.signer == nil {
		return nil, nil, errs.E(errs.Unavailable, "planreview.error.no_signer")
	}
	if _, err := s.sheet(ctx, s.db, a, authz.Annotate, fileID, docID); err != nil {
		return nil, nil, err
	}
	out, v, err := s.Export(ctx, a, fileID, docID, false, lang)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(out)
	sign, err := s.signer.UnlockSigner(ctx, a, pin, "plan_sheet", strconv.FormatInt(docID, 10), "annotated_export", hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, nil, err
	}
	signed, _, _, err := sign(ctx, out, "Remarques de la commission sur le plan / ملاحظات اللجنة على التصميم")
	if err != nil {
		return nil, nil, err
	}
	return signed, v, nil
}

// signedExport answers the review page's signing form with the signed
// PDF, or the page again with the mistake on the PIN.
func (h *Handlers) signedExport(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc")
	if err != nil {
		return err
	}
	out, v, err := h.Service.SignedExport(r.Context(), actor(r), ids[0], ids[1], r.PostFormValue("pin"), i18n.FromContext(r.Context()))
	if err != nil {
		e := errs.As(err)
		if e == nil || (e.Field != "pin" && !strings.HasPrefix(e.Key, "signature.error.")) {
			return err
		}
		if e.Field == "" {
			moved := *e
			moved.Field = "pin"
			err = &moved
		}
		data, title, lerr := h.reviewPage(r, ids[0], ids[1])
		if lerr != nil {
			return lerr
		}
		form := web.Form{Values: r.PostForm}
		form.Values.Del("pin")
		return h.Web.RenderForm(w, r, "planreview/review", title, data, form, err)
	}
	name := strings.TrimSuffix(v.Sheet.Name, ".pdf") + "-annotated-signed.pdf"
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
	return nil
}

func (h *Handlers) export(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc")
	if err != nil {
		return err
	}
	flatten := false
	switch r.URL.Query().Get("flatten") {
	case "", "false", "0":
	case "true", "1":
		flatten = true
	default:
		return errs.E(errs.Invalid, "planreview.error.flatten").OnField("flatten")
	}
	out, v, err := h.Service.Export(r.Context(), actor(r), ids[0], ids[1], flatten, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(v.Sheet.Name, ".pdf") + "-annotated.pdf"
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
	return nil
}
