package permit

import (
	"embed"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are this capability's page templates.
var Pages = web.Pages{Prefix: "permit", FS: templates}

// Messages are this capability's texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Handlers serve the public procedure pages and the permit-kinds API, both
// read from the catalogue the server started with.
type Handlers struct {
	Catalogue *Catalogue
	Cat       *i18n.Catalog
	Web       *web.Renderer
	Resp      *httpx.Responder
}

// Routes registers the HTML and JSON routes.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /procedures", h.listPage)
	rt.HandleErr("GET /procedures/which", h.whichPage)
	rt.HandleErr("GET /procedures/{code}", h.procedurePage)
	rt.HandleErr("GET /api/v1/permit-kinds", h.apiList)
	rt.HandleErr("GET /api/v1/permit-kinds/{code}", h.apiKind)
}

// maxQuery bounds the search text, in characters.
const maxQuery = 200

// search reads the q and family parameters and returns the matching kinds.
func (h *Handlers) search(r *http.Request) (q, family string, ks []*Kind, err error) {
	q = strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxQuery {
		q = string([]rune(q)[:maxQuery])
	}
	family = r.URL.Query().Get("family")
	if family != "" && !slices.Contains(families, family) {
		return "", "", nil, errs.E(errs.Invalid, "permit.error.family").OnField("family")
	}
	return q, family, h.Catalogue.Search(q, family), nil
}

// printer renders catalogue data as sentences in one language.
type printer struct {
	cat *i18n.Catalog
	l   i18n.Lang
}

func (p printer) t(key string, params ...any) string { return p.cat.T(p.l, key, params...) }

func (p printer) list(items []string) string { return i18n.JoinList(p.l, items) }

func (p printer) duration(d Deadline) string {
	return p.t("permit.duration."+d.Unit, "count", d.Value)
}

func (p printer) where(k *Kind) string {
	ws := k.Windows()
	if len(ws) == 1 {
		return p.t("permit.where." + ws[0])
	}
	return p.t("permit.where.both")
}

func (p printer) conditions(k *Kind, cs *Conditions) string {
	var all, any []string
	for _, c := range cs.All {
		all = append(all, p.condition(k, c))
	}
	for _, c := range cs.Any {
		any = append(any, p.condition(k, c))
	}
	s := strings.Join(all, p.t("permit.cond.and"))
	a := strings.Join(any, p.t("permit.cond.any"))
	switch {
	case s == "":
		return a
	case a == "":
		return s
	}
	return p.t("permit.cond.both", "all", s, "any", a)
}

func (p printer) condition(k *Kind, c Condition) string {
	f, _ := k.Field(c.Field)
	label := f.Label.Pick(p.l)
	switch f.Type {
	case FieldBoolean:
		if c.Value.(bool) {
			return p.t("permit.cond.true", "field", label)
		}
		return p.t("permit.cond.false", "field", label)
	case FieldChoice:
		var vs []string
		if c.Op == "in" {
			vs = c.Value.([]string)
		} else {
			vs = []string{c.Value.(string)}
		}
		labels := make([]string, 0, len(vs))
		for _, v := range vs {
			o, _ := f.Option(v)
			labels = append(labels, o.Label.Pick(p.l))
		}
		op := c.Op
		if op == "in" {
			op = "eq"
		}
		return p.t("permit.cond."+op, "field", label, "value", strings.Join(labels, p.t("permit.cond.or")))
	}
	return p.t("permit.cond."+c.Op, "field", label, "value", p.number(f, c.Value.(float64)))
}

func (p printer) number(f *Field, n float64) string {
	s := strconv.FormatFloat(n, 'f', -1, 64)
	if f.Unit != "" {
		s += " " + p.t("permit.unit."+f.Unit)
	}
	return s
}

type familyOption struct {
	Code, Label string
	Selected    bool
}

type procedureItem struct {
	Code, Name, Description, Where string
	Architect                      bool
}

type procedureGroup struct {
	Family, Heading string
	Items           []procedureItem
}

type listView struct {
	Q, Family string
	Families  []familyOption
	Groups    []procedureGroup
	Total     int
}

// listPage is the searchable list of procedures: a plain GET form, so it
// works without JavaScript.
func (h *Handlers) listPage(w http.ResponseWriter, r *http.Request) error {
	q, family, ks, err := h.search(r)
	if err != nil {
		return err
	}
	p := printer{h.Cat, i18n.FromContext(r.Context())}
	v := listView{Q: q, Family: family, Total: len(ks)}
	v.Families = append(v.Families, familyOption{Code: "", Label: p.t("permit.family.all"), Selected: family == ""})
	for _, f := range families {
		v.Families = append(v.Families, familyOption{Code: f, Label: p.t("permit.family." + f), Selected: family == f})
		g := procedureGroup{Family: f, Heading: p.t("permit.family." + f)}
		for _, k := range ks {
			if k.Family == f {
				g.Items = append(g.Items, procedureItem{Code: k.Code, Name: k.Name.Pick(p.l), Description: k.Description.Pick(p.l),
					Where: p.where(k), Architect: k.ArchitectRequired})
			}
		}
		if len(g.Items) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	h.Web.RenderStatic(w, r, "permit/procedures", web.Msg("permit.list.title"), v)
	return nil
}

type routeView struct{ Window, When, Explanation string }

type stepView struct{ Name, Description string }

// stepGroup is the steps of one or more windows' schedules.
type stepGroup struct {
	Heading string // empty when every window follows the same steps
	Steps   []stepView
}

type documentView struct {
	Name, Types, Requirement string
	Required                 bool
}

type fieldView struct {
	Label, Unit string
	Required    bool
}

type sourceRef struct{ ID, Short string }

type deadlineView struct {
	Step, Actor, Deadline, Silence string
	Source                         *sourceRef
}

type handlingView struct {
	ID, Heading, Caption        string
	Overall, OverallSilence     string
	OverallSource               sourceRef
	Steps                       []deadlineView
	Committee, CommitteeMembers string
	// Occasional: the committee's members on some files only, each
	// with when ("Civil protection: a building open to the public…").
	Occasional []occasionalView
}

type occasionalView struct{ Body, Reason string }

type feeView struct {
	Name, Amount string
	Source       sourceRef
}

type sourceView struct{ ID, Name, URL string }

type procedureView struct {
	Code, Name, Description, Family string
	Urban                           bool
	Filers                          []string
	Architect                       string
	ArchitectRequired               bool
	Routes                          []routeView
	StepGroups                      []stepGroup
	Documents                       []documentView
	Fields                          []fieldView
	Handling                        []handlingView
	Fees                            []feeView
	Sources                         []sourceView
	Version, Effective              string
}

func sourceID(s Source) string { return "source-" + s.Code }

// procedureView is what the single window says at its counter about k.
func (p printer) procedure(cat *Catalogue, k *Kind) procedureView {
	v := procedureView{Code: k.Code, Name: k.Name.Pick(p.l), Description: k.Description.Pick(p.l),
		Family: p.t("permit.family." + k.Family), Urban: k.Family == Urban, Version: cat.Version, Effective: cat.Effective}
	if d, err := time.ParseInLocation(time.DateOnly, cat.Effective, i18n.Casablanca); err == nil {
		v.Effective = i18n.FormatDate(p.l, d)
	}
	for _, f := range k.Filers {
		v.Filers = append(v.Filers, p.t("permit.filer."+f))
	}
	v.Architect = p.t("permit.architect.not_required")
	if k.ArchitectRequired {
		v.Architect, v.ArchitectRequired = p.t("permit.architect.required"), true
	}
	for i, r := range k.Routing {
		rv := routeView{Window: p.t("permit.window." + r.Window), Explanation: r.Explanation.Pick(p.l)}
		switch {
		case r.When != nil:
			rv.When = p.t("permit.route.when", "condition", p.conditions(k, r.When))
		case i > 0:
			rv.When = p.t("permit.route.otherwise")
		}
		v.Routes = append(v.Routes, rv)
	}
	v.StepGroups = p.stepGroups(k)
	for _, d := range k.Documents {
		types := make([]string, 0, len(d.Types))
		for _, t := range d.Types {
			types = append(types, p.t("permit.type."+t))
		}
		dv := documentView{Name: d.Name.Pick(p.l), Types: strings.Join(types, p.t("permit.cond.or")), Required: d.Required}
		switch {
		case !d.Required:
			dv.Requirement = p.t("permit.doc.optional")
		case d.When != nil:
			dv.Requirement = p.t("permit.doc.required_if", "condition", p.conditions(k, d.When))
		default:
			dv.Requirement = p.t("permit.doc.required")
		}
		v.Documents = append(v.Documents, dv)
	}
	for _, f := range k.Fields {
		fv := fieldView{Label: f.Label.Pick(p.l), Required: f.Required}
		if f.Unit != "" {
			fv.Unit = p.t("permit.unit." + f.Unit)
		}
		v.Fields = append(v.Fields, fv)
	}
	for _, h := range k.Handling {
		sched := h.Schedule.Name.Pick(p.l)
		hv := handlingView{ID: "deadlines-" + h.Schedule.Code, Heading: sched,
			Caption:       p.t("permit.deadlines.caption", "schedule", sched),
			Overall:       p.t("permit.deadlines.overall", "duration", p.duration(h.Schedule.Overall), "from", p.t("permit.from."+h.Schedule.Overall.From)),
			OverallSource: sourceRef{ID: sourceID(h.Schedule.Overall.Source), Short: h.Schedule.Overall.Source.Short.Pick(p.l)},
			Committee:     h.Committee.Name.Pick(p.l),
		}
		if h.Window != "" {
			hv.ID += "-" + h.Window
			hv.Heading = p.t("permit.handling.heading", "window", p.t("permit.where."+h.Window), "schedule", sched)
		}
		if s := h.Schedule.Overall.Silence; s != "" {
			hv.OverallSilence = p.t("permit.silence.overall." + s)
		}
		var members []string
		for _, m := range h.Committee.Members {
			members = append(members, m.Name.Pick(p.l))
		}
		hv.CommitteeMembers = p.list(members)
		for _, o := range h.Committee.Occasional {
			hv.Occasional = append(hv.Occasional, occasionalView{Body: o.Body.Name.Pick(p.l), Reason: o.Reason.Pick(p.l)})
		}
		for _, st := range h.Schedule.Steps {
			dv := deadlineView{Step: st.Name.Pick(p.l), Actor: st.Actor.Name.Pick(p.l), Deadline: p.t("permit.deadline.within")}
			if d := st.Deadline; d != nil {
				dv.Deadline = p.duration(*d)
				dv.Source = &sourceRef{ID: sourceID(d.Source), Short: d.Source.Short.Pick(p.l)}
				if d.Silence != "" {
					dv.Silence = p.t("permit.silence.step." + d.Silence)
				}
			}
			hv.Steps = append(hv.Steps, dv)
		}
		v.Handling = append(v.Handling, hv)
	}
	for _, f := range k.Fees {
		v.Fees = append(v.Fees, feeView{Name: f.Name.Pick(p.l), Amount: f.Amount.Pick(p.l),
			Source: sourceRef{ID: sourceID(f.Source), Short: f.Source.Short.Pick(p.l)}})
	}
	for _, s := range k.Sources() {
		v.Sources = append(v.Sources, sourceView{ID: sourceID(s), Name: s.Name.Pick(p.l), URL: s.URL})
	}
	return v
}

// stepGroups lists the steps a file goes through: once when every window
// follows the same steps, else once per window.
func (p printer) stepGroups(k *Kind) []stepGroup {
	codes := func(s Schedule) string {
		var cs []string
		for _, st := range s.Steps {
			cs = append(cs, st.Code)
		}
		return strings.Join(cs, " ")
	}
	same := !slices.ContainsFunc(k.Handling, func(h Handling) bool { return codes(h.Schedule) != codes(k.Handling[0].Schedule) })
	var gs []stepGroup
	for _, h := range k.Handling {
		g := stepGroup{}
		if !same && h.Window != "" {
			g.Heading = p.t("permit.handling.heading", "window", p.t("permit.where."+h.Window), "schedule", h.Schedule.Name.Pick(p.l))
		}
		for _, st := range h.Schedule.Steps {
			g.Steps = append(g.Steps, stepView{Name: st.Name.Pick(p.l), Description: st.Description.Pick(p.l)})
		}
		gs = append(gs, g)
		if same {
			break
		}
	}
	return gs
}

func (h *Handlers) procedurePage(w http.ResponseWriter, r *http.Request) error {
	k, err := h.Catalogue.Kind(r.PathValue("code"))
	if err != nil {
		return err
	}
	p := printer{h.Cat, i18n.FromContext(r.Context())}
	h.Web.RenderStatic(w, r, "permit/procedure", web.Msg("permit.procedure.title", "name", k.Name.Pick(p.l)), p.procedure(h.Catalogue, k))
	return nil
}

// KindSummary is a kind as the list API shows it.
type KindSummary struct {
	Code              string   `json:"code"`
	Family            string   `json:"family"`
	Name              Text     `json:"name"`
	Description       Text     `json:"description"`
	Filers            []string `json:"filers"`
	ArchitectRequired bool     `json:"architect_required"`
	Windows           []string `json:"windows"`
}

type kindList struct {
	CatalogueVersion string        `json:"catalogue_version"`
	Items            []KindSummary `json:"items"`
	Total            int           `json:"total"`
}

// apiList lists the permit kinds, optionally of one family or matching q.
func (h *Handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	_, _, ks, err := h.search(r)
	if err != nil {
		return err
	}
	out := kindList{CatalogueVersion: h.Catalogue.Version, Items: make([]KindSummary, 0, len(ks)), Total: len(ks)}
	for _, k := range ks {
		out.Items = append(out.Items, KindSummary{Code: k.Code, Family: k.Family, Name: k.Name, Description: k.Description,
			Filers: k.Filers, ArchitectRequired: k.ArchitectRequired, Windows: k.Windows()})
	}
	h.Resp.JSON(w, r, http.StatusOK, out)
	return nil
}

type kindDetail struct {
	CatalogueVersion string `json:"catalogue_version"`
	*Kind
	Sources []Source `json:"sources"`
}

// apiKind is one kind with everything spelt out: documents, fields,
// routing rules, handling per window (deadlines, committee), fees and the
// sources they rest on.
func (h *Handlers) apiKind(w http.ResponseWriter, r *http.Request) error {
	k, err := h.Catalogue.Kind(r.PathValue("code"))
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, kindDetail{CatalogueVersion: h.Catalogue.Version, Kind: k, Sources: k.Sources()})
	return nil
}
