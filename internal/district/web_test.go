package district_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/district"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Every arrondissement's page gives its window's address, opening hours
// (with Ramadan's), phone and a map link, in the three languages; a phone
// number the city has not confirmed is said to be so, never offered to
// dial.
func TestArrondissementPageTellsHowToReachTheWindow(t *testing.T) {
	a := apptest.New(t, db.SQLite)
	srv := apptest.Server(t, a)
	b := apptest.NewBrowser(t, srv.URL)
	ctx := context.Background()
	as, err := a.Districts.Arrondissements(ctx)
	if err != nil || len(as) != 16 {
		t.Fatalf("%d arrondissements, %v", len(as), err)
	}
	for _, l := range i18n.Langs {
		b.SetLang(l)
		for _, ar := range as {
			_, _, win, err := a.Districts.Arrondissement(ctx, ar.Code)
			if err != nil || win.Contact == nil || !win.Contact.Located() {
				t.Fatalf("%s: window %+v without contact (%v)", ar.Code, win, err)
			}
			code, body, _ := b.Get("/arrondissements/" + ar.Code)
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d", l, ar.Code, code)
			}
			for what, want := range map[string]string{
				"address":      win.Contact.Address.Pick(l),
				"hours":        a.Cat.T(l, "district.contact.hours"),
				"weekday span": `<bdi dir="ltr" class="times">08:30–12:30</bdi> ` + a.Cat.T(l, "district.hours.and") + ` <bdi dir="ltr" class="times">14:30–16:30</bdi>`,
				"friday span":  `<bdi dir="ltr" class="times">08:30–11:30</bdi> ` + a.Cat.T(l, "district.hours.and") + ` <bdi dir="ltr" class="times">15:00–16:30</bdi>`,
				"phone":        a.Cat.T(l, "district.contact.phone_unconfirmed"),
				"map":          `href="` + html.EscapeString(district.OSMURL(win.Contact.Lat, win.Contact.Lon)) + `"`,
			} {
				if !strings.Contains(body, want) && !strings.Contains(body, html.EscapeString(want)) {
					t.Errorf("%s %s: no %s (%q):\n%s", l, ar.Code, what, want, apptest.Grep(body, "summary-value"))
				}
			}
			if strings.Contains(body, "tel:") {
				t.Errorf("%s %s: a placeholder number is offered to dial", l, ar.Code)
			}
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("%s: untranslated %v", l, miss)
		}
	}
	b.SetLang(i18n.FR)
	_, body, _ := b.Get("/arrondissements/anfa")
	for _, want := range []string{"du lundi au jeudi :", "le vendredi :", "Fermé le samedi, le dimanche et les jours fériés",
		"Pendant le prochain ramadan, du ", "du lundi au vendredi : <bdi dir=\"ltr\" class=\"times\">09:00–15:00</bdi>",
		"https://www.openstreetmap.org/?mlat=33.5897&amp;mlon=-7.633#map=17/33.5897/-7.633"} {
		if !strings.Contains(body, want) {
			t.Errorf("anfa: no %q:\n%s", want, apptest.Grep(body, "summary-value"))
		}
	}
}

// The hours the page shows are the ones deposit appointments are offered
// in: every slot the permit capability offers at a window starts and ends
// within a span the page gives for that day.
func TestWindowHoursAreTheDepositHours(t *testing.T) {
	a := apptest.New(t, db.SQLite)
	ctx := context.Background()
	hours := a.Permit.Calendar().AdministrationHours()
	for _, w := range []string{"anfa", "city"} {
		slots, err := a.Permit.Slots(ctx, w)
		if err != nil || len(slots) == 0 {
			t.Fatalf("%s: %d slots, %v", w, len(slots), err)
		}
		for _, s := range slots {
			day := calendar.DateOf(s.Start)
			shown := district.WindowHours(hours, day)
			rows := shown.Week
			if shown.RamadanNow {
				rows = shown.Ramadan
			}
			st, en := s.Start.In(i18n.Casablanca).Format("15:04"), s.End.In(i18n.Casablanca).Format("15:04")
			ok := false
			for _, r := range rows {
				if r.From <= day.Weekday() && day.Weekday() <= r.To {
					for _, sp := range r.Spans {
						from, to, _ := strings.Cut(sp, "–")
						ok = ok || from <= st && en <= to
					}
				}
			}
			if !ok {
				t.Errorf("%s: slot %s–%s on %s is outside the hours shown %+v", w, st, en, day, rows)
			}
		}
	}
}

// During Ramadan the page says the current Ramadan's hours; after the last
// Ramadan the calendar knows, it shows none rather than a past one.
func TestWindowHoursAroundRamadan(t *testing.T) {
	week := calendar.AdministrationWeek()
	ram := calendar.Period{Name: "ramadan-1448", Dates: calendar.DateRange{From: calendar.MakeDate(2027, 2, 8), To: calendar.MakeDate(2027, 3, 9)},
		Week: calendar.RamadanWeek()}
	h := calendar.OpeningHours{Week: week, Periods: []calendar.Period{ram}}
	before := district.WindowHours(h, calendar.MakeDate(2026, 12, 5))
	if before.RamadanNow || len(before.Ramadan) != 1 || before.Ramadan[0].From != time.Monday || before.Ramadan[0].To != time.Friday {
		t.Errorf("before Ramadan: %+v", before)
	}
	if in := district.WindowHours(h, calendar.MakeDate(2027, 2, 20)); !in.RamadanNow {
		t.Errorf("in Ramadan: %+v", in)
	}
	if after := district.WindowHours(h, calendar.MakeDate(2027, 3, 10)); after.Ramadan != nil {
		t.Errorf("after the last Ramadan known: %+v", after)
	}
	if len(before.Week) != 2 || before.Week[0].To != time.Thursday || before.Week[1].From != time.Friday {
		t.Errorf("the usual week: %+v", before.Week)
	}
}
