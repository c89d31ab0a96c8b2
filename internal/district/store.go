package district

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
)

// Store reads and writes the reference in the database. Reads are served
// from an in-memory snapshot refreshed every snapshotTTL: the reference
// changes a few times a decade, is read on every page that names a place,
// and a change made on another node may take that long to show here.
type Store struct {
	db   *db.DB
	snap atomic.Pointer[snapshot]
}

type snapshot struct {
	prefectures []Prefecture
	windows     []Window
	city        *City  // nil before a reference with a boundary was saved
	areas       []Area // in the arrondissements' order; empty when the reference gives no boundaries
	taken       time.Time
}

// City is the city itself: its code, name and territory.
type City struct {
	Code           string
	Name           Name
	Boundary       geo.Geometry
	BoundarySource string
	// ArrondissementBoundarySource says where the arrondissements'
	// boundaries come from, "" when there are none.
	ArrondissementBoundarySource string
}

// Area is an arrondissement's territory.
type Area struct {
	Arrondissement string
	Boundary       geo.Geometry
}

const snapshotTTL = 30 * time.Second

// NewStore returns a store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// current returns a fresh snapshot, reading the database when the last one
// is too old. Callers must not modify what it returns.
func (s *Store) current(ctx context.Context) (*snapshot, error) {
	if sn := s.snap.Load(); sn != nil && time.Since(sn.taken) < snapshotTTL {
		return sn, nil
	}
	ps, err := s.readPrefectures(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.readWindows(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.readCity(ctx)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	as, err := s.readAreas(ctx)
	if err != nil {
		return nil, err
	}
	sn := &snapshot{prefectures: ps, windows: ws, city: c, areas: as, taken: time.Now()}
	s.snap.Store(sn)
	return sn, nil
}

// Empty reports whether no reference has been loaded yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM prefectures`).Scan(&n); err != nil {
		return false, fmt.Errorf("district: count prefectures: %w", err)
	}
	return n == 0, nil
}

// Save writes ref in tx, inserting new rows and updating names of existing
// ones; loading the same reference twice changes nothing. It reports
// whether anything changed.
func (s *Store) Save(ctx context.Context, tx *db.Tx, ref Reference) (bool, error) {
	if err := ref.Validate(); err != nil {
		return false, err
	}
	changed := false
	upsert := func(q string, args ...any) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed = true
		}
		return nil
	}
	const names = `name_ar = excluded.name_ar, name_fr = excluded.name_fr, name_en = excluded.name_en`
	const differ = `(t.name_ar <> excluded.name_ar OR t.name_fr <> excluded.name_fr OR t.name_en <> excluded.name_en)`
	for i, p := range ref.Prefectures {
		err := upsert(`INSERT INTO prefectures AS t (code, name_ar, name_fr, name_en, position) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (code) DO UPDATE SET `+names+`, position = excluded.position
			WHERE `+differ+` OR t.position <> excluded.position`, p.Code, p.Name.AR, p.Name.FR, p.Name.EN, i+1)
		if err != nil {
			return false, fmt.Errorf("district: save prefecture %s: %w", p.Code, err)
		}
		for j, a := range p.Arrondissements {
			var boundary any
			if a.Boundary != nil {
				b, err := json.Marshal(*a.Boundary)
				if err != nil {
					return false, fmt.Errorf("district: arrondissement %s boundary: %w", a.Code, err)
				}
				boundary = string(b)
			}
			err := upsert(`INSERT INTO arrondissements AS t (code, prefecture_code, name_ar, name_fr, name_en, position, boundary) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (code) DO UPDATE SET `+names+`, prefecture_code = excluded.prefecture_code, position = excluded.position, boundary = excluded.boundary
				WHERE `+differ+` OR t.prefecture_code <> excluded.prefecture_code OR t.position <> excluded.position
					OR t.boundary IS DISTINCT FROM excluded.boundary`,
				a.Code, p.Code, a.Name.AR, a.Name.FR, a.Name.EN, (i+1)*100+j+1, boundary)
			if err != nil {
				return false, fmt.Errorf("district: save arrondissement %s: %w", a.Code, err)
			}
		}
	}
	boundary, err := json.Marshal(ref.Boundary)
	if err != nil {
		return false, fmt.Errorf("district: boundary: %w", err)
	}
	err = upsert(`INSERT INTO city AS t (id, code, name_ar, name_fr, name_en, boundary, boundary_source, arrondissement_boundary_source)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET code = excluded.code, `+names+`, boundary = excluded.boundary,
		boundary_source = excluded.boundary_source, arrondissement_boundary_source = excluded.arrondissement_boundary_source
		WHERE `+differ+` OR t.code <> excluded.code OR t.boundary <> excluded.boundary OR t.boundary_source <> excluded.boundary_source
			OR t.arrondissement_boundary_source <> excluded.arrondissement_boundary_source`,
		ref.City.Code, ref.City.Name.AR, ref.City.Name.FR, ref.City.Name.EN, string(boundary), ref.BoundarySource, ref.ArrondissementBoundarySource)
	if err != nil {
		return false, fmt.Errorf("district: save city: %w", err)
	}
	for _, w := range ref.Windows {
		var arr any
		if w.Arrondissement != "" {
			arr = w.Arrondissement
		}
		contact := []byte("{}")
		if w.Contact != nil {
			if contact, err = json.Marshal(w.Contact); err != nil {
				return false, fmt.Errorf("district: window %s contact: %w", w.Code, err)
			}
		}
		err := upsert(`INSERT INTO windows AS t (code, kind, arrondissement_code, name_ar, name_fr, name_en, contact) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (code) DO UPDATE SET `+names+`, contact = excluded.contact
			WHERE `+differ+` OR t.contact <> excluded.contact`, w.Code, w.Kind, arr, w.Name.AR, w.Name.FR, w.Name.EN, string(contact))
		if err != nil {
			return false, fmt.Errorf("district: save window %s: %w", w.Code, err)
		}
	}
	return changed, nil
}

// City returns the city and its territory; errs.NotFound before a
// reference was loaded.
func (s *Store) City(ctx context.Context) (City, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return City{}, err
	}
	if sn.city == nil {
		return City{}, errs.E(errs.NotFound, "").Cause(fmt.Errorf("district: no city loaded"))
	}
	return *sn.city, nil
}

// readCity reads the city and its territory; errs.NotFound before a
// reference was loaded.
func (s *Store) readCity(ctx context.Context) (*City, error) {
	var c City
	var boundary string
	err := s.db.QueryRowContext(ctx, `SELECT code, name_ar, name_fr, name_en, boundary, boundary_source, arrondissement_boundary_source FROM city WHERE id = 1`).
		Scan(&c.Code, &c.Name.AR, &c.Name.FR, &c.Name.EN, &boundary, &c.BoundarySource, &c.ArrondissementBoundarySource)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "").Cause(errors.New("district: no city loaded"))
	}
	if err != nil {
		return nil, fmt.Errorf("district: city: %w", err)
	}
	if c.Boundary, err = geo.ParseBoundary([]byte(boundary)); err != nil {
		return nil, fmt.Errorf("district: stored boundary: %w", err)
	}
	return &c, nil
}

// readAreas reads the arrondissements' boundaries, in order.
func (s *Store) readAreas(ctx context.Context) ([]Area, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, boundary FROM arrondissements WHERE boundary IS NOT NULL ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("district: boundaries: %w", err)
	}
	defer rows.Close()
	var out []Area
	for rows.Next() {
		var a Area
		var b string
		if err := rows.Scan(&a.Arrondissement, &b); err != nil {
			return nil, fmt.Errorf("district: boundaries: %w", err)
		}
		if a.Boundary, err = geo.ParseBoundary([]byte(b)); err != nil {
			return nil, fmt.Errorf("district: stored boundary of %s: %w", a.Arrondissement, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Areas lists the arrondissements' territories in order; none when the
// reference gives no boundaries. The result is shared: do not modify it.
func (s *Store) Areas(ctx context.Context) ([]Area, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return sn.areas, nil
}

// ArrondissementAt assigns a location to its arrondissement by
// point-in-polygon: the arrondissement whose territory holds p (its edge
// included; the first in the reference's order where two touch). A point
// of the city that falls in no territory — a sliver between two
// neighbours' lines, which approximate outlines leave — goes to the
// nearest one. ok is false for a point outside the city, or when the
// reference gives no boundaries.
func (s *Store) ArrondissementAt(ctx context.Context, p geo.Point) (a Arrondissement, ok bool, err error) {
	sn, err := s.current(ctx)
	if err != nil || len(sn.areas) == 0 || sn.city == nil {
		return Arrondissement{}, false, err
	}
	pt := geo.NewPoint(p)
	if !pt.Within(sn.city.Boundary) {
		return Arrondissement{}, false, nil
	}
	code := ""
	for _, ar := range sn.areas {
		if pt.Within(ar.Boundary) {
			code = ar.Arrondissement
			break
		}
	}
	if code == "" {
		best := math.Inf(1)
		for _, ar := range sn.areas {
			if d := ar.Boundary.DistanceTo(p); d < best {
				best, code = d, ar.Arrondissement
			}
		}
	}
	for _, pr := range sn.prefectures {
		for _, x := range pr.Arrondissements {
			if x.Code == code {
				return x, true, nil
			}
		}
	}
	return Arrondissement{}, false, nil
}

// Prefectures lists the prefectures in order, each with its arrondissements
// (and their window codes). The result is shared: do not modify it.
func (s *Store) Prefectures(ctx context.Context) ([]Prefecture, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return sn.prefectures, nil
}

func (s *Store) readPrefectures(ctx context.Context) ([]Prefecture, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.code, p.name_ar, p.name_fr, p.name_en,
			a.code, a.name_ar, a.name_fr, a.name_en, COALESCE(w.code, '')
		FROM prefectures p
		JOIN arrondissements a ON a.prefecture_code = p.code
		LEFT JOIN windows w ON w.arrondissement_code = a.code
		ORDER BY p.position, a.position`)
	if err != nil {
		return nil, fmt.Errorf("district: list prefectures: %w", err)
	}
	defer rows.Close()
	var out []Prefecture
	for rows.Next() {
		var p Prefecture
		var a Arrondissement
		if err := rows.Scan(&p.Code, &p.Name.AR, &p.Name.FR, &p.Name.EN, &a.Code, &a.Name.AR, &a.Name.FR, &a.Name.EN, &a.Window); err != nil {
			return nil, fmt.Errorf("district: scan: %w", err)
		}
		a.Prefecture = p.Code
		if n := len(out); n == 0 || out[n-1].Code != p.Code {
			out = append(out, p)
		}
		last := &out[len(out)-1]
		last.Arrondissements = append(last.Arrondissements, a)
	}
	return out, rows.Err()
}

// Arrondissements lists every arrondissement in order.
func (s *Store) Arrondissements(ctx context.Context) ([]Arrondissement, error) {
	ps, err := s.Prefectures(ctx)
	if err != nil {
		return nil, err
	}
	var out []Arrondissement
	for _, p := range ps {
		out = append(out, p.Arrondissements...)
	}
	return out, nil
}

// Arrondissement returns one arrondissement with its prefecture and window.
func (s *Store) Arrondissement(ctx context.Context, code string) (Arrondissement, Prefecture, Window, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return Arrondissement{}, Prefecture{}, Window{}, err
	}
	for _, p := range sn.prefectures {
		for _, a := range p.Arrondissements {
			if a.Code != code {
				continue
			}
			for _, w := range sn.windows {
				if w.Arrondissement == code {
					p.Arrondissements = nil
					return a, p, w, nil
				}
			}
		}
	}
	return Arrondissement{}, Prefecture{}, Window{}, errs.E(errs.NotFound, "district.error.not_found")
}

// Windows lists the windows, the city's first. The result is shared: do
// not modify it.
func (s *Store) Windows(ctx context.Context) ([]Window, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return sn.windows, nil
}

func (s *Store) readWindows(ctx context.Context) ([]Window, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT w.code, w.kind, COALESCE(w.arrondissement_code, ''), w.name_ar, w.name_fr, w.name_en, w.contact
		FROM windows w LEFT JOIN arrondissements a ON a.code = w.arrondissement_code
		ORDER BY CASE w.kind WHEN 'city' THEN 0 ELSE 1 END, a.position`)
	if err != nil {
		return nil, fmt.Errorf("district: list windows: %w", err)
	}
	defer rows.Close()
	var out []Window
	for rows.Next() {
		var w Window
		var contact string
		if err := rows.Scan(&w.Code, &w.Kind, &w.Arrondissement, &w.Name.AR, &w.Name.FR, &w.Name.EN, &contact); err != nil {
			return nil, fmt.Errorf("district: scan window: %w", err)
		}
		if contact != "{}" && contact != "" {
			w.Contact = &Contact{}
			if err := json.Unmarshal([]byte(contact), w.Contact); err != nil {
				return nil, fmt.Errorf("district: window %s contact: %w", w.Code, err)
			}
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
