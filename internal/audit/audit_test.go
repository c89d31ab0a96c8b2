package audit_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"madina/internal/audit"
)

func TestDigestIsCanonical(t *testing.T) {
	// Fields declared out of order, nested, against maps built in another
	// order: all must hash the same sorted-key JSON.
	type inner struct {
		D []int  `json:"d"`
		C string `json:"c"`
	}
	type outer struct {
		B inner `json:"b"`
		A int   `json:"a"`
	}
	m := map[string]any{}
	m["b"] = map[string]any{"d": []int{1, 2}, "c": "x"}
	m["a"] = 1
	canonical := `{"a":1,"b":{"c":"x","d":[1,2]}}`
	sum := sha256.Sum256([]byte(canonical))
	want := hex.EncodeToString(sum[:])
	for name, change := range map[string]any{
		"struct": outer{B: inner{D: []int{1, 2}, C: "x"}, A: 1},
		"map":    m,
	} {
		got, err := audit.Digest(change)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: Digest = %s, sha256(%s) = %s", name, got, canonical, want)
		}
	}
	other, _ := audit.Digest(map[string]any{"a": 2, "b": map[string]any{"c": "x", "d": []int{1, 2}}})
	if other == want {
		t.Error("a different change has the same digest")
	}
}

// TestComputeHashEncoding pins the documented encoding: changing it would
// make every stored chain fail verification.
func TestComputeHashEncoding(t *testing.T) {
	r := audit.Record{
		Seq:          7,
		At:           time.Date(2026, 3, 1, 11, 0, 0, 123456000, time.FixedZone("+01", 3600)),
		Actor:        "user:42",
		Action:       "district.seed",
		ObjectType:   "district",
		ObjectID:     "anfa",
		ChangeDigest: "ab" + audit.Genesis[2:],
		PrevHash:     audit.Genesis,
	}
	h := sha256.New()
	for _, f := range []string{"madina.audit.v1", "7", "2026-03-01T10:00:00.123456Z", "user:42", "district.seed", "district", "anfa", r.ChangeDigest, audit.Genesis} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		h.Write([]byte(f))
	}
	if got, want := r.ComputeHash(), hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("ComputeHash = %s, want %s", got, want)
	}
	// Moving bytes across a field boundary must change the hash.
	s := r
	s.Actor, s.Action = "user:42d", "istrict.seed"
	if s.ComputeHash() == r.ComputeHash() {
		t.Fatal("field boundaries are ambiguous")
	}
}
