package permit_test

import (
	"bytes"
	"context"
	"html"
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
	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

var (
	slotRE   = regexp.MustCompile(`name="start" value="([^"]+)"`)
	fileIDRE = regexp.MustCompile(`^/files/(\d+)\?done=created$`)
	numberRE = regexp.MustCompile(`MAARIF-20\d\d-\d{5}`)
)

// withBaseURL gives the application a public address (appointment
// invitations carry links).
var withBaseURL = apptest.Config(func(c *config.Config) { c.BaseURL = "http://madina.test" })

// newFilesApp is the real application on a fresh database of engine e,
// with a public address.
func newFilesApp(t *testing.T, e db.Engine) *app.App {
	t.Helper()
	return apptest.New(t, e, withBaseURL)
}

func TestFilesOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		// Signed-out visitors are sent to sign in and back.
		anon := apptest.NewBrowser(t, srv.URL)
		if code, _, h := anon.Get("/files"); code != http.StatusSeeOther || h.Get("Location") != "/signin?next=%2Ffiles" {
			t.Fatalf("anonymous /files: %d %s", code, h.Get("Location"))
		}

		owner := apptest.NewBrowser(t, srv.URL)
		owner.SignIn("fatima.benali@example.ma", false)
		owner.SetLang(i18n.FR)
		if code, body, _ := owner.Get("/files"); code != http.StatusOK || !strings.Contains(body, "Vous n’avez encore aucun dossier") ||
			!strings.Contains(body, `href="/files/new"`) || !strings.Contains(body, `href="/files" aria-current="page"`) {
			t.Fatalf("empty list: %d", code)
		}
		code, body, _ := owner.Get("/files/new")
		if code != http.StatusOK || !strings.Contains(body, "Autorisation de réfection") || !strings.Contains(body, `href="/procedures/repair"`) ||
			!strings.Contains(body, "Moi-même, ") || !strings.Contains(body, `id="family-economic"`) {
			t.Fatalf("new file form: %d", code)
		}

		// The form says what is wrong, next to the field.
		code, body, _ = owner.Post("/files/new", "/files", url.Values{"owner": {"self"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `id="kind-error"`) || !strings.Contains(body, "Choisissez la nature de l’autorisation") {
			t.Fatalf("no kind: %d", code)
		}
		code, _, h := owner.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}, "title": {"Réfection de la façade"}})
		apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
		m := fileIDRE.FindStringSubmatch(h.Get("Location"))
		if m == nil {
			t.Fatalf("create went to %q", h.Get("Location"))
		}
		page := "/files/" + m[1]
		code, body, _ = owner.Get(h.Get("Location"))
		if code != http.StatusOK || !strings.Contains(body, "Dossier créé.") || !strings.Contains(body, "Brouillon") ||
			!strings.Contains(body, "Ce qui manque avant le dépôt") || !strings.Contains(body, "Manquante") {
			t.Fatalf("new file page: %d", code)
		}

		// Save the draft; a stale version is refused with the file as it is now.
		draft := url.Values{"title": {"Réfection de la façade"}, "address": {"12 rue Ibn Batouta"}, "arrondissement": {"maarif"},
			"lat": {"33.5850"}, "lon": {"-7.6320"}, "field_owner_kind": {"person"},
			"field_works_description": {"Réfection de la façade et de l’étanchéité du toit."}}
		stale := owner.Version(page)
		code, _, h = owner.Act(page, page, apptest.CloneForm(draft))
		apptest.WantStatus(t, "save draft", code, http.StatusSeeOther, h)
		changed := apptest.CloneForm(draft)
		changed.Set("address", "99 boulevard d’Anfa")
		changed.Set("version", stale)
		code, body, _ = owner.Post(page, page, changed)
		if code != http.StatusConflict || !strings.Contains(body, "Quelqu’un a modifié ce dossier") || !strings.Contains(body, `value="12 rue Ibn Batouta"`) {
			t.Fatalf("stale save: %d", code)
		}
		// An invalid value is shown at its field.
		bad := apptest.CloneForm(draft)
		bad.Set("lat", "quarante")
		if code, body, _ = owner.Act(page, page, bad); code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) ||
			!strings.Contains(body, `value="quarante"`) {
			t.Fatalf("bad latitude: %d", code)
		}

		// A PNG named .pdf is refused, in the page's language, at its item.
		code, body, _ = owner.Upload(page, "application", "demande.pdf", apptest.TinyPNG())
		if code < 400 || code >= 500 || !strings.Contains(body, "Ce type de fichier (PNG) n’est pas accepté") || !strings.Contains(body, `id="file-application-error"`) {
			t.Fatalf("PNG as PDF: %d", code)
		}
		code, body, _ = owner.Upload(page, "application", "demande.pdf", []byte("%PDF-1.7\nnot really a PDF\n"))
		if code != http.StatusBadRequest || !strings.Contains(body, "Ce PDF est endommagé") {
			t.Fatalf("broken PDF: %d", code)
		}
		for _, item := range []string{"application", "cin", "ownership", "photos", "works_note"} {
			code, _, h = owner.Upload(page, item, item+".pdf", apptest.TinyPDF(item))
			apptest.WantStatus(t, "upload "+item, code, http.StatusSeeOther, h)
		}
		code, body, _ = owner.Get(page)
		if code != http.StatusOK || strings.Contains(body, "Ce qui manque avant le dépôt") || strings.Contains(body, ">Manquante<") ||
			!strings.Contains(body, "works_note.pdf") || !strings.Contains(body, "1 page") || !strings.Contains(body, "Le dossier est complet de votre côté") {
			t.Fatalf("complete checklist: %d", code)
		}
		dl := regexp.MustCompile(`href="(` + page + `/documents/\d+)"`).FindStringSubmatch(body)
		if dl == nil {
			t.Fatal("no download link")
		}
		if code, got, h := owner.Get(dl[1]); code != http.StatusOK || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(got, "%PDF-") {
			t.Fatalf("download: %d %s", code, h.Get("Content-Type"))
		}

		// Submit, then book a deposit slot.
		code, _, h = owner.Act(page, page+"/submit", url.Values{})
		apptest.WantStatus(t, "submit", code, http.StatusSeeOther, h)
		code, body, _ = owner.Get(page)
		if code != http.StatusOK || !strings.Contains(body, "Déposé, en vérification au guichet") || !strings.Contains(body, "Choisir un créneau") {
			t.Fatalf("submitted page: %d", code)
		}
		slot := slotRE.FindStringSubmatch(body)
		if slot == nil {
			t.Fatal("no slot offered")
		}
		code, _, h = owner.Act(page, page+"/appointment", url.Values{"start": {html.UnescapeString(slot[1])}})
		apptest.WantStatus(t, "book", code, http.StatusSeeOther, h)
		if _, body, _ = owner.Get(page); !strings.Contains(body, "Rendez-vous : ") || !strings.Contains(body, "Annuler le rendez-vous") ||
			!strings.Contains(body, "Rendez-vous de dépôt réservé") {
			t.Fatal("the appointment is not shown")
		}

		// An agent of another window does not see the file.
		other := apptest.NewBrowser(t, srv.URL)
		other.SignIn("abdelkader.fassi@example.ma", true)
		if code, _, _ := other.Get(page); code != http.StatusNotFound {
			t.Fatalf("agent of another window: %d", code)
		}
		if code, _, _ := other.Get("/window/maarif"); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Fatalf("another window's queue: %d", code)
		}

		// The window's agent finds it in the queue and returns it.
		agent := apptest.NewBrowser(t, srv.URL)
		agent.SignIn("souad.chraibi@example.ma", true)
		agent.SetLang(i18n.FR)
		if code, _, h := agent.Get("/window"); code != http.StatusSeeOther || h.Get("Location") != "/window/maarif" {
			t.Fatalf("/window: %d %s", code, h.Get("Location"))
		}
		code, body, _ = agent.Get("/window/maarif?tab=new")
		if code != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "Fatima") ||
			!strings.Contains(body, `Nouveaux dépôts <span class="tab-count">1</span>`) {
			t.Fatalf("queue: %d", code)
		}
		// Looked up by a part of its reference, in lower case.
		ref := regexp.MustCompile(`F20\d\d-[0-9A-Z]{6}`).FindString(body)
		code, body, _ = agent.Get("/window/maarif?q=" + url.QueryEscape(strings.ToLower(ref[6:])))
		if code != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "Dossiers correspondant") {
			t.Fatalf("look-up of %s: %d", ref, code)
		}
		if code, body, _ := agent.Get("/window/maarif?q=ZZZZZZ"); code != http.StatusOK || strings.Contains(body, `href="`+page+`"`) {
			t.Fatalf("look-up of nothing: %d", code)
		}
		if code, _, _ := agent.Get("/window/maarif?tab=nope"); code != http.StatusBadRequest {
			t.Fatalf("unknown tab: %d", code)
		}
		code, body, _ = agent.Act(page, page+"/return", url.Values{})
		if code != http.StatusBadRequest || !strings.Contains(body, `id="return-missing-error"`) {
			t.Fatalf("empty return: %d", code)
		}
		code, _, h = agent.Act(page, page+"/return", url.Values{"missing": {"photos"}, "note": {"La photo de la façade est floue."}})
		apptest.WantStatus(t, "return", code, http.StatusSeeOther, h)

		// The owner sees what the window asks for, uploads it again and resubmits.
		code, body, _ = owner.Get(page)
		if code != http.StatusOK || !strings.Contains(body, "Renvoyé pour complément") || !strings.Contains(body, "Demandée par le guichet") ||
			!strings.Contains(body, "Pièces demandées : Photos récentes du site") ||
			!strings.Contains(body, "Note du guichet : La photo de la façade est floue.") || !strings.Contains(body, "Le guichet") {
			t.Fatalf("returned page: %d\n%s", code, apptest.Grep(body, "Pièces demandées"))
		}
		code, _, h = owner.Upload(page, "photos", "photos-nettes.pdf", apptest.TinyPDF("photos v2"))
		apptest.WantStatus(t, "upload again", code, http.StatusSeeOther, h)
		if _, body, _ = owner.Get(page); !strings.Contains(body, "version 2") || !strings.Contains(body, "Redéposer le dossier") {
			t.Fatal("second version not shown")
		}
		code, _, h = owner.Act(page, page+"/submit", url.Values{})
		apptest.WantStatus(t, "resubmit", code, http.StatusSeeOther, h)

		// A stale action is refused with the conflict message.
		stale = agent.Version(page)
		code, _, h = owner.Act(page, page+"/appointment/cancel", url.Values{})
		apptest.WantStatus(t, "cancel appointment", code, http.StatusSeeOther, h)
		code, body, _ = agent.Post(page, page+"/accept", url.Values{"version": {stale}})
		if code != http.StatusConflict || !strings.Contains(body, "Quelqu’un a modifié ce dossier") {
			t.Fatalf("stale accept: %d", code)
		}

		// The agent accepts: the file has its official number.
		code, _, h = agent.Act(page, page+"/accept", url.Values{})
		apptest.WantStatus(t, "accept", code, http.StatusSeeOther, h)
		code, body, _ = agent.Get(page)
		number := numberRE.FindString(body)
		if code != http.StatusOK || number == "" || !strings.Contains(body, "Accepté (dossier complet)") {
			t.Fatalf("accepted page: %d", code)
		}
		if _, body, _ = owner.Get(page); !strings.Contains(body, number) || !strings.Contains(body, `href="`+page+`/receipt.pdf"`) {
			t.Fatal("the owner does not see the number and the receipt")
		}
		if code, got, h := owner.Get(page + "/receipt.pdf"); code != http.StatusOK || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(got, "%PDF-") {
			t.Fatalf("receipt: %d %s", code, h.Get("Content-Type"))
		}

		// Anyone with the number and the code tracks it, in Arabic, without personal data.
		var trackCode string
		if err := a.DB.QueryRowContext(ctx, `SELECT tracking_code FROM permit_files WHERE number = $1`, number).Scan(&trackCode); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, trackCode) {
			t.Fatal("the file page does not show the tracking code")
		}
		code, body, trackHeader := anon.Get("/track?" + url.Values{"number": {number}, "code": {trackCode}}.Encode())
		if trackHeader.Get("Cache-Control") != httpx.CachePrivate {
			t.Errorf("tracking result cached: %q", trackHeader.Get("Cache-Control"))
		}
		if code != http.StatusOK || !strings.Contains(body, `lang="ar"`) || !strings.Contains(body, "مقبول (ملف كامل)") ||
			!strings.Contains(body, "رخصة الإصلاح") || strings.Contains(body, "Fatima") || strings.Contains(body, "Ibn Batouta") ||
			strings.Contains(body, "floue") {
			t.Fatalf("tracking: %d", code)
		}
		code, body, _ = anon.Get("/track?" + url.Values{"number": {number}, "code": {"WRONG234"}}.Encode())
		if code != http.StatusNotFound || !strings.Contains(body, `id="number"`) {
			t.Fatalf("wrong code: %d", code)
		}
		if code, _, _ := anon.Get("/track?number=" + number); code != http.StatusBadRequest {
			t.Fatalf("number without code: %d", code)
		}

		// The owner's list shows the file and its state.
		if _, body, _ = owner.Get("/files"); !strings.Contains(body, number) || !strings.Contains(body, "Accepté (dossier complet)") {
			t.Fatal("the list does not show the accepted file")
		}
	})
}

// TestFilePagesInEveryLanguage renders the file pages in the three
// languages and looks for untranslated keys.
func TestFilePagesInEveryLanguage(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	owner := apptest.NewBrowser(t, srv.URL)
	owner.SignIn("fatima.benali@example.ma", false)
	// A building permit needs an architect: the owner is told so on the form.
	code, body, _ := owner.Post("/files/new", "/files", url.Values{"kind": {"building"}, "owner": {"self"}})
	if code != http.StatusForbidden || !strings.Contains(body, `id="kind-error"`) || !strings.Contains(body, "architecte") && !strings.Contains(body, "مهندس") {
		t.Fatalf("building permit by its owner: %d", code)
	}
	_, _, h := owner.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}})
	page := strings.TrimSuffix(h.Get("Location"), "?done=created")
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("souad.chraibi@example.ma", true)
	anon := apptest.NewBrowser(t, srv.URL)
	want := map[string]map[i18n.Lang]string{
		"/files":                 {i18n.AR: "ملفاتي", i18n.FR: "Mes dossiers", i18n.EN: "My files"},
		"/files/new":             {i18n.AR: "صاحب المشروع", i18n.FR: "Maître d’ouvrage", i18n.EN: "Project owner"},
		page:                     {i18n.AR: "مسودة", i18n.FR: "Brouillon", i18n.EN: "Draft"},
		"/window/maarif":         {i18n.AR: "الأكثر استعجالا", i18n.FR: "Les plus urgents", i18n.EN: "Most urgent"},
		"/track":                 {i18n.AR: "تتبع ملف", i18n.FR: "Suivre un dossier", i18n.EN: "Track a file"},
		"/track?number=X&code=Y": {i18n.AR: "لا يوجد ملف يطابق", i18n.FR: "Aucun dossier", i18n.EN: "No file matches"},
	}
	for path, texts := range want {
		b := owner
		switch {
		case strings.HasPrefix(path, "/window"):
			b = agent
		case strings.HasPrefix(path, "/track"):
			b = anon
		}
		for _, l := range i18n.Langs {
			b.SetLang(l)
			code, body, _ := b.Get(path)
			if code != http.StatusOK && !(strings.Contains(path, "number=") && code == http.StatusNotFound) {
				t.Errorf("%s in %s: %d", path, l, code)
			}
			if !strings.Contains(body, `<html lang="`+string(l)+`" dir="`+l.Dir()+`">`) || !strings.Contains(body, texts[l]) {
				t.Errorf("%s in %s: wrong language or missing %q", path, l, texts[l])
			}
			if ks := apptest.Untranslated(a); len(ks) > 0 {
				t.Errorf("%s in %s: keys without a text %q", path, l, ks)
			}
			if regexp.MustCompile(`<script>|style="|<style`).MatchString(body) {
				t.Errorf("%s in %s: inline script or style", path, l)
			}
		}
	}
}

// TestOfficerAsksForMoreOverHTTP: on an economic file under review, the
// officer asks for a document; the applicant sees what is asked, uploads it
// and answers; the file is back under review.
func TestOfficerAsksForMoreOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		person := func(email string) int64 {
			p, err := a.Identity.PersonByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		now := time.Now()
		owner := authz.Actor{Person: person("youssef.elamrani@example.ma"), EmailVerified: true, Now: now}
		officer := authz.Actor{Person: person("souad.chraibi@example.ma"), EmailVerified: true, MFA: true, Now: now,
			Grants: []authz.Grant{{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"}}}
		f, err := a.Permit.Create(ctx, owner, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
			Arrondissement: "maarif", Fields: permit.Values{"ae_number": "AE-99310", "activity": "Graphisme"}})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := a.Permit.View(ctx, owner, f.ID)
		for _, item := range v.Missing {
			if _, err := a.Permit.AddDocument(ctx, owner, f.ID, item, item+".pdf", bytes.NewReader(apptest.TinyPDF(item))); err != nil {
				t.Fatal(err)
			}
		}
		if f, err = a.Permit.Submit(ctx, owner, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err = a.Permit.Accept(ctx, officer, f.ID, f.Version); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		page := "/files/" + strconv.FormatInt(f.ID, 10)

		agent := apptest.NewBrowser(t, srv.URL)
		agent.SignIn("souad.chraibi@example.ma", true)
		agent.SetLang(i18n.FR)
		code, body, h := agent.Act(page, page+"/ask", url.Values{"missing": {"premises_sketch"}, "note": {"Il manque le croquis du local."}})
		apptest.WantStatus(t, "ask", code, http.StatusSeeOther, h)
		if _, body, _ = agent.Get(page); !strings.Contains(body, "Compléments demandés au demandeur") || strings.Contains(body, page+"/ask") {
			t.Fatalf("agent's page after asking:\n%s", apptest.Grep(body, "<h1"))
		}

		applicant := apptest.NewBrowser(t, srv.URL)
		applicant.SignIn("youssef.elamrani@example.ma", false)
		applicant.SetLang(i18n.AR)
		if _, body, _ = applicant.Get(page); !strings.Contains(body, page+"/answer") || !strings.Contains(body, "Il manque le croquis du local.") {
			t.Fatal("the applicant does not see what is asked, or cannot answer")
		}
		code, _, h = applicant.Upload(page, "premises_sketch", "croquis.pdf", apptest.TinyPDF("croquis"))
		apptest.WantStatus(t, "upload", code, http.StatusSeeOther, h)
		code, _, h = applicant.Act(page, page+"/answer", url.Values{})
		apptest.WantStatus(t, "answer", code, http.StatusSeeOther, h)
		if f, _ = a.Permit.Get(ctx, owner, f.ID); f.State != permit.UnderReview {
			t.Fatalf("after the answer: %s", f.State)
		}
		if _, body, _ = agent.Get(page); !strings.Contains(body, page+"/approve") {
			t.Fatal("the officer cannot decide after the answer")
		}
	})
}
