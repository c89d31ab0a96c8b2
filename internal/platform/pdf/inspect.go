package pdf

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"regexp"

	"madina/internal/platform/errs"
)

// Messages holds the user-visible texts for the message keys this package
// puts in its errors, one flat JSON object per language (ar, fr, en).
//
//go:embed messages/*.json
var Messages embed.FS

// Message keys of the errors Inspect returns.
const (
	keyEncrypted = "error.pdf.encrypted"
	keyCorrupt   = "error.pdf.corrupt"
)

// Info describes a PDF that Inspect accepted.
type Info struct {
	Version string // "1.4", "1.7", "2.0"…: the header's, or the catalogue's /Version when later
	Pages   int    // the page tree's /Count; 0 when it could not be read cheaply
}

// Limits that keep Inspect's memory and work bounded whatever the input.
// A real PDF, however large, stays far below them: its cross-reference
// sections are read in kilobytes.
const (
	headerWindow   = 1024     // the header must start within the first KB
	tailWindow     = 4096     // startxref and %%EOF must be within the last 4 KB
	firstWindow    = 4096     // first read when parsing an object
	maxObjectBytes = 1 << 20  // largest trailer or dictionary we parse
	maxSections    = 1024     // cross-reference sections followed through /Prev
	maxSubsections = 1 << 16  // subsections (classic) and /Index pairs (streams), all sections together
	maxResolve     = 8        // references followed to reach a value
	maxRead        = 32 << 20 // bytes read from the file, all reads together
	maxInflate     = 64 << 20 // bytes decompressed, all streams together
)

var errBudget = errors.New("the file's structure takes too much reading")

// Inspect checks that the size bytes of r are a PDF that the city can use:
// a header, a cross-reference section reachable from the end of the file
// (a classic table or a stream, following /Prev through incremental
// updates), a trailer naming the catalogue, no encryption, and no active
// content (scripts, launch actions, attached files, forms that send or
// fetch data: see activeNames). The structure is read from the header,
// the tail and the cross-reference sections; the active content scan then
// reads the file once in order through a fixed buffer, so memory use does
// not grow with the file's size.
//
// A damaged or truncated file is refused with error.pdf.corrupt, an
// encrypted one (user or owner password) with error.pdf.encrypted, one
// with active content with error.pdf.active; all are of kind errs.Invalid
// and carry the technical cause for the log.
func Inspect(r io.ReaderAt, size int64) (Info, error) {
	in := &inspector{r: r, size: size}
	info, err := in.run()
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return Info{}, err
		}
		return Info{}, errs.E(errs.Invalid, keyCorrupt).Cause(fmt.Errorf("pdf: %w", err))
	}
	return info, nil
}

type inspector struct {
	r         io.ReaderAt
	size      int64
	headerOff int64 // where %PDF- starts; offsets may be relative to it
	sections  []xrefSection

	// What the trailers say, newest first.
	encrypted bool    // some trailer has /Encrypt
	root      any     // the first /Root found
	trailer   pdfDict // the newest trailer

	// Work done so far, against the limits above.
	subsections int
	readBytes   int64
	inflated    int64
}

var headerRE = regexp.MustCompile(`%PDF-(1\.[0-9]|2\.0)`)

func (in *inspector) run() (Info, error) {
	if in.size <= 0 {
		return Info{}, errors.New("empty file")
	}
	head, err := in.read(0, min(in.size, headerWindow))
	if err != nil {
		return Info{}, err
	}
	m := headerRE.FindSubmatchIndex(head)
	if m == nil {
		return Info{}, errors.New("no %PDF-1.x or %PDF-2.0 header in the first 1024 bytes")
	}
	in.headerOff = int64(m[0])
	info := Info{Version: string(head[m[2]:m[3]])}

	start, err := in.startxref()
	if err != nil {
		return Info{}, err
	}
	if err := in.loadSections(start); err != nil {
		return Info{}, err
	}
	if in.encrypted {
		return Info{}, errs.E(errs.Invalid, keyEncrypted).Cause(errors.New("pdf: the trailer has /Encrypt"))
	}
	rootRef, ok := in.root.(pdfRef)
	if !ok {
		return Info{}, errors.New("the trailer has no /Root reference")
	}
	if err := in.scanActive(); err != nil {
		return Info{}, err
	}

	// What follows is best effort: a catalogue we cannot read cheaply
	// leaves Pages at 0 rather than refusing the file.
	cat, _ := in.resolve(rootRef, 0).(pdfDict)
	if cat == nil {
		return info, nil
	}
	if v, ok := cat["Version"].(pdfName); ok && headerRE.MatchString("%PDF-"+string(v)) && string(v) > info.Version {
		info.Version = string(v)
	}
	if pages, ok := in.resolve(cat["Pages"], 0).(pdfDict); ok {
		if n, ok := in.resolve(pages["Count"], 0).(int64); ok && n > 0 && n < 1<<31 {
			info.Pages = int(n)
		}
	}
	return info, nil
}

// read returns n bytes at off.
func (in *inspector) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > in.size {
		return nil, fmt.Errorf("read of %d bytes at %d is outside the file (%d bytes)", n, off, in.size)
	}
	in.readBytes += n
	if in.readBytes > maxRead {
		return nil, errBudget
	}
	b := make([]byte, n)
	k, err := in.r.ReadAt(b, off)
	if k == len(b) {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

var (
	startxrefRE = regexp.MustCompile(`startxref[\x00\t\n\f\r ]+([0-9]{1,15})[\x00\t\n\f\r ]`)
	eofMarker   = []byte("%%EOF")
)

// startxref finds the offset of the last cross-reference section, written
// at the end of the file as "startxref N %%EOF".
func (in *inspector) startxref() (int64, error) {
	n := min(in.size, tailWindow)
	tail, err := in.read(in.size-n, n)
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, errors.New("no startxref at the end of the file: truncated?")
	}
	m := startxrefRE.FindSubmatchIndex(tail[i:])
	if m == nil || !bytes.Contains(tail[i+m[1]-1:], eofMarker) {
		return 0, errors.New("no startxref offset followed by %%EOF at the end of the file: truncated?")
	}
	off, _ := parseInt(tail[i+m[2] : i+m[3]])
	if off <= 0 || off >= in.size {
		return 0, fmt.Errorf("startxref offset %d is outside the file (%d bytes)", off, in.size)
	}
	return off, nil
}

// loadSections reads the cross-reference section at start and those its
// trailer's /Prev (and a hybrid file's /XRefStm) lead to, newest first,
// noting what their trailers say. The first section must be valid; a
// broken /Prev only ends the walk.
func (in *inspector) loadSections(start int64) error {
	seen := map[int64]bool{}
	off := start
	for len(in.sections) < maxSections && !seen[off] {
		seen[off] = true
		sec, trailer, err := in.sectionAt(off)
		if err != nil && len(in.sections) == 0 && in.headerOff > 0 && !errors.Is(err, errBudget) {
			// Offsets counted from the header rather than the file start.
			if sec2, trailer2, err2 := in.sectionAt(off + in.headerOff); err2 == nil {
				sec, trailer, err = sec2, trailer2, nil
			}
		}
		if err != nil {
			if len(in.sections) == 0 {
				return fmt.Errorf("startxref %d: %w", off, err)
			}
			return nil
		}
		in.addSection(sec, trailer)
		if x, ok := trailer.int("XRefStm"); ok && !seen[x] {
			seen[x] = true
			if s, t, err := in.sectionAt(x); err == nil {
				in.addSection(s, t)
			}
		}
		prev, ok := trailer.int("Prev")
		if !ok || prev <= 0 || prev >= in.size {
			return nil
		}
		off = prev
	}
	return nil
}

// addSection keeps a section and what its trailer says, not the trailer,
// which may be large.
func (in *inspector) addSection(sec xrefSection, trailer pdfDict) {
	in.sections = append(in.sections, sec)
	if v, ok := trailer["Encrypt"]; ok && v != nil {
		in.encrypted = true
	}
	if in.root == nil {
		in.root = trailer["Root"]
	}
	if in.trailer == nil {
		in.trailer = trailer
	}
}

// sectionAt reads the cross-reference section at off: a classic table
// ("xref" … "trailer <<…>>") or a cross-reference stream object.
func (in *inspector) sectionAt(off int64) (xrefSection, pdfDict, error) {
	b, err := in.read(off, min(64, in.size-off))
	if err != nil {
		return nil, nil, err
	}
	p := &parser{b: b}
	p.skipSpace()
	if bytes.HasPrefix(b[p.i:], []byte("xref")) {
		return in.classicAt(off + int64(p.i) + 4)
	}
	return in.streamSectionAt(off)
}

// classicAt reads the subsections of a classic table starting at off (just
// after the keyword xref) and the trailer dictionary that ends it. Entries
// are not read, only located: each is fetched when an object is looked up.
func (in *inspector) classicAt(off int64) (xrefSection, pdfDict, error) {
	var sec classicSection
	for {
		b, err := in.read(off, min(128, in.size-off))
		if err != nil {
			return nil, nil, err
		}
		p := &parser{b: b, atEOF: off+int64(len(b)) == in.size}
		p.skipSpace()
		if bytes.HasPrefix(b[p.i:], []byte("trailer")) {
			v, _, err := in.objectAt(off+int64(p.i)+7, false)
			if err != nil {
				return nil, nil, fmt.Errorf("trailer: %w", err)
			}
			d, ok := v.(pdfDict)
			if !ok {
				return nil, nil, errors.New("trailer is not a dictionary")
			}
			return &sec, d, nil
		}
		first, ok1 := parseInt(p.word())
		p.skipSpace()
		count, ok2 := parseInt(p.word())
		if !ok1 || !ok2 || first < 0 || count < 0 || count > in.size/19 {
			return nil, nil, fmt.Errorf("bad xref subsection header at %d", off+int64(p.i))
		}
		p.skipSpace()
		entries := off + int64(p.i)
		entryLen := int64(20)
		if count > 0 {
			e, err := in.read(entries, min(20, in.size-entries))
			if err != nil {
				return nil, nil, err
			}
			entryLen, err = xrefEntryLen(e)
			if err != nil {
				return nil, nil, fmt.Errorf("xref entry at %d: %w", entries, err)
			}
		}
		end := entries + count*entryLen
		if end > in.size {
			return nil, nil, errors.New("xref subsection runs past the end of the file")
		}
		if in.subsections++; in.subsections > maxSubsections {
			return nil, nil, errBudget
		}
		sec.subs = append(sec.subs, subsection{first: first, count: count, off: entries, entryLen: entryLen})
		off = end
	}
}

// xrefEntryLen checks that e starts with an entry "oooooooooo ggggg n" and
// returns its length with the end of line: 20 as the standard says, 19 for
// writers that end lines with a single byte.
func xrefEntryLen(e []byte) (int64, error) {
	if len(e) < 19 {
		return 0, errors.New("short entry")
	}
	for k, c := range e[:18] {
		switch k {
		case 10, 16:
			if c != ' ' {
				return 0, fmt.Errorf("malformed entry %q", e[:18])
			}
		case 17:
			if c != 'n' && c != 'f' {
				return 0, fmt.Errorf("malformed entry %q", e[:18])
			}
		default:
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("malformed entry %q", e[:18])
			}
		}
	}
	if len(e) >= 20 && (e[18] == ' ' || e[18] == '\r') && (e[19] == '\n' || e[19] == '\r') {
		return 20, nil
	}
	if e[18] == '\n' || e[18] == '\r' || e[18] == ' ' {
		return 19, nil
	}
	return 0, fmt.Errorf("malformed entry end %q", e[18:])
}

// streamSectionAt reads the cross-reference stream object at off.
func (in *inspector) streamSectionAt(off int64) (xrefSection, pdfDict, error) {
	v, data, err := in.objectAt(off, true)
	if err != nil {
		return nil, nil, err
	}
	d, ok := v.(pdfDict)
	if !ok || d.name("Type") != "XRef" || data < 0 {
		return nil, nil, errors.New("neither an xref table nor an xref stream")
	}
	sec := &streamSection{data: data, size: -1}
	w, _ := d["W"].([]any)
	if len(w) != 3 {
		return nil, nil, errors.New("xref stream /W is not an array of 3 integers")
	}
	for k, x := range w {
		n, ok := x.(int64)
		if !ok || n < 0 || n > 8 {
			return nil, nil, errors.New("xref stream /W is not an array of 3 small integers")
		}
		sec.w[k] = int(n)
	}
	if sec.w[1] == 0 {
		return nil, nil, errors.New("xref stream /W has no offset field")
	}
	size, ok := d.int("Size")
	if !ok || size < 0 {
		return nil, nil, errors.New("xref stream has no /Size")
	}
	sec.index = []int64{0, size}
	if idx, ok := d["Index"].([]any); ok {
		if len(idx)%2 != 0 {
			return nil, nil, errors.New("bad xref stream /Index")
		}
		if in.subsections += len(idx) / 2; in.subsections > maxSubsections {
			return nil, nil, errBudget
		}
		sec.index = sec.index[:0]
		for _, x := range idx {
			n, ok := x.(int64)
			if !ok || n < 0 {
				return nil, nil, errors.New("bad xref stream /Index")
			}
			sec.index = append(sec.index, n)
		}
	}
	sec.filter, sec.parms = streamCoding(d)
	return sec, d, nil
}

// streamCoding returns a stream's first filter and its decode parameters.
func streamCoding(d pdfDict) (pdfName, pdfDict) {
	f, _ := firstOf(d["Filter"]).(pdfName)
	p, _ := firstOf(d["DecodeParms"]).(pdfDict)
	return f, p
}

// objectAt parses the indirect object at off (withHeader: "n g obj" first;
// otherwise a bare object such as a trailer dictionary). For a stream it
// also returns where the stream data starts, else -1.
func (in *inspector) objectAt(off int64, withHeader bool) (any, int64, error) {
	if off < 0 || off >= in.size {
		return nil, -1, fmt.Errorf("offset %d is outside the file", off)
	}
	for n := int64(firstWindow); ; n *= 4 {
		n = min(n, in.size-off, maxObjectBytes)
		b, err := in.read(off, n)
		if err != nil {
			return nil, -1, err
		}
		p := &parser{b: b, atEOF: off+n == in.size}
		v, data, err := parseIndirect(p, withHeader)
		if errors.Is(err, errShort) && n < maxObjectBytes && off+n < in.size {
			continue
		}
		if err != nil {
			return nil, -1, err
		}
		if data >= 0 {
			data += off
		}
		return v, data, nil
	}
}

func parseIndirect(p *parser, withHeader bool) (any, int64, error) {
	if withHeader {
		if _, err := p.indirectHeader(); err != nil {
			return nil, -1, err
		}
	}
	v, err := p.object()
	if err != nil {
		return nil, -1, err
	}
	if _, ok := v.(pdfDict); !ok || !withHeader {
		return v, -1, nil
	}
	ok, err := p.streamStart()
	if err != nil || !ok {
		// A dictionary at the very end of the window with no room left to
		// look for "stream": a truncated object is no stream.
		if errors.Is(err, errShort) {
			return v, -1, err
		}
		return v, -1, nil
	}
	return v, int64(p.i), nil
}

// An xref entry: kind 0 free, 1 in use at offset a, 2 compressed in object
// stream a at index b.
type xrefEntry struct {
	kind byte
	a, b int64
}

type xrefSection interface {
	// lookup returns the entry for object num, false if the section does
	// not list it.
	lookup(in *inspector, num int64) (xrefEntry, bool, error)
	// numbers lists the object numbers the section has entries for.
	numbers(in *inspector) ([]int64, error)
}

type subsection struct {
	first, count, off, entryLen int64
}

type classicSection struct{ subs []subsection }

func (s *classicSection) lookup(in *inspector, num int64) (xrefEntry, bool, error) {
	for _, sub := range s.subs {
		if num < sub.first || num >= sub.first+sub.count {
			continue
		}
		e, err := in.read(sub.off+(num-sub.first)*sub.entryLen, 18)
		if err != nil {
			return xrefEntry{}, false, err
		}
		off, ok1 := parseInt(e[:10])
		gen, ok2 := parseInt(e[11:16])
		if !ok1 || !ok2 {
			return xrefEntry{}, false, fmt.Errorf("malformed xref entry %q", e)
		}
		if e[17] == 'f' {
			return xrefEntry{kind: 0}, true, nil
		}
		return xrefEntry{kind: 1, a: off, b: gen}, true, nil
	}
	return xrefEntry{}, false, nil
}

type streamSection struct {
	data   int64 // where the stream data starts
	size   int64
	w      [3]int
	index  []int64 // pairs: first object number, count
	filter pdfName
	parms  pdfDict
}

func (s *streamSection) lookup(in *inspector, num int64) (xrefEntry, bool, error) {
	row := int64(0)
	found := false
	for k := 0; k+1 < len(s.index); k += 2 {
		first, count := s.index[k], s.index[k+1]
		if num >= first && num < first+count {
			row += num - first
			found = true
			break
		}
		row += count
	}
	if !found {
		return xrefEntry{}, false, nil
	}
	width := s.w[0] + s.w[1] + s.w[2]
	if row < 0 || row*int64(width) > maxInflate {
		return xrefEntry{}, false, fmt.Errorf("xref stream row %d is too far into the stream", row)
	}
	rd, err := in.decoded(s.data, s.filter, s.parms)
	if err != nil {
		return xrefEntry{}, false, err
	}
	if _, err := io.CopyN(io.Discard, rd, row*int64(width)); err != nil {
		return xrefEntry{}, false, fmt.Errorf("xref stream row %d: %w", row, err)
	}
	buf := make([]byte, width)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return xrefEntry{}, false, fmt.Errorf("xref stream row %d: %w", row, err)
	}
	field := func(k int) int64 {
		start := 0
		for j := range k {
			start += s.w[j]
		}
		var v int64
		for _, c := range buf[start : start+s.w[k]] {
			v = v<<8 | int64(c)
		}
		return v
	}
	kind := int64(1) // a missing type field means 1
	if s.w[0] > 0 {
		kind = field(0)
	}
	if kind > 2 {
		// Unknown types are to be treated as null references.
		return xrefEntry{kind: 0}, true, nil
	}
	return xrefEntry{kind: byte(kind), a: field(1), b: field(2)}, true, nil
}

// decoded returns a reader of the decoded stream whose data starts at off.
// The data is read as needed, never held whole; the compressed length need
// not be known because zlib data ends itself.
func (in *inspector) decoded(off int64, filter pdfName, parms pdfDict) (io.Reader, error) {
	var rd io.Reader = bufio.NewReaderSize(io.NewSectionReader(in.r, off, in.size-off), 4096)
	switch filter {
	case "":
	case "FlateDecode", "Fl":
		z, err := zlib.NewReader(rd)
		if err != nil {
			return nil, err
		}
		rd = &budgetReader{r: z, n: &in.inflated}
	default:
		return nil, fmt.Errorf("unsupported stream filter /%s", filter)
	}
	pred, _ := parms.int("Predictor")
	switch {
	case pred <= 1:
		return rd, nil
	case pred >= 10:
		cols, ok := parms.int("Columns")
		if !ok {
			cols = 1
		}
		colors, ok := parms.int("Colors")
		if !ok {
			colors = 1
		}
		bpc, ok := parms.int("BitsPerComponent")
		if !ok {
			bpc = 8
		}
		if cols < 1 || cols > 1<<16 || colors < 1 || colors > 32 || bpc < 1 || bpc > 16 {
			return nil, errors.New("unsupported predictor parameters")
		}
		bpp := max(1, int(colors*bpc/8))
		return &pngReader{r: rd, bpp: bpp, cur: make([]byte, int(cols*colors*bpc+7)/8), prev: make([]byte, int(cols*colors*bpc+7)/8)}, nil
	}
	return nil, fmt.Errorf("unsupported predictor %d", pred)
}

// budgetReader counts what it reads in *n and fails once *n passes
// maxInflate.
type budgetReader struct {
	r io.Reader
	n *int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if *b.n > maxInflate {
		return 0, errBudget
	}
	k, err := b.r.Read(p)
	*b.n += int64(k)
	return k, err
}

// pngReader undoes the PNG predictors (ISO 32000 §7.4.4.4) row by row.
type pngReader struct {
	r         io.Reader
	bpp       int
	cur, prev []byte
	pending   []byte // decoded bytes of cur not yet returned
}

func (p *pngReader) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		var tag [1]byte
		if _, err := io.ReadFull(p.r, tag[:]); err != nil {
			return 0, err
		}
		p.prev, p.cur = p.cur, p.prev
		if _, err := io.ReadFull(p.r, p.cur); err != nil {
			return 0, err
		}
		for i := range p.cur {
			var left, up, upLeft int
			if i >= p.bpp {
				left = int(p.cur[i-p.bpp])
				upLeft = int(p.prev[i-p.bpp])
			}
			up = int(p.prev[i])
			switch tag[0] {
			case 0:
			case 1:
				p.cur[i] += byte(left)
			case 2:
				p.cur[i] += byte(up)
			case 3:
				p.cur[i] += byte((left + up) / 2)
			case 4:
				p.cur[i] += byte(paeth(left, up, upLeft))
			default:
				return 0, fmt.Errorf("bad PNG predictor tag %d", tag[0])
			}
		}
		p.pending = p.cur
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func paeth(a, b, c int) int {
	p := a + b - c
	pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// lookup finds object num in the newest section that lists it.
func (in *inspector) lookup(num int64) (xrefEntry, error) {
	for _, s := range in.sections {
		e, ok, err := s.lookup(in, num)
		if err != nil {
			return xrefEntry{}, err
		}
		if ok {
			return e, nil
		}
	}
	return xrefEntry{}, fmt.Errorf("object %d is not in any xref section", num)
}

// resolve follows references from v (at most maxResolve) and returns the
// value they lead to, or nil when one cannot be read.
func (in *inspector) resolve(v any, depth int) any {
	r, ok := v.(pdfRef)
	if !ok {
		return v
	}
	if depth >= maxResolve {
		return nil
	}
	obj, err := in.object(r)
	if err != nil {
		return nil
	}
	return in.resolve(obj, depth+1)
}

// object reads indirect object r, from the file or from an object stream.
func (in *inspector) object(r pdfRef) (any, error) {
	e, err := in.lookup(r.num)
	if err != nil {
		return nil, err
	}
	switch e.kind {
	case 1:
		v, _, err := in.objectAt(e.a, true)
		return v, err
	case 2:
		return in.compressedObject(e.a, e.b, r.num)
	}
	return nil, fmt.Errorf("object %d is free", r.num)
}

// compressedObject reads object num, the index-th object of object stream
// stm (ISO 32000 §7.5.7), decoding the stream only up to that object.
func (in *inspector) compressedObject(stm, index, num int64) (any, error) {
	e, err := in.lookup(stm)
	if err != nil {
		return nil, err
	}
	if e.kind != 1 {
		return nil, fmt.Errorf("object stream %d is not at an offset", stm)
	}
	v, data, err := in.objectAt(e.a, true)
	if err != nil {
		return nil, err
	}
	d, ok := v.(pdfDict)
	if !ok || d.name("Type") != "ObjStm" || data < 0 {
		return nil, fmt.Errorf("object %d is not an object stream", stm)
	}
	n, _ := d.int("N")
	firstOff, _ := d.int("First")
	if index < 0 || index >= n || firstOff <= 0 || firstOff > maxObjectBytes {
		return nil, fmt.Errorf("object stream %d: bad /N, /First or index", stm)
	}
	filter, parms := streamCoding(d)
	rd, err := in.decoded(data, filter, parms)
	if err != nil {
		return nil, err
	}
	head := make([]byte, firstOff)
	if _, err := io.ReadFull(rd, head); err != nil {
		return nil, fmt.Errorf("object stream %d header: %w", stm, err)
	}
	p := &parser{b: head, atEOF: true}
	var objOff int64 = -1
	for k := int64(0); k <= index; k++ {
		on, err1 := p.object()
		oo, err2 := p.object()
		a, ok1 := on.(int64)
		b, ok2 := oo.(int64)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return nil, fmt.Errorf("object stream %d: bad header", stm)
		}
		if k == index {
			if a != num {
				return nil, fmt.Errorf("object stream %d holds %d, not %d, at index %d", stm, a, num, index)
			}
			objOff = b
		}
	}
	if objOff < 0 || objOff > maxInflate {
		return nil, fmt.Errorf("object stream %d: bad offset", stm)
	}
	if _, err := io.CopyN(io.Discard, rd, objOff); err != nil {
		return nil, fmt.Errorf("object stream %d: %w", stm, err)
	}
	// Read the object in growing pieces until it parses.
	var body []byte
	for want := firstWindow; ; want *= 4 {
		want = min(want, maxObjectBytes)
		more := make([]byte, want-len(body))
		k, rerr := io.ReadFull(rd, more)
		body = append(body, more[:k]...)
		atEOF := rerr != nil // the stream ended (or broke) before want bytes
		v, err := (&parser{b: body, atEOF: atEOF}).object()
		if errors.Is(err, errShort) && want < maxObjectBytes {
			continue
		}
		return v, err
	}
}

// InspectPages checks an uploaded PDF as Inspect does and counts its
// pages; the reading stops when ctx ends (the uploader went away).
func InspectPages(ctx context.Context, r io.ReaderAt, size int64) (int, error) {
	info, err := Inspect(ctxReaderAt{ctx, r}, size)
	if cerr := ctx.Err(); cerr != nil {
		return 0, cerr
	}
	return info.Pages, err
}

// ctxReaderAt reads from r until ctx ends.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
