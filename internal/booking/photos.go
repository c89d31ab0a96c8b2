package booking

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/photo"
)

// A facility's photos (issue #15 point 1): its managers add and remove
// them at the desk, officially (booking.manage, as for its rules); each
// goes through the platform's photo checks (the type from the content,
// the dimensions from the header before decoding, re-encoded as JPEG
// without its metadata, at most 1,600 px a side), is stored in the blob
// store before its row (a row refused leaves a blob no row names, which
// the blob sweeper removes: BlobRefsSQL) and is audited. A photo has a
// caption in Arabic, French and/or English — at least one — which, with
// the facility's name, is its alt text. Six a facility at most, in the
// order they were added; the database holds the bound and the order
// (migration 0059). The public page shows them, each served at an
// address of its own id, cached for good (a photo never changes: a new
// one is a new id).

// MaxFacilityPhotos is how many photos a facility shows at most.
const MaxFacilityPhotos = 6

// MaxCaption is the longest caption, in characters, in each language.
const MaxCaption = 200

// BlobRefsSQL lists the facilities' photos' blobs, which the sweeper keeps.
const BlobRefsSQL = `SELECT sha256 FROM booking_facility_photos`

// FacilityPhoto is one photo of a facility.
type FacilityPhoto struct {
	ID            int64
	Facility      string
	Position      int
	SHA256        string
	Size          int64
	Width, Height int
	Caption       i18n.Text
	AddedAt       time.Time
}

// Alt is the photo's alternative text in l: the facility's name and the
// caption (in another language when l's is missing).
func (p FacilityPhoto) Alt(f *Facility, l i18n.Lang) string {
	name := pickAny(f.Name, l)
	if c := pickAny(p.Caption, l); c != "" {
		return name + " — " + c
	}
	return name
}

const photoColumns = `id, facility_code, position, sha256, size, width, height, caption_ar, caption_fr, caption_en, added_at`

func scanPhoto(sc interface{ Scan(...any) error }) (FacilityPhoto, error) {
	var p FacilityPhoto
	err := sc.Scan(&p.ID, &p.Facility, &p.Position, &p.SHA256, &p.Size, &p.Width, &p.Height, &p.Caption.AR, &p.Caption.FR,
		&p.Caption.EN, &p.AddedAt)
	return p, err
}

func photos(ctx context.Context, q db.Querier, code string) ([]FacilityPhoto, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+photoColumns+` FROM booking_facility_photos WHERE facility_code = $1 ORDER BY position`, code)
	if err != nil {
		return nil, fmt.Errorf("booking: photos of %s: %w", code, err)
	}
	defer rows.Close()
	var out []FacilityPhoto
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Photos are the facility's photos, in order (public).
func (s *Service) Photos(ctx context.Context, code string) ([]FacilityPhoto, error) {
	return photos(ctx, s.db, code)
}

// OpenPhoto opens photo id of facility code (public): "not found" alike
// for a wrong facility and a wrong id.
func (s *Service) OpenPhoto(ctx context.Context, code string, id int64) (FacilityPhoto, io.ReadCloser, error) {
	p, err := scanPhoto(s.db.QueryRowContext(ctx, `SELECT `+photoColumns+` FROM booking_facility_photos
		WHERE facility_code = $1 AND id = $2`, code, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil, errs.E(errs.NotFound, "booking.photos.not_found")
	}
	if err != nil {
		return p, nil, fmt.Errorf("booking: photo %d: %w", id, err)
	}
	if s.blobs == nil {
		return p, nil, errs.E(errs.Unavailable, "booking.photos.unavailable")
	}
	rc, err := s.blobs.Open(ctx, p.SHA256)
	if err != nil {
		return p, nil, err
	}
	return p, rc, nil
}

// manageable reads facility code and asks the policy whether a manages
// it (officially); a request-type service has no photos.
func (s *Service) manageable(ctx context.Context, q db.Querier, a authz.Actor, code string) (*Facility, error) {
	f, _, err := facility(ctx, q, code)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ManageBooking, authz.Resource{Org: f.Organisation, Arrondissement: f.Arrondissement}); err != nil {
		return nil, err
	}
	if f.Request() {
		return nil, errs.E(errs.Invalid, "booking.error.request_service")
	}
	return f, nil
}

// checkCaption trims a caption and names each of its mistakes on its
// field (caption_ar, caption_fr, caption_en).
func checkCaption(c i18n.Text) (i18n.Text, error) {
	c = i18n.Text{AR: strings.TrimSpace(c.AR), FR: strings.TrimSpace(c.FR), EN: strings.TrimSpace(c.EN)}
	var fe errs.Fields
	for _, x := range []struct{ field, s string }{{"caption_ar", c.AR}, {"caption_fr", c.FR}, {"caption_en", c.EN}} {
		if utf8.RuneCountInString(x.s) > MaxCaption {
			_ = fe.Add(errs.E(errs.Invalid, "booking.photos.caption_long").With("max", MaxCaption).OnField(x.field))
		}
	}
	if c.AR == "" && c.FR == "" && c.EN == "" {
		_ = fe.Add(errs.E(errs.Invalid, "booking.photos.no_caption").OnField("caption_ar"))
	}
	return c, fe.Err()
}

func countPhotos(ctx context.Context, q db.Querier, code string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM booking_facility_photos WHERE facility_code = $1`, code).Scan(&n)
	return n, err
}

// AddPhoto adds the photo r to facility code, last, with its caption,
// for one of its managers. The policy, the caption and the count are
// checked before the upload is read; a refused photo (no image, a
// decompression bomb, too large) writes nothing. Refusals name the
// field: photo, caption_ar/_fr/_en.
func (s *Service) AddPhoto(ctx context.Context, a authz.Actor, code string, r io.Reader, caption i18n.Text) (FacilityPhoto, error) {
	f, err := s.manageable(ctx, s.db, a, code)
	if err != nil {
		return FacilityPhoto{}, err
	}
	var fe errs.Fields
	caption, err = checkCaption(caption)
	_ = fe.Add(err)
	n, err := countPhotos(ctx, s.db, code)
	if err != nil {
		return FacilityPhoto{}, err
	}
	if n >= MaxFacilityPhotos {
		_ = fe.Add(errs.E(errs.Invalid, "booking.photos.too_many").With("max", MaxFacilityPhotos).OnField("photo"))
	} else if r == nil {
		_ = fe.Add(errs.E(errs.Invalid, "booking.photos.required").OnField("photo"))
	}
	if err := fe.Err(); err != nil {
		return FacilityPhoto{}, err
	}
	p, err := photo.Process(r)
	if err != nil {
		if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
			return FacilityPhoto{}, e.OnField("photo")
		}
		return FacilityPhoto{}, err
	}
	if s.blobs == nil {
		return FacilityPhoto{}, errs.E(errs.Unavailable, "booking.photos.unavailable")
	}
	// The blob first: a row never names a blob that is not there.
	b, err := s.blobs.Put(ctx, bytes.NewReader(p.JPEG), blob.PutOptions{MaxSize: photo.StoredMax, Allowed: []string{"image/jpeg"}})
	if err != nil {
		return FacilityPhoto{}, err
	}
	out := FacilityPhoto{Facility: code, SHA256: b.SHA256, Size: b.Size, Width: p.Width, Height: p.Height, Caption: caption}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_facilities", "code", code); err != nil {
			return err
		}
		if _, err := s.manageable(ctx, tx, a, code); err != nil {
			return err
		}
		n, err := countPhotos(ctx, tx, code)
		if err != nil {
			return err
		}
		if n >= MaxFacilityPhotos {
			return errs.E(errs.Invalid, "booking.photos.too_many").With("max", MaxFacilityPhotos).OnField("photo")
		}
		now := s.clock()
		label := authz.ActorLabel(a, authz.Resource{Org: f.Organisation})
		out.Position, out.AddedAt = n+1, now
		if err := tx.QueryRowContext(ctx, `INSERT INTO booking_facility_photos (facility_code, position, sha256, size, width, height,
			caption_ar, caption_fr, caption_en, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			code, out.Position, out.SHA256, out.Size, out.Width, out.Height, caption.AR, caption.FR, caption.EN, now, label).Scan(&out.ID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking.photo_added", ObjectType: "booking_facility",
			ObjectID: code, At: now, Change: map[string]any{"photo": out.ID, "position": out.Position, "sha256": out.SHA256,
				"width": out.Width, "height": out.Height, "caption": caption}})
		return err
	})
	if err != nil {
		return FacilityPhoto{}, err
	}
	return out, nil
}

// RemovePhoto removes photo id of facility code, for one of its
// managers; the photos after it move up one place. The blob stays until
// the sweeper finds no row naming it.
func (s *Service) RemovePhoto(ctx context.Context, a authz.Actor, code string, id int64) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "booking_facilities", "code", code); err != nil {
			return err
		}
		f, err := s.manageable(ctx, tx, a, code)
		if err != nil {
			return err
		}
		all, err := photos(ctx, tx, code)
		if err != nil {
			return err
		}
		at := -1
		for i, p := range all {
			if p.ID == id {
				at = i
			}
		}
		if at < 0 {
			return errs.E(errs.Conflict, "booking.error.stale")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM booking_facility_photos WHERE id = $1`, id); err != nil {
			return err
		}
		// One at a time, in order: the unique position is never held twice.
		for _, p := range all[at+1:] {
			if _, err := tx.ExecContext(ctx, `UPDATE booking_facility_photos SET position = $1 WHERE id = $2`, p.Position-1, p.ID); err != nil {
				return err
			}
		}
		now := s.clock()
		label := authz.ActorLabel(a, authz.Resource{Org: f.Organisation})
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label, Action: "booking.photo_removed", ObjectType: "booking_facility",
			ObjectID: code, At: now, Change: map[string]any{"photo": id, "position": all[at].Position, "sha256": all[at].SHA256}})
		return err
	})
}
