package permit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// A committee member's private calendar feed: a random token (256 bits,
// URL-safe) in the address, stored only as its SHA-256 like the other
// tokens of Madina; renewing it replaces the old one, which stops
// working at once.

// feedHash is the stored form of a feed token.
func feedHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// RenewFeed gives a (a committee member) a new calendar feed token,
// returned once; the old one stops working.
func (s *Service) RenewFeed(ctx context.Context, a authz.Actor) (string, error) {
	if err := authz.Check(a, authz.ManageFeed, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM permit_session_feeds WHERE person_id = $1`, a.Person); err != nil {
			return fmt.Errorf("permit: feed: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_session_feeds (person_id, token_hash, created_at) VALUES ($1, $2, $3)`,
			a.Person, feedHash(token), s.now()); err != nil {
			return fmt.Errorf("permit: feed: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// FeedSessions are the next sessions of the committees the holder of
// feed token sits on, with the holder (for their language). The token
// stands for the member's signed-in session: calendar applications sign
// in no other way. Their memberships are read from the register now, so
// a member who left an organisation stops seeing its sessions, and the
// policy (ReadSession) decides each committee as for the page.
func (s *Service) FeedSessions(ctx context.Context, token string) (people.Person, []*Session, error) {
	notFound := errs.E(errs.NotFound, "permit.sessions.error.feed")
	if len(token) < 40 || len(token) > 64 {
		return people.Person{}, nil, notFound
	}
	var pid int64
	err := s.db.QueryRowContext(ctx, `SELECT person_id FROM permit_session_feeds WHERE token_hash = $1`, feedHash(token)).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return people.Person{}, nil, notFound
	}
	if err != nil {
		return people.Person{}, nil, fmt.Errorf("permit: feed: %w", err)
	}
	who, err := s.people.Person(ctx, s.db, pid)
	if errs.Is(err, errs.NotFound) {
		return people.Person{}, nil, notFound
	}
	if err != nil {
		return people.Person{}, nil, err
	}
	ins, err := s.instances(ctx)
	if err != nil {
		return who, nil, err
	}
	a := authz.Actor{Person: pid, EmailVerified: who.EmailVerifiedAt != nil, MFA: true, Now: s.now()}
	seen := map[string]bool{}
	for _, in := range ins {
		seats, err := s.sessionSeats(ctx, s.db, in)
		if err != nil {
			return who, nil, err
		}
		for _, code := range seats {
			if seen[code] {
				continue
			}
			seen[code] = true
			org, err := s.organisation(ctx, s.db, code)
			if err != nil {
				return who, nil, err
			}
			if slices.ContainsFunc(org.Members, func(m people.Person) bool { return m.ID == pid }) {
				a.Grants = append(a.Grants, authz.Grant{Role: authz.CommitteeMember, Org: code})
			}
		}
	}
	if len(a.Grants) == 0 {
		return who, nil, nil
	}
	list, err := s.MySessions(ctx, a)
	return who, list, err
}
