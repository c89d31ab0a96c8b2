package permit

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// webWindows sends a window agent to their window's queue.
func (h *FileHandlers) webWindows(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	ws := AgentWindows(v.Actor)
	if len(ws) == 0 {
		err := authz.Check(v.Actor, authz.ReviewFile, authz.Resource{})
		if err == nil {
			err = errs.E(errs.Forbidden, "")
		}
		return err
	}
	// The tab, page or search asked for is kept: /window?tab=new is a
	// link to the agent's own window's new deposits.
	to := "/window/" + url.PathEscape(ws[0])
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.Query().Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// queueTab is a tab as the tabs partial reads it.
type queueTab struct {
	Text, Href string
	Count      int
	Current    bool
}

type queueRow struct {
	ID                                int64
	Display, Kind, State, Owner       string
	Submitted, Appointment, Due, Left string
	Time                              string // the appointment's hour, on the today tab
	Overdue                           bool
	Conflict                          bool // the agent is involved: a colleague handles it
}

// queueView is the data of a window's queue.
type queueView struct {
	Window      string
	Code        string
	Tab         string
	TabLabel    string
	Tabs        []queueTab
	Rows        []queueRow
	Overdue     int
	Page, Pages int
	Prev, Next  string
	Others      []link
	Query       string // a look-up by number, CIN or name: Rows are its results
	Today       bool   // the today tab: the appointment's hour first
	Agent       bool   // the reader works at this window (an administrator only follows it)
}

func (h *FileHandlers) webQueue(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	code := r.PathValue("code")
	tab := r.URL.Query().Get("tab")
	page := 1
	if s := r.URL.Query().Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return errs.E(errs.Invalid, "permit.queue.bad_page").OnField("page")
		}
		page = n
	}
	q, err := h.Service.Queue(r.Context(), v.Actor, code, tab, page)
	if err != nil {
		return err
	}
	p := h.printer(r)
	cat := h.Service.Catalogue()
	base := "/window/" + url.PathEscape(q.Window.Code)
	href := func(tab string, page int) string {
		u := url.Values{}
		if tab != TabUrgent {
			u.Set("tab", tab)
		}
		if page > 1 {
			u.Set("page", strconv.Itoa(page))
		}
		if len(u) == 0 {
			return base
		}
		return base + "?" + u.Encode()
	}
	qv := queueView{Window: q.Window.Name.Pick(p.l), Code: q.Window.Code, Tab: q.Tab, TabLabel: p.t("permit.tab." + q.Tab), Overdue: q.Overdue,
		Page: q.Page, Pages: q.Pages, Today: q.Tab == TabToday, Agent: slices.Contains(AgentWindows(v.Actor), q.Window.Code)}
	for _, t := range Tabs {
		qv.Tabs = append(qv.Tabs, queueTab{Text: p.t("permit.queue.tab." + t), Href: href(t, 1), Count: q.Counts[t],
			Current: t == q.Tab && r.URL.Query().Get("q") == ""})
	}
	if q.Page > 1 {
		qv.Prev = href(q.Tab, q.Page-1)
	}
	if q.Page < q.Pages {
		qv.Next = href(q.Tab, q.Page+1)
	}
	rows := q.Rows
	if qv.Query = strings.TrimSpace(r.URL.Query().Get("q")); qv.Query != "" {
		if rows, err = h.Service.Find(r.Context(), v.Actor, code, qv.Query); err != nil {
			return err
		}
		qv.TabLabel, qv.Prev, qv.Next, qv.Today = p.t("permit.queue.search.results", "q", qv.Query), "", "", false
	}
	for _, row := range rows {
		qr := queueRow{ID: row.ID, Display: row.Display, State: p.state(row.State), Owner: row.Owner(string(p.l)), Conflict: row.Conflict}
		if k, err := cat.Kind(row.Kind); err == nil {
			qr.Kind = k.Name.Pick(p.l)
		}
		if row.SubmittedAt != nil {
			qr.Submitted = i18n.FormatDate(p.l, *row.SubmittedAt)
		}
		if row.Appointment != nil {
			qr.Appointment = i18n.FormatDateTime(p.l, *row.Appointment)
			qr.Time = row.Appointment.In(i18n.Casablanca).Format("15:04")
		}
		qr.Due, qr.Left, qr.Overdue = h.due(p, row.DueAt, q.Now)
		qv.Rows = append(qv.Rows, qr)
	}
	if ws := AgentWindows(v.Actor); len(ws) > 1 {
		names := h.windowNames(r.Context())
		for _, c := range ws {
			if c != q.Window.Code {
				label := c
				if wn, ok := names[c]; ok {
					label = wn.Name.Pick(p.l)
				}
				qv.Others = append(qv.Others, link{Label: label, Href: "/window/" + url.PathEscape(c)})
			}
		}
	}
	h.Web.Render(w, r, http.StatusOK, "permit/window", web.Msg("permit.queue.title", "window", qv.Window), qv)
	return nil
}

type trackEvent struct {
	At, What string
	Details  []string
}

// trackView is the data of the public tracking page.
type trackView struct {
	Number, Code string
	Errors       map[string]string
	Error        string
	Found        bool
	Display      string
	Kind         string
	State        string
	Step         string
	Holder       string
	Submitted    string
	Due, Left    string
	Overdue      bool
	Events       []trackEvent
}

// ErrorList is the tracking form's error summary: each field at fault
// linking to it, else the form's own error (a wrong pair, too many tries).
func (v trackView) ErrorList() []web.FieldError {
	var out []web.FieldError
	for _, name := range []string{"number", "code"} {
		if e := v.Errors[name]; e != "" {
			out = append(out, web.FieldError{Field: name, Text: e})
		}
	}
	if len(out) == 0 && v.Error != "" {
		out = append(out, web.FieldError{Text: v.Error})
	}
	return out
}

// Failed reports whether the look-up failed (the title then says so).
func (v trackView) Failed() bool { return v.Error != "" || len(v.Errors) > 0 }

// webTrack is the public tracking page: anyone holding a file's number
// and tracking code sees where it stands, without signing in and without
// any personal data.
func (h *FileHandlers) webTrack(w http.ResponseWriter, r *http.Request) error {
	p := h.printer(r)
	number := strings.TrimSpace(r.URL.Query().Get("number"))
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	tv := trackView{Number: number, Code: code, Errors: map[string]string{}}
	httpx.Private(r) // one file's timeline
	render := func(status int) {
		h.Web.Render(w, r, status, "permit/track", web.Msg("permit.track.title"), tv)
	}
	if number == "" && code == "" {
		render(http.StatusOK)
		return nil
	}
	if number == "" || code == "" {
		for name, val := range map[string]string{"number": number, "code": code} {
			if val == "" {
				tv.Errors[name] = p.t("permit.track.required." + name)
			}
		}
		tv.Error = p.t("permit.track.incomplete")
		render(http.StatusBadRequest)
		return nil
	}
	if err := h.limited(r); err != nil {
		e := errs.As(err)
		tv.Error = h.message(r, e)
		if m, ok := e.Params["minutes"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(m*60))
		}
		render(http.StatusTooManyRequests)
		return nil
	}
	t, err := h.Service.PublicStatus(r.Context(), number, code)
	if err != nil {
		e := errs.As(err)
		if e == nil || e.Kind != errs.NotFound {
			return err
		}
		tv.Error = h.message(r, e)
		render(http.StatusNotFound)
		return nil
	}
	cat := h.Service.Catalogue()
	tv.Found, tv.Display, tv.Kind, tv.State = true, t.Display, t.Kind.Name.Pick(p.l), p.state(t.State)
	if t.Step != "" && !t.State.Closed() {
		tv.Step = cat.StepName(t.Step).Pick(p.l)
	}
	tv.Holder = p.holder(t.Holder, t.Window)
	if t.Submitted != nil {
		tv.Submitted = i18n.FormatDate(p.l, *t.Submitted)
	}
	tv.Due, tv.Left, tv.Overdue = h.due(p, t.DueAt, h.Service.now())
	windows := map[string]district.Window{}
	if t.Window != nil {
		windows[t.Window.Code] = *t.Window
	}
	for _, e := range slices.Backward(t.Events) {
		what, details := h.eventText(p, t.Kind, windows, e, true)
		tv.Events = append(tv.Events, trackEvent{At: i18n.FormatDate(p.l, e.At), What: what, Details: details})
	}
	render(http.StatusOK)
	return nil
}
