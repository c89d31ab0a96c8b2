package catalogue

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/errs"
)

func TestCasablancaCatalogue(t *testing.T) {
	cat := Casablanca()
	var urban, economic []string
	for _, k := range cat.Kinds {
		switch k.Family {
		case Urban:
			urban = append(urban, k.Code)
		case Economic:
			economic = append(economic, k.Code)
		}
		if len(k.Documents) == 0 || len(k.Fields) == 0 || len(k.Fees) == 0 || len(k.Handling) == 0 || len(k.Routing) == 0 {
			t.Errorf("%s is incomplete: %d documents, %d fields, %d fees, %d handlings, %d rules",
				k.Code, len(k.Documents), len(k.Fields), len(k.Fees), len(k.Handling), len(k.Routing))
		}
		for _, w := range k.Windows() {
			if _, ok := k.HandlingAt(w); !ok {
				t.Errorf("%s: no handling at the %s window", k.Code, w)
			}
		}
		for _, s := range k.Sources() {
			if s.Name.AR == "" || s.Short.FR == "" {
				t.Errorf("%s: unresolved source %q", k.Code, s.Code)
			}
		}
	}
	// The sets are data: the site's photographs and the billboard's
	// montage take several files, every other item one at a time.
	var sets []string
	for _, k := range cat.Kinds {
		for _, d := range k.Documents {
			if d.Several && !slices.Contains(sets, d.Code) {
				sets = append(sets, d.Code)
			}
		}
	}
	if !slices.Equal(sets, []string{"photos", "photo_montage"}) {
		t.Errorf("items taking several files: %v", sets)
	}
	wantUrban := []string{"building", "repair", "demolition", "regularisation", "subdivision", "land_division", "housing_group", "habitation", "conformity"}
	wantEconomic := []string{"auto_entrepreneur", "classified_establishment", "telecom_equipment", "billboard"}
	if !slices.Equal(urban, wantUrban) || !slices.Equal(economic, wantEconomic) {
		t.Fatalf("urban %v, economic %v", urban, economic)
	}
	for code, want := range map[string]bool{"building": true, "regularisation": true, "repair": false, "demolition": false, "habitation": false, "auto_entrepreneur": false} {
		if k, _ := cat.Kind(code); k.ArchitectRequired != want {
			t.Errorf("%s: architect required %v, want %v", code, k.ArchitectRequired, want)
		}
	}

	// The legal deadlines of joint order 1839.23, as data with their source.
	b, _ := cat.Kind("building")
	large, _ := b.HandlingAt(CityWindow)
	small, _ := b.HandlingAt(ArrondissementWindow)
	if o := large.Schedule.Overall; o.Value != 30 || o.Unit != Days || o.Source.Code != "order_1839_23" {
		t.Errorf("large projects overall %+v", o)
	}
	if o := small.Schedule.Overall; o.Value != 15 || o.Unit != Days || o.Source.Code != "order_1839_23" {
		t.Errorf("small projects overall %+v", o)
	}
	var steps []string
	for _, st := range large.Schedule.Steps {
		s := st.Code + "/" + st.Actor.Code
		if d := st.Deadline; d != nil {
			s += "/" + strings.Join([]string{itoa(d.Value), d.Unit, d.Source.Code, d.Silence}, "/")
		}
		steps = append(steps, s)
	}
	want := []string{
		"receipt/window/1/days/order_1839_23/",
		"dispatch/window/3/working_days/order_1839_23/",
		"study/members/15/working_days/order_1839_23/approval",
		"minutes/window/3/days/order_1839_23/",
		"decision/president",
	}
	if !slices.Equal(steps, want) {
		t.Errorf("large project steps\n got %q\nwant %q", steps, want)
	}
	for _, code := range []string{"subdivision", "land_division", "housing_group"} {
		k, _ := cat.Kind(code)
		if h, _ := k.HandlingAt(CityWindow); h.Schedule.Overall.Value != 30 {
			t.Errorf("%s: overall %+v, want 30 days", code, h.Schedule.Overall)
		}
	}
	// Every economic kind says how long its authorisation lasts, for the
	// decision document; 12 months is the end of the day before the same
	// date a year later, in Casablanca.
	for _, code := range wantEconomic {
		k, _ := cat.Kind(code)
		if v := k.Validity; v == nil || v.Value <= 0 || v.Source.Name.FR == "" {
			t.Errorf("%s: validity %+v", code, v)
		}
	}
	ae, _ := cat.Kind("auto_entrepreneur")
	casa, _ := time.LoadLocation("Africa/Casablanca")
	if got := ae.Validity.Until(time.Date(2026, 12, 4, 23, 30, 0, 0, time.UTC), casa); got.Format(time.DateTime) != "2027-12-04 23:59:59" {
		t.Errorf("granted 5 December 2026 (00:30 in Casablanca) for 12 months: valid until %s", got)
	}
	for _, code := range []string{"habitation", "conformity"} {
		k, _ := cat.Kind(code)
		h, _ := k.HandlingAt(ArrondissementWindow)
		if o := h.Schedule.Overall; o.Value != 1 || o.Unit != Months || o.From != FromCompletionDeclaration || o.Silence != SilenceReferral {
			t.Errorf("%s: overall %+v, want 1 month from the completion declaration", code, o)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// The catalogue written back out reads the same: the file format is the
// Spec type, nothing else.
func TestCatalogueFileRoundTrips(t *testing.T) {
	b, err := json.Marshal(CasablancaSpec())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Kinds) != 13 || cat.Version != "2023.1" || cat.City != "casablanca" {
		t.Fatalf("%d kinds, version %q, city %q", len(cat.Kinds), cat.Version, cat.City)
	}
}

func TestCompileRefusesBrokenCatalogues(t *testing.T) {
	kind := func(s *Spec, code string) *KindSpec {
		for i := range s.Kinds {
			if s.Kinds[i].Code == code {
				return &s.Kinds[i]
			}
		}
		t.Fatalf("no kind %q", code)
		return nil
	}
	rule := func(s *Spec, code string) *RuleSpec {
		for i := range s.Routing {
			if s.Routing[i].Code == code {
				return &s.Routing[i]
			}
		}
		t.Fatalf("no rule %q", code)
		return nil
	}
	cases := []struct {
		name    string
		breakIt func(*Spec)
		want    string
	}{
		{"unknown kind in a rule", func(s *Spec) { r := rule(s, "r3_and_above"); r.Kinds = append(r.Kinds, "buildng") },
			`routing rule "r3_and_above": unknown kind "buildng"`},
		{"missing translation", func(s *Spec) { kind(s, "demolition").Name.FR = " " },
			`kind "demolition": name lacks a translation (fr)`},
		{"missing Arabic explanation", func(s *Spec) { rule(s, "small_projects").Explanation.AR = "" },
			`routing rule "small_projects": explanation lacks a translation (ar)`},
		{"duplicate kind codes", func(s *Spec) { kind(s, "repair").Code = "building" },
			`kinds: duplicate code "building"`},
		{"duplicate document codes", func(s *Spec) { s.Documents[1].Code = s.Documents[0].Code },
			`documents: duplicate code "application"`},
		{"several PDFs", func(s *Spec) { s.Documents[0].Several = true },
			`document "application": several files only for items that accept images`},
		{"an occasional member already permanent", func(s *Spec) {
			s.Committees[0].Occasional = append(s.Committees[0].Occasional, OccasionalSpec{Body: s.Committees[0].Members[0],
				When: &Conditions{All: []Condition{{Field: "upper_floors", Op: "gte", Value: 2.0}}}, Reason: Text{AR: "س", FR: "r", EN: "r"}})
		}, `committee "urban_large" occasional member "commune": already a member (once, permanent or occasional)`},
		{"an occasional member without a condition", func(s *Spec) {
			s.Committees[0].Occasional[0].When = nil
		}, `committee "urban_large" occasional member "civil_protection": no condition; a member on every file is a permanent one`},
		{"an occasional member on an unknown field", func(s *Spec) {
			s.Committees[0].Occasional[0].When = &Conditions{All: []Condition{{Field: "height", Op: "gt", Value: 10.0}}}
		}, `committee "urban_large" occasional member "civil_protection": condition on field "height"`},
		{"an occasional member without its reason in Arabic", func(s *Spec) { s.Committees[1].Occasional[0].Reason.AR = "" },
			`committee "urban_small" occasional member "civil_protection": reason lacks a translation (ar)`},
		{"a session weekday outside the week", func(s *Spec) { s.Committees[0].Sessions.Weekdays = []int{2, 8} },
			`committee "urban_large" sessions: weekday 8 is outside 1 (Monday) to 7 (Sunday)`},
		{"a session ending before it starts", func(s *Spec) { s.Committees[1].Sessions.End = "08:00" },
			`committee "urban_small" sessions: end 08:00 is not after start 09:30`},
		{"a session of no capacity", func(s *Spec) { s.Committees[0].Sessions.Capacity = 0 },
			`committee "urban_large" sessions: capacity_minutes 0 must be above 0`},
		{"a file longer than the session's capacity", func(s *Spec) { s.Committees[0].Sessions.Minutes["regularisation"] = 300 },
			`committee "urban_large" sessions: minutes for "regularisation": 300 is above the capacity (210)`},
		{"a file of no minutes", func(s *Spec) { s.Committees[1].Sessions.Minutes["default"] = 0 },
			`committee "urban_small" sessions: minutes for "default": 0 must be above 0`},
		{"minutes for an unknown kind", func(s *Spec) { s.Committees[1].Sessions.Minutes["villa"] = 20 },
			`committee "urban_small" sessions: minutes for unknown kind "villa"`},
		{"a capacity longer than the sitting", func(s *Spec) { s.Committees[3].Sessions.Capacity = 200 },
			`committee "land_division" sessions: capacity_minutes 200 is longer than the sitting (150 minutes)`},
		{"an author who is no professional of the file", func(s *Spec) { s.Documents[0].Author = "notary" },
			`document "application": author "notary": only "architect", for a document that may be a PDF`},
		{"deadline without source", func(s *Spec) { s.Schedules[0].Steps[1].Deadline.Source = "" },
			`schedule "large_project" step #2 (dispatch): deadline without a source`},
		{"overall deadline without source", func(s *Spec) { s.Schedules[1].Overall.Source = "" },
			`schedule "small_project" overall: deadline without a source`},
		{"unknown source", func(s *Spec) { s.Schedules[0].Overall.Source = "order_1839_32" },
			`schedule "large_project" overall: unknown source "order_1839_32"`},
		{"condition on a field not on the form", func(s *Spec) {
			k := kind(s, "repair")
			k.Documents[0].When = &Conditions{All: []Condition{{Field: "upper_floors", Op: "gte", Value: 2.0}}}
		}, `kind "repair" document "application": condition on field "upper_floors", which is not on this kind's form`},
		{"operator unfit for the field", func(s *Spec) {
			k := kind(s, "building")
			k.Documents[3].When = &Conditions{All: []Condition{{Field: "owner_kind", Op: "gte", Value: "company"}}}
		}, `operator "gte" on choice field "owner_kind"`},
		{"unknown option", func(s *Spec) {
			rule(s, "classified_major").When = &Conditions{All: []Condition{{Field: "establishment_class", Op: "in", Value: []any{"1", "4"}}}}
		}, `field "establishment_class" has no option "4"`},
		{"number compared with text", func(s *Spec) {
			rule(s, "r3_and_above").When = &Conditions{All: []Condition{{Field: "upper_floors", Op: "gte", Value: "three"}}}
		}, `field "upper_floors" compared with three, want a number`},
		{"a kind no rule settles", func(s *Spec) {
			r := rule(s, "small_projects")
			r.Kinds = slices.DeleteFunc(r.Kinds, func(k string) bool { return k == "repair" })
		}, `kind "repair": no routing rule without conditions`},
		{"a rule that can never apply", func(s *Spec) {
			r := *rule(s, "public_buildings")
			r.Code = "late_public_buildings"
			s.Routing = append(s.Routing, r)
		}, `routing rule "late_public_buildings" can never apply to "building": rule "small_projects", without conditions, comes first`},
		{"a routed window without handling", func(s *Spec) { k := kind(s, "building"); k.Handling = k.Handling[:1] },
			`kind "building": routed to the "arrondissement" window, which has no handling for it`},
		{"handling at a window no rule routes to", func(s *Spec) {
			k := kind(s, "subdivision")
			k.Handling = append(k.Handling, HandlingSpec{Window: "arrondissement", Schedule: "small_project", Committee: "urban_small"})
		}, `kind "subdivision" handling at the arrondissement window: no routing rule sends this kind to the "arrondissement" window`},
		{"unknown committee", func(s *Spec) { kind(s, "land_division").Handling[0].Committee = "cadastre" },
			`unknown committee "cadastre"`},
		{"unknown window kind", func(s *Spec) { rule(s, "city_economic").Window = "prefecture" },
			`routing rule "city_economic": window "prefecture"`},
		{"architect requirement not stated", func(s *Spec) { kind(s, "regularisation").ArchitectRequired = nil },
			`kind "regularisation": architect_required is missing`},
		{"unknown document type", func(s *Spec) { s.Documents[2].Types = []string{"docx"} },
			`document "ownership": type "docx"`},
		{"unknown format", func(s *Spec) { s.Format = 2 },
			`format 2 is not supported`},
		{"unknown filer", func(s *Spec) { kind(s, "billboard").Filers = []string{"owner", "neighbour"} },
			`kind "billboard": filer "neighbour"`},
		{"economic kind without validity", func(s *Spec) { kind(s, "billboard").Validity = nil },
			`kind "billboard": no validity`},
		{"validity in working days", func(s *Spec) { kind(s, "billboard").Validity.Unit = WorkingDays },
			`kind "billboard" validity: unit "working_days"`},
		{"validity of no length", func(s *Spec) { kind(s, "auto_entrepreneur").Validity.Value = 0 },
			`kind "auto_entrepreneur" validity: value 0`},
		{"validity without source", func(s *Spec) { kind(s, "telecom_equipment").Validity.Source = "" },
			`kind "telecom_equipment" validity: no source`},
		{"validity from an unknown source", func(s *Spec) { kind(s, "telecom_equipment").Validity.Source = "law_99_99" },
			`kind "telecom_equipment" validity: unknown source "law_99_99"`},
		{"binding body not on the committee", func(s *Spec) { s.Committees[0].Decision.Binding = []string{"land_registry"} },
			`committee "urban_large" decision: binding body "land_registry" does not sit on the committee`},
		{"unknown lead of reservations", func(s *Spec) { s.Committees[0].Decision.Reservations = "ignore" },
			`committee "urban_large" decision: reservations "ignore", want one of conditions, remarks`},
		{"no round", func(s *Spec) { s.Committees[1].Decision.MaxRounds = 0 },
			`committee "urban_small" decision: max_rounds 0, want 1 to 10`},
		{"decision rule from an unknown source", func(s *Spec) { s.Committees[1].Decision.Source = "" },
			`committee "urban_small" decision: unknown source ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := CasablancaSpec()
			c.breakIt(&s)
			_, err := Compile(s)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("err %v, want invalid", err)
			}
			probs := Problems(err)
			if !slices.ContainsFunc(probs, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Fatalf("problems\n  %s\ndo not say %q", strings.Join(probs, "\n  "), c.want)
			}
			// The same through the file format.
			b, _ := json.Marshal(s)
			if _, err := Parse(b); !errs.Is(err, errs.Invalid) {
				t.Fatalf("the file was accepted: %v", err)
			}
		})
	}

	// Every problem is reported at once.
	s := CasablancaSpec()
	kind(&s, "demolition").Name.FR = ""
	rule(&s, "r3_and_above").Kinds[0] = "buildng"
	if probs := Problems(func() error { _, err := Compile(s); return err }()); len(probs) < 2 {
		t.Fatalf("problems %q, want both", probs)
	}
}

func TestParseRefusesMalformedFiles(t *testing.T) {
	cases := map[string]struct{ file, want string }{
		"syntax error":  {"{\n  \"format\": 1,\n  \"version\": \"x\",,\n}", "line 3, column"},
		"misspelt key":  {`{"format": 1, "kinds": [{"code": "building", "architect_requird": true}]}`, `unknown field "architect_requird"`},
		"wrong type":    {`{"format": "one"}`, "format is a JSON string, want int"},
		"trailing text": {`{"format": 1} {}`, "text after"},
	}
	for name, c := range cases {
		_, err := Parse([]byte(c.file))
		probs := Problems(err)
		if !errs.Is(err, errs.Invalid) || len(probs) != 1 || !strings.Contains(probs[0], c.want) {
			t.Errorf("%s: %v, want a problem saying %q", name, err, c.want)
		}
	}
}

func TestRoute(t *testing.T) {
	cat := Casablanca()
	cases := []struct {
		name, kind string
		v          Values
		window     string
		rule       string
		schedule   string
	}{
		{"R+3 building", "building", Values{"upper_floors": "3"}, CityWindow, "r3_and_above", "large_project"},
		{"R+8 tower in Arabic digits", "building", Values{"upper_floors": "٨"}, CityWindow, "r3_and_above", "large_project"},
		{"R+1 house", "building", Values{"upper_floors": "1", "use": "housing"}, ArrondissementWindow, "small_projects", "small_project"},
		{"R+2 building", "building", Values{"upper_floors": "2"}, ArrondissementWindow, "small_projects", "small_project"},
		{"R+1 school", "building", Values{"upper_floors": "1", "public_building": "on"}, CityWindow, "public_buildings", "large_project"},
		{"draft without figures", "building", nil, ArrondissementWindow, "small_projects", "small_project"},
		{"unreadable floors", "building", Values{"upper_floors": "many"}, ArrondissementWindow, "small_projects", "small_project"},
		{"subdivision", "subdivision", Values{"lots": "40"}, CityWindow, "large_operations", "large_project"},
		{"land division", "land_division", nil, CityWindow, "large_operations", "large_project"},
		{"housing group", "housing_group", Values{"upper_floors": "1"}, CityWindow, "large_operations", "large_project"},
		{"repair of a shop", "repair", Values{}, ArrondissementWindow, "small_projects", "small_project"},
		{"R+4 demolition", "demolition", Values{"upper_floors": "4"}, CityWindow, "r3_and_above", "large_project"},
		{"habitation of an R+5", "habitation", Values{"upper_floors": "5"}, CityWindow, "r3_and_above", "after_works"},
		{"habitation of a house", "habitation", Values{"upper_floors": "1"}, ArrondissementWindow, "small_projects", "after_works"},
		{"class 2 establishment", "classified_establishment", Values{"establishment_class": "2"}, CityWindow, "classified_major", "economic_inquiry"},
		{"class 3 establishment", "classified_establishment", Values{"establishment_class": "3"}, ArrondissementWindow, "local_economic", "economic"},
		{"telecom mast", "telecom_equipment", nil, CityWindow, "city_economic", "economic"},
		{"auto-entrepreneur", "auto_entrepreneur", nil, ArrondissementWindow, "local_economic", "economic"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := cat.Route(c.kind, c.v)
			if err != nil {
				t.Fatal(err)
			}
			if d.Window != c.window || d.Rule != c.rule || d.Handling.Schedule.Code != c.schedule {
				t.Fatalf("%s by %s with %s, want %s by %s with %s", d.Window, d.Rule, d.Handling.Schedule.Code, c.window, c.rule, c.schedule)
			}
			if d.Explanation.Missing() != "" {
				t.Fatalf("explanation %+v", d.Explanation)
			}
		})
	}
	if _, err := cat.Route("kiosk", nil); !errs.Is(err, errs.NotFound) {
		t.Fatalf("unknown kind: %v", err)
	}
}

// TestCommitteeSeats: the committee's permanent members sit on every
// file; an occasional one only on the files its condition selects, with
// the reason the file's page gives.
func TestCommitteeSeats(t *testing.T) {
	cat := Casablanca()
	cases := []struct {
		name, kind string
		v          Values
		want       []string // body codes, permanent first
		reasonFR   map[string]string
	}{
		{"R+3 housing", "building", Values{"upper_floors": "3", "use": "housing", "built_area": "900"},
			[]string{"commune", "prefecture", "urban_agency", "distributor"},
			map[string]string{"distributor": "raccordement"}},
		{"R+4 housing: civil protection for the height", "building", Values{"upper_floors": "4", "use": "housing", "built_area": "1200"},
			[]string{"commune", "prefecture", "urban_agency", "civil_protection", "distributor"},
			map[string]string{"civil_protection": "cinq niveaux ou plus"}},
		{"R+1 school", "building", Values{"upper_floors": "1", "public_building": "on", "built_area": "400", "use": "facility"},
			[]string{"commune", "prefecture", "urban_agency", "civil_protection", "distributor"}, nil},
		{"R+1 house at the arrondissement", "building", Values{"upper_floors": "1", "use": "housing", "built_area": "160"},
			[]string{"arrondissement", "prefecture", "urban_agency", "distributor"}, nil},
		{"R+3 block of 24 flats", "building", Values{"upper_floors": "3", "use": "housing", "built_area": "2000", "housing_units": "24"},
			[]string{"commune", "prefecture", "urban_agency", "distributor", "telecom"}, map[string]string{"telecom": "Vingt logements"}},
		{"R+4 demolition: nothing built, no connection", "demolition", Values{"upper_floors": "4"},
			[]string{"commune", "prefecture", "urban_agency", "civil_protection"}, nil},
		{"small subdivision", "subdivision", Values{"lots": "12", "use": "housing"},
			[]string{"commune", "prefecture", "urban_agency", "distributor", "land_registry"}, nil},
		{"subdivision of 40 lots", "subdivision", Values{"lots": "40", "use": "housing"},
			[]string{"commune", "prefecture", "urban_agency", "distributor", "land_registry", "telecom"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := cat.Route(c.kind, c.v)
			if err != nil {
				t.Fatal(err)
			}
			k, _ := cat.Kind(c.kind)
			seats := k.Seats(d.Handling.Committee, c.v)
			var got []string
			for _, s := range seats {
				got = append(got, s.Body.Code)
				if s.Permanent != (s.Reason.FR == "") {
					t.Errorf("%s: permanent %v with reason %q", s.Body.Code, s.Permanent, s.Reason.FR)
				}
				if want := c.reasonFR[s.Body.Code]; want != "" && !strings.Contains(s.Reason.FR, want) {
					t.Errorf("%s: reason %q, want it to say %q", s.Body.Code, s.Reason.FR, want)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("%s's committee %s seats %v, want %v", c.kind, d.Handling.Committee.Code, got, c.want)
			}
		})
	}
}

func TestDocumentConditions(t *testing.T) {
	cat := Casablanca()
	cases := []struct {
		kind, doc string
		v         Values
		want      bool
	}{
		{"building", "seismic_study", Values{"upper_floors": "2"}, true},
		{"building", "seismic_study", Values{"upper_floors": "1"}, false},
		{"building", "company_statutes", Values{"owner_kind": "company"}, true},
		{"building", "company_statutes", Values{"owner_kind": "person"}, false},
		{"building", "fire_safety", Values{"built_area": "1 200,5"}, true},
		{"building", "fire_safety", Values{"built_area": "180", "public_building": "true"}, true},
		{"building", "fire_safety", Values{"built_area": "180"}, false},
		{"building", "application", nil, true},
		{"repair", "existing_plans", nil, false}, // optional
		{"billboard", "electrical_note", Values{"lit": "on"}, true},
		{"billboard", "electrical_note", Values{}, false},
		{"classified_establishment", "impact_study", Values{"establishment_class": "1"}, true},
		{"classified_establishment", "impact_study", Values{"establishment_class": "2"}, false},
	}
	for _, c := range cases {
		k, _ := cat.Kind(c.kind)
		if got := k.Requires(c.doc, c.v); got != c.want {
			t.Errorf("%s %s with %v: required %v, want %v", c.kind, c.doc, c.v, got, c.want)
		}
	}
}

func TestSearch(t *testing.T) {
	cat := Casablanca()
	codes := func(ks []*Kind) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.Code)
		}
		return out
	}
	cases := []struct {
		q, family string
		want      []string
	}{
		{"رخصة البناء", "", []string{"building"}},
		{"ﺭﺧﺼﺔ ﺍﻟﺒﻨﺎﺀ", "", []string{"building"}},            // presentation forms
		{"رُخْصَةُ البِنَاءِ", "", []string{"building"}},     // diacritics
		{"رخصه البناء", "", []string{"building"}},            // ة written ه
		{"الاصلاح", "", []string{"repair"}},                  // إ written ا
		{"اقامة تجهيزات", "", []string{"telecom_equipment"}}, // إقامة without hamza
		{"التجزئة", "", []string{"subdivision"}},             // ئ
		{"ﺍﻹﺻﻼﺡ", "", []string{"repair"}},                    // lam-alef ligature with hamza
		{"REFECTION", "", []string{"repair"}},                // case and accents
		{"permis construire", "", []string{"building"}},      // every word
		{"lotir", "", []string{"subdivision"}},
		{"morcellement", "", []string{"land_division"}},
		{"auto-entrepreneur", "", []string{"auto_entrepreneur"}},
		{"", Economic, []string{"auto_entrepreneur", "classified_establishment", "telecom_equipment", "billboard"}},
		{"permit", Economic, []string{"classified_establishment", "telecom_equipment", "billboard"}},
		{"xyzzy", "", nil},
	}
	for _, c := range cases {
		if got := codes(cat.Search(c.q, c.family)); !slices.Equal(got, c.want) {
			t.Errorf("Search(%q, %q) = %v, want %v", c.q, c.family, got, c.want)
		}
	}
	if n := len(cat.Search("  ", "")); n != 13 {
		t.Errorf("blank search: %d kinds", n)
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]float64{"3": 3, " ١٢ ": 12, "۴": 4, "1 200,5": 1200.5, "2٫5": 2.5, "1e3": 1000} {
		if n, ok := ParseNumber(in); !ok || n != want {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "three", "NaN", "Inf", "1,2,3"} {
		if _, ok := ParseNumber(in); ok {
			t.Errorf("ParseNumber(%q) accepted", in)
		}
	}
}

// TestSessionCalendars: every committee of Casablanca sits on set days,
// and a file takes the minutes of its kind, or the default.
func TestSessionCalendars(t *testing.T) {
	cat := Casablanca()
	for _, k := range cat.Kinds {
		for _, h := range k.Handling {
			if h.Committee.Sessions == nil {
				t.Errorf("%s: committee %s has no session calendar", k.Code, h.Committee.Code)
			}
		}
	}
	k, err := cat.Kind("repair")
	if err != nil {
		t.Fatal(err)
	}
	var sc *SessionCalendar
	for _, h := range k.Handling {
		if h.Committee.Code == "urban_small" {
			sc = h.Committee.Sessions
		}
	}
	if sc == nil {
		t.Fatal("repair has no small projects committee")
	}
	if sc.MinutesFor("repair") != 10 || sc.MinutesFor("building") != 20 {
		t.Fatalf("urban_small: repair %d, building %d minutes", sc.MinutesFor("repair"), sc.MinutesFor("building"))
	}
	if a, b, ok := sc.Hours(); !ok || a != 9*60+30 || b != 12*60+30 {
		t.Fatalf("urban_small sits %d to %d (%v)", a, b, ok)
	}
}
