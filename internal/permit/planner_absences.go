package permit

import (
	"context"
	"fmt"
	"time"

	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/agenda"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// The agenda planner reads the committee members' absences (issue #12,
// point 3, "within … its members' availability"). A file needs every
// organisation sitting on it (agenda.File.Needs: organisation codes, since
// one body — the prefecture — is held by different organisations for
// files of different arrondissements); an organisation is absent from a
// session (agenda.Session.Absent) when it has committee members and
// nobody is available on the session's day in Casablanca: every member
// absent, and no substitute of theirs present (standIns). The planner
// then places the file on another session, or says why it could not
// (agenda.CodeMemberAbsent, its Body the organisation), and the reason is
// stored with the file's agenda row and shown on its page.

// readAbsences fills the Needs of the files to place and the Absent of
// the sessions, read through tx.
func (s *Service) readAbsences(ctx context.Context, tx *db.Tx, files []agenda.File, sessions []agenda.Session) error {
	needed := map[string]bool{}
	for i := range files {
		if files[i].Fixed != 0 {
			continue
		}
		seats, err := fileSeats(ctx, reader{tx}, files[i].ID)
		if err != nil {
			return err
		}
		files[i].Needs = nil
		for _, st := range seats {
			if st.Organisation != "" && !containsString(files[i].Needs, st.Organisation) {
				files[i].Needs = append(files[i].Needs, st.Organisation)
				needed[st.Organisation] = true
			}
		}
	}
	if len(needed) == 0 {
		return nil
	}
	// Only the organisations with an absence to come can be away: one
	// query spares the others' members and substitutes on every day.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT organisation_code FROM committee_absences
		WHERE cancelled_at IS NULL AND ends_on >= $1`, calendar.DateOf(s.now()).String())
	if err != nil {
		return fmt.Errorf("permit: absences to come: %w", err)
	}
	someAway := map[string]bool{}
	for rows.Next() {
		var org string
		if err := rows.Scan(&org); err != nil {
			rows.Close()
			return err
		}
		someAway[org] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for org := range needed {
		if !someAway[org] {
			delete(needed, org)
		}
	}
	away := map[string]bool{} // org + " " + day: nobody available
	seen := map[string]bool{}
	for i := range sessions {
		day := calendar.DateOf(sessions[i].Start)
		for org := range needed {
			key := org + " " + day.String()
			if !seen[key] {
				seen[key] = true
				gone, err := s.nobodyAvailable(ctx, tx, org, day)
				if err != nil {
					return err
				}
				away[key] = gone
			}
			if away[key] {
				sessions[i].Absent = append(sessions[i].Absent, org)
			}
		}
	}
	return nil
}

// nobodyAvailable reports whether organisation org has committee members
// and none of them, nor a substitute of theirs, is available on day.
func (s *Service) nobodyAvailable(ctx context.Context, tx *db.Tx, org string, day calendar.Date) (bool, error) {
	o, err := s.organisation(ctx, reader{tx}, org)
	if err != nil {
		return false, err
	}
	if len(o.Members) == 0 {
		return false, nil // nobody registered: the seat says so elsewhere
	}
	present, err := standIns(ctx, reader{tx}, org, o.Members, day, func(id int64) (people.Person, error) {
		return s.people.Person(ctx, reader{tx}, id)
	})
	if err != nil {
		return false, fmt.Errorf("permit: availability of %s on %s: %w", org, day, err)
	}
	return len(present) == 0, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FileAgenda says where file id stands on its committee's agenda, for
// whoever reads the file: the session it is on, and why when that is
// after its deadline or when the planner could not place it at all (the
// reason's words, naming an organisation nobody of which is available);
// ok false when it has no agenda row.
func (s *Service) FileAgenda(ctx context.Context, a authz.Actor, id int64, l i18n.Lang, t func(key string, args ...any) string) (string, bool, error) {
	if _, _, err := s.load(ctx, s.db, a, authz.ReadFile, id); err != nil {
		return "", false, err
	}
	ps, err := placements(ctx, s.db, `a.file_id = $1`, id)
	if err != nil || len(ps) == 0 {
		return "", false, err
	}
	p := ps[0]
	why := t("permit.sessions.reason." + string(p.Reason.Code))
	if p.Reason.Code == agenda.CodeMemberAbsent && p.Reason.Body != "" {
		o, err := s.organisation(ctx, s.db, p.Reason.Body)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return "", false, err
		}
		name := o.Name.Pick(l)
		if name == "" {
			name = p.Reason.Body
		}
		why = t("permit.sessions.reason.organisation_absent", "organisation", name)
	}
	if p.Session == 0 {
		return t("permit.planner.file.unplaced", "why", why), true, nil
	}
	var start time.Time
	if err := s.db.QueryRowContext(ctx, `SELECT starts_at FROM permit_sessions WHERE id = $1`, p.Session).Scan(&start); err != nil {
		return "", false, fmt.Errorf("permit: session %d: %w", p.Session, err)
	}
	if p.Late {
		return t("permit.planner.file.late", "date", i18n.FormatDate(l, start), "time", clock(start), "why", why), true, nil
	}
	return t("permit.planner.file.placed", "date", i18n.FormatDate(l, start), "time", clock(start)), true, nil
}

// replanOrganisation plans again, in tx, the agendas of the committees
// studying a file on which organisation org sits: an absence declared or
// cancelled moves files (and their applicants and members are told, as
// for any move).
func (s *Service) replanOrganisation(ctx context.Context, tx *db.Tx, org string) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT f.committee, f.window_code FROM permit_files f
		JOIN permit_committee_seats st ON st.file_id = f.id
		WHERE st.organisation_code = $1 AND f.state = 'accepted' AND f.holder = 'committee' AND f.step = 'study'
		AND f.committee IS NOT NULL AND f.window_code IS NOT NULL ORDER BY f.committee, f.window_code`, org)
	if err != nil {
		return fmt.Errorf("permit: committees of %s: %w", org, err)
	}
	var ins []instance
	for rows.Next() {
		var in instance
		if err := rows.Scan(&in.Committee, &in.Window); err != nil {
			rows.Close()
			return err
		}
		in.Code = instanceCode(in.Committee, in.Window)
		ins = append(ins, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, in := range ins {
		if _, ok := s.committeeType(in.Committee); !ok {
			continue
		}
		if _, err := s.replan(ctx, tx, authz.Actor{}, in, s.now(), s.silent(ctx)); err != nil {
			return err
		}
	}
	return nil
}
