package complaint

import (
	"context"
	"log/slog"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// system is Madina itself, closing what nobody reopened.
var system = authz.Actor{System: true}

// CloseResolved closes the requests resolved more than ReopenWindow ago
// (their reporters may no longer reopen them) and returns how many. Each
// closes in its own transaction, as a person's close would: history line,
// audit record, event; one that changed meanwhile is left as it is. Every
// node may run it: each request is closed once.
func (s *Service) CloseResolved(ctx context.Context) (int, error) {
	if err := authz.Check(system, authz.SweepRequests, authz.Resource{}); err != nil {
		return 0, err
	}
	cutoff := s.now().UTC().Add(-ReopenWindow)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM complaint_requests WHERE state = 'resolved' AND resolved_at < $1
		ORDER BY resolved_at LIMIT 500`, cutoff)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		closed := false
		err := s.db.Transact(ctx, func(tx *db.Tx) error {
			if err := tx.LockRow(ctx, "complaint_requests", "id", id); err != nil {
				return err
			}
			r, err := request(ctx, tx, "id", id)
			if err != nil {
				return err
			}
			now := s.now().UTC().Truncate(time.Microsecond)
			if r.State != Resolved || r.ResolvedAt == nil || now.Sub(*r.ResolvedAt) <= ReopenWindow {
				return nil // reopened or closed meanwhile
			}
			if err := authz.Check(system, authz.SweepRequests, r.Resource()); err != nil {
				return err
			}
			s.apply(r, CClose, Closed, "", now)
			if err := bump(ctx, tx, r, now); err != nil {
				return err
			}
			closed = true
			return s.record(ctx, tx, system, r, CClose, Resolved, Closed, "", now)
		})
		if err != nil && !errs.Is(err, errs.Conflict) {
			return n, err
		}
		if closed && err == nil {
			n++
		}
	}
	return n, nil
}

// sweepInterval is how often the clock looks: deadlines end at the end
// of a day, a quarter of an hour late is soon enough.
const sweepInterval = 15 * time.Minute

// sweep runs the service-level clock until ctx ends: alerts, escalations,
// resolved requests closed.
func sweep(ctx context.Context, s *Service, log *slog.Logger) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if n, err := s.Warn(ctx); err != nil && ctx.Err() == nil {
			log.Warn("complaint warnings", "err", err.Error())
		} else if n > 0 {
			log.Info("complaint requests due soon", "count", n)
		}
		if o, e, err := s.Alert(ctx); err != nil && ctx.Err() == nil {
			log.Warn("complaint alerts", "err", err.Error())
		} else if o+e > 0 {
			log.Info("complaint requests alerted", "overdue", o, "escalated", e)
		}
		if n, err := s.CloseResolved(ctx); err != nil && ctx.Err() == nil {
			log.Warn("complaint sweep", "err", err.Error())
		} else if n > 0 {
			log.Info("complaint requests closed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
