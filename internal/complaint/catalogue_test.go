package complaint

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDefaultCatalogue(t *testing.T) {
	c, err := ParseCatalogue(defaultCatalogue)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"roads", "lighting", "waste", "green-spaces", "beaches", "water", "noise", "illegal-building",
		"stray-animals", "public-space", "information", "suggestion", "service-complaint"}
	if len(c.Categories) != len(want) {
		t.Fatalf("%d categories, want %d", len(c.Categories), len(want))
	}
	for i, code := range want {
		if c.Categories[i].Code != code {
			t.Errorf("category %d is %q, want %q", i, c.Categories[i].Code, code)
		}
		if _, ok := c.Category(code); !ok {
			t.Errorf("Category(%q) not found", code)
		}
	}
	if got := c.Organisations(); strings.Join(got, ",") != "commune,lydec" {
		t.Errorf("organisations %v", got)
	}
	noise, _ := c.Category("noise")
	if !noise.Private || noise.Anonymous || noise.Responsible("sidi-moumen") != "sidi-moumen" {
		t.Errorf("noise: private %v anonymous %v responsible %q", noise.Private, noise.Anonymous, noise.Responsible("sidi-moumen"))
	}
	light, _ := c.Category("lighting")
	if light.Responsible("sidi-moumen") != "lydec" {
		t.Errorf("lighting answered by %q", light.Responsible("sidi-moumen"))
	}
}

func TestSearchByEverydayWords(t *testing.T) {
	c := DefaultCatalogue()
	for _, tc := range []struct{ q, want string }{
		{"الضو مطفي", "lighting"},  // Darija
		{"الضوء", ""},              // not a word of ours: finds nothing rather than anything
		{"حفرة", "roads"},          // pothole
		{"حُفْرَة", "roads"},       // with vowel marks
		{"Nid de poule", "roads"},  // case
		{"lampadaire", "lighting"}, //
		{"ÉCLAIRAGE", "lighting"},  // accents and case
		{"Stray dogs", "stray-animals"},
		{"الزبل", "waste"},
		{"fuite", "water"},
		{"réclamation guichet", "service-complaint"},
	} {
		got := c.Search(tc.q)
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("Search(%q) = %q first, want nothing", tc.q, got[0].Code)
		case tc.want != "" && (len(got) == 0 || got[0].Code != tc.want):
			codes := []string{}
			for _, k := range got {
				codes = append(codes, k.Code)
			}
			t.Errorf("Search(%q) = %v, want %q first", tc.q, codes, tc.want)
		}
	}
	if n := len(c.Search("  ")); n != len(c.Categories) {
		t.Errorf("empty search gives %d categories", n)
	}
}

func TestAskedFollowsConditions(t *testing.T) {
	roads, _ := DefaultCatalogue().Category("roads")
	names := func(fs []Field) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.Name)
		}
		return strings.Join(s, ",")
	}
	if got := names(roads.Asked(map[string]string{"danger": "false"})); got != "where,danger" {
		t.Errorf("no danger: asked %s", got)
	}
	if got := names(roads.Asked(map[string]string{"danger": "true"})); got != "where,danger,danger_detail" {
		t.Errorf("danger: asked %s", got)
	}
}

// mutate parses the embedded catalogue, lets f change its first category,
// and returns the error of the changed file.
func mutate(t *testing.T, f func(k map[string]any)) error {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(defaultCatalogue, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc["categories"].([]any)[0].(map[string]any))
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseCatalogue(b)
	return err
}

func TestCatalogueMistakesAreNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(k map[string]any)
		want string
	}{
		{"bad code", func(k map[string]any) { k["code"] = "Roads!" }, `code "Roads!"`},
		{"duplicate code", func(k map[string]any) { k["code"] = "lighting" }, `category "lighting": code used twice`},
		{"name missing", func(k map[string]any) { k["name"].(map[string]any)["fr"] = " " }, `category "roads": name missing in fr`},
		{"no words", func(k map[string]any) { k["words"].(map[string]any)["ar"] = []any{} }, "no everyday words in ar"},
		{"routing", func(k map[string]any) { k["routing"] = "prefecture" }, `routing "prefecture"`},
		{"city without organisation", func(k map[string]any) { delete(k, "organisation") }, "routing city needs the organisation"},
		{"arrondissement with organisation", func(k map[string]any) { k["routing"] = "arrondissement" }, "takes no organisation"},
		{"photo", func(k map[string]any) { k["photo"] = "maybe" }, `photo "maybe"`},
		{"acknowledge", func(k map[string]any) { k["service"].(map[string]any)["acknowledge"] = 0 }, "service.acknowledge"},
		{"resolve before acknowledge", func(k map[string]any) { k["service"].(map[string]any)["resolve"] = 1 }, "service.resolve"},
		{"escalation", func(k map[string]any) { k["escalation"].(map[string]any)["to"] = "" }, "escalation.to"},
		{"unknown member", func(k map[string]any) { k["colour"] = "red" }, `unknown field "colour"`},
		{"field kind", func(k map[string]any) { field(k, 0)["kind"] = "photo" }, `field where: kind "photo"`},
		{"reserved field", func(k map[string]any) { field(k, 0)["name"] = "description" }, `field #1: name "description"`},
		{"one option", func(k map[string]any) {
			field(k, 0)["options"] = field(k, 0)["options"].([]any)[:1]
		}, "at least two options"},
		{"condition on a later field", func(k map[string]any) {
			field(k, 2)["when"] = map[string]any{"field": "nothing", "equals": "true"}
		}, `condition on "nothing"`},
		{"condition value", func(k map[string]any) {
			field(k, 2)["when"] = map[string]any{"field": "danger", "equals": "yes"}
		}, "must equal true or false"},
		{"condition on an option", func(k map[string]any) {
			field(k, 2)["when"] = map[string]any{"field": "where", "equals": "roof"}
		}, `names no option of it: "roof"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := mutate(t, tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
	// Several mistakes are all listed.
	err := mutate(t, func(k map[string]any) { k["photo"] = "x"; k["location"] = "y" })
	if err == nil || !strings.Contains(err.Error(), "2 mistakes") {
		t.Errorf("two mistakes: %v", err)
	}
}

func field(k map[string]any, i int) map[string]any { return k["fields"].([]any)[i].(map[string]any) }
