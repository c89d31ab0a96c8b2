package complaint

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// Open311 GeoReport v2, the write side: POST requests with the api_key
// staff gave the client, tokens/{token}, and the servicerequestupdates
// extension FixMyStreet's clients read. Errors in the standard format and
// the request's language, one {code, description} per mistake, nothing
// written unless all is right (Service.File does the checking, as for a
// citizen's form).

// ArrondissementAttribute is the attribute every service definition
// carries for where the request is: one of the arrondissements' codes.
// A point the territorial reference can place does without it.
const ArrondissementAttribute = "arrondissement"

func (h *Handlers) open311WriteRoutes(rt *httpx.Router, o *open311) {
	for _, f := range []string{"json", "xml"} {
		rt.HandleErr("POST "+Open311Base+"/requests."+f, o.post(f), httpx.Multiline("description"))
		rt.HandleErr("GET "+Open311Base+"/servicerequestupdates."+f, o.updates(f))
		rt.HandleErr("POST "+Open311Base+"/servicerequestupdates."+f, o.postUpdate(f), httpx.Multiline("description"))
	}
	rt.HandleErr("GET "+Open311Base+"/tokens/{file}", o.token)
}

// o311Posted is the answer to a POST: the request's number at once (the
// request is created synchronously), with its token.
type o311Posted struct {
	XMLName       xml.Name `json:"-" xml:"request"`
	ID            string   `json:"service_request_id" xml:"service_request_id"`
	Token         string   `json:"token" xml:"token"`
	ServiceNotice string   `json:"service_notice" xml:"service_notice"`
	AccountID     string   `json:"account_id" xml:"account_id"`
}

// o311Param names, for a client, the parameter each of the service's
// fields came from.
func o311Param(field string) string {
	switch field {
	case "category":
		return "service_code"
	case "lon":
		return "long"
	case "address":
		return "address_string"
	case "photos":
		return "media_url"
	case "name":
		return "first_name"
	case "note":
		return "description"
	case ArrondissementAttribute:
		return "attribute[" + ArrondissementAttribute + "]"
	}
	if name, ok := strings.CutPrefix(field, "f-"); ok {
		return "attribute[" + name + "]"
	}
	return field
}

// failAll answers err as the standard error list: every field's mistake
// as one error naming its parameter, in the request's language.
func (o *open311) failAll(w http.ResponseWriter, r *http.Request, f string, err error) error {
	e := errs.As(err)
	if e == nil {
		return err
	}
	status := http.StatusBadRequest
	switch e.Kind {
	case errs.Unauthenticated, errs.Forbidden:
		status = http.StatusForbidden
	case errs.NotFound:
		status = http.StatusNotFound
	case errs.Invalid, errs.Conflict:
	default:
		return err
	}
	l := i18n.FromContext(r.Context())
	one := func(field, key string, params map[string]any) o311Error {
		d := o.cat.TMap(l, key, params)
		if field != "" {
			d = o311Param(field) + ": " + d
		}
		return o311Error{Code: status, Description: d}
	}
	list := []o311Error{one(e.Field, e.Key, e.Params)}
	for _, ft := range e.Faults {
		list = append(list, one(ft.Field, ft.Key, ft.Params))
	}
	return write(w, status, f, "errors", list)
}

func (o *open311) post(f string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		httpx.Private(r)
		if !o.jurisdiction(w, r, f) {
			return nil
		}
		a, err := o.s.Open311Actor(r.Context(), r.FormValue("api_key"))
		if err != nil {
			return o.failAll(w, r, f, err)
		}
		code := strings.TrimSpace(r.FormValue("service_code"))
		k, ok := o.s.cat.Category(code)
		if !ok {
			if code == "" {
				return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.service_code_missing")
			}
			return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.service_code", "code", code)
		}
		in := Input{Category: k.Code, Lat: r.FormValue("lat"), Lon: r.FormValue("long"), Address: r.FormValue("address_string"),
			Description: r.FormValue("description"), Contact: ContactInbox, Answers: map[string]string{},
			Via: Open311Person{Name: strings.TrimSpace(r.FormValue("first_name") + " " + r.FormValue("last_name")),
				Email: r.FormValue("email"), Phone: r.FormValue("phone"), Device: r.FormValue("device_id")}}
		// The attributes: those of the service definition, one value each.
		var unknown []o311Error
		l := i18n.FromContext(r.Context())
		for name, vs := range r.Form {
			attr, ok := strings.CutPrefix(name, "attribute[")
			if !ok {
				continue
			}
			attr = strings.TrimSuffix(strings.TrimSuffix(attr, "[]"), "]")
			known := attr == ArrondissementAttribute || slices.ContainsFunc(k.Fields, func(fd Field) bool { return fd.Name == attr })
			switch {
			case !known:
				unknown = append(unknown, o311Error{Code: http.StatusBadRequest,
					Description: o.cat.T(l, "complaint.open311.attribute", "code", attr, "service", k.Code)})
			case len(vs) != 1:
				unknown = append(unknown, o311Error{Code: http.StatusBadRequest,
					Description: o.cat.T(l, "complaint.open311.attribute_values", "code", attr)})
			case attr == ArrondissementAttribute:
				in.Arrondissement = vs[0]
			default:
				in.Answers[attr] = vs[0]
			}
		}
		if len(unknown) > 0 {
			slices.SortFunc(unknown, func(a, b o311Error) int { return strings.Compare(a.Description, b.Description) })
			return write(w, http.StatusBadRequest, f, "errors", unknown)
		}
		if in.Address == "" && r.FormValue("address_id") != "" {
			in.Address = r.FormValue("address_id")
		}
		if raw := strings.TrimSpace(r.FormValue("media_url")); raw != "" && o.media != nil {
			b, err := fetchMedia(r.Context(), o.media, raw)
			if err != nil {
				return o.failAll(w, r, f, err)
			}
			in.Photos = []io.Reader{bytes.NewReader(b)}
		}
		in.Hold = o.flood(a.Open311Client, in.Via)
		x, err := o.s.File(r.Context(), a, in)
		if err != nil {
			return o.failAll(w, r, f, err)
		}
		return write(w, http.StatusCreated, f, "service_requests", []o311Posted{{ID: x.Number, Token: x.Open311Token,
			ServiceNotice: o.cat.T(l, "complaint.open311.notice", "ack", k.Service.Acknowledge, "resolve", k.Service.Resolve)}})
	}
}

// flood says why a client's post waits for review ("device", "account")
// or "" when it is within the limits: past twenty a day from one of its
// devices, or for one person it names by e-mail or phone.
func (o *open311) flood(client int64, via Open311Person) string {
	if o.device == nil {
		return ""
	}
	for _, k := range []struct{ why, key string }{{"device", strings.TrimSpace(via.Device)},
		{"account", strings.ToLower(strings.TrimSpace(via.Email))}, {"account", textnorm.Digits(strings.Join(strings.Fields(via.Phone), ""))}} {
		if k.key == "" {
			continue
		}
		if ok, _ := o.device.Allow("o311:" + strconv.FormatInt(client, 10) + ":" + k.why + ":" + k.key); !ok {
			return k.why
		}
	}
	return ""
}

// postUpdate takes what a client sends for a request it posted, by the
// updates extension (POST servicerequestupdates: service_request_id,
// description, status): the person's answer to the team's question while
// the request waits on them, or — status OPEN on a request resolved —
// "not fixed", which reopens it within the reopening window. The policy
// lets a client follow up only what it posted itself. Nothing else can
// be said this way: the team's work is the team's. The answer is the
// update's id, as the extension's GET lists it.
func (o *open311) postUpdate(f string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		httpx.Private(r)
		if !o.jurisdiction(w, r, f) {
			return nil
		}
		ctx := r.Context()
		a, err := o.s.Open311Actor(ctx, r.FormValue("api_key"))
		if err != nil {
			return o.failAll(w, r, f, err)
		}
		number := strings.TrimSpace(r.FormValue("service_request_id"))
		if number == "" {
			return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.update_request_missing")
		}
		x, err := request(ctx, o.s.db, "number", number)
		if err == nil {
			err = authz.Check(a, authz.ReadRequest, x.Resource()) // the policy: its own only
		}
		if err != nil {
			if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Unauthenticated) {
				return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.not_found", "id", number)
			}
			return err
		}
		var c Change
		switch status := strings.ToUpper(strings.TrimSpace(r.FormValue("status"))); {
		case x.State == Waiting && status != "CLOSED":
			c = CReply
		case x.State == Resolved && status == "OPEN":
			c = CReopen
		default:
			return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.update_nothing", "state", updateStatus[x.State])
		}
		if _, err := o.s.Move(ctx, a, x.ID, 0, c, r.FormValue("description")); err != nil {
			return o.failAll(w, r, f, err)
		}
		var id int64
		if err := o.s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM complaint_events WHERE request_id = $1 AND kind = $2`, x.ID, c).Scan(&id); err != nil {
			return err
		}
		return write(w, http.StatusCreated, f, "service_request_updates", []o311PostedUpdate{{UpdateID: strconv.FormatInt(id, 10)}})
	}
}

// o311PostedUpdate is the answer to a posted update: its id.
type o311PostedUpdate struct {
	XMLName  xml.Name `json:"-" xml:"request_update"`
	UpdateID string   `json:"update_id" xml:"update_id"`
}

// o311Token answers tokens/{token}.
type o311Token struct {
	XMLName xml.Name `json:"-" xml:"request"`
	ID      string   `json:"service_request_id" xml:"service_request_id"`
	Token   string   `json:"token" xml:"token"`
}

func (o *open311) token(w http.ResponseWriter, r *http.Request) error {
	tok, f, ok := format(r.PathValue("file"))
	if !ok {
		return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.format")
	}
	if !o.jurisdiction(w, r, f) {
		return nil
	}
	var number string
	err := o.s.db.QueryRowContext(r.Context(), `SELECT number FROM complaint_requests WHERE open311_token = $1`, strings.ToLower(tok)).Scan(&number)
	if err != nil {
		return o.fail(w, r, f, http.StatusNotFound, "complaint.open311.token", "token", tok)
	}
	return write(w, http.StatusOK, f, "service_requests", []o311Token{{ID: number, Token: strings.ToLower(tok)}})
}

// o311Update is one update of the servicerequestupdates extension: a
// change of a request, as its history shows it publicly.
type o311Update struct {
	XMLName     xml.Name `json:"-" xml:"request_update"`
	UpdateID    string   `json:"update_id" xml:"update_id"`
	RequestID   string   `json:"service_request_id" xml:"service_request_id"`
	Status      string   `json:"status" xml:"status"`
	Updated     string   `json:"updated_datetime" xml:"updated_datetime"`
	Description string   `json:"description" xml:"description"`
	MediaURL    string   `json:"media_url" xml:"media_url"`
}

// updateStatus is the extension's word for a state.
var updateStatus = map[State]string{Received: "OPEN", Acknowledged: "INVESTIGATING", InProgress: "IN_PROGRESS",
	Waiting: "ACTION_SCHEDULED", Resolved: "FIXED", Closed: "CLOSED", Reopened: "REOPEN"}

// updates lists the changes of requests between start_date and end_date
// (the last day when neither is given), oldest first, paged. What a
// change says publicly: the team's notes; the citizen's, masked; nothing
// of a private-life request but its states and its public answer.
func (o *open311) updates(f string) httpx.ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !o.jurisdiction(w, r, f) {
			return nil
		}
		q := r.URL.Query()
		now := o.s.now().UTC()
		start, end := now.AddDate(0, 0, -1), now
		for _, p := range []struct {
			name string
			to   *time.Time
		}{{"start_date", &start}, {"end_date", &end}} {
			if v := q.Get(p.name); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.date", "name", p.name)
				}
				*p.to = t.UTC()
			}
		}
		if end.Before(start) {
			return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.date_order")
		}
		page, size, bad, most := paging(q)
		if bad != "" {
			return o.fail(w, r, f, http.StatusBadRequest, "complaint.open311.paging", "name", bad, "max", most)
		}
		rows, err := o.s.db.QueryContext(r.Context(), `SELECT e.id, r.number, e.at, e.kind, e.to_state, e.note, r.private
			FROM complaint_events e JOIN complaint_requests r ON r.id = e.request_id
			WHERE e.at >= $1 AND e.at <= $2 AND r.held_at IS NULL ORDER BY e.at, e.id LIMIT `+strconv.Itoa(size)+` OFFSET `+strconv.Itoa((page-1)*size),
			start, end)
		if err != nil {
			return err
		}
		defer rows.Close()
		out := []o311Update{}
		for rows.Next() {
			var id int64
			var u o311Update
			var at time.Time
			var kind Change
			var to State
			var note string
			var private bool
			if err := rows.Scan(&id, &u.RequestID, &at, &kind, &to, &note, &private); err != nil {
				return err
			}
			u.UpdateID, u.Updated, u.Status = strconv.FormatInt(id, 10), iso(at), updateStatus[to]
			switch kind {
			case CResolve, CClose, CPlan:
				u.Description = note // the public answer, the plan's message
			case CAsk, CReply, CReopen:
				if !private {
					u.Description = MaskContacts(note)
				}
			}
			out = append(out, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return write(w, http.StatusOK, f, "service_request_updates", out)
	}
}
