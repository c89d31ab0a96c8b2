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

// TestSendBackAndRefusalAskFirstAndKeepWhatWasTyped: returning a file to
// its applicant, asking for more and refusing are each asked on a page of
// their own that says what will happen — who is told, the documents asked
// for, the note — before anything changes (in French, Arabic and English);
// a return asking for nothing comes back to the file's page with the error
// summary linking to the list; a refusal whose reasons are too short comes
// back to its confirmation, at the same address, with the error summary
// linking to the reasons, the text typed kept, and that address opened
// again shows the confirmation, not an error.
func TestSendBackAndRefusalAskFirstAndKeepWhatWasTyped(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	ctx := context.Background()
	agentID := enrolAgent(t, a, "collegue.maarif@example.ma", "maarif", "maarif")
	ownerID := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'youssef.elamrani@example.ma'`)
	owner := authz.Actor{Person: ownerID, EmailVerified: true, Now: time.Now()}
	f, err := a.Permit.Create(ctx, owner, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
		Arrondissement: "maarif", Fields: permit.Values{"ae_number": "AE-99310", "activity": "Graphisme"}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := a.Permit.View(ctx, owner, f.ID)
	for _, item := range v.Missing {
		if _, err := a.Permit.AddDocument(ctx, owner, f.ID, item, item+".pdf", bytes.NewReader(apptest.TinyPDF(item))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err = a.Permit.Submit(ctx, owner, f.ID, 0); err != nil {
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
	k, err := a.Permit.Catalogue().Kind("auto_entrepreneur")
	if err != nil {
		t.Fatal(err)
	}
	sketch := ""
	for _, d := range k.Documents {
		if d.Code == "premises_sketch" {
			sketch = d.Name.Pick(i18n.FR) + "|" + d.Name.Pick(i18n.AR)
		}
	}
	if sketch == "" {
		t.Fatal("no premises_sketch in auto_entrepreneur")
	}
	officer := authz.Actor{Person: agentID, EmailVerified: true, MFA: true, Now: time.Now(),
		Grants: []authz.Grant{{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"}}}
	fv, _ := a.Permit.View(ctx, officer, f.ID)
	names := map[i18n.Lang]string{}
	for _, l := range []i18n.Lang{i18n.FR, i18n.AR} {
		c, err := a.Permit.Contact(ctx, officer, fv.File, fv.Kind, string(l))
		if err != nil || c.OwnerName == "" {
			t.Fatalf("contact: %v", err)
		}
		names[l] = c.OwnerName
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	page := "/files/" + strconv.FormatInt(f.ID, 10)
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("collegue.maarif@example.ma", true)
	agent.SetLang(i18n.FR)

	// The file's page leads to the return's confirmation (a form that
	// carries no anti-forgery token into the address bar).
	_, body, _ := agent.Get(page)
	if !strings.Contains(body, `<form method="get" action="`+page+`/return"`) || strings.Contains(body, `method="post" action="`+page+`/return"`) {
		t.Fatalf("the page's return form:\n%s", apptest.Grep(body, "/return"))
	}
	version := agent.Version(page)
	// Asking for nothing: the file's page says so at the top, linking to the list.
	code, body, _ := agent.Get(page + "/return?version=" + version + "&note=")
	if sum := strings.Index(body, `class="error-summary"`); code != http.StatusBadRequest || sum < 0 || sum > strings.Index(body, "<h1") ||
		!strings.Contains(body, `<li><a href="#return-missing">`) || !strings.Contains(body, "<title>Erreur : ") {
		t.Fatalf("return asking for nothing: %d\n%s", code, apptest.Grep(body, "error-summary"))
	}
	note := "La photo de la façade est floue."
	ret := page + "/return?" + url.Values{"version": {version}, "missing": {"premises_sketch"}, "note": {note}}.Encode()
	for _, c := range []struct {
		lang         i18n.Lang
		title, sheet string
	}{{i18n.FR, "Renvoyer ce dossier au demandeur ?", strings.Split(sketch, "|")[0]}, {i18n.AR, "هل تعيد هذا الملف إلى صاحب الطلب؟", strings.Split(sketch, "|")[1]}} {
		agent.SetLang(c.lang)
		code, body, _ = agent.Get(ret)
		text := html.UnescapeString(body)
		if code != http.StatusOK || !strings.Contains(text, "<h1>"+c.title+"</h1>") || !strings.Contains(text, c.sheet) ||
			!strings.Contains(text, note) || !strings.Contains(text, names[c.lang]) ||
			!strings.Contains(body, `<form method="post" action="`+page+`/return"`) ||
			!strings.Contains(body, `name="missing" value="premises_sketch"`) || !strings.Contains(body, `name="version" value="`+version+`"`) {
			t.Fatalf("%s: return confirmation: %d\n%s", c.lang, code, apptest.Grep(body, "summary-value"))
		}
	}
	if s := state(); s != permit.Submitted {
		t.Fatalf("showing the confirmation changed the file: %s", s)
	}
	code, _, h := agent.Post(ret, page+"/return", url.Values{"version": {version}, "missing": {"premises_sketch"}, "note": {note}})
	apptest.WantStatus(t, "return from its confirmation", code, http.StatusSeeOther, h)
	if s := state(); s != permit.Returned {
		t.Fatalf("after returning: %s", s)
	}
	if _, body, _ = agent.Get(h.Get("Location")); !strings.Contains(body, `class="banner banner-success" role="status" aria-labelledby="done-title"`) {
		t.Fatalf("no success banner after returning:\n%s", apptest.Grep(body, "banner"))
	}

	// Back again, accepted: asking for more is asked first too.
	for _, item := range []string{"premises_sketch"} {
		if _, err := a.Permit.AddDocument(ctx, owner, f.ID, item, item+"-2.pdf", bytes.NewReader(apptest.TinyPDF(item+"2"))); err != nil {
			t.Fatal(err)
		}
	}
	g, err := a.Permit.Submit(ctx, owner, f.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = a.Permit.Accept(ctx, officer, f.ID, g.Version); err != nil {
		t.Fatal(err)
	}
	agent.SetLang(i18n.EN)
	version = agent.Version(page)
	ask := page + "/ask?" + url.Values{"version": {version}, "note": {"Which floor is the office on?"}}.Encode()
	if code, body, _ = agent.Get(ask); code != http.StatusOK || !strings.Contains(body, "<h1>Ask the applicant for more?</h1>") ||
		!strings.Contains(body, "No document: see the note") || !strings.Contains(body, `<form method="post" action="`+page+`/ask"`) {
		t.Fatalf("ask confirmation: %d\n%s", code, apptest.Grep(body, "<h1"))
	}
	if s := state(); s != permit.UnderReview {
		t.Fatalf("showing the ask confirmation changed the file: %s", s)
	}

	// Refusing with reasons too short, in French then Arabic: the
	// confirmation again, the reasons kept.
	for _, c := range []struct {
		lang           i18n.Lang
		title, message string
	}{{i18n.FR, "<title>Erreur : ", "Donnez le motif en une phrase complète"}, {i18n.AR, "<title>خطأ: ", "اذكر السبب في جملة كاملة"}} {
		agent.SetLang(c.lang)
		refuse := page + "/refuse?" + url.Values{"version": {version}, "reason": {"Non <b>"}}.Encode()
		code, body, _ = agent.Get(refuse)
		if code != http.StatusOK || !strings.Contains(body, `<textarea id="reason" name="reason"`) || !strings.Contains(body, `>Non &lt;b&gt;</textarea>`) {
			t.Fatalf("%s: refuse confirmation: %d\n%s", c.lang, code, apptest.Grep(body, "reason"))
		}
		code, body, h = agent.Post(refuse, page+"/refuse", url.Values{"version": {version}, "reason": {"Non <b>"}})
		sum := strings.Index(body, `class="error-summary"`)
		if code != http.StatusBadRequest || h.Get("Location") != "" || sum < 0 || sum > strings.Index(body, "<h1") ||
			!strings.Contains(body, `<li><a href="#reason">`+c.message) || !strings.Contains(body, c.title) ||
			!strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `>Non &lt;b&gt;</textarea>`) ||
			!strings.Contains(body, `<form method="post" action="`+page+`/refuse"`) || strings.Contains(body, `id="checklist-heading"`) {
			t.Fatalf("%s: refusal without its reasons: %d\n%s", c.lang, code, apptest.Grep(body, "reason"))
		}
		if s := state(); s != permit.UnderReview {
			t.Fatalf("a refusal without reasons changed the file: %s", s)
		}
		// The address bar now shows the refusal's own address: opened
		// again, it is the confirmation, not "method not allowed".
		if code, body, _ = agent.Get(page + "/refuse"); code != http.StatusOK || !strings.Contains(body, `<textarea id="reason"`) {
			t.Fatalf("%s: the refusal's address opened again: %d", c.lang, code)
		}
	}
	reason := "Activité non conforme au règlement."
	code, _, h = agent.Post(page+"/refuse", page+"/refuse", url.Values{"version": {version}, "reason": {reason}})
	apptest.WantStatus(t, "refuse from the confirmation", code, http.StatusSeeOther, h)
	if s := state(); s != permit.Refused {
		t.Fatalf("after refusing: %s", s)
	}
}

// TestFilePageErrorsAreOneSummary: submitting a file that lacks documents
// answers with the error summary above the heading, the explanation first
// (no link: it is about no one field) then each missing document linking
// to its checklist item; the public tracking form's errors are a summary
// linking to the field at fault — in French and Arabic.
func TestFilePageErrorsAreOneSummary(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	ctx := context.Background()
	ownerID := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'youssef.elamrani@example.ma'`)
	owner := authz.Actor{Person: ownerID, EmailVerified: true, Now: time.Now()}
	f, err := a.Permit.Create(ctx, owner, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
		Arrondissement: "maarif", Fields: permit.Values{"ae_number": "AE-99310", "activity": "Graphisme"}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := a.Permit.View(ctx, owner, f.ID)
	if len(v.Missing) == 0 {
		t.Fatal("nothing missing")
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	page := "/files/" + strconv.FormatInt(f.ID, 10)
	b := apptest.NewBrowser(t, srv.URL)
	b.SignIn("youssef.elamrani@example.ma", false)
	anon := apptest.NewBrowser(t, srv.URL)
	for _, l := range []i18n.Lang{i18n.FR, i18n.AR} {
		b.SetLang(l)
		code, body, _ := b.Act(page, page+"/submit", url.Values{})
		sum := strings.Index(body, `class="error-summary"`)
		if code != http.StatusBadRequest || sum < 0 || sum > strings.Index(body, "<h1") || strings.Count(body, `role="alert"`) != 1 {
			t.Fatalf("%s: incomplete submission: %d\n%s", l, code, apptest.Grep(body, "error-summary"))
		}
		first := strings.Index(body[sum:], "<li>") + sum
		if strings.HasPrefix(body[first:], `<li><a`) {
			t.Errorf("%s: the explanation links somewhere:\n%s", l, body[first:first+200])
		}
		for _, code := range v.Missing {
			if !strings.Contains(body, `<li><a href="#item-`+code+`">`) || !strings.Contains(body, `<li id="item-`+code+`">`) {
				t.Errorf("%s: the summary does not lead to the missing %s", l, code)
			}
		}
		anon.SetLang(l)
		code, body, _ = anon.Get("/track?number=F2026-ABCDEF")
		sum = strings.Index(body, `class="error-summary"`)
		if code != http.StatusBadRequest || sum < 0 || sum > strings.Index(body, "<h1") || !strings.Contains(body, `<li><a href="#code">`) ||
			!strings.Contains(body, `id="code-error"`) {
			t.Errorf("%s: tracking without the code: %d\n%s", l, code, apptest.Grep(body, "error-summary"))
		}
	}
}
