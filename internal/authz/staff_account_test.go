package authz

import "testing"

// TestStaffAccountsDoNoCitizenBusiness: a staff account may not register a
// company, declare a profession or give a mandate, even on its own
// behalf, and the refusal hides (pages leave the sections out); the same
// person without a staff role may.
func TestStaffAccountsDoNoCitizenBusiness(t *testing.T) {
	staff := Actor{Person: 40, EmailVerified: true, MFA: true, Grants: []Grant{{Role: WindowAgent, Org: "anfa", Window: "anfa"}}}
	person := Actor{Person: 40, EmailVerified: true}
	own := Resource{OwnerPerson: 40}
	for _, act := range []Action{CreateLegalPerson, DeclareProfession, GrantMandate} {
		if d := Decide(staff, act, own); d.Allow || !d.Hide || d.Reason != ReasonStaffAccount {
			t.Errorf("staff / %s: %+v, want hidden for a staff account", act, d)
		}
		if d := Decide(person, act, own); !d.Allow {
			t.Errorf("the same person without a staff role / %s: %+v, want allowed", act, d)
		}
	}
	// What is theirs stays theirs: the profile, the security page.
	for _, act := range []Action{ReadProfile, UpdateProfile, ManageSecurity} {
		if d := Decide(staff, act, own); !d.Allow {
			t.Errorf("staff / %s on their own: %+v", act, d)
		}
	}
}
