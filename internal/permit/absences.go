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

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// A committee seat is held by an organisation with named people, who
// are sometimes away (issue #12, point 1): a committee member declares
// their absence from one day to another, for an organisation they sit
// for, naming the colleague of that organisation who stands in for them.
// While absent, the notices to the organisation's members — agendas,
// alerts — skip them and reach their substitute instead (seatMembers).
// An absence is cancelled, never changed; each is in the audit chain.

// Absence is a committee member's declared absence.
type Absence struct {
	ID           int64
	Person       int64
	Organisation string
	From, To     calendar.Date // inclusive
	Substitute   int64         // 0: none
	Reason       string
	DeclaredAt   time.Time
}

// AbsenceInput is an absence as a member types it: dates as YYYY-MM-DD
// (Western or Arabic-Indic digits), the organisation when they sit for
// several, the substitute's person ID (0: none).
type AbsenceInput struct {
	Organisation string
	From, To     string
	Substitute   int64
	Reason       string
}

// MaxAbsenceDays bounds one absence.
const MaxAbsenceDays = 366

// memberOrgs are the organisations a sits for as a committee member.
func memberOrgs(a authz.Actor) []string {
	var out []string
	for _, g := range a.Grants {
		if g.Role == authz.CommitteeMember && !slices.Contains(out, g.Org) {
			out = append(out, g.Org)
		}
	}
	return out
}

// DeclareAbsence records a's absence; a substitute must be another
// committee member of the same organisation.
func (s *Service) DeclareAbsence(ctx context.Context, a authz.Actor, in AbsenceInput) (*Absence, error) {
	if err := authz.Check(a, authz.DeclareAbsence, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	orgs := memberOrgs(a)
	if in.Organisation == "" && len(orgs) == 1 {
		in.Organisation = orgs[0]
	}
	if !slices.Contains(orgs, in.Organisation) {
		return nil, errs.E(errs.Invalid, "permit.absence.error.organisation").OnField("organisation")
	}
	from, err := calendar.ParseDate(textnorm.Digits(strings.TrimSpace(in.From)))
	if err != nil {
		return nil, errs.E(errs.Invalid, "permit.absence.error.date").OnField("from")
	}
	to, err := calendar.ParseDate(textnorm.Digits(strings.TrimSpace(in.To)))
	if err != nil {
		return nil, errs.E(errs.Invalid, "permit.absence.error.date").OnField("to")
	}
	today := calendar.DateOf(s.now())
	switch {
	case to.Before(from):
		return nil, errs.E(errs.Invalid, "permit.absence.error.order").OnField("to")
	case to.Before(today):
		return nil, errs.E(errs.Invalid, "permit.absence.error.past").OnField("to")
	case from.AddDays(MaxAbsenceDays).Before(to):
		return nil, errs.E(errs.Invalid, "permit.absence.error.long").With("max", MaxAbsenceDays).OnField("to")
	}
	reason := strings.TrimSpace(in.Reason)
	if utf8.RuneCountInString(reason) > 500 {
		return nil, errs.E(errs.Invalid, "permit.error.too_long").With("max", 500).OnField("reason")
	}
	if in.Substitute != 0 {
		org, err := s.organisation(ctx, s.db, in.Organisation)
		if err != nil {
			return nil, err
		}
		if in.Substitute == a.Person || !slices.ContainsFunc(org.Members, func(m people.Person) bool { return m.ID == in.Substitute }) {
			return nil, errs.E(errs.Invalid, "permit.absence.error.substitute").OnField("substitute")
		}
	}
	ab := &Absence{Person: a.Person, Organisation: in.Organisation, From: from, To: to, Substitute: in.Substitute,
		Reason: reason, DeclaredAt: s.now()}
	var sub any
	if ab.Substitute != 0 {
		sub = ab.Substitute
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO committee_absences (person_id, organisation_code, starts_on, ends_on,
			substitute_id, reason, declared_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			ab.Person, ab.Organisation, from.String(), to.String(), sub, reason, ab.DeclaredAt).Scan(&ab.ID); err != nil {
			return fmt.Errorf("permit: absence: %w", err)
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, authz.Resource{}), Action: "committee.absence",
			ObjectType: "committee_absence", ObjectID: fmt.Sprint(ab.ID), At: ab.DeclaredAt,
			Change: map[string]any{"organisation": ab.Organisation, "from": from.String(), "to": to.String(), "substitute": ab.Substitute}})
		if err != nil {
			return err
		}
		return s.replanOrganisation(ctx, tx, ab.Organisation) // planner_absences.go
	})
	if err != nil {
		return nil, err
	}
	return ab, nil
}

// CancelAbsence cancels one of a's absences not over yet.
func (s *Service) CancelAbsence(ctx context.Context, a authz.Actor, id int64) error {
	if err := authz.Check(a, authz.DeclareAbsence, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return err
	}
	now := s.now()
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE committee_absences SET cancelled_at = $1 WHERE id = $2 AND person_id = $3
			AND cancelled_at IS NULL AND ends_on >= $4`, now, id, a.Person, calendar.DateOf(now).String())
		if err != nil {
			return fmt.Errorf("permit: cancel absence %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "permit.absence.error.not_found")
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, authz.Resource{}), Action: "committee.absence_cancelled",
			ObjectType: "committee_absence", ObjectID: fmt.Sprint(id), At: now, Change: map[string]any{"cancelled": true}})
		if err != nil {
			return err
		}
		var org string
		if err := tx.QueryRowContext(ctx, `SELECT organisation_code FROM committee_absences WHERE id = $1`, id).Scan(&org); err != nil {
			return fmt.Errorf("permit: absence %d: %w", id, err)
		}
		return s.replanOrganisation(ctx, tx, org) // planner_absences.go
	})
}

// MyAbsences are a's absences not over yet, soonest first.
func (s *Service) MyAbsences(ctx context.Context, a authz.Actor) ([]Absence, error) {
	if err := authz.Check(a, authz.DeclareAbsence, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	return absencesWhere(ctx, s.db, `person_id = $1 AND ends_on >= $2`, a.Person, calendar.DateOf(s.now()).String())
}

// absencesWhere lists the absences not cancelled that match where.
func absencesWhere(ctx context.Context, q db.Querier, where string, args ...any) ([]Absence, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, person_id, organisation_code, starts_on, ends_on, COALESCE(substitute_id, 0),
		reason, declared_at FROM committee_absences WHERE cancelled_at IS NULL AND `+where+` ORDER BY starts_on, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: absences: %w", err)
	}
	defer rows.Close()
	var out []Absence
	for rows.Next() {
		var ab Absence
		var from, to string
		if err := rows.Scan(&ab.ID, &ab.Person, &ab.Organisation, &from, &to, &ab.Substitute, &ab.Reason, &ab.DeclaredAt); err != nil {
			return nil, fmt.Errorf("permit: absences: %w", err)
		}
		if ab.From, err = calendar.ParseDate(from); err != nil {
			return nil, err
		}
		if ab.To, err = calendar.ParseDate(to); err != nil {
			return nil, err
		}
		out = append(out, ab)
	}
	return out, rows.Err()
}

// standIns replaces, among the members of organisation org, those absent
// on day by their substitute (when they named one who is not absent
// too): who is told on that day.
func standIns(ctx context.Context, q db.Querier, org string, members []people.Person, day calendar.Date,
	person func(int64) (people.Person, error)) ([]people.Person, error) {
	abs, err := absencesWhere(ctx, q, `organisation_code = $1 AND starts_on <= $2 AND ends_on >= $2`, org, day.String())
	if err != nil || len(abs) == 0 {
		return members, err
	}
	away := map[int64]Absence{}
	for _, ab := range abs {
		away[ab.Person] = ab
	}
	var out []people.Person
	for _, m := range members {
		ab, ok := away[m.ID]
		if !ok {
			out = append(out, m)
			continue
		}
		if _, subAway := away[ab.Substitute]; ab.Substitute == 0 || subAway {
			continue
		}
		sub, err := person(ab.Substitute)
		if errors.Is(err, sql.ErrNoRows) || errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}
