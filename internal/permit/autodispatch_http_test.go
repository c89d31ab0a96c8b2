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
		-- its owner, or an architect under mandate: they read it as themselves
		-- (a company's representative reads its files only acting for it)
		AND (f.owner_person_id = c.id OR EXISTS (SELECT 1 FROM professionals r WHERE r.person_id = c.id AND r.verified_at IS NOT NULL))
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

// TestDispatchModesOverHTTP: the administrator finds, from the
// administration's home, each window's dispatch mode (the demonstration's
// agent windows are left to their agents); switches the city window to
// automatic dispatch through its confirmation, and the page says so with
// her name; the accepted files the city window left waiting are then
// dispatched by Madina. A window agent may not open the page, and a made
// up mode or window gets a clear error, in each language.
func TestDispatchModesOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	ctx := context.Background()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	waiting := func() int {
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_files WHERE window_code = 'city' AND family = 'urban'
			AND state = 'accepted' AND step = 'dispatch'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if waiting() == 0 {
		t.Fatal("the demonstration's city window has no accepted file waiting for dispatch")
	}

	admin := apptest.NewBrowser(t, srv.URL)
	admin.SignIn("nadia.bensouda@example.ma", true)
	admin.SetLang(i18n.FR)
	if _, body, _ := admin.Get("/admin"); !strings.Contains(body, `href="/admin/dispatch"`) {
		t.Fatal("the administration's home does not lead to the dispatch modes")
	}
	code, body, _ := admin.Get("/admin/dispatch")
	text := html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, "Transmission aux commissions") {
		t.Fatalf("/admin/dispatch: %d\n%s", code, apptest.Grep(text, "<h1"))
	}
	if !regexp.MustCompile(`action="/admin/dispatch/city">\s*<input type="hidden" name="mode" value="automatic">`).MatchString(text) {
		t.Fatalf("the city window's row does not offer automatic dispatch:\n%s", apptest.Grep(text, `action="/admin/dispatch/city"`))
	}
	if strings.Count(text, "Par les agents du guichet") < 2 || !strings.Contains(text, "Jamais changé (automatique par défaut)") {
		t.Errorf("the page does not say which windows are left to their agents and which never changed")
	}

	code, body, _ = admin.Get("/admin/dispatch/city?mode=automatic")
	text = html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, "Confier à Madina la transmission des dossiers de ce guichet") ||
		!strings.Contains(text, "journal d’audit") {
		t.Fatalf("the confirmation: %d\n%s", code, apptest.Grep(text, "<h1"))
	}
	code, _, hdr := admin.Post("/admin/dispatch/city?mode=automatic", "/admin/dispatch/city", url.Values{"mode": {"automatic"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/admin/dispatch?done=city" {
		t.Fatalf("switching: %d to %q", code, hdr.Get("Location"))
	}
	_, body, _ = admin.Get("/admin/dispatch?done=city")
	text = html.UnescapeString(body)
	if !strings.Contains(text, "Madina transmet désormais ses dossiers acceptés.") || !strings.Contains(text, "Par Nadia") {
		t.Fatalf("after the switch:\n%s\n%s", apptest.Grep(text, "banner"), apptest.Grep(text, "Par Nadia"))
	}
	var audited int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.dispatch_mode' AND object_id = 'city'
		AND actor <> 'system'`).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("%d audit records of the switch by the administrator (%v)", audited, err)
	}
	if _, err := a.Permit.AutoDispatch(ctx); err != nil {
		t.Fatal(err)
	}
	if n := waiting(); n != 0 {
		t.Errorf("%d accepted files still wait for dispatch at the city window after Madina's sweep", n)
	}

	for l, want := range map[i18n.Lang]string{i18n.AR: "اختر الإحالة التلقائية", i18n.FR: "Choisissez la transmission automatique", i18n.EN: "Choose automatic dispatch"} {
		admin.SetLang(l)
		code, body, _ := admin.Post("/admin/dispatch", "/admin/dispatch/city", url.Values{"mode": {"sometimes"}})
		if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("%s: a made-up mode: %d\n%s", l, code, apptest.Grep(html.UnescapeString(body), "error"))
		}
	}
	admin.SetLang(i18n.FR)
	if code, _, _ := admin.Get("/admin/dispatch/atlantis?mode=manual"); code != http.StatusNotFound {
		t.Errorf("a window that does not exist: %d", code)
	}

	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	if code, _, _ := agent.Get("/admin/dispatch"); code != http.StatusForbidden {
		t.Errorf("a window agent opens the dispatch modes: %d", code)
	}
	if code, _, _ := agent.Post("/files", "/admin/dispatch/city", url.Values{"mode": {"manual"}}); code != http.StatusForbidden {
		t.Errorf("a window agent switches the city window: %d", code)
	}
	if u := apptest.Untranslated(a); len(u) > 0 {
		t.Fatalf("untranslated: %v", u)
	}
}
