package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades/padestest"
)

// TestCommitteeJourney drives a large project from the window to its
// conformity certificate in Chromium (issue #12, points 7 and 10): the
// city window accepts a building and dispatches it; every body's member
// gives an opinion from the file's page, the distributor's asking for
// changes; the secretariat sends the remark; the architect answers it and
// uploads a revised plan, and sends the file back; the second round
// approves, the urban agency's reservations becoming a condition; the
// session's minutes are drawn up and signed by each member present, then
// the president; the secretariat forwards; the president signs the permit
// with their key; the applicant downloads it and poppler's pdfsig finds
// one valid signature by a certificate Madina's root makes trusted. Then
// the holder declares the works complete on a phone in Arabic and files
// the conformity certificate; the window accepts and dispatches it; the
// inspecting members add photos of the visit and find the building
// conform; the president signs the certificate, and pdfsig trusts it.
func TestCommitteeJourney(t *testing.T) {
	needAxe(t)
	ctx := context.Background()
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir, "--workers", "2")
	b := startBrowser(t)
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "madina.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	const fr = i18n.FR

	// A large project at the city window: a building submitted there,
	// filed by an architect who can sign in, for an owner who can too (a
	// person, or a company's representative), whose completion asks for a
	// conformity certificate the city window handles (a building not only
	// for housing, of three upper floors or more).
	agents := map[string]string{"city": "amina.idrissi@example.ma", "sidi-othmane": "abdelkader.fassi@example.ma"}
	presidents := map[string]string{"city": "abdellatif.benslimane@example.ma", "sidi-othmane": "latifa.bouhlal@example.ma"}
	var id int64
	var applicant, holder, window, kindCode string
	var ownerLegal int64 // the company or association owning it, when it is one
	{
		rows, err := d.QueryContext(ctx, `SELECT f.id, p.email, f.window_code, f.kind, f.fields, COALESCE(f.owner_legal_id, 0), COALESCE(o.email, (SELECT r.email
			FROM representatives x JOIN persons r ON r.id = x.person_id WHERE x.legal_person_id = f.owner_legal_id
			AND x.revoked_at IS NULL AND r.password_hash IS NOT NULL ORDER BY r.id LIMIT 1), '')
			FROM permit_files f JOIN persons p ON p.id = f.created_by LEFT JOIN persons o ON o.id = f.owner_person_id AND o.password_hash IS NOT NULL
			WHERE f.window_code = 'city' AND f.kind = 'building' AND f.state = 'submitted' AND f.holder = 'window'
			AND p.password_hash IS NOT NULL
			AND EXISTS (SELECT 1 FROM professionals r WHERE r.person_id = f.created_by AND r.profession = 'architect')
			ORDER BY f.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() && id == 0 {
			var fid, legal int64
			var email, w, k, fields, owner string
			if err := rows.Scan(&fid, &email, &w, &k, &fields, &legal, &owner); err != nil {
				t.Fatal(err)
			}
			var v permit.Values
			if err := json.Unmarshal([]byte(fields), &v); err != nil {
				t.Fatal(err)
			}
			if r, err := permit.Casablanca().Route(permit.KindConformity, v); owner == "" || v["use"] == "housing" || err != nil || r.Window != "city" {
				continue
			}
			id, applicant, holder, window, kindCode, ownerLegal = fid, email, owner, w, k, legal
		}
		rows.Close()
		if id == 0 {
			t.Fatal("no building submitted at the city window, filed by an architect who can sign in, for an owner who can, whose conformity certificate the city window handles")
		}
	}
	kind, err := permit.Casablanca().Kind(kindCode)
	if err != nil {
		t.Fatal(err)
	}
	planItem := ""
	for _, doc := range kind.Documents {
		if doc.Author == "architect" && slices.Contains(doc.Types, "pdf") && planItem == "" {
			planItem = doc.Code
		}
	}
	t.Logf("file %d (%s) at %s, filed by %s for %s; revised plan: %s", id, kindCode, window, applicant, holder, planItem)
	page := "/files/" + strconv.FormatInt(id, 10)
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	// confirmOn clicks the GET form for action on file page at, then the
	// confirmation's own button.
	confirmOn := func(tb *tab, at, action string) {
		tb.t.Helper()
		submit(tb, "ask to "+action, `form[method=get][action="`+at+"/"+action+`"] button[type=submit]`)
		if p := tb.path(); !strings.HasPrefix(p, at+"/"+action) {
			tb.t.Fatalf("the %s button leads to %s, not its confirmation", action, p)
		}
		submit(tb, action, `form[method=post][action="`+at+"/"+action+`"] button[type=submit]`)
	}
	confirm := func(tb *tab, action string) {
		tb.t.Helper()
		confirmOn(tb, page, action)
	}

	agent := b.newTab(t, srv, desktop)
	agent.setLanguage("fr")
	step("the window accepts the file and dispatches it", func(t *testing.T) {
		agent := agent.in(t)
		signIn(agent, agents[window], true)
		agent.open(page, 200)
		confirm(agent, "accept")
		wantText(agent, "main", cat.T(fr, "permit.files.done.accepted"))
		confirm(agent, "dispatch")
		wantText(agent, "main", cat.T(fr, "permit.files.done.dispatched"))
	})

	// Who sits, and a member of each seat's organisation who can sign in
	// (the demonstration's other members have no password). Where none
	// can, the administrator appoints a demonstration staff member to the
	// organisation's committee seat, as an administrator would.
	type seat struct{ body, org, email string }
	readSeats := func(file int64) []seat {
		var out []seat
		rows, err := d.QueryContext(ctx, `SELECT s.body, COALESCE(s.organisation_code, ''), COALESCE((SELECT p.email
			FROM staff_grants g JOIN persons p ON p.id = g.person_id
			WHERE g.organisation_code = s.organisation_code AND g.role = 'committee_member' AND g.revoked_at IS NULL
			AND p.password_hash IS NOT NULL ORDER BY p.id LIMIT 1), '') FROM permit_committee_seats s WHERE s.file_id = $1 ORDER BY s.id`, file)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s seat
			if err := rows.Scan(&s.body, &s.org, &s.email); err != nil {
				t.Fatal(err)
			}
			if s.org == "" {
				t.Fatalf("no organisation holds the %s seat on file %d", s.body, file)
			}
			out = append(out, s)
		}
		return out
	}
	spare := []string{"hassan.filali@example.ma", "souad.chraibi@example.ma", "abdelkader.fassi@example.ma"}
	var admin *tab
	seatsOf := func(file int64) []seat {
		for _, s := range readSeats(file) {
			if s.email != "" {
				continue
			}
			if len(spare) == 0 {
				t.Fatalf("no demonstration account left to sit for %s", s.org)
			}
			if admin == nil {
				admin = b.newTab(t, srv, desktop).in(t)
				admin.setLanguage("fr")
				signIn(admin, "nadia.bensouda@example.ma", true)
			}
			admin.open("/admin/staff", 200)
			admin.do(chromedp.SendKeys(chromedp.CSS("#email"), spare[0]),
				chromedp.SetValue(chromedp.CSS("#role"), "committee_member"),
				chromedp.SetValue(chromedp.CSS("#org"), s.org))
			submit(admin, "appoint "+spare[0]+" to "+s.org, `form[action="/admin/staff/grants"] button[type=submit]`)
			spare = spare[1:]
		}
		seats := readSeats(file)
		for _, s := range seats {
			if s.email == "" {
				t.Fatalf("nobody who can sign in sits for %s on file %d", s.body, file)
			}
		}
		return seats
	}
	seats := seatsOf(id)
	if len(seats) < 3 {
		t.Fatalf("%d seats on %s", len(seats), page)
	}
	asker := "distributor" // the body that asks for changes in round 1
	if !slices.ContainsFunc(seats, func(s seat) bool { return s.body == asker }) {
		asker = "prefecture"
	}
	const askReasons = "Le raccordement à l’assainissement doit passer par la voie publique, non par la servitude."
	const reservation = "Recul de 3 m sur la voie à respecter pour la clôture."
	members := map[string]*tab{}
	outer := t // the members' tabs live for the whole journey
	opinions := func(t *testing.T, round int, verdict func(body string) (string, string)) {
		for _, s := range seats {
			tb, ok := members[s.email]
			if !ok {
				tb = b.newTab(outer, srv, desktop)
				tb.setLanguage("fr")
				members[s.email] = tb
				signIn(tb.in(t), s.email, true)
			}
			m := tb.in(t)
			m.open("/committee", 200)
			if count(m, `main a[href="`+page+`"]`) == 0 {
				t.Fatalf("round %d: %s does not find %s among the files to study", round, s.email, page)
			}
			m.open(page, 200)
			if round == 1 && s.body == "urban_agency" {
				m.checkAxe()
			}
			v, reasons := verdict(s.body)
			if got := value(m, `form[action="`+page+`/opinion"] input[name=round]`); got != strconv.Itoa(round) {
				t.Fatalf("the opinion form is for round %q, want %d", got, round)
			}
			m.do(chromedp.Click(chromedp.CSS("#verdict-" + v)))
			if reasons != "" {
				m.do(chromedp.SendKeys(chromedp.CSS("#opinion-reasons"), reasons))
			}
			confirm(m, "opinion")
			m.checkConsole("")
		}
	}
	step("round 1: the members' opinions", func(t *testing.T) {
		opinions(t, 1, func(body string) (string, string) {
			switch body {
			case asker:
				return "unfavourable", askReasons
			case "urban_agency":
				return "reservations", reservation
			}
			return "favourable", ""
		})
	})

	step("the secretariat sends the remark", func(t *testing.T) {
		agent := agent.in(t)
		agent.open(page, 200)
		wantText(agent, `section[aria-labelledby="rounds-heading"]`, cat.T(fr, "permit.rounds.outcome.remarks"), askReasons)
		agent.checkAxe()
		confirm(agent, "remarks")
		wantText(agent, "main", cat.T(fr, "permit.files.done.remarks_sent"))
	})

	arch := b.newTab(t, srv, desktop)
	arch.setLanguage("fr")
	step("the architect answers and revises the plans", func(t *testing.T) {
		arch := arch.in(t)
		signIn(arch, applicant, false)
		arch.open(page, 200)
		wantText(arch, `section[aria-labelledby="rounds-heading"]`, askReasons)
		arch.checkAxe()
		ids := attrs(arch, `textarea[name^="answer-"]`, "id")
		if len(ids) != 1 {
			t.Fatalf("%d answers to write, want 1", len(ids))
		}
		arch.do(chromedp.SendKeys(chromedp.CSS("#"+ids[0]), "Le plan de masse révisé raccorde par la voie publique."))
		submit(arch, "save the answer", `form[action="`+page+`/answers"] button[type=submit]`)
		wantText(arch, "main", cat.T(fr, "permit.files.done.answers_saved"))
		var buf bytes.Buffer
		if _, err := plan().WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		revised := filepath.Join(t.TempDir(), "plans-revises.pdf")
		if err := os.WriteFile(revised, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		upload(arch, page, planItem, revised)
		confirm(arch, "revise")
		wantText(arch, "main", cat.T(fr, "permit.files.done.revised"))
		// The round's revised plan, beside the version it replaces.
		wantText(arch, `section[aria-labelledby="rounds-heading"]`, cat.T(fr, "permit.rounds.revised_for", "round", 2),
			"plans-revises.pdf", cat.T(fr, "permit.rounds.replaces"))
		arch.checkConsole("")
	})

	// The revised file went back on an agenda. A week passes in a
	// moment: its session froze and sat (the test moves the session, not
	// the clock).
	var session int64
	step("the file's session sits", func(t *testing.T) {
		// The workers plan the agendas when the file changes.
		for wait := 0; ; wait++ {
			err := d.QueryRowContext(ctx, `SELECT session_id FROM permit_agenda WHERE file_id = $1 AND session_id IS NOT NULL`, id).Scan(&session)
			if err == nil {
				break
			}
			if wait == 100 {
				var holder, step, reason string
				_ = d.QueryRowContext(ctx, `SELECT holder, step FROM permit_files WHERE id = $1`, id).Scan(&holder, &step)
				_ = d.QueryRowContext(ctx, `SELECT reason FROM permit_agenda WHERE file_id = $1`, id).Scan(&reason)
				t.Fatalf("the revised file (%s at %s) is on no session (%q): %v", holder, step, reason, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		now := time.Now().UTC().Truncate(time.Second)
		if _, err := d.ExecContext(ctx, `UPDATE permit_sessions SET starts_at = $1, ends_at = $2, freezes_at = $3, frozen_at = $3
			WHERE id = $4 AND frozen_at IS NULL`, now.Add(-3*time.Hour), now.Add(-time.Hour), now.Add(-48*time.Hour), session); err != nil {
			t.Fatal(err)
		}
	})

	step("round 2: the members approve", func(t *testing.T) {
		opinions(t, 2, func(body string) (string, string) {
			if body == "urban_agency" {
				return "reservations", reservation
			}
			return "favourable", ""
		})
	})

	sessionPage := "/committee/sessions/" + strconv.FormatInt(session, 10)
	// signMinutes signs the minutes from the session's page with the
	// demonstration PIN.
	signMinutes := func(tb *tab) {
		tb.t.Helper()
		// A member appointed for the journey enrols their signing
		// certificate first, as any new member does.
		tb.open("/me/signature", 200)
		if count(tb, `form[action="/me/signature/enrol"]`) > 0 {
			tb.do(chromedp.SendKeys(chromedp.CSS("#pin"), "246813"), chromedp.SendKeys(chromedp.CSS("#pin_confirm"), "246813"))
			submit(tb, "enrol a signing certificate", `form[action="/me/signature/enrol"] button[type=submit]`)
		}
		tb.open(sessionPage, 200)
		submit(tb, "ask to sign the minutes", `form[method=get][action="`+sessionPage+`/minutes/sign"] button[type=submit]`)
		tb.checkAxe()
		snap(tb, "minutes-sign")
		tb.do(chromedp.SendKeys(chromedp.CSS("#pin"), "246813"))
		submit(tb, "sign the minutes", `form[method=post][action="`+sessionPage+`/minutes/sign"] button[type=submit]`)
		wantText(tb, "main", cat.T(fr, "permit.minutes.signed_done"))
		tb.checkConsole("")
	}
	step("the minutes are drawn up and signed by each member present", func(t *testing.T) {
		agent := agent.in(t)
		agent.open("/committee", 200)
		wantText(agent, `section[aria-labelledby="minutes-heading"]`, cat.T(fr, "permit.minutes.waiting.draft"))
		agent.open(sessionPage, 200)
		agent.checkAxe()
		snap(agent, "session-sat")
		for _, s := range seats {
			var person int64
			if err := d.QueryRowContext(ctx, `SELECT id FROM persons WHERE email = $1`, s.email).Scan(&person); err != nil {
				t.Fatal(err)
			}
			agent.do(chromedp.Click(chromedp.CSS("#present-" + strconv.FormatInt(person, 10))))
		}
		submit(agent, "ask to draw up the minutes", `form[method=get][action="`+sessionPage+`/minutes"] button[type=submit]`)
		agent.checkAxe()
		snap(agent, "minutes-confirm")
		submit(agent, "draw up the minutes", `form[method=post][action="`+sessionPage+`/minutes"] button[type=submit]`)
		wantText(agent, "main", cat.T(fr, "permit.minutes.drafted_done"), cat.T(fr, "permit.minutes.outcome.grant"))
		agent.checkAxe()
		snap(agent, "minutes-drafted")
		for _, s := range seats {
			m := members[s.email].in(t)
			m.open("/committee", 200)
			wantText(m, `section[aria-labelledby="minutes-heading"]`, cat.T(fr, "permit.minutes.waiting.sign"))
			signMinutes(m)
		}
	})

	pres := b.newTab(t, srv, desktop)
	pres.setLanguage("fr")
	step("the president closes the minutes", func(t *testing.T) {
		pres := pres.in(t)
		signIn(pres, presidents[window], true)
		pres.open("/committee", 200)
		wantText(pres, `section[aria-labelledby="minutes-heading"]`, cat.T(fr, "permit.minutes.waiting.sign"))
		signMinutes(pres)
		wantText(pres, "main", cat.T(fr, "permit.minutes.tag.signed"))
		snap(pres, "minutes-signed")
		out := padestest.Pdfsig(t, padestest.NSSDB(t, rootCert(t, srv.URL)), download(t, pres, sessionPage+"/minutes.pdf"))
		if valid, trusted, total := padestest.Count(out); valid != len(seats)+1 || trusted != valid || total != valid {
			t.Fatalf("pdfsig on the minutes (%d members present):\n%s", len(seats), out)
		}
	})

	step("the secretariat forwards to the president", func(t *testing.T) {
		agent := agent.in(t)
		agent.open(page, 200)
		wantText(agent, `section[aria-labelledby="rounds-heading"]`, cat.T(fr, "permit.rounds.outcome.grant"), reservation)
		confirm(agent, "forward")
		wantText(agent, "main", cat.T(fr, "permit.files.done.forwarded"))
	})

	step("the president signs the permit", func(t *testing.T) {
		pres := pres.in(t)
		pres.open("/committee", 200)
		wantText(pres, "main", cat.T(fr, "permit.studies.decide.heading"))
		pres.follow("open the file to decide", 200, chromedp.Click(chromedp.CSS(`main a[href="`+page+`"]`)))
		pres.checkAxe()
		submit(pres, "ask to grant", `form[method=get][action="`+page+`/grant"] button[type=submit]`)
		wantText(pres, "main", cat.T(fr, "permit.confirm.grant.text"), reservation)
		pres.checkAxe()
		pres.do(chromedp.SendKeys(chromedp.CSS("#pin"), "246813"))
		submit(pres, "grant", `form[method=post][action="`+page+`/grant"] button[type=submit]`)
		wantText(pres, "main", cat.T(fr, "permit.files.done.granted"))
		pres.checkConsole("")
	})

	step("the applicant downloads the signed permit", func(t *testing.T) {
		arch := arch.in(t)
		arch.open(page, 200)
		wantFact(arch, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.approved"))
		out := padestest.Pdfsig(t, padestest.NSSDB(t, rootCert(t, srv.URL)), download(t, arch, page+"/decision.pdf"))
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the permit:\n%s", out)
		}
		if last := strings.Split(presidents[window], "@")[0]; !strings.Contains(strings.ToLower(out), strings.Split(last, ".")[1]) {
			t.Errorf("the permit is not signed by the president:\n%s", out)
		}
	})

	// After the works (point 7), on the same building: its holder
	// declares the works complete from the permit's page, on a phone in
	// Arabic, and files the conformity certificate it opens; the window
	// accepts and dispatches it to the works inspection committee; each
	// inspecting member adds a photo of the visit and finds the building
	// conform; the secretariat forwards; the president signs; the holder
	// downloads the signed certificate.
	owner := b.newTab(t, srv, phone390)
	owner.setLanguage("ar")
	var aw string // the conformity certificate's page
	var awID int64
	step("the holder declares the works complete", func(t *testing.T) {
		owner := owner.in(t)
		signIn(owner, holder, false)
		if ownerLegal != 0 {
			// The company's representative acts for it, as on any of its files.
			owner.open("/me/legal", 200)
			submit(owner, "act for the company", `form[action="/me/acting/`+strconv.FormatInt(ownerLegal, 10)+`"] button[type=submit]`)
		}
		owner.open(page, 200)
		owner.checkAxe()
		submit(owner, "declare the works complete", `form[action="`+page+`/completion"] button[type=submit]`)
		m := regexp.MustCompile(`^/files/(\d+)\?done=declared$`).FindStringSubmatch(owner.path())
		if m == nil || "/files/"+m[1] == page {
			t.Fatalf("the declaration leads to %s", owner.path())
		}
		aw = "/files/" + m[1]
		awID, _ = strconv.ParseInt(m[1], 10, 64)
		awKind, err := permit.Casablanca().Kind(permit.KindConformity)
		if err != nil {
			t.Fatal(err)
		}
		wantText(owner, "main", cat.T(i18n.AR, "permit.files.done.declared"), awKind.Name.AR)
		owner.checkAxe()
	})

	step("the holder files the conformity certificate", func(t *testing.T) {
		owner := owner.in(t)
		var missing []string
		for _, href := range attrs(owner, `section[aria-labelledby="missing-heading"] a`, "href") {
			missing = append(missing, strings.TrimPrefix(href, "#item-"))
		}
		if !slices.Contains(missing, "architect_certificate") {
			t.Fatalf("the architect's certificate of completion is not asked for: %v", missing)
		}
		awKind, err := permit.Casablanca().Kind(permit.KindConformity)
		if err != nil {
			t.Fatal(err)
		}
		docs := permitDocuments(t, awKind, missing)
		for _, code := range missing {
			upload(owner, aw, code, docs[code])
		}
		owner.follow("check your answers", 200, chromedp.Click(chromedp.CSS(`main a.button.start[href="`+aw+`/check"]`)))
		owner.checkAxe()
		submit(owner, "submit the conformity certificate", `form[action="`+aw+`/submit"] button[type=submit]`)
		wantFact(owner, cat, i18n.AR, "permit.files.fact.state", cat.T(i18n.AR, "permit.state.submitted"))
		owner.checkConsole("")
	})

	step("the window accepts it and dispatches it to the inspection", func(t *testing.T) {
		agent := agent.in(t)
		agent.open(aw, 200)
		confirmOn(agent, aw, "accept")
		wantText(agent, "main", cat.T(fr, "permit.files.done.accepted"))
		confirmOn(agent, aw, "dispatch")
		wantText(agent, "main", cat.T(fr, "permit.files.done.dispatched"))
	})

	inspectors := seatsOf(awID)
	if len(inspectors) < 2 {
		t.Fatalf("%d bodies inspect the building", len(inspectors))
	}
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
	step("each inspecting member adds a photo and finds the building conform", func(t *testing.T) {
		for i, s := range inspectors {
			tb, ok := members[s.email]
			if !ok {
				tb = b.newTab(outer, srv, desktop)
				tb.setLanguage("fr")
				members[s.email] = tb
				signIn(tb.in(t), s.email, true)
			}
			m := tb.in(t)
			m.open(aw, 200)
			m.do(chromedp.SetUploadFiles(chromedp.CSS("#photos-photos"), []string{photo}))
			submit(m, "add the visit's photo", `form[action="`+aw+`/inspection/photos"] button[type=submit]`)
			if count(m, `main a[href^="`+aw+`/inspection/photos/"]`) == 0 {
				t.Fatalf("%s's photo is not on the file", s.body)
			}
			if i == 0 {
				m.checkAxe()
				snap(m, "inspection")
			}
			m.do(chromedp.Click(chromedp.CSS("#verdict-favourable")))
			confirmOn(m, aw, "opinion")
			m.checkConsole("")
		}
	})

	step("the secretariat forwards, the president signs the certificate", func(t *testing.T) {
		agent := agent.in(t)
		agent.open(aw, 200)
		confirmOn(agent, aw, "forward")
		wantText(agent, "main", cat.T(fr, "permit.files.done.forwarded"))
		pres := pres.in(t)
		pres.open(aw, 200)
		submit(pres, "ask to grant", `form[method=get][action="`+aw+`/grant"] button[type=submit]`)
		pres.checkAxe()
		pres.do(chromedp.SendKeys(chromedp.CSS("#pin"), "246813"))
		submit(pres, "grant", `form[method=post][action="`+aw+`/grant"] button[type=submit]`)
		wantText(pres, "main", cat.T(fr, "permit.files.done.granted"))
		pres.checkConsole("")
	})

	step("the holder downloads the signed conformity certificate", func(t *testing.T) {
		owner := owner.in(t)
		owner.open(aw, 200)
		wantFact(owner, cat, i18n.AR, "permit.files.fact.state", cat.T(i18n.AR, "permit.state.approved"))
		owner.checkAxe()
		snap(owner, "conformity-delivered")
		body := download(t, owner, aw+"/decision.pdf")
		out := padestest.Pdfsig(t, padestest.NSSDB(t, rootCert(t, srv.URL)), body)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the conformity certificate:\n%s", out)
		}
		if last := strings.Split(presidents[window], "@")[0]; !strings.Contains(strings.ToLower(out), strings.Split(last, ".")[1]) {
			t.Errorf("the conformity certificate is not signed by the president:\n%s", out)
		}
	})
}

// download fetches path in tb's session and returns its bytes; anything
// but 200 fails the test.
func download(t *testing.T, tb *tab, path string) []byte {
	t.Helper()
	r := eval[struct {
		Status int
		Body   string
	}](tb, `fetch(`+strconv.Quote(path)+`).then(async r => {
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ''; for (const c of b) s += String.fromCharCode(c);
		return {status: r.status, body: btoa(s)};
	})`)
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil || r.Status != 200 {
		t.Fatalf("%s answered %d (%v)", path, r.Status, err)
	}
	return b
}

// rootCert is the server's root certificate, as anyone downloads it.
func rootCert(t *testing.T, base string) *x509.Certificate {
	t.Helper()
	resp, err := http.Get(base + "/pki/root.crt")
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	root, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// snap saves, with MADINA_SCREENSHOTS=dir, the page tb shows at 390 and
// 1366 pixels in Arabic and French, to look at; the tab is back at its
// size and in French afterwards.
func snap(tb *tab, name string) {
	tb.t.Helper()
	dir := os.Getenv("MADINA_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	here := eval[string](tb, `location.pathname + location.search`)
	for _, lang := range []string{"ar", "fr"} {
		tb.setLanguage(lang)
		tb.open(here, 200)
		for _, v := range []viewport{phone390, laptop1366} {
			tb.do(viewportAction(v))
			shot(tb, filepath.Join(dir, fmt.Sprintf("journey-%s-%d-%s.png", name, v.width, lang)))
		}
	}
	tb.setLanguage("fr")
	tb.do(viewportAction(desktop))
	tb.open(here, 200)
}
