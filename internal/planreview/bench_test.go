package planreview_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/i18n"
)

// BenchmarkSheetAnnotations measures what 500 annotations add to loading
// a sheet (issue #13: under 100 ms), server side, through the real
// application over loopback as the viewer asks for them: the member's
// GET of a sheet's annotations with none, then with 500 (a fifth of them
// measured areas, a fifth with a reply, half shared), against the floor —
// the two bare SELECTs of the same rows scanned into Go values.
//
//	MADINA_TEST_DATABASE_URL=postgres://… go test -p 1 -run '^$' -bench SheetAnnotations -benchtime 20x ./internal/planreview/
func BenchmarkSheetAnnotations(b *testing.B) {
	for _, e := range dbtest.Engines() {
		if e == db.Postgres && os.Getenv(dbtest.EnvURL) == "" {
			continue
		}
		b.Run(string(e), func(b *testing.B) {
			f := newSheetFixture(b, e)
			web := f.sheet("", f.doc)
			empty := f.sheet("", f.newDocument("bench_other_sheet", 1, apptest.TinyPDF("empty sheet"), 1))
			var c collection
			f.call(f.member, "", "GET", web+"/annotations", i18n.EN, nil, &c)
			x0, y0 := c.Sheet.Pages[0].Box[0], c.Sheet.Pages[0].Box[1]
			w, h := c.Sheet.Pages[0].Box[2]-x0, c.Sheet.Pages[0].Box[3]-y0
			for i := range 500 {
				x, y := x0+float64(i%20)*(w-20)/20+2, y0+float64(i/20)*(h-20)/25+2
				vis := []string{"shared", "committee"}[i%2]
				var body map[string]any
				if i%5 == 0 {
					body = annotation(c.Sheet.Source, "area", fmt.Sprintf(`%s<polygon points="%g,%g %g,%g %g,%g %g,%g"/></svg>`,
						svgNS, x, y, x+10, y, x+10, y+8, x, y+8), 1, map[string]any{"madina:visibility": vis,
						"madina:calibration": map[string]any{"source": "scale", "ratio": 100}})
				} else {
					body = annotation(c.Sheet.Source, "rectangle", fmt.Sprintf(`%s<rect x="%g" y="%g" width="10" height="8"/></svg>`, svgNS, x, y), 1,
						map[string]any{"madina:visibility": vis, "body": map[string]any{"type": "TextualBody", "value": fmt.Sprintf("Remarque n° %d : vérifier la cote.", i)}})
				}
				var created w3c
				if code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.EN, body, &created); code != http.StatusCreated {
					b.Fatalf("annotation %d: %d %v", i, code, p)
				}
				if i%5 == 1 {
					if code, p := f.call(f.member, "", "POST", web+"/annotations/"+lastSegment(created.ID)+"/replies", i18n.EN,
						map[string]any{"body": map[string]any{"type": "TextualBody", "value": "Vu en séance."}}, nil); code != http.StatusCreated {
						b.Fatalf("reply %d: %d %v", i, code, p)
					}
				}
			}
			get := func(b *testing.B, path string, want int) {
				req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
				req.Header.Set("Accept", "application/json")
				res, err := f.member.C.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || n < int64(want) {
					b.Fatalf("%s: %d, %d bytes", path, res.StatusCode, n)
				}
			}
			get(b, web+"/annotations", 100000) // the sheet's pages are read once, before timing
			get(b, empty+"/annotations", 100)
			b.Run("sheet without annotations", func(b *testing.B) {
				for b.Loop() {
					get(b, empty+"/annotations", 100)
				}
			})
			b.Run("sheet with 500 annotations", func(b *testing.B) {
				for b.Loop() {
					get(b, web+"/annotations", 100000)
				}
			})
			b.Run("floor: bare SELECTs of the 500", func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					rows, err := f.a.DB.QueryContext(ctx, `SELECT id, file_id, document_id, item, doc_version, page, kind, geometry, body,
						motivation, status, visibility, round, author_id, side, organisation_code, calibration, measured, measured2,
						created_at, updated_at, resolved_version, resolved_by, resolved_at, version
						FROM planreview_annotations WHERE file_id = $1 ORDER BY id`, f.file)
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					vals := make([]any, 25)
					ptrs := make([]any, 25)
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					for rows.Next() {
						if err := rows.Scan(ptrs...); err != nil {
							b.Fatal(err)
						}
						n++
					}
					rows.Close()
					rs, err := f.a.DB.QueryContext(ctx, `SELECT r.id, r.annotation_id, r.document_id, r.author_id, r.side, r.organisation_code,
						r.body, r.created_at FROM planreview_replies r JOIN planreview_annotations a ON a.id = r.annotation_id
						WHERE a.file_id = $1 ORDER BY r.id`, f.file)
					if err != nil {
						b.Fatal(err)
					}
					for rs.Next() {
						n++
					}
					rs.Close()
					if n != 600 {
						b.Fatalf("%d rows", n)
					}
				}
			})
		})
	}
}
