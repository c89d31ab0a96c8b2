package planreview

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// Handlers serve the annotations of plan sheets as W3C Web Annotations
// (JSON-LD), readable and writable, at two addresses answering alike:
// under /api/v1 for personal API tokens (the applicant and their
// architect: read what is shared, answer), and under /files/… for the
// signed-in browser (the viewer; staff annotate there, since API tokens
// never carry staff powers), where state-changing calls carry the
// anti-forgery token in X-CSRF-Token like every form.
type Handlers struct {
	Service *Service
	Resp    *httpx.Responder
	Web     *web.Renderer
	BaseURL string
}

// Routes registers both addresses of every route.
func (h *Handlers) Routes(rt *httpx.Router) {
	for _, base := range []string{"/api/v1/files/{id}/documents/{doc}", "/files/{id}/documents/{doc}"} {
		rt.HandleErr("GET "+base+"/annotations", h.list)
		rt.HandleErr("POST "+base+"/annotations", h.create)
		rt.HandleErr("GET "+base+"/annotations/{ann}", h.get)
		rt.HandleErr("PATCH "+base+"/annotations/{ann}", h.patch)
		rt.HandleErr("POST "+base+"/annotations/{ann}/replies", h.reply)
		rt.HandleErr("GET "+base+"/annotated.pdf", h.export)
	}
	rt.HandleErr("GET /files/{id}/documents/{doc}/review", h.review)
	rt.HandleErr("POST /files/{id}/documents/{doc}/review/{ann}", h.webReply, httpx.Multiline("reply-*"))
	rt.HandleErr("POST /files/{id}/documents/{doc}/signed-export", h.signedExport)
}

// The JSON-LD context: the W3C Web Annotation context first, then
// Madina's terms, each a full IRI (the model's own way to extend it).
const annoContext = "http://www.w3.org/ns/anno.jsonld"

var contexts = []any{annoContext, map[string]string{"madina": "urn:madina:planreview#"}}

// W3C Web Annotation shapes, as served.
type (
	wAgent struct {
		ID           string `json:"id"`
		Type         string `json:"type"`
		Name         string `json:"name,omitempty"`
		Organisation string `json:"madina:organisation,omitempty"`
	}
	wBody struct {
		Type     string `json:"type"`
		Value    string `json:"value"`
		Format   string `json:"format"`
		Purpose  string `json:"purpose,omitempty"`
		Language string `json:"language,omitempty"`
	}
	wSelector struct {
		Type       string     `json:"type"`
		ConformsTo string     `json:"conformsTo,omitempty"`
		Value      string     `json:"value"`
		RefinedBy  *wSelector `json:"refinedBy,omitempty"`
	}
	wTarget struct {
		Source   string    `json:"source"`
		Selector wSelector `json:"selector"`
	}
	wCarried struct {
		Version int    `json:"version"`
		Source  string `json:"source"`
	}
	wReply struct {
		Context    any       `json:"@context,omitempty"`
		ID         string    `json:"id"`
		Type       string    `json:"type"`
		Motivation string    `json:"motivation"`
		Created    time.Time `json:"created"`
		Creator    wAgent    `json:"creator"`
		Body       wBody     `json:"body"`
		Target     string    `json:"target"`
		Side       string    `json:"madina:side"`
		Version    int       `json:"madina:sheetVersion"`
	}
	wAnnotation struct {
		Context     any          `json:"@context,omitempty"`
		ID          string       `json:"id"`
		Type        string       `json:"type"`
		Motivation  string       `json:"motivation"`
		Created     time.Time    `json:"created"`
		Modified    time.Time    `json:"modified"`
		Creator     wAgent       `json:"creator"`
		Body        []wBody      `json:"body,omitempty"`
		Target      wTarget      `json:"target"`
		Kind        string       `json:"madina:kind"`
		Status      string       `json:"madina:status"`
		Visibility  string       `json:"madina:visibility"`
		Round       int          `json:"madina:round"`
		Side        string       `json:"madina:side"`
		Version     int          `json:"madina:version"`
		Measurement *Measurement `json:"madina:measurement,omitempty"`
		Calibration *Calibration `json:"madina:calibration,omitempty"`
		Carried     *wCarried    `json:"madina:carriedFrom,omitempty"`
		Resolved    *wResolution `json:"madina:resolved,omitempty"`
		Replies     []wReply     `json:"madina:replies"`
	}
	wResolution struct {
		Version int       `json:"version"`
		At      time.Time `json:"at"`
	}
	wPage struct {
		Type  string        `json:"type"`
		Items []wAnnotation `json:"items"`
	}
	wSheet struct {
		Document int64  `json:"document"`
		Item     string `json:"item"`
		Version  int    `json:"version"`
		SHA256   string `json:"sha256"`
		Source   string `json:"source"`
		Round    int    `json:"round"`
		Pages    []Page `json:"pages"`
	}
	wCollection struct {
		Context   any    `json:"@context"`
		ID        string `json:"id"`
		Type      string `json:"type"`
		Label     string `json:"label"`
		Total     int    `json:"total"`
		First     wPage  `json:"first"`
		Sheet     wSheet `json:"madina:sheet"`
		Committee bool   `json:"madina:committee"`
	}
)

func (h *Handlers) base(r *http.Request) string {
	if h.BaseURL != "" {
		return strings.TrimRight(h.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// annotationIRI is an annotation's id: its address on the sheet version
// it was made on, under the API.
func (h *Handlers) annotationIRI(r *http.Request, a *Annotation) string {
	return fmt.Sprintf("%s/api/v1/files/%d/documents/%d/annotations/%d", h.base(r), a.File, a.Document, a.ID)
}

func (h *Handlers) agent(v *View, lang string, person int64, side, org string) wAgent {
	ag := wAgent{ID: "urn:madina:person:" + strconv.FormatInt(person, 10), Type: "Person", Organisation: org}
	if p, ok := v.Names[person]; ok && p.ID != 0 {
		ag.Name = p.DisplayName(lang)
	}
	return ag
}

// w3c is annotation a as it shows on the sheet of v.
func (h *Handlers) w3c(r *http.Request, v *View, a *Annotation, withContext bool) wAnnotation {
	lang := string(i18n.FromContext(r.Context()))
	sh := v.Sheet
	out := wAnnotation{ID: h.annotationIRI(r, a), Type: "Annotation", Motivation: a.Motivation, Created: a.Created,
		Modified: a.Updated, Creator: h.agent(v, lang, a.Author, a.Side, a.Organisation), Kind: a.Kind, Status: a.Status,
		Visibility: a.Visibility, Round: a.Round, Side: a.Side, Version: a.Version, Measurement: a.Measurement,
		Calibration: a.Calibration, Replies: []wReply{},
		Target: wTarget{Source: Source(sh.SHA256), Selector: wSelector{Type: "FragmentSelector",
			ConformsTo: "http://tools.ietf.org/rfc/rfc3778", Value: "page=" + strconv.Itoa(a.Page),
			RefinedBy: &wSelector{Type: "SvgSelector", Value: a.Shape.SVG()}}}}
	if withContext {
		out.Context = contexts
	}
	if a.Body != "" {
		out.Body = append(out.Body, wBody{Type: "TextualBody", Value: a.Body, Format: "text/plain"})
	}
	if a.Carried(sh.Version) {
		for _, ver := range sh.Versions {
			if ver.Document == a.Document {
				out.Carried = &wCarried{Version: ver.Version, Source: Source(ver.SHA256)}
			}
		}
		if out.Carried == nil {
			out.Carried = &wCarried{Version: a.DocVersion}
		}
	}
	if a.Status == StatusResolved && a.ResolvedAt != nil {
		out.Resolved = &wResolution{Version: a.ResolvedVersion, At: *a.ResolvedAt}
	}
	for _, rp := range a.Replies {
		ver := 0
		for _, sv := range sh.Versions {
			if sv.Document == rp.Document {
				ver = sv.Version
			}
		}
		out.Replies = append(out.Replies, wReply{ID: fmt.Sprintf("%s/replies/%d", out.ID, rp.ID), Type: "Annotation",
			Motivation: "replying", Created: rp.Created, Creator: h.agent(v, lang, rp.Author, rp.Side, rp.Organisation),
			Body: wBody{Type: "TextualBody", Value: rp.Body, Format: "text/plain"}, Target: out.ID, Side: rp.Side, Version: ver})
	}
	return out
}

func pathIDs(r *http.Request, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		id, err := strconv.ParseInt(r.PathValue(n), 10, 64)
		if err != nil || id <= 0 {
			return nil, errs.E(errs.NotFound, "planreview.error.not_found")
		}
		out[i] = id
	}
	return out, nil
}

func actor(r *http.Request) authz.Actor { return authz.FromContext(r.Context()).Actor }

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc")
	if err != nil {
		return err
	}
	committeeOnly := false
	switch vis := r.URL.Query().Get("visibility"); vis {
	case "":
	case VisibleCommittee:
		committeeOnly = true
	default:
		return errs.E(errs.Invalid, "planreview.error.visibility").OnField("visibility")
	}
	v, err := h.Service.View(r.Context(), actor(r), ids[0], ids[1], committeeOnly)
	if err != nil {
		return err
	}
	sh := v.Sheet
	out := wCollection{Context: contexts, ID: fmt.Sprintf("%s/api/v1/files/%d/documents/%d/annotations", h.base(r), sh.File, sh.Document),
		Type: "AnnotationCollection", Label: sh.Name, Total: len(v.Annotations), First: wPage{Type: "AnnotationPage", Items: []wAnnotation{}},
		Sheet:     wSheet{Document: sh.Document, Item: sh.Item, Version: sh.Version, SHA256: sh.SHA256, Source: Source(sh.SHA256), Round: sh.Round, Pages: v.Pages},
		Committee: v.Committee}
	for _, a := range v.Annotations {
		out.First.Items = append(out.First.Items, h.w3c(r, v, a, false))
	}
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc", "ann")
	if err != nil {
		return err
	}
	v, a, err := h.Service.Annotation(r.Context(), actor(r), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, h.w3c(r, v, a, true))
	return nil
}

// Input shapes: the W3C form a client posts.
type (
	inBody struct {
		Type     string `json:"type"`
		Value    string `json:"value" text:"multiline"`
		Format   string `json:"format"`
		Language string `json:"language"`
		Purpose  string `json:"purpose"`
	}
	inSelector struct {
		Type       string      `json:"type"`
		ConformsTo string      `json:"conformsTo"`
		Value      string      `json:"value"`
		RefinedBy  *inSelector `json:"refinedBy"`
	}
	inTarget struct {
		Source   string      `json:"source"`
		Selector *inSelector `json:"selector"`
	}
	inAnnotation struct {
		Context     any          `json:"@context"`
		Type        string       `json:"type"`
		Motivation  string       `json:"motivation"`
		Body        *inBody      `json:"body"`
		Target      *inTarget    `json:"target"`
		Kind        string       `json:"madina:kind"`
		Status      string       `json:"madina:status"`
		Visibility  string       `json:"madina:visibility"`
		Calibration *Calibration `json:"madina:calibration"`
	}
)

// maxJSON bounds an annotation's request body (an SvgSelector of a
// freehand drawing may be long).
const maxJSON = 512 << 10

// checkContext accepts the W3C context, alone or first in a list.
func checkContext(c any) error {
	switch x := c.(type) {
	case string:
		if x == annoContext {
			return nil
		}
	case []any:
		if len(x) > 0 && x[0] == annoContext {
			return nil
		}
	}
	return errs.E(errs.Invalid, "planreview.error.context").OnField("@context")
}

func textOf(b *inBody) (string, error) {
	if b == nil {
		return "", nil
	}
	if b.Type != "" && b.Type != "TextualBody" {
		return "", errs.E(errs.Invalid, "planreview.error.body_type").OnField("body")
	}
	if b.Format != "" && b.Format != "text/plain" {
		return "", errs.E(errs.Invalid, "planreview.error.body_type").OnField("body")
	}
	return b.Value, nil
}

// page reads a PDF fragment selector's "page=N" (RFC 3778).
func page(sel *inSelector) (int, string, error) {
	bad := errs.E(errs.Invalid, "planreview.error.selector").OnField("target")
	if sel == nil || sel.Type != "FragmentSelector" || sel.RefinedBy == nil || sel.RefinedBy.Type != "SvgSelector" {
		return 0, "", bad
	}
	v, ok := strings.CutPrefix(sel.Value, "page=")
	if !ok {
		return 0, "", bad
	}
	v, _, _ = strings.Cut(v, "&")
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, "", bad
	}
	return n, sel.RefinedBy.Value, nil
}

func (h *Handlers) create(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc")
	if err != nil {
		return err
	}
	var in inAnnotation
	if err := httpx.DecodeJSON(r, &in, maxJSON); err != nil {
		return err
	}
	if err := checkContext(in.Context); err != nil {
		return err
	}
	if in.Type != "Annotation" {
		return errs.E(errs.Invalid, "planreview.error.type").OnField("type")
	}
	if in.Target == nil {
		return errs.E(errs.Invalid, "planreview.error.selector").OnField("target")
	}
	n, svg, err := page(in.Target.Selector)
	if err != nil {
		return err
	}
	body, err := textOf(in.Body)
	if err != nil {
		return err
	}
	v, a, err := h.Service.Create(r.Context(), actor(r), ids[0], ids[1], Draft{Kind: in.Kind, Page: n, Source: in.Target.Source,
		SVG: svg, Body: body, Motivation: in.Motivation, Status: in.Status, Visibility: in.Visibility, Calibration: in.Calibration})
	if err != nil {
		return err
	}
	out := h.w3c(r, v, a, true)
	w.Header().Set("Location", out.ID)
	h.Resp.JSON(w, r, http.StatusCreated, out)
	return nil
}

func (h *Handlers) patch(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc", "ann")
	if err != nil {
		return err
	}
	var in struct {
		Status     *string `json:"madina:status"`
		Visibility *string `json:"madina:visibility"`
		Body       *inBody `json:"body"`
	}
	if err := httpx.DecodeJSON(r, &in, maxJSON); err != nil {
		return err
	}
	p := Patch{Status: in.Status, Visibility: in.Visibility}
	if in.Body != nil {
		t, err := textOf(in.Body)
		if err != nil {
			return err
		}
		p.Body = &t
	}
	v, a, err := h.Service.Update(r.Context(), actor(r), ids[0], ids[1], ids[2], p)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, h.w3c(r, v, a, true))
	return nil
}

func (h *Handlers) reply(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "doc", "ann")
	if err != nil {
		return err
	}
	var in struct {
		Context    any     `json:"@context"`
		Type       string  `json:"type"`
		Motivation string  `json:"motivation"`
		Body       *inBody `json:"body"`
		Target     string  `json:"target"`
	}
	if err := httpx.DecodeJSON(r, &in, 64<<10); err != nil {
		return err
	}
	if in.Context != nil {
		if err := checkContext(in.Context); err != nil {
			return err
		}
	}
	if in.Motivation != "" && in.Motivation != "replying" {
		return errs.E(errs.Invalid, "planreview.error.motivation").OnField("motivation")
	}
	text, err := textOf(in.Body)
	if err != nil {
		return err
	}
	v, a, err := h.Service.Reply(r.Context(), actor(r), ids[0], ids[1], ids[2], text)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusCreated, h.w3c(r, v, a, true))
	return nil
}
