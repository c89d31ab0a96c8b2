package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCasaInJourneys walks two of issue #15's journeys in Chromium on a
// phone: an association asks for Maârif's coworking space and the
// arrondissement's facility manager approves it; a citizen asks Sbata
// for an ambulance and its dispatcher sends one, which the citizen sees
// in "my bookings".
func TestCasaInJourneys(t *testing.T) {
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
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
}
