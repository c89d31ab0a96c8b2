// Package bookingdemo loads Casa In's demonstration (docs/DEMO.md): the
// demonstration's citizens book Moulay Rachid's fields, three of them
// request the same peak slot in its draw, one waits for a taken slot, and
// the Sidi Othmane association asks for Maârif's coworking space, which
// waits for the arrondissement's approval, and Fatima's team has one
// member and one invitation waiting — through the services, as
// people would, from the time the demonstration is loaded.
package bookingdemo

import (
	"context"
	"fmt"
	"io"
	"time"

	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/identity"
	"madina/internal/module"
	"madina/internal/platform/calendar"
	"madina/internal/platform/i18n"
)

// Managers are the demonstration's facility managers: e-mail and the
// arrondissement whose facilities they run (identitydemo gives them the
// role).
var Managers = []struct{ Email, Org string }{
	{"meriem.sentissi@example.ma", "moulay-rachid"},
	{"anas.kabbaj@example.ma", "maarif"},
}

// Dispatcher is the demonstration's ambulance dispatcher (Sbata).
const Dispatcher = "hamid.ouali@example.ma"

// Load books; it does nothing when the demonstration's bookings are
// there already.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	s, err := module.Need[*booking.Service](env)
	if err != nil {
		return err
	}
	id, err := module.Need[*identity.Service](env)
	if err != nil {
		return err
	}
	now := time.Now()
	citizen := func(email string) (authz.Actor, error) {
		p, err := id.AccountID(ctx, email)
		return authz.Actor{Person: p, EmailVerified: true, Now: now}, err
	}
	fatima, err := citizen("fatima.benali@example.ma")
	if err != nil {
		return fmt.Errorf("booking demo: %w (load identity's demonstration first)", err)
	}
	if mine, err := s.Mine(ctx, fatima); err != nil {
		return err
	} else if len(mine) > 0 {
		fmt.Fprintln(out, "demo: Casa In's bookings are already there")
		return nil
	}
	youssef, err := citizen("youssef.elamrani@example.ma")
	if err != nil {
		return err
	}
	khadija, err := citizen("khadija.ouazzani@example.ma")
	if err != nil {
		return err
	}
	// Slots two days from now, at hours that are neither peak nor past.
	day := calendar.DateOf(now.AddDate(0, 0, 2))
	at := func(d calendar.Date, h int) time.Time {
		return time.Date(d.Year, d.Month, d.Day, h, 0, 0, 0, i18n.Casablanca).UTC()
	}
	const field = "moulay-rachid-field-1"
	// Three accounts asking from one computer (a family's, say): the
	// desk's signals list the device for Meriem Sentissi's review.
	shared := booking.Origin{Device: "demo-family-computer-0000000000"}
	if _, err := s.Book(ctx, fatima, booking.BookInput{Facility: field, Start: at(day, 10), From: shared}); err != nil {
		return fmt.Errorf("booking demo: Fatima's booking: %w", err)
	}
	if _, err := s.Book(ctx, youssef, booking.BookInput{Facility: field, Start: at(day, 11), From: shared}); err != nil {
		return fmt.Errorf("booking demo: Youssef's booking: %w", err)
	}
	if _, err := s.JoinWaitlist(ctx, khadija, booking.BookInput{Facility: field, Start: at(day, 10), From: shared}); err != nil {
		return fmt.Errorf("booking demo: Khadija's waitlist place: %w", err)
	}
	// The peak slot released today: its draw collects requests.
	peak := calendar.DateOf(now.AddDate(0, 0, 7))
	if f, _, err := s.Facility(ctx, field); err == nil && now.After(f.Release(at(peak, 19))) {
		for _, a := range []authz.Actor{fatima, youssef, khadija} {
			if _, err := s.Enter(ctx, a, booking.BookInput{Facility: field, Start: at(peak, 19)}); err != nil {
				return fmt.Errorf("booking demo: draw request: %w", err)
			}
		}
	}
	// The association's request for the coworking space, a working day
	// at least two days ahead.
	naima, err := citizen("naima.bennis@example.ma")
	if err != nil {
		return err
	}
	ls, err := id.LegalPersons(ctx, naima)
	if err != nil || len(ls) == 0 {
		return fmt.Errorf("booking demo: Naima's association: %v", err)
	}
	naima.ActingFor, naima.Represents = ls[0].ID, []int64{ls[0].ID}
	cw := calendar.DateOf(now.AddDate(0, 0, 3))
	for cw.Weekday() == time.Sunday {
		cw = calendar.DateOf(at(cw, 12).AddDate(0, 0, 1))
	}
	if _, err := s.Book(ctx, naima, booking.BookInput{Facility: "maarif-coworking", Start: at(cw, 8), Group: "partners"}); err != nil {
		return fmt.Errorf("booking demo: the association's coworking request: %w", err)
	}
	if _, err := s.RequestAmbulance(ctx, khadija, booking.AmbulanceInput{Service: "sbata-ambulance", Patient: "Fatna Ouazzani, 74",
		Address: "Derb Sbata, street 14, no. 3", Urgency: "urgent", Destination: "Moulay Youssef hospital", Phone: "0770 11 22 33"}); err != nil {
		return fmt.Errorf("booking demo: the ambulance request: %w", err)
	}
	// A team for field 2's team slots: Fatima captains it, Youssef has
	// joined, Khadija's invitation waits in her space.
	team, err := s.CreateTeam(ctx, fatima, "Lions de Moulay Rachid")
	if err != nil {
		return fmt.Errorf("booking demo: the team: %w", err)
	}
	for _, email := range []string{"youssef.elamrani@example.ma", "khadija.ouazzani@example.ma"} {
		if err := s.Invite(ctx, fatima, team.ID, email); err != nil {
			return fmt.Errorf("booking demo: an invitation: %w", err)
		}
	}
	if inv, err := s.Invitations(ctx, youssef); err != nil || len(inv) != 1 {
		return fmt.Errorf("booking demo: Youssef's invitation: %v", err)
	} else if err := s.Answer(ctx, youssef, inv[0].ID, true); err != nil {
		return fmt.Errorf("booking demo: Youssef joins the team: %w", err)
	}
	fmt.Fprintf(out, "demo: Casa In bookings made; facility managers %s (Moulay Rachid), %s (Maârif)\n", Managers[0].Email, Managers[1].Email)
	return nil
}
