package booking_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// The desk's pages of a facility over HTTP: opening hours, closures and
// seasons, priority groups, the season quotas of the rules form. Each
// mistake on its field (4xx, never 500), a stale form refused, a citizen
// and another arrondissement's manager kept out.
func TestTheDeskEditsAFacilityOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		const desk = "/bookings/desk/facilities/moulay-rachid-field-1"

		// Opening hours.
		hours := desk + "/hours"
		code, body, _ := mgr.Get(hours)
		if code != http.StatusOK || !strings.Contains(body, `id="open_1" name="open_1" type="text" dir="ltr" inputmode="numeric" autocomplete="off" value="08:00"`) ||
			!strings.Contains(body, `href="`+desk+`/closures"`) {
			t.Fatalf("hours page: %d\n%s", code, apptest.Grep(body, "open_1"))
		}
		version := regexpVersion(body)
		form := url.Values{"version": {version}, "slot_minutes": {"60"}}
		for _, d := range []string{"1", "2", "3", "4", "5", "6", "7"} {
			form.Set("open_"+d, "08:00")
			form.Set("close_"+d, "23:00")
		}
		bad := apptest.CloneForm(form)
		bad.Set("open_1", "8h")
		bad.Set("close_2", "")
		code, body, _ = mgr.Post(hours, hours, bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#open_1"`) || !strings.Contains(body, `href="#close_2"`) ||
			!strings.Contains(body, "aucune des deux pour un jour fermé") {
			t.Fatalf("bad hours: %d\n%s", code, apptest.Grep(body, "error"))
		}
		bad = apptest.CloneForm(form)
		bad.Set("slot_minutes", "70")
		code, body, _ = mgr.Post(hours, hours, bad)
		if code != http.StatusBadRequest || !strings.Contains(body, "ne se découpent pas en créneaux de 70 minutes") {
			t.Fatalf("hours not divided into slots: %d\n%s", code, apptest.Grep(body, "error"))
		}
		good := apptest.CloneForm(form)
		for _, d := range []string{"1", "2", "3", "4", "5"} {
			good.Set("open_"+d, "10:00")
		}
		if code, _, h := mgr.Post(hours, hours, good); code != http.StatusSeeOther || h.Get("Location") != hours+"?done=hours" {
			t.Fatalf("good hours: %d %s", code, h.Get("Location"))
		}
		if _, body, _ = mgr.Get(hours); !strings.Contains(body, `name="open_1" type="text" dir="ltr" inputmode="numeric" autocomplete="off" value="10:00"`) {
			t.Fatalf("the hours saved are not shown:\n%s", apptest.Grep(body, "open_1"))
		}
		// The same form again: its version is stale.
		code, body, _ = mgr.Post(hours, hours, good)
		if code != http.StatusConflict || !strings.Contains(body, "entre-temps") {
			t.Fatalf("a stale form: %d\n%s", code, apptest.Grep(body, "error"))
		}

		// Closures, and their reason in one language.
		closures := desk + "/closures"
		_, body, _ = mgr.Get(closures)
		version = regexpVersion(body)
		code, body, _ = mgr.Post(closures, closures, url.Values{"version": {version}, "action": {"add"}, "from": {"2027-02-30"}, "to": {"2027-03-02"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#from"`) || !strings.Contains(body, `href="#reason_ar"`) {
			t.Fatalf("a bad closure: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, _, h := mgr.Post(closures, closures, url.Values{"version": {version}, "action": {"add"}, "from": {"2027-03-01"},
			"to": {"2027-03-02"}, "reason_fr": {"Tournoi scolaire"}}); code != http.StatusSeeOther || h.Get("Location") != closures+"?done=closure" {
			t.Fatalf("a closure: %d %s", code, h.Get("Location"))
		}
		en := apptest.NewBrowser(t, base)
		en.SetLang(i18n.EN)
		if _, body, _ := en.Get("/bookings/places/moulay-rachid-field-1"); !strings.Contains(body, "Tournoi scolaire") {
			t.Errorf("the closure's reason is not shown in English:\n%s", apptest.Grep(body, "Closed"))
		}
		_, body, _ = mgr.Get(closures)
		version = regexpVersion(body)
		code, body, _ = mgr.Post(closures, closures, url.Values{"version": {version}, "action": {"season"}, "season_from": {"2027-06-01"},
			"season_to": {"2027-10-01"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#season_from"`) || !strings.Contains(body, "chevauche") {
			t.Fatalf("an overlapping season: %d\n%s", code, apptest.Grep(body, "error"))
		}

		// Priority groups: schools in school hours.
		groups := desk + "/groups"
		_, body, _ = mgr.Get(groups)
		version = regexpVersion(body)
		group := url.Values{"version": {version}, "action": {"save"}, "code": {"schools"}, "name_ar": {"المدارس"}, "name_fr": {"Écoles"},
			"name_en": {"Schools"}, "share": {"abc"}, "days": {"1", "2", "3", "4", "5"}, "from": {"07:00"}, "to": {"12:00"}}
		code, body, _ = mgr.Post(groups, groups, group)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#share"`) || !strings.Contains(body, `id="days-2" name="days" value="2" checked`) {
			t.Fatalf("a bad share: %d\n%s", code, apptest.Grep(body, "error"))
		}
		group.Set("share", "20")
		code, body, _ = mgr.Post(groups, groups, group)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#from"`) || !strings.Contains(body, "sortent des heures") {
			t.Fatalf("school hours before the opening: %d\n%s", code, apptest.Grep(body, "error"))
		}
		group.Set("from", "10:00")
		group.Set("to", "17:00")
		if code, _, h := mgr.Post(groups, groups, group); code != http.StatusSeeOther || h.Get("Location") != groups+"?done=group" {
			t.Fatalf("the schools' group: %d %s", code, h.Get("Location"))
		}
		if _, body, _ = mgr.Get(groups); !strings.Contains(body, "10:00–17:00") || !strings.Contains(body, "Écoles") {
			t.Fatalf("the group is not listed:\n%s", apptest.Grep(body, "Écoles"))
		}

		// The rules form's season quotas.
		code, body, _ = mgr.Get(desk)
		if code != http.StatusOK || !strings.Contains(body, `name="quota_citizen_season"`) {
			t.Fatalf("rules form: %d", code)
		}
		rules := url.Values{"version": {regexpVersion(body)}, "horizon_days": {"7"}, "release": {"08:00"}, "min_notice_hours": {"2"},
			"cancel_hours": {"24"}, "max_future": {"3"}, "confirm_hours": {"4"}, "quota_citizen_week": {"2"},
			"quota_citizen_month": {"6"}, "quota_citizen_season": {"1"}, "peak_window_hours": {"24"}}
		code, body, _ = mgr.Post(desk, desk, rules)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#quota_citizen_season"`) {
			t.Fatalf("a season quota below the week's: %d\n%s", code, apptest.Grep(body, "error"))
		}
		rules.Set("quota_citizen_season", "20")
		if code, _, _ := mgr.Post(desk, desk, rules); code != http.StatusSeeOther {
			t.Fatalf("a season quota: %d", code)
		}

		// In Arabic too: the reason given in French, the days' names.
		mgr.SetLang(i18n.AR)
		for p, want := range map[string]string{hours: "الاثنين", closures: "Tournoi scolaire", groups: "المدارس"} {
			if code, body, _ := mgr.Get(p); code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%s in Arabic: %d, no %q", p, code, want)
			}
		}

		// A citizen, and Maarif's manager, do not reach these pages.
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		for _, p := range []string{hours, closures, groups} {
			if code, _, _ := fatima.Get(p); code != http.StatusNotFound {
				t.Errorf("a citizen opened %s: %d", p, code)
			}
		}
		anas := apptest.NewBrowser(t, base)
		anas.SignIn("anas.kabbaj@example.ma", true)
		if code, _, _ := anas.Post("/bookings/desk", groups, group); code != http.StatusNotFound {
			t.Errorf("Maarif's manager changed Moulay Rachid's groups: %d", code)
		}
	})
}
