package booking

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/photo"
	"madina/internal/platform/web"
)

// The desk's photos page of a facility, and the photos as the public
// page shows them (photos.go).

// maxPhotoBody bounds the upload form's body: well above a photo's
// limit, so that a photo too large is read far enough to be refused on
// its field (not as a body too large).
const maxPhotoBody = 4*photo.MaxBytes + 1<<20

// photoRoutes registers the photos' pages.
func (h *Handlers) photoRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /bookings/places/{code}/photos/{n}", h.photo)
	rt.HandleErr("GET /bookings/desk/facilities/{code}/photos", h.photosPage)
	rt.HandleLargeErr("POST /bookings/desk/facilities/{code}/photos", maxPhotoBody, h.savePhotos)
}

// photoRow is a photo as a page shows it.
type photoRow struct {
	ID            int64
	N             int
	Src, Alt      string
	Caption       string
	Width, Height int
}

// photoRows are facility f's photos in the reader's language.
func (h *Handlers) photoRows(r *http.Request, f *Facility) ([]photoRow, error) {
	ps, err := h.Service.Photos(r.Context(), f.Code)
	if err != nil {
		return nil, err
	}
	l := h.lang(r)
	var out []photoRow
	for _, p := range ps {
		out = append(out, photoRow{ID: p.ID, N: p.Position, Src: photoURL(f.Code, p.ID), Alt: p.Alt(f, l),
			Caption: pickAny(p.Caption, l), Width: p.Width, Height: p.Height})
	}
	return out, nil
}

func photoURL(code string, id int64) string {
	return "/bookings/places/" + url.PathEscape(code) + "/photos/" + strconv.FormatInt(id, 10)
}

// photo sends a facility's photo to anyone. Its address names the photo
// by an id never given again and a photo never changes, so it is cached
// for good, by shared caches too; its ETag is its content's hash.
func (h *Handlers) photo(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "booking.photos.not_found")
	}
	p, rc, err := h.Service.OpenPhoto(r.Context(), r.PathValue("code"), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	etag := `"` + p.SHA256 + `"`
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.FormatInt(p.Size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, rc)
	}
	return nil
}

var photoFields = []string{"photo", "caption_ar", "caption_fr", "caption_en"}

// photoDone is the success message a redirect names.
func photoDone(name string) string {
	if name == "photo_added" || name == "photo_removed" {
		return "booking.photos.done." + name
	}
	return ""
}

func (h *Handlers) renderPhotos(w http.ResponseWriter, r *http.Request, f *Facility, form web.Form, err error) error {
	rows, rerr := h.photoRows(r, f)
	if rerr != nil {
		return rerr
	}
	l := h.lang(r)
	data := map[string]any{"Code": f.Code, "Name": f.Name.Pick(l), "Photos": rows, "Max": MaxFacilityPhotos,
		"CanAdd": len(rows) < MaxFacilityPhotos, "MaxMB": photo.MaxBytes >> 20, "MaxCaption": MaxCaption,
		"Tabs": h.tabs(r, f.Code, "photos"), "Done": photoDone(r.URL.Query().Get("done")), "Form": form}
	title := web.Msg("booking.photos.title", "name", f.Name.Pick(l))
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/photos", title, data, form, err)
	}
	h.Web.Render(w, r, http.StatusOK, "booking/photos", title, data)
	return nil
}

func (h *Handlers) photosPage(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	f, _, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	return h.renderPhotos(w, r, f, web.Form{Values: url.Values{}, Order: photoFields}, nil)
}

// savePhotos adds a photo (a multipart form, streamed: the photo may be
// 10 MB) or removes one (a plain form).
func (h *Handlers) savePhotos(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := signedIn(w, r, "/bookings/desk/facilities/"+url.PathEscape(code)+"/photos")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	f, _, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	ctx := r.Context()
	values := url.Values{}
	form := web.Form{Values: values, Order: photoFields}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		if r.PostFormValue("action") != "remove" {
			return errs.E(errs.Invalid, "booking.error.action")
		}
		id, _ := strconv.ParseInt(r.PostFormValue("photo"), 10, 64)
		if err := h.Service.RemovePhoto(ctx, v.Actor, code, id); err != nil {
			return h.renderPhotos(w, r, f, form, err)
		}
		saved(w, r, code, "photos", "photo_removed")
		return nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(errs.Invalid, "booking.error.action").Cause(err)
	}
	var upload []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return h.renderPhotos(w, r, f, form, errs.E(errs.Invalid, photo.KeySize).With("mb", photo.MaxBytes>>20).OnField("photo"))
			}
			return errs.E(errs.Invalid, "booking.error.action").Cause(err)
		}
		switch name := part.FormName(); name {
		case "photo":
			if part.FileName() == "" {
				break
			}
			// One byte past the limit is enough to refuse it; the rest
			// is read and dropped, so the answer reaches the browser.
			if upload, err = io.ReadAll(io.LimitReader(part, photo.MaxBytes+1)); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					return h.renderPhotos(w, r, f, form, errs.E(errs.Invalid, photo.KeySize).With("mb", photo.MaxBytes>>20).OnField("photo"))
				}
				return errs.E(errs.Invalid, "booking.error.action").Cause(err)
			}
		case "caption_ar", "caption_fr", "caption_en":
			s, err := httpx.PartText(part, name, 4*MaxCaption)
			if err != nil {
				_ = part.Close()
				return h.renderPhotos(w, r, f, form, err)
			}
			values.Set(name, s)
		}
		_, _ = io.Copy(io.Discard, part)
		_ = part.Close()
	}
	var in io.Reader
	if len(upload) > 0 {
		in = bytes.NewReader(upload)
	}
	caption := i18n.Text{AR: values.Get("caption_ar"), FR: values.Get("caption_fr"), EN: values.Get("caption_en")}
	if _, err := h.Service.AddPhoto(ctx, v.Actor, code, in, caption); err != nil {
		return h.renderPhotos(w, r, f, form, err)
	}
	saved(w, r, code, "photos", "photo_added")
	return nil
}
