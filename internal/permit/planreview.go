package permit

import (
	"context"
	"fmt"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// What the plan-review capability (internal/planreview) asks of permit:
// a plan sheet — a version of one of a file's documents — with what the
// policy needs to decide who reads and who annotates it. planreview
// declares the same two types (planreview.Sheet, planreview.SheetVersion)
// as aliases of the same unnamed struct types, so neither package names
// the other; internal/app checks at compile time that the Service
// provides planreview.Sheets.

// PlanSheet is a plan sheet: the file, the document (one version of a
// checklist item), its content hash, the file's current committee round
// (0 before dispatch), the policy's resource of the file, and every
// version of the same item, oldest first.
type PlanSheet = struct {
	File        int64
	FileRef     string
	Document    int64
	Item        string
	Version     int
	SHA256      string
	Size        int64
	ContentType string
	Name        string
	Pages       int
	Round       int
	Resource    authz.Resource
	Versions    []PlanSheetVersion
}

// PlanSheetVersion is one version of a sheet's item.
type PlanSheetVersion = struct {
	Document int64
	Version  int
	SHA256   string
}

// PlanSheet returns document docID of file fileID as a plan sheet, read
// through q, for an actor the policy lets read the file (errs.NotFound
// otherwise, as for a document of another file or one removed).
func (s *Service) PlanSheet(ctx context.Context, q db.Querier, a authz.Actor, fileID, docID int64) (PlanSheet, error) {
	var out PlanSheet
	f, k, err := s.load(ctx, q, a, authz.ReadFile, fileID)
	if err != nil {
		return out, err
	}
	d, err := document(ctx, q, f.ID, docID)
	if err != nil {
		return out, err
	}
	if d.Removed {
		return out, errs.E(errs.NotFound, "permit.documents.error.not_found")
	}
	r, _, err := lastRound(ctx, q, f.ID)
	if err != nil {
		return out, err
	}
	out = PlanSheet{File: f.ID, FileRef: f.Ref, Document: d.ID, Item: d.Item, Version: d.Version, SHA256: d.SHA256,
		Size: d.Size, ContentType: d.ContentType, Name: d.Name, Pages: d.Pages, Round: r.N, Resource: f.Resource(k)}
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.version, d.sha256 FROM permit_documents d
		WHERE d.file_id = $1 AND d.item = $2
		AND NOT EXISTS (SELECT 1 FROM permit_document_removals r WHERE r.document_id = d.id)
		ORDER BY d.version`, f.ID, d.Item)
	if err != nil {
		return out, fmt.Errorf("permit: versions of %s: %w", d.Item, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v PlanSheetVersion
		if err := rows.Scan(&v.Document, &v.Version, &v.SHA256); err != nil {
			return out, fmt.Errorf("permit: versions of %s: %w", d.Item, err)
		}
		out.Versions = append(out.Versions, v)
	}
	return out, rows.Err()
}

// PlanFile is what planreview's notices ask of a file: how the applicant
// knows it (its number once registered, else its reference), the people
// permit tells about its steps (its owner, a natural person, and whoever
// filed it) and the legal person owning it (0 for none). An alias of an
// unnamed struct type, identical to planreview.FileApplicants.
type PlanFile = struct {
	Display    string
	Applicants []int64
	OwnerLegal int64
}

// PlanApplicants is file fileID as planreview's notices ask for it, read
// through q. No actor: planreview asks the policy, for each of the
// applicants, whether they may read what it would tell them.
func (s *Service) PlanApplicants(ctx context.Context, q db.Querier, fileID int64) (PlanFile, error) {
	f, err := file(ctx, reader{q}, "id", fileID)
	if err != nil {
		return PlanFile{}, err
	}
	return PlanFile{Display: f.Display(), Applicants: applicantIDs(f), OwnerLegal: f.OwnerLegal}, nil
}
