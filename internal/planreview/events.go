package planreview

import (
	"context"
	"time"

	"madina/internal/notify"
	"madina/internal/platform/db"
)

// The events planreview publishes through the outbox, each in the
// transaction of the change it reports: it exists if and only if the
// change commits. The notices (notices.go) subscribe to them. Payloads
// carry ids, not names or texts: a subscriber reads what it shows, as it
// is then, and asks the policy who may read it.
const (
	// TopicAnnotationShared: an annotation became visible to the
	// applicant — created shared, or changed from the committee's own to
	// shared. Payload AnnotationShared.
	TopicAnnotationShared = "planreview.annotation_shared"
	// TopicReplied: someone answered on an annotation. Payload Replied.
	TopicReplied = "planreview.replied"
)

// Topics are the topics planreview publishes.
var Topics = []string{TopicAnnotationShared, TopicReplied}

// EventVersion is the version of the payloads below, in their field V.
// Adding a field keeps it; removing or changing the meaning of one bumps
// it, and subscribers skip versions they do not know.
const EventVersion = 1

// Changes that share an annotation.
const (
	SharedCreated = "created" // made shared
	SharedChanged = "changed" // changed from the committee's own to shared
)

// AnnotationShared reports an annotation the applicant may now read.
type AnnotationShared struct {
	V          int    `json:"v"`
	File       int64  `json:"file"`
	Document   int64  `json:"document"` // the version of the sheet it was shared on
	Annotation int64  `json:"annotation"`
	Change     string `json:"change"` // SharedCreated or SharedChanged
	Actor      int64  `json:"actor"`  // the person who shared it
	// Silent: the change was made loading data (the demonstration);
	// subscribers that tell people skip it.
	Silent bool      `json:"silent,omitempty"`
	At     time.Time `json:"at"`
}

// Replied reports an answer on an annotation.
type Replied struct {
	V          int       `json:"v"`
	File       int64     `json:"file"`
	Document   int64     `json:"document"` // the version of the sheet it was written on
	Annotation int64     `json:"annotation"`
	Reply      int64     `json:"reply"`
	Actor      int64     `json:"actor"` // who answered
	Side       string    `json:"side"`  // SideApplicant, SideCommittee or SideWindow
	Silent     bool      `json:"silent,omitempty"`
	At         time.Time `json:"at"`
}

// Publisher writes an event in a transaction (jobs.Queue).
type Publisher interface {
	Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error
}

// publish writes an event of topic in tx; without a publisher (a service
// built without one) nothing is published.
func (s *Service) publish(ctx context.Context, tx *db.Tx, topic string, payload any) error {
	if s.events == nil {
		return nil
	}
	return s.events.Publish(ctx, tx, topic, payload)
}

// shared publishes that ann became visible to the applicant.
func (s *Service) shared(ctx context.Context, tx *db.Tx, ann *Annotation, doc, actor int64, change string) error {
	return s.publish(ctx, tx, TopicAnnotationShared, AnnotationShared{V: EventVersion, File: ann.File, Document: doc,
		Annotation: ann.ID, Change: change, Actor: actor, Silent: notify.IsQuiet(ctx), At: s.clock()})
}

// replied publishes an answer on ann.
func (s *Service) replied(ctx context.Context, tx *db.Tx, ann *Annotation, r *Reply) error {
	return s.publish(ctx, tx, TopicReplied, Replied{V: EventVersion, File: ann.File, Document: r.Document, Annotation: ann.ID,
		Reply: r.ID, Actor: r.Author, Side: r.Side, Silent: notify.IsQuiet(ctx), At: r.Created})
}
