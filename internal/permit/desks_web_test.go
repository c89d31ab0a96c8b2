package permit_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestWindowDesk: the window agent's queue keeps the tab of a deep link,
// has today's appointments, finds files by owner's name (folded) and CIN,
// and is in the agents' main navigation only.
func TestWindowDesk(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		agent := apptest.NewBrowser(t, srv.URL)
		agent.SignIn("amina.idrissi@example.ma", true)
		agent.SetLang(i18n.FR)
		var win string
		if err := a.DB.QueryRowContext(ctx, `SELECT window_code FROM permit_files WHERE window_code IS NOT NULL AND state <> 'draft'
			AND window_code NOT IN ('maarif', 'sidi-othmane') GROUP BY window_code ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&win); err != nil {
			t.Fatal(err)
		}

		// A deep link to a tab keeps it.
		if code, _, h := agent.Get("/window?tab=new"); code != http.StatusSeeOther || h.Get("Location") != "/window/"+win+"?tab=new" {
			t.Fatalf("/window?tab=new: %d %s", code, h.Get("Location"))
		}
		code, body, _ := agent.Get("/window/" + win + "?tab=new")
		if code != http.StatusOK || !strings.Contains(body, `<nav class="tabs"`) ||
			!strings.Contains(body, `aria-current="page">Nouveaux dépôts`) || !strings.Contains(body, `href="/window" aria-current="page">File d’attente</a>`) {
			t.Fatalf("queue, new tab: %d\n%s", code, apptest.Grep(body, "tabs"))
		}

		// Today's appointments at the counter, by hour.
		var fileID int64
		var display string
		if err := a.DB.QueryRowContext(ctx, `SELECT id, COALESCE(number, ref) FROM permit_files WHERE window_code = $1 AND state = 'submitted'
			AND owner_person_id IS NOT NULL AND id NOT IN (SELECT file_id FROM permit_appointments WHERE status = 'booked') ORDER BY id LIMIT 1`, win).Scan(&fileID, &display); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		l := now.In(i18n.Casablanca)
		at := time.Date(l.Year(), l.Month(), l.Day(), 23, 50, 0, 0, i18n.Casablanca)
		if at.Before(now) {
			t.Skip("too close to midnight in Casablanca")
		}
		// The demonstration may have appointments today already.
		var before int
		if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_appointments WHERE window_code = $1 AND status = 'booked'
			AND starts_at >= $2 AND starts_at < $3`, win, time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, i18n.Casablanca).UTC(),
			time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, i18n.Casablanca).UTC()).Scan(&before); err != nil {
			t.Fatal(err)
		}
		var booker int64
		_ = a.DB.QueryRowContext(ctx, `SELECT created_by FROM permit_files WHERE id = $1`, fileID).Scan(&booker)
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO permit_appointments (file_id, window_code, starts_at, ends_at, status, booked_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'booked', $5, $6, $6)`, fileID, win, at.UTC(), at.Add(5*time.Minute).UTC(), booker, now.UTC()); err != nil {
			t.Fatal(err)
		}
		code, body, _ = agent.Get("/window/" + win + "?tab=today")
		if code != http.StatusOK || !strings.Contains(body, "Rendez-vous d’aujourd’hui au guichet") || !strings.Contains(body, ">23:50<") ||
			!strings.Contains(body, `href="/files/`+itoa(fileID)+`"`) {
			t.Fatalf("today tab: %d\n%s", code, apptest.Grep(body, "23:50"))
		}
		if code, body, _ := agent.Get("/window/" + win); code != http.StatusOK || !strings.Contains(body, `Aujourd’hui <span class="tab-count">`+strconv.Itoa(before+1)+`</span>`) {
			t.Fatalf("today's count: %d\n%s", code, apptest.Grep(body, "Aujourd"))
		}

		// Found by the owner's CIN, and by the owner's Arabic name written
		// without its hamza or in a plain alef, and by the Latin name without accents.
		var cin, ar, latin string
		if err := a.DB.QueryRowContext(ctx, `SELECT p.cin, p.family_name_ar, p.family_name_latin FROM permit_files f JOIN persons p ON p.id = f.owner_person_id
			WHERE f.id = $1`, fileID).Scan(&cin, &ar, &latin); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{strings.ToLower(cin), ar, strings.NewReplacer("إ", "ا", "أ", "ا", "ة", "ه").Replace(ar), strings.ToUpper(latin)} {
			code, body, _ := agent.Get("/window/" + win + "?q=" + url.QueryEscape(q))
			if code != http.StatusOK || !strings.Contains(body, `href="/files/`+itoa(fileID)+`"`) {
				t.Fatalf("look-up by %q: %d", q, code)
			}
		}
		if code, body, _ := agent.Get("/window/" + win + "?q=" + url.QueryEscape("زززز")); code != http.StatusOK || strings.Contains(body, `href="/files/`) {
			t.Fatalf("look-up of nobody: %d", code)
		}

		// The queue is in the navigation of agents, not of citizens.
		owner := apptest.NewBrowser(t, srv.URL)
		owner.SignIn("fatima.benali@example.ma", false)
		if _, body, _ := owner.Get("/files"); strings.Contains(body, `href="/window"`) {
			t.Fatal("a citizen's navigation links to the queue")
		}
		if _, body, _ := agent.Get("/files"); !strings.Contains(body, `<li><a href="/window">File d’attente</a></li>`) {
			t.Fatalf("the agent's navigation has no queue:\n%s", apptest.Grep(body, "/window"))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestArchitectFiles: "My files" of an architect with many files filters by
// state, kind and arrondissement, sorts, shows the owner, and exports
// what it shows as CSV that Excel reads (BOM) without running formulas.
func TestArchitectFiles(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		arch := apptest.NewBrowser(t, srv.URL)
		arch.SignIn("omar.berrada@example.ma", false)
		arch.SetLang(i18n.FR)

		code, body, _ := arch.Get("/files")
		all := strings.Count(body, `<tr>`) - 1
		if code != http.StatusOK || all < 20 || !strings.Contains(body, `<select id="state" name="state"><option value="">Tous</option>`) ||
			!strings.Contains(body, `<th scope="col">Maître d’ouvrage</th>`) || !strings.Contains(body, `<a href="/files?format=csv" download>`) {
			t.Fatalf("my files: %d, %d rows\n%s\n%s", code, all, apptest.Grep(body, "csv"), apptest.Grep(body, "select id"))
		}
		// One of his files gets a title a spreadsheet would run.
		var id int64
		var kind, arr, owner string
		if err := a.DB.QueryRowContext(ctx, `SELECT f.id, f.kind, f.arrondissement_code, p.family_name_latin FROM permit_files f
			JOIN persons p ON p.id = f.owner_person_id WHERE f.state = 'accepted' AND f.arrondissement_code IS NOT NULL AND f.id IN (`+idsOf(body)+`) ORDER BY f.id LIMIT 1`).Scan(&id, &kind, &arr, &owner); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB.ExecContext(ctx, `UPDATE permit_files SET title = '=HYPERLINK("http://evil.test")' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}

		// Filtered: only accepted files of that kind and arrondissement.
		q := "/files?state=accepted&kind=" + url.QueryEscape(kind) + "&arrondissement=" + url.QueryEscape(arr) + "&sort=owner"
		code, body, _ = arch.Get(q)
		rows := strings.Count(body, `<tr>`) - 1
		if code != http.StatusOK || rows < 1 || rows >= all || !strings.Contains(body, `href="/files/`+itoa(id)+`"`) ||
			strings.Count(body, `data-label="État">Accepté (dossier complet)`) != rows || !strings.Contains(body, owner) ||
			!strings.Contains(body, `<option value="accepted" selected>`) || !strings.Contains(body, `href="/files">Effacer les filtres</a>`) {
			t.Fatalf("filtered: %d, %d rows of %d\n%s", code, rows, all, apptest.Grep(body, "État"))
		}
		var got []string
		for _, m := range strings.Split(body, `data-label="Maître d’ouvrage"><bdi>`)[1:] {
			got = append(got, m[:strings.Index(m, "<")])
		}
		for i := 1; i < len(got); i++ {
			if strings.ToLower(got[i-1]) > strings.ToLower(got[i]) {
				t.Fatalf("not sorted by owner: %q", got)
			}
		}

		// The export has the same rows, a BOM, and the formula as text.
		code, csvBody, h := arch.Get(q + "&format=csv")
		raw := strings.NewReader(csvBody)
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(csvBody, "\ufeffNuméro,Nature,Intitulé,Maître d’ouvrage,") {
			t.Fatalf("csv: %d %s %.80q", code, h.Get("Content-Type"), csvBody)
		}
		_ = raw
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvBody, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != rows+1 {
			t.Fatalf("csv: %d records for %d rows, %v", len(recs), rows, err)
		}
		planted := false
		for _, rec := range recs {
			for _, c := range rec {
				if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
					t.Fatalf("a cell a spreadsheet would run: %q", c)
				}
				planted = planted || c == `'=HYPERLINK("http://evil.test")`
			}
		}
		if !planted {
			t.Fatal("the planted title is not in the export")
		}

		// Someone else's files are not in anyone's export.
		other := apptest.NewBrowser(t, srv.URL)
		other.SignIn("fatima.benali@example.ma", false)
		if code, body, _ := other.Get("/files?format=csv"); code != http.StatusOK || strings.Count(body, "\n") != 1 {
			t.Fatalf("a citizen without files exports %d lines", strings.Count(body, "\n"))
		}
	})
}

// idsOf lists the file ids a page links to, for SQL.
func idsOf(body string) string {
	var ids []string
	for _, m := range strings.Split(body, `<a href="/files/`)[1:] {
		if n := strings.IndexByte(m, '"'); n > 0 {
			if _, err := strconv.Atoi(m[:n]); err == nil {
				ids = append(ids, m[:n])
			}
		}
	}
	return strings.Join(ids, ", ")
}
