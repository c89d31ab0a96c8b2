package booking

import (
	"context"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// Check-in: the holder shows a short-lived code (and its QR) from "my
// space"; the facility's staff type or scan it on the check-in page.
// The code is the booking's id and a tag signed with the server's key
// over the id and the current CodeStep: it changes every CodeStep and is
// accepted for two steps at most, a forged one never, and a booking is
// checked in once (a replayed code is refused).

// CodeStep is how long a check-in code lives before the next one.
const CodeStep = 5 * time.Minute

// CheckInEarly is how long before its slot a booking may be checked in.
const CheckInEarly = 30 * time.Minute

// NoShowGrace is how long after its start a slot waits for its holder
// before the booking clock records a no-show.
const NoShowGrace = 15 * time.Minute

const tagLen = 8

func (s *Service) tag(id int64, step int64) string { return s.playerTag(id, 0, step) }

// Code is the check-in code of a's booking id now, and until when it is
// valid; only a held booking has one.
func (s *Service) Code(ctx context.Context, a authz.Actor, id int64) (string, time.Time, error) {
	b, f, err := s.Get(ctx, a, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if err := s.own(a, b, f); err != nil {
		return "", time.Time{}, err
	}
	if b.State != Held {
		return "", time.Time{}, errs.E(errs.Conflict, "booking.error.no_code")
	}
	now := s.clock()
	step := now.Unix() / int64(CodeStep/time.Second)
	until := time.Unix((step+2)*int64(CodeStep/time.Second), 0).UTC()
	return strconv.FormatInt(id, 10) + "-" + s.tag(id, step), until, nil
}

// CheckIn checks in the booking whose code staff typed or scanned, for a
// manager of its facility (officially: never their own booking). A
// forged, expired or replayed code is refused, each with its reason.
func (s *Service) CheckIn(ctx context.Context, a authz.Actor, code string) (*Booking, error) {
	code = strings.TrimSpace(textnorm.Digits(code))
	// Team slots and co-players' codes (team_checkin.go).
	if b, err, team := s.checkInTeam(ctx, a, code); team {
		return b, err
	}
	idPart, tag, ok := strings.Cut(code, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || len(tag) != tagLen {
		return nil, errs.E(errs.Invalid, "booking.error.code").OnField("code")
	}
	return s.move(ctx, id, func(b *Booking, f *Facility, now time.Time) error {
		if err := authz.Check(a, authz.ReadBooking, b.Resource(f)); err != nil {
			return errs.E(errs.Invalid, "booking.error.code").OnField("code").Cause(err)
		}
		if err := authz.Check(a, authz.ManageBooking, b.Resource(f)); err != nil {
			return err
		}
		step := now.Unix() / int64(CodeStep/time.Second)
		valid := false
		for _, st := range []int64{step, step - 1} {
			if subtle.ConstantTimeCompare([]byte(s.tag(id, st)), []byte(tag)) == 1 {
				valid = true
			}
		}
		if !valid {
			return errs.E(errs.Invalid, "booking.error.code").OnField("code")
		}
		switch {
		case b.State == CheckedIn:
			return errs.E(errs.Conflict, "booking.error.replayed")
		case b.State != Held:
			return errs.E(errs.Conflict, "booking.error.state")
		case now.Before(b.Start.Add(-CheckInEarly)) || !now.Before(b.End):
			return errs.E(errs.Conflict, "booking.error.not_now")
		}
		return nil
	}, CheckedIn, "checked_in", a, func(b *Booking, now time.Time) { b.CheckedInAt = &now; b.DecidedBy = a.Person })
}
