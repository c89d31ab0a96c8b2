package complaint_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestStaffWorkPages: from the request's page, Lydec's officer merges
// another citizen's duplicate by its number (a wrong number comes back on
// its field), resolves, and sends a third request to the commune (refused
// without a reason); the reporter rates the answer (refused without
// stars); the duplicate's reporter reads that it was merged, with a link
// to follow the request kept. Every page in ar, fr and en.
func TestStaffWorkPages(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		officer := apptest.PersonID(t, a, "laila.kettani@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'lydec', 'complaint_officer', $2)`, officer, time.Now()); err != nil {
			t.Fatal(err)
		}
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		youssef := apptest.NewBrowser(t, base)
		youssef.SignIn("youssef.elamrani@example.ma", false)
		where := url.Values{"arrondissement": {"sidi-moumen"}, "lat": {"33.579"}, "lon": {"-7.529"}}
		with := func(desc string) url.Values {
			f := apptest.CloneForm(where)
			f.Set("description", desc)
			return f
		}
		kept, _ := file(t, fatima, "lighting", with("Lampadaire éteint rue 12"), nil)
		dupPage, dupNo := file(t, youssef, "lighting", with("Plus de lumière rue 12"), nil)
		other, _ := file(t, youssef, "lighting", with("Lampadaire du jardin public éteint"), nil)

		staff := apptest.NewBrowser(t, base)
		staff.SignIn("laila.kettani@example.ma", true)
		staff.SetLang(i18n.FR)
		code, body, _ := staff.Get(kept)
		if code != 200 || !strings.Contains(body, "Fusionner un doublon dans cette demande") || !strings.Contains(body, "Confier à une autre équipe") {
			t.Fatalf("the officer's page: %d", code)
		}
		code, body, _ = staff.Post(kept, kept, url.Values{"change": {"merge"}, "duplicate": {"R2026-999999"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#duplicate"`) || !strings.Contains(body, "Donnez le numéro d") {
			t.Fatalf("a wrong duplicate: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, _, h := staff.Post(kept, kept, url.Values{"change": {"merge"}, "duplicate": {" " + strings.ToLower(dupNo) + " "}, "note": {"Même lampadaire."}})
		if code != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=merge") {
			t.Fatalf("merge: %d %s", code, h.Get("Location"))
		}
		if _, body, _ = staff.Get(kept + "?done=merge"); !strings.Contains(body, "Le doublon est fusionné") || !strings.Contains(body, "Un doublon y a été fusionné") {
			t.Errorf("after the merge:\n%s", apptest.Grep(body, "doublon"))
		}
		youssef.SetLang(i18n.EN)
		if code, body, _ = youssef.Get(dupPage); code != 200 || !strings.Contains(body, "Merged into") || !strings.Contains(body, "/requests/track?") {
			t.Errorf("the duplicate's page: %d\n%s", code, apptest.Grep(body, "erged"))
		}
		if code, _, _ := staff.Act(kept, kept, url.Values{"change": {"resolve"}, "note": {"Lampe remplacée."}}); code != http.StatusSeeOther {
			t.Fatalf("resolve: %d", code)
		}

		// Reassign.
		code, body, _ = staff.Act(other, other, url.Values{"change": {"reassign"}, "organisation": {"commune"}, "note": {""}})
		if code != http.StatusBadRequest || !strings.Contains(body, "Dites pourquoi la demande va à une autre équipe") {
			t.Fatalf("reassigned without a reason: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, _, h = staff.Act(other, other, url.Values{"change": {"reassign"}, "organisation": {"commune"}, "arrondissement": {"sidi-moumen"},
			"note": {"Jardin public: l'éclairage est celui de la commune."}})
		if code != http.StatusSeeOther || h.Get("Location") != "/requests/queue" {
			t.Fatalf("reassign: %d %s", code, h.Get("Location"))
		}
		if code, _, _ := staff.Get(other); code != http.StatusNotFound {
			t.Errorf("Lydec still reads what went to the commune: %d", code)
		}
		if _, body, _ := youssef.Get(other); !strings.Contains(body, "Sent to another team") || !strings.Contains(body, "Jardin public") {
			t.Errorf("the reporter does not see the reassignment:\n%s", apptest.Grep(body, "team"))
		}

		// Rate.
		fatima.SetLang(i18n.AR)
		code, body, _ = fatima.Post(kept, kept, url.Values{"change": {"rate"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "اختاروا من 1 إلى 5") {
			t.Fatalf("rated without stars: %d\n%s", code, apptest.Grep(body, "error"))
		}
		if code, _, _ := fatima.Post(kept, kept, url.Values{"change": {"rate"}, "stars": {"4"}, "comment": {"سريع، شكرا"}}); code != http.StatusSeeOther {
			t.Fatalf("rate: %d", code)
		}
		for _, l := range []i18n.Lang{i18n.AR, i18n.FR, i18n.EN} {
			fatima.SetLang(l)
			staff.SetLang(l)
			if code, body, _ := fatima.Get(kept + "?done=rate"); code != 200 || !strings.Contains(body, "سريع، شكرا") {
				t.Errorf("the rating on the reporter's page in %s: %d", l, code)
			}
			if code, _, _ := staff.Get(kept); code != 200 {
				t.Errorf("the officer's page in %s: %d", l, code)
			}
		}
		if code, _, _ := youssef.Post(dupPage, dupPage, url.Values{"change": {"rate"}, "stars": {"1"}}); code != http.StatusConflict {
			t.Errorf("a merged duplicate rated: %d", code)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}
