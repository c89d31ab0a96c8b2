package notify

import (
	"strings"
	"unicode/utf8"
)

// MaskEmail hides an e-mail address for logs, keeping its first character
// and its domain: "ahmed@example.ma" → "a***@example.ma".
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(addr), "@")
	if !ok || local == "" {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// MaskPhone hides a phone number for logs, keeping its first four digits
// (after any "+") and its last two: "+212612345612" → "+2126****12".
func MaskPhone(p string) string {
	p = normPhone(p)
	plus := strings.HasPrefix(p, "+")
	digits := strings.TrimPrefix(p, "+")
	if len(digits) < 8 {
		return "****"
	}
	s := digits[:4] + "****" + digits[len(digits)-2:]
	if plus {
		s = "+" + s
	}
	return s
}

// mask returns how an address of channel c may appear in logs and errors.
func mask(c Channel, addr string) string {
	switch c {
	case Email:
		return MaskEmail(addr)
	case SMS:
		return MaskPhone(addr)
	}
	return ""
}

// scrub replaces the address in an error text with its masked form: SMTP
// servers and gateways like to echo the recipient.
func scrub(text string, c Channel, addr string) string {
	if addr == "" {
		return text
	}
	m := mask(c, addr)
	text = strings.ReplaceAll(text, addr, m)
	if low := strings.ToLower(addr); low != addr {
		text = strings.ReplaceAll(text, low, m)
	}
	if c == SMS {
		// Also the number without its "+" or in national form.
		digits := strings.TrimPrefix(addr, "+")
		text = strings.ReplaceAll(text, digits, m)
	}
	return text
}
