package complaint_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestFloodsAreHeldForReview: past twenty filings in a day, an account's
// next request is not refused but held: its reporter reads that it waits
// for review; it is out of the team's queue, the public list and Open311,
// listed apart for the team, who takes it up — then it is everywhere.
func TestFloodsAreHeldForReview(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		officer := apptest.PersonID(t, a, "laila.kettani@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'lydec', 'complaint_officer', $2)`, officer, time.Now()); err != nil {
			t.Fatal(err)
		}
		citizen := apptest.NewBrowser(t, base)
		citizen.SignIn("khadija.ouazzani@example.ma", false)
		form := url.Values{"arrondissement": {"anfa"}, "lat": {"33.59"}, "lon": {"-7.63"}, "description": {"Lampadaire éteint"}}
		for i := 0; i < 20; i++ {
			if page, _ := file(t, citizen, "lighting", form, nil); page == "" {
				t.Fatal("a filing failed")
			}
		}
		held, heldNo := file(t, citizen, "lighting", form, nil)
		citizen.SetLang(i18n.EN)
		if code, body, _ := citizen.Get(held); code != 200 || !strings.Contains(body, "Held for review") {
			t.Fatalf("the reporter's page: %d\n%s", code, apptest.Grep(body, "eview"))
		}
		staff := apptest.NewBrowser(t, base)
		staff.SignIn("laila.kettani@example.ma", true)
		staff.SetLang(i18n.FR)
		_, body, _ := staff.Get("/requests/queue")
		queue, heldPart, _ := strings.Cut(body, "En attente de vérification (1)")
		if !strings.Contains(heldPart, heldNo) || strings.Contains(queue, heldNo) || strings.Count(queue, "R20") < 20 {
			t.Fatalf("the queue shows the held request in the queue, or not apart:\n%s", apptest.Grep(body, heldNo))
		}
		anyone := apptest.NewBrowser(t, base)
		if _, body, _ := anyone.Get("/requests/public"); strings.Contains(body, heldNo) {
			t.Error("a held request is public")
		}
		res, err := http.Get(base + "/open311/v2/requests/" + heldNo + ".json")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("Open311 publishes a held request: %d", res.StatusCode)
		}
		if code, _, h := staff.Post(held, held, url.Values{"change": {"release"}}); code != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=release") {
			t.Fatalf("release: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := staff.Get("/requests/queue"); strings.Contains(body, "En attente de vérification") || !strings.Contains(body, heldNo) {
			t.Error("the released request is not in the queue")
		}
		if _, body, _ := anyone.Get("/requests/public"); !strings.Contains(body, heldNo) {
			t.Error("the released request is not public")
		}
		if code, _, _ := staff.Post(held, held, url.Values{"change": {"release"}}); code != http.StatusConflict {
			t.Errorf("released twice: %d", code)
		}
	})
}

// TestOpen311FloodsAreHeld: an Open311 client's posts from one device,
// or naming one person, past twenty in a day are not refused but held
// for review like the site's floods; another device and another person
// of the same client go through.
func TestOpen311FloodsAreHeld(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		_, key, err := a.Complaint.RegisterOpen311Client(ctx, authz.Actor{System: true}, "Casa Signale")
		if err != nil {
			t.Fatal(err)
		}
		post := func(device, email string) string {
			t.Helper()
			form := url.Values{"api_key": {key}, "service_code": {"lighting"}, "lat": {"33.5795"}, "long": {"-7.5290"},
				"description": {"Lampadaire éteint."}, "attribute[arrondissement]": {"sidi-moumen"}, "attribute[pole]": {"P-117"},
				"device_id": {device}, "email": {email}}
			code, _, body := postOpen311(t, base, "requests.json", form, "")
			var posted []struct {
				ID string `json:"service_request_id"`
			}
			if err := json.Unmarshal([]byte(body), &posted); err != nil || code != http.StatusCreated || len(posted) != 1 {
				t.Fatalf("post from %q for %q: %d %v", device, email, code, err)
			}
			var reason sql.NullString
			if err := a.DB.QueryRowContext(ctx, `SELECT held_reason FROM complaint_requests WHERE number = $1`, posted[0].ID).Scan(&reason); err != nil {
				t.Fatal(err)
			}
			return reason.String
		}
		for i := range 20 {
			if why := post("phone-1", fmt.Sprintf("p%d@example.ma", i)); why != "" {
				t.Fatalf("post %d from one device held (%s)", i+1, why)
			}
		}
		if why := post("phone-1", "p20@example.ma"); why != "device" {
			t.Errorf("the 21st post from one device: held %q, want device", why)
		}
		if why := post("phone-2", "other@example.ma"); why != "" {
			t.Errorf("another device's post held (%s)", why)
		}
		for i := range 19 { // other@ has posted once already
			if why := post(fmt.Sprintf("tablet-%d", i), "Other@Example.ma"); why != "" {
				t.Fatalf("post %d for one person held (%s)", i+2, why)
			}
		}
		if why := post("tablet-x", "other@example.ma"); why != "account" {
			t.Errorf("the 21st post for one person: held %q, want account", why)
		}
	})
}
