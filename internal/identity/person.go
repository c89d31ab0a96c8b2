// Package identity knows who is who: people and their accounts, the
// companies and associations they represent, professionals and their
// verification, staff and their roles, sessions, second factor, API tokens
// and mandates. It builds the authz.Actor that every request carries.
package identity

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"madina/internal/people"
	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// Person is someone with an account. The type lives in the shared kernel
// (package people) so that other capabilities read it without importing
// identity; identity owns its table and every change to it.
type Person = people.Person

// Profile is what a person fills in at sign-up and can change later.
type Profile struct {
	GivenNameAR, FamilyNameAR       string
	GivenNameLatin, FamilyNameLatin string
	CIN                             string
	Email                           string
	Phone                           string
	Lang                            string
}

var (
	// CIN: one or two letters then digits (Moroccan national ID card).
	cinRE   = regexp.MustCompile(`^[A-Z]{1,2}[0-9]{4,7}$`)
	emailRE = regexp.MustCompile(`^[^\s@<>()\[\],;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	iceRE   = regexp.MustCompile(`^[0-9]{15}$`)
)

// NormalizeCIN upper-cases a CIN and removes spaces; Arabic-Indic digits
// become ASCII.
func NormalizeCIN(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(textnorm.Digits(s)), ""))
	return s
}

// ValidCIN reports whether s (normalised) looks like a CIN.
func ValidCIN(s string) bool { return cinRE.MatchString(s) }

// NormalizeEmail trims an address; EmailKey is its unique form.
func NormalizeEmail(s string) string { return strings.TrimSpace(s) }

// EmailKey is the form under which addresses are unique (case-folded).
func EmailKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s looks like a deliverable address.
func ValidEmail(s string) bool {
	return len(s) <= 254 && utf8.ValidString(s) && emailRE.MatchString(s)
}

// NormalizePhone turns a Moroccan number in any usual form (06…, 07…,
// +212 6…, 00212…, with spaces, dots or dashes, Arabic-Indic digits) into
// E.164 (+2126…); other international numbers keep their + form. It returns
// "" for something that is not a phone number.
func NormalizePhone(s string) string {
	s = textnorm.Digits(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) }):
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case strings.HasPrefix(n, "0") && len(n) == 10:
		n = "+212" + n[1:]
	}
	if !strings.HasPrefix(n, "+") || len(n) < 9 || len(n) > 16 {
		return ""
	}
	if strings.HasPrefix(n, "+212") && (len(n) != 13 || !strings.ContainsRune("567", rune(n[4]))) {
		return ""
	}
	return n
}

// MobilePhone reports whether an E.164 number can receive SMS in Morocco
// (06 and 07) or is a foreign number (which we cannot tell).
func MobilePhone(e164 string) bool {
	if strings.HasPrefix(e164, "+212") {
		return len(e164) == 13 && (e164[4] == '6' || e164[4] == '7')
	}
	return e164 != ""
}

// cleanName trims a name and refuses what a name cannot contain: markup,
// control characters, digits, and more than maxName characters.
func cleanName(field, s string, required bool) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		if required {
			return "", errs.E(errs.Invalid, "identity.error.required").OnField(field)
		}
		return "", nil
	}
	if utf8.RuneCountInString(s) > maxName {
		return "", errs.E(errs.Invalid, "identity.error.name_long").With("max", maxName).OnField(field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsDigit(r) || strings.ContainsRune(`<>{}[]\/"=;@#$%^*_|~`+"`", r) {
			return "", errs.E(errs.Invalid, "identity.error.name_chars").OnField(field)
		}
	}
	return s, nil
}

const maxName = 80

// Validate checks and normalises a profile. Arabic names are required for
// citizens (the documents the city issues are in Arabic); Latin names too.
// Every field is checked: the error lists each field at fault (errs.Fields),
// so that a form shows all its mistakes at once.
func (p *Profile) Validate() error {
	var fe errs.Fields
	fields := []struct {
		name string
		v    *string
	}{{"given_name_ar", &p.GivenNameAR}, {"family_name_ar", &p.FamilyNameAR},
		{"given_name_latin", &p.GivenNameLatin}, {"family_name_latin", &p.FamilyNameLatin}}
	for _, f := range fields {
		s, err := cleanName(f.name, *f.v, true)
		if err := fe.Add(err); err != nil {
			return err
		}
		*f.v = s
	}
	if p.GivenNameAR+p.FamilyNameAR != "" && !hasScript(p.GivenNameAR+p.FamilyNameAR, unicode.Arabic) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.name_arabic").OnField("given_name_ar"))
	}
	if p.GivenNameLatin+p.FamilyNameLatin != "" && !hasScript(p.GivenNameLatin+p.FamilyNameLatin, unicode.Latin) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.name_latin").OnField("given_name_latin"))
	}
	p.CIN = NormalizeCIN(p.CIN)
	if !ValidCIN(p.CIN) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.cin").OnField("cin"))
	}
	p.Email = NormalizeEmail(p.Email)
	if !ValidEmail(p.Email) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.email").OnField("email"))
	}
	phone := NormalizePhone(p.Phone)
	if phone == "" || !MobilePhone(phone) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.phone").OnField("phone"))
	} else {
		p.Phone = phone
	}
	switch p.Lang {
	case "ar", "fr", "en":
	default:
		p.Lang = "ar"
	}
	return fe.Err()
}

// hasScript reports whether every letter of s is of script (and there is
// at least one letter).
func hasScript(s string, script *unicode.RangeTable) bool {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if !unicode.Is(script, r) {
				return false
			}
			n++
		}
	}
	return n > 0
}

// ValidICE reports whether s is a company's 15-digit ICE.
func ValidICE(s string) bool { return iceRE.MatchString(s) }
