// Package totp is the second factor staff must use: RFC 6238 codes (SHA-1,
// 6 digits, 30 s, what every authenticator app supports) with replay
// protection, and single-use recovery codes for the day the phone is lost.
package totp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// The one configuration Madina uses; authenticator apps ignore anything
// else in practice.
const (
	period     = 30
	digits     = otp.DigitsSix
	secretSize = 20 // bytes, 160 bits as RFC 4226 §4 recommends
)

var opts = hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1}

// Key is a new TOTP enrolment: the base32 secret to store (encrypted, see
// package secretbox) and the otpauth:// URI to show as a QR code.
type Key struct {
	Secret string
	URI    string
}

// NewSecret creates a random secret for account (the staff member's e-mail)
// at issuer (the name shown in the authenticator app).
func NewSecret(issuer, account string) (Key, error) {
	// The label is "issuer:account"; a colon in either would be misread.
	if strings.TrimSpace(issuer) == "" || strings.TrimSpace(account) == "" ||
		strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return Key{}, fmt.Errorf("totp: issuer %q and account %q must be non-empty and colon-free", issuer, account)
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account,
		Period: period, SecretSize: secretSize, Digits: digits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return Key{}, fmt.Errorf("totp: generate: %w", err)
	}
	return Key{Secret: k.Secret(), URI: k.String()}, nil
}

// Bounds on QRPNG's size, in pixels: smaller cannot hold an otpauth URI,
// larger only wastes memory.
const (
	MinQRSize = 128
	MaxQRSize = 1024
)

// QRPNG renders uri as a size×size PNG QR code (error correction level M)
// for the enrolment page, which embeds it as a data: URI.
func QRPNG(uri string, size int) ([]byte, error) {
	if size < MinQRSize || size > MaxQRSize {
		return nil, fmt.Errorf("totp: QR size %d out of [%d,%d]", size, MinQRSize, MaxQRSize)
	}
	if !strings.HasPrefix(uri, "otpauth://") {
		return nil, errors.New("totp: not an otpauth:// URI")
	}
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	img, err := k.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("totp: QR: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp: PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// Validate reports whether code is the one-time code of secret at now,
// allowing one step (30 s) of clock skew either way, and returns the time
// step it matched. A code whose step is not after lastStep is refused, so a
// code cannot be used twice nor an older one after a newer: the caller
// stores the returned step as the next lastStep (0 for a new enrolment).
// Spaces, dashes and Arabic-Indic digits in code are accepted.
func Validate(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code, valid := normaliseCode(code)
	if !valid {
		return 0, false
	}
	if now.Unix() < period {
		return 0, false // a broken clock; steps before 1 are never valid
	}
	cur := now.Unix() / period
	for s := cur - 1; s <= cur+1; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), opts)
		if err != nil {
			return 0, false // a malformed secret
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > lastStep {
			step, ok = s, true // keep the latest matching step
		}
	}
	return step, ok
}

// normaliseCode returns code as ASCII digits, or false if it is not six
// digits once spaces and dashes are dropped.
func normaliseCode(code string) (string, bool) {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '٠' && r <= '٩': // Arabic-Indic
			b.WriteRune('0' + r - '٠')
		case r >= '۰' && r <= '۹': // Extended Arabic-Indic
			b.WriteRune('0' + r - '۰')
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0' || r == '\u202f':
		default:
			return "", false
		}
		if b.Len() > digits.Length() {
			return "", false
		}
	}
	return b.String(), b.Len() == digits.Length()
}

// Recovery codes: 10 characters in Crockford's base32 alphabet (no i, l, o,
// u; 50 bits), shown as xxxx-xxxx-xx. They are random and long enough that a
// fast hash is right: no one guesses 2^50 codes online, and argon2 would
// only slow the one sign-in that uses one. Each is stored salted —
// hex(salt) ":" hex(SHA-256(salt ‖ code)) — so a stolen table cannot be
// attacked for all users in one pass, and it is only a second factor anyway.
const (
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryLen      = 10
	saltLen          = 16
)

// NewRecoveryCodes returns n fresh recovery codes to show once, and what to
// store for each. The caller deletes a stored hash once MatchRecovery has
// matched it: every code works once.
func NewRecoveryCodes(n int) (plain []string, hashes []string) {
	plain, hashes = make([]string, n), make([]string, n)
	for i := range n {
		raw := make([]byte, recoveryLen)
		rand.Read(raw) // never fails (crypto/rand since Go 1.24)
		for j, c := range raw {
			raw[j] = recoveryAlphabet[c&31] // 256 is a multiple of 32: unbiased
		}
		code := string(raw)
		plain[i] = code[:4] + "-" + code[4:8] + "-" + code[8:]
		salt := make([]byte, saltLen)
		rand.Read(salt)
		hashes[i] = hashRecovery(salt, code)
	}
	return plain, hashes
}

func hashRecovery(salt []byte, code string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(code))
	return hex.EncodeToString(salt) + ":" + hex.EncodeToString(h.Sum(nil))
}

// MatchRecovery returns the index in hashes of the code, or -1. Case,
// spaces and dashes do not matter, and the look-alikes o→0, i and l→1 are
// read as Crockford's alphabet intends. Every stored hash is compared, in
// constant time.
func MatchRecovery(code string, hashes []string) (index int) {
	code, ok := normaliseRecovery(code)
	index = -1
	for i, stored := range hashes {
		saltHex, _, found := strings.Cut(stored, ":")
		salt, err := hex.DecodeString(saltHex)
		if !found || err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hashRecovery(salt, code)), []byte(stored)) == 1 && ok && index < 0 {
			index = i
		}
	}
	return index
}

func normaliseRecovery(code string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0':
			continue
		case r == 'o':
			r = '0'
		case r == 'i' || r == 'l':
			r = '1'
		case r >= '٠' && r <= '٩':
			r = '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			r = '0' + r - '۰'
		}
		if r > 0x7f || !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
		if b.Len() > recoveryLen {
			return "", false
		}
	}
	return b.String(), b.Len() == recoveryLen
}
