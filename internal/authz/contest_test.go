package authz

import (
	"testing"

	"madina/internal/platform/errs"
)

// A penalty of Casa In's ladder is contested in the name its booking
// belongs to: an association's, by a current representative acting for
// it; a person's, by the person in their own name. A representative in
// a personal session is told to act for the association; whoever does
// not represent it (another association's representative, a
// representative since revoked) does not see it.
func TestPenaltiesAreContestedInTheOwnersName(t *testing.T) {
	const assoc, other = 500, 501
	theirs := Resource{OwnerLegal: assoc}
	rep := Actor{Person: 60, EmailVerified: true, Now: now, Represents: []int64{assoc, other}, ActingFor: assoc}
	if d := Decide(rep, ContestPenalty, theirs); !d.Allow {
		t.Fatalf("a representative acting for the association: %+v", d)
	}
	personal := rep
	personal.ActingFor = 0
	if err := Check(personal, ContestPenalty, theirs); !errs.Is(err, errs.Forbidden) || errs.As(err).Key != "error.authz.act_as_owner" {
		t.Fatalf("from a personal session: %v, want the act-as-owner refusal", err)
	}
	forOther := rep
	forOther.ActingFor = other
	if d := Decide(forOther, ContestPenalty, theirs); d.Allow || d.Reason != ReasonActAsOwner {
		t.Fatalf("acting for another association they represent: %+v", d)
	}
	stranger := Actor{Person: 61, EmailVerified: true, Now: now, Represents: []int64{other}, ActingFor: other}
	if d := Decide(stranger, ContestPenalty, theirs); d.Allow || !d.Hide {
		t.Fatalf("another association's representative: %+v, want hidden", d)
	}
	// Revoked: no longer among Represents (identity drops the session's
	// ActingFor too; refused even if it did not).
	revoked := Actor{Person: 62, EmailVerified: true, Now: now, ActingFor: assoc}
	if d := Decide(revoked, ContestPenalty, theirs); d.Allow || !d.Hide {
		t.Fatalf("a revoked representative: %+v, want hidden", d)
	}
	mgr := Actor{Person: 63, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: FacilityManager, Org: "moulay-rachid"}}}
	if d := Decide(mgr, ContestPenalty, theirs); d.Allow || !d.Hide {
		t.Fatalf("a facility manager contesting for the association: %+v", d)
	}

	mine := Resource{OwnerPerson: 60}
	if !Decide(personal, ContestPenalty, mine).Allow {
		t.Fatal("a person cannot contest their own penalty in their own name")
	}
	if d := Decide(rep, ContestPenalty, mine); d.Allow || d.Reason != ReasonActAsOwner {
		t.Fatalf("their own penalty while acting for the association: %+v", d)
	}
	if d := Decide(stranger, ContestPenalty, mine); d.Allow || !d.Hide {
		t.Fatalf("someone else's penalty: %+v, want hidden", d)
	}
	tok := personal
	tok.Token, tok.Scopes = true, []Scope{ScopeProfileRead}
	if Decide(tok, ContestPenalty, mine).Allow {
		t.Fatal("an API token contested a penalty")
	}
}
