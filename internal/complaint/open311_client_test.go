package complaint_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/testenv"
)

// TestRealOpen311Client drives the server with an Open311 client written
// by others: the npm package open311 (package.json, lockfile), run by
// Node.js on testdata/open311_client.js. It discovers the endpoint, lists
// the services, reads a definition, posts a request with attributes,
// follows its token, reads it back, and is refused — in the standard
// error format it reports — for a wrong key, an attribute the definition
// lacks, a malformed latitude, an unknown service and another
// jurisdiction. Without Node.js or the package it is skipped, unless
// MADINA_TEST_REQUIRE names open311 (CI), when it fails.
func TestRealOpen311Client(t *testing.T) {
	node, err := exec.LookPath("node")
	testenv.Need(t, "open311", err == nil, "node is not installed")
	_, err = os.Stat(filepath.Join("..", "..", "node_modules", "open311", "open311.js"))
	testenv.Need(t, "open311", err == nil, "the npm package open311 is not installed (npm ci)")
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		ctx := context.Background()
		_, key, err := a.Complaint.RegisterOpen311Client(ctx, authz.Actor{System: true}, "Node client")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "open311_client.js"), base, key)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("the open311 client: %v\n%s", err, stderr.String())
		}
		type refusal struct {
			Err  any
			Body string
		}
		var got struct {
			Discovery struct {
				Err           any
				Specification string
			}
			Services struct {
				Err   any
				Codes []string
			}
			Definition struct {
				Err        any
				Attributes []string
			}
			Submit struct {
				Err    any
				Answer []struct {
					ID    string `json:"service_request_id"`
					Token string `json:"token"`
				}
			}
			Token struct {
				Err    any
				Answer []struct {
					ID string `json:"service_request_id"`
				}
			}
			Request struct {
				Err    any
				Answer []map[string]any
			}
			Open struct {
				Err any
				IDs []string
			}
			WrongKey, BadAttribute, BadLat, BadService, Abroad refusal
		}
		if err := json.Unmarshal(stdout, &got); err != nil {
			t.Fatalf("the client's report: %v\n%s", err, stdout)
		}
		if got.Discovery.Err != nil || got.Discovery.Specification != "http://wiki.open311.org/GeoReport_v2" {
			t.Errorf("discovery: %+v", got.Discovery)
		}
		if got.Services.Err != nil || len(got.Services.Codes) != 13 || got.Services.Codes[1] != "lighting" {
			t.Errorf("services: %+v", got.Services)
		}
		if got.Definition.Err != nil || strings.Join(got.Definition.Attributes, ",") != "pole,arrondissement" {
			t.Errorf("definition: %+v", got.Definition)
		}
		if got.Submit.Err != nil || len(got.Submit.Answer) != 1 || !strings.HasPrefix(got.Submit.Answer[0].ID, "R") || got.Submit.Answer[0].Token == "" {
			t.Fatalf("submit: %+v\n%s", got.Submit, stdout)
		}
		number := got.Submit.Answer[0].ID
		if got.Token.Err != nil || len(got.Token.Answer) != 1 || got.Token.Answer[0].ID != number {
			t.Errorf("token: %+v", got.Token)
		}
		if got.Request.Err != nil || len(got.Request.Answer) != 1 || got.Request.Answer[0]["service_request_id"] != number ||
			got.Request.Answer[0]["status"] != "open" || got.Request.Answer[0]["service_code"] != "lighting" {
			t.Errorf("request: %+v", got.Request)
		}
		if r := got.Request.Answer; len(r) == 1 {
			d, _ := r[0]["description"].(string)
			if !strings.Contains(d, "Lampadaire éteint") || strings.Contains(d, "0661234567") || strings.Contains(string(stdout[strings.Index(string(stdout), `"request"`):]), "youssef@") {
				t.Errorf("published description: %q", d)
			}
		}
		if got.Open.Err != nil || len(got.Open.IDs) != 1 || got.Open.IDs[0] != number {
			t.Errorf("open requests: %+v", got.Open)
		}
		// The client reports a refusal as its HTTP status and the body:
		// the standard error list.
		for name, c := range map[string]struct {
			r      refusal
			status float64
			text   string
		}{
			"wrong key":     {got.WrongKey, 403, `"description":"api_key`},
			"bad attribute": {got.BadAttribute, 400, `attribute[colour]`},
			"bad lat":       {got.BadLat, 400, `"description":"lat: `},
			"bad service":   {got.BadService, 400, `service_code=ufo`},
			"abroad":        {got.Abroad, 404, `jurisdiction_id=casablanca`},
		} {
			if c.r.Err != c.status || !strings.Contains(c.r.Body, `[{"code":`) || !strings.Contains(c.r.Body, c.text) {
				t.Errorf("%s: %v %s", name, c.r.Err, c.r.Body)
			}
		}
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM complaint_requests`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d requests stored, want the one good post (%v)", n, err)
		}
	})
}
