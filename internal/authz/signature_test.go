package authz

import (
	"testing"

	"madina/internal/platform/errs"
)

// Who may hold a signing key, decided on their own key: staff with the
// second factor and verified architects; nobody else, and nobody while
// acting for a company. Signing with another's key is refused with its
// own message, whoever asks.
func TestSignerEligibility(t *testing.T) {
	cases := []struct {
		actor string
		want  bool
		key   string // the refusal's message
	}{
		{"citizen", false, "error.authz.not_signer"},
		{"architect", true, ""},
		{"architect unver.", false, "error.authz.unverified_professional"},
		{"engineer", false, "error.authz.not_signer"},
		{"window agent", true, ""},
		{"admin", true, ""},
		{"admin no 2FA", false, "error.authz.mfa"},
		{"manager for co.", false, "error.authz.sign_acting_for"},
	}
	for _, c := range cases {
		a := actors[c.actor]
		a.Now = now
		for _, act := range []Action{EnrolSigner, Sign} {
			err := Check(a, act, Resource{OwnerPerson: a.Person})
			if (err == nil) != c.want {
				t.Errorf("%s / %s on their own key: %v, want allowed %v", c.actor, act, err, c.want)
			}
			if !c.want {
				if e := errs.As(err); e == nil || e.Kind != errs.Forbidden || e.Key != c.key {
					t.Errorf("%s / %s: %v, want forbidden %s", c.actor, act, err, c.key)
				}
			}
		}
	}
	for _, name := range []string{"architect", "window agent", "admin"} {
		a := actors[name]
		a.Now = now
		err := Check(a, Sign, Resource{OwnerPerson: 999})
		if e := errs.As(err); e == nil || e.Kind != errs.Forbidden || e.Key != "error.authz.sign_as_other" {
			t.Errorf("%s signing with another's key: %v, want forbidden error.authz.sign_as_other", name, err)
		}
		if err := Check(a, EnrolSigner, Resource{OwnerPerson: 999}); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s enrolling for another: %v, want not found", name, err)
		}
	}
	// An API token: an architect's with the certificate scopes enrols
	// and revokes; one without them does not; a token never signs.
	arch := actors["architect"]
	arch.Now, arch.Token, arch.Scopes = now, true, []Scope{ScopeCertificatesRead, ScopeCertificatesWrite}
	own := Resource{OwnerPerson: arch.Person}
	for _, act := range []Action{ReadSigner, EnrolSigner, RevokeSigner} {
		if err := Check(arch, act, own); err != nil {
			t.Errorf("architect's token / %s: %v", act, err)
		}
	}
	if Decide(arch, Sign, own).Allow {
		t.Error("a token signed")
	}
	arch.Scopes = []Scope{ScopeCertificatesRead}
	if Decide(arch, EnrolSigner, own).Allow {
		t.Error("a read-only token enrolled")
	}
}
