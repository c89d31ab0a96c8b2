package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/jobs"
	"madina/internal/platform/refcode"
	"madina/internal/platform/textnorm"
)

// Ambulance requests (Sbata's pilot): a signed-in person asks for an
// ambulance of a request-type service; the service's dispatchers work a
// queue ordered by urgency then waiting time, assign a vehicle and a
// crew and move the request on; the requester is told each step by SMS
// (and in the inbox). Every change is a row and an outbox event in one
// transaction: a request is never lost, even across restarts.

// Urgencies, most urgent first.
var Urgencies = []string{"critical", "urgent", "routine"}

// States of an ambulance request.
const (
	AReceived     = "received"
	AAssigned     = "assigned"
	AOnScene      = "on_scene"
	ATransporting = "transporting"
	ADone         = "done"
	ACancelled    = "cancelled"
)

// ambulanceMoves are the dispatcher's moves from each state.
var ambulanceMoves = map[string][]string{
	AReceived: {AAssigned, ACancelled}, AAssigned: {AOnScene, ACancelled},
	AOnScene: {ATransporting, ADone}, ATransporting: {ADone},
}

// AmbulanceInput is what a person asks.
type AmbulanceInput struct {
	Service     string
	Patient     string
	Address     string
	Lat, Lon    string
	Urgency     string
	Destination string
	Phone       string
}

// AmbulanceRequest is a request and where it stands.
type AmbulanceRequest struct {
	ID                          int64
	Number                      string
	Service                     string
	Requester                   int64
	Patient, Address            string
	Lat, Lon                    *float64
	Urgency, Destination, Phone string
	State                       string
	Vehicle, Crew               string
	FiledAt                     time.Time
	AssignedAt, ClosedAt        *time.Time
	Version                     int
}

// TopicAmbulanceChanged is published with every change of a request.
const TopicAmbulanceChanged = "booking.ambulance_changed"

// AmbulanceChanged reports a change: ids only.
type AmbulanceChanged struct {
	V       int       `json:"v"`
	Request int64     `json:"request"`
	State   string    `json:"state"`
	Silent  bool      `json:"silent,omitempty"`
	At      time.Time `json:"at"`
}

func (r *AmbulanceRequest) resource(f *Facility) authz.Resource {
	return authz.Resource{OwnerPerson: r.Requester, Org: f.Organisation, Arrondissement: f.Arrondissement}
}

// RequestAmbulance files a request for a; every mistake of the form is
// said at once, on its field.
func (s *Service) RequestAmbulance(ctx context.Context, a authz.Actor, in AmbulanceInput) (*AmbulanceRequest, error) {
	if err := authz.Check(a, authz.BookFacility, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	if a.ActingFor != 0 {
		return nil, errs.E(errs.Forbidden, "booking.error.who.association")
	}
	f, _, err := facility(ctx, s.db, in.Service)
	if err != nil {
		return nil, err
	}
	if !f.Request() {
		return nil, errs.E(errs.Invalid, "booking.error.not_request")
	}
	r := &AmbulanceRequest{Service: f.Code, Requester: a.Person, Patient: strings.TrimSpace(in.Patient),
		Address: strings.TrimSpace(in.Address), Urgency: strings.TrimSpace(in.Urgency), Destination: strings.TrimSpace(in.Destination),
		Phone: strings.ReplaceAll(strings.TrimSpace(textnorm.Digits(in.Phone)), " ", ""), State: AReceived}
	var fe errs.Fields
	text := func(field, v string, max int, required bool) {
		switch n := utf8.RuneCountInString(v); {
		case n == 0 && required:
			_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error."+field).OnField(field))
		case n > max:
			_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error.too_long").With("max", max).OnField(field))
		}
	}
	text("patient", r.Patient, 200, true)
	text("address", r.Address, 300, false)
	text("destination", r.Destination, 200, true)
	if lat, lon := strings.TrimSpace(in.Lat), strings.TrimSpace(in.Lon); lat != "" || lon != "" {
		p, err := geo.ParsePoint(lat, lon)
		if err != nil {
			if e := errs.As(err); e != nil {
				_ = fe.Add(e)
			} else {
				return nil, err
			}
		} else {
			r.Lat, r.Lon = &p.Lat, &p.Lon
		}
	}
	if r.Address == "" && r.Lat == nil && !fe.Has("lat") {
		_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error.where").OnField("address"))
	}
	if !slices.Contains(Urgencies, r.Urgency) {
		_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error.urgency").OnField("urgency"))
	}
	if !phoneOK(r.Phone) {
		_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error.phone").OnField("phone"))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.clock()
	r.FiledAt, r.Version, r.Number = now, 1, "A-"+refcode.Random(8)
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO ambulance_requests (number, service_code, requester_id, patient, address,
			lat, lon, urgency, destination, phone, state, filed_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', $11, $11, 1) RETURNING id`,
			r.Number, r.Service, r.Requester, r.Patient, r.Address, r.Lat, r.Lon, r.Urgency, r.Destination, r.Phone, now).Scan(&r.ID); err != nil {
			return fmt.Errorf("booking: ambulance request: %w", err)
		}
		return s.ambulanceRecord(ctx, tx, a, f, r, now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// phoneOK accepts a Moroccan or international number: digits, an
// optional leading +, 9 to 15 digits.
func phoneOK(p string) bool {
	p = strings.TrimPrefix(p, "+")
	if len(p) < 9 || len(p) > 15 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s *Service) ambulanceRecord(ctx context.Context, tx *db.Tx, a authz.Actor, f *Facility, r *AmbulanceRequest, now time.Time) error {
	label := "system"
	if !a.Anonymous() {
		label = authz.ActorLabel(a, r.resource(f))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ambulance_events (request_id, at, state, actor_label) VALUES ($1, $2, $3, $4)`,
		r.ID, now, r.State, label); err != nil {
		return err
	}
	if _, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "ambulance." + r.State, ObjectType: "ambulance_request",
		ObjectID: strconv.FormatInt(r.ID, 10), Change: map[string]any{"number": r.Number, "state": r.State}, At: now}); err != nil {
		return err
	}
	return s.events.Publish(ctx, tx, TopicAmbulanceChanged, AmbulanceChanged{V: EventVersion, Request: r.ID, State: r.State,
		Silent: notify.IsQuiet(ctx), At: now})
}

const ambulanceColumns = `id, number, service_code, requester_id, patient, address, lat, lon, urgency, destination, phone, state,
	vehicle, crew, filed_at, assigned_at, closed_at, version`

func scanAmbulance(row interface{ Scan(...any) error }) (*AmbulanceRequest, error) {
	var r AmbulanceRequest
	var lat, lon sql.NullFloat64
	var assigned, closed sql.NullTime
	if err := row.Scan(&r.ID, &r.Number, &r.Service, &r.Requester, &r.Patient, &r.Address, &lat, &lon, &r.Urgency, &r.Destination,
		&r.Phone, &r.State, &r.Vehicle, &r.Crew, &r.FiledAt, &assigned, &closed, &r.Version); err != nil {
		return nil, err
	}
	if lat.Valid && lon.Valid {
		r.Lat, r.Lon = &lat.Float64, &lon.Float64
	}
	r.FiledAt, r.AssignedAt, r.ClosedAt = r.FiledAt.UTC(), nullTime(assigned), nullTime(closed)
	return &r, nil
}

func ambulanceRequests(ctx context.Context, q db.Querier, where, order string, args ...any) ([]*AmbulanceRequest, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ambulanceColumns+` FROM ambulance_requests WHERE `+where+` ORDER BY `+order+` LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("booking: ambulance requests: %w", err)
	}
	defer rows.Close()
	var out []*AmbulanceRequest
	for rows.Next() {
		r, err := scanAmbulance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MyAmbulanceRequests lists a's requests, newest first.
func (s *Service) MyAmbulanceRequests(ctx context.Context, a authz.Actor) ([]*AmbulanceRequest, error) {
	if err := authz.Check(a, authz.ReadBooking, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	return ambulanceRequests(ctx, s.db, `requester_id = $1`, `filed_at DESC, id DESC`, a.Person)
}

// DispatchQueue lists the open requests of org's services for one of its
// dispatchers: the most urgent first, then the longest waiting.
func (s *Service) DispatchQueue(ctx context.Context, a authz.Actor, org string) ([]*AmbulanceRequest, error) {
	if !slices.ContainsFunc(a.Grants, func(g authz.Grant) bool { return g.Role == authz.Dispatcher && g.Org == org }) {
		return nil, errs.E(errs.NotFound, "booking.error.not_found")
	}
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	return ambulanceRequests(ctx, s.db, `state IN ('received', 'assigned', 'on_scene', 'transporting')
		AND service_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)`,
		`CASE urgency WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, filed_at, id`, org)
}

// DispatchOrgs are the organisations whose ambulances a dispatches.
func DispatchOrgs(a authz.Actor) []string {
	var out []string
	for _, g := range a.Grants {
		if g.Role == authz.Dispatcher && !slices.Contains(out, g.Org) {
			out = append(out, g.Org)
		}
	}
	return out
}

// MoveAmbulance moves request id to state to, for a dispatcher of its
// service, officially (never on their own request); assigning names the
// vehicle and the crew.
func (s *Service) MoveAmbulance(ctx context.Context, a authz.Actor, id int64, to, vehicle, crew string) (*AmbulanceRequest, error) {
	var r *AmbulanceRequest
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "ambulance_requests", "id", id); err != nil {
			return err
		}
		var err error
		r, err = scanAmbulance(tx.QueryRowContext(ctx, `SELECT `+ambulanceColumns+` FROM ambulance_requests WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "booking.error.not_found")
		}
		if err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, r.Service)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.DispatchAmbulance, r.resource(f)); err != nil {
			return err
		}
		if !slices.Contains(ambulanceMoves[r.State], to) {
			return errs.E(errs.Conflict, "booking.error.state")
		}
		now := s.clock()
		if to == AAssigned {
			vehicle, crew = strings.TrimSpace(vehicle), strings.TrimSpace(crew)
			var fe errs.Fields
			if vehicle == "" || utf8.RuneCountInString(vehicle) > 40 {
				_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error.vehicle").OnField("vehicle"))
			}
			if utf8.RuneCountInString(crew) > 200 {
				_ = fe.Add(errs.E(errs.Invalid, "booking.ambulance.error.too_long").With("max", 200).OnField("crew"))
			}
			if err := fe.Err(); err != nil {
				return err
			}
			r.Vehicle, r.Crew, r.AssignedAt = vehicle, crew, &now
		}
		if to == ADone || to == ACancelled {
			r.ClosedAt = &now
		}
		r.State = to
		res, err := tx.ExecContext(ctx, `UPDATE ambulance_requests SET state = $1, vehicle = $2, crew = $3, assigned_at = $4,
			closed_at = $5, dispatcher_id = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9`,
			r.State, r.Vehicle, r.Crew, r.AssignedAt, r.ClosedAt, a.Person, now, r.ID, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "booking.error.stale")
		}
		r.Version++
		return s.ambulanceRecord(ctx, tx, a, f, r, now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SendAmbulanceNotices tells the requester of each step, by SMS and in
// the inbox (the subscriber of TopicAmbulanceChanged).
func (s *Service) SendAmbulanceNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p AmbulanceChanged
	if err := ev.Decode(&p); err != nil {
		return err
	}
	n := s.notices
	if p.V != EventVersion || p.Silent || n == nil || !n.notify.Has("booking.ambulance."+p.State) {
		return nil
	}
	r, err := scanAmbulance(tx.QueryRowContext(ctx, `SELECT `+ambulanceColumns+` FROM ambulance_requests WHERE id = $1`, p.Request))
	if err != nil {
		return err
	}
	who, err := n.people.Person(ctx, tx, r.Requester)
	if err != nil {
		return err
	}
	return n.notify.Send(ctx, tx, notify.Message{Template: "booking.ambulance." + p.State,
		Data: map[string]any{"Number": r.Number, "Vehicle": r.Vehicle, "URL": n.baseURL + "/bookings"},
		Key:  ev.Topic + ":" + strconv.FormatInt(ev.ID, 10),
		To: notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: r.Phone,
			Lang: who.Lang},
		Channels: []notify.Channel{notify.Inbox, notify.SMS}})
}
