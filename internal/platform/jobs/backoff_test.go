package jobs

import (
	"strings"
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	q := New(nil, nil, Options{RetryBase: time.Second, RetryMax: time.Minute})
	for n := 1; n <= 40; n++ {
		want := min(time.Second<<min(n-1, 20), time.Minute)
		for range 50 {
			got := q.backoff(n)
			if got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, got, want/2, want)
			}
		}
	}
}

func TestClipKeepsRunes(t *testing.T) {
	s := strings.Repeat("خطأ ", maxErrorLen)
	c := clip(s)
	if len(c) > maxErrorLen+len("…") || !strings.HasSuffix(c, "…") {
		t.Fatalf("clip length %d", len(c))
	}
	for _, r := range c {
		if r == '\uFFFD' {
			t.Fatal("clip cut a rune")
		}
	}
}
