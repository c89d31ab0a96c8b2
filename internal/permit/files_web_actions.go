package permit

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
)

// webSave saves the draft form.
func (h *FileHandlers) webSave(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	f, err := h.Service.Get(ctx, v.Actor, id)
	if err != nil {
		return err
	}
	k, err := h.Service.Catalogue().Kind(f.Kind)
	if err != nil {
		return err
	}
	in := Input{Title: r.PostFormValue("title"), Address: r.PostFormValue("address"),
		Arrondissement: r.PostFormValue("arrondissement"), GeoJSON: r.PostFormValue("location"),
		Lat: r.PostFormValue("lat"), Lon: r.PostFormValue("lon"), Fields: Values{}}
	for _, fd := range k.Fields {
		val := r.PostFormValue("field_" + fd.Code)
		if fd.Type == FieldBoolean && val == "" {
			val = "false" // an unticked box says no
		}
		in.Fields[fd.Code] = val
	}
	for _, role := range PartyRoles {
		pt := Party{Role: role, Name: r.PostFormValue("party_" + role + "_name"), Registration: r.PostFormValue("party_" + role + "_reg")}
		for _, old := range f.Parties {
			// A professional named from their account stays linked while
			// the name is kept.
			if old.Role == role && old.PersonID != 0 && strings.TrimSpace(pt.Name) == old.Name {
				pt.PersonID = old.PersonID
			}
		}
		in.Parties = append(in.Parties, pt)
	}
	if _, err := h.Service.Update(ctx, v.Actor, id, formVersion(r), in); err != nil {
		if e := errs.As(err); e != nil && e.Field != "" {
			err = e.OnField(draftField(k, e.Field))
		}
		return h.fail(w, r, v.Actor, id, "draft", "", err)
	}
	redirectDone(w, r, id, "saved")
	return nil
}

// webUpload streams the files of one upload into the file: the item part
// first, then each file part straight to the blob store, never buffered
// whole. Several files go to an item that is a set (<input multiple>);
// they become documents together or, when one is refused, none does, and
// the error names the file at fault.
func (h *FileHandlers) webUpload(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return h.fail(w, r, v.Actor, id, "upload", "", errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err))
	}
	item := ""
	var batch *UploadBatch
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			switch {
			case errs.As(err) != nil: // already explained: a stalled or cut upload
			case errors.As(err, &tooLarge):
				err = errs.E(errs.TooLarge, "error.blob.too_large").With("max", blob.FormatMB(MaxUpload)).Cause(err)
			default:
				err = errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err)
			}
			return h.fail(w, r, v.Actor, id, "upload", item, err)
		}
		switch part.FormName() {
		case "item":
			text, err := httpx.PartText(part, "item", 128)
			if err != nil {
				return h.fail(w, r, v.Actor, id, "upload", "", err)
			}
			item = strings.TrimSpace(text)
		case "file":
			if item == "" {
				return h.fail(w, r, v.Actor, id, "upload", "", errs.E(errs.Invalid, "permit.error.item"))
			}
			if part.FileName() == "" {
				// No file chosen: the browser sends an empty part.
				_, _ = io.Copy(io.Discard, io.LimitReader(part, 64<<10))
				break
			}
			if batch == nil {
				if batch, err = h.Service.StartUpload(r.Context(), v.Actor, id, item); err != nil {
					return h.fail(w, r, v.Actor, id, "upload", item, err)
				}
			}
			if err := batch.Add(r.Context(), part.FileName(), part); err != nil {
				return h.fail(w, r, v.Actor, id, "upload", item, h.fileError(r, cleanName(part.FileName(), item), err))
			}
		default:
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 64<<10))
		}
		_ = part.Close()
	}
	if batch == nil {
		return h.fail(w, r, v.Actor, id, "upload", item, errs.E(errs.Invalid, "permit.files.upload.no_file"))
	}
	ups, err := batch.Commit(r.Context())
	if err != nil {
		return h.fail(w, r, v.Actor, id, "upload", item, err)
	}
	done := "uploaded"
	if len(ups) > 1 {
		done = "uploaded_several"
	}
	http.Redirect(w, r, "/files/"+strconv.FormatInt(id, 10)+"?done="+done+"#item-"+item, http.StatusSeeOther)
	return nil
}

// fileError names the file at fault in an upload's error, so that of
// five photos the person knows which one to change; nothing of the
// upload was saved.
func (h *FileHandlers) fileError(r *http.Request, name string, err error) error {
	e := errs.As(err)
	if e == nil || !userError(e) {
		return err
	}
	return errs.E(e.Kind, "permit.documents.error.file").With("name", name).With("reason", h.message(r, e)).Cause(err)
}

func (h *FileHandlers) webDownload(w http.ResponseWriter, r *http.Request) error {
	if h.signedIn(w, r) == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	doc, err := fileID(r, "doc")
	if err != nil {
		return err
	}
	return h.serveDocument(w, r, id, doc)
}

// act runs an action posted from a file's page and goes back to it.
func (h *FileHandlers) act(w http.ResponseWriter, r *http.Request, form, done string, do func(a authz.Actor, id int64, version int) error) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	if err := do(v.Actor, id, formVersion(r)); err != nil {
		return h.fail(w, r, v.Actor, id, form, "", err)
	}
	redirectDone(w, r, id, done)
	return nil
}

func (h *FileHandlers) webSubmit(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "submit", "submitted", func(a authz.Actor, id int64, version int) error {
		_, err := h.Service.Submit(r.Context(), a, id, version)
		return err
	})
}

func (h *FileHandlers) webWithdraw(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "withdraw", "withdrawn", func(a authz.Actor, id int64, version int) error {
		if r.PostFormValue("confirm") != "yes" {
			return errs.E(errs.Invalid, "permit.files.withdraw.unconfirmed").OnField("confirm")
		}
		_, err := h.Service.Withdraw(r.Context(), a, id, version)
		return err
	})
}

func (h *FileHandlers) webBook(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "book", "booked", func(a authz.Actor, id int64, version int) error {
		start, err := time.Parse(time.RFC3339, r.PostFormValue("start"))
		if err != nil {
			return errs.E(errs.Invalid, "permit.files.book.choose").OnField("slot")
		}
		_, err = h.Service.Book(r.Context(), a, id, version, start)
		return err
	})
}

func (h *FileHandlers) webCancel(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "cancel", "cancelled", func(a authz.Actor, id int64, version int) error {
		return h.Service.CancelAppointment(r.Context(), a, id, version)
	})
}

func (h *FileHandlers) webAccept(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "accept", "accepted", func(a authz.Actor, id int64, version int) error {
		_, err := h.Service.Accept(r.Context(), a, id, version)
		return err
	})
}

// webSendBack hands a file back to its applicant with what is missing:
// name is TReturn (an incomplete deposit) or TAsk (the officer asks for
// more).
func (h *FileHandlers) webSendBack(name, done string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h.act(w, r, name, done, func(a authz.Actor, id int64, version int) error {
			if err := r.ParseForm(); err != nil {
				return errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err)
			}
			_, err := h.Service.sendBack(r.Context(), a, id, version, name, r.PostForm["missing"], r.PostFormValue("note"))
			return err
		})
	}
}

func (h *FileHandlers) webAnswer(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "answer", "answered", func(a authz.Actor, id int64, version int) error {
		_, err := h.Service.Answer(r.Context(), a, id, version)
		return err
	})
}

func (h *FileHandlers) webApprove(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, TApprove, "approved")
}

func (h *FileHandlers) webRefuse(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, TRefuse, "refused")
}

// decide grants or refuses a file from its confirmation (webConfirm): a
// post whose reasons do not do comes back to the confirmation, the text
// typed kept (confirmFailed).
func (h *FileHandlers) decide(w http.ResponseWriter, r *http.Request, name, done string) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	decide := func() error {
		_, err := h.Service.Decide(r.Context(), v.Actor, id, formVersion(r), name == TApprove, r.PostFormValue("reason"))
		return err
	}
	if h.Service.SignsDecisions(r.Context(), v.Actor) && h.Service.IsEconomic(r.Context(), v.Actor, id) {
		// Signed with the officer's key, or not taken at all.
		decide = func() error {
			_, err := h.Service.DecideSigned(r.Context(), v.Actor, id, formVersion(r), name == TApprove,
				r.PostFormValue("reason"), r.PostFormValue("pin"))
			return err
		}
	}
	if err := decide(); err != nil {
		return h.confirmFailed(w, r, v.Actor, id, name, err)
	}
	redirectDone(w, r, id, done)
	return nil
}

func (h *FileHandlers) webExtend(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "extend", "extended", func(a authz.Actor, id int64, version int) error {
		days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
		if err != nil {
			return errs.E(errs.Invalid, "permit.error.extension_days").With("max", 30).OnField("days")
		}
		_, err = h.Service.Extend(r.Context(), a, id, version, r.PostFormValue("step"), days, r.PostFormValue("reason"))
		return err
	})
}
