package permit

import (
	"net/http"
	"net/url"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// The administrators' page of the windows' dispatch modes (issue #12,
// point 2): which windows' accepted urban files Madina dispatches to
// their committee itself, which leave it to their agents, who changed it
// last; and the switch, behind a confirmation (SetDispatchMode, audited).

func (h *FileHandlers) dispatchModeRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /admin/dispatch", h.webDispatchModes)
	rt.HandleErr("GET /admin/dispatch/{window}", h.webDispatchModeConfirm)
	rt.HandleErr("POST /admin/dispatch/{window}", h.webDispatchMode)
}

type dispatchModeRow struct {
	Code, Window, Changed string
	Automatic             bool
	Switch                string // the mode the row's button switches to
}

type dispatchModesView struct {
	Done string
	Rows []dispatchModeRow
}

func (h *FileHandlers) webDispatchModes(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	ctx := r.Context()
	modes, err := h.Service.DispatchModes(ctx, v.Actor)
	if err != nil {
		return err
	}
	p := h.printer(r)
	var pg dispatchModesView
	for _, m := range modes {
		row := dispatchModeRow{Code: m.Window.Code, Window: m.Window.Name.Pick(p.l), Automatic: m.Automatic, Switch: "manual"}
		if !m.Automatic {
			row.Switch = "automatic"
		}
		switch {
		case m.SetAt == nil:
			row.Changed = p.t("permit.dispatchmode.changed.never")
		case m.SetBy == 0:
			row.Changed = p.t("permit.dispatchmode.changed.operator", "date", i18n.FormatDate(p.l, *m.SetAt))
		default:
			name := ""
			if who, err := h.Service.people.Person(ctx, h.Service.db, m.SetBy); err == nil {
				name = who.DisplayName(string(p.l))
			}
			row.Changed = p.t("permit.dispatchmode.changed.by", "name", name, "date", i18n.FormatDate(p.l, *m.SetAt))
		}
		if done := r.URL.Query().Get("done"); done == m.Window.Code {
			key := "permit.dispatchmode.done.manual"
			if m.Automatic {
				key = "permit.dispatchmode.done.automatic"
			}
			pg.Done = p.t(key, "window", row.Window)
		}
		pg.Rows = append(pg.Rows, row)
	}
	httpx.Private(r)
	h.Web.Render(w, r, http.StatusOK, "permit/dispatchmode", web.Msg("permit.dispatchmode.title"), pg)
	return nil
}

// dispatchModeConfirmation is the page asking to switch window's dispatch
// to mode ("automatic" or "manual").
func (h *FileHandlers) dispatchModeConfirmation(r *http.Request, window, mode string) (web.Confirm, error) {
	modes, err := h.Service.DispatchModes(r.Context(), actor(r))
	if err != nil {
		return web.Confirm{}, err
	}
	if mode != "automatic" && mode != "manual" {
		return web.Confirm{}, errs.E(errs.Invalid, "permit.dispatchmode.error.mode")
	}
	p := h.printer(r)
	for _, m := range modes {
		if m.Window.Code != window {
			continue
		}
		now := "permit.dispatchmode.mode.manual"
		if m.Automatic {
			now = "permit.dispatchmode.mode.automatic"
		}
		name := m.Window.Name.Pick(p.l)
		return web.Confirm{
			Title:   web.Msg("permit.dispatchmode.confirm." + mode + ".title"),
			Text:    web.Msg("permit.dispatchmode.confirm." + mode + ".text"),
			Warning: web.Msg("permit.dispatchmode.confirm.warning"),
			Facts: []web.Fact{{Key: web.Msg("permit.dispatchmode.col.window"), Value: name},
				{Key: web.Msg("permit.dispatchmode.col.now"), Value: p.t(now)}},
			Action: "/admin/dispatch/" + url.PathEscape(window),
			Hidden: map[string]string{"mode": mode},
			Button: web.Msg("permit.dispatchmode.switch." + mode),
			Back:   "/admin/dispatch",
		}, nil
	}
	return web.Confirm{}, errs.E(errs.NotFound, "permit.autodispatch.error.window").With("window", window)
}

func (h *FileHandlers) webDispatchModeConfirm(w http.ResponseWriter, r *http.Request) error {
	if h.signedIn(w, r) == nil {
		return nil
	}
	c, err := h.dispatchModeConfirmation(r, r.PathValue("window"), r.URL.Query().Get("mode"))
	if err != nil {
		return err
	}
	h.Web.RenderConfirm(w, r, http.StatusOK, c)
	return nil
}

func (h *FileHandlers) webDispatchMode(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	window, mode := r.PathValue("window"), r.PostFormValue("mode")
	c, err := h.dispatchModeConfirmation(r, window, mode)
	if err != nil {
		return err
	}
	if err := h.Service.SetDispatchMode(r.Context(), v.Actor, window, mode == "automatic"); err != nil {
		return h.Web.RenderConfirmError(w, r, c, err)
	}
	http.Redirect(w, r, "/admin/dispatch?done="+url.QueryEscape(window), http.StatusSeeOther)
	return nil
}
