package staff

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/i18n"
)

// WindowLoad is what one window holds: the administrator's overview.
type WindowLoad struct {
	Window Place
	// ByState counts the files the window holds (submitted, accepted,
	// under_review), Overdue those past their deadline.
	ByState map[string]int
	Total   int
	Overdue int
	// Oldest is the file waiting at the window the longest (by deposit).
	Oldest *WaitingFile
}

// WaitingFile is a file waiting at a window.
type WaitingFile struct {
	ID          int64
	Display     string
	SubmittedAt time.Time
}

// Overview counts, for each window whose queue op may read
// (authz.ReadQueue: administrators, every window), the files it holds by
// state with those overdue and its oldest waiting file, now. It reads
// permit's table permit_files directly (one grouped query, not a call per
// window): a read across capabilities kept for speed, like permit's queue
// reading identity's names; permit owns the table.
func (s *Service) Overview(ctx context.Context, op Operator) ([]WindowLoad, error) {
	now := s.now()
	ws, err := s.places.Windows(ctx)
	if err != nil {
		return nil, err
	}
	var out []WindowLoad
	idx := map[string]int{}
	for _, w := range ws {
		if authz.Check(op.Actor, authz.ReadQueue, authz.Resource{Window: w.Code}) != nil {
			continue
		}
		idx[w.Code] = len(out)
		out = append(out, WindowLoad{Window: w, ByState: map[string]int{}})
	}
	if len(out) == 0 {
		// Refused every window: say why, as the policy does for one.
		return nil, authz.Check(op.Actor, authz.ReadQueue, authz.Resource{Window: "-"})
	}
	rows, err := s.db.QueryContext(ctx, OverviewSQL, now)
	if err != nil {
		return nil, fmt.Errorf("staff: overview: %w", err)
	}
	for rows.Next() {
		var code, state string
		var n, late int
		if err := rows.Scan(&code, &state, &n, &late); err != nil {
			rows.Close()
			return nil, fmt.Errorf("staff: overview: %w", err)
		}
		if i, ok := idx[code]; ok {
			out[i].ByState[state] += n
			out[i].Total += n
			out[i].Overdue += late
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, OldestSQL)
	if err != nil {
		return nil, fmt.Errorf("staff: overview oldest: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var f WaitingFile
		var at sql.NullTime
		if err := rows.Scan(&code, &f.ID, &f.Display, &at); err != nil {
			return nil, fmt.Errorf("staff: overview oldest: %w", err)
		}
		if i, ok := idx[code]; ok && at.Valid && (out[i].Oldest == nil || f.ID < out[i].Oldest.ID) {
			f.SubmittedAt = at.Time
			out[i].Oldest = &f
		}
	}
	return out, rows.Err()
}

// OverviewSQL counts the files each window holds by state, and those
// overdue at $1 (index permit_files_tabs).
const OverviewSQL = `SELECT window_code, state, COUNT(*), COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0)
	FROM permit_files WHERE holder = 'window' AND window_code IS NOT NULL GROUP BY window_code, state`

// OldestSQL finds, for each window, the file it holds that was deposited
// first (ties: every file of that instant; the caller keeps the lowest id).
const OldestSQL = `SELECT f.window_code, f.id, COALESCE(f.number, f.ref), f.submitted_at FROM permit_files f
	WHERE f.holder = 'window' AND f.submitted_at = (SELECT MIN(g.submitted_at) FROM permit_files g
		WHERE g.window_code = f.window_code AND g.holder = 'window')`

// loadRow is a line of the overview as the home page shows it.
type loadRow struct {
	Code, Name                string
	New, Accepted, Review     int
	Total, Overdue            int
	Oldest, OldestAt, Waiting string
}

// overviewRows writes the overview for the request's language: windows
// with overdue files first, then the busiest.
func (h *Handlers) overviewRows(r *http.Request, loads []WindowLoad) []loadRow {
	l := i18n.FromContext(r.Context())
	now := h.Service.now()
	out := make([]loadRow, 0, len(loads))
	for _, w := range loads {
		row := loadRow{Code: w.Window.Code, Name: w.Window.Name.Pick(l), New: w.ByState["submitted"], Accepted: w.ByState["accepted"],
			Review: w.ByState["under_review"], Total: w.Total, Overdue: w.Overdue}
		if o := w.Oldest; o != nil {
			row.Oldest, row.OldestAt = o.Display, i18n.FormatDate(l, o.SubmittedAt)
			days := int(now.Sub(o.SubmittedAt).Hours() / 24)
			row.Waiting = h.Resp.Cat.T(l, "admin.overview.waiting", "count", days)
		}
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(a, b loadRow) int {
		if c := cmp.Compare(b.Overdue, a.Overdue); c != 0 {
			return c
		}
		return cmp.Compare(b.Total, a.Total)
	})
	return out
}
