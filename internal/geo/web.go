package geo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// OGC API – Features, Part 1 Core (OGC 17-069r4), rooted at /ogc. Every
// resource answers JSON (GeoJSON for features) or HTML, chosen by the f
// parameter (json, html) or else the Accept header. Errors are problem
// documents in the reader's language, naming the parameter at fault.

// Paging: limit's default and greatest value.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// conformance are the classes the portal implements.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
}

// Handlers serve the portal.
type Handlers struct {
	Web         *web.Renderer
	Resp        *httpx.Responder
	Base        string // the site's public URL, for absolute links
	Collections []Collection
	live        *live
}

// Routes registers the portal's routes.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /ogc", h.landing)
	rt.HandleErr("GET /ogc/api", h.apiDefinition)
	rt.HandleErr("GET /ogc/conformance", h.conformance)
	rt.HandleErr("GET /ogc/collections", h.collections)
	rt.HandleErr("GET /ogc/collections/{id}", h.collection)
	rt.HandleErr("GET /ogc/collections/{id}/items", h.items)
	rt.HandleErr("GET /ogc/collections/{id}/items/{fid}", h.item)
	rt.HandleErr("GET /ogc/collections/projects/live", h.liveProjects)
}

// Link is a link of an OGC document.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

const (
	typeJSON    = "application/json"
	typeGeoJSON = "application/geo+json"
	typeHTML    = "text/html"
)

// wantsHTML chooses the answer's format: f=html or f=json, else HTML for
// a browser. A format the portal does not speak is an error.
func wantsHTML(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("f") {
	case "html":
		return true, nil
	case "json":
		// Errors then come as JSON, too.
		r.Header.Set("Accept", typeJSON)
		return false, nil
	case "":
		return !httpx.WantsJSON(r) && strings.Contains(r.Header.Get("Accept"), "text/html"), nil
	}
	r.Header.Set("Accept", typeJSON)
	return false, errs.E(errs.Invalid, "geo.error.format").OnField("f")
}

// base is the site's address as the request reached it: the configured
// public URL when the request came by its host, else the host asked (a
// server reached by another name, or by its address on loopback, links to
// itself as it was reached).
func (h *Handlers) base(r *http.Request) string {
	if u, err := url.Parse(h.Base); err == nil && u.Host == r.Host {
		return h.Base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// self is the absolute link to path with query q and format f.
func (h *Handlers) self(r *http.Request, path string, q url.Values, f string) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("f", f)
	return h.base(r) + path + "?" + v.Encode()
}

// marshal is v in JSON, links' ampersands as they are, without the newline
// an encoder ends with.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func (h *Handlers) writeJSON(w http.ResponseWriter, r *http.Request, ctype string, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Language", string(i18n.FromContext(r.Context())))
	_, err = w.Write(append(b, '\n'))
	return err
}

func (h *Handlers) t(r *http.Request, key string, params ...any) string {
	return h.Resp.Cat.T(i18n.FromContext(r.Context()), key, params...)
}

func (h *Handlers) landing(w http.ResponseWriter, r *http.Request) error {
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	doc := map[string]any{"title": h.t(r, "geo.title"), "description": h.t(r, "geo.about"), "links": []Link{
		{Href: h.self(r, "/ogc", nil, "json"), Rel: "self", Type: typeJSON, Title: h.t(r, "geo.link.this")},
		{Href: h.self(r, "/ogc", nil, "html"), Rel: "alternate", Type: typeHTML, Title: h.t(r, "geo.link.html")},
		{Href: h.self(r, "/ogc", nil, "html"), Rel: "service-doc", Type: typeHTML, Title: h.t(r, "geo.link.doc")},
		{Href: h.self(r, "/ogc/api", nil, "json"), Rel: "service-desc", Type: typeOpenAPI, Title: h.t(r, "geo.link.api")},
		{Href: h.self(r, "/ogc/conformance", nil, "json"), Rel: "conformance", Type: typeJSON, Title: h.t(r, "geo.link.conformance")},
		{Href: h.self(r, "/ogc/collections", nil, "json"), Rel: "data", Type: typeJSON, Title: h.t(r, "geo.link.collections")},
	}}
	if html {
		h.Web.Render(w, r, http.StatusOK, "geo/landing", web.Msg("geo.title"), map[string]any{"Collections": h.collectionViews(r), "Root": h.base(r) + "/ogc"})
		return nil
	}
	return h.writeJSON(w, r, typeJSON, doc)
}

func (h *Handlers) conformance(w http.ResponseWriter, r *http.Request) error {
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	if html {
		h.Web.Render(w, r, http.StatusOK, "geo/conformance", web.Msg("geo.conformance.title"), conformance)
		return nil
	}
	return h.writeJSON(w, r, typeJSON, map[string]any{"conformsTo": conformance})
}

// collectionDoc is a collection's description (OGC 17-069r4, 7.14).
func (h *Handlers) collectionDoc(r *http.Request, c Collection) (map[string]any, error) {
	b, err := c.Extent(r.Context())
	if err != nil {
		return nil, err
	}
	base := "/ogc/collections/" + c.ID
	extent := map[string]any{"spatial": map[string]any{"bbox": [][4]float64{{b.Min.Lon, b.Min.Lat, b.Max.Lon, b.Max.Lat}},
		"crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
	if c.Temporal {
		extent["temporal"] = map[string]any{"interval": [][2]*string{{nil, nil}}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	return map[string]any{"id": c.ID, "title": h.t(r, c.Title), "description": h.t(r, c.About), "itemType": "feature",
		"crs": []string{"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}, "extent": extent,
		"links": []Link{
			{Href: h.self(r, base, nil, "json"), Rel: "self", Type: typeJSON, Title: h.t(r, "geo.link.this")},
			{Href: h.self(r, base, nil, "html"), Rel: "alternate", Type: typeHTML, Title: h.t(r, "geo.link.html")},
			{Href: h.self(r, base+"/items", nil, "json"), Rel: "items", Type: typeGeoJSON, Title: h.t(r, "geo.link.items")},
			{Href: h.self(r, base+"/items", nil, "html"), Rel: "items", Type: typeHTML, Title: h.t(r, "geo.link.items_html")},
		}}, nil
}

// collectionView is a collection on the HTML pages.
type collectionView struct {
	ID, Title, About string
	Properties       []string
	Temporal         bool
}

func (h *Handlers) collectionViews(r *http.Request) []collectionView {
	out := make([]collectionView, 0, len(h.Collections))
	for _, c := range h.Collections {
		out = append(out, collectionView{ID: c.ID, Title: h.t(r, c.Title), About: h.t(r, c.About), Properties: c.Properties, Temporal: c.Temporal})
	}
	return out
}

func (h *Handlers) collections(w http.ResponseWriter, r *http.Request) error {
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	if html {
		h.Web.Render(w, r, http.StatusOK, "geo/collections", web.Msg("geo.collections.title"), h.collectionViews(r))
		return nil
	}
	docs := []map[string]any{}
	for _, c := range h.Collections {
		d, err := h.collectionDoc(r, c)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	return h.writeJSON(w, r, typeJSON, map[string]any{"collections": docs, "links": []Link{
		{Href: h.self(r, "/ogc/collections", nil, "json"), Rel: "self", Type: typeJSON, Title: h.t(r, "geo.link.this")},
		{Href: h.self(r, "/ogc/collections", nil, "html"), Rel: "alternate", Type: typeHTML, Title: h.t(r, "geo.link.html")},
	}})
}

// find is the collection of the request's {id}.
func (h *Handlers) find(r *http.Request) (Collection, error) {
	id := r.PathValue("id")
	for _, c := range h.Collections {
		if c.ID == id {
			return c, nil
		}
	}
	return Collection{}, errs.E(errs.NotFound, "geo.error.collection").With("id", id)
}

func (h *Handlers) collection(w http.ResponseWriter, r *http.Request) error {
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	c, err := h.find(r)
	if err != nil {
		return err
	}
	if html {
		views := h.collectionViews(r)
		for _, v := range views {
			if v.ID == c.ID {
				h.Web.Render(w, r, http.StatusOK, "geo/collection", web.Msg(c.Title), v)
			}
		}
		return nil
	}
	d, err := h.collectionDoc(r, c)
	if err != nil {
		return err
	}
	return h.writeJSON(w, r, typeJSON, d)
}

// query reads the items' parameters; any other is an error (OGC 17-069r4,
// /req/core/query-param-unknown).
func query(r *http.Request, c Collection) (geom.FeatureQuery, error) {
	v := r.URL.Query()
	q := geom.FeatureQuery{Properties: map[string]string{}}
	var err error
	for k := range v {
		switch {
		case k == "f" || k == "bbox" || k == "limit" || k == "offset":
		case k == "datetime" && c.Temporal:
		case slices.Contains(c.Properties, k):
			q.Properties[k] = v.Get(k)
		default:
			return q, errs.E(errs.Invalid, "geo.error.parameter").With("name", k).OnField(k)
		}
	}
	if s := v.Get("bbox"); s != "" {
		if q.BBox, err = geom.ParseBBox(s); err != nil {
			return q, err
		}
	} else if v.Has("bbox") {
		return q, errs.E(errs.Invalid, geom.KeyBBox).OnField("bbox")
	}
	if s := v.Get("datetime"); s != "" {
		if q.From, q.To, err = geom.ParseInterval(s); err != nil {
			return q, err
		}
	}
	if q.Limit, err = geom.ParseLimit(v.Get("limit"), DefaultLimit, MaxLimit); err != nil {
		return q, err
	}
	if q.Offset, err = geom.ParseOffset(v.Get("offset")); err != nil {
		return q, err
	}
	return q, nil
}

// featureRow is a feature on the HTML pages: its properties as rows of a
// summary list, labelled and worded in the reader's language.
type featureRow struct {
	ID   string
	Rows []summaryRow
}

// propertyOrder is the order of the properties on the pages.
var propertyOrder = []string{"number", "kind_name", "category_name", "granted", "tacit", "status", "filed", "resolved", "arrondissement", "kind", "category", "state",
	"name_ar", "name_fr", "name_en", "code", "source"}

type summaryRow struct{ Key, Value, Href, Action string }

func (h *Handlers) rows(r *http.Request, layer string, fs []geom.Feature) []featureRow {
	l := i18n.FromContext(r.Context())
	out := make([]featureRow, 0, len(fs))
	for _, f := range fs {
		row := featureRow{ID: f.ID}
		var keys []string
		if f.Properties != nil {
			keys = f.Properties.Keys()
		}
		// The names people read first, then the codes; others by name.
		rank := func(k string) int {
			if i := slices.Index(propertyOrder, k); i >= 0 {
				return i
			}
			return len(propertyOrder)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			v := f.Properties.Property(k)
			var s string
			switch x := v.(type) {
			case map[string]string: // a name in each language
				s = x[string(l)]
			case bool:
				s = h.t(r, "geo.no")
				if x {
					s = h.t(r, "geo.yes")
				}
			case string:
				s = x
				if t, err := time.Parse(time.RFC3339, x); err == nil {
					s = i18n.FormatDate(l, t)
				} else if m := "geo.value." + k + "." + x; h.Resp.Cat.Has(l, m) {
					s = h.t(r, m) // a value from a short list, worded
				}
			default:
				b, _ := json.Marshal(v)
				s = string(b)
			}
			// A layer's own label for the property, else the portal's.
			key := k
			for _, m := range []string{"geo.prop." + layer + "." + k, "geo.prop." + k} {
				if h.Resp.Cat.Has(l, m) {
					key = h.t(r, m)
					break
				}
			}
			row.Rows = append(row.Rows, summaryRow{Key: key, Value: s})
		}
		row.Rows = append(row.Rows, summaryRow{Key: h.t(r, "geo.prop.geometry"), Value: h.t(r, "geo.geometry."+string(f.Geometry.Type))})
		out = append(out, row)
	}
	return out
}

func (h *Handlers) items(w http.ResponseWriter, r *http.Request) error {
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	c, err := h.find(r)
	if err != nil {
		return err
	}
	q, err := query(r, c)
	if err != nil {
		return err
	}
	page, err := c.Items(r.Context(), q)
	if err != nil {
		return err
	}
	base := "/ogc/collections/" + c.ID + "/items"
	params := r.URL.Query()
	params.Del("f")
	f := "json"
	if html {
		f = "html"
	}
	links := []Link{
		{Href: h.self(r, base, params, "json"), Rel: "self", Type: typeGeoJSON, Title: h.t(r, "geo.link.this")},
		{Href: h.self(r, base, params, "html"), Rel: "alternate", Type: typeHTML, Title: h.t(r, "geo.link.html")},
		{Href: h.self(r, "/ogc/collections/"+c.ID, nil, "json"), Rel: "collection", Type: typeJSON, Title: h.t(r, c.Title)},
	}
	var next, prev string
	if q.Offset+len(page.Features) < page.Matched {
		p := cloneValues(params)
		p.Set("offset", strconv.Itoa(q.Offset+q.Limit))
		p.Set("limit", strconv.Itoa(q.Limit))
		next = h.self(r, base, p, f)
		links = append(links, Link{Href: h.self(r, base, p, "json"), Rel: "next", Type: typeGeoJSON, Title: h.t(r, "geo.link.next")})
	}
	if q.Offset > 0 {
		p := cloneValues(params)
		p.Set("offset", strconv.Itoa(max(0, q.Offset-q.Limit)))
		p.Set("limit", strconv.Itoa(q.Limit))
		prev = h.self(r, base, p, f)
		links = append(links, Link{Href: h.self(r, base, p, "json"), Rel: "prev", Type: typeGeoJSON, Title: h.t(r, "geo.link.prev")})
	}
	if html {
		from := 0
		if len(page.Features) > 0 {
			from = q.Offset + 1
		}
		h.Web.Render(w, r, http.StatusOK, "geo/items", web.Msg(c.Title), map[string]any{
			"Collection": c.ID, "Title": h.t(r, c.Title), "Rows": h.rows(r, c.ID, page.Features), "Next": next, "Prev": prev,
			"Shown": h.t(r, "geo.items.shown", "from", from, "to", q.Offset+len(page.Features), "count", page.Matched)})
		return nil
	}
	w.Header().Set("Content-Type", typeGeoJSON)
	w.Header().Set("Content-Language", string(i18n.FromContext(r.Context())))
	// A page of a thousand projects is some 300 kB: written into a
	// buffer kept from an earlier answer.
	bp := answers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxKeptAnswer {
			answers.Put(bp)
		}
	}()
	buf := append((*bp)[:0], `{"type":"FeatureCollection","features":[`...)
	for i, f := range page.Features {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = f.AppendJSON(buf); err != nil {
			return err
		}
	}
	meta, err := marshal(map[string]any{"numberMatched": page.Matched, "numberReturned": len(page.Features),
		"timeStamp": time.Now().UTC().Format(time.RFC3339), "links": links})
	if err != nil {
		return err
	}
	buf = append(append(append(buf, "],"...), meta[1:]...), '\n')
	*bp = buf
	_, err = w.Write(buf)
	return err
}

// answers are the buffers the items are written in, kept for the next
// answer up to maxKeptAnswer bytes (a page of the largest limit).
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxKeptAnswer = 4 << 20

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (h *Handlers) item(w http.ResponseWriter, r *http.Request) error {
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	c, err := h.find(r)
	if err != nil {
		return err
	}
	fid := r.PathValue("fid")
	page, err := c.Items(r.Context(), geom.FeatureQuery{ID: fid, Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Features) == 0 {
		return errs.E(errs.NotFound, "geo.error.feature").With("id", fid)
	}
	f := page.Features[0]
	path := "/ogc/collections/" + c.ID + "/items/" + url.PathEscape(fid)
	if html {
		h.Web.Render(w, r, http.StatusOK, "geo/item", web.Msg("geo.item.title", "id", fid), map[string]any{
			"Collection": c.ID, "Title": h.t(r, c.Title), "Row": h.rows(r, c.ID, page.Features)[0]})
		return nil
	}
	b, err := f.MarshalJSON()
	if err != nil {
		return err
	}
	links, err := marshal([]Link{
		{Href: h.self(r, path, nil, "json"), Rel: "self", Type: typeGeoJSON, Title: h.t(r, "geo.link.this")},
		{Href: h.self(r, path, nil, "html"), Rel: "alternate", Type: typeHTML, Title: h.t(r, "geo.link.html")},
		{Href: h.self(r, "/ogc/collections/"+c.ID, nil, "json"), Rel: "collection", Type: typeJSON, Title: h.t(r, c.Title)},
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", typeGeoJSON)
	w.Header().Set("Content-Language", string(i18n.FromContext(r.Context())))
	out := append(b[:len(b)-1], `,"links":`...)
	out = append(out, links...)
	out = append(out, '}', '\n')
	_, err = w.Write(out)
	return err
}
