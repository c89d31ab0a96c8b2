package app

import (
	"context"
	"io"
	"madina/internal/identity/identitydemo"
	"madina/internal/permit/permitdemo"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/i18n"
)

// TestDemoMDListsEveryAccount keeps docs/DEMO.md and demoAccounts in step.
func TestDemoMDListsEveryAccount(t *testing.T) {
	b, err := os.ReadFile("../../docs/DEMO.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rows := 0
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "@example.ma") {
			rows++
		}
	}
	accounts := identitydemo.Accounts()
	if rows != len(accounts) {
		t.Errorf("docs/DEMO.md has %d account rows for %d accounts", rows, len(accounts))
	}
	for _, d := range accounts {
		var line string
		for _, l := range strings.Split(doc, "\n") {
			if strings.HasPrefix(l, "| "+d.Email+" |") {
				line = l
			}
		}
		switch {
		case line == "":
			t.Errorf("%s is not in docs/DEMO.md", d.Email)
		case !strings.Contains(line, d.GivenNameLatin) || !strings.Contains(line, d.FamilyNameAR) || !strings.Contains(line, identitydemo.Password):
			t.Errorf("%s: names or password missing from its row", d.Email)
		case strings.Contains(line, identitydemo.TOTPSecret) != (d.Grant != nil):
			t.Errorf("%s: the TOTP secret column is wrong", d.Email)
		case d.Registration != "" && !strings.Contains(line, d.Registration):
			t.Errorf("%s: registration number missing", d.Email)
		}
	}
	if !strings.Contains(doc, "otpauth://totp/") || !strings.Contains(doc, "secret="+identitydemo.TOTPSecret) {
		t.Error("docs/DEMO.md lacks the otpauth URI")
	}
}

// demoCounts counts the rows the demonstration touches.
func demoCounts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"persons", "organisations", "staff_grants", "legal_persons", "representatives", "professionals",
		"verification_codes", "sessions", "recovery_codes", "notify_deliveries", "jobs", "audit_log",
		"mandates", "permit_files", "permit_documents", "permit_events"} {
		var n int
		if err := d.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func TestDemoTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newTestApp(t, d.Engine)
		ctx := context.Background()
		var out strings.Builder
		if err := a.LoadDemo(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "18 demonstration accounts opened") {
			t.Fatalf("first demo said %q", out.String())
		}
		first := demoCounts(t, a.DB)
		out.Reset()
		if err := a.LoadDemo(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "already there") {
			t.Fatalf("second demo said %q", out.String())
		}
		if diff := cmp.Diff(first, demoCounts(t, a.DB)); diff != "" {
			t.Fatalf("the second demo changed the database (-first +second):\n%s", diff)
		}
		// The accounts, and the people the demonstration files add (demo_files.go).
		added := permitdemo.OwnerCount + len(permitdemo.Architects()) + len(permitdemo.Agents())
		want := map[string]int{"persons": 18 + added, "staff_grants": 9 + len(permitdemo.Agents()),
			"legal_persons": 2 + len(permitdemo.Companies()), "representatives": 2 + len(permitdemo.Companies()),
			"professionals": 4 + len(permitdemo.Architects()), "permit_files": permitdemo.FileCount}
		for k, n := range want {
			if first[k] != n {
				t.Errorf("%s: %d, want %d", k, first[k], n)
			}
		}
		rep, err := audit.New(a.DB).Verify(ctx)
		if err != nil || !rep.Intact() {
			t.Fatalf("audit chain: %+v %v", rep, err)
		}
		q := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := q(`SELECT count(*) FROM persons WHERE email_verified_at IS NULL`); n != 0 {
			t.Errorf("%d demo people unverified", n)
		}
		// The accounts have the password; the people the files add have none.
		if n := q(`SELECT count(*) FROM persons WHERE password_hash IS NULL`); n != added {
			t.Errorf("%d demo people without password, want %d", n, added)
		}
		if n := q(`SELECT count(*) FROM persons WHERE cin IS NOT NULL AND phone_verified_at IS NULL`); n != 0 {
			t.Errorf("%d citizens without a verified phone", n)
		}
		if n := q(`SELECT count(*) FROM persons p WHERE totp_enabled_at IS NULL AND EXISTS (SELECT 1 FROM staff_grants g WHERE g.person_id = p.id)`); n != 0 {
			t.Errorf("%d staff without second factor", n)
		}
		if n := q(`SELECT count(*) FROM professionals f JOIN persons p ON p.id = f.person_id WHERE f.verified_at IS NULL AND p.email_key = 'salma.alaoui@example.ma'`); n != 1 {
			t.Error("the pending architect is not pending")
		}
		if n := q(`SELECT count(*) FROM professionals WHERE verified_at IS NOT NULL`); n != 3+len(permitdemo.Architects()) {
			t.Errorf("%d verified professionals, want %d", n, 3+len(permitdemo.Architects()))
		}
		// A citizen signs in with the documented password; staff need the documented code.
		if r, err := a.Identity.SignIn(ctx, "youssef.elamrani@example.ma", identitydemo.Password, "test"); err != nil || r.NeedsMFA {
			t.Fatalf("citizen sign-in: %+v %v", r, err)
		}
		r, err := a.Identity.SignIn(ctx, "souad.chraibi@example.ma", identitydemo.Password, "test")
		if err != nil || !r.NeedsMFA {
			t.Fatalf("staff sign-in: %+v %v", r, err)
		}
		code, _ := otptotp.GenerateCode(identitydemo.TOTPSecret, time.Now())
		if _, err := a.Identity.SecondFactor(ctx, r.Token, code); err != nil {
			t.Fatalf("demo TOTP: %v", err)
		}
	})
}

// signIn signs b in with the demo password and, for staff, the demo code.
func (b *browser) signIn(email string, staff bool) {
	b.t.Helper()
	b.signInAs(email, identitydemo.Password, staff)
}

// signInAs signs b in with a password and, for staff, the demo TOTP code.
func (b *browser) signInAs(email, pw string, staff bool) {
	b.t.Helper()
	code, _, h := b.post("/signin", "/signin", url.Values{"email": {email}, "password": {pw}})
	if code != http.StatusSeeOther {
		b.t.Fatalf("sign-in of %s: %d", email, code)
	}
	if !staff {
		return
	}
	if !strings.HasPrefix(h.Get("Location"), "/signin/second-factor") {
		b.t.Fatalf("%s: no second factor asked (%s)", email, h.Get("Location"))
	}
	totp, _ := otptotp.GenerateCode(identitydemo.TOTPSecret, time.Now())
	if code, _, _ := b.post("/signin/second-factor", "/signin/second-factor", url.Values{"code": {totp}}); code != http.StatusSeeOther {
		b.t.Fatalf("second factor of %s: %d", email, code)
	}
}

// lang switches b's language (the switch sets a cookie and redirects).
func (b *browser) lang(l i18n.Lang) {
	b.t.Helper()
	if code, _, _ := b.get("/?lang=" + string(l)); code != http.StatusSeeOther && code != http.StatusOK {
		b.t.Fatalf("switch to %s: %d", l, code)
	}
}

func personID(t *testing.T, a *App, email string) int64 {
	t.Helper()
	p, err := a.Identity.PersonByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func TestBackOfficeOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newTestApp(t, d.Engine)
		ctx := context.Background()
		if err := a.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		youssef := personID(t, a, "youssef.elamrani@example.ma")
		salma := personID(t, a, "salma.alaoui@example.ma")
		nadia := personID(t, a, "nadia.bensouda@example.ma")
		if err := a.Identity.DeclareProfession(ctx, authz.Actor{Person: youssef, EmailVerified: true, Now: time.Now()},
			identity.ProfessionInput{Profession: authz.Engineer, RegistrationNumber: "ING-2020-0099"}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		q := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// A citizen is refused, without the second-factor explanation.
		citizen := newBrowser(t, srv)
		citizen.signIn("fatima.benali@example.ma", false)
		for _, p := range []string{"/admin", "/admin/staff", "/admin/audit", "/admin/professionals"} {
			if code, body, _ := citizen.get(p); code != http.StatusForbidden || strings.Contains(body, "التحقق بخطوتين مطلوب") {
				t.Errorf("citizen on %s: %d", p, code)
			}
		}
		if code, _, _ := citizen.post("/me", "/admin/staff/grants", url.Values{"email": {"fatima.benali@example.ma"}, "role": {"admin"}, "org": {"commune"}}); code != http.StatusForbidden {
			t.Errorf("citizen granting herself admin: %d", code)
		}
		// Anonymous visitors are sent to sign in.
		if code, _, h := newBrowser(t, srv).get("/admin/staff"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin?next=") {
			t.Errorf("anonymous: %d %s", code, h.Get("Location"))
		}

		admin := newBrowser(t, srv)
		admin.signIn("nadia.bensouda@example.ma", true)
		pages := []struct {
			path string
			want map[i18n.Lang]string
		}{
			{"/admin", map[i18n.Lang]string{i18n.AR: "المكتب الخلفي", i18n.FR: "Back-office", i18n.EN: "Back office"}},
			{"/admin/staff", map[i18n.Lang]string{i18n.AR: "الموظفون والأدوار", i18n.FR: "Personnel et rôles", i18n.EN: "Staff and roles"}},
			{"/admin/organisations", map[i18n.Lang]string{i18n.AR: "مقاطعة سيدي عثمان", i18n.FR: "Arrondissement Sidi Othmane", i18n.EN: "Sidi Othmane arrondissement"}},
			{"/admin/organisations/lydec", map[i18n.Lang]string{i18n.AR: "إعادة تسمية هيئة", i18n.FR: "Renommer un organisme", i18n.EN: "Rename an organisation"}},
			{"/admin/professionals", map[i18n.Lang]string{i18n.AR: "سلمى", i18n.FR: "CNOA-2311", i18n.EN: "Declarations waiting"}},
			{"/admin/audit", map[i18n.Lang]string{i18n.AR: "السلسلة سليمة", i18n.FR: "Chaîne intacte", i18n.EN: "Chain intact"}},
		}
		for _, l := range i18n.Langs {
			admin.lang(l)
			for _, p := range pages {
				code, body, _ := admin.get(p.path)
				if code != http.StatusOK {
					t.Errorf("%s in %s: %d", p.path, l, code)
					continue
				}
				if !strings.Contains(body, `<html lang="`+string(l)+`" dir="`+l.Dir()+`">`) || !strings.Contains(body, p.want[l]) {
					t.Errorf("%s in %s: wrong language or missing %q", p.path, l, p.want[l])
				}
				if ks := untranslated(a); len(ks) > 0 {
					t.Errorf("%s in %s: keys without a text %q", p.path, l, ks)
				}
			}
		}
		admin.lang(i18n.FR)

		// Granting a role: the form needs its CSRF token, says what is wrong, and is audited.
		grant := url.Values{"email": {"youssef.elamrani@example.ma"}, "role": {"committee_member"}, "org": {"aucasa"}}
		if code, _, _ := admin.postRaw("/admin/staff/grants", grant); code != http.StatusForbidden {
			t.Fatalf("grant without CSRF token: %d", code)
		}
		bad := url.Values{"email": {"youssef.elamrani@example.ma"}, "role": {"window_agent"}, "org": {"maarif"}}
		if code, body, _ := admin.post("/admin/staff", "/admin/staff/grants", bad); code != http.StatusBadRequest ||
			!strings.Contains(body, "Un agent de guichet a besoin d’un guichet.") || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("window agent without window: %d", code)
		}
		if code, body, _ := admin.post("/admin/staff", "/admin/staff/grants", url.Values{"email": {"nobody@example.ma"}, "role": {"editor"}, "org": {"commune"}}); code != http.StatusBadRequest || !strings.Contains(body, "Aucun compte avec cette adresse") {
			t.Fatalf("unknown person: %d", code)
		}
		if code, _, h := admin.post("/admin/staff", "/admin/staff/grants", grant); code != http.StatusSeeOther || h.Get("Location") != "/admin/staff?done=granted" {
			t.Fatalf("grant: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := admin.get("/admin/staff?done=granted"); !strings.Contains(body, "Rôle attribué.") || !strings.Contains(body, "youssef.elamrani@example.ma") {
			t.Fatal("the staff list does not show the new grant")
		}
		var grantID int64
		if err := a.DB.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND organisation_code = 'aucasa' AND granted_by = $2 AND revoked_at IS NULL`,
			youssef, nadia).Scan(&grantID); err != nil {
			t.Fatalf("grant not stored: %v", err)
		}
		if q(`SELECT count(*) FROM audit_log WHERE action = 'identity.role_granted' AND actor = $1 AND object_id = $2`, "person:"+itoa(nadia), itoa(youssef)) != 1 {
			t.Fatal("grant not audited")
		}
		if code, body, _ := admin.post("/admin/staff", "/admin/staff/grants", grant); code != http.StatusConflict || !strings.Contains(body, "Cette personne a déjà ce rôle.") {
			t.Fatalf("duplicate grant: %d", code)
		}
		if code, _, h := admin.post("/admin/staff", "/admin/staff/grants/"+itoa(grantID)+"/revoke", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/admin/staff?done=revoked" {
			t.Fatalf("revoke: %d", code)
		}
		if q(`SELECT count(*) FROM staff_grants WHERE id = $1 AND revoked_at IS NOT NULL`, grantID) != 1 ||
			q(`SELECT count(*) FROM audit_log WHERE action = 'identity.role_revoked' AND actor = $1`, "person:"+itoa(nadia)) != 1 {
			t.Fatal("revocation not stored or not audited")
		}
		if code, _, _ := admin.post("/admin/staff", "/admin/staff/grants/999999/revoke", url.Values{}); code != http.StatusNotFound {
			t.Fatalf("revoke unknown grant: %d", code)
		}
		var adminGrant int64
		_ = a.DB.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND role = 'admin'`, nadia).Scan(&adminGrant)
		if code, body, _ := admin.post("/admin/staff", "/admin/staff/grants/"+itoa(adminGrant)+"/revoke", url.Values{}); code != http.StatusConflict || !strings.Contains(body, "dernier administrateur") {
			t.Fatalf("revoking the last administrator: %d", code)
		}

		// Organisations.
		org := url.Values{"code": {"casa-transports"}, "kind": {"other"}, "name_ar": {"الدار البيضاء للنقل"}, "name_fr": {"Casa Transports"}, "name_en": {"Casa Transports"}}
		if code, _, h := admin.post("/admin/organisations", "/admin/organisations", org); code != http.StatusSeeOther || h.Get("Location") != "/admin/organisations?done=created" {
			t.Fatalf("create organisation: %d", code)
		}
		if code, body, _ := admin.post("/admin/organisations", "/admin/organisations", org); code != http.StatusConflict || !strings.Contains(body, "Ce code est déjà pris.") {
			t.Fatalf("same code twice: %d", code)
		}
		rename := url.Values{"name_ar": {"الدار البيضاء للنقل"}, "name_fr": {"Casa Transports SA"}, "name_en": {"Casa Transports plc"}}
		if code, _, _ := admin.post("/admin/organisations/casa-transports", "/admin/organisations/casa-transports", rename); code != http.StatusSeeOther {
			t.Fatalf("rename: %d", code)
		}
		if _, body, _ := admin.get("/admin/organisations"); !strings.Contains(body, "Casa Transports SA") {
			t.Fatal("renamed organisation not listed")
		}
		if code, _, _ := admin.get("/admin/organisations/nowhere"); code != http.StatusNotFound {
			t.Fatalf("unknown organisation: %d", code)
		}

		// Professionals: verify one, reject another with a reason sent to them.
		if code, _, h := admin.post("/admin/professionals", "/admin/professionals/"+itoa(youssef)+"/verify", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/admin/professionals?done=verified" {
			t.Fatalf("verify: %d", code)
		}
		settle(t, a) // the notice follows the event once it is dispatched
		if q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_verified' AND user_id = $1 AND channel = 'inbox'`, "person:"+itoa(youssef)) != 1 ||
			q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_verified' AND address = 'youssef.elamrani@example.ma' AND channel = 'email'`) != 1 {
			t.Fatal("verification notice not recorded")
		}
		if code, body, _ := admin.post("/admin/professionals", "/admin/professionals/"+itoa(salma)+"/reject", url.Values{"reason": {" "}}); code != http.StatusBadRequest || !strings.Contains(body, "Indiquez le motif du refus") {
			t.Fatalf("reject without reason: %d", code)
		}
		reason := "Numéro CNOA-2311 introuvable au tableau de l’Ordre : joignez votre attestation d’inscription."
		if code, _, _ := admin.post("/admin/professionals", "/admin/professionals/"+itoa(salma)+"/reject", url.Values{"reason": {reason}}); code != http.StatusSeeOther {
			t.Fatalf("reject: %d", code)
		}
		settle(t, a)
		if q(`SELECT count(*) FROM professionals WHERE person_id = $1`, salma) != 0 ||
			q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_rejected' AND user_id = $1 AND channel = 'inbox'`, "person:"+itoa(salma)) != 1 ||
			q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_rejected' AND address = 'salma.alaoui@example.ma'`) != 1 {
			t.Fatal("rejection not applied or not notified")
		}
		if code, _, _ := admin.post("/admin/professionals", "/admin/professionals/"+itoa(salma)+"/verify", url.Values{}); code != http.StatusNotFound {
			t.Fatalf("verify a rejected declaration: %d", code)
		}
		if _, body, _ := admin.get("/admin/professionals"); !strings.Contains(body, "Aucune déclaration en attente.") {
			t.Fatal("declarations still pending")
		}

		// The auditor reads the log, and nothing else.
		auditor := newBrowser(t, srv)
		auditor.signIn("hassan.filali@example.ma", true)
		auditor.lang(i18n.EN)
		if code, body, _ := auditor.get("/admin"); code != http.StatusOK || !strings.Contains(body, `href="/admin/audit"`) || strings.Contains(body, `href="/admin/staff"`) {
			t.Fatalf("auditor's back office: %d", code)
		}
		code, body, _ := auditor.get("/admin/audit")
		if code != http.StatusOK || !strings.Contains(body, "Chain intact") || !strings.Contains(body, "identity.professional_rejected") {
			t.Fatalf("audit viewer: %d", code)
		}
		if code, body, _ := auditor.get("/admin/audit?object_type=person&object_id=" + itoa(salma)); code != http.StatusOK ||
			!strings.Contains(body, "identity.professional_rejected") || strings.Contains(body, "identity.role_revoked") {
			t.Fatalf("filtered audit: %d", code)
		}
		if code, body, _ := auditor.get("/admin/audit?object_id=1"); code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("object id without type: %d", code)
		}
		if code, body, _ := auditor.get("/admin/audit"); code != http.StatusOK || !strings.Contains(body, "Older records") {
			t.Fatalf("no link to older records: %d", code)
		}
		for _, p := range []string{"/admin/staff", "/admin/organisations", "/admin/professionals"} {
			if code, body, _ := auditor.get(p); code != http.StatusForbidden || strings.Contains(body, "Two-step verification required") {
				t.Errorf("auditor on %s: %d", p, code)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
