package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// This file holds the small PDF object parser Inspect uses: enough of the
// syntax of ISO 32000 §7.3 to read trailers, cross-reference stream
// dictionaries, the catalogue and the page tree root. It works on a byte
// window; when an object runs past the end of the window the caller reads a
// larger one (up to maxObjectBytes) and parses again.

// PDF objects as the parser returns them. Strings, booleans, null and
// numbers use Go types (string, bool, nil, int64, float64).
type (
	pdfName string          // without the slash
	pdfDict map[pdfName]any // keys without the slash
	pdfRef  struct{ num, gen int64 }
	keyword string // a bare word such as obj, stream, R
	// pdfLiteral is a (literal string) as written between its
	// parentheses, escapes kept; hexadecimal strings are decoded into a
	// Go string.
	pdfLiteral string
)

var (
	errShort = errors.New("object runs past the end of the window")
	errDepth = errors.New("objects nested too deeply")
)

// maxNesting bounds array and dictionary nesting so that hostile input
// cannot exhaust the stack.
const maxNesting = 32

type parser struct {
	b     []byte
	i     int
	atEOF bool // b ends where the file ends: running out is an error, not errShort
	depth int
}

func isWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWhite(c) && !isDelim(c) }

// short reports that input ran out: errShort if a larger window may help.
func (p *parser) short() error {
	if p.atEOF {
		return errors.New("unexpected end of file")
	}
	return errShort
}

// skipSpace skips white space and comments.
func (p *parser) skipSpace() {
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case isWhite(c):
			p.i++
		case c == '%':
			for p.i < len(p.b) && p.b[p.i] != '\n' && p.b[p.i] != '\r' {
				p.i++
			}
		default:
			return
		}
	}
}

// word reads a run of regular characters.
func (p *parser) word() []byte {
	start := p.i
	for p.i < len(p.b) && isRegular(p.b[p.i]) {
		p.i++
	}
	return p.b[start:p.i]
}

// object parses one object. An integer followed by an integer and R is a
// reference.
func (p *parser) object() (any, error) {
	p.skipSpace()
	if p.i >= len(p.b) {
		return nil, p.short()
	}
	c := p.b[p.i]
	switch {
	case c == '/':
		p.i++
		w := p.word()
		if p.i >= len(p.b) && !p.atEOF {
			return nil, errShort
		}
		return pdfName(decodeName(w)), nil
	case c == '(':
		s, err := p.literalString()
		return pdfLiteral(s), err
	case c == '<':
		if p.i+1 >= len(p.b) {
			return nil, p.short()
		}
		if p.b[p.i+1] == '<' {
			return p.dict()
		}
		return p.hexString()
	case c == '[':
		return p.array()
	case c == ')' || c == '>' || c == ']' || c == '{' || c == '}':
		return nil, fmt.Errorf("unexpected %q at %d", c, p.i)
	}
	w := p.word()
	if p.i >= len(p.b) && !p.atEOF {
		return nil, errShort // the word may continue past the window
	}
	if len(w) == 0 {
		return nil, fmt.Errorf("unexpected byte %#x at %d", c, p.i)
	}
	if n, ok := parseInt(w); ok {
		// A reference is "num gen R"; look ahead without consuming.
		save := p.i
		p.skipSpace()
		g := p.word()
		if gen, ok := parseInt(g); ok {
			p.skipSpace()
			if r := p.word(); string(r) == "R" {
				if p.i >= len(p.b) && !p.atEOF {
					return nil, errShort
				}
				return pdfRef{n, gen}, nil
			}
		}
		if p.i >= len(p.b) && !p.atEOF {
			return nil, errShort
		}
		p.i = save
		return n, nil
	}
	if isNumber(w) {
		f, err := strconv.ParseFloat(string(w), 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", w)
		}
		return f, nil
	}
	switch string(w) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return keyword(w), nil
}

func parseInt(w []byte) (int64, bool) {
	if len(w) == 0 || len(w) > 19 {
		return 0, false
	}
	s := w
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(w), 10, 64)
	return n, err == nil
}

func isNumber(w []byte) bool {
	if len(w) == 0 || len(w) > 40 {
		return false
	}
	digits, dots := 0, 0
	for k, c := range w {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		case (c == '+' || c == '-') && k == 0:
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return errDepth
	}
	return nil
}

func (p *parser) array() ([]any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.i++ // [
	var out []any
	for {
		p.skipSpace()
		if p.i >= len(p.b) {
			return nil, p.short()
		}
		if p.b[p.i] == ']' {
			p.i++
			return out, nil
		}
		v, err := p.object()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

func (p *parser) dict() (pdfDict, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.i += 2 // <<
	out := pdfDict{}
	for {
		p.skipSpace()
		if p.i+1 >= len(p.b) {
			return nil, p.short()
		}
		if p.b[p.i] == '>' && p.b[p.i+1] == '>' {
			p.i += 2
			return out, nil
		}
		k, err := p.object()
		if err != nil {
			return nil, err
		}
		key, ok := k.(pdfName)
		if !ok {
			return nil, fmt.Errorf("dictionary key is %T, not a name", k)
		}
		v, err := p.object()
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
}

// literalString reads a (string) with balanced parentheses and escapes. The
// value is returned with escapes left as they are: Inspect never needs the
// text of a string, only to get past it.
func (p *parser) literalString() (string, error) {
	start := p.i
	p.i++ // (
	level := 1
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			p.i++
		case '(':
			level++
		case ')':
			level--
			if level == 0 {
				p.i++
				return string(p.b[start+1 : p.i-1]), nil
			}
		}
		p.i++
	}
	p.i = len(p.b)
	return "", p.short()
}

func (p *parser) hexString() (string, error) {
	p.i++ // <
	end := bytes.IndexByte(p.b[p.i:], '>')
	if end < 0 {
		return "", p.short()
	}
	s := p.b[p.i : p.i+end]
	p.i += end + 1
	var out []byte
	var hi byte
	half := false
	for _, c := range s {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		case isWhite(c):
			continue
		default:
			return "", fmt.Errorf("bad hex string byte %q", c)
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return string(out), nil
}

// indirectHeader parses "num gen obj" and returns num and gen.
func (p *parser) indirectHeader() (pdfRef, error) {
	var r pdfRef
	for k, dst := range []*int64{&r.num, &r.gen} {
		p.skipSpace()
		w := p.word()
		if p.i >= len(p.b) && !p.atEOF {
			return r, errShort
		}
		n, ok := parseInt(w)
		if !ok || n < 0 {
			return r, fmt.Errorf("object header: %q is not an object number (part %d)", w, k)
		}
		*dst = n
	}
	p.skipSpace()
	if w := p.word(); string(w) != "obj" {
		if p.i >= len(p.b) && !p.atEOF {
			return r, errShort
		}
		return r, fmt.Errorf("object header: want obj, have %q", w)
	}
	return r, nil
}

// streamStart positions p after the "stream" keyword and its end of line,
// returning false if the object has no stream.
func (p *parser) streamStart() (bool, error) {
	p.skipSpace()
	if p.i+6 > len(p.b) {
		return false, p.short()
	}
	if !bytes.HasPrefix(p.b[p.i:], []byte("stream")) {
		return false, nil
	}
	p.i += 6
	// The keyword is followed by CRLF or LF; tolerate a lone CR.
	if p.i < len(p.b) && p.b[p.i] == '\r' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '\n' {
		p.i++
	}
	return true, nil
}

// Typed accessors. They return zero values for a missing key or a value of
// another type; references are not followed.

func (d pdfDict) int(k pdfName) (int64, bool) {
	v, ok := d[k].(int64)
	return v, ok
}

func (d pdfDict) name(k pdfName) pdfName {
	n, _ := d[k].(pdfName)
	return n
}

// firstOf returns v, or v's first element when v is an array (filters and
// decode parameters may be given either way).
func firstOf(v any) any {
	if a, ok := v.([]any); ok {
		if len(a) == 0 {
			return nil
		}
		return a[0]
	}
	return v
}
