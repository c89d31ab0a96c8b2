package permit_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// The applicant's journey on a draft: a task list with each section's
// state, "check your answers" with change links before submission; after
// submission the applicant and the agent still read everything that was
// filed; a return is a banner with its reasons at the top of the file.
func TestApplicantJourneyTaskListCheckAndSummary(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		owner := apptest.NewBrowser(t, srv.URL)
		owner.SignIn("fatima.benali@example.ma", false)
		owner.SetLang(i18n.FR)
		code, _, h := owner.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}})
		apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
		page := strings.TrimSuffix(h.Get("Location"), "?done=created")
		check := page + "/check"

		// A new draft: nothing started, submission not yet possible.
		_, body, _ := owner.Get(page)
		tasks := section(body, "tasks-heading")
		if !strings.Contains(tasks, `href="#address"`) || !strings.Contains(tasks, `tag-grey">Non commencé<`) ||
			strings.Contains(tasks, `href="`+check+`"`) || !strings.Contains(tasks, "Pas encore possible") {
			t.Fatalf("task list of a new draft:\n%s", tasks)
		}
		if strings.Contains(body, `href="`+check+`"`) {
			t.Fatal("the draft links to check your answers before it is complete")
		}
		// Check your answers on an incomplete draft lists what is missing
		// and offers no submission.
		code, body, _ = owner.Get(check)
		if code != http.StatusOK || !strings.Contains(body, "Il manque encore") || strings.Contains(body, `action="`+page+`/submit"`) {
			t.Fatalf("check on an incomplete draft: %d\n%s", code, apptest.Grep(body, "manque"))
		}

		// Half the place: in progress (yellow).
		draft := url.Values{"address": {"12 rue Ibn Batouta"}}
		code, _, h = owner.Act(page, page, draft)
		apptest.WantStatus(t, "save address", code, http.StatusSeeOther, h)
		_, body, _ = owner.Get(page)
		if tasks := section(body, "tasks-heading"); !strings.Contains(tasks, `tag-yellow">Incomplet<`) {
			t.Fatalf("task list with the address only:\n%s", tasks)
		}

		draft = url.Values{"title": {"Réfection de la façade"}, "address": {"12 rue Ibn Batouta"}, "arrondissement": {"maarif"},
			"lat": {"33.5850"}, "lon": {"-7.6320"}, "field_owner_kind": {"person"},
			"field_works_description": {"Réfection de la façade et de l’étanchéité du toit."}}
		code, _, h = owner.Act(page, page, draft)
		apptest.WantStatus(t, "save draft", code, http.StatusSeeOther, h)
		for _, item := range []string{"application", "cin", "ownership", "photos", "works_note"} {
			code, _, h = owner.Upload(page, item, item+".pdf", apptest.TinyPDF(item))
			apptest.WantStatus(t, "upload "+item, code, http.StatusSeeOther, h)
		}
		_, body, _ = owner.Get(page)
		tasks = section(body, "tasks-heading")
		if strings.Count(tasks, `tag-green">Terminé<`) != 3 || strings.Contains(tasks, "Incomplet") || !strings.Contains(tasks, `href="`+check+`"`) {
			t.Fatalf("task list of a complete draft:\n%s", tasks)
		}
		if !strings.Contains(section(body, "checklist-heading"), `tag-green">Reçue<`) {
			t.Fatal("uploaded items are not shown as received")
		}

		// The same file uploaded for two items is flagged on both.
		if strings.Contains(body, "Fichier en double") {
			t.Fatal("distinct files flagged as duplicates")
		}
		code, _, h = owner.Upload(page, "works_note", "note.pdf", apptest.TinyPDF("cin"))
		apptest.WantStatus(t, "upload the ID card as the note", code, http.StatusSeeOther, h)
		_, body, _ = owner.Get(page)
		for _, item := range []string{"cin", "works_note"} {
			li := regexp.MustCompile(`(?s)<li id="item-` + item + `">.*?</li>`).FindString(body)
			if !strings.Contains(li, "Fichier en double") {
				t.Fatalf("item %s not flagged as the same file:\n%s", item, li)
			}
		}
		code, _, h = owner.Upload(page, "works_note", "works_note.pdf", apptest.TinyPDF("works_note, again"))
		apptest.WantStatus(t, "upload the note again", code, http.StatusSeeOther, h)
		if _, body, _ = owner.Get(page); strings.Contains(body, "Fichier en double") {
			t.Fatal("the flag stays once the files differ")
		}

		// Check your answers: every answer with its change link, then submit.
		code, body, _ = owner.Get(check)
		for _, want := range []string{"Vérifiez vos réponses", "12 rue Ibn Batouta", "Réfection de la façade et de l’étanchéité du toit.",
			`href="` + page + `#address"`, `href="` + page + `#field_works_description"`, `href="` + page + `#item-photos"`,
			"photos.pdf", "works_note.pdf", `action="` + page + `/submit"`} {
			if code != http.StatusOK || !strings.Contains(body, html.EscapeString(want)) && !strings.Contains(body, want) {
				t.Fatalf("check your answers: %d, no %q", code, want)
			}
		}
		code, _, h = owner.Act(check, page+"/submit", url.Values{})
		apptest.WantStatus(t, "submit", code, http.StatusSeeOther, h)
		if code, _, h := owner.Get(check); code != http.StatusSeeOther || h.Get("Location") != page {
			t.Fatalf("check a submitted file: %d %s", code, h.Get("Location"))
		}

		// Submitted: no draft, no task list, but everything as filed.
		_, body, _ = owner.Get(page)
		sum := section(body, "summary-heading")
		for _, want := range []string{"Réfection de la façade et de l’étanchéité du toit.", "12 rue Ibn Batouta", "Maârif", "33.585, -7.632", "Fatima"} {
			if !strings.Contains(sum, want) {
				t.Fatalf("the submitted file's summary lacks %q:\n%s", want, sum)
			}
		}
		if strings.Contains(body, `id="tasks-heading"`) || strings.Contains(sum, "Modifier") {
			t.Fatal("a submitted file shows the task list or change links")
		}

		// The agent reads the same; returns the file with reasons.
		agent := apptest.NewBrowser(t, srv.URL)
		agent.SignIn("souad.chraibi@example.ma", true)
		agent.SetLang(i18n.FR)
		_, body, _ = agent.Get(page)
		if sum := section(body, "summary-heading"); !strings.Contains(sum, "Réfection de la façade et de l’étanchéité du toit.") {
			t.Fatalf("the agent does not see what was filed:\n%s", sum)
		}
		code, _, h = agent.Act(page, page+"/return", url.Values{"missing": {"photos", "cin"}, "note": {"La photo de la façade est floue."}})
		apptest.WantStatus(t, "return", code, http.StatusSeeOther, h)
		_, body, _ = owner.Get(page)
		banner := regexp.MustCompile(`(?s)<div class="banner banner-important"[^>]*aria-labelledby="sendback-title">.*?</div>\s*</div>`).FindString(body)
		if banner == "" || strings.Index(body, banner) > strings.Index(body, `class="facts"`) {
			t.Fatal("no banner of the return above the file's facts")
		}
		for _, want := range []string{"Le guichet vous a renvoyé le dossier", "Pièces demandées (2)", "Photos récentes du site",
			"La photo de la façade est floue.", `href="#checklist-heading"`} {
			if !strings.Contains(banner, want) && !strings.Contains(banner, html.EscapeString(want)) {
				t.Fatalf("the return's banner lacks %q:\n%s", want, banner)
			}
		}
	})
}

// The appointment picker: days first (links), then the free times of the
// chosen day only; a day written in Arabic-Indic digits is understood.
func TestAppointmentPickerDaysThenTimes(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		owner := apptest.NewBrowser(t, srv.URL)
		owner.SignIn("fatima.benali@example.ma", false)
		owner.SetLang(i18n.FR)
		page := submittedRepair(t, owner)

		_, body, _ := owner.Get(page)
		dayRE := regexp.MustCompile(`href="` + regexp.QuoteMeta(page) + `\?day=(\d{4}-\d\d-\d\d)#slots"`)
		days := dayRE.FindAllStringSubmatch(body, -1)
		if len(days) == 1 {
			// Filed late in the week, the receipt's legal deadline leaves
			// one working day: the window books it out, and the page
			// offers the later days, saying they are past the deadline.
			id, _ := strconv.ParseInt(path.Base(page), 10, 64)
			for _, m := range slotRE.FindAllStringSubmatch(body, -1) {
				start, _ := time.Parse(time.RFC3339, html.UnescapeString(m[1]))
				if _, err := a.DB.ExecContext(context.Background(), `INSERT INTO permit_slots (window_code, starts_at, capacity, booked)
					SELECT window_code, $2, 9, 9 FROM permit_files WHERE id = $1
					ON CONFLICT (window_code, starts_at) DO UPDATE SET capacity = 9, booked = 9`, id, start.UTC()); err != nil {
					t.Fatal(err)
				}
			}
			_, body, _ = owner.Get(page)
			days = dayRE.FindAllStringSubmatch(body, -1)
		}
		if len(days) < 2 {
			t.Fatalf("%d days offered as links", len(days))
		}
		times := slotRE.FindAllStringSubmatch(body, -1)
		if len(times) == 0 || len(times) > 30 {
			t.Fatalf("%d times offered at once: one day's, not a wall", len(times))
		}
		dayOf := func(v string) string {
			ts, err := time.Parse(time.RFC3339, html.UnescapeString(v))
			if err != nil {
				t.Fatal(err)
			}
			return ts.In(i18n.Casablanca).Format(time.DateOnly)
		}
		for _, m := range times {
			if dayOf(m[1]) != days[0][1] {
				t.Fatalf("time %s offered under the first day %s", m[1], days[0][1])
			}
		}
		if !strings.Contains(body, `aria-current="date"`) {
			t.Fatal("the chosen day is not marked")
		}
		// The second day, asked for in Arabic-Indic digits.
		second := days[1][1]
		indic := strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩").Replace(second)
		_, body, _ = owner.Get(page + "?day=" + url.QueryEscape(indic))
		times = slotRE.FindAllStringSubmatch(body, -1)
		if len(times) == 0 {
			t.Fatal("no time on the second day")
		}
		for _, m := range times {
			if dayOf(m[1]) != second {
				t.Fatalf("time %s offered under day %s", m[1], second)
			}
		}
		// Nonsense in ?day= falls back to the first day.
		if code, body, _ := owner.Get(page + "?day=" + url.QueryEscape("<b>x</b>")); code != http.StatusOK || !strings.Contains(body, `name="start"`) {
			t.Fatalf("bad day: %d", code)
		}
		code, _, h := owner.Act(page, page+"/appointment", url.Values{"start": {html.UnescapeString(times[0][1])}})
		apptest.WantStatus(t, "book", code, http.StatusSeeOther, h)
	})
}

// submittedRepair files a complete repair permit as the browser's person
// and returns its page.
func submittedRepair(t *testing.T, b *apptest.Browser) string {
	t.Helper()
	code, _, h := b.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}})
	apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
	page := strings.TrimSuffix(h.Get("Location"), "?done=created")
	draft := url.Values{"address": {"12 rue Ibn Batouta"}, "arrondissement": {"maarif"}, "lat": {"33.5850"}, "lon": {"-7.6320"},
		"field_owner_kind": {"person"}, "field_works_description": {"Réfection de la façade."}}
	code, _, h = b.Act(page, page, draft)
	apptest.WantStatus(t, "save", code, http.StatusSeeOther, h)
	for _, item := range []string{"application", "cin", "ownership", "photos", "works_note"} {
		code, _, h = b.Upload(page, item, item+".pdf", apptest.TinyPDF(item))
		apptest.WantStatus(t, "upload "+item, code, http.StatusSeeOther, h)
	}
	code, _, h = b.Act(page, page+"/submit", url.Values{})
	apptest.WantStatus(t, "submit", code, http.StatusSeeOther, h)
	return page
}

// section is the HTML of the section a page's heading id labels.
func section(body, heading string) string {
	i := strings.Index(body, `aria-labelledby="`+heading+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// The kinds a person can file are told before they start: a citizen sees
// that a building permit is filed by a verified architect, with the way
// to mandate one, and no radio to choose it; a verified architect sees
// the kinds their mandates cover, and owners only with what they cover.
func TestNewFileTellsWhoMayFileWhat(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		citizen := apptest.NewBrowser(t, srv.URL)
		citizen.SignIn("fatima.benali@example.ma", false)
		citizen.SetLang(i18n.FR)
		code, body, _ := citizen.Get("/files/new")
		blocked := regexp.MustCompile(`(?s)<li id="blocked-kind-building">.*?</li>`).FindString(body)
		if code != http.StatusOK || blocked == "" || !strings.Contains(blocked, `href="/me/mandates"`) ||
			!strings.Contains(blocked, "architecte vérifié") || strings.Contains(body, `id="kind-building"`) ||
			!strings.Contains(body, `id="kind-repair"`) {
			t.Fatalf("citizen's new file form: %d\n%s", code, blocked)
		}
		// Posting it anyway still says why, at the field.
		code, body, _ = citizen.Post("/files/new", "/files", url.Values{"kind": {"building"}, "owner": {"self"}})
		if code != http.StatusForbidden || !strings.Contains(body, `id="kind-error"`) {
			t.Fatalf("citizen files a building permit: %d", code)
		}

		arch := apptest.NewBrowser(t, srv.URL)
		arch.SignIn("omar.berrada@example.ma", false)
		arch.SetLang(i18n.FR)
		code, body, _ = arch.Get("/files/new")
		if code != http.StatusOK || !strings.Contains(body, `id="kind-building"`) || strings.Contains(body, "blocked-kind-") ||
			!strings.Contains(body, "Seules les autorisations que vous pouvez déposer") {
			t.Fatalf("architect's new file form: %d", code)
		}
		// Every owner offered says what it covers; the mandators' lines
		// name the building permit.
		owners := regexp.MustCompile(`(?s)<input type="radio" id="owner-\d+".*?</label>`).FindAllString(body, -1)
		if len(owners) < 2 {
			t.Fatalf("%d owners offered to the architect", len(owners))
		}
		for _, o := range owners[1:] {
			if !strings.Contains(o, "Le mandat couvre") {
				t.Fatalf("an owner offered without what the mandate covers:\n%s", o)
			}
		}
	})
}

// A procedure page has a contents list and a start button; the list of
// procedures finds one by an everyday word.
func TestProcedurePageStartsAndSearchFindsEverydayWords(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	b.SetLang(i18n.FR)
	code, body, _ := b.Get("/procedures/building")
	if code != http.StatusOK || !strings.Contains(body, `class="button start" href="/files/new?kind=building"`) ||
		!strings.Contains(body, `aria-labelledby="contents-heading"`) || !strings.Contains(body, `href="#documents"`) ||
		!strings.Contains(body, "Un architecte vérifié dépose ce dossier") {
		t.Fatalf("procedure page: %d", code)
	}
	for q, want := range map[string]string{"café": "classified_establishment", "مقهى": "classified_establishment", "épicerie": "auto_entrepreneur"} {
		code, body, _ := b.Get("/procedures?q=" + url.QueryEscape(q))
		if code != http.StatusOK || !strings.Contains(body, `href="/procedures/`+want+`"`) {
			t.Fatalf("search %q: %d, no %s", q, code, want)
		}
	}
	// Signed out, starting goes through sign-in and back to the kind.
	if code, _, h := b.Get("/files/new?kind=building"); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), url.QueryEscape("/files/new?kind=building")) {
		t.Fatalf("start signed out: %d %s", code, h.Get("Location"))
	}
}

// Bad input on the journey: an over-long title is refused with the
// choices kept; a draft saved with Arabic-Indic digits and mixed
// directions keeps what was typed; a failed save loses nothing.
func TestJourneyBadInputKeepsTheDraft(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	owner := apptest.NewBrowser(t, srv.URL)
	owner.SignIn("fatima.benali@example.ma", false)
	owner.SetLang(i18n.AR)
	long := strings.Repeat("بناء ", 60)
	code, body, _ := owner.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}, "title": {long}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="title-error"`) || !regexp.MustCompile(`id="kind-repair" name="kind" value="repair"\s+checked`).MatchString(body) {
		t.Fatalf("over-long title: %d\n%s", code, apptest.Grep(body, "kind-repair"))
	}
	code, _, h := owner.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}})
	apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
	page := strings.TrimSuffix(h.Get("Location"), "?done=created")
	mixed := "12 زنقة Ibn Batouta، الطابق ٢"
	draft := url.Values{"address": {mixed}, "arrondissement": {"maarif"}, "lat": {"٣٣٫٥٨٥"}, "lon": {"-٧٫٦٣٢"},
		"field_owner_kind": {"person"}, "field_works_description": {"إصلاح الواجهة"}}
	code, _, h = owner.Act(page, page, apptest.CloneForm(draft))
	apptest.WantStatus(t, "save with Arabic-Indic digits", code, http.StatusSeeOther, h)
	_, body, _ = owner.Get(page)
	if !strings.Contains(body, `value="33.585"`) || !strings.Contains(body, html.EscapeString(mixed)) && !strings.Contains(body, mixed) {
		t.Fatalf("the draft after Arabic-Indic digits:\n%s", apptest.Grep(body, `id="lat"`))
	}
	// A failed save (an empty address is fine, a latitude of words is
	// not) shows every typed value again.
	bad := apptest.CloneForm(draft)
	bad.Set("lat", "ثلاثة وثلاثون")
	bad.Set("field_works_description", "وصف جديد لم يحفظ بعد")
	code, body, _ = owner.Act(page, page, bad)
	if code != http.StatusBadRequest || !strings.Contains(body, "وصف جديد لم يحفظ بعد") || !strings.Contains(body, `value="ثلاثة وثلاثون"`) {
		t.Fatalf("failed save: %d", code)
	}
	// A photo is previewed on the page; a PDF is not drawn as an image.
	code, _, h = owner.Upload(page, "photos", "facade.png", apptest.TinyPNG())
	apptest.WantStatus(t, "upload a photo", code, http.StatusSeeOther, h)
	code, _, h = owner.Upload(page, "cin", "cin.pdf", apptest.TinyPDF("cin"))
	apptest.WantStatus(t, "upload a PDF", code, http.StatusSeeOther, h)
	_, body, _ = owner.Get(page)
	photo := regexp.MustCompile(`(?s)<li id="item-photos">.*?</li>`).FindString(body)
	if !regexp.MustCompile(`<img class="thumb" src="` + regexp.QuoteMeta(page) + `/documents/\d+" alt="معاينة facade.png"`).MatchString(photo) {
		t.Fatalf("no preview of the photo:\n%s", photo)
	}
	if cin := regexp.MustCompile(`(?s)<li id="item-cin">.*?</li>`).FindString(body); strings.Contains(cin, "<img") {
		t.Fatal("a PDF drawn as an image")
	}
}

// "Which permit do I need?" leads from everyday answers to the procedure,
// with links only, and refuses an unknown question or answer.
func TestWhichPermitQuestions(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	b.SetLang(i18n.FR)
	if _, body, _ := b.Get("/procedures"); !strings.Contains(body, `href="/procedures/which"`) {
		t.Fatal("the procedures do not link to the questions")
	}
	code, body, _ := b.Get("/procedures/which")
	if code != http.StatusOK || !strings.Contains(body, "Que voulez-vous faire ?") || !strings.Contains(body, `href="/procedures/which?q=start&amp;a=business"`) {
		t.Fatalf("first question: %d", code)
	}
	code, _, h := b.Get("/procedures/which?q=start&a=business")
	if code != http.StatusSeeOther || h.Get("Location") != "/procedures/which?q=business" {
		t.Fatalf("a café owner's first answer: %d %s", code, h.Get("Location"))
	}
	code, body, _ = b.Get("/procedures/which?q=business&a=classified")
	if code != http.StatusOK || !strings.Contains(body, `href="/procedures/classified_establishment"`) ||
		!strings.Contains(body, `href="/files/new?kind=classified_establishment"`) || strings.Contains(body, `href="/procedures/auto_entrepreneur"`) {
		t.Fatalf("a café: %d", code)
	}
	for _, bad := range []string{"?q=nope", "?q=start&a=nope", "?q=business&a=build"} {
		if code, _, _ := b.Get("/procedures/which" + bad); code != http.StatusNotFound {
			t.Fatalf("%s: %d", bad, code)
		}
	}
}
