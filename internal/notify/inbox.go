package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Notification is an entry of a user's in-app inbox. Each person's entries
// are their own rows: reading one marks it read for them alone.
type Notification struct {
	ID        int64
	Template  string
	Lang      string
	Subject   string
	Body      string    // the e-mail's full text, kept for the person's data export
	Summary   string    // the short message the inbox shows; empty for entries filed before it was kept
	Link      string    // the page it concerns, a path on this site; may be empty
	CreatedAt time.Time // when it was sent
	ReadAt    *time.Time
}

// Unread reports whether the person has not opened the notice.
func (n Notification) Unread() bool { return n.ReadAt == nil }

// brandRE is the "Madina:" every SMS starts with, useless inside Madina.
var brandRE = regexp.MustCompile(`^(?:Madina|مدينة)\s*:\s*`)

// inboxSummary is the inbox's short message from a notice's SMS text.
func inboxSummary(sms string) string {
	s := brandRE.ReplaceAllString(strings.TrimSpace(sms), "")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return strings.TrimSpace(sms)
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// inboxLink is the page a notice concerns: the path of its data's URL (the
// link its e-mail gives), so that the inbox only ever links within the site.
func inboxLink(data map[string]any) string {
	raw, _ := data["URL"].(string)
	u, err := url.Parse(raw)
	if raw == "" || err != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	u.Scheme, u.Host, u.User, u.Opaque = "", "", nil, ""
	return u.String()
}

// Inbox returns a user's latest notifications, newest first (in the order
// they were sent, whatever order their jobs ran in); limit is capped at 200
// and defaults to 50.
func (s *Service) Inbox(ctx context.Context, userID string, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.d.QueryContext(ctx, `SELECT `+notificationColumns+`
		FROM notifications WHERE user_id = $1 ORDER BY delivery_id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: inbox: %w", err)
	}
	defer rows.Close()
	var ns []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("notify: inbox: %w", err)
		}
		ns = append(ns, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: inbox: %w", err)
	}
	return ns, nil
}

const notificationColumns = `id, template, lang, subject, body, summary, link, created_at, read_at`

func scanNotification(row interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var summary, link sql.NullString
	var read sql.NullTime
	if err := row.Scan(&n.ID, &n.Template, &n.Lang, &n.Subject, &n.Body, &summary, &link, &n.CreatedAt, &read); err != nil {
		return n, err
	}
	n.Summary, n.Link = summary.String, link.String
	if read.Valid {
		n.ReadAt = &read.Time
	}
	return n, nil
}

// Open marks one of a user's notifications read and returns it, for the
// inbox to follow its link. A notification that is not the user's is not
// found.
func (s *Service) Open(ctx context.Context, userID string, id int64) (Notification, error) {
	if err := s.MarkRead(ctx, userID, id); err != nil {
		return Notification{}, err
	}
	n, err := scanNotification(s.d.QueryRowContext(ctx, `SELECT `+notificationColumns+`
		FROM notifications WHERE id = $1 AND user_id = $2`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return n, errNotFound
	}
	if err != nil {
		return n, fmt.Errorf("notify: open: %w", err)
	}
	return n, nil
}

// Unread counts a user's unread notifications.
func (s *Service) Unread(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.d.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks one of a user's notifications read (again is fine). A
// notification that is not the user's is not found.
func (s *Service) MarkRead(ctx context.Context, userID string, id int64) error {
	now := s.now()
	// One statement: the read time is kept when already set.
	r, err := s.d.ExecContext(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, $1)
		WHERE id = $2 AND user_id = $3`, now, id, userID)
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return errNotFound
	}
	return nil
}

// MarkAllRead marks all of a user's notifications read.
func (s *Service) MarkAllRead(ctx context.Context, userID string) error {
	if _, err := s.d.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`,
		s.now(), userID); err != nil {
		return fmt.Errorf("notify: mark all read: %w", err)
	}
	return nil
}
