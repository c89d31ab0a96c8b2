package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/testenv/smtptest"
)

// TestCasaInJourneys walks two of issue #15's journeys in Chromium on a
// phone: an association asks for Maârif's coworking space and the
// arrondissement's facility manager approves it; a citizen asks Sbata
// for an ambulance and its dispatcher sends one, which the citizen sees
// in "my bookings".
func TestCasaInJourneys(t *testing.T) {
	dir := t.TempDir()
	demo(t, dir)
	port, maildir := smtptest.Start(t)
	srv := startServer(t, "--data-dir", dir, "--smtp-host", "127.0.0.1", "--smtp-port", strconv.Itoa(port), "--smtp-tls", "none",
		"--smtp-from", "Madina <no-reply@casablanca.example.ma>",
		// The clock holds the draw and records the no-shows within
		// seconds of their time rather than a minute.
		"--booking-clock", "3s")
	b := startBrowser(t)

	// Naima Bennis, for her association, books a morning at the
	// coworking space four working days ahead.
	naima := b.newTab(t, srv, phone390)
	signIn(naima, "naima.bennis@example.ma", false)
	naima.open("/me/legal", 200)
	naima.follow("act for the association", 200, chromedp.Click(chromedp.CSS(`form[action^="/me/acting/"] button[type=submit]`)))
	naima.setLanguage("fr")
	day := time.Now().AddDate(0, 0, 4)
	for day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	naima.open("/bookings/places/maarif-coworking?day="+day.Format(time.DateOnly), 200)
	naima.follow("book the first free morning", 200, chromedp.Click(chromedp.CSS(`form:has(input[name=action][value=book]) button[type=submit]`)))
	booking, _, _ := strings.Cut(naima.path(), "?")
	if !regexp.MustCompile(`^/bookings/\d+$`).MatchString(booking) {
		t.Fatalf("booking led to %s; the page says: %s", booking, naima.alerts())
	}
	if text := eval[string](naima, `document.querySelector("main").innerText`); !strings.Contains(text, "En attente d'accord") {
		t.Fatalf("the association's booking is not waiting for approval:\n%s", text)
	}
	id := strings.TrimPrefix(booking, "/bookings/")

	// Anas Kabbaj, Maârif's facility manager, approves it at the desk.
	anas := b.newTab(t, srv, phone390)
	signInStaffAt(anas, "anas.kabbaj@example.ma", time.Now())
	anas.open("/bookings/desk", 200)
	anas.follow("approve", 200, chromedp.Click(chromedp.CSS(`form[action="/bookings/desk/`+id+`"]:has(input[value=approve]) button[type=submit]`)))
	if p := anas.path(); p != "/bookings/desk?done=approve" {
		t.Fatalf("approving led to %s: %s", p, anas.alerts())
	}
	naima.open(booking, 200)
	if text := eval[string](naima, `document.querySelector("main").innerText`); !strings.Contains(text, "Réservé") {
		t.Fatalf("the approved booking is not held:\n%s", text)
	}

	// Khadija Ouazzani asks Sbata for an ambulance, in English.
	khadija := b.newTab(t, srv, phone390)
	signIn(khadija, "khadija.ouazzani@example.ma", false)
	khadija.setLanguage("en")
	khadija.open("/bookings/places/sbata-ambulance", 200)
	khadija.typeIn("patient", "Ahmed Ouazzani, 80")
	khadija.typeIn("address", "Derb Sbata, street 9, no. 12")
	khadija.typeIn("destination", "Moulay Youssef hospital")
	khadija.typeIn("phone", "0770112233")
	khadija.do(chromedp.Click(chromedp.CSS(`label[for="urgency-critical"]`)))
	if !eval[bool](khadija, `document.getElementById("urgency-critical").checked`) {
		t.Fatal("choosing the urgency by its label did not check it")
	}
	if status, problem := post(khadija, `form:has(input[name=action][value=ambulance]) button[type=submit]`); status != 200 {
		t.Fatalf("the ambulance request answered %d: %s", status, problem)
	}
	if p := khadija.path(); p != "/bookings?done=ambulance" {
		t.Fatalf("the request led to %s: %s", p, khadija.alerts())
	}

	// Hamid Ouali, Sbata's dispatcher: the critical request comes first;
	// he sends an ambulance.
	hamid := b.newTab(t, srv, phone390)
	signInStaffAt(hamid, "hamid.ouali@example.ma", time.Now())
	hamid.setLanguage("fr")
	hamid.open("/bookings/desk", 200)
	first := eval[string](hamid, `document.querySelector("ol.inbox li").innerText`)
	if !strings.Contains(first, "Ahmed Ouazzani") || !strings.Contains(first, "Critique") {
		t.Fatalf("the queue does not start with the critical request:\n%s", first)
	}
	vehicle := eval[string](hamid, `document.querySelector("ol.inbox li input[name=vehicle]").id`)
	hamid.typeIn(vehicle, "AMB-SB-02")
	hamid.follow("send the ambulance", 200, chromedp.Click(chromedp.CSS(`form:has(#`+vehicle+`) button[type=submit]`)))
	if p := hamid.path(); p != "/bookings/desk?done=moved" {
		t.Fatalf("dispatching led to %s: %s", p, hamid.alerts())
	}
	khadija.open("/bookings", 200)
	if text := eval[string](khadija, `document.querySelector("main").innerText`); !strings.Contains(text, "Ambulance sent") || !strings.Contains(text, "AMB-SB-02") {
		t.Fatalf("the requester does not see the ambulance sent:\n%s", text)
	}

	meriem, citizens := drawJourney(t, b, srv)
	checkInJourney(t, b, srv, dir, meriem, citizens[1])
	waitlistJourney(t, maildir, citizens[0], khadija)
}

// fieldOne is Moulay Rachid's first proximity field, whose evenings are
// drawn by lot.
const fieldOne = "moulay-rachid-field-1"

// drawJourney: three citizens, in Arabic on a phone, request the same
// peak slot; the booking clock holds the draw when its window closes; the
// winner sees the booking, the two others that they were not drawn and
// their place on the waitlist; `madina booking verify-draw` confirms the
// published result. A draw's window lasts hours: Meriem Sentissi, the
// field's manager, first moves the release at the desk so that the slot
// three days ahead was released 58 minutes ago and its one-hour window
// closes within two minutes.
func drawJourney(t *testing.T, b *browser, srv *server) (meriem *tab, citizens []*tab) {
	emails := []string{"fatima.benali@example.ma", "youssef.elamrani@example.ma", "khadija.ouazzani@example.ma"}
	for _, e := range emails {
		c := b.newTab(t, srv, phone390)
		signIn(c, e, false)
		c.setLanguage("ar")
		citizens = append(citizens, c)
	}
	meriem = b.newTab(t, srv, phone390)
	signInStaffAt(meriem, "meriem.sentissi@example.ma", time.Now().Add(30*time.Second))
	meriem.setLanguage("fr")
	released := time.Now().Add(-58 * time.Minute).Truncate(time.Minute).In(i18n.Casablanca)
	meriem.open("/bookings/desk/facilities/"+fieldOne, 200)
	meriem.typeIn("horizon_days", "3")
	meriem.typeIn("release", released.Format("15:04"))
	meriem.typeIn("peak_window_hours", "1")
	meriem.submit("/bookings/desk/facilities/"+fieldOne, 200, "/bookings/desk/facilities/"+fieldOne+"?done=rules")
	checkNoHorizontalScroll(meriem)

	day := released.AddDate(0, 0, 3)
	slot := time.Date(day.Year(), day.Month(), day.Day(), 19, 0, 0, 0, i18n.Casablanca).UTC()
	enter := `form:has(input[name=action][value=enter]):has(input[name=start][value="` + slot.Format(time.RFC3339) + `"]) button[type=submit]`
	for i, c := range citizens {
		c.open("/bookings/places/"+fieldOne+"?day="+day.Format(time.DateOnly), 200)
		checkNoHorizontalScroll(c)
		submit(c, emails[i]+" requests the peak slot", enter)
		if p := c.path(); p != "/bookings?done=entered" {
			t.Fatalf("%s's request led to %s: %s", emails[i], p, c.alerts())
		}
	}

	// The clock holds the draw (it runs every minute) once the window
	// has closed.
	var won []int
	var lost []int
	for deadline := time.Now().Add(4 * time.Minute); ; time.Sleep(2 * time.Second) {
		won, lost = nil, nil
		for i, c := range citizens {
			c.open("/bookings", 200)
			rows := eval[[]string](c, `[...document.querySelectorAll("main table tbody tr")].map(r => r.innerText)`)
			if slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(r, "19:00") }) {
				won = append(won, i)
			} else {
				lost = append(lost, i)
			}
		}
		if len(won) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the draw was not held within four minutes")
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d winners of one slot: %v", len(won), won)
	}
	w := citizens[won[0]]
	row := eval[string](w, `[...document.querySelectorAll("main table tbody tr")].map(r => r.innerText).find(r => r.includes("19:00"))`)
	if !strings.Contains(row, "محجوز") {
		t.Errorf("the winner's booking is not held:\n%s", row)
	}
	checkNoHorizontalScroll(w)
	places := map[string]bool{}
	for _, i := range lost {
		c := citizens[i]
		c.open("/bookings", 200)
		checkNoHorizontalScroll(c)
		waiting := eval[string](c, `[...document.querySelectorAll("main li")].map(l => l.innerText).find(l => l.includes("19:00")) || ""`)
		place := regexp.MustCompile(`المرتبة \d`).FindString(waiting)
		if !strings.Contains(waiting, "لم يقع عليكم الاختيار في القرعة") || place == "" {
			t.Errorf("%s does not see that they were not drawn, and their place on the waitlist: %q", emails[i], waiting)
		}
		places[place] = true
	}
	if !places["المرتبة 1"] || !places["المرتبة 2"] {
		t.Errorf("the two not drawn are not first and second on the waitlist: %v", places)
	}

	// Anyone re-runs the draw from its published data.
	citizens[0].open("/bookings/places/"+fieldOne+"?day="+day.Format(time.DateOnly), 200)
	links := attrs(citizens[0], `a[href^="/api/v1/booking/draws/"]`, "href")
	var url string
	for _, l := range links {
		resp, err := http.Get(srv.URL + l)
		if err != nil {
			t.Fatal(err)
		}
		var p booking.Published
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if p.Facility == fieldOne && p.SlotStart.Equal(slot) {
			if p.State != "drawn" || len(p.Entries) != 3 || len(p.Result) != 3 {
				t.Fatalf("the published draw: %+v", p)
			}
			url = srv.URL + l
		}
	}
	if url == "" {
		t.Fatalf("the register does not link the draw of %s among %v", slot, links)
	}
	out, err := exec.Command(binary, "booking", "verify-draw", url).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "CONFIRMED: ") {
		t.Fatalf("madina booking verify-draw %s: %v\n%s", url, err, out)
	}
	return meriem, citizens
}

// bookedEarlier books start at facility for the demonstration's person
// email through Casa In's service on the server's database, as on the
// day before: a slot's hour cannot pass within a test, so the bookings
// to check in or to miss were made earlier (the test moves the booking,
// not the clock). The rules, quotas and events are the service's.
func bookedEarlier(t *testing.T, d *db.DB, email, facility string, start, at time.Time) *booking.Booking {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	s := booking.NewService(booking.Deps{DB: d, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(d, nil, jobs.Options{}), Box: box,
		Now: func() time.Time { return at }})
	var person int64
	if err := d.QueryRowContext(ctx, `SELECT id FROM persons WHERE email = $1`, email).Scan(&person); err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	bk, err := s.Book(ctx, authz.Actor{Person: person, EmailVerified: true, Now: at}, booking.BookInput{Facility: facility, Start: start})
	if err != nil {
		t.Fatalf("%s booking %s at %s on %s: %v", email, facility, start, at, err)
	}
	return bk
}

// checkInJourney: Salma Alaoui, who booked yesterday the slot of field 1
// that starts within a quarter of an hour (field 1 opens round the clock
// in quarter hours for it, whatever the hour of the run), shows her check-in
// code at the desk, and Meriem Sentissi checks her in; Youssef El Amrani
// did not come to the two evenings he booked at field 2 (a week ago and
// yesterday): the clock records the no-shows, the second suspends him
// for fourteen days, which his "my bookings" says, and his next booking
// is refused until then with the reason, in French, his language.
func checkInJourney(t *testing.T, b *browser, srv *server, dir string, meriem, youssef *tab) {
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "madina.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	now := time.Now().In(i18n.Casablanca)

	{
		// Field 1 opens for the check-in round the clock in quarter
		// hours, off-peak, so that a slot opens for check-in whenever the
		// journey runs; its own definition comes back afterwards.
		var raw string
		if err := d.QueryRowContext(ctx, `SELECT definition FROM booking_facilities WHERE code = $1`, fieldOne).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var f booking.Facility
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatal(err)
		}
		f.Hours = []booking.Opening{{Days: []int{1, 2, 3, 4, 5, 6, 7}, Open: "00:00", Close: "23:59"}}
		f.SlotMinutes, f.Rules.Peak, f.Closures = 15, nil, nil
		def, _ := json.Marshal(f)
		if _, err := d.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), fieldOne); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := d.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, raw, fieldOne); err != nil {
				t.Fatal(err)
			}
		}()
		var start time.Time
		today := calendar.DateOf(now)
		for _, day := range []calendar.Date{today, today.AddDays(1)} {
			for _, sl := range f.Slots(day) {
				if start.IsZero() && sl.Start.After(now.Add(time.Minute)) {
					start = sl.Start
				}
			}
		}
		bk := bookedEarlier(t, d, "salma.alaoui@example.ma", fieldOne, start, now.AddDate(0, 0, -1))
		salma := b.newTab(t, srv, phone390)
		signIn(salma, "salma.alaoui@example.ma", false)
		salma.setLanguage("ar")
		page := "/bookings/" + strconv.FormatInt(bk.ID, 10)
		salma.open("/bookings", 200)
		salma.follow("her booking", 200, chromedp.Click(chromedp.CSS(`main a[href="`+page+`"]`)))
		checkNoHorizontalScroll(salma)
		code := text(salma, "p.token bdi")
		if !regexp.MustCompile(`^\d+-\S{8}$`).MatchString(code) {
			t.Fatalf("the booking's page shows the code %q", code)
		}
		if count(salma, `main img[src^="data:image/"]`) != 1 {
			t.Error("the booking's page shows no QR code")
		}
		meriem.open("/bookings/desk", 200)
		meriem.typeIn("code", code)
		meriem.submit("/bookings/desk/checkin", 200, "/bookings/desk?done=checked_in")
		checkNoHorizontalScroll(meriem)
		// A code shown twice is refused, in Meriem's language.
		meriem.typeIn("code", code)
		if status, problem := post(meriem, `form[action="/bookings/desk/checkin"] button[type=submit]`); status != 409 ||
			!strings.Contains(problem, "déjà") {
			t.Errorf("a replayed code answered %d: %s", status, problem)
		}
		salma.open(page, 200)
		if st := text(salma, "main .tag"); st != "حضر" {
			t.Errorf("after check-in the booking's state reads %q", st)
		}
	}

	// Youssef's two evenings at field 2, booked the day before each.
	const field2 = "moulay-rachid-field-2"
	for _, ago := range []int{8, 1} {
		day := now.AddDate(0, 0, -ago)
		bookedEarlier(t, d, "youssef.elamrani@example.ma", field2, time.Date(day.Year(), day.Month(), day.Day(), 17, 0, 0, 0, i18n.Casablanca),
			day.AddDate(0, 0, -1))
	}
	youssef.setLanguage("fr")
	until := now.AddDate(0, 0, 14)
	var penalties string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		youssef.open("/bookings", 200)
		penalties = eval[string](youssef, `[...document.querySelectorAll("main h2")].find(h => h.innerText === "Pénalités")?.nextElementSibling?.innerText || ""`)
		if strings.Contains(penalties, "suspendues") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no suspension after two no-shows within two minutes; the page says:\n%s", mainText(youssef))
		}
	}
	checkNoHorizontalScroll(youssef)
	if !strings.Contains(penalties, i18n.FormatDate(i18n.FR, until)) || strings.Count(penalties, "Absence à un créneau réservé") != 2 {
		t.Errorf("Youssef's penalties do not show the two no-shows and the suspension until %s:\n%s", i18n.FormatDate(i18n.FR, until), penalties)
	}
	// His inbox tells him of each no-show, the second with the suspension;
	// a notice leads to its booking.
	youssef.open("/me/inbox", 200)
	items := texts(youssef, `ul.inbox li`)
	if len(items) < 2 || !strings.HasPrefix(items[0], "Absence à un créneau réservé") || !strings.HasPrefix(items[1], "Absence à un créneau réservé") {
		t.Fatalf("Youssef's inbox does not tell him of his two no-shows: %q", items)
	}
	if !strings.Contains(items[0], "Réservations suspendues jusqu’au "+i18n.FormatDate(i18n.FR, until)) {
		t.Errorf("the second no-show's notice does not give the suspension: %q", items[0])
	}
	checkNoHorizontalScroll(youssef)
	youssef.follow("the latest notice", 200, chromedp.Click(chromedp.CSS(`ul.inbox li h2 a`)))
	if st := text(youssef, "main .tag"); !regexp.MustCompile(`^/bookings/\d+$`).MatchString(youssef.path()) || st != "Absent" {
		t.Errorf("the notice led to %s, which reads %q", youssef.path(), st)
	}
	tomorrow := now.AddDate(0, 0, 1)
	youssef.open("/bookings/places/"+field2+"?day="+tomorrow.Format(time.DateOnly), 200)
	status, problem := post(youssef, `form:has(input[name=action][value=book]) button[type=submit]`)
	if status != 403 || !strings.Contains(problem, "Vos réservations sont suspendues jusqu'au "+i18n.FormatDate(i18n.FR, until)) {
		t.Errorf("a suspended citizen's booking answered %d: %s", status, problem)
	}
	checkNoHorizontalScroll(youssef)
}

// waitlistJourney: Fatima Zahra Benali cancels the slot she holds at
// field 1 in two days (the demonstration's); Khadija Ouazzani, first on
// its waitlist, is offered it — her inbox and an e-mail tell her, in
// English, with the deadline — and accepts it from the e-mail's link.
func waitlistJourney(t *testing.T, maildir string, fatima, khadija *tab) {
	fatima.open("/bookings", 200)
	link := eval[string](fatima, `[...document.querySelectorAll("main table tbody tr")].find(r => r.innerText.includes("10:00"))?.querySelector("a")?.getAttribute("href") || ""`)
	if link == "" {
		t.Fatalf("Fatima's bookings do not show her morning slot:\n%s", mainText(fatima))
	}
	fatima.follow("her booking", 200, chromedp.Click(chromedp.CSS(`main a[href="`+link+`"]`)))
	submit(fatima, "cancel", `form:has(input[name=action][value=cancel]) button[type=submit]`)
	if p := fatima.path(); p != link+"?done=cancel" {
		t.Fatalf("cancelling led to %s: %s", p, fatima.alerts())
	}
	if st := text(fatima, "main .tag"); st != "ملغى" {
		t.Errorf("the cancelled booking reads %q", st)
	}

	// Khadija's inbox and e-mail.
	khadija.open("/me/inbox", 200)
	notice := eval[string](khadija, `[...document.querySelectorAll("ul.inbox li")].map(l => l.innerText).find(l => l.includes("A place is free")) || ""`)
	if notice == "" {
		t.Fatalf("Khadija's inbox does not tell her of the offer:\n%s", mainText(khadija))
	}
	checkNoHorizontalScroll(khadija)
	re := regexp.MustCompile(`/bookings/(\d+)`)
	var offer, mailText string
	within(t, 30*time.Second, "the offer's e-mail to Khadija", func() error {
		for _, m := range smtptest.Read(t, maildir) {
			if !strings.Contains(m.Header.Get("To"), "khadija.ouazzani@example.ma") || !strings.Contains(m.Header.Get("Subject"), "A place is free") {
				continue
			}
			mailText = smtptest.Body(t, m)
			offer = re.FindString(mailText)
		}
		if offer == "" {
			return errNotYet
		}
		return nil
	})
	if !strings.Contains(mailText, "Confirm it before ") {
		t.Errorf("the offer's e-mail gives no deadline:\n%s", mailText)
	}
	khadija.open(offer, 200)
	if st := text(khadija, "main .tag"); st != "Offered, to confirm" {
		t.Errorf("the offered booking reads %q", st)
	}
	checkNoHorizontalScroll(khadija)
	submit(khadija, "confirm the offer", `form:has(input[name=action][value=confirm]) button[type=submit]`)
	if p := khadija.path(); p != offer+"?done=confirm" {
		t.Fatalf("confirming led to %s: %s", p, khadija.alerts())
	}
	if st := text(khadija, "main .tag"); st != "Booked" {
		t.Errorf("the confirmed booking reads %q", st)
	}
	if !strings.Contains(mainText(khadija), "10:00") {
		t.Errorf("the booking Khadija accepted is not Fatima's slot:\n%s", mainText(khadija))
	}
}
