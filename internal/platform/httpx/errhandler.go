package httpx

import (
	"io"
	"net/http"
)

// ErrorHandler is a handler that returns its failure instead of answering
// it: nil means it wrote its response, an error is answered by the
// Responder — the one place where an error becomes a status, a message
// and a problem or a page. Handlers write `return err`, never
// `h.Resp.Error(w, r, err); return` (pkgsite's errorHandler).
type ErrorHandler func(w http.ResponseWriter, r *http.Request) error

// Handler adapts fn to an http.Handler answering its errors through rs.
// An error after fn started its response can no longer be answered: it is
// logged, and the response stays as fn left it.
func (rs *Responder) Handler(fn ErrorHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		err := fn(sw, r)
		if err == nil {
			return
		}
		if sw.started {
			rs.log().WarnContext(r.Context(), "error after the response started", "request_id", RequestID(r.Context()),
				"path", r.URL.Path, "err", err.Error())
			return
		}
		rs.Error(w, r, err)
	})
}

// HandleErr registers a handler returning errors, answered through the
// router's Responder.
func (rt *Router) HandleErr(pattern string, fn ErrorHandler, opts ...RouteOption) {
	rt.Handle(pattern, rt.rs.Handler(fn), opts...)
}

// HandleLargeErr is HandleLarge for a handler returning errors.
func (rt *Router) HandleLargeErr(pattern string, limit int64, fn ErrorHandler) {
	rt.HandleLarge(pattern, limit, rt.rs.Handler(fn))
}

// startedWriter notes whether the response has started.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (s *startedWriter) WriteHeader(code int) {
	// 1xx responses (103 Early Hints) do not start the final response.
	if code >= 200 {
		s.started = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *startedWriter) Write(b []byte) (int, error) {
	s.started = true
	return s.ResponseWriter.Write(b)
}

// ReadFrom keeps io.Copy's fast path (sendfile) to the connection.
func (s *startedWriter) ReadFrom(r io.Reader) (int64, error) {
	s.started = true
	return io.Copy(s.ResponseWriter, r)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *startedWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
