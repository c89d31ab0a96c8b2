package geo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/textnorm"
)

// Places keeps the directory of places.
type Places struct {
	db       *db.DB
	district *district.Store
	now      func() time.Time
}

// NewPlaces returns the directory on d, assigning places to the
// arrondissements of ds.
func NewPlaces(d *db.DB, ds *district.Store) *Places {
	return &Places{db: d, district: ds, now: time.Now}
}

const placeColumns = `code, category, name_ar, name_fr, name_en, address_ar, address_fr, address_en,
	COALESCE(arrondissement_code, ''), lon, lat, hours, phone, email, website, source, version, updated_at`

func scanPlace(sc interface{ Scan(...any) error }) (Place, error) {
	var p Place
	err := sc.Scan(&p.Code, &p.Category, &p.Name.AR, &p.Name.FR, &p.Name.EN, &p.Address.AR, &p.Address.FR, &p.Address.EN,
		&p.Arrondissement, &p.Point.Lon, &p.Point.Lat, &p.Hours, &p.Phone, &p.Email, &p.Website, &p.Source, &p.Version, &p.UpdatedAt)
	return p, err
}

// Place returns the place of code; errs.NotFound when there is none.
func (s *Places) Place(ctx context.Context, code string) (Place, error) {
	p, err := scanPlace(s.db.QueryRowContext(ctx, `SELECT `+placeColumns+` FROM places WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Place{}, errs.E(errs.NotFound, "geo.place.error.not_found").With("code", code)
	}
	if err != nil {
		return Place{}, fmt.Errorf("geo: place %s: %w", code, err)
	}
	return p, nil
}

// PlaceQuery selects places: a search of their names, a category, an
// arrondissement, a box; and a page.
type PlaceQuery struct {
	Q              string
	Category       string
	Arrondissement string
	Code           string
	BBox           *geom.Bounds
	Limit, Offset  int
}

// PlacePage is a page of places and how many match in all.
type PlacePage struct {
	Places  []Place
	Matched int
}

// Search answers q, the places in the order of their French name (the
// order of a directory does not depend on the reader's language, so that
// pages stay stable), then code.
func (s *Places) Search(ctx context.Context, q PlaceQuery) (PlacePage, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f := textnorm.Fold(q.Q); f != "" {
		for _, w := range strings.Fields(f) {
			where = append(where, "p.name_folded LIKE "+arg("%"+likeEscape(w)+"%")+` ESCAPE '\'`)
		}
	}
	if q.Category != "" {
		where = append(where, "p.category = "+arg(q.Category))
	}
	if q.Arrondissement != "" {
		where = append(where, "p.arrondissement_code = "+arg(q.Arrondissement))
	}
	if q.Code != "" {
		where = append(where, "p.code = "+arg(q.Code))
	}
	if q.BBox != nil {
		where = append(where, db.Intersects(s.db.Engine, "places", "p", *q.BBox, arg))
	}
	cond := "TRUE"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	var page PlacePage
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM places p WHERE `+cond, args...).Scan(&page.Matched); err != nil {
		return page, fmt.Errorf("geo: places: %w", err)
	}
	if q.Limit <= 0 {
		return page, nil
	}
	limit, offset := arg(q.Limit), arg(q.Offset)
	rows, err := s.db.QueryContext(ctx, `SELECT `+placeColumns+` FROM places p WHERE `+cond+
		` ORDER BY p.name_fr, p.code LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return page, fmt.Errorf("geo: places: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPlace(rows)
		if err != nil {
			return page, fmt.Errorf("geo: places: %w", err)
		}
		page.Places = append(page.Places, p)
	}
	return page, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Validate checks p's fields and assigns it to its arrondissement, and
// returns every mistake at once — with those of read, the mistakes found
// reading a form (nil when there were none); the point is located only
// when read found no mistake in it.
func (s *Places) Validate(ctx context.Context, p *Place, read error) error {
	var fe errs.Fields
	if err := fe.Add(read); err != nil {
		return err
	}
	_ = fe.Add(p.check())
	if !fe.Has("lat") && !fe.Has("lon") {
		if err := fe.Add(s.locate(ctx, p)); err != nil {
			return err
		}
	}
	return fe.Err()
}

// locate assigns p to its arrondissement, or says it lies outside the
// city.
func (s *Places) locate(ctx context.Context, p *Place) error {
	if err := geom.NewPoint(p.Point).Validate(); err != nil {
		return errs.E(errs.Invalid, "geo.place.error.point").OnField("lat")
	}
	a, ok, err := s.district.ArrondissementAt(ctx, p.Point)
	if err != nil {
		return err
	}
	if !ok {
		c, err := s.district.City(ctx)
		if err != nil {
			return err
		}
		return errs.E(errs.Invalid, "geo.place.error.outside").With("place", c.Name).OnField("lat")
	}
	p.Arrondissement = a.Code
	return nil
}

// Save adds p (version 0) or changes the place of its code (version: the
// one the editor read; a change made since is a conflict), for actor.
// It returns the place as stored.
func (s *Places) Save(ctx context.Context, actor authz.Actor, p Place, version int) (Place, error) {
	if err := s.Validate(ctx, &p, nil); err != nil {
		return Place{}, err
	}
	if err := authz.Check(actor, authz.ManagePlaces, authz.Resource{Arrondissement: p.Arrondissement}); err != nil {
		return Place{}, err
	}
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		old, found, err := s.lockPlace(ctx, tx, p.Code)
		if err != nil {
			return err
		}
		switch {
		case !found && version != 0:
			return errs.E(errs.NotFound, "geo.place.error.not_found").With("code", p.Code)
		case found && version == 0:
			return errs.E(errs.Conflict, "geo.place.error.code_taken").With("code", p.Code).OnField("code")
		case found && old.Version != version:
			return errs.E(errs.Conflict, "geo.place.error.changed")
		case found:
			// An editor of one arrondissement moves no place out of another's.
			if err := authz.Check(actor, authz.ManagePlaces, authz.Resource{Arrondissement: old.Arrondissement}); err != nil {
				return err
			}
		}
		_, err = s.write(ctx, tx, actor, p, old, found)
		return err
	})
	if err != nil {
		return Place{}, err
	}
	return s.Place(ctx, p.Code)
}

// lockPlace reads the place of code in tx, locked until tx ends.
func (s *Places) lockPlace(ctx context.Context, tx *db.Tx, code string) (Place, bool, error) {
	if err := tx.LockRow(ctx, "places", "code", code); err != nil && !errs.Is(err, errs.NotFound) {
		return Place{}, false, err
	}
	p, err := scanPlace(tx.QueryRowContext(ctx, `SELECT `+placeColumns+` FROM places WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Place{}, false, nil
	}
	if err != nil {
		return Place{}, false, fmt.Errorf("geo: place %s: %w", code, err)
	}
	return p, true, nil
}

// write inserts p, or updates old with it when found; it reports whether
// anything changed (the same place again changes nothing), audited under
// actor.
func (s *Places) write(ctx context.Context, tx *db.Tx, actor authz.Actor, p, old Place, found bool) (bool, error) {
	var by any
	if actor.Person != 0 {
		by = actor.Person
	}
	now := s.now()
	if found {
		p.Version, p.UpdatedAt, p.Source = old.Version, old.UpdatedAt, pick(p.Source, old.Source)
		if p == old {
			return false, nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE places SET category = $2, name_ar = $3, name_fr = $4, name_en = $5, name_folded = $6,
			address_ar = $7, address_fr = $8, address_en = $9, arrondissement_code = $10, lon = $11, lat = $12, hours = $13,
			phone = $14, email = $15, website = $16, source = $17, version = version + 1, updated_at = $18, updated_by = $19
			WHERE code = $1`, p.Code, p.Category, p.Name.AR, p.Name.FR, p.Name.EN, p.folded(), p.Address.AR, p.Address.FR, p.Address.EN,
			p.Arrondissement, p.Point.Lon, p.Point.Lat, p.Hours, p.Phone, p.Email, p.Website, p.Source, now, by)
		if err != nil {
			return false, fmt.Errorf("geo: update place %s: %w", p.Code, err)
		}
	} else {
		_, err := tx.ExecContext(ctx, `INSERT INTO places (code, category, name_ar, name_fr, name_en, name_folded, address_ar, address_fr,
			address_en, arrondissement_code, lon, lat, hours, phone, email, website, source, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			p.Code, p.Category, p.Name.AR, p.Name.FR, p.Name.EN, p.folded(), p.Address.AR, p.Address.FR, p.Address.EN,
			p.Arrondissement, p.Point.Lon, p.Point.Lat, p.Hours, p.Phone, p.Email, p.Website, p.Source, now, by)
		if err != nil {
			return false, fmt.Errorf("geo: add place %s: %w", p.Code, err)
		}
	}
	action := "geo.place.add"
	if found {
		action = "geo.place.change"
	}
	_, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(actor, authz.Resource{}), Action: action,
		ObjectType: "place", ObjectID: p.Code, Change: p, At: now})
	return true, err
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Features answers the portal's layer of places: q's box, identifier
// (the place's code), properties (category, arrondissement) and page,
// each place a point with its names, category, address, hours and
// contacts (a public institution's, never a person's).
func (s *Places) Features(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error) {
	pq := PlaceQuery{Code: q.ID, BBox: q.BBox, Category: q.Properties["category"], Arrondissement: q.Properties["arrondissement"],
		Limit: q.Limit, Offset: q.Offset}
	res, err := s.Search(ctx, pq)
	if err != nil {
		return geom.FeaturePage{}, err
	}
	page := geom.FeaturePage{Matched: res.Matched}
	for _, p := range res.Places {
		props := geom.Props{"code": p.Code, "category": p.Category, "name_ar": p.Name.AR, "name_fr": p.Name.FR, "name_en": p.Name.EN,
			"address_ar": p.Address.AR, "address_fr": p.Address.FR, "address_en": p.Address.EN, "arrondissement": p.Arrondissement,
			"hours": p.Hours, "phone": p.Phone, "email": p.Email, "website": p.Website, "updated": p.UpdatedAt.UTC().Format(time.RFC3339)}
		page.Features = append(page.Features, geom.Feature{ID: p.Code, Geometry: geom.NewPoint(p.Point), Properties: props})
	}
	return page, nil
}
