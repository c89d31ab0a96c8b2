package permit_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/pdf"
)

// TestFilesAPI files an auto-entrepreneur authorisation through the API
// alone, as a mobile app would: create, upload the raw documents, submit,
// book a slot; the public status follows it without a token.
func TestFilesAPI(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
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
		c := apptest.CheckedAPI(t, a, srv.URL, write) // every response checked against the OpenAPI document

		// Bad input: outside the city, in the caller's language.
		code, body := c.JSON("POST", "/api/v1/files?lang=fr", map[string]any{"kind": "auto_entrepreneur",
			"arrondissement": "sidi-othmane", "lat": 34.02, "lon": -6.84}, nil)
		if code != 422 && code != 400 || !strings.Contains(body, "error.geo.outside") || !strings.Contains(body, "hors du territoire") {
			t.Fatalf("outside the city: %d %s", code, body)
		}
		if code, _ := c.As(readOnly).JSON("POST", "/api/v1/files", map[string]any{"kind": "repair"}, nil); code != 403 {
			t.Fatalf("files:read token created a file: %d", code)
		}

		var f apptest.APIFile
		code, body = c.JSON("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 3, Sidi Othmane",
			"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55120", "activity": "Couture"}}, &f)
		if code != 201 || f.State != "draft" || len(f.Missing) == 0 {
			t.Fatalf("create: %d %s", code, body)
		}
		// Submitting now lists every missing document in the problem.
		code, body = c.JSON("POST", fmt.Sprintf("/api/v1/files/%d/submit?lang=en", f.ID), nil, nil)
		if code != 422 && code != 400 || !strings.Contains(body, `"field":"documents.`+f.Missing[0]+`"`) {
			t.Fatalf("incomplete submit: %d %s", code, body)
		}
		// A PNG named .pdf is refused; real PDFs are stored.
		code, body = c.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/application?name=a.pdf", f.ID), "application/pdf",
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
			code, body = c.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=piece-%d.pdf", f.ID, item, i), "application/pdf", &b, &up)
			if code != 201 || up.Version != 1 || len(up.SHA256) != 64 {
				t.Fatalf("upload %s: %d %s", item, code, body)
			}
		}
		c.JSON("GET", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, &f)
		// A stale version is refused.
		code, _ = c.JSON("POST", fmt.Sprintf("/api/v1/files/%d/submit", f.ID), map[string]int{"version": f.Version + 5}, nil)
		if code != 409 {
			t.Fatalf("stale submit: %d", code)
		}
		code, body = c.JSON("POST", fmt.Sprintf("/api/v1/files/%d/submit", f.ID), map[string]int{"version": f.Version}, &f)
		if code != 200 || f.State != "submitted" || f.Window != "sidi-othmane" || f.Route.Explanation["ar"] == "" {
			t.Fatalf("submit: %d %s", code, body)
		}
		var slots struct {
			Slots []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		}
		if code, body := c.JSON("GET", fmt.Sprintf("/api/v1/files/%d/slots", f.ID), nil, &slots); code != 200 || len(slots.Slots) == 0 {
			t.Fatalf("slots: %d %s", code, body)
		}
		code, body = c.JSON("PUT", fmt.Sprintf("/api/v1/files/%d/appointment", f.ID), map[string]any{"start": slots.Slots[0].Start}, &f)
		if code != 200 || f.Appointment == nil || !f.Appointment.Start.Equal(slots.Slots[0].Start) {
			t.Fatalf("book: %d %s", code, body)
		}
		// Public tracking: by reference (not yet numbered) and code, no token.
		var ref struct{ Ref string }
		c.JSON("GET", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, &ref)
		pub := c.As("")
		var tr struct {
			State  string `json:"state"`
			Events []struct {
				Kind       string `json:"kind"`
				ActorLabel string `json:"actor_label"`
			} `json:"events"`
		}
		code, body = pub.JSON("GET", "/api/v1/track?number="+ref.Ref+"&code="+f.TrackingCode, nil, &tr)
		if code != 200 || tr.State != "submitted" || len(tr.Events) < 2 || strings.Contains(body, "Berrada") || strings.Contains(body, "person:") {
			t.Fatalf("track: %d %s", code, body)
		}
		if code, _ := pub.JSON("GET", "/api/v1/track?number="+ref.Ref+"&code=AAAAAAAA", nil, nil); code != 404 {
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
		if code, _ := c.As(tok).JSON("GET", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, nil); code != 404 {
			t.Fatalf("another person's file: %d", code)
		}
	})
}

// TestOpenAPIContractOfTheOtherFileOperations calls, through the checking
// client, the file operations TestFilesAPI does not reach (list, update,
// download, receipt, answer, cancel, withdraw), so that every operation of
// the document is checked against a real response.
func TestOpenAPIContractOfTheOtherFileOperations(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		ctx := context.Background()
		var id int64
		now := time.Now().UTC()
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
				family_name_latin, lang, created_at, updated_at) VALUES ('salma@example.ma', 'salma@example.ma', $1, 'Salma',
				'Tazi', 'fr', $1, $1) RETURNING id`, now).Scan(&id)
		}); err != nil {
			t.Fatal(err)
		}
		tok, err := a.Identity.CreateToken(ctx, id, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apptest.CheckedAPI(t, a, srv.URL, tok)
		var f apptest.APIFile
		if code, body := c.JSON("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 5, Sidi Othmane",
			"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55121", "activity": "Broderie"}}, &f); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		var list struct {
			Files []apptest.APIFile `json:"files"`
		}
		if code, body := c.JSON("GET", "/api/v1/files", nil, &list); code != 200 || len(list.Files) != 1 || list.Files[0].ID != f.ID {
			t.Fatalf("list: %d %s", code, body)
		}
		path := fmt.Sprintf("/api/v1/files/%d", f.ID)
		if code, body := c.JSON("PUT", path, map[string]any{"kind": "auto_entrepreneur", "address": "Derb 6, Sidi Othmane",
			"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55121", "activity": "Broderie"},
			"version": f.Version}, &f); code != 200 || f.Version != 2 {
			t.Fatalf("update: %d %s", code, body)
		}
		doc := pdf.New(pdf.Options{})
		doc.Text(72, 72, 12, false, "Pièce")
		var b bytes.Buffer
		if _, err := doc.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		var up struct {
			ID int64 `json:"id"`
		}
		if code, body := c.Call("POST", path+"/documents/"+f.Missing[0]+"?name=piece.pdf", "application/pdf", &b, &up); code != 201 || up.ID == 0 {
			t.Fatalf("upload: %d %s", code, body)
		}
		if code, body := c.Call("GET", fmt.Sprintf("%s/documents/%d", path, up.ID), "", nil, nil); code != 200 || !strings.HasPrefix(body, "%PDF-") {
			t.Fatalf("download: %d %.100s", code, body)
		}
		// A draft has no receipt, no decision, nothing to answer and no appointment:
		// the refusals are documented problems too.
		for _, op := range []struct{ method, path string }{
			{"GET", path + "/receipt"}, {"GET", path + "/decision"}, {"POST", path + "/answer"}, {"DELETE", path + "/appointment"},
		} {
			if code, body := c.JSON(op.method, op.path, nil, nil); code < 400 || code >= 500 {
				t.Errorf("%s %s on a draft: %d %s", op.method, op.path, code, body)
			}
		}
		c.JSON("GET", path, nil, &f)
		if code, body := c.JSON("POST", path+"/withdraw", map[string]int{"version": f.Version}, &f); code != 200 || f.State != "withdrawn" {
			t.Fatalf("withdraw: %d %s", code, body)
		}
	})
}
