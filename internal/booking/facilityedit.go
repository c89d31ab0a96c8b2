package booking

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// The desk edits a facility's opening hours, slot length, closures,
// priority groups and seasons, as it edits its rules: for one of the
// facility's managers, officially; on the version the manager saw (a
// stale form is refused, never saved over a change made meanwhile); the
// whole facility checked again (every contradiction named at once), and
// nothing written when anything is refused; with an audit record.

// edit changes a facility in a transaction: change edits g (a copy of
// the facility as stored) and may refuse, or say what the audit record
// adds.
type edit func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error)

// editFacility applies change to facility code for a, on version (0: any).
func (s *Service) editFacility(ctx context.Context, a authz.Actor, code string, version int, action string, change edit) (*Facility, error) {
	var out *Facility
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_facilities", "code", code); err != nil {
			return err
		}
		f, v, err := facility(ctx, tx, code)
		if err != nil {
			return err
		}
		// The facility's managers, officially (a dispatcher of the same
		// organisation does not).
		if err := authz.Check(a, authz.ManageBooking, authz.Resource{Org: f.Organisation, Arrondissement: f.Arrondissement}); err != nil {
			return err
		}
		if version != 0 && version != v {
			return errs.E(errs.Conflict, "booking.error.stale")
		}
		// A deep copy: change may not touch f.
		var g Facility
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &g); err != nil {
			return err
		}
		now := s.clock()
		extra, err := change(ctx, tx, &g, now)
		if err != nil {
			return err
		}
		if err := g.Check(); err != nil {
			return err
		}
		def, err := json.Marshal(&g)
		if err != nil {
			return err
		}
		label := authz.ActorLabel(a, authz.Resource{Org: f.Organisation})
		if _, err := tx.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1, version = version + 1,
			updated_at = $2, updated_by = $3 WHERE code = $4`, string(def), now, label, code); err != nil {
			return err
		}
		rec := map[string]any{"version": v + 1}
		maps.Copy(rec, extra)
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: label, Action: action, ObjectType: "booking_facility",
			ObjectID: code, Change: rec, At: now}); err != nil {
			return err
		}
		out = &g
		return nil
	})
	if err == nil {
		s.mu.Lock()
		delete(s.cache, code)
		s.mu.Unlock()
	}
	return out, err
}

// upcoming are the facility's bookings that keep a slot from now on.
func upcoming(ctx context.Context, tx *db.Tx, code string, from, to, now time.Time) ([]*Booking, error) {
	if from.Before(now) {
		from = now
	}
	return listBookings(ctx, tx, `facility_code = $1 AND slot_start >= $2 AND slot_start < $3 AND state IN ('pending', 'offered', 'held')`,
		`slot_start, id`, 100000, code, from, to)
}

// UpdateHours replaces the opening hours and the slot length. Bookings
// already made must still fit: a change that would leave some on a slot
// that no longer exists is refused with their count (close those days
// instead, which cancels them, or wait for them to pass).
func (s *Service) UpdateHours(ctx context.Context, a authz.Actor, code string, version int, hours []Opening, slotMinutes int) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.hours", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		if g.Request() {
			return nil, errs.E(errs.Invalid, "booking.error.request_service")
		}
		g.Hours, g.SlotMinutes = hours, slotMinutes
		if len(hours) == 0 {
			// Once open, a facility stays open: closures close it.
			return nil, errs.E(errs.Invalid, "booking.rules.hours")
		}
		if err := g.Check(); err != nil {
			return nil, err
		}
		bs, err := upcoming(ctx, tx, g.Code, now, now.AddDate(10, 0, 0), now)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, b := range bs {
			if sl, ok := g.slotAt(b.Start); !ok || !sl.End.Equal(b.End) {
				n++
			}
		}
		if n > 0 {
			return nil, errs.E(errs.Conflict, "booking.hours.affected").With("count", n)
		}
		return map[string]any{"hours": hours, "slot_minutes": slotMinutes}, nil
	})
}

// closureBounds are the first instant of a closure and the instant after
// its last day, in Casablanca.
func closureBounds(c Closure) (time.Time, time.Time, bool) {
	a, err1 := time.ParseInLocation(time.DateOnly, c.From, i18n.Casablanca)
	b, err2 := time.ParseInLocation(time.DateOnly, c.To, i18n.Casablanca)
	if err1 != nil || err2 != nil || b.Before(a) {
		return time.Time{}, time.Time{}, false
	}
	return a.UTC(), b.AddDate(0, 0, 1).UTC(), true
}

// AddClosure closes the facility from c.From to c.To. A closure is the
// arrondissement's decision (works, an event), so it may fall on days
// already booked, but never without the manager knowing: unless cancel
// is set, it is refused with the count of the bookings it would cancel;
// with cancel, they are cancelled in the same transaction, each holder
// told through the outbox (notice booking.closed, with the reason). The
// waitlists of those slots are left as they are (nobody is offered a
// slot that no longer exists). It returns the count cancelled.
func (s *Service) AddClosure(ctx context.Context, a authz.Actor, code string, version int, c Closure, cancel bool) (*Facility, int, error) {
	cancelled := 0
	f, err := s.editFacility(ctx, a, code, version, "booking.closure_added", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		if g.Request() {
			return nil, errs.E(errs.Invalid, "booking.error.request_service")
		}
		from, to, ok := closureBounds(c)
		if ok && !to.After(now) {
			return nil, errs.E(errs.Invalid, "booking.closure.past").OnField("to")
		}
		if slices.ContainsFunc(g.Closures, func(x Closure) bool { return x.From == c.From && x.To == c.To }) {
			return nil, errs.E(errs.Invalid, "booking.closure.twice").OnField("from")
		}
		g.Closures = append(g.Closures, c)
		slices.SortFunc(g.Closures, func(x, y Closure) int {
			if x.From != y.From {
				return strings.Compare(x.From, y.From)
			}
			return strings.Compare(x.To, y.To)
		})
		if err := g.Check(); err != nil || !ok {
			return nil, err
		}
		bs, err := upcoming(ctx, tx, g.Code, from, to, now)
		if err != nil {
			return nil, err
		}
		if len(bs) > 0 && !cancel {
			return nil, errs.E(errs.Conflict, "booking.closure.affected").With("count", len(bs)).OnField("cancel")
		}
		for _, b := range bs {
			b.State, b.EndedAt, b.ConfirmBy = Cancelled, &now, nil
			if err := bump(ctx, tx, b, now); err != nil {
				return nil, err
			}
			if err := s.record(ctx, tx, a, g, b, "closed", now); err != nil {
				return nil, err
			}
		}
		cancelled = len(bs)
		return map[string]any{"from": c.From, "to": c.To, "cancelled": cancelled}, nil
	})
	return f, cancelled, err
}

// RemoveClosure removes the closure from–to (bookings it cancelled stay
// cancelled).
func (s *Service) RemoveClosure(ctx context.Context, a authz.Actor, code string, version int, from, to string) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.closure_removed", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		i := slices.IndexFunc(g.Closures, func(c Closure) bool { return c.From == from && c.To == to })
		if i < 0 {
			return nil, errs.E(errs.Conflict, "booking.error.stale")
		}
		g.Closures = slices.Delete(g.Closures, i, i+1)
		return map[string]any{"from": from, "to": to}, nil
	})
}

// SaveGroup adds priority group gr, or changes the group of its code.
func (s *Service) SaveGroup(ctx context.Context, a authz.Actor, code string, version int, gr Group) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.group_saved", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		if g.Request() {
			return nil, errs.E(errs.Invalid, "booking.error.request_service")
		}
		if i := slices.IndexFunc(g.Rules.Groups, func(x Group) bool { return x.Code == gr.Code }); i >= 0 {
			g.Rules.Groups[i] = gr
		} else {
			g.Rules.Groups = append(g.Rules.Groups, gr)
		}
		return map[string]any{"group": gr.Code, "share": gr.Share, "days": gr.Days, "from": gr.From, "to": gr.To, "who": gr.Who}, nil
	})
}

// RemoveGroup removes priority group group (bookings made in it keep
// their slots).
func (s *Service) RemoveGroup(ctx context.Context, a authz.Actor, code string, version int, group string) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.group_removed", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		i := slices.IndexFunc(g.Rules.Groups, func(x Group) bool { return x.Code == group })
		if i < 0 {
			return nil, errs.E(errs.Conflict, "booking.error.stale")
		}
		g.Rules.Groups = slices.Delete(g.Rules.Groups, i, i+1)
		return map[string]any{"group": group}, nil
	})
}

// AddSeason adds a season (the period a season quota counts over).
func (s *Service) AddSeason(ctx context.Context, a authz.Actor, code string, version int, se Season) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.season_added", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		if g.Request() {
			return nil, errs.E(errs.Invalid, "booking.error.request_service")
		}
		g.Seasons = append(g.Seasons, se)
		slices.SortFunc(g.Seasons, func(x, y Season) int { return strings.Compare(x.From, y.From) })
		return map[string]any{"from": se.From, "to": se.To}, nil
	})
}

// RemoveSeason removes the season from–to; a season quota left without
// a season is refused by Check, and so is a season whose committed
// roster (its seed's hash published, its applications taken or its slots
// granted) has not ended: the roster's season is what its commitment
// published.
func (s *Service) RemoveSeason(ctx context.Context, a authz.Actor, code string, version int, from, to string) (*Facility, error) {
	return s.editFacility(ctx, a, code, version, "booking.season_removed", func(ctx context.Context, tx *db.Tx, g *Facility, now time.Time) (map[string]any, error) {
		i := slices.IndexFunc(g.Seasons, func(x Season) bool { return x.From == from && x.To == to })
		if i < 0 {
			return nil, errs.E(errs.Conflict, "booking.error.stale")
		}
		var committed bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM booking_rosters WHERE facility_code = $1 AND season_from = $2)`,
			g.Code, from).Scan(&committed); err != nil {
			return nil, err
		}
		if end, err := time.ParseInLocation(time.DateOnly, to, i18n.Casablanca); committed && err == nil && now.Before(end.AddDate(0, 0, 1)) {
			return nil, errs.E(errs.Conflict, "booking.error.season_roster").With("season", seasonWords(Season{From: from, To: to}))
		}
		g.Seasons = slices.Delete(g.Seasons, i, i+1)
		return map[string]any{"from": from, "to": to}, nil
	})
}

// seasonWords is season s in each language's words, for a message's
// parameter.
func seasonWords(s Season) i18n.Text {
	in := func(l i18n.Lang) string {
		day := func(d string) string {
			t, err := time.ParseInLocation(time.DateOnly, d, i18n.Casablanca)
			if err != nil {
				return d
			}
			return i18n.FormatDate(l, t.Add(12*time.Hour))
		}
		return day(s.From) + " – " + day(s.To)
	}
	return i18n.Text{AR: in(i18n.AR), FR: in(i18n.FR), EN: in(i18n.EN)}
}

// quotaPeriod is the period of quota p holding the slot starting at t:
// the week, the month, or the facility's season (none out of season).
func (f *Facility) quotaPeriod(t time.Time, p string) (time.Time, time.Time, bool) {
	if p == "season" {
		return f.seasonOf(t)
	}
	a, b := period(t, p)
	return a, b, true
}

// pickAny is t in language l, or in another language when l's is
// missing (a closure's reason may be given in one language only).
func pickAny(t i18n.Text, l i18n.Lang) string {
	if s := t.Pick(l); s != "" {
		return s
	}
	for _, s := range []string{t.AR, t.FR, t.EN} {
		if s != "" {
			return s
		}
	}
	return ""
}
