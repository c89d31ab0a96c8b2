package permit

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// bottleneckRoutes registers the bottleneck pages (issue #12, point 8):
// a window's, for its agents and administrators, and the administrators'
// overview of every window (a window agent there goes to their window's).
// Both answer ?format=json with the same figures.
func (h *FileHandlers) bottleneckRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /bottlenecks", h.webBottlenecksOverview)
	rt.HandleErr("GET /window/{code}/bottlenecks", h.webBottlenecks)
}

// BottlenecksPath is the page of a window's bottlenecks ("" for the
// administrators' overview of every window).
func BottlenecksPath(window string) string {
	if window == "" {
		return "/bottlenecks"
	}
	return "/window/" + url.PathEscape(window) + "/bottlenecks"
}

// riskDayChoices are the look-aheads the page offers.
var riskDayChoices = []int{1, 2, 3, 5, 10, 15, 30}

type bnFigures struct {
	Waiting, Overdue, Done, Late, Median, P90 string
	IsOverdue, IsLate                         bool
}

type bnOrgRow struct {
	Name string
	None bool // the seat has no organisation registered
	bnFigures
}

type bnStepRow struct {
	Window, Step string
	bnFigures
}

type bnRiskRow struct {
	ID                     int64
	Display, Kind, Window  string
	Holder                 string
	Pending                []string
	Deadline, Due, Left    string
	Overdue, Link, Overall bool
}

// bottlenecksView is the data of the bottleneck page.
type bottlenecksView struct {
	Window   string // the window's name; "" on the overview without filter
	Code     string
	Overview bool     // the administrators' page of every window
	Agent    bool     // the reader works at this window
	Windows  []option // the overview's filter
	Days     []option
	Action   string
	Date     string // today, in Casablanca
	Since    string
	Horizon  string
	Orgs     []bnOrgRow
	Steps    []bnStepRow
	Risks    []bnRiskRow
	More     int
	Queue    string // the window's queue
}

// webBottlenecks is a window's bottleneck page.
func (h *FileHandlers) webBottlenecks(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	return h.renderBottlenecks(w, r, v.Actor, r.PathValue("code"), false)
}

// webBottlenecksOverview is the administrators' bottleneck page of every
// window, with a window filter; a window's agent goes to their window's.
func (h *FileHandlers) webBottlenecksOverview(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	if ws := AgentWindows(v.Actor); len(ws) > 0 && !v.Actor.HasRole(authz.Admin) {
		to := BottlenecksPath(ws[0])
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.Query().Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	return h.renderBottlenecks(w, r, v.Actor, strings.TrimSpace(r.URL.Query().Get("window")), true)
}

func (h *FileHandlers) renderBottlenecks(w http.ResponseWriter, r *http.Request, a authz.Actor, window string, overview bool) error {
	days := 0
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errs.E(errs.Invalid, "permit.bottlenecks.error.days").With("max", MaxRiskDays).OnField("days")
		}
		days = n
	}
	if overview {
		// The overview is the administrators': a window filter does not
		// open it to the window's agents.
		if err := authz.Check(a, authz.ReadQueue, authz.Resource{}); err != nil {
			return err
		}
	}
	b, err := h.Service.Bottlenecks(r.Context(), a, window, days)
	if err != nil {
		return err
	}
	httpx.Private(r)
	if r.URL.Query().Get("format") == "json" {
		return h.bottlenecksJSON(w, b)
	}
	p := h.printer(r)
	names := h.windowNames(r.Context())
	windowName := func(code string) string {
		if wn, ok := names[code]; ok {
			return wn.Name.Pick(p.l)
		}
		return code
	}
	bv := bottlenecksView{Code: window, Overview: overview, Agent: slices.Contains(AgentWindows(a), window),
		Action: BottlenecksPath(""), Date: i18n.FormatDateTime(p.l, b.Now), Since: i18n.FormatDate(p.l, b.Since),
		Horizon: i18n.FormatDate(p.l, b.Horizon), More: b.More}
	if window != "" {
		bv.Window, bv.Queue = windowName(window), "/window/"+url.PathEscape(window)
	}
	if !overview {
		bv.Action = BottlenecksPath(window)
	}
	if overview {
		ws, err := h.Service.places.Windows(r.Context())
		if err != nil {
			return err
		}
		for _, wn := range ws {
			bv.Windows = append(bv.Windows, option{Value: wn.Code, Label: wn.Name.Pick(p.l), Selected: wn.Code == window})
		}
	}
	for _, d := range riskDayChoices {
		bv.Days = append(bv.Days, option{Value: strconv.Itoa(d), Label: p.duration(Deadline{Value: d, Unit: WorkingDays}), Selected: d == b.Days})
	}
	if !slices.Contains(riskDayChoices, b.Days) {
		bv.Days = append(bv.Days, option{Value: strconv.Itoa(b.Days), Label: p.duration(Deadline{Value: b.Days, Unit: WorkingDays}), Selected: true})
	}
	for _, o := range b.Orgs {
		bv.Orgs = append(bv.Orgs, bnOrgRow{Name: o.Name.Pick(p.l), None: o.Organisation == "", bnFigures: figuresOf(p.l, o.Delays)})
	}
	for _, st := range b.Steps {
		bv.Steps = append(bv.Steps, bnStepRow{Window: windowName(st.Window), Step: st.Name.Pick(p.l), bnFigures: figuresOf(p.l, st.Delays)})
	}
	cat := h.Service.Catalogue()
	for _, rf := range b.Risks {
		rr := bnRiskRow{ID: rf.ID, Display: rf.Display, Window: windowName(rf.Window), Kind: rf.Kind,
			Link: slices.Contains(AgentWindows(a), rf.Window), Overall: rf.Overall}
		if k, err := cat.Kind(rf.Kind); err == nil {
			rr.Kind = k.Name.Pick(p.l)
		}
		if rf.Holder == HolderWindow {
			rr.Holder = p.t("permit.bottlenecks.held.window", "window", rr.Window)
		} else {
			rr.Holder = p.t("permit.bottlenecks.held.committee")
			for _, h := range rf.Pending {
				name := h.Name.Pick(p.l)
				if h.Organisation == "" {
					name = p.t("permit.bottlenecks.no_organisation", "body", name)
				}
				rr.Pending = append(rr.Pending, name)
			}
		}
		if rf.Overall {
			rr.Deadline = cat.StepName(Overall).Pick(p.l)
		} else {
			rr.Deadline = cat.StepName(rf.Step).Pick(p.l)
		}
		rr.Due, rr.Left, rr.Overdue = h.riskLeft(p, rf.Due, b.Now)
		bv.Risks = append(bv.Risks, rr)
	}
	title := web.Msg("permit.bottlenecks.title.overview")
	if window != "" {
		title = web.Msg("permit.bottlenecks.title", "window", bv.Window)
	}
	h.Web.Render(w, r, http.StatusOK, "permit/bottlenecks", title, bv)
	return nil
}

// riskLeft writes a deadline as a date and the working days left, or by
// how many it was missed.
func (h *FileHandlers) riskLeft(p printer, due, now time.Time) (date, left string, overdue bool) {
	date = i18n.FormatDate(p.l, due)
	cal := h.Service.Calendar()
	if due.Before(now) {
		if n := cal.WorkingDaysBetween(due, now); n > 0 {
			return date, p.t("permit.bottlenecks.over", "duration", p.duration(Deadline{Value: n, Unit: WorkingDays})), true
		}
		return date, p.t("permit.files.overdue"), true
	}
	n := cal.WorkingDaysBetween(now, due)
	if n <= 0 {
		return date, p.t("permit.files.due_today"), false
	}
	return date, p.t("permit.files.left", "duration", p.duration(Deadline{Value: n, Unit: WorkingDays})), false
}

// figuresOf writes an actor's figures in language l.
func figuresOf(l i18n.Lang, d Delays) bnFigures {
	f := bnFigures{Waiting: formatNumber(l, float64(d.Waiting)), Overdue: formatNumber(l, float64(d.Overdue)),
		Done: formatNumber(l, float64(d.Done)), Late: formatNumber(l, float64(d.Late)), Median: "—", P90: "—",
		IsOverdue: d.Overdue > 0, IsLate: d.Late > 0}
	if d.Median != nil {
		f.Median = formatNumber(l, *d.Median)
	}
	if d.P90 != nil {
		f.P90 = formatNumber(l, *d.P90)
	}
	return f
}

// formatNumber writes x with at most one decimal, as each language writes
// numbers: French "1 234,5" (narrow no-break space), English "1,234.5",
// Arabic as in Morocco, Latin digits, "1.234,5".
func formatNumber(l i18n.Lang, x float64) string {
	group, point := ",", "."
	switch l {
	case i18n.FR:
		group, point = "\u202f", ","
	case i18n.AR:
		group, point = ".", ","
	}
	x = math.Round(x*10) / 10
	neg := x < 0
	x = math.Abs(x)
	whole := int64(x)
	tenth := int64(math.Round((x - float64(whole)) * 10))
	digits := strconv.FormatInt(whole, 10)
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	if tenth != 0 {
		b.WriteString(point + strconv.FormatInt(tenth, 10))
	}
	return b.String()
}

// BottlenecksJSON is the bottleneck figures as ?format=json gives them.
type BottlenecksJSON struct {
	Window        string           `json:"window,omitempty"`
	At            time.Time        `json:"at"`
	Since         time.Time        `json:"since"`
	Organisations []OrgBottleneck  `json:"organisations"`
	Steps         []StepBottleneck `json:"window_steps"`
	AtRisk        int              `json:"at_risk"`
	Days          int              `json:"at_risk_working_days"`
}

func (h *FileHandlers) bottlenecksJSON(w http.ResponseWriter, b *Bottlenecks) error {
	out := BottlenecksJSON{Window: b.Window, At: b.Now, Since: b.Since, Organisations: b.Orgs, Steps: b.Steps,
		AtRisk: len(b.Risks) + b.More, Days: b.Days}
	if out.Organisations == nil {
		out.Organisations = []OrgBottleneck{}
	}
	if out.Steps == nil {
		out.Steps = []StepBottleneck{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	return json.NewEncoder(w).Encode(out)
}
