package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/jobs"
)

// The events identity publishes through the outbox, each in the
// transaction of the change it reports. The notices below subscribe to
// them; other capabilities may too. Messages that answer a person's own
// request and carry a secret (e-mail verification link, phone code, reset
// link, sign-in lock, sign-up attempt) are not events: they are sent
// directly, in the request's transaction (docs/ARCHITECTURE.md, "Events" says why).
const (
	// TopicMandateChanged: a mandate was granted or revoked. Payload
	// MandateChanged.
	TopicMandateChanged = "identity.mandate_changed"
	// TopicLegalClaimChanged: a claim to represent a legal person was
	// filed, approved or refused. Payload LegalClaimChanged.
	TopicLegalClaimChanged = "identity.legal_claim_changed"
)

// Topics are the topics identity publishes.
var Topics = []string{TopicMandateChanged, TopicLegalClaimChanged}

// EventVersion is the version of the payloads below, in their field V.
// Adding a field keeps it; removing or changing the meaning of one bumps
// it, and subscribers skip versions they do not know.
const EventVersion = 1

// MandateChanged reports a mandate granted or revoked.
type MandateChanged struct {
	V            int    `json:"v"`
	Mandate      int64  `json:"mandate"`
	Owner        string `json:"owner"`        // "person:ID" or "legal:ID"
	Professional int64  `json:"professional"` // the professional's person id
	Change       string `json:"change"`       // granted or revoked
	// Silent: the change was made loading data (the demonstration);
	// subscribers that tell people skip it, others do not.
	Silent bool      `json:"silent,omitempty"`
	At     time.Time `json:"at"`
}

// LegalClaimChanged reports a claim to represent a legal person.
type LegalClaimChanged struct {
	V        int       `json:"v"`
	Claim    int64     `json:"claim"`
	Legal    int64     `json:"legal"`    // the legal person's id
	Claimant int64     `json:"claimant"` // the claimant's person id
	Change   string    `json:"change"`   // filed, approved or refused
	Silent   bool      `json:"silent,omitempty"`
	At       time.Time `json:"at"`
}

// Publisher writes an event in a transaction (jobs.Queue).
type Publisher interface {
	Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error
}

// publish writes an event of topic in tx.
func (s *Service) publish(ctx context.Context, tx *db.Tx, topic string, payload any) error {
	if s.deps.Events == nil {
		return errors.New("identity: no event publisher (Deps.Events)")
	}
	return s.deps.Events.Publish(ctx, tx, topic, payload)
}

// mandateChanged publishes a mandate granted or revoked.
func (s *Service) mandateChanged(ctx context.Context, tx *db.Tx, m Mandate, change string) error {
	return s.publish(ctx, tx, TopicMandateChanged, MandateChanged{V: EventVersion, Mandate: m.ID, Owner: m.Owner.Key(),
		Professional: m.Professional.Person, Change: change, Silent: notify.IsQuiet(ctx), At: s.now()})
}

// claimChanged publishes a claim filed or decided.
func (s *Service) claimChanged(ctx context.Context, tx *db.Tx, c Claim, change string) error {
	return s.publish(ctx, tx, TopicLegalClaimChanged, LegalClaimChanged{V: EventVersion, Claim: c.ID, Legal: c.Legal.ID,
		Claimant: c.ClaimantID, Change: change, Silent: notify.IsQuiet(ctx), At: s.now()})
}

// SendNotices is the subscriber that tells people about identity's events
// (Topics): the professional about a mandate, the claimant and the
// representatives about a claim. It runs in the dispatcher's transaction
// and reads the mandate or claim as it is then. Each notice is keyed by
// event and recipient, so that an event handed twice sends each notice
// once. Silent events and payload versions it does not know send nothing.
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
	case TopicMandateChanged:
		var p MandateChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		m, err := s.store.Mandate(ctx, tx, p.Mandate)
		if err != nil {
			return fmt.Errorf("identity: mandate %d: %w", p.Mandate, err)
		}
		pro, err := scanProTarget(tx.QueryRowContext(ctx, proTargetQuery+`p.id = $1`, m.Professional.Person))
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the professional's account is closed: nobody to tell
		}
		if err != nil {
			return fmt.Errorf("identity: professional: %w", err)
		}
		return s.notifyMandate(ctx, tx, noticeKey(ev, pro.Person), "identity.mandate_"+p.Change, m, pro)
	case TopicLegalClaimChanged:
		var p LegalClaimChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		c, err := s.store.claim(ctx, tx, p.Claim)
		if err != nil {
			return err
		}
		template := "identity.legal_claim_decided"
		if p.Change == "filed" {
			template = "identity.legal_claim_filed"
			c.Status, c.Reason = ClaimPending, "" // as it was when filed
		}
		return s.tellClaim(ctx, tx, ev, c, template)
	}
	return nil
}

// noticeKey is a notice's idempotency key: one per event and recipient.
func noticeKey(ev jobs.Event, person int64) string {
	return ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":" + personKey(person)
}
