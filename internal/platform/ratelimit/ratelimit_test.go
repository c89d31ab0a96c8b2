package ratelimit

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one call in a scenario: advance the clock, then Allow(key).
type step struct {
	advance time.Duration
	key     string
	ok      bool
	retry   time.Duration
}

func TestAllow(t *testing.T) {
	cases := []struct {
		name  string
		rate  float64
		burst int
		ttl   time.Duration
		steps []step
	}{
		{"burst then refill", 1, 3, time.Hour, []step{
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, time.Second},
			{500 * time.Millisecond, "a", false, time.Second}, // 0.5 s rounds up to 1 s
			{500 * time.Millisecond, "a", true, 0},
			{0, "a", false, time.Second},
			{10 * time.Second, "a", true, 0}, // refilled to the burst, no more
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, time.Second},
		}},
		{"keys are independent", 1, 1, time.Hour, []step{
			{0, "1.2.3.4", true, 0},
			{0, "1.2.3.4", false, time.Second},
			{0, "5.6.7.8", true, 0},
			{0, "5.6.7.8", false, time.Second},
		}},
		{"slow rate: Retry-After in whole seconds", 0.1, 1, time.Hour, []step{
			{0, "a", true, 0},
			{0, "a", false, 10 * time.Second},
			{3500 * time.Millisecond, "a", false, 7 * time.Second}, // 6.5 s → 7 s
			{6 * time.Second, "a", false, time.Second},             // 0.5 s → 1 s
			{500 * time.Millisecond, "a", true, 0},
		}},
		{"denied calls do not spend tokens", 1, 1, time.Hour, []step{
			{0, "a", true, 0},
			{0, "a", false, time.Second},
			{0, "a", false, time.Second},
			{time.Second, "a", true, 0},
		}},
		{"idle key expires and starts fresh", 1.0 / 60, 2, 5 * time.Minute, []step{
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, 60 * time.Second},
			{5 * time.Minute, "a", true, 0},
			{0, "a", true, 0},
		}},
		{"ttl shorter than refill is raised to it", 1, 5, time.Second, []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0},
			{2 * time.Second, "a", true, 0}, // two tokens back, not a fresh five
			{0, "a", true, 0},
			{0, "a", false, time.Second},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			l := New(c.rate, c.burst, c.ttl, WithClock(clk.Now))
			for i, s := range c.steps {
				clk.Advance(s.advance)
				ok, retry := l.Allow(s.key)
				if ok != s.ok || retry != s.retry {
					t.Errorf("step %d: Allow(%q) = %v, %v; want %v, %v", i, s.key, ok, retry, s.ok, s.retry)
				}
			}
		})
	}
}

func TestIdleKeysAreForgotten(t *testing.T) {
	clk := newClock()
	l := New(1, 1, time.Minute, WithClock(clk.Now))
	for i := range 100 {
		l.Allow(fmt.Sprint("old", i))
	}
	clk.Advance(time.Minute)
	l.Allow("new")
	if n := l.Len(); n != 1 {
		t.Errorf("%d buckets after the ttl, want 1", n)
	}
}

// When full, the least recently used key goes, not one in active use.
func TestEvictsLeastRecentlyUsed(t *testing.T) {
	clk := newClock()
	l := New(1.0/3600, 1, 24*time.Hour, WithClock(clk.Now), WithMaxKeys(3))
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(k) // each now empty for an hour
	}
	l.Allow("a") // a is used again; b is now the least recent
	l.Allow("d") // evicts b
	if n := l.Len(); n != 3 {
		t.Fatalf("%d buckets, cap 3", n)
	}
	for _, k := range []string{"a", "c", "d"} {
		if ok, _ := l.Allow(k); ok {
			t.Errorf("%s was evicted: its empty bucket was forgotten", k)
		}
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("b was not the one evicted")
	}
}

// A flood of distinct keys cannot grow memory past the cap.
func TestMemoryBounded(t *testing.T) {
	const limit = 10_000
	clk := newClock()
	l := New(1, 5, time.Hour, WithClock(clk.Now), WithMaxKeys(limit))
	for i := range 1_000_000 {
		if ok, _ := l.Allow(fmt.Sprint("203.0.113.", i)); !ok {
			t.Fatalf("new key %d refused", i)
		}
		if i%1000 == 0 {
			clk.Advance(time.Millisecond) // a flood, well inside the ttl
		}
	}
	l.mu.Lock()
	n, lruLen := len(l.buckets), l.lru.Len()
	l.mu.Unlock()
	if n > limit || lruLen != n {
		t.Errorf("map holds %d keys, list %d; cap %d", n, lruLen, limit)
	}
	// Long keys are stored as a fixed-size digest, but stay distinct.
	long := strings.Repeat("x", 10_000)
	l.Allow(long + "1")
	l.Allow(long + "2")
	l.mu.Lock()
	for k := range l.buckets {
		if len(k) > maxKeyLen {
			t.Errorf("a %d-byte key is stored", len(k))
		}
	}
	l.mu.Unlock()
	for range 4 {
		l.Allow(long + "1")
	}
	if ok, _ := l.Allow(long + "1"); ok {
		t.Error("a long key was not limited")
	}
	if ok, _ := l.Allow(long + "2"); !ok {
		t.Error("two long keys with one prefix share a bucket")
	}
}

// Concurrent callers on a frozen clock get exactly burst tokens per key.
func TestConcurrent(t *testing.T) {
	const burst, keys, workers, calls = 50, 4, 8, 500
	clk := newClock()
	l := New(1, burst, time.Hour, WithClock(clk.Now))
	var allowed [keys]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				k := (w + i) % keys
				if ok, _ := l.Allow(fmt.Sprint("k", k)); ok {
					allowed[k].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for k := range keys {
		if got := allowed[k].Load(); got != burst {
			t.Errorf("key %d: %d allowed, want exactly %d", k, got, burst)
		}
	}
}

func TestNewRefusesNonsense(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		burst int
	}{{0, 1}, {-1, 1}, {1, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v, %d) did not panic", c.rate, c.burst)
				}
			}()
			New(c.rate, c.burst, time.Minute)
		}()
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(10, 20, time.Minute)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("198.51.100.", i)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)])
			i++
		}
	})
}
