package complaint

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decoder registration: photos come as JPEG or PNG
	"io"

	"github.com/gabriel-vasile/mimetype"

	"madina/internal/platform/errs"
)

// Photos: what a phone sends is never published as it came. The type is
// read from the content (a renamed executable is no photo); the
// dimensions are read from the header before anything is decoded, so a
// small file that would unpack into gigabytes of pixels (a decompression
// bomb) is refused without being decoded; the photo is then decoded,
// scaled to fit the web, turned upright as its EXIF orientation says
// (orient.go) and encoded again as JPEG — which leaves behind
// every metadata block of the original (EXIF with its GPS position, XMP,
// comments). The blob store checks the result's type once more.
const (
	// MaxPhotoBytes is the largest photo accepted from a phone.
	MaxPhotoBytes = 10 << 20
	// maxPixels and maxSide bound a photo's declared dimensions (a
	// 48-megapixel phone camera stays under them).
	maxPixels = 50_000_000
	maxSide   = 10_000
	// WebSide is the longest side of a published photo.
	WebSide = 1600
	// storedMax bounds the re-encoded photo (the database's CHECK too).
	storedMax   = 5 << 20
	jpegQuality = 82
)

// photoTypes are the types accepted, as detected from the content.
var photoTypes = []string{"image/jpeg", "image/png"}

// processed is a photo ready to store.
type processed struct {
	JPEG          []byte
	Width, Height int
}

// processPhoto checks and re-encodes one uploaded photo. Its errors are
// the person's mistakes (invalid, too large, unsupported), with their
// message keys; the caller names the field.
func processPhoto(r io.Reader) (processed, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return processed{}, err
	}
	if len(b) > MaxPhotoBytes {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_size").With("mb", MaxPhotoBytes>>20)
	}
	if len(b) == 0 {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_empty")
	}
	if !mimetype.Detect(b).Is("image/jpeg") && !mimetype.Detect(b).Is("image/png") {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_type")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_damaged").Cause(err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxSide || cfg.Height > maxSide || cfg.Width*cfg.Height > maxPixels {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_dimensions").
			With("width", cfg.Width).With("height", cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_damaged").Cause(err)
	}
	img = orient(fit(img, WebSide), exifOrientation(b))
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return processed{}, err
	}
	if out.Len() > storedMax {
		return processed{}, errs.E(errs.Invalid, "complaint.error.photo_size").With("mb", MaxPhotoBytes>>20)
	}
	bnd := img.Bounds()
	return processed{JPEG: out.Bytes(), Width: bnd.Dx(), Height: bnd.Dy()}, nil
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
