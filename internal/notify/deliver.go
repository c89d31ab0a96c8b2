package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/jobs"
)

// delivery is a stored delivery, as the job needs it.
type delivery struct {
	ID        int64
	Template  string
	Channel   Channel
	Lang      string
	UserID    string
	Address   string
	Data      string
	Status    string
	CreatedAt time.Time
}

// deliver is the job that sends one delivery. It does nothing for a
// delivery no longer queued, so a repeated job cannot send twice what was
// recorded as sent.
func (s *Service) deliver(ctx context.Context, j jobs.Job) error {
	var p jobPayload
	if err := j.Decode(&p); err != nil {
		return err
	}
	dl, err := s.load(ctx, p.Delivery)
	if err != nil {
		return err
	}
	if dl.Status != StatusQueued {
		return nil
	}
	data, err := s.openData(dl)
	if err != nil {
		return s.failed(ctx, dl, j, jobs.Permanent(err))
	}
	r, err := s.tmpl.render(dl.Template, dl.Lang, data)
	if err != nil {
		return s.failed(ctx, dl, j, jobs.Permanent(err))
	}

	status := StatusSent
	switch dl.Channel {
	case Inbox:
		return s.file(ctx, dl, j, r, inboxLink(data))
	case Email:
		atts, aerr := s.attachments(ctx, dl.ID)
		if aerr != nil {
			return s.failed(ctx, dl, j, aerr)
		}
		if s.mail == nil {
			status = StatusLogged
			size := 0
			for _, a := range atts {
				size += len(a.Data)
			}
			// Attachment names may name the person: only count and size.
			s.log.Info("notify: e-mail written to the log, no SMTP server configured",
				"delivery", dl.ID, "template", dl.Template, "lang", dl.Lang, "to", MaskEmail(dl.Address),
				"attachments", len(atts), "attachments_size", size, "outbox", s.outbox != nil)
			s.keep(dl, r.Subject, r.Text, atts)
			break
		}
		err = s.mail.send(ctx, dl.Address, dl.Lang, r, s.mail.messageID(dl.ID, dl.CreatedAt), atts)
	case SMS:
		if s.sms == nil {
			status = StatusLogged
			s.log.Info("notify: SMS written to the log, no SMS gateway configured",
				"delivery", dl.ID, "template", dl.Template, "lang", dl.Lang, "to", MaskPhone(dl.Address), "outbox", s.outbox != nil)
			s.keep(dl, "", r.SMS, nil)
			break
		}
		err = s.sms.send(ctx, dl.Address, r.SMS, fmt.Sprintf("madina-delivery-%d-%d", dl.ID, dl.CreatedAt.UnixMicro()))
	default:
		err = jobs.Permanent(fmt.Errorf("unknown channel %q", dl.Channel))
	}
	if err != nil {
		return s.failed(ctx, dl, j, err)
	}
	return s.sent(ctx, dl, j, status)
}

// keep puts a message nothing sent in the development outbox, if any.
func (s *Service) keep(dl delivery, subject, text string, atts []Attachment) {
	if s.outbox == nil {
		return
	}
	s.outbox.keep(Kept{Delivery: dl.ID, Channel: dl.Channel, To: dl.Address, Template: dl.Template, Lang: dl.Lang,
		Subject: subject, Text: text, Attachments: atts, At: s.now()})
}

// openData is a delivery's template data, its sealed secret opened.
func (s *Service) openData(dl delivery) (map[string]any, error) {
	data, err := decodeData(dl.Data)
	if err != nil {
		return nil, fmt.Errorf("decode data: %w", err)
	}
	sealed, ok := data[sealedKey].(string)
	if !ok {
		return data, nil
	}
	delete(data, sealedKey)
	if s.box == nil {
		return nil, fmt.Errorf("sealed data and no server key")
	}
	plain, err := s.box.Open(sealed, sealAAD(dl.Channel, dl.Address))
	if err != nil {
		return nil, fmt.Errorf("open sealed data: %w", err)
	}
	secret, err := decodeData(string(plain))
	if err != nil {
		return nil, fmt.Errorf("decode sealed data: %w", err)
	}
	for k, v := range secret {
		data[k] = v
	}
	return data, nil
}

// QueuedData is the template data a queued delivery will be rendered from,
// its secret opened: what the job will send (for tests and the operator's
// tools; the database alone does not tell it). A delivery already sent or
// given up has no secret left.
func (s *Service) QueuedData(ctx context.Context, id int64) (map[string]any, error) {
	dl, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.openData(dl)
}

func (s *Service) load(ctx context.Context, id int64) (delivery, error) {
	var dl delivery
	var user sql.NullString
	err := s.d.QueryRowContext(ctx, `SELECT id, template, channel, lang, user_id, address, data, status, created_at
		FROM notify_deliveries WHERE id = $1`, id).Scan(
		&dl.ID, &dl.Template, &dl.Channel, &dl.Lang, &user, &dl.Address, &dl.Data, &dl.Status, &dl.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return dl, jobs.Permanent(fmt.Errorf("notify: delivery %d not found", id))
	}
	if err != nil {
		return dl, fmt.Errorf("notify: load delivery %d: %w", id, err)
	}
	dl.UserID = user.String
	return dl, nil
}

// sent records a delivery as sent or logged. The message is out: should
// recording fail, the job must not run again and send it twice, so the
// error is made permanent after a few tries.
func (s *Service) sent(ctx context.Context, dl delivery, j jobs.Job, status string) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	for i := range 3 {
		now := s.now()
		// The secret is spent: erase it with the status.
		_, err = s.d.ExecContext(ctx, `UPDATE notify_deliveries SET status = $1, attempts = $2, sent_at = $3, updated_at = $4, data = $5
			WHERE id = $6 AND status = 'queued'`, status, j.Attempt, now, now, withoutSealed(dl.Data), dl.ID)
		if err == nil {
			return nil
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
	s.log.Error("notify: delivery done but not recorded", "delivery", dl.ID, "status", status, "err", err)
	return jobs.Permanent(fmt.Errorf("notify: delivery %d %s but not recorded: %w", dl.ID, status, err))
}

// failed records a failed attempt, final when the error is permanent or
// the attempts are spent, and returns the error, its text scrubbed of the
// recipient's address, for the queue to retry or give up.
func (s *Service) failed(ctx context.Context, dl delivery, j jobs.Job, cause error) error {
	msg := scrub(cause.Error(), dl.Channel, dl.Address)
	var err error = errors.New(msg)
	final := jobs.IsPermanent(cause) || j.Attempt >= j.MaxAttempts
	status := StatusQueued
	if final {
		status = StatusFailed
		err = jobs.Permanent(err)
	}
	data := dl.Data
	if final {
		data = withoutSealed(data) // never to be sent: nobody needs the secret any more
	}
	now := s.now()
	if _, rerr := s.d.ExecContext(context.WithoutCancel(ctx), `UPDATE notify_deliveries
		SET status = $1, attempts = $2, last_error = $3, updated_at = $4, data = $5
		WHERE id = $6 AND status = 'queued'`, status, j.Attempt, msg, now, data, dl.ID); rerr != nil {
		s.log.Error("notify: record failed delivery", "delivery", dl.ID, "err", rerr)
	}
	return fmt.Errorf("notify: %s delivery %d: %w", dl.Channel, dl.ID, err)
}

// file puts an inbox delivery in the user's inbox and marks it sent, in one
// transaction; the unique delivery_id makes a repeated job harmless.
// The entry keeps the subject, a short message (the SMS's text: the
// e-mail's text speaks of attachments the inbox does not have) and the
// page it concerns.
func (s *Service) file(ctx context.Context, dl delivery, j jobs.Job, r Rendered, link string) error {
	var lk any
	if link != "" {
		lk = link
	}
	err := s.d.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications
			(user_id, delivery_id, template, lang, subject, body, summary, link, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (delivery_id) DO NOTHING`,
			dl.UserID, dl.ID, dl.Template, dl.Lang, r.Subject, r.Text, inboxSummary(r.SMS), lk, dl.CreatedAt); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = 'sent', attempts = $1, sent_at = $2, updated_at = $3
			WHERE id = $4 AND status = 'queued'`, j.Attempt, now, now, dl.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("notify: file inbox delivery %d: %w", dl.ID, err)
	}
	return nil
}
