package app

import (
	"context"
	"io"
	"madina/internal/identity/identitydemo"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/i18n"
	"madina/internal/staff"
)

// enrolAgent opens a window agent's account with the demonstration
// password and second factor.
func enrolAgent(t *testing.T, a *App, email, org, window string) int64 {
	t.Helper()
	ctx := context.Background()
	se, err := a.Staff.EnrolStaff(ctx, staff.System("test"), staff.Enrolment{Email: email,
		GivenNameAR: "زميل", FamilyNameAR: "الشباك", GivenNameLatin: "Collègue", FamilyNameLatin: "Guichet", Lang: "fr"},
		staff.GrantSpec{Role: authz.WindowAgent, Org: org, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Identity.ResetPassword(ctx, se.ResetToken, identitydemo.Password); err != nil {
		t.Fatal(err)
	}
	if err := a.Identity.EnableTOTPSecret(ctx, authz.Actor{System: true}, se.PersonID, identitydemo.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	return se.PersonID
}

// TestAgentsCannotHandleTheirOwnFiles reproduces the probe: an agent of
// the Maârif window files an auto-entrepreneur application at their own
// window and tries to accept and approve it; a city-window agent owns a
// building file at their window. The policy refuses them with the
// explanation; their queue shows the file marked, their page offers no
// window action; a colleague of the same window handles it.
func TestAgentsCannotHandleTheirOwnFiles(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newFilesApp(t, d.Engine)
		ctx := context.Background()
		if err := a.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		enrolAgent(t, a, "collegue.maarif@example.ma", "maarif", "maarif")
		enrolAgent(t, a, "collegue.city@example.ma", "commune", "city")
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		souad := newBrowser(t, srv)
		souad.signIn("souad.chraibi@example.ma", true)
		souad.setLang(i18n.FR)
		code, _, h := souad.post("/files/new", "/files", url.Values{"kind": {"auto_entrepreneur"}, "owner": {"self"}, "title": {"Graphisme"}})
		wantStatus(t, "create", code, http.StatusSeeOther, h)
		m := fileIDRE.FindStringSubmatch(h.Get("Location"))
		if m == nil {
			t.Fatalf("create went to %q", h.Get("Location"))
		}
		page := "/files/" + m[1]
		id, _ := strconv.ParseInt(m[1], 10, 64)
		code, _, h = souad.act(page, page, url.Values{"title": {"Graphisme"}, "address": {"12 rue Ibnou Mounir"}, "arrondissement": {"maarif"},
			"field_ae_number": {"AE-99310"}, "field_activity": {"Graphisme"}})
		wantStatus(t, "save", code, http.StatusSeeOther, h)
		self := authz.Actor{Person: idOf(t, a.DB, `SELECT id FROM persons WHERE email = 'souad.chraibi@example.ma'`), EmailVerified: true, Now: time.Now()}
		v, err := a.Permit.View(ctx, self, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range v.Missing {
			code, _, h = souad.upload(page, item, item+".pdf", tinyPDF(item))
			wantStatus(t, "upload "+item, code, http.StatusSeeOther, h)
		}
		code, _, h = souad.act(page, page+"/submit", url.Values{})
		wantStatus(t, "submit", code, http.StatusSeeOther, h)

		// Her queue shows the file, marked; her page shows it without the
		// window's actions; accepting it anyway is refused, explained.
		code, body, _ := souad.get("/window/maarif?tab=new")
		if code != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "Vous êtes concerné — un collègue s’en charge") {
			t.Fatalf("her queue: %d\n%s", code, grep(body, page))
		}
		code, body, _ = souad.get(page)
		if code != http.StatusOK || !strings.Contains(body, "Vous êtes concerné par ce dossier") || strings.Contains(body, page+"/accept") ||
			strings.Contains(body, page+"/return") {
			t.Fatalf("her file page: %d", code)
		}
		code, body, _ = souad.post(page, page+"/accept", url.Values{"version": {souad.version(page)}})
		if code != http.StatusForbidden || !strings.Contains(body, "vous ne pouvez pas agir officiellement. Un collègue doit s’en charger") {
			t.Fatalf("accepting her own file: %d\n%s", code, grep(body, "alert"))
		}
		code, _, _ = souad.post(page, page+"/return", url.Values{"version": {souad.version(page)}, "note": {"Il manque une pièce."}})
		if code != http.StatusForbidden {
			t.Fatalf("returning her own file: %d", code)
		}

		// A colleague of the same window accepts it; she cannot approve
		// it, the colleague can.
		colleague := newBrowser(t, srv)
		colleague.signIn("collegue.maarif@example.ma", true)
		colleague.setLang(i18n.FR)
		if _, body, _ = colleague.get("/window/maarif?tab=new"); !strings.Contains(body, `href="`+page+`"`) || strings.Contains(body, "Vous êtes concerné") {
			t.Fatal("the colleague's queue")
		}
		code, _, h = colleague.act(page, page+"/accept", url.Values{})
		wantStatus(t, "colleague accepts", code, http.StatusSeeOther, h)
		if _, body, _ = souad.get(page); strings.Contains(body, page+"/approve") || !strings.Contains(body, "Vous êtes concerné par ce dossier") {
			t.Fatal("her page offers the decision")
		}
		stale := colleague.version(page)
		for _, act := range []struct{ path, field, value string }{{"/approve", "reason", ""}, {"/refuse", "reason", "Activité non conforme au règlement."},
			{"/ask", "note", "Il manque une pièce."}, {"/extend", "reason", "Le dossier demande une visite."}} {
			form := url.Values{"version": {stale}, act.field: {act.value}, "step": {"overall"}, "days": {"5"}}
			if code, body, _ = souad.post(page, page+act.path, form); code != http.StatusForbidden || !strings.Contains(body, "Un collègue doit s’en charger") {
				t.Fatalf("%s on her own file: %d", act.path, code)
			}
		}
		code, _, h = colleague.act(page, page+"/approve", url.Values{})
		wantStatus(t, "colleague approves", code, http.StatusSeeOther, h)
		var state string
		if err := a.DB.QueryRowContext(ctx, `SELECT state FROM permit_files WHERE id = $1`, id).Scan(&state); err != nil || state != string(permit.Approved) {
			t.Fatalf("state %q (%v), want approved", state, err)
		}

		// A city-window agent who owns a building file at the city window.
		amina := idOf(t, a.DB, `SELECT id FROM persons WHERE email = 'amina.idrissi@example.ma'`)
		building := idOf(t, a.DB, `SELECT id FROM permit_files WHERE window_code = 'city' AND state = 'submitted'
			AND family = 'urban' ORDER BY id LIMIT 1`)
		if _, err := a.DB.ExecContext(ctx, `UPDATE permit_files SET owner_person_id = $1, owner_legal_id = NULL WHERE id = $2`, amina, building); err != nil {
			t.Fatal(err)
		}
		page = "/files/" + strconv.FormatInt(building, 10)
		city := newBrowser(t, srv)
		city.signIn("amina.idrissi@example.ma", true)
		city.setLang(i18n.EN)
		if _, body, _ = city.get("/window/city?tab=new"); !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "You are involved — a colleague handles it") {
			t.Fatal("the city agent's queue does not mark her file")
		}
		// Her page offers her no action, so no form carries the version:
		// she sends the one the file has.
		var version int
		if err := a.DB.QueryRowContext(ctx, `SELECT version FROM permit_files WHERE id = $1`, building).Scan(&version); err != nil {
			t.Fatal(err)
		}
		code, body, _ = city.post(page, page+"/accept", url.Values{"version": {strconv.Itoa(version)}})
		if code != http.StatusForbidden || !strings.Contains(body, "You are personally involved in what this action concerns") {
			t.Fatalf("accepting her own building file: %d", code)
		}
		cityColleague := newBrowser(t, srv)
		cityColleague.signIn("collegue.city@example.ma", true)
		code, _, h = cityColleague.act(page, page+"/accept", url.Values{})
		wantStatus(t, "city colleague accepts", code, http.StatusSeeOther, h)
	})
}

// TestAdministratorsDoNotRuleOnThemselves: the same rule covers the back
// office. An administrator cannot verify (or reject) their own
// professional declaration, nor grant themselves a role; another
// administrator can.
func TestAdministratorsDoNotRuleOnThemselves(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newTestApp(t, d.Engine)
		ctx := context.Background()
		if _, err := a.LoadReference(ctx, district.Casablanca(), "test"); err != nil {
			t.Fatal(err)
		}
		if err := identitydemo.Load(ctx, a.env, io.Discard); err != nil {
			t.Fatal(err)
		}
		nadia := idOf(t, a.DB, `SELECT id FROM persons WHERE email = 'nadia.bensouda@example.ma'`)
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

		admin := newBrowser(t, srv)
		admin.signIn("nadia.bensouda@example.ma", true)
		admin.setLang(i18n.FR)
		verify := "/admin/professionals/" + strconv.FormatInt(nadia, 10) + "/verify"
		if code, body, _ := admin.post("/admin/professionals", verify, url.Values{}); code != http.StatusForbidden || !strings.Contains(body, "Un collègue doit s’en charger") {
			t.Fatalf("verifying her own declaration: %d", code)
		}
		if code, _, _ := admin.post("/admin/professionals", "/admin/professionals/"+strconv.FormatInt(nadia, 10)+"/reject",
			url.Values{"reason": {"Numéro introuvable à l’Ordre."}}); code != http.StatusForbidden {
			t.Fatalf("rejecting her own declaration: %d", code)
		}
		code, body, _ := admin.post("/admin/staff", "/admin/staff/grants", url.Values{"email": {"nadia.bensouda@example.ma"},
			"role": {"window_agent"}, "org": {"maarif"}, "window": {"maarif"}})
		if code != http.StatusForbidden || !strings.Contains(body, "Un collègue doit s’en charger") {
			t.Fatalf("granting herself a role: %d", code)
		}
		if n := idOf(t, a.DB, `SELECT count(*) FROM staff_grants WHERE person_id = $1 AND role = 'window_agent'`, nadia); n != 0 {
			t.Fatalf("%d grants stored", n)
		}
		other := newBrowser(t, srv)
		other.signIn("second.admin@example.ma", true)
		if code, _, h := other.post("/admin/professionals", verify, url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("another administrator verifies: %d %s", code, h.Get("Location"))
		}
	})
}
