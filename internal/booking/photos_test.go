package booking

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"testing"
	"time"

	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/photo"
)

// gpsJPEG is a w×h JPEG carrying an EXIF block with a GPS position, as a
// phone writes it.
func gpsJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 3), 140, 255})
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

// pngBomb declares 50,000 × 50,000 pixels in a few bytes.
func pngBomb() []byte {
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

// withBlobs gives the service a blob store of its own.
func (e *env) withBlobs(t *testing.T) blob.Store {
	t.Helper()
	bs, err := blob.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.s.blobs = bs
	return bs
}

func blobCount(t *testing.T, bs blob.Store) int {
	t.Helper()
	n := 0
	if err := bs.Walk(context.Background(), func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("got %v, want %s on %s", err, key, field)
	}
	for _, f := range append([]errs.Fault{{Field: e.Field, Key: e.Key}}, e.Faults...) {
		if f.Field == field && f.Key == key {
			return
		}
	}
	t.Fatalf("got %s on %s (%v), want %s on %s", e.Key, e.Field, e.Faults, key, field)
}

var caption = i18n.Text{AR: "الملعب من جهة المدخل", FR: "Le terrain côté entrée"}

// A facility's photos: its managers add them (processed: no EXIF, no
// GPS, resized) and remove them; everything wrong is refused on its
// field without a row or a blob; six at most; nobody else adds any.
func TestFacilityPhotosAtTheDesk(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		bs := e.withBlobs(t)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")

		// Nobody but the facility's managers: a citizen, another
		// arrondissement's manager.
		for _, a := range []struct {
			name string
			err  error
		}{
			{"a citizen", func() error {
				_, err := e.s.AddPhoto(ctx, e.citizen(0), field1, bytes.NewReader(gpsJPEG(t, 40, 30)), caption)
				return err
			}()},
			{"Maârif's manager", func() error {
				_, err := e.s.AddPhoto(ctx, e.manager(e.maarifMgr, "maarif"), field1, bytes.NewReader(gpsJPEG(t, 40, 30)), caption)
				return err
			}()},
		} {
			if ee := errs.As(a.err); ee == nil || (ee.Kind != errs.Forbidden && ee.Kind != errs.NotFound) {
				t.Errorf("%s added a photo: %v", a.name, a.err)
			}
		}

		// Bad input: on its field, nothing written.
		big := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, 20<<20)...)
		for _, tc := range []struct {
			name   string
			in     []byte
			cap    i18n.Text
			field  string
			key    string
			reader bool
		}{
			{"a PDF named .jpg", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), caption, "photo", photo.KeyType, true},
			{"a decompression bomb", pngBomb(), caption, "photo", photo.KeyDimensions, true},
			{"20 MB", big, caption, "photo", photo.KeySize, true},
			{"no photo", nil, caption, "photo", "booking.photos.required", false},
			{"no caption", gpsJPEG(t, 40, 30), i18n.Text{AR: "  "}, "caption_ar", "booking.photos.no_caption", true},
			{"a caption too long", gpsJPEG(t, 40, 30), i18n.Text{FR: string(bytes.Repeat([]byte("é"), MaxCaption+1))}, "caption_fr", "booking.photos.caption_long", true},
		} {
			var err error
			if tc.reader {
				_, err = e.s.AddPhoto(ctx, mgr, field1, bytes.NewReader(tc.in), tc.cap)
			} else {
				_, err = e.s.AddPhoto(ctx, mgr, field1, nil, tc.cap)
			}
			t.Run(tc.name, func(t *testing.T) { wantField(t, err, tc.field, tc.key) })
		}
		if ps, _ := e.s.Photos(ctx, field1); len(ps) != 0 || blobCount(t, bs) != 0 {
			t.Fatalf("refused photos left %d rows and %d blobs", len(ps), blobCount(t, bs))
		}

		// Six photos; the first from a phone with its GPS position.
		var added []FacilityPhoto
		for i := range MaxFacilityPhotos {
			c := i18n.Text{FR: "Vue " + string(rune('A'+i))}
			in := gpsJPEG(t, 2000+i, 1000)
			if i == 0 {
				c = caption
			}
			p, err := e.s.AddPhoto(ctx, mgr, field1, bytes.NewReader(in), c)
			if err != nil {
				t.Fatal(err)
			}
			added = append(added, p)
		}
		first := added[0]
		if first.Position != 1 || first.Width != photo.WebSide || first.Height != 800 {
			t.Errorf("first photo %+v", first)
		}
		stored, err := blob.ReadAll(ctx, bs, first.SHA256, first.Size)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(stored, []byte("GPS")) || bytes.Contains(stored, []byte("Exif")) || !bytes.HasPrefix(stored, []byte{0xFF, 0xD8}) {
			t.Error("the stored photo keeps its EXIF block, or is no JPEG")
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(stored)); err != nil || cfg.Width != first.Width || cfg.Height != first.Height {
			t.Errorf("stored %d×%d (%v), row says %d×%d", cfg.Width, cfg.Height, err, first.Width, first.Height)
		}
		f, _, _ := e.s.Facility(ctx, field1)
		if alt := first.Alt(f, i18n.AR); alt != f.Name.AR+" — "+caption.AR {
			t.Errorf("Arabic alt %q", alt)
		}
		if alt := added[1].Alt(f, i18n.EN); alt != f.Name.EN+" — Vue B" {
			t.Errorf("English alt without an English caption %q", alt)
		}

		// A seventh: refused before anything is stored.
		blobs := blobCount(t, bs)
		_, err = e.s.AddPhoto(ctx, mgr, field1, bytes.NewReader(gpsJPEG(t, 33, 33)), caption)
		wantField(t, err, "photo", "booking.photos.too_many")
		if blobCount(t, bs) != blobs {
			t.Error("a seventh photo was stored")
		}

		// Removal: the others keep their order and close the gap.
		if err := e.s.RemovePhoto(ctx, e.manager(e.maarifMgr, "maarif"), field1, added[1].ID); err == nil {
			t.Error("Maârif's manager removed a photo of Moulay Rachid")
		}
		if err := e.s.RemovePhoto(ctx, mgr, field1, added[1].ID); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.RemovePhoto(ctx, mgr, field1, added[1].ID), "booking.error.stale")
		ps, err := e.s.Photos(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i, p := range ps {
			ids = append(ids, p.ID)
			if p.Position != i+1 {
				t.Errorf("photo %d at position %d", p.ID, p.Position)
			}
		}
		want := []int64{added[0].ID, added[2].ID, added[3].ID, added[4].ID, added[5].ID}
		if !slices.Equal(ids, want) {
			t.Errorf("order after removal %v, want %v", ids, want)
		}
		if _, _, err := e.s.OpenPhoto(ctx, field1, added[1].ID); errs.As(err) == nil || errs.As(err).Kind != errs.NotFound {
			t.Errorf("a removed photo still opens: %v", err)
		}
		if _, _, err := e.s.OpenPhoto(ctx, "maarif-coworking", added[0].ID); errs.As(err) == nil || errs.As(err).Kind != errs.NotFound {
			t.Errorf("a photo opens under another facility: %v", err)
		}
		// The removed photo's blob is no longer named: the sweeper takes it.
		rows, err := d.QueryContext(ctx, BlobRefsSQL)
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			refs = append(refs, s)
		}
		rows.Close()
		if slices.Contains(refs, added[1].SHA256) || !slices.Contains(refs, added[0].SHA256) {
			t.Errorf("blob references %v", refs)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action IN ('booking.photo_added', 'booking.photo_removed')`,
			field1).Scan(&n); err != nil || n != 7 {
			t.Errorf("%d audit records (%v), want 7", n, err)
		}
	})
}

// The database keeps the rules whatever the application does: six
// positions, one photo each, a caption, nothing changed but the position.
func TestFacilityPhotosInTheDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		newEnv(t, d)
		ctx := context.Background()
		sha := string(bytes.Repeat([]byte("a"), 64))
		insert := func(pos int, ar, fr string) error {
			_, err := d.ExecContext(ctx, `INSERT INTO booking_facility_photos (facility_code, position, sha256, size, width, height,
				caption_ar, caption_fr, caption_en, added_at, added_by) VALUES ($1, $2, $3, 100, 10, 10, $4, $5, '', $6, 'test')`,
				field1, pos, sha, ar, fr, monday)
			return err
		}
		if err := insert(1, "صورة", ""); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"a seventh position":   insert(7, "صورة", ""),
			"position 1 twice":     insert(1, "", "photo"),
			"no caption":           insert(2, "", ""),
			"another blob":         exec(d, `UPDATE booking_facility_photos SET sha256 = $1`, string(bytes.Repeat([]byte("b"), 64))),
			"another caption":      exec(d, `UPDATE booking_facility_photos SET caption_ar = 'أخرى'`),
			"another facility":     exec(d, `UPDATE booking_facility_photos SET facility_code = 'maarif-coworking'`),
			"an unknown facility":  exec(d, `INSERT INTO booking_facility_photos (facility_code, position, sha256, size, width, height, caption_ar, added_at, added_by) VALUES ('nowhere', 1, $1, 1, 1, 1, 'x', $2, 'test')`, sha, monday),
			"larger than the page": exec(d, `INSERT INTO booking_facility_photos (facility_code, position, sha256, size, width, height, caption_ar, added_at, added_by) VALUES ($1, 3, $2, 1, 4000, 1, 'x', $3, 'test')`, field1, sha, monday),
		} {
			if err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		if err := exec(d, `UPDATE booking_facility_photos SET position = 2`); err != nil {
			t.Errorf("moving a photo: %v", err)
		}
	})
}

func exec(d *db.DB, q string, args ...any) error {
	_, err := d.ExecContext(context.Background(), q, args...)
	return err
}
