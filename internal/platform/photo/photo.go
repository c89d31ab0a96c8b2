// Package photo turns a photo as a phone or a camera sends it into one
// fit to publish: every capability that takes photos (citizens'
// requests, the facilities of Casa In) calls Process, so one set of
// checks stands between an upload and the blob store.
package photo

import (
	"bytes"
	"embed"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decoder registration: photos come as JPEG or PNG
	"io"

	"github.com/gabriel-vasile/mimetype"

	"madina/internal/platform/errs"
)

// Messages holds the texts of this package's message keys (error.photo.*).
//
//go:embed messages/*.json
var Messages embed.FS

// What is uploaded is never published as it came. The type is read from
// the content (a renamed executable, a PDF named .jpg, is no photo); the
// dimensions are read from the header before anything is decoded, so a
// small file that would unpack into gigabytes of pixels (a decompression
// bomb) is refused without being decoded; the photo is then decoded,
// scaled to fit the web, turned upright as its EXIF orientation says
// (orient.go) and encoded again as JPEG — which leaves behind every
// metadata block of the original (EXIF with its GPS position, XMP,
// comments). The blob store checks the result's type once more.
const (
	// MaxBytes is the largest photo accepted.
	MaxBytes = 10 << 20
	// MaxPixels and MaxSide bound a photo's declared dimensions (a
	// 48-megapixel phone camera stays under them).
	MaxPixels = 50_000_000
	MaxSide   = 10_000
	// WebSide is the longest side of a published photo.
	WebSide = 1600
	// StoredMax bounds the re-encoded photo (the databases' CHECKs too).
	StoredMax = 5 << 20
	quality   = 82
)

// Error keys, each a person's mistake (errs.Invalid); the caller names
// the field, and may say it in its own words (errs.Error.Key).
const (
	KeySize       = "error.photo.size"       // {mb}
	KeyEmpty      = "error.photo.empty"      //
	KeyType       = "error.photo.type"       //
	KeyDamaged    = "error.photo.damaged"    //
	KeyDimensions = "error.photo.dimensions" // {width} {height}
)

// Photo is a photo ready to store: JPEG, without metadata, at most
// WebSide pixels a side.
type Photo struct {
	JPEG          []byte
	Width, Height int
}

// Process checks and re-encodes one uploaded photo, reading at most
// MaxBytes+1 bytes of r. Its refusals are errs.Invalid with the keys
// above; other errors are the reader's or the encoder's.
func Process(r io.Reader) (Photo, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Photo{}, err
	}
	if len(b) > MaxBytes {
		return Photo{}, errs.E(errs.Invalid, KeySize).With("mb", MaxBytes>>20)
	}
	if len(b) == 0 {
		return Photo{}, errs.E(errs.Invalid, KeyEmpty)
	}
	if m := mimetype.Detect(b); !m.Is("image/jpeg") && !m.Is("image/png") {
		return Photo{}, errs.E(errs.Invalid, KeyType)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return Photo{}, errs.E(errs.Invalid, KeyDamaged).Cause(err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels {
		return Photo{}, errs.E(errs.Invalid, KeyDimensions).With("width", cfg.Width).With("height", cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return Photo{}, errs.E(errs.Invalid, KeyDamaged).Cause(err)
	}
	img = orient(fit(img, WebSide), exifOrientation(b))
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: quality}); err != nil {
		return Photo{}, err
	}
	if out.Len() > StoredMax {
		return Photo{}, errs.E(errs.Invalid, KeySize).With("mb", MaxBytes>>20)
	}
	bnd := img.Bounds()
	return Photo{JPEG: out.Bytes(), Width: bnd.Dx(), Height: bnd.Dy()}, nil
}

// fit scales img down so that its longest side is at most side pixels,
// averaging the source pixels each new pixel covers (a box filter: plain,
// and without the moiré of dropping pixels). A smaller image is copied
// onto an opaque canvas as it is (a PNG's transparency becomes white).
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	nw, nh := w, h
	if w > side || h > side {
		if w >= h {
			nw, nh = side, max(1, h*side/w)
		} else {
			nw, nh = max(1, w*side/h), side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		y0, y1 := b.Min.Y+y*h/nh, b.Min.Y+max((y+1)*h/nh, y*h/nh+1)
		for x := 0; x < nw; x++ {
			x0, x1 := b.Min.X+x*w/nw, b.Min.X+max((x+1)*w/nw, x*w/nw+1)
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					cr, cg, cb, ca := img.At(sx, sy).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			// Premultiplied colours over white.
			white := 0xffff*n - a
			dst.SetRGBA(x, y, color.RGBA{uint8((r + white) / n >> 8), uint8((g + white) / n >> 8), uint8((bl + white) / n >> 8), 0xff})
		}
	}
	return dst
}
