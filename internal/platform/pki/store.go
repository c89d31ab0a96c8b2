package pki

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"madina/internal/platform/db"
)

// Authority is a stored key pair of Madina's own: the certificate and the
// private key sealed with the server key.
type Authority struct {
	Name      string // "root", "issuing", "tsa"
	Cert      []byte // DER
	SealedKey string // secretbox-sealed PKCS#8
	CreatedAt time.Time
}

// Issued is a certificate an authority issued, as the store keeps it.
type Issued struct {
	Issuer    string // "root" or "issuing"
	Serial    string // lower-case hex
	Subject   string
	NotBefore time.Time
	NotAfter  time.Time
	Cert      []byte
	RevokedAt *time.Time
	Reason    *int
}

// CRLRecord is one issued CRL.
type CRLRecord struct {
	Issuer     string
	Number     int64
	ThisUpdate time.Time
	NextUpdate time.Time
	DER        []byte
}

// ErrNotFound reports an authority, certificate or CRL the store does not
// hold.
var ErrNotFound = errors.New("pki: not found")

// ErrExists reports an authority or CRL number another node stored first.
var ErrExists = errors.New("pki: already stored")

// Store keeps the authorities, what they issued and their CRLs. SQLStore
// is the one on Madina's database; tests may give another.
type Store interface {
	Authority(ctx context.Context, name string) (Authority, error)
	// AddAuthority stores a new authority, or returns ErrExists if one of
	// that name is already there (another node started at the same time).
	AddAuthority(ctx context.Context, a Authority) error
	AddIssued(ctx context.Context, c Issued) error
	Issued(ctx context.Context, issuer, serial string) (Issued, error)
	// Revoke marks a certificate revoked; revoking one already revoked
	// keeps the first date and reason and returns nil.
	Revoke(ctx context.Context, issuer, serial string, at time.Time, reason int) error
	Revoked(ctx context.Context, issuer string) ([]Issued, error)
	// LatestCRL returns the CRL with the highest number, or ErrNotFound.
	LatestCRL(ctx context.Context, issuer string) (CRLRecord, error)
	// AddCRL stores a CRL; ErrExists if its number is taken.
	AddCRL(ctx context.Context, c CRLRecord) error
}

// SQLStore is the Store on Madina's database, both engines.
type SQLStore struct{ DB *db.DB }

var _ Store = SQLStore{}

func (s SQLStore) Authority(ctx context.Context, name string) (Authority, error) {
	a := Authority{Name: name}
	err := s.DB.QueryRowContext(ctx, `SELECT cert, sealed_key, created_at FROM pki_authorities WHERE name = $1`, name).
		Scan(&a.Cert, &a.SealedKey, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("pki: read authority %s: %w", name, err)
	}
	return a, nil
}

func (s SQLStore) AddAuthority(ctx context.Context, a Authority) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO pki_authorities (name, cert, sealed_key, created_at) VALUES ($1, $2, $3, $4)`,
		a.Name, a.Cert, a.SealedKey, a.CreatedAt)
	if db.IsUniqueViolation(err) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("pki: store authority %s: %w", a.Name, err)
	}
	return nil
}

func (s SQLStore) AddIssued(ctx context.Context, c Issued) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO pki_certificates (issuer, serial, subject, not_before, not_after, cert) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.Issuer, c.Serial, c.Subject, c.NotBefore, c.NotAfter, c.Cert)
	if err != nil {
		return fmt.Errorf("pki: store certificate %s: %w", c.Serial, err)
	}
	return nil
}

const issuedColumns = `issuer, serial, subject, not_before, not_after, cert, revoked_at, reason`

func scanIssued(sc interface{ Scan(...any) error }) (Issued, error) {
	var c Issued
	var at sql.NullTime
	var reason sql.NullInt64
	err := sc.Scan(&c.Issuer, &c.Serial, &c.Subject, &c.NotBefore, &c.NotAfter, &c.Cert, &at, &reason)
	if at.Valid {
		t := at.Time
		c.RevokedAt = &t
	}
	if reason.Valid {
		r := int(reason.Int64)
		c.Reason = &r
	}
	return c, err
}

func (s SQLStore) Issued(ctx context.Context, issuer, serial string) (Issued, error) {
	c, err := scanIssued(s.DB.QueryRowContext(ctx, `SELECT `+issuedColumns+` FROM pki_certificates WHERE issuer = $1 AND serial = $2`, issuer, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("pki: read certificate %s: %w", serial, err)
	}
	return c, nil
}

func (s SQLStore) Revoke(ctx context.Context, issuer, serial string, at time.Time, reason int) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE pki_certificates SET revoked_at = $3, reason = $4
		WHERE issuer = $1 AND serial = $2 AND revoked_at IS NULL`, issuer, serial, at, reason)
	if err != nil {
		return fmt.Errorf("pki: revoke %s: %w", serial, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Issued(ctx, issuer, serial); err != nil {
			return err
		}
	}
	return nil
}

func (s SQLStore) Revoked(ctx context.Context, issuer string) ([]Issued, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+issuedColumns+` FROM pki_certificates
		WHERE issuer = $1 AND revoked_at IS NOT NULL ORDER BY revoked_at, serial`, issuer)
	if err != nil {
		return nil, fmt.Errorf("pki: list revoked: %w", err)
	}
	defer rows.Close()
	var out []Issued
	for rows.Next() {
		c, err := scanIssued(rows)
		if err != nil {
			return nil, fmt.Errorf("pki: list revoked: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s SQLStore) LatestCRL(ctx context.Context, issuer string) (CRLRecord, error) {
	c := CRLRecord{Issuer: issuer}
	err := s.DB.QueryRowContext(ctx, `SELECT number, this_update, next_update, crl FROM pki_crls
		WHERE issuer = $1 ORDER BY number DESC LIMIT 1`, issuer).Scan(&c.Number, &c.ThisUpdate, &c.NextUpdate, &c.DER)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("pki: read CRL: %w", err)
	}
	return c, nil
}

func (s SQLStore) AddCRL(ctx context.Context, c CRLRecord) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO pki_crls (issuer, number, this_update, next_update, crl) VALUES ($1, $2, $3, $4, $5)`,
		c.Issuer, c.Number, c.ThisUpdate, c.NextUpdate, c.DER)
	if db.IsUniqueViolation(err) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("pki: store CRL %d: %w", c.Number, err)
	}
	return nil
}
