package permit

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ical"
	"madina/internal/platform/jobs"
)

//go:embed notices
var noticesFS embed.FS

// Notices are the e-mail and SMS templates of permit files, as notify reads
// them (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, _ := fs.Sub(noticesFS, "notices") // a valid path: fs.Sub cannot fail
	return sub
}

// applicants are the people told about a file's steps: its owner (a
// natural person) and whoever filed it, each once.
func (s *Service) applicants(ctx context.Context, q db.Querier, f *File) ([]people.Person, error) {
	var out []people.Person
	for _, id := range applicantIDs(f) {
		p, err := s.people.Person(ctx, q, id)
		if err != nil {
			return nil, fmt.Errorf("permit: applicant %d: %w", id, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// applicantIDs are the people told about a file's steps, each once.
func applicantIDs(f *File) []int64 {
	var out []int64
	for _, id := range []int64{f.OwnerPerson, f.CreatedBy} {
		if id != 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// data is what every file notice may say, in lang.
func (s *Service) data(ctx context.Context, f *File, k *Kind, lang string, extra map[string]any) map[string]any {
	l := i18n.Lang(lang)
	d := map[string]any{"File": f.Display(), "Ref": f.Ref, "Kind": k.Name.Pick(l), "Code": f.TrackingCode,
		"URL":      s.cfg.BaseURL + "/files/" + strconv.FormatInt(f.ID, 10),
		"TrackURL": s.cfg.BaseURL + "/track?number=" + f.Display() + "&code=" + f.TrackingCode,
		"Window":   "", "Due": "", "Number": f.Number, "Missing": "", "Note": "", "Reason": ""}
	if f.Window != "" {
		if w, err := s.window(ctx, f.Window); err == nil {
			d["Window"] = w.Name.Pick(l)
		}
	}
	if f.DueAt != nil {
		d["Due"] = i18n.FormatDate(l, *f.DueAt)
	}
	for key, v := range extra {
		switch key {
		case "missing":
			items, _ := v.([]string)
			var names []string
			for _, it := range items {
				for _, r := range k.Documents {
					if r.Code == it {
						names = append(names, "• "+r.Name.Pick(l))
					}
				}
			}
			d["Missing"] = strings.Join(names, "\n")
		case "note":
			d["Note"] = v
		case "reason":
			d["Reason"] = v
		}
	}
	return d
}

// SendNotices is the subscriber that tells people about permit events
// (Topics): the applicants about their file's steps and appointments, the
// window's staff about passed deadlines. It runs in the dispatcher's
// transaction and reads the file as it is then, with what the event says
// of the moment it happened (window, number, due date, the agent's
// words). Each notice is keyed by event and recipient, so that an event
// handed twice sends each notice once. Silent events (loading data) and
// payload versions it does not know send nothing.
func (s *Service) SendNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var v struct {
		V      int  `json:"v"`
		Silent bool `json:"silent"`
	}
	if err := ev.Decode(&v); err != nil {
		return err
	}
	if v.Silent || v.V != EventVersion {
		return nil
	}
	switch ev.Topic {
	case TopicFileChanged:
		var p FileChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		return s.tellStep(ctx, tx, ev, p)
	case TopicAppointmentChanged:
		var p AppointmentChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		return s.tellAppointment(ctx, tx, ev, p)
	case TopicDeadlinePassed:
		var p DeadlinePassed
		if err := ev.Decode(&p); err != nil {
			return err
		}
		return s.alert(ctx, tx, ev, p)
	}
	return nil
}

// noticeKey is a notice's idempotency key: one per event and recipient.
func noticeKey(ev jobs.Event, person int64) string {
	return ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":person:" + strconv.FormatInt(person, 10)
}

// reader reads through a transaction without locking rows: a notice
// reads the file, it does not change it.
type reader struct{ db.Querier }

// eventFile is the file an event is about, with its kind.
func (s *Service) eventFile(ctx context.Context, tx *db.Tx, id int64) (*File, *Kind, error) {
	f, err := file(ctx, reader{tx}, "id", id)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.kindOf(ctx, tx, f)
	if err != nil {
		return nil, nil, err
	}
	return f, k, nil
}

// tellStep sends the applicants the notice of a file's step, in their
// language, on the channels they chose.
func (s *Service) tellStep(ctx context.Context, tx *db.Tx, ev jobs.Event, p FileChanged) error {
	template := "permit." + p.Change
	if !s.notify.Has(template) {
		return nil // a change nobody is told about
	}
	f, k, err := s.eventFile(ctx, tx, p.File)
	if err != nil {
		return err
	}
	// The file as it was: it may have moved on since.
	f.Window, f.Number, f.DueAt = p.Window, p.Number, p.Due
	var extra map[string]any
	if len(p.Missing) > 0 || p.Note != "" || p.Reason != "" {
		extra = map[string]any{"missing": p.Missing, "note": p.Note, "reason": p.Reason}
	}
	ps, err := s.applicants(ctx, tx, f)
	if err != nil {
		return err
	}
	for _, who := range ps {
		d := s.data(ctx, f, k, who.Lang, extra)
		d["Name"] = who.DisplayName(who.Lang)
		if err := s.notify.Send(ctx, tx, notify.Message{Template: template, Data: d, Key: noticeKey(ev, who.ID),
			To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
			Channels: who.Channels()}); err != nil {
			return err
		}
	}
	return nil
}

// tellAppointment confirms (or cancels) a deposit appointment, with the
// invitation for the applicant's calendar.
func (s *Service) tellAppointment(ctx context.Context, tx *db.Tx, ev jobs.Event, p AppointmentChanged) error {
	f, k, err := s.eventFile(ctx, tx, p.File)
	if err != nil {
		return err
	}
	w, err := s.window(ctx, p.Window)
	if err != nil {
		return err
	}
	ps, err := s.applicants(ctx, tx, f)
	if err != nil {
		return err
	}
	cancelled := p.Change == AppointmentCancelled
	template := "permit.appointment"
	if cancelled {
		template = "permit.appointment_cancelled"
	}
	for _, who := range ps {
		l := i18n.Lang(who.Lang)
		d := s.data(ctx, f, k, who.Lang, nil)
		d["Name"] = who.DisplayName(who.Lang)
		d["Start"] = i18n.FormatDateTime(l, p.Start)
		r, err := s.notify.Render(template, who.Lang, d)
		if err != nil {
			return err
		}
		ics := ical.Event{
			UID:         fmt.Sprintf("appointment-%d@%s", p.Appointment, hostOf(s.cfg.BaseURL)),
			Sequence:    p.Sequence,
			Start:       p.Start,
			End:         p.End,
			Summary:     r.Subject,
			Location:    w.Name.Pick(l),
			Description: d["URL"].(string),
			URL:         d["URL"].(string),
			Cancelled:   cancelled,
			Stamp:       p.At,
			Attendee:    who.Email, AttendeeName: d["Name"].(string),
		}
		inv, err := ical.Invitation(ics)
		if err != nil {
			return fmt.Errorf("permit: invitation: %w", err)
		}
		if err := s.notify.Send(ctx, tx, notify.Message{Template: template, Data: d, Key: noticeKey(ev, who.ID),
			To:          notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
			Channels:    who.Channels(),
			Attachments: []notify.Attachment{{Name: "rendez-vous.ics", ContentType: ics.ContentType(), Data: inv}},
		}); err != nil {
			return err
		}
	}
	return nil
}

// hostOf is the host of a base URL, for calendar UIDs.
func hostOf(base string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	if i := strings.IndexAny(h, ":/"); i >= 0 {
		h = h[:i]
	}
	if h == "" {
		return "madina"
	}
	return h
}
