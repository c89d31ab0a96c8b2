package permit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestDecisionsOfTheDemoFiles: the demonstration's decided economic files
// (approved by the officer, approved by silence, refused) each offer their
// decision on the file page to the applicant and to the window's agent,
// with the note that it will be signed (or, when the officer signed it,
// that it is); the API serves the same bytes
// under the contract; a file not decided is a conflict in the caller's
// language; someone else gets nothing.
func TestDecisionsOfTheDemoFiles(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	ctx := context.Background()
	type demoFile struct {
		id            int64
		state, number string
		tacit         bool
		owner         string
		ownerID       int64
		window        string
		signsIn       bool // the owner has a password: the demo's accounts
	}
	var files []demoFile
	rows, err := a.DB.QueryContext(ctx, `SELECT f.id, f.state, f.number, f.tacit, p.email, p.id, f.window_code,
		p.password_hash IS NOT NULL
		FROM permit_files f JOIN persons p ON p.id = f.owner_person_id
		WHERE f.family = 'economic' AND f.state IN ('approved', 'refused') ORDER BY f.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var f demoFile
		if err := rows.Scan(&f.id, &f.state, &f.number, &f.tacit, &f.owner, &f.ownerID, &f.window, &f.signsIn); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	rows.Close()
	// One of each: approved by the officer, by silence, refused; and one
	// whose owner has a demo account (to see the page), if not among them.
	var picked []demoFile
	for i, want := range []func(demoFile) bool{
		func(f demoFile) bool { return f.state == "approved" && !f.tacit },
		func(f demoFile) bool { return f.tacit },
		func(f demoFile) bool { return f.state == "refused" },
		func(f demoFile) bool { return f.signsIn },
	} {
		for _, f := range files {
			if want(f) {
				if !slices.ContainsFunc(picked, func(p demoFile) bool { return p.id == f.id }) {
					picked = append(picked, f)
				}
				break
			}
		}
		if len(picked) < i+1 && i < 3 {
			t.Fatalf("the demonstration's %d decided economic files lack a kind of decision (#%d): %+v", len(files), i+1, files)
		}
	}
	// The demonstration's agent of Maarif is given the windows of these
	// files too, where no demo account works; signed in once (a second
	// factor's code is accepted once).
	agentEmail := "souad.chraibi@example.ma"
	for _, f := range picked {
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, window_code, granted_at)
			SELECT p.id, g.organisation_code, 'window_agent', g.window_code, g.granted_at FROM staff_grants g, persons p
			WHERE g.window_code = $1 AND g.role = 'window_agent' AND p.email = $2
			AND NOT EXISTS (SELECT 1 FROM staff_grants h WHERE h.person_id = p.id AND h.window_code = $1) LIMIT 1`,
			f.window, agentEmail); err != nil {
			t.Fatal(err)
		}
	}
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn(agentEmail, true)
	agent.SetLang(i18n.AR)
	ownerPage := false
	for _, f := range picked {
		page := fmt.Sprintf("/files/%d", f.id)
		// The decisions the demonstration's certified officers took are
		// signed by them; the others (tacit approvals, officers without a
		// certificate) are sealed by the commune: every page says which.
		var sealed bool
		if err := a.DB.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM signature_seals k WHERE k.serial = d.signer_serials)
			FROM signed_documents d WHERE d.kind = 'decision' AND d.file_id = $1`, f.id).Scan(&sealed); err != nil {
			t.Fatalf("%s: no signed decision: %v", page, err)
		}
		noteFR, noteAR := "signée électroniquement par l’agent qui l’a prise", "موقّعة إلكترونيًا من طرف الموظف"
		if sealed {
			noteFR, noteAR = "scellée électroniquement par la commune", "مختومة إلكترونيًا من طرف الجماعة"
		}
		if f.tacit && !sealed {
			t.Fatalf("%s: a tacit approval signed by a person", page)
		}
		// The applicant, through the API (checked against the contract).
		tok, err := a.Identity.CreateToken(ctx, f.ownerID, "app", []authz.Scope{authz.ScopeFilesRead}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apptest.CheckedAPI(t, a, srv.URL, tok)
		code, pdfBody := c.Call("GET", fmt.Sprintf("/api/v1/files/%d/decision", f.id), "", nil, nil)
		if code != http.StatusOK || !strings.HasPrefix(pdfBody, "%PDF-") {
			t.Fatalf("API decision of %s (%s): %d %.200s", page, f.state, code, pdfBody)
		}
		// The applicant's page offers it, with the note on the signature.
		if f.signsIn {
			ownerPage = true
			owner := apptest.NewBrowser(t, srv.URL)
			owner.SignIn(f.owner, false)
			owner.SetLang(i18n.FR)
			code, body, _ := owner.Get(page)
			if code != http.StatusOK || !strings.Contains(body, `href="`+page+`/decision.pdf"`) || !strings.Contains(body, noteFR) {
				t.Fatalf("%s (%s): the owner's page has no decision to download: %d\n%s", page, f.state, code, apptest.Grep(body, "decision"))
			}
			code, got, h := owner.Get(page + "/decision.pdf")
			if code != http.StatusOK || h.Get("Content-Type") != "application/pdf" || got != pdfBody ||
				!strings.Contains(h.Get("Content-Disposition"), strings.ToLower(f.number)) {
				t.Fatalf("%s: decision %d %s %s", page, code, h.Get("Content-Type"), h.Get("Content-Disposition"))
			}
		}
		// The window's agent: the link on the page, the same document.
		if _, body, _ := agent.Get(page); !strings.Contains(body, `href="`+page+`/decision.pdf"`) || !strings.Contains(body, noteAR) {
			t.Fatalf("%s: the agent's page has no decision to download", page)
		}
		if code, again, _ := agent.Get(page + "/decision.pdf"); code != http.StatusOK || again != pdfBody {
			t.Fatalf("%s: the agent's decision differs from the owner's (%d)", page, code)
		}
		// Someone with no part in the file: nothing, not even its
		// existence; the public is sent to sign in.
		var other int64
		if err := a.DB.QueryRowContext(ctx, `SELECT id FROM persons WHERE id <> $1 AND id NOT IN (SELECT person_id FROM staff_grants)
			ORDER BY id LIMIT 1`, f.ownerID).Scan(&other); err != nil {
			t.Fatal(err)
		}
		otok, _ := a.Identity.CreateToken(ctx, other, "app", []authz.Scope{authz.ScopeFilesRead}, time.Hour)
		if code, body := c.As(otok).JSON("GET", fmt.Sprintf("/api/v1/files/%d/decision", f.id), nil, nil); code != http.StatusNotFound {
			t.Fatalf("a stranger's decision of %s: %d %s", page, code, body)
		}
		anon := apptest.NewBrowser(t, srv.URL)
		if code, _, _ := anon.Get(page + "/decision.pdf"); code == http.StatusOK {
			t.Fatalf("the public downloaded the decision of %s", page)
		}
	}
	if !ownerPage {
		t.Fatal("no decided economic file of the demonstration belongs to an account that signs in")
	}
	// A file under review has no decision yet: a conflict, in French for
	// a French caller.
	var id, ownerID int64
	if err := a.DB.QueryRowContext(ctx, `SELECT id, owner_person_id FROM permit_files WHERE family = 'economic'
		AND state = 'under_review' AND owner_person_id IS NOT NULL ORDER BY id LIMIT 1`).Scan(&id, &ownerID); err != nil {
		t.Fatal(err)
	}
	tok, _ := a.Identity.CreateToken(ctx, ownerID, "app", []authz.Scope{authz.ScopeFilesRead}, time.Hour)
	c := apptest.CheckedAPI(t, a, srv.URL, tok)
	if code, body := c.JSON("GET", fmt.Sprintf("/api/v1/files/%d/decision?lang=fr", id), nil, nil); code != http.StatusConflict ||
		!strings.Contains(body, "permit.error.no_decision") || !strings.Contains(body, "une fois le dossier approuvé ou refusé") {
		t.Fatalf("decision of a file under review: %d %s", code, body)
	}
}
