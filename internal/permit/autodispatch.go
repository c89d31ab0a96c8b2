package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Automatic dispatch (issue #12, point 2): Madina dispatches each accepted
// urban file to its committee itself, with the same selection as the
// agent's one-action dispatch (selectSeats: the catalogue's permanent and
// occasional members, with their reasons), recorded as the system's
// (permit_committee_seats.selected_by NULL, audit actor "system", event
// data "automatic"). A window dispatches automatically unless its row of
// permit_dispatch_modes says otherwise (SetDispatchMode); the agent's
// dispatch and "add a member with a reason" work on every window. The
// sweep (AutoDispatch) runs on every node every minute; each file is
// claimed under its row's lock and dispatched once.

// autoDispatchBatch bounds the files one sweep dispatches.
const autoDispatchBatch = 200

// autoDispatchMargin is how far ahead of its dispatch deadline a file is
// dispatched at the latest when AutoDispatchAfter has not passed yet: two
// sweeps.
const autoDispatchMargin = 2 * sweepInterval

// system is Madina acting by itself, under the policy's system actions.
var system = authz.Actor{System: true}

// AutoDispatch dispatches the accepted urban files waiting at a window
// that dispatches automatically, once AutoDispatchAfter has passed since
// their acceptance (at once by default), or at the latest just before
// their dispatch deadline; it returns how many it dispatched. Several
// nodes may run it at once: each file is dispatched once.
func (s *Service) AutoDispatch(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT f.id FROM permit_files f
		WHERE f.family = 'urban' AND f.state = 'accepted' AND f.holder = 'window' AND f.step = 'dispatch'
		AND NOT EXISTS (SELECT 1 FROM permit_committee_seats s WHERE s.file_id = f.id)
		AND NOT EXISTS (SELECT 1 FROM permit_dispatch_modes m WHERE m.window_code = f.window_code AND NOT m.automatic)
		AND (f.accepted_at <= $1 OR EXISTS (SELECT 1 FROM permit_deadlines d WHERE d.file_id = f.id
			AND d.step = 'dispatch' AND d.met_at IS NULL AND d.due_at <= $2))
		ORDER BY f.accepted_at, f.id LIMIT `+strconv.Itoa(autoDispatchBatch),
		now.Add(-s.cfg.AutoDispatchAfter), now.Add(autoDispatchMargin))
	if err != nil {
		return 0, fmt.Errorf("permit: automatic dispatch: %w", err)
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
		done, err := s.autoDispatch(ctx, id)
		if err != nil {
			// One file that cannot be dispatched (its kind lost its
			// committee) does not stop the others: the window's agent
			// sees it waiting, and its deadline alerts them.
			s.log.Warn("permit automatic dispatch", "file", id, "err", err.Error())
			continue
		}
		if done {
			n++
		}
	}
	return n, nil
}

// AutoDispatchFile dispatches file id as the system now, whatever its
// delay, if it waits for dispatch at a window that dispatches
// automatically (the demonstration's stories); false when it does not.
func (s *Service) AutoDispatchFile(ctx context.Context, id int64) (bool, error) {
	return s.autoDispatch(ctx, id)
}

// autoDispatch dispatches file id as the system, unless it was dispatched
// meanwhile (by an agent, or another node) or its window dispatches by
// hand now.
func (s *Service) autoDispatch(ctx context.Context, id int64) (bool, error) {
	done := false
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		done = false
		if err := tx.LockRow(ctx, "permit_files", "id", id); err != nil {
			return err
		}
		f, err := file(ctx, tx, "id", id)
		if err != nil {
			return err
		}
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return err
		}
		if err := authz.Check(system, authz.DispatchFile, f.Resource(k)); err != nil {
			return err
		}
		if f.Family != Urban || f.State != Accepted || f.Holder != HolderWindow || f.Step != "dispatch" {
			return nil
		}
		if n, err := seatCount(ctx, tx, f.ID); err != nil || n > 0 {
			return err
		}
		if auto, err := dispatchesAutomatically(ctx, tx, f.Window); err != nil || !auto {
			return err
		}
		t, _ := transitionNamed(TDispatch)
		to, err := checkTransition(t, f.State, f.Family)
		if err != nil {
			return err
		}
		if !t.fits(f) {
			return nil
		}
		now := s.now()
		from := f.State
		f.State, f.Holder = to, holderOf[to]
		data, err := s.dispatchTx(ctx, tx, f, 0, now)
		if err != nil {
			return err
		}
		data["automatic"] = true
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, system, k, f, TDispatch, from, to, data, true, now); err != nil {
			return err
		}
		done = true
		return s.fileChanged(ctx, tx, f, TDispatch, from, to, data)
	})
	return done, err
}

// dispatchesAutomatically reports whether window dispatches its accepted
// urban files automatically: unless its mode says otherwise.
func dispatchesAutomatically(ctx context.Context, q db.Querier, window string) (bool, error) {
	var auto bool
	err := q.QueryRowContext(ctx, `SELECT automatic FROM permit_dispatch_modes WHERE window_code = $1`, window).Scan(&auto)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("permit: dispatch mode of %s: %w", window, err)
	}
	return auto, nil
}

// DispatchesAutomatically reports whether window dispatches its accepted
// urban files automatically.
func (s *Service) DispatchesAutomatically(ctx context.Context, window string) (bool, error) {
	return dispatchesAutomatically(ctx, s.db, window)
}

// SetDispatchMode has window dispatch its accepted urban files
// automatically or leave them to its agents: the server's operator or an
// administrator (authz.ManageOrgs, the organisations' keeping), audited.
func (s *Service) SetDispatchMode(ctx context.Context, a authz.Actor, window string, automatic bool) error {
	if err := authz.Check(a, authz.ManageOrgs, authz.Resource{Window: window}); err != nil {
		return err
	}
	ws, err := s.places.Windows(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ws, func(w district.Window) bool { return w.Code == window }) {
		return errs.E(errs.Invalid, "permit.autodispatch.error.window").With("window", window).OnField("window")
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var by any
		if a.Person != 0 {
			by = a.Person
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_dispatch_modes (window_code, automatic, set_by, set_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (window_code) DO UPDATE SET automatic = $2, set_by = $3, set_at = $4`,
			window, automatic, by, now); err != nil {
			return fmt.Errorf("permit: dispatch mode of %s: %w", window, err)
		}
		label := "system"
		if a.Person != 0 {
			label = authz.ActorLabel(a, authz.Resource{Window: window})
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "permit.dispatch_mode", ObjectType: "window",
			ObjectID: window, Change: map[string]any{"automatic": automatic}, At: now})
		return err
	})
}

// Dispatcher says who dispatched file fileID: Madina itself (automatic) or
// the person who did (by), and when; ok false before dispatch.
func dispatcher(ctx context.Context, q db.Querier, fileID int64) (automatic bool, by int64, at time.Time, ok bool, err error) {
	var who sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT selected_by, selected_at FROM permit_committee_seats
		WHERE file_id = $1 AND basis <> 'added' ORDER BY id LIMIT 1`, fileID).Scan(&who, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, time.Time{}, false, nil
	}
	if err != nil {
		return false, 0, time.Time{}, false, fmt.Errorf("permit: dispatch of file %d: %w", fileID, err)
	}
	return !who.Valid, who.Int64, at.UTC(), true, nil
}

// sweepDispatch runs the automatic dispatch until ctx ends; every node
// may run it.
func sweepDispatch(ctx context.Context, s *Service) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if n, err := s.AutoDispatch(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("permit automatic dispatch", "err", err.Error())
		} else if n > 0 {
			s.log.Info("permit files dispatched automatically", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dispatchedLine says on a file's page who dispatched it and when:
// Madina itself, or the window (its agent by name, to staff); "" before
// dispatch.
func (h *FileHandlers) dispatchedLine(ctx context.Context, f *File, p printer, staff bool) (string, error) {
	auto, by, at, ok, err := dispatcher(ctx, h.Service.db, f.ID)
	if err != nil || !ok {
		return "", err
	}
	date := i18n.FormatDate(p.l, at)
	if auto {
		return p.t("permit.autodispatch.by_madina", "date", date), nil
	}
	if staff && h.Service.people.Staff != nil {
		who, err := h.Service.people.Person(ctx, h.Service.db, by)
		if err == nil {
			return p.t("permit.autodispatch.by_agent", "name", who.DisplayName(string(p.l)), "date", date), nil
		}
		if !errs.Is(err, errs.NotFound) && !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
	}
	return p.t("permit.autodispatch.by_window", "date", date), nil
}

// DispatchMode is how a window dispatches its accepted urban files, and
// who set it last.
type DispatchMode struct {
	Window    district.Window
	Automatic bool
	SetBy     int64      // 0: never set (the default), or set by the server's operator
	SetAt     *time.Time // nil: never set
}

// DispatchModes lists every window's dispatch mode, in the reference's
// order, for an administrator (authz.ManageOrgs).
func (s *Service) DispatchModes(ctx context.Context, a authz.Actor) ([]DispatchMode, error) {
	if err := authz.Check(a, authz.ManageOrgs, authz.Resource{}); err != nil {
		return nil, err
	}
	ws, err := s.places.Windows(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT window_code, automatic, set_by, set_at FROM permit_dispatch_modes`)
	if err != nil {
		return nil, fmt.Errorf("permit: dispatch modes: %w", err)
	}
	defer rows.Close()
	set := map[string]DispatchMode{}
	for rows.Next() {
		var code string
		var m DispatchMode
		var by sql.NullInt64
		var at time.Time
		if err := rows.Scan(&code, &m.Automatic, &by, &at); err != nil {
			return nil, fmt.Errorf("permit: dispatch modes: %w", err)
		}
		at = at.UTC()
		m.SetBy, m.SetAt = by.Int64, &at
		set[code] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("permit: dispatch modes: %w", err)
	}
	out := make([]DispatchMode, 0, len(ws))
	for _, w := range ws {
		m, ok := set[w.Code]
		if !ok {
			m.Automatic = true
		}
		m.Window = w
		out = append(out, m)
	}
	return out, nil
}
