// Package secretbox encrypts small secrets at rest (TOTP secrets, OIDC state)
// and signs cookies and CSRF tokens from one server key, so a copy of the
// database alone reveals no second factor and forges no session.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of the server key in bytes.
const KeySize = 32

// version prefixes sealed strings so the format can change without
// ambiguity; v1 is AES-256-GCM, 96-bit random nonce, base64url without
// padding of nonce ‖ ciphertext ‖ tag.
const version = "v1."

// ErrOpen reports a sealed string that does not open: wrong key, tampered
// or truncated text, or another aad than it was sealed with.
var ErrOpen = errors.New("secretbox: cannot open: wrong key, altered text or wrong context")

// Box seals and opens with one key. It is safe for concurrent use.
type Box struct {
	aead   cipher.AEAD
	master []byte
}

// New returns a Box for a KeySize-byte key. The AES key and every signing
// key are derived from it with HKDF-SHA256 under distinct labels, so no two
// uses share a key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), KeySize)
	}
	master := append([]byte(nil), key...)
	block, err := aes.NewCipher(derive(master, "madina secretbox v1 aes-256-gcm"))
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead, master: master}, nil
}

func derive(master []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, master, nil, label, KeySize)
	if err != nil {
		panic(err) // 32 bytes are far below HKDF-SHA256's limit
	}
	return k
}

// Seal encrypts plain and binds it to aad, which must be given again to
// Open: say "totp:" + user ID, so a sealed secret copied into another row
// does not open. A random nonce per call keeps it safe for far more seals
// (2^32) than Madina will make with one key.
func (b *Box) Seal(plain []byte, aad string) string {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	rand.Read(nonce) // never fails (crypto/rand since Go 1.24)
	out := b.aead.Seal(nonce, nonce, plain, []byte(aad))
	return version + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a string from Seal made with the same key and aad.
func (b *Box) Open(sealed, aad string) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return nil, fmt.Errorf("secretbox: unknown format: %w", ErrOpen)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Signer makes and checks HMAC-SHA256 tags under a key derived for one
// purpose ("session-cookie", "csrf"), so a tag made for one purpose is
// worthless for another.
type Signer struct{ key []byte }

// Signer returns the Signer for purpose.
func (b *Box) Signer(purpose string) *Signer {
	return &Signer{key: derive(b.master, "madina secretbox v1 hmac-sha256 "+purpose)}
}

// Sign returns the tag of data, base64url without padding (43 characters).
func (s *Signer) Sign(data []byte) string {
	m := hmac.New(sha256.New, s.key)
	m.Write(data)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether tag is Sign(data), in constant time.
func (s *Signer) Verify(data []byte, tag string) bool {
	got, err := base64.RawURLEncoding.Strict().DecodeString(tag)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(data)
	return hmac.Equal(got, m.Sum(nil))
}
