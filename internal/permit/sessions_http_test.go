package permit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/testenv"
)

// TestSessionsOverHTTP: in the demonstration, the city window dispatches
// an urban file; the planner puts it on the next session of the large
// projects committee (or another of the city window's); the urban agency's member sees the session and its
// agenda on /committee (in French and in Arabic, right to left), opens
// the session's page (no freeze button for them); the window's agent
// freezes it from a confirmation, and a second freeze is refused with a
// clear message; the member's private calendar feed is read by Python's
// icalendar; a citizen does not see the session.
func TestSessionsOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	ctx := context.Background()
	if _, err := a.Permit.GenerateSessions(ctx, permit.SessionWeeks); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := a.DB.QueryRowContext(ctx, `SELECT id FROM permit_files WHERE window_code = 'city' AND state = 'accepted'
		AND holder = 'window' AND step = 'dispatch' AND family = 'urban' ORDER BY id LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("an accepted urban file at the city window: %v", err)
	}
	page := "/files/" + strconv.FormatInt(id, 10)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	agent.SetLang(i18n.FR)
	version := agent.Version(page)
	code, _, h := agent.Post(page+"/dispatch?version="+version, page+"/dispatch", url.Values{"version": {version}})
	apptest.WantStatus(t, "dispatch", code, http.StatusSeeOther, h)
	apptest.Settle(t, a)

	var session int64
	var number string
	if err := a.DB.QueryRowContext(ctx, `SELECT a.session_id, f.number FROM permit_agenda a JOIN permit_files f ON f.id = a.file_id
		WHERE a.file_id = $1 AND a.session_id IS NOT NULL`, id).Scan(&session, &number); err != nil {
		t.Fatalf("the dispatched file is on no session: %v", err)
	}
	sessionPage := "/committee/sessions/" + strconv.FormatInt(session, 10)

	member := apptest.NewBrowser(t, srv.URL)
	member.SignIn("karim.benjelloun@example.ma", true)
	member.SetLang(i18n.FR)
	code, body, _ := member.Get("/committee")
	text := html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, "Prochaines séances") || !strings.Contains(body, `href="`+sessionPage+`"`) ||
		!strings.Contains(text, "Commission d") || !strings.Contains(text, number) {
		t.Fatalf("the member's next sessions: %d\n%s", code, apptest.Grep(text, "séance"))
	}
	member.SetLang(i18n.AR)
	if _, body, _ := member.Get("/committee"); !strings.Contains(body, `dir="rtl"`) || !strings.Contains(body, "الجلسات المقبلة") ||
		!strings.Contains(body, "لجنة") {
		t.Fatal("the member's sessions are not in Arabic, right to left")
	}
	member.SetLang(i18n.FR)
	code, body, _ = member.Get(sessionPage)
	text = html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, number) || !strings.Contains(text, "Ordre du jour ouvert") ||
		!strings.Contains(text, "L’échéance la plus proche d’abord") || strings.Contains(body, sessionPage+"/freeze") {
		t.Fatalf("the session's page for the member: %d\n%s", code, apptest.Grep(text, "ordre"))
	}
	if code, _, _ := member.Get(sessionPage + "/freeze"); code != http.StatusNotFound {
		t.Fatalf("a member asks to freeze: %d, want 404", code)
	}

	// The secretariat freezes it, from a confirmation.
	if _, body, _ := agent.Get(sessionPage); !strings.Contains(body, `action="`+sessionPage+`/freeze"`) {
		t.Fatalf("the agent is not offered to freeze:\n%s", apptest.Grep(body, "freeze"))
	}
	code, body, _ = agent.Get(sessionPage + "/freeze")
	text = html.UnescapeString(body)
	if code != http.StatusOK || !strings.Contains(text, "Arrêter l’ordre du jour de la séance du") || !strings.Contains(text, number) {
		t.Fatalf("the freeze confirmation: %d\n%s", code, apptest.Grep(text, "ordre"))
	}
	code, _, h = agent.Post(sessionPage+"/freeze", sessionPage+"/freeze", url.Values{})
	apptest.WantStatus(t, "freeze", code, http.StatusSeeOther, h)
	_, body, _ = agent.Get(sessionPage + "?done=frozen")
	text = html.UnescapeString(body)
	if !strings.Contains(text, "L’ordre du jour est arrêté ; les membres et les demandeurs sont prévenus.") ||
		!strings.Contains(text, "Ordre du jour arrêté") || strings.Contains(body, `action="`+sessionPage+`/freeze"`) {
		t.Fatalf("the session after freezing:\n%s", apptest.Grep(text, "arrêté"))
	}
	code, body, _ = agent.Post(sessionPage+"/freeze", sessionPage+"/freeze", url.Values{})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "est déjà arrêté") {
		t.Fatalf("freezing twice: %d\n%s", code, apptest.Grep(html.UnescapeString(body), "arrêté"))
	}
	if n := apptest.IDOf(t, a.DB, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.session_frozen'
		AND object_id = '`+strconv.FormatInt(session, 10)+`'`); n != 1 {
		t.Fatalf("%d freezes audited", n)
	}

	// The member's calendar: a new private address, shown once, read by a
	// real parser.
	code, body, _ = member.Post("/committee", "/committee/calendar", url.Values{})
	m := regexp.MustCompile(`https?://[^<"\s]+/committee/calendar/[A-Za-z0-9_-]+\.ics`).FindString(body)
	if code != http.StatusOK || m == "" {
		t.Fatalf("no calendar address: %d\n%s", code, apptest.Grep(body, "calendar"))
	}
	feed := m[strings.Index(m, "/committee/calendar/"):]
	resp, err := http.Get(srv.URL + feed)
	if err != nil {
		t.Fatal(err)
	}
	var ics bytes.Buffer
	_, _ = ics.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("the feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, line := range strings.SplitAfter(ics.String(), "\r\n") {
		if len(strings.TrimSuffix(line, "\r\n")) > 75 || (line != "" && !strings.HasSuffix(line, "\r\n")) {
			t.Fatalf("a line longer than 75 octets or not ended by CRLF: %q", line)
		}
	}
	var start time.Time
	if err := a.DB.QueryRowContext(ctx, `SELECT starts_at FROM permit_sessions WHERE id = $1`, session).Scan(&start); err != nil {
		t.Fatal(err)
	}
	ev := readFeed(t, ics.Bytes(), "session-"+strconv.FormatInt(session, 10)+"@")
	if ev.TZID != "Africa/Casablanca" || !ev.Start.Equal(start) || !strings.HasPrefix(ev.Summary, "Séance — Commission d") ||
		!strings.Contains(ev.Description, number) || !ev.HasTimezone {
		t.Fatalf("the feed's event as icalendar reads it: %+v (session starts %s)", ev, start)
	}
	// Renewed, the old address stops working.
	member.Post("/committee", "/committee/calendar", url.Values{})
	if resp, err := http.Get(srv.URL + feed); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the old calendar address after renewal: %v %v", resp, err)
	}

	citizen := apptest.NewBrowser(t, srv.URL)
	citizen.SignIn("fatima.benali@example.ma", false)
	if code, _, _ := citizen.Get(sessionPage); code != http.StatusNotFound {
		t.Fatalf("a citizen's view of a session: %d, want 404", code)
	}
}

// feedEvent is an event of a feed as Python's icalendar reads it.
type feedEvent struct {
	Start       time.Time `json:"start"`
	TZID        string    `json:"tzid"`
	Summary     string    `json:"summary"`
	Description string    `json:"description"`
	HasTimezone bool      `json:"vtimezone"`
}

const pyFeed = `
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
want = sys.argv[1]
tz = [c for c in cal.walk() if c.name == "VTIMEZONE"]
for ev in cal.walk("VEVENT"):
    if str(ev.get("UID")).startswith(want):
        dt = ev.decoded("DTSTART")
        print(json.dumps({"start": dt.isoformat(), "tzid": ev["DTSTART"].params.get("TZID"),
            "summary": str(ev.get("SUMMARY")), "description": str(ev.get("DESCRIPTION")),
            "vtimezone": len(tz) == 1 and str(tz[0].get("TZID")) == "Africa/Casablanca"}))
        break
`

// readFeed reads the event whose UID starts with uid from a feed with
// Debian's python3-icalendar. Without it the test skips, and fails when
// CI requires it (CI=true, MADINA_REQUIRE_ICAL=1, or "ical" in
// MADINA_TEST_REQUIRE).
func readFeed(t *testing.T, ics []byte, uid string) feedEvent {
	t.Helper()
	py := "/usr/bin/python3"
	ok := exec.Command(py, "-c", "import icalendar").Run() == nil
	if !ok {
		if os.Getenv("CI") == "true" || os.Getenv("MADINA_REQUIRE_ICAL") == "1" {
			t.Fatal("python3-icalendar is required: apt-get install -y python3-icalendar (scripts/test-deps does)")
		}
		testenv.Need(t, "ical", false, "no /usr/bin/python3 with icalendar (Debian: apt-get install -y python3-icalendar)")
	}
	cmd := exec.Command(py, "-c", pyFeed, uid)
	cmd.Stdin = bytes.NewReader(ics)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("icalendar: %v %s\n%s", err, stderr.String(), ics)
	}
	var ev feedEvent
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return ev
}
