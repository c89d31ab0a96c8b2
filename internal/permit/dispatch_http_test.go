package permit_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestDispatchOverHTTP: in the demonstration, the city window's agent
// opens an accepted urban file, follows "See the committee and dispatch"
// to the confirmation that lists who sits and why (in French and
// Arabic), dispatches it: the file's page then shows the committee to the
// agent with the organisations' members by name, and the file is gone
// from the window's accepted tab; a member added without a reason comes
// back with the error on its field; with one, it is on the committee. The
// urban agency's member then finds it among their files to study.
func TestDispatchOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	ctx := context.Background()
	var id int64
	if err := a.DB.QueryRowContext(ctx, `SELECT id FROM permit_files WHERE window_code = 'city' AND state = 'accepted'
		AND holder = 'window' AND step = 'dispatch' AND family = 'urban' ORDER BY id LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("an accepted urban file at the city window: %v", err)
	}
	page := "/files/" + strconv.FormatInt(id, 10)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	agent.SetLang(i18n.FR)

	_, body, _ := agent.Get(page)
	if !strings.Contains(body, `action="`+page+`/dispatch"`) {
		t.Fatalf("the accepted file's page offers no dispatch:\n%s", apptest.Grep(body, "dispatch"))
	}
	version := agent.Version(page)
	code, body, _ := agent.Get(page + "/dispatch?version=" + version)
	text := html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, "Transmettre ce dossier à sa commission ?") ||
		!strings.Contains(text, "Membre permanent de la commission") || !strings.Contains(text, "Agence urbaine") {
		t.Fatalf("the dispatch confirmation: %d\n%s", code, apptest.Grep(text, "commission"))
	}
	agent.SetLang(i18n.AR)
	if _, body, _ := agent.Get(page + "/dispatch?version=" + version); !strings.Contains(body, "هل تحيل هذا الملف على لجنته؟") ||
		!strings.Contains(body, "عضو دائم في اللجنة") {
		t.Fatal("the dispatch confirmation is not in Arabic")
	}
	agent.SetLang(i18n.FR)
	code, _, h := agent.Post(page+"/dispatch?version="+version, page+"/dispatch", url.Values{"version": {version}})
	apptest.WantStatus(t, "dispatch", code, http.StatusSeeOther, h)
	_, body, _ = agent.Get(page + "?done=dispatched")
	text = html.UnescapeString(body)
	if !strings.Contains(text, "Le dossier a été transmis à sa commission.") || !strings.Contains(text, "La commission qui étudie le dossier") ||
		!strings.Contains(text, "Karim Benjelloun") || strings.Contains(body, `action="`+page+`/dispatch"`) {
		t.Fatalf("the file's page after the dispatch:\n%s", apptest.Grep(text, "commission"))
	}
	if _, body, _ := agent.Get("/window/city?tab=accepted"); strings.Contains(body, `href="`+page+`"`) {
		t.Fatal("the dispatched file is still in the window's accepted tab")
	}

	// A body not on it yet: the form offers only those.
	m := regexp.MustCompile(`<select id="member-body" name="body"[^>]*>\s*<option value="([a-z_]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no body to add:\n%s", apptest.Grep(body, "member-body"))
	}
	extra := m[1]
	code, body, _ = agent.Post(page, page+"/members", url.Values{"body": {extra}, "note": {"court"}})
	if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), "10 caractères au moins") || !strings.Contains(body, `id="member-note-error"`) {
		t.Fatalf("a member without a reason: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "member"))
	}
	code, _, h = agent.Post(page, page+"/members", url.Values{"body": {extra}, "note": {"Le terrain doit être borné avant travaux."}})
	apptest.WantStatus(t, "add a member", code, http.StatusSeeOther, h)
	if _, body, _ := agent.Get(page); !strings.Contains(html.UnescapeString(body), "Ajouté par le guichet : Le terrain doit être borné avant travaux.") {
		t.Fatal("the added member is not on the file's committee")
	}

	// The urban agency's member finds it among the files to study and
	// reads it; a file not dispatched does not exist for them; a citizen
	// has no such list.
	member := apptest.NewBrowser(t, srv.URL)
	member.SignIn("karim.benjelloun@example.ma", true)
	member.SetLang(i18n.FR)
	code, body, _ = member.Get("/committee")
	if code != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(html.UnescapeString(body), "Dossiers à étudier") {
		t.Fatalf("the member's files to study: %d\n%s", code, apptest.Grep(body, "/files/"))
	}
	if code, _, _ := member.Get(page); code != http.StatusOK {
		t.Fatalf("the member opens the file they study: %d", code)
	}
	// … and gives the urban agency's opinion: reasons are required for
	// reservations; then a confirmation; then it is on the file's page
	// for the window too.
	if _, body, _ := member.Get(page); !strings.Contains(body, `action="`+page+`/opinion"`) {
		t.Fatalf("the member is not offered to give the opinion:\n%s", apptest.Grep(body, "opinion"))
	}
	code, body, _ = member.Get(page + "/opinion?" + url.Values{"verdict": {"reservations"}, "reasons": {"court"}}.Encode())
	if code != http.StatusBadRequest || !strings.Contains(body, `id="opinion-reasons-error"`) {
		t.Fatalf("reservations without reasons: %d\n%s", code, apptest.Grep(body, "opinion-reasons"))
	}
	reasons := "Recul de 3 m sur la voie à respecter."
	code, body, _ = member.Get(page + "/opinion?" + url.Values{"verdict": {"reservations"}, "reasons": {reasons}}.Encode())
	if code != http.StatusOK || !strings.Contains(html.UnescapeString(body), "Donner cet avis ?") || !strings.Contains(html.UnescapeString(body), reasons) {
		t.Fatalf("the opinion's confirmation: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "avis"))
	}
	code, _, h = member.Post(page+"/opinion", page+"/opinion", url.Values{"verdict": {"reservations"}, "reasons": {reasons}})
	apptest.WantStatus(t, "give the opinion", code, http.StatusSeeOther, h)
	if _, body, _ := agent.Get(page); !strings.Contains(html.UnescapeString(body), "Favorable avec réserves") || !strings.Contains(html.UnescapeString(body), reasons) {
		t.Fatalf("the window does not see the opinion:\n%s", apptest.Grep(html.UnescapeString(body), "avis"))
	}
	if _, body, _ := member.Get(page); strings.Contains(body, `action="`+page+`/opinion"`) {
		t.Fatal("the member is offered to give the opinion again")
	}

	var waiting int64
	if err := a.DB.QueryRowContext(ctx, `SELECT id FROM permit_files WHERE state = 'accepted' AND holder = 'window' AND step = 'dispatch' ORDER BY id LIMIT 1`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := member.Get("/files/" + strconv.FormatInt(waiting, 10)); code != http.StatusNotFound {
		t.Fatalf("a file not dispatched, for a committee member: %d, want 404", code)
	}
	citizen := apptest.NewBrowser(t, srv.URL)
	citizen.SignIn("fatima.benali@example.ma", false)
	if code, _, _ := citizen.Get("/committee"); code != http.StatusNotFound {
		t.Fatalf("a citizen's /committee: %d, want 404", code)
	}
}
