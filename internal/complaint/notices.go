package complaint

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	neturl "net/url"
	"slices"
	"strconv"

	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

//go:embed notices
var noticesFS embed.FS

// Notices are the e-mail and SMS templates of requests, as notify reads
// them (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, _ := fs.Sub(noticesFS, "notices") // a valid path: fs.Sub cannot fail
	return sub
}

// People is the register of people: how to reach a reporter, in their
// language (identity's store provides it).
type People interface {
	Person(ctx context.Context, q db.Querier, id int64) (people.Person, error)
}

// Notifier queues notices (notify.Service).
type Notifier interface {
	Has(template string) bool
	Send(ctx context.Context, tx *db.Tx, m notify.Message) error
}

// noticeDeps tell the reporter of each change of their request, in their
// language: inbox always, and the channel they chose when filing (if
// their account has it verified).
type noticeDeps struct {
	people  People
	notify  Notifier
	baseURL string
}

// SendNotices is the subscriber of TopicRequestChanged. Each notice is
// keyed by event and reporter, so that an event handed twice sends it
// once; a change with no template (the reporter's own reply or reopening,
// the team starting work) tells nobody, nor does a silent one (loading
// the demonstration).
func (s *Service) SendNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p RequestChanged
	if err := ev.Decode(&p); err != nil {
		return err
	}
	n := s.notices
	if p.V != EventVersion || p.Silent || n == nil {
		return nil
	}
	template := "complaint." + string(p.Change)
	if !n.notify.Has(template) {
		return nil
	}
	r, err := request(ctx, tx, "id", p.Request)
	if err != nil {
		return err
	}
	// The reporter, then the co-reporters (the reporters of the
	// duplicates merged into it), each in their language. A request
	// posted through Open311 has no reporter's account: its client follows
	// it (servicerequestupdates) and tells the person itself.
	if r.ContactID != 0 {
		// Filed without an account: told at the proven address, in the
		// language it was proven in, with the tracking page's link.
		var channel, address, lang string
		if err := tx.QueryRowContext(ctx, `SELECT channel, address, lang FROM complaint_contacts WHERE id = $1`, r.ContactID).
			Scan(&channel, &address, &lang); err != nil {
			return fmt.Errorf("complaint: contact %d: %w", r.ContactID, err)
		}
		l := i18n.Lang(lang)
		d := map[string]any{"Name": address, "Number": r.Number, "Code": r.TrackingCode, "Category": r.Category, "Note": p.Note,
			"Due": i18n.FormatDate(l, p.Due), "URL": n.baseURL + "/requests/track?" + neturl.Values{"number": {r.Number}, "code": {r.TrackingCode}}.Encode()}
		if p.Planned != nil {
			d["Planned"] = i18n.FormatDate(l, *p.Planned)
		}
		if k, ok := s.cat.Category(r.Category); ok {
			d["Category"] = k.Name.Pick(l)
		}
		to, ch := notify.Recipient{Lang: lang, Email: address}, notify.Email
		if channel == ContactSMS {
			to, ch = notify.Recipient{Lang: lang, Phone: address}, notify.SMS
		}
		if err := n.notify.Send(ctx, tx, notify.Message{Template: template, Data: d, To: to, Channels: []notify.Channel{ch},
			Key: ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":contact:" + strconv.FormatInt(r.ContactID, 10)}); err != nil {
			return err
		}
	}
	people := r.CoReporters
	if r.Reporter != 0 {
		people = append([]int64{r.Reporter}, people...)
	}
	for _, id := range people {
		who, err := n.people.Person(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("complaint: reporter %d: %w", id, err)
		}
		l := i18n.Lang(who.Lang)
		url := n.baseURL + "/requests/" + strconv.FormatInt(r.ID, 10)
		if id != r.Reporter {
			// A co-reporter follows it on the tracking page.
			url = n.baseURL + "/requests/track?" + neturl.Values{"number": {r.Number}, "code": {r.TrackingCode}}.Encode()
		}
		d := map[string]any{"Name": who.DisplayName(who.Lang), "Number": r.Number, "Code": r.TrackingCode, "Category": r.Category,
			"URL": url, "Note": p.Note, "Due": i18n.FormatDate(l, p.Due)}
		if p.Planned != nil {
			d["Planned"] = i18n.FormatDate(l, *p.Planned)
		}
		if k, ok := s.cat.Category(r.Category); ok {
			d["Category"] = k.Name.Pick(l)
		}
		channels := []notify.Channel{notify.Inbox}
		for _, c := range who.Channels() {
			if string(c) == r.Contact && !slices.Contains(channels, c) {
				channels = append(channels, c)
			}
		}
		if err := n.notify.Send(ctx, tx, notify.Message{Template: template, Data: d,
			Key:      ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":person:" + strconv.FormatInt(who.ID, 10),
			To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
			Channels: channels}); err != nil {
			return err
		}
	}
	return nil
}
