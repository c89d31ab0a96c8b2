package photo

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// WithGPS is a w×h JPEG carrying an EXIF block that names a GPS position.
func withGPS(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00"), "GPSLatitude 33.5790 N GPSLongitude 7.5290 W"...)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(exif)+2))
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, exif...)
	return append(out, b.Bytes()[2:]...)
}

// bomb is a PNG whose header declares 50,000 × 50,000 pixels.
func bomb() []byte {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 50000), 50000)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0))...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

func TestProcessRefusesWhatIsNoPhoto(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		key  string
	}{
		{"a PDF named .jpg", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), KeyType},
		{"nothing", nil, KeyEmpty},
		{"a decompression bomb", bomb(), KeyDimensions},
		{"eleven megabytes", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, MaxBytes)...), KeySize},
		{"a JPEG cut short", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}, KeyDamaged},
	} {
		_, err := Process(bytes.NewReader(tc.in))
		if e := errs.As(err); e == nil || e.Kind != errs.Invalid || e.Key != tc.key {
			t.Errorf("%s: %v, want the refusal %s", tc.name, err, tc.key)
		}
	}
}

func TestProcessDropsTheMetadataAndFitsTheWeb(t *testing.T) {
	in := withGPS(t, 2400, 1200)
	if !bytes.Contains(in, []byte("GPSLatitude")) {
		t.Fatal("the test photo has no GPS block")
	}
	p, err := Process(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.JPEG, []byte("GPS")) || bytes.Contains(p.JPEG, []byte("Exif")) {
		t.Error("the processed photo keeps its EXIF block")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.JPEG))
	if err != nil || cfg.Width != WebSide || cfg.Height != WebSide/2 || p.Width != WebSide || p.Height != WebSide/2 {
		t.Errorf("processed %d×%d (%v), want %d×%d", cfg.Width, cfg.Height, err, WebSide, WebSide/2)
	}
}

// Every key the package uses has its text in the three languages, with
// the same placeholders.
func TestMessages(t *testing.T) {
	c, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	if problems := c.Check(); len(problems) > 0 {
		t.Errorf("messages: %v", problems)
	}
	for _, k := range []string{KeySize, KeyEmpty, KeyType, KeyDamaged, KeyDimensions} {
		for _, l := range i18n.Langs {
			s := c.T(l, k, "mb", 10, "width", 1, "height", 2)
			if s == "" || s == k || strings.Contains(s, "{") {
				t.Errorf("%s in %s: %q", k, l, s)
			}
		}
	}
}
