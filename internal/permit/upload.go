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

// AddDocument streams an upload into the blob store as a new version of a
// checklist item. The content is checked for what it is (its type by its
// bytes, a PDF's structure) before it becomes visible; a refused or broken
// upload leaves nothing behind and the versions already there untouched.
func (s *Service) AddDocument(ctx context.Context, a authz.Actor, id int64, item, name string, body io.Reader) (*Upload, error) {
	f, k, err := s.load(ctx, s.db, a, authz.PrepareFile, id)
	if err != nil {
		return nil, err
	}
	if !f.State.Uploads() {
		return nil, errs.E(errs.Conflict, "permit.error.not_editable").With("state", string(f.State))
	}
	i := slices.IndexFunc(k.Documents, func(r Requirement) bool { return r.Code == item })
	if i < 0 {
		return nil, errs.E(errs.Invalid, "permit.error.item").OnField("item")
	}
	req := k.Documents[i]
	// Refused before a byte is read when the file is already at its
	// quota; the upload may then take at most what is left.
	q := s.cfg.Quota.withDefaults()
	used, err := q.check(ctx, s.db, f.ID, item, 0)
	if err != nil {
		return nil, err
	}
	maxSize := min(MaxUpload, q.FileBytes-used)
	pages := 0
	b, err := s.blobs.Put(ctx, body, blob.PutOptions{MaxSize: maxSize, Allowed: req.Accepted(),
		Check: func(r io.ReaderAt, size int64, ct string) error {
			if ct != "application/pdf" || s.inspectPDF == nil {
				return nil
			}
			n, err := s.inspectPDF(ctx, r, size)
			pages = n
			return err
		}})
	if errs.Is(err, errs.TooLarge) && maxSize < MaxUpload {
		return nil, q.bytesErr()
	}
	if err != nil {
		return nil, err
	}
	// The name carries the extension of what the bytes are, not of what
	// the sender called them: a PDF named poly.html is kept as poly.pdf.
	up := &Upload{Item: item, SHA256: b.SHA256, Size: b.Size, ContentType: b.ContentType,
		Name: typedName(name, item, b.ContentType), Pages: pages, UploadedBy: a.Person}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// The file may have moved on while the bytes streamed in.
		f, k, err := s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		if !f.State.Uploads() {
			return errs.E(errs.Conflict, "permit.error.not_editable").With("state", string(f.State))
		}
		// Again with this upload, in the transaction: parallel uploads
		// to one file cannot pass the quota together. A blob refused
		// here is left to the sweeper.
		if _, err := q.check(ctx, tx, f.ID, item, up.Size); err != nil {
			return err
		}
		now := s.now()
		up.UploadedAt = now
		if err := insertDocument(ctx, tx, f.ID, up); err != nil {
			return err
		}
		return s.record(ctx, tx, a, k, f, "uploaded", "", "", map[string]any{"item": item, "version": up.Version,
			"sha256": up.SHA256, "size": up.Size}, false, now)
	})
	if err != nil {
		return nil, err
	}
	return up, nil
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

// check refuses a new version of item in file fileID of adding bytes
// when it would pass q, and returns the bytes the file's documents take.
func (q Quota) check(ctx context.Context, d db.Querier, fileID int64, item string, adding int64) (int64, error) {
	var versions int
	var used int64
	err := d.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN item = $2 THEN 1 ELSE 0 END), 0), COALESCE(SUM(size), 0)
		FROM permit_documents WHERE file_id = $1`, fileID, item).Scan(&versions, &used)
	if err != nil {
		return 0, fmt.Errorf("permit: quota: %w", err)
	}
	if versions >= q.ItemVersions {
		return used, errs.E(errs.Conflict, "permit.error.quota_versions").With("max", q.ItemVersions).OnField("item").
			Cause(fmt.Errorf("item %s of file %d has %d versions", item, fileID, versions))
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
// capabilities name, old enough, is a crash's leftover.
const BlobRefsSQL = `SELECT DISTINCT sha256 FROM permit_documents`
