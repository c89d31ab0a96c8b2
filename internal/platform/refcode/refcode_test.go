package refcode

import (
	"strings"
	"testing"
)

func TestRandom(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := Random(8)
		if len(c) != 8 || strings.Trim(c, Alphabet) != "" {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 999 {
		t.Fatalf("%d distinct codes of 1000", len(seen))
	}
	if strings.ContainsAny(Alphabet, "01IOL") {
		t.Fatal("the alphabet holds a character people confuse")
	}
}
