package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Penalty reviews: the holder of a penalty of the ladder (a no-show, a
// booking reported handed over) contests it once, within ContestDays,
// with a reason; one of the facility's managers, officially (never on
// their own penalty nor one of their association's booking), upholds or
// lifts it with a note, and the holder is told. booking_penalties stays
// immutable (migration 0058): a lifted penalty is one whose review says
// so, which the ladder's count (penalise) and the suspension check
// (suspendedUntil) skip. A penalty is contested once; a decision is
// final — the database refuses changing it.

// ContestDays is how long after a penalty its holder may contest it.
const ContestDays = 7

// ReviewTextMax is the longest reason or note, in characters.
const ReviewTextMax = 1000

// Decisions of a review.
const (
	Upheld = "upheld"
	Lifted = "lifted"
)

// Review is a penalty with its contest and, once decided, the decision.
type Review struct {
	Penalty
	Person      int64
	Booking     *Booking
	Facility    *Facility
	HolderAR    string // the holder's names, for the managers
	HolderLatin string

	Contested   bool
	Grounds     string // the holder's reason for contesting
	ContestedAt time.Time
	ContestedBy int64  // who contested: the holder, or another representative of the association (0 before migration 0063)
	Decision    string // "" until decided
	DecidedAt   *time.Time
	DecidedBy   int64
	Note        string
}

// Contestable reports whether the review's penalty may still be
// contested at now.
func (r *Review) Contestable(now time.Time) bool {
	return !r.Contested && !now.After(r.At.AddDate(0, 0, ContestDays))
}

// reviewText is a reason or a note as stored: trimmed, required, at most
// ReviewTextMax characters, its mistake on field (the text itself passed
// the platform's one text rule before the handler ran).
func reviewText(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", errs.E(errs.Invalid, "booking.review.error."+strings.SplitN(field, "_", 2)[0]).OnField(field)
	case n > ReviewTextMax:
		return "", errs.E(errs.Invalid, "booking.review.error.too_long").With("max", ReviewTextMax).OnField(field)
	}
	return s, nil
}

const reviewColumns = `p.id, p.person_id, p.booking_id, p.reason, p.step, p.suspended_until, p.at,
	COALESCE(r.id, 0), COALESCE(r.reason, ''), r.contested_at, COALESCE(r.decision, ''), r.decided_at, COALESCE(r.decided_by, 0),
	COALESCE(r.note, ''), COALESCE(r.contested_by, 0)`

const reviewFrom = ` FROM booking_penalties p LEFT JOIN booking_penalty_reviews r ON r.penalty_id = p.id`

func scanReview(row interface{ Scan(...any) error }) (*Review, error) {
	var v Review
	var until, contested, decided sql.NullTime
	var rid int64
	if err := row.Scan(&v.ID, &v.Person, &v.Penalty.Booking, &v.Penalty.Reason, &v.Step, &until, &v.At, &rid, &v.Grounds, &contested,
		&v.Decision, &decided, &v.DecidedBy, &v.Note, &v.ContestedBy); err != nil {
		return nil, err
	}
	v.SuspendedUntil, v.DecidedAt, v.At = nullTime(until), nullTime(decided), v.At.UTC()
	v.Contested = rid != 0
	if contested.Valid {
		v.ContestedAt = contested.Time.UTC()
	}
	v.Review = v.Decision
	if v.Contested && v.Decision == "" {
		v.Review = "contested"
	}
	return &v, nil
}

// reviewOf reads the penalty of booking id with its review, nil when the
// booking brought none.
func (s *Service) reviewOf(ctx context.Context, q db.Querier, id int64) (*Review, error) {
	v, err := scanReview(q.QueryRowContext(ctx, `SELECT `+reviewColumns+reviewFrom+` WHERE p.booking_id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("booking: penalty of %d: %w", id, err)
	}
	return v, nil
}

// holderNames fills the review's holder's names: an association's (or
// a school's) penalty is the association's, named first, with the
// representative who booked.
func (s *Service) holderNames(ctx context.Context, q db.Querier, v *Review) error {
	ar, latin, err := personNames(ctx, q, v.Person)
	if err != nil {
		return err
	}
	if v.Booking != nil && v.Booking.HolderLegal != 0 {
		n, err := legalName(ctx, q, v.Booking.HolderLegal)
		if err != nil {
			return err
		}
		ar, latin = n.AR+" — "+ar, n.FR+" — "+latin
	}
	v.HolderAR, v.HolderLatin = ar, latin
	return nil
}

// personNames are a person's names in Arabic and Latin letters.
func personNames(ctx context.Context, q db.Querier, id int64) (string, string, error) {
	var ar, latin string
	if err := q.QueryRowContext(ctx, `SELECT given_name_ar || ' ' || family_name_ar, given_name_latin || ' ' || family_name_latin
		FROM persons WHERE id = $1`, id).Scan(&ar, &latin); err != nil {
		return "", "", fmt.Errorf("booking: names of %d: %w", id, err)
	}
	return strings.TrimSpace(ar), strings.TrimSpace(latin), nil
}

// PenaltyOf is the penalty booking id brought and its review, for whoever
// may read the booking (its holder, the facility's managers); nil when
// it brought none.
func (s *Service) PenaltyOf(ctx context.Context, a authz.Actor, id int64) (*Review, error) {
	b, f, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	v, err := s.reviewOf(ctx, s.db, id)
	if err != nil || v == nil {
		return nil, err
	}
	v.Booking, v.Facility = b, f
	return v, nil
}

// penaltyOwner is whom the penalty booking b brought belongs to, as the
// policy sees it: the association the booking was held for (any of its
// representatives, acting for it, contests it), else its holder.
func penaltyOwner(b *Booking) authz.Resource {
	if b.HolderLegal != 0 {
		return authz.Resource{OwnerLegal: b.HolderLegal}
	}
	return authz.Resource{OwnerPerson: b.Holder}
}

// contestStanding says whether a may contest the penalty of booking b
// (authz.ContestPenalty), reading the representation again in q: a
// representative revoked since their session began contests nothing,
// and one who was a representative is told so rather than "not found".
func contestStanding(ctx context.Context, q db.Querier, a authz.Actor, b *Booking) error {
	err := authz.Check(a, authz.ContestPenalty, penaltyOwner(b))
	if b.HolderLegal == 0 || a.Person == 0 || (err != nil && !errs.Is(err, errs.NotFound)) {
		return err
	}
	var revoked sql.NullTime
	switch qerr := q.QueryRowContext(ctx, `SELECT revoked_at FROM representatives WHERE legal_person_id = $1 AND person_id = $2`,
		b.HolderLegal, a.Person).Scan(&revoked); {
	case errors.Is(qerr, sql.ErrNoRows):
		if err == nil {
			return errs.E(errs.NotFound, "")
		}
		return err
	case qerr != nil:
		return fmt.Errorf("booking: representation of %d: %w", b.HolderLegal, qerr)
	case revoked.Valid:
		return errs.E(errs.Forbidden, "booking.review.error.revoked")
	}
	return err
}

// wrongAccount is, for a booking of an association that a may not read
// from the account they act in, a refusal clearer than "not found":
// a representative in their own name (or for another association) is
// told to act for it, a revoked one that they no longer represent it.
// nil otherwise (the booking stays "not found").
func (s *Service) wrongAccount(ctx context.Context, a authz.Actor, id int64) error {
	b, err := booking(ctx, s.db, id)
	if err != nil || b.HolderLegal == 0 {
		return nil
	}
	if err := contestStanding(ctx, s.db, a, b); errs.Is(err, errs.Forbidden) {
		return err
	}
	return nil
}

// Contest contests the penalty booking id brought, once, within
// ContestDays, with a reason: a person's own booking's in their own
// name; an association's booking's by any of its current
// representatives acting for it (the penalty is the association's),
// never from a personal session, by another association's
// representative or by a revoked one (contestStanding).
func (s *Service) Contest(ctx context.Context, a authz.Actor, id int64, reason string) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		b, err := booking(ctx, tx, id)
		if err != nil {
			return err
		}
		f, _, err := facility(ctx, tx, b.Facility)
		if err != nil {
			return err
		}
		v, err := s.reviewOf(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := contestStanding(ctx, tx, a, b); err != nil {
			return err
		}
		if v == nil {
			return errs.E(errs.Conflict, "booking.review.error.no_penalty")
		}
		now := s.clock()
		if v.Contested {
			return errs.E(errs.Conflict, "booking.review.error.contested")
		}
		if !v.Contestable(now) {
			return errs.E(errs.Conflict, "booking.review.error.late").With("days", ContestDays)
		}
		text, err := reviewText("reason", reason)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_penalty_reviews (penalty_id, reason, contested_at, contested_by)
			VALUES ($1, $2, $3, $4)`, v.ID, text, now, a.Person); err != nil {
			if db.IsUniqueViolation(err) {
				return errs.E(errs.Conflict, "booking.review.error.contested").Cause(err)
			}
			return fmt.Errorf("booking: contest %d: %w", v.ID, err)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, b.Resource(f)), Action: "booking.penalty_contested",
			ObjectType: "booking", ObjectID: strconv.FormatInt(b.ID, 10),
			Change: map[string]any{"number": b.Number, "penalty": v.ID, "step": v.Step, "penalised": v.Person, "for": b.HolderLegal},
			At:     now})
		return err
	})
}

// resource is the booking of review v as the policy sees a decision on
// it: besides the booking's owner and holder, the person penalised and
// whoever contested are involved. v may be nil (no penalty).
func (v *Review) resource(b *Booking, f *Facility) authz.Resource {
	r := b.Resource(f)
	if v != nil {
		r.Involved = r.Involved.AddPersons(v.Person, v.ContestedBy)
	}
	return r
}

// Reviews lists the contested penalties awaiting a decision at org's
// facilities, the oldest contest first, for its facility managers.
func (s *Service) Reviews(ctx context.Context, a authz.Actor, org string) ([]*Review, error) {
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewColumns+reviewFrom+` JOIN bookings b ON b.id = p.booking_id
		WHERE r.id IS NOT NULL AND r.decision IS NULL
		AND b.facility_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)
		ORDER BY r.contested_at, r.id LIMIT 200`, org)
	if err != nil {
		return nil, fmt.Errorf("booking: reviews: %w", err)
	}
	var out []*Review
	for rows.Next() {
		v, err := scanReview(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, v := range out {
		if v.Booking, err = booking(ctx, s.db, v.Penalty.Booking); err != nil {
			return nil, err
		}
		if v.Facility, _, err = facility(ctx, s.db, v.Booking.Facility); err != nil {
			return nil, err
		}
		if err := s.holderNames(ctx, s.db, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DecideReview upholds or lifts the contested penalty of booking id, with
// a note, for a manager of the booking's facility, officially: never
// their own penalty nor one of a booking for their association. A lifted
// penalty no longer counts on the ladder and its suspension ends. The
// holder is told (booking.penalty_upheld, booking.penalty_lifted).
func (s *Service) DecideReview(ctx context.Context, a authz.Actor, id int64, decision, note string) error {
	b, f, err := s.Get(ctx, a, id)
	if err != nil {
		return err
	}
	// Who is involved is known once the contest is read (a contest is
	// never changed): the policy refuses the penalised person, whoever
	// contested and the association's representatives (conflict of
	// interest), before any mistake of the form is pointed out.
	v, err := s.reviewOf(ctx, s.db, id)
	if err != nil {
		return err
	}
	if err := authz.Check(a, authz.ManageBooking, v.resource(b, f)); err != nil {
		return err
	}
	field := "note_" + strconv.FormatInt(id, 10)
	if decision != Upheld && decision != Lifted {
		return errs.E(errs.Invalid, "booking.review.error.decision").OnField(field)
	}
	text, err := reviewText(field, note)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		v, err := s.reviewOf(ctx, tx, id)
		if err != nil {
			return err
		}
		if v == nil || !v.Contested {
			return errs.E(errs.Conflict, "booking.review.error.not_contested")
		}
		if err := authz.Check(a, authz.ManageBooking, v.resource(b, f)); err != nil {
			return err
		}
		now := s.clock()
		res, err := tx.ExecContext(ctx, `UPDATE booking_penalty_reviews SET decision = $1, decided_at = $2, decided_by = $3, note = $4
			WHERE penalty_id = $5 AND decision IS NULL`, decision, now, a.Person, text, v.ID)
		if err != nil {
			return fmt.Errorf("booking: decide review %d: %w", v.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "booking.review.error.decided")
		}
		change := "penalty_" + decision
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, b.Resource(f)), Action: "booking." + change,
			ObjectType: "booking", ObjectID: strconv.FormatInt(b.ID, 10),
			Change: map[string]any{"number": b.Number, "penalty": v.ID, "step": v.Step, "decision": decision, "note": text},
			At:     now}); err != nil {
			return err
		}
		if s.events == nil {
			return fmt.Errorf("booking: no event publisher (Deps.Events)")
		}
		return s.events.Publish(ctx, tx, TopicBookingChanged, BookingChanged{V: EventVersion, Booking: b.ID, Number: b.Number,
			Facility: b.Facility, Change: change, To: b.State, Silent: notify.IsQuiet(ctx), At: now})
	})
}
