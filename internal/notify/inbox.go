package notify

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Notification is an entry of a user's in-app inbox.
type Notification struct {
	ID        int64
	Template  string
	Lang      string
	Subject   string
	Body      string
	CreatedAt time.Time // when it was sent
	ReadAt    *time.Time
}

// Inbox returns a user's latest notifications, newest first (in the order
// they were sent, whatever order their jobs ran in); limit is capped at 200
// and defaults to 50.
func (s *Service) Inbox(ctx context.Context, userID string, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.d.QueryContext(ctx, `SELECT id, template, lang, subject, body, created_at, read_at
		FROM notifications WHERE user_id = $1 ORDER BY delivery_id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: inbox: %w", err)
	}
	defer rows.Close()
	var ns []Notification
	for rows.Next() {
		var n Notification
		var read sql.NullTime
		if err := rows.Scan(&n.ID, &n.Template, &n.Lang, &n.Subject, &n.Body, &n.CreatedAt, &read); err != nil {
			return nil, fmt.Errorf("notify: inbox: %w", err)
		}
		if read.Valid {
			n.ReadAt = &read.Time
		}
		ns = append(ns, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: inbox: %w", err)
	}
	return ns, nil
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
