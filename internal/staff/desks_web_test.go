package staff_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestAdminOverview: the administrator's home counts each window's files
// by state with those overdue and the oldest waiting, and leads into each
// window's queue, which the administrator reads without opening files;
// the auditor has no overview.
//
// Not parallel: the back office test checks the audit chain, which a
// record left unsealed a minute under load reports broken.
func TestAdminOverview(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		ctx := context.Background()
		srv := apptest.Server(t, a)
		// The window with the most overdue files, as the database counts them.
		var win string
		var late, held int
		if err := a.DB.QueryRowContext(ctx, `SELECT window_code, SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), COUNT(*) FROM permit_files
			WHERE holder = 'window' GROUP BY window_code ORDER BY 2 DESC, 3 DESC LIMIT 1`, time.Now()).Scan(&win, &late, &held); err != nil {
			t.Fatal(err)
		}
		var oldest string
		if err := a.DB.QueryRowContext(ctx, `SELECT COALESCE(number, ref) FROM permit_files WHERE holder = 'window' AND window_code = $1
			ORDER BY submitted_at, id LIMIT 1`, win).Scan(&oldest); err != nil {
			t.Fatal(err)
		}
		if late == 0 {
			t.Fatal("the demonstration has no overdue file")
		}
		admin := apptest.NewBrowser(t, srv.URL)
		admin.SignIn("nadia.bensouda@example.ma", true)
		admin.SetLang(i18n.FR)
		code, body, _ := admin.Get("/admin")
		first := body[strings.Index(body, "<tbody>"):]
		first = first[:strings.Index(first, "</tr>")]
		if code != http.StatusOK || !strings.Contains(body, `<h2 id="overview-title">Dossiers par guichet</h2>`) ||
			!strings.Contains(first, `<a href="/window/`+win+`">`) || !strings.Contains(first, ">"+itoa(int64(late))+" en retard<") ||
			!strings.Contains(first, `<bdi dir="ltr">`+oldest+`</bdi>`) || !strings.Contains(first, itoa(int64(held))+" dossiers au guichet") {
			t.Fatalf("overview: %d\n%s", code, first)
		}
		// The administrator follows the queue, without links to files.
		code, body, _ = admin.Get("/window/" + win + "?tab=new")
		if code != http.StatusOK || !strings.Contains(body, "Vous suivez cette file d’attente en administrateur") ||
			strings.Contains(body, `<a href="/files/`) || !strings.Contains(body, `aria-current="page">Nouveaux dépôts`) {
			t.Fatalf("the administrator's view of the queue: %d", code)
		}
		// The staff lists become cards on phones: every cell names its column.
		for _, p := range []string{"/admin/staff", "/admin/professionals", "/admin/organisations", "/admin/audit", "/admin"} {
			_, body, _ := admin.Get(p)
			table := body[strings.Index(body, "<table"):strings.Index(body, "</table>")]
			if !strings.HasPrefix(table, `<table class="stack`) || strings.Count(table, "<td") != strings.Count(table, "<td data-label=") || strings.Count(table, "<td") == 0 {
				t.Errorf("%s: not a stacked table with labelled cells:\n%.300s", p, table)
			}
		}
		for _, l := range []i18n.Lang{i18n.AR, i18n.EN} {
			admin.SetLang(l)
			if code, _, _ := admin.Get("/admin"); code != http.StatusOK || len(apptest.Untranslated(a)) > 0 {
				t.Fatalf("overview in %s: %d, untranslated %v", l, code, apptest.Untranslated(a))
			}
		}
		auditor := apptest.NewBrowser(t, srv.URL)
		auditor.SignIn("hassan.filali@example.ma", true)
		if _, body, _ := auditor.Get("/admin"); strings.Contains(body, "overview-title") {
			t.Fatal("the auditor sees the overview")
		}
		if code, _, _ := auditor.Get("/window/" + win); code == http.StatusOK {
			t.Fatal("the auditor reads a queue")
		}
	})
}

// TestAuditViewer: dates in Casablanca, actors by name, actions in words,
// filters by day and by actor (an e-mail address), CSV export, and paging
// past a page of records not sealed yet.
// Not parallel, as TestAdminOverview.
func TestAuditViewer(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		ctx := context.Background()
		srv := apptest.Server(t, a)
		if _, err := audit.NewSealer(a.DB, audit.SealerOptions{}).SealNow(ctx); err != nil {
			t.Fatal(err)
		}
		auditor := apptest.NewBrowser(t, srv.URL)
		auditor.SignIn("hassan.filali@example.ma", true)
		auditor.SetLang(i18n.FR)
		hassan := apptest.PersonID(t, a, "hassan.filali@example.ma")

		code, body, _ := auditor.Get("/admin/audit")
		if code != http.StatusOK || !strings.Contains(body, "Second facteur validé") || !strings.Contains(body, "<bdi>Hassan Filali</bdi>") ||
			!strings.Contains(body, `<code class="small" dir="ltr">person:`+itoa(hassan)+`</code>`) {
			t.Fatalf("viewer: %d\n%s", code, apptest.Grep(body, "Hassan"))
		}

		// By actor, typed as an e-mail address: only theirs.
		today := time.Now().In(i18n.Casablanca).Format("2006-01-02")
		code, body, _ = auditor.Get("/admin/audit?actor=" + url.QueryEscape("Hassan.Filali@example.ma") + "&from=" + today + "&to=" + today)
		if code != http.StatusOK || !strings.Contains(body, "Connexion") || strings.Count(body, "<bdi>Hassan Filali</bdi>") != strings.Count(body, "<tr>")-1 {
			t.Fatalf("by actor and day: %d\n%s", code, apptest.Grep(body, "<bdi>"))
		}
		if code, body, _ := auditor.Get("/admin/audit?from=2001-01-01&to=2001-01-31"); code != http.StatusOK || !strings.Contains(body, "Aucun enregistrement ne correspond") {
			t.Fatalf("a month with nothing: %d", code)
		}
		code, body, _ = auditor.Get("/admin/audit?from=31/12/2026&actor=nobody@example.ma")
		if code != http.StatusBadRequest || !strings.Contains(body, `class="error-summary"`) || !strings.Contains(body, `href="#from"`) ||
			!strings.Contains(body, "Aucun compte n’a cette adresse e-mail.") {
			t.Fatalf("bad filters: %d\n%s", code, apptest.Grep(body, "error"))
		}

		// The export: BOM, the same records, names and words.
		code, raw, h := auditor.Get("/admin/audit?format=csv&actor=" + url.QueryEscape("person:"+itoa(hassan)))
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(raw, "\ufeff#,Date,") {
			t.Fatalf("csv: %d %q", code, raw[:min(len(raw), 60)])
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\ufeff"))).ReadAll()
		if err != nil || len(recs) < 2 || recs[1][2] != "Hassan Filali" || recs[1][3] != "person:"+itoa(hassan) {
			t.Fatalf("csv records: %v %v", recs, err)
		}

		// More than a page not sealed yet: "older" goes on down the sealed
		// chain rather than showing the same page again.
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			for i := 0; i < 55; i++ {
				if _, err := audit.Append(ctx, tx, audit.Entry{Actor: "system", Action: "district.rename", ObjectType: "district", ObjectID: "x", Change: i}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_, body, _ = auditor.Get("/admin/audit")
		older := apptest.Grep(body, `rel="next"`)
		if !strings.Contains(older, `href="/admin/audit?sealed=1"`) {
			t.Fatalf("older link after unsealed records: %q", older)
		}
		_, body, _ = auditor.Get("/admin/audit?sealed=1")
		if strings.Contains(body, "pas encore scellé") || !strings.Contains(body, `<bdi dir="ltr">#`) {
			t.Fatal("the page after the unsealed records is not the sealed chain")
		}
	})
}
