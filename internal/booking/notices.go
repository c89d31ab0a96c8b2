package booking

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"

	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

//go:embed notices
var noticesFS embed.FS

// Notices are the e-mail and SMS templates of bookings, as notify reads
// them (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, _ := fs.Sub(noticesFS, "notices") // a valid path: fs.Sub cannot fail
	return sub
}

// People is the register of people: how to reach a holder, in their
// language (identity's store provides it).
type People interface {
	Person(ctx context.Context, q db.Querier, id int64) (people.Person, error)
}

// Notifier queues notices (notify.Service).
type Notifier interface {
	Has(template string) bool
	Send(ctx context.Context, tx *db.Tx, m notify.Message) error
}

type noticeDeps struct {
	people  People
	notify  Notifier
	baseURL string
}

// SendNotices is the subscriber of TopicBookingChanged: the holder hears
// of a waitlist offer (with its deadline), of the arrondissement's
// decision, of a draw won, of a no-show or a booking handed over
// recorded — in their language, in the inbox, by e-mail and SMS where
// verified. Keyed by event, so an event handed twice is told once.
func (s *Service) SendNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p BookingChanged
	if err := ev.Decode(&p); err != nil {
		return err
	}
	n := s.notices
	if p.V != EventVersion || p.Silent || n == nil {
		return nil
	}
	template := "booking." + p.Change
	// A team slot booked, won in a draw or confirmed from the waitlist
	// (team_entries.go), or cancelled (by its holder or for a closure),
	// is told to its other players too (team_captains.go).
	team := map[string]string{"booked": "booked", "won": "booked", "confirmed": "booked", "cancelled": "cancelled",
		"closed": "cancelled"}[p.Change]
	if !n.notify.Has(template) && team == "" {
		return nil
	}
	b, err := booking(ctx, tx, p.Booking)
	if err != nil {
		return err
	}
	f, _, err := facility(ctx, tx, b.Facility)
	if err != nil {
		return err
	}
	if team != "" {
		if err := s.tellPlayers(ctx, tx, ev, b, f, team); err != nil {
			return err
		}
	}
	if !n.notify.Has(template) {
		return nil
	}
	// A decision on a contest made by another representative of the
	// association is told to them too (the penalty is the association's).
	tell := []int64{b.Holder}
	if p.Change == "penalty_upheld" || p.Change == "penalty_lifted" {
		var by int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(r.contested_by, 0) FROM booking_penalties p
			JOIN booking_penalty_reviews r ON r.penalty_id = p.id WHERE p.booking_id = $1`, b.ID).Scan(&by); err != nil {
			return fmt.Errorf("booking: review of %d: %w", b.ID, err)
		}
		if by != 0 && by != b.Holder {
			tell = append(tell, by)
		}
	}
	for _, id := range tell {
		if err := n.tell(ctx, tx, ev, p, template, b, f, id); err != nil {
			return err
		}
	}
	return nil
}

// tell sends person id the notice template of event ev on booking b of
// facility f, in their language.
func (n *noticeDeps) tell(ctx context.Context, tx *db.Tx, ev jobs.Event, p BookingChanged, template string, b *Booking, f *Facility,
	id int64) error {
	who, err := n.people.Person(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("booking: holder %d: %w", id, err)
	}
	l := i18n.Lang(who.Lang)
	d := map[string]any{"Name": who.DisplayName(who.Lang), "Number": b.Number, "Facility": f.Name.Pick(l),
		"Slot": i18n.FormatDateTime(l, b.Start), "URL": n.baseURL + "/bookings/" + strconv.FormatInt(b.ID, 10)}
	if b.ConfirmBy != nil {
		d["Deadline"] = i18n.FormatDateTime(l, *b.ConfirmBy)
	}
	if p.Change == "closed" {
		// The closure's reason, in the holder's language or another.
		d["Reason"] = ""
		for _, c := range f.Closures {
			if from, to, ok := closureBounds(c); ok && !b.Start.Before(from) && b.Start.Before(to) {
				d["Reason"] = pickAny(c.Reason, l)
			}
		}
	}
	if p.Change == "no_show" || p.Change == "transferred" {
		// The penalty's step, and the suspension it brought.
		var step int
		var until sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT step, suspended_until FROM booking_penalties WHERE booking_id = $1`, b.ID).
			Scan(&step, &until); err != nil {
			return fmt.Errorf("booking: penalty of %d: %w", b.ID, err)
		}
		d["Step"], d["Until"], d["For"] = step, "", ""
		if until.Valid {
			d["Until"] = i18n.FormatDate(l, until.Time)
		}
		if b.HolderLegal != 0 {
			// The penalty is on the legal person's ladder (sweep.go penalise).
			var fr, ar string
			if err := tx.QueryRowContext(ctx, `SELECT name, name_ar FROM legal_persons WHERE id = $1`, b.HolderLegal).Scan(&fr, &ar); err != nil {
				return fmt.Errorf("booking: legal person %d: %w", b.HolderLegal, err)
			}
			d["For"] = name(ar, fr).Pick(l)
		}
	}
	if p.Change == "penalty_upheld" || p.Change == "penalty_lifted" {
		// The review's decision on the penalty, with the manager's note.
		var step int
		var note string
		if err := tx.QueryRowContext(ctx, `SELECT p.step, COALESCE(r.note, '') FROM booking_penalties p
			JOIN booking_penalty_reviews r ON r.penalty_id = p.id WHERE p.booking_id = $1`, b.ID).Scan(&step, &note); err != nil {
			return fmt.Errorf("booking: review of %d: %w", b.ID, err)
		}
		d["Step"], d["Note"] = step, note
	}
	return n.notify.Send(ctx, tx, notify.Message{Template: template, Data: d,
		Key:      ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":person:" + strconv.FormatInt(who.ID, 10),
		To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
		Channels: append([]notify.Channel{notify.Inbox}, who.Channels()...)})
}
