package permit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
)

// The kinds of signed documents permit issues (the signature registry's
// kinds).
const (
	KindReceipt  = "receipt"
	KindDecision = "decision"
)

// Signatures is what permit asks of the signature capability: sealing
// the documents it issues by itself (the deposit receipt) with the
// commune's electronic seal, and the signed PDF recorded for a file. The
// signature service provides it (module.Need); permit never imports it.
type Signatures interface {
	// SealPDF signs pdf with the commune's seal (PAdES B-LT), keeps and
	// records it; only the system actor may. Idempotent per kind and file.
	SealPDF(ctx context.Context, a authz.Actor, kind, reference string, fileID int64, reason string, pdf []byte) error
	// IssuedPDF is the signed PDF of kind recorded for the file;
	// errs.NotFound when there is none.
	IssuedPDF(ctx context.Context, kind string, fileID int64) ([]byte, error)
	// HasIssued says whether a signed document of kind is recorded for
	// the file.
	HasIssued(ctx context.Context, kind string, fileID int64) (bool, error)
	// SealedIssued says whether the document of kind recorded for the
	// file bears the commune's seal rather than a person's signature;
	// errs.NotFound when there is none.
	SealedIssued(ctx context.Context, kind string, fileID int64) (bool, error)
	// HasSigningKey says whether the person holds a key they may sign
	// with now (not revoked, locked or expired).
	HasSigningKey(ctx context.Context, person int64) (bool, error)
	// UnlockPDFSigner opens a's own key with pin for one act on the file
	// (counted, rate-limited, audited; a wrong PIN is an errs.Invalid on
	// field "pin") and returns the function that signs that act's PDF
	// and records it inside the caller's transaction.
	UnlockPDFSigner(ctx context.Context, a authz.Actor, pin string, fileID int64, purpose string) (SignPDF, error)
	// UnlockUploadSigner opens a's own key with pin to sign one document
	// (whose SHA-256 is digest) of the file (counted, rate-limited,
	// audited) and returns the function that signs a PDF with it and
	// returns the signed PDF, the signer's name and the certificate's
	// serial, keeping nothing.
	UnlockUploadSigner(ctx context.Context, a authz.Actor, pin string, fileID int64, purpose, digest string) (SignUpload, error)
	// UnlockSigner is UnlockUploadSigner for a document of another
	// object: the minutes of a committee session ("permit_session").
	UnlockSigner(ctx context.Context, a authz.Actor, pin, objectType, objectID, purpose, digest string) (SignUpload, error)
}

// SignUpload signs a PDF (PAdES B-LT, invisible) and returns it with the
// signer's name and certificate serial.
type SignUpload = func(ctx context.Context, pdf []byte, reason string) (signed []byte, signer, serial string, err error)

// SignPDF signs pdf (PAdES B-LT), keeps it and records it in tx, once.
type SignPDF = func(ctx context.Context, tx *db.Tx, kind, reference string, fileID int64, reason string, pdf []byte) error

// SignsDecisions says whether the officer a signs the decisions they take
// (they hold a usable signing key): their confirmation then asks for the
// PIN, and DecideSigned takes the decision.
func (s *Service) SignsDecisions(ctx context.Context, a authz.Actor) bool {
	if s.signatures == nil || a.Person == 0 || a.Token {
		return false
	}
	ok, err := s.signatures.HasSigningKey(ctx, a.Person)
	if err != nil {
		s.log.Warn("permit: signing key", "person", a.Person, "err", err.Error())
	}
	return ok
}

// SealsDecisions says whether the decisions no officer signs are sealed
// by the commune (the signature capability is in service).
func (s *Service) SealsDecisions() bool { return s.signatures != nil }

// How a decided file's document is signed (its page says it).
const (
	DecisionUnsigned  = ""        // no signature capability in this deployment
	DecisionPending   = "pending" // its sealed copy is being made (the job)
	DecisionByOfficer = "officer" // signed by the officer who took it
	DecisionBySeal    = "seal"    // sealed by the commune (a tacit approval; an officer without a usable key)
)

// DecisionSignature says how file id's decision document is signed.
func (s *Service) DecisionSignature(ctx context.Context, id int64) string {
	if s.signatures == nil {
		return DecisionUnsigned
	}
	switch sealed, err := s.signatures.SealedIssued(ctx, KindDecision, id); {
	case err != nil:
		if !errs.Is(err, errs.NotFound) {
			s.log.Warn("permit: decision signature", "file", id, "err", err.Error())
		}
		return DecisionPending
	case sealed:
		return DecisionBySeal
	}
	return DecisionByOfficer
}

// IsEconomic says whether file id, which a may read, is an economic file
// (the officer decides it); false when a may not read it.
func (s *Service) IsEconomic(ctx context.Context, a authz.Actor, id int64) bool {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	return err == nil && f.Family == Economic
}

// DecideSigned takes the officer's decision on an economic file and signs
// its document with their key, all or nothing: the key is unlocked with
// pin first (a wrong PIN: no decision, the refusal says why, on field
// "pin"); then one transaction records the decision, draws its document,
// signs it and records the signed document; if any step fails, neither
// the decision nor a signed document exists.
func (s *Service) DecideSigned(ctx context.Context, a authz.Actor, id int64, version int, approve bool, reason, pin string) (*File, error) {
	if s.signatures == nil {
		return nil, errs.E(errs.Conflict, "permit.error.no_signature")
	}
	reason = strings.TrimSpace(reason)
	name := TApprove
	if !approve {
		name = TRefuse
		if utf8.RuneCountInString(reason) < 10 {
			return nil, errs.E(errs.Invalid, "permit.error.reason").OnField("reason")
		}
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return nil, errs.E(errs.Invalid, "permit.error.too_long").With("max", 2000).OnField("reason")
	}
	// What the transition would refuse is refused before the PIN is
	// tried: no attempt is spent on a decision that cannot be taken.
	t, _ := transitionNamed(name)
	f, k, err := s.load(ctx, s.db, a, t.Action, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.guard(a, t, f, k, version); err != nil {
		return nil, err
	}
	if f.Family != Economic {
		return nil, errs.E(errs.Conflict, "permit.error.decision_not_economic")
	}
	sign, err := s.signatures.UnlockPDFSigner(ctx, a, pin, id, KindDecision)
	if err != nil {
		return nil, err
	}
	return s.transitionThen(ctx, a, id, version, name, func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		return s.close(ctx, tx, f, reason, now)
	}, func(tx *db.Tx, f *File, k *Kind) error {
		v := &View{File: f, Kind: k}
		if f.Window != "" {
			if w, err := s.window(ctx, f.Window); err == nil {
				v.Window = &w
			}
		}
		b, _, err := s.decisionPDF(ctx, v, noteSigned)
		if err != nil {
			return err
		}
		what := "Autorisation"
		if !approve {
			what = "Refus d’autorisation"
		}
		return sign(ctx, tx, KindDecision, f.Number, f.ID, what+" — décision n° "+f.Number, b)
	})
}

// The seals follow a file's changes by jobs, after the change committed
// (its event exists only then), so that a failed signature is retried by
// the job queue without touching the change.
const (
	// JobSealReceipt seals an accepted file's receipt.
	JobSealReceipt = "permit.seal_receipt"
	// JobSealDecision seals the decision of an economic file that no
	// officer signed: one approved tacitly (nobody decided: the law did),
	// or decided by an officer without a usable signing key.
	JobSealDecision = "permit.seal_decision"
)

// sealJob is the seal jobs' payload.
type sealJob struct {
	File int64 `json:"file"`
}

// queueSeal is the subscriber that queues job for the file of every
// change among changes (once per file).
func queueSeal(q *jobs.Queue, job string, changes ...string) jobs.Subscriber {
	return func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
		var p FileChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		if p.V != EventVersion || !slices.Contains(changes, p.Change) {
			return nil
		}
		_, err := q.Enqueue(ctx, tx, job, sealJob{File: p.File},
			jobs.EnqueueOptions{UniqueKey: "file:" + strconv.FormatInt(p.File, 10)})
		return err
	}
}

// runSeal is the handler of a seal job doing seal for its file.
func runSeal(seal func(context.Context, int64) error) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		var p sealJob
		if err := j.Decode(&p); err != nil {
			return err
		}
		return seal(ctx, p.File)
	}
}

// SealReceipt builds the receipt of an accepted file and has it sealed
// and recorded (the system's act). Doing it again changes nothing.
func (s *Service) SealReceipt(ctx context.Context, id int64) error {
	if s.signatures == nil {
		return nil
	}
	if done, err := s.signatures.HasIssued(ctx, KindReceipt, id); err != nil || done {
		return err
	}
	v, err := s.systemView(ctx, id)
	if err != nil {
		return err
	}
	if v.File.AcceptedAt == nil {
		return jobs.Permanent(errs.E(errs.Conflict, "permit.error.no_receipt"))
	}
	b, err := s.receiptPDF(ctx, v)
	if err != nil {
		return err
	}
	if err := s.signatures.SealPDF(ctx, authz.Actor{System: true}, KindReceipt, v.File.Number, id,
		"Récépissé de dépôt d’un dossier complet", b); err != nil {
		return fmt.Errorf("permit: seal the receipt of file %d: %w", id, err)
	}
	return nil
}

// SealDecision has the commune seal the decision of a decided file whose
// decision is not signed yet (economic, or urban as its committee
// concluded); one already signed is left as it is.
func (s *Service) SealDecision(ctx context.Context, id int64) error {
	if s.signatures == nil {
		return nil
	}
	if done, err := s.signatures.HasIssued(ctx, KindDecision, id); err != nil || done {
		return err
	}
	v, err := s.systemView(ctx, id)
	if err != nil {
		return err
	}
	b, _, err := s.decisionPDF(ctx, v, noteSealed)
	if err != nil {
		return jobs.Permanent(err)
	}
	what := "Autorisation"
	if v.File.State == Refused {
		what = "Refus d’autorisation"
	}
	if err := s.signatures.SealPDF(ctx, authz.Actor{System: true}, KindDecision, v.File.Number, id,
		what+" — décision n° "+v.File.Number, b); err != nil {
		return fmt.Errorf("permit: seal the decision of file %d: %w", id, err)
	}
	return nil
}

// SealIssued seals the receipt of every accepted file that has none yet
// and the decision of every decided economic file no officer signed: the
// demonstration's (it loads without running jobs), or an operator's
// catching up on what was issued before signatures came into service
// (madina admin seal). Doing it again changes nothing. It returns how many
// receipts and decisions it sealed.
func (s *Service) SealIssued(ctx context.Context) (receipts, decisions int, err error) {
	if s.signatures == nil {
		return 0, 0, nil
	}
	fs, err := issuedFiles(ctx, s.db)
	if err != nil {
		return 0, 0, err
	}
	for _, f := range fs {
		if done, err := s.signatures.HasIssued(ctx, KindReceipt, f.id); err != nil {
			return receipts, decisions, err
		} else if !done {
			if err := s.SealReceipt(ctx, f.id); err != nil {
				return receipts, decisions, err
			}
			receipts++
		}
		if !f.decided {
			continue
		}
		if done, err := s.signatures.HasIssued(ctx, KindDecision, f.id); err != nil {
			return receipts, decisions, err
		} else if !done {
			if err := s.SealDecision(ctx, f.id); err != nil {
				return receipts, decisions, err
			}
			decisions++
		}
	}
	return receipts, decisions, nil
}
