package booking_test

import (
	"bytes"
	"encoding/binary"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// phonePhoto is a JPEG with an EXIF block naming a GPS position.
func phonePhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 900))
	for y := range 900 {
		for x := range 1200 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 60, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00"), "GPSLatitude 33.5790 N GPSLongitude 7.5290 W"...)
	out := binary.BigEndian.AppendUint16([]byte{0xFF, 0xD8, 0xFF, 0xE1}, uint16(len(exif)+2))
	return append(append(out, exif...), b.Bytes()[2:]...)
}

var (
	photoFormRE = regexp.MustCompile(`enctype="multipart/form-data" action="(/bookings/desk/facilities/[^"]+/photos)" class="form" novalidate>\s*<input type="hidden" name="csrf_token" value="([^"]+)">`)
	photoSrcRE  = regexp.MustCompile(`<img src="(/bookings/places/moulay-rachid-field-1/photos/(\d+))" alt="([^"]*)" width="(\d+)" height="(\d+)" class="thumb" loading="lazy"`)
)

// Over HTTP: Meriem Sentissi adds a photo of her field from the desk's
// photos page — a PDF named .jpg is refused on its field, in French —
// the public page shows it in Arabic, lazily, with its size and its
// alt text, served to anyone as a JPEG without its GPS block, cached for
// good; a citizen and Maârif's manager add none; she removes it.
func TestFacilityPhotosOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		base := apptest.Serve(t, a)
		page := "/bookings/desk/facilities/moulay-rachid-field-1/photos"
		mgr := apptest.NewBrowser(t, base)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.FR)
		form := func(b *apptest.Browser) (string, string) {
			t.Helper()
			code, body, _ := b.Get(page)
			m := photoFormRE.FindStringSubmatch(body)
			if code != http.StatusOK || m == nil {
				t.Fatalf("photos page: %d\n%s", code, apptest.Grep(body, "form"))
			}
			return m[1], html.UnescapeString(m[2])
		}
		action, token := form(mgr)
		captions := url.Values{"csrf_token": {token}, "action": {"add"}, "caption_ar": {"الملعب ليلًا تحت الأضواء"}, "caption_fr": {"Le terrain de nuit"}}

		code, body, _ := mgr.PostMultipart(action, captions, "photo", "terrain.jpg", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"))
		if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="photo-error"`) ||
			!strings.Contains(body, "Ce fichier n’est pas une photo JPEG ou PNG") || !strings.Contains(body, `value="Le terrain de nuit"`) {
			t.Fatalf("a PDF as a photo: %d\n%s", code, apptest.Grep(body, "error"))
		}

		// 20 MB: read to its limit, refused on its field.
		big := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{7}, 20<<20)...)
		code, body, _ = mgr.PostMultipart(action, captions, "photo", "big.jpg", big)
		if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="photo-error"`) ||
			!strings.Contains(body, "Photo trop lourde : 10 Mo au plus") {
			t.Fatalf("20 MB: %d\n%s", code, apptest.Grep(body, "error"))
		}

		code, _, h := mgr.PostMultipart(action, captions, "photo", "terrain.jpg", phonePhoto(t))
		if code != http.StatusSeeOther || h.Get("Location") != page+"?done=photo_added" {
			t.Fatalf("adding a photo: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := mgr.Get(page + "?done=photo_added"); !strings.Contains(body, "Photo ajoutée.") || !strings.Contains(body, "Le terrain de nuit") {
			t.Errorf("the desk does not list the photo:\n%s", apptest.Grep(body, "img"))
		}

		// The public page, in Arabic.
		ar := apptest.NewBrowser(t, base)
		ar.SetLang(i18n.AR)
		_, body, _ = ar.Get("/bookings/places/moulay-rachid-field-1")
		m := photoSrcRE.FindStringSubmatch(body)
		f, _ := booking.DefaultCatalogue().Facility("moulay-rachid-field-1")
		if m == nil || html.UnescapeString(m[3]) != f.Name.AR+" — الملعب ليلًا تحت الأضواء" || m[4] != "1200" || m[5] != "900" {
			t.Fatalf("the public page's photo: %v\n%s", m, apptest.Grep(body, "<img"))
		}
		res, err := http.Get(base + m[1])
		if err != nil {
			t.Fatal(err)
		}
		jpg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" ||
			!strings.Contains(res.Header.Get("Cache-Control"), "public") || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") ||
			res.Header.Get("ETag") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("the photo: %d %v", res.StatusCode, res.Header)
		}
		if _, err := jpeg.Decode(bytes.NewReader(jpg)); err != nil || bytes.Contains(jpg, []byte("GPS")) {
			t.Errorf("the photo served is no clean JPEG (%v, GPS %v)", err, bytes.Contains(jpg, []byte("GPS")))
		}
		req, _ := http.NewRequest(http.MethodGet, base+m[1], nil)
		req.Header.Set("If-None-Match", res.Header.Get("ETag"))
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
			t.Errorf("a revalidation: %v %v", res, err)
		} else {
			res.Body.Close()
		}
		if code, _, _ := ar.Get("/bookings/places/maarif-coworking/photos/" + m[2]); code != http.StatusNotFound {
			t.Errorf("the photo under another facility's address: %d", code)
		}

		// A citizen, and Maârif's manager, add nothing.
		fatima := apptest.NewBrowser(t, base)
		fatima.SignIn("fatima.benali@example.ma", false)
		anas := apptest.NewBrowser(t, base)
		anas.SignIn("anas.kabbaj@example.ma", true)
		for name, b := range map[string]*apptest.Browser{"a citizen": fatima, "Maârif's manager": anas} {
			if code, _, _ := b.Get(page); code != http.StatusNotFound {
				t.Errorf("%s opened the photos page: %d", name, code)
			}
			_, other, _ := b.Get("/bookings/places")
			tok := apptest.CSRFRE.FindStringSubmatch(other)[1]
			vals := apptest.CloneForm(captions)
			vals.Set("csrf_token", html.UnescapeString(tok))
			if code, _, _ := b.PostMultipart(action, vals, "photo", "x.jpg", phonePhoto(t)); code != http.StatusNotFound {
				t.Errorf("%s added a photo: %d", name, code)
			}
		}

		// Removal.
		if code, _, h := mgr.Post(page, page, url.Values{"action": {"remove"}, "photo": {m[2]}}); code != http.StatusSeeOther ||
			h.Get("Location") != page+"?done=photo_removed" {
			t.Fatalf("removing the photo: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := ar.Get("/bookings/places/moulay-rachid-field-1"); strings.Contains(body, "/photos/") {
			t.Error("a removed photo is still on the public page")
		}
	})
}
