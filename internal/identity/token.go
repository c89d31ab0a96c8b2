package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// TokenPrefix starts every personal API token, so that a leaked one is easy
// to recognise (and to scan for).
const TokenPrefix = "mdn_"

// Token is a personal API token as its owner sees it (never the secret).
type Token struct {
	ID         int64
	Name       string
	Scopes     []authz.Scope
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	// Staff: a staff token, bound to the session that issued it.
	Staff bool
}

const maxTokens = 20

// CreateToken makes a personal API token and returns its secret, shown
// once. Only its SHA-256 is kept.
func (s *Service) CreateToken(ctx context.Context, personID int64, name string, scopes []authz.Scope, validFor time.Duration) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len([]rune(name)) > 100 {
		return "", errs.E(errs.Invalid, "identity.error.token_name").OnField("name")
	}
	if len(scopes) == 0 {
		return "", errs.E(errs.Invalid, "identity.error.token_scopes").OnField("scopes")
	}
	for _, sc := range scopes {
		if !slices.Contains(authz.Scopes, sc) {
			return "", errs.E(errs.Invalid, "identity.error.token_scopes").OnField("scopes")
		}
	}
	if validFor <= 0 || validFor > 366*24*time.Hour {
		return "", errs.E(errs.Invalid, "identity.error.token_expiry").OnField("expires")
	}
	secret, hash := newToken()
	secret = TokenPrefix + secret
	hash = hashToken(secret)
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE person_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
			personID, now).Scan(&n); err != nil {
			return err
		}
		if n >= maxTokens {
			return errs.E(errs.Conflict, "identity.error.token_limit").With("max", maxTokens)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (person_id, name, token_hash, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, personID, name, hash, joinScopes(scopes), now, now.Add(validFor)).Scan(&id); err != nil {
			return fmt.Errorf("identity: create token: %w", err)
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.token_created",
			ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10), Change: map[string]any{"name": name, "scopes": scopes}, At: now})
		return err
	})
	return secret, err
}

func joinScopes(ss []authz.Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

func splitScopes(s string) []authz.Scope {
	var out []authz.Scope
	for _, f := range strings.Fields(s) {
		out = append(out, authz.Scope(f))
	}
	return out
}

// MaxStaffToken is the longest a staff token lives: a working day.
const MaxStaffToken = 12 * time.Hour

// CreateStaffToken issues the visitor a staff token for a team's tool
// (issue #16: the team's work through the JSON API) and returns its
// secret, shown once. It may only be asked from a browser session that
// passed the second factor (the policy's IssueStaffToken), carries
// authz.StaffTokenScopes, and is bound to that session: it ends when the
// session ends (signing out, everywhere or here; the session's own end)
// and after validFor, MaxStaffToken at most. At each use it holds its
// holder's grants as they are then.
func (s *Service) CreateStaffToken(ctx context.Context, v *Visitor, name string, validFor time.Duration) (string, error) {
	if v == nil || v.Person == nil {
		return "", errs.E(errs.Unauthenticated, "error.authz.signin")
	}
	if err := authz.Check(v.Actor, authz.IssueStaffToken, authz.Resource{OwnerPerson: v.Person.ID}); err != nil {
		return "", err
	}
	if v.Session == nil {
		return "", errs.E(errs.Forbidden, "")
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len([]rune(name)) > 100 {
		return "", errs.E(errs.Invalid, "identity.error.token_name").OnField("name")
	}
	if validFor <= 0 || validFor > MaxStaffToken {
		return "", errs.E(errs.Invalid, "identity.error.staff_token_hours").With("max", int(MaxStaffToken/time.Hour)).OnField("hours")
	}
	secret, _ := newToken()
	secret = TokenPrefix + secret
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		until := now.Add(validFor)
		if v.Session.ExpiresAt.Before(until) {
			until = v.Session.ExpiresAt
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE person_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
			v.Person.ID, now).Scan(&n); err != nil {
			return err
		}
		if n >= maxTokens {
			return errs.E(errs.Conflict, "identity.error.token_limit").With("max", maxTokens)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (person_id, name, token_hash, scopes, created_at, expires_at, session_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, v.Person.ID, name, hashToken(secret), joinScopes(authz.StaffTokenScopes),
			now, until, v.Session.TokenHash).Scan(&id); err != nil {
			return fmt.Errorf("identity: create staff token: %w", err)
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(v.Person.ID), Action: "identity.staff_token_created",
			ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10),
			Change: map[string]any{"name": name, "scopes": authz.StaffTokenScopes, "expires_at": until}, At: now})
		return err
	})
	return secret, err
}

// Tokens lists a person's live tokens: a staff token lives while its
// session does.
func (s *Service) Tokens(ctx context.Context, personID int64) ([]Token, error) {
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.name, t.scopes, t.created_at, t.last_used_at, t.expires_at, t.session_hash IS NOT NULL
		FROM api_tokens t LEFT JOIN sessions s ON s.token_hash = t.session_hash
		WHERE t.person_id = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
		AND (t.session_hash IS NULL OR (s.revoked_at IS NULL AND s.expires_at > $2)) ORDER BY t.id`, personID, now)
	if err != nil {
		return nil, fmt.Errorf("identity: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var scopes string
		var used, exp sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &scopes, &t.CreatedAt, &used, &exp, &t.Staff); err != nil {
			return nil, err
		}
		t.Scopes, t.LastUsedAt, t.ExpiresAt = splitScopes(scopes), timePtr(used), timePtr(exp)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends one of the person's tokens; another person's token
// number is "not found".
func (s *Service) RevokeToken(ctx context.Context, personID, id int64) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND person_id = $3 AND revoked_at IS NULL`, now, id, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "").Cause(fmt.Errorf("identity: person %d revoked no token %d of theirs", personID, id))
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.token_revoked",
			ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10), Change: id, At: now})
		return err
	})
}

// tokenVisitor authenticates an API request by its bearer token.
func (s *Service) tokenVisitor(ctx context.Context, secret string) (*Visitor, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, errs.E(errs.Unauthenticated, "identity.error.token_invalid")
	}
	now := s.now()
	var personID, id int64
	var scopes string
	var used sql.NullTime
	var session sql.NullString
	// A staff token lives while the session that issued it does (not
	// revoked, not past its end; the browser's idleness does not count),
	// and that session passed the second factor.
	err := s.db.QueryRowContext(ctx, `SELECT t.id, t.person_id, t.scopes, t.last_used_at, t.session_hash FROM api_tokens t
		LEFT JOIN sessions s ON s.token_hash = t.session_hash
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
		AND (t.session_hash IS NULL OR (s.revoked_at IS NULL AND s.expires_at > $2 AND s.mfa_at IS NOT NULL))`, hashToken(secret), now).
		Scan(&id, &personID, &scopes, &used, &session)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.Unauthenticated, "identity.error.token_invalid")
	}
	if err != nil {
		return nil, fmt.Errorf("identity: token: %w", err)
	}
	p, err := s.store.Person(ctx, s.db, personID)
	if err != nil {
		return nil, errs.E(errs.Unauthenticated, "identity.error.token_invalid").Cause(err)
	}
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, id); err != nil {
			return nil, err
		}
	}
	v := &Visitor{Person: &p}
	v.Actor = authz.Actor{Person: p.ID, EmailVerified: p.EmailVerifiedAt != nil, Token: true, Scopes: splitScopes(scopes), Now: now}
	if err := s.store.actorDetails(ctx, s.db, &v.Actor); err != nil {
		return nil, err
	}
	if session.Valid && p.TOTPEnabledAt != nil {
		// A staff token: its session's second factor, and its holder's
		// grants as they are now, for its scopes (the policy keeps it to
		// them).
		v.Actor.MFA = true
		return v, nil
	}
	// Any other token never carries staff powers: those need a person and
	// a second factor.
	v.Actor.Grants, v.Actor.MFA = nil, false
	return v, nil
}

// revokeTokens revokes every live personal API token of a person and
// returns how many it revoked.
func (s *Store) revokeTokens(ctx context.Context, q db.Querier, personID int64, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL`, now, personID)
	if err != nil {
		return 0, fmt.Errorf("identity: revoke tokens: %w", err)
	}
	return res.RowsAffected()
}
