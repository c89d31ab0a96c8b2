package complaint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/complaint"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// apiRequest is a request as the API gives it to its reporter.
type apiRequest struct {
	ID             int64
	Number         string
	TrackingCode   string `json:"tracking_code"`
	State          string
	Version        int
	Description    string
	Arrondissement string
	Held           bool
	CoReported     bool                   `json:"co_reported"`
	PublicAnswer   string                 `json:"public_answer"`
	PlannedFor     string                 `json:"planned_for"`
	WorkPhotos     []struct{ URL string } `json:"work_photos"`
	Photos         []struct {
		Position      int
		Width, Height int
		URL           string
	}
	Rating *struct {
		Stars   int
		Comment string
	}
	Events []struct {
		Change, To, Note string
		PlannedFor       string `json:"planned_for"`
	}
}

// jpegOf is a w×h JPEG photo.
func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 3), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRequestsAPI: a citizen's app files a street light with its photo
// through the JSON API with a token, lists and reads it with its
// history, answers the team's question, rates the answer and reopens it
// as not fixed; every answer is checked against the served OpenAPI
// document. A token without the scope, another citizen, a staff change,
// bad filings (unknown category, outside the city, six photos, a photo
// that is not one) are refused in the caller's language and leave
// nothing filed.
func TestRequestsAPI(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		fatima := apptest.PersonID(t, a, "fatima.benali@example.ma")
		token := func(p int64, scopes ...authz.Scope) string {
			t.Helper()
			tok, err := a.Identity.CreateToken(ctx, p, "app", scopes, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		api := apptest.CheckedAPI(t, a, base, token(fatima, authz.ScopeRequestsRead, authz.ScopeRequestsWrite))
		filesOnly := api.As(token(fatima, authz.ScopeFilesRead))
		other := api.As(token(apptest.PersonID(t, a, "youssef.elamrani@example.ma"), authz.ScopeRequestsRead, authz.ScopeRequestsWrite))

		light := map[string]any{"category": "lighting", "lat": 33.579, "lon": -7.529, "address": "Rue 12, Sidi Moumen",
			"description": "Le lampadaire devant le n° 12 est éteint depuis une semaine. Appelez-moi au 0612345678.",
			"answers":     map[string]string{"pole": "SM-0412"}, "contact": "email", "photos": [][]byte{jpegOf(t, 640, 480)}}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for kk, vv := range light {
				m[kk] = vv
			}
			m[k] = v
			return m
		}

		// Refused, each in French, and nothing filed.
		for _, c := range []struct {
			what   string
			client apptest.APIClient
			in     any
			status int
			want   string
		}{
			{"a token without the scope", filesOnly, light, http.StatusForbidden, ""},
			{"an unknown category", api, with("category", "unicorns"), http.StatusBadRequest, "Choisissez un sujet"},
			{"a point outside the city", api, with("lat", 48.8566), http.StatusBadRequest, "hors du territoire"},
			{"six photos", api, with("photos", [][]byte{{1}, {2}, {3}, {4}, {5}, {6}}), http.StatusBadRequest, "5 photos au plus"},
			{"a photo that is not one", api, with("photos", [][]byte{[]byte("%PDF-1.7 not a photo")}), http.StatusBadRequest, "pas une photo"},
			{"an unknown field", api, with("name", "Fatima"), http.StatusBadRequest, "name"},
		} {
			status, body := c.client.JSON("POST", "/api/v1/requests?lang=fr", c.in, nil)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d %.300s; want %d with %q", c.what, status, body, c.status, c.want)
			}
		}
		// A category of some arrondissements only: refused elsewhere.
		beach := map[string]any{"category": "beaches", "lat": 33.579, "lon": -7.529, "description": "Plage sale.",
			"answers": map[string]string{"what": "dirty"}}
		if status, body := api.JSON("POST", "/api/v1/requests?lang=fr", beach, nil); status != http.StatusBadRequest ||
			!strings.Contains(body, "n’est pas traité dans cet arrondissement") {
			t.Errorf("a beach in Sidi Moumen: %d %.300s", status, body)
		}
		var mine []apiRequest
		if status, body := api.JSON("GET", "/api/v1/requests", nil, &mine); status != 200 || len(mine) != 0 {
			t.Fatalf("after the refusals: %d %d requests %.300s", status, len(mine), body)
		}

		// Filed, with its photo resized and its place's arrondissement.
		var x apiRequest
		if status, body := api.JSON("POST", "/api/v1/requests", light, &x); status != http.StatusCreated || x.Number == "" ||
			x.TrackingCode == "" || x.State != "received" || x.Arrondissement != "sidi-moumen" || len(x.Photos) != 1 ||
			x.Photos[0].Width != 640 || !strings.Contains(x.Description, "0612345678") || x.Held {
			t.Fatalf("filed: %d %+v %.500s", status, x, body)
		}
		beach["lat"], beach["lon"] = 33.5925, -7.6560 // Anfa, by the corniche
		var onBeach apiRequest
		if status, body := api.JSON("POST", "/api/v1/requests", beach, &onBeach); status != http.StatusCreated || onBeach.Arrondissement != "anfa" {
			t.Errorf("a beach in Anfa: %d %.300s", status, body)
		}
		path := "/api/v1/requests/" + strconv.FormatInt(x.ID, 10)
		if status, _ := api.Call("GET", x.Photos[0].URL, "", nil, nil); status != 200 {
			t.Errorf("its photo: %d", status)
		}
		if status, _ := api.JSON("GET", "/api/v1/requests", nil, &mine); status != 200 || len(mine) != 2 || mine[1].Number != x.Number {
			t.Errorf("listed: %d %+v", status, mine)
		}
		for _, c := range []struct {
			who    string
			client apptest.APIClient
		}{{"another citizen", other}, {"a token without the scope", filesOnly}, {"no token", api.As("")}} {
			if status, _ := c.client.JSON("GET", path, nil, nil); status != http.StatusNotFound && status != http.StatusForbidden && status != http.StatusUnauthorized {
				t.Errorf("%s reads the request: %d", c.who, status)
			}
		}

		// The team asks; the citizen answers through the API, and may not
		// make the team's changes.
		lydec := authz.Actor{Person: apptest.PersonID(t, a, "karim.benjelloun@example.ma"), EmailVerified: true, MFA: true, Now: time.Now(),
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: "lydec"}}}
		if _, err := a.Complaint.Move(ctx, lydec, x.ID, 0, complaint.CAsk, "Quel est le numéro du poteau le plus proche ?"); err != nil {
			t.Fatal(err)
		}
		if status, body := api.JSON("POST", path+"/changes?lang=fr", map[string]any{"change": "resolve", "note": "Réparé"}, nil); status != http.StatusForbidden ||
			!strings.Contains(body, "Vous n’avez pas le droit") {
			t.Errorf("the citizen resolves: %d %.300s", status, body)
		}
		if status, body := api.JSON("POST", path+"/changes?lang=fr", map[string]any{"change": "reply", "note": "  "}, nil); status != http.StatusBadRequest ||
			!strings.Contains(body, "Écrivez votre réponse") {
			t.Errorf("an empty answer: %d %.300s", status, body)
		}
		if status, body := api.JSON("POST", path+"/changes", map[string]any{"change": "reply", "note": "SM-0412", "version": 1}, nil); status != http.StatusConflict {
			t.Errorf("an answer to a version gone: %d %.300s", status, body)
		}
		if status, body := api.JSON("POST", path+"/changes", map[string]any{"change": "reply", "note": "Le poteau SM-0412, face à l'école."}, &x); status != 200 ||
			x.State != "in_progress" || len(x.Events) < 3 || x.Events[len(x.Events)-2].Note != "Quel est le numéro du poteau le plus proche ?" ||
			x.Events[len(x.Events)-1].Change != "reply" {
			t.Errorf("answered: %d %+v %.500s", status, x, body)
		}

		// The team plans the work: the day in the request and its history;
		// the citizen may not plan.
		day := calendar.DateOf(time.Now()).AddDays(2)
		if _, err := a.Complaint.Plan(ctx, lydec, x.ID, 0, day.String(), ""); err != nil {
			t.Fatal(err)
		}
		if status, body := api.JSON("GET", path, nil, &x); status != 200 || x.PlannedFor != day.String() ||
			x.Events[len(x.Events)-1].Change != "plan" || x.Events[len(x.Events)-1].PlannedFor != day.String() {
			t.Errorf("planned: %d %+v %.500s", status, x, body)
		}
		// Open311 clients read the day as expected_datetime.
		res, err := http.Get(base + "/open311/v2/requests/" + x.Number + ".json?jurisdiction_id=casablanca")
		if err != nil {
			t.Fatal(err)
		}
		var o311 []struct {
			Expected string `json:"expected_datetime"`
		}
		if err := json.NewDecoder(res.Body).Decode(&o311); err != nil || len(o311) != 1 ||
			o311[0].Expected != day.Start().In(i18n.Casablanca).Format(time.RFC3339) {
			t.Errorf("Open311's expected_datetime: %+v %v", o311, err)
		}
		res.Body.Close()
		if status, _ := api.JSON("POST", path+"/changes", map[string]any{"change": "plan", "note": ""}, nil); status != http.StatusBadRequest {
			t.Errorf("the citizen plans: %d", status)
		}

		// Resolved; rated (out of range first); reopened as not fixed.
		if _, err := a.Complaint.Resolve(ctx, lydec, x.ID, 0, "Lampe remplacée le 5 décembre.", bytes.NewReader(jpegOf(t, 320, 240))); err != nil {
			t.Fatal(err)
		}
		if status, _ := api.JSON("PUT", path+"/rating", map[string]any{"stars": 6}, nil); status != http.StatusBadRequest {
			t.Errorf("six stars: %d", status)
		}
		if status, body := other.JSON("PUT", path+"/rating", map[string]any{"stars": 1}, nil); status < 400 {
			t.Errorf("another citizen rates: %d %.300s", status, body)
		}
		if status, body := api.JSON("PUT", path+"/rating", map[string]any{"stars": 4, "comment": "Rapide, merci."}, &x); status != 200 ||
			x.Rating == nil || x.Rating.Stars != 4 || x.PublicAnswer != "Lampe remplacée le 5 décembre." || len(x.WorkPhotos) != 1 {
			t.Errorf("rated: %d %+v %.300s", status, x, body)
		} else if status, _ := api.Call("GET", x.WorkPhotos[0].URL, "", nil, nil); status != 200 {
			t.Errorf("the photo of the work done: %d", status)
		} else if status, _ := other.Call("GET", x.WorkPhotos[0].URL, "", nil, nil); status != http.StatusNotFound {
			t.Errorf("another citizen opens the photo of the work done: %d", status)
		}
		var reopened apiRequest // a plan no more: no planned_for
		if status, body := api.JSON("POST", path+"/changes", map[string]any{"change": "reopen", "note": "Elle s'est éteinte de nouveau ce soir."}, &reopened); status != 200 ||
			reopened.State != "reopened" || reopened.PlannedFor != "" {
			t.Errorf("reopened: %d %+v %.300s", status, reopened, body)
		}
	})
}
