package identity

import (
	"context"
	"strings"
	"testing"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// citizen is a signed-up, verified, signed-in person.
type citizen struct {
	id    int64
	token string
}

// joinAs signs a person up in language lang, verifies their e-mail and signs
// them in.
func (e *env) joinAs(t *testing.T, email, cin, lang string) citizen {
	t.Helper()
	ctx := context.Background()
	p := profile(email, cin)
	p.Lang = lang
	id, err := e.s.SignUp(ctx, p, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.VerifyEmail(ctx, tokenOf(t, e.rec.last("identity.verify_email"))); err != nil {
		t.Fatal(err)
	}
	return citizen{id: id, token: e.signInAs(t, email)}
}

func (e *env) signInAs(t *testing.T, email string) string {
	t.Helper()
	res, err := e.s.SignIn(context.Background(), email, goodPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	return res.Token
}

// actorOf is the citizen's actor as the middleware builds it for a request now.
func (e *env) actorOf(t *testing.T, m citizen) authz.Actor {
	t.Helper()
	v, err := e.s.visitor(context.Background(), m.token)
	if err != nil {
		t.Fatal(err)
	}
	return v.Actor
}

func wantErrKey(t *testing.T, what string, err error, kind errs.Kind, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != kind || e.Key != key {
		t.Fatalf("%s: %v, want %s %q", what, err, kind, key)
	}
}

// auditTrail lists the audit log's (actor, action) pairs on an object
// type, oldest first.
func auditTrail(t *testing.T, d *db.DB, objectType string) []string {
	t.Helper()
	rs, err := audit.New(d).List(context.Background(), audit.Filter{ObjectType: objectType, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(rs) - 1; i >= 0; i-- {
		out = append(out, rs[i].Actor+" "+rs[i].Action+" "+rs[i].ObjectID)
	}
	return out
}

func TestLegalInputValidate(t *testing.T) {
	company := func(mod func(*LegalInput)) LegalInput {
		in := LegalInput{Kind: Company, Name: "  Atlas   Bâtiment SARL ", ICE: "001234567000089", RC: "rc 123456", Role: RoleManager}
		if mod != nil {
			mod(&in)
		}
		return in
	}
	bad := []struct {
		name string
		in   LegalInput
		key  string
	}{
		{"no kind", company(func(in *LegalInput) { in.Kind = "cooperative" }), "identity.error.legal_kind"},
		{"no name", company(func(in *LegalInput) { in.Name = "  " }), "identity.error.required"},
		{"markup", company(func(in *LegalInput) { in.Name = "<b>Atlas</b>" }), "identity.error.name_chars"},
		{"digits only", company(func(in *LegalInput) { in.Name = "2026" }), "identity.error.name_chars"},
		{"long name", company(func(in *LegalInput) { in.Name = strings.Repeat("a", 201) }), "identity.error.name_long"},
		{"Arabic name in Latin", company(func(in *LegalInput) { in.NameAR = "Atlas" }), "identity.error.legal_name_arabic"},
		{"short ICE", company(func(in *LegalInput) { in.ICE = "00123456700008" }), "identity.error.ice"},
		{"ICE with letters", company(func(in *LegalInput) { in.ICE = "00123456700008A" }), "identity.error.ice"},
		{"no RC", company(func(in *LegalInput) { in.RC = "" }), "identity.error.required"},
		{"RC without digits", company(func(in *LegalInput) { in.RC = "CASA" }), "identity.error.rc"},
		{"president of a company", company(func(in *LegalInput) { in.Role = RolePresident }), "identity.error.legal_role"},
		{"association without number", LegalInput{Kind: Association, Name: "Jeunes de Derb Sultan", Role: RolePresident}, "identity.error.required"},
		{"manager of an association", LegalInput{Kind: Association, Name: "Jeunes de Derb Sultan", AssociationNumber: "1234", Role: RoleManager}, "identity.error.legal_role"},
	}
	for _, c := range bad {
		in := c.in
		if err := in.Validate(); errs.As(err) == nil || errs.As(err).Key != c.key {
			t.Errorf("%s: %v, want %s", c.name, err, c.key)
		}
	}
	in := company(func(in *LegalInput) {
		in.ICE = "٠٠١ ٢٣٤ ٥٦٧ ٠٠٠ ٠٨٩"
		in.NameAR = " أطلس  للبناء "
	})
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if in.Name != "Atlas Bâtiment SARL" || in.NameAR != "أطلس للبناء" || in.ICE != "001234567000089" || in.RC != "RC 123456" {
		t.Fatalf("not normalised: %+v", in)
	}
	assoc := LegalInput{Kind: Association, Name: "Jeunes de Derb Sultan", ICE: "001234567000089", RC: "1", AssociationNumber: " 12/2019 ", Role: RoleLegalRepresentative}
	if err := assoc.Validate(); err != nil || assoc.ICE != "" || assoc.RC != "" || assoc.AssociationNumber != "12/2019" {
		t.Fatalf("association: %+v %v", assoc, err)
	}
}

func TestRegisterLegalPersons(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		amina := e.joinAs(t, "amina@example.ma", "BK1002", "ar")
		atlas := LegalInput{Kind: Company, Name: "Atlas Bâtiment", ICE: "001234567000089", RC: "123456", Role: RoleManager}

		// An account whose e-mail is not confirmed cannot register one.
		if _, err := e.s.RegisterLegalPerson(ctx, authz.Actor{Person: youssef.id}, atlas); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("unverified e-mail: %v", err)
		}
		bad := atlas
		bad.ICE = "12345"
		_, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), bad)
		wantErrKey(t, "bad ICE", err, errs.Invalid, "identity.error.ice")
		if errs.As(err).Field != "ice" {
			t.Fatalf("bad ICE on field %q", errs.As(err).Field)
		}
		atlasID, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef), atlas)
		if err != nil {
			t.Fatal(err)
		}
		// The same ICE again, by anyone, is refused on its field.
		again := atlas
		again.Name, again.ICE = "Atlas Bis", " 001 234 567 000 089 "
		_, err = e.s.RegisterLegalPerson(ctx, e.actorOf(t, amina), again)
		wantErrKey(t, "duplicate ICE", err, errs.Conflict, ErrRegistered)
		assocID, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef),
			LegalInput{Kind: Association, Name: "Jeunes de Derb Sultan", NameAR: "شباب درب السلطان", AssociationNumber: "12/2019", Role: RolePresident})
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.s.LegalPersons(ctx, e.actorOf(t, youssef))
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != atlasID || list[0].Role != RoleManager || list[0].ICE != "001234567000089" ||
			list[1].ID != assocID || list[1].Role != RolePresident || list[1].DisplayName("ar") != "شباب درب السلطان" || list[1].DisplayName("fr") != "Jeunes de Derb Sultan" {
			t.Fatalf("legal persons: %+v", list)
		}
		// The new representative may act for them at once (no stale cache).
		if a := e.actorOf(t, youssef); len(a.Represents) != 2 {
			t.Fatalf("represents %v", a.Represents)
		}
		if list, _ := e.s.LegalPersons(ctx, e.actorOf(t, amina)); len(list) != 0 {
			t.Fatalf("amina sees %+v", list)
		}
		want := []string{
			personActor(youssef.id) + " identity.legal_person_registered " + idText(atlasID),
			personActor(youssef.id) + " identity.legal_person_registered " + idText(assocID),
		}
		if got := auditTrail(t, d, "legal_person"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestActingFor(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		youssef := e.joinAs(t, "youssef@example.ma", "BK1001", "fr")
		amina := e.joinAs(t, "amina@example.ma", "BK1002", "ar")
		atlas, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, youssef),
			LegalInput{Kind: Company, Name: "Atlas Bâtiment", ICE: "001234567000089", RC: "123456", Role: RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		// Someone who does not represent it, or asks for one that does not
		// exist, is told it is not found; their session does not change.
		if err := e.s.ActFor(ctx, e.actorOf(t, amina), hashToken(amina.token), atlas); !errs.Is(err, errs.NotFound) {
			t.Fatalf("non-representative: %v", err)
		}
		if err := e.s.ActFor(ctx, e.actorOf(t, youssef), hashToken(youssef.token), atlas+100); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown legal person: %v", err)
		}
		if a := e.actorOf(t, amina); a.ActingFor != 0 {
			t.Fatalf("amina acts for %d", a.ActingFor)
		}
		// Nor can a representative switch someone else's session.
		if err := e.s.ActFor(ctx, e.actorOf(t, youssef), hashToken(amina.token), atlas); !errs.Is(err, errs.NotFound) {
			t.Fatalf("someone else's session: %v", err)
		}
		if err := e.s.ActFor(ctx, e.actorOf(t, youssef), hashToken(youssef.token), atlas); err != nil {
			t.Fatal(err)
		}
		a := e.actorOf(t, youssef)
		if a.ActingFor != atlas {
			t.Fatalf("acting for %d, want %d", a.ActingFor, atlas)
		}
		if l, err := e.s.ActingFor(ctx, a); err != nil || l == nil || l.Name != "Atlas Bâtiment" {
			t.Fatalf("acting for %+v %v", l, err)
		}
		// Another session of the same person still acts for them.
		other := citizen{id: youssef.id, token: e.signInAs(t, "youssef@example.ma")}
		if e.actorOf(t, other).ActingFor != 0 {
			t.Fatal("the switch leaked to another session")
		}
		if err := e.s.ActAsSelf(ctx, a, hashToken(youssef.token)); err != nil {
			t.Fatal(err)
		}
		if a := e.actorOf(t, youssef); a.ActingFor != 0 {
			t.Fatalf("still acting for %d", a.ActingFor)
		}
		// Acting for themselves already: nothing to record.
		if err := e.s.ActAsSelf(ctx, e.actorOf(t, youssef), hashToken(youssef.token)); err != nil {
			t.Fatal(err)
		}
		// A representative whose role ends acts for themselves again.
		if err := e.s.ActFor(ctx, e.actorOf(t, youssef), hashToken(youssef.token), atlas); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE representatives SET revoked_at = created_at WHERE legal_person_id = $1`, atlas); err != nil {
			t.Fatal(err)
		}
		e.s.Forget(youssef.id)
		if a := e.actorOf(t, youssef); a.ActingFor != 0 || len(a.Represents) != 0 {
			t.Fatalf("after the role ended: acting for %d, represents %v", a.ActingFor, a.Represents)
		}
		want := []string{
			personActor(youssef.id) + " identity.act_for " + idText(atlas),
			personActor(youssef.id) + " identity.act_for " + idText(atlas),
		}
		if got := auditTrail(t, d, "legal_person"); strings.Join(got[1:], "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit: %q", got)
		}
		if got := auditTrail(t, d, "person"); !hasEntry(got, personActor(youssef.id)+" identity.act_as_self "+idText(youssef.id)) ||
			countEntries(got, "identity.act_as_self") != 1 {
			t.Fatalf("audit of the switch back: %q", got)
		}
	})
}

func idText(id int64) string { return personActor(id)[len("person:"):] }

func hasEntry(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func countEntries(ss []string, sub string) int {
	n := 0
	for _, x := range ss {
		if strings.Contains(x, sub) {
			n++
		}
	}
	return n
}
