package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pdf"
)

// apiClient calls the JSON API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) call(method, path, ctype string, body io.Reader, out any) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := checked(c.t, nil).Do(req) // every response checked against the OpenAPI document
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode, string(b)
}

func (c apiClient) json(method, path string, in, out any) (int, string) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	return c.call(method, path, "application/json", body, out)
}

type apiFile struct {
	ID           int64    `json:"id"`
	Number       string   `json:"number"`
	TrackingCode string   `json:"tracking_code"`
	State        string   `json:"state"`
	Version      int      `json:"version"`
	Window       string   `json:"window"`
	Missing      []string `json:"missing"`
	Actions      []string `json:"actions"`
	Appointment  *struct {
		Start time.Time `json:"start"`
	} `json:"appointment"`
	Route struct {
		Rule        string            `json:"rule"`
		Explanation map[string]string `json:"explanation"`
	} `json:"route"`
}

// TestFilesAPI files an auto-entrepreneur authorisation through the API
// alone, as a mobile app would: create, upload the raw documents, submit,
// book a slot; the public status follows it without a token.
func TestFilesAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newTestApp(t, d.Engine)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		ctx := context.Background()
		var id int64
		now := time.Now().UTC()
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
				family_name_latin, lang, created_at, updated_at) VALUES ('hanane@example.ma', 'hanane@example.ma', $1, 'Hanane',
				'Berrada', 'fr', $1, $1) RETURNING id`, now).Scan(&id)
		}); err != nil {
			t.Fatal(err)
		}
		write, err := a.Identity.CreateToken(ctx, id, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		readOnly, _ := a.Identity.CreateToken(ctx, id, "ro", []authz.Scope{authz.ScopeFilesRead}, time.Hour)
		c := apiClient{t: t, base: srv.URL, token: write}

		// Bad input: outside the city, in the caller's language.
		code, body := c.json("POST", "/api/v1/files?lang=fr", map[string]any{"kind": "auto_entrepreneur",
			"arrondissement": "sidi-othmane", "lat": 34.02, "lon": -6.84}, nil)
		if code != 422 && code != 400 || !strings.Contains(body, "error.geo.outside") || !strings.Contains(body, "hors du territoire") {
			t.Fatalf("outside the city: %d %s", code, body)
		}
		if code, _ := (apiClient{t: t, base: srv.URL, token: readOnly}).json("POST", "/api/v1/files", map[string]any{"kind": "repair"}, nil); code != 403 {
			t.Fatalf("files:read token created a file: %d", code)
		}

		var f apiFile
		code, body = c.json("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 3, Sidi Othmane",
			"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55120", "activity": "Couture"}}, &f)
		if code != 201 || f.State != "draft" || len(f.Missing) == 0 {
			t.Fatalf("create: %d %s", code, body)
		}
		// Submitting now lists every missing document in the problem.
		code, body = c.json("POST", fmt.Sprintf("/api/v1/files/%d/submit?lang=en", f.ID), nil, nil)
		if code != 422 && code != 400 || !strings.Contains(body, `"field":"documents.`+f.Missing[0]+`"`) {
			t.Fatalf("incomplete submit: %d %s", code, body)
		}
		// A PNG named .pdf is refused; real PDFs are stored.
		code, body = c.call("POST", fmt.Sprintf("/api/v1/files/%d/documents/application?name=a.pdf", f.ID), "application/pdf",
			bytes.NewReader([]byte("\x89PNG\r\n\x1a\n0000000000000000")), nil)
		if code != 415 {
			t.Fatalf("PNG as PDF: %d %s", code, body)
		}
		for i, item := range f.Missing {
			doc := pdf.New(pdf.Options{})
			doc.Text(72, 72, 12, false, "Pièce "+item)
			var b bytes.Buffer
			if _, err := doc.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
			var up struct {
				Version int    `json:"version"`
				SHA256  string `json:"sha256"`
			}
			code, body = c.call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=piece-%d.pdf", f.ID, item, i), "application/pdf", &b, &up)
			if code != 201 || up.Version != 1 || len(up.SHA256) != 64 {
				t.Fatalf("upload %s: %d %s", item, code, body)
			}
		}
		c.json("GET", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, &f)
		// A stale version is refused.
		code, _ = c.json("POST", fmt.Sprintf("/api/v1/files/%d/submit", f.ID), map[string]int{"version": f.Version + 5}, nil)
		if code != 409 {
			t.Fatalf("stale submit: %d", code)
		}
		code, body = c.json("POST", fmt.Sprintf("/api/v1/files/%d/submit", f.ID), map[string]int{"version": f.Version}, &f)
		if code != 200 || f.State != "submitted" || f.Window != "sidi-othmane" || f.Route.Explanation["ar"] == "" {
			t.Fatalf("submit: %d %s", code, body)
		}
		var slots struct {
			Slots []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		}
		if code, body := c.json("GET", fmt.Sprintf("/api/v1/files/%d/slots", f.ID), nil, &slots); code != 200 || len(slots.Slots) == 0 {
			t.Fatalf("slots: %d %s", code, body)
		}
		code, body = c.json("PUT", fmt.Sprintf("/api/v1/files/%d/appointment", f.ID), map[string]any{"start": slots.Slots[0].Start}, &f)
		if code != 200 || f.Appointment == nil || !f.Appointment.Start.Equal(slots.Slots[0].Start) {
			t.Fatalf("book: %d %s", code, body)
		}
		// Public tracking: by reference (not yet numbered) and code, no token.
		var ref struct{ Ref string }
		c.json("GET", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, &ref)
		pub := apiClient{t: t, base: srv.URL}
		var tr struct {
			State  string `json:"state"`
			Events []struct {
				Kind       string `json:"kind"`
				ActorLabel string `json:"actor_label"`
			} `json:"events"`
		}
		code, body = pub.json("GET", "/api/v1/track?number="+ref.Ref+"&code="+f.TrackingCode, nil, &tr)
		if code != 200 || tr.State != "submitted" || len(tr.Events) < 2 || strings.Contains(body, "Berrada") || strings.Contains(body, "person:") {
			t.Fatalf("track: %d %s", code, body)
		}
		if code, _ := pub.json("GET", "/api/v1/track?number="+ref.Ref+"&code=AAAAAAAA", nil, nil); code != 404 {
			t.Fatalf("wrong code: %d", code)
		}
		// Someone else's file is not found, not forbidden.
		var other int64
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, lang, created_at, updated_at)
				VALUES ('x@example.ma', 'x@example.ma', $1, 'ar', $1, $1) RETURNING id`, now).Scan(&other)
		}); err != nil {
			t.Fatal(err)
		}
		tok, _ := a.Identity.CreateToken(ctx, other, "x", []authz.Scope{authz.ScopeFilesRead}, time.Hour)
		if code, _ := (apiClient{t: t, base: srv.URL, token: tok}).json("GET", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, nil); code != 404 {
			t.Fatalf("another person's file: %d", code)
		}
	})
}
