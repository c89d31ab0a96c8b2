package identity

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"madina/internal/audit"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/password"
	"madina/internal/platform/totp"
)

func (s *Store) recoveryHashes(ctx context.Context, q db.Querier, personID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT code_hash FROM recovery_codes WHERE person_id = $1 AND used_at IS NULL`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// TOTPEnrolment is a second factor being set up: the secret is stored but
// not enabled until the person proves their app has it.
type TOTPEnrolment struct {
	Secret string
	URI    string
	QRPNG  []byte
}

// BeginTOTP creates a new secret for the person's authenticator app.
func (s *Service) BeginTOTP(ctx context.Context, personID int64) (TOTPEnrolment, error) {
	var e TOTPEnrolment
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		p, err := s.store.Person(ctx, tx, personID)
		if err != nil {
			return err
		}
		if p.TOTPEnabledAt != nil {
			return errs.E(errs.Conflict, "identity.error.mfa_enabled")
		}
		k, err := totp.NewSecret(s.cfg.Issuer, p.Email)
		if err != nil {
			return err
		}
		png, err := totp.QRPNG(k.URI, 220)
		if err != nil {
			return err
		}
		e = TOTPEnrolment{Secret: k.Secret, URI: k.URI, QRPNG: png}
		_, err = tx.ExecContext(ctx, `UPDATE persons SET totp_secret = $1, totp_last_step = 0 WHERE id = $2`,
			s.box.Seal([]byte(k.Secret), totpAAD(personID)), personID)
		return err
	})
	return e, err
}

// ConfirmTOTP enables the second factor once a code from the app matches,
// marks the current session as having passed it, and returns the recovery
// codes (shown once).
func (s *Service) ConfirmTOTP(ctx context.Context, personID int64, sessionToken, code string) ([]string, error) {
	defer s.Forget(personID)
	var plain []string
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := s.store.credentialsByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		if c.TOTPEnabled {
			return errs.E(errs.Conflict, "identity.error.mfa_enabled")
		}
		if c.TOTPSecret == "" {
			return errs.E(errs.Invalid, "identity.error.mfa_not_started")
		}
		secret, err := s.box.Open(c.TOTPSecret, totpAAD(personID))
		if err != nil {
			return err
		}
		step, ok := totp.Validate(string(secret), code, now, c.TOTPLastStep)
		if !ok {
			return errs.E(errs.Invalid, "identity.error.code_wrong").OnField("code")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET totp_enabled_at = $1, totp_last_step = $2, updated_at = $1, version = version + 1 WHERE id = $3`,
			now, step, personID); err != nil {
			return err
		}
		var hashes []string
		plain, hashes = totp.NewRecoveryCodes(10)
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE person_id = $1`, personID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (person_id, code_hash) VALUES ($1, $2)`, personID, h); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_at = $1 WHERE token_hash = $2 AND person_id = $3`, now, hashToken(sessionToken), personID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.mfa_enabled",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: "totp", At: now})
		return err
	})
	return plain, err
}

// DisableTOTP turns the second factor off, after the password and a
// current code confirm it is really the person.
func (s *Service) DisableTOTP(ctx context.Context, personID int64, pw, code string) error {
	c, err := s.store.credentialsByID(ctx, s.db, personID)
	if err != nil {
		return err
	}
	if ok, _, err := s.hasher.Verify(ctx, pw, c.PasswordHash); err != nil || !ok {
		return errs.E(errs.Invalid, "identity.error.password_wrong").OnField("password")
	}
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := s.store.credentialsByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		if !c.TOTPEnabled {
			return errs.E(errs.Conflict, "identity.error.mfa_not_enabled")
		}
		how, err := s.checkSecondFactor(ctx, tx, c, code, now)
		if err != nil {
			return err
		}
		if how == "" {
			return errs.E(errs.Invalid, "identity.error.code_wrong").OnField("code")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET totp_secret = NULL, totp_enabled_at = NULL, updated_at = $1, version = version + 1 WHERE id = $2`, now, personID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE person_id = $1`, personID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.mfa_disabled",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: "totp", At: now})
		return err
	})
}

// RequestReset sends a password-reset link if the address has an account.
// It answers the same either way, so that it cannot be used to learn who
// has an account.
func (s *Service) RequestReset(ctx context.Context, email string) error {
	c, err := s.store.credentialsByEmail(ctx, s.db, email)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		p, err := s.store.Person(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		now := s.now()
		token, hash := newToken()
		if err := s.store.createCode(ctx, tx, p.ID, PurposeReset, EmailKey(p.Email), hash, now, 30*time.Minute); err != nil {
			return err
		}
		return s.notify.Send(ctx, tx, notify.Message{Template: "identity.reset",
			Data:   map[string]any{"Name": p.DisplayName(p.Lang)},
			Secret: map[string]any{"URL": s.cfg.BaseURL + "/reset/new?token=" + token},
			To:     notify.Recipient{Email: p.Email, Lang: p.Lang}, Channels: []notify.Channel{notify.Email}})
	})
}

// CheckResetToken tells whether a reset link is still good (to show the
// form or an error).
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := s.store.linkCode(ctx, s.db, PurposeReset, token, s.now(), false)
	return err
}

// ResetPassword sets a new password with a reset link, ends every session
// of the person, revokes their personal API tokens (whoever took the
// account may have made one) and unlocks the account, in one transaction.
func (s *Service) ResetPassword(ctx context.Context, token, pw string) error {
	c, err := s.store.codeByHash(ctx, s.db, PurposeReset, hashToken(token))
	if err != nil {
		return err
	}
	p, err := s.store.Person(ctx, s.db, c.PersonID)
	if err != nil {
		return err
	}
	if err := password.Check(pw, p.Email, p.GivenNameLatin, p.FamilyNameLatin, p.GivenNameAR, p.FamilyNameAR, p.CIN); err != nil {
		return errs.As(err).OnField("password")
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	defer s.Forget(p.ID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := s.store.linkCode(ctx, tx, PurposeReset, token, now, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET password_hash = $1, failed_logins = 0, locked_until = NULL,
			updated_at = $2, version = version + 1 WHERE id = $3`, hash, now, c.PersonID); err != nil {
			return err
		}
		sessions, err := s.store.revokeSessions(ctx, tx, c.PersonID, "", now)
		if err != nil {
			return err
		}
		tokens, err := s.store.revokeTokens(ctx, tx, c.PersonID, now)
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(c.PersonID), Action: "identity.password_reset",
			ObjectType: "person", ObjectID: strconv.FormatInt(c.PersonID, 10),
			Change: map[string]any{"password": true, "sessions_ended": sessions, "tokens_revoked": tokens}, At: now})
		return err
	})
}

// SignOut ends one session; SignOutEverywhere ends them all.
func (s *Service) SignOut(ctx context.Context, personID int64, token string) error {
	return s.endSessions(ctx, personID, hashToken(token), "identity.signout")
}

// SignOutEverywhere ends every session of the person, this one included.
func (s *Service) SignOutEverywhere(ctx context.Context, personID int64) error {
	return s.endSessions(ctx, personID, "", "identity.signout_everywhere")
}

// EndSession ends one of the person's sessions by its stored hash (from the
// security page's list).
func (s *Service) EndSession(ctx context.Context, personID int64, tokenHash string) error {
	return s.endSessions(ctx, personID, tokenHash, "identity.session_ended")
}

func (s *Service) endSessions(ctx context.Context, personID int64, tokenHash, action string) error {
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		n, err := s.store.revokeSessions(ctx, tx, personID, tokenHash, now)
		if err != nil {
			return err
		}
		if n == 0 && tokenHash != "" {
			// Not one of theirs (or already ended): a probe looks like a miss,
			// and is logged.
			return errs.E(errs.NotFound, "").Cause(fmt.Errorf("identity: person %d ended no session of theirs", personID))
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: action,
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: n, At: now})
		return err
	})
}
