package authz

import (
	"testing"

	"madina/internal/platform/errs"
)

// The server's operator (the command line) may open staff accounts and
// keep the organisations, load the directory of places and the address gazetteer, and seal what Madina issues by itself, and nothing else: not verify professionals (the
// schema records which administrator did), not read the audit log, not act
// on anyone's things; and a "system" actor that carries a person or comes
// by token is no system actor.
func TestSystemActorDoesOnlyTheCommandLinesActs(t *testing.T) {
	sys := Actor{System: true}
	for _, act := range Actions {
		d := Decide(sys, act, Resource{})
		want := act == ManageStaff || act == ManageOrgs || act == SealDocument || act == DispatchFile || act == SweepRequests ||
			act == ManagePlaces || // loading a city's directory of places
			act == ManageOpen311Clients || act == SweepBookings ||
			act == ImportAddresses // loading a city's address gazetteer
		if d.Allow != want {
			t.Errorf("system %s: allow %v (%s), want %v", act, d.Allow, d.Reason, want)
		}
		if !want {
			if err := Check(sys, act, Resource{}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("system %s refused as %v, want forbidden", act, err)
			}
		}
	}
	for _, a := range []Actor{{System: true, Person: 7}, {System: true, Token: true}} {
		if d := Decide(a, ManageStaff, Resource{}); d.Allow {
			t.Errorf("%+v allowed to manage staff", a)
		}
	}
}
