package geo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/platform/db"
)

// get fetches path from srv with Accept and the language lang, and
// returns the status, the content type and the body.
func get(t *testing.T, srv *httptest.Server, path, accept, lang string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if lang != "" {
		req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

type link struct{ Href, Rel, Type string }

// collection is what the items answer holds.
type collection struct {
	Type     string
	Features []struct {
		ID         string
		Geometry   struct{ Type string }
		Properties map[string]any
	}
	NumberMatched, NumberReturned int
	Links                         []link
}

func rel(links []link, r, typ string) string {
	for _, l := range links {
		if l.Rel == r && (typ == "" || l.Type == typ) {
			return l.Href
		}
	}
	return ""
}

// TestOGCAPIFeatures: the portal answers OGC API – Features, Part 1 Core
// on the demonstration: its landing page links to its conformance and its
// layers, the authorised projects' layer holds every urban permit granted
// with a location and nothing of its owner, pages follow their next
// links to the end, the filters select, and every bad parameter gets a
// clear error in the reader's language naming it. In HTML, the same
// documents are pages.
func TestOGCAPIFeatures(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	ctx := context.Background()
	var granted int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_files WHERE family = 'urban' AND state = 'approved' AND lon IS NOT NULL`).Scan(&granted); err != nil {
		t.Fatal(err)
	}
	if granted < 5 {
		t.Fatalf("the demonstration has %d urban permits granted with a location", granted)
	}

	code, ctype, body := get(t, srv, "/ogc", "application/json", "en")
	var landing struct {
		Title string
		Links []link
	}
	if err := json.Unmarshal([]byte(body), &landing); code != 200 || !strings.HasPrefix(ctype, "application/json") || err != nil {
		t.Fatalf("/ogc: %d %s %v\n%s", code, ctype, err, body)
	}
	for _, r := range []string{"self", "alternate", "service-doc", "conformance", "data"} {
		if rel(landing.Links, r, "") == "" {
			t.Errorf("the landing page has no %q link: %+v", r, landing.Links)
		}
	}
	_, _, body = get(t, srv, "/ogc/conformance?f=json", "", "")
	if !strings.Contains(body, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core") || !strings.Contains(body, "/conf/geojson") {
		t.Errorf("conformance: %s", body)
	}
	_, _, body = get(t, srv, "/ogc/collections?f=json", "", "fr")
	var cols struct {
		Collections []struct {
			ID, Title string
			Links     []link
		}
	}
	if err := json.Unmarshal([]byte(body), &cols); err != nil || len(cols.Collections) != 5 || cols.Collections[0].ID != "projects" ||
		cols.Collections[0].Title != "Projets autorisés" || rel(cols.Collections[0].Links, "items", "application/geo+json") == "" {
		t.Fatalf("collections: %v\n%s", err, body)
	}

	// Every granted project, page after page, by the next links.
	next := srv.URL + "/ogc/collections/projects/items?limit=3"
	seen := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if pages > granted {
			t.Fatal("the next links do not end")
		}
		u, _ := url.Parse(next)
		code, ctype, body := get(t, srv, u.RequestURI(), "application/geo+json", "")
		var c collection
		if err := json.Unmarshal([]byte(body), &c); code != 200 || ctype != "application/geo+json" || err != nil || c.Type != "FeatureCollection" {
			t.Fatalf("%s: %d %s %v\n%s", u.RequestURI(), code, ctype, err, body)
		}
		if c.NumberMatched != granted || c.NumberReturned != len(c.Features) || len(c.Features) > 3 {
			t.Fatalf("%s: matched %d returned %d of %d features, want %d matched", u.RequestURI(), c.NumberMatched, c.NumberReturned, len(c.Features), granted)
		}
		for _, f := range c.Features {
			if seen[f.ID] || f.Properties["number"] != f.ID || f.Geometry.Type == "" {
				t.Fatalf("feature %+v (seen before: %v)", f, seen[f.ID])
			}
			seen[f.ID] = true
			for _, k := range []string{"owner", "address", "title", "email", "phone"} {
				if _, ok := f.Properties[k]; ok {
					t.Errorf("feature %s publishes %s", f.ID, k)
				}
			}
		}
		next = rel(c.Links, "next", "")
	}
	if len(seen) != granted {
		t.Fatalf("%d features read by the next links, want %d", len(seen), granted)
	}
	// Nothing of the owners: not their names.
	var owner string
	if err := a.DB.QueryRowContext(ctx, `SELECT p.family_name_latin FROM permit_files f JOIN persons p ON p.id = f.owner_person_id
		WHERE f.family = 'urban' AND f.state = 'approved' AND f.lon IS NOT NULL ORDER BY f.id LIMIT 1`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if _, _, body := get(t, srv, "/ogc/collections/projects/items?limit=1000&f=json", "", ""); strings.Contains(body, owner) {
		t.Errorf("the layer names the owner %s", owner)
	}

	// Filters and one item.
	var number, arr string
	if err := a.DB.QueryRowContext(ctx, `SELECT number, arrondissement_code FROM permit_files WHERE family = 'urban' AND state = 'approved'
		AND lon IS NOT NULL ORDER BY id LIMIT 1`).Scan(&number, &arr); err != nil {
		t.Fatal(err)
	}
	var inArr int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_files WHERE family = 'urban' AND state = 'approved'
		AND lon IS NOT NULL AND arrondissement_code = $1`, arr).Scan(&inArr); err != nil {
		t.Fatal(err)
	}
	matched := func(q string) int {
		t.Helper()
		code, _, body := get(t, srv, "/ogc/collections/projects/items?f=json&"+q, "", "")
		var c collection
		if err := json.Unmarshal([]byte(body), &c); code != 200 || err != nil {
			t.Fatalf("%s: %d %v\n%s", q, code, err, body)
		}
		return c.NumberMatched
	}
	if n := matched("arrondissement=" + arr); n != inArr {
		t.Errorf("arrondissement=%s: %d, want %d", arr, n, inArr)
	}
	if n := matched("bbox=-7.72,33.49,-7.47,33.65"); n != granted {
		t.Errorf("a box around the city: %d, want %d", n, granted)
	}
	if n := matched("bbox=-8.9,35.7,-8.8,35.8"); n != 0 {
		t.Errorf("a box far away: %d", n)
	}
	if n := matched("datetime=../2000-01-01T00:00:00Z"); n != 0 {
		t.Errorf("granted before 2000: %d", n)
	}
	if n := matched("datetime=2000-01-01T00:00:00Z/.."); n != granted {
		t.Errorf("granted since 2000: %d, want %d", n, granted)
	}
	code, ctype, body = get(t, srv, "/ogc/collections/projects/items/"+number, "application/geo+json", "")
	if code != 200 || ctype != "application/geo+json" || !strings.Contains(body, `"id":"`+number+`"`) || !strings.Contains(body, `"rel":"collection"`) {
		t.Errorf("item %s: %d %s\n%s", number, code, ctype, body)
	}

	// The arrondissements: a box about Sidi Othmane's office meets its
	// outline; a prefecture selects its arrondissements.
	ids := func(path string) []string {
		t.Helper()
		_, _, body := get(t, srv, path, "application/geo+json", "")
		var fc struct{ Features []struct{ ID string } }
		if err := json.Unmarshal([]byte(body), &fc); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
		var out []string
		for _, f := range fc.Features {
			out = append(out, f.ID)
		}
		return out
	}
	if got := ids("/ogc/collections/arrondissements/items?bbox=-7.5525,33.5685,-7.5515,33.5695"); strings.Join(got, ",") != "sidi-othmane" {
		t.Errorf("the arrondissements about Sidi Othmane's office: %v", got)
	}
	if got := ids("/ogc/collections/arrondissements/items?prefecture=casablanca-anfa"); strings.Join(got, ",") != "anfa,maarif,sidi-belyout" {
		t.Errorf("the prefecture of Casablanca-Anfa: %v", got)
	}
	if got := ids("/ogc/collections/arrondissements/items?limit=5&offset=14"); len(got) != 2 {
		t.Errorf("the last page of the arrondissements: %v", got)
	}

	// Bad parameters: the error names what is wrong, in the reader's language.
	for _, c := range []struct {
		path, lang, want string
		status           int
	}{
		{"/ogc/collections/projects/items?limit=0", "fr", "nombre entier de 1 à 10", 400},
		{"/ogc/collections/projects/items?limit=1000000000", "en", "whole number from 1 to 10", 400},
		{"/ogc/collections/projects/items?bbox=170,0,-170,1", "ar", "النطاق (bbox)", 400},
		{"/ogc/collections/projects/items?bbox=-7,34,-8,33", "en", "bounding box (bbox)", 400},
		{"/ogc/collections/projects/items?datetime=yesterday", "fr", "La date (datetime)", 400},
		{"/ogc/collections/projects/items?colour=red", "en", "The parameter “colour” is not understood", 400},
		{"/ogc/collections/city/items?datetime=2026-01-01T00:00:00Z", "en", "The parameter “datetime” is not understood", 400},
		{"/ogc/collections/projects/items?offset=-3", "en", "(offset)", 400},
		{"/ogc/collections?f=xml", "fr", "utilisez f=json ou f=html", 400},
		{"/ogc/collections/parcels", "en", "There is no layer “parcels”", 404},
		{"/ogc/collections/projects/items/NOPE-2026-00001", "fr", "Il n’existe pas d’entité", 404},
	} {
		code, ctype, body := get(t, srv, c.path, "application/json", c.lang)
		if code != c.status || !strings.HasPrefix(ctype, "application/problem+json") || !strings.Contains(body, c.want) {
			t.Errorf("%s (%s): %d %s\n%s", c.path, c.lang, code, ctype, body)
		}
	}

	// The same documents as pages.
	for _, p := range []string{"/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/projects",
		"/ogc/collections/projects/items?limit=2", "/ogc/collections/projects/items/" + number, "/ogc/collections/city/items",
		"/ogc/collections/arrondissements/items", "/ogc/collections/arrondissements/items/maarif"} {
		code, ctype, body := get(t, srv, p, "text/html,application/xhtml+xml", "fr")
		if code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "<main") {
			t.Errorf("%s as a page: %d %s", p, code, ctype)
		}
	}
	_, _, body = get(t, srv, "/ogc/collections/projects/items?limit=2&f=html", "", "fr")
	if !regexp.MustCompile(`rel="next"`).MatchString(body) || !strings.Contains(body, fmt.Sprintf("1 à 2 sur %d", granted)) {
		t.Errorf("the page of features:\n%s", apptest.Grep(body, "sur"))
	}
	if u := apptest.Untranslated(a); len(u) > 0 {
		t.Fatalf("untranslated: %v", u)
	}
}

// TestGDALReadsThePortal: GDAL's OGC API – Features driver (OAPIF), which
// QGIS and most GIS software use, lists the portal's layers and reads
// every feature of each. ogrinfo comes from Debian's gdal-bin, which CI
// installs: without it this test fails rather than skips.
func TestGDALReadsThePortal(t *testing.T) {
	t.Parallel()
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo is missing: install Debian's gdal-bin (apt-get install gdal-bin)")
	}
	a := apptest.Demo(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	var granted int
	if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM permit_files WHERE family = 'urban' AND state = 'approved'
		AND lon IS NOT NULL`).Scan(&granted); err != nil {
		t.Fatal(err)
	}
	pageSize := "4"
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(ogrinfo, append([]string{"-ro", "--config", "OAPIF_PAGE_SIZE", pageSize}, args...)...)
		cmd.Env = append(cmd.Environ(), "GDAL_HTTP_TIMEOUT=30")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	root := "OAPIF:" + srv.URL + "/ogc"
	list := run(root)
	for _, want := range []string{"1: projects", "2: city", "3: places", "4: arrondissements", "5: requests"} {
		if !strings.Contains(list, want) {
			t.Errorf("ogrinfo lists:\n%s", list)
		}
	}
	projects := run("-al", root, "projects")
	if n := strings.Count(projects, "OGRFeature(projects)"); n != granted {
		t.Errorf("ogrinfo reads %d authorised projects, want %d:\n%s", n, granted, projects)
	}
	if !strings.Contains(projects, "Feature Count: "+fmt.Sprint(granted)) || !strings.Contains(projects, "number (String)") {
		t.Errorf("ogrinfo on the projects:\n%s", projects[:min(len(projects), 2000)])
	}
	city := run("-al", root, "city")
	if strings.Count(city, "OGRFeature(city)") != 1 || !strings.Contains(city, "POLYGON") {
		t.Errorf("ogrinfo on the city:\n%s", city[:min(len(city), 2000)])
	}
	var places int
	if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM places`).Scan(&places); err != nil || places < 2000 {
		t.Fatalf("the demonstration's places: %d, %v", places, err)
	}
	pageSize = "500"
	if got := strings.Count(run("-al", "-geom=NO", root, "places"), "OGRFeature(places)"); got != places {
		t.Errorf("ogrinfo reads %d places, want %d", got, places)
	}
	var requests int
	if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM complaint_requests WHERE held_at IS NULL AND NOT private
		AND lat IS NOT NULL`).Scan(&requests); err != nil || requests == 0 {
		t.Fatalf("the demonstration's public requests with a point: %d, %v", requests, err)
	}
	if got := strings.Count(run("-al", "-geom=NO", root, "requests"), "OGRFeature(requests)"); got != requests {
		t.Errorf("ogrinfo reads %d requests, want %d", got, requests)
	}
	arrs := run("-al", root, "arrondissements")
	if strings.Count(arrs, "OGRFeature(arrondissements)") != 16 || !strings.Contains(arrs, "name_ar (String) = سيدي عثمان") {
		t.Errorf("ogrinfo on the arrondissements:\n%s", arrs[:min(len(arrs), 2000)])
	}
}

// TestLiveProjects: a map watching the authorised projects hears of a
// permit within seconds of the president granting it, as a GeoJSON
// feature, without asking again.
func TestLiveProjects(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	var id int64
	var number string
	if err := a.DB.QueryRowContext(context.Background(), `SELECT id, number FROM permit_files WHERE window_code = 'sidi-othmane'
		AND family = 'urban' AND state = 'accepted' AND step = 'decision' AND lon IS NOT NULL ORDER BY id LIMIT 1`).Scan(&id, &number); err != nil {
		t.Fatalf("the demonstration's permit to grant at Sidi Othmane: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ogc/collections/projects/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("the stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(res.Body)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
		close(events)
	}()
	if first := <-events; !strings.HasPrefix(first, "retry: ") {
		t.Fatalf("the stream begins with %q", first)
	}

	pres := apptest.NewBrowser(t, srv.URL)
	pres.SignIn("latifa.bouhlal@example.ma", true)
	page := fmt.Sprintf("/files/%d", id)
	if code, body, _ := pres.Act(page, page+"/grant", url.Values{"pin": {"246813"}}); code != http.StatusSeeOther {
		t.Fatalf("the president grants %s: %d\n%s", number, code, apptest.Grep(body, "error"))
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if !strings.HasPrefix(ev, "event: project\n") {
				continue
			}
			if !strings.Contains(ev, "id: "+number+"\n") || !strings.Contains(ev, `"type":"Feature","id":"`+number+`"`) {
				t.Fatalf("the event: %q", ev)
			}
			return
		case <-timeout:
			t.Fatalf("no event for %s within 10 s of its grant", number)
		}
	}
}
