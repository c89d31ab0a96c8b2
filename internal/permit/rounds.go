package permit

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// A dispatched urban file is studied in rounds (issue #12, points 4–6).
// Dispatch opens round 1. The round closes once every body sitting on
// the file has given its opinion, or when the study step's deadline
// passes and the catalogue counts silence as agreement (the clock
// records each silence): the committee's decision rule (catalogue
// DecisionRule) concludes it — grant, refuse or remarks — and the file
// goes back to the window, whose secretariat takes the minutes step:
//
//   - remarks: the secretariat consolidates the remarks from the
//     opinions and sends them (TRemarks); the applicant answers each one,
//     uploads new plans and sends the file back (TRevise), which opens
//     the next round — the same bodies give a new opinion on the new
//     version; the clock is paused meanwhile;
//   - grant or refuse: the secretariat forwards the conclusion to the
//     president of the window (TForward), who decides as the rule
//     concluded (TGrant, TReject: decide.go): nobody overrides a binding
//     opinion.
//
// Every step is an event of the file and in the audit chain.

// The transitions of the rounds.
const (
	TRemarks = "remarks" // accepted (window, minutes, round concluded with remarks) → accepted, with the applicant
	TRevise  = "revise"  // accepted (applicant, remarks answered) → accepted, the committee's next round
	TForward = "forward" // accepted (window, minutes, granted or refused) → accepted, the president decides
)

// Steps of the committee's work (the catalogue's schedule names study,
// minutes and decision; remarks is the applicant's time, off the clock).
const (
	StepStudy    = "study"
	StepMinutes  = "minutes"
	StepRemarks  = catalogue.StepRemarks
	StepDecision = "decision"
)

// Round is a round of the committee's study of a file.
type Round struct {
	N        int
	OpenedAt time.Time
	ClosedAt *time.Time
	Outcome  string // catalogue.OutcomeGrant, OutcomeRefuse, OutcomeRemarks once closed
}

// Open reports whether the round is still being studied.
func (r Round) Open() bool { return r.ClosedAt == nil }

// rounds lists file fileID's rounds, first first.
func rounds(ctx context.Context, q db.Querier, fileID int64) ([]Round, error) {
	rows, err := q.QueryContext(ctx, `SELECT round, opened_at, closed_at, COALESCE(outcome, '') FROM permit_rounds
		WHERE file_id = $1 ORDER BY round`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: rounds: %w", err)
	}
	defer rows.Close()
	var out []Round
	for rows.Next() {
		var r Round
		var closed sql.NullTime
		if err := rows.Scan(&r.N, &r.OpenedAt, &closed, &r.Outcome); err != nil {
			return nil, fmt.Errorf("permit: rounds: %w", err)
		}
		r.OpenedAt = r.OpenedAt.UTC()
		if closed.Valid {
			t := closed.Time.UTC()
			r.ClosedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// lastRound is file fileID's latest round; ok false before dispatch.
func lastRound(ctx context.Context, q db.Querier, fileID int64) (Round, bool, error) {
	rs, err := rounds(ctx, q, fileID)
	if err != nil || len(rs) == 0 {
		return Round{}, false, err
	}
	return rs[len(rs)-1], true, nil
}

// openRound opens round n of f's study: its study step starts.
func (s *Service) openRound(ctx context.Context, tx *db.Tx, k *Kind, f *File, n int, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO permit_rounds (file_id, round, opened_at) VALUES ($1, $2, $3)`,
		f.ID, n, now); err != nil {
		return fmt.Errorf("permit: open round %d of file %d: %w", n, f.ID, err)
	}
	sched, ok := s.schedule(k, f)
	if !ok {
		return fmt.Errorf("permit: file %d: no schedule %q", f.ID, f.Schedule)
	}
	f.Holder, f.Step = HolderCommittee, studyStep(sched)
	return s.startStep(ctx, tx, k, f, f.Step, now)
}

// studyStep is the members' step of a schedule: the study of a project,
// the inspection after the works.
func studyStep(sc Schedule) string {
	for _, st := range sc.Steps {
		if st.Actor.Code == "members" {
			return st.Code
		}
	}
	return StepStudy
}

// startStep starts the deadline of step in f's schedule, if it has one.
func (s *Service) startStep(ctx context.Context, tx *db.Tx, k *Kind, f *File, step string, now time.Time) error {
	sched, ok := s.schedule(k, f)
	if !ok {
		return fmt.Errorf("permit: file %d: no schedule %q", f.ID, f.Schedule)
	}
	for _, st := range sched.Steps {
		if st.Code == step && st.Deadline != nil {
			return s.startDeadline(ctx, tx, f, st.Code, st.Actor.Code, *st.Deadline, now)
		}
	}
	return nil
}

// spoken lists what each body said in round n of file fileID: its
// opinion, or its silence.
func spoken(ctx context.Context, q db.Querier, fileID int64, n int) (map[string]catalogue.Opinion, error) {
	out := map[string]catalogue.Opinion{}
	rows, err := q.QueryContext(ctx, `SELECT body, verdict, 0 FROM permit_opinions WHERE file_id = $1 AND round = $2
		UNION ALL SELECT body, '', 1 FROM permit_silences WHERE file_id = $1 AND round = $2`, fileID, n)
	if err != nil {
		return nil, fmt.Errorf("permit: opinions of round %d: %w", n, err)
	}
	defer rows.Close()
	for rows.Next() {
		var o catalogue.Opinion
		var silent int
		if err := rows.Scan(&o.Body, &o.Verdict, &silent); err != nil {
			return nil, fmt.Errorf("permit: opinions of round %d: %w", n, err)
		}
		o.Silent = silent == 1
		out[o.Body] = o
	}
	return out, rows.Err()
}

// conclude closes f's open round once every body sitting on it has
// spoken: the committee's rule gives the outcome, the study step is met
// and the window's secretariat takes the minutes. It returns the
// conclusion, nil while a body has not spoken. The caller holds the
// file's row and saves f.
func (s *Service) conclude(ctx context.Context, tx *db.Tx, k *Kind, f *File, now time.Time) (*catalogue.Conclusion, error) {
	r, ok, err := lastRound(ctx, tx, f.ID)
	if err != nil || !ok || !r.Open() {
		return nil, err
	}
	seats, err := fileSeats(ctx, tx, f.ID)
	if err != nil {
		return nil, err
	}
	said, err := spoken(ctx, tx, f.ID, r.N)
	if err != nil {
		return nil, err
	}
	ops := make([]catalogue.Opinion, 0, len(seats))
	for _, st := range seats {
		o, ok := said[st.Body]
		if !ok {
			return nil, nil // a body has not spoken yet
		}
		ops = append(ops, o)
	}
	cm, ok := committeeOf(k, f)
	if !ok {
		return nil, fmt.Errorf("permit: file %d: no committee %q in its kind", f.ID, f.Committee)
	}
	c := cm.Decision.Conclude(r.N, ops)
	res, err := tx.ExecContext(ctx, `UPDATE permit_rounds SET closed_at = $1, outcome = $2
		WHERE file_id = $3 AND round = $4 AND closed_at IS NULL`, now, c.Outcome, f.ID, r.N)
	if err != nil {
		return nil, fmt.Errorf("permit: close round %d of file %d: %w", r.N, f.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errs.E(errs.Conflict, "permit.error.stale")
	}
	if err := closeDeadlines(ctx, tx, f.ID, "met", now, f.Step); err != nil {
		return nil, err
	}
	f.Holder, f.Step = HolderWindow, StepMinutes
	if err := s.startStep(ctx, tx, k, f, StepMinutes, now); err != nil {
		return nil, err
	}
	return &c, s.refreshDue(ctx, tx, f)
}

// concluded records a round's conclusion on the file's history, and
// publishes it.
func (s *Service) concluded(ctx context.Context, tx *db.Tx, k *Kind, f *File, n int, c *catalogue.Conclusion, now time.Time) error {
	grounds := make([]map[string]string, len(c.Grounds))
	for i, g := range c.Grounds {
		grounds[i] = map[string]string{"body": g.Body, "verdict": g.Verdict, "rule": g.Rule}
	}
	if err := s.record(ctx, tx, authz.Actor{}, k, f, "concluded", "", "", map[string]any{"round": n, "outcome": c.Outcome,
		"grounds": grounds, "silences": c.Silences}, false, now); err != nil {
		return err
	}
	// The file leaves the members' study: its agenda is planned again.
	return s.fileChanged(ctx, tx, f, "concluded", "", "", nil)
}

// conclusionOf is the latest closed round's conclusion on file f with the
// opinions it rests on, for the secretariat, the president and the
// decision; ok false while no round is closed.
func (s *Service) conclusionOf(ctx context.Context, q db.Querier, k *Kind, f *File) (Round, catalogue.Conclusion, bool, error) {
	rs, err := rounds(ctx, q, f.ID)
	if err != nil {
		return Round{}, catalogue.Conclusion{}, false, err
	}
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Open() {
			continue
		}
		seats, err := fileSeats(ctx, q, f.ID)
		if err != nil {
			return Round{}, catalogue.Conclusion{}, false, err
		}
		said, err := spoken(ctx, q, f.ID, rs[i].N)
		if err != nil {
			return Round{}, catalogue.Conclusion{}, false, err
		}
		var ops []catalogue.Opinion
		for _, st := range seats {
			if o, ok := said[st.Body]; ok {
				ops = append(ops, o)
			}
		}
		cm, _ := committeeOf(k, f)
		// The rule as the file's catalogue states it gives again what it
		// gave when the round closed; the stored outcome stays the word.
		c := cm.Decision.Conclude(rs[i].N, ops)
		c.Outcome = rs[i].Outcome
		return rs[i], c, true, nil
	}
	return Round{}, catalogue.Conclusion{}, false, nil
}

// applySilence records the silence of every body that has not given its
// opinion in f's open round when the study deadline passed with silence
// as agreement, then concludes the round. The clock calls it with the
// file's row held.
func (s *Service) applySilence(ctx context.Context, tx *db.Tx, k *Kind, f *File, now time.Time) ([]string, *catalogue.Conclusion, error) {
	r, ok, err := lastRound(ctx, tx, f.ID)
	if err != nil || !ok || !r.Open() {
		return nil, nil, err
	}
	seats, err := fileSeats(ctx, tx, f.ID)
	if err != nil {
		return nil, nil, err
	}
	said, err := spoken(ctx, tx, f.ID, r.N)
	if err != nil {
		return nil, nil, err
	}
	var silent []string
	for _, st := range seats {
		if _, ok := said[st.Body]; ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_silences (file_id, round, body, applied_at) VALUES ($1, $2, $3, $4)`,
			f.ID, r.N, st.Body, now); err != nil {
			return nil, nil, fmt.Errorf("permit: silence of %s on file %d: %w", st.Body, f.ID, err)
		}
		silent = append(silent, st.Body)
	}
	c, err := s.conclude(ctx, tx, k, f, now)
	return silent, c, err
}

// Remark is a remark sent to the applicant after a round, and their
// answer.
type Remark struct {
	ID         int64
	Round      int
	Position   int
	Body       Term
	Text       string
	SentAt     time.Time
	Answer     string
	AnsweredAt *time.Time
}

// RemarkDraft is a remark the secretariat sends: from the opinion of
// Body, in its words or the secretariat's.
type RemarkDraft struct {
	Body string
	Text string
}

// MaxRemark bounds a remark and an answer, in characters.
const MaxRemark = 4000

// remarks lists file fileID's remarks, by round and position.
func remarks(ctx context.Context, q db.Querier, fileID int64) ([]Remark, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, round, position, body, text, sent_at, COALESCE(answer, ''), answered_at
		FROM permit_remarks WHERE file_id = $1 ORDER BY round, position`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: remarks: %w", err)
	}
	defer rows.Close()
	var out []Remark
	for rows.Next() {
		var r Remark
		var answered sql.NullTime
		if err := rows.Scan(&r.ID, &r.Round, &r.Position, &r.Body.Code, &r.Text, &r.SentAt, &r.Answer, &answered); err != nil {
			return nil, fmt.Errorf("permit: remarks: %w", err)
		}
		r.SentAt = r.SentAt.UTC()
		if answered.Valid {
			t := answered.Time.UTC()
			r.AnsweredAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Remarks are file id's remarks and answers, for whoever reads the file.
func (s *Service) Remarks(ctx context.Context, a authz.Actor, id int64) ([]Remark, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	rs, err := remarks(ctx, s.db, f.ID)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		rs[i].Body = s.bodyTerm(ctx, f, rs[i].Body.Code)
	}
	return rs, nil
}

// Rounds are file id's rounds, for whoever reads the file.
func (s *Service) Rounds(ctx context.Context, a authz.Actor, id int64) ([]Round, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	return rounds(ctx, s.db, f.ID)
}

// RemarkDrafts are the remarks the secretariat starts from once a round
// concluded with remarks: one per opinion the conclusion rests on, in
// that opinion's words.
func (s *Service) RemarkDrafts(ctx context.Context, a authz.Actor, id int64) (*File, []RemarkDraft, error) {
	f, k, err := s.mayMinute(ctx, s.db, a, id, TRemarks)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.conclusionView(ctx, s.db, k, f)
	if err != nil || c == nil {
		return nil, nil, err
	}
	var out []RemarkDraft
	for _, g := range c.Grounds {
		out = append(out, RemarkDraft{Body: g.Body.Code, Text: g.Reasons})
	}
	return f, out, nil
}

// mayMinute checks that a (the window's secretariat) may take transition
// name (TRemarks or TForward) on file id now: the file is at the minutes
// step, its last round concluded as the transition needs.
func (s *Service) mayMinute(ctx context.Context, q db.Querier, a authz.Actor, id int64, name string) (*File, *Kind, error) {
	t, _ := transitionNamed(name)
	f, k, err := s.load(ctx, q, a, t.Action, id)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.guard(a, t, f, k, 0); err != nil {
		return nil, nil, err
	}
	if ok, err := outcomeFits(ctx, q, f, name); err != nil || !ok {
		if err == nil {
			err = errs.E(errs.Conflict, "permit.rounds.error.outcome").With("number", f.Display())
		}
		return nil, nil, err
	}
	return f, k, nil
}

// SendRemarks sends the applicant the remarks of the round just
// concluded with remarks, consolidated by the window's secretariat:
// each from the opinion of a body that sits on the file, at least one.
// The file goes to its applicant, its clock paused, until they answer.
func (s *Service) SendRemarks(ctx context.Context, a authz.Actor, id int64, version int, drafts []RemarkDraft) (*File, error) {
	var clean []RemarkDraft
	for _, d := range drafts {
		d.Text = strings.TrimSpace(d.Text)
		if d.Text == "" {
			continue
		}
		if utf8.RuneCountInString(d.Text) > MaxRemark {
			return nil, errs.E(errs.Invalid, "permit.error.too_long").With("max", MaxRemark).OnField("remarks")
		}
		clean = append(clean, d)
	}
	if len(clean) == 0 {
		return nil, errs.E(errs.Invalid, "permit.rounds.error.no_remark").OnField("remarks")
	}
	if _, _, err := s.mayMinute(ctx, s.db, a, id, TRemarks); err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, version, TRemarks, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		if _, _, err := s.mayMinute(ctx, tx, a, id, TRemarks); err != nil {
			return nil, err
		}
		r, _, err := lastRound(ctx, tx, f.ID)
		if err != nil {
			return nil, err
		}
		seats, err := fileSeats(ctx, tx, f.ID)
		if err != nil {
			return nil, err
		}
		for i, d := range clean {
			if !slices.ContainsFunc(seats, func(st storedSeat) bool { return st.Body == d.Body }) {
				return nil, errs.E(errs.Invalid, "permit.dispatch.error.body").OnField("remarks")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO permit_remarks (file_id, round, position, body, text, sent_by, sent_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.ID, r.N, i+1, d.Body, d.Text, a.Person, now); err != nil {
				return nil, fmt.Errorf("permit: remark on file %d: %w", f.ID, err)
			}
		}
		if err := closeDeadlines(ctx, tx, f.ID, "met", now, StepMinutes); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET paused_at = $1 WHERE file_id = $2
			AND met_at IS NULL AND paused_at IS NULL`, now, f.ID); err != nil {
			return nil, fmt.Errorf("permit: pause: %w", err)
		}
		f.Holder, f.Step, f.DueAt = HolderApplicant, StepRemarks, nil
		return map[string]any{"round": r.N, "remarks": len(clean)}, nil
	})
}

// AnswerRemarks records the applicant's answers to the remarks of the
// last round, by remark ID; an empty answer leaves a remark unanswered.
// They may be rewritten until the file goes back to the committee.
func (s *Service) AnswerRemarks(ctx context.Context, a authz.Actor, id int64, answers map[int64]string) error {
	for rid, ans := range answers {
		ans = strings.TrimSpace(ans)
		if utf8.RuneCountInString(ans) > MaxRemark {
			return errs.E(errs.Invalid, "permit.error.too_long").With("max", MaxRemark).OnField(fmt.Sprintf("answer-%d", rid))
		}
		answers[rid] = ans
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		f, k, err := s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		if f.State != Accepted || f.Holder != HolderApplicant || f.Step != StepRemarks {
			return errs.E(errs.Conflict, "permit.rounds.error.not_remarks").With("number", f.Display())
		}
		r, _, err := lastRound(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		now := s.now()
		n := 0
		for rid, ans := range answers {
			var q string
			var args []any
			if ans == "" {
				q, args = `UPDATE permit_remarks SET answer = NULL, answered_by = NULL, answered_at = NULL
					WHERE id = $1 AND file_id = $2 AND round = $3`, []any{rid, f.ID, r.N}
			} else {
				q, args = `UPDATE permit_remarks SET answer = $4, answered_by = $5, answered_at = $6
					WHERE id = $1 AND file_id = $2 AND round = $3`, []any{rid, f.ID, r.N, ans, a.Person, now}
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("permit: answer remark %d: %w", rid, err)
			}
			if c, _ := res.RowsAffected(); c != 1 {
				return errs.E(errs.Invalid, "permit.rounds.error.remark").OnField(fmt.Sprintf("answer-%d", rid))
			}
			n++
		}
		return s.record(ctx, tx, a, k, f, "answered", "", "", map[string]any{"round": r.N, "answers": n}, false, now)
	})
}

// Revise sends the file back to its committee once every remark of the
// last round is answered: the clock resumes, pushed back by the time the
// applicant had it, and the next round opens with the same bodies.
func (s *Service) Revise(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	return s.transition(ctx, a, id, version, TRevise, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		r, _, err := lastRound(ctx, tx, f.ID)
		if err != nil {
			return nil, err
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_remarks WHERE file_id = $1 AND round = $2
			AND answer IS NULL`, f.ID, r.N).Scan(&open); err != nil {
			return nil, fmt.Errorf("permit: remarks: %w", err)
		}
		if open > 0 {
			return nil, errs.E(errs.Invalid, "permit.rounds.error.unanswered").With("count", open).OnField("answers")
		}
		if err := s.resume(ctx, tx, f.ID, now); err != nil {
			return nil, err
		}
		if err := s.openRound(ctx, tx, k, f, r.N+1, now); err != nil {
			return nil, err
		}
		return map[string]any{"round": r.N + 1}, s.refreshDue(ctx, tx, f)
	})
}

// Forward hands the president of the file's window the conclusion of a
// round that granted or refused: the minutes step is met, the decision
// is theirs.
func (s *Service) Forward(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	if _, _, err := s.mayMinute(ctx, s.db, a, id, TForward); err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, version, TForward, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		if _, _, err := s.mayMinute(ctx, tx, a, id, TForward); err != nil {
			return nil, err
		}
		r, _, err := lastRound(ctx, tx, f.ID)
		if err != nil {
			return nil, err
		}
		if err := closeDeadlines(ctx, tx, f.ID, "met", now, StepMinutes); err != nil {
			return nil, err
		}
		f.Holder, f.Step = HolderCommittee, StepDecision
		return map[string]any{"round": r.N, "outcome": r.Outcome}, s.refreshDue(ctx, tx, f)
	})
}

// outcomeFits reports whether the last round of f concluded as
// transition name needs (TRemarks: remarks; TForward: grant or refuse;
// TGrant: grant; TReject: refuse); true for any other transition.
func outcomeFits(ctx context.Context, q db.Querier, f *File, name string) (bool, error) {
	switch name {
	case TRemarks, TForward, TGrant, TReject:
	default:
		return true, nil
	}
	r, ok, err := lastRound(ctx, q, f.ID)
	if err != nil || !ok || r.Open() {
		return false, err
	}
	switch name {
	case TRemarks:
		return r.Outcome == catalogue.OutcomeRemarks, nil
	case TForward:
		return r.Outcome != catalogue.OutcomeRemarks, nil
	case TGrant:
		return r.Outcome == catalogue.OutcomeGrant, nil
	}
	return r.Outcome == catalogue.OutcomeRefuse, nil
}
