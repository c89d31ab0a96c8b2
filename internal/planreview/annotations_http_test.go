package planreview_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

const svgNS = `<svg xmlns="http://www.w3.org/2000/svg">`

// TestAnnotationsOverHTTP, on both engines, on the demonstration: the
// urban agency's member seated on a file annotates its plan through the
// browser's JSON address — a room's area at 1:100 (the server computes
// it), a pin for the committee only, a distance from a reference line;
// bad input is refused in the reader's language with nothing written;
// the owner, through the API with a token, reads only what is shared,
// is told why the committee's notes are not theirs, answers on the
// shared annotation and not on the committee's; a new version of the
// sheet shows the open annotations carried over, not the resolved one.
func TestAnnotationsOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		f := newSheetFixture(t, e)
		web, api := f.sheet("", f.doc), f.sheet("/api/v1", f.doc)

		var c collection
		if code, p := f.call(f.member, "", "GET", web+"/annotations", i18n.FR, nil, &c); code != http.StatusOK {
			t.Fatalf("the member reads the sheet: %d %v", code, p)
		}
		if c.Type != "AnnotationCollection" || c.Total != 0 || !c.Committee || len(c.Sheet.Pages) == 0 ||
			!strings.HasPrefix(c.Sheet.Source, "ni:///sha-256;") || len(c.Sheet.SHA256) != 64 {
			t.Fatalf("the empty sheet: %+v", c)
		}
		source := c.Sheet.Source
		box := c.Sheet.Pages[0].Box
		x, y := box[0]+50, box[1]+50 // a corner well inside page 1

		// A room of 72 × 72 points at 1:100: 2.54 m × 2.54 m.
		room := fmt.Sprintf(`%s<polygon points="%g,%g %g,%g %g,%g %g,%g"/></svg>`, svgNS, x, y, x+72, y, x+72, y+72, x, y+72)
		var area w3c
		code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.FR, annotation(source, "area", room, 1, map[string]any{
			"madina:visibility": "shared", "body": map[string]any{"type": "TextualBody", "value": "Chambre 2 : trop petite ?"},
			"madina:calibration": map[string]any{"source": "scale", "ratio": 100}}), &area)
		if code != http.StatusCreated {
			t.Fatalf("the room's area: %d %v", code, p)
		}
		if area.Measurement == nil || math.Abs(area.Measurement.Value-2.54*2.54) > 1e-6 || area.Measurement.Unit != "m2" ||
			math.Abs(area.Measurement.Perimeter-4*2.54) > 1e-6 || area.Calibration == nil || area.Calibration.Ratio != 100 {
			t.Fatalf("the room's area as the server measured it: %+v %+v", area.Measurement, area.Calibration)
		}
		if area.Creator.Organisation != "aucasa" || area.Creator.Name != "Karim Benjelloun" || area.Motivation != "assessing" ||
			area.Status != "open" || area.Target.Source != source || area.Target.Selector.Value != "page=1" ||
			area.Target.Selector.RefinedBy.Type != "SvgSelector" || area.Body[0].Value != "Chambre 2 : trop petite ?" {
			t.Fatalf("the annotation in W3C form: %+v", area)
		}
		var pin, dist w3c
		if code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.FR, annotation(source, "pin",
			fmt.Sprintf(`%s<circle cx="%g" cy="%g" r="4"/></svg>`, svgNS, x+200, y+200), 1, map[string]any{
				"body": map[string]any{"type": "TextualBody", "value": "Vérifier le recul avec l’agence"}}), &pin); code != http.StatusCreated {
			t.Fatalf("a committee pin: %d %v", code, p)
		}
		if pin.Visibility != "committee" {
			t.Fatalf("a pin is the committee's by default: %q", pin.Visibility)
		}
		// A reference line of 100 units known to be 5 m: a line of 200
		// units is 10 m.
		if code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.FR, annotation(source, "distance",
			fmt.Sprintf(`%s<line x1="%g" y1="%g" x2="%g" y2="%g"/></svg>`, svgNS, x, y, x+120, y+160), 1, map[string]any{
				"madina:visibility":  "shared",
				"madina:calibration": map[string]any{"source": "reference", "line": [][]float64{{x, y}, {x + 100, y}}, "metres": 5}}),
			&dist); code != http.StatusCreated || dist.Measurement == nil || math.Abs(dist.Measurement.Value-10) > 1e-9 {
			t.Fatalf("a distance from a reference line: %d %v %+v", code, p, dist.Measurement)
		}

		// Bad input: a clear message in the reader's language, nothing written.
		before := f.count("planreview_annotations")
		bowtie := fmt.Sprintf(`%s<polygon points="%g,%g %g,%g %g,%g %g,%g"/></svg>`, svgNS, x, y, x+72, y+72, x+72, y, x, y+72)
		scale := map[string]any{"madina:calibration": map[string]any{"source": "scale", "ratio": 100}}
		bad := []struct {
			what string
			lang i18n.Lang
			body map[string]any
			code int
			key  string
			text string
		}{
			{"a self-intersecting polygon", i18n.FR, annotation(source, "area", bowtie, 1, scale), 400, "planreview.error.self_intersecting", "se croise lui-même"},
			{"the same, in Arabic", i18n.AR, annotation(source, "area", bowtie, 1, scale), 400, "planreview.error.self_intersecting", "يتقاطع مع نفسه"},
			{"an absurd scale", i18n.EN, annotation(source, "area", room, 1, map[string]any{"madina:calibration": map[string]any{"source": "scale", "ratio": 0}}),
				400, "planreview.error.scale", "between 1:1 and 1:10000"},
			{"a reference line making a kilometre of a finger", i18n.EN, annotation(source, "distance",
				fmt.Sprintf(`%s<line x1="%g" y1="%g" x2="%g" y2="%g"/></svg>`, svgNS, x, y, x+20, y), 1, map[string]any{
					"madina:calibration": map[string]any{"source": "reference", "line": [][]float64{{x, y}, {x + 20, y}}, "metres": 1000}}),
				400, "planreview.error.scale", "not possible for a plan"},
			{"a page that does not exist", i18n.FR, annotation(source, "area", room, 9, scale), 400, "planreview.error.page", "La page 9 n’existe pas"},
			{"a measurement without a scale", i18n.EN, annotation(source, "area", room, 1, nil), 400, "planreview.error.calibration", "needs a scale"},
			{"the PDF's own scale where it has none", i18n.EN, annotation(source, "area", room, 1, map[string]any{"madina:calibration": map[string]any{"source": "pdf"}}),
				400, "planreview.error.no_pdf_scale", "does not give its own scale"},
			{"another version's hash", i18n.EN, annotation("ni:///sha-256;"+strings.Repeat("A", 43), "area", room, 1, scale), 409, "planreview.error.source", "another version"},
			{"off the page", i18n.EN, annotation(source, "pin", fmt.Sprintf(`%s<circle cx="%g" cy="%g" r="4"/></svg>`, svgNS, box[2]+10, y), 1, nil),
				400, "planreview.error.off_page", "beyond the edges"},
			{"a script in the selector", i18n.EN, annotation(source, "pin", svgNS+`<script>alert(1)</script></svg>`, 1, nil), 400, "planreview.error.svg", "could not be read"},
			{"not the W3C context", i18n.EN, func() map[string]any {
				m := annotation(source, "pin", room, 1, nil)
				m["@context"] = "http://schema.org"
				return m
			}(),
				400, "planreview.error.context", "anno.jsonld"},
		}
		for _, b := range bad {
			code, p := f.call(f.member, "", "POST", web+"/annotations", b.lang, b.body, nil)
			wantProblem(t, b.what, code, p, b.code, b.key, b.text)
		}
		if n := f.count("planreview_annotations"); n != before {
			t.Fatalf("refused annotations were written: %d, was %d", n, before)
		}

		// A member of an organisation not sitting on the file: nothing there.
		other := apptest.NewBrowser(t, f.srv.URL)
		other.SignIn("laila.kettani@example.ma", true)
		seated := false
		_ = f.a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) > 0 FROM permit_committee_seats WHERE file_id = $1 AND organisation_code = 'lydec'`, f.file).Scan(&seated)
		if !seated {
			req := f.memberCSRF
			f.memberCSRF = f.csrf(other, "/")
			if code, _ := f.call(other, "", "GET", web+"/annotations", i18n.EN, nil, nil); code != http.StatusNotFound {
				t.Fatalf("a member not sitting on the file reads its plans: %d", code)
			}
			f.memberCSRF = req
		}

		// The owner, through the API: what is shared only.
		var mine collection
		if code, p := f.call(nil, f.token, "GET", api+"/annotations", i18n.EN, nil, &mine); code != http.StatusOK {
			t.Fatalf("the owner reads the sheet: %d %v", code, p)
		}
		if mine.Total != 2 || mine.Committee {
			t.Fatalf("the owner sees %d annotations (committee %v), want the 2 shared", mine.Total, mine.Committee)
		}
		for _, it := range mine.First.Items {
			if it.Visibility != "shared" {
				t.Fatalf("the owner sees a committee note: %+v", it)
			}
		}
		code, p = f.call(nil, f.token, "GET", api+"/annotations?visibility=committee", i18n.EN, nil, nil)
		wantProblem(t, "the owner asking for the committee's notes", code, p, 403, "error.authz.committee_only", "committee's working notes")
		pinPath := api + "/annotations/" + lastSegment(pin.ID)
		code, p = f.call(nil, f.token, "GET", pinPath, i18n.FR, nil, nil)
		wantProblem(t, "the owner reading the committee's pin", code, p, 403, "error.authz.committee_only", "notes de travail de la commission")
		code, p = f.call(nil, f.token, "POST", api+"/annotations", i18n.EN, annotation(source, "pin", room, 1, nil), nil)
		wantProblem(t, "the owner annotating", code, p, 403, "error.authz.applicant_answers", "Answer on an annotation instead")

		// The owner answers on the shared annotation, not on the committee's.
		replies := f.count("planreview_replies")
		var answered w3c
		reply := map[string]any{"type": "Annotation", "motivation": "replying", "body": map[string]any{"type": "TextualBody",
			"value": "La chambre fait 6,45 m² ;\nle minimum est 6 m²."}}
		if code, p := f.call(nil, f.token, "POST", api+"/annotations/"+lastSegment(area.ID)+"/replies", i18n.FR, reply, &answered); code != http.StatusCreated {
			t.Fatalf("the owner answers: %d %v", code, p)
		}
		if len(answered.Replies) != 1 || answered.Replies[0].Side != "applicant" || answered.Replies[0].Target != area.ID ||
			!strings.Contains(answered.Replies[0].Body.Value, "\nle minimum") {
			t.Fatalf("the thread: %+v", answered.Replies)
		}
		code, p = f.call(nil, f.token, "POST", pinPath+"/replies", i18n.EN, reply, nil)
		wantProblem(t, "the owner answering the committee's pin", code, p, 403, "error.authz.committee_only", "committee's working notes")
		code, p = f.call(nil, f.token, "POST", api+"/annotations/"+lastSegment(area.ID)+"/replies", i18n.EN,
			map[string]any{"body": map[string]any{"type": "TextualBody", "value": "  "}}, nil)
		wantProblem(t, "an empty answer", code, p, 400, "planreview.error.reply_empty", "Write your answer")
		if n := f.count("planreview_replies"); n != replies+1 {
			t.Fatalf("%d replies written, want 1", n-replies)
		}

		// The member resolves the pin on this version; a new version of the
		// sheet carries the open ones over, not the resolved one.
		var resolved w3c
		if code, p := f.call(f.member, "", "PATCH", web+"/annotations/"+lastSegment(pin.ID), i18n.EN,
			map[string]any{"madina:status": "resolved"}, &resolved); code != http.StatusOK || resolved.Status != "resolved" {
			t.Fatalf("resolving the pin: %d %v %+v", code, p, resolved)
		}
		// The window's agent (also reviewing the file) changes a status but
		// not another's text; an unknown status is refused; the owner
		// changes nothing.
		var window string
		if err := f.a.DB.QueryRowContext(context.Background(), `SELECT window_code FROM permit_files WHERE id = $1`, f.file).Scan(&window); err != nil {
			t.Fatal(err)
		}
		agentOf := map[string]string{"city": "amina.idrissi@example.ma", "sidi-othmane": "abdelkader.fassi@example.ma", "maarif": "souad.chraibi@example.ma"}
		if email, ok := agentOf[window]; ok {
			agent := apptest.NewBrowser(t, f.srv.URL)
			agent.SignIn(email, true)
			memberCSRF := f.memberCSRF
			f.memberCSRF = f.csrf(agent, fmt.Sprintf("/files/%d", f.file))
			code, p := f.call(agent, "", "PATCH", web+"/annotations/"+lastSegment(dist.ID), i18n.EN,
				map[string]any{"body": map[string]any{"type": "TextualBody", "value": "rewritten"}}, nil)
			wantProblem(t, "the agent rewriting the member's text", code, p, 403, "planreview.error.not_author", "Only the author")
			var info w3c
			if code, p := f.call(agent, "", "PATCH", web+"/annotations/"+lastSegment(dist.ID), i18n.EN,
				map[string]any{"madina:status": "info"}, &info); code != http.StatusOK || info.Status != "info" {
				t.Fatalf("the agent setting a status: %d %v", code, p)
			}
			if code, p := f.call(agent, "", "PATCH", web+"/annotations/"+lastSegment(dist.ID), i18n.EN,
				map[string]any{"madina:status": "open"}, &info); code != http.StatusOK || info.Status != "open" {
				t.Fatalf("the agent opening it again: %d %v", code, p)
			}
			f.memberCSRF = memberCSRF
		} else {
			t.Logf("no demonstration agent for window %q: the agent's part is skipped", window)
		}
		code, p = f.call(f.member, "", "PATCH", web+"/annotations/"+lastSegment(dist.ID), i18n.FR, map[string]any{"madina:status": "closed"}, nil)
		wantProblem(t, "an unknown status", code, p, 400, "planreview.error.status", "ouvert, résolu ou pour information")
		code, p = f.call(nil, f.token, "PATCH", api+"/annotations/"+lastSegment(area.ID), i18n.EN, map[string]any{"madina:status": "resolved"}, nil)
		wantProblem(t, "the owner resolving", code, p, 403, "error.authz.applicant_answers", "Answer on an annotation instead")

		doc2 := f.newVersion(apptest.TinyPDF("version 2"), 1)
		var next collection
		if code, p := f.call(f.member, "", "GET", f.sheet("", doc2)+"/annotations", i18n.EN, nil, &next); code != http.StatusOK {
			t.Fatalf("the new version: %d %v", code, p)
		}
		if next.Total != 2 {
			t.Fatalf("the new version shows %d annotations, want the 2 open ones", next.Total)
		}
		for _, it := range next.First.Items {
			if it.Carried == nil || it.Carried.Version != f.version-1 || it.Target.Source != next.Sheet.Source || it.Target.Source == source {
				t.Fatalf("a carried annotation: %+v (sheet %s)", it, next.Sheet.Source)
			}
			if it.ID == pin.ID {
				t.Fatal("the resolved pin was carried over")
			}
		}
		// The old version keeps all three.
		if code, _ := f.call(f.member, "", "GET", web+"/annotations", i18n.EN, nil, &c); code != http.StatusOK || c.Total != 3 {
			t.Fatalf("the first version shows %d annotations, want 3", c.Total)
		}
	})
}

func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }
