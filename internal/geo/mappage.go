package geo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/config"
	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// Map pages (issue #14, points 5 and 6): /map, the city's interactive map
// of the portal's layers (Leaflet, static/map.js), and GET /api/v1/locate,
// which tells which arrondissement a point lies in and its window — the
// answer the parcel map of the filing form shows as soon as a point is
// set. The map reads the OGC items and the live stream like any client;
// without JavaScript the page is a set of links to the OGC HTML lists.

// Tiles is the maps' background: a URL template, or none.
type Tiles struct {
	URL         string // "" when the maps draw no tiles
	Attribution string
	origin      string // for the Content-Security-Policy's img-src
}

// ParseTiles reads the tile settings: a template of an http(s) URL with
// {z}, {x} and {y}; "none" for none; empty for OpenStreetMap's.
func ParseTiles(tmpl, attribution string) (Tiles, error) {
	switch strings.TrimSpace(tmpl) {
	case "none":
		return Tiles{}, nil
	case "":
		tmpl, attribution = config.DefaultMapTiles, config.DefaultMapTilesAttribution
	}
	u, err := url.Parse(strings.NewReplacer("{s}", "s", "{z}", "0", "{x}", "0", "{y}", "0", "{r}", "").Replace(tmpl))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		!strings.Contains(tmpl, "{z}") || !strings.Contains(tmpl, "{x}") || !strings.Contains(tmpl, "{y}") {
		return Tiles{}, fmt.Errorf("geo: --map-tiles %q: an http(s) URL template with {z}, {x} and {y}, or none", tmpl)
	}
	host := u.Host
	if i := strings.Index(tmpl, "{s}"); i >= 0 && strings.Contains(tmpl[:i], "://") && !strings.Contains(tmpl[strings.Index(tmpl, "://")+3:i], "/") {
		// {s} is in the host: any subdomain of the rest.
		host = "*" + host[strings.Index(host, "."):]
	}
	return Tiles{URL: tmpl, Attribution: attribution, origin: u.Scheme + "://" + host}, nil
}

// allowTiles lets pages load images from the tile source: the platform's
// policy allows images from the site only.
func (t Tiles) allowTiles(next http.Handler) http.Handler {
	if t.origin == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := w.Header().Get("Content-Security-Policy"); strings.Contains(p, "img-src 'self' data:;") {
			w.Header().Set("Content-Security-Policy", strings.Replace(p, "img-src 'self' data:;", "img-src 'self' data: "+t.origin+";", 1))
		}
		next.ServeHTTP(w, r)
	})
}

// MapHandlers serve the map page and the locating endpoint.
type MapHandlers struct {
	Web    *web.Renderer
	Resp   *httpx.Responder
	Places *district.Store
	Tiles  Tiles
	// Directory, Gazetteer and Parcels answer the searches of GET
	// /api/v1/geocode.
	Directory *Places
	Gazetteer *Addresses
	Parcels   Parcels
	// Layers are the ids of the portal's collections: the page links to
	// the lists of those it serves.
	Layers []string
}

// Routes registers the map's routes.
func (h *MapHandlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /map", h.mapPage)
	rt.HandleErr("GET /map/settings", h.settings)
	rt.HandleErr("GET /api/v1/locate", h.locate)
	rt.HandleErr("GET /api/v1/geocode", h.geocode)
	rt.HandleErr("GET /map/search", h.geocode) // the same, for the pages' maps: the API ignores sessions
}

// mapArrondissement is an arrondissement in the map's filter and in its
// links to the lists.
type mapArrondissement struct {
	Code, Name string
}

func (h *MapHandlers) mapPage(w http.ResponseWriter, r *http.Request) error {
	l := i18n.FromContext(r.Context())
	as, err := h.Places.Arrondissements(r.Context())
	if err != nil {
		return err
	}
	out := make([]mapArrondissement, 0, len(as))
	for _, a := range as {
		out = append(out, mapArrondissement{Code: a.Code, Name: a.Name.Pick(l)})
	}
	city, err := h.Places.City(r.Context())
	if err != nil {
		return err
	}
	b := city.Boundary.Bounds()
	has := map[string]bool{}
	for _, id := range h.Layers {
		has[id] = true
	}
	h.Web.Render(w, r, http.StatusOK, "geo/map", web.Msg("geo.map.title"), map[string]any{
		"Arrondissements": out, "Tiles": h.Tiles, "Has": has, "Categories": Categories,
		"Bounds": fmt.Sprintf("%g,%g,%g,%g", b.Min.Lon, b.Min.Lat, b.Max.Lon, b.Max.Lat)})
	return nil
}

// settings are what a map on another capability's page needs (the parcel
// map of the filing form): the tiles and the city's box.
func (h *MapHandlers) settings(w http.ResponseWriter, r *http.Request) error {
	city, err := h.Places.City(r.Context())
	if err != nil {
		return err
	}
	b := city.Boundary.Bounds()
	w.Header().Set("Cache-Control", "public, max-age=300")
	h.Resp.JSON(w, r, http.StatusOK, map[string]any{"tiles": h.Tiles.URL, "attribution": h.Tiles.Attribution,
		"bounds": [4]float64{b.Min.Lon, b.Min.Lat, b.Max.Lon, b.Max.Lat}})
	return nil
}

// Located is the answer of GET /api/v1/locate: the arrondissement a point
// lies in, its prefecture, its window and the city's window (which of the
// two handles a file depends on the file: its kind and size).
type Located struct {
	Lat            float64                 `json:"lat"`
	Lon            float64                 `json:"lon"`
	Arrondissement district.Arrondissement `json:"arrondissement"`
	Prefecture     district.Prefecture     `json:"prefecture"`
	Window         district.Window         `json:"window"`
	CityWindow     district.Window         `json:"city_window"`
}

func (h *MapHandlers) locate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		if k != "lat" && k != "lon" && k != "lang" {
			return errs.E(errs.Invalid, "geo.locate.error.parameter").With("name", k).OnField(k)
		}
	}
	p, err := geom.ParsePoint(q.Get("lat"), q.Get("lon"))
	if err != nil {
		return err
	}
	a, ok, err := h.Places.ArrondissementAt(r.Context(), p)
	if err != nil {
		return err
	}
	if !ok {
		city, err := h.Places.City(r.Context())
		if err != nil {
			return err
		}
		return geom.ErrOutside(city.Name).OnField("lat")
	}
	a, pr, win, err := h.Places.Arrondissement(r.Context(), a.Code)
	if err != nil {
		return err
	}
	out := Located{Lat: p.Lat, Lon: p.Lon, Arrondissement: a, Prefecture: pr, Window: win}
	ws, err := h.Places.Windows(r.Context())
	if err != nil {
		return err
	}
	for _, x := range ws {
		if x.Kind == district.CityWindow {
			out.CityWindow = x
			break
		}
	}
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

// Parcels are the parcels a visitor already filed on: the permit
// capability's (its files' locations, found by land title, address or
// number, among the files the visitor may read).
type Parcels interface {
	ParcelsFiled(ctx context.Context, a authz.Actor, q string, limit int) ([]geom.Feature, error)
}

// Found is one answer of GET /api/v1/geocode: where a search leads.
type Found struct {
	Kind           string        `json:"kind"` // "parcel" (an earlier file's), "address" (the gazetteer's) or "place"
	Label          string        `json:"label"`
	Detail         string        `json:"detail,omitempty"`
	Arrondissement string        `json:"arrondissement,omitempty"`
	Geometry       geom.Geometry `json:"geometry"`
}

// maxGeocodeQuery is the longest search read (a title number, an address).
const maxGeocodeQuery = 200

// geocode answers GET /api/v1/geocode?q= (and /map/search, the same for
// the pages, whose visitor is known by the session the API ignores): what
// the text names in the city — for a signed-in visitor, the parcels of their earlier files
// whose land title, address or number holds it; then the gazetteer's
// street addresses holding its words; then the directory's places whose
// names hold it. Addresses come before places: what is searched on a map
// that places a parcel is mostly an address, and a place's name rarely
// holds a street's words and a number together.
func (h *MapHandlers) geocode(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		if k != "q" && k != "lang" {
			return errs.E(errs.Invalid, "geo.locate.error.parameter").With("name", k).OnField(k)
		}
	}
	text := strings.TrimSpace(q.Get("q"))
	switch {
	case textnorm.Fold(text) == "":
		return errs.E(errs.Invalid, "geo.geocode.error.empty").OnField("q")
	case utf8.RuneCountInString(text) > maxGeocodeQuery:
		return errs.E(errs.Invalid, "geo.geocode.error.long").With("max", maxGeocodeQuery).OnField("q")
	}
	httpx.Private(r) // a visitor's own parcels
	l := i18n.FromContext(r.Context())
	out := []Found{}
	if h.Parcels != nil {
		fs, err := h.Parcels.ParcelsFiled(r.Context(), authz.FromContext(r.Context()).Actor, text, 10)
		if err != nil {
			return err
		}
		for _, f := range fs {
			p := f.Properties
			label := fmt.Sprint(p.Property("file"))
			if t := fmt.Sprint(p.Property("land_title")); t != "" {
				label = h.Resp.Cat.T(l, "geo.geocode.parcel", "title", t, "file", label)
			}
			out = append(out, Found{Kind: "parcel", Label: label, Detail: fmt.Sprint(p.Property("address")),
				Arrondissement: fmt.Sprint(p.Property("arrondissement")), Geometry: f.Geometry})
		}
	}
	if h.Gazetteer != nil {
		as, err := h.Gazetteer.Search(r.Context(), text, 10)
		if err != nil {
			return err
		}
		for _, a := range as {
			f := Found{Kind: "address", Label: a.Label, Arrondissement: a.Arrondissement, Geometry: geom.NewPoint(a.Point)}
			if ar, _, _, err := h.Places.Arrondissement(r.Context(), a.Arrondissement); err == nil {
				f.Detail = ar.Name.Pick(l)
			}
			out = append(out, f)
		}
	}
	if h.Directory != nil {
		page, err := h.Directory.Search(r.Context(), PlaceQuery{Q: text, Limit: 10})
		if err != nil {
			return err
		}
		for _, p := range page.Places {
			out = append(out, Found{Kind: "place", Label: p.Name.Pick(l), Detail: p.Address.Pick(l), Arrondissement: p.Arrondissement,
				Geometry: geom.NewPoint(p.Point)})
		}
	}
	h.Resp.JSON(w, r, http.StatusOK, map[string]any{"results": out})
	return nil
}
