package booking

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
	"madina/migrations"
)

// smsOperator stands in for the SMS operator's HTTP gateway: it records
// every SMS it is handed and accepts it.
type smsOperator struct {
	mu  sync.Mutex
	got []sms
}

type sms struct{ To, Text, Key string }

func (o *smsOperator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]string
	if r.Method != http.MethodPost || json.Unmarshal(b, &m) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.got = append(o.got, sms{To: m["to"], Text: m["text"], Key: r.Header.Get("Idempotency-Key")})
	o.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (o *smsOperator) sent() []sms {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.got)
}

// wait waits until the operator has n SMS, then a moment more for a
// copy that should not come.
func (o *smsOperator) wait(t *testing.T, n int) []sms {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(o.sent()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d SMS reached the operator, want %d: %+v", len(o.sent()), n, o.sent())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return o.sent()
}

// node is the application as far as ambulance notices go: a job queue
// with the booking service's subscriber, the notifier sending SMS
// through op, on database d.
type node struct {
	s *Service
	n *notify.Service
	q *jobs.Queue
}

func startNode(t *testing.T, d *db.DB, op *smsOperator, now func() time.Time) *node {
	t.Helper()
	srv := httptest.NewServer(op)
	t.Cleanup(srv.Close)
	q := jobs.New(d, nil, jobs.Options{Workers: 2, Poll: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	n, err := notify.New(d, q, nil, notify.Config{Templates: []fs.FS{Notices()},
		SMS: notify.SMSConfig{URL: srv.URL + "/v1/sms", Sender: "MADINA"}})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(Deps{DB: d, Catalogue: DefaultCatalogue(), Events: q, Box: box, People: identity.NewStore(d), Notify: n,
		BaseURL: "https://madina.test", Now: now})
	if err := s.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	q.Subscribe(TopicAmbulanceChanged, "booking.ambulance_notices", s.SendAmbulanceNotices)
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = q.Shutdown(context.Background())
	})
	return &node{s: s, n: n, q: q}
}

func sbataDispatcher(p int64, now time.Time) authz.Actor {
	return authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: now, Grants: []authz.Grant{{Role: authz.Dispatcher, Org: "sbata"}}}
}

// want is the SMS the requester of r should get at state st, in lang.
func (nd *node) want(t *testing.T, r *AmbulanceRequest, st, lang string) string {
	t.Helper()
	out, err := nd.n.Render("booking.ambulance."+st, lang, map[string]any{"Number": r.Number, "Vehicle": r.Vehicle, "URL": "https://madina.test/bookings"})
	if err != nil {
		t.Fatal(err)
	}
	return out.SMS
}

// Sbata's ambulances: each step of a request reaches its requester by
// SMS, at the number the request gave, in the requester's language (an
// Arabic and a French speaker here), with the request's reference and,
// once assigned, the vehicle; nothing is sent twice when the events are
// handed to the sender a second time.
func TestAmbulanceStepsReachTheRequesterBySMS(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `UPDATE persons SET lang = 'fr' WHERE id = $1`, e.people[1]); err != nil {
			t.Fatal(err)
		}
		op := &smsOperator{}
		nd := startNode(t, d, op, e.clock.now)
		file := func(i int, phone string) *AmbulanceRequest {
			r, err := nd.s.RequestAmbulance(ctx, e.citizen(i), AmbulanceInput{Service: "sbata-ambulance", Patient: "Fatna, 72 ans",
				Address: "Derb Sbata, rue 14", Urgency: "urgent", Destination: "Hôpital Moulay Youssef", Phone: phone})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		ar := file(0, "0661 23 45 67")
		fr := file(1, "+212 6 98 76 54 32")
		disp := sbataDispatcher(e.mrManager, e.clock.now())
		move := func(r *AmbulanceRequest, to, vehicle string) *AmbulanceRequest {
			e.clock.add(3 * time.Minute)
			m, err := nd.s.MoveAmbulance(ctx, disp, r.ID, to, vehicle, "Dr Alami")
			if err != nil {
				t.Fatalf("%s → %s: %v", r.Number, to, err)
			}
			return m
		}
		arSteps := []string{AReceived}
		r := move(ar, AAssigned, "AMB-SB-02")
		for _, st := range []string{AOnScene, ATransporting, ADone} {
			r = move(r, st, "")
		}
		arSteps = append(arSteps, AAssigned, AOnScene, ATransporting, ADone)
		f := move(fr, AAssigned, "AMB-SB-01")
		move(f, ACancelled, "")
		frSteps := []string{AReceived, AAssigned, ACancelled}

		got := op.wait(t, len(arSteps)+len(frSteps))
		if len(got) != len(arSteps)+len(frSteps) {
			t.Fatalf("%d SMS, want %d: %+v", len(got), len(arSteps)+len(frSteps), got)
		}
		texts := map[string][]string{} // number → texts
		for _, m := range got {
			texts[m.To] = append(texts[m.To], m.Text)
		}
		check := func(req *AmbulanceRequest, number, lang, mark string, steps []string) {
			t.Helper()
			for _, st := range steps {
				w := nd.want(t, req, st, lang)
				if !slices.Contains(texts[number], w) {
					t.Errorf("no %s SMS %q to %s; it got %q", st, w, number, texts[number])
				}
			}
			for _, x := range texts[number] {
				if !strings.Contains(x, req.Number) || !strings.Contains(x, mark) {
					t.Errorf("an SMS to %s does not name the request %s in its language: %q", number, req.Number, x)
				}
			}
			if len(texts[number]) != len(steps) {
				t.Errorf("%d SMS to %s, want %d", len(texts[number]), number, len(steps))
			}
		}
		r.Vehicle = "AMB-SB-02"
		check(r, "0661234567", "ar", "مدينة", arSteps)
		f.Vehicle = "AMB-SB-01"
		check(f, "+212698765432", "fr", "Madina :", frSteps)
		if !slices.ContainsFunc(texts["0661234567"], func(s string) bool {
			return strings.Contains(s, "AMB-SB-02") && strings.Contains(s, "في الطريق")
		}) {
			t.Errorf("the Arabic speaker is not told which ambulance is on its way: %q", texts["0661234567"])
		}

		// The sender runs again on every event (a dispatcher that lost
		// track of them): the notices are recorded once, sent once.
		var deliveries int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries`).Scan(&deliveries); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE events SET dispatched_at = NULL WHERE topic = $1`, TopicAmbulanceChanged); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			var left int
			if err := d.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE dispatched_at IS NULL`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d events not dispatched again", left)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var again int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries`).Scan(&again); err != nil {
			t.Fatal(err)
		}
		if again != deliveries || deliveries != 2*len(got) {
			t.Fatalf("%d deliveries after the second run, %d before, want %d (SMS and inbox, once each)", again, deliveries, 2*len(got))
		}
		if n := len(op.wait(t, len(got))); n != len(got) {
			t.Fatalf("%d SMS after the sender ran twice, want %d", n, len(got))
		}
	})
}

// No request is lost across a restart: requests filed on a node that
// stops before its queue has sent anything (the database closed) are,
// on the node started again on the same database, in the dispatchers'
// queue in the same order — most urgent first, then the longest
// waiting — and their requesters get the "received" SMS then; the
// dispatcher then moves one on the new node, and its requester is told.
func TestAmbulanceRequestsSurviveARestart(t *testing.T) {
	for _, engine := range dbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			url := dbtest.URL(t, engine)
			if engine == db.SQLite {
				url = "sqlite:" + url
			}
			open := func() *db.DB {
				d, err := db.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				ms, err := migrations.For(engine)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Migrate(ctx, ms); err != nil {
					t.Fatal(err)
				}
				return d
			}
			d := open()
			e := newEnv(t, d) // its events go to the outbox; no queue runs them
			var before []*AmbulanceRequest
			for i, u := range []string{"routine", "critical", "urgent", "critical"} {
				r, err := e.s.RequestAmbulance(ctx, e.citizen(i), AmbulanceInput{Service: "sbata-ambulance", Patient: "Patient",
					Address: "Derb Sbata", Urgency: u, Destination: "Hôpital Moulay Youssef", Phone: "066100000" + string(rune('1'+i))})
				if err != nil {
					t.Fatal(err)
				}
				before = append(before, r)
				e.clock.add(time.Minute)
			}
			disp := sbataDispatcher(e.mrManager, e.clock.now())
			q1, err := e.s.DispatchQueue(ctx, disp, "sbata")
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}

			// The node starts again.
			d2 := open()
			t.Cleanup(func() { d2.Close() })
			op := &smsOperator{}
			nd := startNode(t, d2, op, e.clock.now)
			q2, err := nd.s.DispatchQueue(ctx, disp, "sbata")
			if err != nil {
				t.Fatal(err)
			}
			ids := func(rs []*AmbulanceRequest) (out []int64) {
				for _, r := range rs {
					out = append(out, r.ID)
				}
				return out
			}
			want := []int64{before[1].ID, before[3].ID, before[2].ID, before[0].ID}
			if !slices.Equal(ids(q1), want) || !slices.Equal(ids(q2), want) {
				t.Fatalf("the queue before the restart %v, after %v, want %v", ids(q1), ids(q2), want)
			}
			got := op.wait(t, len(before))
			if len(got) != len(before) {
				t.Fatalf("%d SMS after the restart, want %d: %+v", len(got), len(before), got)
			}
			for _, r := range before {
				w := nd.want(t, r, AReceived, "ar")
				if !slices.ContainsFunc(got, func(m sms) bool { return m.To == r.Phone && m.Text == w }) {
					t.Errorf("request %s's requester was not told it was received: %+v", r.Number, got)
				}
			}
			m, err := nd.s.MoveAmbulance(ctx, disp, before[1].ID, AAssigned, "AMB-SB-03", "")
			if err != nil {
				t.Fatal(err)
			}
			got = op.wait(t, len(before)+1)
			if w := nd.want(t, m, AAssigned, "ar"); len(got) != len(before)+1 || !slices.ContainsFunc(got, func(x sms) bool {
				return x.To == m.Phone && x.Text == w
			}) {
				t.Fatalf("the assignment after the restart was not told: %+v", got)
			}
		})
	}
}
