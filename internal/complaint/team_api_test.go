package complaint_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

var tokenRE = regexp.MustCompile(`mdn_[A-Za-z0-9_-]{43}`)

// TestTeamWorkThroughTheAPI: Lydec's officer, signed in with the second
// factor, issues a staff token for the team's field app from the tokens
// page; the app reads the queue (overdue first), acknowledges the street
// light, merges Youssef's duplicate into it, plans the work and resolves
// it with a photo of the work done — every answer checked against the
// OpenAPI document — and the reporter reads the result with their own
// token. The token does nothing else (no filing, no profile, no permit
// file), a citizen's token and a citizen's session get none of it, bad
// changes are refused on their field in French, and the token ends the
// moment the officer signs out. The database refuses a staff token not
// bound to a session or longer than 12 hours.
func TestTeamWorkThroughTheAPI(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		officer := apptest.PersonID(t, a, "laila.kettani@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'lydec', 'complaint_officer', $2)`, officer, time.Now()); err != nil {
			t.Fatal(err)
		}
		token := func(email string) string {
			t.Helper()
			tok, err := a.Identity.CreateToken(ctx, apptest.PersonID(t, a, email), "app", []authz.Scope{authz.ScopeRequestsRead, authz.ScopeRequestsWrite}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		fatima := apptest.CheckedAPI(t, a, base, token("fatima.benali@example.ma"))
		youssef := fatima.As(token("youssef.elamrani@example.ma"))
		light := map[string]any{"category": "lighting", "lat": 33.579, "lon": -7.529, "address": "Rue 12, Sidi Moumen",
			"description": "Le lampadaire devant le n° 12 est éteint.", "answers": map[string]string{"pole": "SM-0412"}, "contact": "email"}
		var x, dup apiRequest
		if status, body := fatima.JSON("POST", "/api/v1/requests", light, &x); status != http.StatusCreated {
			t.Fatalf("filed: %d %.300s", status, body)
		}
		light["description"] = "Lampadaire éteint rue 12, depuis lundi."
		if status, body := youssef.JSON("POST", "/api/v1/requests", light, &dup); status != http.StatusCreated {
			t.Fatalf("the duplicate filed: %d %.300s", status, body)
		}
		path := "/api/v1/requests/" + strconv.FormatInt(x.ID, 10)

		// A citizen's session offers no staff token and is refused one.
		citizen := apptest.NewBrowser(t, base)
		citizen.SignIn("fatima.benali@example.ma", false)
		if _, body, _ := citizen.Get("/me/tokens"); strings.Contains(body, `action="/me/tokens/staff"`) {
			t.Error("a citizen is offered a staff token")
		}
		if code, body, _ := citizen.Post("/me/tokens", "/me/tokens/staff", url.Values{"name": {"x"}, "hours": {"8"}}); code == http.StatusOK || tokenRE.MatchString(body) {
			t.Errorf("a citizen got a staff token: %d", code)
		}
		// Nor may a personal token carry the team's scope.
		if _, err := a.Identity.CreateToken(ctx, officer, "app", []authz.Scope{authz.ScopeRequestsWork}, time.Hour); err == nil {
			t.Error("a personal token was made with the team's scope")
		}

		// The officer's session, with the second factor: 13 hours refused
		// on its field, 8 given.
		staff := apptest.NewBrowser(t, base)
		staff.SignIn("laila.kettani@example.ma", true)
		staff.SetLang(i18n.FR)
		if _, body, _ := staff.Get("/me/tokens"); !strings.Contains(body, `action="/me/tokens/staff"`) || !strings.Contains(body, "Un jeton pour les outils de votre équipe") {
			t.Fatal("the officer is not offered a staff token")
		}
		if code, body, _ := staff.Post("/me/tokens", "/me/tokens/staff", url.Values{"name": {"Tablette"}, "hours": {"13"}}); code != http.StatusBadRequest ||
			!strings.Contains(body, "entre 1 et 12 heures") || !strings.Contains(body, `id="hours-error"`) || tokenRE.MatchString(body) {
			t.Errorf("13 hours: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, body, _ := staff.Post("/me/tokens", "/me/tokens/staff", url.Values{"name": {"Tablette de l'équipe"}, "hours": {"8"}})
		secret := tokenRE.FindString(body)
		if code != http.StatusOK || secret == "" || !strings.Contains(body, "prend fin avec cette session") {
			t.Fatalf("the staff token: %d\n%s", code, apptest.Grep(body, "banner"))
		}
		team := fatima.As(secret)

		// The queue: both requests, the older first.
		var queue []apiRequest
		if status, body := team.JSON("GET", "/api/v1/team/requests", nil, &queue); status != 200 || len(queue) != 2 || queue[0].ID != x.ID {
			t.Fatalf("the queue: %d %+v %.300s", status, queue, body)
		}
		change := func(c map[string]any, out any) (int, string) {
			t.Helper()
			return team.JSON("POST", path+"/changes?lang=fr", c, out)
		}
		if status, body := change(map[string]any{"change": "acknowledge"}, &x); status != 200 || x.State != "acknowledged" {
			t.Fatalf("acknowledged: %d %.300s", status, body)
		}
		if status, body := change(map[string]any{"change": "merge", "duplicate": dup.Number, "note": "Même lampadaire."}, &x); status != 200 {
			t.Fatalf("merged: %d %.300s", status, body)
		}
		if status, _ := youssef.JSON("GET", "/api/v1/requests/"+strconv.FormatInt(dup.ID, 10), nil, &dup); status != 200 || dup.State != "closed" {
			t.Errorf("the duplicate after the merge: %d %+v", status, dup)
		}
		// Bad changes, each on its field in French, and nothing changed.
		for _, c := range []struct {
			in   map[string]any
			want string
		}{
			{map[string]any{"change": "plan", "planned_for": "31/02"}, "Indiquez un jour"},
			{map[string]any{"change": "ask", "note": "Quel poteau ?", "photo": jpegOf(t, 64, 64)}, "qu'en résolvant"},
			{map[string]any{"change": "repaint", "note": "x"}, "Action inconnue"},
			{map[string]any{"change": "resolve", "note": "Réparé.", "photo": []byte("%PDF-1.7 not a photo")}, "pas une photo"},
			{map[string]any{"change": "merge", "duplicate": "XX-0000"}, "Donnez le numéro"},
		} {
			if status, body := change(c.in, nil); status != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Errorf("%v: %d %.300s", c.in["change"], status, body)
			}
		}
		day := calendar.DateOf(time.Now()).AddDays(2)
		if status, body := change(map[string]any{"change": "plan", "planned_for": day.String(), "note": "L'équipe passe jeudi."}, &x); status != 200 ||
			x.PlannedFor != day.String() || x.State != "in_progress" {
			t.Fatalf("planned: %d %.300s", status, body)
		}
		if status, body := change(map[string]any{"change": "resolve", "note": "Lampe remplacée.", "photo": jpegOf(t, 640, 480), "version": x.Version}, &x); status != 200 ||
			x.State != "resolved" || len(x.WorkPhotos) != 1 || x.PublicAnswer != "Lampe remplacée." {
			t.Fatalf("resolved with a photo: %d %.300s", status, body)
		}
		var mine apiRequest
		if status, _ := fatima.JSON("GET", path, nil, &mine); status != 200 || mine.State != "resolved" || len(mine.WorkPhotos) != 1 {
			t.Errorf("the reporter reads: %d %+v", status, mine)
		}

		// The token does the team's work and nothing else; a citizen's
		// token none of it.
		for _, c := range []struct {
			what, method, path string
			client             apptest.APIClient
			in                 any
		}{
			{"the staff token files a request", "POST", "/api/v1/requests", team, light},
			{"the staff token reads the profile", "GET", "/api/v1/me", team, nil},
			{"the staff token lists permit files", "GET", "/api/v1/files", team, nil},
			{"a citizen's token reads the queue", "GET", "/api/v1/team/requests?organisation=lydec", fatima, nil},
			{"a citizen's token acknowledges", "POST", "/api/v1/requests/" + strconv.FormatInt(dup.ID, 10) + "/changes", youssef, map[string]any{"change": "close", "note": "x"}},
		} {
			if status, body := c.client.JSON(c.method, c.path, c.in, nil); status != http.StatusForbidden && status != http.StatusNotFound {
				t.Errorf("%s: %d %.200s", c.what, status, body)
			}
		}

		// Signed out: the token ends with the session.
		if code, _, _ := staff.Post("/me", "/signout", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", code)
		}
		if status, _ := team.JSON("GET", "/api/v1/team/requests", nil, nil); status != http.StatusUnauthorized {
			t.Errorf("the staff token after sign-out: %d", status)
		}

		// The database keeps the rule too.
		now := time.Now().UTC()
		for i, c := range []struct {
			session bool
			life    time.Duration
		}{{false, time.Hour}, {true, 13 * time.Hour}} {
			var session any
			if c.session {
				if err := a.DB.QueryRowContext(ctx, `SELECT token_hash FROM sessions WHERE person_id = $1 LIMIT 1`, officer).Scan(&session); err != nil {
					t.Fatal(err)
				}
			}
			_, err := a.DB.ExecContext(ctx, `INSERT INTO api_tokens (person_id, name, token_hash, scopes, created_at, expires_at, session_hash)
				VALUES ($1, 'x', $2, 'requests:read requests:work', $3, $4, $5)`, officer, strings.Repeat(strconv.Itoa(i), 64), now, now.Add(c.life), session)
			if err == nil {
				t.Errorf("the database took a staff token (session %v, %s)", c.session, c.life)
			}
		}
	})
}
