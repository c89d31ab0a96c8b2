package password

import (
	"bufio"
	"embed"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// Messages holds the user-visible texts for the message keys Check puts in
// its errors, one flat JSON object per language (ar, fr, en).
//
//go:embed messages/*.json
var Messages embed.FS

// Length bounds, in characters (runes) so that an Arabic password counts the
// letters the person typed, not their UTF-8 bytes.
const (
	MinLen = 10
	MaxLen = 128
)

// Message keys of the errors Check returns.
const (
	KeyShort    = "error.password.short" // param "min"
	KeyLong     = "error.password.long"  // param "max"
	KeyCommon   = "error.password.common"
	KeyPersonal = "error.password.personal"
)

//go:embed common.txt
var commonTxt string

// common holds the folded forms of common.txt: the passwords an attacker
// tries first. It is short on purpose; the length rule does most of the work.
var common = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k := squash(line); k != "" {
			m[k] = true
		}
		m[strings.ToLower(line)] = true
	}
	return m
}()

// squash folds s for comparison (case, accents, Arabic letter variants,
// Arabic-Indic digits) and drops everything but letters and digits, so that
// "Azerty123!" is found as "azerty123".
func squash(s string) string { return strings.ReplaceAll(textnorm.Fold(s), " ", "") }

// Check applies the password policy to pw and returns an errs.Invalid error
// with one of the Key… message keys, or nil. context holds what the person
// told us about themselves — e-mail address, names — which the password must
// neither equal nor contain. The caller attaches the form field with OnField.
//
// The rules follow NIST SP 800-63B: length and a block list, no composition
// rules (they push people to "Password1!") and no expiry.
func Check(pw string, context ...string) error {
	pw = norm.NFKC.String(pw) // what Hash will see
	switch n := utf8.RuneCountInString(pw); {
	case n < MinLen:
		return errs.E(errs.Invalid, KeyShort).With("min", MinLen)
	case n > MaxLen:
		return errs.E(errs.Invalid, KeyLong).With("max", MaxLen)
	}
	s := squash(pw)
	if common[s] || common[strings.ToLower(pw)] || repetitive([]rune(strings.ToLower(pw))) || repetitive([]rune(s)) {
		return errs.E(errs.Invalid, KeyCommon)
	}
	for _, c := range context {
		for _, w := range personalWords(c) {
			if s == w || utf8.RuneCountInString(w) >= minPersonal && strings.Contains(s, w) {
				return errs.E(errs.Invalid, KeyPersonal)
			}
		}
	}
	return nil
}

// minPersonal is the shortest personal word that a password may not
// contain. Shorter words (Ali, Ait, El) occur inside too many unrelated
// passwords to forbid; the password still may not equal them.
const minPersonal = 4

// personalWords returns the folded words of a context value: for an e-mail
// address its local part and that part's pieces ("fatima.zahra92" gives
// "fatimazahra92", "fatima", "zahra"), for a name the whole name and each
// word.
func personalWords(c string) []string {
	if at := strings.LastIndexByte(c, '@'); at >= 0 {
		c = c[:at]
	}
	var out []string
	if whole := squash(c); whole != "" {
		out = append(out, whole)
	}
	words := strings.FieldsFunc(textnorm.Fold(c), func(r rune) bool { return r == ' ' || r >= '0' && r <= '9' })
	if len(words) > 1 || len(words) == 1 && words[0] != squash(c) {
		out = append(out, words...)
	}
	return out
}

// repetitive reports a password made of one short unit repeated
// ("aaaaaaaaaa", "abababababab", "1231231231"), which no block list can
// enumerate. An empty r (nothing left after folding) is not repetitive.
func repetitive(r []rune) bool {
	for unit := 1; unit <= 3 && unit < len(r); unit++ {
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}
