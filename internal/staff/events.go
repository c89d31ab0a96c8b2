package staff

import (
	"context"
	"errors"
	"strconv"
	"time"

	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
)

// TopicProfessionalChanged: an administrator verified or rejected a
// professional's declaration. Payload ProfessionalChanged. The notice to
// the person subscribes to it; other capabilities may too.
const TopicProfessionalChanged = "staff.professional_changed"

// Topics are the topics staff publishes.
var Topics = []string{TopicProfessionalChanged}

// EventVersion is the version of the payloads below, in their field V.
const EventVersion = 1

// ProfessionalChanged reports a declaration verified or rejected. A
// rejected declaration is deleted, so the payload keeps what the notice
// says of it: the profession, the registration and the administrator's
// reason.
type ProfessionalChanged struct {
	V            int    `json:"v"`
	Person       int64  `json:"person"`
	Profession   string `json:"profession"`
	Registration string `json:"registration"`
	Change       string `json:"change"` // verified or rejected
	Reason       string `json:"reason,omitempty"`
	// Silent: the change was made loading data (the demonstration);
	// subscribers that tell people skip it, others do not.
	Silent bool      `json:"silent,omitempty"`
	At     time.Time `json:"at"`
}

// Publisher writes an event in a transaction (jobs.Queue).
type Publisher interface {
	Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error
}

// professionalChanged publishes the outcome of a declaration in tx.
func (s *Service) professionalChanged(ctx context.Context, tx *db.Tx, d Declaration, change, reason string) error {
	if s.events == nil {
		return errors.New("staff: no event publisher (Deps.Events)")
	}
	return s.events.Publish(ctx, tx, TopicProfessionalChanged, ProfessionalChanged{V: EventVersion, Person: d.Person.ID,
		Profession: d.Profession, Registration: d.Registration, Change: change, Reason: reason,
		Silent: notify.IsQuiet(ctx), At: s.now()})
}

// SendNotices is the subscriber that tells the person the outcome of
// their declaration, in the inbox and by e-mail, keyed by event and
// person so that an event handed twice sends one notice. Silent events
// and versions it does not know send nothing.
func (s *Service) SendNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p ProfessionalChanged
	if err := ev.Decode(&p); err != nil {
		return err
	}
	if p.Silent || p.V != EventVersion || ev.Topic != TopicProfessionalChanged {
		return nil
	}
	who, err := s.store.person(ctx, tx, p.Person)
	if errs.Is(err, errs.NotFound) {
		return nil // the account is closed: nobody to tell
	}
	if err != nil {
		return err
	}
	person := "person:" + strconv.FormatInt(who.ID, 10)
	return s.notify.Send(ctx, tx, notify.Message{Template: "identity.professional_" + p.Change,
		Key: ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":" + person,
		Data: map[string]any{"Name": who.DisplayName(who.Lang), "Profession": p.Profession, "Registration": p.Registration,
			"Reason": p.Reason, "URL": s.baseURL + "/me"},
		To:       notify.Recipient{UserID: person, Email: who.Email, Lang: who.Lang},
		Channels: []notify.Channel{notify.Inbox, notify.Email}})
}
