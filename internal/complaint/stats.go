package complaint

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Public statistics (issue #16, point 5): per category, team
// (organisation) and arrondissement, over the requests filed in a
// period — the figures residents ask for and the open-data portal will
// take: the median time to acknowledge and to resolve, the share resolved
// within the service level, the reopen rate. Held requests (floods not
// yet reviewed) and merged duplicates do not count; a request's last
// resolution counts (a reopened one is resolved again or not yet).

// Figure is one row of the statistics.
type Figure struct {
	Key   string `json:"key"` // a category, organisation or arrondissement code; "" for all
	Filed int    `json:"filed"`
	// Acknowledged requests and the median hours from filing to
	// acknowledgement.
	Acknowledged      int      `json:"acknowledged"`
	MedianAckHours    *float64 `json:"median_ack_hours"`
	Resolved          int      `json:"resolved"`
	MedianResolveDays *float64 `json:"median_resolve_days"`
	// WithinLevel: the share of resolved requests resolved by their
	// deadline (extended by the time waited on the citizen).
	WithinLevel *float64 `json:"within_level"`
	// Reopened: requests reopened as not fixed at least once; ReopenRate
	// their share of the requests ever resolved.
	Reopened   int      `json:"reopened"`
	ReopenRate *float64 `json:"reopen_rate"`
}

// Statistics are the figures of a period.
type Statistics struct {
	Since            time.Time `json:"since"`
	Until            time.Time `json:"until"`
	All              Figure    `json:"all"`
	ByCategory       []Figure  `json:"by_category"`
	ByTeam           []Figure  `json:"by_team"`
	ByArrondissement []Figure  `json:"by_arrondissement"`
}

// statRow is what a request brings to the figures.
type statRow struct {
	category, org, arr string
	filed              time.Time
	ack, resolved      *time.Time
	resolveDue         time.Time
	closedResolved     bool // in a resolved or closed state, with a resolution
	everResolved       bool
	reopened           bool
}

// acc accumulates one figure.
type acc struct {
	filed, reopened, everResolved, within int
	ack, res                              []float64
}

func (a *acc) add(r statRow) {
	a.filed++
	if r.ack != nil {
		a.ack = append(a.ack, r.ack.Sub(r.filed).Hours())
	}
	if r.closedResolved {
		a.res = append(a.res, r.resolved.Sub(r.filed).Hours()/24)
		if !r.resolved.After(r.resolveDue) {
			a.within++
		}
	}
	if r.everResolved {
		a.everResolved++
	}
	if r.reopened {
		a.reopened++
	}
}

func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	m = float64(int64(m*10+0.5)) / 10
	return &m
}

func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(int64(float64(n)/float64(of)*1000+0.5)) / 1000
	return &v
}

func (a *acc) figure(key string) Figure {
	return Figure{Key: key, Filed: a.filed, Acknowledged: len(a.ack), MedianAckHours: median(a.ack), Resolved: len(a.res),
		MedianResolveDays: median(a.res), WithinLevel: share(a.within, len(a.res)), Reopened: a.reopened,
		ReopenRate: share(a.reopened, a.everResolved)}
}

// Statistics computes the figures of the requests filed from since to
// until. Anyone may read them: they name no one.
func (s *Service) Statistics(ctx context.Context, since, until time.Time) (*Statistics, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.category, r.organisation_code, r.arrondissement_code, r.filed_at,
		r.acknowledged_at, r.resolved_at, r.resolve_due, r.state,
		EXISTS (SELECT 1 FROM complaint_events e WHERE e.request_id = r.id AND e.kind = 'reopen')
		FROM complaint_requests r WHERE r.filed_at >= $1 AND r.filed_at < $2 AND r.held_at IS NULL AND r.merged_into IS NULL`,
		since, until)
	if err != nil {
		return nil, fmt.Errorf("complaint: statistics: %w", err)
	}
	defer rows.Close()
	var all acc
	by := [3]map[string]*acc{{}, {}, {}}
	for rows.Next() {
		var r statRow
		var ack, res sql.NullTime
		var state State
		if err := rows.Scan(&r.category, &r.org, &r.arr, &r.filed, &ack, &res, &r.resolveDue, &state, &r.reopened); err != nil {
			return nil, err
		}
		r.ack, r.resolved = nullTime(ack), nullTime(res)
		r.everResolved = r.resolved != nil
		r.closedResolved = r.resolved != nil && !state.Open()
		all.add(r)
		for i, k := range []string{r.category, r.org, r.arr} {
			if by[i][k] == nil {
				by[i][k] = &acc{}
			}
			by[i][k].add(r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := &Statistics{Since: since.UTC(), Until: until.UTC(), All: all.figure("")}
	lists := []*[]Figure{&out.ByCategory, &out.ByTeam, &out.ByArrondissement}
	for i, m := range by {
		*lists[i] = []Figure{}
		for k, a := range m {
			*lists[i] = append(*lists[i], a.figure(k))
		}
		// The most filed first.
		slices.SortFunc(*lists[i], func(a, b Figure) int {
			if a.Filed != b.Filed {
				return b.Filed - a.Filed
			}
			if a.Key < b.Key {
				return -1
			}
			return 1
		})
	}
	return out, nil
}
