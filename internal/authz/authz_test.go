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
}

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
	ReviewFile:         {OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "anfa"},
	VerifyProfessional: {},
	ManageStaff:        {},
	ManageOrgs:         {},
	ReadAudit:          {},
	DecideLegalClaim:   {OwnerLegal: company, OwnerPerson: otherCit},
}

// want: A allow, D deny, H hide (404), one letter per action in Actions order:
// profile.read profile.update profile.export security tokens inbox
// legal.create legal.act_for mandate.grant mandate.revoke mandate.read
// profession.declare file.prepare plans.sign file.read file.review professional.verify staff orgs audit
// legal.claim.decide (the other citizen's claim on the company)
var want = map[string]string{
	"anonymous":        "DDDDDD DD DDD D DD DD DDDD D",
	"citizen":          "AAAAAA AH AAA A DD AH DDDD H",
	"unverified":       "HHHHHH DH HHH D HH HH DDDD H",
	"other citizen":    "HHHHHH AH HHH A HH HH DDDD D",
	"manager for co.":  "HHHHHH AA HHH A HH HH DDDD A",
	"architect":        "HHHHHH AH HHA A AA AH DDDD H",
	"architect unver.": "HHHHHH AH HHH A DD DH DDDD H",
	"architect no mnd": "HHHHHH AH HHH A HH HH DDDD H",
	"engineer":         "HHHHHH AH HHH A DD AH DDDD H",
	"window agent":     "HHHHHH AH HHH A HH AA DDDD H",
	"admin":            "HHHHHH AH HHH A HH HH AAAA A",
	"admin no 2FA":     "HHHHHH AH HHH A HH HH DDDD D",
	"auditor":          "HHHHHH AH HHH A HH HH DDDA H",
	"citizen token":    "ADDDDD DD DDD D DD DD DDDD D",
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
// and without.
func TestEveryRoleIsInTheTable(t *testing.T) {
	for _, role := range Roles {
		for _, mfa := range []bool{true, false} {
			a := Actor{Person: 20, EmailVerified: true, MFA: mfa, Now: now, Grants: []Grant{{Role: role, Org: "commune", Window: "city"}}}
			for _, act := range Actions {
				got := Decide(a, act, resources[act])
				want := Decide(Actor{Person: 20, EmailVerified: true, MFA: mfa, Now: now, Grants: []Grant{{Role: WindowAgent, Org: "commune", Window: "city"}}}, act, resources[act])
				switch {
				case role == Admin && (act == VerifyProfessional || act == ManageStaff || act == ManageOrgs || act == ReadAudit || act == DecideLegalClaim):
					want = Decision{Allow: mfa}
				case role == Auditor && act == ReadAudit:
					want = Decision{Allow: mfa}
				}
				if got.Allow != want.Allow || got.Hide != want.Hide {
					t.Errorf("%s (second factor %v) / %s: allow %v hide %v (%s), want allow %v hide %v", role, mfa, act, got.Allow, got.Hide, got.Reason, want.Allow, want.Hide)
				}
			}
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
