package district

import (
	"embed"
	"net/http"
	"strconv"
	"time"

	"madina/internal/platform/calendar"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are this capability's page templates.
var Pages = web.Pages{Prefix: "district", FS: templates}

// Messages are this capability's texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Handlers serve the district pages and API.
type Handlers struct {
	Store *Store
	Web   *web.Renderer
	Resp  *httpx.Responder
	// Hours are the windows' opening hours: the administration's, with
	// Ramadan hours (calendar.AdministrationHours), which the deposit
	// appointments follow too.
	Hours calendar.OpeningHours
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Routes registers the HTML and JSON routes.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /arrondissements", h.listPage)
	rt.HandleErr("GET /arrondissements/{code}", h.showPage)
	rt.HandleErr("GET /api/v1/prefectures", h.apiPrefectures)
	rt.HandleErr("GET /api/v1/arrondissements", h.apiArrondissements)
	rt.HandleErr("GET /api/v1/arrondissements/{code}", h.apiArrondissement)
	rt.HandleErr("GET /api/v1/windows", h.apiWindows)
}

type listData struct {
	Prefectures []Prefecture
	Windows     []Window
}

func (h *Handlers) listPage(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.Store.Prefectures(r.Context())
	if err != nil {
		return err
	}
	ws, err := h.Store.Windows(r.Context())
	if err != nil {
		return err
	}
	var city []Window
	for _, win := range ws {
		if win.Kind == CityWindow {
			city = append(city, win)
		}
	}
	h.Web.Render(w, r, http.StatusOK, "district/list", web.Msg("district.list.title"), listData{Prefectures: ps, Windows: city})
	return nil
}

type showData struct {
	Arrondissement Arrondissement
	Prefecture     Prefecture
	Window         Window
	CityWindow     Window
	Hours          Hours
}

// MapURL is the OpenStreetMap page of a window's place, "" when unknown.
func (showData) MapURL(w Window) string {
	if !w.Contact.Located() {
		return ""
	}
	return OSMURL(w.Contact.Lat, w.Contact.Lon)
}

// Day names a weekday for the message catalogue (district.day.1 is Monday).
func (showData) Day(d time.Weekday) string { return strconv.Itoa(int(d)) }

func (h *Handlers) showPage(w http.ResponseWriter, r *http.Request) error {
	a, p, win, err := h.Store.Arrondissement(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	ws, err := h.Store.Windows(r.Context())
	if err != nil {
		return err
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	d := showData{Arrondissement: a, Prefecture: p, Window: win, Hours: WindowHours(h.Hours, calendar.DateOf(now()))}
	if len(ws) > 0 && ws[0].Kind == CityWindow {
		d.CityWindow = ws[0]
	}
	h.Web.Render(w, r, http.StatusOK, "district/show", web.Msg("district.show.heading", "name", a.Name.Pick(i18n.FromContext(r.Context()))), d)
	return nil
}

type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func (h *Handlers) apiPrefectures(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.Store.Prefectures(r.Context())
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, list[Prefecture]{Items: ps, Total: len(ps)})
	return nil
}

// apiArrondissements lists arrondissements, optionally those of one
// prefecture or whose name (in any language, Arabic folded) contains q.
func (h *Handlers) apiArrondissements(w http.ResponseWriter, r *http.Request) error {
	as, err := h.Store.Arrondissements(r.Context())
	if err != nil {
		return err
	}
	pref, q := r.URL.Query().Get("prefecture"), r.URL.Query().Get("q")
	out := make([]Arrondissement, 0, len(as))
	for _, a := range as {
		if (pref == "" || a.Prefecture == pref) && nameMatches(a.Name, q) {
			out = append(out, a)
		}
	}
	h.Resp.JSON(w, r, http.StatusOK, list[Arrondissement]{Items: out, Total: len(out)})
	return nil
}

type arrondissementDetail struct {
	Arrondissement
	PrefectureDetail Prefecture `json:"prefecture_detail"`
	WindowDetail     Window     `json:"window_detail"`
}

func (h *Handlers) apiArrondissement(w http.ResponseWriter, r *http.Request) error {
	a, p, win, err := h.Store.Arrondissement(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, arrondissementDetail{Arrondissement: a, PrefectureDetail: p, WindowDetail: win})
	return nil
}

func (h *Handlers) apiWindows(w http.ResponseWriter, r *http.Request) error {
	ws, err := h.Store.Windows(r.Context())
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, list[Window]{Items: ws, Total: len(ws)})
	return nil
}
