package pdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"madina/internal/platform/errs"
)

// This file opens an existing PDF held in memory to read its objects and
// append incremental updates (ISO 32000 §7.5.6), as signing does: the
// original bytes are never changed, new and changed objects follow them
// with a cross-reference section of the same kind as the file's last one.

// Objects as Reader returns them and Encode writes them. Strings decoded
// from hexadecimal and Go strings are written in hexadecimal; a Literal
// is written back as it was read.
type (
	Name    = pdfName
	Dict    = pdfDict
	Ref     = pdfRef
	Literal = pdfLiteral
)

// MakeRef returns a reference to object num, generation 0.
func MakeRef(num int64) Ref { return pdfRef{num: num} }

// Num is the referenced object's number.
func (r pdfRef) Num() int64 { return r.num }

// Revision is one version of a file: the original, or an incremental
// update.
type Revision struct {
	XRef    int64   // where its cross-reference section starts
	End     int64   // just after its %%EOF and end of line
	Stream  bool    // its cross-reference section is a stream
	Objects []int64 // the object numbers its sections list (in use or freed)
	first   int     // index of its first section in inspector.sections
}

// Reader reads a PDF held in memory.
type Reader struct {
	data []byte
	in   *inspector
	revs []Revision // oldest first
}

// NewReader opens data: a header, cross-reference sections reachable
// from the end of the file, a trailer with /Root, and no encryption
// (error.pdf.encrypted); anything else damaged is error.pdf.corrupt.
func NewReader(data []byte) (*Reader, error) {
	r := &Reader{data: data, in: &inspector{r: bytes.NewReader(data), size: int64(len(data))}}
	if err := r.open(); err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, errs.E(errs.Invalid, keyCorrupt).Cause(fmt.Errorf("pdf: %w", err))
	}
	return r, nil
}

func (r *Reader) open() error {
	in := r.in
	if in.size <= 0 {
		return errors.New("empty file")
	}
	head := r.data[:min(len(r.data), headerWindow)]
	m := headerRE.FindIndex(head)
	if m == nil {
		return errors.New("no %PDF-1.x or %PDF-2.0 header in the first 1024 bytes")
	}
	if m[0] != 0 {
		return errors.New("bytes before the %PDF header: offsets would be ambiguous")
	}
	start, err := in.startxref()
	if err != nil {
		return err
	}
	// Where each %%EOF is, found in one pass: a revision ends at the
	// first one after its cross-reference section.
	var eofs []int64
	for i := 0; ; {
		k := bytes.Index(r.data[i:], eofMarker)
		if k < 0 {
			break
		}
		eofs = append(eofs, int64(i+k))
		i += k + len(eofMarker)
	}
	seen := map[int64]bool{}
	var revs []Revision // newest first
	for off := start; off > 0 && !seen[off]; {
		if len(revs) >= maxSections {
			return errBudget
		}
		seen[off] = true
		sec, trailer, err := in.sectionAt(off)
		if err != nil {
			return fmt.Errorf("cross-reference section at %d: %w", off, err)
		}
		rev := Revision{XRef: off, first: len(in.sections)}
		_, rev.Stream = sec.(*streamSection)
		in.addSection(sec, trailer)
		if x, ok := trailer.int("XRefStm"); ok && !seen[x] {
			seen[x] = true
			s, t, err := in.sectionAt(x)
			if err != nil {
				return fmt.Errorf("cross-reference stream at %d: %w", x, err)
			}
			in.addSection(s, t)
		}
		for _, s := range in.sections[rev.first:] {
			nums, err := s.numbers(in)
			if err != nil {
				return err
			}
			rev.Objects = append(rev.Objects, nums...)
		}
		if len(rev.Objects) > maxListed {
			return errBudget
		}
		k, _ := slices.BinarySearch(eofs, off)
		if k == len(eofs) {
			return fmt.Errorf("no %%%%EOF after the cross-reference section at %d", off)
		}
		rev.End = eofs[k] + int64(len(eofMarker))
		for k := 0; k < 2 && rev.End < in.size && (r.data[rev.End] == '\r' || r.data[rev.End] == '\n'); k++ {
			if r.data[rev.End] == '\n' {
				rev.End++
				break
			}
			rev.End++
		}
		revs = append(revs, rev)
		prev, ok := trailer.int("Prev")
		if !ok {
			break
		}
		if prev <= 0 || prev >= in.size {
			return fmt.Errorf("/Prev %d is outside the file", prev)
		}
		off = prev
	}
	if in.encrypted {
		return errs.E(errs.Invalid, keyEncrypted).Cause(errors.New("pdf: the trailer has /Encrypt"))
	}
	if _, ok := in.root.(pdfRef); !ok {
		return errors.New("the trailer has no /Root reference")
	}
	// A linearized file's first revision has two sections: the first
	// page's near the start of the file, whose /Prev is the main one at
	// the end. An update's section always comes after those it updates,
	// so a section before the older one it points to is of the same
	// revision.
	for i := len(revs) - 2; i >= 0; i-- {
		if revs[i].XRef < revs[i+1].XRef {
			older := revs[i+1]
			revs[i].Objects = append(revs[i].Objects, older.Objects...)
			revs[i].End = max(revs[i].End, older.End)
			revs = slices.Delete(revs, i+1, i+2)
		}
	}
	slices.Reverse(revs)
	r.revs = revs
	return nil
}

// maxListed bounds the object numbers listed for one revision.
const maxListed = 1 << 22

// numbers lists the object numbers a section has entries for.
func (s *classicSection) numbers(*inspector) ([]int64, error) {
	var out []int64
	for _, sub := range s.subs {
		if int64(len(out))+sub.count > maxListed {
			return nil, errBudget
		}
		for n := sub.first; n < sub.first+sub.count; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

func (s *streamSection) numbers(*inspector) ([]int64, error) {
	var out []int64
	for k := 0; k+1 < len(s.index); k += 2 {
		if int64(len(out))+s.index[k+1] > maxListed {
			return nil, errBudget
		}
		for n := s.index[k]; n < s.index[k]+s.index[k+1]; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

// Trailer is the newest trailer (for a cross-reference stream, its
// dictionary).
func (r *Reader) Trailer() Dict { return r.in.trailer }

// NextNumber is the first object number free for an update: the
// trailer's /Size, or more when a cross-reference section lists a higher
// number (a wrong /Size must not make an update overwrite objects).
func (r *Reader) NextNumber() int64 {
	n, _ := r.in.trailer["Size"].(int64)
	for _, rev := range r.revs {
		for _, o := range rev.Objects {
			n = max(n, o+1)
		}
	}
	return max(n, 1)
}

// Root is the catalogue's reference.
func (r *Reader) Root() Ref { return r.in.root.(pdfRef) }

// Revisions lists the file's revisions, the original first.
func (r *Reader) Revisions() []Revision { return r.revs }

// Object reads indirect object ref as the newest revision has it.
func (r *Reader) Object(ref Ref) (any, error) {
	r.in.readBytes = 0
	return r.in.object(ref)
}

// ObjectAt reads object ref as it was in revision rev (an index into
// Revisions), nil if it did not exist then.
func (r *Reader) ObjectAt(ref Ref, rev int) (any, error) {
	in := *r.in // the same file, fewer sections
	in.readBytes = 0
	in.sections = r.in.sections[r.revs[rev].first:]
	if _, err := in.lookup(ref.num); err != nil {
		return nil, nil
	}
	return in.object(ref)
}

// Get follows references from v to a value; nil if one cannot be read.
func (r *Reader) Get(v any) any {
	r.in.readBytes = 0
	return r.in.resolve(v, 0)
}

// maxStream bounds a stream Stream decodes.
const maxStream = 16 << 20

// Stream reads stream object ref: its dictionary and its decoded data
// (no filter or FlateDecode, at most 16 MiB).
func (r *Reader) Stream(ref Ref) (Dict, []byte, error) {
	in := r.in
	in.readBytes = 0
	e, err := in.lookup(ref.num)
	if err != nil {
		return nil, nil, err
	}
	if e.kind != 1 {
		return nil, nil, fmt.Errorf("object %d is not a stream", ref.num)
	}
	v, data, err := in.objectAt(e.a, true)
	if err != nil {
		return nil, nil, err
	}
	d, ok := v.(pdfDict)
	if !ok || data < 0 {
		return nil, nil, fmt.Errorf("object %d is not a stream", ref.num)
	}
	n, ok := in.resolve(d["Length"], 0).(int64)
	if !ok || n < 0 || data+n > in.size || n > maxStream {
		return nil, nil, fmt.Errorf("object %d: bad stream /Length", ref.num)
	}
	raw := r.data[data : data+n]
	filter, parms := streamCoding(d)
	if filter == "" {
		return d, raw, nil
	}
	in.inflated = 0
	rd, err := (&inspector{r: bytes.NewReader(raw), size: n}).decoded(0, filter, parms)
	if err != nil {
		return nil, nil, err
	}
	out, err := io.ReadAll(io.LimitReader(rd, maxStream+1))
	if err != nil {
		return nil, nil, fmt.Errorf("object %d: %w", ref.num, err)
	}
	if len(out) > maxStream {
		return nil, nil, fmt.Errorf("object %d: stream too large", ref.num)
	}
	return d, out, nil
}

var errStop = errors.New("enough pages")

// RawStream reads stream object ref as stored: its dictionary and its
// data still encoded; ok is false when ref is no stream object.
func (r *Reader) RawStream(ref Ref) (d Dict, data []byte, ok bool, err error) {
	in := r.in
	in.readBytes = 0
	e, err := in.lookup(ref.num)
	if err != nil {
		return nil, nil, false, err
	}
	if e.kind != 1 {
		return nil, nil, false, nil // in an object stream: no stream
	}
	v, off, err := in.objectAt(e.a, true)
	if err != nil {
		return nil, nil, false, err
	}
	d, isDict := v.(pdfDict)
	if !isDict || off < 0 {
		return nil, nil, false, nil
	}
	n, isInt := in.resolve(d["Length"], 0).(int64)
	if !isInt || n < 0 || off+n > in.size || n > maxStream {
		return nil, nil, false, fmt.Errorf("object %d: bad stream /Length", ref.num)
	}
	return d, r.data[off : off+n], true, nil
}

// Pages lists the first max pages in order.
func (r *Reader) Pages(max int) ([]Ref, error) {
	cat, ok := r.Get(r.Root()).(pdfDict)
	if !ok {
		return nil, errors.New("pdf: the catalogue is not a dictionary")
	}
	root, ok := cat["Pages"].(pdfRef)
	if !ok {
		return nil, errors.New("pdf: the catalogue has no /Pages reference")
	}
	var out []Ref
	seen := map[pdfRef]bool{}
	var walk func(ref pdfRef, depth int) error
	walk = func(ref pdfRef, depth int) error {
		if len(out) >= max {
			return errStop
		}
		if depth > maxNesting || seen[ref] {
			return errors.New("pdf: the page tree is too deep or loops")
		}
		seen[ref] = true
		d, ok := r.Get(ref).(pdfDict)
		if !ok {
			return fmt.Errorf("pdf: page tree node %d is not a dictionary", ref.num)
		}
		kids, isTree := r.Get(d["Kids"]).([]any)
		if d.name("Type") == "Page" || !isTree {
			out = append(out, ref)
			return nil
		}
		for _, k := range kids {
			kr, ok := k.(pdfRef)
			if !ok {
				return errors.New("pdf: a page tree kid is not a reference")
			}
			if err := walk(kr, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil && err != errStop {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("pdf: the document has no page")
	}
	return out, nil
}

// AppendUpdate returns the file followed by an incremental update holding
// objs (object number → the object, written with Encode unless it is
// already []byte of "<<…>>" or a stream body made by EncodeStream): the
// objects, a cross-reference section of the kind the last one is, and a
// trailer keeping /Root, /Info and /ID with /Size grown to size (the
// caller numbered new objects from the old /Size).
func (r *Reader) AppendUpdate(objs map[int64][]byte, size int64) []byte {
	var b bytes.Buffer
	b.Grow(len(r.data) + 4096 + sum(objs))
	b.Write(r.data)
	if len(r.data) > 0 && r.data[len(r.data)-1] != '\n' && r.data[len(r.data)-1] != '\r' {
		b.WriteByte('\n')
	}
	nums := make([]int64, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	offsets := map[int64]int64{}
	for _, n := range nums {
		offsets[n] = int64(b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n", n)
		b.Write(objs[n])
		b.WriteString("\nendobj\n")
	}
	old := r.in.trailer
	trailer := pdfDict{"Root": r.in.root, "Prev": r.revs[len(r.revs)-1].XRef}
	for _, k := range []pdfName{"Info", "ID"} {
		if v, ok := old[k]; ok {
			trailer[k] = v
		}
	}
	xref := int64(b.Len())
	if r.revs[len(r.revs)-1].Stream {
		// The stream is an object too: number size, /Size one more.
		self := size
		offsets[self] = xref
		nums = append(nums, self)
		trailer["Size"] = self + 1
		trailer["Type"] = pdfName("XRef")
		trailer["W"] = []any{int64(1), int64(4), int64(2)}
		var index []any
		var rows []byte
		for _, sub := range subsections(nums) {
			index = append(index, sub[0], sub[1])
			for n := sub[0]; n < sub[0]+sub[1]; n++ {
				rows = append(rows, 1)
				rows = binary.BigEndian.AppendUint32(rows, uint32(offsets[n]))
				rows = append(rows, 0, 0)
			}
		}
		trailer["Index"] = index
		trailer["Length"] = int64(len(rows))
		fmt.Fprintf(&b, "%d 0 obj\n%s\nstream\n", self, Encode(trailer))
		b.Write(rows)
		b.WriteString("\nendstream\nendobj\n")
	} else {
		trailer["Size"] = size
		b.WriteString("xref\n")
		for _, sub := range subsections(nums) {
			fmt.Fprintf(&b, "%d %d\n", sub[0], sub[1])
			for n := sub[0]; n < sub[0]+sub[1]; n++ {
				fmt.Fprintf(&b, "%010d 00000 n\r\n", offsets[n])
			}
		}
		fmt.Fprintf(&b, "trailer\n%s\n", Encode(trailer))
	}
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

func sum(objs map[int64][]byte) int {
	n := 0
	for _, o := range objs {
		n += len(o) + 32
	}
	return n
}

// subsections groups sorted object numbers into runs: first, count.
func subsections(nums []int64) [][2]int64 {
	var out [][2]int64
	for i := 0; i < len(nums); {
		j := i + 1
		for j < len(nums) && nums[j] == nums[j-1]+1 {
			j++
		}
		out = append(out, [2]int64{nums[i], int64(j - i)})
		i = j
	}
	return out
}

// Encode writes a PDF object: dictionaries with their keys sorted, so the
// same value always gives the same bytes.
func Encode(v any) []byte {
	var b bytes.Buffer
	encode(&b, v)
	return b.Bytes()
}

func encode(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case pdfName:
		b.WriteByte('/')
		for i := 0; i < len(x); i++ {
			c := x[i]
			if c < 0x21 || c > 0x7e || c == '#' || isDelim(c) {
				fmt.Fprintf(b, "#%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
	case pdfLiteral:
		b.WriteByte('(')
		b.WriteString(string(x))
		b.WriteByte(')')
	case string:
		fmt.Fprintf(b, "<%X>", x)
	case []byte:
		fmt.Fprintf(b, "<%X>", x)
	case pdfRef:
		fmt.Fprintf(b, "%d %d R", x.num, x.gen)
	case keyword:
		b.WriteString(string(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(' ')
			}
			encode(b, e)
		}
		b.WriteByte(']')
	case pdfDict:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		b.WriteString("<<")
		for _, k := range keys {
			b.WriteByte(' ')
			encode(b, pdfName(k))
			b.WriteByte(' ')
			encode(b, x[pdfName(k)])
		}
		b.WriteString(" >>")
	default:
		panic(fmt.Sprintf("pdf: Encode: %T", v))
	}
}

// EncodeStream writes a stream object's body: its dictionary with
// /Length, then the data as is.
func EncodeStream(d Dict, data []byte) []byte {
	d2 := pdfDict{}
	for k, v := range d {
		d2[k] = v
	}
	d2["Length"] = int64(len(data))
	var b bytes.Buffer
	encode(&b, d2)
	b.WriteString("\nstream\n")
	b.Write(data)
	b.WriteString("\nendstream")
	return b.Bytes()
}

// Text returns a text string as Go text: a Literal with its escapes
// undone, or the bytes of a decoded hexadecimal string; UTF-16BE with a
// byte order mark or UTF-8 with one is decoded, other bytes are taken
// as Latin-1 (near enough to PDFDocEncoding for names and dates).
func Text(v any) string {
	var raw []byte
	switch x := v.(type) {
	case pdfLiteral:
		raw = unescape(string(x))
	case string:
		raw = []byte(x)
	default:
		return ""
	}
	switch {
	case len(raw) >= 2 && raw[0] == 0xfe && raw[1] == 0xff:
		u := make([]uint16, 0, len(raw)/2)
		for i := 2; i+1 < len(raw); i += 2 {
			u = append(u, uint16(raw[i])<<8|uint16(raw[i+1]))
		}
		return string(utf16.Decode(u))
	case len(raw) >= 3 && raw[0] == 0xef && raw[1] == 0xbb && raw[2] == 0xbf:
		return string(raw[3:])
	}
	var s strings.Builder
	for _, c := range raw {
		s.WriteRune(rune(c))
	}
	return s.String()
}

// TextString returns s as a PDF text string object (a Literal for
// printable ASCII, else UTF-16BE in hexadecimal), as the writer does.
func TextString(s string) any {
	enc := textString(s)
	if strings.HasPrefix(enc, "(") {
		return pdfLiteral(enc[1 : len(enc)-1])
	}
	u := utf16.Encode([]rune(s))
	out := []byte{0xfe, 0xff}
	for _, c := range u {
		out = append(out, byte(c>>8), byte(c))
	}
	return string(out)
}

// unescape undoes a literal string's escapes (ISO 32000 §7.3.4.2).
func unescape(s string) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		i++
		switch c = s[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
		default:
			if c >= '0' && c <= '7' {
				v := 0
				k := 0
				for ; k < 3 && i < len(s) && s[i] >= '0' && s[i] <= '7'; k++ {
					v = v*8 + int(s[i]-'0')
					i++
				}
				i--
				out = append(out, byte(v))
			} else {
				out = append(out, c)
			}
		}
	}
	return out
}

// Date formats t as a PDF date.
var Date = pdfDate
