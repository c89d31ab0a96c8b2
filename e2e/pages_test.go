package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/testenv/smtptest"
)

// An actor is someone who uses Madina, with the pages they see.
type actor struct {
	name  string
	email string // "" for an anonymous visitor
	staff bool   // signs in with the second factor
	// routes are the GET routes (path patterns) this actor visits. A
	// pattern with {parameters} is filled from fixed (below) or from what
	// discover finds in the actor's own pages.
	routes []string
	// discover finds, in the actor's pages, the values of the path
	// parameters of its routes: route pattern → paths to visit.
	discover func(tb *tab) map[string][]string
}

// fixed fills the path parameters that do not depend on who looks.
var fixed = map[string][]string{
	"/me/legal/new/{kind}":                      {"/me/legal/new/company", "/me/legal/new/association", "/me/legal/new/school"},
	"/me/legal/claim/{kind}":                    {"/me/legal/claim/company", "/me/legal/claim/association", "/me/legal/claim/school"},
	"/admin/organisations/{code}":               {"/admin/organisations/commune"},
	"/admin/dispatch/{window}":                  {"/admin/dispatch/city?mode=automatic"},
	"/ogc/collections/{id}":                     {"/ogc/collections/projects", "/ogc/collections/city"},
	"/ogc/collections/{id}/items":               {"/ogc/collections/projects/items?limit=5", "/ogc/collections/city/items", "/ogc/collections/places/items?limit=5"},
	"/requests/new/{category}":                  {"/requests/new/lighting", "/requests/new/waste"},
	"/places/{code}":                            {"/places/siege-sidi-othmane"},
	"/places/{code}/edit":                       {"/places/siege-anfa/edit"},
	"/requests/verify":                          {"/requests/verify?category=lighting"},
	"/bookings/places/{code}":                   {"/bookings/places/moulay-rachid-field-1", "/bookings/places/moulay-rachid-field-2", "/bookings/places/maarif-coworking", "/bookings/places/sbata-ambulance"},
	"/bookings/desk/facilities/{code}":          {"/bookings/desk/facilities/moulay-rachid-field-1"},
	"/bookings/desk/facilities/{code}/hours":    {"/bookings/desk/facilities/moulay-rachid-field-1/hours"},
	"/bookings/desk/facilities/{code}/closures": {"/bookings/desk/facilities/moulay-rachid-field-1/closures"},
	"/bookings/desk/facilities/{code}/groups":   {"/bookings/desk/facilities/moulay-rachid-field-1/groups"},
	"/bookings/desk/facilities/{code}/calendar": {"/bookings/desk/facilities/moulay-rachid-field-1/calendar"},
	"/bookings/desk/facilities/{code}/photos":   {"/bookings/desk/facilities/moulay-rachid-field-1/photos"},
}

// everyActor is every kind of person Madina serves (docs/DEMO.md).
var everyActor = []actor{
	{name: "anonymous", routes: []string{"/", "/arrondissements", "/arrondissements/{code}", "/procedures", "/procedures/{code}",
		"/track", "/signup", "/signup/sent", "/signin", "/reset", "/contact", "/help", "/accessibility", "/terms", "/privacy",
		"/procedures/which", "/verify", "/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/{id}",
		"/ogc/collections/{id}/items", "/ogc/collections/{id}/items/{fid}", "/requests/public", "/requests/track", "/requests/verify",
		"/requests/statistics", "/places", "/places/{code}", "/bookings/places", "/bookings/places/{code}", "/map"},
		discover: func(tb *tab) map[string][]string {
			return map[string][]string{
				"/arrondissements/{code}":           firstLink(tb, "/arrondissements", `^/arrondissements/[^/]+$`),
				"/procedures/{code}":                firstLink(tb, "/procedures", `^/procedures/[^/]+$`),
				"/ogc/collections/{id}/items/{fid}": firstLink(tb, "/ogc/collections/projects/items?limit=5", `^/ogc/collections/projects/items/[^/]+$`),
			}
		}},
	{name: "citizen", email: "fatima.benali@example.ma", routes: []string{"/", "/me", "/me/security", "/me/inbox",
		"/me/preferences", "/me/tokens", "/me/legal", "/me/legal/new/{kind}", "/me/legal/claim/{kind}", "/me/profession",
		"/me/mandates", "/me/mandates/new", "/files", "/files/new", "/requests", "/requests/new", "/requests/new/{category}",
		"/requests/{id}", "/bookings", "/bookings/teams", "/bookings/{id}", "/bookings/places/{code}"},
		discover: func(tb *tab) map[string][]string {
			return map[string][]string{"/requests/{id}": firstLink(tb, "/requests", `^/requests/\d+$`),
				"/bookings/{id}": firstLink(tb, "/bookings", `^/bookings/\d+$`)}
		}},
	// Sbata's ambulance dispatcher (Casa In), at the desk's queue.
	{name: "dispatcher", email: "hamid.ouali@example.ma", staff: true, routes: []string{"/bookings/desk"}},
	// A facility manager (Casa In): Moulay Rachid's, at the desk.
	{name: "facility manager", email: "meriem.sentissi@example.ma", staff: true, routes: []string{"/bookings/desk", "/bookings/{id}",
		"/bookings/desk/facilities/{code}", "/bookings/desk/facilities/{code}/hours", "/bookings/desk/facilities/{code}/closures",
		"/bookings/desk/facilities/{code}/groups", "/bookings/desk/facilities/{code}/calendar", "/bookings/desk/facilities/{code}/photos",
		"/bookings/desk/stats", "/bookings/desk/facilities/new"},
		discover: func(tb *tab) map[string][]string {
			return map[string][]string{"/bookings/{id}": firstLink(tb, "/bookings/desk", `^/bookings/\d+$`)}
		}},
	// A complaint officer (complaintdemo): Sidi Othmane's, who is also a
	// window agent there.
	{name: "officer", email: "abdelkader.fassi@example.ma", staff: true, routes: []string{"/requests/queue", "/requests/{id}"},
		discover: func(tb *tab) map[string][]string {
			return map[string][]string{"/requests/{id}": firstLink(tb, "/requests/queue", `^/requests/\d+$`)}
		}},
	// The editor who keeps the directory of places (geodemo).
	{name: "editor", email: "zineb.tahiri@example.ma", staff: true, routes: []string{"/places/new", "/places/import", "/places/{code}/edit"}},
	{name: "architect", email: "omar.berrada@example.ma", routes: []string{"/me", "/me/profession", "/me/mandates", "/me/inbox",
		"/files", "/files/{id}", "/files/new", "/files/{id}/check", "/files/{id}/documents/{doc}/remove",
		"/files/{id}/documents/{doc}/sign", "/me/signature", "/me/signature/pin", "/me/signature/import", "/me/signature/revoke",
		"/files/{id}/revise"},
		discover: func(tb *tab) map[string][]string {
			// "Check your answers" is a draft's page.
			draft := firstLink(tb, "/files?state=draft", `^/files/\d+$`)
			// A file's page: a draft whose plans he signed (its documents
			// with their signature, Sign and Remove buttons).
			// A file back from its committee with remarks he answered:
			// its page (remarks, answers) and sending it back.
			revise := firstFileForm(tb, "/files", "/revise")
			return map[string][]string{"/files/{id}": {firstDraftWith(tb, `main .tag-green`), strings.Split(revise, "/revise")[0]},
				"/files/{id}/revise": {revise},
				"/files/{id}/check":  {draft[0] + "/check"}, "/files/{id}/documents/{doc}/remove": firstDraftForm(tb, "/remove"),
				"/files/{id}/documents/{doc}/sign": firstDraftForm(tb, "/sign")}
		}},
	{name: "company", email: "mehdi.tazi@example.ma", routes: []string{"/me", "/me/legal", "/me/inbox", "/me/mandates",
		"/me/mandates/{id}/revoke", "/files", "/files/{id}"},
		discover: func(tb *tab) map[string][]string {
			// Acting for Atlas Bâtiment, whose files he handles.
			tb.open("/me/legal", 200)
			tb.follow("act for the company", 200, chromedp.Click(chromedp.CSS(`form[action^="/me/acting/"] button[type=submit]`)))
			return map[string][]string{"/files/{id}": firstLink(tb, "/files", `^/files/\d+$`),
				"/me/mandates/{id}/revoke": firstLink(tb, "/me/mandates", `^/me/mandates/\d+/revoke$`)}
		}},
	{name: "agent", email: "amina.idrissi@example.ma", staff: true, routes: []string{"/me", "/me/security", "/me/signature",
		"/window/{code}", "/files/{id}", "/files", "/files/{id}/accept", "/files/{id}/approve", "/files/{id}/refuse",
		"/files/{id}/return", "/files/{id}/ask", "/files/{id}/dispatch", "/window/{code}/bottlenecks", "/committee",
		"/committee/sessions/{id}/freeze", "/files/{id}/remarks", "/files/{id}/forward", "/committee/sessions/{id}",
		"/committee/sessions/{id}/minutes"},
		discover: func(tb *tab) map[string][]string {
			tb.open("/window", 200) // sends the agent to their window's queue
			queue := eval[string](tb, `location.pathname`)
			if !regexp.MustCompile(`^/window/[^/]+$`).MatchString(queue) {
				tb.t.Fatalf("/window sent the agent to %s, not a queue", queue)
			}
			// The confirmations: accepting a new deposit, deciding an
			// economic file under review (the city window's billboard).
			deposit := firstLink(tb, queue+"?tab=new", `^/files/\d+$`)[0]
			review := firstLink(tb, queue+"?tab=review", `^/files/\d+$`)[0]
			accepted := firstLink(tb, queue+"?tab=accepted", `^/files/\d+$`)[0]
			// The secretariat: a session's agenda to freeze, remarks to
			// send from a round concluded with them, a conclusion to
			// forward to the president.
			session := firstSession(tb)
			// A session that sat, its minutes to draw up, with the
			// first member ticked present.
			sat := minutesLink(tb)
			tb.open(sat, 200)
			present := eval[string](tb, `document.querySelector('input[name=present]').value`)
			remarks := firstFileForm(tb, queue+"?tab=accepted", "/remarks")
			forward := firstFileForm(tb, queue+"?tab=accepted", "/forward")
			return map[string][]string{"/window/{code}": {queue}, "/window/{code}/bottlenecks": {queue + "/bottlenecks"},
				"/committee/sessions/{id}/freeze": {session + "/freeze"}, "/files/{id}/remarks": {remarks}, "/files/{id}/forward": {forward},
				"/committee/sessions/{id}": {sat}, "/committee/sessions/{id}/minutes": {sat + "/minutes?present=" + present},
				"/files/{id}":        append(firstLink(tb, queue, `^/files/\d+$`), strings.TrimSuffix(strings.Split(remarks, "?")[0], "/remarks")),
				"/files/{id}/accept": {deposit + "/accept"}, "/files/{id}/dispatch": {accepted + "/dispatch"}, "/files/{id}/approve": {review + "/approve"}, "/files/{id}/refuse": {review + "/refuse"},
				// Sending back asks first too: what the window's form would send.
				"/files/{id}/return": {deposit + "/return?note=" + url.QueryEscape("La photo de la façade est floue.")},
				"/files/{id}/ask":    {review + "/ask?note=" + url.QueryEscape("Le croquis du local manque.")}}
		}},
	// The auditor reads the audit log; a committee member holds a signing
	// certificate (the demonstration's) and no window, and studies the
	// files their organisation sits on.
	{name: "auditor", email: "hassan.filali@example.ma", staff: true, routes: []string{"/me", "/me/security", "/admin/audit"}},
	{name: "committee", email: "karim.benjelloun@example.ma", staff: true, routes: []string{"/me", "/me/security", "/me/signature",
		"/committee", "/files/{id}", "/files/{id}/opinion", "/committee/sessions/{id}", "/committee/sessions/{id}/minutes/sign",
		"/files/{id}/documents/{doc}/review"},
		discover: func(tb *tab) map[string][]string {
			// Minutes waiting for the urban agency's signature.
			minutes := minutesLink(tb)
			// A file to study, and the confirmation of an opinion on it;
			// a session of a committee the urban agency sits on.
			study := firstFileForm(tb, "/committee", "/opinion")
			file := strings.Split(study, "/opinion")[0]
			// The plan-review page of the file's first plan.
			review := firstLink(tb, file, `^/files/\d+/documents/\d+/review$`)
			return map[string][]string{"/files/{id}": {file}, "/files/{id}/documents/{doc}/review": review,
				"/files/{id}/opinion": {file + "/opinion?" + url.Values{"verdict": {"reservations"},
					"reasons": {"Recul de 3 m sur la voie à respecter."}, "round": {eval[string](tb,
						`document.querySelector('form[action$="/opinion"] input[name=round]').value`)}}.Encode()},
				"/committee/sessions/{id}": {firstSession(tb), minutes}, "/committee/sessions/{id}/minutes/sign": {minutes + "/minutes/sign"}}
		}},
	// The president of the city decides the files its committee
	// concluded, from /committee.
	{name: "president", email: "abdellatif.benslimane@example.ma", staff: true, routes: []string{"/me", "/me/signature",
		"/committee", "/files/{id}", "/files/{id}/grant", "/files/{id}/reject"},
		discover: func(tb *tab) map[string][]string {
			grant := firstFileForm(tb, "/committee", "/grant")
			return map[string][]string{"/files/{id}": {strings.Split(grant, "/grant")[0]}, "/files/{id}/grant": {grant},
				"/files/{id}/reject": {firstFileForm(tb, "/committee", "/reject")}}
		}},
	{name: "admin", email: "nadia.bensouda@example.ma", staff: true, routes: []string{"/", "/me", "/me/security", "/me/tokens",
		"/admin", "/admin/staff", "/admin/organisations", "/admin/organisations/{code}", "/admin/professionals",
		"/admin/audit", "/admin/legal-claims", "/design", "/admin/staff/grants/{id}/revoke", "/admin/signature",
		"/admin/signature/{id}/revoke", "/bottlenecks", "/admin/dispatch", "/admin/dispatch/{window}"},
		discover: func(tb *tab) map[string][]string {
			return map[string][]string{"/admin/staff/grants/{id}/revoke": firstLink(tb, "/admin/staff", `^/admin/staff/grants/\d+/revoke$`),
				"/admin/signature/{id}/revoke": firstLink(tb, "/admin/signature", `^/admin/signature/\d+/revoke$`)}
		}},
}

// skippedRoutes are the GET routes no actor visits as a page, each with
// the reason. A new route is either visited by an actor above or listed
// here: TestEveryPage fails otherwise.
var skippedRoutes = map[string]string{
	"/map/settings":                        "the maps' settings (JSON) for the parcel map, not a page (geo_test.TestMapPage)",
	"/map/search":                          "the parcel map's search (JSON), not a page (geo_test.TestGeocode)",
	"/ogc/collections/projects/live":       "a stream of server-sent events, not a page (geo_test.TestLiveProjects reads it)",
	"/ogc/api":                             "the portal's OpenAPI definition (JSON), not a page (geo_test.TestOGCAPIDefinition)",
	"/window":                              "sends a window agent to their window's queue, /window/{code}, visited",
	"/me/inbox/{id}":                       "opens a notice: marks it read and redirects to its file, a page visited here",
	"/me/export":                           "a JSON download, not a page",
	"/me/legal/claims/{id}/evidence":       "a document download, not a page",
	"/files/{id}/receipt.pdf":              "a PDF download, not a page",
	"/files/{id}/decision.pdf":             "a PDF download, not a page (TestDecisionsOfTheDemoFiles fetches it)",
	"/files/{id}/documents/{doc}":          "a document download, not a page",
	"/healthz":                             "a probe for the orchestrator, not a page",
	"/readyz":                              "a probe for the orchestrator, not a page",
	"/metrics":                             "Prometheus metrics, not a page",
	"/static/":                             "stylesheets, scripts, fonts and icons",
	"/api/v1/openapi.json":                 "the API's description (every /api/ route is JSON, not a page)",
	"/signin/oidc":                         "a redirect to the identity provider",
	"/signin/oidc/callback":                "the identity provider's return",
	"/pki/root.crt":                        "the CA's certificate (DER), not a page",
	"/pki/issuing.crt":                     "the issuing CA's certificate (DER), not a page",
	"/pki/crl":                             "a certificate revocation list (DER), not a page",
	"/pki/root.crl":                        "the root's revocation list (DER), not a page",
	"/me/signature/certificate.pem":        "a certificate download (PEM), not a page",
	"/committee/calendar/{token}":          "a committee member's iCalendar feed (TestSessionsOverHTTP reads it with python3-icalendar)",
	"/committee/sessions/{id}/minutes.pdf": "a PDF download, not a page (TestCommitteeJourney checks its signatures with pdfsig)",

	// After the works.
	"/files/{id}/inspection/photos/{photo}": "a photo of the inspection visit, downloaded, not a page (TestAfterWorksOverHTTP fetches it)",

	// Open311 GeoReport v2: documents for Open311 clients, not pages.
	"/open311/v2/discovery.json":             "an Open311 document (JSON), not a page (internal/complaint's Open311 tests read it)",
	"/open311/v2/services.json":              "an Open311 document (JSON), not a page (internal/complaint's Open311 tests read it)",
	"/open311/v2/services.xml":               "an Open311 document (XML), not a page (internal/complaint's Open311 tests read it)",
	"/open311/v2/requests.json":              "an Open311 document (JSON), not a page (internal/complaint's Open311 tests read it)",
	"/open311/v2/requests.xml":               "an Open311 document (XML), not a page (internal/complaint's Open311 tests read it)",
	"/open311/v2/services/{file}":            "an Open311 service definition (JSON or XML), not a page",
	"/open311/v2/requests/{file}":            "an Open311 request (JSON or XML), not a page",
	"/requests/{id}/photos/{n}":              "a photo of a request, downloaded, not a page",
	"/requests/{id}/work-photos/{n}":         "a photo of the work done, downloaded, not a page",
	"/bookings/places/{code}/photos/{n}":     "a photo of a facility, an image the facility's page shows, not a page",
	"/open311/v2/tokens/{file}":              "an Open311 token's request (JSON or XML), not a page (TestOpen311Post)",
	"/open311/v2/servicerequestupdates.json": "Open311's updates extension (JSON), not a page (TestOpen311Post)",
	"/open311/v2/servicerequestupdates.xml":  "Open311's updates extension (XML), not a page (TestOpen311Post)",
	"/requests/verify/{id}":                  "the code form of a proof under way: it needs a code sent to a real address first (TestFileWithoutAccount walks it over HTTP)",
	// Plan review (issue #13): the annotations in their W3C form, and the
	// annotated export.
	"/files/{id}/documents/{doc}/annotations":       "a sheet's annotations as W3C Web Annotations (JSON), not a page (planreview's HTTP tests)",
	"/files/{id}/documents/{doc}/annotations/{ann}": "one annotation (JSON), not a page (planreview's HTTP tests)",
	"/files/{id}/documents/{doc}/annotated.pdf":     "the annotated sheet, a PDF download (planreview's export tests read it with qpdf)",
}

// A knownFailure is a check that fails on a page owned by someone who has
// not fixed it yet (issue #10, point 2). TestEveryPage reports it without
// failing, and fails when it no longer happens, so that the list shrinks
// as pages are fixed. Empty fields match anything.
type knownFailure struct {
	route, actor string
	width        int64
	lang         string
	check        string // "overflow", "squeezed", "targets", "header", "image", or "axe:RULE"
	why          string
}

// knownFailures are failures tolerated for a while, each with its reason,
// while a page's owner fixes it; an entry that no longer fails fails the
// test.
var knownFailures = []knownFailure{}

// The screens and languages every page is seen in.
var (
	everySize = []viewport{phone390, laptop1366}
	everyLang = []string{"ar", "fr", "en"}
)

// langsAt are the languages a page is seen in at width: all three on the
// phone; on the wide screen Arabic and French, its two directions — the
// English page, left to right like the French and of much the same
// length, is seen on the phone, where lengths matter most. (A sixth of
// the views, minutes of every CI run.)
func langsAt(width int64) []string {
	if width == phone390.width {
		return everyLang
	}
	return []string{"ar", "fr"}
}

// TestEveryPage visits every page of every actor (docs/DEMO.md) at 390
// CSS pixels in Arabic, French and English and at 1366 in Arabic and
// French (langsAt), and fails on
// horizontal scrolling, an axe violation (WCAG 2.2 AA and best
// practices), a target under 24×24 pixels (44×44 for a primary button),
// a header 120 pixels high or more, or an image that does not show,
// except the knownFailures. The pages are the application's GET routes: a
// route neither visited nor listed in skippedRoutes fails the test; the
// journeys (everyJourney, reach_test.go) drive real flows to the pages and
// states no demonstration account shows, with the same checks. With
// MADINA_SCREENSHOTS=dir, it saves a screenshot of each page, size and
// language in dir.
func TestEveryPage(t *testing.T) {
	needAxe(t)
	start := time.Now()
	shots := os.Getenv("MADINA_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	checkEveryRouteCovered(t)

	dir := t.TempDir()
	demo(t, dir)
	// Mail and SMS go to a real SMTP server and the gateway's stand-in,
	// for the journeys (reach_test.go) that sign a newcomer up.
	port, maildir := smtptest.Start(t)
	box := &mailbox{maildir: maildir, sms: &smsRecorder{}}
	gw := httptest.NewServer(box.sms)
	t.Cleanup(gw.Close)
	srv := startServer(t, "--data-dir", dir, "--smtp-host", "127.0.0.1", "--smtp-port", strconv.Itoa(port), "--smtp-tls", "none",
		"--smtp-from", "Madina <no-reply@casablanca.example.ma>", "--sms-url", gw.URL)
	b := startBrowser(t)
	rec := &pageRecord{known: make([]knownState, len(knownFailures))}
	t.Run("the checks find planted failures", func(t *testing.T) {
		tb := b.newTab(t, srv, phone390)
		tb.open("/", 200)
		if got := pageFindings(tb); len(got) != 0 {
			t.Fatalf("before planting: %v", got)
		}
		// A block wider than the phone, a 16-pixel button, an image without
		// a text alternative, a label squeezed beside a long link.
		eval[bool](tb, `(() => {
			const w = document.createElement('div'); w.style.width = '600px'; w.textContent = 'wide';
			const c = document.createElement('div'); c.style.display = 'flex';
			const l = document.createElement('label'); l.style.flex = '1'; l.style.minWidth = '0'; l.textContent = 'a label of some length';
			const a = document.createElement('a'); a.href = '/'; Object.assign(a.style, {flex: 'none', width: '330px'}); a.textContent = 'a long link that takes the line';
			c.append(l, a); document.querySelector('main').append(c);
			const b = document.createElement('button'); b.textContent = 'x';
			Object.assign(b.style, {width: '16px', height: '16px', minHeight: '0', padding: '0'});
			const i = document.createElement('img'); i.src = 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='; i.width = 40; i.height = 40;
			const q = document.createElement('img'); q.src = '#ZgotmplZ'; q.alt = 'QR'; q.width = 40; q.height = 40;
			document.querySelector('main').append(w, b, i, q);
			return new Promise(ok => { q.onerror = q.onload = () => ok(true); });
		})()`)
		got := map[string]bool{}
		for _, f := range pageFindings(tb) {
			got[f.check] = true
		}
		for _, want := range []string{"overflow", "targets", "axe:image-alt", "squeezed", "image"} {
			if !got[want] {
				t.Errorf("planted %s, found %v", want, got)
			}
		}
		tb.checkConsole("")
	})
	t.Run("actors", func(t *testing.T) {
		for _, a := range everyActor {
			t.Run(a.name, func(t *testing.T) {
				t.Parallel() // a tab each, as many at once as go test -parallel allows
				visitAll(t, b, srv, a, shots, rec)
			})
		}
		for _, j := range everyJourney {
			t.Run(j.name, func(t *testing.T) {
				t.Parallel()
				runJourney(t, b, srv, box, j, shots, rec)
			})
		}
	})
	rec.report(t)
	t.Logf("TestEveryPage: %d page views in %s", rec.views, time.Since(start).Round(time.Second))
}

// checkEveryRouteCovered fails for a GET route of the application that
// no actor visits and skippedRoutes does not explain.
func checkEveryRouteCovered(t *testing.T) {
	t.Helper()
	a := apptest.New(t, db.SQLite)
	missing, gone := uncovered(a.Router.Routes())
	if len(missing) > 0 {
		t.Errorf("GET routes no actor visits: add each to an actor's routes in pages_test.go, or to skippedRoutes with the reason:\n  %s",
			strings.Join(missing, "\n  "))
	}
	for _, r := range gone {
		t.Errorf("an actor visits %s, which the application no longer serves", r)
	}
}

// uncovered compares the routes the application serves ("GET /files/{id}")
// with the actors' pages: missing are GET page routes neither visited nor
// skipped, gone are visited routes no longer served.
func uncovered(routes []string) (missing, gone []string) {
	visited := visitedRoutes()
	served := map[string]bool{}
	for _, r := range routes {
		p, ok := strings.CutPrefix(r, "GET ")
		if !ok {
			continue
		}
		p = strings.TrimSuffix(p, "{$}")
		served[p] = true
		if visited[p] || skippedRoutes[p] != "" || strings.HasPrefix(p, "/api/") {
			continue
		}
		missing = append(missing, p)
	}
	for r := range visited {
		if !served[r] {
			gone = append(gone, r)
		}
	}
	sort.Strings(gone)
	return missing, gone
}

// visitedRoutes are the routes the actors visit and the journeys check.
func visitedRoutes() map[string]bool {
	visited := map[string]bool{}
	for _, ac := range everyActor {
		for _, r := range ac.routes {
			visited[r] = true
		}
	}
	for _, j := range everyJourney {
		for _, r := range j.routes {
			visited[r] = true
		}
	}
	return visited
}

// visitAll signs a in, then opens each of its pages in each size and
// language.
func visitAll(t *testing.T, b *browser, srv *server, a actor, shots string, rec *pageRecord) {
	tb := b.newTab(t, srv, phone390)
	tb.setLanguage("ar")
	if a.email != "" {
		signInChecked(tb, a, rec)
	}
	found := map[string][]string{}
	if a.discover != nil {
		found = a.discover(tb)
	}
	type page struct{ route, path string }
	var pages []page
	for _, r := range a.routes {
		paths := []string{r}
		if fixed[r] != nil && !strings.Contains(r, "{") {
			paths = fixed[r] // a page that needs its query
		}
		if strings.Contains(r, "{") {
			paths = fixed[r]
			if paths == nil {
				paths = found[r]
			}
			if len(paths) == 0 {
				t.Fatalf("%s: found nothing to fill %s", a.name, r)
			}
		}
		for _, p := range paths {
			pages = append(pages, page{r, p})
		}
	}
	for _, v := range everySize {
		var opts []chromedp.EmulateViewportOption
		if v.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		tb.do(chromedp.EmulateViewport(v.width, v.height, opts...))
		for _, lang := range langsAt(v.width) {
			tb.setLanguage(lang)
			for _, p := range pages {
				t.Run(fmt.Sprintf("%d %s %s", v.width, lang, p.path), func(t *testing.T) {
					tb := tb.in(t)
					tb.open(p.path, 200)
					if got := tb.path(); got != p.path {
						t.Fatalf("%s took %s to %s: the view would check another page", p.path, a.name, got)
					}
					checkLanguage(tb, lang)
					seen := view{actor: a.name, route: p.route, path: p.path, width: v.width, lang: lang}
					rec.check(tb, seen, pageFindings(tb))
					tb.checkConsole(srv.URL + p.path)
					if shots != "" {
						shot(tb, filepath.Join(shots, fmt.Sprintf("%s%s-%d-%s.png", a.name, slug(p.path), v.width, lang)))
					}
				})
			}
		}
	}
}

// signInChecked signs tb in as a. For staff, it checks the second
// factor's page on the way.
func signInChecked(tb *tab, a actor, rec *pageRecord) {
	tb.t.Helper()
	tb.open("/signin", 200)
	tb.do(chromedp.SendKeys(chromedp.CSS("#email"), a.email), chromedp.SendKeys(chromedp.CSS("#password"), "Madina-Casa-2026"))
	tb.follow("sign in", 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)))
	if a.staff {
		if p := tb.path(); !strings.HasPrefix(p, "/signin/second-factor") {
			tb.t.Fatalf("%s signed in at %s, want the second factor", a.email, p)
		}
		rec.check(tb, view{actor: a.name, route: "/signin/second-factor", path: tb.path(), width: phone390.width, lang: "ar"}, pageFindings(tb))
		code, err := otptotp.GenerateCode(demoTOTP, time.Now())
		if err != nil {
			tb.t.Fatal(err)
		}
		tb.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
		tb.follow("second factor", 200, chromedp.Click(chromedp.CSS(`form[action="/signin/second-factor"] button[type=submit]`)))
	}
	if p := tb.path(); p != "/me" {
		tb.t.Fatalf("%s signed in at %s", a.email, p)
	}
}

// firstDraftWith finds, among the actor's drafts, the first whose page
// has an element matching the CSS selector sel.
func firstDraftWith(tb *tab, sel string) string {
	tb.t.Helper()
	for _, d := range drafts(tb) {
		tb.open(d, 200)
		if eval[bool](tb, `document.querySelector(`+strconv.Quote(sel)+`) !== null`) {
			return d
		}
	}
	tb.t.Fatalf("no draft has %s", sel)
	return ""
}

// drafts are the actor's drafts' pages.
func drafts(tb *tab) []string {
	tb.open("/files?state=draft", 200)
	return eval[[]string](tb, `[...new Set([...document.querySelectorAll('main a[href]')].map(a => a.pathname)
		.filter(p => /^\/files\/\d+$/.test(p)))]`)
}

// firstDraftForm finds, among the actor's drafts, a document they may
// remove or sign (suffix "/remove", "/sign") and gives the page that asks
// to confirm it.
func firstDraftForm(tb *tab, suffix string) []string {
	tb.t.Helper()
	drafts := drafts(tb)
	for _, d := range drafts {
		tb.open(d, 200)
		if forms := eval[[]string](tb, `[...document.querySelectorAll('main form[action$="`+suffix+`"]')].map(f => f.getAttribute('action'))`); len(forms) > 0 {
			return forms[:1]
		}
	}
	tb.t.Fatalf("no document in the drafts %v has a %s form", drafts, suffix)
	return nil
}

// firstFileForm opens the files linked from list, in order, and gives
// the confirmation page the first file's GET form whose action ends in
// suffix leads to: the form's action with what it would send.
func firstFileForm(tb *tab, list, suffix string) string {
	tb.t.Helper()
	tb.open(list, 200)
	files := eval[[]string](tb, `[...new Set([...document.querySelectorAll('main a[href]')].map(a => a.pathname)
		.filter(p => /^\/files\/\d+$/.test(p)))]`)
	for _, f := range files {
		tb.open(f, 200)
		if u := eval[string](tb, `(f => f ? f.getAttribute('action') + '?' + new URLSearchParams(new FormData(f)).toString() : '')(
			document.querySelector('main form[method=get][action$="`+suffix+`"]'))`); u != "" {
			return u
		}
	}
	tb.t.Fatalf("no file linked from %s has a %s form (%d files)", list, suffix, len(files))
	return ""
}

// minutesLink is the first session on /committee whose minutes wait for
// the visitor.
func minutesLink(tb *tab) string {
	tb.t.Helper()
	tb.open("/committee", 200)
	p := eval[string](tb, `(a => a ? a.pathname : '')(document.querySelector('section[aria-labelledby="minutes-heading"] a[href^="/committee/sessions/"]'))`)
	if p == "" {
		tb.t.Fatal("/committee lists no minutes waiting")
	}
	return p
}

// firstSession is the first of the next sessions listed on /committee.
func firstSession(tb *tab) string {
	tb.t.Helper()
	tb.open("/committee", 200)
	p := eval[string](tb, `(a => a ? a.pathname : '')(document.querySelector('section[aria-labelledby="sessions-heading"] a[href^="/committee/sessions/"]'))`)
	if p == "" {
		tb.t.Fatal("/committee lists no session")
	}
	return p
}

// firstLink opens page and gives the first link whose path matches re.
func firstLink(tb *tab, page, re string) []string {
	tb.t.Helper()
	tb.open(page, 200)
	links := eval[[]string](tb, `[...document.querySelectorAll('main a[href]')].map(a => a.pathname)`)
	m := regexp.MustCompile(re)
	for _, l := range links {
		if m.MatchString(l) {
			return []string{l}
		}
	}
	tb.t.Fatalf("no link matching %s on %s", re, page)
	return nil
}

// A finding is one check failing on one page.
type finding struct {
	check  string // "overflow", "targets", "header", "image", "axe:RULE"
	detail string
}

// pageFindings runs the checks on the current page: horizontal scrolling,
// targets, header height, axe-core with WCAG 2.2 AA.
func pageFindings(tb *tab) []finding {
	tb.t.Helper()
	var out []finding
	r := eval[struct {
		ScrollWidth, ClientWidth, Header float64
		Wide, Squeezed                   []string
	}](tb, `(() => {
		const d = document.documentElement, w = d.clientWidth;
		const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
			(typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
		const wide = [...document.body.querySelectorAll('*')]
			.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > w + 1 || r.left < -1); })
			.slice(0, 6).map(name);
		// Text squeezed into a column a few letters wide (a label beside a
		// long link, say) reads a letter a line: no overflow, but unusable.
		// Found by its shape: under 48 px wide and more than four lines high.
		const squeezed = [...document.body.querySelectorAll('main label, main p, main td, main th, main li, main dd, main h1, main h2, main h3, main a')]
			.filter(e => {
				const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
				const line = parseFloat(cs.lineHeight) || 1.2 * parseFloat(cs.fontSize);
				return r.width > 2 && r.width < 48 && r.height > 4 * line;
			})
			.slice(0, 6).map(name);
		const h = document.querySelector('.site-header');
		return {scrollWidth: d.scrollWidth, clientWidth: w, wide, squeezed, header: h ? h.getBoundingClientRect().height : 0};
	})()`)
	if r.ScrollWidth > r.ClientWidth {
		out = append(out, finding{"overflow", fmt.Sprintf("%.0f px wide in a %.0f px viewport; sticking out: %s",
			r.ScrollWidth, r.ClientWidth, strings.Join(r.Wide, ", "))})
	}
	if len(r.Squeezed) > 0 {
		out = append(out, finding{"squeezed", "text in a column under 48 px wide: " + strings.Join(r.Squeezed, ", ")})
	}
	if r.Header >= 120 {
		out = append(out, finding{"header", fmt.Sprintf("the header is %.0f px high, want under 120", r.Header)})
	}
	if small := smallTargets(tb); len(small) > 0 {
		out = append(out, finding{"targets", strings.Join(small, "; ")})
	}
	// An image the browser could not show (a broken link, or a data: URL
	// html/template replaced with "#ZgotmplZ") passes axe with its text
	// alternative, yet the person sees a broken-image icon: say, the QR
	// code to scan.
	if broken := eval[[]string](tb, `Promise.all([...document.images].filter(i => i.getAttribute('src') && i.complete)
		.map(i => i.decode().then(() => '', () => 'img[src="' + i.getAttribute('src').slice(0, 60) + '"]')))
		.then(l => l.filter(Boolean))`); len(broken) > 0 {
		out = append(out, finding{"image", "an image that does not show: " + strings.Join(broken, ", ")})
	}
	return append(out, axeFindings(tb)...)
}

// axeFindings runs axe-core with the rules of TestDesignSystem (WCAG 2.1
// A and AA, 2.2 AA, best practices): one finding per rule violated.
func axeFindings(tb *tab) []finding {
	tb.t.Helper()
	tb.do(chromedp.Evaluate[chromedp.Void](needAxe(tb.t)))
	tags, _ := json.Marshal(append(append([]string{}, axeTags...), "wcag22aa"))
	r := eval[axeResult](tb, fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
		.then(r => ({version: axe.version, passes: r.passes.length,
			violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
				nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), summary: n.failureSummary || ''}))}))}))`, tags))
	var out []finding
	if r.Passes == 0 {
		out = append(out, finding{"axe", "axe-core checked nothing"})
	}
	for _, v := range r.Violations {
		var nodes []string
		for i, n := range v.Nodes {
			if i == 3 {
				nodes = append(nodes, fmt.Sprintf("… and %d more", len(v.Nodes)-i))
				break
			}
			nodes = append(nodes, n.Target)
		}
		out = append(out, finding{"axe:" + v.ID, fmt.Sprintf("[%s] %s: %s", v.Impact, v.Help, strings.Join(nodes, ", "))})
	}
	return out
}

// A view is one page seen by one actor in one size and language.
type view struct {
	actor, route, path string
	width              int64
	lang               string
}

func (k knownFailure) matches(v view, check string) bool {
	return (k.route == "" || k.route == v.route) && (k.actor == "" || k.actor == v.actor) &&
		(k.width == 0 || k.width == v.width) && (k.lang == "" || k.lang == v.lang) &&
		(check == "" || k.check == check)
}

type knownState struct {
	visited bool // a view it covers was checked
	seen    int  // views where it happened
}

// pageRecord collects what the actors' subtests find.
type pageRecord struct {
	mu    sync.Mutex
	views int
	known []knownState // by index in knownFailures
}

// check reports the findings of view v: a known failure is logged, any
// other fails the test.
func (rec *pageRecord) check(tb *tab, v view, fs []finding) {
	tb.t.Helper()
	known, unknown := rec.classify(v, fs)
	for _, k := range known {
		tb.t.Logf("known failure (issue #10): %s %d %s: %s", v.path, v.width, v.lang, k)
	}
	for _, f := range unknown {
		tb.t.Errorf("%s (as %s, %d px, %s): %s: %s", v.path, v.actor, v.width, v.lang, f.check, f.detail)
	}
}

// classify records view v and sorts its findings into known failures
// (described) and the others.
func (rec *pageRecord) classify(v view, fs []finding) (known []string, unknown []finding) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.views++
	for i, k := range knownFailures {
		if k.matches(v, "") {
			rec.known[i].visited = true
		}
	}
	for _, f := range fs {
		i := slices.IndexFunc(knownFailures, func(k knownFailure) bool { return k.matches(v, f.check) })
		if i < 0 {
			unknown = append(unknown, f)
			continue
		}
		rec.known[i].seen++
		known = append(known, fmt.Sprintf("%s (%s): %s", f.check, knownFailures[i].why, f.detail))
	}
	return known, unknown
}

// report fails for a known failure that no longer happens on the pages it
// names (remove it from knownFailures), and sums up the others.
func (rec *pageRecord) report(t *testing.T) {
	t.Helper()
	stale, left := rec.summary()
	for _, s := range stale {
		t.Errorf("known failure no longer happens, remove it from knownFailures: %s", s)
	}
	if len(left) > 0 {
		t.Logf("known failures left (issue #10):\n  %s", strings.Join(left, "\n  "))
	}
}

// summary lists the known failures checked that did not happen (stale)
// and those that did (left), with their number of views.
func (rec *pageRecord) summary() (stale, left []string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, k := range knownFailures {
		s := rec.known[i]
		name := fmt.Sprintf("%s as %q, %d px, %q: %s", k.route, k.actor, k.width, k.lang, k.check)
		switch {
		case s.visited && s.seen == 0:
			stale = append(stale, name)
		case s.seen > 0:
			left = append(left, fmt.Sprintf("%s — %d views (%s)", name, s.seen, k.why))
		}
	}
	sort.Strings(left)
	return stale, left
}

// shot saves a screenshot of the whole page as PNG in file.
func shot(tb *tab, file string) {
	tb.t.Helper()
	img := get(tb, chromedp.FullScreenshot(100))
	if err := os.WriteFile(file, img, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// slug turns a path into a file name part: /me/legal → -me-legal; a long
// query (a remark's words) is cut, for the file system's 255 bytes.
func slug(p string) string {
	s := strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-").Replace(strings.TrimSuffix(p, "/"))
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// TestEveryPageBookkeeping: a route neither visited nor skipped is
// reported, and so is a visited route no longer served; a known failure
// is logged rather than failed, and one that no longer happens on the
// views it covers is reported stale.
func TestEveryPageBookkeeping(t *testing.T) {
	var routes []string
	for r := range visitedRoutes() {
		if r == "/" {
			r = "/{$}"
		}
		if r != "/track" {
			routes = append(routes, "GET "+r)
		}
	}
	routes = append(routes, "GET /planted/{x}", "POST /planted/post", "GET /api/v1/planted", "GET /healthz")
	missing, gone := uncovered(routes)
	if !slices.Equal(missing, []string{"/planted/{x}"}) || !slices.Equal(gone, []string{"/track"}) {
		t.Errorf("missing %q, gone %q; want the planted GET route missing and /track gone", missing, gone)
	}

	saved := knownFailures
	t.Cleanup(func() { knownFailures = saved })
	knownFailures = []knownFailure{
		{route: "/a", width: 390, check: "overflow", why: "still there"},
		{route: "/a", check: "targets", why: "fixed"},
		{route: "/b", lang: "fr", check: "overflow", why: "never visited"},
	}
	rec := &pageRecord{known: make([]knownState, len(knownFailures))}
	known, unknown := rec.classify(view{actor: "citizen", route: "/a", path: "/a", width: 390, lang: "ar"},
		[]finding{{"overflow", "500 px"}, {"axe:image-alt", "img"}})
	if len(known) != 1 || len(unknown) != 1 || unknown[0].check != "axe:image-alt" {
		t.Errorf("known %q, unknown %v: want the overflow known and the axe violation failing", known, unknown)
	}
	rec.classify(view{actor: "citizen", route: "/a", path: "/a", width: 1366, lang: "ar"}, nil)
	stale, left := rec.summary()
	if len(stale) != 1 || !strings.Contains(stale[0], "targets") || len(left) != 1 || !strings.Contains(left[0], "still there") {
		t.Errorf("stale %q, left %q: want the targets entry stale, the overflow one left", stale, left)
	}
}
