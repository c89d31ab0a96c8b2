package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// actorDetails loads what the policy needs to know of a person beyond the
// session: staff grants, legal persons represented, profession, mandates.
func (s *Store) actorDetails(ctx context.Context, q db.Querier, a *authz.Actor) error {
	rows, err := q.QueryContext(ctx, `SELECT role, organisation_code, COALESCE(arrondissement_code, ''), COALESCE(window_code, '')
		FROM staff_grants WHERE person_id = $1 AND revoked_at IS NULL`, a.Person)
	if err != nil {
		return fmt.Errorf("identity: grants: %w", err)
	}
	for rows.Next() {
		var g authz.Grant
		var role string
		if err := rows.Scan(&role, &g.Org, &g.Arrondissement, &g.Window); err != nil {
			rows.Close()
			return err
		}
		g.Role = authz.Role(role)
		a.Grants = append(a.Grants, g)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT legal_person_id FROM representatives WHERE person_id = $1 AND revoked_at IS NULL`, a.Person)
	if err != nil {
		return fmt.Errorf("identity: representatives: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		a.Represents = append(a.Represents, id)
	}
	rows.Close()
	if a.ActingFor != 0 && !slices.Contains(a.Represents, a.ActingFor) {
		// No longer its representative: the session acts for the person again.
		a.ActingFor = 0
	}
	var verified sql.NullTime
	err = q.QueryRowContext(ctx, `SELECT profession, verified_at FROM professionals WHERE person_id = $1`, a.Person).Scan(&a.Profession, &verified)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("identity: profession: %w", err)
	}
	a.ProfessionalVerified = verified.Valid
	rows, err = q.QueryContext(ctx, `SELECT id, COALESCE(grantor_person_id, 0), COALESCE(grantor_legal_id, 0), COALESCE(file_ref, ''),
			COALESCE(permit_kind, ''), starts_at, ends_at
		FROM mandates WHERE professional_id = $1 AND revoked_at IS NULL AND ends_at > $2`, a.Person, a.Now)
	if err != nil {
		return fmt.Errorf("identity: mandates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m authz.Mandate
		if err := rows.Scan(&m.ID, &m.OwnerPerson, &m.OwnerLegal, &m.FileRef, &m.PermitKind, &m.Starts, &m.Ends); err != nil {
			return err
		}
		a.Mandates = append(a.Mandates, m)
	}
	return rows.Err()
}

// Visitor is who is on the other end of a request.
type Visitor struct {
	Actor   authz.Actor
	Person  *Person  // nil when anonymous
	Session *Session // nil when anonymous or by API token
	token   string
}

// Pending reports whether the visitor signed in but still owes the second
// factor: such a session can do nothing but complete it or sign out.
func (v *Visitor) Pending() bool {
	return v.Session != nil && v.Person != nil && v.Person.TOTPEnabledAt != nil && v.Session.MFAAt == nil
}

// SignedIn reports whether a complete session or token is behind the request.
func (v *Visitor) SignedIn() bool { return v.Person != nil && !v.Pending() }

// visitor returns the visitor of a session token, from the cache when it
// was seen in the last seconds.
func (s *Service) visitor(ctx context.Context, token string) (*Visitor, error) {
	return s.lookupVisitor(ctx, token, false)
}

// freshVisitor returns the visitor of a session token as the database has
// it. A request that changes something uses it, so that a session ended on
// another node (sign-out everywhere, a password reset) may still read
// pages there for visitorTTL but can no longer act (say, create an API
// token that would outlive the reset).
func (s *Service) freshVisitor(ctx context.Context, token string) (*Visitor, error) {
	return s.lookupVisitor(ctx, token, true)
}

func (s *Service) lookupVisitor(ctx context.Context, token string, fresh bool) (*Visitor, error) {
	now := s.now()
	hash := hashToken(token)
	if !fresh {
		if v := s.cache.get(hash, now); v != nil {
			return v, nil
		}
	}
	v, err := s.loadVisitor(ctx, token, hash, now)
	if err != nil {
		if errs.Is(err, errs.Unauthenticated) {
			s.cache.drop(hash) // ended: its pages end here too
		}
		return nil, err
	}
	s.cache.put(hash, v, now)
	return v, nil
}

func (s *Service) loadVisitor(ctx context.Context, token, hash string, now time.Time) (*Visitor, error) {
	ss, err := s.store.session(ctx, s.db, hash, now, s.cfg.IdleTimeout)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Person(ctx, s.db, ss.PersonID)
	if err != nil {
		return nil, err
	}
	v := &Visitor{Person: &p, Session: &ss, token: token}
	v.Actor = authz.Actor{Person: p.ID, EmailVerified: p.EmailVerifiedAt != nil, ActingFor: ss.ActingFor,
		MFA: ss.MFAAt != nil && p.TOTPEnabledAt != nil, Now: now}
	if v.Pending() {
		v.Actor = authz.Actor{}
		return v, nil
	}
	if err := s.store.actorDetails(ctx, s.db, &v.Actor); err != nil {
		return nil, err
	}
	return v, nil
}

// ActorOf is person id as the policy would see them signed in with a
// complete session at now (the second factor passed when they have one
// set up, acting for themselves), for a capability deciding whether to
// tell them of something: a notice goes only to whoever may read what it
// is about. errs.NotFound for a disabled or unknown account.
func (s *Store) ActorOf(ctx context.Context, q db.Querier, id int64, now time.Time) (authz.Actor, error) {
	p, err := s.Person(ctx, q, id)
	if err != nil {
		return authz.Actor{}, err
	}
	a := authz.Actor{Person: p.ID, EmailVerified: p.EmailVerifiedAt != nil, MFA: p.TOTPEnabledAt != nil, Now: now}
	if err := s.actorDetails(ctx, q, &a); err != nil {
		return authz.Actor{}, err
	}
	return a, nil
}
