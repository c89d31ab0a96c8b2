package booking

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// An arrondissement adds its own facilities at the desk, without code
// (issue #15, point 1): a facility manager gives the kind, the names, the
// address, the point, the capacity and the slot length; the facility
// takes its kind's default rules and no opening hours — it is "not yet
// open", listed but with no slot, until the manager sets its hours on the
// desk's pages, where the creation leads. Its code is derived from the
// arrondissement and the name, unique, and never changes (migration 0067
// keeps a facility's code, place, organisation and kind in the database).

// CreatableKinds are the kinds a manager creates at the desk: the
// request-type ambulance service is not one (its dispatch needs a
// dispatcher, vehicles and a queue, not a form).
var CreatableKinds = []string{SportsField, SportsHall, Coworking, CulturalRoom}

// Limits of a new facility's fields.
const (
	MaxFacilityName    = 120
	MaxFacilityAddress = 200
	MaxCapacity        = 10000
)

// NewFacility is what a manager gives to create a facility.
type NewFacility struct {
	// Org is the organisation that will run it: the manager's own.
	Org     string
	Kind    string
	Name    i18n.Text
	Address i18n.Text
	Lat     float64
	Lon     float64
	// Capacity is how many people it holds; SlotMinutes the length of
	// its slots.
	Capacity    int
	SlotMinutes int
}

// defaultRules are the rules a new facility of kind starts with: those
// of the catalogue's first facility of that kind, without what belongs
// to that place only (its peak slots, priority groups, season roster and
// team slots, all of which need opening hours or a decision); for a kind
// the catalogue has none of, the documented default below.
func (s *Service) defaultRules(kind string) Rules {
	for _, f := range s.cat.Facilities {
		if f.Kind != kind {
			continue
		}
		r := f.Rules
		r.Who = slices.DeleteFunc(slices.Clone(r.Who), func(w string) bool { return w == WhoTeam })
		r.Quotas = slices.DeleteFunc(slices.Clone(r.Quotas), func(q Quota) bool { return !slices.Contains(r.Who, q.Per) })
		r.Peak, r.Groups, r.Roster, r.TeamMin = nil, nil, nil, 0
		return r
	}
	// A room for events and meetings: citizens and associations book a
	// fortnight ahead, each booking approved by the arrondissement.
	return Rules{Who: []string{WhoCitizen, WhoAssociation}, HorizonDays: 14, Release: "09:00", MinNoticeHours: 24, CancelHours: 48,
		Quotas: []Quota{{Per: WhoCitizen, Period: "week", Max: 1}, {Per: WhoCitizen, Period: "month", Max: 4},
			{Per: WhoAssociation, Period: "week", Max: 2}, {Per: WhoAssociation, Period: "month", Max: 8}},
		MaxFuture: 3, Approval: true, ConfirmHours: 24}
}

// slug is s in lower-case ASCII letters and digits joined by "-" (accents
// dropped; other scripts give nothing).
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range textnorm.Fold(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	return b.String()
}

// facilityCode is the code of a new facility of arrondissement arr: the
// arrondissement and the French (or English) name, or the kind when the
// name is in Arabic only; n > 1 tells it from an earlier one.
func facilityCode(arr string, in NewFacility, n int) string {
	name := slug(in.Name.FR)
	if name == "" {
		name = slug(in.Name.EN)
	}
	if name == "" {
		name = strings.ReplaceAll(in.Kind, "_", "-")
	}
	base := arr + "-" + strings.TrimPrefix(name, arr+"-")
	suffix := ""
	if n > 1 {
		suffix = "-" + strconv.Itoa(n)
	}
	if len(base)+len(suffix) > 64 {
		base = strings.TrimRight(base[:64-len(suffix)], "-")
	}
	return base + suffix
}

// fill gives t's missing languages the text as given (French from
// English, else Arabic; English from French, else Arabic), so that every
// reader sees a name: the manager may write it in Arabic only.
func fill(t i18n.Text) i18n.Text {
	first := func(xs ...string) string {
		for _, x := range xs {
			if x != "" {
				return x
			}
		}
		return ""
	}
	return i18n.Text{AR: first(t.AR, t.FR, t.EN), FR: first(t.FR, t.EN, t.AR), EN: first(t.EN, t.FR, t.AR)}
}

// checkNew refuses a new facility's bad fields, each on its field.
func (s *Service) checkNew(ctx context.Context, in *NewFacility) error {
	var fe errs.Fields
	if !slices.Contains(CreatableKinds, in.Kind) {
		_ = fe.Add(errs.E(errs.Invalid, "booking.create.kind").OnField("kind"))
	}
	trim := func(t i18n.Text) i18n.Text {
		return i18n.Text{AR: strings.TrimSpace(t.AR), FR: strings.TrimSpace(t.FR), EN: strings.TrimSpace(t.EN)}
	}
	in.Name, in.Address = trim(in.Name), trim(in.Address)
	if in.Name.AR == "" {
		_ = fe.Add(errs.E(errs.Invalid, "booking.create.name_ar").OnField("name_ar"))
	}
	for field, v := range map[string]string{"name_ar": in.Name.AR, "name_fr": in.Name.FR, "name_en": in.Name.EN} {
		if utf8.RuneCountInString(v) > MaxFacilityName {
			_ = fe.Add(errs.E(errs.Invalid, "booking.create.too_long").With("max", MaxFacilityName).OnField(field))
		}
	}
	if in.Address.AR == "" && in.Address.FR == "" && in.Address.EN == "" {
		_ = fe.Add(errs.E(errs.Invalid, "booking.create.address").OnField("address_ar"))
	}
	for field, v := range map[string]string{"address_ar": in.Address.AR, "address_fr": in.Address.FR, "address_en": in.Address.EN} {
		if utf8.RuneCountInString(v) > MaxFacilityAddress {
			_ = fe.Add(errs.E(errs.Invalid, "booking.create.too_long").With("max", MaxFacilityAddress).OnField(field))
		}
	}
	if in.Capacity < 1 || in.Capacity > MaxCapacity {
		_ = fe.Add(errs.E(errs.Invalid, "booking.create.capacity").With("max", MaxCapacity).OnField("capacity"))
	}
	if in.SlotMinutes < 15 || in.SlotMinutes > 8*60 {
		_ = fe.Add(errs.E(errs.Invalid, "booking.rules.slot_minutes").OnField("slot_minutes"))
	}
	// The point lies within the city's territory.
	p := geo.Point{Lat: in.Lat, Lon: in.Lon}
	switch {
	case in.Lat < -90 || in.Lat > 90 || in.Lat == 0 && in.Lon == 0:
		_ = fe.Add(errs.E(errs.Invalid, geo.KeyRange).OnField("lat"))
	case in.Lon < -180 || in.Lon > 180:
		_ = fe.Add(errs.E(errs.Invalid, geo.KeyRange).OnField("lon"))
	case s.city != nil:
		c, err := s.city(ctx)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && !c.Boundary.IsZero() && !geo.NewPoint(p).Within(c.Boundary) {
			_ = fe.Add(geo.ErrOutside(c.Name).OnField("lat"))
		}
	}
	return fe.Err()
}

// orgArrondissement is the arrondissement of organisation org, or of the
// manager's grant there when the organisation is not an arrondissement's.
func orgArrondissement(ctx context.Context, q db.Querier, a authz.Actor, org string) (string, error) {
	var arr sql.NullString
	err := q.QueryRowContext(ctx, `SELECT arrondissement_code FROM organisations WHERE code = $1`, org).Scan(&arr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.E(errs.NotFound, "").Cause(fmt.Errorf("booking: no organisation %q", org))
	}
	if err != nil {
		return "", fmt.Errorf("booking: organisation %s: %w", org, err)
	}
	if arr.Valid && arr.String != "" {
		return arr.String, nil
	}
	for _, g := range a.Grants {
		if g.Role == authz.FacilityManager && g.Org == org && g.Arrondissement != "" {
			return g.Arrondissement, nil
		}
	}
	return "", errs.E(errs.Invalid, "booking.create.no_arrondissement").OnField("org")
}

// CreateFacility adds a facility of in.Org, for one of its facility
// managers (officially, with the second factor; another organisation's
// manager is told nothing exists): every bad field refused on its field,
// then the facility written with its kind's default rules, no hours yet,
// the city's seasons, a code of its own, and an audit record.
func (s *Service) CreateFacility(ctx context.Context, a authz.Actor, in NewFacility) (*Facility, error) {
	arr, err := orgArrondissement(ctx, s.db, a, in.Org)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			// As the policy refuses another organisation's.
			if err := authz.Check(a, authz.CreateFacility, authz.Resource{Org: "-"}); err != nil {
				return nil, err
			}
			return nil, errs.E(errs.NotFound, "")
		}
		return nil, err
	}
	res := authz.Resource{Org: in.Org, Arrondissement: arr}
	if err := authz.Check(a, authz.CreateFacility, res); err != nil {
		return nil, err
	}
	if err := s.checkNew(ctx, &in); err != nil {
		return nil, err
	}
	f := &Facility{Arrondissement: arr, Organisation: in.Org, Kind: in.Kind, Name: fill(in.Name), Address: fill(in.Address),
		Lat: in.Lat, Lon: in.Lon, Capacity: in.Capacity, SlotMinutes: in.SlotMinutes,
		Seasons: slices.Clone(s.cat.Seasons), Rules: s.defaultRules(in.Kind)}
	now := s.clock()
	label := authz.ActorLabel(a, authz.Resource{Org: in.Org})
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// The first free code: a catalogue's code is kept for it even
		// before it is seeded; two managers at once each get their own.
		for n := 1; ; n++ {
			f.Code = facilityCode(arr, in, n)
			if _, ok := s.cat.Facility(f.Code); ok {
				continue
			}
			if err := f.Check(); err != nil {
				return err
			}
			def, err := json.Marshal(f)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO booking_facilities (code, arrondissement_code, organisation_code, kind,
				definition, version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) ON CONFLICT (code) DO NOTHING`,
				f.Code, arr, in.Org, f.Kind, string(def), now, label)
			if err != nil {
				return fmt.Errorf("booking: create facility: %w", err)
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 1 {
				break
			}
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking.facility_created", ObjectType: "booking_facility",
			ObjectID: f.Code, Change: map[string]any{"version": 1, "kind": f.Kind, "organisation": in.Org, "arrondissement": arr,
				"name": f.Name, "capacity": f.Capacity, "slot_minutes": f.SlotMinutes}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// CreateOrgs are the organisations a manager may create facilities for.
func CreateOrgs(a authz.Actor) []string {
	var out []string
	for _, org := range DeskOrgs(a) {
		if authz.Check(a, authz.CreateFacility, authz.Resource{Org: org}) == nil {
			out = append(out, org)
		}
	}
	return out
}

// cityFunc is the city's territory (district's store).
type cityFunc = func(ctx context.Context) (district.City, error)
