package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"madina/internal/platform/errs"
)

// Temporary files are named spoolPrefix+random in a store's own spool
// directory; a crash can leave one behind, which the Sweeper removes once
// unwritten for StaleSpool, at start-up and periodically.
const spoolPrefix = "put-"

// probePrefix names the small files Ping writes and removes at once; a
// crash in between leaves one, swept like a temporary file.
const probePrefix = "probe-"

// StaleSpool is how long a temporary file goes unwritten before it is
// taken for a crash's leftover. A running upload writes its file as bytes
// arrive, and the server drops a client idle for minutes; after the last
// write only the checks, the fsync and, for S3, the copy to the bucket
// remain, minutes at most for the largest upload.
const StaleSpool = time.Hour

// spooled is an upload written to a temporary file, hashed and checked,
// not yet visible in the store.
type spooled struct {
	f    *os.File
	blob Blob
}

// discard closes and removes the temporary file. Once the store has
// linked or uploaded the content, the blob no longer depends on it.
func (s *spooled) discard() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// spool copies r into a new temporary file in dir, hashing and counting on
// the way, and checks the result against opts. It reads at most
// opts.MaxSize+1 bytes and stops after the first sniffLen bytes when their
// type is not allowed. On error the temporary file is already removed.
func spool(ctx context.Context, dir string, r io.Reader, opts PutOptions) (_ *spooled, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: put: %w", err)
	}
	f, err := os.CreateTemp(dir, spoolPrefix+"*")
	if err != nil {
		return nil, unavailable(err, "put")
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	var src io.Reader = &ctxReader{ctx: ctx, r: r}
	if opts.MaxSize > 0 {
		src = io.LimitReader(src, opts.MaxSize+1)
	}
	tooLarge := func(n int64) error {
		if opts.MaxSize > 0 && n > opts.MaxSize {
			return errs.E(errs.TooLarge, keyTooLarge).With("max", FormatMB(opts.MaxSize)).
				Cause(fmt.Errorf("more than %d bytes", opts.MaxSize))
		}
		return nil
	}

	head := make([]byte, sniffLen)
	n, err := io.ReadFull(src, head)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err != nil {
		return nil, errs.Wrap(err, "blob: put: reading")
	}
	head = head[:n]
	if n == 0 {
		return nil, errs.E(errs.Invalid, keyEmpty)
	}
	if err := tooLarge(int64(n)); err != nil {
		return nil, err
	}
	m := detect(head)
	if !allowed(m, opts.Allowed) {
		return nil, errs.E(errs.Unsupported, keyType).
			With("type", typeLabel(m.String())).
			With("allowed", allowedLabels(opts.Allowed)).
			Cause(fmt.Errorf("detected %s, allowed %s", m.String(), strings.Join(opts.Allowed, ", ")))
	}

	h := sha256.New()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		return nil, unavailable(err, "put: writing %s", filepath.Base(f.Name()))
	}
	size := int64(n)
	if n == sniffLen {
		var rerr error
		c, err := io.CopyBuffer(w, readErrTo(src, &rerr), make([]byte, 64<<10))
		size += c
		switch {
		case rerr != nil:
			return nil, errs.Wrap(rerr, "blob: put: reading")
		case err != nil:
			return nil, unavailable(err, "put: writing %s", filepath.Base(f.Name()))
		}
	}
	if err := tooLarge(size); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: put: %w", err)
	}
	if opts.Check != nil {
		if err := opts.Check(f, size, m.String()); err != nil {
			return nil, err
		}
	}
	return &spooled{f: f, blob: Blob{
		SHA256:      hex.EncodeToString(h.Sum(nil)),
		Size:        size,
		ContentType: m.String(),
	}}, nil
}

// ctxReader stops reading once ctx is done, so that a cancelled request
// stops its upload at the next read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readErrTo records in *dst the error r returns, other than io.EOF, so
// that a failing upload is told apart from a failing disk after io.Copy.
func readErrTo(r io.Reader, dst *error) io.Reader { return &errRecorder{r: r, dst: dst} }

type errRecorder struct {
	r   io.Reader
	dst *error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		*e.dst = err
	}
	return n, err
}

// sweepSpool removes the temporary files in dir last written to before
// cutoff, which a crash left behind, and reports how many it removed and
// their size. Errors are skipped: a file it cannot remove now is tried
// again at the next sweep.
func sweepSpool(dir string, cutoff time.Time) (files int, bytes int64) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), spoolPrefix) && !strings.HasPrefix(e.Name(), probePrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			files++
			bytes += info.Size()
		}
	}
	return files, bytes
}
