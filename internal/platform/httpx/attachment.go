package httpx

import (
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// AttachmentPolicy is the Content-Security-Policy of a file download: were
// a browser to render it anyway, it would run in a sandbox with no origin,
// no script and nothing loaded.
const AttachmentPolicy = "sandbox; default-src 'none'"

// Attachment sets the headers of a download of content whose type was
// detected from its bytes: that type, a name whose extension says it
// (see AttachmentName), "attachment" so that browsers save rather than
// render it, no sniffing, and a sandboxing policy. Every handler sending
// a stored file calls it, so that a file is always what its name says.
func Attachment(w http.ResponseWriter, name, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", ContentDisposition(AttachmentName(name, contentType)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", AttachmentPolicy)
}

// AttachmentName gives name the extension of contentType: kept when it
// already is one of the type's ("plan.JPEG" for image/jpeg), replaced
// when the name ends with another short extension ("poly.html" for a PDF
// becomes "poly.pdf"), appended otherwise ("plan v2" becomes
// "plan v2.pdf", "relevé 2024.05" becomes "relevé 2024.05.pdf"). Content
// of no known type gets ".bin", which no system opens by itself.
func AttachmentName(name, contentType string) string {
	want := extensions(contentType)
	if len(want) == 0 {
		want = []string{".bin"}
	}
	ext := path.Ext(name)
	for _, w := range want {
		if strings.EqualFold(ext, w) {
			return name
		}
	}
	if replaceable(ext) {
		name = strings.TrimSuffix(name, ext)
	}
	if name == "" {
		name = "document"
	}
	return name + want[0]
}

// extensions lists the extensions of contentType, the usual one first.
func extensions(contentType string) []string {
	base, _, _ := strings.Cut(contentType, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	var out []string
	if m := mimetype.Lookup(base); m != nil && m.Extension() != "" {
		out = append(out, m.Extension())
	}
	more, _ := mime.ExtensionsByType(base)
	return append(out, more...)
}

// replaceable reports whether ext (with its dot) looks like a file type's
// extension rather than part of the name: 1 to 5 letters or digits, not
// all digits.
func replaceable(ext string) bool {
	e := strings.TrimPrefix(ext, ".")
	if e == "" || len(e) > 5 {
		return false
	}
	letter := false
	for _, c := range e {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// ContentDisposition names a download safely in any script (RFC 6266):
// an ASCII fallback and the UTF-8 name.
func ContentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + pathEscape(name)
}

func pathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
