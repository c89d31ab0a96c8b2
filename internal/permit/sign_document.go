package permit

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// The architect signs the PDFs of a file they prepare from their own
// space (CASAURBA: plans are signed electronically, never on paper). The
// signed PDF (PAdES B-LT, made by the signature capability with the
// architect's key, opened by their PIN for this one act) becomes a new
// document of the same item — the next version of a single item, or the
// replacement of its source in a set — with a row of
// permit_document_signatures naming the source, the signer and the
// certificate. The source stays stored: removing the signed copy before
// the window receives it brings the source back, as removing any version
// does. Only the current documents of a file still with its applicant may
// be signed, only PDFs, and only of the items the architect draws up
// (the catalogue's Document.Author: plans, notices, their certificate —
// not the owner's ID card nor a land certificate).

// signSlots bounds the documents signed at once on this node.
var signSlots = make(chan struct{}, 2)

// SignDocument signs document docID of file id with a's own key, opened
// with pin. The checks that need no PIN come first, so that no attempt is
// spent on a document that cannot be signed; then the key opens (a wrong
// PIN: errs.Invalid on field "pin"), the PDF is signed and kept, and one
// transaction checks everything again and records the signed document,
// its signature row and the timeline event, or nothing.
func (s *Service) SignDocument(ctx context.Context, a authz.Actor, id, docID int64, pin string) (*Upload, error) {
	if s.signatures == nil {
		return nil, errs.E(errs.Conflict, "permit.error.no_signature")
	}
	f, _, d, err := s.maySign(ctx, s.db, a, id, docID)
	if err != nil {
		return nil, err
	}
	// A PDF of up to 200 MB is signed in memory: two at a time.
	select {
	case signSlots <- struct{}{}:
		defer func() { <-signSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	src, err := blob.ReadAll(ctx, s.blobs, d.SHA256, d.Size)
	if err != nil {
		return nil, err
	}
	sign, err := s.signatures.UnlockUploadSigner(ctx, a, pin, f.ID, "document:"+strconv.FormatInt(d.ID, 10), d.SHA256)
	if err != nil {
		return nil, err
	}
	out, signer, serial, err := sign(ctx, src, "Signé par son auteur — dossier "+f.Display())
	if err != nil {
		return nil, err
	}
	bl, err := s.blobs.Put(ctx, bytes.NewReader(out), blob.PutOptions{})
	if err != nil {
		return nil, err
	}
	up := &Upload{Item: d.Item, SHA256: bl.SHA256, Size: bl.Size, ContentType: bl.ContentType, Name: d.Name,
		Pages: d.Pages, UploadedBy: a.Person}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// The file may have moved on, or the document been signed or
		// removed, while the key opened and the PDF was signed.
		f, k, d, err := s.maySign(ctx, tx, a, id, docID)
		if err != nil {
			return err
		}
		if _, err := s.cfg.Quota.withDefaults().check(ctx, tx, f.ID, d.Item, 1, up.Size); err != nil {
			return err
		}
		now := s.now()
		up.UploadedAt = now
		if err := insertDocument(ctx, tx, f.ID, up); err != nil {
			return err
		}
		up.Signature = &DocumentSignature{Signs: d.ID, Signer: signer, Serial: serial, SignedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_document_signatures (document_id, source_id, signer, signer_name,
			serial, signed_at) VALUES ($1, $2, $3, $4, $5, $6)`, up.ID, d.ID, a.Person, signer, serial, now); err != nil {
			return fmt.Errorf("permit: record the signature of document %d: %w", d.ID, err)
		}
		return s.record(ctx, tx, a, k, f, "document_signed", "", "", map[string]any{"item": d.Item, "version": up.Version,
			"document": up.ID, "signs": d.ID, "sha256": up.SHA256, "source_sha256": d.SHA256, "serial": serial}, false, now)
	})
	if err != nil {
		return nil, err
	}
	return up, nil
}

// MaySign returns the file and the document when a may sign it now
// (SignDocument's checks without the PIN), for the page that asks for it.
func (s *Service) MaySign(ctx context.Context, a authz.Actor, id, docID int64) (*File, *Kind, *Upload, error) {
	return s.maySign(ctx, s.db, a, id, docID)
}

// maySign checks, through q, that a may sign document docID of file id:
// the policy (the architect under mandate), the file with its applicant,
// the document one of its current PDFs, and a key to sign with.
func (s *Service) maySign(ctx context.Context, q db.Querier, a authz.Actor, id, docID int64) (*File, *Kind, *Upload, error) {
	f, k, err := s.load(ctx, q, a, authz.SignPlans, id)
	if err != nil {
		return nil, nil, nil, err
	}
	ds, err := documents(ctx, q, f.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	i := slices.IndexFunc(ds, func(d Upload) bool { return d.ID == docID })
	if i < 0 {
		// Removed, replaced by its signed copy, or of another file.
		return nil, nil, nil, errs.E(errs.NotFound, "permit.documents.error.not_found")
	}
	d := ds[i]
	if !f.Uploads() {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.sign.error.not_with_you").With("name", d.Name)
	}
	if d.ContentType != "application/pdf" {
		return nil, nil, nil, errs.E(errs.Invalid, "permit.sign.error.not_pdf").With("name", d.Name)
	}
	if i := slices.IndexFunc(k.Documents, func(r Requirement) bool { return r.Code == d.Item }); i < 0 || k.Documents[i].Author != PartyArchitect {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.sign.error.not_author").With("name", d.Name)
	}
	if !slices.ContainsFunc(signable(k, ds), func(c Upload) bool { return c.ID == d.ID }) {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.sign.error.old_version").With("name", d.Name)
	}
	if d.Signature != nil && d.Signature.By == a.Person {
		return nil, nil, nil, errs.E(errs.Conflict, "permit.sign.error.already").With("name", d.Name)
	}
	if ok, err := s.signatures.HasSigningKey(ctx, a.Person); err != nil {
		return nil, nil, nil, err
	} else if !ok {
		return nil, nil, nil, errs.E(errs.Forbidden, "permit.sign.error.no_key")
	}
	return f, k, &d, nil
}

// signable are the documents of ds that count on k's checklist (the
// latest version of a single item, every one of a set), are PDFs, and
// are of an item the file's architect draws up (Document.Author).
func signable(k *Kind, ds []Upload) []Upload {
	var out []Upload
	for _, r := range k.Documents {
		if r.Author != PartyArchitect {
			continue
		}
		for _, d := range current(r, ds) {
			if d.ContentType == "application/pdf" {
				out = append(out, d)
			}
		}
	}
	return out
}

// signableDocuments lists the documents of v the reader may sign now, by
// id: none unless the policy lets them sign the file's plans and they hold
// a usable key.
func (s *Service) signableDocuments(ctx context.Context, a authz.Actor, v *View) (map[int64]bool, error) {
	out := map[int64]bool{}
	if s.signatures == nil || !v.File.Uploads() || a.Person == 0 ||
		!authz.Decide(a, authz.SignPlans, v.File.Resource(v.Kind)).Allow {
		return out, nil
	}
	ok, err := s.signatures.HasSigningKey(ctx, a.Person)
	if err != nil || !ok {
		return out, err
	}
	for _, d := range signable(v.Kind, v.Documents) {
		if d.Signature == nil || d.Signature.By != a.Person {
			out[d.ID] = true
		}
	}
	return out, nil
}
