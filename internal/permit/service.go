package permit

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/refcode"
	"madina/internal/platform/textnorm"
)

// MaxUpload is the largest document accepted: plans run to 200 MB.
const MaxUpload = 200 << 20

// Location is a parcel's place as checked by the city: the geometry as
// GeoJSON and a representative point.
type Location struct {
	GeoJSON  string
	Lon, Lat float64
}

// Places is the territorial reference the service routes files with.
type Places interface {
	Arrondissement(ctx context.Context, code string) (district.Arrondissement, district.Prefecture, district.Window, error)
	Arrondissements(ctx context.Context) ([]district.Arrondissement, error)
	Windows(ctx context.Context) ([]district.Window, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	DB        *db.DB
	Catalogue *Catalogue // the catalogue new files are filed under
	Calendar  *calendar.Calendar
	Blobs     blob.Store
	Notify    *notify.Service
	People    People       // the register of people (identity's store)
	Staff     Staff        // who works at which window
	Places    Places       // the territorial reference
	Events    Publisher    // where state changes are published (the job queue's outbox)
	Log       *slog.Logger // nil: discard
	// Locate checks a location typed by an applicant (a GeoJSON geometry,
	// or a latitude and longitude) and that it lies inside the city.
	Locate func(ctx context.Context, geojson, lat, lon string) (Location, error)
	// InspectPDF checks an uploaded PDF's structure and returns its pages;
	// nil refuses PDFs.
	InspectPDF func(ctx context.Context, r io.ReaderAt, size int64) (int, error)
	// Signatures signs the documents permit issues; nil leaves them
	// unsigned.
	Signatures Signatures
}

// Config are a Service's settings.
type Config struct {
	BaseURL string
	Now     func() time.Time
	// Quota bounds what one file may hold; zero fields take the defaults.
	Quota Quota
	// AutoDispatchAfter is how long after its acceptance Madina dispatches
	// an urban file of a window that dispatches automatically (0: at the
	// next sweep); never later than just before its dispatch deadline.
	AutoDispatchAfter time.Duration
}

// Service runs permit files.
type Service struct {
	db     *db.DB
	cat    *Catalogue
	cal    *calendar.Calendar
	blobs  blob.Store
	notify *notify.Service
	people directory
	places Places
	events Publisher
	log    *slog.Logger
	cfg    Config

	locate     func(ctx context.Context, geojson, lat, lon string) (Location, error)
	inspectPDF func(ctx context.Context, r io.ReaderAt, size int64) (int, error)
	signatures Signatures

	mu       sync.Mutex
	versions map[string]*Catalogue // earlier catalogue versions files were filed under
}

// NewService returns the permit files service.
func NewService(d Deps, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d.DB, cat: d.Catalogue, cal: d.Calendar, blobs: d.Blobs, notify: d.Notify,
		people: directory{d.People, d.Staff}, places: d.Places, events: d.Events, log: d.Log, cfg: cfg,
		locate: d.Locate, inspectPDF: d.InspectPDF, signatures: d.Signatures, versions: map[string]*Catalogue{}}
}

// Deps returns the service's collaborators, to build another service on
// them (with another catalogue, say).
func (s *Service) Deps() Deps {
	return Deps{DB: s.db, Catalogue: s.cat, Calendar: s.cal, Blobs: s.blobs, Notify: s.notify,
		People: s.people.People, Staff: s.people.Staff, Places: s.places, Events: s.events, Log: s.log,
		Locate: s.locate, InspectPDF: s.inspectPDF, Signatures: s.signatures}
}

// Catalogue is the catalogue files are filed under.
func (s *Service) Catalogue() *Catalogue { return s.cat }

// Calendar is the calendar deadlines are computed with.
func (s *Service) Calendar() *calendar.Calendar { return s.cal }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// randomCode is a reference or tracking code people read and type back.
func randomCode(n int) string { return refcode.Random(n) }

// Input is what an applicant fills in; drafts save as they go, so every
// part may be missing until submission.
type Input struct {
	Kind           string
	OwnerPerson    int64 // a professional names the owner whose mandate they hold; 0 for oneself
	OwnerLegal     int64
	Title          string
	Address        string
	Arrondissement string
	GeoJSON        string // a Point or Polygon; or
	Lat, Lon       string // a point as typed
	Fields         Values
	Parties        []Party
}

const (
	maxTitle   = 200
	maxAddress = 300
	maxText    = 500
)

// apply checks a draft's parts as far as they go and writes them to f,
// reading what it checks against through q.
func (s *Service) apply(ctx context.Context, q db.Querier, k *Kind, f *File, in Input) error {
	f.Title = strings.TrimSpace(in.Title)
	if utf8.RuneCountInString(f.Title) > maxTitle {
		return errs.E(errs.Invalid, "permit.error.too_long").With("max", maxTitle).OnField("title")
	}
	f.Address = strings.TrimSpace(in.Address)
	if utf8.RuneCountInString(f.Address) > maxAddress {
		return errs.E(errs.Invalid, "permit.error.too_long").With("max", maxAddress).OnField("address")
	}
	f.Arrondissement = strings.TrimSpace(in.Arrondissement)
	if f.Arrondissement != "" {
		if _, _, _, err := s.places.Arrondissement(ctx, f.Arrondissement); err != nil {
			return errs.E(errs.Invalid, "permit.error.arrondissement").OnField("arrondissement").Cause(err)
		}
	}
	f.Location, f.Lon, f.Lat = "", 0, 0
	if strings.TrimSpace(in.GeoJSON+in.Lat+in.Lon) != "" {
		loc, err := s.locate(ctx, in.GeoJSON, in.Lat, in.Lon)
		if err != nil {
			return err
		}
		f.Location, f.Lon, f.Lat = loc.GeoJSON, loc.Lon, loc.Lat
	}
	fields := Values{}
	for code, v := range in.Fields {
		// Numbers are kept, and printed, in Western digits, as Moroccan
		// administrations print them, whichever digits were typed.
		v = textnorm.Digits(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		fd, ok := k.Field(code)
		if !ok {
			continue // not on this kind's form: ignored, as a browser sends what it has
		}
		if utf8.RuneCountInString(v) > maxText {
			return errs.E(errs.Invalid, "permit.error.too_long").With("max", maxText).OnField(code)
		}
		if err := checkValue(fd, v); err != nil {
			return err
		}
		fields[code] = v
	}
	f.Fields = fields
	seen := map[string]bool{}
	stored := f.Parties
	f.Parties = nil
	for _, p := range in.Parties {
		p.Name, p.Registration = strings.TrimSpace(p.Name), textnorm.Digits(strings.TrimSpace(p.Registration))
		if p.Name == "" && p.Registration == "" && p.PersonID == 0 {
			continue
		}
		if !slices.Contains(PartyRoles, p.Role) || seen[p.Role] {
			return errs.E(errs.Invalid, "permit.error.party").OnField("party_" + p.Role)
		}
		seen[p.Role] = true
		if p.Name == "" || utf8.RuneCountInString(p.Name) > maxTitle || utf8.RuneCountInString(p.Registration) > 40 {
			return errs.E(errs.Invalid, "permit.error.party").OnField("party_" + p.Role)
		}
		if p.PersonID != 0 && !slices.ContainsFunc(stored, func(o Party) bool { return o.Role == p.Role && o.PersonID == p.PersonID }) {
			if err := s.checkPartyPerson(ctx, q, f, p); err != nil {
				return err
			}
		}
		f.Parties = append(f.Parties, p)
	}
	return nil
}

// checkPartyPerson checks that the account a party names has accepted
// that role for f: a verified professional of the party's profession who
// holds a mandate from f's owner covering f (or its kind), or the owner
// themselves if they are one. Anyone else — an unknown id, a citizen, the
// administrator — is refused alike, so that ids cannot be probed.
func (s *Service) checkPartyPerson(ctx context.Context, q db.Querier, f *File, p Party) error {
	refuse := func(cause error) error {
		return errs.E(errs.Invalid, "permit.error.party_person").OnField("party_" + p.Role).Cause(cause)
	}
	pro, err := s.people.Professional(ctx, q, p.PersonID)
	if errs.Is(err, errs.NotFound) {
		return refuse(fmt.Errorf("permit: party %s: person %d is no professional", p.Role, p.PersonID))
	}
	if err != nil {
		return err
	}
	if pro.Profession != p.Role || !pro.Verified() {
		return refuse(fmt.Errorf("permit: party %s: person %d is a %s, verified %v", p.Role, p.PersonID, pro.Profession, pro.Verified()))
	}
	if f.OwnerLegal == 0 && f.OwnerPerson == p.PersonID {
		return nil
	}
	ms, err := s.people.MandatesHeld(ctx, q, p.PersonID)
	if err != nil {
		return err
	}
	now := s.now()
	for _, m := range ms {
		owner := m.OwnerLegal == f.OwnerLegal && (f.OwnerLegal != 0 || m.OwnerPerson == f.OwnerPerson)
		covers := m.FileRef == f.Ref || m.FileRef == "" && m.PermitKind == f.Kind
		if owner && covers && now.Before(m.Ends) { // not revoked (MandatesHeld), not expired
			return nil
		}
	}
	return refuse(fmt.Errorf("permit: party %s: person %d holds no mandate on %s", p.Role, p.PersonID, f.Ref))
}

// checkValue checks a typed value against its field.
func checkValue(fd *Field, v string) error {
	bad := errs.E(errs.Invalid, "permit.error.field").OnField(fd.Code)
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return bad
	}
	switch fd.Type {
	case FieldNumber:
		n, ok := ParseNumber(v)
		if !ok || (fd.Integer && n != float64(int64(n))) || (fd.Min != nil && n < *fd.Min) || (fd.Max != nil && n > *fd.Max) {
			return bad
		}
	case FieldBoolean:
		if !parseBool(v) && !slices.Contains([]string{"off", "false", "no", "0"}, strings.ToLower(v)) {
			return bad
		}
	case FieldChoice:
		if _, ok := fd.Option(v); !ok {
			return bad
		}
	case FieldDate:
		if _, err := calendar.ParseDate(v); err != nil {
			return bad
		}
	}
	return nil
}

// Create starts a file: by the owner for themselves (or the legal person
// they act for), or by a professional for an owner whose mandate covers
// the kind.
func (s *Service) Create(ctx context.Context, a authz.Actor, in Input) (*File, error) {
	k, err := s.cat.Kind(in.Kind)
	if err != nil {
		return nil, errs.E(errs.Invalid, "permit.error.kind").OnField("kind").Cause(err)
	}
	if a.Anonymous() {
		return nil, authz.Check(a, authz.PrepareFile, authz.Resource{})
	}
	now := s.now()
	f := &File{Ref: fmt.Sprintf("F%d-%s", calendar.DateOf(now).Year, randomCode(6)), TrackingCode: randomCode(8),
		Kind: k.Code, Family: k.Family, CatalogueVersion: s.cat.Version, CreatedBy: a.Person, State: Draft,
		Holder: HolderApplicant, CreatedAt: now}
	switch {
	case in.OwnerPerson == 0 && in.OwnerLegal == 0 && a.ActingFor != 0:
		f.OwnerLegal = a.ActingFor
	case in.OwnerPerson == 0 && in.OwnerLegal == 0:
		f.OwnerPerson = a.Person
	case in.OwnerPerson != 0 && in.OwnerLegal != 0:
		return nil, errs.E(errs.Invalid, "permit.error.owner").OnField("owner")
	default:
		f.OwnerPerson, f.OwnerLegal = in.OwnerPerson, in.OwnerLegal
	}
	if err := s.mayFile(a, k, f); err != nil {
		return nil, err
	}
	if err := s.apply(ctx, s.db, k, f, in); err != nil {
		return nil, err
	}
	s.defaultArchitect(ctx, a, k, f)
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// The reference is random: one already taken (a chance in
		// millions) is drawn again rather than refused.
		for taken := true; taken; {
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM permit_files WHERE ref = $1)`, f.Ref).Scan(&taken); err != nil {
				return err
			}
			if taken {
				f.Ref = fmt.Sprintf("F%d-%s", calendar.DateOf(now).Year, randomCode(6))
			}
		}
		if err := insertFile(ctx, tx, f); err != nil {
			return err
		}
		return s.record(ctx, tx, a, k, f, "created", "", Draft, nil, false, now)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// defaultArchitect names the filing architect on a file that needs one.
func (s *Service) defaultArchitect(ctx context.Context, a authz.Actor, k *Kind, f *File) {
	if !k.ArchitectRequired || a.Profession != authz.Architect || slices.ContainsFunc(f.Parties, func(p Party) bool { return p.Role == PartyArchitect }) {
		return
	}
	p, err := s.people.Person(ctx, s.db, a.Person)
	if err != nil {
		return
	}
	party := Party{Role: PartyArchitect, PersonID: a.Person, Name: p.DisplayName("fr")}
	if pro, err := s.people.Professional(ctx, s.db, a.Person); err == nil {
		party.Registration = pro.RegistrationNumber
	}
	f.Parties = append(f.Parties, party)
}

// Update saves a draft (or a returned file being completed) as it is.
func (s *Service) Update(ctx context.Context, a authz.Actor, id int64, version int, in Input) (*File, error) {
	var f *File
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var k *Kind
		var err error
		f, k, err = s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		if version != 0 && version != f.Version {
			return errs.E(errs.Conflict, "permit.error.stale")
		}
		if f.State != Draft && f.State != Returned {
			return errs.E(errs.Conflict, "permit.error.not_editable").With("state", string(f.State))
		}
		in.Kind = f.Kind
		if err := s.apply(ctx, tx, k, f, in); err != nil {
			return err
		}
		now := s.now()
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		if err := replaceParties(ctx, tx, f); err != nil {
			return err
		}
		return s.record(ctx, tx, a, k, f, "updated", "", "", nil, false, now)
	})
	return f, err
}

// kindOf is a file's kind as the catalogue it was filed under defines it:
// a file keeps the checklist, deadlines and committee in force when it was
// started, whatever catalogue version is in force now.
func (s *Service) kindOf(ctx context.Context, q db.Querier, f *File) (*Kind, error) {
	cat, err := s.catalogueOf(ctx, q, f.CatalogueVersion)
	if err != nil {
		return nil, err
	}
	return cat.Kind(f.Kind)
}

// catalogueOf returns catalogue version v: the one in force, an imported
// one from the database, or the embedded one; today's for a version known
// nowhere.
func (s *Service) catalogueOf(ctx context.Context, q db.Querier, v string) (*Catalogue, error) {
	if v == "" || v == s.cat.Version {
		return s.cat, nil
	}
	s.mu.Lock()
	c, ok := s.versions[v]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	var content string
	err := q.QueryRowContext(ctx, `SELECT content FROM permit_catalogues WHERE version = $1`, v).Scan(&content)
	switch {
	case err == nil:
		if c, err = Parse([]byte(content)); err != nil {
			return nil, fmt.Errorf("permit: stored catalogue %s: %w", v, err)
		}
	case errors.Is(err, sql.ErrNoRows):
		if c = Casablanca(); c.Version != v {
			s.log.Warn("permit: files filed under an unknown catalogue version are read with today's", "version", v)
			c = s.cat
		}
	default:
		return nil, fmt.Errorf("permit: catalogue %s: %w", v, err)
	}
	s.mu.Lock()
	s.versions[v] = c
	s.mu.Unlock()
	return c, nil
}

// load reads a file and asks the policy whether a may do act on it.
func (s *Service) load(ctx context.Context, q db.Querier, a authz.Actor, act authz.Action, id int64) (*File, *Kind, error) {
	f, err := file(ctx, q, "id", id)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.kindOf(ctx, q, f)
	if err != nil {
		return nil, nil, err
	}
	if err := authz.Check(a, act, f.Resource(k)); err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, nil, notFound(err)
		}
		return nil, nil, err
	}
	return f, k, nil
}

// Get returns a file its reader may see.
func (s *Service) Get(ctx context.Context, a authz.Actor, id int64) (*File, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	return f, err
}

// View is everything a file's page shows.
type View struct {
	File        *File
	Kind        *Kind
	Checklist   []ChecklistItem
	Missing     []string // item codes still required
	Documents   []Upload
	Events      []Event
	Deadlines   []StepDeadline
	Appointment *Appointment
	Window      *district.Window
	Route       *Decision // where the file goes, and why (a preview until submission)
	Can         map[string]bool
	// Removable: the documents the reader may remove now, by id;
	// Signable: those they may sign now.
	Removable, Signable map[int64]bool
	// Conflict: the reader is an agent of the file's window but involved
	// in it, so the policy refuses them its window work.
	Conflict bool
}

// ChecklistItem is one line of a file's checklist.
type ChecklistItem struct {
	Requirement
	Needed   bool    // required for this file, given its figures
	Latest   *Upload // newest upload, nil when none
	Versions int
	// Current are the documents that count: every one of a set
	// (Several), oldest first; the latest version of a single item.
	Current []Upload
}

// Checklist is kind k's checklist for a file with values v and documents ds.
func Checklist(k *Kind, v Values, ds []Upload) (items []ChecklistItem, missing []string) {
	last := latest(ds)
	for _, r := range k.Documents {
		it := ChecklistItem{Requirement: r, Needed: k.Requires(r.Code, v)}
		if d, ok := last[r.Code]; ok {
			it.Latest = &d
			it.Versions = d.Version
		}
		it.Current = current(r, ds)
		if it.Needed && it.Latest == nil {
			missing = append(missing, r.Code)
		}
		items = append(items, it)
	}
	return items, missing
}

// View returns a file with its checklist, timeline, deadlines and what the
// reader may do next.
func (s *Service) View(ctx context.Context, a authz.Actor, id int64) (*View, error) {
	f, k, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	return s.viewOf(ctx, a, f, k)
}

// systemView is a file's view for the system's own work (sealing its
// receipt), with no actor: nothing is allowed in it (Can is empty).
func (s *Service) systemView(ctx context.Context, id int64) (*View, error) {
	f, err := file(ctx, s.db, "id", id)
	if err != nil {
		return nil, err
	}
	k, err := s.kindOf(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	return s.viewOf(ctx, authz.Actor{}, f, k)
}

func (s *Service) viewOf(ctx context.Context, a authz.Actor, f *File, k *Kind) (*View, error) {
	var err error
	v := &View{File: f, Kind: k, Can: map[string]bool{}}
	if v.Documents, err = documents(ctx, s.db, f.ID); err != nil {
		return nil, err
	}
	v.Checklist, v.Missing = Checklist(k, f.Fields, v.Documents)
	if v.Events, err = events(ctx, s.db, f.ID, false); err != nil {
		return nil, err
	}
	if v.Deadlines, err = deadlines(ctx, s.db, f.ID, false); err != nil {
		return nil, err
	}
	switch v.Appointment, err = bookedAppointment(ctx, s.db, f.ID); {
	case errs.Is(err, errs.NotFound):
		v.Appointment = nil // none booked
	case err != nil:
		return nil, err
	}
	if f.Window != "" {
		if w, err := s.window(ctx, f.Window); err == nil {
			v.Window = &w
		}
	}
	if d, w, err := s.route(ctx, f); err == nil {
		v.Route = &d
		if v.Window == nil {
			v.Window = &w // where it would go, were it submitted now
		}
	} else if d, err := s.cat.Route(f.Kind, f.Fields); err == nil {
		v.Route = &d
	}
	r := f.Resource(k)
	for _, t := range Transitions {
		if t.Action == "" || !slices.Contains(Allowed(f.State, f.Family), t.Name) || !t.fits(f) {
			continue
		}
		v.Can[t.Name] = authz.Decide(a, t.Action, r).Allow
		if v.Can[t.Name] {
			if v.Can[t.Name], err = outcomeFits(ctx, s.db, f, t.Name); err != nil {
				return nil, err
			}
		}
	}
	prepare := authz.Decide(a, authz.PrepareFile, r).Allow
	v.Can["edit"] = prepare && (f.State == Draft || f.State == Returned)
	v.Can["upload"] = prepare && f.Uploads()
	v.Can["book"] = prepare && f.State == Submitted
	review := authz.Decide(a, authz.ReviewFile, r)
	v.Can["extend"] = review.Allow && !f.State.Closed()
	v.Conflict = review.Reason == authz.ReasonConflict
	if v.Removable, err = s.removableDocuments(ctx, a, v); err != nil {
		return nil, err
	}
	if v.Signable, err = s.signableDocuments(ctx, a, v); err != nil {
		return nil, err
	}
	return v, nil
}

// window returns a window of the reference by code.
func (s *Service) window(ctx context.Context, code string) (district.Window, error) {
	ws, err := s.places.Windows(ctx)
	if err != nil {
		return district.Window{}, err
	}
	for _, w := range ws {
		if w.Code == code {
			return w, nil
		}
	}
	return district.Window{}, fmt.Errorf("permit: no window %q", code)
}

// route chooses the window for f: the catalogue's rule, then the city's
// window or the parcel's arrondissement's.
func (s *Service) route(ctx context.Context, f *File) (Decision, district.Window, error) {
	d, err := s.cat.Route(f.Kind, f.Fields)
	if err != nil {
		return d, district.Window{}, err
	}
	if d.Window == district.ArrondissementWindow {
		if f.Arrondissement == "" {
			return d, district.Window{}, errs.E(errs.Invalid, "permit.error.arrondissement").OnField("arrondissement")
		}
		_, _, w, err := s.places.Arrondissement(ctx, f.Arrondissement)
		if err != nil || w.Code == "" {
			return d, district.Window{}, errs.E(errs.Invalid, "permit.error.arrondissement").OnField("arrondissement").Cause(err)
		}
		return d, w, nil
	}
	ws, err := s.places.Windows(ctx)
	if err != nil {
		return d, district.Window{}, err
	}
	for _, w := range ws {
		if w.Kind == d.Window {
			return d, w, nil
		}
	}
	return d, district.Window{}, fmt.Errorf("permit: no %s window in the reference", d.Window)
}

// Incomplete lists what stops a file from being submitted.
type Incomplete struct {
	Fields    []string // field codes, "location", "arrondissement", "party_architect"
	Documents []string // checklist item codes
}

func (e *Incomplete) Error() string {
	return "permit: incomplete: fields " + strings.Join(e.Fields, ",") + "; documents " + strings.Join(e.Documents, ",")
}

// complete checks that a file has all it needs to be submitted: if not,
// the error (of kind errs.Invalid) lists what is missing.
func (s *Service) complete(ctx context.Context, q db.Querier, k *Kind, f *File) error {
	in := &Incomplete{}
	for _, fd := range k.Fields {
		if fd.Required && strings.TrimSpace(f.Fields[fd.Code]) == "" {
			in.Fields = append(in.Fields, fd.Code)
		}
	}
	if f.Address == "" {
		in.Fields = append(in.Fields, "address")
	}
	if f.Arrondissement == "" {
		in.Fields = append(in.Fields, "arrondissement")
	}
	if f.Family == Urban && f.Location == "" {
		in.Fields = append(in.Fields, "location")
	}
	if k.ArchitectRequired && !slices.ContainsFunc(f.Parties, func(p Party) bool { return p.Role == PartyArchitect }) {
		in.Fields = append(in.Fields, "party_architect")
	}
	ds, err := documents(ctx, q, f.ID)
	if err != nil {
		return err
	}
	_, in.Documents = Checklist(k, f.Fields, ds)
	if len(in.Fields) == 0 && len(in.Documents) == 0 {
		return nil
	}
	return incompleteError(in)
}

// incompleteError is the user's error for an incomplete file: it lists
// every missing field and document (the API's problem shows them).
func incompleteError(in *Incomplete) error {
	var fs []errs.Fault
	for _, f := range in.Fields {
		fs = append(fs, errs.Fault{Field: f, Key: "permit.error.missing_field"})
	}
	for _, d := range in.Documents {
		fs = append(fs, errs.Fault{Field: "documents." + d, Key: "permit.error.missing_document"})
	}
	return errs.E(errs.Invalid, "permit.error.incomplete").With("count", len(in.Fields)+len(in.Documents)).WithFaults(fs...).Cause(in)
}

// Submit sends a draft, or a returned file completed, to its window. The
// routing rule chooses the window on first submission.
func (s *Service) Submit(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	var f *File
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var k *Kind
		var err error
		f, k, err = s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		name := TSubmit
		if f.State == Returned {
			name = TResubmit
		}
		t, _ := transitionNamed(name)
		from := f.State
		to, err := s.guard(a, t, f, k, version)
		if err != nil {
			return err
		}
		if name == TSubmit && f.CatalogueVersion != s.cat.Version {
			// A draft is filed under the catalogue in force when it is
			// submitted, not when it was started.
			if k, err = s.cat.Kind(f.Kind); err != nil {
				return errs.E(errs.Conflict, "permit.error.kind_gone").Cause(err)
			}
			f.CatalogueVersion = s.cat.Version
		}
		if err := s.complete(ctx, tx, k, f); err != nil {
			return err
		}
		now := s.now()
		data := map[string]any{}
		if name == TSubmit {
			d, w, err := s.route(ctx, f)
			if err != nil {
				return err
			}
			h := d.Handling
			f.Window, f.RouteRule, f.Schedule, f.Committee = w.Code, d.Rule, h.Schedule.Code, h.Committee.Code
			f.SubmittedAt = &now
			data["window"], data["rule"] = w.Code, d.Rule
		} else {
			if err := s.resume(ctx, tx, f.ID, now); err != nil {
				return err
			}
		}
		f.State, f.Holder, f.Step = to, holderOf[to], "receipt"
		if err := s.refreshDue(ctx, tx, f); err != nil {
			return err
		}
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, k, f, name, from, to, data, true, now); err != nil {
			return err
		}
		return s.fileChanged(ctx, tx, f, name, from, to, data)
	})
	return f, err
}

// guard checks a transition: the workflow has it from the file's state,
// the version is the one the caller saw, and the policy allows the caller.
func (s *Service) guard(a authz.Actor, t Transition, f *File, k *Kind, version int) (State, error) {
	if t.Action != "" {
		if err := authz.Check(a, t.Action, f.Resource(k)); err != nil {
			return "", err
		}
	}
	if version != 0 && version != f.Version {
		return "", errs.E(errs.Conflict, "permit.error.stale")
	}
	to, err := checkTransition(t, f.State, f.Family)
	if err == nil && !t.fits(f) {
		err = errs.E(errs.Conflict, "permit.error.transition").With("action", t.Name).With("state", string(f.State))
	}
	return to, err
}

// Withdraw ends a file before acceptance, at the applicant's wish.
func (s *Service) Withdraw(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	return s.transition(ctx, a, id, version, TWithdraw, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		if err := closeDeadlines(ctx, tx, f.ID, "dropped", now); err != nil {
			return nil, err
		}
		if err := s.releaseAppointment(ctx, tx, f.ID, AppointmentCancelled, now); err != nil {
			return nil, err
		}
		f.ClosedAt = &now
		f.DueAt = nil
		return nil, nil
	})
}

// transition moves file id along the transition called name for actor
// a, in one transaction: it checks the transition table, asks the
// authorization policy, refuses a version other than the one the caller
// saw, lets fn apply the transition's effects to f, then saves the file
// (only if its version is still the one read), records the event in the
// history and tells the people concerned.
func (s *Service) transition(ctx context.Context, a authz.Actor, id int64, version int, name string,
	fn func(tx *db.Tx, f *File, now time.Time) (map[string]any, error)) (*File, error) {
	return s.transitionThen(ctx, a, id, version, name, fn, nil)
}

// transitionThen is transition, with after (if not nil) run in the same
// transaction once the file is saved and its step recorded.
func (s *Service) transitionThen(ctx context.Context, a authz.Actor, id int64, version int, name string,
	fn func(tx *db.Tx, f *File, now time.Time) (map[string]any, error), after func(tx *db.Tx, f *File, k *Kind) error) (*File, error) {
	var f *File
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var k *Kind
		var err error
		t, _ := transitionNamed(name)
		act := t.Action
		if act == "" {
			act = authz.ReadFile
		}
		f, k, err = s.load(ctx, tx, a, act, id)
		if err != nil {
			return err
		}
		from := f.State
		to, err := s.guard(a, t, f, k, version)
		if err != nil {
			return err
		}
		now := s.now()
		f.State, f.Holder = to, holderOf[to]
		data, err := fn(tx, f, now)
		if err != nil {
			return err
		}
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, k, f, name, from, to, data, true, now); err != nil {
			return err
		}
		if after != nil {
			if err := after(tx, f, k); err != nil {
				return err
			}
		}
		return s.fileChanged(ctx, tx, f, name, from, to, data)
	})
	return f, err
}

// Return sends a submitted file back to the applicant with what is
// missing; its deadlines pause until they resubmit.
func (s *Service) Return(ctx context.Context, a authz.Actor, id int64, version int, missing []string, note string) (*File, error) {
	return s.sendBack(ctx, a, id, version, TReturn, missing, note)
}

// Ask puts an economic file under review on hold while the applicant
// provides what the officer asks for; its deadlines pause until they
// answer.
func (s *Service) Ask(ctx context.Context, a authz.Actor, id int64, version int, missing []string, note string) (*File, error) {
	return s.sendBack(ctx, a, id, version, TAsk, missing, note)
}

// Answer gives an economic file back to its officer once the applicant
// has added what was asked; its deadlines resume, pushed back by the
// pause.
func (s *Service) Answer(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	return s.transition(ctx, a, id, version, TAnswer, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		if err := s.resume(ctx, tx, f.ID, now); err != nil {
			return nil, err
		}
		return nil, s.refreshDue(ctx, tx, f)
	})
}

// sendBack hands a file to its applicant with what is missing (items of
// its checklist and a note), pausing its deadlines.
func (s *Service) sendBack(ctx context.Context, a authz.Actor, id int64, version int, name string, missing []string, note string) (*File, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 2000 {
		return nil, errs.E(errs.Invalid, "permit.error.too_long").With("max", 2000).OnField("note")
	}
	return s.transition(ctx, a, id, version, name, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		items, err := sendBackItems(k, missing, note)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET paused_at = $1 WHERE file_id = $2
			AND met_at IS NULL AND paused_at IS NULL`, now, f.ID); err != nil {
			return nil, fmt.Errorf("permit: pause: %w", err)
		}
		f.DueAt = nil
		return map[string]any{"missing": items, "note": note}, nil
	})
}

// sendBackItems checks what a send-back asks for: documents of the file's
// kind, each once, or at least a note (already trimmed). The confirmation
// page checks with it before asking.
func sendBackItems(k *Kind, missing []string, note string) ([]string, error) {
	var items []string
	for _, m := range missing {
		if m = strings.TrimSpace(m); m != "" && !slices.Contains(items, m) {
			if !slices.ContainsFunc(k.Documents, func(r Requirement) bool { return r.Code == m }) {
				return nil, errs.E(errs.Invalid, "permit.error.item").OnField("missing")
			}
			items = append(items, m)
		}
	}
	if len(items) == 0 && note == "" {
		return nil, errs.E(errs.Invalid, "permit.error.return_empty").OnField("missing")
	}
	return items, nil
}

// resume restarts a file's paused deadlines, pushed back by the working
// days the pause covered.
func (s *Service) resume(ctx context.Context, tx *db.Tx, fileID int64, now time.Time) error {
	ds, err := deadlines(ctx, tx, fileID, true)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.PausedAt == nil {
			continue
		}
		due := s.cal.Extend(d.DueAt, []calendar.Interval{{Start: *d.PausedAt, End: now}})
		if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET due_at = $1, paused_at = NULL WHERE id = $2`, due, d.ID); err != nil {
			return fmt.Errorf("permit: resume: %w", err)
		}
	}
	return nil
}

// Accept records a file as complete: it gets its official number, its
// legal clock starts, and it waits for the committee (urban) or the
// officer's decision (economic).
func (s *Service) Accept(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	return s.transition(ctx, a, id, version, TAccept, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		// Documents cannot vanish, but figures may have made a new item
		// required since: the window cannot accept what is missing.
		if err := s.complete(ctx, tx, k, f); err != nil {
			return nil, err
		}
		year := calendar.DateOf(now).Year
		n, err := nextNumber(ctx, tx, f.Window, year)
		if err != nil {
			return nil, err
		}
		f.Number = fmt.Sprintf("%s-%d-%05d", strings.ToUpper(f.Window), year, n)
		f.AcceptedAt = &now
		if err := closeDeadlines(ctx, tx, f.ID, "met", now, "receipt"); err != nil {
			return nil, err
		}
		sched, ok := s.schedule(k, f)
		if !ok {
			return nil, fmt.Errorf("permit: file %d: no schedule %q", f.ID, f.Schedule)
		}
		f.Step = nextStep(sched, "receipt")
		// The overall deadline runs from the complete file (its
		// acceptance), or, after the works, from the completion
		// declaration the holder lodged (its submission).
		start := now
		if sched.Overall.From == FromCompletionDeclaration && f.SubmittedAt != nil && f.SubmittedAt.Before(now) {
			start = *f.SubmittedAt
		}
		if err := s.startDeadline(ctx, tx, f, Overall, "window", sched.Overall, start); err != nil {
			return nil, err
		}
		for _, st := range sched.Steps {
			if st.Code == f.Step && st.Deadline != nil {
				if err := s.startDeadline(ctx, tx, f, st.Code, st.Actor.Code, *st.Deadline, now); err != nil {
					return nil, err
				}
			}
		}
		if err := s.refreshDue(ctx, tx, f); err != nil {
			return nil, err
		}
		return map[string]any{"number": f.Number}, nil
	})
}

// Decide records the officer's decision on an economic file under review.
func (s *Service) Decide(ctx context.Context, a authz.Actor, id int64, version int, approve bool, reason string) (*File, error) {
	reason = strings.TrimSpace(reason)
	name := TApprove
	if !approve {
		name = TRefuse
		if utf8.RuneCountInString(reason) < 10 {
			return nil, errs.E(errs.Invalid, "permit.error.reason").OnField("reason")
		}
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return nil, errs.E(errs.Invalid, "permit.error.too_long").With("max", 2000).OnField("reason")
	}
	return s.transition(ctx, a, id, version, name, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		return s.close(ctx, tx, f, reason, now)
	})
}

// close ends a file with a decision.
func (s *Service) close(ctx context.Context, tx *db.Tx, f *File, reason string, now time.Time) (map[string]any, error) {
	if err := closeDeadlines(ctx, tx, f.ID, "met", now); err != nil {
		return nil, err
	}
	f.Step, f.DueAt, f.ClosedAt, f.DecisionReason = "decision", nil, &now, reason
	return map[string]any{"reason": reason}, nil
}

// schedule returns the deadlines the file runs on.
func (s *Service) schedule(k *Kind, f *File) (Schedule, bool) {
	for _, h := range k.Handling {
		if h.Schedule.Code == f.Schedule {
			return h.Schedule, true
		}
	}
	return Schedule{}, false
}

// nextStep is the step after step in a schedule ("" after the last).
func nextStep(sc Schedule, step string) string {
	for i, st := range sc.Steps {
		if st.Code == step && i+1 < len(sc.Steps) {
			return sc.Steps[i+1].Code
		}
	}
	return ""
}

// due computes a deadline from its start.
func (s *Service) due(d Deadline, from time.Time) time.Time {
	switch d.Unit {
	case WorkingDays:
		return s.cal.AddWorkingDays(from, d.Value)
	case Months:
		return calendar.DateOf(from).Start().AddDate(0, d.Value, 0).Add(-time.Millisecond)
	default:
		return s.cal.AddCalendarDays(from, d.Value)
	}
}

func (s *Service) startDeadline(ctx context.Context, tx *db.Tx, f *File, step, actor string, d Deadline, now time.Time) error {
	return insertDeadline(ctx, tx, f.ID, StepDeadline{Step: step, Actor: actor, Source: d.Source.Code, Silence: d.Silence,
		StartsAt: now, DueAt: s.due(d, now)})
}

// refreshDue sets the file's due time from the open deadline of its
// current step (else its overall one), for the window's queue.
func (s *Service) refreshDue(ctx context.Context, q db.Querier, f *File) error {
	ds, err := deadlines(ctx, q, f.ID, true)
	if err != nil {
		return err
	}
	f.DueAt = nil
	for _, step := range []string{f.Step, Overall} {
		for _, d := range ds {
			if d.Step == step && d.PausedAt == nil {
				due := d.DueAt
				f.DueAt = &due
				return nil
			}
		}
	}
	return nil
}

// Extend gives a running deadline more working days, for a recorded
// reason, at the version the caller saw (0: any).
func (s *Service) Extend(ctx context.Context, a authz.Actor, id int64, version int, step string, days int, reason string) (*File, error) {
	reason = strings.TrimSpace(reason)
	if days < 1 || days > 30 {
		return nil, errs.E(errs.Invalid, "permit.error.extension_days").With("max", 30).OnField("days")
	}
	if n := utf8.RuneCountInString(reason); n < 10 || n > 1000 {
		return nil, errs.E(errs.Invalid, "permit.error.reason").OnField("reason")
	}
	var f *File
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var k *Kind
		var err error
		f, k, err = s.load(ctx, tx, a, authz.ReviewFile, id)
		if err != nil {
			return err
		}
		if version != 0 && version != f.Version {
			return errs.E(errs.Conflict, "permit.error.stale")
		}
		ds, err := deadlines(ctx, tx, f.ID, true)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ds, func(d StepDeadline) bool { return d.Step == step })
		if i < 0 {
			return errs.E(errs.Invalid, "permit.error.no_deadline").OnField("step")
		}
		due := s.cal.AddWorkingDays(ds[i].DueAt, days)
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET due_at = $1, extended_days = extended_days + $2,
			alerted_at = NULL WHERE id = $3`, due, days, ds[i].ID); err != nil {
			return fmt.Errorf("permit: extend: %w", err)
		}
		if err := s.refreshDue(ctx, tx, f); err != nil {
			return err
		}
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		data := map[string]any{"step": step, "days": days, "reason": reason, "due": due}
		return s.record(ctx, tx, a, k, f, "extended", "", "", data, true, now)
	})
	return f, err
}

// record appends an event to the file's timeline and to the audit chain.
func (s *Service) record(ctx context.Context, tx *db.Tx, a authz.Actor, k *Kind, f *File, kind string, from, to State,
	data map[string]any, public bool, now time.Time) error {
	label := "system"
	if !a.Anonymous() {
		label = authz.ActorLabel(a, f.Resource(k))
	}
	if err := insertEvent(ctx, tx, f.ID, Event{At: now, Actor: a.Person, ActorLabel: label, Kind: kind, From: from, To: to,
		Data: data, Public: public}); err != nil {
		return err
	}
	change := map[string]any{"ref": f.Ref, "version": f.Version}
	if from != to {
		change["from"], change["to"] = from, to
	}
	for k, v := range data {
		change[k] = v
	}
	_, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "permit." + kind, ObjectType: "permit_file",
		ObjectID: strconv.FormatInt(f.ID, 10), Change: change, At: now})
	return err
}

// Track is what anyone holding a file's number (or reference) and its
// tracking code may see: no names, no documents.
type Track struct {
	Display   string
	Kind      *Kind
	State     State
	Step      string
	Holder    string
	Window    *district.Window
	DueAt     *time.Time
	Submitted *time.Time
	Events    []Event
}

// PublicStatus answers the public tracking page. A wrong number or code
// answers "not found" alike, so numbers cannot be probed.
func (s *Service) PublicStatus(ctx context.Context, number, code string) (*Track, error) {
	// As people type them: Arabic-Indic digits, lower case, spaces.
	number = strings.ToUpper(textnorm.Digits(strings.TrimSpace(number)))
	code = strings.ToUpper(strings.ReplaceAll(textnorm.Digits(strings.TrimSpace(code)), " ", ""))
	if number == "" || code == "" || len(number) > 64 {
		return nil, errs.E(errs.NotFound, "permit.error.track")
	}
	col := "number"
	if strings.HasPrefix(number, "F") && strings.Count(number, "-") == 1 {
		col = "ref"
	}
	f, err := file(ctx, s.db, col, number)
	if err != nil || subtle.ConstantTimeCompare([]byte(f.TrackingCode), []byte(code)) != 1 {
		return nil, errs.E(errs.NotFound, "permit.error.track").Cause(err)
	}
	if f.State == Draft {
		return nil, errs.E(errs.NotFound, "permit.error.track")
	}
	k, err := s.kindOf(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	t := &Track{Display: f.Display(), Kind: k, State: f.State, Step: f.Step, Holder: f.Holder, DueAt: f.DueAt, Submitted: f.SubmittedAt}
	if w, err := s.window(ctx, f.Window); err == nil {
		t.Window = &w
	}
	if t.Events, err = events(ctx, s.db, f.ID, true); err != nil {
		return nil, err
	}
	for i := range t.Events {
		// The public timeline says what happened, never who or why.
		t.Events[i].ActorLabel, t.Events[i].Actor = "", 0
		t.Events[i].Data = publicData(t.Events[i].Data)
	}
	return t, nil
}

// publicData keeps what the public timeline may show of an event's data.
func publicData(d map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"number", "missing", "window", "days", "start"} {
		if v, ok := d[k]; ok {
			out[k] = v
		}
	}
	return out
}

// OwnerChoice is someone an applicant may file for.
type OwnerChoice struct {
	Person int64
	Legal  int64
	Name   string
	Self   bool     // the applicant themselves (or the legal person they act for)
	Kinds  []string // permit kinds they may file for this owner; nil: any the catalogue lets owners file
}

// Owners lists whom a may file for, in language lang: themselves (or the
// legal person they act for), then each owner whose active mandate they
// hold, with the kinds the mandates cover.
func (s *Service) Owners(ctx context.Context, a authz.Actor, lang string) ([]OwnerChoice, error) {
	if a.Anonymous() {
		return nil, authz.Check(a, authz.PrepareFile, authz.Resource{})
	}
	var out []OwnerChoice
	if a.ActingFor != 0 {
		l, err := s.people.LegalPerson(ctx, s.db, a.ActingFor)
		if err != nil {
			return nil, err
		}
		return []OwnerChoice{{Legal: l.ID, Name: l.DisplayName(lang), Self: true}}, nil
	}
	me, err := s.people.Person(ctx, s.db, a.Person)
	if err != nil {
		return nil, err
	}
	out = append(out, OwnerChoice{Person: me.ID, Name: me.DisplayName(lang), Self: true})
	now := s.now()
	for _, m := range a.Mandates {
		if now.Before(m.Starts) || !now.Before(m.Ends) || m.PermitKind == "" {
			continue
		}
		i := slices.IndexFunc(out, func(o OwnerChoice) bool { return !o.Self && o.Person == m.OwnerPerson && o.Legal == m.OwnerLegal })
		if i < 0 {
			o := OwnerChoice{Person: m.OwnerPerson, Legal: m.OwnerLegal}
			if m.OwnerLegal != 0 {
				l, err := s.people.LegalPerson(ctx, s.db, m.OwnerLegal)
				if err != nil {
					return nil, err
				}
				o.Name = l.DisplayName(lang)
			} else {
				p, err := s.people.Person(ctx, s.db, m.OwnerPerson)
				if err != nil {
					return nil, err
				}
				o.Name = p.DisplayName(lang)
			}
			out = append(out, o)
			i = len(out) - 1
		}
		if !slices.Contains(out[i].Kinds, m.PermitKind) {
			out[i].Kinds = append(out[i].Kinds, m.PermitKind)
		}
	}
	return out, nil
}

// FileOwner is who owns the file with reference ref: a person or a legal
// person (identity asks it of the file a mandate names, through its
// FileOwners interface, which the application checks this service meets
// at start). A reference no file has is not found.
func (s *Service) FileOwner(ctx context.Context, ref string) (ownerPerson, ownerLegal int64, err error) {
	var person, legal sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT owner_person_id, owner_legal_id FROM permit_files WHERE ref = $1`, ref).Scan(&person, &legal)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, notFound(fmt.Errorf("permit: no file with ref %q", ref))
	}
	if err != nil {
		return 0, 0, fmt.Errorf("permit: file owner: %w", err)
	}
	return person.Int64, legal.Int64, nil
}
