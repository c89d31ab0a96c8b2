package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades/padestest"
)

// TestAfterWorksJourney follows a building after its works in Chromium
// (issue #12, points 7 and 10): the holder of a delivered building permit
// declares its completion from the permit's page, which opens the file
// after the works linked to it; then, for the demonstration's habitation
// permit waiting for its inspection visit, each inspecting member adds a
// photo of the visit and records the finding, the window's secretariat
// forwards the conclusion, the president signs the habitation permit with
// their key, and its holder downloads it: poppler's pdfsig finds one
// valid signature by a certificate Madina's root makes trusted.
func TestAfterWorksJourney(t *testing.T) {
	needAxe(t)
	ctx := context.Background()
	dir := t.TempDir()
	demo(t, dir)
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "madina.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	// The demonstration's owners have no password: the two holders get
	// the demonstration accounts' (the same hash), to sign in.
	var permitID, habID int64
	var holder, habHolder string
	if err := d.QueryRowContext(ctx, `SELECT f.id, p.email FROM permit_files f JOIN persons p ON p.id = f.owner_person_id
		WHERE f.kind = 'building' AND f.state = 'approved' AND NOT EXISTS (SELECT 1 FROM permit_after_works w WHERE w.parent_id = f.id)
		ORDER BY f.id LIMIT 1`).Scan(&permitID, &holder); err != nil {
		t.Fatalf("a delivered building permit of a person: %v", err)
	}
	if err := d.QueryRowContext(ctx, `SELECT f.id, p.email FROM permit_files f JOIN permit_after_works w ON w.file_id = f.id
		JOIN persons p ON p.id = f.owner_person_id
		WHERE f.kind = 'habitation' AND f.state = 'accepted' AND f.step = 'inspection' AND f.holder = 'committee'`).Scan(&habID, &habHolder); err != nil {
		t.Fatalf("the habitation permit pending its inspection: %v", err)
	}
	// Each seat's organisation: a member who can sign in.
	type seat struct{ body, email string }
	var seats []seat
	rows, err := d.QueryContext(ctx, `SELECT s.body, (SELECT p.email FROM staff_grants g JOIN persons p ON p.id = g.person_id
		WHERE g.organisation_code = s.organisation_code AND g.role = 'committee_member' AND g.revoked_at IS NULL
		ORDER BY p.password_hash IS NULL, p.id LIMIT 1) FROM permit_committee_seats s WHERE s.file_id = $1 ORDER BY s.id`, habID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s seat
		if err := rows.Scan(&s.body, &s.email); err != nil {
			t.Fatal(err)
		}
		seats = append(seats, s)
	}
	rows.Close()
	if len(seats) < 3 {
		t.Fatalf("%d bodies inspect the habitation permit", len(seats))
	}
	for _, who := range append([]string{holder, habHolder}, func() []string {
		var out []string
		for _, s := range seats {
			out = append(out, s.email)
		}
		return out
	}()...) {
		if _, err := d.ExecContext(ctx, `UPDATE persons SET password_hash = (SELECT password_hash FROM persons
			WHERE email = 'youssef.elamrani@example.ma') WHERE email = $1 AND password_hash IS NULL`, who); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServer(t, "--data-dir", dir, "--workers", "2")
	b := startBrowser(t)
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	const fr = i18n.FR
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("the holder declares the works complete", func(t *testing.T) {
		tb := b.newTab(t, srv, phone390).in(t)
		tb.setLanguage("ar")
		signIn(tb, holder, false)
		page := "/files/" + strconv.FormatInt(permitID, 10)
		tb.open(page, 200)
		tb.checkAxe()
		submit(tb, "declare the works complete", `form[action="`+page+`/completion"] button[type=submit]`)
		if !regexp.MustCompile(`^/files/\d+\?done=declared$`).MatchString(tb.path()) || strings.HasPrefix(tb.path(), page+"?") {
			t.Fatalf("the declaration leads to %s", tb.path())
		}
		wantText(tb, "main", cat.T(i18n.AR, "permit.files.done.declared"))
		tb.checkAxe()
		tb.checkConsole("")
	})

	hab := "/files/" + strconv.FormatInt(habID, 10)
	photo := filepath.Join(t.TempDir(), "facade.png")
	{
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for x := 0; x < 64; x++ {
			for y := 0; y < 48; y++ {
				img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	confirm := func(tb *tab, action string) {
		tb.t.Helper()
		submit(tb, "ask to "+action, `form[method=get][action="`+hab+"/"+action+`"] button[type=submit]`)
		submit(tb, action, `form[method=post][action="`+hab+"/"+action+`"] button[type=submit]`)
	}
	step("each inspecting member adds a photo and records the finding", func(t *testing.T) {
		for i, s := range seats {
			m := b.newTab(t, srv, desktop).in(t)
			m.setLanguage("fr")
			signIn(m, s.email, true)
			m.open(hab, 200)
			m.do(chromedp.SetUploadFiles(chromedp.CSS("#photos-photos"), []string{photo}))
			submit(m, "add the visit's photo", `form[action="`+hab+`/inspection/photos"] button[type=submit]`)
			if count(m, `main a[href^="`+hab+`/inspection/photos/"]`) == 0 {
				t.Fatalf("%s's photo is not on the file", s.body)
			}
			if i == 0 {
				m.checkAxe()
			}
			m.do(chromedp.Click(chromedp.CSS("#verdict-favourable")))
			confirm(m, "opinion")
			m.checkConsole("")
		}
	})

	step("the secretariat forwards the conclusion", func(t *testing.T) {
		agent := b.newTab(t, srv, desktop).in(t)
		agent.setLanguage("fr")
		signIn(agent, "abdelkader.fassi@example.ma", true)
		agent.open(hab, 200)
		confirm(agent, "forward")
		wantText(agent, "main", cat.T(fr, "permit.files.done.forwarded"))
	})

	step("the president signs the habitation permit", func(t *testing.T) {
		pres := b.newTab(t, srv, desktop).in(t)
		pres.setLanguage("fr")
		signIn(pres, "latifa.bouhlal@example.ma", true)
		pres.open(hab, 200)
		submit(pres, "ask to grant", `form[method=get][action="`+hab+`/grant"] button[type=submit]`)
		pres.checkAxe()
		pres.do(chromedp.SendKeys(chromedp.CSS("#pin"), "246813"))
		submit(pres, "grant", `form[method=post][action="`+hab+`/grant"] button[type=submit]`)
		wantText(pres, "main", cat.T(fr, "permit.files.done.granted"))
		pres.checkConsole("")
	})

	step("the holder downloads the signed habitation permit", func(t *testing.T) {
		tb := b.newTab(t, srv, phone390).in(t)
		tb.setLanguage("fr")
		signIn(tb, habHolder, false)
		tb.open(hab, 200)
		wantFact(tb, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.approved"))
		tb.checkAxe()
		b := download(t, tb, hab+"/decision.pdf")
		out := padestest.Pdfsig(t, padestest.NSSDB(t, rootCert(t, srv.URL)), b)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the habitation permit:\n%s", out)
		}
		if !strings.Contains(strings.ToLower(out), "bouhlal") {
			t.Errorf("the habitation permit is not signed by the president:\n%s", out)
		}
	})
}
