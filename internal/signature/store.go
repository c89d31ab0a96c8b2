package signature

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Store is every SQL statement of the capability, one text for both
// engines. It owns signer_keys; it reads identity's organisations (their
// names, for the certificates' organisation) and persons (names on the
// administrators' list), never writing them.
type Store struct{ DB *db.DB }

const keyColumns = `id, person_id, kind, serial, subject, issuer, cert, chain, sealed_key, pin_salt,
	not_before, not_after, created_at, failed_attempts, locked_at, last_used_at, revoked_at, revoked_by, reason`

func scanKey(sc interface{ Scan(...any) error }) (Key, error) {
	var (
		k                     Key
		kind                  string
		certDER, chainDER     []byte
		locked, used, revoked sql.NullTime
		revokedBy, reason     sql.NullInt64
	)
	if err := sc.Scan(&k.ID, &k.Person, &kind, &k.Serial, &k.Subject, &k.Issuer, &certDER, &chainDER, &k.SealedKey, &k.PINSalt,
		&k.NotBefore, &k.NotAfter, &k.CreatedAt, &k.Failed, &locked, &used, &revoked, &revokedBy, &reason); err != nil {
		return k, err
	}
	k.Kind = Kind(kind)
	c, err := x509.ParseCertificate(certDER)
	if err != nil {
		return k, fmt.Errorf("signature: stored certificate of key %d: %w", k.ID, err)
	}
	k.Cert = c
	if len(chainDER) > 0 {
		if k.Chain, err = x509.ParseCertificates(chainDER); err != nil {
			return k, fmt.Errorf("signature: stored chain of key %d: %w", k.ID, err)
		}
	}
	if locked.Valid {
		k.LockedAt = &locked.Time
	}
	if used.Valid {
		k.LastUsedAt = &used.Time
	}
	if revoked.Valid {
		k.RevokedAt = &revoked.Time
		k.RevokedBy, k.Reason = revokedBy.Int64, int(reason.Int64)
	}
	return k, nil
}

func chainDER(chain []*x509.Certificate) []byte {
	var out []byte
	for _, c := range chain {
		out = append(out, c.Raw...)
	}
	return out
}

// add stores a new key; errs.Conflict when the person has one that is not
// revoked (the unique index decides between two enrolments at once).
func (s *Store) add(ctx context.Context, q db.Querier, k Key) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO signer_keys (person_id, kind, serial, subject, issuer, cert, chain, sealed_key, pin_salt,
		not_before, not_after, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		k.Person, string(k.Kind), k.Serial, k.Subject, k.Issuer, k.Cert.Raw, chainDER(k.Chain), k.SealedKey, k.PINSalt,
		k.NotBefore, k.NotAfter, k.CreatedAt).Scan(&id)
	if db.IsUniqueViolation(err) {
		return 0, errs.E(errs.Conflict, "signature.error.has_key").Cause(err)
	}
	if err != nil {
		return 0, fmt.Errorf("signature: store key: %w", err)
	}
	return id, nil
}

// Current is the person's key that is not revoked; errs.NotFound if none.
func (s *Store) Current(ctx context.Context, q db.Querier, person int64) (Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM signer_keys WHERE person_id = $1 AND revoked_at IS NULL`, person))
	if errors.Is(err, sql.ErrNoRows) {
		return k, errs.E(errs.NotFound, "signature.error.no_key")
	}
	return k, err
}

// Key is one key by id; errs.NotFound if none.
func (s *Store) Key(ctx context.Context, q db.Querier, id int64) (Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM signer_keys WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, errs.E(errs.NotFound, "signature.error.key_unknown")
	}
	return k, err
}

// History is every key of a person, newest first.
func (s *Store) History(ctx context.Context, q db.Querier, person int64) ([]Key, error) {
	return s.keys(ctx, q, `SELECT `+keyColumns+` FROM signer_keys WHERE person_id = $1 ORDER BY created_at DESC, id DESC`, person)
}

// Listed is a key with its holder's names, for the administrators.
type Listed struct {
	Key
	NameLatin, NameAR string
}

// List is the newest keys of everyone, at most limit, with their holders'
// names: one query joining identity's persons (read only).
func (s *Store) List(ctx context.Context, q db.Querier, limit int) ([]Listed, error) {
	rows, err := q.QueryContext(ctx, `SELECT k.id, k.person_id, k.kind, k.serial, k.subject, k.issuer, k.cert, k.chain, k.sealed_key, k.pin_salt,
		k.not_before, k.not_after, k.created_at, k.failed_attempts, k.locked_at, k.last_used_at, k.revoked_at, k.revoked_by, k.reason,
		p.given_name_latin, p.family_name_latin, p.given_name_ar, p.family_name_ar
		FROM signer_keys k JOIN persons p ON p.id = k.person_id ORDER BY k.created_at DESC, k.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("signature: list keys: %w", err)
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		var l Listed
		var gl, fl, ga, fa string
		k, err := scanKey(scanExtra{rows, []any{&gl, &fl, &ga, &fa}})
		if err != nil {
			return nil, err
		}
		l.Key, l.NameLatin, l.NameAR = k, strings.TrimSpace(gl+" "+fl), strings.TrimSpace(ga+" "+fa)
		out = append(out, l)
	}
	return out, rows.Err()
}

// scanExtra scans a key's columns followed by more.
type scanExtra struct {
	rows  *sql.Rows
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra...)...) }

func (s *Store) keys(ctx context.Context, q db.Querier, query string, args ...any) ([]Key, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("signature: list keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// reserve counts one PIN attempt before the PIN is tried, so that however
// many attempts run at once, no more than MaxAttempts are ever tried
// without a right one: the fifth sets locked_at. It returns the attempts
// counted, or errs.Forbidden (locked) when the key is locked or revoked.
// The update takes the row's lock (PostgreSQL) or the writer (SQLite):
// a concurrent attempt waits, then sees the new count.
func (s *Store) reserve(ctx context.Context, tx *db.Tx, id int64, now time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `UPDATE signer_keys SET failed_attempts = failed_attempts + 1
		WHERE id = $1 AND locked_at IS NULL AND revoked_at IS NULL RETURNING failed_attempts`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.E(errs.Forbidden, "signature.error.locked")
	}
	if err != nil {
		return 0, fmt.Errorf("signature: count attempt: %w", err)
	}
	if n >= MaxAttempts {
		if _, err := tx.ExecContext(ctx, `UPDATE signer_keys SET locked_at = $2 WHERE id = $1`, id, now); err != nil {
			return 0, fmt.Errorf("signature: lock: %w", err)
		}
	}
	return n, nil
}

// succeeded resets the counter after a right PIN (and unlocks a key the
// right PIN's own reservation locked), noting the use.
func (s *Store) succeeded(ctx context.Context, q db.Querier, id int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE signer_keys SET failed_attempts = 0, locked_at = NULL, last_used_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, now)
	if err != nil {
		return fmt.Errorf("signature: reset attempts: %w", err)
	}
	return nil
}

// reseal replaces the sealed key and its salt (a new PIN).
func (s *Store) reseal(ctx context.Context, q db.Querier, id int64, sealed string, salt []byte) error {
	res, err := q.ExecContext(ctx, `UPDATE signer_keys SET sealed_key = $2, pin_salt = $3 WHERE id = $1 AND revoked_at IS NULL AND locked_at IS NULL`, id, sealed, salt)
	if err != nil {
		return fmt.Errorf("signature: reseal: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "signature.error.changed")
	}
	return nil
}

// revoke marks a key revoked; false if it was already.
func (s *Store) revoke(ctx context.Context, q db.Querier, id, by int64, reason int, now time.Time) (bool, error) {
	var byArg any
	if by != 0 {
		byArg = by
	}
	res, err := q.ExecContext(ctx, `UPDATE signer_keys SET revoked_at = $2, revoked_by = $3, reason = $4 WHERE id = $1 AND revoked_at IS NULL`, id, now, byArg, reason)
	if err != nil {
		return false, fmt.Errorf("signature: revoke: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// orgName is an organisation's name in French and Arabic (identity's
// organisations, read only); "" when unknown.
func (s *Store) orgName(ctx context.Context, q db.Querier, code string) (fr, ar string, err error) {
	err = q.QueryRowContext(ctx, `SELECT name_fr, name_ar FROM organisations WHERE code = $1`, code).Scan(&fr, &ar)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return fr, ar, err
}
