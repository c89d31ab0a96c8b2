package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/agenda"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
)

// Committee sessions and their agendas (issue #12, point 3;
// docs/arch/sessions.md). Each committee type of the catalogue sits on a
// weekly calendar; a committee instance is that type sitting for one
// window (the files record both: File.Committee, File.Window). Madina
// generates the instances' sessions for the coming weeks, never on a
// public holiday (the permit clock's calendar), puts the files waiting
// for their study on them with the planner (internal/platform/agenda),
// stores each placement with the planner's reason, re-plans when a file
// arrives or leaves, and freezes each agenda N working days before its
// session (the sweep), or earlier when the window's secretariat does.

// SessionCalendar is a committee's weekly calendar, from the catalogue.
type SessionCalendar = catalogue.SessionCalendar

// SessionWeeks is how far ahead sessions are generated.
const SessionWeeks = 8

// Session is a sitting of a committee instance with its agenda.
type Session struct {
	ID                 int64
	Code               string // the instance: "<committee>@<window>"
	Committee, Window  string
	Start, End         time.Time
	FreezesAt          time.Time
	Capacity           int // minutes
	FrozenAt           *time.Time
	FrozenBy           int64 // 0: the sweep (or not frozen)
	Used               int   // minutes of the files on it
	Items              []AgendaItem
	CatalogueCommittee Committee // the committee type, from the catalogue
	Seats              []string  // organisations sitting on the instance
	files              []*File   // loaded for the policy
}

// Frozen reports whether the session's agenda is frozen.
func (s *Session) Frozen() bool { return s.FrozenAt != nil }

// AgendaItem is a file on a session's agenda (or, in a plan's report,
// one left off), in the order studied, with the planner's reason.
type AgendaItem struct {
	FileID   int64
	Display  string
	Kind     string
	Minutes  int
	At       time.Time // when its study starts, in the session
	Deadline time.Time
	Late     bool
	Reason   agenda.Reason
}

// instanceCode names a committee instance.
func instanceCode(committee, window string) string { return committee + "@" + window }

// committeeType is the catalogue's committee code, with its session
// calendar; ok false when no urban kind has it or it has no calendar.
func (s *Service) committeeType(code string) (Committee, bool) {
	for _, k := range s.cat.Kinds {
		if k.Family != Urban {
			continue
		}
		for _, h := range k.Handling {
			if h.Committee.Code == code && h.Committee.Sessions != nil {
				return h.Committee, true
			}
		}
	}
	return Committee{}, false
}

// instance is a committee type sitting for a window.
type instance struct {
	Code, Committee, Window string
}

// instances are the committee instances of the city: for each window, the
// committees of the urban kinds handled there.
func (s *Service) instances(ctx context.Context) ([]instance, error) {
	ws, err := s.places.Windows(ctx)
	if err != nil {
		return nil, err
	}
	var out []instance
	for _, w := range ws {
		for _, k := range s.cat.Kinds {
			if k.Family != Urban {
				continue
			}
			for _, h := range k.Handling {
				if (h.Window != "" && h.Window != w.Kind) || h.Committee.Sessions == nil {
					continue
				}
				in := instance{instanceCode(h.Committee.Code, w.Code), h.Committee.Code, w.Code}
				if !slices.Contains(out, in) {
					out = append(out, in)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// sessionDays are the days from the day after from to weeks weeks later
// on which a committee with calendar sc sits: its weekdays, never a public
// holiday. A year the holiday calendar does not cover is a gap: nothing
// is generated (errs.Invalid, permit.sessions.error.calendar_gap).
func (s *Service) sessionDays(sc *SessionCalendar, from time.Time, weeks int) ([]calendar.Date, error) {
	first := calendar.DateOf(from).AddDays(1)
	last := first.AddDays(weeks*7 - 1)
	for y := first.Year; y <= last.Year; y++ {
		if !s.cal.Covers(y) {
			return nil, errs.E(errs.Invalid, "permit.sessions.error.calendar_gap").With("year", y)
		}
	}
	var out []calendar.Date
	for d := first; !d.After(last); d = d.AddDays(1) {
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7 // ISO: Sunday is 7
		}
		if slices.Contains(sc.Weekdays, wd) && !s.cal.IsHoliday(d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// GenerateSessions creates the sessions of every committee instance for
// the weeks weeks after today from the catalogue's calendars; it returns
// how many it created. Running it again creates nothing new, and two
// nodes running it at once create each session once (the database's
// unique index, and ON CONFLICT DO NOTHING). A holiday calendar with a
// gap in the weeks asked writes nothing.
func (s *Service) GenerateSessions(ctx context.Context, weeks int) (int, error) {
	if weeks <= 0 || weeks > 52 {
		return 0, errs.E(errs.Invalid, "permit.sessions.error.weeks").With("max", 52)
	}
	ins, err := s.instances(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	type planned struct {
		in    instance
		start time.Time
		end   time.Time
		cap   int
		frz   time.Time
	}
	var all []planned
	for _, in := range ins {
		cm, _ := s.committeeType(in.Committee)
		sc := cm.Sessions
		a, b, _ := sc.Hours()
		days, err := s.sessionDays(sc, now, weeks)
		if err != nil {
			return 0, err
		}
		for _, d := range days {
			start := d.At(a/60, a%60).UTC()
			frz := s.cal.AddWorkingDays(start, -sc.FreezeWorkingDays).UTC().Truncate(time.Microsecond)
			if frz.After(start) {
				frz = start
			}
			all = append(all, planned{in, start, d.At(b/60, b%60).UTC(), sc.Capacity, frz})
		}
	}
	created := 0
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		created = 0
		for _, in := range ins {
			if _, err := tx.ExecContext(ctx, `INSERT INTO permit_session_committees (code, committee, window_code)
				VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, in.Code, in.Committee, in.Window); err != nil {
				return fmt.Errorf("permit: committee %s: %w", in.Code, err)
			}
		}
		for _, p := range all {
			res, err := tx.ExecContext(ctx, `INSERT INTO permit_sessions (committee_code, starts_at, ends_at, capacity, freezes_at, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (committee_code, starts_at) DO NOTHING`,
				p.in.Code, p.start, p.end, p.cap, p.frz, now)
			if err != nil {
				return fmt.Errorf("permit: session %s %s: %w", p.in.Code, p.start, err)
			}
			n, _ := res.RowsAffected()
			created += int(n)
		}
		return nil
	})
	return created, err
}

const sessionColumns = `s.id, s.committee_code, c.committee, c.window_code, s.starts_at, s.ends_at, s.freezes_at, s.capacity,
	s.frozen_at, COALESCE(s.frozen_by, 0)`

func scanSession(row interface{ Scan(...any) error }) (*Session, error) {
	var ss Session
	var frozen sql.NullTime
	if err := row.Scan(&ss.ID, &ss.Code, &ss.Committee, &ss.Window, &ss.Start, &ss.End, &ss.FreezesAt, &ss.Capacity,
		&frozen, &ss.FrozenBy); err != nil {
		return nil, err
	}
	ss.Start, ss.End, ss.FreezesAt = ss.Start.UTC(), ss.End.UTC(), ss.FreezesAt.UTC()
	ss.FrozenAt = nullTime(frozen)
	return &ss, nil
}

func sessionsWhere(ctx context.Context, q db.Querier, where string, args ...any) ([]*Session, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+sessionColumns+` FROM permit_sessions s
		JOIN permit_session_committees c ON c.code = s.committee_code WHERE `+where+` ORDER BY s.starts_at, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: sessions: %w", err)
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("permit: sessions: %w", err)
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// placement is a row of permit_agenda.
type placement struct {
	FileID, Session int64
	Minutes         int
	Reason          agenda.Reason
	Late            bool
	Deadline        time.Time
}

func placements(ctx context.Context, q db.Querier, where string, args ...any) ([]placement, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.file_id, COALESCE(a.session_id, 0), a.minutes, a.reason, COALESCE(a.reason_session, 0),
		COALESCE(a.reason_file, 0), a.reason_body, a.reason_count, a.late, a.deadline FROM permit_agenda a WHERE `+where+`
		ORDER BY a.deadline, a.file_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: agenda: %w", err)
	}
	defer rows.Close()
	var out []placement
	for rows.Next() {
		var p placement
		var code string
		if err := rows.Scan(&p.FileID, &p.Session, &p.Minutes, &code, &p.Reason.Session, &p.Reason.File, &p.Reason.Body,
			&p.Reason.Count, &p.Late, &p.Deadline); err != nil {
			return nil, fmt.Errorf("permit: agenda: %w", err)
		}
		p.Reason.Code = agenda.Code(code)
		p.Deadline = p.Deadline.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

func insertPlacement(ctx context.Context, tx *db.Tx, code string, p placement, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO permit_agenda (file_id, committee_code, session_id, minutes, reason,
		reason_session, reason_file, reason_body, reason_count, late, deadline, planned_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, p.FileID, code, nullID(p.Session), p.Minutes,
		string(p.Reason.Code), nullID(p.Reason.Session), nullID(p.Reason.File), p.Reason.Body, p.Reason.Count, p.Late,
		p.Deadline, now); err != nil {
		return fmt.Errorf("permit: agenda of file %d: %w", p.FileID, err)
	}
	return nil
}

// PlanReport is what a plan did.
type PlanReport struct {
	Committee string
	Placed    int // on time, including files already on frozen agendas
	Late      int
	Unplaced  int
	Moved     []int64 // files whose session changed (new ones included)
}

// waiting is a file waiting for its committee's study.
type waiting struct {
	ID       int64
	Kind     string
	Deadline time.Time
}

// waitingFiles are the dispatched files of instance in whose committee
// study (or, after the works, inspection visit) is open.
func waitingFiles(ctx context.Context, q db.Querier, in instance) ([]waiting, error) {
	// Plain columns, no aggregate: SQLite types an aggregate's result by
	// its value, and a time would come back as text.
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.kind, d.due_at, f.due_at FROM permit_files f
		LEFT JOIN permit_deadlines d ON d.file_id = f.id AND d.step = f.step AND d.met_at IS NULL
		WHERE f.state = 'accepted' AND f.holder = 'committee' AND f.step IN ('study', 'inspection') AND f.committee = $1 AND f.window_code = $2
		ORDER BY f.id`, in.Committee, in.Window)
	if err != nil {
		return nil, fmt.Errorf("permit: waiting files: %w", err)
	}
	defer rows.Close()
	var out []waiting
	for rows.Next() {
		var w waiting
		var study, due sql.NullTime
		if err := rows.Scan(&w.ID, &w.Kind, &study, &due); err != nil {
			return nil, fmt.Errorf("permit: waiting files: %w", err)
		}
		switch {
		case study.Valid:
			w.Deadline = study.Time.UTC()
		case due.Valid:
			w.Deadline = due.Time.UTC()
		}
		if n := len(out); n > 0 && out[n-1].ID == w.ID {
			if !w.Deadline.IsZero() && (out[n-1].Deadline.IsZero() || w.Deadline.Before(out[n-1].Deadline)) {
				out[n-1].Deadline = w.Deadline
			}
			continue
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// replan plans instance code again in tx: the files on frozen agendas stay
// where they are; every other waiting file is placed by the planner on the
// open sessions to come; files that left the committee leave the open
// agendas. Each file whose session changed is recorded on its timeline
// and, unless quiet, its applicants and the members sitting on it are
// told.
func (s *Service) replan(ctx context.Context, tx *db.Tx, a authz.Actor, in instance, now time.Time, quiet bool) (*PlanReport, error) {
	if err := tx.LockRow(ctx, "permit_session_committees", "code", in.Code); err != nil {
		return nil, err
	}
	cm, ok := s.committeeType(in.Committee)
	if !ok {
		return nil, errs.E(errs.NotFound, "permit.sessions.error.no_committee")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO permit_session_committees (code, committee, window_code)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, in.Code, in.Committee, in.Window); err != nil {
		return nil, fmt.Errorf("permit: committee %s: %w", in.Code, err)
	}
	sessions, err := sessionsWhere(ctx, tx, `s.committee_code = $1 AND s.starts_at > $2`, in.Code, now)
	if err != nil {
		return nil, err
	}
	old, err := placements(ctx, tx, `a.committee_code = $1`, in.Code)
	if err != nil {
		return nil, err
	}
	frozenIDs := map[int64]bool{}
	var horizon time.Time
	var as []agenda.Session
	for _, ss := range sessions {
		as = append(as, agenda.Session{ID: ss.ID, Committee: in.Code, Start: ss.Start, Capacity: ss.Capacity, Frozen: ss.Frozen()})
		if ss.Frozen() {
			frozenIDs[ss.ID] = true
		}
		horizon = ss.Start
	}
	wait, err := waitingFiles(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	oldOf := map[int64]placement{}
	for _, p := range old {
		oldOf[p.FileID] = p
	}
	// A frozen agenda, even one past, keeps its files: they are not
	// waiting any more.
	onFrozen := map[int64]bool{}
	for _, p := range old {
		if p.Session != 0 {
			var frozen sql.NullTime
			if err := tx.QueryRowContext(ctx, `SELECT frozen_at FROM permit_sessions WHERE id = $1`, p.Session).Scan(&frozen); err != nil {
				return nil, fmt.Errorf("permit: session %d: %w", p.Session, err)
			}
			onFrozen[p.FileID] = frozen.Valid
		}
	}
	var files []agenda.File
	for _, w := range wait {
		p, had := oldOf[w.ID]
		if had && onFrozen[w.ID] {
			if frozenIDs[p.Session] { // a frozen session to come: fixed there
				ready := now
				if p.Deadline.Before(ready) {
					ready = p.Deadline
				}
				files = append(files, agenda.File{ID: w.ID, Committee: in.Code, Minutes: p.Minutes, Ready: ready,
					Deadline: p.Deadline, Fixed: p.Session})
			}
			continue
		}
		deadline := w.Deadline
		if deadline.IsZero() {
			deadline = now.AddDate(1, 0, 0)
		}
		ready := now
		if deadline.Before(ready) {
			ready = deadline
		}
		files = append(files, agenda.File{ID: w.ID, Committee: in.Code, Minutes: cm.Sessions.MinutesFor(w.Kind), Ready: ready, Deadline: deadline})
	}
	// Who is away on each session's day (planner_absences.go).
	if err := s.readAbsences(ctx, tx, files, as); err != nil {
		return nil, err
	}
	res, err := agenda.Plan(files, as, agenda.Options{Committees: []string{in.Code}, Horizon: horizon})
	if err != nil {
		return nil, fmt.Errorf("permit: plan %s: %w", in.Code, err)
	}
	// Replace the open placements: delete those not on a frozen agenda,
	// then insert the plan's (the capacity trigger sees no stale row).
	for _, p := range old {
		if !onFrozen[p.FileID] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM permit_agenda WHERE file_id = $1`, p.FileID); err != nil {
				return nil, fmt.Errorf("permit: agenda of file %d: %w", p.FileID, err)
			}
		}
	}
	rep := &PlanReport{Committee: in.Code}
	minutes := map[int64]agenda.File{}
	for _, f := range files {
		minutes[f.ID] = f
	}
	for _, o := range res.Files {
		f := minutes[o.FileID]
		switch {
		case o.SessionID == 0:
			rep.Unplaced++
		case o.Late:
			rep.Late++
		default:
			rep.Placed++
		}
		if f.Fixed != 0 {
			continue
		}
		np := placement{FileID: o.FileID, Session: o.SessionID, Minutes: f.Minutes, Reason: o.Reason, Late: o.Late, Deadline: f.Deadline}
		if err := insertPlacement(ctx, tx, in.Code, np, now); err != nil {
			return nil, err
		}
		if prev, had := oldOf[o.FileID]; o.SessionID != 0 && (!had || prev.Session != o.SessionID) {
			rep.Moved = append(rep.Moved, o.FileID)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE permit_session_committees SET planned_at = $1 WHERE code = $2`, now, in.Code); err != nil {
		return nil, fmt.Errorf("permit: committee %s: %w", in.Code, err)
	}
	startOf := map[int64]time.Time{}
	for _, ss := range sessions {
		startOf[ss.ID] = ss.Start
	}
	for _, id := range rep.Moved {
		o, _ := res.Outcome(id)
		if err := s.agendaMoved(ctx, tx, a, id, o.SessionID, startOf[o.SessionID], o.Reason, now, quiet); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// instanceOf is the committee instance a session belongs to.
func (ss *Session) instance() instance { return instance{ss.Code, ss.Committee, ss.Window} }

// PlanAgendas plans the agendas of the committees of window (or of every
// committee, for the system), as the window's secretariat asks it.
func (s *Service) PlanAgendas(ctx context.Context, a authz.Actor, window string) ([]PlanReport, error) {
	if err := authz.Check(a, authz.ManageAgenda, authz.Resource{Window: window}); err != nil {
		return nil, err
	}
	return s.planWhere(ctx, a, func(in instance) bool { return in.Window == window })
}

// PlanAll plans every committee's agenda (the sweep).
func (s *Service) PlanAll(ctx context.Context) ([]PlanReport, error) {
	return s.planWhere(ctx, authz.Actor{}, func(instance) bool { return true })
}

func (s *Service) planWhere(ctx context.Context, a authz.Actor, keep func(instance) bool) ([]PlanReport, error) {
	ins, err := s.instances(ctx)
	if err != nil {
		return nil, err
	}
	var out []PlanReport
	for _, in := range ins {
		if !keep(in) {
			continue
		}
		var rep *PlanReport
		err := s.db.Transact(ctx, func(tx *db.Tx) error {
			var err error
			rep, err = s.replan(ctx, tx, a, in, s.now(), s.silent(ctx))
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, *rep)
	}
	return out, nil
}

// fileInstance is the committee instance studying a file.
func fileInstance(f *File) instance {
	return instance{instanceCode(f.Committee, f.Window), f.Committee, f.Window}
}

// sessionSeats are the organisations sitting on a committee instance:
// those seated on its files, and those holding its permanent bodies'
// seats for the window.
func (s *Service) sessionSeats(ctx context.Context, q db.Querier, in instance) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT s.organisation_code FROM permit_committee_seats s
		JOIN permit_files f ON f.id = s.file_id WHERE f.committee = $1 AND f.window_code = $2 AND s.organisation_code IS NOT NULL`,
		in.Committee, in.Window)
	if err != nil {
		return nil, fmt.Errorf("permit: committee seats: %w", err)
	}
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cm, ok := s.committeeType(in.Committee)
	if ok && s.people.Staff != nil {
		w, err := s.window(ctx, in.Window)
		if err == nil {
			for _, m := range cm.Members {
				org, err := s.seatHolder(ctx, q, m.Code, w.Arrondissement)
				if err == nil && org.Code != "" && !slices.Contains(out, org.Code) {
					out = append(out, org.Code)
				}
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// loadSession reads session id with its agenda, and the files on it.
func (s *Service) loadSession(ctx context.Context, q db.Querier, id int64) (*Session, error) {
	ss, err := sessionsWhere(ctx, q, `s.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, errs.E(errs.NotFound, "permit.sessions.error.not_found")
	}
	sess := ss[0]
	sess.CatalogueCommittee, _ = s.committeeType(sess.Committee)
	ps, err := placements(ctx, q, `a.session_id = $1`, id)
	if err != nil {
		return nil, err
	}
	at := sess.Start
	for _, p := range ps {
		f, err := file(ctx, q, "id", p.FileID)
		if err != nil {
			return nil, err
		}
		sess.files = append(sess.files, f)
		sess.Items = append(sess.Items, AgendaItem{FileID: p.FileID, Display: f.Display(), Kind: f.Kind, Minutes: p.Minutes,
			At: at, Deadline: p.Deadline, Late: p.Late, Reason: p.Reason})
		at = at.Add(time.Duration(p.Minutes) * time.Minute)
		sess.Used += p.Minutes
	}
	if sess.Seats, err = s.sessionSeats(ctx, q, sess.instance()); err != nil {
		return nil, err
	}
	return sess, nil
}

// resource is a session as the policy sees it: its window, the
// organisations sitting on its committee, and everyone involved in the
// files on its agenda (nobody freezes an agenda holding their own case).
func (ss *Session) resource() authz.Resource {
	r := authz.Resource{Window: ss.Window, Seats: ss.Seats}
	for _, f := range ss.files {
		fr := f.Resource(nil)
		r.Involved = r.Involved.AddPersons(fr.OwnerPerson).AddLegals(fr.OwnerLegal).
			AddPersons(fr.Involved.Persons...).AddLegals(fr.Involved.Legals...)
	}
	return r
}

// GetSession is session id with its agenda, for a committee member
// sitting on its committee or an agent of its window.
func (s *Service) GetSession(ctx context.Context, a authz.Actor, id int64) (*Session, error) {
	ss, err := s.loadSession(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReadSession, ss.resource()); err != nil {
		return nil, err
	}
	return ss, nil
}

// MaxSessionRows bounds the sessions listed to a member.
const MaxSessionRows = 30

// MySessions are the next sessions (at most MaxSessionRows) with their
// agendas: of a's windows (as an agent or their president), every one; of the committees a's organisations
// sit on, those with files on their agenda (a member of an organisation
// sitting on every committee of the city would otherwise see dozens of
// empty sittings a week).
func (s *Service) MySessions(ctx context.Context, a authz.Actor) ([]*Session, error) {
	ins, err := s.instances(ctx)
	if err != nil {
		return nil, err
	}
	args := []any{s.now()}
	var windows, seated []string
	for _, in := range ins {
		if in.Window != "" && (slices.Contains(AgentWindows(a), in.Window) || a.Presides(in.Window)) &&
			authz.Decide(a, authz.ReadSession, authz.Resource{Window: in.Window}).Allow {
			args = append(args, in.Code)
			windows = append(windows, "$"+strconv.Itoa(len(args)))
			continue
		}
		seats, err := s.sessionSeats(ctx, s.db, in)
		if err != nil {
			return nil, err
		}
		if authz.Decide(a, authz.ReadSession, authz.Resource{Window: in.Window, Seats: seats}).Allow {
			args = append(args, in.Code)
			seated = append(seated, "$"+strconv.Itoa(len(args)))
		}
	}
	var where []string
	if len(windows) > 0 {
		where = append(where, `s.committee_code IN (`+strings.Join(windows, ", ")+`)`)
	}
	if len(seated) > 0 {
		where = append(where, `(s.committee_code IN (`+strings.Join(seated, ", ")+`)
			AND EXISTS (SELECT 1 FROM permit_agenda a WHERE a.session_id = s.id))`)
	}
	if len(where) == 0 {
		return nil, nil
	}
	list, err := sessionsWhere(ctx, s.db, `s.ends_at > $1 AND (`+strings.Join(where, " OR ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	if len(list) > MaxSessionRows {
		list = list[:MaxSessionRows]
	}
	out := make([]*Session, 0, len(list))
	for _, ss := range list {
		full, err := s.loadSession(ctx, s.db, ss.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// FreezeSession freezes session id's agenda, by an agent of its window
// (the secretariat): the agenda keeps its files from then on. Refused
// for a session already frozen (whoever froze it first wins), one that
// has started, or an agenda over the session's capacity; audited; the
// members sitting on the files and their applicants get the agenda.
func (s *Service) FreezeSession(ctx context.Context, a authz.Actor, id int64) (*Session, error) {
	var out *Session
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		ss, err := s.freeze(ctx, tx, a, id, s.now(), s.silent(ctx))
		out = ss
		return err
	})
	return out, err
}

// freeze freezes session id in tx; a is the agent, or nobody for the
// sweep.
func (s *Service) freeze(ctx context.Context, tx *db.Tx, a authz.Actor, id int64, now time.Time, quiet bool) (*Session, error) {
	ss, err := s.loadSession(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !a.Anonymous() {
		if err := authz.Check(a, authz.ManageAgenda, ss.resource()); err != nil {
			return nil, err
		}
	}
	if err := tx.LockRow(ctx, "permit_session_committees", "code", ss.Code); err != nil {
		return nil, err
	}
	// Read again under the lock: another agent may have frozen it.
	if ss, err = s.loadSession(ctx, tx, id); err != nil {
		return nil, err
	}
	if ss.Frozen() {
		return nil, errs.E(errs.Conflict, "permit.sessions.error.frozen")
	}
	if !ss.Start.After(now) {
		return nil, errs.E(errs.Invalid, "permit.sessions.error.past")
	}
	if ss.Used > ss.Capacity {
		return nil, errs.E(errs.Conflict, "permit.sessions.error.over_capacity").With("used", ss.Used).With("capacity", ss.Capacity)
	}
	res, err := tx.ExecContext(ctx, `UPDATE permit_sessions SET frozen_at = $1, frozen_by = $2 WHERE id = $3 AND frozen_at IS NULL`,
		now, nullID(a.Person), id)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.E(errs.Conflict, "permit.sessions.error.frozen")
	}
	ss.FrozenAt, ss.FrozenBy = &now, a.Person
	label := "system"
	if !a.Anonymous() {
		label = authz.ActorLabel(a, ss.resource())
	}
	var files []int64
	for _, it := range ss.Items {
		files = append(files, it.FileID)
	}
	if _, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "permit.session_frozen", ObjectType: "permit_session",
		ObjectID: strconv.FormatInt(id, 10), Change: map[string]any{"committee": ss.Code, "start": ss.Start, "files": files,
			"used": ss.Used, "capacity": ss.Capacity}, At: now}); err != nil {
		return nil, err
	}
	for _, f := range ss.files {
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		if err := s.record(ctx, tx, a, k, f, "agenda_frozen", "", "", map[string]any{"session": id, "start": ss.Start}, true, now); err != nil {
			return nil, err
		}
	}
	if !quiet {
		if err := s.tellFrozen(ctx, tx, ss); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

// FreezeDue freezes the agendas whose freeze time has come (the sweep),
// each after a last plan of its committee; it returns how many. Several
// nodes may run it: each session is frozen once.
func (s *Service) FreezeDue(ctx context.Context) (int, error) {
	now := s.now()
	due, err := sessionsWhere(ctx, s.db, `s.frozen_at IS NULL AND s.freezes_at <= $1 AND s.starts_at > $1`, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ss := range due {
		err := s.db.Transact(ctx, func(tx *db.Tx) error {
			if _, err := s.replan(ctx, tx, authz.Actor{}, ss.instance(), now, s.silent(ctx)); err != nil {
				return err
			}
			_, err := s.freeze(ctx, tx, authz.Actor{}, ss.ID, now, s.silent(ctx))
			return err
		})
		switch {
		case err == nil:
			n++
		case errs.Is(err, errs.Conflict):
			s.log.Warn("permit sessions: not frozen", "session", ss.ID, "err", err.Error())
		default:
			return n, err
		}
	}
	return n, nil
}

// ReplanOnChange is the subscriber (TopicFileChanged) that re-plans a
// committee's agendas when one of its files changes: a dispatch brings a
// file, any other change of a file on an agenda may take it away. Only
// open agendas change; silent events (loading data) tell nobody.
func (s *Service) ReplanOnChange(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p FileChanged
	if err := ev.Decode(&p); err != nil {
		return err
	}
	if p.V != EventVersion {
		return nil
	}
	return s.replanFile(ctx, tx, p.File, p.Change, p.Silent)
}

// SweepSessions is one pass of the sessions' worker: generate the weeks
// to come, freeze the agendas whose time has come.
func (s *Service) SweepSessions(ctx context.Context) error {
	if _, err := s.GenerateSessions(ctx, SessionWeeks); err != nil {
		return err
	}
	_, err := s.FreezeDue(ctx)
	return err
}

func (s *Service) replanFile(ctx context.Context, tx *db.Tx, fileID int64, change string, quiet bool) error {
	var committee, window string
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(committee, ''), COALESCE(window_code, '') FROM permit_files WHERE id = $1`,
		fileID).Scan(&committee, &window)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var listed int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_agenda WHERE file_id = $1`, fileID).Scan(&listed); err != nil {
		return err
	}
	// A dispatch brings a file, a revision brings it back for its next
	// round; any other change matters only to a file on an agenda.
	if committee == "" || window == "" || (change != TDispatch && change != TRevise && listed == 0) {
		return nil
	}
	if _, ok := s.committeeType(committee); !ok {
		return nil
	}
	_, err = s.replan(ctx, tx, authz.Actor{}, instance{instanceCode(committee, window), committee, window}, s.now(), quiet)
	return err
}
