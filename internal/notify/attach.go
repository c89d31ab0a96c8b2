package notify

import (
	"context"
	"fmt"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Attachment is a file sent with the e-mail of a message: the .ics of an
// appointment, a PDF receipt. Only the e-mail delivery carries it; SMS and
// the inbox ignore it.
type Attachment struct {
	// Name is the file name the recipient sees, e.g. "rendez-vous.ics": not
	// empty, at most MaxAttachmentName octets, without path separators,
	// control or bidirectional-override characters, nor any of " : < > ? * |
	// (which mail programs replace and file systems refuse). Surrounding
	// spaces are trimmed.
	Name string
	// ContentType is a MIME type with its parameters, e.g.
	// "application/pdf" or "text/calendar; method=REQUEST; charset=UTF-8"
	// (ical.Event.ContentType). A calendar with a method is also shown as
	// an invitation (see mailer.send).
	ContentType string
	Data        []byte // not empty
}

// Limits on attachments.
const (
	MaxAttachmentsSize = 2 << 20 // octets, all the attachments of a message together
	MaxAttachmentName  = 255     // octets
)

var (
	errAttachmentName  = errs.E(errs.Invalid, "error.notify.attachment_name")
	errAttachmentType  = errs.E(errs.Invalid, "error.notify.attachment_type")
	errAttachmentEmpty = errs.E(errs.Invalid, "error.notify.attachment_empty")
	errAttachmentSize  = errs.E(errs.Invalid, "error.notify.attachment_size").With("max", MaxAttachmentsSize>>20)
)

// checkAttachments validates a message's attachments and returns them as
// they will be stored: names trimmed, content types in canonical form
// (lower-case type and parameter names, no name parameter: the mailer adds
// its own).
func checkAttachments(as []Attachment) ([]Attachment, error) {
	out := make([]Attachment, 0, len(as))
	total := 0
	for i, a := range as {
		name := strings.TrimSpace(a.Name)
		if !goodFileName(name) {
			return nil, errAttachmentName.Cause(fmt.Errorf("attachment %d: name %q", i+1, a.Name))
		}
		ct, err := canonicalType(a.ContentType)
		if err != nil {
			return nil, errAttachmentType.Cause(fmt.Errorf("attachment %d (%s): %w", i+1, name, err))
		}
		if len(a.Data) == 0 {
			return nil, errAttachmentEmpty.Cause(fmt.Errorf("attachment %d (%s) is empty", i+1, name))
		}
		total += len(a.Data)
		if total > MaxAttachmentsSize {
			return nil, errAttachmentSize.Cause(fmt.Errorf("attachments weigh more than %d octets", MaxAttachmentsSize))
		}
		out = append(out, Attachment{Name: name, ContentType: ct, Data: a.Data})
	}
	return out, nil
}

// goodFileName reports whether a trimmed name can be sent as it is.
func goodFileName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > MaxAttachmentName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return false
		case strings.ContainsRune(`/\":<>?*|`, r):
			return false
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			// Bidirectional embeddings, overrides and isolates disguise
			// a name's extension ("reçu\u202efdp.exe").
			return false
		case r == '\u2028' || r == '\u2029' || r == '\ufeff':
			return false
		}
	}
	return true
}

// canonicalType parses a MIME type and writes it back in canonical form.
func canonicalType(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", err
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || typ == "" || sub == "" {
		return "", fmt.Errorf("%q is not type/subtype", mt)
	}
	if typ == "multipart" || typ == "message" {
		return "", fmt.Errorf("%q cannot be attached as a file", mt)
	}
	delete(params, "name")
	out := mime.FormatMediaType(mt, params)
	if out == "" {
		return "", fmt.Errorf("%q cannot be written back", ct)
	}
	return out, nil
}

// storeAttachments records the attachments of an e-mail delivery.
func storeAttachments(ctx context.Context, tx *db.Tx, delivery int64, as []Attachment) error {
	for _, a := range as {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_attachments (delivery_id, name, content_type, data, size)
			VALUES ($1, $2, $3, $4, $5)`, delivery, a.Name, a.ContentType, a.Data, len(a.Data)); err != nil {
			return fmt.Errorf("notify: record attachment of delivery %d: %w", delivery, err)
		}
	}
	return nil
}

// attachments loads a delivery's attachments in the order they were given.
func (s *Service) attachments(ctx context.Context, delivery int64) ([]Attachment, error) {
	rows, err := s.d.QueryContext(ctx, `SELECT name, content_type, data FROM notify_attachments
		WHERE delivery_id = $1 ORDER BY id`, delivery)
	if err != nil {
		return nil, fmt.Errorf("notify: load attachments of delivery %d: %w", delivery, err)
	}
	defer rows.Close()
	var as []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Data); err != nil {
			return nil, fmt.Errorf("notify: load attachments of delivery %d: %w", delivery, err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: load attachments of delivery %d: %w", delivery, err)
	}
	return as, nil
}

// invitation returns the first attachment that is a calendar with an iTIP
// method (RFC 6047) in UTF-8, for the mailer to show as an invitation.
func invitation(as []Attachment) (Attachment, string, bool) {
	for _, a := range as {
		mt, params, err := mime.ParseMediaType(a.ContentType)
		if err != nil || mt != "text/calendar" || !isToken(params["method"]) || !utf8.Valid(a.Data) {
			continue
		}
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			continue
		}
		return a, strings.ToUpper(params["method"]), true
	}
	return Attachment{}, "", false
}

// isToken reports whether s is a non-empty iTIP method name (letters and
// dashes: REQUEST, CANCEL, X-NAME).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}
