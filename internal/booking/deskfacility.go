package booking

import (
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
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// The desk's pages of a facility besides its rules: the opening hours
// and slot length, the closures and seasons, the priority groups. Each
// is a plain form on the facility's version; the service checks the
// policy and the whole facility again.

// managed reads the facility of the request's path for one of its
// managers (a request-type service has none of these pages).
func (h *Handlers) managed(r *http.Request, a authz.Actor) (*Facility, int, error) {
	f, version, err := h.Service.Facility(r.Context(), r.PathValue("code"))
	if err != nil {
		return nil, 0, err
	}
	if err := authz.Check(a, authz.ManageBooking, authz.Resource{Org: f.Organisation, Arrondissement: f.Arrondissement}); err != nil {
		return nil, 0, err
	}
	if f.Request() {
		return nil, 0, errs.E(errs.NotFound, "booking.error.facility")
	}
	return f, version, nil
}

// tabs are the facility's desk pages, current the one shown.
func (h *Handlers) tabs(r *http.Request, code, current string) map[string]any {
	var tabs []map[string]any
	for _, p := range []string{"rules", "hours", "closures", "groups", "photos"} {
		href := "/bookings/desk/facilities/" + url.PathEscape(code)
		if p != "rules" {
			href += "/" + p
		}
		tabs = append(tabs, map[string]any{"Href": href, "Text": h.t(r, "booking.rules.nav."+p), "Current": p == current})
	}
	return map[string]any{"Label": h.t(r, "booking.rules.nav"), "Tabs": tabs}
}

// onFields puts each fault of a refusal on the form's field that fieldOf
// names (fallback when it names none); other errors pass unchanged.
func onFields(err error, fieldOf func(errs.Fault) string, fallback string) error {
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		return err
	}
	var faults []errs.Fault
	first := errs.Fault{Field: e.Field, Key: e.Key, Params: e.Params}
	for _, ft := range append([]errs.Fault{first}, e.Faults...) {
		if f := fieldOf(ft); f != "" {
			ft.Field = f
		} else if ft.Field == "" || ft.Field == "rules" {
			ft.Field = fallback
		}
		faults = append(faults, ft)
	}
	return (&errs.Error{Kind: errs.Invalid, Key: faults[0].Key, Params: faults[0].Params, Field: faults[0].Field}).WithFaults(faults[1:]...)
}

// saved redirects to page p of the facility with its done message.
func saved(w http.ResponseWriter, r *http.Request, code, p, done string) {
	http.Redirect(w, r, "/bookings/desk/facilities/"+url.PathEscape(code)+"/"+p+"?done="+done, http.StatusSeeOther)
}

// deskDone is the success message of the facility's desk pages.
func deskDone(name string) string {
	if slices.Contains([]string{"hours", "closure", "closure_cancelled", "closure_removed", "season", "season_removed", "group",
		"group_removed", "created"}, name) {
		return "booking.done." + name
	}
	return ""
}

// ---- Opening hours and slot length ----

func hoursForm(f *Facility) url.Values {
	v := url.Values{}
	v.Set("slot_minutes", strconv.Itoa(f.SlotMinutes))
	for _, o := range f.Hours {
		for _, d := range o.Days {
			v.Set("open_"+strconv.Itoa(d), o.Open)
			v.Set("close_"+strconv.Itoa(d), o.Close)
		}
	}
	return v
}

var hoursFields = []string{"slot_minutes", "open_1", "close_1", "open_2", "close_2", "open_3", "close_3", "open_4", "close_4",
	"open_5", "close_5", "open_6", "close_6", "open_7", "close_7"}

func (h *Handlers) renderHours(w http.ResponseWriter, r *http.Request, f *Facility, version int, form web.Form, err error) error {
	var days []map[string]any
	for d := 1; d <= 7; d++ {
		n := strconv.Itoa(d)
		days = append(days, map[string]any{"Label": h.t(r, "booking.day."+n), "Fields": []map[string]string{
			{"Name": "open_" + n, "Label": h.t(r, "booking.hours.open")}, {"Name": "close_" + n, "Label": h.t(r, "booking.hours.close")}}})
	}
	data := map[string]any{"Code": f.Code, "Name": f.Name.Pick(h.lang(r)), "Version": version, "Days": days, "Tabs": h.tabs(r, f.Code, "hours"),
		"Done": deskDone(r.URL.Query().Get("done")), "Form": form}
	title := web.Msg("booking.hours.title", "name", f.Name.Pick(h.lang(r)))
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/hours", title, data, form, err)
	}
	h.Web.Render(w, r, http.StatusOK, "booking/hours", title, data)
	return nil
}

func (h *Handlers) hours(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	f, version, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	return h.renderHours(w, r, f, version, web.Form{Values: hoursForm(f), Order: hoursFields}, nil)
}

func (h *Handlers) saveHours(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := signedIn(w, r, "/bookings/desk/facilities/"+url.PathEscape(code)+"/hours")
	if v == nil {
		return nil
	}
	f, version, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	values := url.Values{}
	for _, k := range hoursFields {
		values.Set(k, strings.TrimSpace(textnorm.Digits(r.PostFormValue(k))))
	}
	form := web.Form{Values: values, Order: hoursFields}
	var fe errs.Fields
	minutes, err := strconv.Atoi(values.Get("slot_minutes"))
	if err != nil {
		_ = fe.Add(errs.E(errs.Invalid, "booking.rules.number").OnField("slot_minutes"))
	}
	// Days with the same hours share an opening.
	var hours []Opening
	for d := 1; d <= 7; d++ {
		n := strconv.Itoa(d)
		o, c := values.Get("open_"+n), values.Get("close_"+n)
		switch {
		case o == "" && c == "":
			continue
		case o == "":
			_ = fe.Add(errs.E(errs.Invalid, "booking.hours.both").OnField("open_" + n))
			continue
		case c == "":
			_ = fe.Add(errs.E(errs.Invalid, "booking.hours.both").OnField("close_" + n))
			continue
		}
		_, ok1 := clock(o)
		_, ok2 := clock(c)
		if !ok1 {
			_ = fe.Add(errs.E(errs.Invalid, "booking.hours.time").OnField("open_" + n))
		}
		if !ok2 {
			_ = fe.Add(errs.E(errs.Invalid, "booking.hours.time").OnField("close_" + n))
		}
		if i := slices.IndexFunc(hours, func(x Opening) bool { return x.Open == o && x.Close == c }); i >= 0 {
			hours[i].Days = append(hours[i].Days, d)
		} else {
			hours = append(hours, Opening{Days: []int{d}, Open: o, Close: c})
		}
	}
	if err := fe.Err(); err != nil {
		return h.renderHours(w, r, f, version, form, err)
	}
	sent, _ := strconv.Atoi(r.PostFormValue("version"))
	// A day named by a contradiction is the field to change.
	dayOf := func(ft errs.Fault) string {
		switch ft.Key {
		case "booking.rules.slot_minutes":
			return "slot_minutes"
		case "booking.rules.hours":
			return "open_1"
		case "booking.rules.peak_closed", "booking.rules.group_closed":
			return "open_" + strconv.Itoa(toInt(ft.Params["day"]))
		case "booking.rules.hours_order", "booking.rules.hours_slots":
			for _, o := range hours {
				if o.Open == ft.Params["open"] && o.Close == ft.Params["close"] {
					return "open_" + strconv.Itoa(o.Days[0])
				}
			}
		case "booking.rules.group_hours":
			for _, g := range f.Rules.Groups {
				if g.Code == ft.Params["group"] && len(g.Days) > 0 {
					return "open_" + strconv.Itoa(g.Days[0])
				}
			}
		}
		return ""
	}
	if _, err := h.Service.UpdateHours(r.Context(), v.Actor, code, sent, hours, minutes); err != nil {
		return h.renderHours(w, r, f, version, form, onFields(err, dayOf, "slot_minutes"))
	}
	saved(w, r, code, "hours", "hours")
	return nil
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return 0
}

// ---- Closures and seasons ----

var closureFields = []string{"from", "to", "reason_ar", "reason_fr", "reason_en", "cancel", "season_from", "season_to"}

func (h *Handlers) renderClosures(w http.ResponseWriter, r *http.Request, f *Facility, version int, form web.Form, err error) error {
	l := h.lang(r)
	var closures, seasons []map[string]string
	for _, c := range f.Closures {
		dates := c.From + " – " + c.To
		closures = append(closures, map[string]string{"From": c.From, "To": c.To, "Dates": dates, "Reason": pickAny(c.Reason, l)})
	}
	for _, s := range f.Seasons {
		seasons = append(seasons, map[string]string{"From": s.From, "To": s.To, "Dates": s.From + " – " + s.To})
	}
	data := map[string]any{"Code": f.Code, "Name": f.Name.Pick(l), "Version": version, "Closures": closures, "Seasons": seasons,
		"Tabs": h.tabs(r, f.Code, "closures"), "Done": deskDone(r.URL.Query().Get("done")), "Form": form}
	title := web.Msg("booking.closures.title", "name", f.Name.Pick(l))
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/closures", title, data, form, err)
	}
	h.Web.Render(w, r, http.StatusOK, "booking/closures", title, data)
	return nil
}

func (h *Handlers) closures(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	f, version, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	return h.renderClosures(w, r, f, version, web.Form{Values: url.Values{}, Order: closureFields}, nil)
}

// date reads a date field ("2027-01-11"; Arabic-Indic digits too).
func date(values url.Values, k string, fe *errs.Fields) string {
	s := values.Get(k)
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		_ = fe.Add(errs.E(errs.Invalid, "booking.closures.date").OnField(k))
	}
	return s
}

func (h *Handlers) saveClosures(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := signedIn(w, r, "/bookings/desk/facilities/"+url.PathEscape(code)+"/closures")
	if v == nil {
		return nil
	}
	f, version, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	values := url.Values{}
	for _, k := range closureFields {
		s := strings.TrimSpace(r.PostFormValue(k))
		if k == "from" || k == "to" || k == "season_from" || k == "season_to" {
			s = textnorm.Digits(s)
		}
		values.Set(k, s)
	}
	form := web.Form{Values: values, Order: closureFields}
	sent, _ := strconv.Atoi(r.PostFormValue("version"))
	ctx := r.Context()
	fail := func(err error) error { return h.renderClosures(w, r, f, version, form, err) }
	fieldOf := func(ft errs.Fault) string {
		switch ft.Key {
		case "booking.rules.closure":
			return "from"
		case "booking.rules.closure_reason":
			return "reason_ar"
		case "booking.rules.season", "booking.rules.season_overlap", "booking.rules.quota_season":
			return "season_from"
		}
		return ""
	}
	switch r.PostFormValue("action") {
	case "add":
		var fe errs.Fields
		c := Closure{From: date(values, "from", &fe), To: date(values, "to", &fe),
			Reason: i18n.Text{AR: values.Get("reason_ar"), FR: values.Get("reason_fr"), EN: values.Get("reason_en")}}
		if c.Reason.AR == "" && c.Reason.FR == "" && c.Reason.EN == "" {
			_ = fe.Add(errs.E(errs.Invalid, "booking.closures.no_reason").OnField("reason_ar"))
		}
		if err := fe.Err(); err != nil {
			return fail(err)
		}
		_, n, err := h.Service.AddClosure(ctx, v.Actor, code, sent, c, values.Get("cancel") == "true")
		if err != nil {
			return fail(onFields(err, fieldOf, "from"))
		}
		done := "closure"
		if n > 0 {
			done = "closure_cancelled"
		}
		saved(w, r, code, "closures", done)
	case "remove":
		if _, err := h.Service.RemoveClosure(ctx, v.Actor, code, sent, r.PostFormValue("from"), r.PostFormValue("to")); err != nil {
			return fail(err)
		}
		saved(w, r, code, "closures", "closure_removed")
	case "season":
		var fe errs.Fields
		s := Season{From: date(values, "season_from", &fe), To: date(values, "season_to", &fe)}
		if err := fe.Err(); err != nil {
			return fail(err)
		}
		if _, err := h.Service.AddSeason(ctx, v.Actor, code, sent, s); err != nil {
			return fail(onFields(err, fieldOf, "season_from"))
		}
		saved(w, r, code, "closures", "season")
	case "unseason":
		if _, err := h.Service.RemoveSeason(ctx, v.Actor, code, sent, r.PostFormValue("from"), r.PostFormValue("to")); err != nil {
			return fail(onFields(err, fieldOf, "season_from"))
		}
		saved(w, r, code, "closures", "season_removed")
	default:
		return errs.E(errs.Invalid, "booking.error.action")
	}
	return nil
}

// ---- Priority groups ----

var groupFields = []string{"code", "name_ar", "name_fr", "name_en", "share", "who", "days", "from", "to"}

func groupForm(g Group) url.Values {
	v := url.Values{"code": {g.Code}, "name_ar": {g.Name.AR}, "name_fr": {g.Name.FR}, "name_en": {g.Name.EN},
		"share": {strconv.Itoa(g.Share)}, "who": {g.Who}, "from": {g.From}, "to": {g.To}}
	for _, d := range g.Days {
		v.Add("days", strconv.Itoa(d))
	}
	return v
}

// groupWhen is a group's days and hours in words.
func (h *Handlers) groupWhen(r *http.Request, g Group) string {
	if !g.Limited() {
		return h.t(r, "booking.groups.always")
	}
	var s []string
	for _, d := range g.Days {
		s = append(s, h.t(r, "booking.day."+strconv.Itoa(d)))
	}
	out := joinList(h.lang(r), s)
	if g.From != "" {
		if out != "" {
			out += " · "
		}
		out += span(g.From, g.To)
	}
	return out
}

func (h *Handlers) renderGroups(w http.ResponseWriter, r *http.Request, f *Facility, version int, form web.Form, err error) error {
	l := h.lang(r)
	var groups []map[string]string
	for _, g := range f.Rules.Groups {
		when := h.groupWhen(r, g)
		if g.Who != "" {
			when += " — " + h.t(r, "booking.groups.who") + " " + h.t(r, "booking.who."+g.Who)
		}
		groups = append(groups, map[string]string{"Code": g.Code, "Name": g.Name.Pick(l), "Share": strconv.Itoa(g.Share),
			"When": when})
	}
	var days []map[string]any
	for d := 1; d <= 7; d++ {
		n := strconv.Itoa(d)
		days = append(days, map[string]any{"Value": n, "Label": h.t(r, "booking.day."+n), "Checked": slices.Contains(form.Values["days"], n)})
	}
	// Who a group's share is kept for: anyone who declares it, or one of
	// those who book here, by who they are (a school acting as one).
	whos := []map[string]string{{"Value": "", "Label": h.t(r, "booking.groups.who_any")}}
	for _, x := range f.Rules.Who {
		whos = append(whos, map[string]string{"Value": x, "Label": h.t(r, "booking.who."+x)})
	}
	data := map[string]any{"Code": f.Code, "Name": f.Name.Pick(l), "Version": version, "Groups": groups, "Days": days, "Whos": whos,
		"Tabs": h.tabs(r, f.Code, "groups"), "Done": deskDone(r.URL.Query().Get("done")), "Form": form}
	title := web.Msg("booking.groups.title", "name", f.Name.Pick(l))
	if err != nil {
		return h.Web.RenderForm(w, r, "booking/groups", title, data, form, err)
	}
	h.Web.Render(w, r, http.StatusOK, "booking/groups", title, data)
	return nil
}

func (h *Handlers) groups(w http.ResponseWriter, r *http.Request) error {
	v := signedIn(w, r, "")
	if v == nil {
		return nil
	}
	httpx.Private(r)
	f, version, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	values := url.Values{}
	// ?group=code fills the form with that group, to change it.
	if i := slices.IndexFunc(f.Rules.Groups, func(g Group) bool { return g.Code == r.URL.Query().Get("group") }); i >= 0 {
		values = groupForm(f.Rules.Groups[i])
	}
	return h.renderGroups(w, r, f, version, web.Form{Values: values, Order: groupFields}, nil)
}

func (h *Handlers) saveGroups(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	v := signedIn(w, r, "/bookings/desk/facilities/"+url.PathEscape(code)+"/groups")
	if v == nil {
		return nil
	}
	f, version, err := h.managed(r, v.Actor)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "booking.error.action").Cause(err)
	}
	sent, _ := strconv.Atoi(r.PostFormValue("version"))
	ctx := r.Context()
	if r.PostFormValue("action") == "remove" {
		if _, err := h.Service.RemoveGroup(ctx, v.Actor, code, sent, r.PostFormValue("group")); err != nil {
			return h.renderGroups(w, r, f, version, web.Form{Values: url.Values{}, Order: groupFields}, err)
		}
		saved(w, r, code, "groups", "group_removed")
		return nil
	}
	if r.PostFormValue("action") != "save" {
		return errs.E(errs.Invalid, "booking.error.action")
	}
	values := url.Values{}
	for _, k := range groupFields {
		if k != "days" {
			values.Set(k, strings.TrimSpace(r.PostFormValue(k)))
		}
	}
	for _, k := range []string{"share", "from", "to"} {
		values.Set(k, textnorm.Digits(values.Get(k)))
	}
	var fe errs.Fields
	g := Group{Code: values.Get("code"), Name: i18n.Text{AR: values.Get("name_ar"), FR: values.Get("name_fr"), EN: values.Get("name_en")},
		From: values.Get("from"), To: values.Get("to"), Who: values.Get("who")}
	if g.Who != "" && !knownWho(g.Who) {
		_ = fe.Add(errs.E(errs.Invalid, "booking.rules.who").OnField("who"))
	}
	if !codeRE.MatchString(g.Code) {
		_ = fe.Add(errs.E(errs.Invalid, "booking.groups.bad_code").OnField("code"))
	}
	for _, k := range []string{"name_ar", "name_fr", "name_en"} {
		if values.Get(k) == "" {
			_ = fe.Add(errs.E(errs.Invalid, "booking.groups.bad_name").OnField(k))
		}
	}
	if n, err := strconv.Atoi(values.Get("share")); err != nil || n < 1 || n > 100 {
		_ = fe.Add(errs.E(errs.Invalid, "booking.groups.bad_share").OnField("share"))
	} else {
		g.Share = n
	}
	for _, d := range r.PostForm["days"] {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 7 {
			_ = fe.Add(errs.E(errs.Invalid, "booking.rules.days").OnField("days"))
			continue
		}
		if !slices.Contains(g.Days, n) {
			g.Days = append(g.Days, n)
			values.Add("days", d)
		}
	}
	slices.Sort(g.Days)
	switch {
	case g.From == "" && g.To == "":
	case g.From == "":
		_ = fe.Add(errs.E(errs.Invalid, "booking.hours.both").OnField("from"))
	case g.To == "":
		_ = fe.Add(errs.E(errs.Invalid, "booking.hours.both").OnField("to"))
	default:
		if _, ok := clock(g.From); !ok {
			_ = fe.Add(errs.E(errs.Invalid, "booking.hours.time").OnField("from"))
		}
		if _, ok := clock(g.To); !ok {
			_ = fe.Add(errs.E(errs.Invalid, "booking.hours.time").OnField("to"))
		}
	}
	form := web.Form{Values: values, Order: groupFields}
	if err := fe.Err(); err != nil {
		return h.renderGroups(w, r, f, version, form, err)
	}
	fieldOf := func(ft errs.Fault) string {
		switch ft.Key {
		case "booking.rules.shares":
			return "share"
		case "booking.rules.group_days":
			return "days"
		case "booking.rules.group_who":
			return "who"
		case "booking.rules.group_hours_order", "booking.rules.group_hours", "booking.rules.group_closed":
			return "from"
		}
		return ""
	}
	if _, err := h.Service.SaveGroup(ctx, v.Actor, code, sent, g); err != nil {
		return h.renderGroups(w, r, f, version, form, onFields(err, fieldOf, "code"))
	}
	saved(w, r, code, "groups", "group")
	return nil
}

// calendarRules are the facility's closures to come, and its seasons
// when a quota counts over them, in words for the public page.
func (h *Handlers) calendarRules(r *http.Request, f *Facility, now time.Time) []string {
	l := h.lang(r)
	today := local(now).Format(time.DateOnly)
	day := func(s string) string {
		t, err := time.ParseInLocation(time.DateOnly, s, i18n.Casablanca)
		if err != nil {
			return s
		}
		return i18n.FormatDate(l, t.Add(12*time.Hour))
	}
	var out []string
	for _, c := range f.Closures {
		if c.To >= today {
			out = append(out, h.t(r, "booking.rule.closure", "from", day(c.From), "to", day(c.To), "reason", pickAny(c.Reason, l)))
		}
	}
	if slices.ContainsFunc(f.Rules.Quotas, func(q Quota) bool { return q.Period == "season" }) {
		for _, s := range f.Seasons {
			if s.To >= today {
				out = append(out, h.t(r, "booking.rule.season", "from", day(s.From), "to", day(s.To)))
			}
		}
	}
	return out
}
