package booking

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// The booking clock: draws held when their window closes, waitlist
// offers lapsing (and passed on), no-shows recorded with their penalty.

// SweepInterval is how often the clock runs unless configured
// (--booking-clock).
const SweepInterval = time.Minute

var system = authz.Actor{System: true}

// Sweep does the clock's due work once; it returns how many things it
// did.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	n, err := s.PrepareDraws(ctx)
	if err != nil {
		return n, err
	}
	ids, err := s.DueDraws(ctx)
	if err != nil {
		return n, err
	}
	for _, id := range ids {
		if _, err := s.RunDraw(ctx, system, id); err != nil {
			return n, err
		}
		n++
	}
	// Season rosters: committed before their window, allocated after.
	k, err := s.PrepareRosters(ctx)
	n += k
	if err != nil {
		return n, err
	}
	rosters, err := s.DueRosters(ctx)
	if err != nil {
		return n, err
	}
	for _, id := range rosters {
		if _, err := s.AllocateRoster(ctx, system, id); err != nil {
			return n, err
		}
		n++
	}
	// Their second rounds (roster_round.go), once closed.
	rounds, err := s.DueRounds(ctx)
	if err != nil {
		return n, err
	}
	for _, id := range rounds {
		if _, err := s.AllocateRound(ctx, system, id); err != nil {
			return n, err
		}
		n++
	}
	now := s.clock()
	lapsed, err := listBookings(ctx, s.db, `state = 'offered' AND confirm_by < $1`, `confirm_by, id`, 500, now)
	if err != nil {
		return n, err
	}
	for _, b := range lapsed {
		if _, err := s.move(ctx, b.ID, func(b *Booking, f *Facility, now time.Time) error {
			return s.systemCheck(b, f, now, Offered)
		}, Lapsed, "lapsed", system, nil); err != nil {
			return n, err
		}
		n++
	}
	m, err := s.SweepNoShows(ctx)
	if err != nil {
		return n + m, err
	}
	// The requests' origins serve the signals' window only.
	return n + m, s.forgetOrigins(ctx, now)
}

// SweepNoShows records the no-shows due (held slots begun NoShowGrace
// ago without check-in — NoShowGrace after the holder confirmed, for a
// slot offered once begun), each with its penalty, and offers what is
// left of each slot to the first one waiting: the clock's last step, on
// its own for a demonstration that books in the past.
func (s *Service) SweepNoShows(ctx context.Context) (int, error) {
	late, err := listBookings(ctx, s.db, `state = 'held' AND slot_start < $1 AND updated_at < $1`, `slot_start, id`, 500,
		s.clock().Add(-NoShowGrace))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range late {
		if err := s.noShow(ctx, b.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) systemCheck(b *Booking, f *Facility, now time.Time, want State) error {
	if err := authz.Check(system, authz.SweepBookings, authz.Resource{Org: f.Organisation}); err != nil {
		return err
	}
	if b.State != want {
		return errs.E(errs.Conflict, "booking.error.state")
	}
	return nil
}

// noShow records that booking id's holder did not come, and climbs the
// penalty ladder: the n-th no-show within the lookback takes step n (the
// last step repeats), which may suspend booking for some days.
func (s *Service) noShow(ctx context.Context, id int64) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "bookings", "id", id); err != nil {
			return err
		}
		b, err := booking(ctx, tx, id)
		if err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, b.Facility)
		if err != nil {
			return err
		}
		now := s.clock()
		if err := s.systemCheck(b, f, now, Held); err != nil {
			return err
		}
		// A team slot whose players reached the quorum was used: checked
		// in, never a no-show (team_checkin.go).
		if met, _, err := teamQuorum(ctx, tx, b); err != nil {
			return err
		} else if met {
			b.State, b.CheckedInAt = CheckedIn, &now
			if err := bump(ctx, tx, b, now); err != nil {
				return err
			}
			return s.record(ctx, tx, system, f, b, "checked_in", now)
		}
		b.State = NoShow
		if err := bump(ctx, tx, b, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, system, f, b, "no_show", now); err != nil {
			return err
		}
		if _, err := s.penalise(ctx, tx, b, "no_show", now); err != nil {
			return err
		}
		// The rest of the slot is free: the first one waiting is offered it.
		return s.promote(ctx, tx, f, b.Start, now)
	})
}

// Penalty is a step of the ladder a person, or a legal person through
// its bookings, reached.
type Penalty struct {
	Booking        int64
	Reason         string
	Step           int
	SuspendedUntil *time.Time
	At             time.Time

	// ID is the penalty's; Review what became of its contest (review.go):
	// "" none, "contested" (awaiting the decision), "upheld" or "lifted".
	ID     int64
	Review string
}

// penalise records the penalty booking b brought at the next step of
// its holder's ladder: the legal person's when b was held for one
// (counting the penalties of its bookings, whoever of its representatives
// booked them), otherwise the person's own (their own bookings'). The
// lifted penalties and those older than the lookback do not count.
func (s *Service) penalise(ctx context.Context, tx *db.Tx, b *Booking, reason string, now time.Time) (Penalty, error) {
	l := s.cat.Penalties
	var n int
	on, id := ladder(b.Holder, b.HolderLegal)
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalties p WHERE `+on+` AND at > $2 AND `+notLifted,
		id, now.AddDate(0, 0, -l.LookbackDays)).Scan(&n); err != nil {
		return Penalty{}, err
	}
	p := Penalty{Booking: b.ID, Reason: reason, Step: n + 1, At: now}
	st := l.Steps[min(n, len(l.Steps)-1)]
	if st.SuspendDays > 0 {
		u := now.AddDate(0, 0, st.SuspendDays)
		p.SuspendedUntil = &u
	}
	var legal any
	if b.HolderLegal != 0 {
		legal = b.HolderLegal
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO booking_penalties (person_id, legal_id, booking_id, reason, step, suspended_until, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, b.Holder, legal, b.ID, reason, p.Step, p.SuspendedUntil, now)
	return p, err
}

// Penalties lists the penalties of the account a acts in, newest first:
// in their own name, those of their own bookings; acting for an
// association, those of the association's bookings, whoever of its
// representatives booked them (a penalty of an association's booking is
// the association's: contested only acting for it).
func (s *Service) Penalties(ctx context.Context, a authz.Actor) ([]Penalty, error) {
	r := owner(a)
	if err := authz.Check(a, authz.ReadBooking, r); err != nil {
		return nil, err
	}
	where, arg := ladder(a.Person, r.OwnerLegal)
	rows, err := s.db.QueryContext(ctx, `SELECT p.booking_id, p.reason, p.step, p.suspended_until, p.at, p.id,
		CASE WHEN r.id IS NULL THEN '' ELSE COALESCE(r.decision, 'contested') END
		FROM booking_penalties p LEFT JOIN booking_penalty_reviews r ON r.penalty_id = p.id
		WHERE `+where+` ORDER BY p.at DESC, p.id DESC`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Penalty
	for rows.Next() {
		var p Penalty
		var until sql.NullTime
		if err := rows.Scan(&p.Booking, &p.Reason, &p.Step, &until, &p.At, &p.ID, &p.Review); err != nil {
			return nil, err
		}
		p.SuspendedUntil, p.At = nullTime(until), p.At.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// AssociationPenalties counts the penalties brought by the bookings a
// made for an association or a school (lifted ones left out): they are
// the legal person's — on its ladder, suspending its bookings, read and
// contested acting for it — not a's, who is not suspended by them in
// their own name; "my space" in a's own name says so without showing
// them.
func (s *Service) AssociationPenalties(ctx context.Context, a authz.Actor) (int, error) {
	if err := authz.Check(a, authz.ReadBooking, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return 0, err
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalties p
		WHERE p.person_id = $1 AND p.legal_id IS NOT NULL AND `+notLifted, a.Person).Scan(&n)
	return n, err
}

// WaitPlaces lists a's places on waitlists.
func (s *Service) WaitPlaces(ctx context.Context, a authz.Actor) ([]WaitPlace, error) {
	if err := authz.Check(a, authz.ReadBooking, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	return waitPlaces(ctx, s.db, a.Person)
}

// sweep runs the booking clock every interval (SweepInterval if 0)
// until ctx ends.
func sweep(ctx context.Context, s *Service, log *slog.Logger, interval time.Duration) {
	if interval <= 0 {
		interval = SweepInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil {
			log.Error("booking sweep", "err", err)
		} else if n > 0 {
			log.Info("booking sweep", "done", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
