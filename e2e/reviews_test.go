package e2e

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
)

// TestPenaltyReviewJourney walks issue #15's penalty review in Chromium
// on a 390 px phone: Salma Alaoui missed yesterday morning's slot at
// Moulay Rachid's first field (booked the day before, through the
// service: a slot's hour cannot pass in a test); from "my bookings" she
// opens the penalty and contests it with a reason of two lines, in
// French. Meriem Sentissi, the field's manager (second factor), reads the
// contest on her desk and lifts it with a note; Salma's "my bookings"
// says it is lifted, her booking's page gives the note, and her inbox
// the notice (in Arabic, her account's language). Meriem's calendar
// shows yesterday's no-show and, in the week the demonstration's
// waitlist falls in, Khadija Ouazzani waiting behind Fatima Benali's
// booking. The journey itself takes about 25 s (the demonstration's
// data and the server's start come before).
func TestPenaltyReviewJourney(t *testing.T) {
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	began := time.Now()
	defer func() { t.Logf("the journey took %s", time.Since(began).Round(time.Second)) }()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "madina.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	now := time.Now().In(i18n.Casablanca)
	day := now.AddDate(0, 0, -1)
	start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, i18n.Casablanca)
	bk := bookedEarlier(t, d, "salma.alaoui@example.ma", fieldOne, start, start.AddDate(0, 0, -1))
	// The no-show: the server's clock records it within its interval;
	// a sweep here records it at once (whichever comes first).
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	clock := booking.NewService(booking.Deps{DB: d, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(d, nil, jobs.Options{}),
		Box: box, Now: time.Now})
	within(t, 30*time.Second, "the no-show's penalty", func() error {
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalties WHERE booking_id = $1`, bk.ID).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
		_, err := clock.Sweep(ctx)
		if err == nil {
			err = errNotYet
		}
		return err
	})
	page := "/bookings/" + strconv.FormatInt(bk.ID, 10)

	// Salma contests it from "my bookings".
	salma := b.newTab(t, srv, phone390)
	signIn(salma, "salma.alaoui@example.ma", false)
	salma.setLanguage("fr")
	salma.open("/bookings", 200)
	salma.follow("her penalty", 200, chromedp.Click(chromedp.CSS(`main a[href="`+page+`#penalty"]`)))
	checkNoHorizontalScroll(salma)
	salma.typeIn("reason", "J’étais aux urgences ce matin-là.\nLe certificat est à votre disposition.")
	submit(salma, "the contest", `form:has(input[name=action][value=contest]) button[type=submit]`)
	if p := salma.path(); p != page+"?done=contested" {
		t.Fatalf("the contest led to %s: %s", p, salma.alerts())
	}
	if text := mainText(salma); !strings.Contains(text, "Contestée, en attente de décision") || count(salma, `textarea[name=reason]`) != 0 {
		t.Fatalf("the booking's page after the contest:\n%s", text)
	}

	// Meriem lifts it at the desk.
	meriem := b.newTab(t, srv, phone390)
	signInStaffAt(meriem, "meriem.sentissi@example.ma", time.Now())
	meriem.setLanguage("fr")
	meriem.open("/bookings/desk", 200)
	note := "note_" + strconv.FormatInt(bk.ID, 10)
	item := eval[string](meriem, `document.getElementById(`+strconv.Quote(note)+`)?.closest("li")?.innerText || ""`)
	if !strings.Contains(item, "Salma Alaoui") || !strings.Contains(item, "J’étais aux urgences ce matin-là.") || !strings.Contains(item, bk.Number) {
		t.Fatalf("the desk does not show Salma's contest:\n%s", item)
	}
	checkNoHorizontalScroll(meriem)
	meriem.typeIn(note, "Certificat des urgences vu au guichet.")
	submit(meriem, "lift the penalty", `form[action="/bookings/desk/reviews/`+strconv.FormatInt(bk.ID, 10)+`"] button[value=lifted]`)
	if p := meriem.path(); p != "/bookings/desk?done=review_lifted" {
		t.Fatalf("lifting led to %s: %s", p, meriem.alerts())
	}
	if count(meriem, "#"+note) != 0 {
		t.Error("the decided contest is still on the desk")
	}

	// Salma sees it lifted, with the note, and is told.
	salma.open("/bookings", 200)
	pens := eval[string](salma, `[...document.querySelectorAll("main h2")].find(h => h.innerText === "Pénalités")?.nextElementSibling?.innerText || ""`)
	if !strings.Contains(pens, "Levée après examen") {
		t.Fatalf("my bookings after the review:\n%s", pens)
	}
	salma.open(page, 200)
	if text := mainText(salma); !strings.Contains(text, "Levée après examen") || !strings.Contains(text, "Certificat des urgences vu au guichet.") {
		t.Fatalf("the booking's page after the review:\n%s", text)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		salma.open("/me/inbox", 200)
		items := texts(salma, `ul.inbox li`)
		if slices.ContainsFunc(items, func(s string) bool {
			// In her account's language, Arabic.
			return strings.HasPrefix(s, "رفع العقوبة") && strings.Contains(s, bk.Number)
		}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notice of the lifted penalty within 30 s; the inbox holds: %q", items)
		}
	}

	// Meriem's calendar: yesterday's no-show, and the demonstration's
	// waitlist two days from now.
	cal := "/bookings/desk/facilities/" + fieldOne + "/calendar"
	meriem.open(cal+"?week="+day.Format(time.DateOnly), 200)
	checkNoHorizontalScroll(meriem)
	row := eval[string](meriem, `document.querySelector('main a[href="`+page+`"]')?.closest("tr")?.innerText || ""`)
	if !strings.Contains(row, "09:00") || !strings.Contains(row, "Absent") || !strings.Contains(row, bk.Number) {
		t.Fatalf("the calendar's row of the no-show: %q", row)
	}
	later := now.AddDate(0, 0, 2)
	meriem.open(cal+"?week="+later.Format(time.DateOnly), 200)
	waiting := eval[string](meriem, `(h => { let s = ""; for (let e = h?.nextElementSibling; e; e = e.nextElementSibling) s += e.innerText + "\n"; return s })(document.getElementById("waitlists"))`)
	if !strings.Contains(waiting, "Khadija Ouazzani") || !strings.Contains(waiting, "Rang") {
		t.Fatalf("the calendar's waitlists do not show Khadija Ouazzani waiting:\n%s", waiting)
	}
	if row := eval[string](meriem, `[...document.querySelectorAll("main tr")].find(r => r.innerText.includes("En attente"))?.innerText || ""`); !strings.Contains(row, "10:00") {
		t.Errorf("no slot of the week says someone waits for it: %q", row)
	}
	checkNoHorizontalScroll(meriem)
}
