package complaint

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ratelimit"
)

// Open311 GeoReport v2, the read side (http://wiki.open311.org/GeoReport_v2):
// the standard the requests' clients speak (FixMyStreet's, SeeClickFix's
// apps). Its errors have their own format — a list of {code,
// description} in the request's format — so these handlers answer their
// errors themselves instead of returning them to the one adapter (as the
// router does for routes it does not know). What they publish is what the
// public tracking page shows: no name, no contact, and for a private-life
// category neither its place nor its description.

// Open311Base is where the GeoReport v2 endpoint is served.
const Open311Base = "/open311/v2"

// Jurisdiction is this city's jurisdiction_id; a request naming another
// is refused.
const Jurisdiction = "casablanca"

// open311 serves GeoReport v2.
type open311 struct {
	s       *Service
	cat     *i18n.Catalog
	baseURL string
	// device is the flood limit per client and device_id, and per client
	// and person (e-mail or phone): a client's post past it is held for
	// review, as the site holds a flood.
	device *ratelimit.Limiter
	// media fetches a post's media_url.
	media *http.Client
}

// Open311Routes registers the endpoint.
func (h *Handlers) Open311Routes(rt *httpx.Router, baseURL string) {
	o := &open311{s: h.Service, cat: h.Cat, baseURL: strings.TrimSuffix(baseURL, "/"), device: h.Device, media: h.Media}
	rt.HandleErr("GET "+Open311Base+"/discovery.json", o.discovery)
	for _, f := range []string{"json", "xml"} {
		rt.HandleErr("GET "+Open311Base+"/services."+f, o.services(f))
		rt.HandleErr("GET "+Open311Base+"/requests."+f, o.requests(f))
	}
	rt.HandleErr("GET "+Open311Base+"/services/{file}", o.definition)
	rt.HandleErr("GET "+Open311Base+"/requests/{file}", o.request)
	h.open311WriteRoutes(rt, o)
}

// o311Error is one error of the standard format.
type o311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// write answers v in format f ("json" or "xml"), XML under root.
func write(w http.ResponseWriter, status int, f string, root string, v any) error {
	if f == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		enc := xml.NewEncoder(w)
		if err := enc.Encode(struct {
			XMLName xml.Name
			Items   any
		}{XMLName: xml.Name{Local: root}, Items: v}); err != nil {
			return err
		}
		return enc.Flush()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// fail answers the standard error list, its description in the request's
// language.
func (o *open311) fail(w http.ResponseWriter, r *http.Request, f string, status int, key string, params ...any) error {
	desc := o.cat.T(i18n.FromContext(r.Context()), key, params...)
	return write(w, status, f, "errors", []o311Error{{Code: status, Description: desc}})
}

// jurisdiction refuses another city's jurisdiction_id.
func (o *open311) jurisdiction(w http.ResponseWriter, r *http.Request, f string) bool {
	if j := r.FormValue("jurisdiction_id"); j != "" && j != Jurisdiction {
		_ = o.fail(w, r, f, http.StatusNotFound, "complaint.open311.jurisdiction", "jurisdiction", Jurisdiction)
		return false
	}
	return true
}

func (o *open311) discovery(w http.ResponseWriter, r *http.Request) error {
	type endpoint struct {
		Specification string   `json:"specification"`
		URL           string   `json:"url"`
		Changeset     string   `json:"changeset"`
		Type          string   `json:"type"`
		Formats       []string `json:"formats"`
	}
	changeset := o.s.cat.Version + "T00:00:00Z"
	return write(w, http.StatusOK, "json", "", map[string]any{
		"changeset": changeset, "contact": o.baseURL + "/contact", "key_service": o.baseURL + "/contact",
		"endpoints": []endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: o.baseURL + Open311Base,
			Changeset: changeset, Type: "production", Formats: []string{"application/json", "text/xml"}}},
	})
}

// o311Service is a service of services.{json,xml}.
type o311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	Code        string   `json:"service_code" xml:"service_code"`
	Name        string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

func (o *open311) services(f string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !o.jurisdiction(w, r, f) {
			return nil
		}
		l := i18n.FromContext(r.Context())
		out := []o311Service{}
		for _, k := range o.s.cat.Categories {
			words := k.Words.AR
			switch l {
			case i18n.FR:
				words = k.Words.FR
			case i18n.EN:
				words = k.Words.EN
			}
			out = append(out, o311Service{Code: k.Code, Name: k.Name.Pick(l), Description: k.Team.Pick(l),
				Metadata: true, Type: "realtime", Keywords: strings.Join(words, ", "), Group: k.Team.Pick(l)})
		}
		return write(w, http.StatusOK, f, "services", out)
	}
}

// o311Attribute is an attribute of a service definition.
type o311Attribute struct {
	XMLName             xml.Name    `json:"-" xml:"attribute"`
	Variable            bool        `json:"variable" xml:"variable"`
	Code                string      `json:"code" xml:"code"`
	Datatype            string      `json:"datatype" xml:"datatype"`
	Required            bool        `json:"required" xml:"required"`
	DatatypeDescription string      `json:"datatype_description" xml:"datatype_description"`
	Order               int         `json:"order" xml:"order"`
	Description         string      `json:"description" xml:"description"`
	Values              []o311Value `json:"values,omitempty" xml:"values>value,omitempty"`
}

type o311Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// o311Definition is a service definition.
type o311Definition struct {
	XMLName    xml.Name        `json:"-" xml:"service_definition"`
	Code       string          `json:"service_code" xml:"service_code"`
	Attributes []o311Attribute `json:"attributes" xml:"attributes>attribute"`
}

// format splits "name.json" into name and format.
func format(file string) (string, string, bool) {
	for _, f := range []string{"json", "xml"} {
		if name, ok := strings.CutSuffix(file, "."+f); ok && name != "" {
			return name, f, true
		}
	}
	return "", "json", false
}

func (o *open311) definition(w http.ResponseWriter, r *http.Request) error {
	code, f, ok := format(r.PathValue("file"))
	if !ok {
		return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.format")
	}
	if !o.jurisdiction(w, r, f) {
		return nil
	}
	k, ok := o.s.cat.Category(code)
	if !ok {
		return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.service_code", "code", code)
	}
	l := i18n.FromContext(r.Context())
	def := o311Definition{Code: k.Code, Attributes: []o311Attribute{}}
	for i, fd := range k.Fields {
		a := o311Attribute{Variable: true, Code: fd.Name, Required: fd.Required && fd.When == nil, Order: i + 1,
			Description: fd.Label.Pick(l), DatatypeDescription: fd.Label.Pick(l)}
		switch fd.Kind {
		case FieldChoice:
			a.Datatype = "singlevaluelist"
			for _, op := range fd.Options {
				a.Values = append(a.Values, o311Value{Key: op.Code, Name: op.Name.Pick(l)})
			}
		case FieldBoolean:
			a.Datatype = "singlevaluelist"
			a.Values = []o311Value{{Key: "true", Name: o.cat.T(l, "complaint.form.yes")}, {Key: "false", Name: o.cat.T(l, "complaint.form.no")}}
		case FieldDate:
			a.Datatype = "datetime"
		default:
			a.Datatype = "string"
		}
		def.Attributes = append(def.Attributes, a)
	}
	// Where the request is: an arrondissement, unless the point says.
	arrs, err := o.s.places.Arrondissements(r.Context())
	if err != nil {
		return err
	}
	_, canPlace := o.s.places.(placer)
	where := o311Attribute{Variable: true, Code: ArrondissementAttribute, Datatype: "singlevaluelist", Required: !canPlace,
		Order: len(def.Attributes) + 1, Description: o.cat.T(l, "complaint.open311.arrondissement"),
		DatatypeDescription: o.cat.T(l, "complaint.open311.arrondissement")}
	for _, x := range arrs {
		where.Values = append(where.Values, o311Value{Key: x.Code, Name: x.Name.Pick(l)})
	}
	def.Attributes = append(def.Attributes, where)
	if f == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write([]byte(xml.Header))
		return xml.NewEncoder(w).Encode(def)
	}
	return write(w, http.StatusOK, f, "", def)
}

// o311Request is a service request as published.
type o311Request struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	Requested         string   `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string   `json:"updated_datetime" xml:"updated_datetime"`
	Expected          string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
}

// iso writes a time as GeoReport does (W3C, with Casablanca's offset).
func iso(t time.Time) string { return t.In(i18n.Casablanca).Format(time.RFC3339) }

// publish turns a request into what anyone may read of it.
func (o *open311) publish(ctx context.Context, l i18n.Lang, x *Request, orgs map[string]string) o311Request {
	out := o311Request{ID: x.Number, Status: "open", ServiceCode: x.Category, Requested: iso(x.FiledAt), Updated: iso(x.UpdatedAt),
		AgencyResponsible: orgs[x.Organisation], StatusNotes: x.PublicAnswer}
	if !x.State.Open() {
		out.Status = "closed"
	} else if x.PlannedFor != nil {
		// The day the team planned the work for (its start in
		// Casablanca), else the service level's deadline.
		out.Expected = iso(*x.PlannedFor)
	} else if x.State != Waiting {
		out.Expected = iso(x.ResolveDue)
	}
	if k, ok := o.s.cat.Category(x.Category); ok {
		out.ServiceName = k.Name.Pick(l)
		out.ServiceNotice = o.cat.T(l, "complaint.open311.notice", "ack", k.Service.Acknowledge, "resolve", k.Service.Resolve)
	}
	if !x.Private {
		out.Description, out.Address, out.Lat, out.Long = x.PublicDescription, x.Address, x.Lat, x.Lon
		if len(x.Photos) > 0 {
			out.MediaURL = o.baseURL + "/requests/" + strconv.FormatInt(x.ID, 10) + "/photos/1"
		}
	}
	return out
}

// organisationNames names every organisation in l (staff's table, read
// only).
func organisationNames(ctx context.Context, q db.Querier, l i18n.Lang) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, name_ar, name_fr, name_en FROM organisations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code string
		var n i18n.Text
		if err := rows.Scan(&code, &n.AR, &n.FR, &n.EN); err != nil {
			return nil, err
		}
		out[code] = n.Pick(l)
	}
	return out, rows.Err()
}

// Paging: GeoReport's default of 1,000 requests at most, and 90 days
// when no date is given.
const (
	o311MaxPage     = 1000
	o311DefaultDays = 90
)

func (o *open311) requests(f string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !o.jurisdiction(w, r, f) {
			return nil
		}
		q := r.URL.Query()
		var where []string
		var args []any
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		if ids := strings.TrimSpace(q.Get("service_request_id")); ids != "" {
			var ph []string
			for _, id := range strings.Split(ids, ",") {
				if id = strings.TrimSpace(id); id != "" && len(ph) < o311MaxPage {
					ph = append(ph, arg(strings.ToUpper(id)))
				}
			}
			if len(ph) == 0 {
				return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.ids")
			}
			where = append(where, "number IN ("+strings.Join(ph, ", ")+")")
		} else {
			if code := q.Get("service_code"); code != "" {
				if _, ok := o.s.cat.Category(code); !ok {
					return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.service_code", "code", code)
				}
				where = append(where, "category = "+arg(code))
			}
			var start, end time.Time
			for _, p := range []struct {
				name string
				to   *time.Time
			}{{"start_date", &start}, {"end_date", &end}} {
				if v := q.Get(p.name); v != "" {
					t, err := time.Parse(time.RFC3339, v)
					if err != nil {
						return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.date", "name", p.name)
					}
					*p.to = t.UTC()
				}
			}
			if start.IsZero() && end.IsZero() {
				start = o.s.now().UTC().AddDate(0, 0, -o311DefaultDays)
			}
			if !start.IsZero() && !end.IsZero() && end.Before(start) {
				return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.date_order")
			}
			if !start.IsZero() {
				where = append(where, "filed_at >= "+arg(start))
			}
			if !end.IsZero() {
				where = append(where, "filed_at <= "+arg(end))
			}
			switch st := q.Get("status"); st {
			case "":
			case "open":
				where = append(where, "state NOT IN ('resolved', 'closed')")
			case "closed":
				where = append(where, "state IN ('resolved', 'closed')")
			default:
				return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.status")
			}
		}
		page, size, bad, most := paging(q)
		if bad != "" {
			return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.paging", "name", bad, "max", most)
		}
		where = append(where, "held_at IS NULL") // held for review: not public yet
		rs, err := listRequestsFrom(r.Context(), o.s.db, strings.Join(where, " AND "), "filed_at DESC, id DESC",
			size, (page-1)*size, args...)
		if err != nil {
			return err
		}
		l := i18n.FromContext(r.Context())
		orgs, err := organisationNames(r.Context(), o.s.db, l)
		if err != nil {
			return err
		}
		out := []o311Request{}
		for _, x := range rs {
			if x.Photos, err = photos(r.Context(), o.s.db, x.ID); err != nil {
				return err
			}
			out = append(out, o.publish(r.Context(), l, x, orgs))
		}
		return write(w, http.StatusOK, f, "service_requests", out)
	}
}

func (o *open311) request(w http.ResponseWriter, r *http.Request) error {
	id, f, ok := format(r.PathValue("file"))
	if !ok {
		return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.format")
	}
	if !o.jurisdiction(w, r, f) {
		return nil
	}
	x, err := request(r.Context(), o.s.db, "number", strings.ToUpper(id))
	if err == nil && x.HeldAt != nil {
		err = errs.E(errs.NotFound, "complaint.error.not_found")
	}
	if err != nil {
		return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.not_found", "id", id)
	}
	l := i18n.FromContext(r.Context())
	orgs, err := organisationNames(r.Context(), o.s.db, l)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, f, "service_requests", []o311Request{o.publish(r.Context(), l, x, orgs)})
}

// paging reads a list's page and page_size (from 1; a page holds at most
// o311MaxPage); bad names a parameter out of range, and most its largest
// value.
func paging(q url.Values) (page, size int, bad string, most int) {
	page, size = 1, o311MaxPage
	for _, p := range []struct {
		name string
		to   *int
		max  int
	}{{"page", &page, 1 << 20}, {"page_size", &size, o311MaxPage}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				return 0, 0, p.name, p.max
			}
			*p.to = n
		}
	}
	return page, size, "", 0
}
