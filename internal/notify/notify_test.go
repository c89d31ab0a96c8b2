package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
	"madina/internal/platform/testenv"
)

type env struct {
	d    *db.DB
	q    *jobs.Queue
	s    *Service
	logs *testenv.Buffer
}

// newEnv starts a queue and a service on d; every log line, the queue's
// included, is captured at debug level.
func newEnv(t *testing.T, d *db.DB, cfg Config) *env {
	t.Helper()
	logs := &testenv.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	q := jobs.New(d, logger, jobs.Options{Workers: 4, Poll: 20 * time.Millisecond, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond})
	s, err := New(d, q, logger, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	return &env{d: d, q: q, s: s, logs: logs}
}

func (e *env) send(t *testing.T, m Message) {
	t.Helper()
	if err := e.d.Transact(context.Background(), func(tx *db.Tx) error {
		return e.s.Send(context.Background(), tx, m)
	}); err != nil {
		t.Fatal(err)
	}
}

type row struct {
	ID        int64
	Channel   Channel
	Lang      string
	Status    string
	Attempts  int
	LastError string
	Sent      bool
	JobID     int64
}

func (e *env) deliveries(t *testing.T) []row {
	t.Helper()
	rows, err := e.d.QueryContext(context.Background(), `SELECT id, channel, lang, status, attempts, last_error, sent_at, job_id
		FROM notify_deliveries ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var rs []row
	for rows.Next() {
		var r row
		var le sql.NullString
		var sent sql.NullTime
		var job sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Channel, &r.Lang, &r.Status, &r.Attempts, &le, &sent, &job); err != nil {
			t.Fatal(err)
		}
		r.LastError, r.Sent, r.JobID = le.String, sent.Valid, job.Int64
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return rs
}

// settled waits until n deliveries exist and none is queued any more.
func (e *env) settled(t *testing.T, n int) []row {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs := e.deliveries(t)
		done := len(rs) == n
		for _, r := range rs {
			if r.Status == StatusQueued {
				done = false
			}
		}
		if done {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries did not settle: %+v", rs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var welcome = map[string]any{"Name": "فاطمة الزهراء", "URL": "https://madina.casablanca.ma/ar/login"}

func TestTemplatesExistInEveryLanguageWithEveryPart(t *testing.T) {
	ts, err := loadTemplates(templateFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"platform.test", "platform.welcome"} {
		if !ts.has(want) {
			t.Errorf("template %s is missing", want)
		}
	}
	arabic := func(s string) bool {
		for _, r := range s {
			if unicode.Is(unicode.Arabic, r) {
				return true
			}
		}
		return false
	}
	for _, name := range ts.names {
		b, err := os.ReadFile("testdata/examples/" + name + ".json")
		if err != nil {
			t.Errorf("template %s has no example data: %v", name, err)
			continue
		}
		data, err := decodeData(string(b))
		if err != nil {
			t.Fatalf("example %s: %v", name, err)
		}
		for _, lang := range Langs {
			r, err := ts.render(name, lang, data)
			if err != nil {
				t.Errorf("%s/%s: %v", lang, name, err)
				continue
			}
			own := r.Subject + r.Text + r.SMS // the template's own words, without the data
			for _, v := range data {
				if s, ok := v.(string); ok {
					own = strings.ReplaceAll(own, s, "")
				}
			}
			if isAr := arabic(own); isAr != (lang == "ar") {
				t.Errorf("%s/%s: Arabic script = %v", lang, name, isAr)
			}
			if n := utf8.RuneCountInString(r.SMS); n > 160 {
				t.Errorf("%s/%s: SMS of %d characters, keep it under 160", lang, name, n)
			}
		}
		// A template's data is checked: a missing key is an error.
		if len(data) > 0 {
			if _, err := ts.render(name, "ar", map[string]any{}); err == nil {
				t.Errorf("%s rendered without its data", name)
			}
		}
	}
}

func TestLoadTemplatesRejectsMissingLanguageOrPart(t *testing.T) {
	full := `{{define "subject"}}s{{end}}{{define "text"}}t{{end}}{{define "sms"}}m{{end}}`
	cases := map[string]fstest.MapFS{
		"missing language": {
			"templates/ar/x.tmpl": {Data: []byte(full)},
			"templates/fr/x.tmpl": {Data: []byte(full)},
			"templates/en/y.tmpl": {Data: []byte(full)},
		},
		"missing part": {
			"templates/ar/x.tmpl": {Data: []byte(full)},
			"templates/fr/x.tmpl": {Data: []byte(`{{define "subject"}}s{{end}}{{define "text"}}t{{end}}`)},
			"templates/en/x.tmpl": {Data: []byte(full)},
		},
	}
	for name, fsys := range cases {
		if _, err := loadTemplates(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMessageCataloguesAgree(t *testing.T) {
	cats := map[string]map[string]string{}
	for _, lang := range Langs {
		b, err := fs.ReadFile(Messages, "messages/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		cats[lang] = m
	}
	placeholders := regexp.MustCompile(`\{[a-zA-Z_]+\}`)
	keys := func(m map[string]string) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	for _, lang := range Langs[1:] {
		if d := cmp.Diff(keys(cats["ar"]), keys(cats[lang])); d != "" {
			t.Errorf("keys of ar and %s differ (-ar +%s):\n%s", lang, lang, d)
		}
	}
	for _, e := range []*errs.Error{errTemplate, errChannel, errEmail, errPhone, errUser, errNotFound,
		errAttachmentName, errAttachmentType, errAttachmentEmpty, errAttachmentSize} {
		for _, lang := range Langs {
			if cats[lang][e.Key] == "" {
				t.Errorf("%s.json lacks %s", lang, e.Key)
			}
		}
	}
	for k, ar := range cats["ar"] {
		for _, lang := range Langs[1:] {
			if d := cmp.Diff(placeholders.FindAllString(ar, -1), placeholders.FindAllString(cats[lang][k], -1)); d != "" {
				t.Errorf("%s: placeholders differ between ar and %s: %s", k, lang, d)
			}
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"ahmed@example.ma":  "a***@example.ma",
		"élodie@exemple.fr": "é***@exemple.fr",
		"no-at-sign":        "***",
		"":                  "***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"+212612345612":      "+2126****12",
		"+212 6 12-34-56-12": "+2126****12",
		"0612345612":         "0612****12",
		"12345":              "****",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	if got := scrub("550 5.1.1 <Ahmed@Example.ma>: unknown, ahmed@example.ma", Email, "Ahmed@Example.ma"); strings.Contains(strings.ToLower(got), "hmed@") {
		t.Errorf("scrub left the address: %q", got)
	}
}

func TestSendValidates(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d, Config{})
	ctx := context.Background()
	to := Recipient{UserID: "u1", Email: "fatima@example.ma", Phone: "+212612345612"}
	cases := []struct {
		name string
		m    Message
		key  string
	}{
		{"unknown template", Message{Template: "nope", To: to, Channels: []Channel{Email}}, "error.notify.template"},
		{"no channel", Message{Template: "platform.test", To: to}, "error.notify.channel"},
		{"unknown channel", Message{Template: "platform.test", To: to, Channels: []Channel{"fax"}}, "error.notify.channel"},
		{"bad e-mail", Message{Template: "platform.test", To: Recipient{Email: "fatima at example"}, Channels: []Channel{Email}}, "error.notify.email"},
		{"named e-mail", Message{Template: "platform.test", To: Recipient{Email: "Fatima <fatima@example.ma>"}, Channels: []Channel{Email}}, "error.notify.email"},
		{"no phone", Message{Template: "platform.test", To: Recipient{Email: "fatima@example.ma"}, Channels: []Channel{Email, SMS}}, "error.notify.phone"},
		{"no user", Message{Template: "platform.test", To: Recipient{Email: "fatima@example.ma"}, Channels: []Channel{Inbox}}, "error.notify.user"},
		{"missing data", Message{Template: "platform.welcome", To: to, Channels: []Channel{Email}}, ""},
	}
	for _, c := range cases {
		err := d.Transact(ctx, func(tx *db.Tx) error { return e.s.Send(ctx, tx, c.m) })
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.key != "" {
			if ee := errs.As(err); ee == nil || ee.Key != c.key || ee.Kind != errs.Invalid {
				t.Errorf("%s: err = %v, want key %s", c.name, err, c.key)
			}
		}
	}
	if rs := e.deliveries(t); len(rs) != 0 {
		t.Fatalf("deliveries after failed sends: %+v", rs)
	}
}

func TestSendInRolledBackTxRecordsNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		ctx := context.Background()
		boom := errors.New("state change failed")
		err := d.Transact(ctx, func(tx *db.Tx) error {
			if err := e.s.Send(ctx, tx, Message{Template: "platform.test", To: Recipient{UserID: "u1", Email: "fatima@example.ma"},
				Channels: []Channel{Email, Inbox}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if rs := e.deliveries(t); len(rs) != 0 {
			t.Fatalf("deliveries = %+v", rs)
		}
		m, err := e.q.Depth(ctx)
		if err != nil || m[jobs.Queued]+m[jobs.Running]+m[jobs.Succeeded] != 0 {
			t.Fatalf("jobs = %v, %v", m, err)
		}
	})
}

// Without SMTP or gateway, deliveries are logged; the log shows neither the
// address, nor the phone number, nor anything of the message.
func TestLoggedModeMasksPersonalData(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		e.send(t, Message{
			Template: "platform.welcome", Data: welcome,
			To:       Recipient{UserID: "u-17", Email: "fatima.zahra@example.ma", Phone: "+212 612 345 612", Lang: "ar"},
			Channels: []Channel{Email, SMS, Inbox, Email},
		})
		rs := e.settled(t, 3)
		got := map[Channel]string{}
		for _, r := range rs {
			got[r.Channel] = r.Status
			if r.Attempts != 1 || !r.Sent || r.Lang != "ar" || r.JobID == 0 {
				t.Errorf("delivery = %+v", r)
			}
		}
		if d := cmp.Diff(map[Channel]string{Email: StatusLogged, SMS: StatusLogged, Inbox: StatusSent}, got); d != "" {
			t.Fatalf("statuses (-want +got):\n%s", d)
		}
		logs := e.logs.String()
		for _, want := range []string{"f***@example.ma", "+2126****12"} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q:\n%s", want, logs)
			}
		}
		r, err := e.s.Render("platform.welcome", "ar", welcome)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"fatima.zahra", "612345612", "612 345", "فاطمة", "madina.casablanca.ma/ar/login",
			r.Subject, strings.Split(r.Text, "\n")[0], r.SMS} {
			if strings.Contains(logs, secret) {
				t.Errorf("log shows %q:\n%s", secret, logs)
			}
		}
	})
}

func TestInbox(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		ctx := context.Background()
		for i, m := range []Message{
			{Template: "platform.test", To: Recipient{UserID: "u1", Lang: "fr"}},
			{Template: "platform.welcome", Data: welcome, To: Recipient{UserID: "u1"}},
			{Template: "platform.test", To: Recipient{UserID: "u2", Lang: "en"}},
			{Template: "platform.test", To: Recipient{UserID: "u1", Lang: "xx"}},
		} {
			m.Channels = []Channel{Inbox}
			e.send(t, m)
			_ = i
		}
		e.settled(t, 4)
		in, err := e.s.Inbox(ctx, "u1", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != 3 {
			t.Fatalf("inbox of u1 = %+v", in)
		}
		want := []struct{ template, lang string }{{"platform.test", "ar"}, {"platform.welcome", "ar"}, {"platform.test", "fr"}}
		for i, w := range want {
			r, _ := e.s.Render(w.template, w.lang, welcome)
			if in[i].Template != w.template || in[i].Lang != w.lang || in[i].Subject != r.Subject || in[i].Body != r.Text || in[i].ReadAt != nil {
				t.Errorf("inbox[%d] = %+v, want %s in %s", i, in[i], w.template, w.lang)
			}
		}
		if in, _ := e.s.Inbox(ctx, "u1", 1); len(in) != 1 {
			t.Errorf("limit 1 gave %d", len(in))
		}
		unread := func(u string) int {
			n, err := e.s.Unread(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := unread("u1"); n != 3 {
			t.Fatalf("unread = %d", n)
		}
		if err := e.s.MarkRead(ctx, "u1", in[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.MarkRead(ctx, "u1", in[1].ID); err != nil {
			t.Fatalf("marking read twice: %v", err)
		}
		if n := unread("u1"); n != 2 {
			t.Fatalf("unread after MarkRead = %d", n)
		}
		if err := e.s.MarkRead(ctx, "u2", in[0].ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("u2 marking u1's notification: %v", err)
		}
		if err := e.s.MarkAllRead(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if n, m := unread("u1"), unread("u2"); n != 0 || m != 1 {
			t.Fatalf("unread = %d, %d", n, m)
		}
		in, _ = e.s.Inbox(ctx, "u1", 0)
		for _, n := range in {
			if n.ReadAt == nil {
				t.Errorf("still unread: %+v", n)
			}
		}
		// A repeated job files nothing twice.
		var job int64
		if err := d.QueryRowContext(ctx, `SELECT job_id FROM notify_deliveries ORDER BY id LIMIT 1`).Scan(&job); err != nil {
			t.Fatal(err)
		}
		var dl int64
		_ = d.QueryRowContext(ctx, `SELECT id FROM notify_deliveries ORDER BY id LIMIT 1`).Scan(&dl)
		if err := e.s.deliver(ctx, jobs.Job{ID: job, Kind: JobKind, Payload: json.RawMessage(fmt.Sprintf(`{"delivery":%d}`, dl)), Attempt: 2, MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
		if in, _ := e.s.Inbox(ctx, "u1", 0); len(in) != 3 {
			t.Fatalf("after a repeated job, inbox has %d", len(in))
		}
	})
}
