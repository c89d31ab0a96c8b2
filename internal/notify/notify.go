// Package notify tells people what happened, in Arabic, French or English,
// by e-mail, SMS and the in-app inbox. A notification is recorded in the
// transaction of the change that causes it, one delivery per channel, each
// sent by its own job: it is neither lost nor sent twice when a transaction
// or a job is retried. Data that would let a reader of the database into
// an account (a reset link, a verification code) is stored sealed with the
// server key, opened only by the job that sends it, and erased once sent.
// An e-mail may carry attachments (an appointment's
// invitation, a receipt), stored with its delivery in the same transaction
// and sent by every attempt. Without an SMTP server or SMS gateway,
// deliveries are written to the log with the recipient masked (and, on a
// developer's machine, kept readable in the Outbox).
package notify

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
)

// Messages holds the user-visible messages of this package, one flat
// key→text catalogue per language.
//
//go:embed messages/*.json
var Messages embed.FS

// Channel is a way to reach someone.
type Channel string

const (
	Email Channel = "email"
	SMS   Channel = "sms"
	Inbox Channel = "inbox" // the in-app notification inbox
)

// Delivery statuses, as stored.
const (
	StatusQueued = "queued"
	StatusSent   = "sent"
	StatusLogged = "logged" // no SMTP server or SMS gateway: written to the log
	StatusFailed = "failed"
)

// Langs are the languages templates must exist in, the default first.
var Langs = []string{"ar", "fr", "en"}

// JobKind is the kind of the jobs that send deliveries.
const JobKind = "notify.deliver"

// Recipient is who a message goes to; each channel needs its own field.
type Recipient struct {
	UserID string // for the in-app inbox; may be empty otherwise
	Email  string
	Phone  string
	Lang   string // ar, fr or en; ar when empty or unknown
}

// Message is a notification to send.
type Message struct {
	Template string         // e.g. "platform.welcome"
	Data     map[string]any // the template's data; strings and numbers (format dates beforehand)
	// Secret is more template data that opens an account (a link's token,
	// a code): it is stored sealed with the server key, opened only to
	// send, and erased once sent or given up, so that a reader of the
	// database cannot use it. Never for the inbox, which keeps what it shows.
	Secret   map[string]any
	To       Recipient
	Channels []Channel
	// Attachments go with the e-mail only (MaxAttachmentsSize together);
	// the SMS and the inbox entry have none. They are stored with the
	// e-mail delivery and sent again by every retry.
	Attachments []Attachment
	// Key, when set, makes the message idempotent: a second Send with the
	// same key records nothing on the channels the first one recorded. A
	// subscriber sending notices for an event keys them by event and
	// recipient, so that an event handed to it twice sends each notice once.
	Key string
}

// SMTPConfig reaches an SMTP server. An empty Host means e-mails are
// written to the log instead.
type SMTPConfig struct {
	Host     string
	Port     int    // default 587 (starttls), 465 (tls) or 25 (none)
	Username string // empty: no authentication
	Password string
	From     string // "Name <address>" or an address; the name defaults to "Madina"
	TLS      string // "starttls" (default), "tls" or "none"
	Timeout  time.Duration
}

// LogValue keeps the password out of logs.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", c.TLS),
		slog.String("from", c.From), slog.Bool("auth", c.Username != ""))
}

// SMSConfig reaches an HTTP SMS gateway that takes a JSON POST of
// {"to", "text", "sender"}. An empty URL means SMS are written to the log.
type SMSConfig struct {
	URL     string
	Token   string // sent as "Authorization: Bearer …" when set
	Sender  string
	Timeout time.Duration // default 15s
}

// LogValue keeps the token out of logs.
func (c SMSConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", c.URL), slog.String("sender", c.Sender), slog.Bool("token", c.Token != ""))
}

// Config configures a Service.
type Config struct {
	SMTP        SMTPConfig
	SMS         SMSConfig
	HTTPClient  *http.Client   // for the SMS gateway; default a client with SMS.Timeout
	MaxAttempts int            // per delivery; default jobs.DefaultMaxAttempts
	Templates   []fs.FS        // capabilities' own templates/{lang}/{name}.tmpl
	Box         *secretbox.Box // seals Message.Secret; without it such messages are refused
	Now         func() time.Time
	// Outbox, when set, keeps in full the e-mails and SMS that have no
	// SMTP server or gateway to go to (development only; see Outbox).
	Outbox *Outbox
}

// Service sends notifications and serves the inbox.
type Service struct {
	d           *db.DB
	q           *jobs.Queue
	log         *slog.Logger
	now         func() time.Time
	tmpl        *templates
	mail        *mailer  // nil: log e-mails
	sms         *gateway // nil: log SMS
	box         *secretbox.Box
	outbox      *Outbox // nil: unsent messages leave only masked metadata in the log
	maxAttempts int
}

// New returns a service on d, registering its job handler on q.
func New(d *db.DB, q *jobs.Queue, logger *slog.Logger, cfg Config) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t, err := loadTemplates(append([]fs.FS{templateFS}, cfg.Templates...)...)
	if err != nil {
		return nil, err
	}
	s := &Service{d: d, q: q, log: logger, now: cfg.Now, tmpl: t, box: cfg.Box, outbox: cfg.Outbox, maxAttempts: cfg.MaxAttempts}
	if cfg.SMTP.Host != "" {
		if s.mail, err = newMailer(cfg.SMTP, cfg.Now); err != nil {
			return nil, err
		}
	}
	if cfg.SMS.URL != "" {
		if s.sms, err = newGateway(cfg.SMS, cfg.HTTPClient); err != nil {
			return nil, err
		}
	}
	q.Handle(JobKind, s.deliver)
	return s, nil
}

// Outbox is the development outbox, nil unless configured.
func (s *Service) Outbox() *Outbox { return s.outbox }

// Has reports whether a template exists (in every language: loading
// checks that), for subscribers that send a notice only for some events.
func (s *Service) Has(template string) bool { return s.tmpl.has(template) }

// quietKey marks a context in which nothing is sent.
type quietKey struct{}

// Quiet returns a context in which Send records nothing, and in which
// publishers flag their events silent so that the subscribers sending
// notices skip them: for loading data on nobody's behalf (the
// demonstration), whose people must not get hundreds of messages.
func Quiet(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

// IsQuiet reports whether ctx came from Quiet.
func IsQuiet(ctx context.Context) bool { q, _ := ctx.Value(quietKey{}).(bool); return q }

// Render renders a template in a language (the default for an unknown one).
func (s *Service) Render(template, lang string, data map[string]any) (Rendered, error) {
	return s.tmpl.render(template, normLang(lang), data)
}

func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	for _, x := range Langs {
		if l == x {
			return l
		}
	}
	return Langs[0]
}

var (
	errTemplate = errs.E(errs.Invalid, "error.notify.template")
	errChannel  = errs.E(errs.Invalid, "error.notify.channel")
	errEmail    = errs.E(errs.Invalid, "error.notify.email").OnField("email")
	errPhone    = errs.E(errs.Invalid, "error.notify.phone").OnField("phone")
	errUser     = errs.E(errs.Invalid, "error.notify.user")
	errNotFound = errs.E(errs.NotFound, "error.notify.not_found")
)

// sealedKey holds, in a delivery's stored data, the sealed Message.Secret.
const sealedKey = "_sealed"

// sealAAD binds a sealed secret to its delivery's channel and address: a
// sealed value copied to another delivery, or a delivery redirected to
// another address in the database, does not open.
func sealAAD(c Channel, addr string) string { return "notify:" + string(c) + ":" + addr }

// phoneRE accepts an international (+212…) or national number once
// spaces, dots, dashes and brackets are removed.
var phoneRE = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

func normPhone(p string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(p))
}

// Send records m in tx, one delivery per channel, each with the job that
// will send it, and the attachments with the e-mail delivery; nothing is
// sent unless tx commits. An invalid message records nothing and returns
// an errs.Invalid error: the caller must not commit tx then.
func (s *Service) Send(ctx context.Context, tx *db.Tx, m Message) error {
	if tx == nil {
		return fmt.Errorf("notify: Send needs a transaction")
	}
	if IsQuiet(ctx) {
		return nil
	}
	if !s.tmpl.has(m.Template) {
		return errTemplate.With("template", m.Template)
	}
	if len(m.Channels) == 0 {
		return errChannel
	}
	lang := normLang(m.To.Lang)
	if len(m.Secret) > 0 && s.box == nil {
		return fmt.Errorf("notify: %s carries a secret and no server key seals it", m.Template)
	}
	data, err := encodeData(m.Data)
	if err != nil {
		return fmt.Errorf("notify: %s data: %w", m.Template, err)
	}
	// Render now, from the data as the job will see it, so that a mistake
	// shows in the caller's transaction rather than in a failed job.
	dm, err := decodeData(data)
	if err != nil {
		return fmt.Errorf("notify: %s data: %w", m.Template, err)
	}
	secret, err := encodeData(m.Secret)
	if err != nil {
		return fmt.Errorf("notify: %s secret: %w", m.Template, err)
	}
	sm, err := decodeData(secret)
	if err != nil {
		return fmt.Errorf("notify: %s secret: %w", m.Template, err)
	}
	for k, v := range sm {
		dm[k] = v
	}
	if _, err := s.tmpl.render(m.Template, lang, dm); err != nil {
		return err
	}
	atts, err := checkAttachments(m.Attachments)
	if err != nil {
		return err
	}
	seen := map[Channel]bool{}
	for _, c := range m.Channels {
		if seen[c] {
			continue
		}
		seen[c] = true
		var addr string
		switch c {
		case Email:
			a, err := mail.ParseAddress(strings.TrimSpace(m.To.Email))
			if err != nil || a.Name != "" {
				return errEmail
			}
			addr = a.Address
		case SMS:
			addr = normPhone(m.To.Phone)
			if !phoneRE.MatchString(addr) {
				return errPhone
			}
		case Inbox:
			if strings.TrimSpace(m.To.UserID) == "" {
				return errUser
			}
			if len(m.Secret) > 0 {
				return fmt.Errorf("notify: %s: a secret never goes to the inbox", m.Template)
			}
		default:
			return errChannel
		}
		var carried []Attachment
		if c == Email {
			carried = atts
		}
		stored := data
		if len(m.Secret) > 0 {
			if stored, err = withSealed(data, s.box.Seal([]byte(secret), sealAAD(c, addr))); err != nil {
				return fmt.Errorf("notify: %s data: %w", m.Template, err)
			}
		}
		if err := s.record(ctx, tx, m, c, lang, addr, stored, carried); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) record(ctx context.Context, tx *db.Tx, m Message, c Channel, lang, addr, data string, atts []Attachment) error {
	var user, key any
	if u := strings.TrimSpace(m.To.UserID); u != "" {
		user = u
	}
	if m.Key != "" {
		key = m.Key
	}
	now := s.now()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO notify_deliveries
		(template, channel, lang, user_id, address, data, status, attempts, created_at, updated_at, event_key)
		VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9)
		ON CONFLICT (event_key, channel) DO NOTHING RETURNING id`,
		m.Template, string(c), lang, user, addr, data, now, now, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && key != nil {
		return nil // recorded by an earlier Send with this key
	}
	if err != nil {
		return fmt.Errorf("notify: record %s delivery: %w", c, err)
	}
	if err := storeAttachments(ctx, tx, id, atts); err != nil {
		return err
	}
	job, err := s.q.Enqueue(ctx, tx, JobKind, jobPayload{Delivery: id},
		jobs.EnqueueOptions{UniqueKey: fmt.Sprint(id), MaxAttempts: s.maxAttempts})
	if err != nil {
		return fmt.Errorf("notify: enqueue delivery %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET job_id = $1 WHERE id = $2`, job, id); err != nil {
		return fmt.Errorf("notify: record delivery %d: %w", id, err)
	}
	return nil
}

type jobPayload struct {
	Delivery int64 `json:"delivery"`
}

// withSealed adds the sealed secret to stored data.
func withSealed(data, sealed string) (string, error) {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return "", err
	}
	b, err := json.Marshal(sealed)
	if err != nil {
		return "", err
	}
	m[sealedKey] = b
	out, err := json.Marshal(m)
	return string(out), err
}

// withoutSealed is stored data with its sealed secret erased.
func withoutSealed(data string) string {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return "{}"
	}
	if _, ok := m[sealedKey]; !ok {
		return data
	}
	delete(m, sealedKey)
	out, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(out)
}

func encodeData(d map[string]any) (string, error) {
	if d == nil {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// decodeData reads stored data, numbers as json.Number so that they print
// as written (1000000, not 1e+06).
func decodeData(s string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
