package pdf

import (
	"slices"
	"unicode"

	gobidi "github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/text/unicode/bidi"
)

// A line of text becomes glyphs in three steps:
//
//  1. the Unicode bidirectional algorithm (UAX #9) splits it into runs of
//     one direction and gives each its embedding level: in an Arabic
//     sentence the Arabic words are at level 1 (right to left) and a file
//     number such as CASA-2026-000123 or a date at level 2 (left to right);
//  2. each run, further split by script, is shaped by HarfBuzz (go-text's
//     port), which joins Arabic letters, forms the lam-alef ligature and
//     places marks, and returns the glyphs of the run in visual order;
//  3. the runs are put in visual order (UAX #9 rule L2: from the highest
//     level down, reverse every sequence of runs at that level or above)
//     and the glyphs laid out left to right.

// direction is the base (paragraph) direction of a line.
type direction int

const (
	autoLTR direction = iota // from the first strong letter, else left to right
	autoRTL                  // from the first strong letter, else right to left
	forceLTR
	forceRTL
)

// placed is a glyph at its position on the line, in font units from the
// left end of the baseline (y grows upwards).
type placed struct {
	gid  font.GID
	x, y float64
}

// line is a shaped line.
type line struct {
	glyphs []placed
	width  float64     // advance of the whole line, font units
	texts  []glyphText // for /ToUnicode, recorded when the line is drawn
}

// glyphText is the text a glyph stands for.
type glyphText struct {
	gid  font.GID
	text string
}

// docFont is a font as one document uses it: its own face (go-text faces
// keep caches, so they are not shared between goroutines) and the glyphs
// drawn so far with the text each stands for.
type docFont struct {
	data *fontData
	face *font.Face
	text map[font.GID]string // glyph → Unicode text for /ToUnicode ("" if part of a cluster)
}

// singleFace is the font map of the segmenter: every rune in one face.
type singleFace struct{ f *font.Face }

func (s singleFace) ResolveFace(rune) *font.Face { return s.f }

// clean replaces control characters and separators, which would end a
// bidi paragraph, with spaces.
func clean(s string) []rune {
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			rs[i] = ' '
		}
	}
	return rs
}

// isRTL resolves the base direction: UAX #9 rules P2 and P3 (the first
// strong letter decides) unless forced.
func isRTL(rs []rune, dir direction) bool {
	switch dir {
	case forceLTR:
		return false
	case forceRTL:
		return true
	}
	for _, r := range rs {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return dir == autoRTL
}

// layout shapes s in font f.
func (d *Document) layout(f *docFont, s string, dir direction) line {
	rs := clean(s)
	if len(rs) == 0 {
		return line{}
	}
	rtl := isRTL(rs, dir)
	base, hbDir := gobidi.LeftToRight, di.DirectionLTR
	if rtl {
		base, hbDir = gobidi.RightToLeft, di.DirectionRTL
	}

	// Embedding levels of the bidi runs.
	type span struct {
		start, end int
		level      int
	}
	var spans []span
	runs := d.bidi.Segment(rs, base)
	for i := range runs.NumRuns() {
		r := runs.Run(i)
		spans = append(spans, span{r.Start, r.End, int(r.Level)})
	}
	levelAt := func(i int) int {
		for _, s := range spans {
			if i >= s.start && i < s.end {
				return s.level
			}
		}
		if rtl {
			return 1
		}
		return 0
	}

	// Shape each run (bidi × script) of the line.
	type shapedRun struct {
		level  int
		glyphs []shaping.Glyph
	}
	input := shaping.Input{
		Text:      rs,
		RunStart:  0,
		RunEnd:    len(rs),
		Direction: hbDir,
		Face:      f.face,
		Language:  d.lang,
	}
	setFixed(&input.Size, int(f.data.upem)) // so that positions come out in font units
	var shaped []shapedRun
	var texts []glyphText
	for _, in := range d.seg.Split(input, singleFace{f.face}) {
		out := d.shaper.Shape(in)
		shaped = append(shaped, shapedRun{level: levelAt(in.RunStart), glyphs: out.Glyphs})
		texts = f.clusterTexts(texts, rs, out.Glyphs)
	}

	// Rule L2: reorder the runs.
	maxLevel, minOdd := 0, 1<<30
	for _, r := range shaped {
		maxLevel = max(maxLevel, r.level)
		if r.level%2 == 1 {
			minOdd = min(minOdd, r.level)
		}
	}
	for lvl := maxLevel; lvl >= minOdd && lvl > 0; lvl-- {
		for i := 0; i < len(shaped); {
			if shaped[i].level < lvl {
				i++
				continue
			}
			j := i
			for j < len(shaped) && shaped[j].level >= lvl {
				j++
			}
			slices.Reverse(shaped[i:j])
			i = j
		}
	}

	l := line{texts: texts}
	for _, r := range shaped {
		for _, g := range r.glyphs {
			if formatOnly(rs, g) {
				// Direction marks and isolates: nothing to draw, and a
				// blank glyph would read as a space.
				l.width += fixedToFloat(g.Advance)
				continue
			}
			l.glyphs = append(l.glyphs, placed{
				gid: g.GlyphID,
				x:   l.width + fixedToFloat(g.XOffset),
				y:   fixedToFloat(g.YOffset),
			})
			l.width += fixedToFloat(g.Advance)
		}
	}
	return l
}

// formatOnly reports whether glyph g stands only for format characters.
func formatOnly(rs []rune, g shaping.Glyph) bool {
	c, n := g.TextIndex(), g.RunesCount()
	if c < 0 || n <= 0 || c+n > len(rs) {
		return false
	}
	for _, r := range rs[c : c+n] {
		if !unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// fixedToFloat converts a 26.6 fixed-point value (golang.org/x/image's
// fixed.Int26_6, which this package need not import) to a float.
func fixedToFloat[T ~int32](v T) float64 { return float64(v) / 64 }

// setFixed sets a 26.6 fixed-point value to the integer v.
func setFixed[T ~int32](dst *T, v int) { *dst = T(v << 6) }

// clusterTexts appends the glyphs of a shaped run and the text each stands
// for, so that /ToUnicode lets readers copy and search the text. A glyph that is a
// whole cluster (a letter in its joining form, the lam-alef ligature)
// stands for the cluster's text. In a cluster of several glyphs (a letter
// and its marks), a glyph that is the nominal glyph of one of the
// cluster's characters stands for that character; of the other glyphs,
// the widest stands for the letters left over and the next for the marks
// left over.
func (f *docFont) clusterTexts(out []glyphText, rs []rune, glyphs []shaping.Glyph) []glyphText {
	for i := 0; i < len(glyphs); {
		c := glyphs[i].TextIndex()
		j := i + 1
		for j < len(glyphs) && glyphs[j].TextIndex() == c {
			j++
		}
		end := min(c+glyphs[i].RunesCount(), len(rs))
		var text []rune
		if c >= 0 && c < end {
			// Format characters (direction marks and isolates, joiners)
			// are invisible; the shaper may draw them as a blank glyph,
			// which must not stand for them.
			for _, r := range rs[c:end] {
				if !unicode.Is(unicode.Cf, r) {
					text = append(text, r)
				}
			}
		}
		if j-i == 1 {
			out = append(out, glyphText{glyphs[i].GlyphID, ligature(text)})
			i = j
			continue
		}
		claimed := make([]bool, len(text))
		var rest []shaping.Glyph
		for _, g := range glyphs[i:j] {
			matched := false
			for k, r := range text {
				if n, ok := f.face.NominalGlyph(r); ok && !claimed[k] && n == g.GlyphID {
					claimed[k] = true
					out = append(out, glyphText{g.GlyphID, string(r)})
					matched = true
					break
				}
			}
			if !matched {
				rest = append(rest, g)
			}
		}
		if len(rest) == 0 {
			i = j
			continue
		}
		// The letters left over go to the widest glyph (the base), the
		// marks left over to another glyph if there is one.
		var letters, marks []rune
		for k, r := range text {
			switch {
			case claimed[k]:
			case unicode.Is(unicode.Mn, r):
				marks = append(marks, r)
			default:
				letters = append(letters, r)
			}
		}
		owner := 0
		for k, g := range rest {
			if g.Advance > rest[owner].Advance {
				owner = k
			}
		}
		others := len(rest) > 1
		if !others {
			letters = append(letters, marks...)
		}
		out = append(out, glyphText{rest[owner].GlyphID, ligature(letters)})
		for k, g := range rest {
			if k == owner {
				continue
			}
			out = append(out, glyphText{g.GlyphID, string(marks)})
			marks = nil
		}
		i = j
	}
	return out
}

// lamAlef maps the alef that follows a lam to the presentation form of
// their ligature (isolated form; NFKC, and so textnorm.Fold, gives back the
// two letters).
var lamAlef = map[rune]rune{'آ': '\uFEF5', 'أ': '\uFEF7', 'إ': '\uFEF9', 'ا': '\uFEFB'}

// ligature returns the text of a glyph that stands for the characters rs.
// A lam-alef ligature stands for its presentation form: one character,
// because text extractors order the characters of one glyph left to right
// and so would reverse the two letters of this right-to-left ligature.
func ligature(rs []rune) string {
	if len(rs) == 2 && rs[0] == 'ل' {
		if l, ok := lamAlef[rs[1]]; ok {
			return string(l)
		}
	}
	return string(rs)
}

// note records that glyph g was drawn for text. The first text recorded
// for a glyph wins: /ToUnicode maps a glyph, not an occurrence.
func (f *docFont) note(g font.GID, text string) {
	if old, ok := f.text[g]; !ok || old == "" {
		f.text[g] = text
	}
}
