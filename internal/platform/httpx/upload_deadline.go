package httpx

import (
	"errors"
	"io"
	"net/http"
	"time"

	"madina/internal/platform/errs"
)

// UploadTimeouts bound the bodies of large-upload routes
// (Router.HandleLarge) in place of the server's ReadTimeout, which would
// cut a 200 MB plan sent from a phone or a small office line: the body
// may take as long as it needs while bytes keep coming.
type UploadTimeouts struct {
	// Idle is the longest wait for the next bytes of the body: each read
	// pushes the connection's read deadline that far ahead.
	Idle time.Duration
	// Answer is the time left after the last bytes to store the upload
	// and answer: each read pushes the write deadline to Idle+Answer.
	Answer time.Duration
}

// Defaults of UploadTimeouts: a minute of silence (a phone changing
// cells), and as long as the server's WriteTimeout to answer.
const (
	DefaultUploadIdle   = time.Minute
	DefaultUploadAnswer = 2 * time.Minute
)

// deadlineBody is a large upload's body: it extends the connection's
// deadlines as the body arrives, and turns a failed read (the client
// stalled past Idle, or went away) into an errs.Incomplete error, which
// flows through the blob store and the handler to the responder as a 408
// logged as a warning, never a 500.
type deadlineBody struct {
	body io.ReadCloser
	rc   *http.ResponseController
	t    UploadTimeouts
}

func newDeadlineBody(w http.ResponseWriter, body io.ReadCloser, t UploadTimeouts) *deadlineBody {
	if t.Idle <= 0 {
		t.Idle = DefaultUploadIdle
	}
	if t.Answer <= 0 {
		t.Answer = DefaultUploadAnswer
	}
	return &deadlineBody{body: body, rc: http.NewResponseController(w), t: t}
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	now := time.Now()
	// Errors mean the writer cannot reach the connection (a test's
	// recorder): the server's own timeouts then apply.
	_ = d.rc.SetReadDeadline(now.Add(d.t.Idle))
	_ = d.rc.SetWriteDeadline(now.Add(d.t.Idle + d.t.Answer))
	n, err := d.body.Read(p)
	if err != nil && err != io.EOF && errs.As(err) == nil {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			err = errs.E(errs.Incomplete, "error.body.incomplete").Cause(err)
		}
	}
	return n, err
}

func (d *deadlineBody) Close() error { return d.body.Close() }
