package httpx

import (
	"net/url"
	"path"
	"strings"
)

// maxLocalPath bounds a return address: longer ones are not ours.
const maxLocalPath = 2048

// LocalPath reports whether s, a redirect target taken from a request
// (?next=, a form field), is a clean absolute path on this site, and
// returns it. Every redirect to a target a client chose goes through it.
//
// Browsers forgive a lot in a Location header: they drop tabs and line
// breaks anywhere, read a backslash as a slash, and take "//host" (or
// "/\host") as another site. So only printable ASCII is accepted, without
// backslashes, encoded or not; no scheme, host or user; a path starting
// with one slash and equal to its cleaned form once percent-decoded (no
// "//", "." or ".." segments, decoded or not). A query and fragment may
// follow.
func LocalPath(s string) (string, bool) {
	if len(s) < 1 || len(s) > maxLocalPath || s[0] != '/' {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(s, p) {
		return "", false // the parser read the path differently from us
	}
	// The decoded path is what a browser or a proxy may act on.
	dec, err := url.PathUnescape(p)
	if err != nil || !cleanAbsolute(p) || !cleanAbsolute(dec) {
		return "", false
	}
	for i := 0; i < len(dec); i++ {
		if c := dec[i]; c < ' ' || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	return s, true
}

// cleanAbsolute reports whether p starts with exactly one slash and has no
// empty, "." or ".." segment (a trailing slash is allowed).
func cleanAbsolute(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// LocalPathOr is LocalPath with a fallback for targets that are not local.
func LocalPathOr(s, fallback string) string {
	if p, ok := LocalPath(s); ok {
		return p
	}
	return fallback
}
