// Package ical writes calendar invitations (iCalendar, RFC 5545, sent as
// iTIP REQUEST or CANCEL messages, RFC 5546) for appointments at a city
// single window, so that the applicant's calendar application — Google,
// Outlook, Apple — can add, move or remove the appointment.
//
// # A small serializer of our own
//
// An invitation is one fixed shape — a VCALENDAR holding one VEVENT and, for
// a request, one VALARM — so this package writes it itself rather than with
// github.com/arran4/golang-ical, which the tests use to read the output
// back. We checked the library's v0.3.4 writer and found it short of RFC
// 5545 where our data goes:
//
//   - it escapes parameter values with backslashes, which RFC 5545 does
//     not define for parameters: a display name with a comma, as CN=Ville\,
//     Casablanca, is misread by conforming readers. Here parameter values
//     are quoted strings;
//   - its TEXT escaping turns LF into \n but leaves CR as it is, so a
//     description with CR LF line ends puts raw CRs in the output. Here
//     every line break (LF, CR LF, CR) becomes \n and other control
//     characters, which TEXT does not allow, are dropped;
//   - it folds without cutting UTF-8 sequences, but may cut an escape pair
//     such as \, or \n in two, which lax readers do not reassemble. Here
//     neither is ever cut;
//   - it checks nothing. Here Validate refuses an event without UID,
//     summary or stamp, ending before it starts, or with an organizer,
//     attendee or URL that would inject content lines.
//
// Writing the lines ourselves also fixes their order, which the golden
// test compares byte for byte.
//
// # Times in UTC
//
// DTSTART, DTEND and DTSTAMP are written in UTC ("20250512T093000Z"), not
// with TZID=Africa/Casablanca and a VTIMEZONE. An appointment is a single
// instant, never repeated, so UTC loses nothing, and Google Calendar,
// Outlook and Apple Calendar all show a UTC time in the reader's own zone.
// A VTIMEZONE for Casablanca is, by contrast, the case calendar
// applications handle worst: since 2018 Morocco keeps UTC+1 except during
// Ramadan, when it returns to UTC+0, so the dates of its changes move every
// year with the lunar calendar and cannot be written as one yearly RRULE;
// the VTIMEZONE would have to list each change. Applications commonly
// replace a VTIMEZONE whose TZID they know by their own rules (Google), or
// reduce it to a Windows time zone with one pair of yearly changes
// (Outlook), and either may shift the appointment by an hour during or
// around Ramadan. UTC sidesteps all of that; the e-mail around the
// invitation gives the local time in words.
package ical

import (
	"bytes"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ProdID identifies Madina as the product that wrote a calendar.
const ProdID = "-//Madina//Madina//AR"

// Methods of an invitation (RFC 5546).
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
)

// Event is one appointment.
type Event struct {
	// UID is stable per appointment, e.g. "appointment-42@madina.casablanca.ma":
	// a rescheduled or cancelled appointment keeps its UID and raises
	// Sequence, so calendars update the event rather than add one.
	UID      string
	Sequence int
	// Start and End are instants (End after Start), written in UTC and to
	// the second.
	Start, End time.Time
	// Summary (required), Location and Description are text in any
	// language; line breaks in them are kept.
	Summary, Location, Description string
	URL                            string // optional; an absolute http(s) address
	// Organizer is an optional e-mail address ("mailto:" optional), with an
	// optional display name. Outlook and Gmail treat a request without an
	// organizer as a plain event rather than an invitation, so set it (the
	// sender's no-reply address will do).
	Organizer, OrganizerName string
	// Attendee is the optional e-mail address of the person invited, with
	// an optional display name. They booked the appointment themselves, so
	// they are written as having accepted, and no reply is asked for.
	Attendee, AttendeeName string
	// Cancelled makes the invitation a cancellation (METHOD:CANCEL,
	// STATUS:CANCELLED); raise Sequence for it too.
	Cancelled bool
	// Stamp is when this version of the invitation was made (DTSTAMP).
	Stamp time.Time
}

// Method is the invitation's iTIP method: REQUEST, or CANCEL once the
// appointment is cancelled.
func (e Event) Method() string {
	if e.Cancelled {
		return MethodCancel
	}
	return MethodRequest
}

// ContentType is the MIME type to send the invitation with, carrying the
// method as RFC 6047 asks: "text/calendar; method=REQUEST; charset=UTF-8".
func (e Event) ContentType() string {
	return "text/calendar; method=" + e.Method() + "; charset=UTF-8"
}

// Validate reports what makes e unfit for an invitation.
func (e Event) Validate() error {
	var bad []string
	if strings.TrimSpace(e.UID) == "" || strings.ContainsFunc(e.UID, unicode.IsControl) || !utf8.ValidString(e.UID) {
		bad = append(bad, "UID is empty or has control characters")
	}
	if e.Sequence < 0 {
		bad = append(bad, "negative Sequence")
	}
	if e.Start.IsZero() || e.End.IsZero() || !e.End.Truncate(time.Second).After(e.Start.Truncate(time.Second)) {
		bad = append(bad, "End is not after Start")
	}
	if e.Stamp.IsZero() {
		bad = append(bad, "no Stamp")
	}
	if strings.TrimSpace(e.Summary) == "" {
		bad = append(bad, "no Summary")
	}
	if e.URL != "" && uri(e.URL) == "" {
		bad = append(bad, "URL is not an absolute http(s) address")
	}
	for _, a := range []struct{ name, addr string }{{"Organizer", e.Organizer}, {"Attendee", e.Attendee}} {
		if a.addr != "" && mailto(a.addr) == "" {
			bad = append(bad, a.name+" is not an e-mail address")
		}
	}
	if bad != nil {
		return fmt.Errorf("ical: event %q: %s", e.UID, strings.Join(bad, "; "))
	}
	return nil
}

// mailto returns "mailto:address" for a bare e-mail address, with or
// without the scheme, and "" for anything else.
func mailto(s string) string {
	addr := strings.TrimSpace(s)
	if len(addr) >= 7 && strings.EqualFold(addr[:7], "mailto:") {
		addr = addr[7:]
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || strings.ContainsFunc(addr, unsafeInValue) {
		return ""
	}
	return "mailto:" + addr
}

// uri returns an absolute http(s) address as it is written (non-ASCII
// characters percent-encoded), and "" for anything else.
func uri(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	out := u.String()
	if strings.ContainsFunc(out, unsafeInValue) || strings.ContainsFunc(out, func(r rune) bool { return r >= 0x7f }) {
		return ""
	}
	return out
}

// unsafeInValue reports the characters never let into a URI or address
// value: controls, spaces, quotes and backslashes (the writer treats every
// backslash as starting an escape pair).
func unsafeInValue(r rune) bool {
	return r <= ' ' || r == 0x7f || r == '\\' || r == '"' || unicode.IsControl(r) || unicode.IsSpace(r)
}

// Invitation writes e as an iCalendar object: METHOD REQUEST (with a
// display alarm one day before) or CANCEL, one VEVENT, CRLF line ends,
// lines folded at 75 octets. It fails only when e does not Validate.
func Invitation(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var w writer
	w.line("BEGIN:VCALENDAR")
	w.line("PRODID:" + ProdID)
	w.line("VERSION:2.0")
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:" + e.Method())
	w.line("BEGIN:VEVENT")
	w.line("UID:" + Text(e.UID))
	w.line("SEQUENCE:" + strconv.Itoa(e.Sequence))
	w.line("DTSTAMP:" + utc(e.Stamp))
	w.line("DTSTART:" + utc(e.Start))
	w.line("DTEND:" + utc(e.End))
	w.line("SUMMARY:" + Text(e.Summary))
	if e.Location != "" {
		w.line("LOCATION:" + Text(e.Location))
	}
	if e.Description != "" {
		w.line("DESCRIPTION:" + Text(e.Description))
	}
	if e.URL != "" {
		w.line("URL:" + uri(e.URL))
	}
	if e.Organizer != "" {
		w.line("ORGANIZER" + cn(e.OrganizerName) + ":" + mailto(e.Organizer))
	}
	if e.Attendee != "" {
		w.line("ATTENDEE" + cn(e.AttendeeName) + ";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:" + mailto(e.Attendee))
	}
	if e.Cancelled {
		w.line("STATUS:CANCELLED")
	} else {
		w.line("STATUS:CONFIRMED")
		w.line("TRANSP:OPAQUE")
		w.line("BEGIN:VALARM")
		w.line("ACTION:DISPLAY")
		w.line("TRIGGER;RELATED=START:-P1D")
		w.line("DESCRIPTION:" + Text(e.Summary))
		w.line("END:VALARM")
	}
	w.line("END:VEVENT")
	w.line("END:VCALENDAR")
	return w.b.Bytes(), nil
}

// utc writes an instant as a UTC DATE-TIME, to the second.
func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// Text escapes s as an RFC 5545 TEXT value: backslash, semicolon and comma
// are escaped, every line break (LF, CR LF or CR) becomes \n, other
// control characters but tab are dropped, invalid UTF-8 becomes U+FFFD.
func Text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + len(s)/16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r):
			// RFC 5545 TEXT allows no other control character.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cn writes a display name as a quoted CN parameter, or nothing for an
// empty name. A quoted string can hold neither DQUOTE nor control
// characters: quotes become apostrophes, control characters spaces.
func cn(name string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD")))
	if name == "" {
		return ""
	}
	return `;CN="` + name + `"`
}

// maxLine is the longest a physical line may be, in octets, CRLF excluded
// (RFC 5545 §3.1).
const maxLine = 75

// writer writes content lines, folded, each ended by CRLF.
type writer struct{ b bytes.Buffer }

// line writes one content line, folding it into physical lines of at most
// maxLine octets; a continuation line starts with a space, which counts.
// A cut never falls inside a UTF-8 sequence nor inside an escape pair.
func (w *writer) line(s string) {
	limit := maxLine
	for len(s) > limit {
		cut := 0
		for cut < len(s) {
			n := unitLen(s[cut:])
			if cut+n > limit {
				break
			}
			cut += n
		}
		w.b.WriteString(s[:cut])
		w.b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLine - 1
	}
	w.b.WriteString(s)
	w.b.WriteString("\r\n")
}

// unitLen is the length in octets of the first unit of s that folding must
// not cut: one character, or an escape pair (a backslash and the character
// after it; every backslash the writer emits starts one).
func unitLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	if s[0] == '\\' && len(s) > 1 {
		_, m := utf8.DecodeRuneInString(s[1:])
		n += m
	}
	return n
}

// Unfold undoes folding: it removes every CRLF followed by a space or tab
// (RFC 5545 §3.1), in one pass.
func Unfold(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\r' && i+2 < len(b) && b[i+1] == '\n' && (b[i+2] == ' ' || b[i+2] == '\t') {
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	return out
}
