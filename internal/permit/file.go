package permit

import (
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
)

// State is where a permit file stands. The states and the transitions
// between them (the Transitions table) are the whole workflow: nothing
// changes a file's state but a transition of the table, checked by
// checkTransition. An actor's transitions go through (*Service).transition
// (Submit through its own path, for its completeness check and routing),
// which checks the table, asks the authorization policy and saves the file
// only at the version the caller saw; the legal clock applies the silence
// rule (TTacit) the same way, with no actor.
type State string

const (
	Draft       State = "draft"        // the applicant prepares it
	Submitted   State = "submitted"    // complete on the applicant's side; the window checks it
	Returned    State = "returned"     // the window found it incomplete; back with the applicant, clock paused
	Accepted    State = "accepted"     // complete: numbered, ready for the committee (urban)
	UnderReview State = "under_review" // economic: the officer reviews and decides
	// InfoRequested: economic, the officer asked the applicant for more;
	// the clock is paused until they answer.
	InfoRequested State = "info_requested"
	Approved      State = "approved"  // economic: granted, by the officer or by silence
	Refused       State = "refused"   // economic: refused with reasons
	Withdrawn     State = "withdrawn" // the applicant gave up before acceptance
)

// States lists every state, in workflow order.
var States = []State{Draft, Submitted, Returned, Accepted, UnderReview, InfoRequested, Approved, Refused, Withdrawn}

// Uploads reports whether the applicant may add documents to f now: in
// a state where they may, or answering the committee's remarks.
func (f *File) Uploads() bool {
	return f.State.Uploads() || (f.State == Accepted && f.Holder == HolderApplicant && f.Step == StepRemarks)
}

// Uploads reports whether the applicant may add documents in state s.
func (s State) Uploads() bool { return s == Draft || s == Returned || s == InfoRequested }

// Closed reports whether nothing more happens to a file in state s.
func (s State) Closed() bool { return s == Approved || s == Refused || s == Withdrawn }

// Who holds a file: whose move it is.
const (
	HolderApplicant = "applicant"
	HolderWindow    = "window"
	HolderCommittee = "committee"
	HolderNone      = "none"
)

// holderOf is who holds a file in each state.
var holderOf = map[State]string{
	Draft: HolderApplicant, Submitted: HolderWindow, Returned: HolderApplicant, Accepted: HolderWindow,
	UnderReview: HolderWindow, InfoRequested: HolderApplicant, Approved: HolderNone, Refused: HolderNone, Withdrawn: HolderNone,
}

// Transition names.
const (
	TSubmit   = "submit"   // draft → submitted
	TResubmit = "resubmit" // returned → submitted
	TWithdraw = "withdraw" // draft, submitted, returned → withdrawn
	TReturn   = "return"   // submitted → returned, with what is missing
	TAccept   = "accept"   // submitted → accepted (urban) or under_review (economic)
	TApprove  = "approve"  // under_review → approved (economic)
	TRefuse   = "refuse"   // under_review → refused (economic)
	TTacit    = "tacit"    // under_review (economic), accepted (urban, tacit_urban.go) → approved by the administration's silence (the clock)
	TAsk      = "ask"      // under_review → info_requested: the officer asks for more (economic)
	TAnswer   = "answer"   // info_requested → under_review: the applicant answered
	// TDispatch (dispatch.go): accepted → accepted, from the window to
	// the committee (urban). TRemarks, TRevise, TForward (rounds.go) and
	// TGrant, TReject (decide.go): the committee's rounds and the
	// president's decision (urban).
)

// Transition is an allowed move of the workflow.
type Transition struct {
	Name   string
	From   []State
	To     map[string]State // by family; "" for any
	Action authz.Action     // the policy decides who may; "" for the system only
	// Holder and Step, when set, are who must hold the file and at which
	// step: an accepted urban file moves through several hands.
	Holder, Step string
}

// fits reports whether f is where t starts: its holder and step.
func (t Transition) fits(f *File) bool {
	return (t.Holder == "" || t.Holder == f.Holder) && (t.Step == "" || t.Step == f.Step)
}

func (t Transition) target(family string) (State, bool) {
	if s, ok := t.To[family]; ok {
		return s, true
	}
	s, ok := t.To[""]
	return s, ok
}

// Transitions is the workflow.
var Transitions = []Transition{
	{Name: TSubmit, From: []State{Draft}, To: map[string]State{"": Submitted}, Action: authz.PrepareFile},
	{Name: TResubmit, From: []State{Returned}, To: map[string]State{"": Submitted}, Action: authz.PrepareFile},
	{Name: TWithdraw, From: []State{Draft, Submitted, Returned}, To: map[string]State{"": Withdrawn}, Action: authz.PrepareFile},
	{Name: TReturn, From: []State{Submitted}, To: map[string]State{"": Returned}, Action: authz.ReviewFile},
	{Name: TAccept, From: []State{Submitted}, To: map[string]State{Urban: Accepted, Economic: UnderReview}, Action: authz.ReviewFile},
	{Name: TApprove, From: []State{UnderReview}, To: map[string]State{Economic: Approved}, Action: authz.ReviewFile},
	{Name: TRefuse, From: []State{UnderReview}, To: map[string]State{Economic: Refused}, Action: authz.ReviewFile},
	{Name: TAsk, From: []State{UnderReview}, To: map[string]State{Economic: InfoRequested}, Action: authz.ReviewFile},
	{Name: TAnswer, From: []State{InfoRequested}, To: map[string]State{Economic: UnderReview}, Action: authz.PrepareFile},
	{Name: TTacit, From: []State{UnderReview, Accepted}, To: map[string]State{Economic: Approved, Urban: Approved}},
	{Name: TDispatch, From: []State{Accepted}, To: map[string]State{Urban: Accepted}, Action: authz.ReviewFile, Holder: HolderWindow},
	{Name: TRemarks, From: []State{Accepted}, To: map[string]State{Urban: Accepted}, Action: authz.ReviewFile, Holder: HolderWindow, Step: StepMinutes},
	{Name: TForward, From: []State{Accepted}, To: map[string]State{Urban: Accepted}, Action: authz.ReviewFile, Holder: HolderWindow, Step: StepMinutes},
	{Name: TRevise, From: []State{Accepted}, To: map[string]State{Urban: Accepted}, Action: authz.PrepareFile, Holder: HolderApplicant, Step: StepRemarks},
	{Name: TGrant, From: []State{Accepted}, To: map[string]State{Urban: Approved}, Action: authz.DecideFile, Holder: HolderCommittee, Step: StepDecision},
	{Name: TReject, From: []State{Accepted}, To: map[string]State{Urban: Refused}, Action: authz.DecideFile, Holder: HolderCommittee, Step: StepDecision},
}

// transitionNamed returns the transition called name.
func transitionNamed(name string) (Transition, bool) {
	i := slices.IndexFunc(Transitions, func(t Transition) bool { return t.Name == name })
	if i < 0 {
		return Transition{}, false
	}
	return Transitions[i], true
}

// Allowed lists the transitions a file in state s of family may take, in
// table order (the policy still decides who may take them).
func Allowed(s State, family string) []string {
	var out []string
	for _, t := range Transitions {
		if _, ok := t.target(family); ok && slices.Contains(t.From, s) {
			out = append(out, t.Name)
		}
	}
	return out
}

// checkTransition refuses a move the workflow does not have.
func checkTransition(t Transition, from State, family string) (State, error) {
	to, ok := t.target(family)
	if !ok || !slices.Contains(t.From, from) {
		return "", errs.E(errs.Conflict, "permit.error.transition").With("action", t.Name).With("state", string(from))
	}
	return to, nil
}

// File is a permit file.
type File struct {
	ID               int64
	Ref              string // stable from creation; mandates name it
	Number           string // official number, from acceptance
	TrackingCode     string
	Kind             string
	Family           string
	CatalogueVersion string
	OwnerPerson      int64
	OwnerLegal       int64
	CreatedBy        int64
	State            State
	Step             string // the schedule step under way
	Holder           string
	Title            string
	Address          string
	Arrondissement   string
	Location         string // GeoJSON geometry, "" when not given
	Lon, Lat         float64
	Fields           Values
	Window           string
	RouteRule        string
	Schedule         string
	Committee        string
	DueAt            *time.Time // the current step's deadline, nil when none runs
	DecisionReason   string
	Tacit            bool
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SubmittedAt      *time.Time
	AcceptedAt       *time.Time
	ClosedAt         *time.Time
	Parties          []Party
	// Involved is who has a stake in the file as stored (owner, filer,
	// parties, professionals mandated on it), read with it.
	Involved authz.Involved
	// Seats are the organisations sitting on its committee (dispatch.go),
	// read with it: their committee members read the file.
	Seats []string
}

// Resource is the file as the policy sees it. Whoever is involved in it —
// its owner, its filer, the people named as parties and the professionals
// holding a mandate on it — may not act on it for the administration.
func (f *File) Resource(k *Kind) authz.Resource {
	inv := f.Involved.AddPersons(f.OwnerPerson, f.CreatedBy).AddLegals(f.OwnerLegal)
	for _, p := range f.Parties {
		inv = inv.AddPersons(p.PersonID)
	}
	r := authz.Resource{OwnerPerson: f.OwnerPerson, OwnerLegal: f.OwnerLegal, PermitKind: f.Kind, FileRef: f.Ref, Window: f.Window,
		Involved: inv, Seats: f.Seats}
	if k != nil {
		r.RequiresArchitect = k.ArchitectRequired
	}
	return r
}

// Display is the number people quote: the official one once given, else
// the reference.
func (f *File) Display() string {
	if f.Number != "" {
		return f.Number
	}
	return f.Ref
}

// Party roles.
const (
	PartyArchitect = "architect"
	PartyEngineer  = "engineer"
	PartySurveyor  = "surveyor"
)

// PartyRoles lists the roles a file names.
var PartyRoles = []string{PartyArchitect, PartyEngineer, PartySurveyor}

// Party is a professional named on a file.
type Party struct {
	Role         string `json:"role"`
	PersonID     int64  `json:"person_id,omitempty"`
	Name         string `json:"name"`
	Registration string `json:"registration,omitempty"`
}

// Upload is one uploaded version of a checklist item.
type Upload struct {
	ID          int64     `json:"id"`
	Item        string    `json:"item"`
	Version     int       `json:"version"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	Name        string    `json:"name"`
	Pages       int       `json:"pages,omitempty"`
	UploadedBy  int64     `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
	// Signature: the document is a signed copy, made in Madina, of the
	// applicant's document Signs (SignDocument).
	Signature *DocumentSignature `json:"signature,omitempty"`
}

// DocumentSignature says who signed a document in Madina: the signer's
// name and certificate serial (hex), when, and the document signed.
type DocumentSignature struct {
	Signs    int64     `json:"signs"`
	By       int64     `json:"signed_by"`
	Signer   string    `json:"signer"`
	Serial   string    `json:"serial"`
	SignedAt time.Time `json:"signed_at"`
}

// Event is a line of a file's timeline.
type Event struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	Actor      int64          `json:"actor,omitempty"`
	ActorLabel string         `json:"actor_label"`
	Kind       string         `json:"kind"`
	From       State          `json:"from,omitempty"`
	To         State          `json:"to,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	Public     bool           `json:"public"`
}

// StepDeadline is a legal deadline running (or run) on a file.
type StepDeadline struct {
	ID           int64      `json:"id"`
	Step         string     `json:"step"`
	Actor        string     `json:"actor"`
	Source       string     `json:"source"`
	Silence      string     `json:"silence,omitempty"`
	StartsAt     time.Time  `json:"starts_at"`
	DueAt        time.Time  `json:"due_at"`
	PausedAt     *time.Time `json:"paused_at,omitempty"`
	ExtendedDays int        `json:"extended_days,omitempty"`
	MetAt        *time.Time `json:"met_at,omitempty"`
	AlertedAt    *time.Time `json:"alerted_at,omitempty"`
	Outcome      string     `json:"outcome,omitempty"`
}

// Open reports whether the deadline still runs (or waits, paused).
func (d StepDeadline) Open() bool { return d.MetAt == nil }

// Overall is the step code of a file's overall deadline.
const Overall = "overall"

// Appointment is a deposit appointment at a window.
type Appointment struct {
	ID       int64     `json:"id"`
	Window   string    `json:"window"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Status   string    `json:"status"`
	Sequence int       `json:"sequence"`
}

// Appointment statuses.
const (
	AppointmentBooked    = "booked"
	AppointmentCancelled = "cancelled"
	AppointmentMoved     = "moved" // replaced by a later booking
)
