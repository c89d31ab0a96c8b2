// Package textnorm folds text for comparison, search and de-duplication.
// Arabic arrives in many encodings of the same letters (the city's own
// documents mix presentation forms with ordinary letters), so every
// comparison of names or search terms goes through Fold first.
package textnorm

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s folded for comparison: NFKC (presentation forms become
// ordinary letters), Arabic marks, tatweel, zero-width and direction marks
// removed, alef variants → ا, ى → ي, ة → ه, ؤ → و, ئ → ي, Moroccan ڭ → ك and
// ڤ → ف, Arabic-Indic digits → 0-9, Latin letters lower-cased with accents
// removed, runs of spaces and punctuation collapsed to one space.
func Fold(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	for _, r := range norm.NFD.String(s) {
		switch {
		case isArabicMark(r), r == 'ـ', unicode.Is(unicode.Mn, r), isInvisible(r):
			continue
		}
		r = foldRune(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func isArabicMark(r rune) bool {
	return r >= 0x064B && r <= 0x065F || r == 0x0670 || r >= 0x06D6 && r <= 0x06ED
}

func isInvisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0x2066, 0x2067, 0x2068, 0x2069,
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0xFEFF, 0x00AD:
		return true
	}
	return false
}

func foldRune(r rune) rune {
	switch r {
	case 'أ', 'إ', 'آ', 'ٱ', 'ٲ', 'ٳ':
		return 'ا'
	case 'ى', 'ئ', 'ی':
		return 'ي'
	case 'ة':
		return 'ه'
	case 'ؤ':
		return 'و'
	case 'ڭ', 'گ', 'ک':
		return 'ك'
	case 'ڤ':
		return 'ف'
	}
	if r >= '٠' && r <= '٩' {
		return '0' + (r - '٠')
	}
	if r >= '۰' && r <= '۹' {
		return '0' + (r - '۰')
	}
	return unicode.ToLower(r)
}

// Contains reports whether needle occurs in haystack once both are folded.
func Contains(haystack, needle string) bool {
	return strings.Contains(Fold(haystack), Fold(needle))
}

// Digits replaces Arabic-Indic and Eastern Arabic-Indic digits with ASCII
// digits and leaves everything else as it is (for numbers people type:
// phone numbers, ID card numbers, codes).
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}
