// Package catalogue compiles a city's permit catalogue — permit kinds, who
// may file, required documents with their conditions, form fields, routing
// to a single window, committees, legal deadlines with their sources,
// silence rules, deposit rules, fees — from its JSON file into a checked,
// immutable value, and answers questions on it (route a file, is a document
// required, search the kinds). Casablanca's is embedded as the default, so
// another city or a new decree changes a file, not code.
//
// The package is pure: bytes in, a compiled catalogue or every problem
// found out; no database, no HTTP, no logging, so that the rules a city
// writes can be checked and tested without starting anything. Storing
// imported versions and serving the procedure pages are the permit
// capability's (package permit).
package catalogue

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

//go:embed casablanca.json
var casablancaJSON []byte

// Format is the catalogue file format this code reads. The catalogue's
// own Version numbers its content.
const Format = 1

// Text is a text in the three languages.
type Text = i18n.Text

// The catalogue's closed vocabularies: the code knows what each means.
const (
	Urban    = "urban"
	Economic = "economic"

	Owner                = "owner"                 // the project owner, natural or legal person, from their own account
	MandatedProfessional = "mandated_professional" // a professional holding the owner's mandate

	FieldText    = "text"
	FieldNumber  = "number"
	FieldBoolean = "boolean"
	FieldChoice  = "choice"
	FieldDate    = "date"

	Days        = "days"
	WorkingDays = "working_days"
	Months      = "months"

	FromCompleteFile          = "complete_file"
	FromCompletionDeclaration = "completion_declaration"

	SilenceApproval = "approval" // silence past the deadline counts as approval
	SilenceReferral = "referral" // past the deadline the applicant may ask the higher authority to decide

	// The kinds of window a rule routes to. They are package district's
	// CityWindow and ArrondissementWindow, spelt again here so that the
	// compiler imports no capability; a test of package permit checks that
	// both say the same.
	CityWindow           = "city"
	ArrondissementWindow = "arrondissement"

	// Overall is the step code of a file's overall deadline (see StepName).
	Overall = "overall"
)

// Multiline reports whether the field with this code takes sentences on
// several lines (a textarea): a text field whose code ends in
// "description" or "note"; every other field is one line. Package permit
// declares the same two patterns to the router and to DecodeJSON.
func Multiline(code string) bool {
	return strings.HasSuffix(code, "description") || strings.HasSuffix(code, "note")
}

var (
	families    = []string{Urban, Economic}
	filers      = []string{Owner, MandatedProfessional}
	fieldTypes  = []string{FieldText, FieldNumber, FieldBoolean, FieldChoice, FieldDate}
	units       = []string{"m2", "m"}
	docTypes    = []string{"pdf", "image"}
	windowKinds = []string{CityWindow, ArrondissementWindow}
	timeUnits   = []string{Days, WorkingDays, Months}
	validUnits  = []string{Days, Months}
	froms       = []string{FromCompleteFile, FromCompletionDeclaration}
	silences    = []string{SilenceApproval, SilenceReferral}
	opsByType   = map[string][]string{
		FieldNumber:  {"eq", "ne", "gt", "gte", "lt", "lte"},
		FieldBoolean: {"eq"},
		FieldChoice:  {"eq", "ne", "in"},
	}
)

// Families lists the families of permit kinds, in the order the
// procedure pages show them.
func Families() []string { return slices.Clone(families) }

// Spec is a catalogue file as written: shared vocabularies (sources,
// actors, steps, bodies, committees, fields, documents, deadline
// schedules), the routing rules, then the kinds, which refer to the rest
// by code.
type Spec struct {
	Format     int             `json:"format"`
	Version    string          `json:"version"`
	City       string          `json:"city"`
	Effective  string          `json:"effective"` // YYYY-MM-DD
	Sources    []Source        `json:"sources"`
	Actors     []Term          `json:"actors"`
	Steps      []Step          `json:"steps"`
	Bodies     []Term          `json:"bodies"`
	Committees []CommitteeSpec `json:"committees"`
	Fields     []Field         `json:"fields"`
	Documents  []Document      `json:"documents"`
	Schedules  []ScheduleSpec  `json:"schedules"`
	Routing    []RuleSpec      `json:"routing"`
	Deposit    Deposit         `json:"deposit"`
	Kinds      []KindSpec      `json:"kinds"`
}

// Deposit are the rules of deposit appointments at the windows: slot
// length, how many applicants each slot takes by kind of window, how far
// ahead one may book, and until when one may book, move or cancel.
type Deposit struct {
	SlotMinutes       int            `json:"slot_minutes"`
	Capacity          map[string]int `json:"capacity"` // by window kind
	HorizonDays       int            `json:"horizon_days"`
	MinNoticeHours    int            `json:"min_notice_hours"`    // book at least this long before the slot
	ChangeNoticeHours int            `json:"change_notice_hours"` // move or cancel at least this long before
}

// Source is a legal or local text a deadline or a fee rests on.
type Source struct {
	Code  string `json:"code"`
	Short Text   `json:"short"`
	Name  Text   `json:"name"`
	URL   string `json:"url,omitempty"`
}

// Term is a coded name: an actor, a body sitting on committees.
type Term struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
}

// Step is a step in the life of a file.
type Step struct {
	Code        string `json:"code"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
}

// CommitteeSpec is a committee type and the bodies sitting on it: its
// permanent members on every file, and its occasional ones on the files
// their conditions select.
type CommitteeSpec struct {
	Code       string           `json:"code"`
	Name       Text             `json:"name"`
	Sessions   *SessionCalendar `json:"sessions,omitempty"`
	Members    []string         `json:"members"`
	Occasional []OccasionalSpec `json:"occasional,omitempty"`
	Decision   DecisionSpec     `json:"decision"`
}

// DecisionSpec is how a round of the committee's opinions concludes
// (DecisionRule.Conclude): whose unfavourable opinion is binding (refuses the
// file), what another unfavourable opinion and reservations lead to, and
// how many rounds of remarks a file gets.
type DecisionSpec struct {
	Binding      []string `json:"binding"`
	Unfavourable string   `json:"unfavourable"` // "remarks" or "refuse"
	Reservations string   `json:"reservations"` // "conditions" or "remarks"
	MaxRounds    int      `json:"max_rounds"`
	Source       string   `json:"source"`
}

// SessionCalendar is when a committee sits, every week (issue #12,
// point 3): on Weekdays (ISO: 1 Monday … 7 Sunday) from Start to End
// (hh:mm, Africa/Casablanca), never on a public holiday; each sitting
// studies files for at most Capacity minutes, each file taking the
// minutes of its kind (Minutes["default"] for a kind not listed); its
// agenda freezes FreezeWorkingDays working days before the sitting.
type SessionCalendar struct {
	Weekdays          []int          `json:"weekdays"`
	Start             string         `json:"start"`
	End               string         `json:"end"`
	Capacity          int            `json:"capacity_minutes"`
	Minutes           map[string]int `json:"minutes"`
	FreezeWorkingDays int            `json:"freeze_working_days"`
}

// MinutesFor is the time a file of kind takes in a sitting.
func (sc *SessionCalendar) MinutesFor(kind string) int {
	if m, ok := sc.Minutes[kind]; ok {
		return m
	}
	return sc.Minutes["default"]
}

// Hours are the sitting's start and end as minutes after midnight; ok is
// false when either is not a valid hh:mm.
func (sc *SessionCalendar) Hours() (start, end int, ok bool) {
	a, ok1 := clockMinutes(sc.Start)
	b, ok2 := clockMinutes(sc.End)
	return a, b, ok1 && ok2
}

func clockMinutes(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// OccasionalSpec is a body sitting on a committee only for the files
// whose form meets When (civil protection for a building open to the
// public), and the reason given on the file for selecting it.
type OccasionalSpec struct {
	Body   string      `json:"body"`
	When   *Conditions `json:"when"`
	Reason Text        `json:"reason"`
}

// Field is a form field.
type Field struct {
	Code    string   `json:"code"`
	Type    string   `json:"type"`
	Unit    string   `json:"unit,omitempty"`
	Label   Text     `json:"label"`
	Options []Option `json:"options,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Integer bool     `json:"integer,omitempty"`
}

// Option is one choice of a choice field.
type Option struct {
	Code  string `json:"code"`
	Label Text   `json:"label"`
}

// Option returns the option with code c.
func (f *Field) Option(c string) (Option, bool) {
	for _, o := range f.Options {
		if o.Code == c {
			return o, true
		}
	}
	return Option{}, false
}

// Document is a document an applicant may have to upload.
type Document struct {
	Code  string   `json:"code"`
	Name  Text     `json:"name"`
	Types []string `json:"types"` // pdf, image
	// Several: the item is a set (photographs of a site), each file its
	// own document, all of them current; otherwise an upload is a new
	// version that replaces the one before.
	Several bool `json:"several,omitempty"`
	// Author: who draws the document up, when it is a professional of the
	// file ("architect": the plans, the notices, the architect's
	// certificate). That professional signs it electronically from their
	// space; what others issued (an ID card, a land certificate) is not
	// the filer's to sign. A PDF only.
	Author string `json:"author,omitempty"`
}

// mimeTypes are the content types each document type accepts, as
// detected from the bytes.
var mimeTypes = map[string][]string{
	"pdf":   {"application/pdf"},
	"image": {"image/jpeg", "image/png"},
}

// Accepted lists the content types an upload of the document may have.
func (d Document) Accepted() []string {
	var out []string
	for _, t := range d.Types {
		out = append(out, mimeTypes[t]...)
	}
	return out
}

// ScheduleSpec is a set of legal deadlines: the overall one and one per
// step and actor.
type ScheduleSpec struct {
	Code    string       `json:"code"`
	Name    Text         `json:"name"`
	Overall DeadlineSpec `json:"overall"`
	Steps   []StepSpec   `json:"steps"`
}

// DeadlineSpec is a deadline as written, its source named by code.
type DeadlineSpec struct {
	Value   int    `json:"value"`
	Unit    string `json:"unit"`
	From    string `json:"from,omitempty"` // overall deadlines only; default complete_file
	Source  string `json:"source"`
	Silence string `json:"silence,omitempty"`
}

// StepSpec is a step of a schedule: who acts, within what deadline (none:
// within the overall one).
type StepSpec struct {
	Step     string        `json:"step"`
	Actor    string        `json:"actor"`
	Deadline *DeadlineSpec `json:"deadline,omitempty"`
}

// RuleSpec sends files of some kinds, when its conditions hold, to a kind
// of window. Rules are tried in order; the first that holds wins.
type RuleSpec struct {
	Code        string      `json:"code"`
	Window      string      `json:"window"`
	Kinds       []string    `json:"kinds"`
	When        *Conditions `json:"when,omitempty"`
	Explanation Text        `json:"explanation"`
}

// Conditions hold when every condition of All holds and, if Any is not
// empty, at least one of Any.
type Conditions struct {
	All []Condition `json:"all,omitempty"`
	Any []Condition `json:"any,omitempty"`
}

// Condition compares a form field with a value: a number for number
// fields (eq, ne, gt, gte, lt, lte), true or false for boolean ones (eq),
// an option code — or a list of them for "in" — for choice ones (eq, ne, in).
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value any    `json:"value"`
}

// KindSpec is a permit kind as written.
type KindSpec struct {
	Code              string         `json:"code"`
	Family            string         `json:"family"`
	Name              Text           `json:"name"`
	Description       Text           `json:"description"`
	Keywords          *Text          `json:"keywords,omitempty"` // everyday words people search with, comma-separated
	Filers            []string       `json:"filers"`
	ArchitectRequired *bool          `json:"architect_required"`
	Fields            []FieldUse     `json:"fields"`
	Documents         []DocumentUse  `json:"documents"`
	Handling          []HandlingSpec `json:"handling"`
	Fees              []FeeSpec      `json:"fees"`
	// Validity is how long an authorisation of the kind lasts from its
	// decision: the decision document prints it. Economic kinds state it.
	Validity *ValiditySpec `json:"validity,omitempty"`
}

// ValiditySpec is how long a granted authorisation lasts, in days or
// months from the decision, its source named by code.
type ValiditySpec struct {
	Value  int    `json:"value"`
	Unit   string `json:"unit"`
	Source string `json:"source"`
}

// FieldUse puts a field on a kind's form.
type FieldUse struct {
	Field    string `json:"field"`
	Required *bool  `json:"required"`
}

// DocumentUse puts a document on a kind's checklist: required always,
// required when conditions hold, or optional.
type DocumentUse struct {
	Document string      `json:"document"`
	Required *bool       `json:"required"`
	When     *Conditions `json:"when,omitempty"`
}

// HandlingSpec says how a window handles a kind: its deadlines and its
// committee. No window: every window the kind is routed to.
type HandlingSpec struct {
	Window    string `json:"window,omitempty"`
	Schedule  string `json:"schedule"`
	Committee string `json:"committee"`
}

// FeeSpec is an informative fee.
type FeeSpec struct {
	Name   Text   `json:"name"`
	Amount Text   `json:"amount"`
	Source string `json:"source"`
}

// Catalogue is a checked catalogue with every reference resolved. It is
// never modified once built.
type Catalogue struct {
	Version   string  `json:"version"`
	City      string  `json:"city"`
	Effective string  `json:"effective"`
	Kinds     []*Kind `json:"kinds"`
	Deposit   Deposit `json:"deposit"`
	Rules     int     `json:"-"`
	Schedules int     `json:"-"`
	byCode    map[string]*Kind
	steps     map[string]Step
	bodies    []Term
}

// Kind is a permit kind with its documents, fields, routing, handling and
// fees spelt out.
type Kind struct {
	Code              string        `json:"code"`
	Family            string        `json:"family"`
	Name              Text          `json:"name"`
	Description       Text          `json:"description"`
	Filers            []string      `json:"filers"`
	ArchitectRequired bool          `json:"architect_required"`
	Fields            []FormField   `json:"fields"`
	Documents         []Requirement `json:"documents"`
	Routing           []*Rule       `json:"routing"`
	Handling          []Handling    `json:"handling"`
	Fees              []Fee         `json:"fees"`
	Validity          *Validity     `json:"validity,omitempty"` // nil: the catalogue states none

	fields map[string]*Field
	search string // folded names and descriptions
}

// FormField is a field on a kind's form.
type FormField struct {
	Field
	Required bool `json:"required"`
}

// Requirement is a document on a kind's checklist. When is set only on
// required documents: they are required when it holds.
type Requirement struct {
	Document
	Required bool        `json:"required"`
	When     *Conditions `json:"when,omitempty"`
}

// Rule is a routing rule.
type Rule struct {
	Code        string      `json:"code"`
	Window      string      `json:"window"`
	When        *Conditions `json:"when,omitempty"`
	Explanation Text        `json:"explanation"`
}

// Handling is how files of a kind are handled at a window ("" for any).
type Handling struct {
	Window    string    `json:"window,omitempty"`
	Schedule  Schedule  `json:"schedule"`
	Committee Committee `json:"committee"`
}

// Committee is a committee type with its members: the permanent ones
// and the occasional ones (Kind.Seats selects them for a file).
type Committee struct {
	Code       string           `json:"code"`
	Name       Text             `json:"name"`
	Sessions   *SessionCalendar `json:"sessions,omitempty"`
	Members    []Term           `json:"members"`
	Occasional []Occasional     `json:"occasional,omitempty"`
	Decision   DecisionRule     `json:"decision"`
}

// DecisionRule is a committee's decision rule, with its legal source.
type DecisionRule struct {
	Binding      []string `json:"binding"`
	Unfavourable string   `json:"unfavourable"`
	Reservations string   `json:"reservations"`
	MaxRounds    int      `json:"max_rounds"`
	Source       Source   `json:"source"`
}

// Occasional is a body on a committee for the files meeting When.
type Occasional struct {
	Body   Term        `json:"body"`
	When   *Conditions `json:"when"`
	Reason Text        `json:"reason"`
}

// Seat is a body selected to sit on a file's committee, and why: a
// permanent member (Reason empty), or an occasional one whose condition
// the file meets (Reason says which).
type Seat struct {
	Body      Term `json:"body"`
	Permanent bool `json:"permanent"`
	Reason    Text `json:"reason,omitzero"`
}

// Seats selects the bodies sitting on committee cm for a file of this
// kind with values v: every permanent member, then each occasional one
// whose conditions the values meet, in the catalogue's order.
func (k *Kind) Seats(cm Committee, v Values) []Seat {
	out := make([]Seat, 0, len(cm.Members)+len(cm.Occasional))
	for _, m := range cm.Members {
		out = append(out, Seat{Body: m, Permanent: true})
	}
	for _, o := range cm.Occasional {
		if k.holds(o.When, v) {
			out = append(out, Seat{Body: o.Body, Reason: o.Reason})
		}
	}
	return out
}

// Schedule is a set of legal deadlines.
type Schedule struct {
	Code    string         `json:"code"`
	Name    Text           `json:"name"`
	Overall Deadline       `json:"overall"`
	Steps   []ScheduleStep `json:"steps"`
}

// ScheduleStep is a step, its actor and its deadline (nil: within the
// overall deadline).
type ScheduleStep struct {
	Step
	Actor    Term      `json:"actor"`
	Deadline *Deadline `json:"deadline,omitempty"`
}

// Deadline is a legal deadline with its source.
type Deadline struct {
	Value   int    `json:"value"`
	Unit    string `json:"unit"`
	From    string `json:"from,omitempty"`
	Silence string `json:"silence,omitempty"`
	Source  Source `json:"source"`
}

// Validity is how long a granted authorisation lasts from its decision,
// with its source.
type Validity struct {
	Value  int    `json:"value"`
	Unit   string `json:"unit"` // Days or Months
	Source Source `json:"source"`
}

// Until is the last instant an authorisation decided at t is valid: the
// end of the day before the same date Value days or months later, in
// the city's time zone (granted on 5 December for 12 months: valid until
// 4 December of the next year, included).
func (v Validity) Until(t time.Time, zone *time.Location) time.Time {
	d := t.In(zone)
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone)
	if v.Unit == Months {
		return start.AddDate(0, v.Value, 0).Add(-time.Millisecond)
	}
	return start.AddDate(0, 0, v.Value).Add(-time.Millisecond)
}

// Fee is an informative fee with its source.
type Fee struct {
	Name   Text   `json:"name"`
	Amount Text   `json:"amount"`
	Source Source `json:"source"`
}

// ValidationError lists every problem found in a catalogue.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "; ") }

// Problems returns the problems of a refused catalogue, nil if err is
// something else.
func Problems(err error) []string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return nil
}

// invalid is the error of a refused catalogue. Its message key is the
// permit capability's, which translates it.
func invalid(cause error) error {
	return errs.E(errs.Invalid, "permit.error.catalogue").Cause(cause)
}

// Casablanca returns the embedded catalogue of Casablanca.
func Casablanca() *Catalogue {
	c, err := Parse(casablancaJSON)
	if err != nil {
		panic("catalogue: embedded catalogue is invalid: " + err.Error())
	}
	return c
}

// CasablancaSpec returns the embedded catalogue as written, to derive
// another from.
func CasablancaSpec() Spec {
	s, err := ParseSpec(casablancaJSON)
	if err != nil {
		panic("catalogue: embedded catalogue is invalid: " + err.Error())
	}
	return s
}

// Load reads the catalogue file at path, or returns the embedded default
// when path is empty.
func Load(path string) (*Catalogue, error) {
	if path == "" {
		return Casablanca(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("permit catalogue: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("permit catalogue %s: %w", path, err)
	}
	return c, nil
}

// Parse reads and checks a catalogue file.
func Parse(b []byte) (*Catalogue, error) {
	s, err := ParseSpec(b)
	if err != nil {
		return nil, err
	}
	return Compile(s)
}

// ParseSpec decodes a catalogue file without checking it. Unknown keys
// are refused, so that a misspelt one is not silently ignored.
func ParseSpec(b []byte) (Spec, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			err = fmt.Errorf("%s: %w", position(b, se.Offset-1), err) // Offset is just past the bad byte
		case errors.As(err, &te):
			err = fmt.Errorf("%s: %s is a JSON %s, want %s", position(b, te.Offset), te.Field, te.Value, te.Type)
		}
		return s, invalid(&ValidationError{Problems: []string{err.Error()}})
	}
	if dec.More() {
		return s, invalid(&ValidationError{Problems: []string{"text after the catalogue's closing brace"}})
	}
	return s, nil
}

// position is "line L, column C" of byte offset off.
func position(b []byte, off int64) string {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

var codeRE = regexp.MustCompile(`^[a-z0-9]+([_-][a-z0-9]+)*$`)

// checker collects a catalogue's problems.
type checker struct{ probs []string }

func (c *checker) addf(format string, a ...any) { c.probs = append(c.probs, fmt.Sprintf(format, a...)) }

func (c *checker) text(what, name string, t Text) {
	if m := t.Missing(); m != "" {
		c.addf("%s: %s lacks a translation (%s)", what, name, m)
	}
}

// index checks codes are unique slugs and maps each to its position.
func index[T any](c *checker, section string, items []T, code func(T) string) map[string]int {
	m := make(map[string]int, len(items))
	for i, it := range items {
		k := code(it)
		switch {
		case !codeRE.MatchString(k) || len(k) > 64:
			c.addf("%s #%d: code %q is not a lower-case code (letters, digits, _ or -)", section, i+1, k)
		case m[k] > 0:
			c.addf("%s: duplicate code %q", section, k)
		default:
			m[k] = i + 1 // 0 means absent
		}
	}
	return m
}

func (c *checker) deadline(what string, d DeadlineSpec, sources map[string]int, overall bool) {
	if d.Value <= 0 {
		c.addf("%s: deadline value %d, want a positive number", what, d.Value)
	}
	if !slices.Contains(timeUnits, d.Unit) {
		c.addf("%s: deadline unit %q, want one of %s", what, d.Unit, strings.Join(timeUnits, ", "))
	}
	if d.Source == "" {
		c.addf("%s: deadline without a source: name the text it rests on", what)
	} else if sources[d.Source] == 0 {
		c.addf("%s: unknown source %q", what, d.Source)
	}
	if d.Silence != "" && !slices.Contains(silences, d.Silence) {
		c.addf("%s: silence %q, want one of %s", what, d.Silence, strings.Join(silences, ", "))
	}
	if d.From != "" && !overall {
		c.addf("%s: only an overall deadline says what it runs from", what)
	}
	if d.From != "" && !slices.Contains(froms, d.From) {
		c.addf("%s: from %q, want one of %s", what, d.From, strings.Join(froms, ", "))
	}
}

// conditions checks cs against a kind's fields and returns a copy with
// normalised values (float64, bool, string, []string).
func (c *checker) conditions(what string, cs *Conditions, fields map[string]*Field) *Conditions {
	if cs == nil {
		return nil
	}
	if len(cs.All) == 0 && len(cs.Any) == 0 {
		c.addf("%s: empty condition; leave \"when\" out instead", what)
		return nil
	}
	out := &Conditions{}
	for _, group := range []struct {
		in  []Condition
		out *[]Condition
	}{{cs.All, &out.All}, {cs.Any, &out.Any}} {
		for _, cd := range group.in {
			if n, ok := c.condition(what, cd, fields); ok {
				*group.out = append(*group.out, n)
			}
		}
	}
	return out
}

func (c *checker) condition(what string, cd Condition, fields map[string]*Field) (Condition, bool) {
	f := fields[cd.Field]
	if f == nil {
		c.addf("%s: condition on field %q, which is not on this kind's form", what, cd.Field)
		return cd, false
	}
	ops := opsByType[f.Type]
	if len(ops) == 0 {
		c.addf("%s: field %q is a %s field; conditions apply to number, boolean and choice fields", what, cd.Field, f.Type)
		return cd, false
	}
	if !slices.Contains(ops, cd.Op) {
		c.addf("%s: operator %q on %s field %q, want one of %s", what, cd.Op, f.Type, cd.Field, strings.Join(ops, ", "))
		return cd, false
	}
	bad := func(want string) (Condition, bool) {
		c.addf("%s: field %q compared with %v, want %s", what, cd.Field, cd.Value, want)
		return cd, false
	}
	switch f.Type {
	case FieldNumber:
		n, ok := toFloat(cd.Value)
		if !ok {
			return bad("a number")
		}
		cd.Value = n
	case FieldBoolean:
		if _, ok := cd.Value.(bool); !ok {
			return bad("true or false")
		}
	case FieldChoice:
		var vs []string
		if cd.Op == "in" {
			var ok bool
			if vs, ok = toStrings(cd.Value); !ok || len(vs) == 0 {
				return bad("a list of option codes")
			}
		} else {
			s, ok := cd.Value.(string)
			if !ok {
				return bad("an option code")
			}
			vs = []string{s}
		}
		for _, v := range vs {
			if _, ok := f.Option(v); !ok {
				c.addf("%s: field %q has no option %q", what, cd.Field, v)
				return cd, false
			}
		}
		if cd.Op == "in" {
			cd.Value = vs
		} else {
			cd.Value = vs[0]
		}
	}
	return cd, true
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func toStrings(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return l, true
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// Compile checks a catalogue as written and resolves its references. A
// refused catalogue's error lists every problem found (see Problems).
func Compile(s Spec) (*Catalogue, error) {
	c := &checker{}
	if s.Format != Format {
		c.addf("format %d is not supported: this version of Madina reads format %d", s.Format, Format)
	}
	if strings.TrimSpace(s.Version) == "" {
		c.addf("version is missing: number the catalogue's content")
	}
	if !codeRE.MatchString(s.City) {
		c.addf("city %q is not a lower-case code", s.City)
	}
	if _, err := time.Parse(time.DateOnly, s.Effective); err != nil {
		c.addf("effective %q is not a date (YYYY-MM-DD)", s.Effective)
	}

	sources := index(c, "sources", s.Sources, func(x Source) string { return x.Code })
	for _, x := range s.Sources {
		c.text("source "+strconvQ(x.Code), "short", x.Short)
		c.text("source "+strconvQ(x.Code), "name", x.Name)
		if x.URL != "" && !strings.HasPrefix(x.URL, "https://") {
			c.addf("source %q: url %q must start with https://", x.Code, x.URL)
		}
	}
	actors := index(c, "actors", s.Actors, func(x Term) string { return x.Code })
	for _, x := range s.Actors {
		c.text("actor "+strconvQ(x.Code), "name", x.Name)
	}
	steps := index(c, "steps", s.Steps, func(x Step) string { return x.Code })
	for _, x := range s.Steps {
		c.text("step "+strconvQ(x.Code), "name", x.Name)
		c.text("step "+strconvQ(x.Code), "description", x.Description)
	}
	bodies := index(c, "bodies", s.Bodies, func(x Term) string { return x.Code })
	for _, x := range s.Bodies {
		c.text("body "+strconvQ(x.Code), "name", x.Name)
	}

	committees := map[string]Committee{}
	cidx := index(c, "committees", s.Committees, func(x CommitteeSpec) string { return x.Code })
	for _, x := range s.Committees {
		what := "committee " + strconvQ(x.Code)
		c.text(what, "name", x.Name)
		if len(x.Members) == 0 {
			c.addf("%s has no member", what)
		}
		cm := Committee{Code: x.Code, Name: x.Name, Sessions: x.Sessions}
		if x.Sessions != nil {
			c.sessions(what, x.Sessions, s.Kinds)
		}
		seated := map[string]bool{}
		for _, m := range x.Members {
			if i := bodies[m]; i == 0 {
				c.addf("%s: unknown member body %q", what, m)
			} else if seated[m] {
				c.addf("%s: member body %q twice", what, m)
			} else {
				seated[m] = true
				cm.Members = append(cm.Members, s.Bodies[i-1])
			}
		}
		if cidx[x.Code] > 0 {
			committees[x.Code] = cm
		}
	}

	fields := map[string]*Field{}
	fidx := index(c, "fields", s.Fields, func(x Field) string { return x.Code })
	for i := range s.Fields {
		f := s.Fields[i]
		what := "field " + strconvQ(f.Code)
		c.text(what, "label", f.Label)
		if !slices.Contains(fieldTypes, f.Type) {
			c.addf("%s: type %q, want one of %s", what, f.Type, strings.Join(fieldTypes, ", "))
		}
		if f.Unit != "" && (f.Type != FieldNumber || !slices.Contains(units, f.Unit)) {
			c.addf("%s: unit %q, want one of %s on a number field", what, f.Unit, strings.Join(units, ", "))
		}
		if (f.Min != nil || f.Max != nil || f.Integer) && f.Type != FieldNumber {
			c.addf("%s: min, max and integer apply to number fields only", what)
		}
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			c.addf("%s: min %v is above max %v", what, *f.Min, *f.Max)
		}
		if f.Type == FieldChoice {
			if len(f.Options) < 2 {
				c.addf("%s: a choice field needs at least two options", what)
			}
			index(c, what+" options", f.Options, func(o Option) string { return o.Code })
			for _, o := range f.Options {
				c.text(what, "option "+strconvQ(o.Code), o.Label)
			}
		} else if len(f.Options) > 0 {
			c.addf("%s: options apply to choice fields only", what)
		}
		if fidx[f.Code] > 0 {
			fields[f.Code] = &f
		}
	}

	// Occasional committee members, once the fields their conditions
	// name are known.
	for _, x := range s.Committees {
		cm, ok := committees[x.Code]
		if !ok || cidx[x.Code] == 0 {
			continue
		}
		what := "committee " + strconvQ(x.Code)
		seated := map[string]bool{}
		for _, m := range cm.Members {
			seated[m.Code] = true
		}
		for _, o := range x.Occasional {
			owhat := what + " occasional member " + strconvQ(o.Body)
			i := bodies[o.Body]
			switch {
			case i == 0:
				c.addf("%s: unknown body", owhat)
				continue
			case seated[o.Body]:
				c.addf("%s: already a member (once, permanent or occasional)", owhat)
				continue
			case o.When == nil:
				c.addf("%s: no condition; a member on every file is a permanent one", owhat)
				continue
			}
			seated[o.Body] = true
			c.text(owhat, "reason", o.Reason)
			cm.Occasional = append(cm.Occasional, Occasional{Body: s.Bodies[i-1], Reason: o.Reason,
				When: c.conditions(owhat, o.When, fields)})
		}
		cm.Decision = c.rule(what, x.Decision, seated, s.Sources)
		committees[x.Code] = cm
	}

	documents := map[string]Document{}
	didx := index(c, "documents", s.Documents, func(x Document) string { return x.Code })
	for _, d := range s.Documents {
		what := "document " + strconvQ(d.Code)
		c.text(what, "name", d.Name)
		if len(d.Types) == 0 {
			c.addf("%s: no accepted type; give pdf, image or both", what)
		}
		for _, t := range d.Types {
			if !slices.Contains(docTypes, t) {
				c.addf("%s: type %q, want one of %s", what, t, strings.Join(docTypes, ", "))
			}
		}
		if d.Author != "" && (d.Author != "architect" || !slices.Contains(d.Types, "pdf")) {
			c.addf("%s: author %q: only \"architect\", for a document that may be a PDF", what, d.Author)
		}
		if d.Several && !slices.Contains(d.Types, "image") {
			// A set is of pictures, each its own file; a PDF holds
			// many pages in one and replaces the one before.
			c.addf("%s: several files only for items that accept images", what)
		}
		if didx[d.Code] > 0 {
			documents[d.Code] = d
		}
	}

	source := func(code string) Source {
		if i := sources[code]; i > 0 {
			return s.Sources[i-1]
		}
		return Source{Code: code}
	}
	schedules := map[string]Schedule{}
	sidx := index(c, "schedules", s.Schedules, func(x ScheduleSpec) string { return x.Code })
	for _, x := range s.Schedules {
		what := "schedule " + strconvQ(x.Code)
		c.text(what, "name", x.Name)
		c.deadline(what+" overall", x.Overall, sources, true)
		from := x.Overall.From
		if from == "" {
			from = FromCompleteFile
		}
		sc := Schedule{Code: x.Code, Name: x.Name, Overall: Deadline{Value: x.Overall.Value, Unit: x.Overall.Unit,
			From: from, Silence: x.Overall.Silence, Source: source(x.Overall.Source)}}
		if len(x.Steps) == 0 {
			c.addf("%s has no step", what)
		}
		for i, st := range x.Steps {
			swhat := fmt.Sprintf("%s step #%d (%s)", what, i+1, st.Step)
			ss := ScheduleStep{}
			if j := steps[st.Step]; j == 0 {
				c.addf("%s: unknown step %q", swhat, st.Step)
			} else {
				ss.Step = s.Steps[j-1]
			}
			if j := actors[st.Actor]; j == 0 {
				c.addf("%s: unknown actor %q", swhat, st.Actor)
			} else {
				ss.Actor = s.Actors[j-1]
			}
			if d := st.Deadline; d != nil {
				c.deadline(swhat, *d, sources, false)
				ss.Deadline = &Deadline{Value: d.Value, Unit: d.Unit, Silence: d.Silence, Source: source(d.Source)}
			}
			sc.Steps = append(sc.Steps, ss)
		}
		if sidx[x.Code] > 0 {
			schedules[x.Code] = sc
		}
	}

	dp := s.Deposit
	if dp.SlotMinutes < 5 || dp.SlotMinutes > 240 {
		c.addf("deposit: slot_minutes %d must be between 5 and 240", dp.SlotMinutes)
	}
	for _, w := range windowKinds {
		if dp.Capacity[w] < 1 {
			c.addf("deposit: capacity of %s windows must be at least 1", w)
		}
	}
	for w := range dp.Capacity {
		if !slices.Contains(windowKinds, w) {
			c.addf("deposit: capacity for unknown window kind %q", w)
		}
	}
	if dp.HorizonDays < 1 || dp.HorizonDays > 180 {
		c.addf("deposit: horizon_days %d must be between 1 and 180", dp.HorizonDays)
	}
	if dp.MinNoticeHours < 0 || dp.ChangeNoticeHours < 0 || dp.MinNoticeHours > 168 || dp.ChangeNoticeHours > 168 {
		c.addf("deposit: notice hours must be between 0 and 168")
	}
	cat := &Catalogue{Version: s.Version, City: s.City, Effective: s.Effective, byCode: map[string]*Kind{},
		Deposit: dp, Rules: len(s.Routing), Schedules: len(s.Schedules), steps: map[string]Step{}, bodies: s.Bodies}
	for _, x := range s.Steps {
		cat.steps[x.Code] = x
	}
	kidx := index(c, "kinds", s.Kinds, func(x KindSpec) string { return x.Code })
	var specs []KindSpec // of the kinds kept, in the same order
	for i, ks := range s.Kinds {
		k := c.kind(ks, fields, documents, sources, source)
		if kidx[ks.Code] == i+1 {
			cat.Kinds = append(cat.Kinds, k)
			cat.byCode[k.Code] = k
			specs = append(specs, ks)
		}
	}

	// Routing: every rule names known kinds and conditions on their fields;
	// every kind ends with a rule without conditions, so that every file
	// finds a window, and no rule hides behind it.
	index(c, "routing rules", s.Routing, func(x RuleSpec) string { return x.Code })
	settled := map[string]string{} // kind → its rule without conditions
	for _, r := range s.Routing {
		what := "routing rule " + strconvQ(r.Code)
		c.text(what, "explanation", r.Explanation)
		if !slices.Contains(windowKinds, r.Window) {
			c.addf("%s: window %q, want one of %s", what, r.Window, strings.Join(windowKinds, ", "))
		}
		if len(r.Kinds) == 0 {
			c.addf("%s names no kind", what)
		}
		for _, kc := range r.Kinds {
			k := cat.byCode[kc]
			if k == nil {
				c.addf("%s: unknown kind %q", what, kc)
				continue
			}
			if prev, ok := settled[kc]; ok {
				c.addf("%s can never apply to %q: rule %q, without conditions, comes first", what, kc, prev)
				continue
			}
			rule := &Rule{Code: r.Code, Window: r.Window, Explanation: r.Explanation,
				When: c.conditions(fmt.Sprintf("%s for kind %q", what, kc), r.When, k.fields)}
			k.Routing = append(k.Routing, rule)
			if r.When == nil {
				settled[kc] = r.Code
			}
		}
	}

	for i, k := range cat.Kinds {
		what := "kind " + strconvQ(k.Code)
		if _, ok := settled[k.Code]; !ok {
			c.addf("%s: no routing rule without conditions, so some files would find no window", what)
		}
		c.handling(what, k, specs[i].Handling, schedules, committees)
	}

	if len(cat.Kinds) == 0 && len(c.probs) == 0 {
		c.addf("no permit kind")
	}
	if len(c.probs) > 0 {
		return nil, invalid(&ValidationError{Problems: c.probs})
	}
	return cat, nil
}

func strconvQ(s string) string { return strconv.Quote(s) }

// sessions checks a committee's session calendar.
func (c *checker) sessions(what string, sc *SessionCalendar, kinds []KindSpec) {
	what += " sessions"
	if len(sc.Weekdays) == 0 {
		c.addf("%s: no weekday", what)
	}
	seen := map[int]bool{}
	for _, d := range sc.Weekdays {
		switch {
		case d < 1 || d > 7:
			c.addf("%s: weekday %d is outside 1 (Monday) to 7 (Sunday)", what, d)
		case seen[d]:
			c.addf("%s: weekday %d twice", what, d)
		}
		seen[d] = true
	}
	start, end, ok := sc.Hours()
	switch {
	case !ok:
		c.addf("%s: start %q and end %q must be hh:mm", what, sc.Start, sc.End)
	case end <= start:
		c.addf("%s: end %s is not after start %s", what, sc.End, sc.Start)
	}
	switch {
	case sc.Capacity <= 0:
		c.addf("%s: capacity_minutes %d must be above 0", what, sc.Capacity)
	case ok && end > start && sc.Capacity > end-start:
		c.addf("%s: capacity_minutes %d is longer than the sitting (%d minutes)", what, sc.Capacity, end-start)
	}
	if _, ok := sc.Minutes["default"]; !ok {
		c.addf("%s: minutes has no \"default\"", what)
	}
	codes := []string{}
	for k := range sc.Minutes {
		codes = append(codes, k)
	}
	slices.Sort(codes)
	for _, k := range codes {
		m := sc.Minutes[k]
		if k != "default" && !slices.ContainsFunc(kinds, func(ks KindSpec) bool { return ks.Code == k }) {
			c.addf("%s: minutes for unknown kind %q", what, k)
		}
		if m <= 0 {
			c.addf("%s: minutes for %q: %d must be above 0", what, k, m)
		} else if sc.Capacity > 0 && m > sc.Capacity {
			c.addf("%s: minutes for %q: %d is above the capacity (%d)", what, k, m, sc.Capacity)
		}
	}
	if sc.FreezeWorkingDays < 0 || sc.FreezeWorkingDays > 30 {
		c.addf("%s: freeze_working_days %d must be 0 to 30", what, sc.FreezeWorkingDays)
	}
}

// kind checks and resolves one kind, routing and handling aside.
func (c *checker) kind(ks KindSpec, fields map[string]*Field, documents map[string]Document, sources map[string]int, source func(string) Source) *Kind {
	what := "kind " + strconvQ(ks.Code)
	k := &Kind{Code: ks.Code, Family: ks.Family, Name: ks.Name, Description: ks.Description,
		Filers: ks.Filers, fields: map[string]*Field{}}
	c.text(what, "name", ks.Name)
	c.text(what, "description", ks.Description)
	if !slices.Contains(families, ks.Family) {
		c.addf("%s: family %q, want one of %s", what, ks.Family, strings.Join(families, ", "))
	}
	if len(ks.Filers) == 0 {
		c.addf("%s: say who may file (filers)", what)
	}
	for _, f := range ks.Filers {
		if !slices.Contains(filers, f) {
			c.addf("%s: filer %q, want one of %s", what, f, strings.Join(filers, ", "))
		}
	}
	if ks.ArchitectRequired == nil {
		c.addf("%s: architect_required is missing: say true or false", what)
	} else {
		k.ArchitectRequired = *ks.ArchitectRequired
	}
	for _, u := range ks.Fields {
		f := fields[u.Field]
		switch {
		case f == nil:
			c.addf("%s: unknown field %q", what, u.Field)
		case k.fields[u.Field] != nil:
			c.addf("%s: field %q twice", what, u.Field)
		case u.Required == nil:
			c.addf("%s: field %q: required is missing: say true or false", what, u.Field)
		case *u.Required && f.Type == FieldBoolean:
			c.addf("%s: field %q: a yes/no field cannot be required (unticked means no)", what, u.Field)
		default:
			k.fields[u.Field] = f
			k.Fields = append(k.Fields, FormField{Field: *f, Required: *u.Required})
		}
	}
	if len(ks.Documents) == 0 {
		c.addf("%s: no document on the checklist", what)
	}
	seen := map[string]bool{}
	for _, u := range ks.Documents {
		d, ok := documents[u.Document]
		dwhat := fmt.Sprintf("%s document %q", what, u.Document)
		switch {
		case !ok:
			c.addf("%s: unknown document %q", what, u.Document)
			continue
		case seen[u.Document]:
			c.addf("%s: twice", dwhat)
			continue
		case u.Required == nil:
			c.addf("%s: required is missing: say true or false", dwhat)
			continue
		case u.When != nil && !*u.Required:
			c.addf("%s: a condition says when a document is required; this one is optional", dwhat)
		}
		seen[u.Document] = true
		k.Documents = append(k.Documents, Requirement{Document: d, Required: *u.Required,
			When: c.conditions(dwhat, u.When, k.fields)})
	}
	for i, f := range ks.Fees {
		fwhat := fmt.Sprintf("%s fee #%d", what, i+1)
		c.text(fwhat, "name", f.Name)
		c.text(fwhat, "amount", f.Amount)
		if f.Source == "" {
			c.addf("%s: no source", fwhat)
		} else if sources[f.Source] == 0 {
			c.addf("%s: unknown source %q", fwhat, f.Source)
		}
		k.Fees = append(k.Fees, Fee{Name: f.Name, Amount: f.Amount, Source: source(f.Source)})
	}
	if v := ks.Validity; v != nil {
		vwhat := what + " validity"
		if v.Value <= 0 {
			c.addf("%s: value %d, want a positive number", vwhat, v.Value)
		}
		if !slices.Contains(validUnits, v.Unit) {
			c.addf("%s: unit %q, want one of %s", vwhat, v.Unit, strings.Join(validUnits, ", "))
		}
		if v.Source == "" {
			c.addf("%s: no source: name the text it rests on", vwhat)
		} else if sources[v.Source] == 0 {
			c.addf("%s: unknown source %q", vwhat, v.Source)
		}
		k.Validity = &Validity{Value: v.Value, Unit: v.Unit, Source: source(v.Source)}
	} else if ks.Family == Economic {
		// A decision document cannot say how long the authorisation lasts.
		c.addf("%s: no validity: say how long an authorisation lasts (value, unit, source)", what)
	}
	words := []string{k.Code, strings.ReplaceAll(k.Code, "_", " "),
		k.Name.AR, k.Name.FR, k.Name.EN, k.Description.AR, k.Description.FR, k.Description.EN}
	if kw := ks.Keywords; kw != nil {
		words = append(words, kw.AR, kw.FR, kw.EN)
	}
	k.search = textnorm.Fold(strings.Join(words, " \n "))
	return k
}

// handling checks that every window a kind is routed to handles it, once.
func (c *checker) handling(what string, k *Kind, hs []HandlingSpec, schedules map[string]Schedule, committees map[string]Committee) {
	routed := k.Windows()
	if len(hs) == 0 {
		c.addf("%s: no handling: say which schedule and committee apply", what)
		return
	}
	seen := map[string]bool{}
	for _, h := range hs {
		hwhat := what + " handling"
		if h.Window != "" {
			hwhat += fmt.Sprintf(" at the %s window", h.Window)
		}
		switch {
		case h.Window == "" && len(hs) > 1:
			c.addf("%s: an entry without a window must be the only one", hwhat)
		case h.Window != "" && !slices.Contains(routed, h.Window):
			c.addf("%s: no routing rule sends this kind to the %q window", hwhat, h.Window)
		case seen[h.Window]:
			c.addf("%s: twice", hwhat)
		}
		seen[h.Window] = true
		sc, ok := schedules[h.Schedule]
		if !ok {
			c.addf("%s: unknown schedule %q", hwhat, h.Schedule)
		}
		cm, ok := committees[h.Committee]
		if !ok {
			c.addf("%s: unknown committee %q", hwhat, h.Committee)
		}
		k.Handling = append(k.Handling, Handling{Window: h.Window, Schedule: sc, Committee: cm})
	}
	if !seen[""] {
		for _, w := range routed {
			if !seen[w] {
				c.addf("%s: routed to the %q window, which has no handling for it", what, w)
			}
		}
	}
}

// Windows lists the kinds of window the kind's files may be routed to.
func (k *Kind) Windows() []string {
	var ws []string
	for _, r := range k.Routing {
		if !slices.Contains(ws, r.Window) {
			ws = append(ws, r.Window)
		}
	}
	return ws
}

// HandlingAt returns how the window kind w handles the kind's files.
func (k *Kind) HandlingAt(w string) (Handling, bool) {
	for _, h := range k.Handling {
		if h.Window == w || h.Window == "" {
			return h, true
		}
	}
	return Handling{}, false
}

// Field returns the field with code c on the kind's form.
func (k *Kind) Field(c string) (*Field, bool) {
	f, ok := k.fields[c]
	return f, ok
}

// Sources lists, without repeats, the texts the kind's deadlines and fees
// rest on.
func (k *Kind) Sources() []Source {
	var out []Source
	add := func(s Source) {
		if !slices.ContainsFunc(out, func(o Source) bool { return o.Code == s.Code }) {
			out = append(out, s)
		}
	}
	for _, h := range k.Handling {
		add(h.Schedule.Overall.Source)
		for _, st := range h.Schedule.Steps {
			if st.Deadline != nil {
				add(st.Deadline.Source)
			}
		}
	}
	for _, f := range k.Fees {
		add(f.Source)
	}
	if k.Validity != nil {
		add(k.Validity.Source)
	}
	return out
}

// overallName names a file's overall deadline.
var overallName = Text{AR: "الأجل الإجمالي", FR: "Délai global", EN: "Overall deadline"}

// StepRemarks is the applicant's time answering a committee's remarks: a
// step of every committee's file, off the legal clock, that no schedule
// lists.
const StepRemarks = "remarks"

var remarksName = Text{AR: "الجواب عن ملاحظات اللجنة", FR: "Réponse aux remarques de la commission", EN: "Answering the committee’s remarks"}

// Bodies are the bodies that sit on committees, in the catalogue's order.
func (cat *Catalogue) Bodies() []Term { return cat.bodies }

// Body is the body with code c; false (and c as its only name) when the
// catalogue has none.
func (cat *Catalogue) Body(c string) (Term, bool) {
	for _, b := range cat.bodies {
		if b.Code == c {
			return b, true
		}
	}
	return Term{Code: c, Name: Text{AR: c, FR: c, EN: c}}, false
}

// StepName is the name of a step (or of the overall deadline).
func (cat *Catalogue) StepName(code string) Text {
	if code == Overall {
		return overallName
	}
	if code == StepRemarks {
		return remarksName
	}
	if st, ok := cat.steps[code]; ok {
		return st.Name
	}
	return Text{AR: code, FR: code, EN: code}
}

// Kind returns the kind with code c.
func (cat *Catalogue) Kind(c string) (*Kind, error) {
	if k, ok := cat.byCode[c]; ok {
		return k, nil
	}
	return nil, errs.E(errs.NotFound, "permit.error.not_found").Cause(fmt.Errorf("permit kind %q", c))
}

// Search returns the kinds of family (all if empty) whose name or
// description, in any language, contains every word of q. Both sides are
// folded: Arabic presentation forms, diacritics, hamza and alef variants,
// Latin case and accents do not matter.
func (cat *Catalogue) Search(q, family string) []*Kind {
	words := strings.Fields(textnorm.Fold(q))
	var out []*Kind
	for _, k := range cat.Kinds {
		if family != "" && k.Family != family {
			continue
		}
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(k.search, w) }) {
			out = append(out, k)
		}
	}
	return out
}

// Values are a file's form values as typed, keyed by field code. Numbers
// may use Arabic-Indic digits and a decimal comma; a ticked box is "on",
// "true", "yes" or "1".
type Values map[string]string

// Decision is where a file goes and why.
type Decision struct {
	Window      string   // CityWindow or ArrondissementWindow
	Rule        string   // the routing rule that decided
	Explanation Text     // why, in the three languages
	Handling    Handling // the deadlines and committee there
}

// Route chooses the kind of window for a file of kind with values v: the
// first of the kind's rules whose conditions hold. A missing or unreadable
// value makes a condition on it false, so a draft routes as a small
// project until its figures say otherwise.
func (cat *Catalogue) Route(kind string, v Values) (Decision, error) {
	k, err := cat.Kind(kind)
	if err != nil {
		return Decision{}, err
	}
	for _, r := range k.Routing {
		if k.holds(r.When, v) {
			h, _ := k.HandlingAt(r.Window)
			return Decision{Window: r.Window, Rule: r.Code, Explanation: r.Explanation, Handling: h}, nil
		}
	}
	// Compile refuses a kind without an unconditional rule.
	return Decision{}, fmt.Errorf("permit: kind %q: no routing rule applies", kind)
}

// Requires reports whether document code is required for a file of this
// kind with values v.
func (k *Kind) Requires(code string, v Values) bool {
	for _, r := range k.Documents {
		if r.Code == code {
			return r.Required && k.holds(r.When, v)
		}
	}
	return false
}

func (k *Kind) holds(cs *Conditions, v Values) bool {
	if cs == nil {
		return true
	}
	for _, c := range cs.All {
		if !k.test(c, v) {
			return false
		}
	}
	return len(cs.Any) == 0 || slices.ContainsFunc(cs.Any, func(c Condition) bool { return k.test(c, v) })
}

func (k *Kind) test(c Condition, v Values) bool {
	f := k.fields[c.Field]
	if f == nil {
		// A committee's condition on a field this kind's form has not:
		// a file of this kind does not meet it.
		return false
	}
	raw := strings.TrimSpace(v[c.Field])
	switch f.Type {
	case FieldNumber:
		n, ok := ParseNumber(raw)
		if !ok {
			return false
		}
		want := c.Value.(float64)
		switch c.Op {
		case "eq":
			return n == want
		case "ne":
			return n != want
		case "gt":
			return n > want
		case "gte":
			return n >= want
		case "lt":
			return n < want
		case "lte":
			return n <= want
		}
	case FieldBoolean:
		return ParseBool(raw) == c.Value.(bool)
	case FieldChoice:
		switch c.Op {
		case "eq":
			return raw == c.Value.(string)
		case "ne":
			return raw != "" && raw != c.Value.(string)
		case "in":
			return slices.Contains(c.Value.([]string), raw)
		}
	}
	return false
}

// ParseNumber reads a number as people type it: Arabic-Indic digits, a
// decimal comma or the Arabic decimal separator.
func ParseNumber(s string) (float64, bool) {
	s = strings.NewReplacer(",", ".", "٫", ".", " ", "", "\u00a0", "").Replace(textnorm.Digits(strings.TrimSpace(s)))
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

// ParseBool reads a ticked box: "on", "true", "yes" or "1", in any case;
// anything else is false.
func ParseBool(s string) bool {
	switch strings.ToLower(s) {
	case "on", "true", "yes", "1":
		return true
	}
	return false
}
