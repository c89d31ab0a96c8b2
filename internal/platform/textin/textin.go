// Package textin is the one rule for text that comes from outside: every
// form value, JSON string, multipart text part and query value passes
// Clean (httpx applies it before any handler runs), so that what is stored
// is what the person saw when they typed it, and no byte that PostgreSQL
// refuses (NUL, invalid UTF-8) reaches the database.
//
// The rule, for a single-line field (the default) and a multi-line one:
//
//   - invalid UTF-8 and NUL are refused;
//   - other C0 and C1 control characters, DEL, noncharacters and Unicode
//     tag characters (invisible text) are refused;
//   - bidirectional embeddings, overrides and isolates (U+202A–U+202E,
//     U+2066–U+2069) are refused: they make text display in another order
//     than it was typed ("Trojan source"), and pages isolate each value
//     themselves (<bdi>, dir="auto");
//   - line breaks (LF, CR, CRLF, U+2028, U+2029) are refused in a
//     single-line field and become "\n" in a multi-line one;
//   - a tab becomes a space (a browser shows it as one anyway);
//   - the byte order mark U+FEFF is removed wherever it is;
//   - zero-width characters and direction marks (ZWSP, ZWNJ, ZWJ, word
//     joiner, soft hyphen, LRM, RLM, ALM) are removed at the two ends of the
//     text, where copying a word from a page brings them innocently; inside
//     the text they are kept (Arabic and Persian writing needs ZWNJ, mixed
//     Arabic–Latin text needs the marks);
//   - the result is in Unicode normalisation form C (the same letters typed
//     on two keyboards are stored alike; NFC never changes what is shown).
//
// Ordinary spaces are not trimmed here: a password may begin with one;
// handlers trim the fields where spaces do not matter. Folding for
// comparison and search is textnorm.Fold, never applied to what is stored.
package textin

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"madina/internal/platform/errs"
)

// Kind says whether a field may hold several lines.
type Kind int

const (
	// Line is a single-line field: the default everywhere.
	Line Kind = iota
	// Lines is a multi-line field (a textarea): it keeps "\n".
	Lines
)

// Message keys of the refusals (their texts are in httpx's catalogue).
const (
	KeyEncoding = "error.text.encoding"
	KeyNUL      = "error.text.nul"
	KeyControl  = "error.text.control"
	KeyNewline  = "error.text.newline"
	KeyBidi     = "error.text.bidi"
)

// Clean returns s as Madina stores it, or an errs.Invalid error whose key
// says what is wrong (the caller attaches the field). Clean is idempotent:
// Clean(Clean(s)) is Clean(s).
func Clean(s string, k Kind) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.E(errs.Invalid, KeyEncoding)
	}
	if plain(s) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == 0:
			return "", errs.E(errs.Invalid, KeyNUL)
		case r == '\t':
			b.WriteByte(' ')
		case r == '\r' || r == '\n' || r == 0x2028 || r == 0x2029:
			if k != Lines {
				return "", errs.E(errs.Invalid, KeyNewline)
			}
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case r == 0xFEFF:
			// a byte order mark: never meant as text
		case control(r):
			return "", errs.E(errs.Invalid, KeyControl)
		case Bidi(r):
			return "", errs.E(errs.Invalid, KeyBidi)
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(trimInvisible(b.String())), nil
}

// plain reports whether s is printable ASCII, which Clean keeps as it is
// (the common case, checked without allocating).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F {
			return false
		}
	}
	return true
}

// Sanitize is Clean for text no person typed and which must not be refused
// for its form (a file name chosen by a browser, a claim from an identity
// provider): what Clean would refuse is removed, line breaks and tabs
// become spaces. The result satisfies Clean's rule for a single line.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\r' || r == '\n' || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		case r == 0 || r == 0xFEFF || control(r) || Bidi(r):
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(trimInvisible(b.String()))
}

// control reports the characters refused in every field: C0 and C1
// controls and DEL (line breaks and tabs are handled before), Unicode
// noncharacters and the tag characters (invisible text).
func control(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return true
	case r >= 0xE0000 && r <= 0xE007F:
		return true
	}
	return false
}

// Bidi reports the bidirectional embeddings, overrides and isolates, which
// reorder the text that follows them.
func Bidi(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// invisible reports the zero-width characters and direction marks removed
// at the ends of a text.
func invisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0x2060, 0x00AD:
		return true
	}
	return false
}

func space(r rune) bool { return unicode.IsSpace(r) }

// trimInvisible removes the invisible characters from the runs of spaces
// and invisible characters at the two ends of s, keeping the spaces.
func trimInvisible(s string) string {
	start := 0
	for start < len(s) {
		r, n := utf8.DecodeRuneInString(s[start:])
		if !space(r) && !invisible(r) {
			break
		}
		start += n
	}
	end := len(s)
	for end > start {
		r, n := utf8.DecodeLastRuneInString(s[:end])
		if !space(r) && !invisible(r) {
			break
		}
		end -= n
	}
	if !hasInvisible(s[:start]) && !hasInvisible(s[end:]) {
		return s
	}
	drop := func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}
	return strings.Map(drop, s[:start]) + s[start:end] + strings.Map(drop, s[end:])
}

func hasInvisible(s string) bool {
	return strings.IndexFunc(s, invisible) >= 0
}
