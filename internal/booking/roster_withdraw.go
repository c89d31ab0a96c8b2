package booking

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Withdrawals (issue #15 point 3, migration 0062). An association's
// representative, acting for it, withdraws its application while the
// window is open: the application is kept, marked withdrawn, and takes
// no part in the allocation (its token is listed as withdrawn on the
// published roster, not among the draw's entries). Once the roster is
// allocated, the association gives back the weekly slot it was granted
// for the rest of the season: its roster bookings still ahead are
// cancelled as any holder's cancellation would be — free until the
// facility's cancellation deadline, the weeks past it kept (the holder
// comes, or it is a no-show) — each freed slot offered to its waitlist,
// or left to first-come. The application and its result are never
// changed, so verify-draw still verifies the original allocation; the
// published roster adds the slots given back and since when.

// Withdrawal kinds.
const (
	Withdrawn = "withdrawn"
	GivenBack = "given_back"
)

// WithdrawRoster withdraws application id (before the window closes) or
// gives back its granted weekly slot (after the allocation, before the
// season ends), for a representative acting for the association.
func (s *Service) WithdrawRoster(ctx context.Context, a authz.Actor, id int64) (*Application, error) {
	apps, err := applications(ctx, s.db, `a.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(apps) != 1 {
		return nil, errs.E(errs.NotFound, "booking.error.roster_application")
	}
	app := apps[0]
	if err := authz.Check(a, authz.BookFacility, authz.Resource{OwnerLegal: app.Legal}); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_rosters", "id", app.Roster); err != nil {
			return err
		}
		r, err := rosterByID(ctx, tx, app.Roster)
		if err != nil {
			return err
		}
		apps, err := applications(ctx, tx, `a.id = $1`, id)
		if err != nil {
			return err
		}
		app = apps[0]
		f, _, err := facility(ctx, tx, r.Facility)
		if err != nil {
			return err
		}
		now := s.clock()
		if app.Withdrawal != "" {
			return errs.E(errs.Conflict, "booking.error.roster_withdrawn")
		}
		kind, cancelled, kept := Withdrawn, 0, 0
		switch {
		case r.State == "open" && now.Before(r.Closes):
		case r.State == "open":
			return errs.E(errs.Conflict, "booking.error.roster_withdraw_closed").With("date", dateTimeText(r.Closes))
		case app.Granted == "":
			return errs.E(errs.Conflict, "booking.error.roster_not_granted")
		default:
			end, _ := time.ParseInLocation(time.DateOnly, r.SeasonTo, i18n.Casablanca)
			if !now.Before(end.AddDate(0, 0, 1)) {
				return errs.E(errs.Conflict, "booking.error.roster_season_over")
			}
			kind = GivenBack
			if cancelled, kept, err = s.giveBackWeeks(ctx, tx, a, f, app, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_roster_withdrawals (application_id, kind, person_id, at, cancelled)
			VALUES ($1, $2, $3, $4, $5)`, app.ID, kind, a.Person, now, cancelled); err != nil {
			return fmt.Errorf("booking: roster withdrawal: %w", err)
		}
		app.Withdrawal, app.WithdrawnAt, app.Cancelled, app.Kept = kind, &now, cancelled, kept
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, authz.Resource{OwnerLegal: app.Legal}),
			Action: "booking.roster_" + kind, ObjectType: "booking_roster", ObjectID: strconv.FormatInt(r.ID, 10),
			Change: map[string]any{"application": app.ID, "token": app.Token, "granted": app.Granted, "cancelled": cancelled,
				"kept": kept}, At: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// giveBackWeeks cancels application p's roster bookings still ahead
// whose cancellation deadline has not passed, as the holder's
// cancellation would (each freed slot offered to its waitlist); it
// returns how many it cancelled and how many it kept (past the
// deadline).
func (s *Service) giveBackWeeks(ctx context.Context, tx *db.Tx, a authz.Actor, f *Facility, p *Application, now time.Time) (int, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT w.booking_id FROM booking_roster_weeks w JOIN bookings b ON b.id = w.booking_id
		WHERE w.application_id = $1 AND w.outcome = 'booked' AND b.state IN ('pending', 'offered', 'held') AND b.slot_start > $2
		ORDER BY b.slot_start`, p.ID, now)
	if err != nil {
		return 0, 0, fmt.Errorf("booking: roster weeks: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	cancelled, kept := 0, 0
	for _, id := range ids {
		if err := tx.LockRow(ctx, "bookings", "id", id); err != nil {
			return 0, 0, err
		}
		b, err := booking(ctx, tx, id)
		if err != nil {
			return 0, 0, err
		}
		if dl := b.Start.Add(-time.Duration(f.Rules.CancelHours) * time.Hour); b.State == Held && now.After(dl) {
			kept++
			continue
		}
		b.State, b.EndedAt, b.ConfirmBy = Cancelled, &now, nil
		if err := bump(ctx, tx, b, now); err != nil {
			return 0, 0, err
		}
		if err := s.record(ctx, tx, a, f, b, "cancelled", now); err != nil {
			return 0, 0, err
		}
		if err := s.promote(ctx, tx, f, b.Start, now); err != nil {
			return 0, 0, err
		}
		cancelled++
	}
	return cancelled, kept, nil
}
