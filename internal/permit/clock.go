package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

// sweepBatch bounds the deadlines one sweep handles.
const sweepBatch = 200

// Sweep handles the deadlines that have passed: the catalogue's silence
// rule applies where it has one (tacit approval, or the right to refer the
// file to the higher authority), and otherwise the agents of the window
// and their supervisors are alerted. Each deadline is claimed in its own
// transaction, so several nodes may sweep at once; it returns how many it
// handled.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM permit_deadlines WHERE met_at IS NULL AND paused_at IS NULL
		AND alerted_at IS NULL AND due_at < $1 ORDER BY due_at LIMIT `+strconv.Itoa(sweepBatch), now)
	if err != nil {
		return 0, fmt.Errorf("permit: sweep: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done, err := s.expire(ctx, id, now)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// expire handles one passed deadline, unless another node claimed it.
func (s *Service) expire(ctx context.Context, id int64, now time.Time) (bool, error) {
	claimed := false
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		claimed = false
		// Lock the file before touching its deadline, in the order every
		// other write on the file takes (file, then what hangs from it), so
		// that the clock and an agent acting on the file do not deadlock.
		var fileID int64
		err := tx.QueryRowContext(ctx, `SELECT file_id FROM permit_deadlines WHERE id = $1`, id).Scan(&fileID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("permit: deadline %d: %w", id, err)
		}
		if err := tx.LockRow(ctx, "permit_files", "id", fileID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `UPDATE permit_deadlines SET alerted_at = $1 WHERE id = $2 AND alerted_at IS NULL
			AND met_at IS NULL AND paused_at IS NULL RETURNING file_id`, now, id).Scan(&fileID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another node has it, or it was met meanwhile
		}
		if err != nil {
			return fmt.Errorf("permit: claim deadline: %w", err)
		}
		claimed = true
		d, err := scanDeadline(tx.QueryRowContext(ctx, `SELECT `+deadlineColumns+` FROM permit_deadlines WHERE id = $1`, id))
		if err != nil {
			return fmt.Errorf("permit: deadline %d: %w", id, err)
		}
		f, err := file(ctx, tx, "id", fileID)
		if err != nil {
			return err
		}
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return err
		}
		system := authz.Actor{}
		data := map[string]any{"step": d.Step, "due": d.DueAt}
		switch {
		case d.Silence == SilenceApproval && d.Step == f.Step && f.State == Accepted && f.Holder == HolderCommittee:
			// The members' silence counts as agreement: each body that
			// said nothing is recorded as such, and the round concludes.
			silent, c, err := s.applySilence(ctx, tx, k, f, now)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET outcome = 'tacit_approval' WHERE id = $1`, id); err != nil {
				return err
			}
			data["bodies"] = silent
			if err := s.record(ctx, tx, system, k, f, "silence", "", "", data, false, now); err != nil {
				return err
			}
			if c == nil {
				return nil
			}
			r, _, err := lastRound(ctx, tx, f.ID)
			if err != nil {
				return err
			}
			if err := bump(ctx, tx, f, now); err != nil {
				return err
			}
			return s.concluded(ctx, tx, k, f, r.N, c, now)
		case d.Silence == SilenceApproval && d.Step == Overall && f.Family == Urban && f.State == Accepted:
			// The overall deadline of an urban file passed undecided,
			// where the catalogue says silence approves (tacit_urban.go).
			return s.tacitUrban(ctx, tx, k, f, d, data, now)
		case d.Silence == SilenceApproval && f.State == UnderReview:
			t, _ := transitionNamed(TTacit)
			to, err := checkTransition(t, f.State, f.Family)
			if err != nil {
				return err
			}
			from := f.State
			f.State, f.Holder, f.Tacit = to, holderOf[to], true
			if _, err := s.close(ctx, tx, f, "", now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET outcome = 'tacit_approval' WHERE id = $1`, id); err != nil {
				return err
			}
			if err := bump(ctx, tx, f, now); err != nil {
				return err
			}
			if err := s.record(ctx, tx, system, k, f, TTacit, from, to, data, true, now); err != nil {
				return err
			}
			return s.fileChanged(ctx, tx, f, TTacit, from, to, nil)
		case d.Silence == SilenceReferral:
			if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET met_at = $1, outcome = 'referral' WHERE id = $2`, now, id); err != nil {
				return err
			}
			if err := s.record(ctx, tx, system, k, f, "referral", "", "", data, true, now); err != nil {
				return err
			}
			return s.fileChanged(ctx, tx, f, "referral", "", "", nil)
		}
		if err := s.record(ctx, tx, system, k, f, "overdue", "", "", data, false, now); err != nil {
			return err
		}
		if f.Window == "" {
			return nil // nobody to alert
		}
		return s.deadlinePassed(ctx, tx, f, d)
	})
	return claimed && err == nil, err
}

// alert tells a window's agents and their supervisors that a deadline of
// one of its files has passed (the notices' subscriber, for
// TopicDeadlinePassed).
func (s *Service) alert(ctx context.Context, tx *db.Tx, ev jobs.Event, p DeadlinePassed) error {
	// Whose step it is decides who is alerted: the committee members
	// sitting on the file for theirs (the study), the window's staff for
	// the others.
	if p.Window == "" {
		return nil
	}
	f, k, err := s.eventFile(ctx, tx, p.File)
	if err != nil {
		return err
	}
	f.Window = p.Window
	staff, err := s.alerted(ctx, tx, f, p)
	if err != nil {
		return err
	}
	for _, who := range staff {
		l := i18n.Lang(who.Lang)
		data := s.data(ctx, f, k, who.Lang, nil)
		data["Name"] = who.DisplayName(who.Lang)
		data["Step"] = s.cat.StepName(p.Step).Pick(l)
		data["Due"] = i18n.FormatDate(l, p.Due)
		channels := []notify.Channel{notify.Inbox}
		if who.EmailVerifiedAt != nil {
			channels = append(channels, notify.Email)
		}
		if err := s.notify.Send(ctx, tx, notify.Message{Template: "permit.overdue", Data: data, Key: noticeKey(ev, who.ID),
			To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Lang: who.Lang},
			Channels: channels}); err != nil {
			return err
		}
	}
	return nil
}
