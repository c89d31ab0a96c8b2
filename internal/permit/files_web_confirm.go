package permit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// webConfirm asks before an irreversible step on a file (the window
// accepting it, the officer granting or refusing it): GET on the step's
// own address shows what will happen, its button POSTs to the same
// address. The page asks the policy for the step itself, so whoever may
// not take it (a conflict of interest included) cannot see it.
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
		f, err := h.Service.MayTake(r.Context(), v.Actor, id, name)
		if err != nil {
			return err
		}
		page := "/files/" + strconv.FormatInt(id, 10)
		version := r.URL.Query().Get("version")
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
		}
		if name == TApprove || name == TRefuse {
			reason := strings.TrimSpace(r.URL.Query().Get("reason"))
			c.Hidden["reason"] = reason
			if reason != "" {
				c.Facts = append(c.Facts, web.Fact{Key: web.Msg("permit.files." + name + ".reason"), Value: reason})
			}
		}
		h.Web.RenderConfirm(w, r, http.StatusOK, c)
		return nil
	}
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
	return f, nil
}
