package complaint

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/refcode"
	"madina/internal/platform/textnorm"
)

// Places is the territorial reference, district's store.
type Places interface {
	City(ctx context.Context) (district.City, error)
	Arrondissements(ctx context.Context) ([]district.Arrondissement, error)
}

// Publisher writes an event in a transaction (jobs.Queue).
type Publisher interface {
	Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error
}

// Deps are the service's collaborators.
type Deps struct {
	DB        *db.DB
	Catalogue *Catalogue
	Calendar  *calendar.Calendar
	Blobs     blob.Store
	Places    Places
	Events    Publisher
	// People and Notify tell reporters of their requests' changes
	// (SendNotices); BaseURL starts the links in the notices. Without
	// them, nobody is told.
	People  People
	Notify  Notifier
	BaseURL string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service is the use cases of requests: each one asks the policy first,
// then checks the rules, then writes in one transaction with its history
// line, its audit record and its event.
type Service struct {
	db      *db.DB
	cat     *Catalogue
	cal     *calendar.Calendar
	blobs   blob.Store
	places  Places
	events  Publisher
	notices *noticeDeps
	now     func() time.Time
}

// NewService builds the service.
func NewService(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{db: d.DB, cat: d.Catalogue, cal: d.Calendar, blobs: d.Blobs, places: d.Places, events: d.Events, now: now}
	if d.People != nil && d.Notify != nil {
		s.notices = &noticeDeps{people: d.People, notify: d.Notify, baseURL: d.BaseURL}
	}
	return s
}

// WithClock is the service with another clock: the demonstration files
// and moves requests at the dates of a past year with it.
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// baseURL is where the site is served ("" when unknown).
func (s *Service) baseURL() string {
	if s.notices == nil {
		return ""
	}
	return s.notices.baseURL
}

// Catalogue is the request types in force.
func (s *Service) Catalogue() *Catalogue { return s.cat }

// Calendar is the shared calendar the service levels count on.
func (s *Service) Calendar() *calendar.Calendar { return s.cal }

// CheckOrganisations verifies that every organisation the catalogue names
// exists (staff seeds them), so that a typing mistake in the catalogue
// stops the start rather than a citizen's filing.
func (s *Service) CheckOrganisations(ctx context.Context) error {
	var missing []string
	for _, o := range s.cat.Organisations() {
		ok, err := organisationExists(ctx, s.db, o)
		if err != nil {
			return fmt.Errorf("complaint: organisations: %w", err)
		}
		if !ok {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("complaint catalogue: no organisation %s (see madina admin and staff's organisations)", strings.Join(missing, ", "))
	}
	return nil
}

// randomCode is a reference or tracking code people read and type back.
func randomCode(n int) string { return refcode.Random(n) }

// Input is what a person files.
type Input struct {
	Category string
	// Lat and Lon as typed or given by the phone; Address instead of or
	// besides a point.
	Lat, Lon       string
	Address        string
	Arrondissement string
	Description    string
	// Answers to the category's fields, by field name.
	Answers map[string]string
	Contact string
	Photos  []io.Reader
	// Via is what an Open311 client sent of the person (its requests
	// only).
	Via Open311Person
	// Hold: filed past a flood limit ("account", "address", "device"):
	// the request waits for the team's review.
	Hold string
}

// FieldInput is the form's name of a category's field.
func FieldInput(name string) string { return "f-" + name }

// TopicRequestChanged is published in the transaction of every change of
// a request (filed included). Payload RequestChanged.
const TopicRequestChanged = "complaint.request_changed"

// EventVersion is the version of RequestChanged.
const EventVersion = 1

// RequestChanged reports a change of a request: ids, codes, dates and the
// change's note; no names, no contact.
type RequestChanged struct {
	V              int       `json:"v"`
	Request        int64     `json:"request"`
	Number         string    `json:"number"`
	Category       string    `json:"category"`
	Organisation   string    `json:"organisation"`
	Arrondissement string    `json:"arrondissement"`
	Change         Change    `json:"change"`
	From           State     `json:"from,omitempty"`
	To             State     `json:"to"`
	Version        int       `json:"version"`
	Due            time.Time `json:"due"` // the resolve deadline after the change
	// Note is what the change said to the other side (the question, the
	// public answer, the citizen's reply), as the history shows it.
	Note string `json:"note,omitempty"`
	// Planned is the day a plan gives (its start in Casablanca).
	Planned *time.Time `json:"planned,omitempty"`
	// Silent: the change was made loading data (the demonstration,
	// notify.Quiet); the subscribers that tell people skip it.
	Silent bool      `json:"silent,omitempty"`
	At     time.Time `json:"at"`
}

// File files a request for the signed-in person a. Every mistake of the
// form is reported at once; nothing is written unless all is right.
func (s *Service) File(ctx context.Context, a authz.Actor, in Input) (*Request, error) {
	if err := authz.Check(a, authz.FileRequest, authz.Resource{}); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var fe errs.Fields
	k, ok := s.cat.Category(strings.TrimSpace(in.Category))
	if !ok {
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.category").OnField("category"))
	}
	r := &Request{TrackingCode: randomCode(8), CatalogueVersion: s.cat.Version, Reporter: a.Person, State: Received,
		FiledAt: now, Answers: map[string]string{}}
	if a.Open311Client != 0 {
		// Posted by an Open311 client: no account; what it sent of the
		// person is checked and kept for the team.
		r.Reporter, r.Client, r.Open311Token = 0, a.Open311Client, randomToken()
		if err := fe.Add(checkVia(&in.Via)); err != nil {
			return nil, err
		}
		r.Via = in.Via
	}
	var proven *ContactProof
	if a.Contact != 0 {
		// Filed without an account, with a proven contact: where the
		// category allows it; told at that address.
		var err error
		if proven, err = s.Proof(ctx, a.Contact); err != nil {
			return nil, err
		}
		r.Reporter, r.ContactID = 0, a.Contact
		if k != nil && !k.Anonymous {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.anonymous").OnField("category"))
		}
	}
	// Where: the arrondissement, chosen, or found from the point when the
	// territorial reference knows the arrondissements' boundaries.
	arrs, err := s.places.Arrondissements(ctx)
	if err != nil {
		return nil, err
	}
	if err := fe.Add(s.location(ctx, k, in, r)); err != nil {
		return nil, err
	}
	r.Arrondissement = strings.TrimSpace(in.Arrondissement)
	if r.Lat != nil {
		// A point is where the request is: its arrondissement is the one
		// the outlines place it in, whatever was chosen.
		if code, err := s.arrondissementAt(ctx, *r.Lat, *r.Lon); err != nil {
			return nil, err
		} else if code != "" {
			r.Arrondissement = code
		}
	}
	if !slices.ContainsFunc(arrs, func(x district.Arrondissement) bool { return x.Code == r.Arrondissement }) {
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.arrondissement").OnField("arrondissement"))
	} else if k != nil && len(k.Arrondissements) > 0 && !slices.Contains(k.Arrondissements, r.Arrondissement) {
		// A category of some arrondissements only: the place is elsewhere.
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.not_here").OnField("arrondissement"))
	}
	r.Description = strings.TrimSpace(in.Description)
	switch n := utf8.RuneCountInString(r.Description); {
	case n == 0:
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.description").OnField("description"))
	case n > MaxDescription:
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxDescription).OnField("description"))
	}
	r.PublicDescription = MaskContacts(r.Description)
	r.Contact = strings.TrimSpace(in.Contact)
	if r.Contact == "" {
		r.Contact = ContactInbox
	}
	if !slices.Contains(Contacts, r.Contact) {
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.contact").OnField("contact"))
	}
	if proven != nil {
		r.Contact = proven.Channel
	}
	if k != nil {
		r.Category, r.Private = k.Code, k.Private
		r.Organisation = k.Responsible(r.Arrondissement)
		for _, f := range k.Asked(in.Answers) {
			v := strings.TrimSpace(in.Answers[f.Name])
			if v == "" {
				if f.Required {
					_ = fe.Add(errs.E(errs.Invalid, "complaint.error.answer_required").OnField(FieldInput(f.Name)))
				}
				continue
			}
			if !checkAnswer(f, v) {
				_ = fe.Add(errs.E(errs.Invalid, "complaint.error.answer").OnField(FieldInput(f.Name)))
				continue
			}
			r.Answers[f.Name] = v
		}
		switch {
		case len(in.Photos) > MaxPhotos:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.photo_count").With("max", MaxPhotos).OnField("photos"))
		case k.Photo == None && len(in.Photos) > 0:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.photo_none").OnField("photos"))
		case k.Photo == Required && len(in.Photos) == 0:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.photo_required").OnField("photos"))
		}
	}
	var pics []processed
	if !fe.Has("photos") {
		for _, p := range in.Photos {
			pp, err := processPhoto(p)
			if err != nil {
				e := errs.As(err)
				if e == nil {
					return nil, err
				}
				if err := fe.Add(e.OnField("photos")); err != nil {
					return nil, err
				}
				break
			}
			pics = append(pics, pp)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	// The photos go to the blob store before the row (the sweeper removes
	// those of a filing that fails after this point).
	for i, p := range pics {
		b, err := s.blobs.Put(ctx, bytes.NewReader(p.JPEG), blob.PutOptions{MaxSize: storedMax, Allowed: []string{"image/jpeg"}})
		if err != nil {
			return nil, err
		}
		r.Photos = append(r.Photos, Photo{Position: i + 1, SHA256: b.SHA256, Size: b.Size, Width: p.Width, Height: p.Height, AddedAt: now})
	}
	if in.Hold != "" {
		r.HeldAt, r.HeldReason = &now, in.Hold
	}
	r.AckDue = s.cal.AddWorkingDays(now, k.Service.Acknowledge)
	r.ResolveDue = s.cal.AddWorkingDays(now, k.Service.Resolve)
	r.EscalateAt = s.cal.AddWorkingDays(r.ResolveDue, k.Escalation.After)
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		year := calendar.DateOf(now).Year
		n, err := nextNumber(ctx, tx, year)
		if err != nil {
			return err
		}
		r.Number = fmt.Sprintf("R%d-%06d", year, n)
		if err := insertRequest(ctx, tx, r); err != nil {
			return err
		}
		for _, p := range r.Photos {
			if err := insertPhoto(ctx, tx, r.ID, p); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, r, CFiled, "", Received, "", now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// location checks where the request is: a point inside the city, or an
// address, as the category asks. A category without a location keeps
// none of what was typed.
func (s *Service) location(ctx context.Context, k *Category, in Input, r *Request) error {
	if k == nil || k.Location == None {
		return nil
	}
	lat, lon := strings.TrimSpace(in.Lat), strings.TrimSpace(in.Lon)
	r.Address = strings.TrimSpace(in.Address)
	var fe errs.Fields
	if utf8.RuneCountInString(r.Address) > MaxAddress {
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxAddress).OnField("address"))
	}
	if lat != "" || lon != "" {
		p, err := geo.ParsePoint(lat, lon)
		if err != nil {
			if e := errs.As(err); e != nil {
				_ = fe.Add(e)
				return fe.Err()
			}
			return err
		}
		c, err := s.places.City(ctx)
		if err != nil {
			return err
		}
		if !c.Boundary.IsZero() && !geo.NewPoint(p).Within(c.Boundary) {
			_ = fe.Add(geo.ErrOutside(c.Name).OnField("lat"))
			return fe.Err()
		}
		r.Lat, r.Lon = &p.Lat, &p.Lon
	}
	if k.Location == Required && r.Lat == nil && r.Address == "" {
		_ = fe.Add(errs.E(errs.Invalid, "complaint.error.location").OnField("lat"))
	}
	return fe.Err()
}

// record writes a change's history line, audit record and event, in tx.
func (s *Service) record(ctx context.Context, tx *db.Tx, a authz.Actor, r *Request, c Change, from, to State, note string, now time.Time) error {
	label := "system"
	switch {
	case a.Open311Client != 0:
		label = "open311:" + strconv.FormatInt(a.Open311Client, 10)
	case !a.Anonymous():
		label = authz.ActorLabel(a, r.Resource())
	}
	e := Event{At: now, Actor: a.Person, ActorLabel: label, Kind: c, From: from, To: to, Note: note}
	if c == CPlan {
		e.Planned = r.PlannedFor
	}
	if err := insertEvent(ctx, tx, r.ID, e); err != nil {
		return err
	}
	change := map[string]any{"number": r.Number, "version": r.Version, "to": to}
	if e.Planned != nil {
		change["planned_for"] = calendar.DateOf(*e.Planned).String()
	}
	if from != "" {
		change["from"] = from
	}
	if note != "" {
		change["note"] = note // only its digest is kept in the log
	}
	if _, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "complaint." + string(c), ObjectType: "complaint_request",
		ObjectID: strconv.FormatInt(r.ID, 10), Change: change, At: now}); err != nil {
		return err
	}
	if s.events == nil {
		return fmt.Errorf("complaint: no event publisher (Deps.Events)")
	}
	return s.events.Publish(ctx, tx, TopicRequestChanged, RequestChanged{V: EventVersion, Request: r.ID, Number: r.Number,
		Category: r.Category, Organisation: r.Organisation, Arrondissement: r.Arrondissement, Change: c, From: from, To: to,
		Version: r.Version, Due: r.ResolveDue, Note: note, Planned: e.Planned, Silent: notify.IsQuiet(ctx), At: now})
}

// Get reads a request for its reporter or the team answering it.
func (s *Service) Get(ctx context.Context, a authz.Actor, id int64) (*Request, []Event, error) {
	r, err := request(ctx, s.db, "id", id)
	if err != nil {
		return nil, nil, err
	}
	if err := authz.Check(a, authz.ReadRequest, r.Resource()); err != nil {
		return nil, nil, err
	}
	evs, err := events(ctx, s.db, r.ID)
	return r, evs, err
}

// Mine lists the requests a filed, newest first.
func (s *Service) Mine(ctx context.Context, a authz.Actor) ([]*Request, error) {
	if err := authz.Check(a, authz.ReadRequest, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	return listRequests(ctx, s.db, `reporter_id = $1`, `filed_at DESC, id DESC`, 200, a.Person)
}

// QueueOrgs are the organisations whose queue a reads.
func QueueOrgs(a authz.Actor) []string {
	var out []string
	for _, g := range a.Grants {
		if g.Role == authz.ComplaintOfficer && !slices.Contains(out, g.Org) {
			out = append(out, g.Org)
		}
	}
	return out
}

// Queue lists an organisation's open requests for one of its complaint
// officers: overdue first (the oldest deadline first), those waiting on
// the citizen last; only the arrondissements the officer's grants cover.
func (s *Service) Queue(ctx context.Context, a authz.Actor, org string) ([]*Request, error) {
	if err := authz.Check(a, authz.ReadRequestQueue, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	where, args := queueWhere(officerArrondissements(a, org))
	return listRequests(ctx, s.db, where, queueOrder, 500, append([]any{org}, args...)...)
}

// Move makes change c on request id, which the actor saw at version (0:
// whatever it is now), with its note: the question, the reply, the public
// answer, the reason for reopening.
func (s *Service) Move(ctx context.Context, a authz.Actor, id int64, version int, c Change, note string) (*Request, error) {
	if c == CPlan {
		return nil, errs.E(errs.Invalid, "complaint.error.plan_day").OnField("planned_for")
	}
	return s.move(ctx, a, id, version, c, note, moveWith{})
}

// MaxWorkPhotos bounds the photos of the work done on one request (one
// per resolution).
const MaxWorkPhotos = 20

// Resolve resolves request id with its public answer and, when photo is
// not nil, a photo of the work done (checked and re-encoded like the
// reporter's; read by the reporters and the team, never published).
// Nothing is kept of a resolution refused.
func (s *Service) Resolve(ctx context.Context, a authz.Actor, id int64, version int, note string, photo io.Reader) (*Request, error) {
	if photo == nil {
		return s.move(ctx, a, id, version, CResolve, note, moveWith{})
	}
	// Whoever may not resolve it learns it before the photo is read.
	cur, err := request(ctx, s.db, "id", id)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReadRequest, cur.Resource()); err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.HandleRequest, cur.Resource()); err != nil {
		return nil, err
	}
	p, err := processPhoto(photo)
	if err != nil {
		if e := errs.As(err); e != nil {
			return nil, e.OnField("photo")
		}
		return nil, err
	}
	// The photo goes to the blob store before the row (the sweeper
	// removes it if the resolution fails after this point).
	b, err := s.blobs.Put(ctx, bytes.NewReader(p.JPEG), blob.PutOptions{MaxSize: storedMax, Allowed: []string{"image/jpeg"}})
	if err != nil {
		return nil, err
	}
	return s.move(ctx, a, id, version, CResolve, note, moveWith{photo: &Photo{SHA256: b.SHA256, Size: b.Size, Width: p.Width, Height: p.Height}})
}

// moveWith is what a change brings besides its note: a plan's day, a
// resolution's photo of the work done.
type moveWith struct {
	day   calendar.Date
	photo *Photo
}

// MaxPlanAheadDays is how far ahead a team may plan the work, in
// Casablanca days (counted on the calendar, not in 24-hour spans: a
// midnight in Ramadan's UTC+0 is an hour later than one in UTC+1).
const MaxPlanAheadDays = 366

// Plan tells the citizen the day (YYYY-MM-DD, in Casablanca) the team
// planned the work of request id for, with an optional note: today or
// later, within a year. The request is then in progress; the service
// level's deadline does not move (a day past it is said as it is).
func (s *Service) Plan(ctx context.Context, a authz.Actor, id int64, version int, day, note string) (*Request, error) {
	d, err := calendar.ParseDate(strings.TrimSpace(textnorm.Digits(day)))
	if err != nil {
		return nil, errs.E(errs.Invalid, "complaint.error.plan_day").OnField("planned_for").Cause(err)
	}
	return s.move(ctx, a, id, version, CPlan, note, moveWith{day: d})
}

// move makes change c on request id, with what w brings.
func (s *Service) move(ctx context.Context, a authz.Actor, id int64, version int, c Change, note string, w moveWith) (*Request, error) {
	m, ok := moves[c]
	if !ok {
		return nil, errs.E(errs.Invalid, "complaint.error.change")
	}
	note = strings.TrimSpace(note)
	var r *Request
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		if r, err = lockedRequest(ctx, tx, a, id, m.action, version); err != nil {
			return err
		}
		if !c.allowed(r.State) {
			return errs.E(errs.Conflict, "complaint.error.state").With("state", string(r.State))
		}
		switch n := utf8.RuneCountInString(note); {
		case m.needNote && n == 0 && !(c == CClose && r.State == Resolved):
			return errs.E(errs.Invalid, "complaint.error.note."+string(c)).OnField("note")
		case n > MaxNote:
			return errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxNote).OnField("note")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if c == CReopen && (r.ResolvedAt == nil || now.Sub(*r.ResolvedAt) > ReopenWindow) {
			return errs.E(errs.Conflict, "complaint.error.reopen_late").With("days", int(ReopenWindow/(24*time.Hour)))
		}
		if c == CPlan {
			today := calendar.DateOf(now)
			if w.day.Before(today) || w.day.Sub(today) > MaxPlanAheadDays {
				return errs.E(errs.Invalid, "complaint.error.plan_day").OnField("planned_for")
			}
			start := w.day.Start().UTC()
			r.PlannedFor = &start
		}
		if w.photo != nil {
			n := len(r.WorkPhotos)
			if n >= MaxWorkPhotos {
				return errs.E(errs.Invalid, "complaint.error.photo_count").With("max", MaxWorkPhotos).OnField("photo")
			}
			p := *w.photo
			p.Position, p.AddedAt = n+1, now
			if err := insertWorkPhoto(ctx, tx, r.ID, a.Person, p); err != nil {
				return err
			}
			r.WorkPhotos = append(r.WorkPhotos, p)
		}
		from := r.State
		s.apply(r, c, m.to, note, now)
		if err := bump(ctx, tx, r, now); err != nil {
			return err
		}
		if c == CReopen {
			// A fresh deadline: the team is alerted, and the request
			// raised, again if it passes.
			if _, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET alerted_at = NULL, escalated_at = NULL, warned_at = NULL WHERE id = $1`, r.ID); err != nil {
				return err
			}
		}
		if c == CAcknowledge {
			// The next deadline is the resolution's: warned of afresh.
			if _, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET warned_at = NULL WHERE id = $1`, r.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, r, c, from, m.to, note, now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// apply sets what a change sets, the service-level clock included.
func (s *Service) apply(r *Request, c Change, to State, note string, now time.Time) {
	k, _ := s.cat.Category(r.Category)
	after := 0
	if k != nil {
		after = k.Escalation.After
	}
	if r.State == Waiting {
		// The wait on the citizen ends: the working days it took are given
		// back to the team.
		r.ResolveDue = s.cal.Extend(r.ResolveDue, []calendar.Interval{{Start: *r.WaitingSince, End: now}})
		r.EscalateAt = s.cal.AddWorkingDays(r.ResolveDue, after)
		r.WaitingSince = nil
	}
	if r.AcknowledgedAt == nil && c != CReply && c != CReopen {
		r.AcknowledgedAt = &now
	}
	switch c {
	case CAsk:
		r.WaitingSince = &now
	case CResolve:
		r.ResolvedAt, r.PublicAnswer = &now, note
	case CClose:
		r.ClosedAt = &now
		if note != "" {
			r.PublicAnswer = note
		}
	case CReopen:
		// Back to the team, with a fresh resolve deadline of the
		// category's service level, and no plan.
		r.PlannedFor = nil
		if k != nil {
			r.ResolveDue = s.cal.AddWorkingDays(now, k.Service.Resolve)
			r.EscalateAt = s.cal.AddWorkingDays(r.ResolveDue, after)
		}
	}
	r.State = to
}

// Public is what anyone holding a request's number and tracking code
// sees: no name, no contact; a private-life request neither its place nor
// its description.
type Public struct {
	Number         string
	Category       *Category
	Arrondissement string
	State          State
	FiledAt        time.Time
	AckDue         time.Time
	ResolveDue     time.Time
	PlannedFor     *time.Time // the day the work is planned for
	Lat, Lon       *float64
	Address        string
	Description    string
	PublicAnswer   string
	Private        bool
	Events         []Event // without actors' labels
}

// Track answers the public tracking page. A wrong number or code answers
// "not found" alike, so numbers cannot be probed.
func (s *Service) Track(ctx context.Context, number, code string) (*Public, error) {
	number = strings.ToUpper(textnorm.Digits(strings.TrimSpace(number)))
	code = strings.ToUpper(strings.ReplaceAll(textnorm.Digits(strings.TrimSpace(code)), " ", ""))
	if number == "" || code == "" || len(number) > 32 {
		return nil, errs.E(errs.NotFound, "complaint.error.track")
	}
	r, err := request(ctx, s.db, "number", number)
	if err != nil || subtle.ConstantTimeCompare([]byte(r.TrackingCode), []byte(code)) != 1 {
		return nil, errs.E(errs.NotFound, "complaint.error.track").Cause(err)
	}
	k, _ := s.cat.Category(r.Category)
	p := &Public{Number: r.Number, Category: k, Arrondissement: r.Arrondissement, State: r.State, FiledAt: r.FiledAt,
		AckDue: r.AckDue, ResolveDue: r.ResolveDue, PlannedFor: r.PlannedFor, PublicAnswer: r.PublicAnswer, Private: r.Private}
	if !r.Private {
		p.Lat, p.Lon, p.Address, p.Description = r.Lat, r.Lon, r.Address, r.PublicDescription
	}
	evs, err := events(ctx, s.db, r.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		e.Actor, e.ActorLabel = 0, ""
		// The citizen's replies may hold their contact; the team's notes
		// are written for the public.
		if e.Kind == CReply || e.Kind == CReopen || e.Kind == CAsk {
			e.Note = MaskContacts(e.Note)
		}
		p.Events = append(p.Events, e)
	}
	return p, nil
}

// PhotoOf opens photo position of request id for whoever may read the
// request, or for anyone when the request is not private (its photos are
// public, stripped of their metadata).
func (s *Service) PhotoOf(ctx context.Context, a authz.Actor, id int64, position int) (io.ReadCloser, Photo, error) {
	r, err := request(ctx, s.db, "id", id)
	if err != nil {
		return nil, Photo{}, err
	}
	if r.Private {
		if err := authz.Check(a, authz.ReadRequest, r.Resource()); err != nil {
			return nil, Photo{}, err
		}
	}
	return s.openPhoto(ctx, r.Photos, position)
}

// WorkPhotoOf opens the photo of the work done at position on request id,
// for its reporters and the team only.
func (s *Service) WorkPhotoOf(ctx context.Context, a authz.Actor, id int64, position int) (io.ReadCloser, Photo, error) {
	r, err := request(ctx, s.db, "id", id)
	if err != nil {
		return nil, Photo{}, err
	}
	if err := authz.Check(a, authz.ReadRequest, r.Resource()); err != nil {
		return nil, Photo{}, err
	}
	return s.openPhoto(ctx, r.WorkPhotos, position)
}

// openPhoto opens the photo at position among ps.
func (s *Service) openPhoto(ctx context.Context, ps []Photo, position int) (io.ReadCloser, Photo, error) {
	for _, p := range ps {
		if p.Position == position {
			rc, err := s.blobs.Open(ctx, p.SHA256)
			return rc, p, err
		}
	}
	return nil, Photo{}, errs.E(errs.NotFound, "complaint.error.not_found")
}

// PublicFilter chooses the requests of the public list.
type PublicFilter struct {
	Category, Arrondissement string
	Status                   string // "", open or closed
	Since                    time.Time
	Limit, Offset            int
}

// PublicList lists requests filed since f.Since, newest first, as the
// public list shows them (the caller leaves out what a private-life
// request must not show). Unknown filter values match nothing.
func (s *Service) PublicList(ctx context.Context, f PublicFilter) ([]*Request, error) {
	where := []string{"filed_at >= $1", "held_at IS NULL"}
	args := []any{f.Since}
	if f.Category != "" {
		args = append(args, f.Category)
		where = append(where, "category = $"+strconv.Itoa(len(args)))
	}
	if f.Arrondissement != "" {
		args = append(args, f.Arrondissement)
		where = append(where, "arrondissement_code = $"+strconv.Itoa(len(args)))
	}
	switch f.Status {
	case "open":
		where = append(where, "state NOT IN ('resolved', 'closed')")
	case "closed":
		where = append(where, "state IN ('resolved', 'closed')")
	}
	limit := min(max(f.Limit, 1), 1000)
	return listRequestsFrom(ctx, s.db, strings.Join(where, " AND "), "filed_at DESC, id DESC", limit, max(f.Offset, 0), args...)
}
