package httpx

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// NewServer returns an http.Server with timeouts against slow or stalled
// clients. Routes registered with Router.HandleLarge (uploads) move their
// connection's deadlines as the body arrives instead (UploadTimeouts).
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// shutdownKey carries, in every request's context, the channel Serve
// closes when the server begins to shut down.
type shutdownKey struct{}

// ShuttingDown is closed when the server that took the request begins to
// shut down (nil outside Serve). A response that never ends by itself — a
// stream of server-sent events — ends then, so that shutting down does
// not wait for it; ordinary requests finish within the grace period.
func ShuttingDown(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(shutdownKey{}).(chan struct{})
	return ch
}

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, tells the streams (ShuttingDown), lets in-flight requests
// finish for up to grace, then closes.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	down := make(chan struct{})
	base := srv.BaseContext
	srv.BaseContext = func(l net.Listener) context.Context {
		c := context.Background()
		if base != nil {
			c = base(l)
		}
		return context.WithValue(c, shutdownKey{}, down)
	}
	srv.RegisterOnShutdown(func() { close(down) })
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
