package identity

import (
	"sync"
	"time"
)

// visitorCache keeps the visitors of recently seen sessions for a few
// seconds, so that a signed-in page costs no more than an anonymous one: a
// session lookup is six queries, a page is often none.
//
// On this node, anything that changes what a person may do (signing out,
// a new password, the second factor, roles, mandates) drops their entries
// at once through forget. Another node's change shows here within
// visitorTTL for pages that only read; a request that changes something
// (any method but GET, HEAD, OPTIONS) never uses the cache, so a session
// ended on another node can read for visitorTTL at most and never act
// (docs/ARCHITECTURE.md).
type visitorCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]cachedVisitor // by session token hash
}

type cachedVisitor struct {
	v       *Visitor
	expires time.Time
}

const visitorTTL = 10 * time.Second

func newVisitorCache() *visitorCache {
	return &visitorCache{ttl: visitorTTL, max: 50000, entries: map[string]cachedVisitor{}}
}

func (c *visitorCache) get(hash string, now time.Time) *Visitor {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || now.After(e.expires) {
		return nil
	}
	return e.v
}

func (c *visitorCache) put(hash string, v *Visitor, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[hash] = cachedVisitor{v: v, expires: now.Add(c.ttl)}
}

// forget drops every cached session of a person.
func (c *visitorCache) forget(personID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.v.Person != nil && e.v.Person.ID == personID {
			delete(c.entries, k)
		}
	}
}

// drop forgets one session.
func (c *visitorCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, hash)
}
