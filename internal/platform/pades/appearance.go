package pades

import (
	"errors"

	"madina/internal/platform/pdf"
)

// Appearance is a visible signature block.
type Appearance struct {
	// Page is the page, from 1; 0 is the last page.
	Page int
	// X, Y, W, H place the block in points from the page's bottom-left
	// corner.
	X, Y, W, H float64
	// Lines are the block's text lines (Arabic or French), drawn from
	// the top.
	Lines []string
	// URL, if set, is drawn as a QR code at the block's left.
	URL string
}

func (ap *Appearance) build(r *pdf.Reader, page pdf.Dict, s Signer, opts Options, alloc func() int64) ([]any, []byte, map[int64][]byte, error) {
	return nil, nil, nil, errors.New("pades: visible signatures are not available yet")
}
