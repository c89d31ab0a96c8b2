package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Store is identity's SQL.
type Store struct {
	db *db.DB
}

// NewStore returns the store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

const personColumns = `id, email, email_verified_at, phone, phone_verified_at, COALESCE(cin, ''),
	given_name_ar, family_name_ar, given_name_latin, family_name_latin, lang, notify_email, notify_sms,
	totp_enabled_at, developer, created_at, version`

func scanPerson(row interface{ Scan(...any) error }) (Person, error) {
	var p Person
	var ev, pv, te sql.NullTime
	err := row.Scan(&p.ID, &p.Email, &ev, &p.Phone, &pv, &p.CIN, &p.GivenNameAR, &p.FamilyNameAR,
		&p.GivenNameLatin, &p.FamilyNameLatin, &p.Lang, &p.NotifyEmail, &p.NotifySMS, &te, &p.Developer, &p.CreatedAt, &p.Version)
	p.EmailVerifiedAt, p.PhoneVerifiedAt, p.TOTPEnabledAt = timePtr(ev), timePtr(pv), timePtr(te)
	return p, err
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreatePerson inserts a person; a taken e-mail or CIN is a conflict on the
// field concerned.
func (s *Store) CreatePerson(ctx context.Context, tx *db.Tx, p Profile, passwordHash string, now time.Time) (int64, error) {
	var taken int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM persons WHERE email_key = $1`, EmailKey(p.Email)).Scan(&taken)
	if err != nil {
		return 0, fmt.Errorf("identity: check e-mail: %w", err)
	}
	if taken > 0 {
		return 0, errs.E(errs.Conflict, "identity.error.email_taken").OnField("email")
	}
	if p.CIN != "" {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM persons WHERE cin = $1`, p.CIN).Scan(&taken); err != nil {
			return 0, fmt.Errorf("identity: check CIN: %w", err)
		}
		if taken > 0 {
			return 0, errs.E(errs.Conflict, "identity.error.cin_taken").OnField("cin")
		}
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, phone, cin, given_name_ar, family_name_ar,
			given_name_latin, family_name_latin, lang, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		p.Email, EmailKey(p.Email), p.Phone, nullString(p.CIN), p.GivenNameAR, p.FamilyNameAR,
		p.GivenNameLatin, p.FamilyNameLatin, p.Lang, nullString(passwordHash), now, now).Scan(&id)
	if db.IsUniqueViolation(err) {
		// A concurrent sign-up took the address or CIN between the check and the insert.
		return 0, errs.E(errs.Conflict, "identity.error.email_taken").OnField("email").Cause(err)
	}
	if err != nil {
		return 0, fmt.Errorf("identity: create person: %w", err)
	}
	return id, nil
}

// takenAccount is an account holding an e-mail address or CIN that a
// sign-up asks for.
type takenAccount struct {
	PersonID int64
	Field    string // "email" or "cin"
}

// accountsTaken lists the accounts (one entry each, the e-mail first) that
// already hold p's e-mail address or CIN.
func (s *Store) accountsTaken(ctx context.Context, q db.Querier, p Profile) ([]takenAccount, error) {
	var out []takenAccount
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM persons WHERE email_key = $1`, EmailKey(p.Email)).Scan(&id)
	if err == nil {
		out = append(out, takenAccount{PersonID: id, Field: "email"})
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("identity: check e-mail: %w", err)
	}
	if p.CIN == "" {
		return out, nil
	}
	err = q.QueryRowContext(ctx, `SELECT id FROM persons WHERE cin = $1`, p.CIN).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity: check CIN: %w", err)
	}
	if len(out) == 0 || out[0].PersonID != id {
		out = append(out, takenAccount{PersonID: id, Field: "cin"})
	}
	return out, nil
}

// Person returns a person by ID.
func (s *Store) Person(ctx context.Context, q db.Querier, id int64) (Person, error) {
	p, err := scanPerson(q.QueryRowContext(ctx, `SELECT `+personColumns+` FROM persons WHERE id = $1 AND disabled_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return p, fmt.Errorf("identity: person: %w", err)
	}
	return p, nil
}

// credentials is what sign-in needs of an account.
type credentials struct {
	ID           int64
	PasswordHash string
	FailedLogins int
	LockedUntil  *time.Time
	Verified     bool
	TOTPSecret   string
	TOTPEnabled  bool
	TOTPLastStep int64
}

// credentialsByEmail finds an account by address; not found is NotFound.
func (s *Store) credentialsByEmail(ctx context.Context, q db.Querier, email string) (credentials, error) {
	return s.credentials(ctx, q, `email_key = $1`, EmailKey(email))
}

func (s *Store) credentialsByID(ctx context.Context, q db.Querier, id int64) (credentials, error) {
	return s.credentials(ctx, q, `id = $1`, id)
}

func (s *Store) credentials(ctx context.Context, q db.Querier, where string, arg any) (credentials, error) {
	var c credentials
	var hash, secret sql.NullString
	var locked, verified, totp sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT id, password_hash, failed_logins, locked_until, email_verified_at,
			totp_secret, totp_enabled_at, totp_last_step
		FROM persons WHERE `+where+` AND disabled_at IS NULL`, arg).
		Scan(&c.ID, &hash, &c.FailedLogins, &locked, &verified, &secret, &totp, &c.TOTPLastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return c, fmt.Errorf("identity: credentials: %w", err)
	}
	c.PasswordHash, c.TOTPSecret = hash.String, secret.String
	c.LockedUntil, c.Verified, c.TOTPEnabled = timePtr(locked), verified.Valid, totp.Valid
	return c, nil
}

// recordFailure counts a failed sign-in and locks the account once max
// failures have accumulated; it reports whether this failure locked it.
func (s *Store) recordFailure(ctx context.Context, q db.Querier, id int64, max int, lockFor time.Duration, now time.Time) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `UPDATE persons SET failed_logins = failed_logins + 1,
			locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END
		WHERE id = $3 RETURNING failed_logins`, max, now.Add(lockFor), id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("identity: record failure: %w", err)
	}
	return n == max, nil
}

func (s *Store) clearFailures(ctx context.Context, q db.Querier, id int64) error {
	_, err := q.ExecContext(ctx, `UPDATE persons SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins > 0 OR locked_until IS NOT NULL)`, id)
	return err
}

// Session is a signed-in browser.
type Session struct {
	TokenHash  string
	PersonID   int64
	ActingFor  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	MFAAt      *time.Time
	UserAgent  string
}

func (s *Store) createSession(ctx context.Context, q db.Querier, ss Session) error {
	var mfa any
	if ss.MFAAt != nil {
		mfa = *ss.MFAAt
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (token_hash, person_id, created_at, last_seen_at, expires_at, mfa_at, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ss.TokenHash, ss.PersonID, ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt, mfa, ss.UserAgent)
	if err != nil {
		return fmt.Errorf("identity: create session: %w", err)
	}
	return nil
}

// session returns a live session: not revoked, not expired, not idle.
func (s *Store) session(ctx context.Context, q db.Querier, tokenHash string, now time.Time, idle time.Duration) (Session, error) {
	var ss Session
	var acting sql.NullInt64
	var mfa sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT s.token_hash, s.person_id, s.acting_for, s.created_at, s.last_seen_at, s.expires_at, s.mfa_at, s.user_agent
		FROM sessions s JOIN persons p ON p.id = s.person_id
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 AND p.disabled_at IS NULL`,
		tokenHash, now, now.Add(-idle)).Scan(&ss.TokenHash, &ss.PersonID, &acting, &ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt, &mfa, &ss.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, errs.E(errs.Unauthenticated, "identity.error.session_expired")
	}
	if err != nil {
		return ss, fmt.Errorf("identity: session: %w", err)
	}
	ss.ActingFor, ss.MFAAt = acting.Int64, timePtr(mfa)
	return ss, nil
}

func (s *Store) touchSession(ctx context.Context, tokenHash string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL`, now, tokenHash)
	return err
}

// Sessions lists a person's live sessions, newest first.
func (s *Store) Sessions(ctx context.Context, personID int64, now time.Time) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token_hash, person_id, created_at, last_seen_at, expires_at, mfa_at, user_agent
		FROM sessions WHERE person_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_seen_at DESC`, personID, now)
	if err != nil {
		return nil, fmt.Errorf("identity: sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ss Session
		var mfa sql.NullTime
		if err := rows.Scan(&ss.TokenHash, &ss.PersonID, &ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt, &mfa, &ss.UserAgent); err != nil {
			return nil, err
		}
		ss.MFAAt = timePtr(mfa)
		out = append(out, ss)
	}
	return out, rows.Err()
}

// revokeSessions ends a person's sessions, all of them or one, and returns
// how many it ended.
func (s *Store) revokeSessions(ctx context.Context, q db.Querier, personID int64, tokenHash string, now time.Time) (int64, error) {
	query := `UPDATE sessions SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL`
	args := []any{now, personID}
	if tokenHash != "" {
		query += ` AND token_hash = $3`
		args = append(args, tokenHash)
	}
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("identity: revoke sessions: %w", err)
	}
	return res.RowsAffected()
}

// Code purposes.
const (
	PurposeEmail = "email"
	PurposePhone = "phone"
	PurposeReset = "reset"
)

func (s *Store) createCode(ctx context.Context, q db.Querier, personID int64, purpose, target, hash string, now time.Time, ttl time.Duration) error {
	// A new code replaces the previous ones of the same purpose.
	if _, err := q.ExecContext(ctx, `UPDATE verification_codes SET used_at = $1
		WHERE person_id = $2 AND purpose = $3 AND used_at IS NULL`, now, personID, purpose); err != nil {
		return fmt.Errorf("identity: retire codes: %w", err)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO verification_codes (person_id, purpose, target, code_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, personID, purpose, target, hash, now, now.Add(ttl))
	if err != nil {
		return fmt.Errorf("identity: create code: %w", err)
	}
	return nil
}

type code struct {
	ID       int64
	PersonID int64
	Target   string
	Hash     string
	Expires  time.Time
	Used     bool
	Attempts int
}

// codeByHash finds a link code (e-mail verification, reset) by its hash.
func (s *Store) codeByHash(ctx context.Context, q db.Querier, purpose, hash string) (code, error) {
	var c code
	var used sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT id, person_id, target, code_hash, expires_at, used_at, attempts
		FROM verification_codes WHERE code_hash = $1 AND purpose = $2`, hash, purpose).
		Scan(&c.ID, &c.PersonID, &c.Target, &c.Hash, &c.Expires, &used, &c.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.Invalid, "identity.error.code_invalid")
	}
	c.Used = used.Valid
	return c, err
}

// openCode returns a person's current code of a purpose (the SMS code).
func (s *Store) openCode(ctx context.Context, q db.Querier, personID int64, purpose string) (code, error) {
	var c code
	err := q.QueryRowContext(ctx, `SELECT id, person_id, target, code_hash, expires_at, attempts
		FROM verification_codes WHERE person_id = $1 AND purpose = $2 AND used_at IS NULL
		ORDER BY id DESC LIMIT 1`, personID, purpose).Scan(&c.ID, &c.PersonID, &c.Target, &c.Hash, &c.Expires, &c.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.Invalid, "identity.error.code_invalid")
	}
	return c, err
}

func (s *Store) useCode(ctx context.Context, q db.Querier, id int64, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE verification_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Invalid, "identity.error.code_used")
	}
	return nil
}

func (s *Store) codeAttempt(ctx context.Context, q db.Querier, id int64) error {
	_, err := q.ExecContext(ctx, `UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1`, id)
	return err
}

// linkCode finds a link code (e-mail verification, reset) by its token and
// checks it is neither used nor expired; spend also uses it up.
func (s *Store) linkCode(ctx context.Context, q db.Querier, purpose, token string, now time.Time, spend bool) (code, error) {
	c, err := s.codeByHash(ctx, q, purpose, hashToken(token))
	if err != nil {
		return c, err
	}
	if c.Used {
		return c, errs.E(errs.Invalid, "identity.error.code_used")
	}
	if now.After(c.Expires) {
		return c, errs.E(errs.Invalid, "identity.error.code_expired")
	}
	if spend {
		return c, s.useCode(ctx, q, c.ID, now)
	}
	return c, nil
}
