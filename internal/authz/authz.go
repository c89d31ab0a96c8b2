// Package authz is Madina's one authorization policy. Every handler and job
// asks Decide (or Check) before acting; nothing else decides who may do
// what. It denies by default, and hides other people's objects: asking for
// someone else's profile, session or mandate answers "not found", never
// "forbidden", so IDs cannot be probed.
package authz

import (
	"embed"
	"fmt"
	"slices"
	"time"

	"madina/internal/platform/errs"
)

// Role is a staff role, always held in an organisation.
type Role string

const (
	Admin            Role = "admin"             // organisations, roles, scopes; verifies professionals
	WindowAgent      Role = "window_agent"      // a single window's agent
	CommitteeMember  Role = "committee_member"  // member of permit committees for an organisation
	ComplaintOfficer Role = "complaint_officer" // handles complaints in a department
	FacilityManager  Role = "facility_manager"  // Casa In facilities
	Dispatcher       Role = "dispatcher"        // Casa In ambulances
	Editor           Role = "editor"            // news and open data
	Moderator        Role = "moderator"         // Casastore
	Auditor          Role = "auditor"           // reads the audit log
	// President of the commune or of an arrondissement: decides the
	// urban files of their window (the grant names it) once its
	// committee has concluded, and signs the decision.
	President Role = "president"
)

// Roles lists every staff role.
var Roles = []Role{Admin, WindowAgent, CommitteeMember, ComplaintOfficer, FacilityManager, Dispatcher, Editor, Moderator, Auditor, President}

// Grant is a role held in an organisation, limited to an arrondissement or
// a window where it applies.
type Grant struct {
	Role           Role
	Org            string
	Arrondissement string // "" = the whole organisation
	Window         string // window agents and presidents: their window
}

// Mandate lets a professional act for an owner, for one file or for every
// file of a permit kind, until Ends.
type Mandate struct {
	ID           int64
	OwnerPerson  int64 // exactly one of OwnerPerson, OwnerLegal
	OwnerLegal   int64
	FileRef      string // "" = every file of PermitKind
	PermitKind   string
	Starts, Ends time.Time
}

// covers reports whether m lets its professional act on r at now.
func (m Mandate) covers(r Resource, now time.Time) bool {
	if now.Before(m.Starts) || !now.Before(m.Ends) {
		return false
	}
	if r.OwnerLegal != 0 {
		if m.OwnerLegal != r.OwnerLegal {
			return false
		}
	} else if r.OwnerPerson == 0 || m.OwnerPerson != r.OwnerPerson {
		return false
	}
	if m.FileRef != "" {
		return r.FileRef != "" && m.FileRef == r.FileRef
	}
	return m.PermitKind != "" && m.PermitKind == r.PermitKind
}

// Professions.
const (
	Architect = "architect"
	Engineer  = "engineer"
	Surveyor  = "surveyor"
)

// Actor is who asks: built once per request from the session or API token.
type Actor struct {
	Person               int64   // 0: anonymous
	EmailVerified        bool    // may create things in their name
	ActingFor            int64   // the legal person they act for now; 0: themselves
	Represents           []int64 // legal persons they may act for
	Profession           string  // architect, engineer, surveyor or ""
	ProfessionalVerified bool    // staff verified the registration
	Grants               []Grant
	MFA                  bool      // the session passed a second factor
	Token                bool      // authenticated by API token rather than a browser session
	Scopes               []Scope   // the token's scopes
	Mandates             []Mandate // mandates received, active or not
	Now                  time.Time // the decision's time (mandate dates)
	// System marks whoever operates the server, acting through the command
	// line (madina admin, the demonstration's loader, the organisations
	// seeded at start): no person, and only the actions systemActions
	// lists. Never built from a request.
	System bool
	// Open311Client is an application staff registered to post citizens'
	// requests through Open311 (issue #16), known by its api_key: no
	// person, and only FileRequest. Never a person's session or token.
	Open311Client int64
	// Contact is an e-mail address or phone number proven by a one-time
	// code, filing without an account where the category allows it
	// (issue #16): no person, and only FileRequest.
	Contact int64
}

// systemActions are what the server's operator may do without a person:
// open staff accounts with their roles (the first administrator has no one
// to appoint them) and keep the organisations. Verifying a professional is
// not among them: the schema records which administrator did it.
// The commune's seal on the documents Madina issues by itself (receipts)
// is the system's too: no person acts.
var systemActions = []Action{ManageStaff, ManageOrgs, SealDocument, DispatchFile, SweepRequests, ManagePlaces, ManageOpen311Clients, SweepBookings,
	ImportAddresses}

// Anonymous reports whether nobody is signed in.
func (a Actor) Anonymous() bool { return a.Person == 0 }

// HasRole reports whether a holds role r in any organisation.
func (a Actor) HasRole(r Role) bool {
	for _, g := range a.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}

// Staff reports whether a holds any staff role.
func (a Actor) Staff() bool { return len(a.Grants) > 0 }

func (a Actor) represents(legal int64) bool {
	for _, id := range a.Represents {
		if id == legal {
			return true
		}
	}
	return false
}

// Scope is a permission an API token carries.
type Scope string

const (
	ScopeProfileRead Scope = "profile:read"
	ScopeInboxRead   Scope = "inbox:read"
	ScopeFilesRead   Scope = "files:read"
	ScopeFilesWrite  Scope = "files:write"
	// ScopeCertificatesRead and ScopeCertificatesWrite: a signer's own
	// signing certificate through the API (issue #11): read its status;
	// enrol and revoke it.
	ScopeCertificatesRead  Scope = "certificates:read"
	ScopeCertificatesWrite Scope = "certificates:write"
	// ScopeSign lets a token sign with its holder's key (the PIN is
	// still asked for every act): a document of a file they prepare.
	ScopeSign Scope = "signatures:sign"
	// ScopeRequestsRead and ScopeRequestsWrite: the citizen's own
	// requests and complaints (issue #16): reading them, filing, and
	// following them up (answering the team, reopening, rating).
	ScopeRequestsRead  Scope = "requests:read"
	ScopeRequestsWrite Scope = "requests:write"
	// ScopeRequestsWork is the team's work on requests through the API
	// (issue #16): the queue, acknowledging, asking, planning,
	// reassigning, merging, resolving. Only a staff token carries it.
	ScopeRequestsWork Scope = "requests:work"
)

// StaffTokenScopes are what a staff token may carry: issued from a
// browser session that passed the second factor, bound to it and short
// (identity.MaxStaffToken), it keeps its holder's grants — as they are at
// each use — for these scopes' actions and no other.
var StaffTokenScopes = []Scope{ScopeRequestsRead, ScopeRequestsWork}

// Scopes a person may give a token.
var Scopes = []Scope{ScopeProfileRead, ScopeInboxRead, ScopeFilesRead, ScopeFilesWrite, ScopeCertificatesRead, ScopeCertificatesWrite,
	ScopeSign, ScopeRequestsRead, ScopeRequestsWrite}

// Action is something an actor wants to do.
type Action string

const (
	ReadProfile        Action = "profile.read"       // own profile, legal persons, mandates list
	UpdateProfile      Action = "profile.update"     // names, phone, preferences
	ExportData         Action = "profile.export"     // download my data
	ManageSecurity     Action = "security.manage"    // sessions, second factor, password
	ManageTokens       Action = "tokens.manage"      // personal API tokens
	ReadInbox          Action = "inbox.read"         // notification inbox
	CreateLegalPerson  Action = "legal.create"       // register a company or association they represent
	ActFor             Action = "legal.act_for"      // switch to acting for a legal person
	GrantMandate       Action = "mandate.grant"      // as owner, give a professional a mandate
	RevokeMandate      Action = "mandate.revoke"     // as owner
	ReadMandate        Action = "mandate.read"       // owner or professional
	DeclareProfession  Action = "profession.declare" // ask to be verified as a professional
	PrepareFile        Action = "file.prepare"       // act on an owner's permit file (owner, or professional under mandate)
	SignPlans          Action = "plans.sign"         // sign plans of an owner's file: the architect under mandate
	ReadFile           Action = "file.read"          // see a permit file: owner, professional under mandate, agent of its window
	ReviewFile         Action = "file.review"        // window work on a file: accept, return, decide, extend; agents of its window
	VerifyProfessional Action = "professional.verify"
	ManageStaff        Action = "staff.manage"
	ManageOrgs         Action = "orgs.manage"
	ReadAudit          Action = "audit.read"
	DecideLegalClaim   Action = "legal.claim.decide" // approve or refuse a claim to represent a registered legal person: its representatives, or an administrator
	ReadDesign         Action = "design.read"        // the living style page of the components: any staff member
	ReadQueue          Action = "queue.read"         // a window's queue and its counts: its agents; administrators (overview)
	// RemoveDocument takes an uploaded document off a permit file the
	// applicant still holds: whoever may prepare the file (the permit
	// service adds when: never a document already handed to the window).
	RemoveDocument Action = "file.document.remove"
	// Electronic signature (issue #11). The resource's OwnerPerson is the
	// signer whose key or certificate it is.
	ReadSigner    Action = "signature.read"   // the status of one's own signing certificate
	EnrolSigner   Action = "signature.enrol"  // get (or import) one's own signing certificate: verified staff and architects
	Sign          Action = "signature.sign"   // unlock one's own key to sign one act: only as oneself
	RevokeSigner  Action = "signature.revoke" // revoke one's own signing certificate
	ManageSigners Action = "signature.manage" // list every signer's certificate and revoke one: administrators, officially
	// SealDocument signs a document Madina issues automatically (a deposit
	// receipt) with the commune's electronic seal: the system only, never
	// a person (law 43-20: a legal person's seal is no person's signature).
	SealDocument Action = "signature.seal"
	// ReadStudies lists the files a committee member's organisations
	// sit on, to study (issue #12): committee members; and the files
	// waiting for a president's decision: presidents.
	ReadStudies Action = "committee.files"
	// GiveOpinion records an organisation's opinion on a file it sits on:
	// its committee members, officially (nobody on their own case).
	GiveOpinion Action = "file.opinion"
	// DecideFile grants or refuses an urban file's permit once its
	// committee concluded: the president of its window, officially.
	DecideFile Action = "file.decide"
	// ReadSession reads a committee session and its agenda (issue #12,
	// point 3): the committee members of the organisations sitting on
	// its committee (Resource.Seats) and the agents of its window.
	ReadSession Action = "committee.session.read"
	// ManageAgenda plans a committee's agendas and freezes a session's:
	// the agents of the committee's window (its secretariat),
	// officially (never when a file on the agenda is their own case).
	ManageAgenda Action = "committee.agenda.manage"
	// SignMinutes signs a committee session's minutes (issue #12, point
	// 6): a committee member of an organisation sitting on it, then the
	// president of its window, officially (never when a file on it is
	// their own case). Whether they were present is the minutes' rule,
	// not the policy's.
	SignMinutes Action = "committee.minutes.sign"
	// ManageFeed shows and renews a committee member's own private
	// calendar feed of their sessions.
	ManageFeed Action = "committee.feed.manage"
	// DeclareAbsence declares (or cancels) one's own absence from one's
	// committee work, with a substitute: committee members, their own.
	DeclareAbsence Action = "committee.absence"
	// DispatchFile is Madina's own dispatch of an accepted urban file to
	// its committee, by the catalogue's rules (issue #12, point 2): the
	// system only. A window's agent dispatches with file.review.
	DispatchFile Action = "file.dispatch.auto"
	// Citizens' requests and complaints (issue #16). The resource's
	// OwnerPerson is the reporter, Org the organisation responsible for
	// the request's category, Arrondissement where it is.
	//
	// FileRequest files a request under one's own account: any person
	// with a verified address, not from a staff account.
	FileRequest Action = "request.file"
	// ReadRequest reads a request whole (contact, exact place, history):
	// its reporter; the complaint officers of the responsible
	// organisation whose grant covers its arrondissement.
	ReadRequest Action = "request.read"
	// FollowRequest is the reporter's part: answer a question, reopen a
	// request resolved as "not fixed".
	FollowRequest Action = "request.follow"
	// HandleRequest is the team's work on a request (acknowledge, ask the
	// citizen, resolve, close with a public answer): its complaint
	// officers, officially (never on a request of their own).
	HandleRequest Action = "request.handle"
	// ReadRequestQueue lists an organisation's requests: its complaint
	// officers (their grant's arrondissement limits the rows).
	ReadRequestQueue Action = "request.queue"
	// SweepRequests is the service-level clock's acts on requests:
	// closing one resolved long enough ago that its reporter may no longer
	// reopen it, alerting its team when a deadline passes, escalating it.
	// The system only.
	SweepRequests Action = "request.sweep"
	// ManageOpen311Clients registers the applications that post requests
	// through Open311 and gives (or revokes) their keys: administrators,
	// officially, and the server's operator from the command line.
	ManageOpen311Clients Action = "request.open311.clients"
	// Plan review (issue #13). ReadAnnotations reads the annotations of
	// a file's plan sheet shared with the applicant: whoever reads the
	// file. ReadCommitteeNotes reads those kept for the committee too:
	// the agents of its window, the members of the organisations sitting
	// on it and its president, officially (never on their own case);
	// the applicant is told they are the committee's. Annotate draws,
	// measures and changes an annotation's status: the same staff,
	// officially. ReplyAnnotation answers on an annotation: the
	// applicant (its owner, or a verified professional under mandate),
	// or the same staff, officially.
	ReadAnnotations    Action = "plan.annotations.read"
	ReadCommitteeNotes Action = "plan.annotations.committee"
	Annotate           Action = "plan.annotate"
	ReplyAnnotation    Action = "plan.annotation.reply"
	// ManagePlaces adds, changes and imports the places of the city's
	// directory (issue #14; Resource.Arrondissement is the place's): the
	// editors whose grant covers its arrondissement, and the system
	// operator loading a city's directory.
	ManagePlaces Action = "place.manage"
	// Casa In, booking public services (issue #15). The resource's
	// OwnerPerson is the person a booking is for, OwnerLegal the
	// association it is for (its representatives are involved), Org
	// the organisation running the facility, Arrondissement where it is.
	//
	// BookFacility books, requests a peak slot, joins a waitlist or asks
	// an ambulance, in one's own name or the association one acts for:
	// a person with a verified address, not from a staff account (the
	// holder is bound to that identity).
	BookFacility Action = "booking.book"
	// ReadBooking reads a booking whole: its holder; the facility
	// managers of the organisation running the facility whose grant
	// covers its arrondissement.
	ReadBooking Action = "booking.read"
	// ManageBooking is the facility managers' official work on a
	// booking (approve, refuse, check in, record a no-show, run a draw):
	// never on a booking of their own or of an association they belong
	// to.
	ManageBooking Action = "booking.manage"
	// ReadBookingDesk lists an organisation's facilities' bookings,
	// approvals and waitlists: its facility managers.
	ReadBookingDesk Action = "booking.desk"
	// DispatchAmbulance assigns a vehicle to an ambulance request and
	// moves it on: the dispatchers of the organisation running the
	// service, officially.
	DispatchAmbulance Action = "ambulance.dispatch"
	// SweepBookings is the booking clock's acts: no-shows recorded,
	// waitlist offers lapsing, draws held at their time. The system only.
	SweepBookings Action = "booking.sweep"
	// ManageTeam is a person's part in Casa In's teams, always in their
	// own name (OwnerPerson is whom the act is for): the captain creates
	// a team, invites, removes a member; the invited person accepts or
	// declines; a member leaves and shows their own check-in code for the
	// team's slots. A person with a verified address, not from a staff
	// account and not acting for an association (a team is people).
	ManageTeam Action = "booking.team"
	// ImportAddresses loads the city's address gazetteer, the GIS
	// department's file, replacing the source's earlier addresses
	// (issue #14): the system operator only, by the command line — a
	// whole city's addresses at once is no one editor's work.
	ImportAddresses Action = "address.import"
	// IssueStaffToken issues oneself a staff token for a team's tool
	// (StaffTokenScopes): the complaint officers, from a browser session
	// that passed the second factor, never from a token.
	IssueStaffToken Action = "tokens.staff.issue"
	// ContestPenalty contests a penalty of Casa In's ladder (a no-show,
	// a booking handed over) before the facility's managers review it.
	// The penalty is the booking's owner's: a person's own booking's, the
	// person in their own name; an association's booking's (OwnerLegal),
	// the association's, so any of its current representatives acting
	// for it — never from a personal session (told to act for it) nor by
	// someone who does not represent it (hidden).
	ContestPenalty Action = "booking.contest"
	// CreateFacility adds a facility to Casa In's list (Resource.Org is
	// the organisation that will run it, Arrondissement where it is): the
	// facility managers of that organisation whose grant covers the
	// arrondissement, officially. Never another organisation's.
	CreateFacility Action = "booking.facility_create"
)

// Actions lists every action, for the policy's table test.
var Actions = []Action{ReadProfile, UpdateProfile, ExportData, ManageSecurity, ManageTokens, ReadInbox,
	CreateLegalPerson, ActFor, GrantMandate, RevokeMandate, ReadMandate, DeclareProfession, PrepareFile, SignPlans,
	ReadFile, ReviewFile, VerifyProfessional, ManageStaff, ManageOrgs, ReadAudit, DecideLegalClaim, ReadDesign, ReadQueue,
	RemoveDocument, ReadSigner, EnrolSigner, Sign, RevokeSigner, ManageSigners, SealDocument, ReadStudies,
	GiveOpinion, DecideFile, ReadSession, ManageAgenda, SignMinutes, ManageFeed, DeclareAbsence, DispatchFile,
	FileRequest, ReadRequest, FollowRequest, HandleRequest, ReadRequestQueue, SweepRequests,
	ReadAnnotations, ReadCommitteeNotes, Annotate, ReplyAnnotation, ManagePlaces, ManageOpen311Clients,
	BookFacility, ReadBooking, ManageBooking, ReadBookingDesk, DispatchAmbulance, SweepBookings, ManageTeam, ImportAddresses,
	IssueStaffToken, ContestPenalty, CreateFacility}

// Resource is what the action is on. Zero fields do not apply.
type Resource struct {
	OwnerPerson       int64  // the person it belongs to
	OwnerLegal        int64  // the legal person it belongs to
	Professional      int64  // for a mandate: the professional it names
	PermitKind        string // for files
	FileRef           string
	RequiresArchitect bool   // the permit kind legally requires an architect
	Window            string // for files: the single window handling it ("" before routing)
	// Org and Arrondissement: for a citizen's request, the organisation
	// responsible for it and the arrondissement it is in.
	Org            string
	Arrondissement string
	// Open311Client: for a request an Open311 client posted, that client.
	Open311Client int64
	// Seats are the organisations sitting on a file's committee once it
	// is dispatched: their committee members read the file.
	Seats []string
	// Involved is who has a stake in the case besides its owner (who
	// always counts): whoever filed it, the parties named on it, the
	// professionals holding a mandate on it, the person a staff decision
	// is about. No staff member among them may act on it officially.
	Involved Involved
}

// Involved lists the people and legal persons involved in a case.
type Involved struct {
	Persons []int64
	Legals  []int64
}

// AddPersons returns i with the people added (zero ids skipped).
func (i Involved) AddPersons(ids ...int64) Involved {
	i.Persons = addIDs(i.Persons, ids)
	return i
}

// AddLegals returns i with the legal persons added (zero ids skipped).
func (i Involved) AddLegals(ids ...int64) Involved {
	i.Legals = addIDs(i.Legals, ids)
	return i
}

func addIDs(to, ids []int64) []int64 {
	to = slices.Clip(to) // never write into the caller's spare capacity
	for _, id := range ids {
		if id != 0 && !slices.Contains(to, id) {
			to = append(to, id)
		}
	}
	return to
}

// Reason is why the policy decided as it did: one of the constants below,
// so that callers compare constants and a refusal's message is looked up
// from its reason (refusalKeys), never chosen by comparing text.
type Reason string

// Reasons of a refusal.
const (
	ReasonAnonymous       Reason = "anonymous"
	ReasonTokenAction     Reason = "not allowed to API tokens"
	ReasonTokenScope      Reason = "token lacks scope" // Detail: the scope
	ReasonNotOwn          Reason = "not their own"
	ReasonEmailUnverified Reason = "e-mail not verified"
	ReasonNotRep          Reason = "not a representative"
	ReasonNotOwner        Reason = "not the owner"
	ReasonNoStanding      Reason = "neither owner nor professional"
	ReasonNoFileAccess    Reason = "neither owner, mandated professional nor agent of the window"
	ReasonNotAgent        Reason = "not an agent of the file's window"
	ReasonNotMember       Reason = "not a committee member"
	ReasonNotPresident    Reason = "not the president of the file's window"
	ReasonNotOfficer      Reason = "not a complaint officer of the responsible organisation here"
	// ReasonNotFacilityStaff: not a facility manager (or dispatcher) of
	// the organisation running the facility, here.
	ReasonNotFacilityStaff Reason = "not a facility manager or dispatcher of the organisation here"
	// ReasonNotSeated refuses a committee member a session of a committee
	// none of their organisations sits on: told, not hidden (a session's
	// date is no secret, and they may have followed a wrong link).
	ReasonNotSeated       Reason = "does not sit on this committee"
	ReasonNoClaimStanding Reason = "neither a representative nor an administrator"
	ReasonNoMandate       Reason = "no mandate"
	ReasonArchitect       Reason = "an architect is required"
	ReasonUnverifiedPro   Reason = "professional not verified"
	ReasonNeedsRole       Reason = "needs role" // Detail: the role
	ReasonNeedsStaff      Reason = "needs a staff role"
	ReasonSecondFactor    Reason = "second factor required"
	ReasonUnknownAction   Reason = "unknown action"
	ReasonSystemOnly      Reason = "the system's act, no person's"
	// ReasonOpen311Client: an Open311 client files requests, and does
	// nothing else.
	ReasonOpen311Client Reason = "an Open311 client: files requests, and follows up only those it posted"
	// ReasonOpen311Posted: an Open311 client follows up (answers,
	// reopens) a request it posted itself, for the person who used it.
	ReasonOpen311Posted Reason = "an Open311 client following up a request it posted"
	// ReasonProvenContact: a contact proven by a one-time code files
	// requests, and does nothing else.
	ReasonProvenContact Reason = "a proven contact without an account: files requests only"
	// ReasonConflict is the reason of a refusal for a conflict of
	// interest: the actor holds the staff role the action needs but is
	// involved in the case (see Actor.involvedIn).
	ReasonConflict Reason = "conflict of interest: involved in the case"
	// ReasonStaffAccount refuses a citizen's own business (registering a
	// company, declaring a profession, giving a mandate) to a staff
	// account: it works for the administration, and its holder uses a
	// personal account as a citizen. Hidden, so that pages leave these
	// sections out for staff.
	ReasonStaffAccount Reason = "a staff account: citizens' own business is done from a personal account"
	// ReasonNotSigner refuses a signing key to whoever is neither staff
	// nor a verified architect.
	ReasonNotSigner Reason = "neither staff nor a verified architect"
	// ReasonSignAsOther refuses to sign with someone else's key.
	ReasonSignAsOther Reason = "signs only as themself"
	// ReasonActingFor refuses a signing key to someone acting for a legal
	// person: a signature is a person's own.
	ReasonActingFor Reason = "acting for a legal person"
	// ReasonCommitteeOnly refuses the applicant the annotations the
	// committee keeps for itself: told, since they know the file.
	ReasonCommitteeOnly Reason = "the committee's own annotations"
	// ReasonApplicantAnswers refuses the applicant drawing on the plans:
	// the committee and the window annotate, the applicant answers.
	ReasonApplicantAnswers Reason = "the applicant answers on annotations"
	// ReasonActAsOwner refuses, with a message saying so, what the
	// actor may do only in the name it belongs to: a representative of
	// the association it belongs to, from a personal session or acting
	// for another (or a person, on their own, while acting for one).
	ReasonActAsOwner Reason = "may do this only acting in the owner's name"
)

// Reasons of a permission.
const (
	ReasonOwn            Reason = "own"
	ReasonVerified       Reason = "verified person"
	ReasonRepresentative Reason = "representative"
	ReasonOwner          Reason = "owner"
	ReasonMandated       Reason = "mandated professional"
	ReasonUnderMandate   Reason = "professional under mandate"
	ReasonArchitectOK    Reason = "architect under mandate"
	ReasonStaff          Reason = "staff role" // Detail: the role
)

// refusalKeys are the messages of the refusals a person can act on (pass
// the second factor, mandate an architect, wait for verification, hand
// the case over). Other refusals take the generic "not allowed".
var refusalKeys = map[Reason]string{
	ReasonSecondFactor:  "error.authz.mfa",
	ReasonArchitect:     "error.authz.architect",
	ReasonUnverifiedPro: "error.authz.unverified_professional",
	ReasonConflict:      "error.authz.conflict",
	ReasonNotSeated:     "error.authz.not_seated",
	ReasonNotSigner:     "error.authz.not_signer",
	ReasonSignAsOther:   "error.authz.sign_as_other",
	ReasonActingFor:     "error.authz.sign_acting_for",
	// Plan review.
	ReasonCommitteeOnly:    "error.authz.committee_only",
	ReasonApplicantAnswers: "error.authz.applicant_answers",
	// Casa In's penalty contests.
	ReasonActAsOwner: "error.authz.act_as_owner",
}

// Decision is the policy's answer.
type Decision struct {
	Allow  bool
	Hide   bool   // deny as "not found": the object is someone else's
	Reason Reason // why; chooses the refusal's message
	Detail string // the role or scope the reason names, for logs
}

func (d Decision) String() string {
	if d.Detail != "" {
		return string(d.Reason) + " " + d.Detail
	}
	return string(d.Reason)
}

func allow(reason Reason) Decision { return Decision{Allow: true, Reason: reason} }
func deny(reason Reason) Decision  { return Decision{Reason: reason} }
func hide(reason Reason) Decision  { return Decision{Hide: true, Reason: reason} }

// tokenScope is the scope an API token needs for an action; actions not
// listed are never allowed to tokens (security settings, tokens themselves,
// mandates, staff work stay with signed-in people).
var tokenScope = map[Action]Scope{
	ReadProfile:    ScopeProfileRead,
	ReadInbox:      ScopeInboxRead,
	PrepareFile:    ScopeFilesWrite,
	ReadFile:       ScopeFilesRead,
	RemoveDocument: ScopeFilesWrite,
	ReadSigner:     ScopeCertificatesRead,
	EnrolSigner:    ScopeCertificatesWrite,
	// A token holds no staff grants: only a verified architect enrols
	// through the API.
	RevokeSigner: ScopeCertificatesWrite,
	SignPlans:    ScopeFilesWrite,
	Sign:         ScopeSign,
	// Plan review: the applicant reads the shared annotations and
	// answers on them through the API. A token holds no staff grant, so
	// the committee's notes and drawing stay refused, with their reasons.
	ReadAnnotations:    ScopeFilesRead,
	ReadCommitteeNotes: ScopeFilesRead,
	Annotate:           ScopeFilesWrite,
	ReplyAnnotation:    ScopeFilesWrite,
	// Requests and complaints: the citizen's side; and the team's work,
	// for a staff token only (the holder's grants and second factor).
	FileRequest:      ScopeRequestsWrite,
	ReadRequest:      ScopeRequestsRead,
	FollowRequest:    ScopeRequestsWrite,
	HandleRequest:    ScopeRequestsWork,
	ReadRequestQueue: ScopeRequestsWork,
}

// Decide is the policy.
func Decide(a Actor, act Action, r Resource) Decision {
	if a.System {
		if a.Person != 0 || a.Token || !slices.Contains(systemActions, act) {
			return deny("not allowed to the system operator")
		}
		return allow("system operator")
	}
	if a.Open311Client != 0 {
		switch {
		case a.Person != 0 || a.Token || a.Contact != 0:
			return deny(ReasonOpen311Client)
		case act == FileRequest:
			return allow(ReasonOpen311Client)
		case (act == ReadRequest || act == FollowRequest) && r.Open311Client == a.Open311Client:
			// The servicerequestupdates extension: the client answers or
			// reopens, for its user, a request it posted.
			return allow(ReasonOpen311Posted)
		}
		return deny(ReasonOpen311Client)
	}
	if a.Contact != 0 {
		if a.Person != 0 || a.Token || act != FileRequest {
			return deny(ReasonProvenContact)
		}
		return allow(ReasonProvenContact)
	}
	if a.Anonymous() {
		return deny(ReasonAnonymous)
	}
	if a.Token {
		need, ok := tokenScope[act]
		if !ok {
			return deny(ReasonTokenAction)
		}
		if !hasScope(a.Scopes, need) {
			return Decision{Reason: ReasonTokenScope, Detail: string(need)}
		}
		// A staff token (the only token with the second factor) does
		// its scopes' staff work and nothing else; the team's work needs
		// one.
		staffScope := slices.Contains(StaffTokenScopes, need)
		if a.MFA && !staffScope {
			return deny(ReasonTokenAction)
		}
		if need == ScopeRequestsWork && !a.MFA {
			return deny(ReasonSecondFactor)
		}
	}
	switch act {
	case ReadProfile, UpdateProfile, ExportData, ManageSecurity, ManageTokens, ReadInbox:
		if r.OwnerPerson != a.Person {
			return hide(ReasonNotOwn)
		}
		return allow(ReasonOwn)
	case CreateLegalPerson, DeclareProfession:
		if a.Staff() {
			return hide(ReasonStaffAccount)
		}
		if !a.EmailVerified {
			return deny(ReasonEmailUnverified)
		}
		return allow(ReasonVerified)
	case ActFor:
		if !a.represents(r.OwnerLegal) {
			return hide(ReasonNotRep)
		}
		return allow(ReasonRepresentative)
	case GrantMandate, RevokeMandate:
		if act == GrantMandate && a.Staff() {
			return hide(ReasonStaffAccount)
		}
		if !a.owns(r) {
			return hide(ReasonNotOwner)
		}
		return allow(ReasonOwner)
	case ReadMandate:
		if a.owns(r) {
			return allow(ReasonOwner)
		}
		if r.Professional != 0 && r.Professional == a.Person && a.ActingFor == 0 {
			return allow(ReasonMandated)
		}
		return hide(ReasonNoStanding)
	case PrepareFile, SignPlans:
		return a.decideFile(act, r)
	case RemoveDocument:
		// Taking a document back is preparing the file: the same people,
		// for the same reasons.
		return a.decideFile(PrepareFile, r)
	case ReadFile, ReadAnnotations:
		if a.owns(r) {
			return allow(ReasonOwner)
		}
		if a.mandated(r) {
			if !a.ProfessionalVerified {
				return deny(ReasonUnverifiedPro)
			}
			return allow(ReasonUnderMandate)
		}
		if a.agentOf(r.Window) {
			return a.staff(WindowAgent)
		}
		if a.sitsOn(r.Seats) {
			return a.staff(CommitteeMember)
		}
		if a.Presides(r.Window) {
			return a.staff(President)
		}
		return hide(ReasonNoFileAccess)
	case ReviewFile:
		if !a.agentOf(r.Window) {
			return hide(ReasonNotAgent)
		}
		return a.official(WindowAgent, r)
	case VerifyProfessional, ManageStaff, ManageOrgs:
		return a.official(Admin, r)
	case DecideLegalClaim:
		// r.OwnerPerson is the claimant, r.OwnerLegal the legal person
		// claimed. Its representatives answer for it (not an official
		// act); otherwise an administrator decides officially.
		if r.OwnerPerson == a.Person {
			return deny(ReasonConflict)
		}
		if a.represents(r.OwnerLegal) {
			return allow(ReasonRepresentative)
		}
		if a.HasRole(Admin) {
			return a.official(Admin, r)
		}
		return hide(ReasonNoClaimStanding)
	case ReadDesign:
		// A tool for those who build and check pages: any staff role,
		// with its second factor like every staff page.
		if !a.Staff() {
			return deny(ReasonNeedsStaff)
		}
		if !a.MFA {
			return deny(ReasonSecondFactor)
		}
		return allow(ReasonStaff)
	case ReadQueue:
		// Reading the list, not acting on its files: an administrator
		// follows every window from the overview; no conflict rule.
		if a.agentOf(r.Window) {
			return a.staff(WindowAgent)
		}
		if a.HasRole(Admin) {
			return a.staff(Admin)
		}
		return hide(ReasonNotAgent)
	case GiveOpinion:
		if !a.sitsOn(r.Seats) {
			return hide(ReasonNotMember)
		}
		return a.official(CommitteeMember, r)
	case DeclareAbsence:
		if r.OwnerPerson != a.Person {
			return hide(ReasonNotOwn)
		}
		if !a.HasRole(CommitteeMember) {
			return hide(ReasonNotMember)
		}
		return a.staff(CommitteeMember)
	case DecideFile:
		if !a.Presides(r.Window) {
			return hide(ReasonNotPresident)
		}
		return a.official(President, r)
	case ReadSession:
		if a.agentOf(r.Window) {
			return a.staff(WindowAgent)
		}
		if a.sitsOn(r.Seats) {
			return a.staff(CommitteeMember)
		}
		if a.Presides(r.Window) {
			return a.staff(President)
		}
		if a.HasRole(CommitteeMember) {
			return deny(ReasonNotSeated)
		}
		return hide(ReasonNotMember)
	case SignMinutes:
		if a.Presides(r.Window) {
			return a.official(President, r)
		}
		if !a.sitsOn(r.Seats) {
			return hide(ReasonNotMember)
		}
		return a.official(CommitteeMember, r)
	case ManagePlaces:
		for _, g := range a.Grants {
			if g.Role == Editor && (g.Arrondissement == "" || g.Arrondissement == r.Arrondissement) {
				return a.official(Editor, r)
			}
		}
		return hide(ReasonNeedsRole)
	case ManageAgenda:
		if !a.agentOf(r.Window) {
			return hide(ReasonNotAgent)
		}
		return a.official(WindowAgent, r)
	case ManageFeed:
		if r.OwnerPerson != a.Person {
			return hide(ReasonNotOwn)
		}
		if !a.HasRole(CommitteeMember) {
			return hide(ReasonNotMember)
		}
		return a.staff(CommitteeMember)
	case ReadStudies:
		// Committee members list the files they study; a president, the
		// files waiting for their decision.
		if a.HasRole(President) && !a.HasRole(CommitteeMember) {
			return a.staff(President)
		}
		if !a.HasRole(CommitteeMember) {
			return hide(ReasonNotMember)
		}
		return a.staff(CommitteeMember)
	case ReadSigner, RevokeSigner:
		if r.OwnerPerson != a.Person {
			return hide(ReasonNotOwn)
		}
		return allow(ReasonOwn)
	case EnrolSigner:
		if r.OwnerPerson != a.Person {
			return hide(ReasonNotOwn)
		}
		return a.signer()
	case Sign:
		// Refused, not hidden: whoever tries to sign with another's key
		// learns that a signature is only ever one's own.
		if r.OwnerPerson != a.Person {
			return deny(ReasonSignAsOther)
		}
		return a.signer()
	case SealDocument, DispatchFile, SweepRequests, SweepBookings, ImportAddresses:
		return deny(ReasonSystemOnly)
	case ReadCommitteeNotes, Annotate:
		if d, ok := a.reviewer(r); ok {
			return d
		}
		if a.owns(r) || a.mandated(r) {
			if act == Annotate {
				return deny(ReasonApplicantAnswers)
			}
			return deny(ReasonCommitteeOnly)
		}
		return hide(ReasonNoFileAccess)
	case ReplyAnnotation:
		// The applicant answers as the applicant, even when they also
		// work for the administration: their own case is theirs to
		// answer, not an official act.
		if a.owns(r) {
			return allow(ReasonOwner)
		}
		if a.mandated(r) {
			if !a.ProfessionalVerified {
				return deny(ReasonUnverifiedPro)
			}
			return allow(ReasonUnderMandate)
		}
		if d, ok := a.reviewer(r); ok {
			return d
		}
		return hide(ReasonNoFileAccess)
	case ManageSigners:
		// Another's certificate stays out of sight of whoever is not an
		// administrator.
		if !a.HasRole(Admin) {
			return hide(ReasonNotOwn)
		}
		return a.official(Admin, r)
	case FileRequest:
		if a.Staff() {
			return hide(ReasonStaffAccount)
		}
		if !a.EmailVerified {
			return deny(ReasonEmailUnverified)
		}
		return allow(ReasonVerified)
	case ReadRequest:
		if a.owns(Resource{OwnerPerson: r.OwnerPerson}) {
			return allow(ReasonOwner)
		}
		if a.handlesRequests(r.Org, r.Arrondissement) {
			return a.staff(ComplaintOfficer)
		}
		return hide(ReasonNotOfficer)
	case FollowRequest:
		if !a.owns(Resource{OwnerPerson: r.OwnerPerson}) {
			return hide(ReasonNotOwner)
		}
		return allow(ReasonOwner)
	case HandleRequest:
		if !a.handlesRequests(r.Org, r.Arrondissement) {
			return hide(ReasonNotOfficer)
		}
		return a.official(ComplaintOfficer, r)
	case ReadRequestQueue:
		if !a.handlesRequests(r.Org, "") {
			return hide(ReasonNotOfficer)
		}
		return a.staff(ComplaintOfficer)
	case IssueStaffToken:
		if r.OwnerPerson != a.Person {
			return hide(ReasonNotOwn)
		}
		return a.staff(ComplaintOfficer)
	case ManageOpen311Clients:
		if !a.HasRole(Admin) {
			return hide(ReasonNeedsStaff)
		}
		return a.official(Admin, r)
	case BookFacility:
		if a.Staff() {
			return hide(ReasonStaffAccount)
		}
		if !a.EmailVerified {
			return deny(ReasonEmailUnverified)
		}
		if !a.owns(r) {
			return hide(ReasonNotOwn)
		}
		return allow(ReasonVerified)
	case ManageTeam:
		if a.Staff() {
			return hide(ReasonStaffAccount)
		}
		if !a.EmailVerified {
			return deny(ReasonEmailUnverified)
		}
		if r.OwnerLegal != 0 || !a.owns(r) {
			return hide(ReasonNotOwn)
		}
		return allow(ReasonVerified)
	case ContestPenalty:
		if a.owns(r) {
			if r.OwnerLegal != 0 {
				return allow(ReasonRepresentative)
			}
			return allow(ReasonOwn)
		}
		if (r.OwnerLegal != 0 && a.represents(r.OwnerLegal)) || (r.OwnerLegal == 0 && r.OwnerPerson != 0 && r.OwnerPerson == a.Person) {
			return deny(ReasonActAsOwner)
		}
		return hide(ReasonNotOwn)
	case ReadBooking:
		if a.owns(r) {
			return allow(ReasonOwner)
		}
		if a.holdsIn(FacilityManager, r.Org, r.Arrondissement) {
			return a.staff(FacilityManager)
		}
		return hide(ReasonNotFacilityStaff)
	case ManageBooking:
		if !a.holdsIn(FacilityManager, r.Org, r.Arrondissement) {
			return hide(ReasonNotFacilityStaff)
		}
		return a.official(FacilityManager, r)
	case CreateFacility:
		if !a.holdsIn(FacilityManager, r.Org, r.Arrondissement) {
			return hide(ReasonNotFacilityStaff)
		}
		return a.official(FacilityManager, r)
	case ReadBookingDesk:
		if !a.holdsIn(FacilityManager, r.Org, "") && !a.holdsIn(Dispatcher, r.Org, "") {
			return hide(ReasonNotFacilityStaff)
		}
		if a.holdsIn(FacilityManager, r.Org, "") {
			return a.staff(FacilityManager)
		}
		return a.staff(Dispatcher)
	case DispatchAmbulance:
		if !a.holdsIn(Dispatcher, r.Org, r.Arrondissement) {
			return hide(ReasonNotFacilityStaff)
		}
		return a.official(Dispatcher, r)
	case ReadAudit:
		if a.HasRole(Auditor) {
			return a.official(Auditor, r)
		}
		return a.official(Admin, r)
	}
	return deny(ReasonUnknownAction)
}

// reviewer decides for the staff who review a file's plans — a member of
// an organisation sitting on its committee, an agent of its window, its
// president — officially; ok false when a is none of them.
func (a Actor) reviewer(r Resource) (Decision, bool) {
	switch {
	case a.sitsOn(r.Seats):
		return a.official(CommitteeMember, r), true
	case a.agentOf(r.Window):
		return a.official(WindowAgent, r), true
	case a.Presides(r.Window):
		return a.official(President, r), true
	}
	return Decision{}, false
}

// official decides an action taken in an official capacity — every action
// that needs a staff role, except a window agent reading a file of their
// window: the role with its second factor, and no conflict of interest.
// Every staff branch of Decide ends here, so that each capability's staff
// actions (review, decide, sign, allocate…) inherit the rule by filling
// the resource's owner and Involved.
func (a Actor) official(role Role, r Resource) Decision {
	d := a.staff(role)
	if d.Allow && a.involvedIn(r) {
		return deny(ReasonConflict)
	}
	return d
}

// involvedIn reports whether a has a stake in r: a is its owner or one of
// the people involved, or represents a legal person that owns it or is
// involved — whether or not a acts for it right now.
func (a Actor) involvedIn(r Resource) bool {
	if a.Person != 0 && (r.OwnerPerson == a.Person || slices.Contains(r.Involved.Persons, a.Person)) {
		return true
	}
	for _, l := range append([]int64{r.OwnerLegal}, r.Involved.Legals...) {
		if l != 0 && (a.represents(l) || a.ActingFor == l) {
			return true
		}
	}
	return false
}

// owns reports whether a acts as r's owner right now: the person themselves
// (not acting for a legal person), or the legal person they act for.
func (a Actor) owns(r Resource) bool {
	if r.OwnerLegal != 0 {
		return a.ActingFor == r.OwnerLegal && a.represents(r.OwnerLegal)
	}
	return r.OwnerPerson != 0 && r.OwnerPerson == a.Person && a.ActingFor == 0
}

// decideFile: the owner prepares their own file unless an architect is
// required; a professional acts under a mandate covering the file; where
// an architect is required, only a verified architect under mandate may
// prepare the file and sign its plans.
func (a Actor) decideFile(act Action, r Resource) Decision {
	mandated := a.mandated(r)
	architect := a.Profession == Architect && a.ProfessionalVerified
	if a.owns(r) {
		if act == SignPlans || r.RequiresArchitect {
			return deny(ReasonArchitect)
		}
		return allow(ReasonOwner)
	}
	if !mandated {
		return hide(ReasonNoMandate)
	}
	if !a.ProfessionalVerified {
		return deny(ReasonUnverifiedPro)
	}
	if act == SignPlans || r.RequiresArchitect {
		if !architect {
			return deny(ReasonArchitect)
		}
		return allow(ReasonArchitectOK)
	}
	return allow(ReasonUnderMandate)
}

// mandated reports whether a, acting in their own name, holds a mandate
// covering r now.
func (a Actor) mandated(r Resource) bool {
	for _, m := range a.Mandates {
		if a.ActingFor == 0 && m.covers(r, a.Now) {
			return true
		}
	}
	return false
}

// sitsOn reports whether a is a committee member of one of the
// organisations in seats.
func (a Actor) sitsOn(seats []string) bool {
	for _, g := range a.Grants {
		if g.Role == CommitteeMember && slices.Contains(seats, g.Org) {
			return true
		}
	}
	return false
}

// agentOf reports whether a is an agent of window w.
func (a Actor) agentOf(w string) bool {
	for _, g := range a.Grants {
		if w != "" && g.Role == WindowAgent && g.Window == w {
			return true
		}
	}
	return false
}

// handlesRequests reports whether a is a complaint officer of org whose
// grant covers arrondissement arr (a grant without one covers the whole
// organisation); arr "" asks for any grant in org (the queue, whose rows
// the grant then limits).
func (a Actor) handlesRequests(org, arr string) bool {
	for _, g := range a.Grants {
		if org != "" && g.Role == ComplaintOfficer && g.Org == org && (arr == "" || g.Arrondissement == "" || g.Arrondissement == arr) {
			return true
		}
	}
	return false
}

// holdsIn reports whether a holds role in org with a grant covering
// arrondissement arr (a grant without one covers the whole
// organisation); arr "" asks for any grant of the role in org.
func (a Actor) holdsIn(role Role, org, arr string) bool {
	for _, g := range a.Grants {
		if org != "" && g.Role == role && g.Org == org && (arr == "" || g.Arrondissement == "" || g.Arrondissement == arr) {
			return true
		}
	}
	return false
}

// Presides reports whether a is the president deciding the files of
// window w.
func (a Actor) Presides(w string) bool {
	for _, g := range a.Grants {
		if w != "" && g.Role == President && g.Window == w {
			return true
		}
	}
	return false
}

// signer decides whether a may hold and use a signing key in their own
// name: a staff member (any role, with the second factor: they sign in
// their official capacity) or a verified architect, never while acting
// for a legal person.
func (a Actor) signer() Decision {
	if a.ActingFor != 0 {
		return deny(ReasonActingFor)
	}
	if a.Staff() {
		if !a.MFA {
			return deny(ReasonSecondFactor)
		}
		return allow(ReasonStaff)
	}
	if a.Profession == Architect {
		if !a.ProfessionalVerified {
			return deny(ReasonUnverifiedPro)
		}
		return allow(ReasonVerified)
	}
	return deny(ReasonNotSigner)
}

// staff allows holders of role, once the session passed the second factor
// (mandatory for staff).
func (a Actor) staff(role Role) Decision {
	if !a.HasRole(role) {
		return Decision{Reason: ReasonNeedsRole, Detail: string(role)}
	}
	if !a.MFA {
		return deny(ReasonSecondFactor)
	}
	return Decision{Allow: true, Reason: ReasonStaff, Detail: string(role)}
}

func hasScope(ss []Scope, s Scope) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// AllowedWithSecondFactor reports whether a session that has not passed
// the second factor would be allowed one of acts once it has (on no
// particular resource): staff are then led to set it up or to sign in
// with it, rather than refused.
func AllowedWithSecondFactor(a Actor, acts ...Action) bool {
	if a.MFA {
		return false
	}
	a.MFA = true
	for _, act := range acts {
		if Check(a, act, Resource{}) == nil {
			return true
		}
	}
	return false
}

// Check is Decide as an error: nil when allowed; errs.NotFound when the
// object must stay hidden; errs.Unauthenticated for anonymous callers;
// errs.Forbidden otherwise, with the message of its reason (refusalKeys).
// The decision and its reason travel as the cause, so that the refusal is
// logged (a hidden object is still a logged probe).
func Check(a Actor, act Action, r Resource) error {
	d := Decide(a, act, r)
	if d.Allow {
		return nil
	}
	cause := fmt.Errorf("authz: person %d denied %s: %s", a.Person, act, d)
	switch {
	case a.Anonymous() && !a.System:
		return errs.E(errs.Unauthenticated, "error.authz.signin").Cause(cause)
	case d.Hide:
		return errs.E(errs.NotFound, "").Cause(cause)
	}
	return errs.E(errs.Forbidden, refusalKeys[d.Reason]).Cause(cause)
}

// Messages are the policy's refusal texts.
//
//go:embed messages/*.json
var Messages embed.FS
