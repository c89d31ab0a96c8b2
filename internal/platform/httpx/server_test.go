package httpx

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Shutting down lets a request already in flight finish.
func TestServeFinishesInFlightRequestsOnShutdown(t *testing.T) {
	started := make(chan struct{})
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	}))
	ln, cancel, served, got := serveOneRequest(t, srv, 5*time.Second)
	<-started
	cancel()
	if s := <-got; s != "finished" {
		t.Fatalf("in-flight request got %q", s)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Fatal("server still accepts after shutdown")
	}
}

// A stream that never ends by itself ends when the server begins to shut
// down (ShuttingDown), so that Serve returns without waiting the grace
// period; the stream's client sees its last words.
func TestServeEndsStreamsOnShutdown(t *testing.T) {
	started := make(chan struct{})
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "watching\n")
		_ = http.NewResponseController(w).Flush()
		close(started)
		select {
		case <-ShuttingDown(r.Context()):
			_, _ = io.WriteString(w, "bye\n")
		case <-r.Context().Done():
		}
	}))
	_, cancel, served, got := serveOneRequest(t, srv, 30*time.Second)
	<-started
	begun := time.Now()
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if s := <-got; s != "watching\nbye\n" {
		t.Fatalf("the stream's client got %q", s)
	}
	if waited := time.Since(begun); waited > 10*time.Second {
		t.Fatalf("shutting down waited %s for the stream", waited)
	}
	if ShuttingDown(context.Background()) != nil {
		t.Fatal("a context outside Serve has a shutdown channel")
	}
}

// serveOneRequest serves srv with Serve and grace on a loopback port and
// sends it one GET /: cancel starts the shutdown, served gets Serve's
// result and got the response's body (or "error: …").
func serveOneRequest(t *testing.T, srv *http.Server, grace time.Duration) (net.Listener, context.CancelFunc, <-chan error, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, grace) }()
	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	return ln, cancel, served, got
}
