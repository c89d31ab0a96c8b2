package permit_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestBottlenecksOverHTTP: in the demonstration, the city window's agent
// dispatches an accepted urban file, then opens the bottlenecks from the
// queue: the urban agency waits on as many files as the database says,
// in French and in Arabic (right to left), and as JSON. An agent of
// another window gets a 404 for the city's figures and is sent to their
// own from the overview; the administrator reads every window's, and one
// window's with the filter.
func TestBottlenecksOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	ctx := context.Background()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	apptest.Untranslated(a) // from now on, every text looked up without one is recorded
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	agent.SetLang(i18n.FR)

	// One more file with the committee, so the urban agency waits.
	var id int64
	if err := a.DB.QueryRowContext(ctx, `SELECT id FROM permit_files WHERE window_code = 'city' AND state = 'accepted'
		AND holder = 'window' AND step = 'dispatch' AND family = 'urban' ORDER BY id LIMIT 1`).Scan(&id); err == nil {
		page := "/files/" + strconv.FormatInt(id, 10)
		version := agent.Version(page)
		code, _, h := agent.Post(page+"/dispatch?version="+version, page+"/dispatch", url.Values{"version": {version}})
		apptest.WantStatus(t, "dispatch", code, http.StatusSeeOther, h)
	}
	// The files in one of the members' steps (the catalogue's steps whose
	// actor is the committee's members) where the agency has said nothing
	// since the step began.
	var steps []string
	for _, k := range permit.Casablanca().Kinds {
		for _, hd := range k.Handling {
			for _, st := range hd.Schedule.Steps {
				if st.Actor.Code == "members" {
					steps = append(steps, "'"+st.Code+"'")
				}
			}
		}
	}
	var waiting int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(DISTINCT s.file_id) FROM permit_committee_seats s JOIN permit_files f ON f.id = s.file_id
		WHERE s.organisation_code = 'aucasa' AND f.window_code = 'city' AND f.holder = 'committee' AND f.state = 'accepted'
		AND f.step IN (`+strings.Join(steps, ", ")+`)
		AND NOT EXISTS (SELECT 1 FROM permit_opinions o WHERE o.file_id = s.file_id AND o.body = s.body
			AND o.given_at >= COALESCE((SELECT MAX(d.starts_at) FROM permit_deadlines d WHERE d.file_id = f.id AND d.step = f.step), s.selected_at))`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if waiting == 0 {
		t.Fatal("the demonstration has no file waiting for the urban agency at the city window")
	}

	_, body, _ := agent.Get("/window/city")
	if !strings.Contains(body, `href="/window/city/bottlenecks"`) {
		t.Fatal("the queue does not link to the bottlenecks")
	}
	code, body, _ := agent.Get("/window/city/bottlenecks")
	text := html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, "Points de blocage — ") || !strings.Contains(text, "<caption>Avis par organisme membre") {
		t.Fatalf("the window's bottlenecks: %d\n%s", code, apptest.Grep(text, "caption"))
	}
	row := apptest.Grep(text, "Agence urbaine de Casablanca")
	if !strings.Contains(text, `<th scope="row"><bdi>Agence urbaine de Casablanca`) ||
		!strings.Contains(text, `data-label="Dossiers en attente de son avis">`+strconv.Itoa(waiting)+`</td>`) {
		t.Fatalf("the urban agency line does not read %d files waiting:\n%s\n%s", waiting, row, text[strings.Index(text, "<table"):strings.Index(text, "</table>")])
	}
	if !strings.Contains(text, "Dossiers qui risquent de dépasser leur délai") {
		t.Fatal("no files at risk section")
	}
	agent.SetLang(i18n.AR)
	if _, body, _ := agent.Get("/window/city/bottlenecks"); !strings.Contains(body, `dir="rtl"`) || !strings.Contains(body, "مواطن التعثر — ") ||
		!strings.Contains(body, "الوكالة الحضرية للدار البيضاء") {
		t.Fatalf("the bottlenecks in Arabic:\n%s", apptest.Grep(body, "h1"))
	}
	code, body, h := agent.Get("/window/city/bottlenecks?format=json")
	var js permit.BottlenecksJSON
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &js) != nil {
		t.Fatalf("JSON: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
	found := false
	for _, o := range js.Organisations {
		if o.Organisation == "aucasa" {
			found = o.Waiting == waiting
		}
	}
	if !found || js.Window != "city" {
		t.Fatalf("JSON: the urban agency does not wait on %d files: %s", waiting, body)
	}
	if code, _, _ := agent.Get("/window/city/bottlenecks?days=99"); code != http.StatusBadRequest {
		t.Fatalf("99 days ahead: %d", code)
	}

	// Another window's agent: not found; the overview sends them home.
	other := apptest.NewBrowser(t, srv.URL)
	other.SignIn("souad.chraibi@example.ma", true)
	if code, _, _ := other.Get("/window/city/bottlenecks"); code != http.StatusNotFound {
		t.Fatalf("another window's agent reads the city's bottlenecks: %d", code)
	}
	if code, _, h := other.Get("/bottlenecks?days=5"); code != http.StatusSeeOther || h.Get("Location") != "/window/maarif/bottlenecks?days=5" {
		t.Fatalf("the overview for a window's agent: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := other.Get("/window/maarif/bottlenecks"); code != http.StatusOK {
		t.Fatalf("the agent's own window: %d", code)
	}

	// The administrator: every window, and one.
	admin := apptest.NewBrowser(t, srv.URL)
	admin.SignIn("nadia.bensouda@example.ma", true)
	admin.SetLang(i18n.EN)
	code, body, _ = admin.Get("/bottlenecks")
	if code != http.StatusOK || !strings.Contains(body, "Bottlenecks of every window") || !strings.Contains(body, `<select id="bn-window" name="window">`) ||
		!strings.Contains(body, "Casablanca urban agency") && !strings.Contains(body, "Urban Agency") {
		t.Fatalf("the administrator's overview: %d\n%s", code, apptest.Grep(body, "h1"))
	}
	code, body, _ = admin.Get("/bottlenecks?window=city")
	if code != http.StatusOK || !strings.Contains(body, `<option value="city" selected>`) {
		t.Fatalf("the overview of the city window: %d\n%s", code, apptest.Grep(body, "option"))
	}
	if miss := apptest.Untranslated(a); len(miss) > 0 {
		t.Fatalf("texts without a translation: %v", miss)
	}
	citizen := apptest.NewBrowser(t, srv.URL)
	citizen.SignIn("fatima.benali@example.ma", false)
	if code, _, _ := citizen.Get("/bottlenecks"); code != http.StatusNotFound && code != http.StatusForbidden {
		t.Fatalf("a citizen reads the overview: %d", code)
	}
}
