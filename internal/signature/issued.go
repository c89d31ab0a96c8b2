package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/pades"
	"madina/internal/platform/pki"
)

// The kinds of documents Madina issues signed (signed_documents.kind).
const (
	KindReceipt  = "receipt"
	KindDecision = "decision"
)

// PathVerify is the public verification page the QR code of every signed
// document points to: PathVerify + "?h=" + the SHA-256 (hex) of the
// document before it was signed (the signed bytes' own hash cannot be
// printed inside them). IssuedBySource finds the record from it.
const PathVerify = "/verify"

// BlobRefsSQL lists the blobs the registry names (the signed PDFs), for
// the sweeper.
const BlobRefsSQL = `SELECT sha256 FROM signed_documents`

// IssuedDocument is the registry's record of a document Madina issued
// signed: what it is, the file it belongs to (by its official number and
// id), when it was signed, and who signed it ("name (serial)").
type IssuedDocument struct {
	Kind, Reference string
	FileID          int64
	SignedAt        time.Time
	Signers         []string
}

// IssuedDocument is the record of the document whose final signed bytes
// have SHA-256 sha256Hex (64 hex digits, any case); errs.NotFound when
// Madina never issued it (or the hash is malformed).
func (s *Service) IssuedDocument(ctx context.Context, sha256Hex string) (IssuedDocument, error) {
	h := strings.ToLower(strings.TrimSpace(sha256Hex))
	if !blob.ValidHash(h) {
		return IssuedDocument{}, errs.E(errs.NotFound, "signature.error.not_issued")
	}
	r, err := s.store.issuedBy(ctx, s.db, "sha256", h)
	return r.IssuedDocument, err
}

// IssuedBySource is the record of the signed document made from the
// unsigned document whose SHA-256 is sha256Hex: the hash the QR code of
// its signature block carries (PathVerify?h=…). errs.NotFound if none.
func (s *Service) IssuedBySource(ctx context.Context, sha256Hex string) (IssuedDocument, error) {
	h := strings.ToLower(strings.TrimSpace(sha256Hex))
	if !blob.ValidHash(h) {
		return IssuedDocument{}, errs.E(errs.NotFound, "signature.error.not_issued")
	}
	r, err := s.store.issuedBy(ctx, s.db, "source_sha256", h)
	return r.IssuedDocument, err
}

// IssuedPDF is the signed PDF of kind recorded for a file; errs.NotFound
// when none was recorded. The caller has checked who may read the file.
func (s *Service) IssuedPDF(ctx context.Context, kind string, fileID int64) ([]byte, error) {
	r, err := s.store.issuedOf(ctx, s.db, kind, fileID)
	if err != nil {
		return nil, err
	}
	if s.blobs == nil {
		return nil, errors.New("signature: no blob store")
	}
	b, err := blob.ReadAll(ctx, s.blobs, r.SHA256, r.Size)
	if err != nil {
		return nil, fmt.Errorf("signature: the stored %s of file %d: %w", kind, fileID, err)
	}
	return b, nil
}

// HasIssued says whether a signed document of kind is recorded for the
// file.
func (s *Service) HasIssued(ctx context.Context, kind string, fileID int64) (bool, error) {
	_, err := s.store.issuedOf(ctx, s.db, kind, fileID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// SealedIssued says whether the signed document of kind recorded for the
// file bears the commune's seal (rather than a person's signature);
// errs.NotFound when none is recorded.
func (s *Service) SealedIssued(ctx context.Context, kind string, fileID int64) (bool, error) {
	var sealed bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM signature_seals k WHERE k.serial = d.signer_serials)
		FROM signed_documents d WHERE d.kind = $1 AND d.file_id = $2`, kind, fileID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, errs.E(errs.NotFound, "signature.error.not_issued")
	}
	if err != nil {
		return false, fmt.Errorf("signature: read the registry: %w", err)
	}
	return sealed, nil
}

// Document is a PDF Madina issues for a permit file, to be signed.
type Document struct {
	Kind      string // KindReceipt, KindDecision
	Reference string // the file's official number
	FileID    int64
	PDF       []byte // the unsigned document
	// Reason is the signature's /Reason (what the signature means).
	Reason string
}

// Signed is a document signed and ready to be recorded (Record).
type Signed struct {
	IssuedDocument
	SHA256, Source string
	PDF            []byte
	serials        []string
}

// SealIdentity is who the commune's seal names: the commune, a legal
// person. serialNumber is Madina's own identifier for it (no register
// number of the commune is on record).
var SealIdentity = pki.Identity{Name: "Commune de Casablanca", SerialNumber: pki.OrderSerial("MADINA", "SEAL"),
	Organisation: "Commune de Casablanca", Title: "Cachet électronique", Country: "MA"}

// sealRenewal is how long before its end the seal's certificate is
// replaced.
const sealRenewal = 30 * 24 * time.Hour

func sealAAD(serial string) string { return "signature:seal:" + serial }

// sealKey is the commune's seal certificate and key, made on first use:
// a key Madina generates, certified by the built-in CA with SealIdentity,
// stored sealed with the server key only (no person, no PIN).
func (s *Service) sealKey(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	for range 3 {
		cert, sealed, err := s.store.seal(ctx, s.db)
		if err == nil && s.now().Add(sealRenewal).After(cert.NotAfter) {
			// Close to its end: retired, and a new one made (documents
			// sealed before stay valid: their time stamps and DSS).
			if err := s.store.retireSeal(ctx, pki.SerialHex(cert.SerialNumber), s.now()); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err == nil {
			der, err := s.seal.box.Open(sealed, sealAAD(pki.SerialHex(cert.SerialNumber)))
			if err != nil {
				return nil, nil, fmt.Errorf("signature: the seal's key does not open with this server key: %w", err)
			}
			k, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				return nil, nil, fmt.Errorf("signature: the seal's key: %w", err)
			}
			key, ok := k.(crypto.Signer)
			if !ok {
				return nil, nil, errors.New("signature: the seal's key is not a signer")
			}
			return cert, key, nil
		}
		if !errs.Is(err, errs.NotFound) {
			return nil, nil, err
		}
		key, err := pki.GenerateKey(pki.ECDSAP256)
		if err != nil {
			return nil, nil, err
		}
		cert, err = s.ca.Issue(ctx, key.Public(), SealIdentity)
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		serial := pki.SerialHex(cert.SerialNumber)
		err = s.db.Transact(ctx, func(tx *db.Tx) error {
			if err := s.store.addSeal(ctx, tx, cert, s.seal.box.Seal(der, sealAAD(serial)), s.now()); err != nil {
				return err
			}
			_, err := audit.Append(ctx, tx, audit.Entry{Actor: "system", Action: "signature.seal_created", ObjectType: "signature_seal",
				ObjectID: serial, Change: map[string]any{"serial": serial, "subject": cert.Subject.String(), "not_after": cert.NotAfter.UTC()}})
			return err
		})
		if errs.Is(err, errs.Conflict) {
			// Another node made one meanwhile: ours is never used.
			_ = s.ca.Revoke(context.WithoutCancel(ctx), serial, pki.ReasonSuperseded)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return cert, key, nil
	}
	return nil, nil, errors.New("signature: the seal neither loads nor stores")
}

// Seal signs d with the commune's electronic seal (PAdES B-LT: B-T with
// the built-in TSA, then the CA chain, CRLs and the TSA's chain in a
// Document Security Store), stores the signed PDF in the blob store and
// records it with its audit entry in one transaction. Only the system
// seals (authz.SealDocument). Idempotent: a document of d's kind already
// recorded for d.FileID is returned as it is, nothing signed again.
func (s *Service) Seal(ctx context.Context, a authz.Actor, d Document) (IssuedDocument, error) {
	if err := authz.Check(a, authz.SealDocument, authz.Resource{}); err != nil {
		return IssuedDocument{}, err
	}
	if r, err := s.store.issuedOf(ctx, s.db, d.Kind, d.FileID); err == nil {
		return r.IssuedDocument, nil
	} else if !errs.Is(err, errs.NotFound) {
		return IssuedDocument{}, err
	}
	cert, key, err := s.sealKey(ctx)
	if err != nil {
		return IssuedDocument{}, err
	}
	crls, err := s.crls(ctx)
	if err != nil {
		return IssuedDocument{}, err
	}
	signed, err := s.sign(ctx, d, pades.Signer{Key: key, Cert: cert, Chain: s.ca.Chain()}, SealIdentity.Name, crls)
	if err != nil {
		return IssuedDocument{}, err
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error { return s.Record(ctx, tx, "system", signed) })
	if errs.Is(err, errs.Conflict) { // recorded meanwhile by another node
		r, err := s.store.issuedOf(ctx, s.db, d.Kind, d.FileID)
		return r.IssuedDocument, err
	}
	return signed.IssuedDocument, err
}

// SealPDF is Seal for a capability that names no type of this one
// (permit.Signatures).
func (s *Service) SealPDF(ctx context.Context, a authz.Actor, kind, reference string, fileID int64, reason string, pdf []byte) error {
	_, err := s.Seal(ctx, a, Document{Kind: kind, Reference: reference, FileID: fileID, PDF: pdf, Reason: reason})
	return err
}

// HasSigningKey says whether person holds a key they may sign with now:
// not revoked, locked or expired, and not revoked at the CA.
func (s *Service) HasSigningKey(ctx context.Context, person int64) (bool, error) {
	k, err := s.store.Current(ctx, s.db, person)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil || k.StateAt(s.now()) != Active {
		return false, err
	}
	if k.Kind == Issued {
		st, err := s.ca.Status(ctx, k.Serial)
		if err != nil || st.RevokedAt != nil {
			return false, err
		}
	}
	return true, nil
}

// UnlockPDFSigner unlocks a's own key with pin for one act on permit
// file fileID (Unlock: counted, rate-limited, audited) and returns the
// function that signs that act's PDF as B-LT, keeps it in the blob store
// and records it (Record) in the caller's transaction — the one that
// makes the act, so that the record exists if and only if the act does.
// The CRLs are read now, before that transaction. A blob left unrecorded
// (the transaction rolled back) is the sweeper's.
func (s *Service) UnlockPDFSigner(ctx context.Context, a authz.Actor, pin string, fileID int64, purpose string) (func(ctx context.Context, tx *db.Tx, kind, reference string, fileID int64, reason string, pdf []byte) error, error) {
	crls, err := s.crls(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := s.Unlock(ctx, a, pin, Act{ObjectType: "permit_file", ObjectID: strconv.FormatInt(fileID, 10), Purpose: purpose})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx *db.Tx, kind, reference string, file int64, reason string, pdf []byte) error {
		if file != fileID {
			return errors.New("signature: the key was unlocked for another file")
		}
		sd, err := s.sign(ctx, Document{Kind: kind, Reference: reference, FileID: file, PDF: pdf, Reason: reason},
			pades.Signer{Key: signer, Cert: signer.Cert, Chain: signer.Chain}, signer.Cert.Subject.CommonName, crls)
		if err != nil {
			return err
		}
		return s.Record(ctx, tx, authz.ActorLabel(a, authz.Resource{}), sd)
	}, nil
}

// UnlockUploadSigner unlocks a's own key with pin for signing one
// document of permit file fileID, whose SHA-256 is digest (Unlock:
// counted, rate-limited, audited with both) and returns the function that signs a PDF with it as PAdES B-LT, time-
// stamped, without a visible block (the pages are their author's: a plan
// has no free corner); it returns the signed PDF, the signer's name (the
// certificate's) and the certificate's serial (hex). Nothing is kept or
// recorded here: the signed PDF becomes the caller's own document; the
// act is in the audit chain.
func (s *Service) UnlockUploadSigner(ctx context.Context, a authz.Actor, pin string, fileID int64, purpose, digest string) (func(ctx context.Context, pdf []byte, reason string) (signed []byte, signer, serial string, err error), error) {
	return s.UnlockSigner(ctx, a, pin, "permit_file", strconv.FormatInt(fileID, 10), purpose, digest)
}

// UnlockSigner is UnlockUploadSigner for a document of any object (a
// committee session's minutes: "permit_session"): the act names the
// object's type and identifier, what it is for and the document's
// SHA-256.
func (s *Service) UnlockSigner(ctx context.Context, a authz.Actor, pin, objectType, objectID, purpose, digest string) (func(ctx context.Context, pdf []byte, reason string) (signed []byte, signer, serial string, err error), error) {
	crls, err := s.crls(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := s.Unlock(ctx, a, pin, Act{ObjectType: objectType, ObjectID: objectID, Purpose: purpose, Digest: digest})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, pdf []byte, reason string) ([]byte, string, string, error) {
		name := signer.Cert.Subject.CommonName
		out, err := s.signLT(ctx, pdf, pades.Signer{Key: signer, Cert: signer.Cert, Chain: signer.Chain},
			pades.Options{Reason: reason, Location: "Casablanca", Name: name, Time: s.now().UTC().Truncate(time.Second)}, crls)
		if err != nil {
			return nil, "", "", err
		}
		return out, name, pki.SerialHex(signer.Cert.SerialNumber), nil
	}, nil
}

// crls are the issuing CA's and the root's current CRLs.
func (s *Service) crls(ctx context.Context) ([][]byte, error) {
	crl, err := s.ca.CRL(ctx)
	if err != nil {
		return nil, err
	}
	root, err := s.ca.RootCRL(ctx)
	if err != nil {
		return nil, err
	}
	return [][]byte{crl, root}, nil
}

func (s *Service) sign(ctx context.Context, d Document, ps pades.Signer, name string, crls [][]byte) (Signed, error) {
	if d.Kind != KindReceipt && d.Kind != KindDecision {
		return Signed{}, fmt.Errorf("signature: unknown document kind %q", d.Kind)
	}
	src := sha256.Sum256(d.PDF)
	source := hex.EncodeToString(src[:])
	now := s.now().UTC().Truncate(time.Second)
	vis := &pades.Appearance{Page: 0, URL: s.ca.URL(PathVerify + "?h=" + source), W: 300, H: 78,
		Lines: []string{"وقّعه إلكترونيًا " + name, "Signé électroniquement par " + name,
			"Le " + now.UTC().Format("02/01/2006 à 15:04") + " UTC", d.Reference}}
	out, err := s.signLT(ctx, d.PDF, ps, pades.Options{Reason: d.Reason, Location: "Casablanca", Name: name, Time: now, Visible: vis}, crls)
	if err != nil {
		return Signed{}, err
	}
	if s.blobs == nil {
		return Signed{}, errors.New("signature: no blob store")
	}
	b, err := s.blobs.Put(ctx, bytes.NewReader(out), blob.PutOptions{})
	if err != nil {
		return Signed{}, err
	}
	serial := pki.SerialHex(ps.Cert.SerialNumber)
	return Signed{IssuedDocument: IssuedDocument{Kind: d.Kind, Reference: d.Reference, FileID: d.FileID, SignedAt: now,
		Signers: []string{name + " (" + serial + ")"}}, SHA256: b.SHA256, Source: source, PDF: out, serials: []string{serial}}, nil
}

// signLT signs pdf as PAdES B-LT: the signature, its time stamp (the
// configured authority's), then a Document Security Store with what a
// verifier needs besides the root: every certificate the signature
// carries (signer, CA chain, TSA and its chain), Madina's CA chain,
// crls, and the CRLs of the certificates Madina did not issue (an
// external TSA's: foreignCRLs).
func (s *Service) signLT(ctx context.Context, pdf []byte, ps pades.Signer, opts pades.Options, crls [][]byte) ([]byte, error) {
	if s.stamper != nil {
		opts.Stamper = s.stamper
	}
	out, err := pades.Sign(ctx, pdf, ps, opts)
	if err != nil {
		return nil, err
	}
	certs, err := pades.Certificates(out)
	if err != nil {
		return nil, err
	}
	foreign, err := s.foreignCRLs(ctx, certs)
	if err != nil {
		return nil, err
	}
	vd := pades.ValidationData{Certs: append(certs, s.ca.Chain()...), CRLs: append(slices.Clone(crls), foreign...)}
	return pades.AddDSS(ctx, out, vd)
}

// Record writes sd in the registry with its audit entry, inside tx (the
// transaction of the act the document records). errs.Conflict when a
// document of its kind is already recorded for its file.
func (s *Service) Record(ctx context.Context, tx *db.Tx, actorLabel string, sd Signed) error {
	id, err := s.store.addIssued(ctx, tx, sd, int64(len(sd.PDF)))
	if err != nil {
		return err
	}
	_, err = audit.Append(ctx, tx, audit.Entry{Actor: actorLabel, Action: "signature.document_signed", ObjectType: "permit_file",
		ObjectID: strconv.FormatInt(sd.FileID, 10), Change: map[string]any{"document": id, "kind": sd.Kind,
			"reference": sd.Reference, "sha256": sd.SHA256, "source_sha256": sd.Source, "signers": sd.Signers}})
	return err
}

// issuedRecord is a registry row.
type issuedRecord struct {
	IssuedDocument
	SHA256 string
	Size   int64
}

const issuedColumns = `sha256, kind, reference, file_id, size, signed_at, signers`

func scanIssued(row *sql.Row) (issuedRecord, error) {
	var r issuedRecord
	var signers string
	err := row.Scan(&r.SHA256, &r.Kind, &r.Reference, &r.FileID, &r.Size, &r.SignedAt, &signers)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.E(errs.NotFound, "signature.error.not_issued")
	}
	if err != nil {
		return r, fmt.Errorf("signature: read the registry: %w", err)
	}
	r.Signers = strings.Split(signers, "\n")
	return r, nil
}

func (s *Store) issuedBy(ctx context.Context, q db.Querier, column, hash string) (issuedRecord, error) {
	if column != "sha256" && column != "source_sha256" {
		return issuedRecord{}, errors.New("signature: no such hash column")
	}
	return scanIssued(q.QueryRowContext(ctx, `SELECT `+issuedColumns+` FROM signed_documents WHERE `+column+` = $1
		ORDER BY id LIMIT 1`, hash))
}

func (s *Store) issuedOf(ctx context.Context, q db.Querier, kind string, fileID int64) (issuedRecord, error) {
	return scanIssued(q.QueryRowContext(ctx, `SELECT `+issuedColumns+` FROM signed_documents WHERE kind = $1 AND file_id = $2`,
		kind, fileID))
}

func (s *Store) addIssued(ctx context.Context, q db.Querier, sd Signed, size int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO signed_documents (sha256, source_sha256, kind, reference, file_id, size, signed_at,
		signers, signer_serials) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		sd.SHA256, sd.Source, sd.Kind, sd.Reference, sd.FileID, size, sd.SignedAt, strings.Join(sd.Signers, "\n"),
		strings.Join(sd.serials, "\n")).Scan(&id)
	if db.IsUniqueViolation(err) {
		return 0, errs.E(errs.Conflict, "signature.error.already_issued").Cause(err)
	}
	if err != nil {
		return 0, fmt.Errorf("signature: record the signed %s: %w", sd.Kind, err)
	}
	return id, nil
}

// seal is the commune's seal that is not revoked; errs.NotFound if none.
func (s *Store) seal(ctx context.Context, q db.Querier) (*x509.Certificate, string, error) {
	var der []byte
	var sealed string
	err := q.QueryRowContext(ctx, `SELECT cert, sealed_key FROM signature_seals WHERE name = 'commune' AND revoked_at IS NULL`).
		Scan(&der, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", errs.E(errs.NotFound, "signature.error.no_seal")
	}
	if err != nil {
		return nil, "", fmt.Errorf("signature: read the seal: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", fmt.Errorf("signature: the seal's certificate: %w", err)
	}
	return c, sealed, nil
}

// retireSeal ends the use of the seal serial (made anew on next use).
func (s *Store) retireSeal(ctx context.Context, serial string, now time.Time) error {
	return s.DB.Transact(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE signature_seals SET revoked_at = $2 WHERE serial = $1 AND revoked_at IS NULL`, serial, now)
		return err
	})
}

func (s *Store) addSeal(ctx context.Context, q db.Querier, c *x509.Certificate, sealed string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO signature_seals (name, serial, cert, sealed_key, not_after, created_at)
		VALUES ('commune', $1, $2, $3, $4, $5)`, pki.SerialHex(c.SerialNumber), c.Raw, sealed, c.NotAfter, now)
	if db.IsUniqueViolation(err) {
		return errs.E(errs.Conflict, "signature.error.changed").Cause(err)
	}
	if err != nil {
		return fmt.Errorf("signature: store the seal: %w", err)
	}
	return nil
}
