package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestBackOfficeOverHTTP walks the back office on the demonstration's
// accounts, in every language: who may open which page, granting and
// revoking roles, organisations, verifying and rejecting professionals,
// and the auditor's read-only view of the log.
func TestBackOfficeOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		ctx := context.Background()
		youssef := apptest.PersonID(t, a, "youssef.elamrani@example.ma")
		salma := apptest.PersonID(t, a, "salma.alaoui@example.ma")
		nadia := apptest.PersonID(t, a, "nadia.bensouda@example.ma")
		if err := a.Identity.DeclareProfession(ctx, authz.Actor{Person: youssef, EmailVerified: true, Now: time.Now()},
			identity.ProfessionInput{Profession: authz.Engineer, RegistrationNumber: "ING-2020-0099"}); err != nil {
			t.Fatal(err)
		}
		srv := apptest.Server(t, a)
		q := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// A citizen is refused, without the second-factor explanation.
		citizen := apptest.NewBrowser(t, srv.URL)
		citizen.SignIn("fatima.benali@example.ma", false)
		for _, p := range []string{"/admin", "/admin/staff", "/admin/audit", "/admin/professionals"} {
			if code, body, _ := citizen.Get(p); code != http.StatusForbidden || strings.Contains(body, "التحقق بخطوتين مطلوب") {
				t.Errorf("citizen on %s: %d", p, code)
			}
		}
		if code, _, _ := citizen.Post("/me", "/admin/staff/grants", url.Values{"email": {"fatima.benali@example.ma"}, "role": {"admin"}, "org": {"commune"}}); code != http.StatusForbidden {
			t.Errorf("citizen granting herself admin: %d", code)
		}
		// Anonymous visitors are sent to sign in.
		if code, _, h := apptest.NewBrowser(t, srv.URL).Get("/admin/staff"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin?next=") {
			t.Errorf("anonymous: %d %s", code, h.Get("Location"))
		}

		admin := apptest.NewBrowser(t, srv.URL)
		admin.SignIn("nadia.bensouda@example.ma", true)
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
			admin.Lang(l)
			for _, p := range pages {
				code, body, _ := admin.Get(p.path)
				if code != http.StatusOK {
					t.Errorf("%s in %s: %d", p.path, l, code)
					continue
				}
				if !strings.Contains(body, `<html lang="`+string(l)+`" dir="`+l.Dir()+`">`) || !strings.Contains(body, p.want[l]) {
					t.Errorf("%s in %s: wrong language or missing %q\n%s", p.path, l, p.want[l], apptest.Grep(body, "chain"))
				}
				if ks := apptest.Untranslated(a); len(ks) > 0 {
					t.Errorf("%s in %s: keys without a text %q", p.path, l, ks)
				}
			}
		}
		admin.Lang(i18n.FR)

		// Granting a role: the form needs its CSRF token, says what is wrong, and is audited.
		grant := url.Values{"email": {"youssef.elamrani@example.ma"}, "role": {"committee_member"}, "org": {"aucasa"}}
		if code, _, _ := admin.PostRaw("/admin/staff/grants", grant); code != http.StatusForbidden {
			t.Fatalf("grant without CSRF token: %d", code)
		}
		bad := url.Values{"email": {"youssef.elamrani@example.ma"}, "role": {"window_agent"}, "org": {"maarif"}}
		if code, body, _ := admin.Post("/admin/staff", "/admin/staff/grants", bad); code != http.StatusBadRequest ||
			!strings.Contains(body, "Un agent de guichet a besoin d’un guichet.") || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("window agent without window: %d", code)
		}
		if code, body, _ := admin.Post("/admin/staff", "/admin/staff/grants", url.Values{"email": {"nobody@example.ma"}, "role": {"editor"}, "org": {"commune"}}); code != http.StatusBadRequest || !strings.Contains(body, "Aucun compte avec cette adresse") {
			t.Fatalf("unknown person: %d", code)
		}
		if code, _, h := admin.Post("/admin/staff", "/admin/staff/grants", grant); code != http.StatusSeeOther || h.Get("Location") != "/admin/staff?done=granted" {
			t.Fatalf("grant: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := admin.Get("/admin/staff?done=granted"); !strings.Contains(body, "Rôle attribué.") || !strings.Contains(body, "youssef.elamrani@example.ma") {
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
		if code, body, _ := admin.Post("/admin/staff", "/admin/staff/grants", grant); code != http.StatusConflict || !strings.Contains(body, "Cette personne a déjà ce rôle.") {
			t.Fatalf("duplicate grant: %d", code)
		}
		if code, _, h := admin.Post("/admin/staff", "/admin/staff/grants/"+itoa(grantID)+"/revoke", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/admin/staff?done=revoked" {
			t.Fatalf("revoke: %d", code)
		}
		if q(`SELECT count(*) FROM staff_grants WHERE id = $1 AND revoked_at IS NOT NULL`, grantID) != 1 ||
			q(`SELECT count(*) FROM audit_log WHERE action = 'identity.role_revoked' AND actor = $1`, "person:"+itoa(nadia)) != 1 {
			t.Fatal("revocation not stored or not audited")
		}
		if code, _, _ := admin.Post("/admin/staff", "/admin/staff/grants/999999/revoke", url.Values{}); code != http.StatusNotFound {
			t.Fatalf("revoke unknown grant: %d", code)
		}
		var adminGrant int64
		_ = a.DB.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND role = 'admin'`, nadia).Scan(&adminGrant)
		if code, body, _ := admin.Post("/admin/staff", "/admin/staff/grants/"+itoa(adminGrant)+"/revoke", url.Values{}); code != http.StatusConflict || !strings.Contains(body, "dernier administrateur") {
			t.Fatalf("revoking the last administrator: %d", code)
		}

		// Organisations.
		org := url.Values{"code": {"casa-transports"}, "kind": {"other"}, "name_ar": {"الدار البيضاء للنقل"}, "name_fr": {"Casa Transports"}, "name_en": {"Casa Transports"}}
		if code, _, h := admin.Post("/admin/organisations", "/admin/organisations", org); code != http.StatusSeeOther || h.Get("Location") != "/admin/organisations?done=created" {
			t.Fatalf("create organisation: %d", code)
		}
		if code, body, _ := admin.Post("/admin/organisations", "/admin/organisations", org); code != http.StatusConflict || !strings.Contains(body, "Ce code est déjà pris.") {
			t.Fatalf("same code twice: %d", code)
		}
		rename := url.Values{"name_ar": {"الدار البيضاء للنقل"}, "name_fr": {"Casa Transports SA"}, "name_en": {"Casa Transports plc"}}
		if code, _, _ := admin.Post("/admin/organisations/casa-transports", "/admin/organisations/casa-transports", rename); code != http.StatusSeeOther {
			t.Fatalf("rename: %d", code)
		}
		if _, body, _ := admin.Get("/admin/organisations"); !strings.Contains(body, "Casa Transports SA") {
			t.Fatal("renamed organisation not listed")
		}
		if code, _, _ := admin.Get("/admin/organisations/nowhere"); code != http.StatusNotFound {
			t.Fatalf("unknown organisation: %d", code)
		}

		// Professionals: verify one, reject another with a reason sent to them.
		if code, _, h := admin.Post("/admin/professionals", "/admin/professionals/"+itoa(youssef)+"/verify", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/admin/professionals?done=verified" {
			t.Fatalf("verify: %d", code)
		}
		apptest.Settle(t, a) // the notice follows the event once it is dispatched
		if q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_verified' AND user_id = $1 AND channel = 'inbox'`, "person:"+itoa(youssef)) != 1 ||
			q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_verified' AND address = 'youssef.elamrani@example.ma' AND channel = 'email'`) != 1 {
			t.Fatal("verification notice not recorded")
		}
		if code, body, _ := admin.Post("/admin/professionals", "/admin/professionals/"+itoa(salma)+"/reject", url.Values{"reason": {" "}}); code != http.StatusBadRequest || !strings.Contains(body, "Indiquez le motif du refus") {
			t.Fatalf("reject without reason: %d", code)
		}
		reason := "Numéro CNOA-2311 introuvable au tableau de l’Ordre : joignez votre attestation d’inscription."
		if code, _, _ := admin.Post("/admin/professionals", "/admin/professionals/"+itoa(salma)+"/reject", url.Values{"reason": {reason}}); code != http.StatusSeeOther {
			t.Fatalf("reject: %d", code)
		}
		apptest.Settle(t, a)
		if q(`SELECT count(*) FROM professionals WHERE person_id = $1`, salma) != 0 ||
			q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_rejected' AND user_id = $1 AND channel = 'inbox'`, "person:"+itoa(salma)) != 1 ||
			q(`SELECT count(*) FROM notify_deliveries WHERE template = 'identity.professional_rejected' AND address = 'salma.alaoui@example.ma'`) != 1 {
			t.Fatal("rejection not applied or not notified")
		}
		if code, _, _ := admin.Post("/admin/professionals", "/admin/professionals/"+itoa(salma)+"/verify", url.Values{}); code != http.StatusNotFound {
			t.Fatalf("verify a rejected declaration: %d", code)
		}
		if _, body, _ := admin.Get("/admin/professionals"); !strings.Contains(body, "Aucune déclaration en attente.") {
			t.Fatal("declarations still pending")
		}

		// The auditor reads the log, and nothing else.
		auditor := apptest.NewBrowser(t, srv.URL)
		auditor.SignIn("hassan.filali@example.ma", true)
		auditor.Lang(i18n.EN)
		if code, body, _ := auditor.Get("/admin"); code != http.StatusOK || !strings.Contains(body, `href="/admin/audit"`) || strings.Contains(body, `href="/admin/staff"`) {
			t.Fatalf("auditor's back office: %d", code)
		}
		code, body, _ := auditor.Get("/admin/audit")
		if code != http.StatusOK || !strings.Contains(body, "Chain intact") || !strings.Contains(body, "identity.professional_rejected") {
			t.Fatalf("audit viewer: %d", code)
		}
		if code, body, _ := auditor.Get("/admin/audit?object_type=person&object_id=" + itoa(salma)); code != http.StatusOK ||
			!strings.Contains(body, "identity.professional_rejected") || strings.Contains(body, "identity.role_revoked") {
			t.Fatalf("filtered audit: %d", code)
		}
		if code, body, _ := auditor.Get("/admin/audit?object_id=1"); code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("object id without type: %d", code)
		}
		if code, body, _ := auditor.Get("/admin/audit"); code != http.StatusOK || !strings.Contains(body, "Older records") {
			t.Fatalf("no link to older records: %d", code)
		}
		for _, p := range []string{"/admin/staff", "/admin/organisations", "/admin/professionals"} {
			if code, body, _ := auditor.Get(p); code != http.StatusForbidden || strings.Contains(body, "Two-step verification required") {
				t.Errorf("auditor on %s: %d", p, code)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
