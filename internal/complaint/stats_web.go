package complaint

import (
	"net/http"
	"strconv"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// statsPeriod reads ?days= (90, 365 by default, or 30).
func (h *Handlers) statsPeriod(r *http.Request) (time.Time, time.Time, int, error) {
	days := 365
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 30 && n != 90 && n != 365) {
			return time.Time{}, time.Time{}, 0, errs.E(errs.Invalid, "complaint.error.days").OnField("days")
		}
		days = n
	}
	until := h.Service.now().UTC()
	return until.AddDate(0, 0, -days), until, days, nil
}

// statLine is a row of a statistics table, in words.
type statLine struct {
	Name, Filed, Ack, Resolve, Within, Reopen string
}

func (h *Handlers) statLines(p printer, fs []Figure, name func(string) string) []statLine {
	out := make([]statLine, 0, len(fs))
	dash := "—"
	num := func(v *float64, key string) string {
		if v == nil {
			return dash
		}
		return p.t(key, "n", strconv.FormatFloat(*v, 'f', 1, 64))
	}
	pct := func(v *float64) string {
		if v == nil {
			return dash
		}
		return strconv.FormatFloat(*v*100, 'f', 0, 64) + "%"
	}
	for _, f := range fs {
		out = append(out, statLine{Name: name(f.Key), Filed: strconv.Itoa(f.Filed), Ack: num(f.MedianAckHours, "complaint.stats.hours"),
			Resolve: num(f.MedianResolveDays, "complaint.stats.days"), Within: pct(f.WithinLevel), Reopen: pct(f.ReopenRate)})
	}
	return out
}

// statistics is the public page of the figures.
func (h *Handlers) statistics(w http.ResponseWriter, r *http.Request) error {
	since, until, days, err := h.statsPeriod(r)
	if err != nil {
		return err
	}
	st, err := h.Service.Statistics(r.Context(), since, until)
	if err != nil {
		return err
	}
	p := h.printer(r)
	orgs, err := organisationNames(r.Context(), h.Service.db, p.l)
	if err != nil {
		return err
	}
	arrs, err := h.Service.places.Arrondissements(r.Context())
	if err != nil {
		return err
	}
	arrName := map[string]string{}
	for _, a := range arrs {
		arrName[a.Code] = a.Name.Pick(p.l)
	}
	catName := func(code string) string {
		if k, ok := h.Service.cat.Category(code); ok {
			return k.Name.Pick(p.l)
		}
		return code
	}
	var periods []option
	for _, d := range []int{30, 90, 365} {
		periods = append(periods, option{Value: strconv.Itoa(d), Label: p.t("complaint.stats.period." + strconv.Itoa(d)), Selected: d == days})
	}
	h.Web.Render(w, r, http.StatusOK, "complaint/statistics", web.Msg("complaint.stats.title"), map[string]any{
		"All":        h.statLines(p, []Figure{st.All}, func(string) string { return p.t("complaint.stats.all") })[0],
		"Categories": h.statLines(p, st.ByCategory, catName),
		"Teams":      h.statLines(p, st.ByTeam, func(c string) string { return orgs[c] }),
		"Areas":      h.statLines(p, st.ByArrondissement, func(c string) string { return arrName[c] }),
		"Periods":    periods, "Since": i18n.FormatDate(p.l, since), "Until": i18n.FormatDate(p.l, until)})
	return nil
}

// apiStatistics is the same figures in JSON (codes, not names).
func (h *Handlers) apiStatistics(w http.ResponseWriter, r *http.Request) error {
	since, until, _, err := h.statsPeriod(r)
	if err != nil {
		return err
	}
	st, err := h.Service.Statistics(r.Context(), since, until)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, st)
	return nil
}

func (h *Handlers) statsRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /requests/statistics", h.statistics)
	rt.HandleErr("GET /api/v1/requests/statistics", h.apiStatistics)
}
