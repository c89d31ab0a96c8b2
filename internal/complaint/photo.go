package complaint

import (
	"io"

	"madina/internal/platform/errs"
	"madina/internal/platform/photo"
)

// Photos: what a phone sends is never published as it came. The checks
// and the re-encoding are the platform's (package photo: the type read
// from the content, the dimensions from the header before decoding,
// scaled, turned upright, encoded again as JPEG without its metadata);
// this file only gives their refusals the requests' own words.
const (
	// MaxPhotoBytes is the largest photo accepted from a phone.
	MaxPhotoBytes = photo.MaxBytes
	// WebSide is the longest side of a published photo.
	WebSide = photo.WebSide
	// storedMax bounds the re-encoded photo (the database's CHECK too).
	storedMax = photo.StoredMax
)

// processed is a photo ready to store.
type processed = photo.Photo

// photoKeys are the requests' message keys for the platform's refusals.
var photoKeys = map[string]string{
	photo.KeySize:       "complaint.error.photo_size",
	photo.KeyEmpty:      "complaint.error.photo_empty",
	photo.KeyType:       "complaint.error.photo_type",
	photo.KeyDamaged:    "complaint.error.photo_damaged",
	photo.KeyDimensions: "complaint.error.photo_dimensions",
}

// processPhoto checks and re-encodes one uploaded photo. Its errors are
// the person's mistakes (invalid, too large, unsupported), with their
// message keys; the caller names the field.
func processPhoto(r io.Reader) (processed, error) {
	p, err := photo.Process(r)
	if e := errs.As(err); e != nil && photoKeys[e.Key] != "" {
		e.Key = photoKeys[e.Key]
	}
	return p, err
}
