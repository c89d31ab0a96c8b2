package permit

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Bottlenecks (issue #12, point 8): where the committee's work is stuck.
// The window's agents and the administrators read, per member
// organisation, how many files wait for its opinion now and how many of
// them are overdue, and how fast it gave its opinions over the last 90
// days (median and 90th percentile in working days from dispatch, how
// many late) — the delays Rokhas publishes per commune —; the same for
// the window's own steps (receipt, dispatch); and the open files whose
// deadline passes within a few working days, with who holds them.
// docs/arch/bottlenecks.md says how it is computed and what it costs.

const (
	// DefaultRiskDays is how many working days ahead a file is at risk.
	DefaultRiskDays = 3
	// MaxRiskDays bounds the look-ahead a reader may ask for.
	MaxRiskDays = 30
	// MaxRiskRows bounds the list of files at risk (the rest are counted).
	MaxRiskRows = 200
	// DelayPeriodDays is the period of the delays: the opinions given and
	// the window's steps done in the last 90 days.
	DelayPeriodDays = 90
)

// Delays are an actor's figures: what waits for it now, and how fast it
// did its step over the period.
type Delays struct {
	Waiting int `json:"waiting"` // files waiting for it now
	Overdue int `json:"overdue"` // of which past their step's deadline
	Done    int `json:"done"`    // steps done (opinions given) in the period
	Late    int `json:"late"`    // of which after their deadline
	// Median and P90 are the delays in working days from the start of the
	// step (the dispatch, for an opinion) to its end; nil when none done.
	Median *float64 `json:"median_working_days,omitempty"`
	P90    *float64 `json:"p90_working_days,omitempty"`
}

// SeatHolder names who holds a body's seat: an organisation, or, when
// none is registered for the seat, the body itself.
type SeatHolder struct {
	Organisation string    `json:"organisation,omitempty"` // its code; "" when none registered
	Body         string    `json:"body,omitempty"`         // the body whose seat no organisation holds
	Name         i18n.Text `json:"name"`
}

// key identifies a holder among others.
func (h SeatHolder) key() string {
	if h.Organisation != "" {
		return h.Organisation
	}
	return "body:" + h.Body
}

// OrgBottleneck is a member organisation's figures.
type OrgBottleneck struct {
	SeatHolder
	Delays
}

// StepBottleneck is a window's figures on one of its own steps.
type StepBottleneck struct {
	Window string `json:"window"`
	Step   string `json:"step"`
	Name   Text   `json:"name"`
	Delays
}

// RiskFile is an open file whose deadline passes soon, or has passed.
type RiskFile struct {
	ID      int64
	Display string
	Kind    string
	Window  string
	Holder  string // HolderWindow or HolderCommittee
	Step    string
	// Due is the earliest of the current step's deadline (StepDue) and
	// the overall one (OverallDue); Overall tells it is the overall one.
	Due                 time.Time
	StepDue, OverallDue *time.Time
	Overall             bool
	// Pending are the seats whose opinion the committee still waits for.
	Pending []SeatHolder
}

// Bottlenecks are the figures of one window, or of every window.
type Bottlenecks struct {
	Window  string    // "" for every window
	Now     time.Time // when they were read
	Since   time.Time // the start of the period of the delays
	Days    int       // the look-ahead of the files at risk, in working days
	Horizon time.Time // the end of it
	Orgs    []OrgBottleneck
	Steps   []StepBottleneck
	Risks   []RiskFile
	More    int // files at risk beyond MaxRiskRows
}

// Bottlenecks reads the figures of window (every window when "") with
// files at risk within days working days (DefaultRiskDays when 0): the
// window's agents read their window's, administrators any window's and
// every window's (authz.ReadQueue, as the queue and the overview).
func (s *Service) Bottlenecks(ctx context.Context, a authz.Actor, window string, days int) (*Bottlenecks, error) {
	if err := authz.Check(a, authz.ReadQueue, authz.Resource{Window: window}); err != nil {
		return nil, err
	}
	if window != "" {
		if _, err := s.window(ctx, window); err != nil {
			return nil, errs.E(errs.NotFound, "").Cause(err)
		}
	}
	if days == 0 {
		days = DefaultRiskDays
	}
	if days < 1 || days > MaxRiskDays {
		return nil, errs.E(errs.Invalid, "permit.bottlenecks.error.days").With("max", MaxRiskDays).OnField("days")
	}
	now := s.now()
	b := &Bottlenecks{Window: window, Now: now, Since: now.AddDate(0, 0, -DelayPeriodDays), Days: days,
		Horizon: s.cal.AddWorkingDays(now, days)}
	var err error
	if b.Orgs, err = s.orgBottlenecks(ctx, b); err != nil {
		return nil, err
	}
	if b.Steps, err = s.stepBottlenecks(ctx, b); err != nil {
		return nil, err
	}
	if err := s.riskFiles(ctx, b); err != nil {
		return nil, err
	}
	return b, nil
}

// inWindow is the filter on the files' window ("" when every window),
// as the n-th argument.
func inWindow(window string, n int, args []any) (string, []any) {
	if window == "" {
		return "", args
	}
	return fmt.Sprintf(" AND f.window_code = $%d", n), append(args, window)
}

// BottleneckWaitingSQL counts, per seat holder (the organisation, or the
// body whose seat none holds), the files the committee holds in one of
// the members' steps ({steps}: the catalogue's steps whose actor is the
// members, the study) whose body has not given its opinion since the step
// started (or since it sat, when the step runs no deadline), and those
// past the step's deadline at $1. A window filter may follow.
const BottleneckWaitingSQL = `SELECT COALESCE(s.organisation_code, ''), CASE WHEN s.organisation_code IS NULL THEN s.body ELSE '' END,
	COUNT(DISTINCT s.file_id), COUNT(DISTINCT CASE WHEN d.due_at < $1 AND d.paused_at IS NULL THEN s.file_id END)
	FROM permit_files f
	JOIN permit_committee_seats s ON s.file_id = f.id
	LEFT JOIN permit_deadlines d ON d.file_id = f.id AND d.step = f.step AND d.met_at IS NULL
	WHERE f.holder = 'committee' AND f.state = 'accepted' AND f.step IN ({steps})
	AND NOT EXISTS (SELECT 1 FROM permit_opinions o WHERE o.file_id = s.file_id AND o.body = s.body
		AND o.given_at >= COALESCE(d.starts_at, s.selected_at))`

// BottleneckOpinionsSQL lists the opinions given from $1 to $2: the
// organisation, when its seat was given (the dispatch, or the member's
// addition), when it gave the opinion, and the start and end of the
// members' deadline it answered (the latest started before it: the
// round's study). A window filter may follow.
const BottleneckOpinionsSQL = `SELECT o.organisation_code, s.selected_at, o.given_at, d.starts_at, d.due_at
	FROM permit_opinions o
	JOIN permit_committee_seats s ON s.file_id = o.file_id AND s.body = o.body
	JOIN permit_files f ON f.id = o.file_id
	LEFT JOIN permit_deadlines d ON d.file_id = o.file_id AND d.actor = 'members' AND d.starts_at = (SELECT MAX(d2.starts_at)
		FROM permit_deadlines d2 WHERE d2.file_id = o.file_id AND d2.actor = 'members' AND d2.starts_at <= o.given_at)
	WHERE o.given_at >= $1 AND o.given_at <= $2`

// memberSteps are the codes of the catalogue's steps whose actor is the
// committee's members (the study), as SQL placeholders from $n on, with
// args.
func (s *Service) memberSteps(n int, args []any) (string, []any) {
	var codes []string
	for _, k := range s.cat.Kinds {
		for _, h := range k.Handling {
			for _, st := range h.Schedule.Steps {
				if st.Actor.Code == "members" && !slices.Contains(codes, st.Code) {
					codes = append(codes, st.Code)
				}
			}
		}
	}
	if len(codes) == 0 {
		codes = []string{"study"}
	}
	slices.Sort(codes)
	ph := make([]string, len(codes))
	for i, c := range codes {
		ph[i] = fmt.Sprintf("$%d", n+i)
		args = append(args, c)
	}
	return strings.Join(ph, ", "), args
}

func (s *Service) orgBottlenecks(ctx context.Context, b *Bottlenecks) ([]OrgBottleneck, error) {
	byKey := map[string]*OrgBottleneck{}
	get := func(h SeatHolder) *OrgBottleneck {
		if o, ok := byKey[h.key()]; ok {
			return o
		}
		o := &OrgBottleneck{SeatHolder: h}
		byKey[h.key()] = o
		return o
	}
	steps, args := s.memberSteps(2, []any{b.Now})
	filter, args := inWindow(b.Window, len(args)+1, args)
	rows, err := s.db.QueryContext(ctx, strings.Replace(BottleneckWaitingSQL, "{steps}", steps, 1)+filter+` GROUP BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: bottlenecks: %w", err)
	}
	for rows.Next() {
		var h SeatHolder
		var waiting, overdue int
		if err := rows.Scan(&h.Organisation, &h.Body, &waiting, &overdue); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: bottlenecks: %w", err)
		}
		o := get(h)
		o.Waiting, o.Overdue = waiting, overdue
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	filter, args = inWindow(b.Window, 3, []any{b.Since, b.Now})
	rows, err = s.db.QueryContext(ctx, BottleneckOpinionsSQL+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: bottlenecks: %w", err)
	}
	delays := map[string][]int{}
	for rows.Next() {
		var org string
		var seated, given time.Time
		var started, due sql.NullTime
		if err := rows.Scan(&org, &seated, &given, &started, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: bottlenecks: %w", err)
		}
		o := get(SeatHolder{Organisation: org})
		o.Done++
		if due.Valid && given.After(due.Time) {
			o.Late++
		}
		// From when the body had the file: the round's study, or its
		// seat when it was added later.
		from := seated
		if started.Valid && started.Time.After(from) {
			from = started.Time
		}
		delays[org] = append(delays[org], max(0, s.cal.WorkingDaysBetween(from, given)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]OrgBottleneck, 0, len(byKey))
	for _, o := range byKey {
		o.Median, o.P90 = percentiles(delays[o.Organisation])
		if o.Organisation != "" {
			org, err := s.organisation(ctx, s.db, o.Organisation)
			if err != nil {
				return nil, err
			}
			o.Name = org.Name
		} else {
			t, _ := s.cat.Body(o.Body)
			o.Name = t.Name
		}
		if o.Name == (i18n.Text{}) {
			o.Name = i18n.Text{AR: o.Organisation, FR: o.Organisation, EN: o.Organisation}
		}
		out = append(out, *o)
	}
	// The most stuck first: overdue files, then waiting ones, then late
	// opinions; then by code.
	slices.SortFunc(out, func(x, y OrgBottleneck) int {
		return cmp.Or(cmp.Compare(y.Overdue, x.Overdue), cmp.Compare(y.Waiting, x.Waiting), cmp.Compare(y.Late, x.Late),
			cmp.Compare(x.key(), y.key()))
	})
	return out, nil
}

// BottleneckWindowWaitingSQL counts, per window and step of the window's
// own (receipt, dispatch), the files the window holds in that step and
// those past its deadline at $1. A window filter may follow.
const BottleneckWindowWaitingSQL = `SELECT f.window_code, d.step, COUNT(*), COALESCE(SUM(CASE WHEN d.due_at < $1 THEN 1 ELSE 0 END), 0)
	FROM permit_files f
	JOIN permit_deadlines d ON d.file_id = f.id AND d.step = f.step AND d.met_at IS NULL AND d.paused_at IS NULL AND d.actor = 'window'
	WHERE f.holder = 'window'`

// BottleneckWindowDoneSQL lists the window's own steps met from $1 to $2:
// the window, the step, its start, end and deadline. A window filter may
// follow.
const BottleneckWindowDoneSQL = `SELECT f.window_code, d.step, d.starts_at, d.met_at, d.due_at
	FROM permit_deadlines d JOIN permit_files f ON f.id = d.file_id
	WHERE d.outcome = 'met' AND d.met_at >= $1 AND d.met_at <= $2 AND d.actor = 'window' AND d.step <> 'overall'`

func (s *Service) stepBottlenecks(ctx context.Context, b *Bottlenecks) ([]StepBottleneck, error) {
	byKey := map[[2]string]*StepBottleneck{}
	get := func(window, step string) *StepBottleneck {
		k := [2]string{window, step}
		if st, ok := byKey[k]; ok {
			return st
		}
		st := &StepBottleneck{Window: window, Step: step, Name: s.cat.StepName(step)}
		byKey[k] = st
		return st
	}
	filter, args := inWindow(b.Window, 2, []any{b.Now})
	rows, err := s.db.QueryContext(ctx, BottleneckWindowWaitingSQL+filter+` GROUP BY f.window_code, d.step`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: bottlenecks: %w", err)
	}
	for rows.Next() {
		var window, step string
		var waiting, overdue int
		if err := rows.Scan(&window, &step, &waiting, &overdue); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: bottlenecks: %w", err)
		}
		st := get(window, step)
		st.Waiting, st.Overdue = waiting, overdue
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	filter, args = inWindow(b.Window, 3, []any{b.Since, b.Now})
	rows, err = s.db.QueryContext(ctx, BottleneckWindowDoneSQL+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: bottlenecks: %w", err)
	}
	delays := map[[2]string][]int{}
	for rows.Next() {
		var window, step string
		var start, met, due time.Time
		if err := rows.Scan(&window, &step, &start, &met, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: bottlenecks: %w", err)
		}
		st := get(window, step)
		st.Done++
		if met.After(due) {
			st.Late++
		}
		k := [2]string{window, step}
		delays[k] = append(delays[k], max(0, s.cal.WorkingDaysBetween(start, met)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The window's steps in the order a file meets them.
	order := map[string]int{"receipt": 0, "dispatch": 1}
	out := make([]StepBottleneck, 0, len(byKey))
	for k, st := range byKey {
		st.Median, st.P90 = percentiles(delays[k])
		out = append(out, *st)
	}
	slices.SortFunc(out, func(x, y StepBottleneck) int {
		return cmp.Or(cmp.Compare(x.Window, y.Window), cmp.Compare(order[x.Step], order[y.Step]), cmp.Compare(x.Step, y.Step))
	})
	return out, nil
}

// BottleneckRiskSQL lists the open files the window or the committee
// holds whose current step's deadline or overall deadline, running, ends
// by $1, the earliest first: the file, its running step's and
// overall deadlines, and how many such files there are in all. The
// window filter comes in {window}; the limit follows.
const BottleneckRiskSQL = `SELECT f.id, COALESCE(f.number, f.ref), f.kind, COALESCE(f.window_code, ''), f.holder, f.step,
	MIN(CASE WHEN d.step <> 'overall' THEN d.due_at END), MIN(CASE WHEN d.step = 'overall' THEN d.due_at END), COUNT(*) OVER ()
	FROM permit_deadlines d JOIN permit_files f ON f.id = d.file_id
	WHERE d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at <= $1
	AND (d.step = f.step OR d.step = 'overall') AND f.holder IN ('window', 'committee'){window}
	GROUP BY f.id, f.number, f.ref, f.kind, f.window_code, f.holder, f.step
	ORDER BY MIN(d.due_at), f.id`

// BottleneckPendingSQL lists, for the files whose ids follow (held by
// the committee), the seats whose opinion the members' step ({steps})
// still awaits: none given since it started, or since the body sat.
const BottleneckPendingSQL = `SELECT s.file_id, COALESCE(s.organisation_code, ''), s.body
	FROM permit_committee_seats s JOIN permit_files f ON f.id = s.file_id
	LEFT JOIN permit_deadlines d ON d.file_id = f.id AND d.step = f.step AND d.met_at IS NULL
	WHERE f.step IN ({steps})
	AND NOT EXISTS (SELECT 1 FROM permit_opinions o WHERE o.file_id = s.file_id AND o.body = s.body
		AND o.given_at >= COALESCE(d.starts_at, s.selected_at))
	AND s.file_id IN `

func (s *Service) riskFiles(ctx context.Context, b *Bottlenecks) error {
	filter, args := inWindow(b.Window, 2, []any{b.Horizon})
	q := strings.Replace(BottleneckRiskSQL, "{window}", filter, 1) + fmt.Sprintf(" LIMIT %d", MaxRiskRows)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("permit: files at risk: %w", err)
	}
	total := 0
	for rows.Next() {
		var r RiskFile
		var stepDue, overallDue aggTime
		if err := rows.Scan(&r.ID, &r.Display, &r.Kind, &r.Window, &r.Holder, &r.Step, &stepDue, &overallDue, &total); err != nil {
			rows.Close()
			return fmt.Errorf("permit: files at risk: %w", err)
		}
		r.StepDue, r.OverallDue = nullTime(sql.NullTime(stepDue)), nullTime(sql.NullTime(overallDue))
		switch {
		case r.StepDue != nil && (r.OverallDue == nil || !r.OverallDue.Before(*r.StepDue)):
			r.Due = *r.StepDue
		case r.OverallDue != nil:
			r.Due, r.Overall = *r.OverallDue, true
		}
		b.Risks = append(b.Risks, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	b.More = max(0, total-len(b.Risks))
	steps, ids := s.memberSteps(1, nil)
	var ph []string
	at := map[int64]int{}
	first := len(ids)
	for i, r := range b.Risks {
		if r.Holder == HolderCommittee {
			ids = append(ids, r.ID)
			ph = append(ph, fmt.Sprintf("$%d", len(ids)))
			at[r.ID] = i
		}
	}
	if len(ids) == first {
		return nil
	}
	rows, err = s.db.QueryContext(ctx, strings.Replace(BottleneckPendingSQL, "{steps}", steps, 1)+`(`+strings.Join(ph, ", ")+`) ORDER BY s.file_id, s.id`, ids...)
	if err != nil {
		return fmt.Errorf("permit: files at risk: %w", err)
	}
	var pending []struct {
		file int64
		h    SeatHolder
	}
	for rows.Next() {
		var id int64
		var h SeatHolder
		if err := rows.Scan(&id, &h.Organisation, &h.Body); err != nil {
			rows.Close()
			return fmt.Errorf("permit: files at risk: %w", err)
		}
		pending = append(pending, struct {
			file int64
			h    SeatHolder
		}{id, h})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	names := map[string]i18n.Text{}
	for _, p := range pending {
		h := p.h
		if n, ok := names[h.key()]; ok {
			h.Name = n
		} else {
			if h.Organisation != "" {
				org, err := s.organisation(ctx, s.db, h.Organisation)
				if err != nil {
					return err
				}
				h.Name = org.Name
			} else {
				t, _ := s.cat.Body(h.Body)
				h.Name = t.Name
			}
			names[h.key()] = h.Name
		}
		i := at[p.file]
		if !slices.ContainsFunc(b.Risks[i].Pending, func(o SeatHolder) bool { return o.key() == h.key() }) {
			b.Risks[i].Pending = append(b.Risks[i].Pending, h)
		}
	}
	return nil
}

// percentiles are the median and the 90th percentile (nearest rank) of
// ds; nil when there are none.
func percentiles(ds []int) (median, p90 *float64) {
	if len(ds) == 0 {
		return nil, nil
	}
	slices.Sort(ds)
	n := len(ds)
	m := float64(ds[n/2])
	if n%2 == 0 {
		m = float64(ds[n/2-1]+ds[n/2]) / 2
	}
	p := float64(ds[int(math.Ceil(0.9*float64(n)))-1])
	return &m, &p
}

// aggTime scans a time computed by the database (MIN, MAX): PostgreSQL
// gives a time, SQLite the text it stores times as (docs: "Data").
type aggTime sql.NullTime

// sqliteTimeLayout is the layout of the times SQLite stores (package db).
const sqliteTimeLayout = "2006-01-02 15:04:05.000000-07:00"

func (t *aggTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = aggTime{}
	case time.Time:
		*t = aggTime{Time: v.UTC(), Valid: true}
	case string, []byte:
		p, err := time.Parse(sqliteTimeLayout, fmt.Sprint(string(asBytes(v))))
		if err != nil {
			return fmt.Errorf("permit: a time from the database: %w", err)
		}
		*t = aggTime{Time: p.UTC(), Valid: true}
	default:
		return fmt.Errorf("permit: a time from the database: %T", src)
	}
	return nil
}

func asBytes(v any) []byte {
	if s, ok := v.(string); ok {
		return []byte(s)
	}
	return v.([]byte)
}
