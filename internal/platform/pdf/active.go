package pdf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"madina/internal/platform/errs"
)

// keyActive is the message of a PDF refused for active content.
const keyActive = "error.pdf.active"

// activeNames are the names whose presence anywhere in a PDF refuses it:
// what runs code or reaches outside the document when the file is opened
// at the window or by a committee member. Plans and forms never need
// them.
//
// "JS" is not listed: three bytes followed by a delimiter occur by chance
// about once in 200 MB of compressed data. It only ever appears beside
// /JavaScript (a JavaScript action's /S) or /Rendition (a rendition
// action), both listed.
var activeNames = map[string]bool{
	"JavaScript":    true, // scripts: actions and the document's name tree
	"Rendition":     true, // rendition actions, which may carry a script
	"Launch":        true, // runs a program or opens a file
	"EmbeddedFile":  true, // an attached file (an executable, say)
	"EmbeddedFiles": true, // the document's tree of attached files
	"GoToE":         true, // opens an attached PDF
	"GoToR":         true, // opens another file, on a network share too (leaks Windows credentials)
	"RichMedia":     true, // Flash and other embedded players
	"SubmitForm":    true, // sends the form's data to an address
	"ImportData":    true, // reads form data from another file
	"XFA":           true, // XML forms, scripted
}

// scanActive refuses a PDF holding any of activeNames. It reads the whole
// file once, in order, through a fixed buffer, looking at every name
// token ("/" then regular characters, #xx escapes decoded, so /J#61vaScript
// is /JavaScript). Names hidden in compressed object streams are found by
// inflating every object stream. Stream data is scanned raw too, rather
// than skipped by its /Length, so that an object overlapping a stream that
// a reader would still find through the cross-reference is not missed; the
// names above are long enough never to occur there by chance.
func (in *inspector) scanActive() error {
	var objStms []int64
	found, err := scanNames(io.NewSectionReader(in.r, 0, in.size), int(min(in.size, 1<<20)), func(name []byte, off int64) bool {
		if string(name) == "ObjStm" {
			objStms = append(objStms, off)
		}
		return activeNames[string(name)]
	})
	if err != nil {
		return err
	}
	if found != "" {
		return activeErr(found, "")
	}
	// The object streams: those the cross-reference streams place
	// objects in, which is how a reader finds them, and any other
	// object whose dictionary names the type.
	seen := map[int64]bool{}
	nums, err := in.xrefObjStms()
	if err != nil {
		return err
	}
	for _, num := range nums {
		e, err := in.lookup(num)
		if err != nil {
			return fmt.Errorf("object stream %d: %w", num, err)
		}
		if e.kind != 1 || seen[e.a] {
			continue
		}
		seen[e.a] = true
		if err := in.scanObjStm(e.a, false); err != nil {
			return err
		}
	}
	for _, off := range objStms {
		start, err := in.objectBefore(off)
		if err != nil {
			return err
		}
		if seen[start] {
			continue
		}
		seen[start] = true
		if err := in.scanObjStm(start, true); err != nil {
			return err
		}
	}
	return nil
}

// scanObjStm inflates the object stream whose object starts at start and
// refuses active names in it. Unless typed, an object that is not a
// stream of /Type /ObjStm is not one: "/ObjStm" was in a string, say.
func (in *inspector) scanObjStm(start int64, typed bool) error {
	v, data, err := in.objectAt(start, true)
	if err != nil {
		return fmt.Errorf("object stream at %d: %w", start, err)
	}
	d, ok := v.(pdfDict)
	if !ok || data < 0 {
		if typed {
			return nil
		}
		return fmt.Errorf("object stream at %d is not a stream", start)
	}
	if typed && d.name("Type") != "ObjStm" {
		return nil
	}
	filter, parms := streamCoding(d)
	rd, err := in.decoded(data, filter, parms)
	if err != nil {
		return fmt.Errorf("object stream at %d: %w", start, err)
	}
	found, err := scanNames(rd, 64<<10, func(name []byte, _ int64) bool { return activeNames[string(name)] })
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("object stream at %d: %w", start, err)
	}
	if found != "" {
		return activeErr(found, fmt.Sprintf(" in the object stream at %d", start))
	}
	return nil
}

// xrefObjStms returns the numbers of the object streams that the
// cross-reference streams place objects in (entries of type 2).
func (in *inspector) xrefObjStms() ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	for _, sec := range in.sections {
		s, ok := sec.(*streamSection)
		if !ok {
			continue
		}
		var rows int64
		for k := 1; k < len(s.index); k += 2 {
			rows += s.index[k]
		}
		width := s.w[0] + s.w[1] + s.w[2]
		if rows < 0 || rows*int64(width) > maxInflate {
			return nil, errBudget
		}
		dec, err := in.decoded(s.data, s.filter, s.parms)
		if err != nil {
			return nil, err
		}
		rd := bufio.NewReaderSize(dec, 64<<10)
		buf := make([]byte, width)
		for range rows {
			if _, err := io.ReadFull(rd, buf); err != nil {
				break // a short stream lists fewer objects; lookups fail on the rest
			}
			kind, num := int64(1), int64(0)
			if s.w[0] > 0 {
				kind = beInt(buf[:s.w[0]])
			}
			if kind != 2 {
				continue
			}
			num = beInt(buf[s.w[0] : s.w[0]+s.w[1]])
			if !seen[num] {
				seen[num] = true
				out = append(out, num)
			}
		}
	}
	return out, nil
}

// beInt reads a big-endian unsigned field of a cross-reference stream.
func beInt(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

func activeErr(name, where string) error {
	return errs.E(errs.Invalid, keyActive).Cause(fmt.Errorf("pdf: /%s%s", name, where))
}

// objHeaderRE is an indirect object's header, "12 0 obj".
var objHeaderRE = regexp.MustCompile(`(?:^|[\x00\t\n\f\r ])([0-9]{1,10})[\x00\t\n\f\r ]+[0-9]{1,5}[\x00\t\n\f\r ]+obj`)

// objectBefore finds where the indirect object holding the byte at off
// starts: the last "n g obj" before it, looked for in growing windows.
func (in *inspector) objectBefore(off int64) (int64, error) {
	for n := int64(firstWindow); ; n *= 4 {
		n = min(n, off, maxObjectBytes)
		b := make([]byte, n)
		if _, err := in.r.ReadAt(b, off-n); err != nil && err != io.EOF {
			return 0, err
		}
		if ms := objHeaderRE.FindAllSubmatchIndex(b, -1); ms != nil {
			return off - n + int64(ms[len(ms)-1][2]), nil
		}
		if n == off || n == maxObjectBytes {
			return 0, fmt.Errorf("no object header before /ObjStm at %d", off)
		}
	}
}

// scanNames reads r to its end and calls match with every name token (its
// decoded text, without the slash, and the offset of its slash) until
// match returns true; it then returns that name.
func scanNames(r io.Reader, bufSize int, match func(name []byte, off int64) bool) (string, error) {
	const maxName = 127 * 3 // the longest name, every byte escaped
	buf := make([]byte, max(bufSize, 4*maxName))
	var dec [maxShortName]byte
	var base int64 // offset in r of buf[0]
	keep := 0      // bytes carried over at the start of buf
	for {
		n, rerr := io.ReadFull(r, buf[keep:])
		end := keep + n
		atEOF := rerr != nil
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return "", rerr
		}
		b := buf[:end]
		i := 0
		for {
			j := bytes.IndexByte(b[i:], '/')
			if j < 0 {
				i = end
				break
			}
			i += j
			k := i + 1
			for k < end && k-i <= maxName && regular[b[k]] {
				k++
			}
			if k == end && !atEOF && i > 0 {
				break // the name may go on in the next read: carry it
			}
			if name, ok := shortName(b[i+1:k], &dec); ok && match(name, base+int64(i)) {
				return string(name), nil
			}
			i = k
		}
		if atEOF {
			return "", nil
		}
		keep = copy(buf, b[i:])
		base += int64(i)
	}
}

// regular is isRegular as a table, for the scan's inner loop.
var regular = func() (t [256]bool) {
	for c := range t {
		t[c] = isRegular(byte(c))
	}
	return t
}()

// maxShortName bounds the names scanNames reports: the longest of
// activeNames and "ObjStm". Most names in a file, and the random runs of
// compressed data, are longer or shorter and cost no decoding.
const maxShortName = len("EmbeddedFiles")

// shortName returns raw decoded into dec when it decodes to 3 to
// maxShortName bytes, without allocating.
func shortName(raw []byte, dec *[maxShortName]byte) ([]byte, bool) {
	if len(raw) < 3 || len(raw) > 3*maxShortName {
		return nil, false
	}
	if bytes.IndexByte(raw, '#') < 0 {
		return raw, len(raw) <= maxShortName
	}
	n := 0
	for i := 0; i < len(raw); i++ {
		if n == maxShortName {
			return nil, false
		}
		c := raw[i]
		if c == '#' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		dec[n] = c
		n++
	}
	return dec[:n], n >= 3
}

// decodeName undoes a name's #xx escapes (ISO 32000 §7.3.5). A # not
// followed by two hexadecimal digits stays as it is.
func decodeName(b []byte) string {
	if bytes.IndexByte(b, '#') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
