package complaint

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// Filing without an account: a person proves an e-mail address or a phone
// number with a one-time code sent there (notify: SMTP or the SMS
// gateway), and may then file, for two hours, in the categories that
// allow it. They follow their requests on the tracking page and hear of
// each change at that address.

// Bounds of a proof.
const (
	CodeLife        = 15 * time.Minute // a code's validity
	ContactLife     = 2 * time.Hour    // how long a proven contact may file
	MaxCodeAttempts = 5
)

// ContactProof is a proof under way.
type ContactProof struct {
	ID      int64
	Channel string // email or sms
	Address string
}

// templateCode is the notice that carries the code.
const templateCode = "complaint.code"

// digits6 is a six-digit code.
func digits6() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// normalContact reads what a person typed as an e-mail address or a
// Moroccan mobile number (any digits, the separators people type).
func normalContact(s string) (channel, address string, ok bool) {
	s = strings.TrimSpace(textnorm.Digits(s))
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || len(s) > 254 {
			return "", "", false
		}
		return ContactEmail, strings.ToLower(s), true
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" .-/()", r):
		default:
			return "", "", false
		}
	}
	p := b.String()
	switch {
	case strings.HasPrefix(p, "+212"):
		p = "0" + p[4:]
	case strings.HasPrefix(p, "00212"):
		p = "0" + p[5:]
	}
	if len(p) != 10 || !(strings.HasPrefix(p, "06") || strings.HasPrefix(p, "07")) {
		return "", "", false
	}
	return ContactSMS, p, true
}

// StartProof sends a one-time code to what the person typed (an e-mail
// address or a mobile number), in their language.
func (s *Service) StartProof(ctx context.Context, typed string, l i18n.Lang) (*ContactProof, error) {
	channel, address, ok := normalContact(typed)
	if !ok {
		return nil, errs.E(errs.Invalid, "complaint.error.proof_contact").OnField("contact")
	}
	if s.notices == nil {
		return nil, fmt.Errorf("complaint: no notifier to send a code")
	}
	code := digits6()
	now := s.now().UTC().Truncate(time.Microsecond)
	p := &ContactProof{Channel: channel, Address: address}
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO complaint_contacts (channel, address, code_hash, lang, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, channel, address, keyHash(code), string(l), now, now.Add(CodeLife)).Scan(&p.ID); err != nil {
			return fmt.Errorf("complaint: proof: %w", err)
		}
		to := notify.Recipient{Lang: string(l)}
		ch := notify.Email
		if channel == ContactEmail {
			to.Email = address
		} else {
			to.Phone, ch = address, notify.SMS
		}
		return s.notices.notify.Send(ctx, tx, notify.Message{Template: templateCode, Data: map[string]any{"Code": code,
			"Minutes": int(CodeLife / time.Minute)}, Key: "complaint.code:" + strconv.FormatInt(p.ID, 10), To: to,
			Channels: []notify.Channel{ch}})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Proof reads a proof under way.
func (s *Service) Proof(ctx context.Context, id int64) (*ContactProof, error) {
	p := &ContactProof{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT channel, address FROM complaint_contacts WHERE id = $1`, id).Scan(&p.Channel, &p.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "complaint.error.proof")
	}
	return p, err
}

// Prove checks the code typed for proof id and returns the token that
// lets its holder file (kept as a cookie; only its hash is stored). Each
// try spends one of MaxCodeAttempts before the code is compared (so that
// tries in parallel cannot get more); past them or CodeLife the proof is
// over.
func (s *Service) Prove(ctx context.Context, id int64, code string) (string, error) {
	code = strings.ReplaceAll(strings.TrimSpace(textnorm.Digits(code)), " ", "")
	now := s.now().UTC().Truncate(time.Microsecond)
	var hash string
	var attempts int
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE complaint_contacts SET attempts = attempts + 1
		WHERE id = $1 AND attempts < $2 AND verified_at IS NULL AND expires_at > $3 RETURNING code_hash, attempts`,
			id, MaxCodeAttempts, now).Scan(&hash, &attempts)
	})
	if errors.Is(err, sql.ErrNoRows) {
		if _, perr := s.Proof(ctx, id); perr != nil {
			return "", perr
		}
		return "", errs.E(errs.Conflict, "complaint.error.proof_over")
	}
	if err != nil {
		return "", fmt.Errorf("complaint: proof %d: %w", id, err)
	}
	if subtle.ConstantTimeCompare([]byte(keyHash(code)), []byte(hash)) != 1 {
		if attempts >= MaxCodeAttempts {
			return "", errs.E(errs.Conflict, "complaint.error.proof_over")
		}
		return "", errs.E(errs.Invalid, "complaint.error.proof_code").With("left", MaxCodeAttempts-attempts).OnField("code")
	}
	token := randomToken() + randomToken()
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE complaint_contacts SET verified_at = $1, token_hash = $2, expires_at = $3
		WHERE id = $4 AND verified_at IS NULL`, now, keyHash(token), now.Add(ContactLife), id)
		if err != nil {
			return fmt.Errorf("complaint: proof %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "complaint.error.proof_over")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// ContactActor is who files with a proven contact's token: unknown or
// expired, nobody (Unauthenticated).
func (s *Service) ContactActor(ctx context.Context, token string) (authz.Actor, *ContactProof, error) {
	if token == "" || len(token) > 100 {
		return authz.Actor{}, nil, errs.E(errs.Unauthenticated, "complaint.error.proof_over")
	}
	p := &ContactProof{}
	var expires time.Time
	err := s.db.QueryRowContext(ctx, `SELECT id, channel, address, expires_at FROM complaint_contacts WHERE token_hash = $1`,
		keyHash(token)).Scan(&p.ID, &p.Channel, &p.Address, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && s.now().After(expires) {
		return authz.Actor{}, nil, errs.E(errs.Unauthenticated, "complaint.error.proof_over")
	}
	if err != nil {
		return authz.Actor{}, nil, err
	}
	return authz.Actor{Contact: p.ID, Now: s.now()}, p, nil
}
