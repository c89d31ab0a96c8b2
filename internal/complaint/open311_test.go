package complaint_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// file files a request through the form and returns its page's path and
// number.
func file(t *testing.T, b *apptest.Browser, category string, form url.Values, photo []byte) (string, string) {
	t.Helper()
	_, body, _ := b.Get("/requests/new/" + category)
	m := apptest.CSRFRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form for %s", category)
	}
	form = apptest.CloneForm(form)
	form.Set("csrf_token", html.UnescapeString(m[1]))
	code, _, h := b.PostMultipart("/requests/new/"+category, form, "photos", "photo.jpg", photo)
	if code != http.StatusSeeOther {
		t.Fatalf("filing %s: %d", category, code)
	}
	page := strings.TrimSuffix(h.Get("Location"), "?done=filed")
	_, body, _ = b.Get(page)
	return page, regexp.MustCompile(`R\d{4}-\d{6}`).FindString(body)
}

// The GeoReport v2 field names of a service request, as the
// specification's example of GET requests lists them.
var specRequestFields = []string{"address", "address_id", "agency_responsible", "description", "expected_datetime", "lat", "long",
	"media_url", "requested_datetime", "service_code", "service_name", "service_notice", "service_request_id", "status",
	"status_notes", "updated_datetime", "zipcode"}

func TestOpen311(t *testing.T) {
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
		citizen.SignIn("fatima.benali@example.ma", false)
		light, lightNo := file(t, citizen, "lighting", url.Values{"arrondissement": {"sidi-moumen"}, "lat": {"33.579"}, "lon": {"-7.529"},
			"description": {"Lampadaire éteint, appelez-moi au 0612345678"}}, tinyJPEG(t))
		_, noiseNo := file(t, citizen, "noise", url.Values{"arrondissement": {"anfa"}, "address": {"12 rue des Lilas"},
			"description": {"Fête chez le voisin du 3e"}, "f-when": {"night"}}, nil)
		staff := apptest.NewBrowser(t, base)
		staff.SignIn("laila.kettani@example.ma", true)
		if code, _, _ := staff.Act(light, light, url.Values{"change": {"resolve"}, "note": {"Lampe remplacée."}}); code != http.StatusSeeOther {
			t.Fatalf("resolve: %d", code)
		}

		// get fetches path as a program would, without cookies, in the
		// language ?lang= names (sent as Accept-Language; the parameter
		// itself would redirect).
		get := func(path string) (int, string, string) {
			t.Helper()
			u, _ := url.Parse(path)
			q := u.Query()
			lang := q.Get("lang")
			q.Del("lang")
			u.RawQuery = q.Encode()
			req, _ := http.NewRequest("GET", base+u.String(), nil)
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

		// Discovery.
		code, ctype, body := get("/open311/v2/discovery.json")
		var disc struct {
			Changeset string
			Endpoints []struct {
				Specification, URL, Type string
				Formats                  []string
			}
		}
		if code != 200 || !strings.HasPrefix(ctype, "application/json") || json.Unmarshal([]byte(body), &disc) != nil ||
			len(disc.Endpoints) != 1 || disc.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" ||
			!strings.HasSuffix(disc.Endpoints[0].URL, "/open311/v2") || !slices.Contains(disc.Endpoints[0].Formats, "text/xml") {
			t.Fatalf("discovery: %d %s %s", code, ctype, body)
		}

		// Services, in JSON and XML, in the language asked.
		code, _, body = get("/open311/v2/services.json?lang=fr")
		var svcs []map[string]any
		if code != 200 || json.Unmarshal([]byte(body), &svcs) != nil || len(svcs) != 13 {
			t.Fatalf("services.json: %d %s", code, body)
		}
		keys := func(m map[string]any) []string {
			var k []string
			for x := range m {
				k = append(k, x)
			}
			sort.Strings(k)
			return k
		}
		if got := strings.Join(keys(svcs[0]), ","); got != "description,group,keywords,metadata,service_code,service_name,type" {
			t.Errorf("a service's fields: %s", got)
		}
		code, ctype, body = get("/open311/v2/services.xml")
		var xsvcs struct {
			XMLName  xml.Name `xml:"services"`
			Services []struct {
				Code     string `xml:"service_code"`
				Name     string `xml:"service_name"`
				Metadata bool   `xml:"metadata"`
				Type     string `xml:"type"`
			} `xml:"service"`
		}
		if code != 200 || !strings.HasPrefix(ctype, "text/xml") || xml.Unmarshal([]byte(body), &xsvcs) != nil || len(xsvcs.Services) != 13 ||
			xsvcs.Services[1].Code != "lighting" || xsvcs.Services[1].Name != "الإنارة العمومية" || xsvcs.Services[1].Type != "realtime" {
			t.Fatalf("services.xml: %d %s\n%s", code, ctype, body)
		}

		// A service definition with its attributes.
		code, _, body = get("/open311/v2/services/roads.json?lang=en")
		var def struct {
			ServiceCode string `json:"service_code"`
			Attributes  []struct {
				Code, Datatype string
				Required       bool
				Values         []struct{ Key, Name string }
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &def) != nil || def.ServiceCode != "roads" || len(def.Attributes) != 4 ||
			def.Attributes[0].Datatype != "singlevaluelist" || !def.Attributes[0].Required || def.Attributes[0].Values[1].Name != "On the pavement" ||
			def.Attributes[2].Required || def.Attributes[3].Code != "arrondissement" || len(def.Attributes[3].Values) != 16 ||
			def.Attributes[3].Values[15].Key != "sidi-moumen" {
			t.Fatalf("roads definition: %d %s", code, body)
		}
		if code, _, body = get("/open311/v2/services/roads.xml"); code != 200 || !strings.Contains(body, "<service_definition>") ||
			!strings.Contains(body, "<datatype>singlevaluelist</datatype>") {
			t.Fatalf("roads definition in XML: %d %s", code, body)
		}

		// Requests: every field of the specification, no name, no phone;
		// a private-life request without its place or description.
		code, _, body = get("/open311/v2/requests.json")
		var reqs []map[string]any
		if code != 200 || json.Unmarshal([]byte(body), &reqs) != nil || len(reqs) != 2 {
			t.Fatalf("requests.json: %d %s", code, body)
		}
		byID := map[string]map[string]any{}
		for _, r := range reqs {
			byID[r["service_request_id"].(string)] = r
			if got := keys(r); !slices.Equal(got, specRequestFields) {
				t.Errorf("a request's fields: %v", got)
			}
		}
		lr, nr := byID[lightNo], byID[noiseNo]
		if lr == nil || lr["status"] != "closed" || lr["status_notes"] != "Lampe remplacée." || lr["lat"] == nil ||
			!strings.HasSuffix(lr["media_url"].(string), "/photos/1") || strings.Contains(body, "0612345678") ||
			strings.Contains(body, "Benali") || strings.Contains(body, "فاطمة") {
			t.Errorf("the lighting request: %v", lr)
		}
		if nr == nil || nr["status"] != "open" || nr["lat"] != nil || nr["address"] != "" || nr["description"] != "" || nr["expected_datetime"] == "" {
			t.Errorf("the noise request shows its place: %v", nr)
		}
		if _, err := time.Parse(time.RFC3339, lr["requested_datetime"].(string)); err != nil {
			t.Errorf("requested_datetime: %v", err)
		}
		// The photo it links to is public and stripped.
		if code, ctype, _ := get(strings.TrimPrefix(lr["media_url"].(string), a.Cfg.BaseURL)); code != 200 || ctype != "image/jpeg" {
			t.Errorf("media_url: %d %s", code, ctype)
		}

		// The standard filters, paging, and one request by its id.
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"status=open", []string{noiseNo}},
			{"status=closed", []string{lightNo}},
			{"service_code=lighting", []string{lightNo}},
			{"service_request_id=" + strings.ToLower(noiseNo) + "," + lightNo, []string{lightNo, noiseNo}},
			{"start_date=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil},
			{"end_date=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), []string{lightNo, noiseNo}},
			{"page_size=1&page=2", []string{lightNo}},
			{"jurisdiction_id=casablanca&status=closed", []string{lightNo}},
		} {
			code, _, body := get("/open311/v2/requests.json?" + tc.query)
			var got []struct {
				ID string `json:"service_request_id"`
			}
			if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
				t.Fatalf("%s: %d %s", tc.query, code, body)
			}
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			sort.Strings(ids)
			if !slices.Equal(ids, tc.want) {
				t.Errorf("%s: %v, want %v", tc.query, ids, tc.want)
			}
		}
		code, ctype, body = get("/open311/v2/requests.xml?status=closed")
		var xreqs struct {
			XMLName  xml.Name `xml:"service_requests"`
			Requests []struct {
				ID     string `xml:"service_request_id"`
				Status string `xml:"status"`
			} `xml:"request"`
		}
		if code != 200 || !strings.HasPrefix(ctype, "text/xml") || xml.Unmarshal([]byte(body), &xreqs) != nil ||
			len(xreqs.Requests) != 1 || xreqs.Requests[0].ID != lightNo || xreqs.Requests[0].Status != "closed" {
			t.Fatalf("requests.xml: %d %s", code, body)
		}
		code, _, body = get("/open311/v2/requests/" + noiseNo + ".json")
		if code != 200 || !strings.Contains(body, `"service_request_id":"`+noiseNo+`"`) || strings.Contains(body, "Lilas") {
			t.Fatalf("one request: %d %s", code, body)
		}

		// Errors in the standard format, in the client's format and
		// language.
		for _, tc := range []struct {
			path string
			code int
			text string
		}{
			{"/open311/v2/requests.json?status=pending", 400, "status must be open or closed"},
			{"/open311/v2/requests.json?service_request_id=,%20,", 400, "service_request_id"},
			{"/open311/v2/requests.json?start_date=yesterday", 400, "start_date must be a W3C date"},
			{"/open311/v2/requests.json?service_code=ufo", 400, "service_code=ufo"},
			{"/open311/v2/requests.json?page_size=5000", 400, "page_size must be a number from 1 to 1000"},
			{"/open311/v2/requests.json?jurisdiction_id=rabat", 404, "jurisdiction_id=casablanca"},
			{"/open311/v2/requests/R2026-999999.json", 404, "No request numbered"},
			{"/open311/v2/services/ufo.json", 404, "service_code=ufo"},
			{"/open311/v2/services/roads.csv", 404, ".json or .xml"},
		} {
			code, ctype, body := get(tc.path + sep(tc.path) + "lang=en")
			var errsJSON []struct {
				Code        int
				Description string
			}
			if code != tc.code || !strings.HasPrefix(ctype, "application/json") || json.Unmarshal([]byte(body), &errsJSON) != nil ||
				len(errsJSON) != 1 || errsJSON[0].Code != tc.code || !strings.Contains(errsJSON[0].Description, tc.text) {
				t.Errorf("%s: %d %s %s", tc.path, code, ctype, body)
			}
		}
		code, ctype, body = get("/open311/v2/requests.xml?status=pending&lang=fr")
		var xerr struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if code != 400 || !strings.HasPrefix(ctype, "text/xml") || xml.Unmarshal([]byte(body), &xerr) != nil || len(xerr.Errors) != 1 ||
			!strings.Contains(xerr.Errors[0].Description, "open ou closed") {
			t.Errorf("an XML error: %d %s", code, body)
		}
		// The public list: both requests, no name, no phone, the private
		// one without its place or description; filters.
		anyone := apptest.NewBrowser(t, base)
		for _, l := range []string{"ar", "fr", "en"} {
			anyone.SetLang(i18n.Lang(l))
			code, body, _ := anyone.Get("/requests/public")
			if code != 200 || !strings.Contains(body, lightNo) || !strings.Contains(body, noiseNo) || strings.Contains(body, "0612345678") ||
				strings.Contains(body, "Lilas") || strings.Contains(body, "Fête") || strings.Contains(body, "Benali") ||
				!strings.Contains(body, "Lampadaire éteint") {
				t.Fatalf("public list in %s: %d\n%s", l, code, body)
			}
		}
		for q, want := range map[string][]string{"status=open": {noiseNo}, "status=closed": {lightNo}, "category=lighting": {lightNo},
			"arrondissement=anfa": {noiseNo}, "category=roads": nil} {
			_, body, _ := anyone.Get("/requests/public?" + q)
			for _, no := range []string{lightNo, noiseNo} {
				if strings.Contains(body, no) != slices.Contains(want, no) {
					t.Errorf("public list ?%s: %s shown %v", q, no, strings.Contains(body, no))
				}
			}
		}

		// The JSON API, each answer checked against the served OpenAPI
		// document.
		api := apptest.Checked(t, a, nil)
		apiGet := func(path string, out any) int {
			t.Helper()
			res, err := api.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if out != nil && res.StatusCode == 200 {
				if err := json.NewDecoder(res.Body).Decode(out); err != nil {
					t.Fatal(err)
				}
			}
			return res.StatusCode
		}
		var types []struct {
			Code   string
			Fields []struct{ Name string }
		}
		if code := apiGet("/api/v1/request-types?q="+url.QueryEscape("حفرة"), &types); code != 200 || len(types) == 0 || types[0].Code != "roads" || len(types[0].Fields) != 3 {
			t.Errorf("request types: %d %+v", code, types)
		}
		var tr struct {
			Number, State, Description string
			Private                    bool
			Events                     []struct{ Change string }
		}
		_, pbody, _ := citizen.Get(light)
		lightCode := regexp.MustCompile(`<bdi dir="ltr">([2-9A-Z]{8})</bdi>`).FindStringSubmatch(pbody)[1]
		if code := apiGet("/api/v1/requests/track?"+url.Values{"number": {lightNo}, "code": {lightCode}}.Encode(), &tr); code != 200 ||
			tr.State != "resolved" || strings.Contains(tr.Description, "0612345678") || len(tr.Events) != 2 {
			t.Errorf("API tracking: %d %+v", code, tr)
		}
		if code := apiGet("/api/v1/requests/track?number="+lightNo+"&code=AAAAAAAA", nil); code != 404 {
			t.Errorf("API tracking with a wrong code: %d", code)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
