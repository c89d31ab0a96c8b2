package permit

import (
	"net/http"
	"strconv"
	"strings"

	"madina/internal/platform/blob"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The applicant's documents on a file's page: each shown with its
// preview, name and size, and its own Remove while the administration has
// not received it; removing asks first, on a page that says what will
// happen (webRemoveConfirm), then goes back to the file.

// uploadView is one document as the checklist shows it.
func (h *FileHandlers) uploadView(p printer, fileID int64, d Upload, removable, signable, reviewable bool) *uploadView {
	id := strconv.FormatInt(fileID, 10)
	meta := []string{p.t("permit.files.size", "mb", blob.FormatMB(d.Size))}
	if d.Pages > 0 {
		meta = append(meta, p.t("permit.files.pages", "count", d.Pages))
	}
	u := &uploadView{Name: d.Name, Meta: p.list(meta), Date: i18n.FormatDateTime(p.l, d.UploadedAt),
		Version: d.Version, URL: "/files/" + id + "/documents/" + strconv.FormatInt(d.ID, 10),
		Image: strings.HasPrefix(d.ContentType, "image/")}
	if removable {
		u.RemoveURL = u.URL + "/remove"
	}
	if signable {
		u.SignURL = u.URL + "/sign"
	}
	if g := d.Signature; g != nil {
		u.Signed = p.t("permit.sign.signed_by", "name", g.Signer, "date", i18n.FormatDateTime(p.l, g.SignedAt))
	}
	if reviewable && d.ContentType == "application/pdf" {
		u.ReviewURL = u.URL + "/review"
	}
	return u
}

// itemDocuments fills an item's documents: the latest of a single item,
// every current one of a set.
func (h *FileHandlers) itemDocuments(p printer, vw *View, it ChecklistItem, iv *itemView) {
	iv.Several = it.Several
	// A filed urban file's plans are reviewed, annotated and measured on
	// the plan-review page (internal/planreview).
	review := vw.File.Family == Urban && vw.File.State != Draft
	if d := it.Latest; d != nil {
		iv.Latest = h.uploadView(p, vw.File.ID, *d, vw.Removable[d.ID], vw.Signable[d.ID], review)
	}
	for _, d := range it.Current {
		iv.Docs = append(iv.Docs, h.uploadView(p, vw.File.ID, d, vw.Removable[d.ID], vw.Signable[d.ID], review))
	}
	if it.Several && len(it.Current) > 0 {
		iv.Count = p.t("permit.documents.count", "count", len(it.Current))
	}
}

// webRemoveConfirm asks before removing a document, saying what will
// happen: the document leaves the file, and what the item then holds.
func (h *FileHandlers) webRemoveConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	docID, err := fileID(r, "doc")
	if err != nil {
		return err
	}
	f, d, err := h.Service.MayRemove(r.Context(), v.Actor, id, docID)
	if err != nil {
		return err
	}
	vw, err := h.Service.View(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	p := h.printer(r)
	page := "/files/" + strconv.FormatInt(id, 10)
	item := d.Item
	text := web.Msg("permit.documents.remove.text_empty")
	for _, it := range vw.Checklist {
		if it.Code != d.Item {
			continue
		}
		item = it.Name.Pick(p.l)
		switch {
		case it.Several && len(it.Current) > 1:
			text = web.Msg("permit.documents.remove.text_set", "count", len(it.Current)-1)
		case it.Several:
			text = web.Msg("permit.documents.remove.text_empty")
		default:
			// The version before becomes the current one again.
			var prev *Upload
			for _, o := range vw.Documents {
				if o.Item == d.Item && o.ID != d.ID && o.Version < d.Version && (prev == nil || o.Version > prev.Version) {
					prev = &o
				}
			}
			if it.Latest != nil && it.Latest.ID != d.ID {
				text = web.Msg("permit.documents.remove.text_old")
			} else if prev != nil {
				text = web.Msg("permit.documents.remove.text_previous", "name", prev.Name, "date", i18n.FormatDateTime(p.l, prev.UploadedAt))
			}
		}
		if it.Needed && text.Key == "permit.documents.remove.text_empty" {
			text = web.Msg("permit.documents.remove.text_required")
		}
	}
	meta := p.t("permit.files.size", "mb", blob.FormatMB(d.Size))
	c := web.Confirm{
		Title: web.Msg("permit.documents.remove.title"),
		Text:  text,
		Facts: []web.Fact{
			{Key: web.Msg("permit.documents.remove.document"), Value: d.Name + " (" + meta + ")"},
			{Key: web.Msg("permit.documents.remove.item"), Value: item},
			{Key: web.Msg("permit.documents.remove.uploaded"), Value: i18n.FormatDateTime(p.l, d.UploadedAt)},
			{Key: web.Msg("permit.confirm.file"), Value: f.Display()},
		},
		Warning: web.Msg("permit.documents.remove.warning"),
		Action:  page + "/documents/" + strconv.FormatInt(d.ID, 10) + "/remove",
		Button:  web.Msg("permit.documents.remove.button"),
		Back:    page + "#item-" + d.Item,
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

// webRemove removes a document and goes back to its item on the file's
// page, with the confirmation; a refusal shows on the file's page.
func (h *FileHandlers) webRemove(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	docID, err := fileID(r, "doc")
	if err != nil {
		return err
	}
	d, err := h.Service.RemoveDocument(r.Context(), v.Actor, id, docID)
	if err != nil {
		return h.fail(w, r, v.Actor, id, "remove", "", err)
	}
	http.Redirect(w, r, "/files/"+strconv.FormatInt(id, 10)+"?done=removed#item-"+d.Item, http.StatusSeeOther)
	return nil
}

// apiRemove removes a document in the JSON API: 204, the file's view
// showing it gone on the next read.
func (h *FileHandlers) apiRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	docID, err := fileID(r, "doc")
	if err != nil {
		return err
	}
	if _, err := h.Service.RemoveDocument(r.Context(), actor(r), id, docID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
