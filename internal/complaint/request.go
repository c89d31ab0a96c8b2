package complaint

import (
	"regexp"
	"slices"
	"time"

	"madina/internal/authz"
)

// State is where a request stands.
type State string

const (
	Received     State = "received"
	Acknowledged State = "acknowledged"
	InProgress   State = "in_progress"
	Waiting      State = "waiting" // on the citizen: the service-level clock is paused
	Resolved     State = "resolved"
	Closed       State = "closed"
	Reopened     State = "reopened"
)

// States lists every state, in the order of a request's life.
var States = []State{Received, Acknowledged, InProgress, Waiting, Resolved, Reopened, Closed}

// Open reports whether the team still has work on a request in s.
func (s State) Open() bool { return s != Resolved && s != Closed }

// Change is a move of the state machine, as the history and the audit
// name it.
type Change string

const (
	CFiled       Change = "filed"
	CAcknowledge Change = "acknowledge"
	CStart       Change = "start"
	CAsk         Change = "ask"   // the team asks the citizen for more: the clock pauses
	CReply       Change = "reply" // the citizen answers: the clock runs again
	CResolve     Change = "resolve"
	CClose       Change = "close"
	CReopen      Change = "reopen" // the reporter: not fixed, within ReopenWindow of the resolution
	// CPlan: the team tells the citizen the day the work is planned for
	// (Service.Plan; a reopening clears it).
	CPlan Change = "plan"
	// The team's moves that are not the state machine's (Reassign,
	// Merge): to another team with a reason; a duplicate closed as merged
	// into another request; the kept request's line about it.
	CReassign Change = "reassign"
	CMerge    Change = "merge"
	CMerged   Change = "merged"
	// CRelease: the team lets a request held for review (a flood) into
	// its queue.
	CRelease Change = "release"
)

// move is one change of the state machine: the states it leaves, the one
// it reaches, who makes it (the team, or the reporter) and whether it
// needs a note (the question, the answer, the public answer, the reason).
type move struct {
	from     []State
	to       State
	action   authz.Action
	needNote bool
}

// moves is the state machine. migrations/…/0032_complaints.sql holds the
// same pairs in its trigger: a move missing there is refused by the
// database too (TestStateMachineMatchesTheDatabase).
var moves = map[Change]move{
	CAcknowledge: {[]State{Received}, Acknowledged, authz.HandleRequest, false},
	CStart:       {[]State{Acknowledged, Reopened}, InProgress, authz.HandleRequest, false},
	CAsk:         {[]State{Received, Acknowledged, InProgress, Reopened}, Waiting, authz.HandleRequest, true},
	CReply:       {[]State{Waiting}, InProgress, authz.FollowRequest, true},
	CResolve:     {[]State{Received, Acknowledged, InProgress, Waiting, Reopened}, Resolved, authz.HandleRequest, true},
	CClose:       {[]State{Received, Acknowledged, InProgress, Waiting, Reopened, Resolved}, Closed, authz.HandleRequest, true},
	CReopen:      {[]State{Resolved}, Reopened, authz.FollowRequest, true},
	CPlan:        {[]State{Acknowledged, InProgress, Reopened}, InProgress, authz.HandleRequest, false},
}

// Changes lists the moves in the order pages offer them.
var Changes = []Change{CAcknowledge, CStart, CPlan, CAsk, CReply, CResolve, CClose, CReopen}

// allowed reports whether c may be made from s.
func (c Change) allowed(s State) bool {
	m, ok := moves[c]
	return ok && slices.Contains(m.from, s)
}

// ReopenWindow is how long after its resolution a reporter may reopen a
// request as not fixed.
const ReopenWindow = 30 * 24 * time.Hour

// Contact preferences: how the reporter wants to hear of changes.
const (
	ContactEmail = "email"
	ContactSMS   = "sms"
	ContactInbox = "inbox"
)

// Contacts lists the preferences offered.
var Contacts = []string{ContactInbox, ContactEmail, ContactSMS}

// Bounds of what a person types.
const (
	MaxDescription = 4000
	MaxAddress     = 300
	MaxNote        = 4000
	MaxPhotos      = 5
)

// Request is a citizen's request or complaint.
type Request struct {
	ID               int64
	Number           string
	TrackingCode     string
	Category         string
	CatalogueVersion string
	Reporter         int64
	Organisation     string
	Arrondissement   string
	Lat, Lon         *float64
	Address          string
	Description      string
	// PublicDescription is Description with phone numbers and e-mail
	// addresses masked: what anyone else than the reporter and the team
	// reads.
	PublicDescription string
	Answers           map[string]string
	Contact           string
	Private           bool
	State             State
	Version           int
	FiledAt           time.Time
	AckDue            time.Time
	ResolveDue        time.Time
	EscalateAt        time.Time
	AcknowledgedAt    *time.Time
	ResolvedAt        *time.Time
	ClosedAt          *time.Time
	WaitingSince      *time.Time
	PublicAnswer      string
	// PlannedFor is the day the team planned the work for (the start of
	// the day in Africa/Casablanca), nil when none is planned.
	PlannedFor *time.Time
	UpdatedAt  time.Time
	Photos     []Photo
	// WorkPhotos are the photos of the work done the team added when
	// resolving it: the reporters and the team read them, nobody else.
	WorkPhotos []Photo
	// Client is the Open311 client that posted the request (Reporter is
	// then 0), Open311Token what it may ask tokens/{token} about, and the
	// Via fields what it sent of the person: never published.
	Client       int64
	Open311Token string
	Via          Open311Person
	// MergedInto is the request a duplicate was merged into (it is then
	// closed); CoReporters the reporters of the duplicates merged into
	// this one, who hear of its changes too.
	MergedInto  int64
	CoReporters []int64
	// HeldAt: filed past the limits of one account or address (HeldReason),
	// the request waits for the team's review, out of the queue and of
	// everything public.
	HeldAt     *time.Time
	HeldReason string
	// ContactID: filed without an account, with an e-mail address or
	// phone number proven by a one-time code (Reporter is then 0).
	ContactID int64
}

// Open311Person is what an Open311 client sends of the person who
// reports (first_name and last_name, email, phone, device_id): kept for
// the team, never published.
type Open311Person struct {
	Name, Email, Phone, Device string
}

// Resource is the request as the policy sees it.
func (r *Request) Resource() authz.Resource {
	return authz.Resource{OwnerPerson: r.Reporter, Org: r.Organisation, Arrondissement: r.Arrondissement, Open311Client: r.Client,
		Involved: authz.Involved{}.AddPersons(r.Reporter).AddPersons(r.CoReporters...)}
}

// Overdue reports whether the request's next service-level deadline has
// passed at now: acknowledging while received, resolving while open. A
// request waiting on the citizen is never overdue.
func (r *Request) Overdue(now time.Time) bool {
	switch r.State {
	case Received:
		return now.After(r.AckDue)
	case Acknowledged, InProgress, Reopened:
		return now.After(r.ResolveDue)
	}
	return false
}

// Photo is one of a request's photos, re-encoded.
type Photo struct {
	Position      int
	SHA256        string
	Size          int64
	Width, Height int
	AddedAt       time.Time
}

// Event is a line of a request's history.
type Event struct {
	At         time.Time
	Actor      int64 // 0: the system
	ActorLabel string
	Kind       Change
	From, To   State
	Note       string
	// Planned is the day a plan's line gives (the start of the day in
	// Africa/Casablanca); nil on other lines.
	Planned *time.Time
}

var (
	// A phone number: nine digits or more (a Moroccan number has ten;
	// a date has eight), in any script, with the separators people type.
	phoneRE = regexp.MustCompile(`(?:\+|00)?[0-9٠-٩۰-۹](?:[ .\-/]?[0-9٠-٩۰-۹]){8,}`)
	emailRE = regexp.MustCompile(`[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+`)
)

// Mask is what stands for a masked phone number or address.
const Mask = "•••"

// MaskContacts returns s with phone numbers and e-mail addresses replaced
// by Mask: a description is published, its author's contact never.
func MaskContacts(s string) string {
	s = emailRE.ReplaceAllString(s, Mask)
	return phoneRE.ReplaceAllString(s, Mask)
}
