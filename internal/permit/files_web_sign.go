package permit

import (
	"net/http"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// The architect signs a document from the file's page: its Sign button
// leads to a page saying what signing does and asking for the signing PIN
// (webSignConfirm); the signature replaces the document by its signed copy
// and goes back to the item with a green banner. A wrong PIN comes back to
// the same page with the attempts left.

// signConfirmation is the page asking to sign document docID of file id.
func (h *FileHandlers) signConfirmation(r *http.Request, a authz.Actor, id, docID int64) (web.Confirm, error) {
	f, k, d, err := h.Service.MaySign(r.Context(), a, id, docID)
	if err != nil {
		return web.Confirm{}, err
	}
	p := h.printer(r)
	item := d.Item
	for _, req := range k.Documents {
		if req.Code == d.Item {
			item = req.Name.Pick(p.l)
		}
	}
	page := "/files/" + strconv.FormatInt(id, 10)
	return web.Confirm{
		Title: web.Msg("permit.sign.title"),
		Text:  web.Msg("permit.sign.text"),
		Facts: []web.Fact{
			{Key: web.Msg("permit.documents.remove.document"), Value: d.Name + " (" + p.t("permit.files.size", "mb", blob.FormatMB(d.Size)) + ")"},
			{Key: web.Msg("permit.documents.remove.item"), Value: item},
			{Key: web.Msg("permit.confirm.file"), Value: f.Display()},
		},
		Inputs:  []web.Input{{Name: "pin", Type: "password", Label: "permit.confirm.pin", Autocomplete: "off"}},
		Warning: web.Msg("permit.sign.warning"),
		Action:  page + "/documents/" + strconv.FormatInt(d.ID, 10) + "/sign",
		Button:  web.Msg("permit.sign.button"),
		Back:    page + "#item-" + d.Item,
	}, nil
}

// webSignConfirm shows the page asking for the PIN.
func (h *FileHandlers) webSignConfirm(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, docID, err := fileAndDocument(r)
	if err != nil {
		return err
	}
	c, err := h.signConfirmation(r, v.Actor, id, docID)
	if err != nil {
		return err
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

// webSign signs the document and goes back to its item; a PIN that did
// not open the key comes back to the confirmation, any other refusal shows
// on the file's page.
func (h *FileHandlers) webSign(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, docID, err := fileAndDocument(r)
	if err != nil {
		return err
	}
	d, err := h.Service.SignDocument(r.Context(), v.Actor, id, docID, r.PostFormValue("pin"))
	if err != nil {
		if e := errs.As(err); e != nil && (e.Field == "pin" || strings.HasPrefix(e.Key, "signature.error.")) {
			if c, cerr := h.signConfirmation(r, v.Actor, id, docID); cerr == nil {
				c.Warning = web.Msg("permit.sign.not_signed")
				return h.Web.RenderConfirmError(w, r, c, err)
			}
		}
		return h.fail(w, r, v.Actor, id, "sign", "", err)
	}
	http.Redirect(w, r, "/files/"+strconv.FormatInt(id, 10)+"?done=signed#item-"+d.Item, http.StatusSeeOther)
	return nil
}

// apiSign signs a document in the JSON API: POST {"pin": "…"}; 201 with
// the signed document (its signature, and the document it replaces).
func (h *FileHandlers) apiSign(w http.ResponseWriter, r *http.Request) error {
	id, docID, err := fileAndDocument(r)
	if err != nil {
		return err
	}
	var in struct {
		PIN string `json:"pin"`
	}
	if err := httpx.DecodeJSON(r, &in, 4<<10); err != nil {
		return err
	}
	d, err := h.Service.SignDocument(r.Context(), actor(r), id, docID, in.PIN)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/files/"+strconv.FormatInt(id, 10)+"/documents/"+strconv.FormatInt(d.ID, 10))
	h.Resp.JSON(w, r, http.StatusCreated, d)
	return nil
}

// fileAndDocument reads the {id} and {doc} of a document's address.
func fileAndDocument(r *http.Request) (id, docID int64, err error) {
	if id, err = fileID(r, "id"); err != nil {
		return 0, 0, err
	}
	docID, err = fileID(r, "doc")
	return id, docID, err
}
