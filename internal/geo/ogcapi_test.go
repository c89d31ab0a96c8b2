package geo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/openapi/openapitest"
)

// TestOGCAPIDefinition: the landing page's service-desc is an OpenAPI
// document that describes what the portal answers — every resource, each
// layer's filters and its features' properties, and its refusals — checked
// response by response, strictly (an undocumented property fails).
func TestOGCAPIDefinition(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()

	_, _, body := get(t, srv, "/ogc?f=json", "", "fr")
	var landing struct{ Links []link }
	if err := json.Unmarshal([]byte(body), &landing); err != nil {
		t.Fatal(err)
	}
	desc := rel(landing.Links, "service-desc", "application/vnd.oai.openapi+json;version=3.1")
	if desc == "" {
		t.Fatalf("the landing page links to no OpenAPI definition: %+v", landing.Links)
	}
	u, _ := url.Parse(desc)
	code, ctype, doc := get(t, srv, u.RequestURI(), "", "fr")
	if code != 200 || ctype != "application/vnd.oai.openapi+json;version=3.1" {
		t.Fatalf("%s: %d %s\n%.500s", desc, code, ctype, doc)
	}
	var parsed struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string
				Ref  string `json:"$ref"`
			}
		}
	}
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
		t.Fatal(err)
	}
	filters := map[string]bool{}
	for _, p := range parsed.Paths["/ogc/collections/projects/items"]["get"].Parameters {
		filters[p.Name+p.Ref] = true
	}
	if !filters["kind"] || !filters["arrondissement"] || !filters["#/components/parameters/datetime"] || !filters["#/components/parameters/bbox"] {
		t.Errorf("the projects' items are documented with the parameters %v", filters)
	}
	v, err := openapitest.New([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := v.Client(t, srv.Client(), "/ogc")
	fetch := func(path string, want int) []byte {
		t.Helper()
		res, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d\n%.300s", path, res.StatusCode, want, b)
		}
		return b
	}
	for _, p := range []string{"/ogc?f=json", "/ogc?f=html", "/ogc/api", "/ogc/conformance?f=json", "/ogc/collections?f=json", "/ogc/collections?f=html"} {
		fetch(p, 200)
	}
	for _, id := range []string{"projects", "city", "places", "arrondissements", "requests"} {
		base := "/ogc/collections/" + id
		fetch(base+"?f=json", 200)
		var fc struct {
			Features []struct{ ID string }
		}
		if err := json.Unmarshal(fetch(base+"/items?f=json&limit=20", 200), &fc); err != nil || len(fc.Features) == 0 {
			t.Fatalf("%s: %v, %d features", id, err, len(fc.Features))
		}
		fetch(base+"/items?f=json&limit=5&offset=1&bbox=-7.7,33.5,-7.4,33.65", 200)
		fetch(base+"/items?f=html&limit=5", 200)
		fetch(base+"/items/"+url.PathEscape(fc.Features[0].ID)+"?f=json", 200)
		fetch(base+"/items/no-such-feature?f=json", 404)
		fetch(base+"/items?f=json&limit=0", 400)
		fetch(base+"/items?f=json&bbox=1,2", 400)
	}
	fetch("/ogc/collections/projects/items?f=json&kind=building&arrondissement=sidi-othmane&datetime=2020-01-01T00:00:00Z/..", 200)
	fetch("/ogc/collections/places/items?f=json&category=sports", 200)
	fetch("/ogc/collections/no-such-layer?f=json", 404)
	fetch("/ogc/api?f=xml", 400)
	fetch("/ogc?f=xml", 400)

	// The check is strict: a property the document does not name fails.
	strict, err := openapitest.New([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	b := fetch("/ogc/collections/projects/items?f=json&limit=1", 200)
	var fc map[string]any
	_ = json.Unmarshal(b, &fc)
	fc["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)["owner"] = "Mme Benali"
	b, _ = json.Marshal(fc)
	h := http.Header{"Content-Type": {"application/geo+json"}}
	if err := strict.Response("GET", "/ogc/collections/projects/items", 200, h, b); err == nil {
		t.Error("a project with an owner's name agrees with the document")
	}
}
