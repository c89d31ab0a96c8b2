// Package ratelimit slows guessing and flooding (sign-in, sign-up, codes,
// public forms) with an in-memory token bucket per key; memory stays bounded
// whatever the keys, as idle buckets expire and their number is capped.
package ratelimit

import (
	"container/list"
	"crypto/sha256"
	"math"
	"sync"
	"time"
)

// DefaultMaxKeys is the cap on buckets unless WithMaxKeys says otherwise:
// about 16 MB of buckets (160 bytes each, measured), enough to remember
// every address that tried to sign in within a busy ttl.
const DefaultMaxKeys = 100_000

// maxKeyLen bounds the bytes stored per key; longer keys (an attacker's
// 10 kB "e-mail address") are stored as their SHA-256.
const maxKeyLen = 128

// Limiter allows each key a burst of events, then rate events per second.
// It is safe for concurrent use.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	ttl   time.Duration
	max   int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	lru     list.List                // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time // last refill, also last use
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(l *Limiter) { l.now = now } }

// WithMaxKeys sets the cap on buckets (at least 1).
func WithMaxKeys(n int) Option { return func(l *Limiter) { l.max = max(n, 1) } }

// New returns a Limiter allowing burst events at once per key, refilled at
// rate per second. A key unused for ttl is forgotten; ttl is raised to the
// time a bucket takes to refill, since forgetting a bucket sooner would
// hand out a fresh burst early. rate must be positive and burst at least 1.
func New(rate float64, burst int, ttl time.Duration, opts ...Option) *Limiter {
	if !(rate > 0) || math.IsInf(rate, 0) || burst < 1 {
		panic("ratelimit: rate must be positive and finite, burst at least 1")
	}
	refill := time.Duration(float64(burst) / rate * float64(time.Second))
	l := &Limiter{
		rate: rate, burst: float64(burst), ttl: max(ttl, refill),
		max: DefaultMaxKeys, now: time.Now,
		buckets: map[string]*list.Element{},
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Allow takes one token from key's bucket. When none is left it returns
// false and how long until one is, rounded up to whole seconds for the
// Retry-After header (at least 1 s).
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if len(key) > maxKeyLen {
		sum := sha256.Sum256([]byte(key))
		key = string(sum[:])
	}
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)

	var b *bucket
	if e, found := l.buckets[key]; found {
		b = e.Value.(*bucket)
		if elapsed := now.Sub(b.last); elapsed > 0 {
			b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		}
		b.last = now
		l.lru.MoveToFront(e)
	} else {
		for len(l.buckets) >= l.max {
			l.remove(l.lru.Back()) // least recently used
		}
		b = &bucket{key: key, tokens: l.burst, last: now}
		l.buckets[key] = l.lru.PushFront(b)
	}

	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, max(time.Second, (wait + time.Second - 1).Truncate(time.Second))
}

// expire forgets buckets idle for ttl. They sit at the back of the list, so
// each call does work only for the buckets it removes.
func (l *Limiter) expire(now time.Time) {
	for e := l.lru.Back(); e != nil && now.Sub(e.Value.(*bucket).last) >= l.ttl; e = l.lru.Back() {
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).key)
	l.lru.Remove(e)
}

// Len returns the number of buckets held, for metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
