package authz

import "testing"

// TestWhoManagesPlaces: the city's editors keep the directory of places,
// an arrondissement's editor only that arrondissement's, and only once
// past the second factor; a citizen, a window agent or an administrator
// does not (an administrator appoints editors, not places).
func TestWhoManagesPlaces(t *testing.T) {
	inSidiOthmane := Resource{Arrondissement: "sidi-othmane"}
	for _, c := range []struct {
		name  string
		a     Actor
		allow bool
	}{
		{"the commune's editor", Actor{Person: 50, EmailVerified: true, MFA: true, Grants: []Grant{{Role: Editor, Org: "commune"}}}, true},
		{"Sidi Othmane's editor", Actor{Person: 51, EmailVerified: true, MFA: true, Grants: []Grant{{Role: Editor, Org: "sidi-othmane", Arrondissement: "sidi-othmane"}}}, true},
		{"Anfa's editor", Actor{Person: 52, EmailVerified: true, MFA: true, Grants: []Grant{{Role: Editor, Org: "anfa", Arrondissement: "anfa"}}}, false},
		{"an editor without the second factor", Actor{Person: 53, EmailVerified: true, Grants: []Grant{{Role: Editor, Org: "commune"}}}, false},
		{"an administrator", actors["admin"], false},
		{"a window agent", actors["window agent"], false},
		{"a citizen", actors["citizen"], false},
	} {
		c.a.Now = now
		if d := Decide(c.a, ManagePlaces, inSidiOthmane); d.Allow != c.allow {
			t.Errorf("%s: allow %v (%s), want %v", c.name, d.Allow, d.Reason, c.allow)
		}
	}
}
