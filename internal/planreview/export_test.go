package planreview

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/testenv"
)

// qpdfJSON reads a PDF with qpdf (a tool nobody here wrote): its check
// must pass, and its JSON gives every object by reference.
func qpdfJSON(t *testing.T, data []byte) (objects map[string]map[string]any, pages []string) {
	t.Helper()
	bin, err := exec.LookPath("qpdf")
	if err != nil {
		t.Fatal("qpdf is required by the export tests: install the Debian package qpdf (scripts/test-deps does)")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if msg, code := testenv.RunTool(t, nil, bin, "--check", in); code != 0 {
		t.Fatalf("qpdf --check: %d\n%s", code, msg)
	}
	if msg, code := testenv.RunTool(t, nil, bin, "--json=2", "--json-key=qpdf", "--json-key=pages", in, out); code != 0 {
		t.Fatalf("qpdf --json: %d\n%s", code, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Pages []struct {
			Object string `json:"object"`
		} `json:"pages"`
		QPDF []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.QPDF) != 2 {
		t.Fatalf("qpdf's JSON: %v", err)
	}
	var objs map[string]struct {
		Value  map[string]any `json:"value"`
		Stream *struct {
			Dict map[string]any `json:"dict"`
		} `json:"stream"`
	}
	if err := json.Unmarshal(doc.QPDF[1], &objs); err != nil {
		t.Fatal(err)
	}
	objects = map[string]map[string]any{}
	for k, v := range objs {
		ref := strings.TrimPrefix(k, "obj:")
		if v.Value != nil {
			objects[ref] = v.Value
		} else if v.Stream != nil {
			objects[ref] = v.Stream.Dict
		}
	}
	for _, p := range doc.Pages {
		pages = append(pages, p.Object)
	}
	return objects, pages
}

// annotationOf builds an annotation of kind from an SVG, measured at
// 1:100 where it measures.
func annotationOf(t *testing.T, id int64, kind, svg string, page int, org string) *Annotation {
	t.Helper()
	s, err := ParseSVG(kind, svg)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	a := &Annotation{ID: id, Kind: kind, Shape: s, Page: page, Organisation: org, Body: "remarque " + kind, Author: 7,
		Updated: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	if calibrated[kind] {
		c, _ := Calibration{Source: SourceScale, Ratio: 100}.Resolve(Page{N: page, UserUnit: 1})
		a.Calibration = &c
	}
	if m, ok, err := Measure(kind, s, 100*pointMetres); err != nil {
		t.Fatal(err)
	} else if ok {
		a.Measurement = &m
	}
	return a
}

// TestExportWritesRealPDFAnnotations: every kind of annotation becomes
// the PDF annotation a viewer knows, on its page, after the original
// bytes left untouched; measurements carry their measure dictionary;
// a reply is a /Text in reply to its annotation; qpdf reads it all back.
// Flattened, no annotation is added and the shapes join the page's
// content.
func TestExportWritesRealPDFAnnotations(t *testing.T) {
	sheet := sheetPDF()
	kinds := []struct{ kind, svg, subtype string }{
		{"pin", `<svg><circle cx="100" cy="100" r="4"/></svg>`, "/Text"},
		{"arrow", `<svg><line x1="10" y1="10" x2="200" y2="50"/></svg>`, "/Line"},
		{"line", `<svg><line x1="10" y1="20" x2="200" y2="60"/></svg>`, "/Line"},
		{"rectangle", `<svg><rect x="300" y="300" width="100" height="50"/></svg>`, "/Square"},
		{"ellipse", `<svg><ellipse cx="500" cy="500" rx="40" ry="20"/></svg>`, "/Circle"},
		{"polygon", `<svg><polygon points="600,600 700,600 650,700"/></svg>`, "/Polygon"},
		{"freehand", `<svg><polyline points="800,800 810,805 820,815 830,812"/></svg>`, "/Ink"},
		{"text", `<svg><rect x="900" y="900" width="200" height="40"/></svg>`, "/FreeText"},
		{"highlight", `<svg><rect x="1000" y="1000" width="300" height="12"/></svg>`, "/Highlight"},
		{"distance", `<svg><line x1="100" y1="1200" x2="316" y2="1488"/></svg>`, "/Line"},
		{"polyline", `<svg><polyline points="100,1500 172,1500 172,1572"/></svg>`, "/PolyLine"},
		{"area", `<svg><polygon points="1500,100 1572,100 1572,172 1500,172"/></svg>`, "/Polygon"},
		{"rectangle_area", `<svg><rect x="1600" y="100" width="144" height="72"/></svg>`, "/Square"},
		{"count", `<svg><circle cx="1800" cy="100" r="3"/><circle cx="1820" cy="100" r="3"/></svg>`, "/Ink"},
		{"angle", `<svg><polyline points="2000,100 1900,100 1900,200"/></svg>`, "/PolyLine"},
	}
	var anns []*Annotation
	for i, k := range kinds {
		anns = append(anns, annotationOf(t, int64(i+1), k.kind, k.svg, 1+i%2, []string{"aucasa", "lydec"}[i%2]))
	}
	anns[0].Replies = []Reply{{ID: 9, Author: 8, Body: "Le recul est de 5 m.", Created: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}}
	names := func(id int64) string { return map[int64]string{7: "Karim Benjelloun", 8: "سلمى العلوي"}[id] }
	out, err := AnnotatePDF(sheet, anns, names, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), string(sheet)) {
		t.Fatal("the original bytes changed: the export is not an incremental update")
	}
	objs, pages := qpdfJSON(t, out)
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	bySubtype := map[string]int{}
	for ref, o := range objs {
		if o["/Type"] != "/Annot" {
			continue
		}
		bySubtype[o["/Subtype"].(string)]++
		nm, _ := o["/NM"].(string)
		if strings.HasPrefix(nm, "u:madina-reply-") {
			if o["/IRT"] == nil || o["/RT"] != "/R" || o["/Contents"] != "u:Le recul est de 5 m." || o["/T"] != "u:سلمى العلوي" {
				t.Errorf("the reply %s: %v", ref, o)
			}
		}
		// Every annotation is on the page that lists it.
		page := o["/P"].(string)
		if !slices.Contains(pages, page) {
			t.Errorf("%s on %s, not a page", ref, page)
		}
		found := false
		for _, a := range objs[page]["/Annots"].([]any) {
			found = found || a == ref
		}
		if !found {
			t.Errorf("%s is not in its page's /Annots", ref)
		}
	}
	want := map[string]int{}
	for _, k := range kinds {
		want[k.subtype]++
	}
	want["/Text"]++ // the reply
	for st, n := range want {
		if bySubtype[st] != n {
			t.Errorf("%d %s annotations, want %d (all: %v)", bySubtype[st], st, n, bySubtype)
		}
	}
	// The measurements: a distance of 5 × 2.54 m, its measure dictionary
	// at 1:100 in metres.
	for _, o := range objs {
		if o["/NM"] == "u:madina-annotation-10" {
			if o["/IT"] != "/LineDimension" || !strings.HasPrefix(o["/Contents"].(string), "u:12.70 m") {
				t.Errorf("the distance: %v", o)
			}
			m, _ := o["/Measure"].(map[string]any)
			if m == nil || m["/Subtype"] != "/RL" || m["/R"] != "u:1:100" {
				t.Errorf("the distance's measure: %v", o["/Measure"])
			}
		}
		if o["/NM"] == "u:madina-annotation-12" && (o["/IT"] != "/PolygonDimension" || !strings.HasPrefix(o["/Contents"].(string), "u:6.45 m²")) {
			t.Errorf("the area: %v", o)
		}
	}

	flat, err := AnnotatePDF(sheet, anns, names, true)
	if err != nil {
		t.Fatal(err)
	}
	objs, pages = qpdfJSON(t, flat)
	for _, o := range objs {
		if o["/Type"] == "/Annot" {
			t.Fatal("a flattened export has annotations")
		}
	}
	for _, p := range pages {
		if c, _ := objs[p]["/Contents"].([]any); len(c) < 3 {
			t.Errorf("page %s: contents %v, want the page's own wrapped and the drawing", p, objs[p]["/Contents"])
		}
	}
}
