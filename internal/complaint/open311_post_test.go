package complaint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/complaint"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// postOpen311 posts form to the Open311 endpoint path (requests.json,
// servicerequestupdates.xml…) of the server at base, for this city's
// jurisdiction, in lang ("" for none), and returns the status, the
// content type and the body.
func postOpen311(t *testing.T, base, path string, form url.Values, lang string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/open311/v2/"+path+"?jurisdiction_id=casablanca", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// o311Errors is the standard error list in JSON.
type o311Errors []struct {
	Code        int
	Description string
}

// TestOpen311Post: a client staff registered posts requests with its
// key; every bad post is refused in the standard format and the client's
// language and format, with every mistake at once, and leaves nothing
// behind; tokens and the updates extension answer.
func TestOpen311Post(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()

		// Keys: an administrator (here the server's operator) registers
		// clients; a citizen may not; only the key's hash is kept.
		if _, _, err := a.Complaint.RegisterOpen311Client(ctx, authz.Actor{Person: apptest.PersonID(t, a, "fatima.benali@example.ma"), EmailVerified: true}, "Mon appli"); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a citizen registers a client: %v", err)
		}
		sys := authz.Actor{System: true}
		if _, _, err := a.Complaint.RegisterOpen311Client(ctx, sys, "  "); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a client without a name: %v", err)
		}
		client, key, err := a.Complaint.RegisterOpen311Client(ctx, sys, "Casa Signale")
		if err != nil || !strings.HasPrefix(key, "o311_") || len(key) < 30 {
			t.Fatalf("register: %v %q", err, key)
		}
		old, oldKey, err := a.Complaint.RegisterOpen311Client(ctx, sys, "Ancienne appli")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Complaint.RevokeOpen311Client(ctx, sys, old.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.Complaint.RevokeOpen311Client(ctx, sys, old.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoked twice: %v", err)
		}
		var stored int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM complaint_open311_clients WHERE key_hash = $1 OR name LIKE $2`, key, "%"+key+"%").Scan(&stored); err != nil || stored != 0 {
			t.Fatalf("the key is stored as it is: %d %v", stored, err)
		}
		if _, err := a.DB.ExecContext(ctx, `DELETE FROM complaint_open311_clients WHERE id = $1`, old.ID); err == nil {
			t.Error("a client was deleted")
		}
		if _, err := a.DB.ExecContext(ctx, `UPDATE complaint_open311_clients SET revoked_at = NULL WHERE id = $1`, old.ID); err == nil {
			t.Error("a revocation was undone")
		}

		post := func(format string, form url.Values, lang string) (int, string, string) {
			t.Helper()
			return postOpen311(t, base, "requests."+format, form, lang)
		}
		count := func() (n int) {
			t.Helper()
			if err := a.DB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM complaint_requests) + (SELECT count(*) FROM complaint_events)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		good := url.Values{"api_key": {key}, "service_code": {"lighting"}, "lat": {"33.5795"}, "long": {"-7.5290"},
			"description": {"Lampadaire éteint depuis trois nuits.\nAppelez-moi au 0612345678."}, "first_name": {"Karima"},
			"last_name": {"Alaoui"}, "email": {"karima@example.ma"}, "phone": {"0612345678"}, "device_id": {"abc-123"},
			"attribute[arrondissement]": {"sidi-moumen"}, "attribute[pole]": {"P-117"}}
		with := func(change map[string]string, drop ...string) url.Values {
			f := apptest.CloneForm(good)
			for k, v := range change {
				f.Set(k, v)
			}
			for _, k := range drop {
				f.Del(k)
			}
			return f
		}
		before := count()
		for _, tc := range []struct {
			name   string
			form   url.Values
			lang   string
			status int
			want   []string // one error each, in order
		}{
			{"no key", with(nil, "api_key"), "en", 403, []string{"api_key is missing, unknown or revoked"}},
			{"wrong key", with(map[string]string{"api_key": key + "x"}), "fr", 403, []string{"api_key manque, est inconnue ou révoquée"}},
			{"revoked key", with(map[string]string{"api_key": oldKey}), "ar", 403, []string{"api_key ناقص أو غير معروف أو ملغى"}},
			{"unknown service", with(map[string]string{"service_code": "ufo"}), "en", 400, []string{"No service with service_code=ufo"}},
			{"no service", with(nil, "service_code"), "en", 400, []string{"service_code is required"}},
			{"malformed lat", with(map[string]string{"lat": "33,5x"}), "en", 400, []string{"lat: "}},
			{"outside the city", with(map[string]string{"lat": "34.0209", "long": "-6.8416"}), "en", 400, []string{"lat: "}},
			{"unknown attributes", with(map[string]string{"attribute[colour]": "red", "attribute[danger]": "true"}), "en", 400,
				[]string{"attribute[colour] is not an attribute of service lighting", "attribute[danger] is not an attribute of service lighting"}},
			{"every mistake at once", url.Values{"api_key": {key}, "service_code": {"roads"}, "lat": {"33.5795"}, "long": {"-7.5290"},
				"attribute[where]": {"sky"}, "attribute[arrondissement]": {"atlantis"}, "email": {"not an address"}}, "en", 400,
				[]string{"email: ", "description: ", "attribute[where]: "}}, // the point places it: the arrondissement given gives way
			{"required attribute", with(map[string]string{"service_code": "roads", "attribute[danger]": "true"}, "attribute[pole]"), "en", 400,
				[]string{"attribute[where]: ", "attribute[danger_detail]: "}},
		} {
			code, ctype, body := post("json", tc.form, tc.lang)
			var list o311Errors
			if code != tc.status || !strings.HasPrefix(ctype, "application/json") || json.Unmarshal([]byte(body), &list) != nil || len(list) != len(tc.want) {
				t.Errorf("%s: %d %s %s", tc.name, code, ctype, body)
				continue
			}
			for i, w := range tc.want {
				if list[i].Code != tc.status || !strings.Contains(list[i].Description, w) {
					t.Errorf("%s: error %d is %+v, want %q", tc.name, i, list[i], w)
				}
			}
		}
		// The same in XML.
		code, ctype, body := post("xml", with(nil, "api_key"), "fr")
		var xerr struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if code != 403 || !strings.HasPrefix(ctype, "text/xml") || xml.Unmarshal([]byte(body), &xerr) != nil || len(xerr.Errors) != 1 ||
			xerr.Errors[0].Code != 403 || !strings.Contains(xerr.Errors[0].Description, "api_key") {
			t.Errorf("an XML error: %d %s", code, body)
		}
		if code, _, body := post("json", url.Values{"api_key": {key}, "service_code": {"lighting"}, "jurisdiction_id": {"rabat"}}, "en"); code != 404 || !strings.Contains(body, "jurisdiction_id=casablanca") {
			t.Errorf("another jurisdiction: %d %s", code, body)
		}
		if n := count(); n != before {
			t.Fatalf("refused posts left %d rows", n-before)
		}

		// A good post: the number at once, and a token.
		code, ctype, body = post("json", good, "fr")
		var posted []struct {
			ID            string `json:"service_request_id"`
			Token         string `json:"token"`
			ServiceNotice string `json:"service_notice"`
		}
		if code != 201 || !strings.HasPrefix(ctype, "application/json") || json.Unmarshal([]byte(body), &posted) != nil || len(posted) != 1 ||
			!strings.HasPrefix(posted[0].ID, "R") || len(posted[0].Token) < 16 || !strings.Contains(posted[0].ServiceNotice, "jours ouvrés") {
			t.Fatalf("post: %d %s", code, body)
		}
		number, token := posted[0].ID, posted[0].Token
		var clientID int64
		var reporter *int64
		var email, phone, name, arr string
		if err := a.DB.QueryRowContext(ctx, `SELECT client_id, reporter_id, reporter_email, reporter_phone, reporter_name, arrondissement_code
			FROM complaint_requests WHERE number = $1`, number).Scan(&clientID, &reporter, &email, &phone, &name, &arr); err != nil {
			t.Fatal(err)
		}
		if clientID != client.ID || reporter != nil || email != "karima@example.ma" || phone != "0612345678" || name != "Karima Alaoui" || arr != "sidi-moumen" {
			t.Errorf("stored: client %d reporter %v %s %s %s %s", clientID, reporter, email, phone, name, arr)
		}
		// In XML as well.
		code, _, body = post("xml", with(map[string]string{"description": "Deuxième lampadaire"}), "en")
		var xposted struct {
			XMLName  xml.Name `xml:"service_requests"`
			Requests []struct {
				ID    string `xml:"service_request_id"`
				Token string `xml:"token"`
			} `xml:"request"`
		}
		if code != 201 || xml.Unmarshal([]byte(body), &xposted) != nil || len(xposted.Requests) != 1 || xposted.Requests[0].ID == number {
			t.Fatalf("post in XML: %d %s", code, body)
		}

		get := func(path string) (int, string) {
			t.Helper()
			res, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		// tokens/{token}.
		if code, body := get("/open311/v2/tokens/" + token + ".json"); code != 200 || !strings.Contains(body, `"service_request_id":"`+number+`"`) {
			t.Errorf("token: %d %s", code, body)
		}
		if code, body := get("/open311/v2/tokens/" + token + ".xml"); code != 200 || !strings.Contains(body, "<service_request_id>"+number+"</service_request_id>") {
			t.Errorf("token in XML: %d %s", code, body)
		}
		if code, body := get("/open311/v2/tokens/aaaaaaaaaaaaaaaaaaaaaaaa.json"); code != 404 || !strings.Contains(body, `"code":404`) {
			t.Errorf("an unknown token: %d %s", code, body)
		}
		// Published without the person.
		code, body = get("/open311/v2/requests/" + number + ".json")
		if code != 200 || !strings.Contains(body, "Lampadaire éteint") || strings.Contains(body, "0612345678") || strings.Contains(body, "karima") ||
			strings.Contains(body, "Alaoui") || strings.Contains(body, "abc-123") {
			t.Errorf("published: %d %s", code, body)
		}

		// The updates extension: the filing, then the team's answer.
		officer := apptest.PersonID(t, a, "laila.kettani@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'lydec', 'complaint_officer', $2)`, officer, time.Now()); err != nil {
			t.Fatal(err)
		}
		staff := apptest.NewBrowser(t, base)
		staff.SignIn("laila.kettani@example.ma", true)
		var id int64
		if err := a.DB.QueryRowContext(ctx, `SELECT id FROM complaint_requests WHERE number = $1`, number).Scan(&id); err != nil {
			t.Fatal(err)
		}
		page := "/requests/" + strconv.FormatInt(id, 10)
		if code, body, _ := staff.Get(page); code != 200 || !strings.Contains(body, "karima@example.ma") || !strings.Contains(body, "Casa Signale") {
			t.Errorf("the team's page does not show who reported through the client: %d", code)
		}
		if code, _, _ := staff.Act(page, page, url.Values{"change": {"resolve"}, "note": {"Lampe remplacée le jour même."}}); code != http.StatusSeeOther {
			t.Fatalf("resolve: %d", code)
		}
		code, body = get("/open311/v2/servicerequestupdates.json?start_date=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)))
		var ups []struct {
			UpdateID    string `json:"update_id"`
			ID          string `json:"service_request_id"`
			Status      string `json:"status"`
			Updated     string `json:"updated_datetime"`
			Description string `json:"description"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &ups) != nil {
			t.Fatalf("updates: %d %s", code, body)
		}
		var seen []string
		for _, u := range ups {
			if u.ID == number {
				seen = append(seen, u.Status+":"+u.Description)
			}
		}
		if strings.Join(seen, "|") != "OPEN:|FIXED:Lampe remplacée le jour même." {
			t.Errorf("updates of %s: %v", number, seen)
		}
		if code, body := get("/open311/v2/servicerequestupdates.xml?page_size=1"); code != 200 || !strings.Contains(body, "<service_request_updates><request_update><update_id>") {
			t.Errorf("updates in XML: %d %s", code, body)
		}
		if code, body := get("/open311/v2/servicerequestupdates.json?end_date=yesterday"); code != 400 || !strings.Contains(body, "end_date") {
			t.Errorf("updates with a bad date: %d %s", code, body)
		}
	})
}

// TestOpen311UpdatesFromClients: a client posts, by the updates
// extension, its user's answer to the team's question and then "not
// fixed" on the resolved request, which reopens it; each is listed by the
// extension's GET; what cannot be said that way, a request of another
// client, and a missing text are refused in the standard format.
func TestOpen311UpdatesFromClients(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		sys := authz.Actor{System: true}
		_, key, err := a.Complaint.RegisterOpen311Client(ctx, sys, "Casa Signale")
		if err != nil {
			t.Fatal(err)
		}
		_, otherKey, err := a.Complaint.RegisterOpen311Client(ctx, sys, "Autre appli")
		if err != nil {
			t.Fatal(err)
		}
		send := func(path string, form url.Values, lang string) (int, string) {
			t.Helper()
			code, _, body := postOpen311(t, base, path, form, lang)
			return code, body
		}
		code, body := send("requests.json", url.Values{"api_key": {key}, "service_code": {"lighting"}, "lat": {"33.5795"}, "long": {"-7.5290"},
			"description": {"Lampadaire éteint."}, "attribute[arrondissement]": {"sidi-moumen"}, "attribute[pole]": {"P-117"}}, "fr")
		var posted []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.Unmarshal([]byte(body), &posted); code != http.StatusCreated || err != nil || len(posted) != 1 {
			t.Fatalf("post: %d %s", code, body)
		}
		number := posted[0].ID
		var id int64
		if err := a.DB.QueryRowContext(ctx, `SELECT id FROM complaint_requests WHERE number = $1`, number).Scan(&id); err != nil {
			t.Fatal(err)
		}
		officerID := apptest.PersonID(t, a, "laila.kettani@example.ma")
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'lydec', 'complaint_officer', $2)`, officerID, time.Now()); err != nil {
			t.Fatal(err)
		}
		officer := authz.Actor{Person: officerID, EmailVerified: true, MFA: true, Now: time.Now(),
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: "lydec"}}}
		move := func(c complaint.Change, note string) {
			t.Helper()
			if _, err := a.Complaint.Move(ctx, officer, id, 0, c, note); err != nil {
				t.Fatalf("%s: %v", c, err)
			}
		}
		update := func(k, status, text, lang, format string) (int, string) {
			t.Helper()
			return send("servicerequestupdates."+format, url.Values{"api_key": {k}, "service_request_id": {number}, "status": {status},
				"description": {text}, "email": {"karima@example.ma"}}, lang)
		}
		state := func() complaint.State {
			t.Helper()
			var s complaint.State
			if err := a.DB.QueryRowContext(ctx, `SELECT state FROM complaint_requests WHERE id = $1`, id).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}

		// Nothing asked yet: nothing to say.
		if code, body := update(key, "OPEN", "Toujours éteint", "en", "json"); code != 400 || !strings.Contains(body, "Nothing to update") {
			t.Errorf("an update while the team works: %d %s", code, body)
		}
		move(complaint.CAcknowledge, "")
		move(complaint.CAsk, "Quel est le numéro du poteau ?")
		// Another client's key: no such request for it.
		if code, body := update(otherKey, "OPEN", "P-117", "fr", "json"); code != 404 || !strings.Contains(body, "Aucune demande") {
			t.Errorf("another client's update: %d %s", code, body)
		}
		if code, body := update(key, "OPEN", "  ", "ar", "json"); code != 400 || !strings.Contains(body, "description") {
			t.Errorf("an update without text: %d %s", code, body)
		}
		code, body = update(key, "OPEN", "Le poteau P-117, devant l'école.", "fr", "xml")
		if code != 201 || !strings.Contains(body, "<update_id>") {
			t.Fatalf("the answer: %d %s", code, body)
		}
		if s := state(); s != complaint.InProgress {
			t.Errorf("after the answer the request is %s", s)
		}
		move(complaint.CResolve, "Lampe remplacée.")
		if code, body := update(key, "CLOSED", "Merci", "en", "json"); code != 400 {
			t.Errorf("a closing update on a resolved request: %d %s", code, body)
		}
		code, body = update(key, "OPEN", "Toujours éteint ce soir.", "fr", "json")
		var upd []struct {
			UpdateID string `json:"update_id"`
		}
		if err := json.Unmarshal([]byte(body), &upd); code != 201 || err != nil || len(upd) != 1 || upd[0].UpdateID == "" {
			t.Fatalf("not fixed: %d %s", code, body)
		}
		if s := state(); s != complaint.Reopened {
			t.Errorf("after not fixed the request is %s", s)
		}
		res, err := http.Get(base + "/open311/v2/servicerequestupdates.json?jurisdiction_id=casablanca")
		if err != nil {
			t.Fatal(err)
		}
		listed, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(listed), `"update_id":"`+upd[0].UpdateID+`"`) || !strings.Contains(string(listed), "REOPEN") {
			t.Errorf("the updates do not list the reopening %s: %s", upd[0].UpdateID, listed)
		}
	})
}

// TestOpen311MediaURL: a client posts a street light with the link to its
// photo; Madina fetches it (a city allowing its own network, as the test's
// media server is on this machine), checks and re-encodes it, and
// publishes its own copy. A link that answers no photo, or none at all,
// refuses the post naming media_url, in the client's language, and files
// nothing.
func TestOpen311MediaURL(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e, apptest.Config(func(c *config.Config) { c.Open311MediaPrivate = true }))
		base := apptest.Serve(t, a)
		_, key, err := a.Complaint.RegisterOpen311Client(context.Background(), authz.Actor{System: true}, "Casa Signale")
		if err != nil {
			t.Fatal(err)
		}
		photo := jpegOf(t, 800, 600)
		media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/light.jpg":
				w.Header().Set("Content-Type", "image/jpeg")
				_, _ = w.Write(photo)
			case "/page.html":
				_, _ = w.Write([]byte("<!doctype html><p>not a photo</p>"))
			default:
				http.NotFound(w, r)
			}
		}))
		defer media.Close()
		count := func() int {
			var n int
			if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM complaint_requests`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		form := func(link string) url.Values {
			return url.Values{"api_key": {key}, "service_code": {"lighting"}, "lat": {"33.5795"}, "long": {"-7.5290"},
				"description": {"Lampadaire éteint."}, "media_url": {link}}
		}
		for _, c := range []struct{ link, want string }{
			{media.URL + "/missing.jpg", "media_url: Impossible de récupérer la photo"},
			{media.URL + "/page.html", "media_url: Ce fichier n"},
			{"file:///etc/passwd", "media_url: Le lien de la photo n’est pas valable"},
		} {
			if code, _, body := postOpen311(t, base, "requests.json", form(c.link), "fr"); code != 400 || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d %s; want 400 with %q", c.link, code, body, c.want)
			}
		}
		if n := count(); n != 0 {
			t.Fatalf("%d requests filed by refused posts", n)
		}
		code, _, body := postOpen311(t, base, "requests.json", form(media.URL+"/light.jpg"), "fr")
		var posted []struct {
			ID string `json:"service_request_id"`
		}
		if code != 201 || json.Unmarshal([]byte(body), &posted) != nil || len(posted) != 1 {
			t.Fatalf("posted with its photo: %d %s", code, body)
		}
		res, err := http.Get(base + "/open311/v2/requests/" + posted[0].ID + ".json?jurisdiction_id=casablanca")
		if err != nil {
			t.Fatal(err)
		}
		var got []struct {
			MediaURL string `json:"media_url"`
		}
		err = json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if err != nil || len(got) != 1 || !strings.HasPrefix(got[0].MediaURL, a.Cfg.BaseURL+"/requests/") || strings.Contains(got[0].MediaURL, media.URL) {
			t.Fatalf("the request's media_url: %+v %v", got, err)
		}
		pic, err := http.Get(base + strings.TrimPrefix(got[0].MediaURL, a.Cfg.BaseURL))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(pic.Body)
		pic.Body.Close()
		if pic.StatusCode != 200 || pic.Header.Get("Content-Type") != "image/jpeg" || bytes.Equal(b, photo) {
			t.Errorf("Madina's copy: %d %s, %d bytes (re-encoded: %v)", pic.StatusCode, pic.Header.Get("Content-Type"), len(b), !bytes.Equal(b, photo))
		}
	})
}
