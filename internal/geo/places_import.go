package geo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/textin"
	"madina/internal/platform/textnorm"
)

// Importing places: a GeoJSON FeatureCollection of Points, or a CSV file
// with a header row, each place keyed by its code (a place already in the
// directory is updated, the same file twice changes nothing). Every
// mistake of the file is reported at once with the line or feature at
// fault, and a file with any mistake changes nothing.

// ImportColumns are the CSV file's columns (the GeoJSON features'
// properties, but lat and lon, which their geometry gives); code,
// category, the three names, lat and lon are required.
var ImportColumns = []string{"code", "category", "name_ar", "name_fr", "name_en", "address_ar", "address_fr", "address_en",
	"lat", "lon", "hours", "phone", "email", "website"}

var requiredColumns = []string{"code", "category", "name_ar", "name_fr", "name_en", "lat", "lon"}

// MaxImportBytes bounds an imported file; MaxImportProblems the mistakes
// reported (a file that wrong is the wrong file).
const (
	MaxImportBytes    = 20 << 20
	MaxImportProblems = 50
	// duplicateMetres: two places of one category with the same name
	// this close are one place twice.
	duplicateMetres = 50
)

// ImportProblem is a mistake of an imported file: where (a line of a CSV
// file, a feature of a GeoJSON one, 0 for the file as a whole), the
// field at fault and the message.
type ImportProblem struct {
	Line, Feature int
	Field         string
	Key           string
	Params        map[string]any
}

// ImportError lists an imported file's mistakes.
type ImportError struct {
	Problems []ImportProblem
	More     bool // more mistakes than MaxImportProblems
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("geo: import: %d mistakes, first %s at line %d feature %d", len(e.Problems), e.Problems[0].Key, e.Problems[0].Line, e.Problems[0].Feature)
}

func (e *ImportError) add(line, feature int, err error) {
	if len(e.Problems) >= MaxImportProblems {
		e.More = true
		return
	}
	ee := errs.As(err)
	if ee == nil {
		ee = errs.E(errs.Invalid, "geo.import.error.file")
	}
	e.Problems = append(e.Problems, ImportProblem{Line: line, Feature: feature, Field: ee.Field, Key: ee.Key, Params: ee.Params})
	for _, f := range ee.Faults {
		if len(e.Problems) < MaxImportProblems {
			e.Problems = append(e.Problems, ImportProblem{Line: line, Feature: feature, Field: f.Field, Key: f.Key, Params: f.Params})
		}
	}
}

// sort puts the mistakes in the file's order, those of the file as a
// whole first: its form is read before its values are checked.
func (e *ImportError) sort() {
	slices.SortStableFunc(e.Problems, func(a, b ImportProblem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Feature, b.Feature))
	})
}

// ImportReport counts what an import did.
type ImportReport struct {
	Added, Changed, Unchanged int
}

// row is a place read from a file, with where it was.
type importRow struct {
	line, feature int
	place         Place
}

// Import reads data (name says whether it is CSV or GeoJSON; the content
// decides when the name does not) and saves its places for actor, in one
// transaction: all of them or, at the first mistake, none — the mistakes
// are then all in an *ImportError.
func (s *Places) Import(ctx context.Context, actor authz.Actor, name string, data []byte) (ImportReport, error) {
	var rep ImportReport
	if len(data) > MaxImportBytes {
		return rep, errs.E(errs.Invalid, "geo.import.error.size").With("mb", MaxImportBytes>>20).OnField("file")
	}
	ie := &ImportError{}
	var rows []importRow
	for _, rec := range readImport(name, data, placeFormat, ie) {
		p, err := placeFrom(rec.values, rec.point == nil)
		if err != nil {
			ie.add(rec.line, rec.feature, err)
			continue
		}
		if rec.point != nil {
			p.Point = *rec.point
		}
		rows = append(rows, importRow{line: rec.line, feature: rec.feature, place: p})
	}
	if len(ie.Problems) == 0 && len(rows) == 0 {
		ie.add(0, 0, errs.E(errs.Invalid, "geo.import.error.empty"))
	}
	source := name
	byCode := map[string]importRow{}
	for i := range rows {
		r := &rows[i]
		r.place.Source = source
		if err := r.place.check(); err != nil {
			ie.add(r.line, r.feature, err)
			continue
		}
		if err := s.locate(ctx, &r.place); err != nil {
			if errs.KindOf(err) != errs.Invalid {
				return rep, err
			}
			ie.add(r.line, r.feature, err)
			continue
		}
		if prev, dup := byCode[r.place.Code]; dup {
			ie.add(r.line, r.feature, errs.E(errs.Invalid, "geo.import.error.code_twice").With("code", r.place.Code).
				With("other", where(prev)).OnField("code"))
			continue
		}
		byCode[r.place.Code] = *r
		if d := authz.Decide(actor, authz.ManagePlaces, authz.Resource{Arrondissement: r.place.Arrondissement}); !d.Allow {
			ie.add(r.line, r.feature, errs.E(errs.Invalid, "geo.import.error.not_yours").OnField("lat"))
		}
	}
	// The same place twice under two codes: in the file, or in the file
	// and in the directory.
	for i, r := range rows {
		if _, ok := byCode[r.place.Code]; !ok || byCode[r.place.Code].line != r.line || byCode[r.place.Code].feature != r.feature {
			continue
		}
		for _, o := range rows[:i] {
			if o.place.Code != r.place.Code && sameP(o.place, r.place) {
				ie.add(r.line, r.feature, errs.E(errs.Invalid, "geo.import.error.duplicate").With("other", where(o)).OnField("name_fr"))
				break
			}
		}
	}
	have, err := s.Search(ctx, PlaceQuery{}) // an empty directory holds no duplicate: no query a place
	if err != nil {
		return rep, err
	}
	if len(ie.Problems) == 0 && have.Matched > 0 {
		for _, r := range rows {
			near, err := s.Search(ctx, PlaceQuery{Category: r.place.Category, BBox: around(r.place.Point, duplicateMetres), Limit: 20})
			if err != nil {
				return rep, err
			}
			for _, o := range near.Places {
				if o.Code != r.place.Code && sameP(o, r.place) {
					if _, also := byCode[o.Code]; also {
						continue // moved or renamed by this file too
					}
					ie.add(r.line, r.feature, errs.E(errs.Invalid, "geo.import.error.duplicate_existing").With("code", o.Code).OnField("name_fr"))
					break
				}
			}
		}
	}
	if len(ie.Problems) > 0 {
		ie.sort()
		return rep, ie
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		rep = ImportReport{}
		for _, r := range rows {
			old, found, err := s.lockPlace(ctx, tx, r.place.Code)
			if err != nil {
				return err
			}
			if found {
				if err := authz.Check(actor, authz.ManagePlaces, authz.Resource{Arrondissement: old.Arrondissement}); err != nil {
					return err
				}
			}
			changed, err := s.write(ctx, tx, actor, r.place, old, found)
			if err != nil {
				return err
			}
			switch {
			case !found:
				rep.Added++
			case changed:
				rep.Changed++
			default:
				rep.Unchanged++
			}
		}
		return nil
	})
	return rep, err
}

// where names the line or feature of r, for a message.
func where(r importRow) string {
	if r.feature > 0 {
		return "#" + strconv.Itoa(r.feature)
	}
	return strconv.Itoa(r.line)
}

// sameP reports whether a and b are one place: the same category and one
// of the same names (folded), within duplicateMetres.
func sameP(a, b Place) bool {
	if a.Category != b.Category || geom.NewPoint(a.Point).DistanceTo(b.Point) > duplicateMetres {
		return false
	}
	for _, p := range [][2]string{{a.Name.AR, b.Name.AR}, {a.Name.FR, b.Name.FR}, {a.Name.EN, b.Name.EN}} {
		if textnorm.Fold(p[0]) == textnorm.Fold(p[1]) {
			return true
		}
	}
	return false
}

// around is the box of about m metres about p.
func around(p geom.Point, m float64) *geom.Bounds {
	dLat := m / 111_000
	dLon := dLat * 1.25 // 1/cos(35°): enough for Morocco's latitudes; the distance test decides
	return &geom.Bounds{Min: geom.Point{Lon: p.Lon - dLon, Lat: p.Lat - dLat}, Max: geom.Point{Lon: p.Lon + dLon, Lat: p.Lat + dLat}}
}

// cell cleans a value of the file by the one rule for text from outside.
func cell(col, v string) (string, error) {
	s, err := textin.Clean(v, textin.Line)
	if err != nil {
		if e := errs.As(err); e != nil {
			return "", e.OnField(col)
		}
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// placeFrom builds a place from a file's named values; lat and lon are
// read when the file gives them as text (CSV).
func placeFrom(values map[string]string, withPoint bool) (Place, error) {
	var fe errs.Fields
	get := func(col string) string {
		v, err := cell(col, values[col])
		if ferr := fe.Add(err); ferr != nil {
			_ = fe.Add(errs.E(errs.Invalid, "geo.import.error.file").OnField(col))
		}
		return v
	}
	p := Place{Code: get("code"), Category: get("category"), Hours: get("hours"), Phone: get("phone"), Email: get("email"), Website: get("website")}
	p.Name.AR, p.Name.FR, p.Name.EN = get("name_ar"), get("name_fr"), get("name_en")
	p.Address.AR, p.Address.FR, p.Address.EN = get("address_ar"), get("address_fr"), get("address_en")
	if withPoint {
		pt, err := geom.ParsePoint(get("lat"), get("lon"))
		if ferr := fe.Add(err); ferr != nil {
			_ = fe.Add(errs.E(errs.Invalid, "geo.place.error.point").OnField("lat"))
		}
		p.Point = pt
	}
	if err := fe.Err(); err != nil {
		_ = fe.Add(p.check()) // the other fields' mistakes too
		return p, fe.Err()
	}
	return p, nil
}

// importFormat is what an imported file holds: its CSV columns (its
// GeoJSON properties, but lat and lon, which the geometry gives), those
// required, and the message for a feature that is not a Point.
type importFormat struct {
	columns, required []string
	notPoint          string
}

var placeFormat = importFormat{columns: ImportColumns, required: requiredColumns, notPoint: "geo.import.error.not_point"}

// importRecord is a line or feature of an imported file: its values by
// column and, from GeoJSON, its point (from CSV, lat and lon are values).
type importRecord struct {
	line, feature int
	values        map[string]string
	point         *geom.Point
}

// readImport reads data as GeoJSON or CSV (name says which; the content
// decides when the name does not) and returns its records, adding the
// mistakes of its form to ie. Its values are not cleaned yet: each kind
// of import does that with cell, the one rule for text from outside.
func readImport(name string, data []byte, f importFormat, ie *ImportError) []importRecord {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".geojson") || strings.HasSuffix(lower, ".json") ||
		(!strings.HasSuffix(lower, ".csv") && len(trimmed) > 0 && trimmed[0] == '{') {
		return readGeoJSON(trimmed, f, ie)
	}
	return readCSV(trimmed, f, ie)
}

func readCSV(data []byte, f importFormat, ie *ImportError) []importRecord {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		ie.add(1, 0, errs.E(errs.Invalid, "geo.import.error.csv"))
		return nil
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(f.columns, h) {
			ie.add(1, 0, errs.E(errs.Invalid, "geo.import.error.column").With("column", h).With("columns", strings.Join(f.columns, ", ")))
			continue
		}
		if _, twice := col[h]; twice {
			ie.add(1, 0, errs.E(errs.Invalid, "geo.import.error.column_twice").With("column", h))
		}
		col[h] = i
	}
	for _, c := range f.required {
		if _, ok := col[c]; !ok {
			ie.add(1, 0, errs.E(errs.Invalid, "geo.import.error.column_missing").With("column", c))
		}
	}
	if len(ie.Problems) > 0 {
		return nil
	}
	var rows []importRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos panics after a failed read: the error says where.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			ie.add(line, 0, errs.E(errs.Invalid, "geo.import.error.csv"))
			return rows
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(header) {
			ie.add(line, 0, errs.E(errs.Invalid, "geo.import.error.cells").With("got", len(rec)).With("want", len(header)))
			continue
		}
		values := map[string]string{}
		for name, i := range col {
			values[name] = rec[i]
		}
		rows = append(rows, importRecord{line: line, values: values})
	}
	return rows
}

func readGeoJSON(data []byte, f importFormat, ie *ImportError) []importRecord {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string                     `json:"type"`
			Geometry   json.RawMessage            `json:"geometry"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil || fc.Type != "FeatureCollection" {
		ie.add(0, 0, errs.E(errs.Invalid, "geo.import.error.geojson"))
		return nil
	}
	var rows []importRecord
	for i, ft := range fc.Features {
		n := i + 1
		if ft.Type != "Feature" {
			ie.add(0, n, errs.E(errs.Invalid, "geo.import.error.feature"))
			continue
		}
		g, err := geom.ParseGeoJSON(ft.Geometry)
		if err != nil {
			ie.add(0, n, errs.E(errs.Invalid, "geo.import.error.geometry").With("detail", err.Error()))
			continue
		}
		if g.Type != geom.TypePoint {
			ie.add(0, n, errs.E(errs.Invalid, f.notPoint).With("type", string(g.Type)))
			continue
		}
		values := map[string]string{}
		bad := false
		for k, raw := range ft.Properties {
			if !slices.Contains(f.columns, k) || k == "lat" || k == "lon" {
				continue // other properties (an id of the source) are left aside
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil && string(raw) != "null" {
				ie.add(0, n, errs.E(errs.Invalid, "geo.import.error.property").With("property", k))
				bad = true
			}
			values[k] = s
		}
		if bad {
			continue
		}
		pt := g.Point
		rows = append(rows, importRecord{feature: n, values: values, point: &pt})
	}
	return rows
}
