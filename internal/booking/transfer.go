package booking

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// A booking is bound to its holder, a verified person: it is not
// transferable. At check-in the manager compares the person showing the
// code with the holder's identity; when they differ, the manager reports
// it instead of checking them in. The booking becomes a no-show marked
// as handed over (transferred_at, which the database lets be set only
// with the move from held to no_show, and never again), the holder
// climbs the penalty ladder with the reason transfer and is told, and
// the report is a signal on the desk.

// parseCode splits a check-in code into the booking's id and its tag.
func parseCode(code string) (int64, string, error) {
	code = strings.TrimSpace(textnorm.Digits(code))
	idPart, tag, ok := strings.Cut(code, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || len(tag) != tagLen {
		return 0, "", errs.E(errs.Invalid, "booking.error.code").OnField("code")
	}
	return id, tag, nil
}

// validTag reports whether tag is booking id's tag of the current or the
// previous CodeStep.
func (s *Service) validTag(id int64, tag string, now time.Time) bool {
	step := now.Unix() / int64(CodeStep/time.Second)
	valid := false
	for _, st := range []int64{step, step - 1} {
		if subtle.ConstantTimeCompare([]byte(s.tag(id, st)), []byte(tag)) == 1 {
			valid = true
		}
	}
	return valid
}

// ReportTransfer refuses the check-in of the booking whose code staff
// typed or scanned, because the person showing it is not its holder:
// for a manager of its facility, officially (never on their own booking
// nor their association's), with the same code and hours as a check-in.
// The booking becomes a no-show handed over, the holder takes the
// penalty ladder's next step (reason transfer) and is told.
func (s *Service) ReportTransfer(ctx context.Context, a authz.Actor, code string) (*Booking, error) {
	if _, _, _, player := playerCode(code); player {
		// A co-player's code hands over no booking: the player is not
		// checked in; a transfer is reported on the holder's code.
		return nil, errs.E(errs.Conflict, "booking.error.transfer_player").OnField("code")
	}
	id, tag, err := parseCode(code)
	if err != nil {
		return nil, err
	}
	var b *Booking
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "bookings", "id", id); err != nil {
			return err
		}
		var err error
		if b, err = booking(ctx, tx, id); err != nil {
			return errs.E(errs.Invalid, "booking.error.code").OnField("code").Cause(err)
		}
		f, _, err := facility(ctx, tx, b.Facility)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReadBooking, b.Resource(f)); err != nil {
			return errs.E(errs.Invalid, "booking.error.code").OnField("code").Cause(err)
		}
		if err := authz.Check(a, authz.ManageBooking, b.Resource(f)); err != nil {
			return err
		}
		now := s.clock()
		if !s.validTag(id, tag, now) {
			return errs.E(errs.Invalid, "booking.error.code").OnField("code")
		}
		switch {
		case b.State != Held:
			return errs.E(errs.Conflict, "booking.error.state")
		case now.Before(b.Start.Add(-CheckInEarly)) || !now.Before(b.End):
			return errs.E(errs.Conflict, "booking.error.not_now")
		}
		res, err := tx.ExecContext(ctx, `UPDATE bookings SET state = 'no_show', transferred_at = $1, decided_by = $2,
			updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5`, now, a.Person, now, b.ID, b.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "booking.error.stale")
		}
		b.State, b.TransferredAt, b.DecidedBy, b.UpdatedAt = NoShow, &now, a.Person, now
		b.Version++
		if err := s.record(ctx, tx, a, f, b, "transferred", now); err != nil {
			return err
		}
		_, err = s.penalise(ctx, tx, b, "transfer", now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Holder is the booking a check-in code names and its holder's names (in
// Arabic and Latin letters, as the national identity card writes them),
// for the desk to compare with the identity document of the person
// showing the code before checking them in or reporting a transfer.
type Holder struct {
	Booking           *Booking
	Facility          *Facility
	NameAR, NameLatin string
	// Player: the code is a co-player's of a team slot, and the names
	// are theirs (team_checkin.go).
	Player bool
}

// LegalName is legal person id's name in each language (Arabic where it
// has one), for the managers at the venue.
func (s *Service) LegalName(ctx context.Context, id int64) (i18n.Text, error) {
	return legalName(ctx, s.db, id)
}

func legalName(ctx context.Context, q db.Querier, id int64) (i18n.Text, error) {
	var n, nameAR string
	if err := q.QueryRowContext(ctx, `SELECT name, COALESCE(name_ar, '') FROM legal_persons WHERE id = $1`, id).Scan(&n, &nameAR); err != nil {
		return i18n.Text{}, fmt.Errorf("booking: legal person %d: %w", id, err)
	}
	return name(nameAR, n), nil
}

// Holder reads who holds the booking whose code staff typed or scanned,
// for a manager of its facility, officially, while the code is valid: a
// forged or expired code is refused like at check-in.
func (s *Service) Holder(ctx context.Context, a authz.Actor, code string) (*Holder, error) {
	if ho, err, team := s.playerHolder(ctx, a, code); team {
		return ho, err
	}
	id, tag, err := parseCode(code)
	if err != nil {
		return nil, err
	}
	b, err := booking(ctx, s.db, id)
	if err != nil {
		return nil, errs.E(errs.Invalid, "booking.error.code").OnField("code").Cause(err)
	}
	f, _, err := facility(ctx, s.db, b.Facility)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReadBooking, b.Resource(f)); err != nil {
		return nil, errs.E(errs.Invalid, "booking.error.code").OnField("code").Cause(err)
	}
	if err := authz.Check(a, authz.ManageBooking, b.Resource(f)); err != nil {
		return nil, err
	}
	if !s.validTag(id, tag, s.clock()) {
		return nil, errs.E(errs.Invalid, "booking.error.code").OnField("code")
	}
	h := &Holder{Booking: b, Facility: f}
	if err := s.db.QueryRowContext(ctx, `SELECT given_name_ar || ' ' || family_name_ar, given_name_latin || ' ' || family_name_latin
		FROM persons WHERE id = $1`, b.Holder).Scan(&h.NameAR, &h.NameLatin); err != nil {
		return nil, fmt.Errorf("booking: holder of %d: %w", b.ID, err)
	}
	h.NameAR, h.NameLatin = strings.TrimSpace(h.NameAR), strings.TrimSpace(h.NameLatin)
	return h, nil
}
