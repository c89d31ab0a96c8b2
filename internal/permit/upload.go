package permit

import (
	"context"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/textin"
)

// mimeTypes are the content types each catalogue document type accepts,
// as detected from the bytes.
var mimeTypes = map[string][]string{
	"pdf":   {"application/pdf"},
	"image": {"image/jpeg", "image/png"},
}

// Accepted lists the content types a checklist item accepts.
func (r Requirement) Accepted() []string {
	var out []string
	for _, t := range r.Types {
		out = append(out, mimeTypes[t]...)
	}
	return out
}

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
	pages := 0
	b, err := s.blobs.Put(ctx, body, blob.PutOptions{MaxSize: MaxUpload, Allowed: req.Accepted(),
		Check: func(r io.ReaderAt, size int64, ct string) error {
			if ct != "application/pdf" || s.cfg.InspectPDF == nil {
				return nil
			}
			n, err := s.cfg.InspectPDF(r, size)
			pages = n
			return err
		}})
	if err != nil {
		return nil, err
	}
	up := &Upload{Item: item, SHA256: b.SHA256, Size: b.Size, ContentType: b.ContentType,
		Name: cleanName(name, item), Pages: pages, UploadedBy: a.Person}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// The file may have moved on while the bytes streamed in.
		f, k, err := s.load(ctx, tx, a, authz.PrepareFile, id)
		if err != nil {
			return err
		}
		if !f.State.Uploads() {
			return errs.E(errs.Conflict, "permit.error.not_editable").With("state", string(f.State))
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
