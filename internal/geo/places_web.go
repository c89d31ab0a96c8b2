package geo

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The directory's pages: the public directory and each place's page; the
// editors' forms to add and change a place, and to import a file. Plain
// forms: nothing needs JavaScript (the place form's map, the platform's
// location-map partial, only fills its typed coordinates).

// placesPerPage is the directory's page.
const placesPerPage = 30

// PlaceHandlers serve the directory's pages.
type PlaceHandlers struct {
	Places *Places
	Cat    *i18n.Catalog
	Web    *web.Renderer
	Resp   *httpx.Responder
}

// Routes registers the pages.
func (h *PlaceHandlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /places", h.directory)
	rt.HandleErr("GET /places/new", h.newForm)
	rt.HandleErr("POST /places/new", h.create)
	rt.HandleErr("GET /places/import", h.importForm)
	rt.HandleLargeErr("POST /places/import", MaxImportBytes+1<<20, h.importFile)
	rt.HandleErr("GET /places/{code}", h.page)
	rt.HandleErr("GET /places/{code}/edit", h.editForm)
	rt.HandleErr("POST /places/{code}/edit", h.edit)
}

type option struct {
	Value, Label string
	Selected     bool
}

func (h *PlaceHandlers) t(r *http.Request, key string, params ...any) string {
	return h.Cat.T(i18n.FromContext(r.Context()), key, params...)
}

// categoryOptions are the categories to choose from, the first "" (any,
// or choose one) labelled first.
func (h *PlaceHandlers) categoryOptions(r *http.Request, first, selected string) []option {
	out := []option{{Value: "", Label: h.t(r, first)}}
	for _, c := range Categories {
		out = append(out, option{Value: c, Label: h.t(r, "geo.category."+c), Selected: c == selected})
	}
	return out
}

func (h *PlaceHandlers) arrondissementOptions(r *http.Request, selected string) ([]option, error) {
	as, err := h.Places.district.Arrondissements(r.Context())
	if err != nil {
		return nil, err
	}
	l := i18n.FromContext(r.Context())
	out := []option{{Value: "", Label: h.t(r, "geo.places.any_arrondissement")}}
	for _, a := range as {
		out = append(out, option{Value: a.Code, Label: a.Name.Pick(l), Selected: a.Code == selected})
	}
	return out, nil
}

func (h *PlaceHandlers) arrondissementName(r *http.Request, code string) string {
	if code == "" {
		return ""
	}
	a, _, _, err := h.Places.district.Arrondissement(r.Context(), code)
	if err != nil {
		return code
	}
	return a.Name.Pick(i18n.FromContext(r.Context()))
}

// canEdit reports whether the visitor keeps places (of arr; "" for the
// directory as a whole: any editor).
func canEdit(r *http.Request, arr string) bool {
	v := authz.FromContext(r.Context())
	if !v.SignedIn {
		return false
	}
	if arr == "" {
		for _, g := range v.Actor.Grants {
			if g.Role == authz.Editor {
				return authz.Decide(v.Actor, authz.ManagePlaces, authz.Resource{Arrondissement: g.Arrondissement}).Allow
			}
		}
		return false
	}
	return authz.Decide(v.Actor, authz.ManagePlaces, authz.Resource{Arrondissement: arr}).Allow
}

type placeRow struct {
	Code, Name, Category, Arrondissement string
}

func (h *PlaceHandlers) directory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	pq := PlaceQuery{Q: strings.TrimSpace(q.Get("q")), Category: q.Get("category"), Arrondissement: q.Get("arrondissement"),
		Limit: placesPerPage, Offset: (page - 1) * placesPerPage}
	res, err := h.Places.Search(r.Context(), pq)
	if err != nil {
		return err
	}
	arrs, err := h.arrondissementOptions(r, pq.Arrondissement)
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	var rows []placeRow
	for _, p := range res.Places {
		rows = append(rows, placeRow{Code: p.Code, Name: p.Name.Pick(l), Category: h.t(r, "geo.category."+p.Category),
			Arrondissement: h.arrondissementName(r, p.Arrondissement)})
	}
	link := func(n int) string {
		v := url.Values{}
		for _, k := range []string{"q", "category", "arrondissement"} {
			if s := q.Get(k); s != "" {
				v.Set(k, s)
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/places"
		}
		return "/places?" + v.Encode()
	}
	data := map[string]any{"Q": pq.Q, "Categories": h.categoryOptions(r, "geo.places.any_category", pq.Category),
		"Arrondissements": arrs, "Rows": rows, "Matched": res.Matched, "CanEdit": canEdit(r, ""),
		"Filtered": pq.Q != "" || pq.Category != "" || pq.Arrondissement != ""}
	if res.Matched > 0 {
		data["Shown"] = h.t(r, "geo.places.shown", "from", pq.Offset+1, "to", pq.Offset+len(rows), "total", res.Matched)
	}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if pq.Offset+len(rows) < res.Matched {
		data["Next"] = link(page + 1)
	}
	h.Web.Render(w, r, http.StatusOK, "geo/places", web.Msg("geo.places.title"), data)
	return nil
}

func (h *PlaceHandlers) page(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Places.Place(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	week, _ := ParseHours(p.Hours)
	data := map[string]any{"Place": p, "Name": p.Name.Pick(l), "Address": p.Address.Pick(l),
		"Category": h.t(r, "geo.category."+p.Category), "Arrondissement": h.arrondissementName(r, p.Arrondissement),
		"Hours": district.WindowHours(calendar.OpeningHours{Week: week}, calendar.DateOf(time.Now())).Week,
		"OSM":   district.OSMURL(p.Point.Lat, p.Point.Lon), "Dial": (&district.Contact{Phone: p.Phone}).Dial(), "CanEdit": canEdit(r, p.Arrondissement),
		"Updated": i18n.FormatDate(l, p.UpdatedAt), "Lat": strconv.FormatFloat(p.Point.Lat, 'f', -1, 64),
		"Lon": strconv.FormatFloat(p.Point.Lon, 'f', -1, 64), "Done": r.URL.Query().Get("done") != ""}
	h.Web.Render(w, r, http.StatusOK, "geo/place", web.Msg("geo.place.page.title", "name", p.Name.Pick(l)), data)
	return nil
}

// placeFields are the form's fields, in the order of the page (and of its
// error summary).
var placeFields = []string{"code", "category", "name_ar", "name_fr", "name_en", "address_ar", "address_fr", "address_en",
	"lat", "lon", "hours", "phone", "email", "website"}

func formOf(p Place) web.Form {
	v := url.Values{}
	set := func(k, s string) { v.Set(k, s) }
	set("code", p.Code)
	set("category", p.Category)
	set("name_ar", p.Name.AR)
	set("name_fr", p.Name.FR)
	set("name_en", p.Name.EN)
	set("address_ar", p.Address.AR)
	set("address_fr", p.Address.FR)
	set("address_en", p.Address.EN)
	if p.Point != (Place{}).Point {
		set("lat", strconv.FormatFloat(p.Point.Lat, 'f', -1, 64))
		set("lon", strconv.FormatFloat(p.Point.Lon, 'f', -1, 64))
	}
	set("hours", p.Hours)
	set("phone", p.Phone)
	set("email", p.Email)
	set("website", p.Website)
	set("version", strconv.Itoa(p.Version))
	return web.Form{Values: v, Order: placeFields}
}

// posted reads the form into a place: every value passed the shared
// decoder on its way in (httpx).
func posted(r *http.Request) (Place, web.Form, error) {
	v := url.Values{}
	for _, k := range append(placeFields, "version") {
		v.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	f := web.Form{Values: v, Order: placeFields}
	values := map[string]string{}
	for _, k := range placeFields {
		values[k] = v.Get(k)
	}
	p, err := placeFrom(values, true)
	return p, f, err
}

// editData is the form page's data: a new place's, or the change of the
// place named name.
func (h *PlaceHandlers) editData(r *http.Request, f web.Form, name string) map[string]any {
	d := map[string]any{"Form": f, "Edit": name != "", "Categories": h.categoryOptions(r, "geo.place.choose_category", f.Get("category")),
		"Action": "/places/new", "Back": "/places", "Heading": h.t(r, "geo.place.new.title")}
	if name != "" {
		code := url.PathEscape(f.Get("code"))
		d["Action"], d["Back"], d["Heading"] = "/places/"+code+"/edit", "/places/"+code, h.t(r, "geo.place.edit.title", "name", name)
	}
	return d
}

func (h *PlaceHandlers) newForm(w http.ResponseWriter, r *http.Request) error {
	v := authz.SignedInOr(w, r, "")
	if v == nil {
		return nil
	}
	if !canEdit(r, "") {
		return errs.E(errs.NotFound, "")
	}
	httpx.Private(r)
	h.Web.Render(w, r, http.StatusOK, "geo/place_edit", web.Msg("geo.place.new.title"), h.editData(r, web.Form{Order: placeFields}, ""))
	return nil
}

func (h *PlaceHandlers) create(w http.ResponseWriter, r *http.Request) error {
	v := authz.SignedInOr(w, r, "/places/new")
	if v == nil {
		return nil
	}
	if !canEdit(r, "") {
		return errs.E(errs.NotFound, "")
	}
	p, f, err := posted(r)
	if err != nil {
		err = h.Places.Validate(r.Context(), &p, err)
	} else {
		p, err = h.Places.Save(r.Context(), v.Actor, p, 0)
	}
	if err != nil {
		return h.Web.RenderForm(w, r, "geo/place_edit", web.Msg("geo.place.new.title"), h.editData(r, f, ""), f, err)
	}
	http.Redirect(w, r, "/places/"+url.PathEscape(p.Code)+"?done=1", http.StatusSeeOther)
	return nil
}

func (h *PlaceHandlers) editForm(w http.ResponseWriter, r *http.Request) error {
	v := authz.SignedInOr(w, r, "")
	if v == nil {
		return nil
	}
	p, err := h.Places.Place(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if !canEdit(r, p.Arrondissement) {
		return errs.E(errs.NotFound, "geo.place.error.not_found").With("code", p.Code)
	}
	name := p.Name.Pick(i18n.FromContext(r.Context()))
	httpx.Private(r)
	h.Web.Render(w, r, http.StatusOK, "geo/place_edit", web.Msg("geo.place.edit.title", "name", name), h.editData(r, formOf(p), name))
	return nil
}

func (h *PlaceHandlers) edit(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := authz.SignedInOr(w, r, "/places/"+url.PathEscape(code)+"/edit")
	if v == nil {
		return nil
	}
	old, err := h.Places.Place(r.Context(), code)
	if err != nil {
		return err
	}
	if !canEdit(r, old.Arrondissement) {
		return errs.E(errs.NotFound, "geo.place.error.not_found").With("code", code)
	}
	p, f, err := posted(r)
	f.Values.Set("code", code)
	p.Code = code // the address of the page is the place's: its code does not change
	version, _ := strconv.Atoi(f.Get("version"))
	if err != nil {
		err = h.Places.Validate(r.Context(), &p, err)
	} else {
		p, err = h.Places.Save(r.Context(), v.Actor, p, version)
	}
	if err != nil {
		name := old.Name.Pick(i18n.FromContext(r.Context()))
		return h.Web.RenderForm(w, r, "geo/place_edit", web.Msg("geo.place.edit.title", "name", name), h.editData(r, f, name), f, err)
	}
	http.Redirect(w, r, "/places/"+url.PathEscape(p.Code)+"?done=1", http.StatusSeeOther)
	return nil
}

func (h *PlaceHandlers) importData(r *http.Request) map[string]any {
	return map[string]any{"Columns": strings.Join(ImportColumns, ", "), "MaxMB": MaxImportBytes >> 20, "Form": web.Form{}}
}

func (h *PlaceHandlers) importForm(w http.ResponseWriter, r *http.Request) error {
	v := authz.SignedInOr(w, r, "")
	if v == nil {
		return nil
	}
	if !canEdit(r, "") {
		return errs.E(errs.NotFound, "")
	}
	httpx.Private(r)
	h.Web.Render(w, r, http.StatusOK, "geo/places_import", web.Msg("geo.import.title"), h.importData(r))
	return nil
}

// problemRow is a mistake of an imported file as the page lists it.
type problemRow struct{ Where, Field, Text string }

func (h *PlaceHandlers) importFile(w http.ResponseWriter, r *http.Request) error {
	v := authz.SignedInOr(w, r, "/places/import")
	if v == nil {
		return nil
	}
	if !canEdit(r, "") {
		return errs.E(errs.NotFound, "")
	}
	data := h.importData(r)
	fail := func(err error) error {
		f := web.Form{}
		return h.Web.RenderForm(w, r, "geo/places_import", web.Msg("geo.import.title"), data, f, err)
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fail(errs.E(errs.Invalid, "geo.import.error.size").With("mb", MaxImportBytes>>20).OnField("file"))
		}
		return fail(errs.E(errs.Invalid, "geo.import.error.no_file").OnField("file"))
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, MaxImportBytes+1))
	if err != nil {
		return fail(errs.E(errs.Invalid, "geo.import.error.no_file").OnField("file").Cause(err))
	}
	rep, err := h.Places.Import(r.Context(), v.Actor, hdr.Filename, b)
	var ie *ImportError
	if errors.As(err, &ie) {
		var rows []problemRow
		for _, p := range ie.Problems {
			row := problemRow{Field: p.Field, Text: h.problemText(r, p)}
			switch {
			case p.Line > 0:
				row.Where = h.t(r, "geo.import.at.line", "n", p.Line)
			case p.Feature > 0:
				row.Where = h.t(r, "geo.import.at.feature", "n", p.Feature)
			default:
				row.Where = h.t(r, "geo.import.at.file")
			}
			rows = append(rows, row)
		}
		data["Problems"], data["More"], data["File"] = rows, ie.More, hdr.Filename
		h.Web.Render(w, r, http.StatusUnprocessableEntity, "geo/places_import", web.Msg("geo.import.title"), data)
		return nil
	}
	if err != nil {
		return fail(err)
	}
	data["Report"], data["File"] = rep, hdr.Filename
	h.Web.Render(w, r, http.StatusOK, "geo/places_import", web.Msg("geo.import.title"), data)
	return nil
}

// problemText is a mistake's message in the reader's language; a text's
// refusal by the shared decoder keeps that decoder's words.
func (h *PlaceHandlers) problemText(r *http.Request, p ImportProblem) string {
	var params []any
	for k, v := range p.Params {
		if t, ok := v.(i18n.Text); ok {
			v = t.Pick(i18n.FromContext(r.Context()))
		}
		params = append(params, k, v)
	}
	return h.t(r, p.Key, params...)
}
