package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
)

// fakeGateway stands in for an SMS operator's HTTP gateway (no real one can
// be reached from tests): it records each request and answers with the
// next scripted status, the last one repeated.
type fakeGateway struct {
	mu       sync.Mutex
	statuses []int
	reqs     []gatewayRequest
}

type gatewayRequest struct {
	Body        map[string]string
	Auth        string
	ContentType string
	Idempotency string
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body map[string]string
	if r.Method != http.MethodPost || json.Unmarshal(b, &body) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.reqs = append(g.reqs, gatewayRequest{Body: body, Auth: r.Header.Get("Authorization"),
		ContentType: r.Header.Get("Content-Type"), Idempotency: r.Header.Get("Idempotency-Key")})
	status := g.statuses[min(len(g.reqs), len(g.statuses))-1]
	g.mu.Unlock()
	// Gateways like to echo the number; it must not reach our logs.
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"to":"`+body["to"]+`"}`)
}

func (g *fakeGateway) requests() []gatewayRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayRequest(nil), g.reqs...)
}

func smsEnv(t *testing.T, d *db.DB, statuses ...int) (*env, *fakeGateway) {
	g := &fakeGateway{statuses: statuses}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	e := newEnv(t, d, Config{SMS: SMSConfig{URL: srv.URL + "/v1/sms", Token: "s3cret-token", Sender: "MADINA"}, MaxAttempts: 5})
	return e, g
}

func TestSMSRetriedAfter503ThenSent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e, g := smsEnv(t, d, http.StatusServiceUnavailable, http.StatusOK)
		e.send(t, Message{Template: "platform.welcome", Data: welcome,
			To: Recipient{Phone: "+212 6 12 34 56 12", Lang: "ar"}, Channels: []Channel{SMS}})
		rs := e.settled(t, 1)
		if r := rs[0]; r.Status != StatusSent || r.Attempts != 2 || !r.Sent || !strings.Contains(r.LastError, "503") {
			t.Fatalf("delivery = %+v", r)
		}
		want, err := e.s.Render("platform.welcome", "ar", welcome)
		if err != nil {
			t.Fatal(err)
		}
		reqs := g.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		for _, r := range reqs {
			if d := cmp.Diff(map[string]string{"to": "+212612345612", "text": want.SMS, "sender": "MADINA"}, r.Body); d != "" {
				t.Errorf("request body (-want +got):\n%s", d)
			}
			if r.Auth != "Bearer s3cret-token" || !strings.HasPrefix(r.ContentType, "application/json") {
				t.Errorf("headers = %+v", r)
			}
		}
		if reqs[0].Idempotency == "" || reqs[0].Idempotency != reqs[1].Idempotency {
			t.Errorf("idempotency keys %q, %q: want one key per delivery", reqs[0].Idempotency, reqs[1].Idempotency)
		}
		if !strings.Contains(reqs[0].Body["text"], "فاطمة الزهراء") {
			t.Errorf("Arabic text mangled: %q", reqs[0].Body["text"])
		}
		if logs := e.logs.String(); strings.Contains(logs, "612345612") || strings.Contains(logs, "s3cret") {
			t.Errorf("log shows the number or the token:\n%s", logs)
		}
	})
}

func TestSMS400FailsWithoutRetry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e, g := smsEnv(t, d, http.StatusBadRequest)
		e.send(t, Message{Template: "platform.test", To: Recipient{Phone: "+212612345612", Lang: "fr"}, Channels: []Channel{SMS}})
		rs := e.settled(t, 1)
		r := rs[0]
		if r.Status != StatusFailed || r.Attempts != 1 || r.Sent || !strings.Contains(r.LastError, "400") {
			t.Fatalf("delivery = %+v", r)
		}
		// The delivery is recorded before the queue records the job's end.
		var in jobs.Info
		deadline := time.Now().Add(10 * time.Second)
		for {
			var err error
			if in, err = e.q.Status(ctx, r.JobID); err != nil {
				t.Fatal(err)
			}
			if in.State != jobs.Running || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if in.State != jobs.Failed || in.Attempt != 1 {
			t.Fatalf("job = %+v", in)
		}
		if n := len(g.requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		if logs := e.logs.String(); strings.Contains(logs, "612345612") || !strings.Contains(logs, "job failed") {
			t.Errorf("log:\n%s", logs)
		}
	})
}

func TestGatewayConfig(t *testing.T) {
	for _, u := range []string{"ftp://x", "not a url", "http://"} {
		if _, err := newGateway(SMSConfig{URL: u}, nil); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
}
