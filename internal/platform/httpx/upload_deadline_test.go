package httpx

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/errs"
)

// A large-upload route reads a body far slower than the server's
// ReadTimeout as long as bytes keep coming; a client that stalls past the
// idle timeout or hangs up gives the handler an Incomplete error.
func TestLargeUploadDeadlinesFollowTheBody(t *testing.T) {
	rs := testResponder(t)
	rt := NewRouter(rs)
	rt.Uploads = UploadTimeouts{Idle: 600 * time.Millisecond, Answer: time.Second}
	got := make(chan error, 1)
	rt.HandleLarge("POST /upload", 1<<20, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		got <- err
		if err != nil {
			rs.Error(w, r, err)
			return
		}
		_, _ = io.WriteString(w, strings.Repeat("x", int(n)))
	}))
	srv := httptest.NewUnstartedServer(Chain(rt, Options{Responder: rs}))
	srv.Config.ReadTimeout = 400 * time.Millisecond
	srv.Config.WriteTimeout = 400 * time.Millisecond
	srv.Start()
	defer srv.Close()

	send := func(pieces int, pause time.Duration, hangUp bool) string {
		t.Helper()
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 20\r\n\r\n")
		for i := 0; i < pieces; i++ {
			time.Sleep(pause)
			if _, err := io.WriteString(conn, "xx"); err != nil {
				break
			}
		}
		if hangUp {
			conn.(*net.TCPConn).CloseWrite()
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(conn)
		return string(b)
	}

	// 10 pieces, 100 ms apart: a second in all, past the 400 ms timeouts.
	if res := send(10, 100*time.Millisecond, false); !strings.HasPrefix(res, "HTTP/1.1 200") {
		t.Fatalf("slow body: %q", res)
	}
	if err := <-got; err != nil {
		t.Fatalf("slow body: %v", err)
	}
	// Half the body, then silence.
	if res := send(5, 10*time.Millisecond, false); !strings.HasPrefix(res, "HTTP/1.1 408") {
		t.Fatalf("stalled body: %q", res)
	}
	if err := <-got; !errs.Is(err, errs.Incomplete) {
		t.Fatalf("stalled body: %v", err)
	}
	// Half the body, then the client hangs up.
	send(5, 10*time.Millisecond, true)
	if err := <-got; !errs.Is(err, errs.Incomplete) {
		t.Fatalf("cut body: %v", err)
	}
}
