package permit

import (
	"context"
	"fmt"
	"strconv"

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
}

// JobSealReceipt is the job that seals an accepted file's receipt.
const JobSealReceipt = "permit.seal_receipt"

// sealReceiptJob is its payload.
type sealReceiptJob struct {
	File int64 `json:"file"`
}

// queueReceiptSeal is the subscriber that, when a file is accepted, queues
// the sealing of its receipt: the acceptance has committed already (the
// event exists only then), and a failed signature is retried by the job
// queue without touching it.
func (s *Service) queueReceiptSeal(q *jobs.Queue) jobs.Subscriber {
	return func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
		var p FileChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		if p.V != EventVersion || p.Change != "accept" {
			return nil
		}
		_, err := q.Enqueue(ctx, tx, JobSealReceipt, sealReceiptJob{File: p.File},
			jobs.EnqueueOptions{UniqueKey: "file:" + strconv.FormatInt(p.File, 10)})
		return err
	}
}

// runSealReceipt is the job's handler.
func (s *Service) runSealReceipt(ctx context.Context, j jobs.Job) error {
	var p sealReceiptJob
	if err := j.Decode(&p); err != nil {
		return err
	}
	return s.SealReceipt(ctx, p.File)
}

// SealReceipt builds the receipt of an accepted file and has it sealed
// and recorded (the system's act). Doing it again changes nothing.
func (s *Service) SealReceipt(ctx context.Context, id int64) error {
	if s.signatures == nil {
		return nil
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

// SealReceipts seals the receipt of every accepted file that has none
// yet (the demonstration, which loads without running jobs), and says
// how many files it looked at.
func (s *Service) SealReceipts(ctx context.Context) (int, error) {
	if s.signatures == nil {
		return 0, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM permit_files WHERE accepted_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.SealReceipt(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
