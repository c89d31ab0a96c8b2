package permit_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestIrreversibleStepsAskFirst: accepting a file at the window and
// granting or refusing it are asked on a page of their own that says what
// will happen (in French, Arabic and English), whose button posts to the
// step's unchanged address; whoever the step would refuse (the agent who
// filed it, a citizen) cannot see that page.
func TestIrreversibleStepsAskFirst(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		enrolAgent(t, a, "collegue.maarif@example.ma", "maarif", "maarif")
		// Souad, an agent of the Maârif window, files for herself there.
		souadID := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'souad.chraibi@example.ma'`)
		self := authz.Actor{Person: souadID, EmailVerified: true, Now: time.Now()}
		f, err := a.Permit.Create(ctx, self, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
			Arrondissement: "maarif", Fields: permit.Values{"ae_number": "AE-99310", "activity": "Graphisme"}})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := a.Permit.View(ctx, self, f.ID)
		for _, item := range v.Missing {
			if _, err := a.Permit.AddDocument(ctx, self, f.ID, item, item+".pdf", bytes.NewReader(apptest.TinyPDF(item))); err != nil {
				t.Fatal(err)
			}
		}
		if _, err = a.Permit.Submit(ctx, self, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		state := func() permit.State {
			t.Helper()
			var s string
			if err := a.DB.QueryRowContext(ctx, `SELECT state FROM permit_files WHERE id = $1`, f.ID).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return permit.State(s)
		}
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		page := "/files/" + strconv.FormatInt(f.ID, 10)

		colleague := apptest.NewBrowser(t, srv.URL)
		colleague.SignIn("collegue.maarif@example.ma", true)
		colleague.SetLang(i18n.FR)
		souad := apptest.NewBrowser(t, srv.URL)
		souad.SignIn("souad.chraibi@example.ma", true)
		souad.SetLang(i18n.FR)
		citizen := apptest.NewBrowser(t, srv.URL)
		citizen.SignIn("youssef.elamrani@example.ma", false)
		citizen.SetLang(i18n.FR)

		// The file's page leads to the confirmation, it does not accept.
		_, body, _ := colleague.Get(page)
		if !strings.Contains(body, `<form method="get" action="`+page+`/accept"`) || strings.Contains(body, `method="post" action="`+page+`/accept"`) {
			t.Fatalf("the page's accept form:\n%s", apptest.Grep(body, "/accept"))
		}
		version := colleague.Version(page)
		confirm := page + "/accept?version=" + version
		code, body, _ := colleague.Get(confirm)
		if code != http.StatusOK || !strings.Contains(body, "Accepter ce dossier comme complet ?") ||
			!strings.Contains(html.UnescapeString(body), "le délai légal de décision commence aujourd’hui") ||
			!strings.Contains(body, `<form method="post" action="`+page+`/accept"`) ||
			!strings.Contains(body, `name="version" value="`+version+`"`) || !strings.Contains(body, `href="`+page+`"`) {
			t.Fatalf("accept confirmation: %d\n%s", code, apptest.Grep(body, "<h1"))
		}
		if state() != permit.Submitted {
			t.Fatal("showing the confirmation changed the file")
		}
		// Who may not accept cannot see it: the agent who filed it (told
		// why), a citizen (the file does not exist for them).
		if code, body, _ = souad.Get(confirm); code != http.StatusForbidden || !strings.Contains(html.UnescapeString(body), "Un collègue doit s’en charger") {
			t.Fatalf("the agent who filed it sees the confirmation: %d", code)
		}
		if code, _, _ = citizen.Get(confirm); code != http.StatusNotFound {
			t.Fatalf("a citizen sees the confirmation: %d", code)
		}
		code, _, h := colleague.Post(confirm, page+"/accept", url.Values{"version": {version}})
		apptest.WantStatus(t, "accept from the confirmation", code, http.StatusSeeOther, h)
		if s := state(); s != permit.UnderReview {
			t.Fatalf("after accepting: %s", s)
		}
		if code, _, _ = colleague.Get(page + "/accept"); code != http.StatusConflict {
			t.Fatalf("accept confirmation of an accepted file: %d", code)
		}

		// Refusing, in Arabic: the reason typed on the file's page is shown
		// again, to correct; in English, granting.
		colleague.SetLang(i18n.AR)
		_, body, _ = colleague.Get(page)
		if !strings.Contains(body, `<form method="get" action="`+page+`/refuse"`) {
			t.Fatalf("the page's refuse form:\n%s", apptest.Grep(body, "/refuse"))
		}
		version = colleague.Version(page)
		reason := "Activité non conforme au règlement."
		refuse := page + "/refuse?" + url.Values{"version": {version}, "reason": {reason}}.Encode()
		code, body, _ = colleague.Get(refuse)
		if code != http.StatusOK || !strings.Contains(body, "هل ترفض هذا الملف؟") || !strings.Contains(body, "القرار نهائي") ||
			!strings.Contains(body, `name="reason" rows="5" cols="40" dir="auto" maxlength="2000" required>`+reason+`</textarea>`) || !strings.Contains(body, `action="`+page+`/refuse"`) {
			t.Fatalf("refuse confirmation: %d\n%s", code, apptest.Grep(body, "<h1"))
		}
		colleague.SetLang(i18n.EN)
		approve := page + "/approve?version=" + version
		if code, body, _ = colleague.Get(approve); code != http.StatusOK || !strings.Contains(body, "Grant the permit for this file?") ||
			!strings.Contains(body, "The decision is final") {
			t.Fatalf("approve confirmation: %d\n%s", code, apptest.Grep(body, "<h1"))
		}
		for _, p := range []string{refuse, approve} {
			if code, _, _ = souad.Get(p); code != http.StatusForbidden {
				t.Fatalf("the agent who filed it sees %s: %d", p, code)
			}
			if code, _, _ = citizen.Get(p); code != http.StatusNotFound {
				t.Fatalf("a citizen sees %s: %d", p, code)
			}
		}
		code, _, h = colleague.Post(refuse, page+"/refuse", url.Values{"version": {version}, "reason": {reason}})
		apptest.WantStatus(t, "refuse from the confirmation", code, http.StatusSeeOther, h)
		if s := state(); s != permit.Refused {
			t.Fatalf("after refusing: %s", s)
		}
		var decision string
		if err := a.DB.QueryRowContext(ctx, `SELECT COALESCE(decision_reason, '') FROM permit_files WHERE id = $1`, f.ID).Scan(&decision); err != nil || decision != reason {
			t.Fatalf("decision %q (%v)", decision, err)
		}
	})
}
