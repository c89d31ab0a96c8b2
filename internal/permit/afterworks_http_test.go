package permit_test

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestAfterWorksOverHTTP, in the demonstration: the holder of a granted
// building permit finds "Declare the works complete" on its page (French,
// Arabic right to left), declares it in one action and lands on the new
// file, prefilled, which asks for the architect's certificate; a second
// declaration is refused with the number of the first. On the habitation
// permit pending its inspection, the commune's member sees the visit on
// the committee's calendar and adds a photo — a PDF is refused, a PNG
// taken — which the applicant sees. Before the legal month passes the
// recourse is refused, saying until when; once the clock records the
// referral, the applicant files it in one action, once; the window's
// agent sees it on the file.
func TestAfterWorksOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	ctx := context.Background()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()

	// A granted building permit of a person, not followed yet.
	var permitID int64
	var email string
	if err := a.DB.QueryRowContext(ctx, `SELECT f.id, p.email FROM permit_files f JOIN persons p ON p.id = f.owner_person_id
		WHERE f.kind = 'building' AND f.state = 'approved' AND NOT EXISTS (SELECT 1 FROM permit_after_works w WHERE w.parent_id = f.id)
		ORDER BY f.id LIMIT 1`).Scan(&permitID, &email); err != nil {
		t.Fatalf("a granted building permit: %v", err)
	}
	// The demonstration's owners have no password; this one gets the
	// demonstration accounts' (the same hash), to sign in.
	for _, who := range []string{email, applicantOf(t, a)} {
		if _, err := a.DB.ExecContext(ctx, `UPDATE persons SET password_hash = (SELECT password_hash FROM persons
			WHERE email = 'youssef.elamrani@example.ma') WHERE email = $1`, who); err != nil {
			t.Fatal(err)
		}
	}
	page := "/files/" + strconv.FormatInt(permitID, 10)
	owner := apptest.NewBrowser(t, srv.URL)
	owner.SignIn(email, false)
	owner.SetLang(i18n.AR)
	if _, body, _ := owner.Get(page); !strings.Contains(body, `dir="rtl"`) || !strings.Contains(body, "التصريح بانتهاء الأشغال") ||
		!strings.Contains(body, `action="`+page+`/completion"`) {
		t.Fatalf("the permit's page in Arabic offers no declaration:\n%s", apptest.Grep(body, "completion"))
	}
	owner.SetLang(i18n.FR)
	_, body, _ := owner.Get(page)
	if !strings.Contains(html.UnescapeString(body), "Déclarer l’achèvement des travaux") {
		t.Fatalf("the permit's page in French:\n%s", apptest.Grep(body, "completion"))
	}
	code, _, h := owner.Post(page, page+"/completion", url.Values{})
	apptest.WantStatus(t, "declare", code, http.StatusSeeOther, h)
	m := regexp.MustCompile(`^/files/(\d+)\?done=declared`).FindStringSubmatch(h.Get("Location"))
	if m == nil {
		t.Fatalf("the declaration leads to %q", h.Get("Location"))
	}
	child := "/files/" + m[1]
	_, body, _ = owner.Get(h.Get("Location"))
	text := html.UnescapeString(body)
	var number string
	if err := a.DB.QueryRowContext(ctx, `SELECT number FROM permit_files WHERE id = $1`, permitID).Scan(&number); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Achèvement des travaux déclaré") || !strings.Contains(text, "Ce dossier suit le permis") ||
		!strings.Contains(text, number) || !strings.Contains(text, "Certificat de l’architecte attestant la conformité des travaux") ||
		!(strings.Contains(text, "Permis d’habiter") || strings.Contains(text, "Certificat de conformité")) {
		t.Fatalf("the new file's page:\n%s", apptest.Grep(text, "achèvement"))
	}
	code, body, _ = owner.Post(page, page+"/completion", url.Values{})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "L’achèvement de ces travaux est déjà déclaré") {
		t.Fatalf("a second declaration: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "déclaré"))
	}
	if _, body, _ := owner.Get(page); !strings.Contains(body, `href="`+child+`"`) {
		t.Fatal("the permit's page does not lead to the file after the works")
	}

	// The habitation permit pending its inspection.
	fileID, applicant := pendingInspection(t, a)
	hab := "/files/" + strconv.FormatInt(fileID, 10)
	member := apptest.NewBrowser(t, srv.URL)
	member.SignIn("driss.sqalli@example.ma", true)
	member.SetLang(i18n.FR)
	_, body, _ = member.Get(hab)
	text = html.UnescapeString(body)
	if !strings.Contains(text, "Visite prévue le") || !strings.Contains(text, "/committee/sessions/") ||
		!strings.Contains(body, `action="`+hab+`/inspection/photos"`) || !strings.Contains(text, "Conforme avec réserves") {
		t.Fatalf("the member's page of the file:\n%s", apptest.Grep(text, "isite"))
	}
	tok := html.UnescapeString(apptest.CSRFRE.FindStringSubmatch(body)[1])
	// The file is among the member's files to study, its visit among the
	// committee's sittings.
	if _, body, _ := member.Get("/committee"); !strings.Contains(body, `href="`+hab+`"`) ||
		!strings.Contains(html.UnescapeString(body), "Commission de récolement") {
		t.Fatalf("the member's /committee:\n%s", apptest.Grep(html.UnescapeString(body), "récolement"))
	}
	member.SetLang(i18n.EN)
	if _, body, _ := member.Get(hab); !strings.Contains(body, "Inspection visit") || !strings.Contains(body, "Not conform") {
		t.Fatalf("the member's page in English:\n%s", apptest.Grep(body, "isit"))
	}
	member.SetLang(i18n.FR)
	code, body, _ = member.PostMultipart(hab+"/inspection/photos", url.Values{"csrf_token": {tok}}, "photos", "facade.jpg", []byte("%PDF-1.4 not a photo"))
	if code != http.StatusUnsupportedMediaType || !strings.Contains(html.UnescapeString(body), "JPEG ou en PNG") ||
		!strings.Contains(body, `id="photos-photos-error"`) {
		t.Fatalf("a PDF as a photo: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "PNG"))
	}
	code, _, h = member.PostMultipart(hab+"/inspection/photos", url.Values{"csrf_token": {tok}}, "photos", "facade.png", pngPhoto)
	apptest.WantStatus(t, "photo", code, http.StatusSeeOther, h)
	applicantB := apptest.NewBrowser(t, srv.URL)
	applicantB.SignIn(applicant, false)
	applicantB.SetLang(i18n.FR)
	_, body, _ = applicantB.Get(hab)
	text = html.UnescapeString(body)
	pm := regexp.MustCompile(`href="(` + hab + `/inspection/photos/\d+)"`).FindStringSubmatch(body)
	if pm == nil || !strings.Contains(text, "facade.png") || !strings.Contains(text, "Visite prévue le") {
		t.Fatalf("the applicant’s page of the file:\n%.3000s", text)
	}
	if code, got, h := applicantB.Get(pm[1]); code != http.StatusOK || h.Get("Content-Type") != "image/png" || got != string(pngPhoto) {
		t.Fatalf("the photo: %d %s", code, h.Get("Content-Type"))
	}

	// The recourse: not before the month passes.
	code, body, _ = applicantB.Post(hab, hab+"/recourse", url.Values{})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "le recours à l’autorité supérieure n’est possible qu’une fois ce délai passé") {
		t.Fatalf("an early recourse: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "recours"))
	}
	// A month later (its overall deadline moved back), the clock's sweep.
	if _, err := a.DB.ExecContext(ctx, `UPDATE permit_deadlines SET due_at = $1 WHERE file_id = $2 AND step = 'overall' AND met_at IS NULL`,
		time.Now().Add(-time.Hour), fileID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Permit.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	_, body, _ = applicantB.Get(hab)
	text = html.UnescapeString(body)
	if !strings.Contains(text, "Le délai légal d’un mois a expiré le") || !strings.Contains(body, `action="`+hab+`/recourse"`) {
		t.Fatalf("after the month:\n%s", apptest.Grep(text, "recours"))
	}
	code, _, h = applicantB.Post(hab, hab+"/recourse", url.Values{})
	apptest.WantStatus(t, "recourse", code, http.StatusSeeOther, h)
	_, body, _ = applicantB.Get(h.Get("Location"))
	text = html.UnescapeString(body)
	if !strings.Contains(text, "Recours à l’autorité supérieure déposé.") || !strings.Contains(text, "Recours à l’autorité supérieure déposé le") ||
		strings.Contains(body, `action="`+hab+`/recourse"`) {
		t.Fatalf("after the recourse:\n%s", apptest.Grep(text, "ecours"))
	}
	code, body, _ = applicantB.Post(hab, hab+"/recourse", url.Values{})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "a déjà été déposé") {
		t.Fatalf("a second recourse: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "recours"))
	}
	var window string
	if err := a.DB.QueryRowContext(ctx, `SELECT window_code FROM permit_files WHERE id = $1`, fileID).Scan(&window); err != nil {
		t.Fatal(err)
	}
	agentEmail := map[string]string{"city": "amina.idrissi@example.ma", "sidi-othmane": "abdelkader.fassi@example.ma",
		"maarif": "souad.chraibi@example.ma"}[window]
	if agentEmail == "" {
		t.Logf("no demonstration agent at %s: the window's view is checked by the service test", window)
		return
	}
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn(agentEmail, true)
	agent.SetLang(i18n.AR)
	if _, body, _ := agent.Get(hab); !strings.Contains(body, "أودع التظلم لدى السلطة الأعلى في") {
		t.Fatalf("the window does not see the recourse:\n%s", apptest.Grep(body, "التظلم"))
	}
}

// pngPhoto is a small PNG.
var pngPhoto = func() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 3)))
	return b.Bytes()
}()

// pendingInspection is the demonstration's habitation permit pending its
// inspection visit, and the e-mail address of whoever declared it.
func pendingInspection(t *testing.T, a *app.App) (int64, string) {
	t.Helper()
	var id int64
	var email string
	if err := a.DB.QueryRowContext(context.Background(), `SELECT f.id, p.email FROM permit_files f
		JOIN permit_after_works w ON w.file_id = f.id JOIN persons p ON p.id = f.owner_person_id
		WHERE f.kind = 'habitation' AND f.state = 'accepted' AND f.step = 'inspection' AND f.holder = 'committee'`).Scan(&id, &email); err != nil {
		t.Fatalf("the habitation permit pending its inspection: %v", err)
	}
	return id, email
}

func applicantOf(t *testing.T, a *app.App) string {
	_, email := pendingInspection(t, a)
	return email
}
