package identity

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

func TestMandateInputValidate(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) // 10:00 in Casablanca
	ok := func(mod func(*MandateInput)) MandateInput {
		in := MandateInput{Professional: " archi@example.ma ", Scope: ScopeKind, PermitKind: "building"}
		if mod != nil {
			mod(&in)
		}
		return in
	}
	midnightAfter := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d+1, 0, 0, 0, 0, i18n.Casablanca).UTC()
	}
	good := []struct {
		name string
		in   MandateInput
		ends time.Time
	}{
		{"one year by default", ok(nil), midnightAfter(2027, 11, 22)},
		{"until today", ok(func(in *MandateInput) { in.Until = "2026-11-22" }), midnightAfter(2026, 11, 22)},
		{"three years", ok(func(in *MandateInput) { in.Until = "2029-11-22" }), midnightAfter(2029, 11, 22)},
		{"one file", ok(func(in *MandateInput) { in.Scope, in.FileRef = ScopeFile, " 2026/BC-00123 " }), midnightAfter(2027, 11, 22)},
	}
	for _, c := range good {
		in := c.in
		ends, err := in.Validate(now, testKinds)
		if err != nil || !ends.Equal(c.ends) {
			t.Errorf("%s: ends %v, %v; want %v", c.name, ends, err, c.ends)
		}
		if in.Professional != "archi@example.ma" || in.Until == "" {
			t.Errorf("%s: not normalised: %+v", c.name, in)
		}
		if (in.Scope == ScopeFile) != (in.PermitKind == "") || (in.Scope == ScopeFile) != (in.FileRef != "") {
			t.Errorf("%s: scope %q with kind %q and file %q", c.name, in.Scope, in.PermitKind, in.FileRef)
		}
	}
	bad := []struct {
		name string
		in   MandateInput
		key  string
	}{
		{"nobody", ok(func(in *MandateInput) { in.Professional = " " }), "identity.error.required"},
		{"no scope", ok(func(in *MandateInput) { in.Scope = "" }), "identity.error.mandate_scope"},
		{"unknown kind", ok(func(in *MandateInput) { in.PermitKind = "villa" }), "identity.error.mandate_kind"},
		{"bad file", ok(func(in *MandateInput) { in.Scope, in.FileRef = ScopeFile, "<script>" }), "identity.error.mandate_file"},
		{"no file", ok(func(in *MandateInput) { in.Scope = ScopeFile }), "identity.error.mandate_file"},
		{"not a date", ok(func(in *MandateInput) { in.Until = "22/11/2027" }), "identity.error.mandate_until"},
		{"yesterday", ok(func(in *MandateInput) { in.Until = "2026-11-21" }), "identity.error.mandate_until_past"},
		{"over three years", ok(func(in *MandateInput) { in.Until = "2029-11-23" }), "identity.error.mandate_until_max"},
	}
	for _, c := range bad {
		in := c.in
		if _, err := in.Validate(now, testKinds); errs.As(err) == nil || errs.As(err).Key != c.key {
			t.Errorf("%s: %v, want %s", c.name, err, c.key)
		}
	}
}

func TestActorLabel(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	pro := authz.Actor{Person: 7, Now: now, Mandates: []authz.Mandate{
		{ID: 1, OwnerPerson: 3, PermitKind: "building", Starts: now.Add(-time.Hour), Ends: now.Add(time.Hour)},
		{ID: 2, OwnerLegal: 2, FileRef: "2026/1", Starts: now.Add(-time.Hour), Ends: now.Add(time.Hour)},
		{ID: 3, OwnerPerson: 4, PermitKind: "building", Starts: now.Add(-2 * time.Hour), Ends: now.Add(-time.Hour)},
	}}
	manager := authz.Actor{Person: 8, Now: now, Represents: []int64{5}, ActingFor: 5}
	cases := []struct {
		name string
		a    authz.Actor
		r    authz.Resource
		want string
	}{
		{"professional for a person", pro, authz.Resource{OwnerPerson: 3, PermitKind: "building"}, "person:7 for person:3"},
		{"professional for a legal person", pro, authz.Resource{OwnerLegal: 2, FileRef: "2026/1"}, "person:7 for legal:2"},
		{"their own thing", pro, authz.Resource{OwnerPerson: 7}, "person:7"},
		{"nobody's", pro, authz.Resource{}, "person:7"},
		{"ended mandate", pro, authz.Resource{OwnerPerson: 4, PermitKind: "building"}, "person:7"},
		{"no mandate (staff, say)", pro, authz.Resource{OwnerPerson: 9}, "person:7"},
		{"representative", manager, authz.Resource{OwnerLegal: 5}, "person:8 for legal:5"},
		{"anonymous", authz.Actor{}, authz.Resource{OwnerPerson: 3}, "anonymous"},
	}
	for _, c := range cases {
		if got := ActorLabel(c.a, c.r); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDeclareProfession(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		nadia := e.joinAs(t, "nadia@example.ma", "BK2001", "fr")
		omar := e.joinAs(t, "omar@example.ma", "BK2002", "ar")
		if p, err := e.s.Profession(ctx, e.actorOf(t, nadia)); !errs.Is(err, errs.NotFound) || p != nil {
			t.Fatalf("before declaring: %+v %v, want errs.NotFound", p, err)
		}
		err := e.s.DeclareProfession(ctx, e.actorOf(t, nadia), ProfessionInput{Profession: "plumber", RegistrationNumber: "1"})
		wantErrKey(t, "unknown profession", err, errs.Invalid, "identity.error.profession")
		err = e.s.DeclareProfession(ctx, e.actorOf(t, nadia), ProfessionInput{Profession: authz.Architect, RegistrationNumber: "<1>"})
		wantErrKey(t, "bad number", err, errs.Invalid, "identity.error.registration_number")
		if err := e.s.DeclareProfession(ctx, authz.Actor{Person: nadia.id}, ProfessionInput{Profession: authz.Architect, RegistrationNumber: "1"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("unverified e-mail: %v", err)
		}
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, nadia), ProfessionInput{Profession: authz.Architect, RegistrationNumber: " ca-١٢٣٤ "}); err != nil {
			t.Fatal(err)
		}
		if a := e.actorOf(t, nadia); a.Profession != authz.Architect || a.ProfessionalVerified {
			t.Fatalf("actor %q verified %v", a.Profession, a.ProfessionalVerified)
		}
		// The same number in the same order is someone else's.
		err = e.s.DeclareProfession(ctx, e.actorOf(t, omar), ProfessionInput{Profession: authz.Architect, RegistrationNumber: "CA-1234"})
		wantErrKey(t, "number taken", err, errs.Conflict, "identity.error.registration_taken")
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, omar), ProfessionInput{Profession: authz.Surveyor, RegistrationNumber: "CA-1234"}); err != nil {
			t.Fatalf("same number, another order: %v", err)
		}
		// Pending, it may be corrected; verified, it may not.
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, nadia), ProfessionInput{Profession: authz.Engineer, RegistrationNumber: "E-77"}); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.Profession(ctx, e.actorOf(t, nadia))
		if err != nil || p == nil || p.Profession != authz.Engineer || p.RegistrationNumber != "E-77" || p.Verified() {
			t.Fatalf("corrected: %+v %v", p, err)
		}
		markVerified(t, e, nadia.id, omar.id)
		err = e.s.DeclareProfession(ctx, e.actorOf(t, nadia), ProfessionInput{Profession: authz.Architect, RegistrationNumber: "CA-9"})
		wantErrKey(t, "verified", err, errs.Conflict, "identity.error.profession_verified")
		if a := e.actorOf(t, nadia); !a.ProfessionalVerified {
			t.Fatal("not verified")
		}
		got := auditTrail(t, d, "professional")
		if len(got) != 3 || countEntries(got, "identity.profession_declared") != 3 {
			t.Fatalf("audit: %q", got)
		}
	})
}

// markVerified marks a declaration verified, as the back office does.
func markVerified(t *testing.T, e *env, personID, by int64) {
	t.Helper()
	if _, err := e.d.ExecContext(context.Background(), `UPDATE professionals SET verified_at = $1, verified_by = $2 WHERE person_id = $3`,
		e.clock.now(), by, personID); err != nil {
		t.Fatal(err)
	}
	e.s.Forget(personID)
}

func TestGrantAndRevokeMandates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.joinAs(t, "owner@example.ma", "BK3001", "ar")
		archi := e.joinAs(t, "archi@example.ma", "BK3002", "fr")
		surveyor := e.joinAs(t, "geo@example.ma", "BK3003", "en")
		stranger := e.joinAs(t, "stranger@example.ma", "BK3004", "ar")
		for _, p := range []struct {
			c          citizen
			profession string
		}{{archi, authz.Architect}, {surveyor, authz.Surveyor}} {
			if err := e.s.DeclareProfession(ctx, e.actorOf(t, p.c), ProfessionInput{Profession: p.profession, RegistrationNumber: "A-1234"}); err != nil {
				t.Fatal(err)
			}
		}
		building := authz.Resource{OwnerPerson: owner.id, PermitKind: "building", RequiresArchitect: true}

		// Not a declared professional, or nobody at all: refused alike.
		for _, who := range []string{"stranger@example.ma", "nobody@example.ma", "B-1"} {
			_, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: who, Scope: ScopeKind, PermitKind: "building"})
			wantErrKey(t, "to "+who, err, errs.Invalid, "identity.error.mandate_not_professional")
		}
		// A number two orders share must be told apart by e-mail.
		_, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "a-1234", Scope: ScopeKind, PermitKind: "building"})
		wantErrKey(t, "ambiguous number", err, errs.Invalid, "identity.error.mandate_ambiguous")
		// Nobody mandates themselves.
		_, err = e.s.GrantMandate(ctx, e.actorOf(t, archi), MandateInput{Professional: "archi@example.ma", Scope: ScopeKind, PermitKind: "building"})
		wantErrKey(t, "to oneself", err, errs.Invalid, "identity.error.mandate_self")

		kindID, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "Archi@Example.ma", Scope: ScopeKind, PermitKind: "building"})
		if err != nil {
			t.Fatal(err)
		}
		m := e.rec.last("identity.mandate_granted")
		if m.To.UserID != personKey(archi.id) || m.To.Lang != "fr" || !slices.Contains(m.Channels, notify.Email) || !slices.Contains(m.Channels, notify.Inbox) ||
			m.Data["Owner"] != "Fatima Zahra" || m.Data["Kind"] != "Permis de construire" || m.Data["Until"] != "22 novembre 2027" {
			t.Fatalf("notice %+v", m)
		}
		_, err = e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "archi@example.ma", Scope: ScopeKind, PermitKind: "building"})
		wantErrKey(t, "the same again", err, errs.Conflict, "identity.error.mandate_exists")
		e.files["2026/BC/00123"] = [2]int64{owner.id, 0}
		fileID, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "geo@example.ma", Scope: ScopeFile, FileRef: "2026/BC/00123", Until: "2027-05-31"})
		if err != nil {
			t.Fatal(err)
		}
		if m := e.rec.last("identity.mandate_granted"); m.To.Lang != "en" || m.Data["File"] != "2026/BC/00123" || m.Data["Kind"] != "" || m.Data["Until"] != "31 May 2027" {
			t.Fatalf("file notice %+v", m)
		}

		given, received, err := e.s.Mandates(ctx, e.actorOf(t, owner))
		if err != nil || len(given) != 2 || len(received) != 0 {
			t.Fatalf("owner's mandates: %d given, %d received, %v", len(given), len(received), err)
		}
		if given[0].ID != fileID || given[1].ID != kindID || given[1].Professional.Name("fr") != "Fatima Zahra" || given[1].Profession != authz.Architect {
			t.Fatalf("given %+v", given)
		}
		given, received, err = e.s.Mandates(ctx, e.actorOf(t, archi))
		if err != nil || len(given) != 0 || len(received) != 1 || received[0].ID != kindID || received[0].Owner.Name("ar") != "فاطمة الزهراء" ||
			received[0].Owner.Key() != personActor(owner.id) || received[0].Status(e.clock.now()) != MandateActive {
			t.Fatalf("architect's mandates: %+v %+v %v", given, received, err)
		}

		// The architect acts for the owner once verified, and only within the mandate.
		a := e.actorOf(t, archi)
		if len(a.Mandates) != 1 {
			t.Fatalf("architect's actor has %d mandates", len(a.Mandates))
		}
		if err := authz.Check(a, authz.PrepareFile, building); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("unverified architect: %v", err)
		}
		markVerified(t, e, archi.id, stranger.id)
		a = e.actorOf(t, archi)
		if err := authz.Check(a, authz.SignPlans, building); err != nil {
			t.Fatalf("verified architect: %v", err)
		}
		if got := ActorLabel(a, building); got != personActor(archi.id)+" for "+personActor(owner.id) {
			t.Fatalf("label %q", got)
		}
		if err := authz.Check(a, authz.PrepareFile, authz.Resource{OwnerPerson: owner.id, PermitKind: "demolition"}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("outside the mandate: %v", err)
		}

		// Guessing the ID does not let anyone else revoke it, the professional included.
		for _, c := range []citizen{stranger, archi, surveyor} {
			if err := e.s.RevokeMandate(ctx, e.actorOf(t, c), kindID); !errs.Is(err, errs.NotFound) {
				t.Fatalf("revoked by person %d: %v", c.id, err)
			}
		}
		if err := e.s.RevokeMandate(ctx, e.actorOf(t, owner), kindID+100); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown mandate: %v", err)
		}
		if err := authz.Check(e.actorOf(t, archi), authz.PrepareFile, building); err != nil {
			t.Fatalf("the failed revocations changed something: %v", err)
		}
		if err := e.s.RevokeMandate(ctx, e.actorOf(t, owner), kindID); err != nil {
			t.Fatal(err)
		}
		if m := e.rec.last("identity.mandate_revoked"); m.To.UserID != personKey(archi.id) || m.To.Lang != "fr" || m.Data["Owner"] != "Fatima Zahra" {
			t.Fatalf("revocation notice %+v", m)
		}
		err = e.s.RevokeMandate(ctx, e.actorOf(t, owner), kindID)
		wantErrKey(t, "revoked twice", err, errs.Conflict, "identity.error.mandate_revoked")
		// At once, without waiting for the visitor cache.
		if err := authz.Check(e.actorOf(t, archi), authz.PrepareFile, building); !errs.Is(err, errs.NotFound) {
			t.Fatalf("after revocation: %v", err)
		}
		if _, received, _ := e.s.Mandates(ctx, e.actorOf(t, archi)); len(received) != 1 || received[0].Status(e.clock.now()) != MandateRevoked {
			t.Fatalf("revoked mandate listed as %+v", received)
		}

		o, k, f := personActor(owner.id), idText(kindID), idText(fileID)
		want := []string{o + " identity.mandate_granted " + k, o + " identity.mandate_granted " + f, o + " identity.mandate_revoked " + k}
		if got := auditTrail(t, d, "mandate"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestMandateFromALegalPerson(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		manager := e.joinAs(t, "manager@example.ma", "BK4001", "fr")
		archi := e.joinAs(t, "archi@example.ma", "BK4002", "fr")
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, archi), ProfessionInput{Profession: authz.Architect, RegistrationNumber: "A-1"}); err != nil {
			t.Fatal(err)
		}
		markVerified(t, e, archi.id, manager.id)
		atlas, err := e.s.RegisterLegalPerson(ctx, e.actorOf(t, manager),
			LegalInput{Kind: Company, Name: "Atlas Bâtiment", NameAR: "أطلس للبناء", ICE: "001234567000089", RC: "123456", Role: RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.ActFor(ctx, e.actorOf(t, manager), hashToken(manager.token), atlas); err != nil {
			t.Fatal(err)
		}
		id, err := e.s.GrantMandate(ctx, e.actorOf(t, manager), MandateInput{Professional: "A-1", Scope: ScopeKind, PermitKind: "subdivision"})
		if err != nil {
			t.Fatal(err)
		}
		if m := e.rec.last("identity.mandate_granted"); m.Data["Owner"] != "Atlas Bâtiment" || m.Data["Kind"] != "Autorisation de lotir" {
			t.Fatalf("notice %+v", m.Data)
		}
		given, _, err := e.s.Mandates(ctx, e.actorOf(t, manager))
		if err != nil || len(given) != 1 || given[0].Owner.Key() != legalActor(atlas) {
			t.Fatalf("the company's mandates: %+v %v", given, err)
		}
		_, received, _ := e.s.Mandates(ctx, e.actorOf(t, archi))
		if len(received) != 1 || received[0].Owner.Name("ar") != "أطلس للبناء" || received[0].Owner.Name("fr") != "Atlas Bâtiment" {
			t.Fatalf("received %+v", received)
		}
		lot := authz.Resource{OwnerLegal: atlas, PermitKind: "subdivision"}
		if a := e.actorOf(t, archi); authz.Check(a, authz.PrepareFile, lot) != nil || ActorLabel(a, lot) != personActor(archi.id)+" for "+legalActor(atlas) {
			t.Fatalf("architect for the company: %v %q", authz.Check(a, authz.PrepareFile, lot), ActorLabel(a, lot))
		}
		// In their own name, the manager neither sees nor revokes the company's mandates.
		if err := e.s.ActAsSelf(ctx, e.actorOf(t, manager), hashToken(manager.token)); err != nil {
			t.Fatal(err)
		}
		if given, _, _ := e.s.Mandates(ctx, e.actorOf(t, manager)); len(given) != 0 {
			t.Fatalf("personal mandates %+v", given)
		}
		if err := e.s.RevokeMandate(ctx, e.actorOf(t, manager), id); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoked in their own name: %v", err)
		}
		if err := e.s.ActFor(ctx, e.actorOf(t, manager), hashToken(manager.token), atlas); err != nil {
			t.Fatal(err)
		}
		if err := e.s.RevokeMandate(ctx, e.actorOf(t, manager), id); err != nil {
			t.Fatal(err)
		}
		label := personActor(manager.id) + " for " + legalActor(atlas)
		want := []string{label + " identity.mandate_granted " + idText(id), label + " identity.mandate_revoked " + idText(id)}
		if got := auditTrail(t, d, "mandate"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit: %q", got)
		}
	})
}

func TestMandateExpiry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.joinAs(t, "owner@example.ma", "BK5001", "ar")
		eng := e.joinAs(t, "eng@example.ma", "BK5002", "en")
		if err := e.s.DeclareProfession(ctx, e.actorOf(t, eng), ProfessionInput{Profession: authz.Engineer, RegistrationNumber: "E-5"}); err != nil {
			t.Fatal(err)
		}
		markVerified(t, e, eng.id, owner.id)
		id, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "eng@example.ma", Scope: ScopeKind, PermitKind: "repair", Until: "2026-12-02"})
		if err != nil {
			t.Fatal(err)
		}
		repair := authz.Resource{OwnerPerson: owner.id, PermitKind: "repair"}
		a := e.actorOf(t, eng)
		if err := authz.Check(a, authz.PrepareFile, repair); err != nil {
			t.Fatalf("during the mandate: %v", err)
		}
		// Its last day, late in the evening in Casablanca: still on.
		lastEvening := time.Date(2026, 12, 2, 23, 30, 0, 0, i18n.Casablanca)
		a.Now = lastEvening
		if err := authz.Check(a, authz.PrepareFile, repair); err != nil {
			t.Fatalf("on its last evening: %v", err)
		}
		// The next morning an actor built earlier no longer covers it...
		a.Now = lastEvening.Add(time.Hour)
		if err := authz.Check(a, authz.PrepareFile, repair); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an old actor after the end: %v", err)
		}
		// ...nor does a new one, by the service's clock.
		e.clock.add(lastEvening.Add(time.Hour).Sub(e.clock.now()))
		eng.token = e.signInAs(t, "eng@example.ma")
		a = e.actorOf(t, eng)
		if len(a.Mandates) != 0 || authz.Check(a, authz.PrepareFile, repair) == nil {
			t.Fatalf("after the end: %d mandates", len(a.Mandates))
		}
		owner.token = e.signInAs(t, "owner@example.ma")
		given, _, err := e.s.Mandates(ctx, e.actorOf(t, owner))
		if err != nil || len(given) != 1 || given[0].Status(e.clock.now()) != MandateExpired {
			t.Fatalf("ended mandate listed as %+v %v", given, err)
		}
		err = e.s.RevokeMandate(ctx, e.actorOf(t, owner), id)
		wantErrKey(t, "revoking an ended mandate", err, errs.Conflict, "identity.error.mandate_expired")
		// A new one may then be given for the same scope.
		if _, err := e.s.GrantMandate(ctx, e.actorOf(t, owner), MandateInput{Professional: "eng@example.ma", Scope: ScopeKind, PermitKind: "repair"}); err != nil {
			t.Fatalf("a new mandate after the end: %v", err)
		}
	})
}
