package permit

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/blob"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// The pages after the works (afterworks.go): on a delivered permit's page
// its holder declares the completion of the works in one action; on the
// file after the works, the permit it follows, the inspection visit the
// agenda planned, the photos of the visit (and the form of the
// inspecting members), and the recourse to the higher authority once the
// legal month passed without a decision.

func (h *FileHandlers) afterWorksRoutes(rt *httpx.Router) {
	rt.HandleErr("POST /files/{id}/completion", h.webDeclare)
	rt.HandleLargeErr("POST /files/{id}/inspection/photos", MaxPhotos*MaxPhoto+1<<20, h.webPhotos)
	rt.HandleErr("GET /files/{id}/inspection/photos/{photo}", h.webPhoto)
	rt.HandleErr("POST /files/{id}/recourse", h.webRecourse)
}

// afterWorksView is the "After the works" section of a file's page.
type afterWorksView struct {
	// On a delivered permit: the declaration form (Declare names the kind
	// it starts) and the files declared from it.
	Declare  string
	Children []afterWorksChild
	// On a file after the works.
	Parent, ParentLink  string // the permit it follows
	Declared            string // when its completion was declared
	Visit               string // the planned visit, "" when none yet
	VisitLink           string
	VisitFrozen         bool
	Photos              []photoView
	PhotoForm           string // the body the member adds photos for, "" when they may not
	PhotoHint           string
	Recourse            string // what the applicant may do, or did
	RecourseForm        bool
	Inspection, Waiting bool
}

type afterWorksChild struct {
	Link, Text string
}

type photoView struct {
	Link, Name, Text string
}

// afterWorksSection is the section for a file that has one: a delivered
// building or regularisation permit, or a file after the works.
func (h *FileHandlers) afterWorksSection(r *http.Request, a authz.Actor, vw *View, p printer) (*afterWorksView, error) {
	f := vw.File
	ctx := r.Context()
	isAfter := f.Kind == KindHabitation || f.Kind == KindConformity
	if f.Family != Urban {
		return nil, nil
	}
	v := &afterWorksView{}
	show := false
	if _, k, err := h.Service.MayDeclareCompletion(ctx, a, f.ID); err == nil {
		v.Declare, show = k.Name.Pick(p.l), true
	}
	aw, err := h.Service.AfterWorksOf(ctx, a, f.ID)
	if err != nil {
		return nil, err
	}
	cat := h.Service.Catalogue()
	for _, c := range aw.Children {
		name := c.Kind
		if k, err := cat.Kind(c.Kind); err == nil {
			name = k.Name.Pick(p.l)
		}
		v.Children = append(v.Children, afterWorksChild{Link: "/files/" + strconv.FormatInt(c.FileID, 10),
			Text: p.t("permit.afterworks.child", "kind", name, "number", c.File, "state", p.state(c.State),
				"date", i18n.FormatDate(p.l, c.DeclaredAt))})
		show = true
	}
	if !isAfter && !show {
		return nil, nil
	}
	if !isAfter {
		return v, nil
	}
	if aw.Parent != nil {
		v.Parent, v.ParentLink = aw.Parent.Parent, "/files/"+strconv.FormatInt(aw.Parent.ParentID, 10)
		v.Declared = i18n.FormatDate(p.l, aw.Parent.DeclaredAt)
	} else if n := f.Fields["permit_number"]; n != "" {
		v.Parent = n
	}
	v.Inspection = f.State == Accepted && f.Step == StepInspection && f.Holder == HolderCommittee
	v.Waiting = f.State == Accepted && f.Holder == HolderWindow && f.Step == StepInspection
	if visit, err := h.Service.VisitOf(ctx, a, f.ID); err != nil {
		return nil, err
	} else if visit != nil {
		v.Visit = p.t("permit.afterworks.visit.when", "date", i18n.FormatDate(p.l, visit.Start),
			"from", clock(visit.Start), "to", clock(visit.End))
		v.VisitFrozen = visit.Frozen
		if a.Staff() {
			v.VisitLink = "/committee/sessions/" + strconv.FormatInt(visit.Session, 10)
		}
	}
	phs, err := h.Service.InspectionPhotos(ctx, a, f.ID)
	if err != nil {
		return nil, err
	}
	for _, ph := range phs {
		v.Photos = append(v.Photos, photoView{Link: "/files/" + strconv.FormatInt(f.ID, 10) + "/inspection/photos/" + strconv.FormatInt(ph.ID, 10),
			Name: ph.Name, Text: p.t("permit.afterworks.photos.item", "body", ph.Body.Name.Pick(p.l), "round", ph.Round,
				"date", i18n.FormatDateTime(p.l, ph.At))})
	}
	if body, _, err := h.Service.MayAddPhotos(ctx, a, f.ID); err == nil {
		v.PhotoForm = body.Name.Pick(p.l)
		v.PhotoHint = p.t("permit.afterworks.photos.hint", "mb", MaxPhoto>>20, "max", MaxPhotos)
	}
	rec, err := h.Service.RecourseOf(ctx, a, f.ID)
	if err != nil {
		return nil, err
	}
	if rec != nil {
		switch {
		case rec.FiledAt != nil:
			v.Recourse = p.t("permit.afterworks.recourse.filed", "date", i18n.FormatDateTime(p.l, *rec.FiledAt),
				"referred", i18n.FormatDate(p.l, rec.ReferredAt))
		case f.State == Accepted:
			v.Recourse = p.t("permit.afterworks.recourse.open", "date", i18n.FormatDate(p.l, rec.ReferredAt))
			if _, err := h.Service.MayFileRecourse(ctx, a, f.ID); err == nil {
				v.RecourseForm = true
			}
		}
	}
	return v, nil
}

// webDeclare declares the completion of the works of the permit and
// opens the new file.
func (h *FileHandlers) webDeclare(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	f, err := h.Service.DeclareCompletion(r.Context(), v.Actor, id)
	if err != nil {
		return h.fail(w, r, v.Actor, id, "completion", "", err)
	}
	redirectDone(w, r, f.ID, "declared")
	return nil
}

// webPhotos streams the photos of the visit into the file, for the
// member's body.
func (h *FileHandlers) webPhotos(w http.ResponseWriter, r *http.Request) error {
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
		return h.fail(w, r, v.Actor, id, "photos", "photos", errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err))
	}
	var batch *PhotoBatch
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			switch {
			case errs.As(err) != nil:
			case errors.As(err, &tooLarge):
				err = errs.E(errs.TooLarge, "error.blob.too_large").With("max", blob.FormatMB(MaxPhotos*MaxPhoto)).Cause(err)
			default:
				err = errs.E(errs.Invalid, "permit.files.upload.bad_form").Cause(err)
			}
			return h.fail(w, r, v.Actor, id, "photos", "photos", err)
		}
		if part.FormName() == "photos" && part.FileName() != "" {
			if batch == nil {
				if batch, err = h.Service.StartPhotos(r.Context(), v.Actor, id); err != nil {
					return h.fail(w, r, v.Actor, id, "photos", "photos", err)
				}
			}
			if err := batch.Add(r.Context(), part.FileName(), part); err != nil {
				return h.fail(w, r, v.Actor, id, "photos", "photos", h.fileError(r, cleanName(part.FileName(), "photo"), err))
			}
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 64<<10))
		}
		_ = part.Close()
	}
	if batch == nil {
		return h.fail(w, r, v.Actor, id, "photos", "photos", errs.E(errs.Invalid, "permit.afterworks.error.no_photo"))
	}
	if _, err := batch.Commit(r.Context()); err != nil {
		return h.fail(w, r, v.Actor, id, "photos", "photos", err)
	}
	http.Redirect(w, r, "/files/"+strconv.FormatInt(id, 10)+"?done=photos_added#afterworks-heading", http.StatusSeeOther)
	return nil
}

// webPhoto sends a photo of the visit, as a download.
func (h *FileHandlers) webPhoto(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	photo, err := fileID(r, "photo")
	if err != nil {
		return err
	}
	ph, rc, err := h.Service.InspectionPhotoContent(r.Context(), v.Actor, id, photo)
	if err != nil {
		return err
	}
	defer rc.Close()
	httpx.Attachment(w, ph.Name, ph.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(ph.Size, 10))
	w.Header().Set("Cache-Control", "private, max-age=3600, immutable")
	_, _ = io.Copy(w, rc)
	return nil
}

// webRecourse files the recourse to the higher authority.
func (h *FileHandlers) webRecourse(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "recourse", "recourse_filed", func(a authz.Actor, id int64, _ int) error {
		_, err := h.Service.FileRecourse(r.Context(), a, id)
		return err
	})
}

// verdictKey is the prefix of the words of an opinion's verdict on f:
// after the works, a body's finding on the visit says whether the
// building conforms to the approved plans.
func verdictKey(f *File) string {
	if f.Kind == KindHabitation || f.Kind == KindConformity {
		return "permit.afterworks.verdict."
	}
	return "permit.opinion.verdict."
}
