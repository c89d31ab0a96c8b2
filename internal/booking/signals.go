package booking

import (
	"context"
	"fmt"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
)

// Signals of brokering go to the facility managers' review, never to an
// automatic ban: a person decides, knowing that a family shares a phone.

// SignalWindow is how far back the signals look.
const SignalWindow = 60 * 24 * time.Hour

// SharedPhoneAccounts is how many accounts booking with one phone number
// make a signal.
const SharedPhoneAccounts = 3

// Signal is a sign of brokering to review.
type Signal struct {
	Kind     string // shared_phone
	Phone    string // masked
	Accounts int
	Bookings int
}

// Signals lists the signs of brokering among the bookings of org's
// facilities over SignalWindow, for one of its managers: several
// accounts booking with the same phone number.
func (s *Service) Signals(ctx context.Context, a authz.Actor, org string) ([]Signal, error) {
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT p.phone, count(DISTINCT b.holder_id), count(*) FROM bookings b
		JOIN persons p ON p.id = b.holder_id
		WHERE b.facility_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)
		AND b.created_at > $2 AND p.phone <> ''
		GROUP BY p.phone HAVING count(DISTINCT b.holder_id) >= $3 ORDER BY count(DISTINCT b.holder_id) DESC, p.phone`,
		org, s.clock().Add(-SignalWindow), SharedPhoneAccounts)
	if err != nil {
		return nil, fmt.Errorf("booking: signals: %w", err)
	}
	defer rows.Close()
	var out []Signal
	for rows.Next() {
		var sg Signal
		var phone string
		if err := rows.Scan(&phone, &sg.Accounts, &sg.Bookings); err != nil {
			return nil, err
		}
		sg.Kind, sg.Phone = "shared_phone", notify.MaskPhone(phone)
		out = append(out, sg)
	}
	return out, rows.Err()
}
