package staff

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
	"madina/internal/platform/password"
	"madina/internal/platform/secretbox"
)

// identity's service is what staff asks for accounts and sessions; the
// application finds it by these interfaces (module.Need).
var (
	_ Accounts = (*identity.Service)(nil)
	_ Sessions = (*identity.Service)(nil)
)

// recorder passes notices to the real notification service and keeps them.
type recorder struct {
	real *notify.Service
	q    *jobs.Queue // the outbox: last dispatches its events first
	mu   sync.Mutex
	msgs []notify.Message
}

// dispatch hands every published event to its subscribers, as a running
// node's dispatcher does once the change commits.
func (r *recorder) dispatch() {
	for {
		n, err := r.q.DispatchNow(context.Background())
		if err != nil {
			panic(err)
		}
		if n == 0 {
			return
		}
	}
}

func (r *recorder) Send(ctx context.Context, tx *db.Tx, m notify.Message) error {
	if err := r.real.Send(ctx, tx, m); err != nil {
		return err
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return nil
}

func (r *recorder) last(template string) notify.Message {
	r.dispatch()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].Template == template {
			return r.msgs[i]
		}
	}
	return notify.Message{}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is the back office on the real identity service, notifications and
// database.
type env struct {
	s     *Service
	id    *identity.Service
	rec   *recorder
	clock *clock
	d     *db.DB
}

var fastHasher = func() *password.Hasher {
	h, err := password.NewHasherParams(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4)
	if err != nil {
		panic(err)
	}
	return h
}()

const goodPassword = "Casablanca-ذهب-2026"

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := jobs.New(d, log, jobs.Options{Workers: 1})
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(d, q, log, notify.Config{Templates: []fs.FS{identity.Notices(), Notices()}, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	rec := &recorder{real: n, q: q}
	id, err := identity.NewService(identity.Deps{DB: d, Notify: rec, Hasher: fastHasher, Box: box, Log: log, Events: q},
		identity.Config{BaseURL: "https://madina.test", Now: c.now,
			PermitKinds: []identity.PermitKind{{Code: "building"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(Deps{DB: d, Notify: rec, Accounts: id, Places: districtPlaces{district.NewStore(d)},
		Events: q, BaseURL: "https://madina.test", Log: log, Now: c.now})
	for _, t := range Topics {
		q.Subscribe(t, "staff.notices", s.SendNotices)
	}
	return &env{s: s, id: id, rec: rec, clock: c, d: d}
}

// withReference loads Casablanca's arrondissements and windows, which
// organisations and grants refer to.
func withReference(t *testing.T, d *db.DB) {
	t.Helper()
	if _, err := district.NewStore(d).Load(context.Background(), district.Casablanca(), "test"); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func countPersons(t *testing.T, d *db.DB) int { return count(t, d, `SELECT count(*) FROM persons`) }

func personKey(id int64) string { return "person:" + strconv.FormatInt(id, 10) }

var (
	cli = System("cli:admin")
	sys = System("system")
)

// adminOp is an administrator acting from a session that passed the
// second factor, as the back office's handlers pass them.
func adminOp(id int64) Operator {
	return As(authz.Actor{Person: id, EmailVerified: true, MFA: true, Grants: []authz.Grant{{Role: authz.Admin, Org: "commune"}}})
}

func staffEnrolment(email string) Enrolment {
	return Enrolment{Email: email, GivenNameAR: "أمينة", FamilyNameAR: "الإدريسي", GivenNameLatin: "Amina", FamilyNameLatin: "Idrissi", Lang: "fr"}
}

// newAdmin opens an administrator's account with a password and returns it.
func (e *env) newAdmin(t *testing.T, email string) int64 {
	t.Helper()
	ctx := context.Background()
	res, err := e.s.EnrolStaff(ctx, cli, staffEnrolment(email), GrantSpec{Role: authz.Admin, Org: "commune"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.id.ResetPassword(ctx, res.ResetToken, goodPassword); err != nil {
		t.Fatal(err)
	}
	return res.PersonID
}

func profile(email, cin string) identity.Profile {
	return identity.Profile{GivenNameAR: "فاطمة", FamilyNameAR: "الزهراء", GivenNameLatin: "Fatima", FamilyNameLatin: "Zahra",
		CIN: cin, Email: email, Phone: "06 12 34 56 78", Lang: "ar"}
}

// signUpVerified creates an account whose e-mail is verified.
func (e *env) signUpVerified(t *testing.T, email, cin string) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := e.id.SignUp(ctx, profile(email, cin), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.rec.last("identity.verify_email").Secret["URL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.id.VerifyEmail(ctx, u.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	return id
}

// actorOf is the policy's actor of a session, as identity's middleware
// builds it for a request.
func (e *env) actorOf(t *testing.T, token string) authz.Actor {
	t.Helper()
	var a authz.Actor
	mw := &identity.Middleware{Service: e.id}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a, _, _ = e.id.Visiting(r.Context()) }))
	r := httptest.NewRequest(http.MethodGet, "/me", nil)
	r.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: token})
	h.ServeHTTP(httptest.NewRecorder(), r)
	return a
}

func TestDefaultOrganisationsFileIsValid(t *testing.T) {
	d, err := parseOrgDefaults(defaultOrgsJSON)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range d.Organisations {
		kinds[o.Kind] = true
	}
	for _, k := range []string{OrgCommune, OrgPrefecture, OrgUrbanAgency, OrgCivilProtection, OrgUtility, OrgElectricity, OrgTelecom, OrgLandRegistry} {
		if !kinds[k] {
			t.Errorf("no default organisation of kind %s", k)
		}
	}
	for _, bad := range []string{`{}`, `{"arrondissement_name":{"ar":"x","fr":"{name}","en":"{name}"},"prefecture_prefix":"p-"}`,
		`{"arrondissement_name":{"ar":"{name}","fr":"{name}","en":"{name}"},"prefecture_prefix":"p-","organisations":[{"code":"Bad Code","kind":"other","name":{"ar":"أ","fr":"a","en":"a"}}]}`} {
		if _, err := parseOrgDefaults([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestLoadOrganisationsIsIdempotentAndKeepsRenames(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		withReference(t, d)
		n, err := e.s.LoadOrganisations(ctx, sys)
		if err != nil || n != 8+16+8 {
			t.Fatalf("first load: %d, %v; want 8 bodies, 16 arrondissements, 8 prefectures", n, err)
		}
		audits := count(t, d, `SELECT count(*) FROM audit_log`)
		if n, err := e.s.LoadOrganisations(ctx, sys); err != nil || n != 0 || count(t, d, `SELECT count(*) FROM audit_log`) != audits {
			t.Fatalf("second load added %d (%v) or audited", n, err)
		}
		maarif, err := e.s.Organisation(ctx, sys, "maarif")
		if err != nil || maarif.Kind != OrgArrondissement || maarif.Arrondissement != "maarif" || maarif.Name.FR != "Arrondissement Maârif" || maarif.Name.AR != "مقاطعة المعاريف" {
			t.Fatalf("maarif: %+v %v", maarif, err)
		}
		if p, err := e.s.Organisation(ctx, sys, "prefecture-moulay-rachid"); err != nil || p.Kind != OrgPrefecture {
			t.Fatalf("prefecture: %+v %v", p, err)
		}
		admin := e.newAdmin(t, "nadia@example.ma")
		renamed := Names{AR: "ليديك", FR: "Lydec SA", EN: "Lydec plc"}
		if err := e.s.RenameOrganisation(ctx, adminOp(admin), "lydec", renamed); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.s.LoadOrganisations(ctx, sys); n != 0 {
			t.Fatalf("load after rename added %d", n)
		}
		if o, _ := e.s.Organisation(ctx, sys, "lydec"); o.Name != renamed {
			t.Fatalf("rename undone by a load: %+v", o.Name)
		}
		orgs, err := e.s.Organisations(ctx, sys)
		if err != nil || len(orgs) != 32 || orgs[0].Code != "commune" || orgs[1].Kind != OrgArrondissement || orgs[1].Code != "anfa" {
			t.Fatalf("list: %d %v", len(orgs), err)
		}
	})
}

func TestCreateAndRenameOrganisations(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		withReference(t, d)
		if _, err := e.s.LoadOrganisations(ctx, sys); err != nil {
			t.Fatal(err)
		}
		op := adminOp(e.newAdmin(t, "nadia@example.ma"))
		names := Names{AR: "الوكالة المستقلة للنقل", FR: "Casa Transports", EN: "Casa Transports"}
		cases := []struct {
			org   Organisation
			kind  errs.Kind
			field string
		}{
			{Organisation{Code: "Casa Transports", Kind: OrgOther, Name: names}, errs.Invalid, "code"},
			{Organisation{Code: "casa-transports", Kind: "bank", Name: names}, errs.Invalid, "kind"},
			{Organisation{Code: "casa-transports", Kind: OrgOther, Name: Names{AR: "x", FR: " ", EN: "y"}}, errs.Invalid, "name_fr"},
			{Organisation{Code: "casa-transports", Kind: OrgOther, Name: Names{AR: "x", FR: "<b>", EN: "y"}}, errs.Invalid, "name_fr"},
			{Organisation{Code: "casa-transports", Kind: OrgArrondissement, Name: names}, errs.Invalid, "arrondissement"},
			{Organisation{Code: "casa-transports", Kind: OrgOther, Arrondissement: "anfa", Name: names}, errs.Invalid, "arrondissement"},
			{Organisation{Code: "atlantis", Kind: OrgArrondissement, Arrondissement: "atlantis", Name: names}, errs.Invalid, "arrondissement"},
			{Organisation{Code: "anfa-bis", Kind: OrgArrondissement, Arrondissement: "anfa", Name: names}, errs.Conflict, "arrondissement"},
			{Organisation{Code: "lydec", Kind: OrgUtility, Name: names}, errs.Conflict, "code"},
		}
		for _, c := range cases {
			_, err := e.s.CreateOrganisation(ctx, op, c.org)
			if e := errs.As(err); !errs.Is(err, c.kind) || e.Field != c.field {
				t.Errorf("%+v: %v, want %s on %s", c.org, err, c.kind, c.field)
			}
		}
		before := count(t, d, `SELECT count(*) FROM audit_log`)
		o, err := e.s.CreateOrganisation(ctx, op, Organisation{Code: " casa-transports ", Kind: OrgOther, Name: names})
		if err != nil || o.Code != "casa-transports" {
			t.Fatalf("create: %+v %v", o, err)
		}
		if err := e.s.RenameOrganisation(ctx, op, "casa-transports", Names{AR: "كازا ترانسبور", FR: "Casa Transports SA", EN: "Casa Transports"}); err != nil {
			t.Fatal(err)
		}
		// Renaming to the same names changes and audits nothing.
		if err := e.s.RenameOrganisation(ctx, op, "casa-transports", Names{AR: "كازا ترانسبور", FR: "Casa Transports SA", EN: "Casa Transports"}); err != nil {
			t.Fatal(err)
		}
		if got := count(t, d, `SELECT count(*) FROM audit_log WHERE action IN ('identity.organisation_created', 'identity.organisation_renamed')`); got != 2 || count(t, d, `SELECT count(*) FROM audit_log`) != before+2 {
			t.Fatalf("%d organisation audit records, want 2", got)
		}
		if err := e.s.RenameOrganisation(ctx, op, "nowhere", names); !errs.Is(err, errs.NotFound) {
			t.Fatalf("rename unknown: %v", err)
		}
	})
}

func TestGrantRules(t *testing.T) {
	commune := Organisation{Code: "commune", Kind: OrgCommune}
	maarif := Organisation{Code: "maarif", Kind: OrgArrondissement, Arrondissement: "maarif"}
	lydec := Organisation{Code: "lydec", Kind: OrgUtility}
	city := &Place{Code: "city", Kind: "city"}
	maarifWin := &Place{Code: "maarif", Kind: "arrondissement", Arrondissement: "maarif"}
	anfaWin := &Place{Code: "anfa", Kind: "arrondissement", Arrondissement: "anfa"}
	cases := []struct {
		name    string
		g       GrantSpec
		org     Organisation
		win     *Place
		wantErr string // message key; "" = accepted
		wantArr string
	}{
		{"admin in the commune", GrantSpec{Role: authz.Admin}, commune, nil, "", ""},
		{"admin at Lydec", GrantSpec{Role: authz.Admin}, lydec, nil, "admin.error.citywide_role", ""},
		{"auditor in an arrondissement", GrantSpec{Role: authz.Auditor}, maarif, nil, "admin.error.citywide_role", ""},
		{"admin limited to an arrondissement", GrantSpec{Role: authz.Admin, Arrondissement: "anfa"}, commune, nil, "admin.error.citywide_role", ""},
		{"unknown role", GrantSpec{Role: "mayor"}, commune, nil, "admin.error.role", ""},
		{"window agent without window", GrantSpec{Role: authz.WindowAgent}, commune, nil, "admin.error.window_required", ""},
		{"committee member with a window", GrantSpec{Role: authz.CommitteeMember}, commune, city, "admin.error.window_only_agents", ""},
		{"city window agent", GrantSpec{Role: authz.WindowAgent}, commune, city, "", ""},
		{"arrondissement window agent of the commune", GrantSpec{Role: authz.WindowAgent}, commune, maarifWin, "", "maarif"},
		{"arrondissement's agent at its window", GrantSpec{Role: authz.WindowAgent}, maarif, maarifWin, "", "maarif"},
		{"arrondissement's agent at another window", GrantSpec{Role: authz.WindowAgent}, maarif, anfaWin, "admin.error.window_scope", ""},
		{"arrondissement's agent at the city window", GrantSpec{Role: authz.WindowAgent}, maarif, city, "admin.error.window_scope", ""},
		{"scope disagrees with window", GrantSpec{Role: authz.WindowAgent, Arrondissement: "anfa"}, commune, maarifWin, "admin.error.window_scope", ""},
		{"window agent at Lydec", GrantSpec{Role: authz.WindowAgent}, lydec, city, "admin.error.window_org", ""},
		{"arrondissement staff outside it", GrantSpec{Role: authz.CommitteeMember, Arrondissement: "anfa"}, maarif, nil, "admin.error.scope_outside_org", ""},
		{"arrondissement committee member", GrantSpec{Role: authz.CommitteeMember}, maarif, nil, "", "maarif"},
		{"Lydec committee member for one arrondissement", GrantSpec{Role: authz.CommitteeMember, Arrondissement: "anfa"}, lydec, nil, "", "anfa"},
	}
	for _, c := range cases {
		g := c.g
		g.Org = c.org.Code
		err := g.settle(c.org, c.win)
		key := ""
		if e := errs.As(err); e != nil {
			key = e.Key
		}
		if key != c.wantErr || err == nil && g.Arrondissement != c.wantArr {
			t.Errorf("%s: %v (scope %q), want %q (scope %q)", c.name, err, g.Arrondissement, c.wantErr, c.wantArr)
		}
	}
}

func TestEnrolStaffGrantAndRevoke(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		withReference(t, d)
		if _, err := e.s.LoadOrganisations(ctx, sys); err != nil {
			t.Fatal(err)
		}
		// A wrong grant creates nothing, not even the account.
		persons := countPersons(t, d)
		if _, err := e.s.EnrolStaff(ctx, cli, staffEnrolment("souad@example.ma"), GrantSpec{Role: authz.WindowAgent, Org: "maarif"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("window agent without window: %v", err)
		}
		if countPersons(t, d) != persons {
			t.Fatal("a refused enrolment left an account")
		}
		bad := staffEnrolment("souad@example.ma")
		bad.GivenNameAR = "Souad"
		if _, err := e.s.EnrolStaff(ctx, cli, bad, GrantSpec{Role: authz.CommitteeMember, Org: "lydec"}); errs.As(err) == nil || errs.As(err).Field != "given_name_ar" {
			t.Fatalf("Latin letters as the Arabic name: %v", err)
		}

		res, err := e.s.EnrolStaff(ctx, cli, staffEnrolment("Souad@Example.ma"), GrantSpec{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"})
		if err != nil || !res.Created || res.AlreadyGranted || res.Grant.Arrondissement != "maarif" || !strings.HasPrefix(res.ResetURL, "https://madina.test/reset/new?token=") {
			t.Fatalf("enrol: %+v %v", res, err)
		}
		p, _ := e.id.Store().Person(ctx, d, res.PersonID)
		if p.EmailVerifiedAt == nil || p.CIN != "" || p.Phone != "" {
			t.Fatalf("staff account: %+v", p)
		}
		// No password until the link is used; then the person signs in.
		if _, err := e.id.SignIn(ctx, "souad@example.ma", goodPassword, "t"); err == nil {
			t.Fatal("signed in before choosing a password")
		}
		if err := e.id.ResetPassword(ctx, res.ResetToken, goodPassword); err != nil {
			t.Fatal(err)
		}
		si, err := e.id.SignIn(ctx, "souad@example.ma", goodPassword, "t")
		if err != nil {
			t.Fatal(err)
		}
		v := struct{ Actor authz.Actor }{e.actorOf(t, si.Token)}
		want := authz.Grant{Role: authz.WindowAgent, Org: "maarif", Arrondissement: "maarif", Window: "maarif"}
		if len(v.Actor.Grants) != 1 || v.Actor.Grants[0] != want || v.Actor.MFA {
			t.Fatalf("actor: %+v", v.Actor)
		}
		// Again: nothing changes, no new link.
		audits, codes := count(t, d, `SELECT count(*) FROM audit_log`), count(t, d, `SELECT count(*) FROM verification_codes`)
		again, err := e.s.EnrolStaff(ctx, cli, staffEnrolment("souad@example.ma"), GrantSpec{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"})
		if err != nil || again.Created || !again.AlreadyGranted || again.ResetToken != "" || again.Grant.ID != res.Grant.ID {
			t.Fatalf("again: %+v %v", again, err)
		}
		if count(t, d, `SELECT count(*) FROM audit_log`) != audits || count(t, d, `SELECT count(*) FROM verification_codes`) != codes {
			t.Fatal("enrolling twice changed something")
		}

		// The back office's grant: strict about duplicates and unverified accounts.
		admin := e.newAdmin(t, "nadia@example.ma")
		op := adminOp(admin)
		if _, err := e.s.Grant(ctx, op, res.PersonID, GrantSpec{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate grant: %v", err)
		}
		citizen, err := e.id.SignUp(ctx, profile("karim@example.ma", "BE123456"), goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Grant(ctx, op, citizen, GrantSpec{Role: authz.CommitteeMember, Org: "aucasa"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("grant to an unverified account: %v", err)
		}
		if _, err := e.s.EnrolStaff(ctx, cli, staffEnrolment("karim@example.ma"), GrantSpec{Role: authz.CommitteeMember, Org: "aucasa"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("enrolment over someone's unverified sign-up: %v", err)
		}
		if _, err := e.s.Grant(ctx, op, res.PersonID, GrantSpec{Role: authz.CommitteeMember, Org: "nowhere"}); errs.As(err) == nil || errs.As(err).Field != "org" {
			t.Fatalf("unknown organisation: %v", err)
		}
		g, err := e.s.Grant(ctx, op, res.PersonID, GrantSpec{Role: authz.CommitteeMember, Org: "lydec", Arrondissement: "anfa"})
		if err != nil || g.GrantedBy != admin {
			t.Fatalf("grant: %+v %v", g, err)
		}
		staff, err := e.s.Staff(ctx, op)
		if err != nil || len(staff) != 2 {
			t.Fatalf("staff: %d %v", len(staff), err)
		}
		for _, m := range staff {
			if m.Person.ID == res.PersonID && len(m.Grants) != 2 {
				t.Fatalf("souad's grants: %+v", m.Grants)
			}
		}
		if _, err := e.s.RevokeGrant(ctx, op, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RevokeGrant(ctx, op, g.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		// The last administrator stays.
		var adminGrant int64
		_ = d.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND role = 'admin'`, admin).Scan(&adminGrant)
		if _, err := e.s.RevokeGrant(ctx, op, adminGrant); !errs.Is(err, errs.Conflict) {
			t.Fatalf("revoking the last administrator: %v", err)
		}
		if _, err := e.s.Grant(ctx, op, res.PersonID, GrantSpec{Role: authz.Admin, Org: "commune"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RevokeGrant(ctx, op, adminGrant); err != nil {
			t.Fatalf("revoking one of two administrators: %v", err)
		}
		for _, action := range []string{"identity.enrolled", "identity.role_granted", "identity.role_revoked"} {
			if count(t, d, `SELECT count(*) FROM audit_log WHERE action = $1`, action) == 0 {
				t.Errorf("no %s audit record", action)
			}
		}
	})
}

func TestVerifyAndRejectProfessionals(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		withReference(t, d)
		if _, err := e.s.LoadOrganisations(ctx, sys); err != nil {
			t.Fatal(err)
		}
		admin := e.newAdmin(t, "nadia@example.ma")
		op := adminOp(admin)
		omar := e.signUpVerified(t, "omar@example.ma", "BE201187")
		salma := e.signUpVerified(t, "salma@example.ma", "BK312311")
		declare := func(id int64, profession, number string) {
			t.Helper()
			if _, err := d.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, created_at) VALUES ($1, $2, $3, $4)`,
				id, profession, number, e.clock.now()); err != nil {
				t.Fatal(err)
			}
			e.clock.add(time.Minute)
		}
		declare(omar, authz.Architect, "CNOA-1187")
		declare(salma, authz.Architect, "CNOA-2311")
		declare(admin, authz.Engineer, "ING-1")
		pending, err := e.s.PendingProfessionals(ctx, op)
		if err != nil || len(pending) != 3 || pending[0].Registration != "CNOA-1187" || pending[0].Person.Email != "omar@example.ma" {
			t.Fatalf("pending: %+v %v", pending, err)
		}

		if err := e.s.VerifyProfessional(ctx, cli, omar); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("verified by a command: %v", err)
		}
		if err := e.s.VerifyProfessional(ctx, op, admin); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("own declaration: %v", err)
		}
		if err := e.s.VerifyProfessional(ctx, op, omar); err != nil {
			t.Fatal(err)
		}
		if err := e.s.VerifyProfessional(ctx, op, omar); !errs.Is(err, errs.NotFound) {
			t.Fatalf("verify twice: %v", err)
		}
		if count(t, d, `SELECT count(*) FROM professionals WHERE person_id = $1 AND verified_by = $2 AND verified_at IS NOT NULL`, omar, admin) != 1 {
			t.Fatal("not verified")
		}
		m := e.rec.last("identity.professional_verified")
		if m.To.UserID != personKey(omar) || m.To.Email != "omar@example.ma" || len(m.Channels) != 2 || m.Data["Registration"] != "CNOA-1187" {
			t.Fatalf("verified notice: %+v", m)
		}
		if count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_verified' AND channel IN ('inbox', 'email')`) != 2 {
			t.Fatal("verified notice not recorded for inbox and e-mail")
		}
		si, _ := e.id.SignIn(ctx, "omar@example.ma", goodPassword, "t")
		if v := e.actorOf(t, si.Token); v.Profession != authz.Architect || !v.ProfessionalVerified {
			t.Fatalf("architect actor: %+v", v)
		}

		if err := e.s.RejectProfessional(ctx, op, salma, "  "); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reject without reason: %v", err)
		}
		if err := e.s.RejectProfessional(ctx, op, salma, strings.Repeat("x", 1001)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reject with a novel: %v", err)
		}
		reason := "Le numéro CNOA-2311 ne figure pas au tableau de l’Ordre des architectes."
		if err := e.s.RejectProfessional(ctx, op, salma, reason); err != nil {
			t.Fatal(err)
		}
		if count(t, d, `SELECT count(*) FROM professionals WHERE person_id = $1`, salma) != 0 {
			t.Fatal("rejected declaration kept")
		}
		m = e.rec.last("identity.professional_rejected")
		if m.To.UserID != personKey(salma) || m.Data["Reason"] != reason || len(m.Channels) != 2 {
			t.Fatalf("rejected notice: %+v", m)
		}
		if count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_rejected'`) != 2 {
			t.Fatal("rejected notice not recorded for inbox and e-mail")
		}
		for _, action := range []string{"identity.professional_verified", "identity.professional_rejected"} {
			if count(t, d, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor = $2`, action, personKey(admin)) != 1 {
				t.Errorf("no %s audit record by the administrator", action)
			}
		}
		if pending, _ := e.s.PendingProfessionals(ctx, op); len(pending) != 1 || pending[0].Person.ID != admin {
			t.Fatalf("pending after: %+v", pending)
		}
	})
}
