package permit_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestDispatchedByWhomOverHTTP: in the demonstration, the urban agency's
// member opens a file Madina dispatched by itself and reads so on its
// page, in Arabic, French and English, with where the file stands on its
// committee's agenda; the city window's agent reads, on a file she
// dispatched, that the window did it, naming the agent; its applicant
// reads that the window did.
func TestDispatchedByWhomOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	ctx := context.Background()
	var auto, manual int64
	if err := a.DB.QueryRowContext(ctx, `SELECT s.file_id FROM permit_committee_seats s JOIN permit_files f ON f.id = s.file_id
		JOIN permit_agenda g ON g.file_id = f.id
		WHERE s.selected_by IS NULL AND s.body = 'urban_agency' AND f.state = 'accepted' AND f.step = 'study'
		ORDER BY s.file_id LIMIT 1`).Scan(&auto); err != nil {
		t.Fatalf("a file Madina dispatched, on an agenda: %v", err)
	}
	var agentName, filer string
	if err := a.DB.QueryRowContext(ctx, `SELECT s.file_id, p.given_name_latin, c.email FROM permit_committee_seats s
		JOIN permit_files f ON f.id = s.file_id JOIN persons p ON p.id = s.selected_by JOIN persons c ON c.id = f.created_by
		WHERE s.basis <> 'added' AND f.window_code = 'city' AND c.password_hash IS NOT NULL
		AND (f.holder = 'committee' OR f.state IN ('approved', 'refused'))
		AND NOT EXISTS (SELECT 1 FROM permit_after_works w WHERE w.file_id = f.id)
		ORDER BY s.file_id LIMIT 1`).Scan(&manual, &agentName, &filer); err != nil {
		t.Fatalf("a file the city window dispatched, filed by someone who can sign in: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()

	member := apptest.NewBrowser(t, srv.URL)
	member.SignIn("karim.benjelloun@example.ma", true)
	page := "/files/" + strconv.FormatInt(auto, 10)
	for l, want := range map[i18n.Lang][]string{
		i18n.AR: {"أحيل تلقائيا من طرف منصة مدينة يوم", "جلسة اللجنة"},
		i18n.FR: {"Transmis automatiquement par Madina le", "séance de la commission"},
		i18n.EN: {"Dispatched automatically by Madina on", "committee"},
	} {
		member.SetLang(l)
		code, body, _ := member.Get(page)
		text := html.UnescapeString(body)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", l, code)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the page lacks %q:\n%s", l, w, apptest.Grep(text, "committee-heading"))
			}
		}
		if l == i18n.FR && !strings.Contains(text, "l’ordre du jour de la séance") && !strings.Contains(text, "Pas encore inscrit") {
			t.Errorf("the page does not say where the file stands on the agenda:\n%s", apptest.Grep(text, "séance"))
		}
	}

	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	agent.SetLang(i18n.FR)
	_, body, _ := agent.Get("/files/" + strconv.FormatInt(manual, 10))
	text := html.UnescapeString(body)
	if !strings.Contains(text, "Transmis par "+agentName) || !strings.Contains(text, ", du guichet, le") ||
		strings.Contains(text, "Transmis automatiquement") {
		t.Fatalf("the agent's dispatch on the page:\n%s", apptest.Grep(text, "Transmis"))
	}
	// Its applicant reads that the window dispatched it, without the
	// agent's name.
	applicant := apptest.NewBrowser(t, srv.URL)
	applicant.SignIn(filer, false)
	applicant.SetLang(i18n.FR)
	code, body, _ := applicant.Get("/files/" + strconv.FormatInt(manual, 10))
	text = html.UnescapeString(body)
	if code != http.StatusOK {
		t.Fatalf("the applicant's page of file %d (%s): %d\n%s", manual, filer, code, apptest.Grep(text, "<h1"))
	}
	if !strings.Contains(text, "Transmis par le guichet le") || strings.Contains(text, "Transmis par "+agentName) {
		t.Fatalf("the applicant's page:\n%s\n%s", apptest.Grep(text, "Transmis"), apptest.Grep(text, "committee-heading"))
	}
	if u := apptest.Untranslated(a); len(u) > 0 {
		t.Fatalf("untranslated: %v", u)
	}
}
