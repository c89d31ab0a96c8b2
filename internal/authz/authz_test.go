package authz

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/errs"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const (
	citizen    = 1
	otherCit   = 2
	architect  = 3
	manager    = 4
	agentFiler = 30 // a window agent who filed the file under review
	adminInv   = 31 // an administrator involved in the case
	agentRep   = 32 // a window agent representing the company involved
	officerInv = 33 // a complaint officer involved in the request (a co-reporter)
	company    = 100
	mandateEnd = 30 * 24 * time.Hour
)

func mandateFromCitizen() []Mandate {
	return []Mandate{{ID: 1, OwnerPerson: citizen, PermitKind: "building", Starts: now.Add(-time.Hour), Ends: now.Add(mandateEnd)}}
}

// actors: every kind of caller the policy knows.
var actors = map[string]Actor{
	"anonymous":        {},
	"citizen":          {Person: citizen, EmailVerified: true},
	"unverified":       {Person: 9},
	"other citizen":    {Person: otherCit, EmailVerified: true},
	"manager for co.":  {Person: manager, EmailVerified: true, Represents: []int64{company}, ActingFor: company},
	"architect":        {Person: architect, EmailVerified: true, Profession: Architect, ProfessionalVerified: true, Mandates: mandateFromCitizen()},
	"architect unver.": {Person: 5, EmailVerified: true, Profession: Architect, Mandates: mandateFromCitizen()},
	"architect no mnd": {Person: 6, EmailVerified: true, Profession: Architect, ProfessionalVerified: true},
	"engineer":         {Person: 7, EmailVerified: true, Profession: Engineer, ProfessionalVerified: true, Mandates: mandateFromCitizen()},
	"window agent":     {Person: 10, EmailVerified: true, MFA: true, Grants: []Grant{{Role: WindowAgent, Org: "anfa", Window: "anfa"}}},
	"admin":            {Person: 11, EmailVerified: true, MFA: true, Grants: []Grant{{Role: Admin, Org: "commune"}}},
	"admin no 2FA":     {Person: 12, EmailVerified: true, Grants: []Grant{{Role: Admin, Org: "commune"}}},
	"auditor":          {Person: 13, EmailVerified: true, MFA: true, Grants: []Grant{{Role: Auditor, Org: "commune"}}},
	"citizen token":    {Person: citizen, EmailVerified: true, Token: true, Scopes: []Scope{ScopeProfileRead}},
	"agent, filer":     {Person: agentFiler, EmailVerified: true, MFA: true, Grants: []Grant{{Role: WindowAgent, Org: "anfa", Window: "anfa"}}},
	"agent for co.":    {Person: agentRep, EmailVerified: true, MFA: true, Represents: []int64{company}, Grants: []Grant{{Role: WindowAgent, Org: "anfa", Window: "anfa"}}},
	"admin, involved":  {Person: adminInv, EmailVerified: true, MFA: true, Grants: []Grant{{Role: Admin, Org: "commune"}, {Role: Auditor, Org: "commune"}}},
	"officer":          {Person: 40, EmailVerified: true, MFA: true, Grants: []Grant{{Role: ComplaintOfficer, Org: "lydec"}}},
	"officer no 2FA":   {Person: 41, EmailVerified: true, Grants: []Grant{{Role: ComplaintOfficer, Org: "lydec"}}},
	"officer of anfa":  {Person: 42, EmailVerified: true, MFA: true, Grants: []Grant{{Role: ComplaintOfficer, Org: "lydec", Arrondissement: "anfa"}}},
	"officer, commune": {Person: 43, EmailVerified: true, MFA: true, Grants: []Grant{{Role: ComplaintOfficer, Org: "commune"}}},
	"officer, involv.": {Person: officerInv, EmailVerified: true, MFA: true, Grants: []Grant{{Role: ComplaintOfficer, Org: "lydec"}}},
	"officer token": {Person: 40, EmailVerified: true, MFA: true, Token: true, Scopes: StaffTokenScopes,
		Grants: []Grant{{Role: ComplaintOfficer, Org: "lydec"}}},
	"open311 client":   {Open311Client: 1},
	"o311 with person": {Open311Client: 1, Person: citizen, EmailVerified: true},
	"proven contact":   {Contact: 1},
	"contact, token":   {Contact: 1, Token: true},
}

// involved is who has a stake in the staff actions' resources: an agent
// who filed the file, an administrator, and the company (so whoever
// represents it).
var involved = Involved{Persons: []int64{agentFiler, adminInv, officerInv}, Legals: []int64{company}}

// resources: the object each action is tried on (the citizen's own things,
// the company's, a building-permit file that needs an architect).
var resources = map[Action]Resource{
	ReadProfile:        {OwnerPerson: citizen},
	UpdateProfile:      {OwnerPerson: citizen},
	ExportData:         {OwnerPerson: citizen},
	ManageSecurity:     {OwnerPerson: citizen},
	ManageTokens:       {OwnerPerson: citizen},
	ReadInbox:          {OwnerPerson: citizen},
	CreateLegalPerson:  {},
	ActFor:             {OwnerLegal: company},
	GrantMandate:       {OwnerPerson: citizen},
	RevokeMandate:      {OwnerPerson: citizen},
	ReadMandate:        {OwnerPerson: citizen, Professional: architect},
	DeclareProfession:  {},
	PrepareFile:        {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true},
	SignPlans:          {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true},
	ReadFile:           {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa"},
	ReviewFile:         {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa", Involved: involved},
	VerifyProfessional: {Involved: involved},
	ManageStaff:        {Involved: involved},
	ManageOrgs:         {Involved: involved},
	ReadAudit:          {Involved: involved},
	DecideLegalClaim:   {OwnerLegal: company, OwnerPerson: otherCit},
	ReadDesign:         {},
	ReadQueue:          {Window: "anfa", Involved: involved},
	RemoveDocument:     {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true},
	ReadSigner:         {OwnerPerson: citizen},
	EnrolSigner:        {OwnerPerson: architect},
	Sign:               {OwnerPerson: architect},
	RevokeSigner:       {OwnerPerson: architect},
	ManageSigners:      {OwnerPerson: architect, Involved: involved},
	SealDocument:       {},
	ReadStudies:        {},
	GiveOpinion:        {OwnerPerson: citizen, PermitKind: "building", Window: "anfa", Seats: []string{"commune"}, Involved: involved},
	DecideFile:         {OwnerPerson: citizen, PermitKind: "building", Window: "anfa", Involved: involved},
	ReadSession:        {Window: "anfa", Seats: []string{"commune"}},
	ManageAgenda:       {Window: "anfa", Involved: involved},
	SignMinutes:        {Window: "anfa", Seats: []string{"commune"}, Involved: involved},
	ManageFeed:         {OwnerPerson: citizen},
	DeclareAbsence:     {OwnerPerson: citizen},
	DispatchFile:       {OwnerPerson: citizen, PermitKind: "building", Window: "anfa"},
	// The citizen's request about a street light in Sidi Moumen, which
	// Lydec answers.
	FileRequest:        {},
	ReadRequest:        {OwnerPerson: citizen, Org: "lydec", Arrondissement: "sidi-moumen", Involved: involved},
	FollowRequest:      {OwnerPerson: citizen, Org: "lydec", Arrondissement: "sidi-moumen", Involved: involved},
	HandleRequest:      {OwnerPerson: citizen, Org: "lydec", Arrondissement: "sidi-moumen", Involved: involved},
	ReadRequestQueue:   {Org: "lydec"},
	SweepRequests:      {OwnerPerson: citizen, Org: "lydec", Arrondissement: "sidi-moumen"},
	ReadAnnotations:    {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa", Seats: []string{"commune"}, Involved: involved},
	ReadCommitteeNotes: {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa", Seats: []string{"commune"}, Involved: involved},
	Annotate:           {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa", Seats: []string{"commune"}, Involved: involved},
	ReplyAnnotation:    {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa", Seats: []string{"commune"}, Involved: involved},
	ManagePlaces:       {Arrondissement: "sidi-othmane"},
	// Registering an Open311 client and giving its key.
	ManageOpen311Clients: {Involved: involved},
	// The citizen's booking of a sports field in Moulay Rachid, and an
	// ambulance request in Sbata.
	BookFacility:      {OwnerPerson: citizen},
	ReadBooking:       {OwnerPerson: citizen, Org: "moulay-rachid", Arrondissement: "moulay-rachid", Involved: involved},
	ManageBooking:     {OwnerPerson: citizen, Org: "moulay-rachid", Arrondissement: "moulay-rachid", Involved: involved},
	ReadBookingDesk:   {Org: "moulay-rachid"},
	DispatchAmbulance: {OwnerPerson: citizen, Org: "sbata", Arrondissement: "sbata", Involved: involved},
	SweepBookings:     {OwnerPerson: citizen, Org: "moulay-rachid", Arrondissement: "moulay-rachid"},
	// The citizen's own part in a team (their invitation, their code).
	ManageTeam: {OwnerPerson: citizen},
	// A city's address gazetteer.
	ImportAddresses: {},
	// The officer's (person 40's) own staff token.
	IssueStaffToken: {OwnerPerson: 40},
	// A penalty on the company's booking (an association's, in Casa In).
	ContestPenalty: {OwnerLegal: company},
	// A new facility of Moulay Rachid's.
	CreateFacility: {Org: "moulay-rachid", Arrondissement: "moulay-rachid"},
}

// want: A allow, D deny, H hide (404), one letter per action in Actions order:
// profile.read profile.update profile.export security tokens inbox
// legal.create legal.act_for mandate.grant mandate.revoke mandate.read
// profession.declare file.prepare plans.sign file.read file.review professional.verify staff orgs audit
// legal.claim.decide (the other citizen's claim on the company) design.read queue.read file.document.remove
// signature.read (the citizen's) signature.enrol signature.sign signature.revoke (the architect's) signature.manage
// signature.seal (the system's only) committee.files file.opinion (the commune sits) file.decide
// committee.session.read (anfa's, the commune sits) committee.agenda.manage (anfa's) committee.minutes.sign (anfa's, the commune sits) committee.feed.manage (the citizen's) committee.absence (the citizen's)
// file.dispatch.auto (the system's only)
// request.file request.read request.follow request.handle (the citizen's request in Sidi Moumen, Lydec's) request.queue (Lydec's)
// request.sweep (the system's only)
// plan.annotations.read plan.annotations.committee plan.annotate plan.annotation.reply (anfa's file, the commune sits)
// place.manage (a place in Sidi Othmane)
// request.open311.clients (administrators, officially)
// booking.book booking.read booking.manage booking.desk ambulance.dispatch (the citizen's, Moulay Rachid's, Sbata's) booking.sweep (the system's only)
// booking.team (the citizen's own part in a team)
// address.import (the system's only)
// tokens.staff.issue (the officer's own)
// booking.contest (a penalty on the company's booking: its representatives, acting for it)
// booking.facility_create (a new facility of Moulay Rachid's: its facility managers only)
var want = map[string]string{
	"anonymous":        "DDDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D DDDDD D DDDD D D DDDDD D D D D D D",
	"open311 client":   "DDDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D ADDDD D DDDD D D DDDDD D D D D D D",
	"o311 with person": "DDDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D DDDDD D DDDD D D DDDDD D D D D D D",
	"proven contact":   "DDDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D ADDDD D DDDD D D DDDDD D D D D D D",
	"contact, token":   "DDDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D DDDDD D DDDD D D DDDDD D D D D D D",
	"citizen":          "AAAAAA AH AAA A DD AH DDDD H D H D AHDHH D HH H HHHHH D AAAHH D ADDA H H AAHHH D A D H H H",
	"unverified":       "HHHHHH DH HHH D HH HH DDDD H D H H HHDHH D HH H HHHHH D DHHHH D HHHH H H DHHHH D D D H H H",
	"other citizen":    "HHHHHH AH HHH A HH HH DDDD D D H H HHDHH D HH H HHHHH D AHHHH D HHHH H H HHHHH D H D H H H",
	"manager for co.":  "HHHHHH AA HHH A HH HH DDDD A D H H HHDHH D HH H HHHHH D AHHHH D HHHH H H HHHHH D H D H A H",
	"architect":        "HHHHHH AH HHA A AA AH DDDD H D H A HAAAH D HH H HHHHH D AHHHH D ADDA H H HHHHH D H D H H H",
	"architect unver.": "HHHHHH AH HHH A DD DH DDDD H D H D HHDHH D HH H HHHHH D AHHHH D DDDD H H HHHHH D H D H H H",
	"architect no mnd": "HHHHHH AH HHH A HH HH DDDD H D H H HHDHH D HH H HHHHH D AHHHH D HHHH H H HHHHH D H D H H H",
	"engineer":         "HHHHHH AH HHH A DD AH DDDD H D H D HHDHH D HH H HHHHH D AHHHH D ADDA H H HHHHH D H D H H H",
	"window agent":     "HHHHHH HH HHH H HH AA DDDD H A A H HHDHH D HH H AAHHH D HHHHH D AAAA H H HHHHH D H D H H H",
	"admin":            "HHHHHH HH HHH H HH HH AAAA A A A H HHDHA D HH H HHHHH D HHHHH D HHHH H A HHHHH D H D H H H",
	"admin no 2FA":     "HHHHHH HH HHH H HH HH DDDD D D D H HHDHD D HH H HHHHH D HHHHH D HHHH H D HHHHH D H D H H H",
	"auditor":          "HHHHHH HH HHH H HH HH DDDA H A H H HHDHH D HH H HHHHH D HHHHH D HHHH H H HHHHH D H D H H H",
	"citizen token":    "ADDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D DDDDD D DDDD D D DDDDD D D D D D D",
	"agent, filer":     "HHHHHH HH HHH H HH AD DDDD H A A H HHDHH D HH H ADHHH D HHHHH D ADDD H H HHHHH D H D H H H",
	"agent for co.":    "HHHHHH HA HHH H HH AD DDDD A A A H HHDHH D HH H ADHHH D HHHHH D ADDD H H HHHHH D H D H D H",
	"admin, involved":  "HHHHHH HH HHH H HH HH DDDD A A A H HHDHD D HH H HHHHH D HHHHH D HHHH H D HHHHH D H D H H H",
	"officer":          "HHHHHH HH HHH H HH HH DDDD H A H H HHDHH D HH H HHHHH D HAHAA D HHHH H H HHHHH D H D A H H",
	"officer no 2FA":   "HHHHHH HH HHH H HH HH DDDD H D H H HHDHH D HH H HHHHH D HDHDD D HHHH H H HHHHH D H D H H H",
	"officer of anfa":  "HHHHHH HH HHH H HH HH DDDD H A H H HHDHH D HH H HHHHH D HHHHA D HHHH H H HHHHH D H D H H H",
	"officer, commune": "HHHHHH HH HHH H HH HH DDDD H A H H HHDHH D HH H HHHHH D HHHHH D HHHH H H HHHHH D H D H H H",
	"officer token":    "DDDDDD DD DDD D DD DD DDDD D D D D DDDDD D DD D DDDDD D DADAA D DDDD D D DDDDD D D D D D D",
	"officer, involv.": "HHHHHH HH HHH H HH HH DDDD H A H H HHDHH D HH H HHHHH D HAHDA D HHHH H H HHHHH D H D H H H",
}

func TestPolicyTable(t *testing.T) {
	if len(resources) != len(Actions) {
		t.Fatalf("%d resources for %d actions: every action needs a row", len(resources), len(Actions))
	}
	for name, a := range actors {
		a.Now = now
		row := strings.ReplaceAll(want[name], " ", "")
		if len(row) != len(Actions) {
			t.Fatalf("%s: %d expectations for %d actions", name, len(row), len(Actions))
		}
		for i, act := range Actions {
			d := Decide(a, act, resources[act])
			got := "D"
			if d.Allow {
				got = "A"
			} else if d.Hide {
				got = "H"
			}
			if got != string(row[i]) {
				t.Errorf("%s / %s: got %s (%s), want %s", name, act, got, d.Reason, string(row[i]))
			}
		}
	}
	for name := range want {
		if _, ok := actors[name]; !ok {
			t.Errorf("expectations for unknown actor %q", name)
		}
	}
}

// TestCommitteeMembersReadTheFilesTheySitOn: a committee member of an
// organisation sitting on a file's committee reads it (with the second
// factor), lists the files to study and gives an opinion, never on their
// own case; of another organisation, the file does not exist for them.
func TestCommitteeMembersReadTheFilesTheySitOn(t *testing.T) {
	m := Actor{Person: 77, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: CommitteeMember, Org: "aucasa"}}}
	file := Resource{OwnerPerson: citizen, PermitKind: "building", Window: "city", Seats: []string{"commune", "aucasa"}}
	if !Decide(m, ReadFile, file).Allow || !Decide(m, ReadStudies, Resource{}).Allow {
		t.Fatal("the urban agency's member cannot read a file it sits on, or list them")
	}
	if d := Decide(m, ReviewFile, file); d.Allow {
		t.Fatal("a committee member does the window's work")
	}
	other := file
	other.Seats = []string{"commune", "lydec"}
	if d := Decide(m, ReadFile, other); d.Allow || !d.Hide {
		t.Fatalf("a file the member's organisation does not sit on: %+v", d)
	}
	if !Decide(m, GiveOpinion, file).Allow || !Decide(m, GiveOpinion, other).Hide {
		t.Fatal("the member gives an opinion on the file they sit on only")
	}
	own := file
	own.OwnerPerson = m.Person
	if d := Decide(m, GiveOpinion, own); d.Allow || d.Reason != ReasonConflict {
		t.Fatalf("a member giving an opinion on their own file: %+v", d)
	}
	// Sessions: of a committee the member's organisation sits on, read;
	// of another, refused with a message saying why (not hidden).
	if !Decide(m, ReadSession, Resource{Window: "city", Seats: []string{"aucasa"}}).Allow {
		t.Fatal("the member cannot read a session of their committee")
	}
	if d := Decide(m, ReadSession, Resource{Window: "anfa", Seats: []string{"anfa"}}); d.Allow || d.Hide || d.Reason != ReasonNotSeated {
		t.Fatalf("a session of a committee the member does not sit on: %+v", d)
	}
	if err := Check(m, ReadSession, Resource{Window: "anfa", Seats: []string{"anfa"}}); errs.As(err) == nil || errs.As(err).Key != "error.authz.not_seated" {
		t.Fatalf("the refusal says %v", err)
	}
	if Decide(m, ManageAgenda, Resource{Window: "city"}).Allow {
		t.Fatal("a committee member freezes the window's agenda")
	}
	if !Decide(m, ManageFeed, Resource{OwnerPerson: m.Person}).Allow || !Decide(m, ManageFeed, Resource{OwnerPerson: citizen}).Hide {
		t.Fatal("the member manages their own feed only")
	}
	m.MFA = false
	if Decide(m, ReadFile, file).Allow || Decide(m, ReadStudies, Resource{}).Allow || Decide(m, GiveOpinion, file).Allow {
		t.Fatal("a committee member without the second factor reads files")
	}
}

// TestPresidentDecidesTheFilesOfTheirWindow: the president of a window
// reads and decides its urban files, with the second factor, never their
// own case nor another window's; a window agent or a committee member
// does not decide.
func TestPresidentDecidesTheFilesOfTheirWindow(t *testing.T) {
	p := Actor{Person: 78, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: President, Org: "commune", Window: "city"}}}
	file := Resource{OwnerPerson: citizen, PermitKind: "building", Window: "city", Seats: []string{"commune", "aucasa"}}
	if !Decide(p, ReadFile, file).Allow || !Decide(p, DecideFile, file).Allow || !Decide(p, ReadStudies, Resource{}).Allow {
		t.Fatal("the president cannot read or decide a file of their window, or list those waiting")
	}
	other := file
	other.Window = "anfa"
	if d := Decide(p, DecideFile, other); d.Allow || !d.Hide {
		t.Fatalf("the president decides another window's file: %+v", d)
	}
	own := file
	own.Involved = own.Involved.AddPersons(p.Person)
	if d := Decide(p, DecideFile, own); d.Allow || d.Reason != ReasonConflict {
		t.Fatalf("the president decides a file they are involved in: %+v", d)
	}
	for _, g := range []Grant{{Role: WindowAgent, Org: "commune", Window: "city"}, {Role: CommitteeMember, Org: "aucasa"}} {
		o := Actor{Person: 79, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{g}}
		if Decide(o, DecideFile, file).Allow {
			t.Fatalf("a %s decides the permit", g.Role)
		}
	}
	p.MFA = false
	if Decide(p, DecideFile, file).Allow {
		t.Fatal("the president decides without the second factor")
	}
}

func TestMandatesCoverOnlyTheirScopeAndTime(t *testing.T) {
	arch := actors["architect"]
	file := Resource{OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true}
	cases := []struct {
		name string
		at   time.Time
		r    Resource
		m    []Mandate
		want bool
	}{
		{"in force", now, file, mandateFromCitizen(), true},
		{"expired", now.Add(mandateEnd + time.Second), file, mandateFromCitizen(), false},
		{"not yet", now.Add(-2 * time.Hour), file, mandateFromCitizen(), false},
		{"other kind", now, Resource{OwnerPerson: citizen, PermitKind: "demolition"}, mandateFromCitizen(), false},
		{"other owner", now, Resource{OwnerPerson: otherCit, PermitKind: "building"}, mandateFromCitizen(), false},
		{"one file, that file", now, Resource{OwnerPerson: citizen, PermitKind: "building", FileRef: "F-1"},
			[]Mandate{{OwnerPerson: citizen, FileRef: "F-1", Starts: now.Add(-time.Hour), Ends: now.Add(time.Hour)}}, true},
		{"one file, another file", now, Resource{OwnerPerson: citizen, PermitKind: "building", FileRef: "F-2"},
			[]Mandate{{OwnerPerson: citizen, FileRef: "F-1", Starts: now.Add(-time.Hour), Ends: now.Add(time.Hour)}}, false},
		{"company's mandate", now, Resource{OwnerLegal: company, PermitKind: "building"},
			[]Mandate{{OwnerLegal: company, PermitKind: "building", Starts: now.Add(-time.Hour), Ends: now.Add(time.Hour)}}, true},
	}
	for _, c := range cases {
		a := arch
		a.Now, a.Mandates = c.at, c.m
		if got := Decide(a, PrepareFile, c.r).Allow; got != c.want {
			t.Errorf("%s: allowed %v, want %v", c.name, got, c.want)
		}
	}
}

func TestOwnerMayPrepareFilesWithoutArchitectOnly(t *testing.T) {
	c := actors["citizen"]
	c.Now = now
	if !Decide(c, PrepareFile, Resource{OwnerPerson: citizen, PermitKind: "repair"}).Allow {
		t.Error("owner cannot prepare a repair permit without architect")
	}
	m := actors["manager for co."]
	if !Decide(m, PrepareFile, Resource{OwnerLegal: company, PermitKind: "repair"}).Allow {
		t.Error("manager acting for the company cannot prepare its file")
	}
	m.ActingFor = 0
	if Decide(m, PrepareFile, Resource{OwnerLegal: company, PermitKind: "repair"}).Allow {
		t.Error("manager not acting for the company prepared its file")
	}
	// A representative who switched to the company is not the person any more.
	if Decide(actors["manager for co."], UpdateProfile, Resource{OwnerPerson: manager}).Allow != true {
		t.Error("own profile while acting for a company should stay allowed")
	}
}

func TestCheckErrorKinds(t *testing.T) {
	cases := []struct {
		actor string
		act   Action
		kind  errs.Kind
	}{
		{"anonymous", ReadProfile, errs.Unauthenticated},
		{"other citizen", ReadProfile, errs.NotFound},
		{"admin no 2FA", ManageStaff, errs.Forbidden},
		{"architect unver.", PrepareFile, errs.Forbidden},
		{"citizen", ManageOrgs, errs.Forbidden},
		{"agent, filer", ReviewFile, errs.Forbidden},
	}
	for _, c := range cases {
		a := actors[c.actor]
		a.Now = now
		err := Check(a, c.act, resources[c.act])
		if !errs.Is(err, c.kind) || !strings.Contains(fmt.Sprint(err), "denied") {
			t.Errorf("%s %s: %v, want %s with a logged reason", c.actor, c.act, err, c.kind)
		}
	}
	if err := Check(actors["citizen"], ReadProfile, resources[ReadProfile]); err != nil {
		t.Errorf("own profile: %v", err)
	}
}

// TestEveryRoleIsInTheTable checks each staff role against every action:
// roles without powers over identity (all but admin and auditor) decide
// like an agent of another window than the file's, with the second factor
// and without; a committee member lists the files to study, a president
// the files waiting for their decision.
func TestEveryRoleIsInTheTable(t *testing.T) {
	for _, role := range Roles {
		for _, mfa := range []bool{true, false} {
			a := Actor{Person: 20, EmailVerified: true, MFA: mfa, Now: now, Grants: []Grant{{Role: role, Org: "commune", Window: "city"}}}
			for _, act := range Actions {
				got := Decide(a, act, resources[act])
				want := Decide(Actor{Person: 20, EmailVerified: true, MFA: mfa, Now: now, Grants: []Grant{{Role: WindowAgent, Org: "commune", Window: "city"}}}, act, resources[act])
				switch {
				case role == Admin && (act == VerifyProfessional || act == ManageStaff || act == ManageOrgs || act == ReadAudit || act == DecideLegalClaim || act == ReadQueue || act == ManageSigners || act == ManageOpen311Clients):
					want = Decision{Allow: mfa}
				case role == Auditor && act == ReadAudit:
					want = Decision{Allow: mfa}
				case role == CommitteeMember && (act == ReadStudies || act == GiveOpinion || act == ReadSession || act == SignMinutes || act == DeclareAbsence && a.Person == resources[act].OwnerPerson ||
					act == ReadAnnotations || act == ReadCommitteeNotes || act == Annotate || act == ReplyAnnotation):
					want = Decision{Allow: mfa}
				case role == President && act == ReadStudies:
					want = Decision{Allow: mfa}
				case role == Editor && act == ManagePlaces:
					want = Decision{Allow: mfa}
				}
				if got.Allow != want.Allow || got.Hide != want.Hide {
					t.Errorf("%s (second factor %v) / %s: allow %v hide %v (%s), want allow %v hide %v", role, mfa, act, got.Allow, got.Hide, got.Reason, want.Allow, want.Hide)
				}
			}
		}
	}
}

// TestStaffActionsRefuseConflictOfInterest finds every staff action by
// its behaviour — an action some role allows that the same person without
// the role may not do — so that a capability's new action is covered
// without touching this test. For each, an actor holding the role but
// involved in the case, in every way one can be, is refused for a
// conflict of interest, with the message that explains it.
func TestStaffActionsRefuseConflictOfInterest(t *testing.T) {
	// A window agent may still read a file they are involved in: reading
	// is not an official act; nor is looking at the style page, which
	// concerns no case.
	reads := map[Action]bool{ReadFile: true, ReadDesign: true, ReadQueue: true, ReadStudies: true, ReadSession: true, ReadAnnotations: true}
	// A legal person's representatives answer a claim on it as its owner
	// (the claimant is the other side): representing the owner is their
	// standing there, not a conflict. Any other involvement still is.
	ownersAnswer := map[Action]bool{DecideLegalClaim: true}
	// The applicant answers on the plans' annotations as the applicant,
	// whatever job they hold: owning the file (themselves, or acting for
	// the company that does) is their standing there, not an official
	// act. Staff merely involved still may not answer for the committee.
	applicantsAnswer := map[Action]bool{ReplyAnnotation: true}
	const other = 300 // a legal person the staff member represents
	ways := map[string]func(a *Actor, r *Resource){
		"owner":                      func(a *Actor, r *Resource) { r.OwnerPerson, r.OwnerLegal = a.Person, 0 },
		"filer, party or mandated":   func(a *Actor, r *Resource) { r.Involved = r.Involved.AddPersons(a.Person) },
		"represents the owner":       func(a *Actor, r *Resource) { r.OwnerPerson, r.OwnerLegal, a.Represents = 0, other, []int64{other} },
		"acts for the owner":         func(a *Actor, r *Resource) { r.OwnerLegal, a.Represents, a.ActingFor = other, []int64{other}, other },
		"represents an involved co.": func(a *Actor, r *Resource) { r.Involved = r.Involved.AddLegals(other); a.Represents = []int64{other} },
	}
	// Issuing oneself a staff token is about one's own account, never a
	// case: no conflict of interest to have.
	ownAccount := map[Action]bool{IssueStaffToken: true}
	staffActions := map[Action]bool{}
	for _, act := range Actions {
		if ownAccount[act] {
			continue
		}
		for _, role := range Roles {
			a := Actor{Person: 40, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: role, Org: "commune", Window: "anfa"}}}
			r := resources[act]
			r.Involved = Involved{}
			if !Decide(a, act, r).Allow {
				continue
			}
			plain := a
			plain.Grants = nil
			if Decide(plain, act, r).Allow {
				continue // the role makes no difference: not a staff power
			}
			staffActions[act] = true
			for way, involve := range ways {
				ai, ri := a, r
				involve(&ai, &ri)
				d := Decide(ai, act, ri)
				if ownersAnswer[act] && (way == "represents the owner" || way == "acts for the owner") {
					if !d.Allow {
						t.Errorf("%s / %s, %s: the owner's representative refused (%s)", role, act, way, d.Reason)
					}
					continue
				}
				if applicantsAnswer[act] && (way == "owner" || way == "acts for the owner") {
					if !d.Allow || d.Reason != ReasonOwner {
						t.Errorf("%s / %s, %s: the applicant refused (%s)", role, act, way, d.Reason)
					}
					continue
				}
				if reads[act] {
					if !d.Allow {
						t.Errorf("%s / %s, %s: refused reading (%s)", role, act, way, d.Reason)
					}
					continue
				}
				if d.Allow || d.Reason != ReasonConflict {
					t.Errorf("%s / %s, %s: allow %v (%s), want refused for a conflict of interest", role, act, way, d.Allow, d.Reason)
				}
				err := Check(ai, act, ri)
				if e := errs.As(err); e == nil || e.Kind != errs.Forbidden || e.Key != "error.authz.conflict" {
					t.Errorf("%s / %s, %s: Check = %v, want forbidden error.authz.conflict", role, act, way, err)
				}
			}
		}
	}
	for _, act := range []Action{ReviewFile, VerifyProfessional, ManageStaff, ManageOrgs, ReadAudit, DecideLegalClaim, ManageSigners,
		ReadCommitteeNotes, Annotate, ReplyAnnotation} {
		if !staffActions[act] {
			t.Errorf("%s not found as a staff action: the search is broken", act)
		}
	}
}

// Nobody decides their own claim to represent a legal person, not even an
// administrator or one who already represents it.
func TestNobodyDecidesTheirOwnClaim(t *testing.T) {
	for _, name := range []string{"admin", "manager for co."} {
		a := actors[name]
		a.Now = now
		if d := Decide(a, DecideLegalClaim, Resource{OwnerLegal: company, OwnerPerson: a.Person}); d.Allow {
			t.Errorf("%s decided their own claim (%s)", name, d.Reason)
		}
	}
}

// A staff member whose session has not passed the second factor is one
// the policy would allow once it has; a citizen, or a staff member asking
// for another role's action, is not.
func TestAllowedWithSecondFactor(t *testing.T) {
	now := time.Now()
	admin := Actor{Person: 1, EmailVerified: true, Now: now, Grants: []Grant{{Role: Admin, Org: "commune"}}}
	if !AllowedWithSecondFactor(admin, ReadAudit, ManageStaff) {
		t.Error("an administrator without the second factor would manage staff with it")
	}
	admin.MFA = true
	if AllowedWithSecondFactor(admin, ManageStaff) {
		t.Error("a session that passed the second factor needs nothing more")
	}
	citizen := Actor{Person: 2, EmailVerified: true, Now: now}
	if AllowedWithSecondFactor(citizen, ManageStaff) {
		t.Error("a citizen would manage staff with a second factor")
	}
}

// TestOpen311ClientsFollowUpOnlyWhatTheyPosted: an Open311 client may
// read and follow up (answer, reopen) a request it posted — the
// servicerequestupdates extension — and nothing of another client's or a
// citizen's, and never a team's work.
func TestOpen311ClientsFollowUpOnlyWhatTheyPosted(t *testing.T) {
	c := Actor{Open311Client: 7}
	own := Resource{Org: "lydec", Arrondissement: "anfa", Open311Client: 7}
	other := Resource{Org: "lydec", Arrondissement: "anfa", Open311Client: 8}
	citizens := Resource{OwnerPerson: citizen, Org: "lydec", Arrondissement: "anfa"}
	for _, tc := range []struct {
		act   Action
		r     Resource
		allow bool
	}{
		{ReadRequest, own, true}, {FollowRequest, own, true}, {HandleRequest, own, false},
		{ReadRequest, other, false}, {FollowRequest, other, false},
		{ReadRequest, citizens, false}, {FollowRequest, citizens, false},
	} {
		if d := Decide(c, tc.act, tc.r); d.Allow != tc.allow {
			t.Errorf("%s on %+v: allow %v (%s), want %v", tc.act, tc.r, d.Allow, d.Reason, tc.allow)
		}
	}
	if d := Decide(Actor{Open311Client: 7, Person: citizen, EmailVerified: true}, FollowRequest, own); d.Allow {
		t.Error("a client acting with a person's identity follows up")
	}
}

// TestStaffTokensDoTheTeamsWorkOnly: a staff token (a token with the
// second factor of the session that issued it) does the team's work on
// requests and nothing else, even if it carried another scope; the
// team's scope without the second factor does nothing; a staff token is
// issued from a session with the second factor, never from a token.
func TestStaffTokensDoTheTeamsWorkOnly(t *testing.T) {
	request := resources[HandleRequest]
	staffToken := Actor{Person: 40, EmailVerified: true, MFA: true, Token: true, Now: now,
		Scopes: []Scope{ScopeRequestsRead, ScopeRequestsWork, ScopeFilesRead}, Grants: []Grant{{Role: ComplaintOfficer, Org: "lydec"}}}
	if !Decide(staffToken, HandleRequest, request).Allow || !Decide(staffToken, ReadRequestQueue, Resource{Org: "lydec"}).Allow {
		t.Fatal("a staff token does not do the team's work")
	}
	if d := Decide(staffToken, ReadFile, Resource{OwnerPerson: 40}); d.Allow || d.Reason != ReasonTokenAction {
		t.Errorf("a staff token carrying files:read reads a file: %+v", d)
	}
	noMFA := staffToken
	noMFA.MFA = false
	if d := Decide(noMFA, HandleRequest, request); d.Allow || d.Reason != ReasonSecondFactor {
		t.Errorf("the team's scope without the second factor: %+v", d)
	}
	if d := Decide(staffToken, IssueStaffToken, Resource{OwnerPerson: 40}); d.Allow {
		t.Error("a staff token issues another")
	}
	session := Actor{Person: 40, EmailVerified: true, Now: now, Grants: staffToken.Grants}
	if d := Decide(session, IssueStaffToken, Resource{OwnerPerson: 40}); d.Allow || d.Reason != ReasonSecondFactor {
		t.Errorf("issued from a session without the second factor: %+v", d)
	}
	session.MFA = true
	if !Decide(session, IssueStaffToken, Resource{OwnerPerson: 40}).Allow {
		t.Error("the officer's session with the second factor may not issue a staff token")
	}
}
