package blob

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A Referencer tells the sweeper which blobs a capability's rows name.
// Every capability that stores a blob hash registers one at wiring, so
// that no blob a row refers to is ever taken for a crash's leftover.
type Referencer interface {
	// BlobRefs calls fn with every blob hash the capability's rows name,
	// duplicates allowed.
	BlobRefs(ctx context.Context, fn func(sha256 string)) error
}

// DefaultGrace is how old an unreferenced blob must be before it is
// removed. An upload writes its blob, then commits the row naming it a
// few milliseconds later; a grace of hours covers that gap with a wide
// margin, whatever the clocks of the nodes sharing the store.
const DefaultGrace = 6 * time.Hour

// Sweeper removes what a crash (kill -9, power loss) leaves behind: the
// spool's temporary files, and blobs written before their row committed.
// It is safe on several nodes sharing one store: it removes only
// temporary files unwritten for StaleSpool and blobs older than Grace
// that no Referencer names, both of which no running upload uses.
type Sweeper struct {
	Store Store
	Refs  []Referencer
	Grace time.Duration // 0: DefaultGrace
	Log   *slog.Logger

	files, bytes *prometheus.CounterVec
}

// maxUnchecked is how many unreferenced blobs a sweep removes without
// question. More, when they are most of the blobs old enough, is not a
// crash's doing but a node on the wrong database (an empty one, a
// staging copy) sharing the file store: the sweep stops and says so.
const maxUnchecked = 50

// SweepReport is what one sweep removed.
type SweepReport struct {
	SpoolFiles int
	SpoolBytes int64
	Blobs      int
	BlobBytes  int64 // 0 on S3, whose listing is not stat'ed blob by blob
}

// Register adds the sweeper's counters to reg:
// madina_blob_swept_files_total and madina_blob_swept_bytes_total, by
// kind ("spool" or "blob").
func (s *Sweeper) Register(reg prometheus.Registerer) {
	s.files = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "madina_blob_swept_files_total", Help: "Crash leftovers removed from the file store, by kind (spool: temporary files, blob: unreferenced blobs).",
	}, []string{"kind"})
	s.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "madina_blob_swept_bytes_total", Help: "Bytes of temporary files and blobs removed from the file store, by kind.",
	}, []string{"kind"})
	reg.MustRegister(s.files, s.bytes)
}

// Sweep runs once at now. The order matters: blobs old enough are listed
// first, the references read after, so that a row committed before the
// listing ended is seen.
func (s *Sweeper) Sweep(ctx context.Context, now time.Time) (SweepReport, error) {
	var rep SweepReport
	rep.SpoolFiles, rep.SpoolBytes = s.Store.SweepSpool(now.Add(-StaleSpool))
	grace := s.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	cutoff := now.Add(-grace)
	var old []string
	err := s.Store.Walk(ctx, func(sha string, modified time.Time) error {
		if modified.Before(cutoff) {
			old = append(old, sha)
		}
		return nil
	})
	if err != nil {
		return s.done(rep, err)
	}
	if len(old) > 0 {
		used := map[string]bool{}
		for _, r := range s.Refs {
			if err := r.BlobRefs(ctx, func(sha string) { used[sha] = true }); err != nil {
				return s.done(rep, fmt.Errorf("blob: sweep: references: %w", err))
			}
		}
		var unused []string
		for _, sha := range old {
			if !used[sha] {
				unused = append(unused, sha)
			}
		}
		if len(unused) > maxUnchecked && 2*len(unused) > len(old) {
			return s.done(rep, fmt.Errorf("blob: sweep: refusing to remove %d of %d blobs that no row names: "+
				"is this node on the right database and file store?", len(unused), len(old)))
		}
		for _, sha := range unused {
			var size int64
			if b, err := s.Store.Stat(ctx, sha); err == nil {
				size = b.Size
			}
			if err := s.Store.Delete(ctx, sha); err != nil {
				return s.done(rep, err)
			}
			rep.Blobs++
			rep.BlobBytes += size
		}
	}
	return s.done(rep, nil)
}

func (s *Sweeper) done(rep SweepReport, err error) (SweepReport, error) {
	if s.files != nil {
		s.files.WithLabelValues("spool").Add(float64(rep.SpoolFiles))
		s.bytes.WithLabelValues("spool").Add(float64(rep.SpoolBytes))
		s.files.WithLabelValues("blob").Add(float64(rep.Blobs))
		s.bytes.WithLabelValues("blob").Add(float64(rep.BlobBytes))
	}
	if s.Log != nil && (rep.SpoolFiles > 0 || rep.Blobs > 0) {
		s.Log.Info("file store swept", "spool_files", rep.SpoolFiles, "spool_bytes", rep.SpoolBytes,
			"blobs", rep.Blobs, "blob_bytes", rep.BlobBytes)
	}
	return rep, err
}

// Run sweeps at once, then every interval until ctx ends. Failures are
// logged and tried again at the next round.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx, time.Now()); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("file store sweep", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
