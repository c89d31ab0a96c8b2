package permit

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// webConfirm asks before an irreversible step on a file (the window
// accepting it or returning it to its applicant, the officer asking for
// more, granting or refusing it): GET on the step's own address shows what
// will happen, its button POSTs to the same address. The page asks the
// policy for the step itself, so whoever may not take it (a conflict of
// interest included) cannot see it.
//
// The file's page leads to it with a GET form: a decision's reasons
// (which the confirmation shows again, to correct), a send-back's
// documents and note (checked first: a send-back asking for nothing comes
// back to the file's page with the error on its form).
func (h *FileHandlers) webConfirm(name string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := h.signedIn(w, r)
		if v == nil {
			return nil
		}
		id, err := fileID(r, "id")
		if err != nil {
			return err
		}
		q := r.URL.Query()
		form := web.Form{Values: url.Values{}}
		switch name {
		case TApprove, TRefuse:
			form.Values.Set("reason", q.Get("reason"))
		case TReturn, TAsk:
			form.Values["missing"], form.Values["note"] = q["missing"], []string{q.Get("note")}
		}
		c, err := h.confirmation(r, v.Actor, id, name, q.Get("version"), form)
		if e := errs.As(err); e != nil && e.Kind == errs.Invalid && e.Field != "" && (name == TReturn || name == TAsk) {
			// Asking for nothing, or for what the file does not take: the
			// file's page says so on the send-back's form.
			return h.fail(w, r, v.Actor, id, name, "", err)
		}
		if err != nil {
			return err
		}
		h.Web.RenderConfirm(w, r, http.StatusOK, c)
		return nil
	}
}

// confirmation builds step name's confirmation page of file id for a, or
// says why a may not take it. version is the one the file's page showed
// ("" for the file's current one); form holds what the person typed or
// chose (a decision's reasons; a send-back's documents and note, checked
// here).
func (h *FileHandlers) confirmation(r *http.Request, a authz.Actor, id int64, name, version string, form web.Form) (web.Confirm, error) {
	f, err := h.Service.MayTake(r.Context(), a, id, name)
	if err != nil {
		return web.Confirm{}, err
	}
	page := "/files/" + strconv.FormatInt(id, 10)
	if version == "" {
		version = strconv.Itoa(f.Version)
	}
	c := web.Confirm{
		Title:  web.Msg("permit.confirm." + name + ".title"),
		Text:   web.Msg("permit.confirm." + name + ".text"),
		Facts:  []web.Fact{{Key: web.Msg("permit.confirm.file"), Value: f.Display()}, {Key: web.Msg("permit.confirm.subject"), Value: f.Title}},
		Action: page + "/" + name,
		Hidden: map[string]string{"version": version},
		Button: web.Msg("permit.confirm." + name + ".button"),
		Back:   page,
		Form:   form,
	}
	switch name {
	case TApprove, TRefuse:
		// The reasons typed on the file's page, to read again and correct
		// here: a refusal without them comes back here, text kept.
		c.Inputs = []web.Input{{Name: "reason", Type: "textarea", Label: "permit.files." + name + ".reason",
			Optional: name == TApprove, MaxLength: 2000}}
		// An officer who holds a signing certificate signs the decision:
		// the PIN opens their key, and without it nothing is decided.
		// Without a usable key (none, locked, expired, revoked), the
		// commune's seal signs it after: the officer is told so.
		if f.Family == Economic && h.Service.SignsDecisions(r.Context(), a) {
			c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.confirm.signature"), Value: h.printer(r).t("permit.confirm.pin_hint")})
			c.Inputs = append(c.Inputs, web.Input{Name: "pin", Type: "password", Label: "permit.confirm.pin", Autocomplete: "off"})
		} else if f.Family == Economic && h.Service.SealsDecisions() {
			c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.confirm.signature"), Value: h.printer(r).t("permit.confirm.seal_hint")})
		}
	case TReturn, TAsk:
		return h.sendBackConfirmation(r, a, id, name, c)
	case TDispatch:
		return h.dispatchConfirmation(r, a, id, c)
	case TForward, TGrant, TReject, TRevise:
		return h.roundsConfirmation(r, a, id, name, c)
	}
	return c, nil
}

// sendBackConfirmation completes the confirmation of a send-back (the
// window's return, the officer's request for more): who is told, the
// documents asked for, the note — after the same checks as the step.
func (h *FileHandlers) sendBackConfirmation(r *http.Request, a authz.Actor, id int64, name string, c web.Confirm) (web.Confirm, error) {
	vw, err := h.Service.View(r.Context(), a, id)
	if err != nil {
		return c, err
	}
	p := h.printer(r)
	missing, note := c.Form.Values["missing"], strings.TrimSpace(c.Form.Values.Get("note"))
	items, err := sendBackItems(vw.Kind, missing, note)
	if err != nil {
		return c, err
	}
	var names []string
	for _, code := range items {
		for _, d := range vw.Kind.Documents {
			if d.Code == code {
				names = append(names, d.Name.Pick(p.l))
			}
		}
	}
	told := h.told(r, a, vw)
	c.Title = web.Msg("permit.msgs.confirm." + name + ".title")
	c.Text = web.Msg("permit.msgs.confirm." + name + ".text")
	c.Button = web.Msg("permit.files." + name + ".submit")
	if len(told) > 0 {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.msgs.confirm.told"), Value: p.list(told)})
	}
	asked := p.t("permit.msgs.confirm.items.none")
	if len(names) > 0 {
		asked = p.list(names)
	}
	c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.files." + name + ".missing"), Value: asked})
	if note != "" {
		c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.msgs.confirm.note"), Value: note})
	}
	c.Hidden["note"] = note
	c.HiddenValues = url.Values{"missing": items}
	return c, nil
}

// told are the names of the people a file's notices reach (applicants):
// its owner when a person, and whoever filed it for them.
func (h *FileHandlers) told(r *http.Request, a authz.Actor, vw *View) []string {
	ct := h.contact(r, a, vw)
	if ct == nil {
		return nil
	}
	var out []string
	if vw.File.OwnerPerson != 0 && ct.OwnerName != "" {
		out = append(out, ct.OwnerName)
	}
	if ct.FilerName != "" {
		out = append(out, ct.FilerName)
	}
	return out
}

// confirmFailed answers a confirmation's post that failed on something
// typed there (a refusal without its reasons): the confirmation again,
// with the error summary linking to the field and the text kept, at the
// same address. Any other failure shows on the file's page (fail).
func (h *FileHandlers) confirmFailed(w http.ResponseWriter, r *http.Request, a authz.Actor, id int64, name string, err error) error {
	e := errs.As(err)
	pin := e != nil && (e.Field == "pin" || strings.HasPrefix(e.Key, "signature.error."))
	if e != nil && (e.Kind == errs.Invalid && e.Field == "reason" || pin) && (name == TApprove || name == TRefuse || name == TGrant || name == TReject) {
		form := web.Form{Values: url.Values{"reason": {r.PostFormValue("reason")}}}
		c, cerr := h.confirmation(r, a, id, name, r.PostFormValue("version"), form)
		if cerr == nil {
			if pin {
				// The key did not open: the decision was not taken.
				c.Warning = web.Msg("permit.confirm.not_taken")
			}
			return h.Web.RenderConfirmError(w, r, c, err)
		}
	}
	return h.fail(w, r, a, id, name, "", err)
}

// MayTake returns the file when a may take the step name on it now: the
// same policy and state checks as the step itself, without taking it, so
// a confirmation page refuses exactly whom the step would refuse, with
// the same explanation (a conflict of interest says so).
func (s *Service) MayTake(ctx context.Context, a authz.Actor, id int64, name string) (*File, error) {
	t, ok := transitionNamed(name)
	if !ok {
		return nil, fmt.Errorf("permit: no step %q", name)
	}
	act := t.Action
	if act == "" {
		act = authz.ReadFile
	}
	f, k, err := s.load(ctx, s.db, a, act, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.guard(a, t, f, k, 0); err != nil {
		return nil, err
	}
	if ok, err := outcomeFits(ctx, s.db, f, name); err != nil || !ok {
		if err == nil {
			err = errs.E(errs.Conflict, "permit.rounds.error.outcome").With("number", f.Display())
		}
		return nil, err
	}
	return f, nil
}
