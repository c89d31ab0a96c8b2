package booking

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// The desk's "new facility" form (facilitycreate.go): a plain form; a
// created facility leads to its hours page, where it opens.

var newFacilityFields = []string{"org", "kind", "name_ar", "name_fr", "name_en", "address_ar", "address_fr", "address_en",
	"lat", "lon", "capacity", "slot_minutes"}

func (h *Handlers) renderNewFacility(w http.ResponseWriter, r *http.Request, orgs []string, form web.Form, err error) error {
	l := h.lang(r)
	var os, kinds []map[string]string
	for _, o := range orgs {
		os = append(os, map[string]string{"Value": o, "Label": h.areaName(r.Context(), l, o)})
	}
	for _, k := range CreatableKinds {
		kinds = append(kinds, map[string]string{"Value": k, "Label": h.t(r, "booking.kind."+k)})
	}
	var texts []map[string]string
	for _, k := range []string{"name_ar", "name_fr", "name_en", "address_ar", "address_fr", "address_en"} {
		lang, dir := k[len(k)-2:], "ltr"
		if lang == "ar" {
			dir = "rtl"
		}
		hint := ""
		if strings.HasPrefix(k, "name_") {
			hint = "names-hint"
		}
		texts = append(texts, map[string]string{"Name": k, "Label": "booking.create.field." + k, "Dir": dir, "Lang": lang, "Hint": hint})
	}
	numbers := []map[string]any{{"Name": "lat", "Label": "booking.create.field.lat", "Mode": "decimal", "Hint": true},
		{"Name": "lon", "Label": "booking.create.field.lon", "Mode": "decimal", "Hint": true},
		{"Name": "capacity", "Label": "booking.create.field.capacity", "Mode": "numeric"},
		{"Name": "slot_minutes", "Label": "booking.create.field.slot_minutes", "Mode": "numeric"}}
	data := map[string]any{"Orgs": os, "Kinds": kinds, "Texts": texts, "Numbers": numbers, "Form": form}
	title := web.Msg("booking.create.title")
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/facility_new", title, data, form, err)
	}
	h.Web.Render(w, r, http.StatusOK, "booking/facility_new", title, data)
	return nil
}

// creatorOrgs are the organisations the visitor creates facilities for;
// none is the policy's refusal (hidden, or the second factor to pass).
func creatorOrgs(a authz.Actor) ([]string, error) {
	orgs := CreateOrgs(a)
	if len(orgs) == 0 {
		org := "-"
		if d := DeskOrgs(a); len(d) > 0 {
			org = d[0]
		}
		return nil, authz.Check(a, authz.CreateFacility, authz.Resource{Org: org})
	}
	return orgs, nil
}

func (h *Handlers) newFacility(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	orgs, err := creatorOrgs(v.Actor)
	if err != nil {
		return err
	}
	values := url.Values{"org": {orgs[0]}, "slot_minutes": {"60"}}
	return h.renderNewFacility(w, r, orgs, web.Form{Values: values, Order: newFacilityFields}, nil)
}

func (h *Handlers) createFacility(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "/bookings/desk/facilities/new")
	if v == nil {
		return nil
	}
	orgs, err := creatorOrgs(v.Actor)
	if err != nil {
		return err
	}
	values := url.Values{}
	for _, k := range newFacilityFields {
		values.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	for _, k := range []string{"capacity", "slot_minutes"} {
		values.Set(k, textnorm.Digits(values.Get(k)))
	}
	form := web.Form{Values: values, Order: newFacilityFields}
	in := NewFacility{Org: values.Get("org"), Kind: values.Get("kind"),
		Name:    i18n.Text{AR: values.Get("name_ar"), FR: values.Get("name_fr"), EN: values.Get("name_en")},
		Address: i18n.Text{AR: values.Get("address_ar"), FR: values.Get("address_fr"), EN: values.Get("address_en")}}
	var fe errs.Fields
	if !slices.Contains(orgs, in.Org) {
		// Another organisation's: the policy says nothing exists.
		return authz.Check(v.Actor, authz.CreateFacility, authz.Resource{Org: "-"})
	}
	// Each coordinate on its own field (geo's reading: Arabic digits and
	// decimal commas too).
	la, errLat := geo.ParsePoint(values.Get("lat"), "0")
	lo, errLon := geo.ParsePoint("0", values.Get("lon"))
	_, _ = fe.Add(errLat), fe.Add(errLon)
	in.Lat, in.Lon = la.Lat, lo.Lon
	num := func(k string, dst *int) {
		n, err := strconv.Atoi(values.Get(k))
		if err != nil {
			_ = fe.Add(errs.E(errs.Invalid, "booking.rules.number").OnField(k))
			return
		}
		*dst = n
	}
	num("capacity", &in.Capacity)
	num("slot_minutes", &in.SlotMinutes)
	if fe.Err() != nil {
		// The service's checks of the other fields too, so that every
		// mistake shows at once (a field already at fault keeps its
		// message; a point that could not be read stands in as valid).
		probe := in
		if errLat != nil || errLon != nil {
			probe.Lat, probe.Lon = 33.5731, -7.5898
		}
		if err := fe.Add(h.Service.checkNew(r.Context(), &probe)); err != nil {
			return err
		}
		return h.renderNewFacility(w, r, orgs, form, fe.Err())
	}
	f, err := h.Service.CreateFacility(r.Context(), v.Actor, in)
	if err != nil {
		if errs.KindOf(err) == errs.Invalid {
			return h.renderNewFacility(w, r, orgs, form, err)
		}
		return err
	}
	saved(w, r, f.Code, "hours", "created")
	return nil
}
