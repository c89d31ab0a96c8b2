package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/ical"
	"madina/internal/platform/jobs"
	"madina/internal/platform/testenv/smtptest"
)

// appointmentICS is the invitation of a deposit appointment.
func appointmentICS(t *testing.T) []byte {
	t.Helper()
	casa, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ical.Invitation(ical.Event{
		UID:           "appointment-42@madina.casablanca.ma",
		Start:         time.Date(2025, 5, 12, 10, 30, 0, 0, casa),
		End:           time.Date(2025, 5, 12, 11, 0, 0, 0, casa),
		Summary:       "موعد إيداع ملف رخصة البناء",
		Location:      "الشباك الوحيد، مقاطعة أنفا، الدار البيضاء",
		Description:   "أحضروا معكم البطاقة الوطنية والتصاميم.\nالمرجع: PC-2025-0042",
		URL:           "https://madina.casablanca.ma/ar/appointments/42",
		Organizer:     "no-reply@casablanca.ma",
		OrganizerName: "مدينة الدار البيضاء",
		Attendee:      "fatima@example.ma",
		Stamp:         time.Date(2025, 5, 10, 8, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tinyPDF is a small PDF whose bytes would not survive a careless
// transfer: NUL, CR, LF, CR LF, bytes above 127 and trailing spaces.
var tinyPDF = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\r\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\r" +
	"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n\x00\x01\x02\xff\xfe   \n" +
	"trailer\n<< /Root 1 0 R >>\n%%EOF\n")

func attachmentsFor(t *testing.T) []Attachment {
	return []Attachment{
		{Name: "rendez-vous.ics", ContentType: "text/calendar; method=REQUEST; charset=UTF-8", Data: appointmentICS(t)},
		{Name: "وصل الإيداع PC-2025-0042.pdf", ContentType: "application/pdf", Data: tinyPDF},
	}
}

// leaf is one non-multipart part of a received message, body decoded.
type leaf struct {
	Header textproto.MIMEHeader
	Type   string
	Params map[string]string
	Body   []byte
	Path   string // e.g. "multipart/mixed/multipart/alternative/text/plain"
}

// leaves walks a MIME entity and returns its leaves in order.
func leaves(t *testing.T, h textproto.MIMEHeader, body io.Reader, path string) []leaf {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: Content-Type %q: %v", path, h.Get("Content-Type"), err)
	}
	path += "/" + mt
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		var out []leaf
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, leaves(t, p.Header, p, path)...)
		}
	}
	var dec io.Reader = body
	switch cte := strings.ToLower(h.Get("Content-Transfer-Encoding")); cte {
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		dec = quotedprintable.NewReader(body)
	case "", "7bit", "8bit", "binary":
	default:
		t.Fatalf("%s: Content-Transfer-Encoding %q", path, cte)
	}
	b, err := io.ReadAll(dec)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []leaf{{Header: h, Type: mt, Params: params, Body: b, Path: strings.TrimPrefix(path, "/")}}
}

func messageLeaves(t *testing.T, m *mail.Message) []leaf {
	t.Helper()
	return leaves(t, textproto.MIMEHeader(m.Header), m.Body, "")
}

// checkAttachmentsArrived checks that a received message carries want,
// byte for byte, with their names and content types, and the invitation
// inline as the text's alternative.
func checkAttachmentsArrived(t *testing.T, m *mail.Message, text string, want []Attachment) {
	t.Helper()
	ls := messageLeaves(t, m)
	if len(ls) != 2+len(want) {
		t.Fatalf("%d leaves: %+v", len(ls), ls)
	}
	if ls[0].Path != "multipart/mixed/multipart/alternative/text/plain" ||
		strings.TrimRight(strings.ReplaceAll(string(ls[0].Body), "\r\n", "\n"), "\n") != text {
		t.Errorf("first part %s:\n%s\nwant\n%s", ls[0].Path, ls[0].Body, text)
	}
	inv := ls[1]
	if inv.Path != "multipart/mixed/multipart/alternative/text/calendar" || inv.Params["method"] != "REQUEST" ||
		!strings.EqualFold(inv.Params["charset"], "utf-8") || inv.Header.Get("Content-Disposition") != "" ||
		!bytes.Equal(inv.Body, want[0].Data) {
		t.Errorf("inline invitation %s %v %q:\n%s", inv.Path, inv.Params, inv.Header.Get("Content-Disposition"), inv.Body)
	}
	dec := new(mime.WordDecoder)
	for i, w := range want {
		l := ls[2+i]
		if l.Path != "multipart/mixed/"+l.Type {
			t.Errorf("attachment %d at %s", i, l.Path)
		}
		disp, dparams, err := mime.ParseMediaType(l.Header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" {
			t.Errorf("attachment %d: Content-Disposition %q (%v)", i, l.Header.Get("Content-Disposition"), err)
		}
		if name, err := dec.DecodeHeader(dparams["filename"]); err != nil || name != w.Name {
			t.Errorf("attachment %d: filename %q → %q (%v), want %q", i, dparams["filename"], name, err, w.Name)
		}
		if name, err := dec.DecodeHeader(l.Params["name"]); err != nil || name != w.Name {
			t.Errorf("attachment %d: name %q → %q (%v), want %q", i, l.Params["name"], name, err, w.Name)
		}
		delete(l.Params, "name")
		wantType, err := canonicalType(w.ContentType) // parameters in order
		if got := mime.FormatMediaType(l.Type, l.Params); err != nil || got != wantType {
			t.Errorf("attachment %d: Content-Type %q, want %q (%v)", i, got, w.ContentType, err)
		}
		if !bytes.Equal(l.Body, w.Data) {
			t.Errorf("attachment %d (%s) differs: %d octets arrived, %d sent", i, w.Name, len(l.Body), len(w.Data))
		}
	}
}

func TestAttachmentsOverRealSMTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		port, maildir := smtptest.Start(t)
		e := newEnv(t, d, Config{SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}})
		atts := attachmentsFor(t)
		// Arabic goes in base64 and B-encoded names, French in
		// quoted-printable and Q-encoded names.
		e.send(t, Message{Template: "platform.welcome", Data: welcome, To: Recipient{Email: "fatima@example.ma", Lang: "ar"},
			Channels: []Channel{Email}, Attachments: atts})
		e.send(t, Message{Template: "platform.test", To: Recipient{Email: "jean@example.fr", Lang: "fr"},
			Channels: []Channel{Email}, Attachments: atts})
		for _, r := range e.settled(t, 2) {
			if r.Status != StatusSent {
				t.Fatalf("delivery = %+v", r)
			}
		}
		got := smtptest.Read(t, maildir)
		if len(got) != 2 {
			t.Fatalf("%d messages arrived", len(got))
		}
		for _, m := range got {
			to, _ := m.Header.AddressList("To")
			lang, tmpl, data := "ar", "platform.welcome", welcome
			if to[0].Address == "jean@example.fr" {
				lang, tmpl, data = "fr", "platform.test", nil
			}
			r, err := e.s.Render(tmpl, lang, data)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(lang, func(t *testing.T) { checkAttachmentsArrived(t, m, r.Text, atts) })
		}

		// Sent, the attachments stay with the delivery; should the job run
		// again (a crash before recording the sending), they go again.
		var id, job int64
		if err := d.QueryRowContext(context.Background(), `SELECT id, job_id FROM notify_deliveries ORDER BY id LIMIT 1`).Scan(&id, &job); err != nil {
			t.Fatal(err)
		}
		if n := countAttachments(t, d, id); n != 2 {
			t.Fatalf("delivery %d keeps %d attachments", id, n)
		}
		if _, err := d.ExecContext(context.Background(), `UPDATE notify_deliveries SET status = 'queued', sent_at = NULL WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := e.s.deliver(context.Background(), jobs.Job{ID: job, Kind: JobKind, Payload: json.RawMessage(fmt.Sprintf(`{"delivery":%d}`, id)),
			Attempt: 2, MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
		again := smtptest.Read(t, maildir)
		if len(again) != 3 {
			t.Fatalf("%d messages after the repeated job", len(again))
		}
		seen := 0
		for _, m := range again {
			if to, _ := m.Header.AddressList("To"); to[0].Address == "fatima@example.ma" {
				seen++
				r, _ := e.s.Render("platform.welcome", "ar", welcome)
				checkAttachmentsArrived(t, m, r.Text, atts)
			}
		}
		if seen != 2 {
			t.Fatalf("fatima received %d messages", seen)
		}
	})
}

// A cancellation is shown as such: the inline part carries method=CANCEL.
func TestCancellationIsInlineWithItsMethod(t *testing.T) {
	port, maildir := smtptest.Start(t)
	e := newEnv(t, dbtest.Open(t, db.SQLite), Config{SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}})
	cancel := []byte("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n")
	e.send(t, Message{Template: "platform.test", To: Recipient{Email: "jean@example.fr", Lang: "fr"}, Channels: []Channel{Email},
		Attachments: []Attachment{
			{Name: "recu.pdf", ContentType: "application/pdf", Data: tinyPDF},
			{Name: "rendez-vous.ics", ContentType: "text/calendar; charset=utf-8; method=cancel", Data: cancel},
		}})
	e.settled(t, 1)
	ls := messageLeaves(t, smtptest.Read(t, maildir)[0])
	var paths []string
	for _, l := range ls {
		paths = append(paths, l.Path)
	}
	if d := cmp.Diff([]string{
		"multipart/mixed/multipart/alternative/text/plain", "multipart/mixed/multipart/alternative/text/calendar",
		"multipart/mixed/application/pdf", "multipart/mixed/text/calendar",
	}, paths); d != "" {
		t.Fatalf("structure (-want +got):\n%s", d)
	}
	if ls[1].Params["method"] != "CANCEL" || !bytes.Equal(ls[1].Body, cancel) || !bytes.Equal(ls[3].Body, cancel) {
		t.Errorf("inline %v %q, attached %q", ls[1].Params, ls[1].Body, ls[3].Body)
	}
}

// A message without an invitation keeps the text alone, with its files.
func TestAttachmentWithoutInvitation(t *testing.T) {
	port, maildir := smtptest.Start(t)
	e := newEnv(t, dbtest.Open(t, db.SQLite), Config{SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}})
	plainICS := []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n") // no method: a file, not an invitation
	e.send(t, Message{Template: "platform.test", To: Recipient{Email: "jean@example.fr", Lang: "fr"}, Channels: []Channel{Email},
		Attachments: []Attachment{{Name: "reçu.pdf", ContentType: "application/pdf", Data: tinyPDF},
			{Name: "agenda.ics", ContentType: "text/calendar", Data: plainICS}}})
	e.settled(t, 1)
	ls := messageLeaves(t, smtptest.Read(t, maildir)[0])
	if len(ls) != 3 || ls[0].Path != "multipart/mixed/text/plain" || !bytes.Equal(ls[1].Body, tinyPDF) || !bytes.Equal(ls[2].Body, plainICS) {
		t.Fatalf("leaves = %+v", ls)
	}
}

func countAttachments(t *testing.T, d *db.DB, delivery int64) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT count(*) FROM notify_attachments WHERE delivery_id = $1`, delivery).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type storedAttachment struct {
	Channel     Channel
	Name        string
	ContentType string
	Data        []byte
	Size        int
}

func storedAttachments(t *testing.T, d *db.DB) []storedAttachment {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), `SELECT n.channel, a.name, a.content_type, a.data, a.size
		FROM notify_attachments a JOIN notify_deliveries n ON n.id = a.delivery_id ORDER BY a.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedAttachment
	for rows.Next() {
		var a storedAttachment
		if err := rows.Scan(&a.Channel, &a.Name, &a.ContentType, &a.Data, &a.Size); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The SMS and the inbox entry of a message carry no attachments; the
// e-mail's are stored byte for byte, names trimmed and types in canonical
// form; the log tells how many, never their names.
func TestOnlyTheEmailCarriesAttachments(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		big := bytes.Repeat([]byte{0, 0xff, '\r', '\n', 'x'}, (MaxAttachmentsSize-len(tinyPDF))/5)
		big = append(big, make([]byte, MaxAttachmentsSize-len(tinyPDF)-len(big))...) // exactly at the limit together
		e.send(t, Message{Template: "platform.test", To: Recipient{UserID: "u1", Email: "fatima@example.ma", Phone: "+212612345612"},
			Channels: []Channel{SMS, Inbox, Email},
			Attachments: []Attachment{
				{Name: "  وصل.pdf ", ContentType: "Application/PDF", Data: tinyPDF},
				{Name: "données secrètes.bin", ContentType: `application/octet-stream; name="x.bin"`, Data: big},
			}})
		rs := e.settled(t, 3)
		want := []storedAttachment{
			{Channel: Email, Name: "وصل.pdf", ContentType: "application/pdf", Data: tinyPDF, Size: len(tinyPDF)},
			{Channel: Email, Name: "données secrètes.bin", ContentType: "application/octet-stream", Data: big, Size: len(big)},
		}
		got := storedAttachments(t, d)
		for i := range got {
			// Compared apart: cmp walks a 2 MB slice element by element.
			if i < len(want) && bytes.Equal(got[i].Data, want[i].Data) {
				got[i].Data, want[i].Data = nil, nil
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("stored attachments (-want +got):\n%s", d)
		}
		for _, r := range rs {
			n := countAttachments(t, d, r.ID)
			if (r.Channel == Email) != (n == 2) || (r.Channel != Email && n != 0) {
				t.Errorf("%s delivery has %d attachments", r.Channel, n)
			}
		}
		in, err := e.s.Inbox(context.Background(), "u1", 0)
		if err != nil || len(in) != 1 {
			t.Fatalf("inbox = %+v, %v", in, err)
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "attachments=2") || strings.Contains(logs, "وصل") || strings.Contains(logs, "secrètes") {
			t.Errorf("log:\n%s", logs)
		}
	})
}

func TestBadAttachmentsAreRefusedAndNothingIsRecorded(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		ctx := context.Background()
		pdf := func(name string) Attachment {
			return Attachment{Name: name, ContentType: "application/pdf", Data: tinyPDF}
		}
		typed := func(ct string) Attachment { return Attachment{Name: "a.pdf", ContentType: ct, Data: tinyPDF} }
		half := make([]byte, MaxAttachmentsSize/2+1)
		cases := []struct {
			name string
			as   []Attachment
			key  string
		}{
			{"too large together", []Attachment{{Name: "a.bin", ContentType: "application/octet-stream", Data: half},
				{Name: "b.bin", ContentType: "application/octet-stream", Data: half}}, "error.notify.attachment_size"},
			{"too large alone", []Attachment{{Name: "a.bin", ContentType: "application/octet-stream", Data: make([]byte, MaxAttachmentsSize+1)}}, "error.notify.attachment_size"},
			{"empty", []Attachment{{Name: "a.pdf", ContentType: "application/pdf"}}, "error.notify.attachment_empty"},
			{"no name", []Attachment{pdf("  ")}, "error.notify.attachment_name"},
			{"path", []Attachment{pdf("../../etc/passwd")}, "error.notify.attachment_name"},
			{"windows path", []Attachment{pdf(`C:\reçu.pdf`)}, "error.notify.attachment_name"},
			{"dot dot", []Attachment{pdf("..")}, "error.notify.attachment_name"},
			{"newline", []Attachment{pdf("reçu\r\nX-Injected: yes.pdf")}, "error.notify.attachment_name"},
			{"NUL", []Attachment{pdf("reçu\x00.pdf")}, "error.notify.attachment_name"},
			{"quote", []Attachment{pdf(`re"çu.pdf`)}, "error.notify.attachment_name"},
			{"bidi override", []Attachment{pdf("reçu\u202efdp.exe")}, "error.notify.attachment_name"},
			{"invalid UTF-8", []Attachment{pdf("re\xffu.pdf")}, "error.notify.attachment_name"},
			{"long name", []Attachment{pdf(strings.Repeat("و", 126) + ".pdf")}, "error.notify.attachment_name"},
			{"no type", []Attachment{typed("")}, "error.notify.attachment_type"},
			{"no subtype", []Attachment{typed("application")}, "error.notify.attachment_type"},
			{"bad parameter", []Attachment{typed("application/pdf; charset")}, "error.notify.attachment_type"},
			{"header injection", []Attachment{typed("application/pdf\r\nBcc: x@y.ma")}, "error.notify.attachment_type"},
			{"multipart", []Attachment{typed("multipart/mixed; boundary=x")}, "error.notify.attachment_type"},
			// The bad one comes after a good one: nothing of either is kept.
			{"second bad", []Attachment{pdf("recu.pdf"), typed("pdf")}, "error.notify.attachment_type"},
		}
		for _, c := range cases {
			committed := false
			err := d.Transact(ctx, func(tx *db.Tx) error {
				if err := e.s.Send(ctx, tx, Message{Template: "platform.test", To: Recipient{UserID: "u1", Email: "fatima@example.ma"},
					Channels: []Channel{Inbox, Email}, Attachments: c.as}); err != nil {
					return err
				}
				committed = true
				return nil
			})
			if ee := errs.As(err); ee == nil || ee.Key != c.key || ee.Kind != errs.Invalid || committed {
				t.Errorf("%s: err = %v, want key %s", c.name, err, c.key)
			}
		}
		if rs := e.deliveries(t); len(rs) != 0 {
			t.Fatalf("deliveries after refused sends: %+v", rs)
		}
		if as := storedAttachments(t, d); len(as) != 0 {
			t.Fatalf("attachments after refused sends: %d", len(as))
		}
		if m, err := e.q.Depth(ctx); err != nil || m[jobs.Queued]+m[jobs.Running]+m[jobs.Succeeded] != 0 {
			t.Fatalf("jobs = %v, %v", m, err)
		}
		// A name of 255 octets exactly is fine.
		e.send(t, Message{Template: "platform.test", To: Recipient{Email: "fatima@example.ma"}, Channels: []Channel{Email},
			Attachments: []Attachment{pdf(strings.Repeat("و", 125) + "x.pdf")}})
		if as := storedAttachments(t, d); len(as) != 1 || len(as[0].Name) != 255 {
			t.Fatalf("stored = %+v", as)
		}
	})
}

// An e-mail that could not be sent keeps its attachments.
func TestFailedEmailKeepsItsAttachments(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d, Config{SMTP: SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma", Timeout: time.Second}, MaxAttempts: 2})
	e.send(t, Message{Template: "platform.test", To: Recipient{Email: "fatima@example.ma"}, Channels: []Channel{Email}, Attachments: attachmentsFor(t)})
	rs := e.settled(t, 1)
	if rs[0].Status != StatusFailed || rs[0].Attempts != 2 {
		t.Fatalf("delivery = %+v", rs[0])
	}
	if n := countAttachments(t, d, rs[0].ID); n != 2 {
		t.Fatalf("failed delivery keeps %d attachments", n)
	}
}

// The table's invariants hold against SQL written straight to it.
func TestAttachmentTableConstraints(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, Config{})
		e.send(t, Message{Template: "platform.test", To: Recipient{Email: "fatima@example.ma", Phone: "+212612345612"}, Channels: []Channel{Email, SMS}})
		var email, sms int64
		ctx := context.Background()
		if err := d.QueryRowContext(ctx, `SELECT id FROM notify_deliveries WHERE channel = 'email'`).Scan(&email); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRowContext(ctx, `SELECT id FROM notify_deliveries WHERE channel = 'sms'`).Scan(&sms); err != nil {
			t.Fatal(err)
		}
		insert := func(delivery int64, name, ct string, data []byte, size int) error {
			_, err := d.ExecContext(ctx, `INSERT INTO notify_attachments (delivery_id, name, content_type, data, size)
				VALUES ($1, $2, $3, $4, $5)`, delivery, name, ct, data, size)
			return err
		}
		if err := insert(email, "a.pdf", "application/pdf", []byte("%PDF"), 4); err != nil {
			t.Fatalf("good row refused: %v", err)
		}
		bad := map[string]error{
			"SMS delivery":      insert(sms, "a.pdf", "application/pdf", []byte("%PDF"), 4),
			"no delivery":       insert(email+sms+100, "a.pdf", "application/pdf", []byte("%PDF"), 4),
			"wrong size":        insert(email, "a.pdf", "application/pdf", []byte("%PDF"), 5),
			"empty":             insert(email, "a.pdf", "application/pdf", []byte{}, 0),
			"too large":         insert(email, "a.bin", "application/octet-stream", make([]byte, 2<<20+1), 2<<20+1),
			"empty name":        insert(email, "", "application/pdf", []byte("%PDF"), 4),
			"slash in name":     insert(email, "a/b.pdf", "application/pdf", []byte("%PDF"), 4),
			"backslash in name": insert(email, `a\b.pdf`, "application/pdf", []byte("%PDF"), 4),
			"long name":         insert(email, strings.Repeat("و", 128), "application/pdf", []byte("%PDF"), 4),
			"type":              insert(email, "a.pdf", "pdf", []byte("%PDF"), 4),
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO notify_attachments (delivery_id, channel, name, content_type, data, size)
			VALUES ($1, 'sms', 'a.pdf', 'application/pdf', $2, 4)`, sms, []byte("%PDF")); true {
			bad["channel sms"] = err
		}
		if d.Engine == db.SQLite {
			_, err := d.ExecContext(ctx, `INSERT INTO notify_attachments (delivery_id, name, content_type, data, size)
				VALUES ($1, 'a.pdf', 'application/pdf', '%PDF', 4)`, email)
			bad["text instead of blob"] = err
		}
		for name, err := range bad {
			if !db.IsConstraintViolation(err) {
				t.Errorf("%s: err = %v, want a constraint violation", name, err)
			}
		}
	})
}
