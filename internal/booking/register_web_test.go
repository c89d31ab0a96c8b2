package booking_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

const field1 = "moulay-rachid-field-1"

// The public register, over HTTP, in Arabic and French: Moulay Rachid's
// fields hold a citizen's booking, an association's, a team's and a
// peak slot given by a draw. Every held slot shows its token and how it
// was allocated; the draw its committed seed hash, its seed and, in its
// JSON, its result, which verifies; the daily figures count. Nowhere —
// page, draw, figures — is a holder named: no name (Arabic or Latin), no
// e-mail, no phone, no association or team name, no person's id.
func TestThePublicRegisterNamesNobody(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		// The handler alone: no booking clock of the application's
		// holding the draw below on the real clock before its entries.
		base := apptest.Server(t, a).URL
		ctx := context.Background()
		svc := func(at time.Time) *booking.Service {
			return booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: jobs.New(a.DB, nil, jobs.Options{}),
				Box: a.Box, Now: func() time.Time { return at }})
		}
		now := time.Now().UTC()
		citizen := func(email string) authz.Actor {
			return authz.Actor{Person: apptest.PersonID(t, a, email), EmailVerified: true, Now: now}
		}
		// Five players of a team, each with a name of their own.
		var players []authz.Actor
		for i := range 5 {
			var id int64
			if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
				return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, phone, phone_verified_at,
					given_name_ar, family_name_ar, given_name_latin, family_name_latin, lang, created_at, updated_at)
					VALUES ($1, $1, $2, $3, $2, 'زكرياء', $4, 'Zakaria', $5, 'ar', $2, $2) RETURNING id`,
					fmt.Sprintf("zakaria.player%d@example.ma", i), now, fmt.Sprintf("+2126001122%02d", i),
					"البوزيدي"+strconv.Itoa(i), "Bouzidi"+strconv.Itoa(i)).Scan(&id)
			}); err != nil {
				t.Fatal(err)
			}
			players = append(players, authz.Actor{Person: id, EmailVerified: true, Now: now})
		}
		fatima := citizen("fatima.benali@example.ma")
		naimaID := apptest.PersonID(t, a, "naima.bennis@example.ma")
		var assoc int64
		if err := a.DB.QueryRowContext(ctx, `SELECT legal_person_id FROM representatives WHERE person_id = $1`, naimaID).Scan(&assoc); err != nil {
			t.Fatal(err)
		}
		naima := authz.Actor{Person: naimaID, EmailVerified: true, Now: now, ActingFor: assoc, Represents: []int64{assoc}}

		// The day after tomorrow, off-peak: a citizen's and an
		// association's first-come bookings on field 1, a team's on field 2.
		cat1 := booking.DefaultCatalogue()
		f, _ := cat1.Facility(field1)
		f2, _ := cat1.Facility("moulay-rachid-field-2")
		open := func(from, to int, fs ...*booking.Facility) time.Time {
			for k := from; k <= to; k++ {
				day := now.In(i18n.Casablanca).AddDate(0, 0, k)
				if !slices.ContainsFunc(fs, func(f *booking.Facility) bool { return len(f.Slots(calendar.DateOf(day))) == 0 }) {
					return day
				}
			}
			t.Fatalf("no open day from %d to %d days ahead", from, to)
			return time.Time{}
		}
		d := open(2, 4, f, f2) // not a day of closure
		slot := func(h int) time.Time {
			return time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, i18n.Casablanca).UTC()
		}
		s := svc(now)
		if _, err := s.Book(ctx, fatima, booking.BookInput{Facility: field1, Start: slot(10)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Book(ctx, naima, booking.BookInput{Facility: field1, Start: slot(11)}); err != nil {
			t.Fatal(err)
		}
		team, err := s.CreateTeam(ctx, fatima, "Les Aigles de Derb Sultan")
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range players {
			if err := s.Invite(ctx, fatima, team.ID, fmt.Sprintf("zakaria.player%d@example.ma", i)); err != nil {
				t.Fatal(err)
			}
			vs, err := s.Invitations(ctx, p)
			if err != nil || len(vs) != 1 {
				t.Fatalf("player %d's invitations: %+v %v", i, vs, err)
			}
			if err := s.Answer(ctx, p, vs[0].ID, true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Book(ctx, fatima, booking.BookInput{Facility: "moulay-rachid-field-2", Start: slot(22), Team: team.ID}); err != nil {
			t.Fatalf("the team's booking: %v", err)
		}

		// A peak evening five days ahead, drawn: its window opened and
		// closed in the past (the services' clocks), its slot is to come.
		pd := open(5, 7, f)
		peak := time.Date(pd.Year(), pd.Month(), pd.Day(), 19, 0, 0, 0, i18n.Casablanca).UTC()
		opened := svc(f.Release(peak).Add(time.Hour))
		if _, err := opened.PrepareDraws(ctx); err != nil {
			t.Fatal(err)
		}
		for _, who := range []authz.Actor{citizen("youssef.elamrani@example.ma"), players[0], players[1]} {
			if _, err := opened.Enter(ctx, who, booking.BookInput{Facility: field1, Start: peak}); err != nil {
				t.Fatalf("entering the draw: %v", err)
			}
		}
		if _, err := svc(f.DrawCloses(peak).Add(time.Minute)).Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		var drawID int64
		var seed, hash string
		if err := a.DB.QueryRowContext(ctx, `SELECT id, seed, seed_hash FROM booking_draws WHERE facility_code = $1 AND slot_start = $2
			AND state = 'drawn'`, field1, peak).Scan(&drawID, &seed, &hash); err != nil {
			t.Fatalf("the draw was not held: %v", err)
		}

		// What must never show: every holder's and entrant's identity.
		var secrets []string
		holders := append([]authz.Actor{fatima, naima, citizen("youssef.elamrani@example.ma")}, players...)
		for _, h := range holders {
			var email, phone, gar, far, gl, fl string
			if err := a.DB.QueryRowContext(ctx, `SELECT email, COALESCE(phone, ''), given_name_ar, family_name_ar, given_name_latin,
				family_name_latin FROM persons WHERE id = $1`, h.Person).Scan(&email, &phone, &gar, &far, &gl, &fl); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{email, phone, strings.TrimPrefix(phone, "+212"), far, fl, gar + " " + far, gl + " " + fl,
				"person:" + strconv.FormatInt(h.Person, 10)} {
				if strings.TrimSpace(v) != "" {
					secrets = append(secrets, v)
				}
			}
		}
		var assocName string
		if err := a.DB.QueryRowContext(ctx, `SELECT name FROM legal_persons WHERE id = $1`, assoc).Scan(&assocName); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, assocName, team.Name, "Aigles")
		names := func(what, body string) {
			t.Helper()
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s shows %q:\n%s", what, s, apptest.Grep(body, s))
				}
			}
		}
		tokens := func(code string) map[string]string {
			t.Helper()
			rows, err := a.DB.QueryContext(ctx, `SELECT token, method FROM bookings WHERE facility_code = $1`, code)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]string{}
			for rows.Next() {
				var tok, m string
				if err := rows.Scan(&tok, &m); err != nil {
					t.Fatal(err)
				}
				out[tok] = m
			}
			return out
		}
		field1Tokens, field2Tokens := tokens(field1), tokens("moulay-rachid-field-2")
		if len(field1Tokens) != 3 || len(field2Tokens) != 1 {
			t.Fatalf("bookings: %v on field 1, %v on field 2", field1Tokens, field2Tokens)
		}

		cat, err := i18n.Load(booking.Messages)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []i18n.Lang{i18n.AR, i18n.FR} {
			anon := apptest.NewBrowser(t, base)
			anon.SetLang(l)
			for code, toks := range map[string]map[string]string{field1: field1Tokens, "moulay-rachid-field-2": field2Tokens} {
				status, body, _ := anon.Get("/bookings/places/" + code)
				if status != http.StatusOK {
					t.Fatalf("%s register of %s: %d", l, code, status)
				}
				reg := body[strings.Index(body, `id="register-title"`):]
				if !strings.Contains(body, cat.T(l, "booking.register.title")) || !strings.Contains(reg, html.EscapeString(cat.T(l, "booking.register.intro"))) {
					t.Fatalf("the %s page of %s has no register:\n%s", l, code, apptest.Grep(body, "register"))
				}
				for tok, m := range toks {
					row := regexp.MustCompile(`<tr><th scope="row">[^<]*</th><td[^>]*>` + regexp.QuoteMeta(html.EscapeString(cat.T(l, "booking.method."+m))) +
						`</td><td[^>]*><bdi dir="ltr">` + tok + `</bdi></td>`)
					if !row.MatchString(reg) {
						t.Errorf("the %s register of %s has no row of token %s allocated %q:\n%s", l, code, tok, cat.T(l, "booking.method."+m),
							apptest.Grep(reg, "<tr>"))
					}
				}
				names(string(l)+" page of "+code, body)
			}
			// The draw: its committed hash and revealed seed on the page.
			_, body, _ := anon.Get("/bookings/places/" + field1)
			if !strings.Contains(body, html.EscapeString(cat.T(l, "booking.register.seed"))) || !strings.Contains(body, hash) || !strings.Contains(body, seed) ||
				!strings.Contains(body, `href="/api/v1/booking/draws/`+strconv.FormatInt(drawID, 10)+`"`) {
				t.Errorf("the %s page does not publish the draw's seed and hash:\n%s", l, apptest.Grep(body, "digest"))
			}
			if l == i18n.AR && !strings.Contains(body, `dir="rtl"`) {
				t.Error("the Arabic register is not right to left")
			}
		}

		// The draw's data: its result by tokens, which anyone re-runs.
		anon := apptest.NewBrowser(t, base)
		status, raw, _ := anon.Get("/api/v1/booking/draws/" + strconv.FormatInt(drawID, 10))
		if status != http.StatusOK {
			t.Fatalf("the draw's data: %d", status)
		}
		var p booking.Published
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		if p.Seed != seed || p.SeedHash != hash || len(p.Result) != 3 || len(p.Entries) != 3 || p.Verify() != nil {
			t.Fatalf("the published draw: %+v (verify: %v)", p, p.Verify())
		}
		if field1Tokens[p.Result[0]] != booking.ByDraw {
			t.Errorf("the draw's winner %s holds no slot by draw on the register (%v)", p.Result[0], field1Tokens)
		}
		names("the draw's JSON", raw)
		noPersonalKeys(t, "the draw's JSON", raw)

		// The daily figures of the coming week: counted, never named.
		from := now.In(i18n.Casablanca).Format(time.DateOnly)
		to := now.In(i18n.Casablanca).AddDate(0, 0, 6).Format(time.DateOnly)
		status, raw, _ = anon.Get("/api/v1/booking/facilities/" + field1 + "/daily?from=" + from + "&to=" + to)
		if status != http.StatusOK {
			t.Fatalf("daily figures: %d %s", status, raw)
		}
		var daily booking.Daily
		if err := json.Unmarshal([]byte(raw), &daily); err != nil {
			t.Fatal(err)
		}
		if c := daily.Totals(); c.Booked != 3 || c.FirstCome != 2 || c.Drawn != 1 {
			t.Errorf("daily figures: %+v, want 3 booked, 2 first come, 1 drawn", c)
		}
		names("the daily figures", raw)
		noPersonalKeys(t, "the daily figures", raw)
	})
}

// noPersonalKeys fails when the JSON document raw has a member whose name
// says it holds someone (holder, person, e-mail, phone, name).
func noPersonalKeys(t *testing.T, what, raw string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				for _, bad := range []string{"holder", "person", "email", "phone", "name", "legal", "team", "user"} {
					if strings.Contains(strings.ToLower(k), bad) {
						t.Errorf("%s has a member %q", what, k)
					}
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
}
