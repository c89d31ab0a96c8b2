package permit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/identity/identitydemo"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/staff"
)

// enrolAgent opens a window agent's account with the demonstration
// password and second factor.
func enrolAgent(t *testing.T, a *app.App, email, org, window string) int64 {
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
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		enrolAgent(t, a, "collegue.maarif@example.ma", "maarif", "maarif")
		enrolAgent(t, a, "collegue.city@example.ma", "commune", "city")
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		souad := apptest.NewBrowser(t, srv.URL)
		souad.SignIn("souad.chraibi@example.ma", true)
		souad.SetLang(i18n.FR)
		code, _, h := souad.Post("/files/new", "/files", url.Values{"kind": {"auto_entrepreneur"}, "owner": {"self"}, "title": {"Graphisme"}})
		apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
		m := fileIDRE.FindStringSubmatch(h.Get("Location"))
		if m == nil {
			t.Fatalf("create went to %q", h.Get("Location"))
		}
		page := "/files/" + m[1]
		id, _ := strconv.ParseInt(m[1], 10, 64)
		code, _, h = souad.Act(page, page, url.Values{"title": {"Graphisme"}, "address": {"12 rue Ibnou Mounir"}, "arrondissement": {"maarif"},
			"field_ae_number": {"AE-99310"}, "field_activity": {"Graphisme"}})
		apptest.WantStatus(t, "save", code, http.StatusSeeOther, h)
		self := authz.Actor{Person: apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'souad.chraibi@example.ma'`), EmailVerified: true, Now: time.Now()}
		v, err := a.Permit.View(ctx, self, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range v.Missing {
			code, _, h = souad.Upload(page, item, item+".pdf", apptest.TinyPDF(item))
			apptest.WantStatus(t, "upload "+item, code, http.StatusSeeOther, h)
		}
		code, _, h = souad.Act(page, page+"/submit", url.Values{})
		apptest.WantStatus(t, "submit", code, http.StatusSeeOther, h)

		// Her queue shows the file, marked; her page shows it without the
		// window's actions; accepting it anyway is refused, explained.
		code, body, _ := souad.Get("/window/maarif?tab=new")
		if code != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "Vous êtes concerné — un collègue s’en charge") {
			t.Fatalf("her queue: %d\n%s", code, apptest.Grep(body, page))
		}
		code, body, _ = souad.Get(page)
		if code != http.StatusOK || !strings.Contains(body, "Vous êtes concerné par ce dossier") || strings.Contains(body, page+"/accept") ||
			strings.Contains(body, page+"/return") {
			t.Fatalf("her file page: %d", code)
		}
		code, body, _ = souad.Post(page, page+"/accept", url.Values{"version": {souad.Version(page)}})
		if code != http.StatusForbidden || !strings.Contains(body, "vous ne pouvez pas agir officiellement. Un collègue doit s’en charger") {
			t.Fatalf("accepting her own file: %d\n%s", code, apptest.Grep(body, "alert"))
		}
		code, _, _ = souad.Post(page, page+"/return", url.Values{"version": {souad.Version(page)}, "note": {"Il manque une pièce."}})
		if code != http.StatusForbidden {
			t.Fatalf("returning her own file: %d", code)
		}

		// A colleague of the same window accepts it; she cannot approve
		// it, the colleague can.
		colleague := apptest.NewBrowser(t, srv.URL)
		colleague.SignIn("collegue.maarif@example.ma", true)
		colleague.SetLang(i18n.FR)
		if _, body, _ = colleague.Get("/window/maarif?tab=new"); !strings.Contains(body, `href="`+page+`"`) || strings.Contains(body, "Vous êtes concerné") {
			t.Fatal("the colleague's queue")
		}
		code, _, h = colleague.Act(page, page+"/accept", url.Values{})
		apptest.WantStatus(t, "colleague accepts", code, http.StatusSeeOther, h)
		if _, body, _ = souad.Get(page); strings.Contains(body, page+"/approve") || !strings.Contains(body, "Vous êtes concerné par ce dossier") {
			t.Fatal("her page offers the decision")
		}
		stale := colleague.Version(page)
		for _, act := range []struct{ path, field, value string }{{"/approve", "reason", ""}, {"/refuse", "reason", "Activité non conforme au règlement."},
			{"/ask", "note", "Il manque une pièce."}, {"/extend", "reason", "Le dossier demande une visite."}} {
			form := url.Values{"version": {stale}, act.field: {act.value}, "step": {"overall"}, "days": {"5"}}
			if code, body, _ = souad.Post(page, page+act.path, form); code != http.StatusForbidden || !strings.Contains(body, "Un collègue doit s’en charger") {
				t.Fatalf("%s on her own file: %d", act.path, code)
			}
		}
		code, _, h = colleague.Act(page, page+"/approve", url.Values{})
		apptest.WantStatus(t, "colleague approves", code, http.StatusSeeOther, h)
		var state string
		if err := a.DB.QueryRowContext(ctx, `SELECT state FROM permit_files WHERE id = $1`, id).Scan(&state); err != nil || state != string(permit.Approved) {
			t.Fatalf("state %q (%v), want approved", state, err)
		}

		// A city-window agent who owns a building file at the city window.
		amina := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'amina.idrissi@example.ma'`)
		building := apptest.IDOf(t, a.DB, `SELECT id FROM permit_files WHERE window_code = 'city' AND state = 'submitted'
			AND family = 'urban' ORDER BY id LIMIT 1`)
		if _, err := a.DB.ExecContext(ctx, `UPDATE permit_files SET owner_person_id = $1, owner_legal_id = NULL WHERE id = $2`, amina, building); err != nil {
			t.Fatal(err)
		}
		page = "/files/" + strconv.FormatInt(building, 10)
		city := apptest.NewBrowser(t, srv.URL)
		city.SignIn("amina.idrissi@example.ma", true)
		city.SetLang(i18n.EN)
		if _, body, _ = city.Get("/window/city?tab=new"); !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "You are involved — a colleague handles it") {
			t.Fatal("the city agent's queue does not mark her file")
		}
		// Her page offers her no action, so no form carries the version:
		// she sends the one the file has.
		var version int
		if err := a.DB.QueryRowContext(ctx, `SELECT version FROM permit_files WHERE id = $1`, building).Scan(&version); err != nil {
			t.Fatal(err)
		}
		code, body, _ = city.Post(page, page+"/accept", url.Values{"version": {strconv.Itoa(version)}})
		if code != http.StatusForbidden || !strings.Contains(body, "You are personally involved in what this action concerns") {
			t.Fatalf("accepting her own building file: %d", code)
		}
		cityColleague := apptest.NewBrowser(t, srv.URL)
		cityColleague.SignIn("collegue.city@example.ma", true)
		code, _, h = cityColleague.Act(page, page+"/accept", url.Values{})
		apptest.WantStatus(t, "city colleague accepts", code, http.StatusSeeOther, h)
	})
}
