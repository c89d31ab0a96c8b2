// Package district holds the city's territorial reference: prefectures of
// arrondissements, arrondissements and the single windows (one for the city,
// one per arrondissement). The reference is data — Casablanca's is embedded
// as the default — so another city loads its own file, not new code.
package district

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

//go:embed casablanca.json
var casablancaJSON []byte

// Name is a name in the three languages.
type Name = i18n.Text

// nameMatches reports whether q occurs in one of n's languages, after
// folding.
func nameMatches(n Name, q string) bool {
	f := textnorm.Fold(q)
	return f == "" || strings.Contains(textnorm.Fold(n.AR), f) ||
		strings.Contains(textnorm.Fold(n.FR), f) || strings.Contains(textnorm.Fold(n.EN), f)
}

// Prefecture is a prefecture of arrondissements.
type Prefecture struct {
	Code            string           `json:"code"`
	Name            Name             `json:"name"`
	Arrondissements []Arrondissement `json:"arrondissements,omitempty"`
}

// Arrondissement is one of the city's arrondissements.
type Arrondissement struct {
	Code       string `json:"code"`
	Prefecture string `json:"prefecture,omitempty"`
	Name       Name   `json:"name"`
	Window     string `json:"window,omitempty"`
	// Boundary is the arrondissement's territory in a reference file (a
	// Polygon or MultiPolygon); nil in what the store lists: Store.Areas
	// and Store.ArrondissementAt answer for the boundaries.
	Boundary *geo.Geometry `json:"boundary,omitempty"`
}

// UnmarshalJSON reads an arrondissement of a reference file, its boundary
// with the rules of a territory (geo.ParseBoundary).
func (a *Arrondissement) UnmarshalJSON(b []byte) error {
	type plain Arrondissement
	aux := struct {
		*plain
		Boundary json.RawMessage `json:"boundary"`
	}{plain: (*plain)(a)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	a.Boundary = nil
	if len(aux.Boundary) > 0 && string(aux.Boundary) != "null" {
		g, err := geo.ParseBoundary(aux.Boundary)
		if err != nil {
			return fmt.Errorf("arrondissement %s: boundary: %w", a.Code, err)
		}
		a.Boundary = &g
	}
	return nil
}

// Window kinds.
const (
	CityWindow           = "city"
	ArrondissementWindow = "arrondissement"
)

// Window is a single window: the sole contact of applicants for permits.
type Window struct {
	Code           string   `json:"code"`
	Kind           string   `json:"kind"`
	Arrondissement string   `json:"arrondissement,omitempty"`
	Name           Name     `json:"name"`
	Contact        *Contact `json:"contact,omitempty"`
}

// Contact is how to reach a window: where it is, on the map too, and its
// phone. Its opening hours are the administration's (the calendar's), the
// same the deposit appointments follow.
type Contact struct {
	Address Name   `json:"address"`
	Phone   string `json:"phone,omitempty"`
	// PhonePlaceholder marks a number the city has not confirmed yet:
	// pages say it is to be confirmed and never offer to dial it.
	PhonePlaceholder bool    `json:"phone_placeholder,omitempty"`
	Lat              float64 `json:"lat,omitempty"`
	Lon              float64 `json:"lon,omitempty"`
}

// Located reports whether the window's place on the map is known.
func (c *Contact) Located() bool { return c != nil && (c.Lat != 0 || c.Lon != 0) }

// Dial is the phone number to dial (tel: link), "" when there is none or
// it is a placeholder.
func (c *Contact) Dial() string {
	if c == nil || c.PhonePlaceholder {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r == '+' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, c.Phone)
}

// phoneRE is a phone number as printed: digits, spaces, dots, dashes, a
// leading +; a placeholder may use X for its unknown digits.
var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9X .-]{5,24}$`)

// Reference is a city's whole territorial reference.
type Reference struct {
	City struct {
		Code string `json:"code"`
		Name Name   `json:"name"`
	} `json:"city"`
	Source string `json:"source"`
	// ContactSource says where the windows' contacts come from and what
	// remains to be confirmed.
	ContactSource string       `json:"contact_source,omitempty"`
	Prefectures   []Prefecture `json:"prefectures"`
	Windows       []Window     `json:"windows"`
	// BoundarySource says where Boundary comes from.
	BoundarySource string `json:"boundary_source,omitempty"`
	// ArrondissementBoundarySource says where the arrondissements'
	// boundaries come from (how approximate they are). The boundaries are
	// optional, but a reference gives all of them or none.
	ArrondissementBoundarySource string `json:"arrondissement_boundary_source,omitempty"`
	// Boundary is the city's territory, a GeoJSON Polygon or MultiPolygon
	// (WGS 84): the locations of permit applications must lie within it.
	// The database does not keep it (Store.Save writes prefectures,
	// arrondissements and windows): a server takes it from the reference
	// file, the embedded one being Casablanca().
	Boundary geo.Geometry `json:"boundary"`
}

// UnmarshalJSON reads a reference file, its boundary with the rules of a
// territory (geo.ParseBoundary: a Polygon or MultiPolygon of up to
// geo.MaxBoundaryVertices vertices) rather than an applicant's location.
func (ref *Reference) UnmarshalJSON(b []byte) error {
	type plain Reference
	aux := struct {
		*plain
		Boundary json.RawMessage `json:"boundary"`
	}{plain: (*plain)(ref)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if len(aux.Boundary) > 0 && string(aux.Boundary) != "null" {
		g, err := geo.ParseBoundary(aux.Boundary)
		if err != nil {
			return fmt.Errorf("boundary: %w", err)
		}
		ref.Boundary = g
	}
	return nil
}

// Contains reports whether g — a point, or the outline of a parcel — lies
// within the city's territory (its boundary line included).
func (ref Reference) Contains(g geo.Geometry) bool { return g.Within(ref.Boundary) }

// CheckLocation returns nil when g lies within the city's territory, and
// otherwise an invalid error (key geo.KeyOutside, param "place": the
// city's name, shown in the reader's language).
func (ref Reference) CheckLocation(g geo.Geometry) error {
	if ref.Contains(g) {
		return nil
	}
	return geo.ErrOutside(ref.City.Name)
}

// Casablanca returns the embedded reference of Casablanca.
func Casablanca() Reference {
	ref, err := ParseReference(casablancaJSON)
	if err != nil {
		panic("district: embedded reference is invalid: " + err.Error())
	}
	return ref
}

// ParseReference reads and validates a reference file.
func ParseReference(b []byte) (Reference, error) {
	var ref Reference
	if err := json.Unmarshal(b, &ref); err != nil {
		return ref, errs.E(errs.Invalid, "district.error.file").Cause(err)
	}
	return ref, ref.Validate()
}

var codeRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks codes are unique slugs, every name is given in the three
// languages, every arrondissement has exactly one window beside the one
// city window, and the boundary is a valid Polygon or MultiPolygon.
func (ref Reference) Validate() error {
	bad := func(format string, a ...any) error {
		return errs.E(errs.Invalid, "district.error.file").Cause(fmt.Errorf(format, a...))
	}
	named := func(what, code string, n Name) error {
		if !codeRE.MatchString(code) || len(code) > 64 {
			return bad("%s code %q is not a lower-case slug", what, code)
		}
		if strings.TrimSpace(n.AR) == "" || strings.TrimSpace(n.FR) == "" || strings.TrimSpace(n.EN) == "" {
			return bad("%s %q lacks a name in ar, fr or en", what, code)
		}
		return nil
	}
	pcodes, acodes := map[string]bool{}, map[string]bool{}
	bounded := 0
	for _, p := range ref.Prefectures {
		if err := named("prefecture", p.Code, p.Name); err != nil {
			return err
		}
		if pcodes[p.Code] {
			return bad("prefecture %q twice", p.Code)
		}
		pcodes[p.Code] = true
		if len(p.Arrondissements) == 0 {
			return bad("prefecture %q has no arrondissement", p.Code)
		}
		for _, a := range p.Arrondissements {
			if err := named("arrondissement", a.Code, a.Name); err != nil {
				return err
			}
			if acodes[a.Code] {
				return bad("arrondissement %q twice", a.Code)
			}
			acodes[a.Code] = true
			if a.Boundary == nil {
				continue
			}
			bounded++
			if n := a.Boundary.Vertices(); n > geo.MaxBoundaryVertices {
				return bad("arrondissement %q: boundary of %d vertices, at most %d", a.Code, n, geo.MaxBoundaryVertices)
			}
			if err := a.Boundary.Validate(); err != nil {
				return bad("arrondissement %q: boundary: %w", a.Code, err)
			}
			if ref.Boundary.Areal() && !ref.Boundary.Bounds().Contains(a.Boundary.Centroid()) {
				return bad("arrondissement %q: its boundary's centre is far outside the city (latitude and longitude swapped?)", a.Code)
			}
		}
	}
	if bounded > 0 && bounded < len(acodes) {
		return bad("%d of %d arrondissements have a boundary: give all or none", bounded, len(acodes))
	}
	if len(acodes) == 0 {
		return bad("no arrondissement")
	}
	wcodes, served := map[string]bool{}, map[string]bool{}
	city := 0
	for _, w := range ref.Windows {
		if err := named("window", w.Code, w.Name); err != nil {
			return err
		}
		if wcodes[w.Code] {
			return bad("window %q twice", w.Code)
		}
		wcodes[w.Code] = true
		switch w.Kind {
		case CityWindow:
			if w.Arrondissement != "" {
				return bad("city window %q names an arrondissement", w.Code)
			}
			city++
		case ArrondissementWindow:
			if !acodes[w.Arrondissement] {
				return bad("window %q: unknown arrondissement %q", w.Code, w.Arrondissement)
			}
			if served[w.Arrondissement] {
				return bad("arrondissement %q has two windows", w.Arrondissement)
			}
			served[w.Arrondissement] = true
		default:
			return bad("window %q: kind %q", w.Code, w.Kind)
		}
		if c := w.Contact; c != nil {
			if strings.TrimSpace(c.Address.AR) == "" || strings.TrimSpace(c.Address.FR) == "" || strings.TrimSpace(c.Address.EN) == "" {
				return bad("window %q: address lacks ar, fr or en", w.Code)
			}
			if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
				return bad("window %q: phone %q", w.Code, c.Phone)
			}
			if strings.Contains(c.Phone, "X") && !c.PhonePlaceholder {
				return bad("window %q: phone %q has unknown digits but is not marked phone_placeholder", w.Code, c.Phone)
			}
			if c.Located() && (c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180) {
				return bad("window %q: %v, %v is not a place on Earth", w.Code, c.Lat, c.Lon)
			}
		}
	}
	if city != 1 {
		return bad("%d city windows, want 1", city)
	}
	if len(served) != len(acodes) {
		return bad("%d arrondissements but %d arrondissement windows", len(acodes), len(served))
	}
	if !ref.Boundary.Areal() {
		return bad("no boundary: the city's territory must be given as a GeoJSON Polygon or MultiPolygon")
	}
	if n := ref.Boundary.Vertices(); n > geo.MaxBoundaryVertices {
		return bad("boundary of %d vertices, at most %d", n, geo.MaxBoundaryVertices)
	}
	if err := ref.Boundary.Validate(); err != nil {
		return bad("boundary: %w", err)
	}
	return nil
}
