package complaint

import (
	"bytes"
	_ "embed"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// OpenAPI is this capability's fragment of the API document: the request
// types, public tracking and the citizen's own requests under /api/v1. internal/app merges it into the
// served document; tests validate real responses against it.
//
//go:embed openapi.json
var OpenAPI []byte

// APIRoutes registers the JSON API.
//
// The citizen's side, for a personal token with the scopes requests:read
// and requests:write: filing (with its photos), the list of their
// requests, one request with its history, answering the team's question,
// reopening as not fixed, rating the answer, the photos. The team's work,
// for a staff token (requests:read and requests:work; issued from a
// session that passed the second factor and bound to it, see
// identity.CreateStaffToken): the team's queue and the requests held for
// review, one request whole, and every change the team's pages make —
// acknowledge, start, plan, ask, resolve (with a photo of the work done),
// close, reassign, merge a duplicate, release — through the same policy,
// officially (never on a request of their own).
func (h *Handlers) APIRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /api/v1/team/requests", h.apiQueue)
	rt.HandleErr("GET /api/v1/team/held", h.apiQueue)
	rt.HandleErr("GET /api/v1/request-types", h.apiTypes)
	rt.HandleErr("GET /api/v1/requests/track", h.apiTrack)
	rt.HandleErr("GET /api/v1/requests", h.apiMine)
	rt.HandleLargeErr("POST /api/v1/requests", maxAPIFilingBody, h.apiFile)
	rt.HandleErr("GET /api/v1/requests/{id}", h.apiGet)
	rt.HandleLargeErr("POST /api/v1/requests/{id}/changes", maxAPIChangeBody, h.apiChange)
	rt.HandleErr("PUT /api/v1/requests/{id}/rating", h.apiRate)
	rt.HandleErr("GET /api/v1/requests/{id}/photos/{n}", h.photo)
	rt.HandleErr("GET /api/v1/requests/{id}/work-photos/{n}", h.workPhoto)
}

// maxAPIFilingBody bounds a filing through the API: five photos in
// base64 (four bytes for three) and the text.
const maxAPIFilingBody = MaxPhotos*MaxPhotoBytes/3*4 + 1<<20

// maxAPIChangeBody bounds a change through the API: a resolution's photo
// of the work done in base64, and the text.
const maxAPIChangeBody = MaxPhotoBytes/3*4 + 1<<20

// FilingJSON is a request as a citizen files it through the API.
type FilingJSON struct {
	Category       string            `json:"category"`
	Lat            *float64          `json:"lat"`
	Lon            *float64          `json:"lon"`
	Address        string            `json:"address"`
	Arrondissement string            `json:"arrondissement"`
	Description    string            `json:"description" text:"multiline"`
	Answers        map[string]string `json:"answers"`
	Contact        string            `json:"contact"`
	// Photos are the images' bytes (JSON: base64), at most MaxPhotos.
	Photos [][]byte `json:"photos"`
}

// RequestJSON is one of the citizen's requests as the API gives it to
// them (and to the team): everything they filed, its state, its dates.
type RequestJSON struct {
	ID             int64             `json:"id"`
	Number         string            `json:"number"`
	TrackingCode   string            `json:"tracking_code"`
	Category       string            `json:"category"`
	CategoryName   i18n.Text         `json:"category_name"`
	Arrondissement string            `json:"arrondissement"`
	State          State             `json:"state"`
	Version        int               `json:"version"`
	FiledAt        time.Time         `json:"filed_at"`
	AckDue         time.Time         `json:"acknowledge_due"`
	ResolveDue     time.Time         `json:"resolve_due"`
	PlannedFor     string            `json:"planned_for,omitempty"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time        `json:"resolved_at,omitempty"`
	ClosedAt       *time.Time        `json:"closed_at,omitempty"`
	Lat            *float64          `json:"lat,omitempty"`
	Lon            *float64          `json:"lon,omitempty"`
	Address        string            `json:"address,omitempty"`
	Description    string            `json:"description"`
	Answers        map[string]string `json:"answers"`
	Contact        string            `json:"contact"`
	PublicAnswer   string            `json:"public_answer,omitempty"`
	Held           bool              `json:"held"`
	// Overdue: still open past its deadline (to acknowledge, then to
	// resolve) now.
	Overdue    bool        `json:"overdue"`
	MergedInto *int64      `json:"merged_into,omitempty"`
	CoReported bool        `json:"co_reported"`
	Photos     []PhotoJSON `json:"photos"`
	WorkPhotos []PhotoJSON `json:"work_photos"`
	Rating     *RatingJSON `json:"rating,omitempty"`
	Events     []EventJSON `json:"events,omitempty"`
}

// PhotoJSON is a photo of a request.
type PhotoJSON struct {
	Position int    `json:"position"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Size     int64  `json:"size"`
	URL      string `json:"url"`
}

// RatingJSON is the reporter's rating of the answer.
type RatingJSON struct {
	Stars   int       `json:"stars"`
	Comment string    `json:"comment"`
	RatedAt time.Time `json:"rated_at"`
}

// RateJSON is a rating as the reporter gives it.
type RateJSON struct {
	Stars   int    `json:"stars"`
	Comment string `json:"comment" text:"multiline"`
}

// EventJSON is a line of a request's history.
type EventJSON struct {
	At     time.Time `json:"at"`
	Change Change    `json:"change"`
	From   State     `json:"from,omitempty"`
	To     State     `json:"to"`
	Note   string    `json:"note,omitempty"`
	// PlannedFor: a plan's day (YYYY-MM-DD, Casablanca).
	PlannedFor string `json:"planned_for,omitempty"`
}

// ChangeJSON is a change on a request at the version the caller saw (0:
// whatever it is now), with its note. The reporter's: reply (to the
// team's question), reopen (not fixed). The team's: acknowledge, start,
// plan (PlannedFor), ask, resolve (the public answer; Photo, the work
// done, optional), close, reassign (Organisation, Arrondissement),
// merge (Duplicate: the number of the request merged into this one),
// release (a request held for review).
type ChangeJSON struct {
	Change         Change `json:"change"`
	Note           string `json:"note" text:"multiline"`
	Version        int    `json:"version"`
	PlannedFor     string `json:"planned_for"`
	Organisation   string `json:"organisation"`
	Arrondissement string `json:"arrondissement"`
	Duplicate      string `json:"duplicate"`
	// Photo is a JPEG, PNG or WebP photo's bytes (JSON: base64).
	Photo []byte `json:"photo"`
}

func (h *Handlers) apiFile(w http.ResponseWriter, r *http.Request) error {
	a := authz.FromContext(r.Context()).Actor
	// Whoever may not file (no token scope, a staff account) learns it
	// before the body is read.
	if err := authz.Check(a, authz.FileRequest, authz.Resource{}); err != nil {
		return err
	}
	var in FilingJSON
	if err := httpx.DecodeJSON(r, &in, maxAPIFilingBody); err != nil {
		return err
	}
	if len(in.Photos) > MaxPhotos {
		return errs.E(errs.Invalid, "complaint.error.photo_count").With("max", MaxPhotos).OnField("photos")
	}
	hold, err := h.floodLimits(r, "person:"+strconv.FormatInt(a.Person, 10))
	if err != nil {
		return err
	}
	coord := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	input := Input{Category: in.Category, Lat: coord(in.Lat), Lon: coord(in.Lon), Address: in.Address,
		Arrondissement: in.Arrondissement, Description: in.Description, Contact: in.Contact, Answers: in.Answers, Hold: hold}
	if input.Answers == nil {
		input.Answers = map[string]string{}
	}
	for _, b := range in.Photos {
		input.Photos = append(input.Photos, bytes.NewReader(b))
	}
	x, err := h.Service.File(r.Context(), a, input)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/requests/"+strconv.FormatInt(x.ID, 10))
	return h.apiView(w, r, http.StatusCreated, a, x.ID)
}

func (h *Handlers) apiMine(w http.ResponseWriter, r *http.Request) error {
	a := authz.FromContext(r.Context()).Actor
	mine, err := h.Service.Mine(r.Context(), a)
	if err != nil {
		return err
	}
	following, err := h.Service.Following(r.Context(), a)
	if err != nil {
		return err
	}
	out := make([]RequestJSON, 0, len(mine)+len(following))
	for _, x := range mine {
		out = append(out, h.requestJSON(x, nil))
	}
	for _, x := range following {
		j := h.requestJSON(x, nil)
		j.CoReported = true
		out = append(out, j)
	}
	httpx.Private(r)
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	return h.apiView(w, r, http.StatusOK, authz.FromContext(r.Context()).Actor, id)
}

func (h *Handlers) apiChange(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	var in ChangeJSON
	if err := httpx.DecodeJSON(r, &in, maxAPIChangeBody); err != nil {
		return err
	}
	a := authz.FromContext(r.Context()).Actor
	c := changeInput{Change: in.Change, Version: in.Version, Note: in.Note, PlannedFor: in.PlannedFor,
		Organisation: in.Organisation, Arrondissement: in.Arrondissement, Duplicate: in.Duplicate}
	if len(in.Photo) > 0 {
		if in.Change != CResolve {
			return errs.E(errs.Invalid, "complaint.error.photo_resolve").OnField("photo")
		}
		c.Photo = bytes.NewReader(in.Photo)
	}
	x, err := h.apply(r.Context(), a, id, c)
	if err != nil {
		return err
	}
	if _, _, err := h.Service.Get(r.Context(), a, x.ID); errs.Is(err, errs.NotFound) {
		// Reassigned to a team the officer is not in: said, not shown.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return h.apiView(w, r, http.StatusOK, a, x.ID)
}

// apiQueue is the team's queue (overdue first, those waiting on the
// citizen last) or, at /team/held, the requests held for review, of the
// organisation asked for — or the one the officer handles.
func (h *Handlers) apiQueue(w http.ResponseWriter, r *http.Request) error {
	a := authz.FromContext(r.Context()).Actor
	org := r.URL.Query().Get("organisation")
	if org == "" {
		for _, g := range a.Grants {
			if g.Role != authz.ComplaintOfficer || g.Org == org {
				continue
			}
			if org != "" {
				return errs.E(errs.Invalid, "complaint.error.team_org").OnField("organisation")
			}
			org = g.Org
		}
	}
	list := h.Service.Queue
	if strings.HasSuffix(r.URL.Path, "/held") {
		list = h.Service.Held
	}
	xs, err := list(r.Context(), a, org)
	if err != nil {
		return err
	}
	now := h.Service.now()
	out := make([]RequestJSON, 0, len(xs))
	for _, x := range xs {
		j := h.requestJSON(x, nil)
		j.Overdue = x.Overdue(now)
		out = append(out, j)
	}
	httpx.Private(r)
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handlers) apiRate(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	var in RateJSON
	if err := httpx.DecodeJSON(r, &in, 16<<10); err != nil {
		return err
	}
	a := authz.FromContext(r.Context()).Actor
	if err := h.Service.Rate(r.Context(), a, id, in.Stars, in.Comment); err != nil {
		return err
	}
	return h.apiView(w, r, http.StatusOK, a, id)
}

// apiView answers request id as a sees it, with its history.
func (h *Handlers) apiView(w http.ResponseWriter, r *http.Request, status int, a authz.Actor, id int64) error {
	x, evs, err := h.Service.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	out := h.requestJSON(x, evs)
	out.CoReported = x.Reporter != a.Person && slices.Contains(x.CoReporters, a.Person)
	out.Overdue = x.Overdue(h.Service.now())
	rt, err := h.Service.RatingOf(r.Context(), id)
	if err != nil {
		return err
	}
	if rt != nil {
		out.Rating = &RatingJSON{Stars: rt.Stars, Comment: rt.Comment, RatedAt: rt.RatedAt}
	}
	httpx.Private(r)
	h.Resp.JSON(w, r, status, out)
	return nil
}

// photosJSON lists request id's photos ps, under its path kind.
func photosJSON(id int64, kind string, ps []Photo) []PhotoJSON {
	out := make([]PhotoJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, PhotoJSON{Position: p.Position, Width: p.Width, Height: p.Height, Size: p.Size,
			URL: "/api/v1/requests/" + strconv.FormatInt(id, 10) + "/" + kind + "/" + strconv.Itoa(p.Position)})
	}
	return out
}

// requestJSON is x for the API, with evs as its history.
func (h *Handlers) requestJSON(x *Request, evs []Event) RequestJSON {
	out := RequestJSON{ID: x.ID, Number: x.Number, TrackingCode: x.TrackingCode, Category: x.Category,
		Arrondissement: x.Arrondissement, State: x.State, Version: x.Version, FiledAt: x.FiledAt, AckDue: x.AckDue,
		ResolveDue: x.ResolveDue, AcknowledgedAt: x.AcknowledgedAt, ResolvedAt: x.ResolvedAt, ClosedAt: x.ClosedAt,
		Lat: x.Lat, Lon: x.Lon, Address: x.Address, Description: x.Description, Answers: x.Answers, Contact: x.Contact,
		PublicAnswer: x.PublicAnswer, Held: x.HeldAt != nil}
	if out.Answers == nil {
		out.Answers = map[string]string{}
	}
	if k, ok := h.Service.cat.Category(x.Category); ok {
		out.CategoryName = k.Name
	}
	if x.PlannedFor != nil {
		out.PlannedFor = calendar.DateOf(*x.PlannedFor).String()
	}
	if x.MergedInto != 0 {
		m := x.MergedInto
		out.MergedInto = &m
	}
	out.Photos, out.WorkPhotos = photosJSON(x.ID, "photos", x.Photos), photosJSON(x.ID, "work-photos", x.WorkPhotos)
	if evs != nil {
		out.Events = make([]EventJSON, 0, len(evs))
		for _, e := range evs {
			ej := EventJSON{At: e.At, Change: e.Kind, From: e.From, To: e.To, Note: e.Note}
			if e.Planned != nil {
				ej.PlannedFor = calendar.DateOf(*e.Planned).String()
			}
			out.Events = append(out.Events, ej)
		}
	}
	return out
}

// TypeJSON is a request type as the API gives it.
type TypeJSON struct {
	Code         string    `json:"code"`
	Name         i18n.Text `json:"name"`
	Team         i18n.Text `json:"team"`
	Routing      string    `json:"routing"`
	Organisation string    `json:"organisation,omitempty"`
	// Arrondissements: where a category of some arrondissements only is
	// handled (none: the whole city).
	Arrondissements []string    `json:"arrondissements,omitempty"`
	Location        string      `json:"location"`
	Photo           string      `json:"photo"`
	Acknowledge     int         `json:"acknowledge_days"`
	Resolve         int         `json:"resolve_days"`
	Private         bool        `json:"private"`
	Fields          []FieldJSON `json:"fields"`
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
		t := TypeJSON{Code: k.Code, Name: k.Name, Team: k.Team, Routing: k.Routing, Organisation: k.Organisation, Arrondissements: k.Arrondissements,
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
	PlannedFor     string           `json:"planned_for,omitempty"`
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
	if t.PlannedFor != nil && t.State.Open() {
		out.PlannedFor = calendar.DateOf(*t.PlannedFor).String()
	}
	for _, e := range t.Events {
		out.Events = append(out.Events, TrackEventJSON{At: e.At, Change: e.Kind, To: e.To, Note: e.Note})
	}
	httpx.Private(r) // one request's history
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}
