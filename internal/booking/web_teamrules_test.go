package booking_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// A manager sets field 2's minimum team and quotas per team on the
// desk's rules form; each contradiction is refused on its own field, in
// the manager's language, and nothing is saved; a sound change shows on
// the public page. Field 1, which teams do not book, has no team fields.
func TestTeamRulesOnTheDesksRulesForm(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.EN)
		const rules = "/bookings/desk/facilities/moulay-rachid-field-2"
		_, form, _ := mgr.Get(rules)
		base2 := url.Values{"version": {regexpVersion(form)}, "horizon_days": {"7"}, "release": {"08:00"}, "min_notice_hours": {"2"},
			"cancel_hours": {"24"}, "max_future": {"3"}, "confirm_hours": {"4"}, "quota_citizen_week": {"2"},
			"quota_citizen_month": {"6"}, "peak_window_hours": {"24"}, "team_min": {"6"}, "quota_team_week": {"2"}}
		for _, c := range []struct {
			set         map[string]string
			field, text string
		}{
			{map[string]string{"team_min": "1"}, "team_min", "A team slot needs a minimum team of at least 2 (it is 1)."},
			{map[string]string{"team_min": "11"}, "team_min", "The minimum team (11) is larger than the capacity (10)."},
			{map[string]string{"team_min": "six"}, "team_min", ""},
			{map[string]string{"quota_team_week": "3", "quota_team_month": "2"}, "quota_team_week", "The week's quota (3) exceeds the month's (2)"},
			{map[string]string{"quota_team_week": "0"}, "quota_team_week", "A team's quota is at least 1"},
			{map[string]string{"quota_team_season": "1"}, "quota_team_season", "The week quota (2) exceeds the season's (1)"},
		} {
			v := url.Values{}
			for k, x := range base2 {
				v[k] = x
			}
			for k, x := range c.set {
				v.Set(k, x)
			}
			code, body, _ := mgr.Post(rules, rules, v)
			if code != http.StatusBadRequest || !strings.Contains(body, `href="#`+c.field+`"`) ||
				!strings.Contains(body, `id="`+c.field+`-error"`) || !strings.Contains(html.UnescapeString(body), c.text) {
				t.Fatalf("%v: %d\n%s", c.set, code, apptest.Grep(body, "error"))
			}
		}
		v := url.Values{}
		for k, x := range base2 {
			v[k] = x
		}
		v.Set("team_min", "8")
		v.Set("quota_team_month", "5")
		if code, _, h := mgr.Post(rules, rules, v); code != http.StatusSeeOther {
			t.Fatalf("a sound change: %d %s", code, h.Get("Location"))
		}
		if _, form, _ := mgr.Get(rules); !strings.Contains(form, `name="quota_team_month" type="text" dir="ltr" inputmode="numeric" value="5"`) {
			t.Fatalf("the team quota was not saved:\n%s", apptest.Grep(form, "quota_team"))
		}
		citizen := apptest.NewBrowser(t, base)
		citizen.SetLang(i18n.EN)
		if _, body, _ := citizen.Get("/bookings/places/moulay-rachid-field-2"); !strings.Contains(body, "A team books with at least 8 registered members") {
			t.Fatalf("the public page does not show the new minimum:\n%s", apptest.Grep(body, "team"))
		}
		if _, form, _ := mgr.Get("/bookings/desk/facilities/moulay-rachid-field-1"); strings.Contains(form, `name="team_min"`) {
			t.Fatal("field 1, which teams do not book, shows a minimum team")
		}
	})
}

// Over HTTP the captain hands the team over to a member who joined (the
// new captain sees the invitation form, the former one no longer), and
// the new captain dissolves it only after ticking the confirmation.
func TestTeamHandOverAndDissolveOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		const teams = "/bookings/teams"
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		fatima.SetLang(i18n.EN)
		if code, _, _ := fatima.Post(teams, teams, url.Values{"action": {"create"}, "name": {"Les Lions"}}); code != http.StatusSeeOther {
			t.Fatalf("creating the team: %d", code)
		}
		_, body, _ := fatima.Get(teams)
		id := regexp.MustCompile(`value="invite">\s*<input type="hidden" name="id" value="(\d+)">`).FindStringSubmatch(body)
		if id == nil {
			t.Fatal("no invitation form")
		}
		if code, _, _ := fatima.Post(teams, teams, url.Values{"action": {"invite"}, "id": {id[1]}, "email": {"youssef.elamrani@example.ma"}}); code != http.StatusSeeOther {
			t.Fatalf("inviting: %d", code)
		}
		youssef := apptest.NewBrowser(t, base)
		youssef.SignIn("youssef.elamrani@example.ma", false)
		youssef.SetLang(i18n.FR)
		_, page, _ := youssef.Get(teams)
		inv := regexp.MustCompile(`name="id" value="(\d+)">\s*<div class="button-group">\s*<button type="submit" name="action" value="accept"`).FindStringSubmatch(page)
		if inv == nil {
			t.Fatal("Youssef has no invitation")
		}
		if code, _, _ := youssef.Post(teams, teams, url.Values{"action": {"accept"}, "id": {inv[1]}}); code != http.StatusSeeOther {
			t.Fatalf("accepting: %d", code)
		}
		_, body, _ = fatima.Get(teams)
		m := regexp.MustCompile(`name="id" value="(\d+)">\s*<div class="button-group">\s*<button type="submit" name="action" value="handover" class="button secondary">Make Youssef El Amrani captain</button>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no handover button for Youssef:\n%s", apptest.Grep(body, "handover"))
		}
		if code, _, h := fatima.Post(teams, teams, url.Values{"action": {"handover"}, "id": {m[1]}}); code != http.StatusSeeOther ||
			h.Get("Location") != teams+"?done=team_handover" {
			t.Fatalf("handing over: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := fatima.Get(teams); strings.Contains(body, `value="invite"`) || strings.Contains(body, "You are the captain") {
			t.Fatalf("the former captain still leads:\n%s", apptest.Grep(body, "action"))
		}
		_, page, _ = youssef.Get(teams)
		if !strings.Contains(html.UnescapeString(page), "Vous êtes capitaine") || !strings.Contains(page, `value="dissolve"`) {
			t.Fatalf("the new captain does not lead:\n%s", apptest.Grep(page, "action"))
		}
		code, page, _ := youssef.Post(teams, teams, url.Values{"action": {"dissolve"}, "id": {id[1]}})
		if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(page), "Cochez la case pour confirmer") {
			t.Fatalf("dissolving unconfirmed: %d\n%s", code, apptest.Grep(page, "error"))
		}
		if code, _, h := youssef.Post(teams, teams, url.Values{"action": {"dissolve"}, "id": {id[1]}, "confirm": {"true"}}); code != http.StatusSeeOther ||
			h.Get("Location") != teams+"?done=team_dissolve" {
			t.Fatalf("dissolving: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := fatima.Get(teams); strings.Contains(body, "Les Lions") || !strings.Contains(body, "You are in no team yet.") {
			t.Fatalf("the dissolved team is still listed:\n%s", apptest.Grep(body, "Lions"))
		}
	})
}
