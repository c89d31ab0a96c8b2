package permit

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/ical"
)

//go:embed notices
var noticesFS embed.FS

// Notices are the e-mail and SMS templates of permit files, as notify reads
// them (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, err := fs.Sub(noticesFS, "notices")
	if err != nil {
		panic(err)
	}
	return sub
}

// applicants are the people told about a file's steps: its owner (a
// natural person) and whoever filed it, each once.
func (s *Service) applicants(ctx context.Context, q db.Querier, f *File) ([]identity.Person, error) {
	var out []identity.Person
	for _, id := range []int64{f.OwnerPerson, f.CreatedBy} {
		if id == 0 || (len(out) > 0 && out[0].ID == id) {
			continue
		}
		p, err := s.people.Person(ctx, q, id)
		if err != nil {
			return nil, fmt.Errorf("permit: applicant %d: %w", id, err)
		}
		out = append(out, p)
	}
	return out, nil
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

// tell sends the applicants the notice of a step, in their language, on
// the channels they chose.
func (s *Service) tell(ctx context.Context, tx *db.Tx, f *File, k *Kind, template string, extra map[string]any) error {
	if s.cfg.Silent {
		return nil
	}
	ps, err := s.applicants(ctx, tx, f)
	if err != nil {
		return err
	}
	for _, p := range ps {
		d := s.data(ctx, f, k, p.Lang, extra)
		d["Name"] = p.DisplayName(p.Lang)
		if err := s.notify.Send(ctx, tx, notify.Message{Template: template, Data: d,
			To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(p.ID, 10), Email: p.Email, Phone: p.Phone, Lang: p.Lang},
			Channels: identity.Channels(p)}); err != nil {
			return err
		}
	}
	return nil
}

// tellAppointment confirms (or cancels) a deposit appointment, with the
// invitation for the applicant's calendar.
func (s *Service) tellAppointment(ctx context.Context, tx *db.Tx, f *File, k *Kind, w district.Window, ap *Appointment, cancelled bool) error {
	if s.cfg.Silent {
		return nil
	}
	ps, err := s.applicants(ctx, tx, f)
	if err != nil {
		return err
	}
	template := "permit.appointment"
	if cancelled {
		template = "permit.appointment_cancelled"
	}
	for _, p := range ps {
		l := i18n.Lang(p.Lang)
		d := s.data(ctx, f, k, p.Lang, nil)
		d["Name"] = p.DisplayName(p.Lang)
		d["Start"] = i18n.FormatDateTime(l, ap.Start)
		r, err := s.notify.Render(template, p.Lang, d)
		if err != nil {
			return err
		}
		ev := ical.Event{
			UID:         fmt.Sprintf("appointment-%d@%s", ap.ID, hostOf(s.cfg.BaseURL)),
			Sequence:    ap.Sequence,
			Start:       ap.Start,
			End:         ap.End,
			Summary:     r.Subject,
			Location:    w.Name.Pick(l),
			Description: d["URL"].(string),
			URL:         d["URL"].(string),
			Cancelled:   cancelled,
			Stamp:       s.now(),
			Attendee:    p.Email, AttendeeName: d["Name"].(string),
		}
		inv, err := ical.Invitation(ev)
		if err != nil {
			return fmt.Errorf("permit: invitation: %w", err)
		}
		if err := s.notify.Send(ctx, tx, notify.Message{Template: template, Data: d,
			To:          notify.Recipient{UserID: "person:" + strconv.FormatInt(p.ID, 10), Email: p.Email, Phone: p.Phone, Lang: p.Lang},
			Channels:    identity.Channels(p),
			Attachments: []notify.Attachment{{Name: "rendez-vous.ics", ContentType: ev.ContentType(), Data: inv}},
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
