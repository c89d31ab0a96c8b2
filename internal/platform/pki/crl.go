package pki

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Revocation reasons (RFC 5280 CRLReason) a revocation may give.
const (
	ReasonUnspecified          = 0
	ReasonKeyCompromise        = 1
	ReasonAffiliationChanged   = 3
	ReasonSuperseded           = 4
	ReasonCessationOfOperation = 5
	ReasonPrivilegeWithdrawn   = 9
)

// ErrReason reports a revocation reason the CA does not give (certificate
// hold, which is not final, among them).
var ErrReason = errors.New("pki: revocation reason not accepted")

func validReason(r int) bool {
	switch r {
	case ReasonUnspecified, ReasonKeyCompromise, ReasonAffiliationChanged, ReasonSuperseded,
		ReasonCessationOfOperation, ReasonPrivilegeWithdrawn:
		return true
	}
	return false
}

// Revoke revokes the certificate the issuing CA issued under serial (hex,
// SerialHex) for reason, and issues a new CRL at once, so that /pki/crl
// lists it from now on. Revoking a revoked certificate changes nothing; an
// unknown serial is ErrNotFound.
func (ca *CA) Revoke(ctx context.Context, serial string, reason int) error {
	if !validReason(reason) {
		return ErrReason
	}
	if err := ca.store.Revoke(ctx, "issuing", serial, ca.cfg.Now(), reason); err != nil {
		return err
	}
	_, err := ca.issueCRL(ctx, "issuing", true)
	return err
}

// Status is what the CA knows of a certificate it issued.
func (ca *CA) Status(ctx context.Context, serial string) (Issued, error) {
	return ca.store.Issued(ctx, "issuing", serial)
}

// CRL returns the current CRL of the issuing CA (DER), issuing a new one
// when none is stored yet or the newest has less than a quarter of its
// validity left.
func (ca *CA) CRL(ctx context.Context) ([]byte, error) {
	c, err := ca.issueCRL(ctx, "issuing", false)
	return c.DER, err
}

// RootCRL returns the current CRL of the root, which lists revoked issuing
// CAs (normally none); verifiers that check the whole chain
// (openssl -crl_check_all) need it.
func (ca *CA) RootCRL(ctx context.Context) ([]byte, error) {
	c, err := ca.issueCRL(ctx, "root", false)
	return c.DER, err
}

func (ca *CA) issueCRL(ctx context.Context, issuer string, force bool) (CRLRecord, error) {
	ca.crlMu.Lock()
	defer ca.crlMu.Unlock()
	var cert *x509.Certificate
	var key crypto.Signer
	if issuer == "root" {
		cert, key = ca.root, ca.rootKey
	} else {
		cert, key = ca.issuing, ca.issuingKey
	}
	// Another node may store the same number first: then read its CRL and
	// try the next number.
	for range 5 {
		now := ca.cfg.Now()
		latest, err := ca.store.LatestCRL(ctx, issuer)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return CRLRecord{}, err
		case !force && now.Before(latest.NextUpdate.Add(-ca.cfg.CRLValidity/4)) && !now.Before(latest.ThisUpdate):
			return latest, nil
		}
		revoked, err := ca.store.Revoked(ctx, issuer)
		if err != nil {
			return CRLRecord{}, err
		}
		entries := make([]x509.RevocationListEntry, 0, len(revoked))
		for _, r := range revoked {
			n, ok := new(big.Int).SetString(r.Serial, 16)
			if !ok {
				return CRLRecord{}, fmt.Errorf("pki: stored serial %q is not hex", r.Serial)
			}
			entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: r.RevokedAt.UTC(), ReasonCode: *r.Reason})
		}
		rec := CRLRecord{Issuer: issuer, Number: latest.Number + 1, ThisUpdate: now.UTC().Truncate(time.Second)}
		rec.NextUpdate = rec.ThisUpdate.Add(ca.cfg.CRLValidity)
		rec.DER, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
			Number:                    big.NewInt(rec.Number),
			ThisUpdate:                rec.ThisUpdate,
			NextUpdate:                rec.NextUpdate,
			RevokedCertificateEntries: entries,
		}, cert, key)
		if err != nil {
			return CRLRecord{}, fmt.Errorf("pki: CRL: %w", err)
		}
		err = ca.store.AddCRL(ctx, rec)
		if errors.Is(err, ErrExists) {
			continue
		}
		return rec, err
	}
	return CRLRecord{}, errors.New("pki: could not store a new CRL number")
}
