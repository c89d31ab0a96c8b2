package permit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"madina/internal/identity/identitydemo"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/staff"
)

// raceResult is one racer's answer.
type raceResult struct {
	code int
	body string
}

// race runs n requests at once (released together) and returns their
// answers.
func race(n int, do func(i int) raceResult) []raceResult {
	out := make([]raceResult, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i] = do(i)
		}()
	}
	close(gate)
	wg.Wait()
	return out
}

// judgeRace requires every answer to be a success or a 409 that explains
// itself in French (the racers' language), never a 5xx; it returns the
// number of successes.
func judgeRace(t *testing.T, what string, rs []raceResult, ok func(int) bool) int {
	t.Helper()
	won := 0
	for i, r := range rs {
		switch {
		case ok(r.code):
			won++
		case r.code == http.StatusConflict:
			if !conflictExplained(r.body) {
				t.Errorf("%s #%d: 409 without a translated message:\n%s", what, i, clipBody(r.body))
			}
		default:
			t.Errorf("%s #%d: %d, want success or 409:\n%s", what, i, r.code, clipBody(r.body))
		}
	}
	return won
}

// conflictExplained: a problem's detail or an HTML page says, in French,
// that someone changed the thing meanwhile, with no message key left raw.
func conflictExplained(body string) bool {
	var p struct {
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}
	if json.Unmarshal([]byte(body), &p) == nil {
		return strings.Contains(p.Detail, "Quelqu’un") && p.Detail != p.Code
	}
	return strings.Contains(body, "Quelqu’un") && !strings.Contains(body, "error.conflict") && !strings.Contains(body, ".stale")
}

func clipBody(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// apiRacer calls the JSON API in French with a bearer token.
type apiRacer struct {
	base, token string
}

func (c apiRacer) do(method, path, ctype string, body []byte) raceResult {
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept-Language", "fr")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return raceResult{code: -1, body: err.Error()}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return raceResult{code: res.StatusCode, body: string(b)}
}

// TestRacesOnOneFileAnswerClearly races 50 requests on one file through the
// real router, on both engines, as the probe did: uploads to one checklist
// item, bookings of its deposit appointment, two agents accepting it. Work
// on one file is serialised: every request either wins or is told, in its
// language, that someone changed the file meanwhile (409), never a 500; the
// data is right afterwards and no upload leaves an unreferenced blob.
func TestRacesOnOneFileAnswerClearly(t *testing.T) {
	t.Parallel()
	const racers = 50
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		// The quota of versions is not what races here: room for every racer.
		a := apptest.New(t, e, withBaseURL, apptest.Config(func(c *config.Config) { c.UploadMaxVersions = racers + 10 }))
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()

		var owner int64
		now := time.Now().UTC()
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
				family_name_latin, lang, created_at, updated_at) VALUES ('hanane@example.ma', 'hanane@example.ma', $1, 'Hanane',
				'Berrada', 'fr', $1, $1) RETURNING id`, now).Scan(&owner)
		}); err != nil {
			t.Fatal(err)
		}
		token, err := a.Identity.CreateToken(ctx, owner, "races", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apiRacer{base: srv.URL, token: token}
		get := func(id int64) apptest.APIFile {
			var f apptest.APIFile
			r := c.do("GET", fmt.Sprintf("/api/v1/files/%d", id), "", nil)
			if r.code != 200 || json.Unmarshal([]byte(r.body), &f) != nil {
				t.Fatalf("get file: %d %s", r.code, r.body)
			}
			return f
		}
		body, _ := json.Marshal(map[string]any{"kind": "auto_entrepreneur", "address": "12 rue Ibn Batouta",
			"arrondissement": "maarif", "fields": map[string]any{"ae_number": "AE-77120", "activity": "Couture"}})
		r := c.do("POST", "/api/v1/files", "application/json", body)
		var f apptest.APIFile
		if r.code != 201 || json.Unmarshal([]byte(r.body), &f) != nil || len(f.Missing) == 0 {
			t.Fatalf("create: %d %s", r.code, r.body)
		}

		// Uploads to one checklist item: each is a new version.
		item := f.Missing[0]
		rs := race(racers, func(i int) raceResult {
			return c.do("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=v%d.pdf", f.ID, item, i), "application/pdf",
				apptest.TinyPDF(fmt.Sprintf("version %d", i)))
		})
		won := judgeRace(t, "upload", rs, func(c int) bool { return c == http.StatusCreated })
		var n, top, distinct int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*), COALESCE(max(version), 0), count(DISTINCT version) FROM permit_documents
			WHERE file_id = $1 AND item = $2`, f.ID, item).Scan(&n, &top, &distinct); err != nil {
			t.Fatal(err)
		}
		if won == 0 || n != won || top != won || distinct != won {
			t.Errorf("uploads: %d answered 201, %d rows, versions up to %d (%d distinct)", won, n, top, distinct)
		}
		// Every blob on disk belongs to a document row.
		referenced := map[string]bool{}
		rows, err := a.DB.QueryContext(ctx, `SELECT sha256 FROM permit_documents`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			referenced[s] = true
		}
		rows.Close()
		root := filepath.Join(a.Cfg.DataDir, "blobs")
		_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || strings.HasPrefix(p, filepath.Join(root, "tmp")) {
				return err
			}
			if !referenced[e.Name()] {
				t.Errorf("orphan blob %s", e.Name())
			}
			return nil
		})

		for _, it := range f.Missing[1:] {
			r := c.do("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=%s.pdf", f.ID, it, it), "application/pdf", apptest.TinyPDF(it))
			if r.code != http.StatusCreated {
				t.Fatalf("upload %s: %d %s", it, r.code, r.body)
			}
		}
		f = get(f.ID)
		body, _ = json.Marshal(map[string]int{"version": f.Version})
		if r := c.do("POST", fmt.Sprintf("/api/v1/files/%d/submit", f.ID), "application/json", body); r.code != 200 {
			t.Fatalf("submit: %d %s", r.code, r.body)
		}
		f = get(f.ID)
		if f.Window != "maarif" {
			t.Fatalf("routed to %q, want maarif", f.Window)
		}

		// Bookings of the file's appointment at the version read: one wins.
		var slots struct {
			Slots []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		}
		r = c.do("GET", fmt.Sprintf("/api/v1/files/%d/slots", f.ID), "", nil)
		if r.code != 200 || json.Unmarshal([]byte(r.body), &slots) != nil || len(slots.Slots) < 3 {
			t.Fatalf("slots: %d %s", r.code, r.body)
		}
		rs = race(racers, func(i int) raceResult {
			b, _ := json.Marshal(map[string]any{"start": slots.Slots[i%3].Start, "version": f.Version})
			return c.do("PUT", fmt.Sprintf("/api/v1/files/%d/appointment", f.ID), "application/json", b)
		})
		if won := judgeRace(t, "booking", rs, func(c int) bool { return c == http.StatusOK }); won != 1 {
			t.Errorf("bookings: %d won, want 1", won)
		}
		var booked, taken int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_appointments WHERE file_id = $1 AND status = 'booked'`,
			f.ID).Scan(&booked); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.QueryRowContext(ctx, `SELECT COALESCE(sum(booked), 0) FROM permit_slots`).Scan(&taken); err != nil {
			t.Fatal(err)
		}
		if booked != 1 || taken != 1 {
			t.Errorf("after the bookings: %d appointments booked, %d places taken; want 1 and 1", booked, taken)
		}

		// Two agents of the window accept the file at once.
		agentEmails := []string{"souad.chraibi@example.ma", "rita.amrani@example.ma"}
		for _, email := range agentEmails {
			given, _, _ := strings.Cut(email, ".")
			se, err := a.Staff.EnrolStaff(ctx, staff.System("test"), staff.Enrolment{Email: email,
				GivenNameAR: "سعاد", FamilyNameAR: "الشرايبي", GivenNameLatin: given, FamilyNameLatin: "Agent", Lang: "fr"},
				staff.GrantSpec{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Identity.ResetPassword(ctx, se.ResetToken, identitydemo.Password); err != nil {
				t.Fatal(err)
			}
			if err := a.Identity.EnableTOTPSecret(ctx, authz.Actor{System: true}, se.PersonID, identitydemo.TOTPSecret); err != nil {
				t.Fatal(err)
			}
		}
		page := fmt.Sprintf("/files/%d", f.ID)
		var agents []*apptest.Browser
		var tokens []string
		for _, email := range agentEmails {
			b := apptest.NewBrowser(t, srv.URL)
			b.SignIn(email, true)
			b.SetLang(i18n.FR)
			_, p, _ := b.Get(page)
			m := apptest.CSRFRE.FindStringSubmatch(p)
			if m == nil {
				t.Fatalf("%s: no form on the file page", email)
			}
			agents, tokens = append(agents, b), append(tokens, m[1])
		}
		version := agents[0].Version(page)
		rs = race(racers, func(i int) raceResult {
			b := agents[i%2]
			res, err := b.C.PostForm(b.URL+page+"/accept", url.Values{"version": {version}, "csrf_token": {tokens[i%2]}})
			if err != nil {
				return raceResult{code: -1, body: err.Error()}
			}
			defer res.Body.Close()
			out, _ := io.ReadAll(res.Body)
			return raceResult{code: res.StatusCode, body: string(out)}
		})
		if won := judgeRace(t, "accept", rs, func(c int) bool { return c == http.StatusSeeOther }); won != 1 {
			t.Errorf("accepts: %d won, want 1", won)
		}
		var state string
		var accepted, open, last int
		if err := a.DB.QueryRowContext(ctx, `SELECT state FROM permit_files WHERE id = $1`, f.ID).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_events WHERE file_id = $1 AND kind = 'accept'`, f.ID).Scan(&accepted); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_deadlines WHERE file_id = $1 AND step = 'overall' AND met_at IS NULL`,
			f.ID).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.QueryRowContext(ctx, `SELECT last FROM permit_counters WHERE window_code = 'maarif'`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if state != "under_review" || accepted != 1 || open != 1 || last != 1 {
			t.Errorf("after the accepts: state %s, %d accept events, %d open overall deadlines, %d numbers taken; want under_review, 1, 1, 1",
				state, accepted, open, last)
		}
	})
}
