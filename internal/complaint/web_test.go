package complaint_test

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// A citizen reports a street light in Sidi Moumen from a phone in Arabic;
// Lydec's complaint officer sees it first in the queue, asks, is answered,
// resolves with a public answer; the citizen reopens it as not fixed; the
// public tracking page shows the request with no name and no contact.
func TestRequestJourney(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		// Lydec's committee member also answers Lydec's requests.
		officer := apptest.PersonID(t, a, "laila.kettani@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'lydec', 'complaint_officer', $2)`, officer, time.Now()); err != nil {
			t.Fatal(err)
		}

		citizen := apptest.NewBrowser(t, base)
		citizen.SignIn("fatima.benali@example.ma", false)
		citizen.SetLang(i18n.AR)

		// The category, found by an everyday word in Darija.
		code, body, _ := citizen.Get("/requests/new?q=" + url.QueryEscape("الضو مطفي"))
		if code != http.StatusOK || !strings.Contains(body, `href="/requests/new/lighting"`) || !strings.Contains(body, `dir="rtl"`) {
			t.Fatalf("search: %d\n%s", code, apptest.Grep(body, "requests/new/"))
		}
		code, body, _ = citizen.Get("/requests/new/lighting")
		if code != http.StatusOK || !strings.Contains(body, "الإنارة العمومية") || !strings.Contains(body, `name="photos"`) {
			t.Fatalf("form: %d", code)
		}
		token := html.UnescapeString(apptest.CSRFRE.FindStringSubmatch(body)[1])
		form := url.Values{"csrf_token": {token}, "arrondissement": {"sidi-moumen"}, "lat": {"٣٣٫٥٧٩"}, "lon": {"-7.529"},
			"description": {"الضو مطفي فالزنقة 12 منذ أسبوع.\nعيطو ليا 0612345678"}, "contact": {"sms"}}

		// Everything wrong at once, in Arabic then in French: each mistake
		// on its field, nothing filed.
		bad := apptest.CloneForm(form)
		bad.Set("lat", "48.85")
		bad.Set("lon", "2.35")
		bad.Set("description", "")
		bad.Set("arrondissement", "")
		code, body, _ = citizen.PostMultipart("/requests/new/lighting", bad, "photos", "photo.jpg", tinyJPEG(t))
		if code != http.StatusBadRequest || !strings.Contains(body, "صف المشكل") || !strings.Contains(body, `href="#arrondissement"`) ||
			!strings.Contains(body, `href="#lat"`) {
			t.Fatalf("bad filing: %d\n%s", code, apptest.Grep(body, "error"))
		}
		citizen.SetLang(i18n.FR)
		code, body, _ = citizen.PostMultipart("/requests/new/lighting", bad, "photos", "photo.jpg", []byte("%PDF-1.7 not a photo"))
		if code != http.StatusBadRequest || !strings.Contains(body, "Décrivez le problème") {
			t.Fatalf("bad filing in French: %d\n%s", code, apptest.Grep(body, "error"))
		}
		notPhoto := apptest.CloneForm(form)
		code, body, _ = citizen.PostMultipart("/requests/new/lighting", notPhoto, "photos", "photo.jpg", []byte("%PDF-1.7 not a photo"))
		if code != http.StatusBadRequest || !strings.Contains(body, "pas une photo JPEG ou PNG") {
			t.Fatalf("not a photo: %d\n%s", code, apptest.Grep(body, "error"))
		}
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM complaint_requests`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d requests after refused filings (%v)", n, err)
		}

		// Filed, in Arabic.
		citizen.SetLang(i18n.AR)
		code, _, h := citizen.PostMultipart("/requests/new/lighting", form, "photos", "photo.jpg", tinyJPEG(t))
		if code != http.StatusSeeOther || !regexp.MustCompile(`^/requests/\d+\?done=filed$`).MatchString(h.Get("Location")) {
			t.Fatalf("filing: %d %s", code, h.Get("Location"))
		}
		page := strings.TrimSuffix(h.Get("Location"), "?done=filed")
		code, body, _ = citizen.Get(h.Get("Location"))
		number := regexp.MustCompile(`R\d{4}-\d{6}`).FindString(body)
		trackCode := regexp.MustCompile(`<bdi dir="ltr">([2-9A-Z]{8})</bdi>`).FindStringSubmatch(body)
		if code != http.StatusOK || number == "" || trackCode == nil || !strings.Contains(body, "توصلنا بها") || !strings.Contains(body, page+"/photos/1") {
			t.Fatalf("request page: %d %q %v\n%s", code, number, trackCode, body)
		}
		code, body, _ = citizen.Get("/requests")
		if code != http.StatusOK || !strings.Contains(body, number) || !strings.Contains(body, `href="/requests"`) ||
			strings.Contains(body, `href="/requests/queue"`) {
			t.Fatalf("my requests: %d", code)
		}
		// The reporter is told, with the number and the tracking code.
		if got := apptest.LastNotice(t, a, "complaint.filed", "Code"); got != trackCode[1] {
			t.Errorf("the filing notice gives the code %q, want %q", got, trackCode[1])
		}
		// In the inbox, and by SMS as chosen: not by e-mail.
		var inbox, email int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(CASE WHEN channel = 'inbox' THEN 1 END), count(CASE WHEN channel = 'email' THEN 1 END)
			FROM notify_deliveries WHERE template = 'complaint.filed'`).Scan(&inbox, &email); err != nil || inbox != 1 || email != 0 {
			t.Errorf("filing notices: %d in the inbox, %d by e-mail (%v)", inbox, email, err)
		}

		// Lydec's officer: the queue, then the work.
		staff := apptest.NewBrowser(t, base)
		staff.SignIn("laila.kettani@example.ma", true)
		staff.SetLang(i18n.FR)
		code, body, _ = staff.Get("/requests/queue")
		if code != http.StatusOK || !strings.Contains(body, number) || !strings.Contains(body, "Éclairage public") ||
			!strings.Contains(body, `href="/requests/queue"`) || strings.Contains(body, `href="/requests"`) {
			t.Fatalf("queue: %d\n%s", code, apptest.Grep(body, "requests/"))
		}
		act := func(b *apptest.Browser, change, note string, want int) string {
			t.Helper()
			f := url.Values{"change": {change}, "note": {note}}
			code, body, _ := b.Act(page, page, f)
			if code != want {
				t.Fatalf("%s: %d, want %d\n%s", change, code, want, apptest.Grep(body, "error"))
			}
			return body
		}
		act(staff, "acknowledge", "", http.StatusSeeOther)
		if body := act(staff, "ask", "", http.StatusBadRequest); !strings.Contains(body, "Écrivez votre question au citoyen") {
			t.Fatal("a question without text is not refused with its message")
		}
		act(staff, "ask", "Quel est le numéro du poteau ?", http.StatusSeeOther)
		if got := apptest.LastNotice(t, a, "complaint.ask", "Note"); got != "Quel est le numéro du poteau ?" {
			t.Errorf("the question's notice says %q", got)
		}
		act(citizen, "reply", "L-2231", http.StatusSeeOther)
		// The work planned: a day gone is refused on its field; a day to
		// come is told to the citizen and shown on the page.
		today := calendar.DateOf(time.Now())
		plan := func(day string, want int) string {
			t.Helper()
			code, body, _ := staff.Act(page, page, url.Values{"change": {"plan"}, "planned_for": {day}, "note": {"L'équipe passera le matin."}})
			if code != want {
				t.Fatalf("plan for %s: %d, want %d\n%s", day, code, want, apptest.Grep(body, "error"))
			}
			return body
		}
		if body := plan(today.AddDays(-2).String(), http.StatusBadRequest); !strings.Contains(body, "Indiquez un jour entre aujourd’hui et dans un an") ||
			!strings.Contains(body, `id="planned_for-error"`) {
			t.Error("a plan for a day gone is not refused on its field")
		}
		day := today.AddDays(3)
		plan(day.String(), http.StatusSeeOther)
		if got := apptest.LastNotice(t, a, "complaint.plan", "Planned"); got != i18n.FormatDate(i18n.AR, day.Start()) {
			t.Errorf("the plan's notice gives the day %q, want %q", got, i18n.FormatDate(i18n.AR, day.Start()))
		}
		if _, body, _ := citizen.Get(page); !strings.Contains(body, "موعد الأشغال") || !strings.Contains(body, i18n.FormatDate(i18n.AR, day.Start())) {
			t.Error("the citizen's page does not give the day of the work")
		}
		// Resolved with a photo of the work done: a file that is no photo
		// is refused on its field, in French, and nothing is resolved; the
		// photo is then kept for the reporter and the team only.
		_, staffPage, _ := staff.Get(page)
		staffToken := html.UnescapeString(apptest.CSRFRE.FindStringSubmatch(staffPage)[1])
		resolveForm := url.Values{"csrf_token": {staffToken}, "version": {staff.Version(page)}, "note": {"Lampe remplacée."}}
		code, body, _ = staff.PostMultipart(strings.Replace(page, "/requests/", "/requests/resolve/", 1), resolveForm, "photo", "travaux.pdf", []byte("%PDF-1.7 not a photo"))
		if code != http.StatusBadRequest || !strings.Contains(body, "pas une photo") || !strings.Contains(body, `id="photo-error"`) ||
			!strings.Contains(body, "Lampe remplacée.") {
			t.Fatalf("a work photo that is none: %d\n%s", code, apptest.Grep(body, "error"))
		}
		var works int
		if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM complaint_work_photos`).Scan(&works); err != nil || works != 0 {
			t.Fatalf("%d work photos kept from a refused resolution (%v)", works, err)
		}
		code, _, _ = staff.PostMultipart(strings.Replace(page, "/requests/", "/requests/resolve/", 1), resolveForm, "photo", "travaux.jpg", tinyJPEG(t))
		if code != http.StatusSeeOther {
			t.Fatalf("resolved with a photo: %d", code)
		}
		workPhoto := page + "/work-photos/1"
		neighbour := apptest.NewBrowser(t, base)
		neighbour.SignIn("youssef.elamrani@example.ma", false)
		if _, body, _ := citizen.Get(page); !strings.Contains(body, `src="`+workPhoto+`"`) {
			t.Error("the reporter's page does not show the photo of the work done")
		}
		for _, c := range []struct {
			who  string
			b    *apptest.Browser
			want int
		}{{"the reporter", citizen, http.StatusOK}, {"the team", staff, http.StatusOK}, {"a passer-by", apptest.NewBrowser(t, base), http.StatusUnauthorized},
			{"another citizen", neighbour, http.StatusNotFound}} {
			if code, _, h := c.b.Get(workPhoto); code != c.want || (code == http.StatusOK && h.Get("Content-Type") != "image/jpeg") {
				t.Errorf("%s opens the work photo: %d %s, want %d", c.who, code, h.Get("Content-Type"), c.want)
			}
		}
		// The citizen cannot resolve; the officer cannot reopen.
		if code, _, _ := citizen.PostRaw(page, url.Values{"change": {"close"}}); code == http.StatusSeeOther {
			t.Fatal("a post without its token went through")
		}
		staff.SetLang(i18n.EN)
		code, body, _ = staff.Get(page)
		if code != http.StatusOK || strings.Contains(body, `value="reopen"`) || !strings.Contains(body, "Lampe remplacée.") {
			t.Fatalf("officer's page after resolving: %d", code)
		}
		act(citizen, "reopen", "Toujours éteint.", http.StatusSeeOther)
		code, body, _ = citizen.Get(page)
		if code != http.StatusOK || !strings.Contains(body, "أعيد فتحها") {
			t.Fatalf("reopened: %d", code)
		}

		// Public tracking: no name, no phone, in the three languages.
		anyone := apptest.NewBrowser(t, base)
		for _, l := range []i18n.Lang{i18n.AR, i18n.FR, i18n.EN} {
			anyone.SetLang(l)
			code, body, _ = anyone.Get("/requests/track?" + url.Values{"number": {strings.ToLower(number)}, "code": {trackCode[1]}}.Encode())
			if code != http.StatusOK || !strings.Contains(body, number) || strings.Contains(body, "0612345678") ||
				strings.Contains(body, "فاطمة") || strings.Contains(body, "Benali") || !strings.Contains(body, "L-2231") {
				t.Fatalf("tracking in %s: %d\n%s", l, code, body)
			}
		}
		if code, body, _ := anyone.Get("/requests/track?number=" + number + "&code=AAAAAAAA"); code != http.StatusNotFound || !strings.Contains(body, "No request matches") {
			t.Fatalf("wrong code: %d", code)
		}
		// Someone else's request does not exist for another citizen.
		other := apptest.NewBrowser(t, base)
		other.SignIn("youssef.elamrani@example.ma", false)
		if code, _, _ := other.Get(page); code != http.StatusNotFound {
			t.Fatalf("another citizen reads the request: %d", code)
		}
		// Staff accounts file from their personal account.
		if code, _, _ := staff.Get("/requests/new/lighting"); code == http.StatusOK {
			t.Fatal("a staff account is offered the filing form")
		}
		for _, l := range []i18n.Lang{i18n.AR, i18n.FR, i18n.EN} {
			citizen.SetLang(l)
			for _, p := range []string{"/requests", "/requests/new", "/requests/new/roads", "/requests/new/service-complaint", page, "/requests/track"} {
				if code, _, _ := citizen.Get(p); code != http.StatusOK {
					t.Errorf("%s in %s: %d", p, l, code)
				}
			}
			staff.SetLang(l)
			if code, _, _ := staff.Get("/requests/queue"); code != http.StatusOK {
				t.Errorf("queue in %s: %d", l, code)
			}
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}

func tinyJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
