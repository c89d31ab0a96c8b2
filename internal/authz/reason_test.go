package authz

import (
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// A refusal's message follows from its reason: each case is a real
// decision of the policy, its typed reason, and the message key Check
// gives it.
func TestRefusalMessagesComeFromTheReason(t *testing.T) {
	cases := []struct {
		actor  string
		act    Action
		r      Resource
		reason Reason
		kind   errs.Kind
		key    string
	}{
		{"anonymous", ReadProfile, resources[ReadProfile], ReasonAnonymous, errs.Unauthenticated, "error.authz.signin"},
		{"other citizen", ReadProfile, resources[ReadProfile], ReasonNotOwn, errs.NotFound, ""},
		{"admin no 2FA", ManageStaff, resources[ManageStaff], ReasonSecondFactor, errs.Forbidden, "error.authz.mfa"},
		{"citizen", PrepareFile, resources[PrepareFile], ReasonArchitect, errs.Forbidden, "error.authz.architect"},
		{"engineer", SignPlans, resources[SignPlans], ReasonArchitect, errs.Forbidden, "error.authz.architect"},
		{"architect unver.", PrepareFile, resources[PrepareFile], ReasonUnverifiedPro, errs.Forbidden, "error.authz.unverified_professional"},
		{"admin, involved", ManageStaff, resources[ManageStaff], ReasonConflict, errs.Forbidden, "error.authz.conflict"},
		{"citizen", ManageOrgs, resources[ManageOrgs], ReasonNeedsRole, errs.Forbidden, ""},
		{"citizen token", ManageSecurity, resources[ManageSecurity], ReasonTokenAction, errs.Forbidden, ""},
		{"citizen token", ReadInbox, Resource{OwnerPerson: citizen}, ReasonTokenScope, errs.Forbidden, ""},
		{"unverified", CreateLegalPerson, resources[CreateLegalPerson], ReasonEmailUnverified, errs.Forbidden, ""},
	}
	for _, c := range cases {
		a := actors[c.actor]
		a.Now = now
		d := Decide(a, c.act, c.r)
		if d.Allow || d.Reason != c.reason {
			t.Errorf("%s / %s: %+v, want refused for %q", c.actor, c.act, d, c.reason)
			continue
		}
		e := errs.As(Check(a, c.act, c.r))
		if e == nil || e.Kind != c.kind || e.Key != c.key {
			t.Errorf("%s / %s (%s): Check = %v, want %s %q", c.actor, c.act, c.reason, e, c.kind, c.key)
		}
	}
}

// Every refusal message exists in every language.
func TestRefusalMessagesAreTranslated(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"error.authz.signin"}
	for _, k := range refusalKeys {
		keys = append(keys, k)
	}
	for _, k := range keys {
		for _, l := range i18n.Langs {
			if !cat.Has(l, k) {
				t.Errorf("%s: no %s text", k, l)
			}
		}
	}
}

// The log line names the role or scope a refusal is about.
func TestDecisionNamesWhatIsMissing(t *testing.T) {
	a := actors["citizen token"]
	a.Now = now
	if got := Decide(a, ReadInbox, Resource{OwnerPerson: citizen}).String(); got != "token lacks scope inbox:read" {
		t.Errorf("token: %q", got)
	}
	c := actors["citizen"]
	c.Now = now
	if got := Decide(c, ManageOrgs, resources[ManageOrgs]).String(); got != "needs role admin" {
		t.Errorf("role: %q", got)
	}
}
