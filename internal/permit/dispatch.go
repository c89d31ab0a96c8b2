package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// An accepted urban file goes to its committee (issue #12, point 2): the
// window dispatches it in one action, within the dispatch step's legal
// deadline; Madina selects who sits on it from the catalogue — the
// committee's permanent members, and each occasional member whose
// condition the file meets — finds the organisation holding each body's
// seat and its members, records the selection (permit_committee_seats,
// with the reason of each), closes the dispatch step and starts the
// members' study. An agent of the window adds a member with a reason.
// Every selection is an event of the file and an audit record.

// TDispatch is the window's dispatch of an accepted urban file to its
// committee: the file stays accepted and its holder becomes the committee.
const TDispatch = "dispatch"

// Seat bases (permit_committee_seats.basis).
const (
	SeatPermanent  = "permanent"
	SeatOccasional = "occasional"
	SeatAdded      = "added"
)

// FileSeat is a body sitting on a file's committee: why (its basis; the
// catalogue's reason for an occasional member, the agent's note for one
// added), and the organisation holding its seat with its members (none
// registered: Organisation.Code is "").
type FileSeat struct {
	Body         Term
	Basis        string
	Reason       i18n.Text // the catalogue's, for an occasional member
	Note         string    // the agent's, for an added member
	Organisation people.Organisation
	SelectedAt   time.Time
}

// committeeOf is the committee that studies f: the one of its handling.
func committeeOf(k *Kind, f *File) (Committee, bool) {
	for _, h := range k.Handling {
		if h.Committee.Code == f.Committee && (h.Schedule.Code == f.Schedule || f.Schedule == "") {
			return h.Committee, true
		}
	}
	return Committee{}, false
}

// selectSeats is the committee Madina selects for f, with the
// organisations holding the seats, read through q.
func (s *Service) selectSeats(ctx context.Context, q db.Querier, k *Kind, f *File) (string, []FileSeat, error) {
	cm, ok := committeeOf(k, f)
	if !ok {
		return "", nil, fmt.Errorf("permit: file %d: no committee %q in its kind", f.ID, f.Committee)
	}
	var out []FileSeat
	for _, st := range k.Seats(cm, f.Fields) {
		fs := FileSeat{Body: st.Body, Basis: SeatPermanent}
		if !st.Permanent {
			fs.Basis, fs.Reason = SeatOccasional, st.Reason
		}
		org, err := s.seatHolder(ctx, q, st.Body.Code, f.Arrondissement)
		if err != nil {
			return "", nil, err
		}
		fs.Organisation = org
		out = append(out, fs)
	}
	return cm.Code, out, nil
}

// seatHolder is the organisation holding body's seat; the zero one when
// none is registered.
func (s *Service) seatHolder(ctx context.Context, q db.Querier, body, arrondissement string) (people.Organisation, error) {
	if s.people.Staff == nil {
		return people.Organisation{}, nil
	}
	org, err := s.people.SeatHolder(ctx, q, body, arrondissement)
	if errs.Is(err, errs.NotFound) {
		return people.Organisation{}, nil
	}
	return org, err
}

// organisation is the organisation recorded on a seat, with its members
// now; only its code when it is no longer registered.
func (s *Service) organisation(ctx context.Context, q db.Querier, code string) (people.Organisation, error) {
	if s.people.Staff == nil {
		return people.Organisation{Code: code}, nil
	}
	org, err := s.people.Organisation(ctx, q, code)
	if errs.Is(err, errs.NotFound) {
		return people.Organisation{Code: code}, nil
	}
	return org, err
}

// DispatchPreview is the committee a dispatch of file id would select,
// for the page that asks to confirm it: the same checks as Dispatch.
func (s *Service) DispatchPreview(ctx context.Context, a authz.Actor, id int64) (*File, []FileSeat, error) {
	f, k, err := s.mayDispatch(ctx, s.db, a, id)
	if err != nil {
		return nil, nil, err
	}
	_, seats, err := s.selectSeats(ctx, s.db, k, f)
	return f, seats, err
}

// mayDispatch checks that a may dispatch file id now: the policy and the
// workflow (an accepted urban file), then that it was not dispatched.
func (s *Service) mayDispatch(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*File, *Kind, error) {
	t, _ := transitionNamed(TDispatch)
	f, k, err := s.load(ctx, q, a, t.Action, id)
	if err != nil {
		return nil, nil, err
	}
	if n, err := seatCount(ctx, q, f.ID); err != nil || (f.State == Accepted && (f.Holder != HolderWindow || n > 0)) {
		if err == nil {
			err = errs.E(errs.Conflict, "permit.dispatch.error.done").With("number", f.Display())
		}
		return nil, nil, err
	}
	if _, err := s.guard(a, t, f, k, 0); err != nil {
		return nil, nil, err
	}
	return f, k, nil
}

// Dispatch sends accepted urban file id to its committee, at the version
// the caller saw (0: any): the selection recorded with its reasons, the
// dispatch step met, the members' study started; the file leaves the
// window's queue.
func (s *Service) Dispatch(ctx context.Context, a authz.Actor, id int64, version int) (*File, error) {
	if _, _, err := s.mayDispatch(ctx, s.db, a, id); err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, version, TDispatch, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		// Again in the transaction: two agents dispatching at once select
		// once (the table's key refuses the second).
		if n, err := seatCount(ctx, tx, f.ID); err != nil || n > 0 {
			if err == nil {
				err = errs.E(errs.Conflict, "permit.dispatch.error.done").With("number", f.Display())
			}
			return nil, err
		}
		return s.dispatchTx(ctx, tx, f, a.Person, now)
	})
}

// dispatchTx is the dispatch of f in tx, by person by (0: Madina itself,
// autodispatch.go): the selection recorded with its reasons, the dispatch
// step met, round 1 and the members' study started.
func (s *Service) dispatchTx(ctx context.Context, tx *db.Tx, f *File, by int64, now time.Time) (map[string]any, error) {
	k, err := s.kindOf(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	committee, seats, err := s.selectSeats(ctx, tx, k, f)
	if err != nil {
		return nil, err
	}
	var bodies []string
	for _, st := range seats {
		if err := insertSeat(ctx, tx, f.ID, committee, st, by, now); err != nil {
			return nil, err
		}
		bodies = append(bodies, st.Body.Code)
	}
	if err := closeDeadlines(ctx, tx, f.ID, "met", now, "dispatch"); err != nil {
		return nil, err
	}
	if err := s.openRound(ctx, tx, k, f, 1, now); err != nil {
		return nil, err
	}
	if err := s.refreshDue(ctx, tx, f); err != nil {
		return nil, err
	}
	return map[string]any{"committee": committee, "members": bodies}, nil
}

// AddSeat has body sit on file id's committee too, for the reason note,
// by an agent of its window once the file is dispatched.
func (s *Service) AddSeat(ctx context.Context, a authz.Actor, id int64, body, note string) (*FileSeat, error) {
	note = strings.TrimSpace(note)
	switch n := utf8.RuneCountInString(note); {
	case n < 10:
		return nil, errs.E(errs.Invalid, "permit.dispatch.error.note").OnField("note")
	case n > 500:
		return nil, errs.E(errs.Invalid, "permit.error.too_long").With("max", 500).OnField("note")
	}
	var added *FileSeat
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		f, k, err := s.load(ctx, tx, a, authz.ReviewFile, id)
		if err != nil {
			return err
		}
		if f.State != Accepted || f.Holder != HolderCommittee {
			return errs.E(errs.Conflict, "permit.dispatch.error.not_dispatched").With("number", f.Display())
		}
		cat, err := s.catalogueOf(ctx, tx, f.CatalogueVersion)
		if err != nil {
			return err
		}
		term, ok := cat.Body(body)
		if !ok {
			return errs.E(errs.Invalid, "permit.dispatch.error.body").OnField("body")
		}
		seats, err := fileSeats(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(seats, func(st storedSeat) bool { return st.Body == body }) {
			return errs.E(errs.Conflict, "permit.dispatch.error.seated").OnField("body")
		}
		org, err := s.seatHolder(ctx, tx, body, f.Arrondissement)
		if err != nil {
			return err
		}
		now := s.now()
		added = &FileSeat{Body: term, Basis: SeatAdded, Note: note, Organisation: org, SelectedAt: now}
		if err := insertSeat(ctx, tx, f.ID, seats[0].Committee, *added, a.Person, now); err != nil {
			return err
		}
		return s.record(ctx, tx, a, k, f, "member_added", "", "", map[string]any{"body": body, "note": note,
			"organisation": org.Code}, false, now)
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// Seats is the committee sitting on file id, for whoever may read it, in
// the order selected; none before dispatch.
func (s *Service) Seats(ctx context.Context, a authz.Actor, id int64) ([]FileSeat, error) {
	f, k, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	stored, err := fileSeats(ctx, s.db, f.ID)
	if err != nil {
		return nil, err
	}
	cm, _ := committeeOf(k, f)
	out := make([]FileSeat, 0, len(stored))
	for _, st := range stored {
		fs := FileSeat{Body: s.bodyTerm(ctx, f, st.Body), Basis: st.Basis, Note: st.Note, SelectedAt: st.At}
		if i := slices.IndexFunc(cm.Occasional, func(o Occasional) bool { return o.Body.Code == st.Body }); i >= 0 && st.Basis == SeatOccasional {
			fs.Reason = cm.Occasional[i].Reason
		}
		if st.Organisation != "" {
			if fs.Organisation, err = s.organisation(ctx, s.db, st.Organisation); err != nil {
				return nil, err
			}
		}
		out = append(out, fs)
	}
	return out, nil
}

// storedSeat is a row of permit_committee_seats.
type storedSeat struct {
	Committee, Body, Organisation, Basis, Note string
	At                                         time.Time
}

func fileSeats(ctx context.Context, q db.Querier, fileID int64) ([]storedSeat, error) {
	rows, err := q.QueryContext(ctx, `SELECT committee, body, COALESCE(organisation_code, ''), basis, note, selected_at
		FROM permit_committee_seats WHERE file_id = $1 ORDER BY id`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: committee seats: %w", err)
	}
	defer rows.Close()
	var out []storedSeat
	for rows.Next() {
		var st storedSeat
		if err := rows.Scan(&st.Committee, &st.Body, &st.Organisation, &st.Basis, &st.Note, &st.At); err != nil {
			return nil, fmt.Errorf("permit: committee seats: %w", err)
		}
		st.At = st.At.UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}

func seatCount(ctx context.Context, q db.Querier, fileID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_committee_seats WHERE file_id = $1`, fileID).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("permit: committee seats: %w", err)
	}
	return n, nil
}

// insertSeat records seat st of file fileID, selected by person by (0:
// by Madina itself, which the database allows for a selection by the
// catalogue's rules only).
func insertSeat(ctx context.Context, tx *db.Tx, fileID int64, committee string, st FileSeat, by int64, now time.Time) error {
	var org, selector any
	if st.Organisation.Code != "" {
		org = st.Organisation.Code
	}
	if by != 0 {
		selector = by
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO permit_committee_seats (file_id, committee, body, organisation_code, basis,
		note, selected_by, selected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		fileID, committee, st.Body.Code, org, st.Basis, st.Note, selector, now); err != nil {
		return fmt.Errorf("permit: seat %s on file %d: %w", st.Body.Code, fileID, err)
	}
	return nil
}

// alerted are the people told that deadline p of file f passed: for a
// step of the committee's members, the members of the organisations
// whose body has not given its opinion in the open round (the late ones,
// not those who answered; a member away today is replaced by their
// substitute), the window's staff (its secretariat) and the
// president; for the president's step, the president and the window's
// staff; for any other, the window's staff. Each once.
func (s *Service) alerted(ctx context.Context, tx *db.Tx, f *File, p DeadlinePassed) ([]people.Person, error) {
	var actor string
	if err := tx.QueryRowContext(ctx, `SELECT actor FROM permit_deadlines WHERE id = $1`, p.Deadline).Scan(&actor); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("permit: deadline %d: %w", p.Deadline, err)
	}
	var out []people.Person
	add := func(ps ...people.Person) {
		for _, m := range ps {
			if !slices.ContainsFunc(out, func(o people.Person) bool { return o.ID == m.ID }) {
				out = append(out, m)
			}
		}
	}
	if actor == "members" {
		late, err := s.lateSeats(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		var orgs []string
		for _, st := range late {
			orgs = append(orgs, st.Organisation)
		}
		members, err := s.seatMembers(ctx, reader{tx}, orgs)
		if err != nil {
			return nil, err
		}
		add(members...)
	}
	staff, err := s.people.WindowStaff(ctx, tx, p.Window)
	if err != nil {
		return nil, err
	}
	add(staff...)
	if actor == "members" || actor == "president" {
		pres, err := s.people.WindowPresidents(ctx, tx, p.Window)
		if err != nil {
			return nil, err
		}
		add(pres...)
	}
	return out, nil
}

// lateSeats are the seats of f, held by an organisation, whose body has
// not spoken in its last round.
func (s *Service) lateSeats(ctx context.Context, tx *db.Tx, f *File) ([]storedSeat, error) {
	seats, err := fileSeats(ctx, reader{tx}, f.ID)
	if err != nil {
		return nil, err
	}
	r, ok, err := lastRound(ctx, reader{tx}, f.ID)
	if err != nil {
		return nil, err
	}
	said := map[string]catalogue.Opinion{}
	if ok {
		if said, err = spoken(ctx, reader{tx}, f.ID, r.N); err != nil {
			return nil, err
		}
	}
	var out []storedSeat
	for _, st := range seats {
		if _, ok := said[st.Body]; !ok && st.Organisation != "" {
			out = append(out, st)
		}
	}
	return out, nil
}

// StudyRow is a file waiting for its committee's study on which one of a
// committee member's organisations sits.
type StudyRow struct {
	ID                                     int64
	Display, Kind, Address, Arrondissement string
	Committee, CatalogueVersion            string
	DueAt                                  *time.Time
}

// MaxStudyRows bounds the list of files to study.
const MaxStudyRows = 200

// ToStudy lists the files dispatched to a committee on which one of a's
// organisations sits, waiting for the members' study, the most urgent
// first (the policy: committee members, with the second factor).
func (s *Service) ToStudy(ctx context.Context, a authz.Actor) ([]StudyRow, error) {
	if err := authz.Check(a, authz.ReadStudies, authz.Resource{}); err != nil {
		return nil, err
	}
	var orgs []any
	var ph []string
	for _, g := range a.Grants {
		if g.Role == authz.CommitteeMember {
			orgs = append(orgs, g.Org)
			ph = append(ph, fmt.Sprintf("$%d", len(orgs)))
		}
	}
	if len(orgs) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+studyColumns+` FROM permit_files f
		WHERE f.state = 'accepted' AND f.holder = 'committee' AND f.step <> 'decision' AND EXISTS (SELECT 1 FROM permit_committee_seats s
			WHERE s.file_id = f.id AND s.organisation_code IN (`+strings.Join(ph, ", ")+`))
		ORDER BY f.due_at IS NULL, f.due_at, f.id LIMIT `+fmt.Sprint(MaxStudyRows), orgs...)
	if err != nil {
		return nil, fmt.Errorf("permit: files to study: %w", err)
	}
	return scanStudyRows(rows)
}

// studyColumns are the columns scanStudyRows reads, of permit_files f.
const studyColumns = `f.id, COALESCE(f.number, f.ref), f.kind, f.address, COALESCE(f.arrondissement_code, ''),
	COALESCE(f.committee, ''), f.catalogue_version, f.due_at`

// scanStudyRows reads rows of studyColumns, and closes them.
func scanStudyRows(rows *sql.Rows) ([]StudyRow, error) {
	defer rows.Close()
	var out []StudyRow
	for rows.Next() {
		var r StudyRow
		var due sql.NullTime
		if err := rows.Scan(&r.ID, &r.Display, &r.Kind, &r.Address, &r.Arrondissement, &r.Committee, &r.CatalogueVersion, &due); err != nil {
			return nil, fmt.Errorf("permit: committee files: %w", err)
		}
		if due.Valid {
			t := due.Time.UTC()
			r.DueAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
