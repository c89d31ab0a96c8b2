package pdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

// fontData is an embedded TrueType font, parsed once and shared read-only
// by every Document: the shaping tables (through font.Font) and the raw
// tables the subsetter copies.
type fontData struct {
	psName   string // PostScript name, the BaseFont without subset tag
	font     *font.Font
	upem     float64
	tables   map[uint32][]byte // raw tables by tag
	loca     []uint32          // glyph offsets into glyf, numGlyphs+1 entries
	advances []uint16          // advance width of each glyph, font units
	nHMetric int               // hhea.numberOfHMetrics
	ascent   int16
	descent  int16
	bbox     [4]int16
	capH     int16
}

// The two faces the writer uses: DejaVu Sans covers Arabic, Latin
// (with French accents) and digits.
var loadFonts = sync.OnceValues(func() ([2]*fontData, error) {
	var out [2]*fontData
	for k, src := range []struct {
		name string
		ttf  []byte
	}{{"DejaVuSans", dejavusans.TTF}, {"DejaVuSans-Bold", dejavusansbold.TTF}} {
		f, err := parseFont(src.name, src.ttf)
		if err != nil {
			return out, fmt.Errorf("pdf: font %s: %w", src.name, err)
		}
		out[k] = f
	}
	return out, nil
})

func tag(s string) uint32 { return binary.BigEndian.Uint32([]byte(s)) }

// parseFont reads the table directory of a TrueType font and the metrics
// the PDF font dictionaries need.
func parseFont(name string, ttf []byte) (*fontData, error) {
	ld, err := ot.NewLoader(bytes.NewReader(ttf))
	if err != nil {
		return nil, err
	}
	fnt, err := font.NewFont(ld)
	if err != nil {
		return nil, err
	}
	f := &fontData{psName: name, font: fnt, tables: map[uint32][]byte{}}
	if len(ttf) < 12 {
		return nil, errors.New("short font")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := range n {
		e := 12 + 16*i
		if e+16 > len(ttf) {
			return nil, errors.New("short table directory")
		}
		off := int(binary.BigEndian.Uint32(ttf[e+8:]))
		length := int(binary.BigEndian.Uint32(ttf[e+12:]))
		if off < 0 || length < 0 || off+length > len(ttf) {
			return nil, errors.New("table outside the file")
		}
		f.tables[binary.BigEndian.Uint32(ttf[e:])] = ttf[off : off+length]
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "loca", "glyf"} {
		if f.tables[tag(t)] == nil {
			return nil, fmt.Errorf("no %s table", t)
		}
	}
	head, hhea, maxp := f.tables[tag("head")], f.tables[tag("hhea")], f.tables[tag("maxp")]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errors.New("short head, hhea or maxp")
	}
	f.upem = float64(binary.BigEndian.Uint16(head[18:]))
	for k := range f.bbox {
		f.bbox[k] = int16(binary.BigEndian.Uint16(head[36+2*k:]))
	}
	f.ascent = int16(binary.BigEndian.Uint16(hhea[4:]))
	f.descent = int16(binary.BigEndian.Uint16(hhea[6:]))
	f.nHMetric = int(binary.BigEndian.Uint16(hhea[34:]))
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	if f.upem == 0 || f.nHMetric == 0 || f.nHMetric > numGlyphs {
		return nil, errors.New("bad metrics")
	}

	loca := f.tables[tag("loca")]
	long := binary.BigEndian.Uint16(head[50:]) == 1
	f.loca = make([]uint32, numGlyphs+1)
	for g := range f.loca {
		switch {
		case long && 4*g+4 <= len(loca):
			f.loca[g] = binary.BigEndian.Uint32(loca[4*g:])
		case !long && 2*g+2 <= len(loca):
			f.loca[g] = 2 * uint32(binary.BigEndian.Uint16(loca[2*g:]))
		default:
			return nil, errors.New("short loca")
		}
	}
	hmtx := f.tables[tag("hmtx")]
	if len(hmtx) < 4*f.nHMetric+2*(numGlyphs-f.nHMetric) {
		return nil, errors.New("short hmtx")
	}
	f.advances = make([]uint16, numGlyphs)
	for g := range f.advances {
		f.advances[g] = binary.BigEndian.Uint16(hmtx[4*min(g, f.nHMetric-1):])
	}
	f.capH = f.ascent
	if g, ok := fnt.Cmap.Lookup('H'); ok {
		if d := f.glyph(g); len(d) >= 10 {
			f.capH = int16(binary.BigEndian.Uint16(d[8:])) // yMax
		}
	}
	return f, nil
}

// glyph returns the glyf data of glyph g (empty for a blank glyph).
func (f *fontData) glyph(g font.GID) []byte {
	glyf := f.tables[tag("glyf")]
	if int(g)+1 >= len(f.loca) {
		return nil
	}
	a, b := f.loca[g], f.loca[g+1]
	if a >= b || int(b) > len(glyf) {
		return nil
	}
	return glyf[a:b]
}

// width returns glyph g's advance in PDF glyph space (thousandths of the
// font size), rounded so that the /W array and the positioning code agree.
func (f *fontData) width(g font.GID) float64 {
	if int(g) >= len(f.advances) {
		return 0
	}
	return roundTo(float64(f.advances[g])*1000/f.upem, 1)
}

// Flags of the components of a composite glyph (TrueType glyf table).
const (
	argsAreWords   = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	haveXYScale    = 0x0040
	haveTwoByTwo   = 0x0080
)

// closure returns the sorted glyphs to keep: .notdef, the used glyphs and,
// recursively, the components of composite glyphs.
func (f *fontData) closure(used []font.GID) []font.GID {
	keep := map[font.GID]bool{}
	stack := append([]font.GID{0}, used...)
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if keep[g] || int(g) >= len(f.advances) {
			continue
		}
		keep[g] = true
		d := f.glyph(g)
		if len(d) < 10 || int16(binary.BigEndian.Uint16(d)) >= 0 {
			continue // simple glyph
		}
		for p := 10; p+4 <= len(d); {
			flags := binary.BigEndian.Uint16(d[p:])
			c := font.GID(binary.BigEndian.Uint16(d[p+2:]))
			if !keep[c] {
				stack = append(stack, c)
			}
			p += 4
			if flags&argsAreWords != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&haveScale != 0:
				p += 2
			case flags&haveXYScale != 0:
				p += 4
			case flags&haveTwoByTwo != 0:
				p += 8
			}
			if flags&moreComponents == 0 {
				break
			}
		}
	}
	out := make([]font.GID, 0, len(keep))
	for g := range keep {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// subset returns a TrueType font with the same glyph IDs in which every
// glyph but the kept ones is empty, and the tables a PDF renderer needs
// for a CIDFontType2 font (an empty cmap: glyphs are addressed by ID;
// no layout tables: the text is shaped already). It also
// returns the subset tag, six capitals derived from the glyph set.
func (f *fontData) subset(used []font.GID) ([]byte, string) {
	keep := f.closure(used)
	numGlyphs := len(f.advances)
	isKept := make([]bool, numGlyphs)
	for _, g := range keep {
		isKept[g] = true
	}

	var glyf []byte
	loca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(len(glyf)))
		if isKept[g] {
			glyf = append(glyf, f.glyph(font.GID(g))...)
			for len(glyf)%4 != 0 {
				glyf = append(glyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*numGlyphs:], uint32(len(glyf)))

	hmtx := slices.Clone(f.tables[tag("hmtx")])
	for g := range numGlyphs {
		if isKept[g] {
			continue
		}
		if g < f.nHMetric {
			clear(hmtx[4*g : 4*g+4])
		} else {
			p := 4*f.nHMetric + 2*(g-f.nHMetric)
			clear(hmtx[p : p+2])
		}
	}

	head := slices.Clone(f.tables[tag("head")])
	clear(head[8:12])                           // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1)    // indexToLocFormat: long offsets
	post := slices.Clone(f.tables[tag("post")]) // version 3: no glyph names
	if len(post) >= 32 {
		post = post[:32]
		binary.BigEndian.PutUint32(post, 0x00030000)
	}

	tables := map[uint32][]byte{
		tag("glyf"): glyf,
		tag("loca"): loca,
		tag("hmtx"): hmtx,
		tag("head"): head,
	}
	if len(post) == 32 {
		tables[tag("post")] = post
	}
	// A PDF reader addresses glyphs by ID and needs no cmap, but some font
	// loaders refuse a TrueType font without one: give an empty one.
	tables[tag("cmap")] = emptyCmap
	for _, t := range []string{"hhea", "maxp", "OS/2", "name", "cvt ", "fpgm", "prep", "gasp"} {
		if b := f.tables[tag(t)]; b != nil {
			tables[tag(t)] = b
		}
	}
	out := writeSFNT(tables)
	// The whole font's checksum must be 0xB1B0AFBA (OpenType, head table).
	headOff := tableOffset(out, tag("head"))
	binary.BigEndian.PutUint32(out[headOff+8:], 0xB1B0AFBA-checksum(out))

	h := sha256.New()
	h.Write([]byte(f.psName))
	for _, g := range keep {
		h.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := h.Sum(nil)
	var t [6]byte
	for k := range t {
		t[k] = 'A' + sum[k]%26
	}
	return out, string(t[:])
}

// emptyCmap is a cmap table with one format 4 subtable (Windows, Unicode
// BMP) that maps no character: only the final 0xFFFF segment.
var emptyCmap = []byte{
	0, 0, 0, 1, // version 0, one subtable
	0, 3, 0, 1, 0, 0, 0, 12, // platform 3, encoding 1, at offset 12
	0, 4, 0, 24, 0, 0, // format 4, length 24, language 0
	0, 2, 0, 2, 0, 0, 0, 0, // segCountX2 2, searchRange 2, entrySelector 0, rangeShift 0
	0xFF, 0xFF, // endCode
	0, 0, // reservedPad
	0xFF, 0xFF, // startCode
	0, 1, // idDelta: 0xFFFF + 1 = glyph 0
	0, 0, // idRangeOffset
}

// writeSFNT lays out a TrueType file: the table directory sorted by tag,
// then each table padded to four bytes.
func writeSFNT(tables map[uint32][]byte) []byte {
	tags := make([]uint32, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	n := len(tags)
	entrySel := 0
	for 1<<(entrySel+1) <= n {
		entrySel++
	}
	searchRange := (1 << entrySel) * 16

	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(out[8:], uint16(entrySel))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-searchRange))
	for i, t := range tags {
		b := tables[t]
		e := out[12+16*i:]
		binary.BigEndian.PutUint32(e, t)
		binary.BigEndian.PutUint32(e[4:], checksum(b))
		binary.BigEndian.PutUint32(e[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(e[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

func tableOffset(sfnt []byte, t uint32) int {
	n := int(binary.BigEndian.Uint16(sfnt[4:]))
	for i := range n {
		e := sfnt[12+16*i:]
		if binary.BigEndian.Uint32(e) == t {
			return int(binary.BigEndian.Uint32(e[8:]))
		}
	}
	return -1
}

// checksum is the TrueType table checksum: the sum of big-endian uint32
// words, the last one padded with zeros.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
