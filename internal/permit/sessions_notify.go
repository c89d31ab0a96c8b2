package permit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/agenda"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Who is told about agendas, and how: direct sends in the planning or
// freezing transaction (like the deadline alerts), each keyed by what
// happened and the recipient, so a retried transaction sends once.
//
//   - permit.agenda: a file's session changed (or it got its first one):
//     its applicants and the members of the organisations sitting on it.
//   - permit.session_frozen: a session's agenda froze: the members of the
//     organisations sitting on its committee get the agenda (file numbers
//     and times).
//   - permit.agenda_frozen: the applicants of each file on it get their
//     file's time.

// reach is a recipient of a notice.
func reach(who people.Person) notify.Recipient {
	return notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang}
}

// seatMembers are the committee members of the organisations who are
// told today, each once: those absent today are replaced by the
// substitute they named (absences.go).
func (s *Service) seatMembers(ctx context.Context, q db.Querier, orgs []string) ([]people.Person, error) {
	var out []people.Person
	today := calendar.DateOf(s.now())
	for _, code := range orgs {
		org, err := s.organisation(ctx, q, code)
		if err != nil {
			return nil, err
		}
		members, err := standIns(ctx, q, code, org.Members, today, func(id int64) (people.Person, error) {
			return s.people.Person(ctx, q, id)
		})
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if !slices.ContainsFunc(out, func(o people.Person) bool { return o.ID == m.ID }) {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// agendaMoved records that file id is now on session (starting at start)
// and tells its applicants and the members sitting on it.
func (s *Service) agendaMoved(ctx context.Context, tx *db.Tx, a authz.Actor, id, session int64, start time.Time, why agenda.Reason,
	now time.Time, quiet bool) error {
	f, err := file(ctx, tx, "id", id)
	if err != nil {
		return err
	}
	k, err := s.kindOf(ctx, tx, f)
	if err != nil {
		return err
	}
	if err := s.record(ctx, tx, a, k, f, "agenda", "", "", map[string]any{"session": session, "start": start,
		"reason": string(why.Code)}, true, now); err != nil {
		return err
	}
	if quiet {
		return nil
	}
	ps, err := s.applicants(ctx, tx, f)
	if err != nil {
		return err
	}
	members, err := s.seatMembers(ctx, reader{tx}, f.Seats)
	if err != nil {
		return err
	}
	for _, m := range members {
		if !slices.ContainsFunc(ps, func(o people.Person) bool { return o.ID == m.ID }) {
			ps = append(ps, m)
		}
	}
	for _, who := range ps {
		l := i18n.Lang(who.Lang)
		d := s.data(ctx, f, k, who.Lang, nil)
		d["Name"] = who.DisplayName(who.Lang)
		d["Start"] = i18n.FormatDateTime(l, start)
		d["Committee"] = s.committeeName(f.Committee, l)
		key := fmt.Sprintf("permit.agenda:%d:%d:%d:%d", id, session, who.ID, now.UnixMicro())
		if err := s.notify.Send(ctx, tx, notify.Message{Template: "permit.agenda", Data: d, Key: key, To: reach(who),
			Channels: who.Channels()}); err != nil {
			return err
		}
	}
	return nil
}

// committeeName is a committee type's name in l.
func (s *Service) committeeName(code string, l i18n.Lang) string {
	if cm, ok := s.committeeType(code); ok {
		return cm.Name.Pick(l)
	}
	return code
}

// agendaText is a session's agenda as lines of text: time, file number.
func agendaText(ss *Session) string {
	var b strings.Builder
	for i, it := range ss.Items {
		fmt.Fprintf(&b, "%d. %s — %s\n", i+1, it.At.In(i18n.Casablanca).Format("15:04"), it.Display)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// tellFrozen sends a frozen session's agenda to the members sitting on
// its committee, and to each file's applicants their file's time. An
// empty agenda tells nobody: there is nothing to study.
func (s *Service) tellFrozen(ctx context.Context, tx *db.Tx, ss *Session) error {
	if len(ss.Items) == 0 {
		return nil
	}
	members, err := s.seatMembers(ctx, reader{tx}, ss.Seats)
	if err != nil {
		return err
	}
	url := s.cfg.BaseURL + "/committee/sessions/" + strconv.FormatInt(ss.ID, 10)
	for _, who := range members {
		l := i18n.Lang(who.Lang)
		d := map[string]any{"Name": who.DisplayName(who.Lang), "Committee": s.committeeName(ss.Committee, l),
			"Start": i18n.FormatDateTime(l, ss.Start), "Count": len(ss.Items), "Agenda": agendaText(ss), "URL": url}
		key := fmt.Sprintf("permit.session_frozen:%d:%d", ss.ID, who.ID)
		if err := s.notify.Send(ctx, tx, notify.Message{Template: "permit.session_frozen", Data: d, Key: key, To: reach(who),
			Channels: who.Channels()}); err != nil {
			return err
		}
	}
	for i, f := range ss.files {
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return err
		}
		ps, err := s.applicants(ctx, tx, f)
		if err != nil {
			return err
		}
		for _, who := range ps {
			l := i18n.Lang(who.Lang)
			d := s.data(ctx, f, k, who.Lang, nil)
			d["Name"] = who.DisplayName(who.Lang)
			d["Start"] = i18n.FormatDateTime(l, ss.Items[i].At)
			d["Committee"] = s.committeeName(ss.Committee, l)
			key := fmt.Sprintf("permit.agenda_frozen:%d:%d:%d", ss.ID, f.ID, who.ID)
			if err := s.notify.Send(ctx, tx, notify.Message{Template: "permit.agenda_frozen", Data: d, Key: key, To: reach(who),
				Channels: who.Channels()}); err != nil {
				return err
			}
		}
	}
	return nil
}
