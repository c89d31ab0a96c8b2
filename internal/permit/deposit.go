package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Slot is a deposit slot of a window with the places left in it.
type Slot struct {
	Start, End time.Time
	Capacity   int
	Free       int
}

// hours are a window's opening hours: the administration's, with Ramadan
// hours, working days only.
func (s *Service) hours() calendar.OpeningHours { return s.cal.AdministrationHours() }

// capacity is how many applicants a slot of window w takes.
func (s *Service) capacity(w district.Window) int { return s.cat.Deposit.Capacity[w.Kind] }

// Slots lists a window's deposit slots bookable now, up to the horizon,
// with the places left.
func (s *Service) Slots(ctx context.Context, window string) ([]Slot, error) {
	w, err := s.window(ctx, window)
	if err != nil {
		return nil, errs.E(errs.NotFound, "").Cause(err)
	}
	now := s.now()
	dp := s.cat.Deposit
	from := now.Add(time.Duration(dp.MinNoticeHours) * time.Hour)
	to := calendar.DateOf(now).AddDays(dp.HorizonDays).End()
	cs := s.cal.Slots(from, to, s.hours(), time.Duration(dp.SlotMinutes)*time.Minute, s.capacity(w), now)
	booked := map[time.Time]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT starts_at, booked FROM permit_slots WHERE window_code = $1 AND starts_at >= $2`,
		w.Code, from)
	if err != nil {
		return nil, fmt.Errorf("permit: slots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t time.Time
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("permit: slots: %w", err)
		}
		booked[t.UTC()] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Slot, 0, len(cs))
	for _, c := range cs {
		out = append(out, Slot{Start: c.Start.UTC(), End: c.End.UTC(), Capacity: c.Capacity, Free: max(0, c.Capacity-booked[c.Start.UTC()])})
	}
	return out, nil
}

// slotAt returns the bookable slot of window w starting at start.
func (s *Service) slotAt(w district.Window, start time.Time) (calendar.Slot, error) {
	now := s.now()
	dp := s.cat.Deposit
	if !start.After(now) {
		return calendar.Slot{}, errs.E(errs.Invalid, "permit.error.slot_past").OnField("slot")
	}
	if start.Before(now.Add(time.Duration(dp.MinNoticeHours) * time.Hour)) {
		return calendar.Slot{}, errs.E(errs.Invalid, "permit.error.slot_notice").With("hours", dp.MinNoticeHours).OnField("slot")
	}
	length := time.Duration(dp.SlotMinutes) * time.Minute
	for _, c := range s.cal.Slots(start, start.Add(length), s.hours(), length, s.capacity(w), now) {
		if c.Start.Equal(start) {
			return c, nil
		}
	}
	return calendar.Slot{}, errs.E(errs.Invalid, "permit.error.slot_unknown").OnField("slot")
}

// Book books (or moves) the deposit appointment of a submitted file, at
// the version the caller saw (0: any). A full slot refuses the booking;
// the database keeps count.
func (s *Service) Book(ctx context.Context, a authz.Actor, id int64, version int, start time.Time) (*Appointment, error) {
	start = start.UTC()
	var ap *Appointment
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		f, k, err := s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		if version != 0 && version != f.Version {
			return errs.E(errs.Conflict, "permit.error.stale")
		}
		if f.State != Submitted {
			return errs.E(errs.Conflict, "permit.error.book_state").With("state", string(f.State))
		}
		w, err := s.window(ctx, f.Window)
		if err != nil {
			return err
		}
		slot, err := s.slotAt(w, start)
		if err != nil {
			return err
		}
		now := s.now()
		old, err := bookedAppointment(ctx, tx, f.ID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		seq := 0
		if err == nil {
			if old.Start.Equal(slot.Start) {
				ap = old
				return nil // already booked there: nothing to do
			}
			if err := s.changeable(old, now); err != nil {
				return err
			}
			if err := s.releaseAppointment(ctx, tx, f.ID, AppointmentMoved, now); err != nil {
				return err
			}
			seq = old.Sequence + 1
		}
		if err := takeSlot(ctx, tx, w.Code, slot); err != nil {
			return err
		}
		ap = &Appointment{Window: w.Code, Start: slot.Start.UTC(), End: slot.End.UTC(), Status: AppointmentBooked, Sequence: seq}
		err = tx.QueryRowContext(ctx, `INSERT INTO permit_appointments (file_id, window_code, starts_at, ends_at, status,
			sequence, booked_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'booked', $5, $6, $7, $7) RETURNING id`,
			f.ID, w.Code, ap.Start, ap.End, seq, a.Person, now).Scan(&ap.ID)
		if err != nil {
			return fmt.Errorf("permit: book: %w", err)
		}
		// The window's receipt deadline runs from the appointment.
		if err := closeDeadlines(ctx, tx, f.ID, "dropped", now, "receipt"); err != nil {
			return err
		}
		if sc, ok := s.schedule(k, f); ok {
			for _, st := range sc.Steps {
				if st.Code == "receipt" && st.Deadline != nil {
					if err := insertDeadline(ctx, tx, f.ID, StepDeadline{Step: "receipt", Actor: st.Actor.Code,
						Source: st.Deadline.Source.Code, StartsAt: ap.Start, DueAt: s.due(*st.Deadline, ap.Start)}); err != nil {
						return err
					}
				}
			}
		}
		if err := s.refreshDue(ctx, tx, f); err != nil {
			return err
		}
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		kind := "booked"
		if old != nil {
			kind = "moved"
		}
		data := map[string]any{"start": ap.Start, "window": w.Code}
		if err := s.record(ctx, tx, a, k, f, kind, "", "", data, true, now); err != nil {
			return err
		}
		return s.appointmentChanged(ctx, tx, f, w, ap, kind)
	})
	return ap, err
}

// CancelAppointment cancels a file's deposit appointment, at the version
// the caller saw (0: any).
func (s *Service) CancelAppointment(ctx context.Context, a authz.Actor, id int64, version int) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		f, k, err := s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		if version != 0 && version != f.Version {
			return errs.E(errs.Conflict, "permit.error.stale")
		}
		now := s.now()
		old, err := bookedAppointment(ctx, tx, f.ID)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Conflict, "permit.error.no_appointment").Cause(err)
		}
		if err != nil {
			return err
		}
		if err := s.changeable(old, now); err != nil {
			return err
		}
		if err := s.releaseAppointment(ctx, tx, f.ID, AppointmentCancelled, now); err != nil {
			return err
		}
		if err := closeDeadlines(ctx, tx, f.ID, "dropped", now, "receipt"); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, f); err != nil {
			return err
		}
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, k, f, "cancelled", "", "", map[string]any{"start": old.Start}, true, now); err != nil {
			return err
		}
		w, err := s.window(ctx, old.Window)
		if err != nil {
			return err
		}
		old.Sequence++
		old.Status = AppointmentCancelled
		return s.appointmentChanged(ctx, tx, f, w, old, AppointmentCancelled)
	})
}

// changeable refuses to move or cancel an appointment too close to it.
func (s *Service) changeable(ap *Appointment, now time.Time) error {
	if now.Add(time.Duration(s.cat.Deposit.ChangeNoticeHours) * time.Hour).After(ap.Start) {
		return errs.E(errs.Conflict, "permit.error.change_notice").With("hours", s.cat.Deposit.ChangeNoticeHours)
	}
	return nil
}

// takeSlot takes a place in a slot, refusing a full one.
func takeSlot(ctx context.Context, tx *db.Tx, window string, slot calendar.Slot) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO permit_slots (window_code, starts_at, capacity, booked) VALUES ($1, $2, $3, 0)
		ON CONFLICT (window_code, starts_at) DO NOTHING`, window, slot.Start.UTC(), slot.Capacity); err != nil {
		return fmt.Errorf("permit: slot: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE permit_slots SET booked = booked + 1 WHERE window_code = $1 AND starts_at = $2
		AND booked < capacity`, window, slot.Start.UTC())
	if err != nil {
		return fmt.Errorf("permit: slot: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "permit.error.slot_full").OnField("slot")
	}
	return nil
}

// releaseAppointment ends a file's booked appointment, if it has one,
// with status and frees its place.
func (s *Service) releaseAppointment(ctx context.Context, tx *db.Tx, fileID int64, status string, now time.Time) error {
	var window string
	var start time.Time
	err := tx.QueryRowContext(ctx, `UPDATE permit_appointments SET status = $1, updated_at = $2
		WHERE file_id = $3 AND status = 'booked' RETURNING window_code, starts_at`,
		status, now, fileID).Scan(&window, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // none booked: nothing to release
	}
	if err != nil {
		return fmt.Errorf("permit: release appointment: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE permit_slots SET booked = booked - 1 WHERE window_code = $1 AND starts_at = $2
		AND booked > 0`, window, start); err != nil {
		return fmt.Errorf("permit: release slot: %w", err)
	}
	return nil
}

// DepositSlots are the free deposit slots to offer for submitted file f, in
// time order: those that start before the receipt step's legal deadline,
// counted from the submission. When none of those is free, every free slot
// up to the horizon, and late says so: the page tells the applicant that
// the window will receive the file after its deadline. limit is the
// deadline (zero when the file's schedule sets none: every free slot).
func (s *Service) DepositSlots(ctx context.Context, f *File, k *Kind) (slots []Slot, limit time.Time, late bool, err error) {
	all, err := s.Slots(ctx, f.Window)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	free := make([]Slot, 0, len(all))
	for _, sl := range all {
		if sl.Free > 0 {
			free = append(free, sl)
		}
	}
	limit = s.receiptLimit(f, k)
	if limit.IsZero() {
		return free, limit, false, nil
	}
	var before []Slot
	for _, sl := range free {
		if !sl.Start.After(limit) {
			before = append(before, sl)
		}
	}
	if len(before) == 0 {
		return free, limit, len(free) > 0, nil
	}
	return before, limit, false, nil
}

// receiptLimit is when the window must have received submitted file f by
// law: the receipt step's deadline of its schedule from its submission.
func (s *Service) receiptLimit(f *File, k *Kind) time.Time {
	if f.SubmittedAt == nil || k == nil {
		return time.Time{}
	}
	sc, ok := s.schedule(k, f)
	if !ok {
		return time.Time{}
	}
	for _, st := range sc.Steps {
		if st.Code == "receipt" && st.Deadline != nil {
			return s.due(*st.Deadline, *f.SubmittedAt)
		}
	}
	return time.Time{}
}
