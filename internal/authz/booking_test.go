package authz

import (
	"testing"

	"madina/internal/platform/errs"
)

// A facility manager of Moulay Rachid approves a citizen's booking there,
// but never their own, nor one for an association they represent, nor
// one in another arrondissement; a dispatcher of Sbata dispatches Sbata's
// ambulances only.
func TestFacilityManagersActOfficiallyOnlyOnOthersBookings(t *testing.T) {
	const assoc = 900
	fm := Actor{Person: 60, EmailVerified: true, MFA: true, Now: now, Represents: []int64{assoc},
		Grants: []Grant{{Role: FacilityManager, Org: "moulay-rachid", Arrondissement: "moulay-rachid"}}}
	others := Resource{OwnerPerson: citizen, Org: "moulay-rachid", Arrondissement: "moulay-rachid"}
	if d := Decide(fm, ManageBooking, others); !d.Allow {
		t.Fatalf("the manager cannot approve a citizen's booking: %s", d.Reason)
	}
	own := others
	own.OwnerPerson = fm.Person
	if err := Check(fm, ManageBooking, own); !errs.Is(err, errs.Forbidden) || errs.As(err).Key != "error.authz.conflict" {
		t.Errorf("own booking: %v, want a conflict-of-interest refusal", err)
	}
	forAssoc := Resource{OwnerLegal: assoc, Org: "moulay-rachid", Arrondissement: "moulay-rachid", Involved: Involved{}.AddPersons(citizen)}
	if d := Decide(fm, ManageBooking, forAssoc); d.Allow || d.Reason != ReasonConflict {
		t.Errorf("their association's booking: %+v, want a conflict of interest", d)
	}
	// A season roster's allocation involves every applicant association
	// and its representative: a manager presiding one of them may not run
	// it, another manager may.
	roster := Resource{Org: "moulay-rachid", Arrondissement: "moulay-rachid", Involved: Involved{}.AddLegals(assoc+7, assoc).AddPersons(citizen)}
	if d := Decide(fm, ManageBooking, roster); d.Allow || d.Reason != ReasonConflict {
		t.Errorf("a roster their association applied to: %+v, want a conflict of interest", d)
	}
	roster.Involved = Involved{}.AddLegals(assoc + 7).AddPersons(citizen)
	if d := Decide(fm, ManageBooking, roster); !d.Allow {
		t.Errorf("a roster of other associations: %s", d.Reason)
	}
	elsewhere := others
	elsewhere.Org, elsewhere.Arrondissement = "maarif", "maarif"
	if d := Decide(fm, ManageBooking, elsewhere); d.Allow || !d.Hide {
		t.Errorf("Maarif's booking: %+v, want hidden", d)
	}
	noMFA := fm
	noMFA.MFA = false
	if d := Decide(noMFA, ManageBooking, others); d.Allow || d.Reason != ReasonSecondFactor {
		t.Errorf("without the second factor: %+v", d)
	}
	if d := Decide(fm, BookFacility, Resource{OwnerPerson: fm.Person}); d.Allow {
		t.Error("a staff account books: it books from a personal account")
	}
	disp := Actor{Person: 61, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: Dispatcher, Org: "sbata"}}}
	amb := Resource{OwnerPerson: citizen, Org: "sbata", Arrondissement: "sbata"}
	if d := Decide(disp, DispatchAmbulance, amb); !d.Allow {
		t.Errorf("Sbata's dispatcher refused: %s", d.Reason)
	}
	if d := Decide(disp, ManageBooking, others); d.Allow {
		t.Error("a dispatcher manages bookings")
	}
	if d := Decide(disp, DispatchAmbulance, Resource{OwnerPerson: disp.Person, Org: "sbata", Arrondissement: "sbata"}); d.Allow || d.Reason != ReasonConflict {
		t.Errorf("a dispatcher on their own request: %+v", d)
	}
	// A citizen acting for their association books in its name, not in
	// another's.
	rep := Actor{Person: 62, EmailVerified: true, Now: now, Represents: []int64{assoc}, ActingFor: assoc}
	if d := Decide(rep, BookFacility, Resource{OwnerLegal: assoc}); !d.Allow {
		t.Errorf("the association's representative: %s", d.Reason)
	}
	if d := Decide(rep, BookFacility, Resource{OwnerLegal: assoc + 1}); d.Allow {
		t.Error("books for an association they do not represent")
	}
}

// A person's part in a team is theirs alone: the captain's acts are the
// captain's, an invitation is answered by its invitee; never from a staff
// account, nor in an association's name, nor unverified.
func TestTeamsAreEachPersonsOwn(t *testing.T) {
	const assoc = 901
	p := Actor{Person: 70, EmailVerified: true, Now: now}
	if d := Decide(p, ManageTeam, Resource{OwnerPerson: p.Person}); !d.Allow {
		t.Fatalf("a verified citizen on their own team: %s", d.Reason)
	}
	if d := Decide(p, ManageTeam, Resource{OwnerPerson: 71}); d.Allow || !d.Hide {
		t.Errorf("another person's team or invitation: %+v, want hidden", d)
	}
	rep := p
	rep.Represents, rep.ActingFor = []int64{assoc}, assoc
	if d := Decide(rep, ManageTeam, Resource{OwnerPerson: p.Person}); d.Allow {
		t.Error("a team managed in an association's name")
	}
	if d := Decide(rep, ManageTeam, Resource{OwnerLegal: assoc}); d.Allow {
		t.Error("an association owns a team")
	}
	unverified := p
	unverified.EmailVerified = false
	if d := Decide(unverified, ManageTeam, Resource{OwnerPerson: p.Person}); d.Allow || d.Reason != ReasonEmailUnverified {
		t.Errorf("unverified: %+v", d)
	}
	staff := Actor{Person: 72, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: FacilityManager, Org: "moulay-rachid"}}}
	if d := Decide(staff, ManageTeam, Resource{OwnerPerson: staff.Person}); d.Allow {
		t.Error("a staff account captains a team: teams are booked from a personal account")
	}
}

// A facility manager adds a facility to their own organisation's list,
// with the second factor; never to another organisation's, and a
// dispatcher of the same organisation does not.
func TestFacilityManagersCreateFacilitiesOfTheirOwnOrganisation(t *testing.T) {
	fm := Actor{Person: 60, EmailVerified: true, MFA: true, Now: now,
		Grants: []Grant{{Role: FacilityManager, Org: "moulay-rachid", Arrondissement: "moulay-rachid"}}}
	own := Resource{Org: "moulay-rachid", Arrondissement: "moulay-rachid"}
	if d := Decide(fm, CreateFacility, own); !d.Allow {
		t.Fatalf("the manager cannot add a facility of their own: %s", d.Reason)
	}
	if d := Decide(fm, CreateFacility, Resource{Org: "maarif", Arrondissement: "maarif"}); d.Allow || !d.Hide {
		t.Errorf("Maarif's new facility: %+v, want hidden", d)
	}
	noMFA := fm
	noMFA.MFA = false
	if err := Check(noMFA, CreateFacility, own); !errs.Is(err, errs.Forbidden) {
		t.Errorf("without the second factor: %v, want forbidden", err)
	}
	disp := Actor{Person: 61, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: Dispatcher, Org: "moulay-rachid"}}}
	if d := Decide(disp, CreateFacility, own); d.Allow {
		t.Error("a dispatcher adds a facility")
	}
}
