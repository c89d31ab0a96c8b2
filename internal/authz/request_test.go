package authz

import (
	"testing"

	"madina/internal/platform/errs"
)

// TestNobodyHandlesTheirOwnRequest: a complaint officer who filed a
// request reads it as its reporter but never acts on it officially; a
// colleague does. An officer of another organisation, or of another
// arrondissement, does not see it at all.
func TestNobodyHandlesTheirOwnRequest(t *testing.T) {
	officer := Actor{Person: 50, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: ComplaintOfficer, Org: "sidi-moumen"}}}
	own := Resource{OwnerPerson: officer.Person, Org: "sidi-moumen", Arrondissement: "sidi-moumen"}
	if !Decide(officer, ReadRequest, own).Allow || !Decide(officer, FollowRequest, own).Allow {
		t.Fatal("the officer cannot read or follow their own request")
	}
	err := Check(officer, HandleRequest, own)
	if e := errs.As(err); e == nil || e.Kind != errs.Forbidden || e.Key != "error.authz.conflict" {
		t.Fatalf("an officer handling their own request: %v", err)
	}
	colleague := Actor{Person: 51, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: ComplaintOfficer, Org: "sidi-moumen", Arrondissement: "sidi-moumen"}}}
	if !Decide(colleague, HandleRequest, own).Allow {
		t.Fatal("a colleague cannot handle it")
	}
	coReporter := own
	coReporter.OwnerPerson = citizen
	coReporter.Involved = Involved{}.AddPersons(colleague.Person)
	if d := Decide(colleague, HandleRequest, coReporter); d.Allow || d.Reason != ReasonConflict {
		t.Fatalf("a co-reporter handling the request: %+v", d)
	}
	elsewhere := own
	elsewhere.Org, elsewhere.Arrondissement = "anfa", "anfa"
	if d := Decide(colleague, ReadRequest, elsewhere); !d.Hide {
		t.Fatalf("another arrondissement's request: %+v", d)
	}
	if err := Check(Actor{}, FileRequest, Resource{}); errs.As(err) == nil || errs.As(err).Kind != errs.Unauthenticated {
		t.Fatalf("anonymous filing: %v", err)
	}
}
