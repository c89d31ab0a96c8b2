package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"madina/internal/platform/jobs"
)

// mailer sends e-mail through an SMTP server with go-mail.
type mailer struct {
	cfg  SMTPConfig
	from *mail.Address
	now  func() time.Time
}

func newMailer(cfg SMTPConfig, now func() time.Time) (*mailer, error) {
	switch cfg.TLS {
	case "":
		cfg.TLS = "starttls"
	case "starttls", "tls", "none":
	default:
		return nil, fmt.Errorf("notify: SMTP TLS must be starttls, tls or none, not %q", cfg.TLS)
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{"starttls": 587, "tls": 465, "none": 25}[cfg.TLS]
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.From == "" {
		return nil, errors.New("notify: SMTP needs a From address")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP From %q: %w", cfg.From, err)
	}
	if from.Name == "" {
		from.Name = "Madina"
	}
	return &mailer{cfg: cfg, from: from, now: now}, nil
}

// send sends one plain-text message. Arabic is encoded in base64 (shorter
// than quoted-printable for it), Latin scripts in quoted-printable; the
// subject is an RFC 2047 encoded word either way. messageID is stable per
// delivery, so that a message sent twice after a crash can be recognised.
//
// Attachments follow as multipart/mixed parts, in base64, each with its
// content type, name and "Content-Disposition: attachment", so that they
// arrive byte for byte. The first calendar attachment with an iTIP method
// (text/calendar; method=REQUEST or CANCEL, as ical writes) is, besides,
// put inline as the text's alternative, which is how Google Calendar sends
// its own invitations:
//
//	multipart/mixed
//	├─ multipart/alternative
//	│  ├─ text/plain; charset=UTF-8                      the message
//	│  └─ text/calendar; method=REQUEST; charset=UTF-8   the invitation
//	└─ text/calendar; method=REQUEST; charset=UTF-8; name="rendez-vous.ics"  (attachment)
//
// Outlook turns a message into a meeting request (accept, decline, added
// to the calendar, updated or removed by a later SEQUENCE or CANCEL) only
// from the inline alternative: an attached .ics alone stays a file to
// open. Gmail shows its invitation card from either. Apple Mail and
// Thunderbird offer the attachment. Mail programs that do not know
// text/calendar show the text/plain alternative, which comes first.
func (m *mailer) send(ctx context.Context, to, lang string, r Rendered, messageID string, atts []Attachment) error {
	enc := gomail.EncodingQP
	if lang == "ar" {
		enc = gomail.EncodingB64
	}
	msg := gomail.NewMsg(gomail.WithEncoding(enc), gomail.WithCharset(gomail.CharsetUTF8), gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(m.from)
	if err := msg.To(to); err != nil {
		return jobs.Permanent(fmt.Errorf("recipient address: %w", err))
	}
	msg.Subject(r.Subject)
	msg.SetDateWithValue(m.now())
	msg.SetMessageIDWithValue(messageID)
	msg.SetGenHeader(gomail.HeaderContentLang, lang)
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	if inv, method, ok := invitation(atts); ok {
		msg.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), string(inv.Data),
			gomail.WithPartCharset(gomail.CharsetUTF8), gomail.WithPartEncoding(gomail.EncodingB64))
	}
	for _, a := range atts {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType)), gomail.WithFileEncoding(gomail.EncodingB64)); err != nil {
			return jobs.Permanent(fmt.Errorf("attachment: %w", err))
		}
	}

	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(m.cfg.Timeout)}
	switch m.cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	c, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("smtp client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// classifySMTP marks as permanent what retrying cannot mend: a 5xx reply
// to the envelope or the data, or an address go-mail cannot use. Network
// trouble and 4xx replies are retried.
func classifySMTP(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch {
		case se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts:
			return jobs.Permanent(err)
		case !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600:
			return jobs.Permanent(err)
		}
	}
	return err
}

// messageID builds a delivery's Message-ID from its id, its creation time
// (ids restart with a new database) and the sender's domain.
func (m *mailer) messageID(delivery int64, created time.Time) string {
	_, domain, _ := strings.Cut(m.from.Address, "@")
	if domain == "" {
		domain = "madina.invalid"
	}
	return fmt.Sprintf("madina.%d.%d@%s", delivery, created.UnixMicro(), domain)
}
