package signature

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"madina/internal/platform/errs"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/textnorm"
)

// Kind says where a signing key comes from.
type Kind string

const (
	// Issued: Madina generated the key and its built-in CA certified it.
	Issued Kind = "issued"
	// Imported: the signer's own provider certificate and key (PKCS#12).
	Imported Kind = "imported"
)

// MaxAttempts is how many wrong PINs in a row lock a key for good: the
// signer revokes it and enrols again (nobody, the server included, can
// open the key without the PIN, so there is nothing to reset).
const MaxAttempts = 5

// Key is a signer's key as stored: its certificate, the sealed private
// key and its PIN counter.
type Key struct {
	ID         int64
	Person     int64
	Kind       Kind
	Serial     string // lower-case hex
	Subject    string
	Issuer     string
	Cert       *x509.Certificate
	Chain      []*x509.Certificate // the CA certificates up to the root
	SealedKey  string
	PINSalt    []byte
	NotBefore  time.Time
	NotAfter   time.Time
	CreatedAt  time.Time
	Failed     int // wrong PINs since the last right one
	LockedAt   *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	RevokedBy  int64
	Reason     int
}

// State is what a key's holder can do with it now.
type State string

const (
	Active  State = "active"
	Locked  State = "locked"
	Expired State = "expired"
	Revoked State = "revoked"
)

// StateAt is k's state at now.
func (k Key) StateAt(now time.Time) State {
	switch {
	case k.RevokedAt != nil:
		return Revoked
	case k.LockedAt != nil:
		return Locked
	case !now.Before(k.NotAfter):
		return Expired
	}
	return Active
}

// AttemptsLeft is how many wrong PINs the key still takes before it locks.
func (k Key) AttemptsLeft() int { return max(MaxAttempts-k.Failed, 0) }

// Act names what one unlock signs, for the audit chain: the object (a
// permit file's receipt, a decision, minutes) and, when known, the SHA-256
// of what is signed.
type Act struct {
	// Signer is whose signature the act asks for; 0 means the actor's own.
	// Anyone else's is refused: a signer signs only as themself.
	Signer     int64
	ObjectType string // "permit_file", "pdf", …
	ObjectID   string
	Purpose    string // "receipt", "decision", "minutes", …
	Digest     string // hex SHA-256 of the document, optional
}

// Signer is one signer's key, unlocked with their PIN for one act: a
// crypto.Signer whose Sign works once (a PAdES signature is one signing
// operation; the time stamp is the TSA's), with the certificate and the
// chain to embed. Unlock makes it; nothing keeps it after the act.
type Signer struct {
	Person int64
	KeyID  int64
	Cert   *x509.Certificate
	Chain  []*x509.Certificate // issuing CA first, root last

	mu   sync.Mutex
	key  crypto.Signer
	used bool
}

var _ crypto.Signer = (*Signer)(nil)

// ErrUsed is a second signature asked of a one-act Signer.
var ErrUsed = errors.New("signature: this unlocked key has signed already: unlock it again for another act")

// Public is the certificate's public key.
func (s *Signer) Public() crypto.PublicKey { return s.Cert.PublicKey }

// Sign signs digest once; the key is dropped afterwards.
func (s *Signer) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used {
		return nil, ErrUsed
	}
	s.used = true
	k := s.key
	s.key = nil
	return k.Sign(r, digest, opts)
}

// PIN rules: 6 to 12 digits, not all the same digit, not a plain run
// (123456, 987654).
const (
	MinPIN = 6
	MaxPIN = 12
)

// NormPIN is a PIN as typed, with Arabic-Indic digits (the Arabic phone
// keyboards') as ASCII ones and surrounding spaces dropped: the same PIN
// whichever keyboard types it.
func NormPIN(s string) string { return strings.TrimSpace(textnorm.Digits(s)) }

// CheckPIN refuses a PIN that breaks the rules, on field (both taken
// through NormPIN by the caller).
func CheckPIN(pin, confirm, field string) error {
	if pin == "" {
		return errs.E(errs.Invalid, "signature.error.pin_required").OnField(field)
	}
	if utf8.RuneCountInString(pin) < MinPIN || utf8.RuneCountInString(pin) > MaxPIN || strings.Trim(pin, "0123456789") != "" {
		return errs.E(errs.Invalid, "signature.error.pin_format").With("min", MinPIN).With("max", MaxPIN).OnField(field)
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		same = same && pin[i] == pin[0]
		up = up && pin[i] == pin[i-1]+1
		down = down && pin[i] == pin[i-1]-1
	}
	if same || up || down {
		return errs.E(errs.Invalid, "signature.error.pin_weak").OnField(field)
	}
	if confirm != pin {
		return errs.E(errs.Invalid, "signature.error.pin_mismatch").OnField(field + "_confirm")
	}
	return nil
}

// PINParams are argon2id's costs for the key derived from a PIN: OWASP's
// m=19 MiB, t=2 (about 50 ms of one core), paid at every unlock; the
// attempts counter, not the cost, is what bounds guessing online.
type PINParams struct {
	Memory uint32 // KiB
	Time   uint32
}

// DefaultPINParams are the costs new seals use.
var DefaultPINParams = PINParams{Memory: 19 * 1024, Time: 2}

// sealer seals keys under a PIN and the server key: the PKCS#8 key is
// encrypted with AES-256-GCM under argon2id(PIN, salt), then sealed with
// the server's secret box. Both bind aad (the owner and the certificate),
// so a sealed key moved to another row opens nowhere.
type sealer struct {
	box    *secretbox.Box
	params PINParams
	sem    chan struct{} // bounds the argon2 derivations in flight (memory)
}

func newSealer(box *secretbox.Box, p PINParams) *sealer {
	if p.Memory == 0 {
		p = DefaultPINParams
	}
	return &sealer{box: box, params: p, sem: make(chan struct{}, 2)}
}

func (s *sealer) pinKey(pin string, salt []byte) cipher.AEAD {
	s.sem <- struct{}{}
	k := argon2.IDKey([]byte(pin), salt, s.params.Time, s.params.Memory, 1, 32)
	<-s.sem
	block, err := aes.NewCipher(k)
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// seal returns a fresh salt and key sealed under pin.
func (s *sealer) seal(pkcs8 []byte, pin, aad string) (sealed string, salt []byte) {
	salt = make([]byte, 16)
	rand.Read(salt)
	aead := s.pinKey(pin, salt)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	inner := aead.Seal(nonce, nonce, pkcs8, []byte(aad))
	return s.box.Seal(inner, aad), salt
}

// errWrongPIN is the inner seal refusing the PIN.
var errWrongPIN = errors.New("signature: wrong PIN")

// open returns the PKCS#8 key, errWrongPIN for a wrong PIN, or another
// error when the server key does not open it (a fault, not the signer's).
func (s *sealer) open(sealed string, salt []byte, pin, aad string) ([]byte, error) {
	inner, err := s.box.Open(sealed, aad)
	if err != nil {
		return nil, err
	}
	aead := s.pinKey(pin, salt)
	n := aead.NonceSize()
	if len(inner) < n+aead.Overhead() {
		return nil, errors.New("signature: sealed key too short")
	}
	plain, err := aead.Open(nil, inner[:n], inner[n:], []byte(aad))
	if err != nil {
		return nil, errWrongPIN
	}
	return plain, nil
}

// ReasonName is the revocation reason's code name.
func (k Key) ReasonName() string { return ReasonName(k.Reason) }

// Organisation is the certificate's organisation, "" if it names none.
func (k Key) Organisation() string {
	if len(k.Cert.Subject.Organization) == 0 {
		return ""
	}
	return k.Cert.Subject.Organization[0]
}

// SerialGroups is the serial in groups of four hex digits, so that a
// long serial wraps on a phone's screen and reads in chunks.
func (k Key) SerialGroups() string { return groups(k.Serial) }

func groups(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
