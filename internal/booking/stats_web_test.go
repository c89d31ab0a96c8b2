package booking_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Over HTTP: a young citizen books a slot; Moulay Rachid's manager reads
// the day's figures at the desk in French and English (occupancy and
// the group's share written for the language), a bad period is named on
// its field (400, never 500), a citizen does not reach the page; the
// public daily figures count the booking, name no one, and follow the
// API document.
func TestStatisticsOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		day := time.Now().In(i18n.Casablanca).AddDate(0, 0, 2)
		d := day.Format(time.DateOnly)
		start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, i18n.Casablanca).UTC().Format(time.RFC3339)
		page := "/bookings/places/moulay-rachid-field-1?day=" + d
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		code, _, h := fatima.Post(page, "/bookings/places/moulay-rachid-field-1", url.Values{"action": {"book"}, "start": {start},
			"group": {"youth"}})
		if code != http.StatusSeeOther {
			t.Fatalf("booking: %d %s", code, h.Get("Location"))
		}

		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		if _, body, _ := mgr.Get("/bookings/desk"); !strings.Contains(body, `href="/bookings/desk/stats"`) {
			t.Error("the desk does not link to the statistics")
		}
		stats := "/bookings/desk/stats?from=" + d + "&to=" + d
		code, body, _ := mgr.Get(stats)
		// One slot of the field's fifteen: 6.7 %, all of it the young's
		// (30 % reserved).
		for _, want := range []string{"Terrain de proximité Moulay Rachid 1", "Réservés (taux d&#39;occupation)", "<bdi dir=\"ltr\">1 (6,7\u00a0%)</bdi>",
			"<bdi dir=\"ltr\">15</bdi>", "Jeunes de moins de 18 ans", "<bdi dir=\"ltr\">100\u00a0%</bdi>", "<bdi dir=\"ltr\">30\u00a0%</bdi>",
			"Sans groupe", `value="` + d + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the French figures lack %q", want)
			}
		}
		if code != http.StatusOK || strings.Contains(body, "Benali") {
			t.Fatalf("statistics: %d\n%s", code, apptest.Grep(body, "bdi"))
		}
		mgr.SetLang(i18n.EN)
		if _, body, _ := mgr.Get(stats); !strings.Contains(body, "<bdi dir=\"ltr\">1 (6.7%)</bdi>") || !strings.Contains(body, "Booked (occupancy)") {
			t.Errorf("the English figures:\n%s", apptest.Grep(body, "%"))
		}
		mgr.SetLang(i18n.AR)
		if code, body, _ := mgr.Get("/bookings/desk/stats"); code != http.StatusOK || !strings.Contains(body, "نسبة الإشغال") {
			t.Errorf("the default period in Arabic: %d", code)
		}
		mgr.SetLang(i18n.FR)
		for q, want := range map[string][2]string{"from=2026-02-30": {"from", "Saisissez la date de début"},
			"from=" + d + "&to=2020-01-01": {"to", "La fin de la période est avant son début."},
			"from=2020-01-01&to=" + d:      {"from", "Une période couvre au plus 366 jours."}} {
			code, body, _ := mgr.Get("/bookings/desk/stats?" + q)
			if code != http.StatusBadRequest || !strings.Contains(body, `href="#`+want[0]+`"`) || !strings.Contains(body, `aria-invalid="true"`) ||
				!strings.Contains(body, want[1]) {
				t.Errorf("%s: %d\n%s", q, code, apptest.Grep(body, "error"))
			}
		}
		if code, _, _ := fatima.Get("/bookings/desk/stats"); code != http.StatusNotFound {
			t.Errorf("a citizen opened the statistics: %d", code)
		}

		anon := apptest.NewBrowser(t, base)
		anon.SetLang(i18n.FR)
		if _, body, _ := anon.Get(page); !regexp.MustCompile(`30 derniers jours : créneaux réservés 0 sur \d{3} \(0\x{a0}%\) ; absences : 0\.`).MatchString(body) ||
			!strings.Contains(body, `href="/api/v1/booking/facilities/moulay-rachid-field-1/daily"`) {
			t.Errorf("the register's occupancy line:\n%s", apptest.Grep(body, "30"))
		}
		r := apptest.DoChecked(t, a, "GET", "/api/v1/booking/facilities/moulay-rachid-field-1/daily?from="+d+"&to="+d)
		var daily struct {
			Facility string           `json:"facility"`
			From     string           `json:"from"`
			To       string           `json:"to"`
			Days     []map[string]any `json:"days"`
		}
		if r.Code != http.StatusOK || json.Unmarshal([]byte(r.Body), &daily) != nil || len(daily.Days) != 1 || daily.From != d ||
			daily.To != d || daily.Facility != "moulay-rachid-field-1" {
			t.Fatalf("daily figures: %d %s", r.Code, r.Body)
		}
		got := daily.Days[0]
		if got["date"] != d || got["offered"] != 15.0 || got["booked"] != 1.0 || got["first_come"] != 1.0 || got["checked_in"] != 0.0 ||
			len(got) != 8 || strings.Contains(r.Body, "token") || strings.Contains(r.Body, "youth") {
			t.Errorf("daily figures: %s", r.Body)
		}
		if r := apptest.DoChecked(t, a, "GET", "/api/v1/booking/facilities/moulay-rachid-field-1/daily?from="+d+"&to=2020-01-01"); r.Code != http.StatusBadRequest {
			t.Errorf("a period ending before it starts: %d %s", r.Code, r.Body)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}
