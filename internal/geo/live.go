package geo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	geom "madina/internal/platform/geo"
	"madina/internal/platform/httpx"
)

// Live projects (issue #14, point 4): a permit granted appears on every
// open map within a second, without reloading. Each node polls the
// authorised projects once a second while someone watches — one query for
// all its watchers, whichever node granted the permit, with nothing to
// run beside the database — and streams each new one to its watchers as
// server-sent events (GET /ogc/collections/projects/live): an event
// "project" whose data is the GeoJSON feature, the items' own form.

// livePoll is how often a node looks for new projects while watched.
const livePoll = time.Second

// liveHeartbeat is how often a quiet stream says it is alive (a comment
// line), which also moves its write deadline.
const liveHeartbeat = 15 * time.Second

// liveBuffer is how many projects a watcher may be behind before its
// stream is closed (its browser reconnects and reloads the layer).
const liveBuffer = 64

// live is a node's watch over the authorised projects.
type live struct {
	projects Projects
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	watchers map[chan geom.Feature]struct{}
	polling  bool
}

// watch registers a watcher; stop unregisters it. The node polls while it
// has watchers.
func (l *live) watch() (<-chan geom.Feature, func()) {
	ch := make(chan geom.Feature, liveBuffer)
	l.mu.Lock()
	if l.watchers == nil {
		l.watchers = map[chan geom.Feature]struct{}{}
	}
	l.watchers[ch] = struct{}{}
	if !l.polling {
		l.polling = true
		go l.poll(l.now())
	}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		if _, ok := l.watchers[ch]; ok {
			delete(l.watchers, ch)
			close(ch)
		}
		l.mu.Unlock()
	}
}

// poll looks for projects granted since since, once a second, until
// nobody watches.
func (l *live) poll(since time.Time) {
	seen := map[string]bool{}
	t := time.NewTicker(livePoll)
	defer t.Stop()
	for range t.C {
		l.mu.Lock()
		if len(l.watchers) == 0 {
			l.polling = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		// The projects' time has a second's precision: look again from
		// the last second seen, and skip what was sent.
		page, err := l.projects.AuthorisedProjects(context.Background(), geom.FeatureQuery{From: since.Truncate(time.Second), Limit: 1000})
		if err != nil {
			l.log.Error("geo: live projects", "err", err.Error())
			continue
		}
		for _, f := range page.Features {
			if seen[f.ID] {
				continue
			}
			seen[f.ID] = true
			if at, err := time.Parse(time.RFC3339, fmt.Sprint(f.Properties.Property("granted"))); err == nil && at.After(since) {
				since = at
			}
			l.send(f)
		}
	}
}

// send gives f to every watcher; one too far behind is dropped.
func (l *live) send(f geom.Feature) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.watchers {
		select {
		case ch <- f:
		default:
			delete(l.watchers, ch)
			close(ch)
		}
	}
}

// liveProjects streams the projects granted from now on.
func (h *Handlers) liveProjects(w http.ResponseWriter, r *http.Request) error {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	feed, stop := h.live.watch()
	defer stop()
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(liveHeartbeat + 10*time.Second))
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The browser's EventSource waits this long before reconnecting.
	if !write("retry: 3000\n\n") {
		return nil
	}
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-httpx.ShuttingDown(r.Context()):
			return nil
		case <-beat.C:
			if !write(": alive\n\n") {
				return nil
			}
		case f, ok := <-feed:
			if !ok {
				return nil
			}
			b, err := f.MarshalJSON()
			if err != nil {
				return nil
			}
			if !write("event: project\nid: " + f.ID + "\ndata: " + string(b) + "\n\n") {
				return nil
			}
		}
	}
}
