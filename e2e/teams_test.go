package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTeamJourney walks issue #15's team journey in Chromium on a phone:
// Meriem Sentissi, Moulay Rachid's facility manager, sets field 2's
// minimum team to three on the desk's rules form; Fatima Benali creates a
// team and invites Youssef El Amrani and Khadija Ouazzani, who accept
// once signed in; Fatima books a team slot, and Youssef finds it in his
// space with his own check-in code; Fatima then hands the captaincy to
// Youssef.
func TestTeamJourney(t *testing.T) {
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)

	meriem := b.newTab(t, srv, phone390)
	signInStaffAt(meriem, "meriem.sentissi@example.ma", time.Now())
	meriem.setLanguage("fr")
	const rules = "/bookings/desk/facilities/moulay-rachid-field-2"
	meriem.open(rules, 200)
	meriem.typeIn("team_min", "3")
	meriem.submit(rules, 200, rules+"?done=rules")

	began := time.Now()
	defer func() { t.Logf("the journey took %s (after the demonstration)", time.Since(began).Round(time.Second)) }()
	fatima := b.newTab(t, srv, phone390)
	signIn(fatima, "fatima.benali@example.ma", false)
	fatima.setLanguage("ar")
	fatima.open("/bookings/teams", 200)
	fatima.typeIn("name", "Les Lions")
	submit(fatima, "create the team", `form:has(input[name=action][value=create]) button[type=submit]`)
	// (The demonstration has Fatima captain another team already.)
	team := eval[string](fatima, `[...document.querySelectorAll('h2[id^="team-"]')].find(h => h.textContent.trim() == 'Les Lions').id.slice(5)`)
	invite := `form:has(input[name=action][value=invite]):has(input[name=id][value="` + team + `"])`
	for _, email := range []string{"youssef.elamrani@example.ma", "khadija.ouazzani@example.ma"} {
		fatima.typeIn("email-"+team, email)
		submit(fatima, "invite "+email, invite+` button[type=submit]`)
		if p := fatima.path(); p != "/bookings/teams?done=team_invite" {
			t.Fatalf("inviting %s led to %s: %s", email, p, fatima.alerts())
		}
	}
	fatima.checkAxe()

	var players []*tab
	for _, email := range []string{"youssef.elamrani@example.ma", "khadija.ouazzani@example.ma"} {
		p := b.newTab(t, srv, phone390)
		signIn(p, email, false)
		p.setLanguage("fr")
		p.open("/bookings", 200)
		// The invitation to Les Lions (Khadija has another, older one).
		eval[bool](p, `[...document.querySelectorAll('button[name=action][value=accept]')].find(b => b.closest('li').querySelector('strong').textContent == 'Les Lions').toggleAttribute('data-lions', true)`)
		submit(p, email+" joins", `button[data-lions]`)
		if got := p.path(); got != "/bookings/teams?done=team_accept" {
			t.Fatalf("%s accepting led to %s: %s", email, got, p.alerts())
		}
		players = append(players, p)
	}
	youssef := players[0]

	// A weekday three days ahead or more: its evening is no peak.
	day := time.Now().AddDate(0, 0, 3)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	fatima.open("/bookings/places/moulay-rachid-field-2?day="+day.Format(time.DateOnly), 200)
	form := `form:has(select[name=team] option[value="` + team + `"])`
	eval[string](fatima, `(document.querySelector(`+strconv.Quote(form+` select[name=team]`)+`).value = `+strconv.Quote(team)+`)`)
	submit(fatima, "book for the team", form+` button[type=submit]`)
	booking, _, _ := strings.Cut(fatima.path(), "?")
	if !regexp.MustCompile(`^/bookings/\d+$`).MatchString(booking) {
		t.Fatalf("the team's booking led to %s: %s", booking, fatima.alerts())
	}
	if text := eval[string](fatima, `document.querySelector("main").innerText`); !strings.Contains(text, "Les Lions") {
		t.Fatalf("the team booking's page does not name the team:\n%s", text)
	}

	// Youssef finds the slot in his space, with his own code.
	youssef.open("/bookings", 200)
	youssef.follow("the team slot", 200, chromedp.Click(chromedp.CSS(`main a[href="`+booking+`"]`)))
	code := text(youssef, "p.token bdi")
	if !regexp.MustCompile(`^\d+-\d+-\S{8}$`).MatchString(code) {
		t.Fatalf("the co-player's code is %q", code)
	}

	// Fatima hands the team over to Youssef (the first member after her).
	fatima.open("/bookings/teams", 200)
	submit(fatima, "hand over", `table[aria-labelledby="team-`+team+`"] button[value=handover]`)
	if p := fatima.path(); p != "/bookings/teams?done=team_handover" {
		t.Fatalf("handing over led to %s: %s", p, fatima.alerts())
	}
	if count(fatima, invite) != 0 {
		t.Fatal("the former captain still has the invitation form")
	}
	youssef.open("/bookings/teams", 200)
	if count(youssef, invite) != 1 || count(youssef, `form:has(input[name=action][value=dissolve]):has(input[name=id][value="`+team+`"])`) != 1 {
		t.Fatalf("the new captain does not lead the team:\n%s", eval[string](youssef, `document.querySelector("main").innerText`))
	}
	youssef.checkAxe()
	fatima.checkConsole("")
	youssef.checkConsole("")
}
