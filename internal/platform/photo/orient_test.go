package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withOrientation is a JPEG of w×h pixels, red in its top-left quarter,
// whose EXIF block (byte order bo) says orientation o.
func withOrientation(t *testing.T, w, h, o int, motorola bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiff := []byte("II\x2a\x00")
	if motorola {
		bo, tiff = binary.BigEndian, []byte("MM\x00\x2a")
	}
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 2)
	// A tag before the orientation (ImageWidth), as cameras write them.
	tiff = bo.AppendUint16(tiff, 0x0100)
	tiff = bo.AppendUint16(tiff, 4)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint32(tiff, uint32(w))
	tiff = bo.AppendUint16(tiff, 0x0112)
	tiff = bo.AppendUint16(tiff, 3)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, uint16(o))
	tiff = bo.AppendUint16(tiff, 0)
	tiff = bo.AppendUint32(tiff, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(out[4:], uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, b.Bytes()[2:]...)
}

func TestPhotosAreTurnedUpright(t *testing.T) {
	red := func(img image.Image, x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return r > 0xb000 && g < 0x5000 && b < 0x5000
	}
	for _, tc := range []struct {
		o        int
		w, h     int    // the result's size
		corner   string // where the red quarter ends up
		motorola bool
	}{
		{1, 80, 40, "top-left", false},
		{3, 80, 40, "bottom-right", true},
		{6, 40, 80, "top-right", false}, // a phone held upright, the usual case
		{8, 40, 80, "bottom-left", true},
		{2, 80, 40, "top-right", false},
	} {
		b := withOrientation(t, 80, 40, tc.o, tc.motorola)
		if got := exifOrientation(b); got != tc.o {
			t.Fatalf("orientation read %d, want %d", got, tc.o)
		}
		p, err := Process(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(p.JPEG))
		if err != nil {
			t.Fatal(err)
		}
		if p.Width != tc.w || p.Height != tc.h || img.Bounds().Dx() != tc.w {
			t.Fatalf("orientation %d: %d×%d, want %d×%d", tc.o, p.Width, p.Height, tc.w, tc.h)
		}
		corners := map[string][2]int{"top-left": {2, 2}, "top-right": {tc.w - 3, 2}, "bottom-left": {2, tc.h - 3}, "bottom-right": {tc.w - 3, tc.h - 3}}
		for name, at := range corners {
			if red(img, at[0], at[1]) != (name == tc.corner) {
				t.Errorf("orientation %d: %s red %v, want the red quarter %s", tc.o, name, red(img, at[0], at[1]), tc.corner)
			}
		}
	}
	// Damaged or absent EXIF: as stored.
	for _, b := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E'}, []byte("not a jpeg")} {
		if got := exifOrientation(b); got != 1 {
			t.Errorf("exifOrientation(%q) = %d", b, got)
		}
	}
}
