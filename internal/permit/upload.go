package permit

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/textin"
)

// cleanName keeps a safe display name for an upload: its base name, no
// control or direction-override characters (textin.Sanitize: a browser
// chose the name, the person did not type it), at most 200 characters.
func cleanName(name, fallback string) string {
	name = strings.ReplaceAll(textin.Sanitize(name), "\\", "/")
	name = path.Base(strings.TrimSpace(name))
	if name == "." || name == "/" || name == "" {
		name = fallback
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// typedName is cleanName with the extension of the detected content type
// (see httpx.AttachmentName), within the 200 characters kept.
func typedName(name, fallback, contentType string) string {
	n := cleanName(name, fallback)
	if r := []rune(n); len(r) > 190 {
		n = string(r[:190])
	}
	return httpx.AttachmentName(n, contentType)
}

// AddDocument streams an upload into the blob store as a new document of
// a checklist item: a new version of a single item, one more of a set
// (Requirement.Several). The content is checked for what it is (its type
// by its bytes, a PDF's structure) before it becomes visible; a refused or
// broken upload leaves nothing behind and the documents already there
// untouched.
func (s *Service) AddDocument(ctx context.Context, a authz.Actor, id int64, item, name string, body io.Reader) (*Upload, error) {
	b, err := s.StartUpload(ctx, a, id, item)
	if err != nil {
		return nil, err
	}
	if err := b.Add(ctx, name, body); err != nil {
		return nil, err
	}
	ups, err := b.Commit(ctx)
	if err != nil {
		return nil, err
	}
	return ups[0], nil
}

// UploadBatch is one upload of one or more files to a checklist item:
// each file is streamed to the blob store and checked as it comes (Add),
// then all become documents of the file together, in one transaction
// (Commit), or none does. Several files go only to an item that is a set.
type UploadBatch struct {
	s       *Service
	a       authz.Actor
	file    int64
	item    string
	req     Requirement
	q       Quota
	used    int64 // bytes the file's documents took at the start
	adding  int64 // bytes of the batch so far
	uploads []*Upload
}

// StartUpload opens an upload to item of file id: the policy, the file's
// state and the item are checked before a byte is read, and so is the
// quota, which a file already full refuses at once.
func (s *Service) StartUpload(ctx context.Context, a authz.Actor, id int64, item string) (*UploadBatch, error) {
	f, k, err := s.load(ctx, s.db, a, authz.PrepareFile, id)
	if err != nil {
		return nil, err
	}
	if !f.Uploads() {
		return nil, errs.E(errs.Conflict, "permit.error.not_editable").With("state", string(f.State))
	}
	i := slices.IndexFunc(k.Documents, func(r Requirement) bool { return r.Code == item })
	if i < 0 {
		return nil, errs.E(errs.Invalid, "permit.error.item").OnField("item")
	}
	q := s.cfg.Quota.withDefaults()
	used, err := q.check(ctx, s.db, f.ID, item, 1, 0)
	if err != nil {
		return nil, err
	}
	return &UploadBatch{s: s, a: a, file: f.ID, item: item, req: k.Documents[i], q: q, used: used}, nil
}

// Len is how many files the batch holds.
func (b *UploadBatch) Len() int { return len(b.uploads) }

// Add streams one file of the batch into the blob store and checks it: its
// type, its structure, its size within what the quota leaves. A second
// file for an item that is not a set is refused before it is read.
func (b *UploadBatch) Add(ctx context.Context, name string, body io.Reader) error {
	s := b.s
	if len(b.uploads) > 0 && !b.req.Several {
		return errs.E(errs.Invalid, "permit.documents.error.one_file").OnField("item")
	}
	if _, err := b.q.check(ctx, s.db, b.file, b.item, len(b.uploads)+1, b.adding); err != nil {
		return err
	}
	maxSize := min(MaxUpload, b.q.FileBytes-b.used-b.adding)
	pages := 0
	bl, err := s.blobs.Put(ctx, body, blob.PutOptions{MaxSize: maxSize, Allowed: b.req.Accepted(),
		Check: func(r io.ReaderAt, size int64, ct string) error {
			if ct != "application/pdf" || s.inspectPDF == nil {
				return nil
			}
			n, err := s.inspectPDF(ctx, r, size)
			pages = n
			return err
		}})
	if errs.Is(err, errs.TooLarge) && maxSize < MaxUpload {
		return b.q.bytesErr()
	}
	if err != nil {
		return err
	}
	b.adding += bl.Size
	// The name carries the extension of what the bytes are, not of what
	// the sender called them: a PDF named poly.html is kept as poly.pdf.
	b.uploads = append(b.uploads, &Upload{Item: b.item, SHA256: bl.SHA256, Size: bl.Size, ContentType: bl.ContentType,
		Name: typedName(name, b.item, bl.ContentType), Pages: pages, UploadedBy: b.a.Person})
	return nil
}

// Commit makes the batch's files documents of the file, in one
// transaction: each with its version and its timeline event, or none.
// Blobs of a refused batch are left to the sweeper.
func (b *UploadBatch) Commit(ctx context.Context) ([]*Upload, error) {
	s := b.s
	if len(b.uploads) == 0 {
		return nil, errs.E(errs.Invalid, "permit.files.upload.no_file")
	}
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		// The file may have moved on while the bytes streamed in.
		f, k, err := s.load(ctx, tx, b.a, authz.PrepareFile, b.file)
		if err != nil {
			return err
		}
		if !f.Uploads() {
			return errs.E(errs.Conflict, "permit.error.not_editable").With("state", string(f.State))
		}
		// Again with this batch, in the transaction: parallel uploads
		// to one file cannot pass the quota together.
		if _, err := b.q.check(ctx, tx, f.ID, b.item, len(b.uploads), b.adding); err != nil {
			return err
		}
		now := s.now()
		for _, up := range b.uploads {
			up.UploadedAt = now
			if err := insertDocument(ctx, tx, f.ID, up); err != nil {
				return err
			}
			if err := s.record(ctx, tx, b.a, k, f, "uploaded", "", "", map[string]any{"item": b.item, "version": up.Version,
				"sha256": up.SHA256, "size": up.Size}, false, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.uploads, nil
}

// Document opens the content of an upload of a file the reader may see.
func (s *Service) Document(ctx context.Context, a authz.Actor, fileID, docID int64) (*Upload, io.ReadCloser, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, fileID)
	if err != nil {
		return nil, nil, err
	}
	ds, err := documents(ctx, s.db, f.ID)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(ds, func(d Upload) bool { return d.ID == docID })
	if i < 0 {
		return nil, nil, errs.E(errs.NotFound, "")
	}
	rc, err := s.blobs.Open(ctx, ds[i].SHA256)
	if err != nil {
		return nil, nil, err
	}
	return &ds[i], rc, nil
}

// Quota bounds what one file may hold, so that one account cannot fill
// the disk: versions of each checklist item, and bytes of all its
// documents together.
type Quota struct {
	ItemVersions int   // default DefaultItemVersions
	FileBytes    int64 // default DefaultFileBytes
}

// Default quota: twenty versions leave room for every back-and-forth of
// a review; 1 GB holds five plans of the largest size.
const (
	DefaultItemVersions = 20
	DefaultFileBytes    = 1 << 30
)

func (q Quota) withDefaults() Quota {
	if q.ItemVersions <= 0 {
		q.ItemVersions = DefaultItemVersions
	}
	if q.FileBytes <= 0 {
		q.FileBytes = DefaultFileBytes
	}
	return q
}

// check refuses n more documents of item in file fileID, adding bytes,
// when they would pass q, and returns the bytes the file's documents take.
// Documents the applicant removed count for neither: their blobs go.
func (q Quota) check(ctx context.Context, d db.Querier, fileID int64, item string, n int, adding int64) (int64, error) {
	var versions int
	var used int64
	err := d.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN item = $2 THEN 1 ELSE 0 END), 0), COALESCE(SUM(size), 0)
		FROM permit_documents d WHERE file_id = $1 AND `+notRemoved, fileID, item).Scan(&versions, &used)
	if err != nil {
		return 0, fmt.Errorf("permit: quota: %w", err)
	}
	if versions+n > q.ItemVersions {
		return used, errs.E(errs.Conflict, "permit.error.quota_versions").With("max", q.ItemVersions).OnField("item").
			Cause(fmt.Errorf("item %s of file %d has %d versions, adding %d", item, fileID, versions, n))
	}
	if used+adding > q.FileBytes || used >= q.FileBytes {
		return used, q.bytesErr().Cause(fmt.Errorf("file %d holds %d bytes, adding %d", fileID, used, adding))
	}
	return used, nil
}

func (q Quota) bytesErr() *errs.Error {
	return errs.E(errs.TooLarge, "permit.error.quota_bytes").With("max", blob.FormatMB(q.FileBytes))
}

// BlobRefsSQL selects the hash of every blob this capability's rows name,
// for the file store's sweeper (see blob.Referencer): a blob none of the
// capabilities name, old enough, is a crash's leftover. A document its
// applicant removed no longer names its blob (removal is only of what
// the administration never received, see RemoveDocument): the same bytes
// kept by another document, of this file or any, are still named by it.
const BlobRefsSQL = `SELECT DISTINCT sha256 FROM permit_documents d WHERE ` + notRemoved +
	` UNION SELECT sha256 FROM permit_inspection_photos`

// notRemoved keeps the rows of permit_documents d its applicant did not
// remove.
const notRemoved = `NOT EXISTS (SELECT 1 FROM permit_document_removals r WHERE r.document_id = d.id)`

// notSignedOver keeps the rows of permit_documents d that no signed copy
// replaces (SignDocument): a signed copy its applicant removed gives its
// source back.
const notSignedOver = `NOT EXISTS (SELECT 1 FROM permit_document_signatures g2 WHERE g2.source_id = d.id
	AND NOT EXISTS (SELECT 1 FROM permit_document_removals r2 WHERE r2.document_id = g2.document_id))`
