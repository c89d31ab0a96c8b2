package geo

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/textnorm"
)

// The address gazetteer (issue #14, point 6): the street addresses of the
// city, as its GIS department keeps them — a point for each, imported
// from its file (CSV with the columns address, lat, lon, or a GeoJSON
// FeatureCollection of Points with the property address), each assigned
// to the arrondissement whose outline holds it. A gazetteer is known by
// its source's name, and a city re-imports it whole each year: importing
// a source replaces that source's addresses, in one transaction, and
// leaves the others'. The geocoding search finds an address by its words,
// however spelt.

// AddressColumns are the columns of an address file (of a GeoJSON one,
// its property address: the geometry gives the point).
var AddressColumns = []string{"address", "lat", "lon"}

var addressFormat = importFormat{columns: AddressColumns, required: AddressColumns, notPoint: "geo.addresses.error.not_point"}

// Bounds of what the database accepts (migration 0051).
const (
	maxAddressLabel  = 200
	maxAddressSource = 100
	// addressBatch is how many addresses one INSERT writes: 7 values
	// each, well under either engine's limit of parameters.
	addressBatch = 500
)

// Address is an address of the gazetteer.
type Address struct {
	Label          string
	Point          geom.Point
	Arrondissement string
	Source         string
}

// AddressReport says what an import of addresses did.
type AddressReport struct {
	Source   string
	Imported int // the addresses the source now has
	Replaced int // those it had before
}

// Addresses keeps the address gazetteer.
type Addresses struct {
	db       *db.DB
	district *district.Store
	now      func() time.Time
}

// NewAddresses returns the gazetteer on d, assigning addresses to the
// arrondissements of ds.
func NewAddresses(d *db.DB, ds *district.Store) *Addresses {
	return &Addresses{db: d, district: ds, now: time.Now}
}

type addressRow struct {
	line, feature int
	a             Address
}

// Import reads data (name says whether it is CSV or GeoJSON; the content
// decides when the name does not) and makes its addresses those of the
// gazetteer source, for actor, in one transaction: the source's earlier
// addresses are replaced, the other sources' kept. A file with any
// mistake changes nothing; its mistakes are then all in an *ImportError,
// each with its line or feature.
func (s *Addresses) Import(ctx context.Context, actor authz.Actor, source, name string, data []byte) (AddressReport, error) {
	rep := AddressReport{}
	if err := authz.Check(actor, authz.ImportAddresses, authz.Resource{}); err != nil {
		return rep, err
	}
	source, err := cell("source", source)
	if err != nil {
		return rep, err
	}
	if source == "" || utf8.RuneCountInString(source) > maxAddressSource {
		return rep, errs.E(errs.Invalid, "geo.addresses.error.source").With("max", maxAddressSource).OnField("source")
	}
	rep.Source = source
	if len(data) > MaxImportBytes {
		return rep, errs.E(errs.Invalid, "geo.import.error.size").With("mb", MaxImportBytes>>20).OnField("file")
	}
	ie := &ImportError{}
	var rows []addressRow
	for _, rec := range readImport(name, data, addressFormat, ie) {
		a, err := s.addressFrom(ctx, rec)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				return rep, err
			}
			ie.add(rec.line, rec.feature, err)
			continue
		}
		a.Source = source
		rows = append(rows, addressRow{line: rec.line, feature: rec.feature, a: a})
	}
	if len(ie.Problems) == 0 && len(rows) == 0 {
		ie.add(0, 0, errs.E(errs.Invalid, "geo.addresses.error.empty"))
	}
	if len(ie.Problems) > 0 {
		ie.sort()
		return rep, ie
	}
	now := s.now().UTC()
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if s.db.Engine == db.Postgres {
			// Two imports of one source at once: the second waits, then
			// replaces the first's whole (SQLite has one writer anyway).
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "geo.addresses:"+source); err != nil {
				return fmt.Errorf("geo: replace the addresses of %s: %w", source, err)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM addresses WHERE source = $1`, source)
		if err != nil {
			return fmt.Errorf("geo: replace the addresses of %s: %w", source, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("geo: replace the addresses of %s: %w", source, err)
		}
		rep.Replaced = int(n)
		for start := 0; start < len(rows); start += addressBatch {
			batch := rows[start:min(start+addressBatch, len(rows))]
			var q strings.Builder
			q.WriteString(`INSERT INTO addresses (label, label_folded, lon, lat, arrondissement_code, source, imported_at) VALUES `)
			args := make([]any, 0, 7*len(batch))
			for i, r := range batch {
				if i > 0 {
					q.WriteString(", ")
				}
				k := len(args)
				fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7)
				args = append(args, r.a.Label, textnorm.Fold(r.a.Label), r.a.Point.Lon, r.a.Point.Lat, r.a.Arrondissement, source, now)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return fmt.Errorf("geo: import the addresses of %s: %w", source, err)
			}
		}
		rep.Imported = len(rows)
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(actor, authz.Resource{}), Action: "geo.addresses.import",
			ObjectType: "gazetteer", ObjectID: source, Change: map[string]any{"file": name, "addresses": len(rows), "replaced": n}, At: now})
		return err
	})
	if err != nil {
		return AddressReport{}, err
	}
	return rep, nil
}

// addressFrom reads an address from a record of a file: its label, by the
// one rule for text from outside, and its point, assigned to its
// arrondissement (a point outside the city is a mistake).
func (s *Addresses) addressFrom(ctx context.Context, rec importRecord) (Address, error) {
	var fe errs.Fields
	var a Address
	label, err := cell("address", rec.values["address"])
	switch {
	case err != nil:
		_ = fe.Add(err)
	case textnorm.Fold(label) == "":
		_ = fe.Add(errs.E(errs.Invalid, "geo.addresses.error.label").OnField("address"))
	case utf8.RuneCountInString(label) > maxAddressLabel:
		_ = fe.Add(errs.E(errs.Invalid, "geo.addresses.error.label_long").With("max", maxAddressLabel).OnField("address"))
	}
	a.Label = label
	if rec.point != nil {
		a.Point = *rec.point
	} else {
		lat, err1 := cell("lat", rec.values["lat"])
		lon, err2 := cell("lon", rec.values["lon"])
		pt, err := geom.ParsePoint(lat, lon)
		if err1 != nil || err2 != nil || err != nil {
			_ = fe.Add(errs.E(errs.Invalid, "geo.place.error.point").OnField("lat"))
			return a, fe.Err()
		}
		a.Point = pt
	}
	if err := geom.NewPoint(a.Point).Validate(); err != nil {
		_ = fe.Add(errs.E(errs.Invalid, "geo.place.error.point").OnField("lat"))
		return a, fe.Err()
	}
	ar, ok, err := s.district.ArrondissementAt(ctx, a.Point)
	if err != nil {
		return a, err
	}
	if !ok {
		c, err := s.district.City(ctx)
		if err != nil {
			return a, err
		}
		_ = fe.Add(errs.E(errs.Invalid, "geo.place.error.outside").With("place", c.Name).OnField("lat"))
	}
	a.Arrondissement = ar.Code
	return a, fe.Err()
}

// Search returns at most limit addresses holding every word of q (folded:
// Arabic spelling, accents, case, Arabic-Indic digits), the shortest
// first — the one a visitor typed whole before the longer ones that hold
// it —, then in the order they were imported: the same on both engines,
// whose collations differ.
func (s *Addresses) Search(ctx context.Context, q string, limit int) ([]Address, error) {
	words := strings.Fields(textnorm.Fold(q))
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	var where []string
	var args []any
	for _, w := range words {
		args = append(args, "%"+likeEscape(w)+"%")
		where = append(where, fmt.Sprintf(`label_folded LIKE $%d ESCAPE '\'`, len(args)))
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT label, lon, lat, arrondissement_code, source FROM addresses WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY length(label_folded), id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("geo: addresses: %w", err)
	}
	defer rows.Close()
	var out []Address
	for rows.Next() {
		var a Address
		if err := rows.Scan(&a.Label, &a.Point.Lon, &a.Point.Lat, &a.Arrondissement, &a.Source); err != nil {
			return nil, fmt.Errorf("geo: addresses: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Count is how many addresses the gazetteer holds from source ("" for all).
func (s *Addresses) Count(ctx context.Context, source string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM addresses WHERE $1 = '' OR source = $1`, source).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("geo: addresses: %w", err)
	}
	return n, nil
}
