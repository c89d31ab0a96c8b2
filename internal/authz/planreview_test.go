package authz

import (
	"testing"

	"madina/internal/platform/errs"
)

// TestPlanReviewPolicy: on a file's plans, the committee's members of an
// organisation sitting on it and the window's agents read everything,
// annotate and answer; the applicant and their mandated architect read
// what is shared with them and answer, and are told, not hidden from,
// the committee's own notes; a member of an organisation not sitting on
// it sees nothing; a seated member who is the file's owner answers as the
// applicant and reads no committee note.
func TestPlanReviewPolicy(t *testing.T) {
	file := Resource{OwnerPerson: citizen, PermitKind: "building", RequiresArchitect: true, Window: "city", Seats: []string{"aucasa"}}
	member := Actor{Person: 77, EmailVerified: true, MFA: true, Now: now, Grants: []Grant{{Role: CommitteeMember, Org: "aucasa"}}}
	for _, act := range []Action{ReadAnnotations, ReadCommitteeNotes, Annotate, ReplyAnnotation} {
		if d := Decide(member, act, file); !d.Allow {
			t.Errorf("a seated member / %s: %+v", act, d)
		}
	}
	other := member
	other.Grants = []Grant{{Role: CommitteeMember, Org: "lydec"}}
	for _, act := range []Action{ReadAnnotations, ReadCommitteeNotes, Annotate, ReplyAnnotation} {
		if d := Decide(other, act, file); d.Allow || !d.Hide {
			t.Errorf("a member of an organisation not sitting / %s: %+v", act, d)
		}
	}
	owner := actors["citizen"]
	owner.Now = now
	if !Decide(owner, ReadAnnotations, file).Allow || !Decide(owner, ReplyAnnotation, file).Allow {
		t.Error("the applicant cannot read the shared annotations or answer")
	}
	if e := errs.As(Check(owner, ReadCommitteeNotes, file)); e == nil || e.Kind != errs.Forbidden || e.Key != "error.authz.committee_only" {
		t.Errorf("the applicant reading the committee's notes: %v", e)
	}
	if e := errs.As(Check(owner, Annotate, file)); e == nil || e.Kind != errs.Forbidden || e.Key != "error.authz.applicant_answers" {
		t.Errorf("the applicant annotating: %v", e)
	}
	arch := actors["architect"]
	arch.Now = now
	if !Decide(arch, ReplyAnnotation, file).Allow || Decide(arch, ReadCommitteeNotes, file).Allow {
		t.Error("the mandated architect answers and reads no committee note")
	}
	own := file
	own.OwnerPerson = member.Person
	if d := Decide(member, ReplyAnnotation, own); !d.Allow || d.Reason != ReasonOwner {
		t.Errorf("a member answering on their own file: %+v, want as its owner", d)
	}
	if d := Decide(member, ReadCommitteeNotes, own); d.Allow || d.Reason != ReasonConflict {
		t.Errorf("a member reading the committee's notes on their own file: %+v", d)
	}
	member.MFA = false
	if d := Decide(member, Annotate, file); d.Allow || d.Reason != ReasonSecondFactor {
		t.Errorf("a member without the second factor annotates: %+v", d)
	}
	tok := Actor{Person: citizen, EmailVerified: true, Token: true, Scopes: []Scope{ScopeFilesRead}, Now: now}
	if !Decide(tok, ReadAnnotations, file).Allow || Decide(tok, ReplyAnnotation, file).Allow {
		t.Error("a files:read token reads the shared annotations and does not answer")
	}
	if e := errs.As(Check(tok, ReadCommitteeNotes, file)); e == nil || e.Key != "error.authz.committee_only" {
		t.Errorf("the applicant's token asking for the committee's notes: %v", e)
	}
	// A token carries no staff grant (identity strips them): a member's
	// token is an outsider's.
	mtok := Actor{Person: 77, EmailVerified: true, Token: true, Scopes: []Scope{ScopeFilesRead, ScopeFilesWrite}, Now: now}
	if d := Decide(mtok, Annotate, file); d.Allow || !d.Hide {
		t.Errorf("a token without grants annotates: %+v", d)
	}
}
