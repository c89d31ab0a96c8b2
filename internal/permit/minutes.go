package permit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// The minutes of a committee session (issue #12, point 6; migration
// 0028). Once a session sat, the window's secretariat records who was
// present — committee members of the organisations sitting on it — and
// draws the minutes in one action: a PDF in Arabic and French listing the
// members present and absent, each file on the agenda with its round, the
// opinions given and its outcome (the committee's conclusion, or adjourned
// when its round had not concluded: the file leaves the session's agenda
// and the planner puts it on a later one). Each member present signs the
// minutes with their own key, then the president of the window: every
// signature is an incremental PAdES revision of the same document, so
// the last revision carries them all (pdfsig lists them). Only a member
// recorded present signs, and the president only after every one of them;
// the database refuses anything else too.

// Outcome of a file the minutes record besides the round's conclusions.
const OutcomeAdjourned = "adjourned"

// Minutes roles.
const (
	MinutesMember    = "member"
	MinutesPresident = "president"
)

// Minutes are a session's minutes.
type Minutes struct {
	SessionID  int64
	DraftedBy  int64
	DraftedAt  time.Time
	Source     string // SHA-256 of the unsigned PDF
	SHA256     string // of the current revision
	Size       int64
	SignedAt   *time.Time // the president signed: complete
	Present    []Attendee
	Items      []MinutesItem
	Signatures []MinutesSignature
}

// Attendee is a member recorded present, with their organisation.
type Attendee struct {
	Person       people.Person
	Organisation people.Organisation
	SignedAt     *time.Time
}

// MinutesItem is a file the minutes record.
type MinutesItem struct {
	FileID  int64
	Display string
	Kind    string
	Round   int
	Outcome string // catalogue.OutcomeGrant, OutcomeRefuse, OutcomeRemarks, or OutcomeAdjourned
}

// MinutesSignature is a signature of the minutes.
type MinutesSignature struct {
	Person   int64
	Role     string
	Signer   string // the certificate's name
	Serial   string
	SignedAt time.Time
}

// Signed reports whether person signed the minutes.
func (m *Minutes) Signed(person int64) bool {
	return slices.ContainsFunc(m.Signatures, func(s MinutesSignature) bool { return s.Person == person })
}

// Attended reports whether person was recorded present.
func (m *Minutes) Attended(person int64) bool {
	return slices.ContainsFunc(m.Present, func(a Attendee) bool { return a.Person.ID == person })
}

// Waiting are the members present who have not signed yet.
func (m *Minutes) Waiting() []Attendee {
	var out []Attendee
	for _, a := range m.Present {
		if a.SignedAt == nil {
			out = append(out, a)
		}
	}
	return out
}

// minutesOf reads session id's minutes; nil when none were drawn.
func (s *Service) minutesOf(ctx context.Context, q db.Querier, id int64) (*Minutes, error) {
	m := &Minutes{SessionID: id}
	var signed sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT drafted_by, drafted_at, source_sha256, sha256, size, signed_at FROM permit_minutes
		WHERE session_id = $1`, id).Scan(&m.DraftedBy, &m.DraftedAt, &m.Source, &m.SHA256, &m.Size, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("permit: minutes of session %d: %w", id, err)
	}
	m.DraftedAt = m.DraftedAt.UTC()
	m.SignedAt = nullTime(signed)
	rows, err := q.QueryContext(ctx, `SELECT person_id, role, signer, serial, signed_at FROM permit_minutes_signatures
		WHERE session_id = $1 ORDER BY signed_at, person_id`, id)
	if err != nil {
		return nil, fmt.Errorf("permit: minutes signatures: %w", err)
	}
	for rows.Next() {
		var sg MinutesSignature
		if err := rows.Scan(&sg.Person, &sg.Role, &sg.Signer, &sg.Serial, &sg.SignedAt); err != nil {
			rows.Close()
			return nil, err
		}
		sg.SignedAt = sg.SignedAt.UTC()
		m.Signatures = append(m.Signatures, sg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type att struct {
		person int64
		org    string
	}
	var as []att
	rows, err = q.QueryContext(ctx, `SELECT person_id, organisation_code FROM permit_minutes_attendance WHERE session_id = $1
		ORDER BY organisation_code, person_id`, id)
	if err != nil {
		return nil, fmt.Errorf("permit: attendance: %w", err)
	}
	for rows.Next() {
		var a att
		if err := rows.Scan(&a.person, &a.org); err != nil {
			rows.Close()
			return nil, err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, a := range as {
		p, err := s.people.Person(ctx, q, a.person)
		if err != nil {
			return nil, err
		}
		org, err := s.organisation(ctx, q, a.org)
		if err != nil {
			return nil, err
		}
		at := Attendee{Person: p, Organisation: org}
		for _, sg := range m.Signatures {
			if sg.Person == a.person {
				t := sg.SignedAt
				at.SignedAt = &t
			}
		}
		m.Present = append(m.Present, at)
	}
	rows, err = q.QueryContext(ctx, `SELECT i.file_id, i.round, i.outcome FROM permit_minutes_items i WHERE i.session_id = $1
		ORDER BY i.position`, id)
	if err != nil {
		return nil, fmt.Errorf("permit: minutes items: %w", err)
	}
	for rows.Next() {
		var it MinutesItem
		if err := rows.Scan(&it.FileID, &it.Round, &it.Outcome); err != nil {
			rows.Close()
			return nil, err
		}
		m.Items = append(m.Items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, it := range m.Items {
		f, err := file(ctx, q, "id", it.FileID)
		if err != nil {
			return nil, err
		}
		m.Items[i].Display, m.Items[i].Kind = f.Display(), f.Kind
	}
	return m, nil
}

// SessionMinutes is session id's minutes for a reader of the session;
// nil when none were drawn yet.
func (s *Service) SessionMinutes(ctx context.Context, a authz.Actor, id int64) (*Session, *Minutes, error) {
	ss, err := s.GetSession(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.minutesOf(ctx, s.db, id)
	return ss, m, err
}

// RosterSeat is an organisation sitting on a session with its committee
// members: whom the secretariat may record present.
type RosterSeat struct {
	Organisation people.Organisation
	Members      []people.Person
}

// roster is who may sit on session ss: the members of each organisation
// sitting on the files on its agenda (the committee's permanent bodies,
// and those the files' attributes call), in the order of the seats.
func (s *Service) roster(ctx context.Context, q db.Querier, ss *Session) ([]RosterSeat, error) {
	var orgs []string
	for _, f := range ss.files {
		for _, code := range f.Seats {
			if !slices.Contains(orgs, code) {
				orgs = append(orgs, code)
			}
		}
	}
	var out []RosterSeat
	for _, code := range orgs {
		org, err := s.organisation(ctx, q, code)
		if err != nil {
			return nil, err
		}
		out = append(out, RosterSeat{Organisation: org, Members: org.Members})
	}
	return out, nil
}

// MayDraftMinutes returns session id with the roster of its seats when a
// may draw its minutes now (DraftMinutes' checks without drawing).
func (s *Service) MayDraftMinutes(ctx context.Context, a authz.Actor, id int64) (*Session, []RosterSeat, error) {
	ss, err := s.mayDraftMinutes(ctx, s.db, a, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.roster(ctx, s.db, ss)
	return ss, r, err
}

func (s *Service) mayDraftMinutes(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*Session, error) {
	ss, err := s.loadSession(ctx, q, id)
	if err != nil {
		return nil, err
	}
	m, err := s.minutesOf(ctx, q, id)
	if err != nil {
		return nil, err
	}
	return ss, s.draftable(a, ss, m)
}

// draftable says whether a may draw up the minutes of session ss, whose
// minutes are m (nil before), now.
func (s *Service) draftable(a authz.Actor, ss *Session, m *Minutes) error {
	if err := authz.Check(a, authz.ManageAgenda, ss.resource()); err != nil {
		return err
	}
	switch {
	case m != nil:
		return errs.E(errs.Conflict, "permit.minutes.error.drafted")
	case ss.End.After(s.now()):
		return errs.E(errs.Conflict, "permit.minutes.error.not_sat")
	case !ss.Frozen():
		return errs.E(errs.Conflict, "permit.minutes.error.not_frozen")
	case len(ss.Items) == 0:
		return errs.E(errs.Conflict, "permit.minutes.error.empty")
	}
	return nil
}

// DraftRoster is the roster of session ss for its minutes m (nil before)
// when a may draw them up now: the session's page has both already.
func (s *Service) DraftRoster(ctx context.Context, a authz.Actor, ss *Session, m *Minutes) ([]RosterSeat, error) {
	if err := s.draftable(a, ss, m); err != nil {
		return nil, err
	}
	return s.roster(ctx, s.db, ss)
}

// DraftMinutes records who was present at session id (present: person
// ids, each a committee member of an organisation sitting on it) and
// draws its minutes, by an agent of its window, once the session sat:
// one transaction records the attendance, the files with their outcome,
// the PDF, adjourns the files whose round had not concluded (they go on
// a later session), audits it and asks each member present to sign.
// Two agents at once: one draws them, the other is told they exist.
func (s *Service) DraftMinutes(ctx context.Context, a authz.Actor, id int64, present []int64) (*Minutes, error) {
	first, err := s.mayDraftMinutes(ctx, s.db, a, id)
	if err != nil {
		return nil, err
	}
	if len(present) == 0 {
		return nil, errs.E(errs.Invalid, "permit.minutes.error.nobody").OnField("present")
	}
	var out *Minutes
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// The committee's row orders drafts, freezes and plans.
		if err := tx.LockRow(ctx, "permit_session_committees", "code", first.Code); err != nil {
			return err
		}
		ss, err := s.mayDraftMinutes(ctx, tx, a, id)
		if err != nil {
			return err
		}
		roster, err := s.roster(ctx, tx, ss)
		if err != nil {
			return err
		}
		orgOf := map[int64]string{}
		for _, st := range roster {
			for _, p := range st.Members {
				if _, ok := orgOf[p.ID]; !ok {
					orgOf[p.ID] = st.Organisation.Code
				}
			}
		}
		slices.Sort(present)
		present = slices.Compact(present)
		for _, p := range present {
			if _, ok := orgOf[p]; !ok {
				return errs.E(errs.Invalid, "permit.minutes.error.not_member").OnField("present")
			}
		}
		now := s.now()
		// The files and their outcome: the last round's conclusion, or
		// adjourned while it is open.
		type entry struct {
			f       *File
			k       *Kind
			round   int
			outcome string
		}
		var entries []entry
		for _, f := range ss.files {
			k, err := s.kindOf(ctx, tx, f)
			if err != nil {
				return err
			}
			r, ok, err := lastRound(ctx, tx, f.ID)
			if err != nil {
				return err
			}
			e := entry{f: f, k: k, round: 1, outcome: OutcomeAdjourned}
			if ok {
				e.round = r.N
				if !r.Open() {
					e.outcome = r.Outcome
				}
			}
			entries = append(entries, e)
		}
		// The PDF first, from what is recorded below.
		draft := minutesDraft{Session: ss, DraftedAt: now}
		for _, p := range present {
			who, err := s.people.Person(ctx, tx, p)
			if err != nil {
				return err
			}
			org, err := s.organisation(ctx, tx, orgOf[p])
			if err != nil {
				return err
			}
			draft.Present = append(draft.Present, Attendee{Person: who, Organisation: org})
		}
		for _, st := range roster {
			if !slices.ContainsFunc(draft.Present, func(at Attendee) bool { return at.Organisation.Code == st.Organisation.Code }) {
				draft.Absent = append(draft.Absent, st.Organisation)
			}
		}
		for _, e := range entries {
			it := minutesDraftItem{File: e.f, Kind: e.k, Round: e.round, Outcome: e.outcome}
			if it.Opinions, err = roundOpinions(ctx, tx, e.f.ID, e.round); err != nil {
				return err
			}
			for i := range it.Opinions {
				it.Opinions[i].Body = s.bodyTerm(ctx, e.f, it.Opinions[i].Body.Code)
			}
			if e.outcome != OutcomeAdjourned {
				if it.Conclusion, err = s.conclusionView(ctx, tx, e.k, e.f); err != nil {
					return err
				}
			}
			draft.Items = append(draft.Items, it)
		}
		if w, err := s.window(ctx, ss.Window); err == nil {
			draft.Window = &w
		}
		b, err := s.minutesPDF(draft)
		if err != nil {
			return err
		}
		bl, err := s.blobs.Put(ctx, bytes.NewReader(b), blob.PutOptions{})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_minutes (session_id, drafted_by, drafted_at, source_sha256, sha256, size)
			VALUES ($1, $2, $3, $4, $4, $5)`, id, a.Person, now, bl.SHA256, bl.Size); err != nil {
			return err
		}
		for _, p := range present {
			if _, err := tx.ExecContext(ctx, `INSERT INTO permit_minutes_attendance (session_id, person_id, organisation_code)
				VALUES ($1, $2, $3)`, id, p, orgOf[p]); err != nil {
				return err
			}
		}
		var adjourned, files []int64
		for i, e := range entries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO permit_minutes_items (session_id, file_id, position, round, outcome)
				VALUES ($1, $2, $3, $4, $5)`, id, e.f.ID, i+1, e.round, e.outcome); err != nil {
				return err
			}
			files = append(files, e.f.ID)
			if err := s.record(ctx, tx, a, e.k, e.f, "minutes", "", "", map[string]any{"session": id, "start": ss.Start,
				"outcome": e.outcome, "round": e.round}, true, now); err != nil {
				return err
			}
			if e.outcome == OutcomeAdjourned {
				adjourned = append(adjourned, e.f.ID)
				if _, err := tx.ExecContext(ctx, `DELETE FROM permit_agenda WHERE file_id = $1 AND session_id = $2`, e.f.ID, id); err != nil {
					return err
				}
			}
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, ss.resource()), Action: "permit.minutes_drafted",
			ObjectType: "permit_session", ObjectID: strconv.FormatInt(id, 10), At: now,
			Change: map[string]any{"committee": ss.Code, "start": ss.Start, "present": present, "files": files,
				"adjourned": adjourned, "sha256": bl.SHA256}}); err != nil {
			return err
		}
		// The adjourned files go on the next sessions (their applicants and
		// members are told of the new one).
		if len(adjourned) > 0 {
			if _, err := s.replan(ctx, tx, a, ss.instance(), now, s.silent(ctx)); err != nil {
				return err
			}
		}
		if out, err = s.minutesOf(ctx, tx, id); err != nil {
			return err
		}
		if s.silent(ctx) {
			return nil
		}
		return s.askToSign(ctx, tx, ss, out.Present, "permit.minutes_sign")
	})
	return out, err
}

// askToSign asks each person to sign session ss's minutes.
func (s *Service) askToSign(ctx context.Context, tx *db.Tx, ss *Session, who []Attendee, template string) error {
	url := s.cfg.BaseURL + "/committee/sessions/" + strconv.FormatInt(ss.ID, 10)
	for _, at := range who {
		p := at.Person
		l := i18n.Lang(p.Lang)
		d := map[string]any{"Name": p.DisplayName(p.Lang), "Committee": s.committeeName(ss.Committee, l),
			"Start": i18n.FormatDateTime(l, ss.Start), "URL": url}
		key := fmt.Sprintf("%s:%d:%d", template, ss.ID, p.ID)
		if err := s.notify.Send(ctx, tx, notify.Message{Template: template, Data: d, Key: key, To: reach(p),
			Channels: p.Channels()}); err != nil {
			return err
		}
	}
	return nil
}

// roundOpinions are the opinions and silences of round n of file id, in
// the order given (silences last), with the bodies' codes only.
func roundOpinions(ctx context.Context, q db.Querier, id int64, n int) ([]Opinion, error) {
	rows, err := q.QueryContext(ctx, `SELECT body, verdict, reasons, given_at FROM permit_opinions WHERE file_id = $1 AND round = $2
		ORDER BY given_at, id`, id, n)
	if err != nil {
		return nil, fmt.Errorf("permit: opinions: %w", err)
	}
	var out []Opinion
	for rows.Next() {
		o := Opinion{Round: n}
		if err := rows.Scan(&o.Body.Code, &o.Verdict, &o.Reasons, &o.GivenAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT body FROM permit_silences WHERE file_id = $1 AND round = $2 ORDER BY body`, id, n)
	if err != nil {
		return nil, fmt.Errorf("permit: silences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o := Opinion{Round: n, Verdict: verdictSilence}
		if err := rows.Scan(&o.Body.Code); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// verdictSilence marks a body's silence counted as agreement in the
// minutes.
const verdictSilence = "silence"

// MaySignMinutes returns session id, its minutes and the role a signs
// them in, when a may sign them now (SignMinutes' checks without the
// PIN).
func (s *Service) MaySignMinutes(ctx context.Context, a authz.Actor, id int64) (*Session, *Minutes, string, error) {
	return s.maySignMinutes(ctx, s.db, a, id)
}

func (s *Service) maySignMinutes(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*Session, *Minutes, string, error) {
	ss, err := s.loadSession(ctx, q, id)
	if err != nil {
		return nil, nil, "", err
	}
	m, err := s.minutesOf(ctx, q, id)
	if err != nil {
		return nil, nil, "", err
	}
	role, err := MinutesRole(a, ss, m)
	if err != nil {
		return nil, nil, "", err
	}
	return ss, m, role, nil
}

// MinutesRole is the role in which a signs session ss's minutes m now
// (MinutesMember or MinutesPresident), or why they may not.
func MinutesRole(a authz.Actor, ss *Session, m *Minutes) (string, error) {
	if err := authz.Check(a, authz.SignMinutes, ss.resource()); err != nil {
		return "", err
	}
	switch {
	case m == nil:
		return "", errs.E(errs.Conflict, "permit.minutes.error.none")
	case m.SignedAt != nil:
		return "", errs.E(errs.Conflict, "permit.minutes.error.complete")
	case m.Signed(a.Person):
		return "", errs.E(errs.Conflict, "permit.minutes.error.signed")
	case m.Attended(a.Person):
		return MinutesMember, nil
	case !a.Presides(ss.Window):
		return "", errs.E(errs.Forbidden, "permit.minutes.error.absent")
	case len(m.Waiting()) > 0:
		return "", errs.E(errs.Conflict, "permit.minutes.error.members_first").With("count", len(m.Waiting()))
	}
	return MinutesPresident, nil
}

// SignMinutes signs session id's minutes with a's own key, opened with
// pin: a member recorded present, or — once every one of them signed —
// the president of its window, whose signature completes them. The key
// opens first (a wrong PIN: errs.Invalid on field "pin", nothing signed);
// then one transaction, holding the minutes' row, signs their current
// revision and records it, so that two members signing at once each add
// their signature to the other's. The president is told when the last
// member signed.
func (s *Service) SignMinutes(ctx context.Context, a authz.Actor, id int64, pin string) (*Minutes, error) {
	if s.signatures == nil {
		return nil, errs.E(errs.Conflict, "permit.error.no_signature")
	}
	_, m, _, err := s.maySignMinutes(ctx, s.db, a, id)
	if err != nil {
		return nil, err
	}
	sign, err := s.signatures.UnlockSigner(ctx, a, pin, "permit_session", strconv.FormatInt(id, 10), "minutes", m.SHA256)
	if err != nil {
		return nil, err
	}
	var out *Minutes
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "permit_minutes", "session_id", id); err != nil {
			return err
		}
		ss, m, role, err := s.maySignMinutes(ctx, tx, a, id)
		if err != nil {
			return err
		}
		src, err := blob.ReadAll(ctx, s.blobs, m.SHA256, m.Size)
		if err != nil {
			return err
		}
		what := "Membre présent"
		if role == MinutesPresident {
			what = "Président"
		}
		signed, signer, serial, err := sign(ctx, src, what+" — procès-verbal de la séance n° "+strconv.FormatInt(id, 10))
		if err != nil {
			return err
		}
		bl, err := s.blobs.Put(ctx, bytes.NewReader(signed), blob.PutOptions{})
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_minutes_signatures (session_id, person_id, role, sha256, signer, serial, signed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, a.Person, role, bl.SHA256, signer, serial, now); err != nil {
			return err
		}
		var complete any
		if role == MinutesPresident {
			complete = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE permit_minutes SET sha256 = $1, size = $2, signed_at = $3 WHERE session_id = $4`,
			bl.SHA256, bl.Size, complete, id); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, ss.resource()), Action: "permit.minutes_signed",
			ObjectType: "permit_session", ObjectID: strconv.FormatInt(id, 10), At: now,
			Change: map[string]any{"role": role, "serial": serial, "sha256": bl.SHA256}}); err != nil {
			return err
		}
		if out, err = s.minutesOf(ctx, tx, id); err != nil {
			return err
		}
		if role == MinutesPresident || len(out.Waiting()) > 0 || s.silent(ctx) {
			return nil
		}
		pres, err := s.people.WindowPresidents(ctx, tx, ss.Window)
		if err != nil {
			return err
		}
		var to []Attendee
		for _, p := range pres {
			to = append(to, Attendee{Person: p})
		}
		return s.askToSign(ctx, tx, ss, to, "permit.minutes_president")
	})
	return out, err
}

// MinutesPDF is session id's minutes as they stand (their last signed
// revision), for a reader of the session.
func (s *Service) MinutesPDF(ctx context.Context, a authz.Actor, id int64) ([]byte, string, error) {
	ss, m, err := s.SessionMinutes(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	if m == nil {
		return nil, "", errs.E(errs.NotFound, "permit.minutes.error.none")
	}
	b, err := blob.ReadAll(ctx, s.blobs, m.SHA256, m.Size)
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("pv-%s-%s.pdf", ss.Code, ss.Start.In(i18n.Casablanca).Format("2006-01-02")), nil
}

// MinutesToSign are the sessions whose minutes wait for a's signature: a
// member recorded present who has not signed, or the president of their
// window once every member signed; the oldest first.
func (s *Service) MinutesToSign(ctx context.Context, a authz.Actor) ([]*Session, error) {
	if a.Person == 0 {
		return nil, nil
	}
	args := []any{a.Person}
	where := `(EXISTS (SELECT 1 FROM permit_minutes_attendance t WHERE t.session_id = m.session_id AND t.person_id = $1)
		AND NOT EXISTS (SELECT 1 FROM permit_minutes_signatures g WHERE g.session_id = m.session_id AND g.person_id = $1))`
	var windows []string
	for _, g := range a.Grants {
		if g.Role == authz.President && g.Window != "" {
			args = append(args, g.Window)
			windows = append(windows, "$"+strconv.Itoa(len(args)))
		}
	}
	if len(windows) > 0 {
		where += ` OR (c.window_code IN (` + strings.Join(windows, ", ") + `) AND NOT EXISTS (SELECT 1 FROM permit_minutes_attendance t
			WHERE t.session_id = m.session_id AND NOT EXISTS (SELECT 1 FROM permit_minutes_signatures g
				WHERE g.session_id = t.session_id AND g.person_id = t.person_id)))`
	}
	ids, err := int64s(ctx, s.db, `SELECT m.session_id FROM permit_minutes m JOIN permit_sessions s ON s.id = m.session_id
		JOIN permit_session_committees c ON c.code = s.committee_code
		WHERE m.signed_at IS NULL AND (`+where+`) ORDER BY s.starts_at, m.session_id LIMIT `+strconv.Itoa(MaxSessionRows), args...)
	if err != nil {
		return nil, err
	}
	var out []*Session
	for _, id := range ids {
		ss, err := s.loadSession(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		if authz.Decide(a, authz.SignMinutes, ss.resource()).Allow {
			out = append(out, ss)
		}
	}
	return out, nil
}

// int64s runs a query of one integer column.
func int64s(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// MinutesToDraft are the sessions of a's windows that sat, with files on
// their agenda and no minutes yet: the secretariat's to draw up, the
// oldest first.
func (s *Service) MinutesToDraft(ctx context.Context, a authz.Actor) ([]*Session, error) {
	args := []any{s.now()}
	var ph []string
	for _, w := range AgentWindows(a) {
		if authz.Decide(a, authz.ManageAgenda, authz.Resource{Window: w}).Allow {
			args = append(args, w)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
	}
	if len(ph) == 0 {
		return nil, nil
	}
	list, err := sessionsWhere(ctx, s.db, `s.ends_at <= $1 AND s.frozen_at IS NOT NULL AND c.window_code IN (`+strings.Join(ph, ", ")+`)
		AND EXISTS (SELECT 1 FROM permit_agenda a WHERE a.session_id = s.id)
		AND NOT EXISTS (SELECT 1 FROM permit_minutes m WHERE m.session_id = s.id)`, args...)
	if err != nil {
		return nil, err
	}
	list = list[:min(len(list), MaxSessionRows)]
	for _, ss := range list {
		ss.CatalogueCommittee, _ = s.committeeType(ss.Committee)
	}
	return list, nil
}

// studiedAt is the start of the session whose minutes record round n of
// file id with its conclusion; ok false when no minutes do.
func studiedAt(ctx context.Context, q db.Querier, id int64, n int) (time.Time, bool) {
	var at time.Time
	err := q.QueryRowContext(ctx, `SELECT s.starts_at FROM permit_minutes_items i JOIN permit_sessions s ON s.id = i.session_id
		WHERE i.file_id = $1 AND i.round = $2 AND i.outcome <> 'adjourned' ORDER BY s.starts_at DESC LIMIT 1`, id, n).Scan(&at)
	return at.UTC(), err == nil
}
