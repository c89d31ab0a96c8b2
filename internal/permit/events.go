package permit

import (
	"context"
	"errors"
	"time"

	"madina/internal/district"
	"madina/internal/notify"
	"madina/internal/platform/db"
)

// The events permit publishes through the outbox, each in the transaction
// of the change it reports: it exists if and only if the change commits.
// Subscribers (the notices, later search indexing, open data, the live
// map) register on the job queue and never need permit to call them.
// Payloads carry ids, codes and dates, not names or addresses: a
// subscriber reads what it shows. docs/ARCHITECTURE.md, "Events" lists them.
const (
	// TopicFileChanged: a file moved along its workflow (submitted,
	// accepted, returned, decided…) or the legal clock decided for it
	// (tacit approval, referral). Payload FileChanged.
	TopicFileChanged = "permit.file_changed"
	// TopicAppointmentChanged: a deposit appointment was booked, moved or
	// cancelled. Payload AppointmentChanged.
	TopicAppointmentChanged = "permit.appointment_changed"
	// TopicDeadlinePassed: a step's legal deadline passed with no silence
	// rule to apply; the window's staff are to be alerted. Payload
	// DeadlinePassed.
	TopicDeadlinePassed = "permit.deadline_passed"
)

// Topics are the topics permit publishes.
var Topics = []string{TopicFileChanged, TopicAppointmentChanged, TopicDeadlinePassed}

// EventVersion is the version of the payloads below, in their field V.
// Adding a field keeps it; removing or changing the meaning of one bumps
// it, and subscribers skip versions they do not know.
const EventVersion = 1

// FileChanged reports a step of a file.
type FileChanged struct {
	V       int    `json:"v"`
	File    int64  `json:"file"`
	Ref     string `json:"ref"`
	Kind    string `json:"kind"`    // the permit kind's code
	Version int    `json:"version"` // the file's version after the change
	// Change is the transition (submit, resubmit, accept, return, ask,
	// answer, approve, refuse, withdraw…, see file.go) or the clock's
	// decision (tacit, referral).
	Change string     `json:"change"`
	From   State      `json:"from,omitempty"`
	To     State      `json:"to,omitempty"`
	Window string     `json:"window,omitempty"` // the window handling it
	Number string     `json:"number,omitempty"` // its registration number, once accepted
	Due    *time.Time `json:"due,omitempty"`    // its next deadline after the change
	// Missing (document codes), Note and Reason are what the agent wrote
	// to the applicant, as the file's public history shows them.
	Missing []string `json:"missing,omitempty"`
	Note    string   `json:"note,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	// Silent: the change was made loading data (the demonstration);
	// subscribers that tell people skip it, others do not.
	Silent bool      `json:"silent,omitempty"`
	At     time.Time `json:"at"`
}

// AppointmentChanged reports a deposit appointment booked, moved or
// cancelled.
type AppointmentChanged struct {
	V           int       `json:"v"`
	File        int64     `json:"file"`
	Ref         string    `json:"ref"`
	Appointment int64     `json:"appointment"`
	Sequence    int       `json:"sequence"` // the calendar invitation's sequence
	Change      string    `json:"change"`   // booked, moved or cancelled
	Window      string    `json:"window"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Silent      bool      `json:"silent,omitempty"`
	At          time.Time `json:"at"`
}

// DeadlinePassed reports a passed deadline the staff are alerted of.
type DeadlinePassed struct {
	V        int       `json:"v"`
	File     int64     `json:"file"`
	Ref      string    `json:"ref"`
	Deadline int64     `json:"deadline"`
	Step     string    `json:"step"`
	Due      time.Time `json:"due"`
	Window   string    `json:"window,omitempty"`
	Silent   bool      `json:"silent,omitempty"`
	At       time.Time `json:"at"`
}

// Publisher writes an event in a transaction (jobs.Queue).
type Publisher interface {
	Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error
}

var errNoPublisher = errors.New("permit: no event publisher (Deps.Events)")

// publish writes an event of topic in tx.
func (s *Service) publish(ctx context.Context, tx *db.Tx, topic string, payload any) error {
	if s.events == nil {
		return errNoPublisher
	}
	return s.events.Publish(ctx, tx, topic, payload)
}

// silent reports whether the change is made loading data (a quiet
// context: the demonstration).
func (s *Service) silent(ctx context.Context) bool { return notify.IsQuiet(ctx) }

// fileChanged publishes a file's step, with what the agent wrote (data, as
// the history records it).
func (s *Service) fileChanged(ctx context.Context, tx *db.Tx, f *File, change string, from, to State, data map[string]any) error {
	ev := FileChanged{V: EventVersion, File: f.ID, Ref: f.Ref, Kind: f.Kind, Version: f.Version, Change: change,
		From: from, To: to, Window: f.Window, Number: f.Number, Due: f.DueAt, Silent: s.silent(ctx), At: s.now()}
	if items, ok := data["missing"].([]string); ok {
		ev.Missing = items
	}
	ev.Note, _ = data["note"].(string)
	ev.Reason, _ = data["reason"].(string)
	return s.publish(ctx, tx, TopicFileChanged, ev)
}

// appointmentChanged publishes an appointment booked, moved or cancelled.
func (s *Service) appointmentChanged(ctx context.Context, tx *db.Tx, f *File, w district.Window, ap *Appointment, change string) error {
	return s.publish(ctx, tx, TopicAppointmentChanged, AppointmentChanged{V: EventVersion, File: f.ID, Ref: f.Ref,
		Appointment: ap.ID, Sequence: ap.Sequence, Change: change, Window: w.Code, Start: ap.Start, End: ap.End,
		Silent: s.silent(ctx), At: s.now()})
}

// deadlinePassed publishes a passed deadline the staff are to be alerted of.
func (s *Service) deadlinePassed(ctx context.Context, tx *db.Tx, f *File, d StepDeadline) error {
	return s.publish(ctx, tx, TopicDeadlinePassed, DeadlinePassed{V: EventVersion, File: f.ID, Ref: f.Ref,
		Deadline: d.ID, Step: d.Step, Due: d.DueAt, Window: f.Window, Silent: s.silent(ctx), At: s.now()})
}
