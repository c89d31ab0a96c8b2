package secretbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func mustBox(tb testing.TB, key []byte) *Box {
	tb.Helper()
	b, err := New(key)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var (
	key7 = bytes.Repeat([]byte{7}, KeySize)
	key8 = bytes.Repeat([]byte{8}, KeySize)
)

func TestNewKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestSealOpen(t *testing.T) {
	b := mustBox(t, key7)
	for _, plain := range [][]byte{[]byte("JBSWY3DPEHPK3PXP"), {}, bytes.Repeat([]byte("سر"), 1000)} {
		s := b.Seal(plain, "totp:42")
		if !strings.HasPrefix(s, "v1.") {
			t.Errorf("Seal = %q, want v1. prefix", s)
		}
		if len(plain) > 0 && strings.Contains(s, string(plain)) {
			t.Error("sealed text contains the plaintext")
		}
		got, err := b.Open(s, "totp:42")
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
	}
	if b.Seal([]byte("x"), "a") == b.Seal([]byte("x"), "a") {
		t.Error("two seals are equal: nonce not random")
	}
}

func TestOpenRefuses(t *testing.T) {
	b := mustBox(t, key7)
	s := b.Seal([]byte("JBSWY3DPEHPK3PXP"), "totp:42")
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "v1."))
	flip := func(i int) string {
		r := bytes.Clone(raw)
		r[i] ^= 1
		return "v1." + base64.RawURLEncoding.EncodeToString(r)
	}
	cases := map[string]struct {
		box         *Box
		sealed, aad string
	}{
		"wrong key":        {mustBox(t, key8), s, "totp:42"},
		"wrong aad":        {b, s, "totp:43"},
		"empty aad":        {b, s, ""},
		"nonce altered":    {b, flip(0), "totp:42"},
		"body altered":     {b, flip(14), "totp:42"},
		"tag altered":      {b, flip(len(raw) - 1), "totp:42"},
		"truncated":        {b, s[:len(s)-4], "totp:42"},
		"too short":        {b, "v1.AAAA", "totp:42"},
		"other version":    {b, "v2." + strings.TrimPrefix(s, "v1."), "totp:42"},
		"no version":       {b, strings.TrimPrefix(s, "v1."), "totp:42"},
		"not base64url":    {b, "v1.!!!!" + strings.TrimPrefix(s, "v1.")[4:], "totp:42"},
		"padded":           {b, s + "=", "totp:42"},
		"empty":            {b, "", "totp:42"},
		"plaintext stored": {b, "JBSWY3DPEHPK3PXP", "totp:42"},
	}
	for name, c := range cases {
		if got, err := c.box.Open(c.sealed, c.aad); !errors.Is(err, ErrOpen) || got != nil {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", name, got, err)
		}
	}
}

// Secrets sealed today must open after any upgrade: this string was sealed
// by v1 with key7 and aad "totp:42". If this test fails, the format or the
// key derivation changed and every stored secret is lost.
func TestOpenGolden(t *testing.T) {
	const sealed = "v1.kk6GD1_bbVslNLzJbsUaMzXLtzIihdl3MQ3hRT6MMS2z4eDTgTc8D4wGt84"
	got, err := mustBox(t, key7).Open(sealed, "totp:42")
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("Open(golden) = %q, %v", got, err)
	}
}

func TestSigner(t *testing.T) {
	b := mustBox(t, key7)
	csrf, cookie := b.Signer("csrf"), b.Signer("session-cookie")
	data := []byte("session-1")
	tag := csrf.Sign(data)

	// The derivation is HKDF-SHA256(key, info=label) then HMAC-SHA256; pinned
	// because changing it logs everyone out (the tag was made with
	// golang.org/x/crypto/hkdf, before the switch to crypto/hkdf).
	if want := "4m3MXCJTtPTF5PTUjoP66fi-Zv4vC0pflU0rAIAqBlY"; tag != want {
		t.Errorf("Sign = %s, want %s", tag, want)
	}
	if len(tag) != 43 {
		t.Errorf("tag %q is %d characters, want 43", tag, len(tag))
	}

	if !csrf.Verify(data, tag) {
		t.Error("Verify refused its own tag")
	}
	if !mustBox(t, key7).Signer("csrf").Verify(data, tag) {
		t.Error("a Box with the same key refused the tag")
	}
	if cookie.Verify(data, tag) {
		t.Error("a csrf tag verified as a session-cookie tag")
	}
	if mustBox(t, key8).Signer("csrf").Verify(data, tag) {
		t.Error("another key verified the tag")
	}
	if csrf.Verify([]byte("session-2"), tag) {
		t.Error("the tag verified other data")
	}
	// The raw key is never the HMAC key.
	raw := hmac.New(sha256.New, key7)
	raw.Write(data)
	if csrf.Verify(data, base64.RawURLEncoding.EncodeToString(raw.Sum(nil))) {
		t.Error("an HMAC under the raw master key verified")
	}
	for _, bad := range []string{"", tag[:42], tag + "A", tag + "=", strings.ToUpper(tag), "!" + tag[1:]} {
		if csrf.Verify(data, bad) {
			t.Errorf("Verify accepted %q", bad)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "secret.key") // the data dir may not exist yet
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != KeySize || bytes.Equal(k1, make([]byte, KeySize)) {
		t.Fatalf("key = %x", k1)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %o, want 600", perm)
	}
	text, _ := os.ReadFile(path)
	if parsed, err := ParseKey(string(text)); err != nil || !bytes.Equal(parsed, k1) {
		t.Errorf("key file %q does not hold the key: %v", text, err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second load = %x, %v; want the first key", k2, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("data dir holds %d entries, want only the key (temp files left?)", len(ents))
	}
}

func TestLoadOrCreateKeyRefusesBadFile(t *testing.T) {
	for name, content := range map[string]string{
		"empty":     "",
		"not b64":   "not a key at all\n",
		"short key": base64.StdEncoding.EncodeToString(make([]byte, 16)),
	} {
		path := filepath.Join(t.TempDir(), "secret.key")
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := LoadOrCreateKey(path); err == nil {
			t.Errorf("%s: a malformed key file was accepted", name)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("%s: the malformed key file was replaced", name)
		}
	}
}

// Processes starting together must agree on one key.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	const n = 16
	keys := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got another key than caller 0", i)
		}
	}
}

func TestParseKey(t *testing.T) {
	want := bytes.Repeat([]byte{0xAB}, KeySize)
	s := base64.StdEncoding.EncodeToString(want)
	if got, err := ParseKey("  " + s + "\n"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("ParseKey = %x, %v", got, err)
	}
	for _, bad := range []string{"", strings.TrimRight(s, "="), base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xFF}, KeySize)), base64.StdEncoding.EncodeToString(want[:31])} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

// TestDeriveGolden pins the derived keys: these were computed with
// golang.org/x/crypto/hkdf before the switch to the standard library's
// crypto/hkdf. If this test fails, every sealed secret and signed cookie
// made before is lost.
func TestDeriveGolden(t *testing.T) {
	for label, want := range map[string]string{
		"madina secretbox v1 aes-256-gcm":                "ffe4702c93841665a739b710c63cb6880cc8a45a945b756859c47fa1c343a367",
		"madina secretbox v1 hmac-sha256 csrf":           "67146c3a4124cc0274c68c886867b1714d6e4ad9d541fee4f2538bf09e8ebf76",
		"madina secretbox v1 hmac-sha256 session-cookie": "deca79c7763a881e9bba6ec17b7fd293cdfaf0e4797870b4257b3f97b37a6fe9",
	} {
		if got := hex.EncodeToString(derive(key7, label)); got != want {
			t.Errorf("derive(key7, %q) = %s, want %s", label, got, want)
		}
	}
}
