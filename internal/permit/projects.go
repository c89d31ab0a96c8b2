package permit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/geo"
	"madina/internal/platform/textnorm"
)

// Authorised projects (issue #14, the geoportal's layer): the urban
// permits delivered, each at the place its file gives (a point or the
// parcel's outline), with what the public may know of it — its number,
// kind, arrondissement, the day it was granted and whether by the
// administration's silence. Never the owner, the professionals, the
// address or the title the applicant typed (it may name them).

// ProjectProperties are the properties a project's feature may be filtered
// by (OGC API – Features: property=value).
var ProjectProperties = []string{"kind", "arrondissement"}

// AuthorisedProjects answers a page of q: the urban permits granted with
// a location, in the order they were granted (then by id), each a GeoJSON
// feature whose id is its number. Its time is when the permit was
// granted; BBox holds a project whose location — its point or its
// parcel's outline — meets the box (PostGIS on PostgreSQL, an R*Tree and
// the exact predicate on SQLite: db.Intersects).
func (s *Service) AuthorisedProjects(ctx context.Context, q geo.FeatureQuery) (geo.FeaturePage, error) {
	where := []string{"family = 'urban'", "state = 'approved'", "lon IS NOT NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if b := q.BBox; b != nil {
		where = append(where, db.Intersects(s.db.Engine, "permit_files", "permit_files", *b, arg))
	}
	where = append(where, q.Conditions("number", "closed_at", arg)...)
	for _, p := range ProjectProperties {
		v, ok := q.Properties[p]
		if !ok {
			continue
		}
		col := map[string]string{"kind": "kind", "arrondissement": "arrondissement_code"}[p]
		where = append(where, col+" = "+arg(v))
	}
	cond := strings.Join(where, " AND ")
	var page geo.FeaturePage
	// The page; how many match in all is counted apart only when the
	// page does not say it (a full page, or one past the end).
	nargs := len(args)
	limit, offset := arg(q.Limit), arg(q.Offset)
	rows, err := s.db.QueryContext(ctx, `SELECT id, number, kind, COALESCE(arrondissement_code, ''), location, lon, lat, closed_at, tacit
		FROM permit_files WHERE `+cond+` ORDER BY closed_at, id LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return page, fmt.Errorf("permit: projects: %w", err)
	}
	defer rows.Close()
	// A page's projects share a few kinds and arrondissements: each text
	// is made once, and each kind's names written once.
	texts := map[string]string{}
	text := func(b []byte) string {
		if t, ok := texts[string(b)]; ok {
			return t
		}
		t := string(b)
		texts[t] = t
		return t
	}
	names := map[string]*kindName{}
	recs := make([]Project, 0, min(q.Limit, 1024))
	page.Features = make([]geo.Feature, 0, cap(recs))
	// Scanned into the same variables row after row (each passed to Scan
	// would otherwise be made anew for every row).
	var (
		id                  int64
		number              string
		kind, arr, location sql.RawBytes
		p                   Project
		lon, lat            float64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &number, &kind, &arr, &location, &lon, &lat, &p.Granted, &p.Tacit); err != nil {
			return page, fmt.Errorf("permit: projects: %w", err)
		}
		p.Number, p.Kind, p.Arrondissement = number, text(kind), text(arr)
		// A point is the file's reference point: no need to read the JSON
		// (a page holds thousands); a parcel's outline is read.
		var g geo.Geometry
		if bytes.HasPrefix(location, []byte(`{"type":"Point"`)) {
			g = geo.NewPoint(geo.Point{Lon: lon, Lat: lat})
		} else if g, err = geo.ParseGeoJSON(location); err != nil {
			return page, fmt.Errorf("permit: project of file %d: %w", id, err)
		}
		n, ok := names[p.Kind]
		if !ok {
			if k, err := s.cat.Kind(p.Kind); err == nil {
				n = newKindName(k.Name)
			}
			names[p.Kind] = n
		}
		p.kindName = n
		recs = append(recs, p)
		page.Features = append(page.Features, geo.Feature{ID: number, Geometry: g})
	}
	for i := range recs { // one allocation for the page's records
		page.Features[i].Properties = &recs[i]
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("permit: projects: %w", err)
	}
	page.Matched = q.Offset + len(page.Features)
	if len(page.Features) == q.Limit || (len(page.Features) == 0 && q.Offset > 0) {
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_files WHERE `+cond, args[:nargs]...).Scan(&page.Matched); err != nil {
			return page, fmt.Errorf("permit: projects: %w", err)
		}
	}
	return page, nil
}

// Project is an authorised project's properties, the projects layer's
// typed record: a page holds thousands, written with no map or sorting.
type Project struct {
	Number         string
	Kind           string
	Arrondissement string // "" when the file's arrondissement is unknown
	Granted        time.Time
	Tacit          bool // granted by the administration's silence
	kindName       *kindName
}

// kindName is a kind's name in each language, and as JSON.
type kindName struct {
	names map[string]string
	json  []byte
}

func newKindName(t Text) *kindName {
	n := &kindName{names: map[string]string{"ar": t.AR, "fr": t.FR, "en": t.EN}}
	n.json = append(n.json, `{"ar":`...)
	n.json = geo.AppendString(n.json, t.AR)
	n.json = append(n.json, `,"en":`...)
	n.json = geo.AppendString(n.json, t.EN)
	n.json = append(n.json, `,"fr":`...)
	n.json = geo.AppendString(n.json, t.FR)
	n.json = append(n.json, '}')
	return n
}

// projectKeys are a project's properties, as written (sorted).
var projectKeys = []string{"arrondissement", "granted", "kind", "kind_name", "number", "tacit"}

// AppendJSON appends p's properties as a JSON object.
func (p *Project) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"arrondissement":`...)
	b = geo.AppendString(b, p.Arrondissement)
	b = append(b, `,"granted":"`...)
	b = p.Granted.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","kind":`...)
	b = geo.AppendString(b, p.Kind)
	if p.kindName != nil {
		b = append(b, `,"kind_name":`...)
		b = append(b, p.kindName.json...)
	}
	b = append(b, `,"number":`...)
	b = geo.AppendString(b, p.Number)
	b = append(b, `,"tacit":`...)
	b = strconv.AppendBool(b, p.Tacit)
	return append(b, '}'), nil
}

// Property returns one of p's properties by its name.
func (p *Project) Property(key string) any {
	switch key {
	case "number":
		return p.Number
	case "kind":
		return p.Kind
	case "arrondissement":
		return p.Arrondissement
	case "granted":
		return p.Granted.UTC().Format(time.RFC3339)
	case "tacit":
		return p.Tacit
	case "kind_name":
		if p.kindName != nil {
			return p.kindName.names
		}
	}
	return nil
}

// Keys returns the names of p's properties.
func (p *Project) Keys() []string {
	if p.kindName == nil {
		return slices.DeleteFunc(slices.Clone(projectKeys), func(k string) bool { return k == "kind_name" })
	}
	return slices.Clone(projectKeys)
}

// ParcelsFiled finds the parcels the visitor already filed on — an
// architect's or an owner's earlier files, among those they may read (as
// Mine chooses them, and the policy allows each) — by the land title's
// number, the address or the file's number, folded, the newest first,
// one per title and location: the parcel step offers to place a new file
// where an earlier one lay (a modification, the habitation permit after
// the works). Each is a feature: the earlier file's point or outline,
// with its number, land title, address and arrondissement.
func (s *Service) ParcelsFiled(ctx context.Context, a authz.Actor, q string, limit int) ([]geo.Feature, error) {
	want := textnorm.Fold(q)
	if want == "" || a.Anonymous() {
		return nil, nil
	}
	where, args := mine(a)
	// Only the columns searched: an architect's files over the years,
	// read whole, would be thousands of rows of everything.
	rows, err := s.db.QueryContext(ctx, `SELECT f.id, COALESCE(f.number, ''), f.ref, f.address, f.location, f.fields
		FROM permit_files f WHERE `+where+` AND f.location IS NOT NULL AND f.location <> ''
		ORDER BY f.updated_at DESC, f.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: parcels filed: %w", err)
	}
	type match struct {
		id       int64
		location string
	}
	var matches []match
	seen := map[string]bool{}
	for rows.Next() {
		var id int64
		var number, ref, address, location, fields string
		if err := rows.Scan(&id, &number, &ref, &address, &location, &fields); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: parcels filed: %w", err)
		}
		var v Values
		_ = json.Unmarshal([]byte(fields), &v)
		title := textnorm.Fold(v["land_title"])
		if !strings.Contains(title, want) && !strings.Contains(textnorm.Fold(address), want) &&
			!strings.Contains(textnorm.Fold(number), want) && !strings.Contains(textnorm.Fold(ref), want) {
			continue
		}
		if key := title + "\x00" + location; !seen[key] {
			seen[key] = true
			matches = append(matches, match{id, location})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("permit: parcels filed: %w", err)
	}
	var out []geo.Feature
	for _, m := range matches {
		f, err := file(ctx, s.db, "id", m.id)
		if err != nil {
			return nil, err
		}
		k, err := s.kindOf(ctx, s.db, f)
		if err != nil || !authz.Decide(a, authz.ReadFile, f.Resource(k)).Allow {
			continue
		}
		g, err := geo.ParseGeoJSON([]byte(m.location))
		if err != nil {
			return nil, fmt.Errorf("permit: the location of file %d: %w", f.ID, err)
		}
		number := f.Number
		if number == "" {
			number = f.Ref
		}
		out = append(out, geo.Feature{ID: number, Geometry: g, Properties: geo.Props{
			"file": number, "land_title": f.Fields["land_title"], "address": f.Address, "arrondissement": f.Arrondissement}})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
