package staff_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/identity/identitydemo"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/staff"
)

// TestAdministratorsDoNotRuleOnThemselves: the same rule covers the back
// office. An administrator cannot verify (or reject) their own
// professional declaration, nor grant themselves a role; another
// administrator can.
func TestAdministratorsDoNotRuleOnThemselves(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := context.Background()
		nadia := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'nadia.bensouda@example.ma'`)
		if err := a.Identity.DeclareProfession(ctx, authz.Actor{Person: nadia, EmailVerified: true, Now: time.Now()},
			identity.ProfessionInput{Profession: authz.Architect, RegistrationNumber: "CNOA-9001"}); err != nil {
			t.Fatal(err)
		}
		se, err := a.Staff.EnrolStaff(ctx, staff.System("test"), staff.Enrolment{Email: "second.admin@example.ma",
			GivenNameAR: "مدير", FamilyNameAR: "ثان", GivenNameLatin: "Second", FamilyNameLatin: "Admin", Lang: "fr"},
			staff.GrantSpec{Role: authz.Admin, Org: "commune"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Identity.ResetPassword(ctx, se.ResetToken, identitydemo.Password); err != nil {
			t.Fatal(err)
		}
		if err := a.Identity.EnableTOTPSecret(ctx, authz.Actor{System: true}, se.PersonID, identitydemo.TOTPSecret); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		admin := apptest.NewBrowser(t, srv.URL)
		admin.SignIn("nadia.bensouda@example.ma", true)
		admin.SetLang(i18n.FR)
		verify := "/admin/professionals/" + strconv.FormatInt(nadia, 10) + "/verify"
		if code, body, _ := admin.Post("/admin/professionals", verify, url.Values{}); code != http.StatusForbidden || !strings.Contains(body, "Un collègue doit s’en charger") {
			t.Fatalf("verifying her own declaration: %d", code)
		}
		if code, _, _ := admin.Post("/admin/professionals", "/admin/professionals/"+strconv.FormatInt(nadia, 10)+"/reject",
			url.Values{"reason": {"Numéro introuvable à l’Ordre."}}); code != http.StatusForbidden {
			t.Fatalf("rejecting her own declaration: %d", code)
		}
		code, body, _ := admin.Post("/admin/staff", "/admin/staff/grants", url.Values{"email": {"nadia.bensouda@example.ma"},
			"role": {"window_agent"}, "org": {"maarif"}, "window": {"maarif"}})
		if code != http.StatusForbidden || !strings.Contains(body, "Un collègue doit s’en charger") {
			t.Fatalf("granting herself a role: %d", code)
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM staff_grants WHERE person_id = $1 AND role = 'window_agent'`, nadia); n != 0 {
			t.Fatalf("%d grants stored", n)
		}
		other := apptest.NewBrowser(t, srv.URL)
		other.SignIn("second.admin@example.ma", true)
		if code, _, h := other.Post("/admin/professionals", verify, url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("another administrator verifies: %d %s", code, h.Get("Location"))
		}
	})
}

// A person given a staff role who has not set up the second factor is
// led to set it up, in their language, rather than refused in silence:
// on the back office's pages and on identity's claims page alike.
func TestStaffWithoutSecondFactorAreLedToSetItUp(t *testing.T) {
	t.Parallel()
	a := apptest.Accounts(t, db.SQLite)
	ctx := context.Background()
	if _, err := a.Staff.EnrolStaff(ctx, staff.System("test"), staff.Enrolment{Email: "fatima.benali@example.ma"},
		staff.GrantSpec{Role: authz.Admin, Org: "commune"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	b.SignIn("fatima.benali@example.ma", false)
	for _, l := range i18n.Langs {
		b.SetLang(l)
		for _, page := range []string{"/admin/staff", "/admin/legal-claims"} {
			code, body, _ := b.Get(page)
			if code != http.StatusForbidden || !strings.Contains(body, a.Cat.T(l, "second_factor.title")) ||
				!strings.Contains(body, `href="/me/security"`) || !strings.Contains(body, `<div class="banner banner-important" role="region"`) ||
				strings.Contains(body, `role="alert"`) {
				t.Errorf("%s %s: %d, want 403 and the way to set up the second factor", l, page, code)
			}
		}
	}
	if miss := apptest.Untranslated(a); len(miss) > 0 {
		t.Errorf("untranslated: %v", miss)
	}
}
