package complaint

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"madina/internal/platform/calendar"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// The request types are data: another city changes this file, not the
// code. Load checks it whole and names every mistake, so a bad file stops
// the start with a list a clerk can fix.
//
//go:embed catalogue/casablanca.json
var defaultCatalogue []byte

// Catalogue is the set of request types a city offers.
type Catalogue struct {
	Version    string      `json:"version"`
	Source     string      `json:"source"`
	Categories []*Category `json:"categories"`

	byCode map[string]*Category
}

// Routing says who answers a category.
const (
	// RouteCity: one organisation for the whole city (Catalogue
	// Organisation), the commune or a utility.
	RouteCity = "city"
	// RouteArrondissement: the organisation of the request's
	// arrondissement (its code is the arrondissement's, as staff seeds
	// them).
	RouteArrondissement = "arrondissement"
)

// Whether a category asks for a location or a photo.
const (
	Required = "required"
	Optional = "optional"
	None     = "none"
)

// Category is one request type.
type Category struct {
	Code  string    `json:"code"`
	Name  i18n.Text `json:"name"`
	Words Words     `json:"words"`
	// Routing and Organisation: who answers (RouteCity with an
	// organisation code, or RouteArrondissement).
	Routing      string    `json:"routing"`
	Organisation string    `json:"organisation,omitempty"`
	Team         i18n.Text `json:"team"`
	// Arrondissements: a category of some arrondissements only (the
	// beaches of those on the coast, a district's own service), by code;
	// empty for the whole city. A request elsewhere is refused.
	Arrondissements []string `json:"arrondissements,omitempty"`
	Location        string   `json:"location"`
	Photo           string   `json:"photo"`
	Service         Level    `json:"service"`
	Escalation      Escalate `json:"escalation"`
	// Anonymous: the category may be filed without an account (with a
	// verified phone or e-mail; not offered yet, see ARCHITECTURE.md).
	Anonymous bool `json:"anonymous"`
	// Private: a category of private life (noise from a neighbour, an
	// information request): its exact location and its description are
	// never published, only its area.
	Private bool    `json:"private"`
	Fields  []Field `json:"fields"`
}

// Words are the everyday words people search a category by, per language.
type Words struct {
	AR []string `json:"ar"`
	FR []string `json:"fr"`
	EN []string `json:"en"`
}

func (w Words) all() []string { return slices.Concat(w.AR, w.FR, w.EN) }

// Level is the public service level, in working days on the shared
// calendar, counted from the day after filing (calendar.AddWorkingDays).
type Level struct {
	Acknowledge int `json:"acknowledge"`
	Resolve     int `json:"resolve"`
}

// Escalate: After working days past the resolve deadline, the request is
// raised to the organisation To (its supervisors).
type Escalate struct {
	After int    `json:"after"`
	To    string `json:"to"`
}

// Field kinds.
const (
	FieldText    = "text"
	FieldChoice  = "choice"
	FieldBoolean = "boolean"
	FieldDate    = "date"
)

// Field is a question a category asks besides the description.
type Field struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Label    i18n.Text `json:"label"`
	Required bool      `json:"required"`
	Options  []Option  `json:"options,omitempty"`
	// When, if set, asks the field only when an earlier field has a value.
	When *When `json:"when,omitempty"`
}

// Option is one answer of a choice field.
type Option struct {
	Code string    `json:"code"`
	Name i18n.Text `json:"name"`
}

// When is a field's condition: Field (an earlier one) equals Equals.
type When struct {
	Field  string `json:"field"`
	Equals string `json:"equals"`
}

var codeRE = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*$`)

// maxServiceDays bounds service levels: a year of working days is
// already a typing mistake.
const maxServiceDays = 260

// DefaultCatalogue is the embedded Casablanca catalogue.
func DefaultCatalogue() *Catalogue {
	c, err := ParseCatalogue(defaultCatalogue)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return c
}

// ParseCatalogue reads and checks a catalogue. Its error lists every
// mistake found, each naming its category and field.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("complaint catalogue: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.byCode = make(map[string]*Category, len(c.Categories))
	for _, k := range c.Categories {
		c.byCode[k.Code] = k
	}
	return &c, nil
}

func (c *Catalogue) validate() error {
	var bad []string
	add := func(where, format string, a ...any) { bad = append(bad, where+": "+fmt.Sprintf(format, a...)) }
	if strings.TrimSpace(c.Version) == "" {
		add("catalogue", "version is empty")
	}
	if len(c.Categories) == 0 {
		add("catalogue", "no categories")
	}
	seen := map[string]bool{}
	for i, k := range c.Categories {
		if k == nil {
			add(fmt.Sprintf("category #%d", i+1), "is null")
			continue
		}
		where := fmt.Sprintf("category %q", k.Code)
		if !codeRE.MatchString(k.Code) {
			where = fmt.Sprintf("category #%d", i+1)
			add(where, "code %q must be lower-case letters, digits and dashes", k.Code)
		}
		if seen[k.Code] {
			add(where, "code used twice")
		}
		seen[k.Code] = true
		if m := k.Name.Missing(); m != "" {
			add(where, "name missing in %s", m)
		}
		if m := k.Team.Missing(); m != "" {
			add(where, "team missing in %s", m)
		}
		for _, l := range []struct {
			lang  string
			words []string
		}{{"ar", k.Words.AR}, {"fr", k.Words.FR}, {"en", k.Words.EN}} {
			if len(l.words) == 0 {
				add(where, "no everyday words in %s", l.lang)
			}
			for _, w := range l.words {
				if textnorm.Fold(w) == "" {
					add(where, "empty everyday word in %s", l.lang)
				}
			}
		}
		switch k.Routing {
		case RouteCity:
			if !codeRE.MatchString(k.Organisation) {
				add(where, "routing city needs the organisation's code")
			}
		case RouteArrondissement:
			if k.Organisation != "" {
				add(where, "routing arrondissement takes no organisation (the arrondissement's answers)")
			}
		default:
			add(where, "routing %q is neither %q nor %q", k.Routing, RouteCity, RouteArrondissement)
		}
		for i, a := range k.Arrondissements {
			if !codeRE.MatchString(a) || slices.Contains(k.Arrondissements[:i], a) {
				add(where, "arrondissements: %q is no code, or is there twice", a)
			}
		}
		for _, p := range []struct{ name, v string }{{"location", k.Location}, {"photo", k.Photo}} {
			if p.v != Required && p.v != Optional && p.v != None {
				add(where, "%s %q is none of required, optional, none", p.name, p.v)
			}
		}
		if k.Service.Acknowledge < 1 || k.Service.Acknowledge > maxServiceDays {
			add(where, "service.acknowledge must be 1 to %d working days", maxServiceDays)
		}
		if k.Service.Resolve < k.Service.Acknowledge || k.Service.Resolve > maxServiceDays {
			add(where, "service.resolve must be at least service.acknowledge and at most %d working days", maxServiceDays)
		}
		if k.Escalation.After < 0 || k.Escalation.After > maxServiceDays {
			add(where, "escalation.after must be 0 to %d working days", maxServiceDays)
		}
		if !codeRE.MatchString(k.Escalation.To) {
			add(where, "escalation.to needs an organisation's code")
		}
		k.validateFields(func(f, format string, a ...any) { add(where+" field "+f, format, a...) })
	}
	if len(bad) > 0 {
		return fmt.Errorf("complaint catalogue: %d mistakes:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	return nil
}

// reservedFields are the form's own inputs, which a category's field may
// not shadow.
var reservedFields = []string{"category", "description", "lat", "lon", "address", "arrondissement", "contact", "photos", "q"}

func (k *Category) validateFields(add func(field, format string, a ...any)) {
	seen := map[string]*Field{}
	for i := range k.Fields {
		f := &k.Fields[i]
		name := f.Name
		if !codeRE.MatchString(f.Name) || slices.Contains(reservedFields, f.Name) {
			name = fmt.Sprintf("#%d", i+1)
			add(name, "name %q must be a code and not one of %v", f.Name, reservedFields)
		}
		if seen[f.Name] != nil {
			add(name, "name used twice")
		}
		if m := f.Label.Missing(); m != "" {
			add(name, "label missing in %s", m)
		}
		switch f.Kind {
		case FieldText, FieldBoolean, FieldDate:
			if len(f.Options) > 0 {
				add(name, "only a choice has options")
			}
		case FieldChoice:
			if len(f.Options) < 2 {
				add(name, "a choice needs at least two options")
			}
			codes := map[string]bool{}
			for _, o := range f.Options {
				if !codeRE.MatchString(o.Code) || codes[o.Code] {
					add(name, "option %q: codes must be unique codes", o.Code)
				}
				codes[o.Code] = true
				if m := o.Name.Missing(); m != "" {
					add(name, "option %q: name missing in %s", o.Code, m)
				}
			}
		default:
			add(name, "kind %q is none of text, choice, boolean, date", f.Kind)
		}
		if w := f.When; w != nil {
			dep := seen[w.Field]
			switch {
			case dep == nil:
				add(name, "condition on %q, which is not an earlier field", w.Field)
			case dep.Kind == FieldBoolean && w.Equals != "true" && w.Equals != "false":
				add(name, "condition on boolean %q must equal true or false", w.Field)
			case dep.Kind == FieldChoice && !slices.ContainsFunc(dep.Options, func(o Option) bool { return o.Code == w.Equals }):
				add(name, "condition on %q names no option of it: %q", w.Field, w.Equals)
			case dep.Kind == FieldText || dep.Kind == FieldDate:
				add(name, "a condition may only be on a choice or a boolean")
			}
		}
		seen[f.Name] = f
	}
}

// Category returns the category with code, or false.
func (c *Catalogue) Category(code string) (*Category, bool) {
	k, ok := c.byCode[code]
	return k, ok
}

// Organisations lists every organisation code the catalogue names (the
// start checks they exist).
func (c *Catalogue) Organisations() []string {
	set := map[string]bool{}
	for _, k := range c.Categories {
		if k.Organisation != "" {
			set[k.Organisation] = true
		}
		set[k.Escalation.To] = true
	}
	out := make([]string, 0, len(set))
	for o := range set {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}

// Responsible is the organisation answering a request of k in
// arrondissement arr.
func (k *Category) Responsible(arr string) string {
	if k.Routing == RouteArrondissement {
		return arr
	}
	return k.Organisation
}

// Search returns the categories matching what a person typed, best first:
// each word of q (folded: Arabic letter variants, accents, case) scores
// where it occurs in a category's names and everyday words in any of the
// three languages. An empty query returns every category in order.
func (c *Catalogue) Search(q string) []*Category {
	terms := strings.Fields(textnorm.Fold(q))
	if len(terms) == 0 {
		return slices.Clone(c.Categories)
	}
	type hit struct {
		k     *Category
		score int
		pos   int
	}
	var hits []hit
	for i, k := range c.Categories {
		texts := append([]string{k.Name.AR, k.Name.FR, k.Name.EN}, k.Words.all()...)
		score := 0
		for _, term := range terms {
			best := 0
			for _, t := range articleless(term) {
				if sc := scoreTerm(t, texts); sc > best {
					best = sc
				}
			}
			score += best
		}
		if score > 0 {
			hits = append(hits, hit{k, score, i})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	out := make([]*Category, len(hits))
	for i, h := range hits {
		out[i] = h.k
	}
	return out
}

// articleless returns a folded term and, for an Arabic word with the
// definite article (الزبل), the word without it (زبل).
func articleless(t string) []string {
	if rest, ok := strings.CutPrefix(t, "ال"); ok && len([]rune(rest)) >= 2 {
		return []string{t, rest}
	}
	return []string{t}
}

// scoreTerm scores one folded term against a category's texts: a whole
// text 3, a whole word 2, part of a word 1 (terms of three letters or
// more).
func scoreTerm(t string, texts []string) int {
	score := 0
	for _, s := range texts {
		f := textnorm.Fold(s)
		switch {
		case f == t:
			score += 3
		case slices.Contains(strings.Fields(f), t):
			score += 2
		case len([]rune(t)) >= 3 && strings.Contains(f, t):
			score++
		}
	}
	return score
}

// Asked reports which of k's fields are asked given the answers so far
// (a field whose condition does not hold is not asked).
func (k *Category) Asked(answers map[string]string) []Field {
	var out []Field
	for _, f := range k.Fields {
		if f.When != nil && answers[f.When.Field] != f.When.Equals {
			continue
		}
		out = append(out, f)
	}
	return out
}

// checkAnswer checks one answer of field f; "" is checked by the caller.
func checkAnswer(f Field, v string) bool {
	switch f.Kind {
	case FieldChoice:
		return slices.ContainsFunc(f.Options, func(o Option) bool { return o.Code == v })
	case FieldBoolean:
		return v == "true" || v == "false"
	case FieldDate:
		_, err := calendar.ParseDate(v)
		return err == nil
	}
	return len([]rune(v)) <= maxFieldRunes
}

// maxFieldRunes bounds a text answer.
const maxFieldRunes = 300
