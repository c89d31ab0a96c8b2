package permit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// Queue tabs: what a window agent works through.
const (
	TabUrgent   = "urgent"   // everything the window holds, the most overdue first
	TabNew      = "new"      // new deposits to check
	TabAccepted = "accepted" // complete files to dispatch to the committee
	TabReview   = "review"   // economic files awaiting the officer's decision
	TabToday    = "today"    // today's appointments at the counter, by hour
)

// Tabs lists the queue's tabs in order.
var Tabs = []string{TabUrgent, TabToday, TabNew, TabAccepted, TabReview}

var tabState = map[string]State{TabNew: Submitted, TabAccepted: Accepted, TabReview: UnderReview}

// QueuePageSize is how many files a queue page shows.
const QueuePageSize = 50

// QueueRow is a file in a window's queue.
type QueueRow struct {
	ID          int64
	Display     string
	Kind        string
	State       State
	OwnerAR     string
	OwnerLatin  string
	DueAt       *time.Time
	SubmittedAt *time.Time
	Appointment *time.Time
	// Conflict: the agent looking is involved in the file, so the policy
	// refuses them its window work; a colleague handles it.
	Conflict bool
}

// Overdue reports whether the row's deadline has passed at now.
func (r QueueRow) Overdue(now time.Time) bool { return r.DueAt != nil && r.DueAt.Before(now) }

// Owner is the owner's name in language lang.
func (r QueueRow) Owner(lang string) string {
	if lang == "ar" && r.OwnerAR != "" || r.OwnerLatin == "" {
		return r.OwnerAR
	}
	return r.OwnerLatin
}

// Queue is one page of a window's queue.
type Queue struct {
	Window  district.Window
	Tab     string
	Rows    []QueueRow
	Counts  map[string]int // by tab
	Overdue int
	Page    int
	Pages   int
	Now     time.Time
}

// AgentWindows lists the windows an actor works at.
func AgentWindows(a authz.Actor) []string {
	var out []string
	for _, g := range a.Grants {
		if g.Role == authz.WindowAgent && g.Window != "" {
			out = append(out, g.Window)
		}
	}
	return out
}

// Queue returns a page of the files window holds, the most urgent first,
// to its agents and to administrators (authz.ReadQueue).
func (s *Service) Queue(ctx context.Context, a authz.Actor, window, tab string, page int) (*Queue, error) {
	if err := authz.Check(a, authz.ReadQueue, authz.Resource{Window: window}); err != nil {
		return nil, err
	}
	w, err := s.window(ctx, window)
	if err != nil {
		return nil, errs.E(errs.NotFound, "").Cause(err)
	}
	if tab == "" {
		tab = TabUrgent
	}
	if _, ok := tabState[tab]; !ok && tab != TabUrgent && tab != TabToday {
		return nil, errs.E(errs.Invalid, "permit.error.tab").OnField("tab")
	}
	page = max(page, 1)
	now := s.now()
	q := &Queue{Window: w, Tab: tab, Page: page, Counts: map[string]int{}, Now: now}
	rows, err := s.db.QueryContext(ctx, QueueCountsSQL, w.Code, now)
	if err != nil {
		return nil, fmt.Errorf("permit: queue counts: %w", err)
	}
	for rows.Next() {
		var st State
		var n, late int
		if err := rows.Scan(&st, &n, &late); err != nil {
			rows.Close()
			return nil, err
		}
		q.Counts[TabUrgent] += n
		q.Overdue += late
		for t, s := range tabState {
			if s == st {
				q.Counts[t] = n
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	from, to := dayBounds(now)
	var today int
	if err := s.db.QueryRowContext(ctx, TodayCountSQL, w.Code, from, to).Scan(&today); err != nil {
		return nil, fmt.Errorf("permit: today's appointments: %w", err)
	}
	q.Counts[TabToday] = today
	q.Pages = max(1, (q.Counts[tab]+QueuePageSize-1)/QueuePageSize)
	if tab == TabToday {
		q.Rows, err = s.scanQueue(ctx, TodayRowsSQL(page), w.Code, from, to)
	} else {
		q.Rows, err = s.queueRows(ctx, w.Code, tabState[tab], page)
	}
	if err != nil {
		return nil, err
	}
	return q, s.markConflicts(ctx, a, w.Code, q.Rows)
}

// markConflicts asks the policy, for each row of window's queue, whether
// a may do its window work, and marks the rows a is involved in.
func (s *Service) markConflicts(ctx context.Context, a authz.Actor, window string, rows []QueueRow) error {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	inv, err := involvement(ctx, s.db, ids...)
	if err != nil {
		return err
	}
	for i, r := range rows {
		d := authz.Decide(a, authz.ReviewFile, authz.Resource{Window: window, Involved: inv[r.ID]})
		rows[i].Conflict = !d.Allow && d.Reason == authz.ReasonConflict
	}
	return nil
}

// QueueCountsSQL counts a window's files by state ($1 the window) and
// those overdue at $2: the queue's tabs.
const QueueCountsSQL = `SELECT state, COUNT(*), COALESCE(SUM(CASE WHEN due_at < $2 THEN 1 ELSE 0 END), 0)
	FROM permit_files WHERE window_code = $1 AND holder = 'window' GROUP BY state`

// dayBounds is the day of now in Casablanca, as [from, to).
func dayBounds(now time.Time) (from, to time.Time) {
	l := now.In(i18n.Casablanca)
	from = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, i18n.Casablanca)
	return from.UTC(), from.AddDate(0, 0, 1).UTC()
}

// TodayCountSQL counts the appointments booked at a window ($1) between
// $2 and $3: the "today at the counter" tab (index
// permit_appointments_window).
const TodayCountSQL = `SELECT COUNT(*) FROM permit_appointments
	WHERE window_code = $1 AND status = 'booked' AND starts_at >= $2 AND starts_at < $3`

// TodayRowsSQL is one page of the files with an appointment at a window
// ($1) between $2 and $3, by hour.
func TodayRowsSQL(page int) string {
	return queueSelect + `
		WHERE ap.window_code = $1 AND ap.starts_at >= $2 AND ap.starts_at < $3
		ORDER BY ap.starts_at, f.id LIMIT ` + fmt.Sprint(QueuePageSize) + ` OFFSET ` + fmt.Sprint((max(page, 1)-1)*QueuePageSize)
}

// QueueRowsSQL is the query of one page of a window's queue ($1 the
// window; $2 the state, for a tab with one), the most urgent first.
func QueueRowsSQL(byState bool, page int) string {
	filter := ""
	if byState {
		filter = ` AND f.state = $2`
	}
	return queueSelect + `
		WHERE f.window_code = $1 AND f.holder = 'window'` + filter + `
		ORDER BY f.due_at NULLS LAST, f.id LIMIT ` + fmt.Sprint(QueuePageSize) + ` OFFSET ` + fmt.Sprint((max(page, 1)-1)*QueuePageSize)
}

// queueSelect is the start of the queries listing a window's files.
// It joins identity's tables (persons, legal_persons) for the owners'
// names: one query for a page of fifty rows rather than a People call per
// row. A join across capabilities kept for speed, named in
// docs/ARCHITECTURE.md; identity owns those tables and their columns.
const queueSelect = `SELECT f.id, COALESCE(f.number, f.ref), f.kind, f.state, f.due_at, f.submitted_at, ap.starts_at,
	COALESCE(TRIM(p.given_name_ar || ' ' || p.family_name_ar), l.name_ar, ''),
	COALESCE(TRIM(p.given_name_latin || ' ' || p.family_name_latin), l.name, '')
	FROM permit_files f
	LEFT JOIN persons p ON p.id = f.owner_person_id
	LEFT JOIN legal_persons l ON l.id = f.owner_legal_id
	LEFT JOIN permit_appointments ap ON ap.file_id = f.id AND ap.status = 'booked'`

// FindLimit bounds how many of a window's files a look-up by name reads
// (the newest first) to fold and compare their owners' names.
const FindLimit = 20000

// Find looks up a window's files, whatever their state, by their number or
// reference as typed (any part of it; lower case and Arabic-Indic digits
// are fine), by the owner's CIN, or by part of the owner's name in Arabic
// or Latin letters (compared folded: hamzas, vowel marks, accents and
// case do not matter), the newest first, one page at most.
func (s *Service) Find(ctx context.Context, a authz.Actor, window, q string) ([]QueueRow, error) {
	if err := authz.Check(a, authz.ReadQueue, authz.Resource{Window: window}); err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if q == "" || utf8.RuneCountInString(q) > 64 {
		return nil, nil
	}
	num := strings.ToUpper(textnorm.Digits(q))
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(num) + "%"
	rows, err := s.scanQueue(ctx, queueSelect+` WHERE f.window_code = $1 AND f.state <> 'draft'
		AND (COALESCE(f.number, '') LIKE $2 ESCAPE '\' OR f.ref LIKE $2 ESCAPE '\' OR p.cin = $3)
		ORDER BY f.id DESC LIMIT `+fmt.Sprint(QueuePageSize), window, like, strings.ReplaceAll(num, " ", ""))
	if err != nil {
		return nil, err
	}
	if folded := textnorm.Fold(q); utf8.RuneCountInString(folded) >= 2 && len(rows) < QueuePageSize {
		seen := map[int64]bool{}
		for _, r := range rows {
			seen[r.ID] = true
		}
		// The owners' names are compared folded, in Go: read the newest
		// files one at a time and stop at a page of matches.
		more, err := s.scanQueueWhere(ctx, func(r QueueRow) bool {
			return !seen[r.ID] && (strings.Contains(textnorm.Fold(r.OwnerAR), folded) || strings.Contains(textnorm.Fold(r.OwnerLatin), folded))
		}, QueuePageSize-len(rows), queueSelect+` WHERE f.window_code = $1 AND f.state <> 'draft'
			ORDER BY f.id DESC LIMIT `+fmt.Sprint(FindLimit), window)
		if err != nil {
			return nil, err
		}
		rows = append(rows, more...)
	}
	return rows, s.markConflicts(ctx, a, window, rows)
}

// queueRows reads one page of a window's queue (of state st, or all).
func (s *Service) queueRows(ctx context.Context, window string, st State, page int) ([]QueueRow, error) {
	args := []any{window}
	if st != "" {
		args = append(args, string(st))
	}
	return s.scanQueue(ctx, QueueRowsSQL(st != "", page), args...)
}

func (s *Service) scanQueue(ctx context.Context, query string, args ...any) ([]QueueRow, error) {
	return s.scanQueueWhere(ctx, nil, 0, query, args...)
}

// scanQueueWhere reads the rows of query that keep accepts (all when keep
// is nil), stopping after max of them (no bound when max is 0).
func (s *Service) scanQueueWhere(ctx context.Context, keep func(QueueRow) bool, max int, query string, args ...any) ([]QueueRow, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: queue: %w", err)
	}
	defer rows.Close()
	var out []QueueRow
	for rows.Next() {
		var r QueueRow
		var due, sub, ap sql.NullTime
		if err := rows.Scan(&r.ID, &r.Display, &r.Kind, &r.State, &due, &sub, &ap, &r.OwnerAR, &r.OwnerLatin); err != nil {
			return nil, fmt.Errorf("permit: queue: %w", err)
		}
		r.DueAt, r.SubmittedAt, r.Appointment = nullTime(due), nullTime(sub), nullTime(ap)
		if keep != nil && !keep(r) {
			continue
		}
		if out = append(out, r); max > 0 && len(out) == max {
			break
		}
	}
	return out, rows.Err()
}

// mine is the condition on permit_files f (with its arguments, from $1)
// that selects the files an applicant may see: their own, those of the
// legal persons they represent, and those they hold a mandate for.
func mine(a authz.Actor) (string, []any) {
	persons := []any{a.Person}
	var legals []any
	for _, id := range a.Represents {
		legals = append(legals, id)
	}
	for _, m := range a.Mandates {
		if m.OwnerPerson != 0 {
			persons = append(persons, m.OwnerPerson)
		}
		if m.OwnerLegal != 0 {
			legals = append(legals, m.OwnerLegal)
		}
	}
	args := []any{a.Person}
	in := func(ids []any) string {
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		return strings.Join(ph, ", ")
	}
	where := `f.created_by = $1 OR f.owner_person_id IN (` + in(persons) + `)`
	if len(legals) > 0 {
		where += ` OR f.owner_legal_id IN (` + in(legals) + `)`
	}
	return "(" + where + ")", args
}

// Mine lists the files an applicant may see: their own, those of the legal
// persons they represent, and those they hold a mandate for, the most
// recently changed first.
func (s *Service) Mine(ctx context.Context, a authz.Actor) ([]*File, error) {
	// Reading one's own files: a token needs its scope for that too.
	own := authz.Resource{OwnerPerson: a.Person}
	if a.ActingFor != 0 {
		own = authz.Resource{OwnerLegal: a.ActingFor}
	}
	if err := authz.Check(a, authz.ReadFile, own); err != nil {
		return nil, err
	}
	where, args := mine(a)
	rows, err := s.db.QueryContext(ctx, `SELECT `+fileColumns+` FROM permit_files f WHERE `+where+`
		ORDER BY f.updated_at DESC, f.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: my files: %w", err)
	}
	defer rows.Close()
	var out []*File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("permit: my files: %w", err)
		}
		k, err := s.kindOf(ctx, s.db, f)
		if err != nil {
			continue
		}
		if authz.Decide(a, authz.ReadFile, f.Resource(k)).Allow {
			out = append(out, f)
		}
	}
	return out, rows.Err()
}
