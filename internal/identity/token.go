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

// Tokens lists a person's live tokens.
func (s *Service) Tokens(ctx context.Context, personID int64) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, scopes, created_at, last_used_at, expires_at FROM api_tokens
		WHERE person_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) ORDER BY id`, personID, s.now())
	if err != nil {
		return nil, fmt.Errorf("identity: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var scopes string
		var used, exp sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &scopes, &t.CreatedAt, &used, &exp); err != nil {
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
	err := s.db.QueryRowContext(ctx, `SELECT id, person_id, scopes, last_used_at FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`, hashToken(secret), now).
		Scan(&id, &personID, &scopes, &used)
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
	// A token never carries staff powers: those need a person and a second factor.
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
