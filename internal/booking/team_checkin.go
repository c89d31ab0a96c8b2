package booking

import (
	"context"
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// Co-players' check-in. Each player of a team slot has their own code on
// their booking page, of the holder's scheme: the booking's id, the
// player's membership number and a tag signed over the three with the
// current CodeStep ("123-45-ABCDEFGH"; the holder's stays "123-ABCDEFGH").
// Staff type or scan it on the desk's check-in form; each player checks in
// once (booking_checkins), and the booking moves to checked_in when the
// holder and half the minimum team of other players are in (TeamSlot.Quorum).

// playerTag is the tag of member's code for booking id at step; member 0
// is the holder, whose tag is the one Service.tag has always made.
func (s *Service) playerTag(id, member, step int64) string {
	msg := strconv.FormatInt(id, 10) + "|" + strconv.FormatInt(step, 10)
	if member != 0 {
		msg = strconv.FormatInt(id, 10) + "|m" + strconv.FormatInt(member, 10) + "|" + strconv.FormatInt(step, 10)
	}
	return s.codes.Sign([]byte(msg))[:tagLen]
}

// PlayerCode is the check-in code of a, a player of team booking id who
// does not hold it, and until when it is valid.
func (s *Service) PlayerCode(ctx context.Context, a authz.Actor, id int64) (string, time.Time, error) {
	b, _, mid, err := s.playerOf(ctx, s.db, a, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if b.Holder == a.Person {
		return s.Code(ctx, a, id)
	}
	if b.State != Held && b.State != CheckedIn {
		return "", time.Time{}, errs.E(errs.Conflict, "booking.error.no_code")
	}
	now := s.clock()
	step := now.Unix() / int64(CodeStep/time.Second)
	until := time.Unix((step+2)*int64(CodeStep/time.Second), 0).UTC()
	return strconv.FormatInt(id, 10) + "-" + strconv.FormatInt(mid, 10) + "-" + s.playerTag(id, mid, step), until, nil
}

// checkInTeam checks in a player of a team slot from their code (a
// co-player's, or the holder's code of a team booking); team false when
// the code is neither, for CheckIn's own path.
func (s *Service) checkInTeam(ctx context.Context, a authz.Actor, code string) (b *Booking, err error, team bool) {
	// The tag is base64url and may itself hold a "-": it is the last
	// tagLen characters, the member (if any) what lies between.
	idPart, rest, ok := strings.Cut(code, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || len(rest) < tagLen {
		return nil, nil, false
	}
	bad := errs.E(errs.Invalid, "booking.error.code").OnField("code")
	tag := rest[len(rest)-tagLen:]
	var member int64
	if len(rest) > tagLen {
		m, dash := strings.CutSuffix(rest[:len(rest)-tagLen], "-")
		if member, err = strconv.ParseInt(m, 10, 64); !dash || err != nil || member <= 0 {
			return nil, bad, true
		}
	} else if _, ok, err := teamSlot(ctx, s.db, id); err != nil {
		return nil, err, true
	} else if !ok {
		return nil, nil, false
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "bookings", "id", id); err != nil {
			return err
		}
		var err error
		if b, err = booking(ctx, tx, id); err != nil {
			return bad.Cause(err)
		}
		f, _, err := facility(ctx, tx, b.Facility)
		if err != nil {
			return err
		}
		ts, ok, err := teamSlot(ctx, tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return bad
		}
		r := b.Resource(f)
		if err := authz.Check(a, authz.ReadBooking, r); err != nil {
			return bad.Cause(err)
		}
		// Staff never check in a slot they play in.
		r.Involved = r.Involved.AddPersons(ts.Players...)
		if err := authz.Check(a, authz.ManageBooking, r); err != nil {
			return err
		}
		now := s.clock()
		step := now.Unix() / int64(CodeStep/time.Second)
		valid := false
		for _, st := range []int64{step, step - 1} {
			if subtle.ConstantTimeCompare([]byte(s.playerTag(id, member, st)), []byte(tag)) == 1 {
				valid = true
			}
		}
		if !valid {
			return bad
		}
		person := b.Holder
		if member != 0 {
			m, err := readMembership(ctx, tx, member)
			if err != nil || m.team != ts.Team || m.state != MemberAccepted || m.person == b.Holder || !slices.Contains(ts.Players, m.person) {
				// A member of another team, or one who has left since.
				return errs.E(errs.Invalid, "booking.error.not_player").OnField("code")
			}
			person = m.person
		}
		switch {
		case slices.Contains(ts.In, person) || (b.State == CheckedIn && person == b.Holder):
			return errs.E(errs.Conflict, "booking.error.replayed_player")
		case b.State != Held && b.State != CheckedIn:
			return errs.E(errs.Conflict, "booking.error.state")
		case now.Before(b.Start.Add(-CheckInEarly)) || !now.Before(b.End):
			return errs.E(errs.Conflict, "booking.error.not_now")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_checkins (booking_id, person_id, at, by_id) VALUES ($1, $2, $3, $4)`,
			id, person, now, a.Person); err != nil {
			if db.IsUniqueViolation(err) {
				return errs.E(errs.Conflict, "booking.error.replayed_player").Cause(err)
			}
			return err
		}
		ts.In = append(ts.In, person)
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, r), Action: "booking.player_checked_in",
			ObjectType: "booking", ObjectID: strconv.FormatInt(id, 10), Change: map[string]any{"person": person, "in": len(ts.In)},
			At: now}); err != nil {
			return err
		}
		if b.State == Held && ts.Quorum(b.Holder) {
			b.State, b.CheckedInAt, b.DecidedBy = CheckedIn, &now, a.Person
			if err := bump(ctx, tx, b, now); err != nil {
				return err
			}
			return s.record(ctx, tx, a, f, b, "checked_in", now)
		}
		return nil
	})
	if err != nil {
		return nil, err, true
	}
	return b, nil, true
}

// teamQuorum reports, for the clock, whether team booking b counts as
// used (ok false: b is no team's). A held team slot past its grace whose
// players reached the quorum is checked in, not a no-show.
func teamQuorum(ctx context.Context, q db.Querier, b *Booking) (met, ok bool, err error) {
	ts, ok, err := teamSlot(ctx, q, b.ID)
	if err != nil || !ok {
		return false, ok, err
	}
	return ts.Quorum(b.Holder), true, nil
}

// playerCode splits a co-player's code ("id-member-tag") into its parts;
// ok false for any other code (a holder's included).
func playerCode(code string) (id, member int64, tag string, ok bool) {
	code = strings.TrimSpace(textnorm.Digits(code))
	idPart, rest, cut := strings.Cut(code, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !cut || err != nil || len(rest) <= tagLen+1 {
		return 0, 0, "", false
	}
	m, dash := strings.CutSuffix(rest[:len(rest)-tagLen], "-")
	member, err = strconv.ParseInt(m, 10, 64)
	if !dash || err != nil || member <= 0 {
		return 0, 0, "", false
	}
	return id, member, rest[len(rest)-tagLen:], true
}

// playerHolder is Holder for a co-player's code: the team slot it names
// and the player's names, for the desk to compare with the identity
// document of the person showing it (team false for any other code).
func (s *Service) playerHolder(ctx context.Context, a authz.Actor, code string) (ho *Holder, err error, team bool) {
	id, member, tag, ok := playerCode(code)
	if !ok {
		return nil, nil, false
	}
	bad := errs.E(errs.Invalid, "booking.error.code").OnField("code")
	b, err := booking(ctx, s.db, id)
	if err != nil {
		return nil, bad.Cause(err), true
	}
	f, _, err := facility(ctx, s.db, b.Facility)
	if err != nil {
		return nil, err, true
	}
	ts, ok, err := teamSlot(ctx, s.db, id)
	if err != nil {
		return nil, err, true
	}
	if !ok {
		return nil, bad, true
	}
	r := b.Resource(f)
	if err := authz.Check(a, authz.ReadBooking, r); err != nil {
		return nil, bad.Cause(err), true
	}
	r.Involved = r.Involved.AddPersons(ts.Players...)
	if err := authz.Check(a, authz.ManageBooking, r); err != nil {
		return nil, err, true
	}
	step := s.clock().Unix() / int64(CodeStep/time.Second)
	valid := false
	for _, st := range []int64{step, step - 1} {
		if subtle.ConstantTimeCompare([]byte(s.playerTag(id, member, st)), []byte(tag)) == 1 {
			valid = true
		}
	}
	if !valid {
		return nil, bad, true
	}
	m, err := readMembership(ctx, s.db, member)
	if err != nil || m.team != ts.Team || m.state != MemberAccepted || !slices.Contains(ts.Players, m.person) {
		return nil, errs.E(errs.Invalid, "booking.error.not_player").OnField("code"), true
	}
	ho = &Holder{Booking: b, Facility: f, Player: true}
	if err := s.db.QueryRowContext(ctx, `SELECT given_name_ar || ' ' || family_name_ar, given_name_latin || ' ' || family_name_latin
		FROM persons WHERE id = $1`, m.person).Scan(&ho.NameAR, &ho.NameLatin); err != nil {
		return nil, err, true
	}
	ho.NameAR, ho.NameLatin = strings.TrimSpace(ho.NameAR), strings.TrimSpace(ho.NameLatin)
	return ho, nil, true
}
