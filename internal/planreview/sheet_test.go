package planreview_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"madina/internal/platform/pdf"
	"madina/internal/platform/testenv"
)

// a0Sheet draws, with the city's own PDF writer, a plan sheet as drawing
// programs export them: A0 portrait (841 × 1189 mm), all vector, one page.
// The drawing area is a grid of dwellings, cells across (square cells,
// as many rows as fit), each with its walls (outer and inner outlines
// and their hatching, one path of segments as a drawing program writes
// it), partitions, doors and their swings, windows, furniture, a tiled
// wet room, a dimension line and its labels in French and Arabic; over
// them, the site's contour lines (long polylines) and a title block. The same cells always give the
// same bytes. spacing is the hatching's pitch in points: the smaller, the
// more segments (the sheet's size).
func a0Sheet(cells int, spacing float64) *pdf.Document {
	d := pdf.New(pdf.Options{Title: "Plan d’exécution — niveau courant (A0)", Author: "Madina, banc d’essai", Lang: "fr", Size: pdf.A0})
	d.AddPage()
	s := d.Size()
	rng := rand.New(rand.NewPCG(13, 2026))
	jit := func(v float64) float64 { return v + (rng.Float64()-0.5)*0.4 }
	d.Rect(pdf.Rect{X: 28, Y: 28, W: s.W - 56, H: s.H - 56}, 1.4)
	d.Rect(pdf.Rect{X: 34, Y: 34, W: s.W - 68, H: s.H - 68}, 0.5)

	// The dwellings, in a grid filling the area above the title block
	// (110 × 143 of them for the benchmark's 110 cells across).
	left, top, right, bottom := 40.0, 40.0, s.W-40, s.H-330
	c := math.Min((right-left)/float64(cells), (bottom-top)/float64(cells))
	cols, rows := int((right-left)/c), int((bottom-top)/c)
	rooms := []string{"Séjour", "Chambre", "Cuisine", "Salle d’eau", "Dégagement", "Bureau"}
	roomsAR := []string{"بهو", "غرفة نوم", "مطبخ", "حمام", "ممر", "مكتب"}
	for row := range rows {
		for col := range cols {
			x0, y0 := left+float64(col)*c+2, top+float64(row)*c+2
			w, h := c-4, c-4
			t := 0.03 * c // wall thickness
			// Outer and inner outlines of the walls, with a notch (a loggia).
			n := 0.25 * w * (0.5 + rng.Float64())
			outer := [][2]float64{{x0, y0}, {x0 + w - n, y0}, {x0 + w - n, y0 + n}, {x0 + w, y0 + n}, {x0 + w, y0 + h}, {x0, y0 + h}}
			inner := [][2]float64{{x0 + t, y0 + t}, {x0 + w - n - t, y0 + t}, {x0 + w - n - t, y0 + n + t}, {x0 + w - t, y0 + n + t}, {x0 + w - t, y0 + h - t}, {x0 + t, y0 + h - t}}
			for i := range outer {
				outer[i] = [2]float64{jit(outer[i][0]), jit(outer[i][1])}
			}
			d.Polyline(outer, 0.7, true)
			d.Polyline(inner, 0.35, true)
			// The walls' hatching at 45°, across each wall band.
			var hatch [][4]float64
			band := func(ax, ay, bx, by, nx, ny float64) { // from a to b along the wall, n across it
				l := math.Hypot(bx-ax, by-ay)
				for k := 0.0; k < l; k += spacing {
					px, py := ax+(bx-ax)*k/l, ay+(by-ay)*k/l
					hatch = append(hatch, [4]float64{px + rng.Float64()*0.01, py, px + nx + (bx-ax)/l*t, py + ny + (by-ay)/l*t})
				}
			}
			band(x0, y0, x0+w-n, y0, 0, t)
			band(x0+w-n, y0+n, x0+w, y0+n, 0, t)
			band(x0+w, y0+n, x0+w, y0+h, -t, 0)
			band(x0, y0+h, x0+w, y0+h, 0, -t)
			band(x0, y0, x0, y0+h, t, 0)
			d.Segments(hatch, 0.1)
			// Partitions: a corridor and three rooms.
			px, py := x0+w*(0.35+0.2*rng.Float64()), y0+h*(0.4+0.2*rng.Float64())
			d.Line(jit(px), y0+t, jit(px), y0+h-t, 0.3)
			d.Line(x0+t, jit(py), px, jit(py), 0.3)
			d.Line(px, jit(py+0.15*h), x0+w-t, jit(py+0.15*h), 0.3)
			// Doors: a leaf and its swing (a quarter circle as a polyline).
			for _, door := range [][2]float64{{px, py + 0.05*h}, {x0 + 0.2*w, py}} {
				r := 0.12 * w
				arc := make([][2]float64, 0, 10)
				for k := range 10 {
					a := float64(k) * math.Pi / 18
					arc = append(arc, [2]float64{door[0] + r*math.Cos(a), door[1] + r*math.Sin(a)})
				}
				d.Polyline(arc, 0.15, false)
				d.Line(door[0], door[1], door[0], door[1]+r, 0.3)
			}
			// Windows: three lines across the outer wall.
			var win [][4]float64
			for k := range 3 {
				wy := y0 + float64(k)*t/2
				win = append(win, [4]float64{x0 + 0.1*w, wy, x0 + 0.3*w, wy}, [4]float64{x0 + 0.55*w, wy, x0 + 0.7*w, wy})
			}
			d.Segments(win, 0.2)
			// Furniture: a bed, a table, a kitchen counter.
			d.Rect(pdf.Rect{X: jit(px + 0.08*w), Y: jit(y0 + 0.08*h), W: 0.25 * w, H: 0.18 * h}, 0.2)
			d.Rect(pdf.Rect{X: jit(x0 + 0.1*w), Y: jit(py + 0.12*h), W: 0.15 * w, H: 0.1 * h}, 0.2)
			d.FillRect(pdf.Rect{X: x0 + t, Y: y0 + h - t - 0.06*h, W: 0.3 * w, H: 0.06 * h}, 0.85)
			// The wet room's tiles.
			var tiles [][4]float64
			tx, ty, tw := px+t, py+0.15*h+t, 0.25*w
			for k := 0.0; k <= tw; k += 2 * spacing {
				tiles = append(tiles, [4]float64{tx + k, ty, tx + k, ty + tw}, [4]float64{tx, ty + k, tx + tw, ty + k})
			}
			d.Segments(tiles, 0.05)
			// A dimension line with its ticks and value; the rooms' names
			// and areas, in French and Arabic.
			dy := y0 + h + 0.8
			d.Segments([][4]float64{{x0, dy, x0 + w, dy}, {x0 - 0.5, dy + 0.5, x0 + 0.5, dy - 0.5}, {x0 + w - 0.5, dy + 0.5, x0 + w + 0.5, dy - 0.5}}, 0.1)
			d.Text(x0+w/2-3, dy-0.3, 1.2, false, fmt.Sprintf("%.2f", w/10))
			k := rng.IntN(len(rooms))
			d.Text(x0+t+1, py-2, 1.6, true, rooms[k])
			d.Text(x0+t+1, py-0.2, 1.3, false, fmt.Sprintf("%.2f m²", w*h/(rng.Float64()*40+60)))
			d.TextRight(x0+w-t-1, y0+h-t-2, 1.6, false, roomsAR[(k+1)%len(roomsAR)])
		}
	}
	// The site's contour lines, across the whole sheet.
	for k := range 40 {
		y := top + (bottom-top)*float64(k)/40
		pts := make([][2]float64, 0, 600)
		for i := range 600 {
			y = min(bottom, max(top, y+(rng.Float64()-0.5)*3))
			pts = append(pts, [2]float64{left + (right-left)*float64(i)/599, y})
		}
		d.Polyline(pts, 0.25, false)
	}
	// The title block.
	tb := pdf.Rect{X: s.W - 720, Y: s.H - 310, W: 680, H: 270}
	d.Rect(tb, 1.4)
	for _, y := range []float64{60, 120, 170, 220} {
		d.Line(tb.X, tb.Y+y, tb.X+tb.W, tb.Y+y, 0.5)
	}
	d.Text(tb.X+20, tb.Y+42, 28, true, "Plan d’exécution — niveau courant")
	d.TextRight(tb.X+tb.W-20, tb.Y+100, 22, true, "تصميم التنفيذ — الطابق العادي")
	d.Text(tb.X+20, tb.Y+150, 16, false, "Résidence Al Amal, Sidi Othmane — Casablanca")
	d.Text(tb.X+20, tb.Y+200, 16, false, "Échelle 1/100 — format A0 (841 × 1189 mm)")
	d.Text(tb.X+20, tb.Y+250, 14, false, fmt.Sprintf("%d logements, %d × %d", rows*cols, cols, rows))
	return d
}

// sheetBytes is the benchmark's sheet (BenchmarkFirstScreen): 110 cells
// across, hatching every 0.15 pt, 51.9 MB (about 300 MB of drawing
// operators before compression); written once per test process, in
// about a minute.
var sheetBytes = sync.OnceValues(func() ([]byte, error) {
	var b bytes.Buffer
	_, err := a0Sheet(110, 0.15).WriteTo(&b)
	return b.Bytes(), err
})

// TestA0Sheet checks, on a small one, that the benchmark's sheet is an A0
// page of vector drawing: paths and text, no image.
func TestA0Sheet(t *testing.T) {
	var b bytes.Buffer
	if _, err := a0Sheet(4, 2).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	info, err := pdf.Inspect(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil || info.Pages != 1 {
		t.Fatalf("Inspect: %+v, %v", info, err)
	}
	bin, err := exec.LookPath("qpdf")
	if err != nil {
		t.Skip("qpdf is not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "a0.pdf")
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := testenv.RunTool(t, nil, bin, "--qdf", "--object-streams=disable", in, "-")
	if code != 0 {
		t.Fatalf("qpdf: %d", code)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "/MediaBox [ 0 0 2383.94 3370.39 ]") || strings.Contains(out, "/Subtype /Image") {
		t.Fatal("not an A0 page of vector drawing")
	}
	for op, least := range map[string]int{" l ": 2000, " m ": 500, "TJ\n": 60, " S Q\n": 300} {
		if n := strings.Count(out, op); n < least {
			t.Errorf("%d %q in the content, want at least %d", n, op, least)
		}
	}
}
