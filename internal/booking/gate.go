package booking

import (
	"context"
	"sync"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// slotGates lets one request at a time, on this node, go on to write a
// booking of a given slot. In a flash crowd thousands pass the first
// read of a free slot together; without the gate each would then queue
// for a write transaction only to find the slot taken (on SQLite every
// one of them waits for the single writer). Behind the gate a request
// reads the slot again, on the readers, and only the one that still
// finds it free opens a write. The gate decides nothing: the unique
// index does (bookings_one_holder), and other nodes have gates of their
// own.
type slotGates struct {
	mu    sync.Mutex
	gates map[slotKey]*slotGate
}

type slotKey struct {
	facility string
	start    int64
}

type slotGate struct {
	ch    chan struct{} // holds one token: whoever holds it may write
	users int           // requests holding or awaiting it (guarded by mu)
}

// enter waits for the slot's gate and returns its release; a request
// whose context ends while waiting gets the context's error, as a
// "try again" conflict.
func (g *slotGates) enter(ctx context.Context, facility string, start time.Time) (func(), error) {
	k := slotKey{facility, start.UnixNano()}
	g.mu.Lock()
	if g.gates == nil {
		g.gates = map[slotKey]*slotGate{}
	}
	gt := g.gates[k]
	if gt == nil {
		gt = &slotGate{ch: make(chan struct{}, 1)}
		g.gates[k] = gt
	}
	gt.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if gt.users--; gt.users == 0 {
			delete(g.gates, k)
		}
		g.mu.Unlock()
	}
	select {
	case gt.ch <- struct{}{}:
		return func() { <-gt.ch; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, errs.E(errs.Conflict, db.KeyConflict).Cause(ctx.Err())
	}
}
