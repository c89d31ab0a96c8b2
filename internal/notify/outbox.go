package notify

import (
	"sync"
	"time"
)

// Outbox keeps, in memory, the e-mails and SMS that no SMTP server or SMS
// gateway sent, in full, for a developer running Madina on their own
// machine to read (the verification link of a new account, a reset link,
// a phone code). It is off unless the operator asks for it (serve
// --dev-outbox): production keeps writing only masked metadata to the log,
// and the database never holds a sent secret. Kept messages are lost when
// the process stops; the oldest go first past OutboxSize.
type Outbox struct {
	mu   sync.Mutex
	next int64
	msgs []Kept // oldest first
}

// OutboxSize is how many messages an Outbox keeps.
const OutboxSize = 500

// Kept is a message as the outbox keeps it: what the recipient would have
// received.
type Kept struct {
	ID          int64 // in the outbox, from 1
	Delivery    int64
	Channel     Channel // Email or SMS
	To          string  // the full address: this is the developer's machine
	Template    string
	Lang        string
	Subject     string // e-mail only
	Text        string // the e-mail's text, or the SMS
	Attachments []Attachment
	At          time.Time
}

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox { return &Outbox{} }

// keep stores a message; the outbox's id is set here.
func (o *Outbox) keep(k Kept) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next++
	k.ID = o.next
	if len(o.msgs) >= OutboxSize {
		o.msgs = append(o.msgs[:0:0], o.msgs[len(o.msgs)-OutboxSize+1:]...)
	}
	o.msgs = append(o.msgs, k)
}

// List returns the kept messages, newest first; with to set, only those
// sent to that address (e-mail or phone, as given to Send).
func (o *Outbox) List(to string) []Kept {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Kept, 0, len(o.msgs))
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if to == "" || o.msgs[i].To == to {
			out = append(out, o.msgs[i])
		}
	}
	return out
}

// Get returns one kept message.
func (o *Outbox) Get(id int64) (Kept, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, k := range o.msgs {
		if k.ID == id {
			return k, true
		}
	}
	return Kept{}, false
}
