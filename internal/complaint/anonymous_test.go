package complaint_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestFileWithoutAccount: a visitor without an account reports a street
// light (a category that allows it): they prove a mobile number with the
// code sent by SMS (a wrong number and a wrong code refused in their
// language), file, land on the tracking page with the number and code,
// and hear of it by SMS; a category that does not allow it sends them to
// sign in; the proven number files nothing else and reaches nothing else.
func TestFileWithoutAccount(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		v := apptest.NewBrowser(t, base)
		v.SetLang(i18n.FR)
		if code, _, h := v.Get("/requests/new/noise"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
			t.Fatalf("noise without an account: %d %s", code, h.Get("Location"))
		}
		code, _, h := v.Get("/requests/new/lighting")
		if code != http.StatusSeeOther || h.Get("Location") != "/requests/verify?category=lighting" {
			t.Fatalf("lighting without an account: %d %s", code, h.Get("Location"))
		}
		page := "/requests/verify?category=lighting"
		if code, body, _ := v.Get(page); code != 200 || !strings.Contains(body, "Déposer sans compte") {
			t.Fatalf("the choice: %d", code)
		}
		code, body, _ := v.Post(page, page, url.Values{"contact": {"12345"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "numéro de mobile marocain") {
			t.Fatalf("a wrong number: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, _, h = v.Post(page, page, url.Values{"contact": {"06 61 23 45 67"}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/requests/verify/") {
			t.Fatalf("prove: %d %s", code, h.Get("Location"))
		}
		codePage := h.Get("Location")
		sent := apptest.LastNotice(t, a, "complaint.code", "Code")
		var channel, address string
		if err := a.DB.QueryRowContext(ctx, `SELECT channel, address FROM notify_deliveries WHERE template = 'complaint.code'`).Scan(&channel, &address); err != nil || channel != "sms" || address != "0661234567" {
			t.Fatalf("the code went by %s to %s (%v)", channel, address, err)
		}
		wrong := "000000"
		if sent == wrong {
			wrong = "111111"
		}
		code, body, _ = v.Post(codePage, codePage, url.Values{"code": {wrong}})
		if code != http.StatusBadRequest || !strings.Contains(body, "encore 4 essais") {
			t.Fatalf("a wrong code: %d\n%s", code, apptest.Grep(body, "error"))
		}
		code, _, h = v.Post(codePage, codePage, url.Values{"code": {sent}})
		if code != http.StatusSeeOther || h.Get("Location") != "/requests/new/lighting" {
			t.Fatalf("the right code: %d %s", code, h.Get("Location"))
		}
		if code, _, _ := v.Post(codePage, codePage, url.Values{"code": {sent}}); code != http.StatusConflict {
			t.Errorf("a code used twice: %d", code)
		}
		code, body, _ = v.Get("/requests/new/lighting")
		if code != 200 || !strings.Contains(body, "0661234567") {
			t.Fatalf("the form for a proven number: %d", code)
		}
		form := url.Values{"arrondissement": {"sidi-moumen"}, "lat": {"33.579"}, "lon": {"-7.529"}, "description": {"Lampadaire éteint devant le 14"}}
		form.Set("csrf_token", apptest.CSRFRE.FindStringSubmatch(body)[1])
		code, _, h = v.PostMultipart("/requests/new/lighting", form, "photos", "photo.jpg", tinyJPEG(t))
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/requests/track?") {
			t.Fatalf("filing: %d %s", code, h.Get("Location"))
		}
		q, _ := url.ParseQuery(strings.TrimPrefix(h.Get("Location"), "/requests/track?"))
		if code, body, _ := v.Get(h.Get("Location")); code != 200 || !strings.Contains(body, q.Get("number")) || strings.Contains(body, "0661234567") {
			t.Fatalf("the tracking page: %d", code)
		}
		var reporter *int64
		var contact string
		if err := a.DB.QueryRowContext(ctx, `SELECT reporter_id, contact FROM complaint_requests WHERE number = $1`, q.Get("number")).Scan(&reporter, &contact); err != nil ||
			reporter != nil || contact != "sms" {
			t.Fatalf("stored: %v %s %v", reporter, contact, err)
		}
		if got := apptest.LastNotice(t, a, "complaint.filed", "Code"); got != q.Get("code") {
			t.Errorf("the filed notice carries %q", got)
		}
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries WHERE template = 'complaint.filed' AND channel = 'sms' AND address = '0661234567'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("the filed notice by SMS: %d (%v)", n, err)
		}
		// Nothing else with the proven number.
		if code, _, h := v.Get("/requests/new/noise"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
			t.Errorf("noise with a proven number: %d %s", code, h.Get("Location"))
		}
		if code, _, h := v.Get("/requests"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
			t.Errorf("my requests with a proven number: %d", code)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}
