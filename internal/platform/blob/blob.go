// Package blob keeps files (plans, photos, signed PDFs) by the SHA-256 of
// their content, so the database stores only a hash, a file is never
// overwritten, and an upload is trusted for what its bytes are, not its name.
package blob

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"madina/internal/platform/errs"
)

// Messages holds the user-visible texts for the message keys this package
// puts in its errors, one flat JSON object per language (ar, fr, en).
//
//go:embed messages/*.json
var Messages embed.FS

// Message keys of the errors Put, Open and Stat return.
const (
	keyTooLarge    = "error.blob.too_large" // param "max": the limit in MB, see FormatMB
	keyEmpty       = "error.blob.empty"
	keyType        = "error.blob.type" // params "type" and "allowed": labels, see typeLabel
	keyNotFound    = "error.blob.not_found"
	keyInvalidHash = "error.blob.hash"
	keyUnavailable = "error.blob.unavailable"
)

// Blob describes stored content.
type Blob struct {
	SHA256      string // lowercase hex, 64 characters
	Size        int64  // bytes
	ContentType string // detected from the content, e.g. "application/pdf"
}

// PutOptions limits what Put accepts.
type PutOptions struct {
	// MaxSize is the largest accepted size in bytes; 0 or less means no
	// limit, so handlers of user uploads must always set it.
	MaxSize int64
	// Allowed lists the MIME types accepted, as detected from the content
	// (never from a name or a declared type); empty accepts any. A detected
	// type matches when it, an alias of it or one of its parents in
	// mimetype's hierarchy is listed, parameters such as charset ignored:
	// "image/png" accepts APNG, "application/zip" accepts DOCX and JAR,
	// "text/plain" accepts HTML and SVG. "application/octet-stream" only
	// matches content whose type could not be identified.
	Allowed []string
	// Check, when set, inspects the complete content before it becomes
	// visible in the store (a PDF's structure, say); its error refuses the
	// upload and nothing is kept. It gets the detected type and must not
	// keep r.
	Check func(r io.ReaderAt, size int64, contentType string) error
}

// Store keeps blobs. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r into the store and returns what was stored. The body
	// is never held in memory whole; on any error, including ctx being
	// cancelled, nothing is left behind. Storing content already present
	// returns the existing blob and does not rewrite it.
	Put(ctx context.Context, r io.Reader, opts PutOptions) (Blob, error)
	// Open returns the content of a blob; the caller closes it.
	Open(ctx context.Context, sha256 string) (io.ReadCloser, error)
	// Stat describes a blob without reading it.
	Stat(ctx context.Context, sha256 string) (Blob, error)
	// Ping reports whether the store can take a blob now, for health
	// checks: it writes and removes a small probe, so that a read-only or
	// full store, or credentials that may only read, fail it.
	Ping(ctx context.Context) error
	// FreeSpace reports the bytes available on the local disk that
	// uploads are written to first (the store itself on the file system,
	// the spool for S3).
	FreeSpace() (int64, error)

	// Walk calls fn with every blob's hash and last modification time,
	// in no particular order, until fn returns an error.
	Walk(ctx context.Context, fn func(sha256 string, modified time.Time) error) error
	// Delete removes a blob; removing one that is not there is no error.
	// Only the sweeper calls it: blobs are otherwise never removed.
	Delete(ctx context.Context, sha256 string) error
	// SweepSpool removes the temporary files of uploads last written to
	// before cutoff, which a crash left behind, and reports how many and
	// how many bytes.
	SweepSpool(cutoff time.Time) (files int, bytes int64)
}

// Open returns the store rawURL names:
//
//   - "" keeps blobs on the file system under dataDir/blobs;
//   - "file:///abs/path" keeps them on the file system under /abs/path;
//   - "s3://BUCKET?endpoint=https://host:port&region=R&path_style=true&prefix=P"
//     keeps them in an S3-compatible bucket under the key P+sha256 (write
//     the separator into P: "blobs/"). Uploads are spooled in
//     dataDir/blob-spool first. Credentials come from MADINA_S3_ACCESS_KEY
//     and MADINA_S3_SECRET_KEY, else AWS_ACCESS_KEY_ID,
//     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; never from the URL.
//
// Open checks that the store is usable before returning it. Errors never
// quote the URL, which may carry a secret by mistake.
func Open(ctx context.Context, rawURL, dataDir string) (Store, error) {
	if rawURL == "" {
		if dataDir == "" {
			return nil, fmt.Errorf("blob: open: no store URL and no data directory")
		}
		return openFS(filepath.Join(dataDir, "blobs"))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// *url.Error quotes the whole URL: keep only its reason.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("blob: open: invalid store URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		if u.User != nil || (u.Host != "" && u.Host != "localhost") || u.RawQuery != "" || u.Path == "" {
			return nil, fmt.Errorf(`blob: open: a file store URL is "file:///absolute/path"`)
		}
		return openFS(u.Path)
	case "s3":
		cfg, err := parseS3URL(u)
		if err != nil {
			return nil, err
		}
		if dataDir == "" {
			return nil, fmt.Errorf("blob: open: an S3 store needs a data directory to spool uploads")
		}
		return openS3(ctx, cfg, filepath.Join(dataDir, "blob-spool"), os.Getenv)
	default:
		return nil, fmt.Errorf("blob: open: unsupported store URL scheme %q (want file or s3)", u.Scheme)
	}
}

// ValidHash reports whether s is a SHA-256 as Madina writes one: 64
// lowercase hexadecimal digits. Blobs are named so, and the audit log
// writes its change digests so; this is the one check of that form.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ReadAll reads blob sha256 of size bytes whole, for what must hold it in
// memory (a PDF to sign), and checks the bytes are the ones named: a blob
// changed or cut on its disk or bucket is an error, never a document.
func ReadAll(ctx context.Context, s Store, sha256Hex string, size int64) ([]byte, error) {
	rc, err := s.Open(ctx, sha256Hex)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err != nil {
		return nil, unavailable(err, "read %s", sha256Hex)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != sha256Hex || int64(len(b)) != size {
		return nil, fmt.Errorf("blob: %s does not hold the bytes named (%d bytes read, %d recorded)", sha256Hex, len(b), size)
	}
	return b, nil
}

func checkHash(s string) error {
	if !ValidHash(s) {
		return errs.E(errs.Invalid, keyInvalidHash)
	}
	return nil
}

// unavailable marks err, a failure of the store itself (a full or
// read-only disk, a refused or unreachable S3 service), as one the user
// can only retry later. A cancelled or expired ctx stays what it is: the
// client left, nothing is wrong with the store.
func unavailable(err error, format string, a ...any) error {
	err = fmt.Errorf("blob: "+format+": %w", append(a, err)...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errs.E(errs.Unavailable, keyUnavailable).Cause(err)
}

func notFound(sha string, cause error) error {
	e := errs.E(errs.NotFound, keyNotFound)
	if cause == nil {
		cause = fmt.Errorf("no blob %s", sha)
	}
	return e.Cause(cause)
}

// FormatMB writes a size in bytes as the number of megabytes (1 MB =
// 1 048 576 bytes) that the "max" parameter of error.blob.too_large
// carries: "200" for 200<<20, "1.5" for 3<<19. The unit is part of each
// language's message ("Mo" in French), so it is not written here.
func FormatMB(n int64) string {
	const mb = 1 << 20
	if n%mb == 0 {
		return strconv.FormatInt(n/mb, 10)
	}
	s := strconv.FormatFloat(float64(n)/mb, 'f', 1, 64)
	if s == "0.0" {
		s = "0.1" // never tell a user the limit is zero
	}
	return strings.TrimSuffix(s, ".0")
}

// sniffLen is how many leading bytes decide the type. Put and Stat use
// the same count so that a blob's type never depends on who asks.
const sniffLen = 4096

// detect returns the type of content that starts with head.
//
// mimetype finds PDF by "%PDF-" anywhere in the first kilobyte and tries
// PDF before executables, so a Windows or Linux program carrying that
// string in its header would pass as a PDF; a program's own signature at
// offset 0 wins here.
func detect(head []byte) *mimetype.MIME {
	m := mimetype.Detect(head)
	for _, x := range executables {
		if len(head) >= len(x.magic) && string(head[:len(x.magic)]) == x.magic && !isA(m, x.mime) {
			if lm := mimetype.Lookup(x.mime); lm != nil {
				return lm
			}
		}
	}
	return m
}

var executables = []struct{ magic, mime string }{
	{"MZ", "application/vnd.microsoft.portable-executable"},
	{"\x7fELF", "application/x-elf"},
}

// isA reports whether m, or one of its parents below the root, is want.
func isA(m *mimetype.MIME, want string) bool {
	if m.Is(want) {
		return true // includes the root, for content nothing identified
	}
	for p := m.Parent(); p != nil && p.Parent() != nil; p = p.Parent() {
		if p.Is(want) {
			return true
		}
	}
	return false
}

func allowed(m *mimetype.MIME, list []string) bool {
	if len(list) == 0 {
		return true
	}
	for _, a := range list {
		if isA(m, a) {
			return true
		}
	}
	return false
}

// typeLabel names a type for people: its usual extension in capitals
// ("PDF", "JPG"), or the bare MIME type when it has none.
func typeLabel(mime string) string {
	if m := mimetype.Lookup(mime); m != nil && m.Extension() != "" {
		return strings.ToUpper(strings.TrimPrefix(m.Extension(), "."))
	}
	base, _, _ := strings.Cut(mime, ";")
	return strings.TrimSpace(base)
}

func allowedLabels(list []string) string {
	var out []string
	seen := map[string]bool{}
	for _, a := range list {
		l := typeLabel(a)
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return strings.Join(out, ", ")
}
