package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/notify"
	"madina/internal/permit"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/testenv"
	"madina/internal/platform/testenv/smtptest"
)

// TestTwoNodes runs Madina as production does: two serve processes (two
// App.New + Serve on port 0, each with its own data directory and node id)
// on one PostgreSQL database, one S3 bucket and one SMTP server, and checks
// that what one node does the other honours within the documented delay
// (docs/ARCHITECTURE.md): sessions ended on one end on both, every job runs
// once, every passed deadline is swept and alerted once, and a catalogue
// imported while they run is in force on both after a restart.
//
// Only PostgreSQL: SQLite is one process's database.
func TestTwoNodes(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		testenv.Need(t, "postgres", os.Getenv(dbtest.EnvURL) != "",
			"two nodes share one PostgreSQL database: set "+dbtest.EnvURL+" to run this test")
		c := newTNCluster(t)
		t.Run("jobs", c.eachJobRunsOnce)
		t.Run("signout", c.signOutEverywhereEndsSessionsOnBothNodes)
		t.Run("reset", c.passwordResetEndsSessionsOnBothNodes)
		t.Run("deadlines", c.eachDeadlineSweptOnce)
		t.Run("catalogue", c.importedCatalogueInForceOnBothAfterRestart)
		t.Run("deliveries", c.everyEmailArrivedOnce)
	})
}

// tnVisitorStaleness is how long a node may still show pages to a session
// ended on another node: the visitor cache's visitorTTL (10 s, in
// internal/identity/cache.go), plus room for a loaded machine.
const tnVisitorStaleness = 10*time.Second + 5*time.Second

// The demo's French-speaking citizen (docs/DEMO.md).
const (
	tnEmail    = "youssef.elamrani@example.ma"
	tnPassword = "Madina-Casa-2026"
)

// tnCluster is two nodes and the parts they share.
type tnCluster struct {
	t       *testing.T
	dbURL   string
	blobURL string
	secret  string // the server key: the same on every node, as the operator configures it
	smtp    int
	maildir string
	d       *db.DB // the test's own connection, to count what the nodes did
	nodes   [2]*tnNode
}

// tnNode is one serve process: its configuration and, while it runs, its App.
type tnNode struct {
	name string
	cfg  config.Config
	app  *app.App
	url  string
	logs *testenv.Buffer
	stop func()
}

func newTNCluster(t *testing.T) *tnCluster {
	t.Helper()
	ctx := context.Background()
	c := &tnCluster{t: t, dbURL: dbtest.URL(t, db.Postgres)}
	c.blobURL = tnStartS3(t, "madina-two-nodes")
	c.smtp, c.maildir = smtptest.Start(t)
	var key [32]byte
	_, _ = rand.Read(key[:])
	c.secret = base64.StdEncoding.EncodeToString(key[:])
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, []byte(c.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The demo's accounts, files and deadlines, loaded once on the shared
	// database and bucket, as an operator would before starting the nodes.
	var out, errb strings.Builder
	if code := app.MainWith(ctx, []string{"demo", "--data-dir", t.TempDir(), "--database-url", c.dbURL, "--blob-url", c.blobURL,
		"--secret-key-file", keyFile}, &out, &errb, app.Options{Hasher: apptest.Hasher}); code != 0 {
		t.Fatalf("demo: exit %d\n%s%s", code, out.String(), errb.String())
	}
	d, err := db.Open(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c.d = d
	for i, name := range []string{"node-a", "node-b"} {
		n := &tnNode{name: name, logs: &testenv.Buffer{}, cfg: config.Config{
			DataDir: t.TempDir(), DatabaseURL: c.dbURL, BlobURL: c.blobURL, NodeID: name, SecretKey: c.secret,
			Workers: 2, Grace: 10 * time.Second, LogFormat: "text",
			SMTP: config.SMTP{Host: "127.0.0.1", Port: c.smtp, TLS: "none", From: "no-reply@casablanca.ma"},
		}}
		c.nodes[i] = n
		c.start(n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n.stop != nil {
				n.stop()
			}
			if t.Failed() {
				t.Logf("%s's log:\n%s", n.name, n.logs)
			}
		}
	})
	return c
}

// start runs n the way "madina serve" does: New, then Serve on a port
// chosen by the system, until stop.
func (c *tnCluster) start(n *tnNode) {
	t := c.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.url = app.URLFor(ln)
	cfg := n.cfg
	cfg.Addr, cfg.BaseURL = ln.Addr().String(), n.url
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(n.logs, nil)))
	if err != nil {
		ln.Close()
		t.Fatalf("%s: New: %v", n.name, err)
	}
	n.app = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s: Serve: %v", n.name, err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("%s did not shut down", n.name)
			}
			a.Close()
		})
	}
	// Ready: answering, on a current schema.
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(n.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v %v", n.name, res, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *tnCluster) restart(n *tnNode) {
	c.t.Helper()
	n.stop()
	n.stop = nil
	c.start(n)
}

func (c *tnCluster) count(q string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// settled waits until no e-mail or SMS delivery is waiting to be sent.
func (c *tnCluster) settled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		n := c.count(`SELECT count(*) FROM notify_deliveries WHERE status IN ('queued', 'failed') AND channel <> 'inbox'`)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still waiting", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mailsTo returns the messages the SMTP server received for each address.
func (c *tnCluster) mailsTo(t *testing.T) map[string][]*mail.Message {
	t.Helper()
	out := map[string][]*mail.Message{}
	for _, m := range smtptest.Read(t, c.maildir) {
		to := m.Header.Get("To")
		if a, err := mail.ParseAddress(to); err == nil {
			to = a.Address
		}
		out[strings.ToLower(to)] = append(out[strings.ToLower(to)], m)
	}
	return out
}

// eachJobRunsOnce: messages queued on both nodes while both nodes' workers
// run are each sent once, by one node or the other.
func (c *tnCluster) eachJobRunsOnce(t *testing.T) {
	ctx := context.Background()
	const n = 60
	for i := 0; i < n; i++ {
		a := c.nodes[i%2].app
		to := fmt.Sprintf("job-%02d@two-nodes.example", i)
		err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return a.Notify.Send(ctx, tx, notify.Message{Template: "identity.verify_email",
				Data:   map[string]any{"Name": fmt.Sprintf("Job %d", i)},
				Secret: map[string]any{"URL": fmt.Sprintf("https://madina.example/verify-email?token=job-%02d", i)},
				To:     notify.Recipient{Email: to, Lang: "fr"}, Channels: []notify.Channel{notify.Email}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c.settled(t)
	got := c.mailsTo(t)
	for i := 0; i < n; i++ {
		to := fmt.Sprintf("job-%02d@two-nodes.example", i)
		ms := got[to]
		if len(ms) != 1 {
			t.Errorf("%s received %d messages, want 1", to, len(ms))
			continue
		}
		// Sealed by one node, opened by whichever sent it.
		if want := fmt.Sprintf("token=job-%02d", i); !strings.Contains(smtptest.Body(t, ms[0]), want) {
			t.Errorf("%s: the message lacks %q", to, want)
		}
	}
	// A delivery is marked sent before its job is: wait for the jobs.
	deadline := time.Now().Add(30 * time.Second)
	for c.count(`SELECT count(*) FROM jobs WHERE kind = $1 AND state IN ('queued', 'running')`, notify.JobKind) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("delivery jobs still queued or running")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := c.count(`SELECT count(*) FROM jobs WHERE kind = $1 AND state <> 'succeeded'`, notify.JobKind); n != 0 {
		t.Errorf("%d delivery jobs not succeeded", n)
	}
}

// tnBrowser is a person's browser: one cookie jar for both nodes (cookies
// are kept by host, not port, as behind one public address).
type tnBrowser struct {
	t *testing.T
	c *http.Client
}

func newTNBrowser(t *testing.T) *tnBrowser {
	jar, _ := cookiejar.New(nil)
	return &tnBrowser{t: t, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *tnBrowser) get(n *tnNode, path string) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.Get(n.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

var tnCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the anti-forgery token of the form on page from.
func (b *tnBrowser) csrf(n *tnNode, from string) string {
	b.t.Helper()
	_, page, _ := b.get(n, from)
	m := tnCSRF.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s%s", n.url, from)
	}
	return m[1]
}

func (b *tnBrowser) post(n *tnNode, path, csrf string, form url.Values) (int, http.Header) {
	b.t.Helper()
	form.Set("csrf_token", csrf)
	res, err := b.c.PostForm(n.url+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header
}

func (b *tnBrowser) signIn(n *tnNode, password string) {
	b.t.Helper()
	code, h := b.post(n, "/signin", b.csrf(n, "/signin"), url.Values{"email": {tnEmail}, "password": {password}})
	if code != http.StatusSeeOther || strings.HasPrefix(h.Get("Location"), "/signin") {
		b.t.Fatalf("sign-in on %s: %d %s", n.name, code, h.Get("Location"))
	}
}

// signedIn reports whether the browser's session opens "my space" on n.
func (b *tnBrowser) signedIn(n *tnNode) bool {
	b.t.Helper()
	code, _, h := b.get(n, "/me")
	return b.opened(n, code, h)
}

func (b *tnBrowser) opened(n *tnNode, code int, h http.Header) bool {
	b.t.Helper()
	switch {
	case code == http.StatusOK:
		return true
	case code == http.StatusSeeOther && strings.HasPrefix(h.Get("Location"), "/signin"):
		return false
	}
	b.t.Fatalf("/me on %s: %d %s", n.name, code, h.Get("Location"))
	return false
}

// cookies are the browser's cookies, as a Cookie header: what a thief
// would have copied, and keeps sending whatever the site says.
func (b *tnBrowser) cookies(n *tnNode) string {
	u, _ := url.Parse(n.url)
	var parts []string
	for _, ck := range b.c.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// with sends a request carrying the given cookies, not the jar's.
func (b *tnBrowser) with(n *tnNode, cookies, method, path string, form url.Values) (int, http.Header) {
	b.t.Helper()
	req, err := http.NewRequest(method, n.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Cookie", cookies)
	res, err := (&http.Client{Timeout: 30 * time.Second, CheckRedirect: b.c.CheckRedirect}).Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header
}

// sessions signs the citizen in twice, one browser on each node, and
// checks both sessions work on both nodes (so each node's visitor cache
// holds both).
func (c *tnCluster) sessions(t *testing.T, password string) (*tnBrowser, *tnBrowser) {
	t.Helper()
	a, b := c.nodes[0], c.nodes[1]
	onA, onB := newTNBrowser(t), newTNBrowser(t)
	onA.signIn(a, password)
	onB.signIn(b, password)
	for _, br := range []*tnBrowser{onA, onB} {
		for _, n := range []*tnNode{a, b} {
			if !br.signedIn(n) {
				t.Fatalf("a session opened on one node is not known on %s", n.name)
			}
		}
	}
	return onA, onB
}

// endedOnBoth checks, right after the citizen's sessions were ended on
// node A, that node B refuses at once what would change something (here,
// creating an API token, which would outlive the sign-out), and that no
// node shows the citizen's pages to either session's cookies after the
// visitor cache's staleness bound. The cookies are sent as copied before
// the end, as a thief would keep sending them.
func (c *tnCluster) endedOnBoth(t *testing.T, ended time.Time, sessions map[*tnBrowser]string, onB *tnBrowser, csrfB string) {
	t.Helper()
	b := c.nodes[1]
	tokens := `SELECT count(*) FROM api_tokens t JOIN persons p ON p.id = t.person_id WHERE p.email_key = $1`
	before := c.count(tokens, tnEmail)
	if code, h := onB.with(b, sessions[onB], "POST", "/me/tokens", url.Values{"csrf_token": {csrfB}, "name": {"after sign-out"},
		"scopes": {"profile:read"}, "days": {"90"}}); code < 300 || code == http.StatusSeeOther && strings.HasPrefix(h.Get("Location"), "/me/tokens") {
		t.Errorf("node B let an ended session create an API token: %d %s", code, h.Get("Location"))
	}
	if n := c.count(tokens, tnEmail); n != before {
		t.Errorf("an ended session created an API token on node B (%d tokens, were %d)", n, before)
	}
	var last time.Duration
	for br, cookies := range sessions {
		for _, n := range c.nodes {
			for {
				code, h := br.with(n, cookies, "GET", "/me", nil)
				if !br.opened(n, code, h) {
					break
				}
				if time.Since(ended) > tnVisitorStaleness {
					t.Fatalf("%s still shows the citizen's pages %v after the sessions ended (bound %v)",
						n.name, time.Since(ended).Round(time.Millisecond), tnVisitorStaleness)
				}
				time.Sleep(200 * time.Millisecond)
			}
			last = max(last, time.Since(ended))
		}
	}
	t.Logf("sessions ended on node A: signed out on both nodes after %v at most", last.Round(time.Millisecond))
}

// signOutEverywhereEndsSessionsOnBothNodes: "sign out everywhere" on node
// A ends the session opened on node B, on both nodes.
func (c *tnCluster) signOutEverywhereEndsSessionsOnBothNodes(t *testing.T) {
	a, b := c.nodes[0], c.nodes[1]
	onA, onB := c.sessions(t, tnPassword)
	csrfB := onB.csrf(b, "/me/tokens") // the form node B gave before the sign-out
	sessions := map[*tnBrowser]string{onA: onA.cookies(a), onB: onB.cookies(b)}
	if code, _ := onA.post(a, "/me/security/signout-everywhere", onA.csrf(a, "/me/security"), url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", code)
	}
	c.endedOnBoth(t, time.Now(), sessions, onB, csrfB)
}

var tnResetLink = regexp.MustCompile(`/reset/new\?token=[A-Za-z0-9_-]+`)

// passwordResetEndsSessionsOnBothNodes: a new password chosen on node A
// ends the sessions on both nodes; the new password opens node B.
func (c *tnCluster) passwordResetEndsSessionsOnBothNodes(t *testing.T) {
	a, b := c.nodes[0], c.nodes[1]
	onA, onB := c.sessions(t, tnPassword)
	csrfB := onB.csrf(b, "/me/tokens")
	sessions := map[*tnBrowser]string{onA: onA.cookies(a), onB: onB.cookies(b)}
	owner := newTNBrowser(t)
	if code, _ := owner.post(a, "/reset", owner.csrf(a, "/reset"), url.Values{"email": {tnEmail}}); code != http.StatusOK {
		t.Fatalf("reset request: %d", code)
	}
	var link string
	deadline := time.Now().Add(60 * time.Second)
	for link == "" {
		for _, m := range c.mailsTo(t)[tnEmail] {
			if l := tnResetLink.FindString(smtptest.Body(t, m)); l != "" {
				link = l
			}
		}
		if link == "" {
			if time.Now().After(deadline) {
				t.Fatal("no reset link arrived")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	u, _ := url.Parse(link)
	const newPassword = "Casa-Two-Nodes-2026!"
	code, _ := owner.post(a, "/reset/new", owner.csrf(a, link), url.Values{"token": {u.Query().Get("token")},
		"password": {newPassword}, "password_confirm": {newPassword}})
	if code != http.StatusSeeOther {
		t.Fatalf("new password: %d", code)
	}
	c.endedOnBoth(t, time.Now(), sessions, onB, csrfB)
	// The database is the one truth: node B knows the new password only.
	if code, h := onB.post(b, "/signin", onB.csrf(b, "/signin"), url.Values{"email": {tnEmail}, "password": {tnPassword}}); code == http.StatusSeeOther && !strings.HasPrefix(h.Get("Location"), "/signin") {
		t.Error("the old password still opens node B")
	}
	onB.signIn(b, newPassword)
}

// eachDeadlineSweptOnce: with both nodes running their legal clock, and
// the test sweeping on both at once besides, every passed deadline is
// claimed once: one event and one alert per person, never two.
func (c *tnCluster) eachDeadlineSweptOnce(t *testing.T) {
	ctx := context.Background()
	since := time.Now().Add(-time.Second)
	rows, err := c.d.QueryContext(ctx, `SELECT id FROM permit_deadlines WHERE met_at IS NULL AND paused_at IS NULL AND alerted_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) < 100 {
		t.Fatalf("the demo left %d open deadlines; the test needs many to race on", len(ids))
	}
	// Every open deadline passes at once: each moves back in time, whole.
	if _, err := c.d.ExecContext(ctx, `UPDATE permit_deadlines SET starts_at = starts_at - (due_at - $1::timestamptz), due_at = $1
		WHERE met_at IS NULL AND paused_at IS NULL AND alerted_at IS NULL`, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for i := 0; i < 4; i++ {
		s := c.nodes[i%2].app.Permit
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := s.Sweep(ctx)
				if err != nil {
					errc <- err
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("sweep: %v", err)
	}
	// A node's own sweeper may still hold the last claims: wait for them.
	deadline := time.Now().Add(30 * time.Second)
	for c.count(`SELECT count(*) FROM permit_deadlines WHERE met_at IS NULL AND paused_at IS NULL AND alerted_at IS NULL
		AND due_at < $1`, time.Now()) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("passed deadlines left unswept")
		}
		time.Sleep(100 * time.Millisecond)
	}
	alerted := c.count(`SELECT count(*) FROM permit_deadlines WHERE alerted_at >= $1`, since)
	events := c.count(`SELECT count(*) FROM permit_events WHERE at >= $1 AND kind IN ('overdue', 'tacit', 'referral', 'silence')`, since)
	if alerted == 0 || events != alerted {
		t.Errorf("%d deadlines claimed, %d clock events recorded: want one event per deadline", alerted, events)
	}
	overdue := c.count(`SELECT count(*) FROM permit_events WHERE at >= $1 AND kind = 'overdue'`, since)
	if twice := c.count(`SELECT count(*) FROM (SELECT file_id, data FROM permit_events WHERE at >= $1 AND kind = 'overdue'
		GROUP BY file_id, data HAVING count(*) > 1) x`, since); twice != 0 {
		t.Errorf("%d deadlines recorded overdue twice", twice)
	}
	// The alerts are the subscribers' work: wait for every deadline's
	// event to be handed to them.
	deadline = time.Now().Add(60 * time.Second)
	for c.count(`SELECT count(*) FROM events WHERE topic = 'permit.deadline_passed' AND dispatched_at IS NULL AND created_at >= $1`, since) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("passed deadlines' events left undispatched")
		}
		time.Sleep(100 * time.Millisecond)
	}
	alerts := c.count(`SELECT count(*) FROM notify_deliveries WHERE template = 'permit.overdue' AND created_at >= $1`, since)
	if overdue == 0 || alerts == 0 {
		t.Fatalf("%d overdue deadlines, %d alerts: the demo's windows have staff to alert", overdue, alerts)
	}
	if twice := c.count(`SELECT count(*) FROM (SELECT user_id, channel, data FROM notify_deliveries WHERE template = 'permit.overdue'
		AND created_at >= $1 GROUP BY user_id, channel, data HAVING count(*) > 1) x`, since); twice != 0 {
		t.Errorf("%d alerts sent twice to the same person", twice)
	}
	t.Logf("%d open deadlines passed; %d claimed, each once (%d overdue, raising %d alerts)", len(ids), alerted, overdue, alerts)
}

// importedCatalogueInForceOnBothAfterRestart: "madina admin
// import-catalogue" run while the nodes serve puts the catalogue in force
// on each node at its restart.
func (c *tnCluster) importedCatalogueInForceOnBothAfterRestart(t *testing.T) {
	spec := permit.CasablancaSpec()
	spec.Version = "2099.1"
	spec.Kinds[0].Name.EN = "Permit to build, two nodes"
	b, _ := json.Marshal(spec)
	path := filepath.Join(t.TempDir(), "catalogue.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := app.Main(context.Background(), []string{"admin", "import-catalogue", "--database-url", c.dbURL, path}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "Version 2099.1 is now the catalogue in force") {
		t.Fatalf("import: exit %d\n%s%s", code, out.String(), errb.String())
	}
	page := func(n *tnNode) string {
		req, _ := http.NewRequest("GET", n.url+"/procedures/building", nil)
		req.Header.Set("Cookie", "lang=en")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s /procedures/building: %d", n.name, res.StatusCode)
		}
		return string(body)
	}
	// Until restarted, a node serves the catalogue it started with (as
	// the command says).
	for _, n := range c.nodes {
		if strings.Contains(page(n), "Permit to build, two nodes") {
			t.Errorf("%s changed catalogue without a restart", n.name)
		}
	}
	for _, n := range c.nodes {
		c.restart(n)
		if !strings.Contains(page(n), "Permit to build, two nodes") {
			t.Errorf("%s does not serve the imported catalogue after its restart", n.name)
		}
	}
}

// everyEmailArrivedOnce: over the whole run (the demo's notices, the
// queued messages, the reset link, the overdue alerts), the SMTP server
// received exactly one message per e-mail delivery, whichever node sent it.
func (c *tnCluster) everyEmailArrivedOnce(t *testing.T) {
	c.settled(t)
	rows, err := c.d.QueryContext(context.Background(), `SELECT lower(address), count(*) FROM notify_deliveries
		WHERE channel = 'email' AND status = 'sent' GROUP BY lower(address)`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	total := 0
	for rows.Next() {
		var addr string
		var n int
		if err := rows.Scan(&addr, &n); err != nil {
			t.Fatal(err)
		}
		want[addr] = n
		total += n
	}
	rows.Close()
	got := c.mailsTo(t)
	for addr, n := range want {
		if len(got[addr]) != n {
			t.Errorf("%s: %d e-mails received, %d deliveries sent", addr, len(got[addr]), n)
		}
	}
	for addr, ms := range got {
		if _, ok := want[addr]; !ok {
			t.Errorf("%s: %d e-mails received, none sent", addr, len(ms))
		}
	}
	t.Logf("%d e-mails to %d addresses, each once", total, len(want))
}

// tnStartS3 runs a real S3 server (versitygw) on loopback for the
// test, makes a bucket in it and returns the blob URL the nodes share.
func tnStartS3(t *testing.T, bucket string) string {
	t.Helper()
	bin := os.Getenv("MADINA_VERSITYGW")
	if bin == "" {
		bin, _ = exec.LookPath("versitygw")
	}
	if bin == "" {
		if p := filepath.Join(build.Default.GOPATH, "bin", "versitygw"); tnFileExists(p) {
			bin = p
		}
	}
	testenv.Need(t, "s3", bin != "", "versitygw not found ($MADINA_VERSITYGW, PATH, $GOPATH/bin); make test-deps installs it")
	const access, secret = "madina-two-nodes", "madina-two-nodes-secret-0123456789"
	t.Setenv("MADINA_S3_ACCESS_KEY", access)
	t.Setenv("MADINA_S3_SECRET_KEY", secret)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	out := &testenv.Buffer{}
	cmd := exec.Command(bin, "--port", addr, "--access", access, "--secret", secret, "--quiet", "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	admin, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := admin.MakeBucket(ctx, bucket, minio.MakeBucketOptions{})
		cancel()
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			t.Fatalf("versitygw exited: %v\n%s", werr, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw not answering on %s: %v\n%s", addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Sprintf("s3://%s?endpoint=http://%s&region=us-east-1&path_style=true&prefix=blobs/", bucket, addr)
}

func tnFileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir()
}
