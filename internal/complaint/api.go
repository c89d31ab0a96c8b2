package complaint

import (
	_ "embed"
	"net/http"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// OpenAPI is this capability's fragment of the API document: the request
// types and public tracking under /api/v1. internal/app merges it into the
// served document; tests validate real responses against it.
//
//go:embed openapi.json
var OpenAPI []byte

// APIRoutes registers the JSON API.
func (h *Handlers) APIRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /api/v1/request-types", h.apiTypes)
	rt.HandleErr("GET /api/v1/requests/track", h.apiTrack)
}

// TypeJSON is a request type as the API gives it.
type TypeJSON struct {
	Code         string      `json:"code"`
	Name         i18n.Text   `json:"name"`
	Team         i18n.Text   `json:"team"`
	Routing      string      `json:"routing"`
	Organisation string      `json:"organisation,omitempty"`
	Location     string      `json:"location"`
	Photo        string      `json:"photo"`
	Acknowledge  int         `json:"acknowledge_days"`
	Resolve      int         `json:"resolve_days"`
	Private      bool        `json:"private"`
	Fields       []FieldJSON `json:"fields"`
}

// FieldJSON is a question of a request type.
type FieldJSON struct {
	Name     string       `json:"name"`
	Kind     string       `json:"kind"`
	Label    i18n.Text    `json:"label"`
	Required bool         `json:"required"`
	Options  []OptionJSON `json:"options,omitempty"`
	When     *When        `json:"when,omitempty"`
}

// OptionJSON is an answer of a choice.
type OptionJSON struct {
	Code string    `json:"code"`
	Name i18n.Text `json:"name"`
}

func (h *Handlers) apiTypes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		return errs.E(errs.Invalid, "complaint.error.too_long").With("max", 200).OnField("q")
	}
	out := []TypeJSON{}
	for _, k := range h.Service.cat.Search(q) {
		t := TypeJSON{Code: k.Code, Name: k.Name, Team: k.Team, Routing: k.Routing, Organisation: k.Organisation,
			Location: k.Location, Photo: k.Photo, Acknowledge: k.Service.Acknowledge, Resolve: k.Service.Resolve,
			Private: k.Private, Fields: []FieldJSON{}}
		for _, f := range k.Fields {
			fj := FieldJSON{Name: f.Name, Kind: f.Kind, Label: f.Label, Required: f.Required, When: f.When}
			for _, o := range f.Options {
				fj.Options = append(fj.Options, OptionJSON{Code: o.Code, Name: o.Name})
			}
			t.Fields = append(t.Fields, fj)
		}
		out = append(out, t)
	}
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

// TrackJSON is the public status of a request.
type TrackJSON struct {
	Number         string           `json:"number"`
	Category       string           `json:"category"`
	CategoryName   i18n.Text        `json:"category_name"`
	Arrondissement string           `json:"arrondissement"`
	State          State            `json:"state"`
	FiledAt        time.Time        `json:"filed_at"`
	ResolveDue     *time.Time       `json:"resolve_due,omitempty"`
	Private        bool             `json:"private"`
	Address        string           `json:"address,omitempty"`
	Lat            *float64         `json:"lat,omitempty"`
	Lon            *float64         `json:"lon,omitempty"`
	Description    string           `json:"description,omitempty"`
	Answer         string           `json:"public_answer,omitempty"`
	Events         []TrackEventJSON `json:"events"`
}

// TrackEventJSON is a line of a request's public history.
type TrackEventJSON struct {
	At     time.Time `json:"at"`
	Change Change    `json:"change"`
	To     State     `json:"to"`
	Note   string    `json:"note,omitempty"`
}

func (h *Handlers) apiTrack(w http.ResponseWriter, r *http.Request) error {
	if h.Track != nil {
		if ok, wait := h.Track.Allow(httpx.ClientIP(r)); !ok {
			return errs.E(errs.TooMany, "complaint.error.rate").With("retry", max(1, int(wait.Seconds())))
		}
	}
	t, err := h.Service.Track(r.Context(), r.URL.Query().Get("number"), r.URL.Query().Get("code"))
	if err != nil {
		return err
	}
	out := TrackJSON{Number: t.Number, Arrondissement: t.Arrondissement, State: t.State, FiledAt: t.FiledAt, Private: t.Private,
		Address: t.Address, Lat: t.Lat, Lon: t.Lon, Description: t.Description, Answer: t.PublicAnswer, Events: []TrackEventJSON{}}
	if t.Category != nil {
		out.Category, out.CategoryName = t.Category.Code, t.Category.Name
	}
	if t.State.Open() && t.State != Waiting {
		due := t.ResolveDue
		out.ResolveDue = &due
	}
	for _, e := range t.Events {
		out.Events = append(out.Events, TrackEventJSON{At: e.At, Change: e.Kind, To: e.To, Note: e.Note})
	}
	httpx.Private(r) // one request's history
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}
