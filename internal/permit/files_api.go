package permit

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/web"
)

// FileHandlers serve permit files: the applicant's and the window's pages,
// the public tracking page, and the same in the JSON API.
type FileHandlers struct {
	Service *Service
	Cat     *i18n.Catalog
	Web     *web.Renderer
	Resp    *httpx.Responder
	// Track limits public tracking look-ups per client address.
	Track *ratelimit.Limiter
}

// APIRoutes registers the files API. Window work (accept, return, decide,
// extend) is not in it: the policy keeps staff actions to browser sessions
// that passed the second factor, which API tokens are not.
func (h *FileHandlers) APIRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /api/v1/files", h.apiList)
	rt.HandleErr("POST /api/v1/files", h.apiCreate)
	rt.HandleErr("GET /api/v1/files/{id}", h.apiGet)
	rt.HandleErr("PUT /api/v1/files/{id}", h.apiUpdate)
	rt.HandleLargeErr("POST /api/v1/files/{id}/documents/{item}", MaxUpload+1<<20, h.apiUpload)
	rt.HandleErr("GET /api/v1/files/{id}/documents/{doc}", h.apiDownload)
	rt.HandleErr("DELETE /api/v1/files/{id}/documents/{doc}", h.apiRemove)
	rt.HandleErr("POST /api/v1/files/{id}/documents/{doc}/signature", h.apiSign)
	rt.HandleErr("POST /api/v1/files/{id}/submit", h.apiSubmit)
	rt.HandleErr("POST /api/v1/files/{id}/withdraw", h.apiWithdraw)
	rt.HandleErr("POST /api/v1/files/{id}/answer", h.apiAnswer)
	rt.HandleErr("GET /api/v1/files/{id}/slots", h.apiSlots)
	rt.HandleErr("PUT /api/v1/files/{id}/appointment", h.apiBook)
	rt.HandleErr("DELETE /api/v1/files/{id}/appointment", h.apiCancel)
	rt.HandleErr("GET /api/v1/files/{id}/receipt", h.receipt)
	rt.HandleErr("GET /files/{id}/receipt.pdf", h.receipt)
	rt.HandleErr("GET /api/v1/files/{id}/decision", h.decision)
	rt.HandleErr("GET /files/{id}/decision.pdf", h.decision)
	rt.HandleErr("GET /api/v1/track", h.apiTrack)
}

// receipt sends an accepted file's PDF receipt (API and browser alike).
func (h *FileHandlers) receipt(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	b, name, err := h.Service.Receipt(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	httpx.Attachment(w, name, "application/pdf")
	w.Header().Set("Cache-Control", "private, no-cache")
	_, _ = w.Write(b)
	return nil
}

// decision sends a decided economic file's decision as PDF (API and
// browser alike).
func (h *FileHandlers) decision(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	b, name, err := h.Service.Decision(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	httpx.Attachment(w, name, "application/pdf")
	w.Header().Set("Cache-Control", "private, no-cache")
	_, _ = w.Write(b)
	return nil
}

// actor is the request's actor, as identity's middleware set it.
func actor(r *http.Request) authz.Actor { return authz.FromContext(r.Context()).Actor }

// fileID reads the {id} path value; a malformed one is simply not found.
func fileID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "permit.error.file_not_found")
	}
	return id, nil
}

// FileJSON is a file as the API shows it.
type FileJSON struct {
	ID             int64          `json:"id"`
	Ref            string         `json:"ref"`
	Number         string         `json:"number,omitempty"`
	TrackingCode   string         `json:"tracking_code"`
	Kind           string         `json:"kind"`
	Family         string         `json:"family"`
	OwnerPerson    int64          `json:"owner_person,omitempty"`
	OwnerLegal     int64          `json:"owner_legal,omitempty"`
	State          State          `json:"state"`
	Step           string         `json:"step,omitempty"`
	Holder         string         `json:"holder"`
	Title          string         `json:"title"`
	Address        string         `json:"address"`
	Arrondissement string         `json:"arrondissement,omitempty"`
	Location       any            `json:"location,omitempty"`
	Fields         Values         `json:"fields"`
	Parties        []Party        `json:"parties"`
	Window         string         `json:"window,omitempty"`
	DueAt          *time.Time     `json:"due_at,omitempty"`
	DecisionReason string         `json:"decision_reason,omitempty"`
	Tacit          bool           `json:"tacit,omitempty"`
	Version        int            `json:"version"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	SubmittedAt    *time.Time     `json:"submitted_at,omitempty"`
	AcceptedAt     *time.Time     `json:"accepted_at,omitempty"`
	ClosedAt       *time.Time     `json:"closed_at,omitempty"`
	Checklist      []checkJSON    `json:"checklist,omitempty"`
	Missing        []string       `json:"missing,omitempty"`
	Deadlines      []StepDeadline `json:"deadlines,omitempty"`
	Events         []Event        `json:"events,omitempty"`
	Appointment    *Appointment   `json:"appointment,omitempty"`
	Route          *routeJSON     `json:"route,omitempty"`
	Actions        []string       `json:"actions,omitempty"`
}

type checkJSON struct {
	Item     string   `json:"item"`
	Name     Text     `json:"name"`
	Types    []string `json:"types"`
	Required bool     `json:"required"`
	Latest   *Upload  `json:"latest,omitempty"`
	Versions []Upload `json:"versions,omitempty"`
	Several  bool     `json:"several,omitempty"`
	Current  []Upload `json:"current,omitempty"`
}

type routeJSON struct {
	Window      string `json:"window_kind"`
	Rule        string `json:"rule"`
	Explanation Text   `json:"explanation"`
}

func fileJSON(f *File) FileJSON {
	out := FileJSON{ID: f.ID, Ref: f.Ref, Number: f.Number, TrackingCode: f.TrackingCode, Kind: f.Kind, Family: f.Family,
		OwnerPerson: f.OwnerPerson, OwnerLegal: f.OwnerLegal, State: f.State, Step: f.Step, Holder: f.Holder,
		Title: f.Title, Address: f.Address, Arrondissement: f.Arrondissement, Fields: f.Fields, Parties: f.Parties,
		Window: f.Window, DueAt: f.DueAt, DecisionReason: f.DecisionReason, Tacit: f.Tacit, Version: f.Version,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, SubmittedAt: f.SubmittedAt, AcceptedAt: f.AcceptedAt, ClosedAt: f.ClosedAt}
	if out.Parties == nil {
		out.Parties = []Party{}
	}
	if out.Fields == nil {
		out.Fields = Values{}
	}
	if f.Location != "" {
		out.Location = json.RawMessage(f.Location)
	}
	return out
}

func viewJSON(v *View) FileJSON {
	out := fileJSON(v.File)
	for _, it := range v.Checklist {
		c := checkJSON{Item: it.Code, Name: it.Name, Types: it.Types, Required: it.Needed, Latest: it.Latest,
			Several: it.Several, Current: it.Current}
		for _, d := range v.Documents {
			if d.Item == it.Code {
				c.Versions = append(c.Versions, d)
			}
		}
		out.Checklist = append(out.Checklist, c)
	}
	out.Missing, out.Deadlines, out.Events, out.Appointment = v.Missing, v.Deadlines, v.Events, v.Appointment
	if v.Route != nil {
		out.Route = &routeJSON{Window: v.Route.Window, Rule: v.Route.Rule, Explanation: v.Route.Explanation}
	}
	for _, t := range Transitions {
		if v.Can[t.Name] {
			out.Actions = append(out.Actions, t.Name)
		}
	}
	if v.Can["book"] {
		out.Actions = append(out.Actions, "book")
	}
	return out
}

// InputJSON is what the API takes to create or change a draft.
type InputJSON struct {
	Kind           string          `json:"kind"`
	OwnerPerson    int64           `json:"owner_person"`
	OwnerLegal     int64           `json:"owner_legal"`
	Title          string          `json:"title"`
	Address        string          `json:"address"`
	Arrondissement string          `json:"arrondissement"`
	Location       json.RawMessage `json:"location"`
	Lat            json.Number     `json:"lat"`
	Lon            json.Number     `json:"lon"`
	Fields         map[string]any  `json:"fields" text:"multiline=*description,*note"` // see multiline
	Parties        []Party         `json:"parties"`
	Version        int             `json:"version"`
}

func (in InputJSON) input() (Input, error) {
	out := Input{Kind: in.Kind, OwnerPerson: in.OwnerPerson, OwnerLegal: in.OwnerLegal, Title: in.Title, Address: in.Address,
		Arrondissement: in.Arrondissement, Lat: in.Lat.String(), Lon: in.Lon.String(), Fields: Values{}, Parties: in.Parties}
	if len(in.Location) > 0 && string(in.Location) != "null" {
		out.GeoJSON = string(in.Location)
	}
	for k, v := range in.Fields {
		switch x := v.(type) {
		case string:
			out.Fields[k] = x
		case bool:
			out.Fields[k] = strconv.FormatBool(x)
		case float64:
			out.Fields[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
		default:
			return out, errs.E(errs.Invalid, "permit.error.field").OnField(k)
		}
	}
	return out, nil
}

func (h *FileHandlers) apiList(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.Service.Mine(r.Context(), actor(r))
	if err != nil {
		return err
	}
	out := make([]FileJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, fileJSON(f))
	}
	h.Resp.JSON(w, r, http.StatusOK, map[string]any{"files": out})
	return nil
}

func (h *FileHandlers) apiView(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	v, err := h.Service.View(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+strconv.Itoa(v.File.Version)+`"`)
	h.Resp.JSON(w, r, status, viewJSON(v))
	return nil
}

func (h *FileHandlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var in InputJSON
	if err := httpx.DecodeJSON(r, &in, 256<<10); err != nil {
		return err
	}
	input, err := in.input()
	if err != nil {
		return err
	}
	f, err := h.Service.Create(r.Context(), actor(r), input)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/files/"+strconv.FormatInt(f.ID, 10))
	return h.apiView(w, r, http.StatusCreated, f.ID)
}

func (h *FileHandlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	return h.apiView(w, r, http.StatusOK, id)
}

// version is the version the client saw: the body's, else If-Match.
func version(r *http.Request, body int) int {
	if body != 0 {
		return body
	}
	n, _ := strconv.Atoi(strings.Trim(r.Header.Get("If-Match"), `"W/`))
	return n
}

func (h *FileHandlers) apiUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	var in InputJSON
	if err := httpx.DecodeJSON(r, &in, 256<<10); err != nil {
		return err
	}
	input, err := in.input()
	if err != nil {
		return err
	}
	if _, err := h.Service.Update(r.Context(), actor(r), id, version(r, in.Version), input); err != nil {
		return err
	}
	return h.apiView(w, r, http.StatusOK, id)
}

// apiUpload takes the document as the raw request body; ?name= names it.
func (h *FileHandlers) apiUpload(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	up, err := h.Service.AddDocument(r.Context(), actor(r), id, r.PathValue("item"), r.URL.Query().Get("name"), r.Body)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusCreated, up)
	return nil
}

func (h *FileHandlers) apiDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	doc, err := fileID(r, "doc")
	if err != nil {
		return err
	}
	return h.serveDocument(w, r, id, doc)
}

// serveDocument sends an upload's bytes as an attachment of the type its
// bytes were checked to be, named to match (uploads kept before names
// were corrected at upload get theirs here).
func (h *FileHandlers) serveDocument(w http.ResponseWriter, r *http.Request, id, doc int64) error {
	up, rc, err := h.Service.Document(r.Context(), actor(r), id, doc)
	if err != nil {
		return err
	}
	defer rc.Close()
	httpx.Attachment(w, up.Name, up.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(up.Size, 10))
	w.Header().Set("Cache-Control", "private, max-age=3600, immutable")
	w.Header().Set("ETag", `"`+up.SHA256+`"`)
	_, _ = io.Copy(w, rc)
	return nil
}

type versionJSON struct {
	Version int `json:"version"`
}

// readVersion reads an optional {"version": n} body.
func readVersion(r *http.Request) (int, error) {
	if r.ContentLength == 0 {
		return version(r, 0), nil
	}
	var v versionJSON
	if err := httpx.DecodeJSON(r, &v, 4<<10); err != nil {
		return 0, err
	}
	return version(r, v.Version), nil
}

func (h *FileHandlers) apiTransition(w http.ResponseWriter, r *http.Request, do func(id int64, version int) error) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	ver, err := readVersion(r)
	if err != nil {
		return err
	}
	if err := do(id, ver); err != nil {
		return err
	}
	return h.apiView(w, r, http.StatusOK, id)
}

func (h *FileHandlers) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	return h.apiTransition(w, r, func(id int64, v int) error {
		_, err := h.Service.Submit(r.Context(), actor(r), id, v)
		return err
	})
}

func (h *FileHandlers) apiAnswer(w http.ResponseWriter, r *http.Request) error {
	return h.apiTransition(w, r, func(id int64, v int) error {
		_, err := h.Service.Answer(r.Context(), actor(r), id, v)
		return err
	})
}

func (h *FileHandlers) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	return h.apiTransition(w, r, func(id int64, v int) error {
		_, err := h.Service.Withdraw(r.Context(), actor(r), id, v)
		return err
	})
}

// SlotJSON is a deposit slot.
type SlotJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Free  int       `json:"free"`
}

func (h *FileHandlers) apiSlots(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	f, err := h.Service.Get(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	if f.State != Submitted {
		return errs.E(errs.Conflict, "permit.error.book_state")
	}
	slots, err := h.Service.Slots(r.Context(), f.Window)
	if err != nil {
		return err
	}
	out := make([]SlotJSON, 0, len(slots))
	for _, s := range slots {
		if s.Free > 0 {
			out = append(out, SlotJSON{Start: s.Start, End: s.End, Free: s.Free})
		}
	}
	h.Resp.JSON(w, r, http.StatusOK, map[string]any{"window": f.Window, "slots": out})
	return nil
}

func (h *FileHandlers) apiBook(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Start   time.Time `json:"start"`
		Version int       `json:"version"`
	}
	if err := httpx.DecodeJSON(r, &in, 4<<10); err != nil {
		return err
	}
	if in.Start.IsZero() {
		return errs.E(errs.Invalid, "permit.error.slot_unknown").OnField("start")
	}
	if _, err := h.Service.Book(r.Context(), actor(r), id, version(r, in.Version), in.Start); err != nil {
		return err
	}
	return h.apiView(w, r, http.StatusOK, id)
}

func (h *FileHandlers) apiCancel(w http.ResponseWriter, r *http.Request) error {
	return h.apiTransition(w, r, func(id int64, v int) error {
		return h.Service.CancelAppointment(r.Context(), actor(r), id, v)
	})
}

// TrackJSON is the public status of a file.
type TrackJSON struct {
	File      string     `json:"file"`
	Kind      string     `json:"kind"`
	KindName  Text       `json:"kind_name"`
	State     State      `json:"state"`
	Step      string     `json:"step,omitempty"`
	StepName  *Text      `json:"step_name,omitempty"`
	Holder    string     `json:"holder"`
	Window    *Text      `json:"window,omitempty"`
	DueAt     *time.Time `json:"due_at,omitempty"`
	Submitted *time.Time `json:"submitted_at,omitempty"`
	Events    []Event    `json:"events"`
}

// limited applies the tracking rate limit to the client.
func (h *FileHandlers) limited(r *http.Request) error {
	if h.Track == nil {
		return nil
	}
	if ok, wait := h.Track.Allow(httpx.ClientIP(r)); !ok {
		secs := max(1, int(wait.Seconds()))
		return errs.E(errs.TooMany, "permit.error.rate").With("minutes", (secs+59)/60)
	}
	return nil
}

func (h *FileHandlers) apiTrack(w http.ResponseWriter, r *http.Request) error {
	if err := h.limited(r); err != nil {
		return err
	}
	t, err := h.Service.PublicStatus(r.Context(), r.URL.Query().Get("number"), r.URL.Query().Get("code"))
	if err != nil {
		return err
	}
	out := TrackJSON{File: t.Display, Kind: t.Kind.Code, KindName: t.Kind.Name, State: t.State, Step: t.Step, Holder: t.Holder,
		DueAt: t.DueAt, Submitted: t.Submitted, Events: t.Events}
	if t.Step != "" {
		n := h.Service.Catalogue().StepName(t.Step)
		out.StepName = &n
	}
	if t.Window != nil {
		out.Window = &t.Window.Name
	}
	if out.Events == nil {
		out.Events = []Event{}
	}
	httpx.Private(r) // one file's timeline
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}
