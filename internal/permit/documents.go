package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// An applicant takes back a document uploaded by mistake with
// RemoveDocument. Documents are immutable (permit_documents refuses
// updates and deletes): a removal is a row of permit_document_removals,
// once per document, and a removed document is no longer the file's — not
// on its checklist, not counted by its quota or its completeness, not
// served, not on the receipt, and its blob no longer named for the sweeper
// (BlobRefsSQL). Only what the administration never received may go: the
// file must be with its applicant (draft, returned, information requested;
// the database refuses a removal otherwise) and the document uploaded
// since the file last went to the window (submit, resubmit, answer).

// handedOver is when file fileID last went to the administration (its
// submission, resubmission or answer), zero if it never did.
func handedOver(ctx context.Context, q db.Querier, fileID int64) (time.Time, error) {
	var at time.Time
	err := q.QueryRowContext(ctx, `SELECT at FROM permit_events WHERE file_id = $1 AND kind IN ($2, $3, $4)
		ORDER BY id DESC LIMIT 1`, fileID, TSubmit, TResubmit, TAnswer).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("permit: handed over: %w", err)
	}
	return at.UTC(), nil
}

// removable reports whether document d of a file in state st, last
// handed over at handed, may still be removed.
func removable(st State, handed time.Time, d Upload) bool {
	return st.Uploads() && d.UploadedAt.After(handed)
}

// RemoveDocument takes document docID off file id, for whoever may
// prepare the file, while the administration has not received it. The
// checklist then shows the item's previous version again (or nothing),
// and the removal is on the file's timeline and in the audit chain.
func (s *Service) RemoveDocument(ctx context.Context, a authz.Actor, id, docID int64) (*Upload, error) {
	var removed *Upload
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		f, k, d, err := s.mayRemove(ctx, tx, a, id, docID)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_document_removals (document_id, removed_by, removed_at)
			VALUES ($1, $2, $3)`, d.ID, a.Person, now); err != nil {
			return fmt.Errorf("permit: remove document %d: %w", d.ID, err)
		}
		removed = d
		return s.record(ctx, tx, a, k, f, "document_removed", "", "", map[string]any{"item": d.Item, "version": d.Version,
			"document": d.ID, "sha256": d.SHA256, "size": d.Size}, false, now)
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// MayRemove returns the file and the document when a may remove it now:
// the same checks as RemoveDocument, without removing, for the page that
// asks to confirm.
func (s *Service) MayRemove(ctx context.Context, a authz.Actor, id, docID int64) (*File, *Upload, error) {
	f, _, d, err := s.mayRemove(ctx, s.db, a, id, docID)
	return f, d, err
}

// mayRemove checks, through q, that a may remove document docID of file
// id: the policy first, then the document, then the file's state and
// whether the administration received it.
func (s *Service) mayRemove(ctx context.Context, q db.Querier, a authz.Actor, id, docID int64) (*File, *Kind, *Upload, error) {
	f, k, err := s.load(ctx, q, a, authz.RemoveDocument, id)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := document(ctx, q, f.ID, docID)
	if err != nil {
		return nil, nil, nil, err
	}
	if d.Removed {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.documents.error.already_removed").With("name", d.Name)
	}
	if !f.State.Uploads() {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.documents.error.not_with_you").With("name", d.Name).
			Cause(fmt.Errorf("file %d is %s", f.ID, f.State))
	}
	handed, err := handedOver(ctx, q, f.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	if !removable(f.State, handed, d.Upload) {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.documents.error.received").With("name", d.Name).
			Cause(fmt.Errorf("document %d uploaded %s, file handed over %s", d.ID, d.UploadedAt, handed))
	}
	return f, k, &d.Upload, nil
}

// storedDocument is a document row with whether it was removed.
type storedDocument struct {
	Upload
	Removed bool
}

// document reads document docID of file fileID, removed or not; one of
// another file is not found.
func document(ctx context.Context, q db.Querier, fileID, docID int64) (storedDocument, error) {
	var d storedDocument
	err := q.QueryRowContext(ctx, `SELECT d.id, d.item, d.version, d.sha256, d.size, d.content_type, d.name, d.pages,
		d.uploaded_by, d.uploaded_at, EXISTS (SELECT 1 FROM permit_document_removals r WHERE r.document_id = d.id)
		FROM permit_documents d WHERE d.file_id = $1 AND d.id = $2`, fileID, docID).Scan(&d.ID, &d.Item, &d.Version,
		&d.SHA256, &d.Size, &d.ContentType, &d.Name, &d.Pages, &d.UploadedBy, &d.UploadedAt, &d.Removed)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.E(errs.NotFound, "permit.documents.error.not_found")
	}
	if err != nil {
		return d, fmt.Errorf("permit: document %d: %w", docID, err)
	}
	d.UploadedAt = d.UploadedAt.UTC()
	return d, nil
}

// removableDocuments lists the documents of v that the reader may remove
// now, by id.
func (s *Service) removableDocuments(ctx context.Context, a authz.Actor, v *View) (map[int64]bool, error) {
	out := map[int64]bool{}
	f := v.File
	if !f.State.Uploads() || !authz.Decide(a, authz.RemoveDocument, f.Resource(v.Kind)).Allow {
		return out, nil
	}
	handed, err := handedOver(ctx, s.db, f.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range v.Documents {
		if removable(f.State, handed, d) {
			out[d.ID] = true
		}
	}
	return out, nil
}

// current lists the documents of an item that count: all of a set
// (oldest first), the latest version of a single item.
func current(r Requirement, ds []Upload) []Upload {
	var out []Upload
	for _, d := range ds {
		if d.Item == r.Code {
			out = append(out, d)
		}
	}
	if !r.Several && len(out) > 1 {
		i := 0
		for j, d := range out {
			if d.Version > out[i].Version {
				i = j
			}
		}
		out = out[i : i+1]
	}
	slices.SortStableFunc(out, func(x, y Upload) int { return x.Version - y.Version })
	return out
}
