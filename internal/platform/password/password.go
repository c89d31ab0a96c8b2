// Package password hashes (argon2id, PHC strings, so parameters can rise and
// old hashes upgrade at sign-in) and vets passwords; a semaphore bounds the
// hashes in flight, because each one allocates Params.Memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Params are argon2id's cost parameters and output sizes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the parameters new hashes use.
//
// RFC 9106 §4 recommends argon2id with as much memory as the budget allows;
// OWASP's password storage cheat sheet gives m=46 MiB,t=1 or m=19 MiB,t=2 as
// the minimum. We take m=64 MiB, t=2, p=1: about 100 ms of one core per hash
// on the 2-core production machine (see BenchmarkHash and
// docs/PERFORMANCE.md), twice OWASP's memory floor at twice its passes. One
// lane keeps a sign-in on one core, so the other core keeps serving pages;
// p=2 would halve latency but not raise throughput. 16-byte salt and 32-byte
// key as RFC 9106 recommends.
var DefaultParams = Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on the parameters Verify accepts from a stored hash. A hash is data:
// a corrupted or planted row asking for m=4 GiB must not take the server down.
// The bounds leave room to raise DefaultParams fourfold.
const (
	MaxMemory  = 256 * 1024        // KiB
	MaxTime    = 8                 // passes
	MaxWork    = 4 * 2 * 64 * 1024 // Memory×Time, KiB·passes: 4× DefaultParams
	MaxThreads = 8
	minSaltLen = 8 // the reference implementation's minimum
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

// ErrHash reports a stored hash that is malformed, not argon2id v19, or has
// parameters outside the accepted bounds.
var ErrHash = errors.New("password: malformed or unsupported hash")

// Hasher hashes and verifies passwords with at most a fixed number of argon2
// computations in flight; the others wait their turn.
type Hasher struct {
	params Params
	sem    chan struct{}
	// derive is argon2.IDKey; tests replace it to observe concurrency.
	derive func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

// NewHasher returns a Hasher using DefaultParams and running at most
// maxConcurrent hashes at once (at least 1). Peak memory is about
// maxConcurrent × 64 MiB; the number of cores is a sensible value, since
// more concurrent hashes only add latency.
func NewHasher(maxConcurrent int) *Hasher {
	h, err := NewHasherParams(DefaultParams, maxConcurrent)
	if err != nil {
		panic(err) // DefaultParams are valid; a test checks it
	}
	return h
}

// NewHasherParams is NewHasher with other parameters, e.g. cheap ones in
// tests.
func NewHasherParams(p Params, maxConcurrent int) (*Hasher, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("password: params: %w", err)
	}
	if p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen || p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen {
		return nil, fmt.Errorf("password: params: salt or key length out of bounds")
	}
	if maxConcurrent < 1 {
		maxConcurrent = 1
	}
	return &Hasher{params: p, sem: make(chan struct{}, maxConcurrent), derive: argon2.IDKey}, nil
}

// Params returns the parameters h uses for new hashes.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string of pw with a fresh random salt. It waits for a
// free slot, giving up when ctx ends.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key, err := h.run(ctx, pw, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether pw matches the PHC string phc, comparing in
// constant time. needsRehash is true when pw matches but phc was made with
// other parameters than h's: the caller should store a fresh Hash(pw). A
// malformed, unsupported or out-of-bounds phc returns ErrHash.
func (h *Hasher) Verify(ctx context.Context, pw, phc string) (ok, needsRehash bool, err error) {
	p, salt, want, err := decode(phc)
	if err != nil {
		return false, false, err
	}
	got, err := h.run(ctx, pw, salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

func (h *Hasher) run(ctx context.Context, pw string, salt []byte, p Params) ([]byte, error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
	defer func() { <-h.sem }()
	// NFKC, as NIST SP 800-63B §5.1.1.2 advises: the same password typed on
	// another keyboard (composed or decomposed accents, Arabic presentation
	// forms) must still match.
	return h.derive([]byte(norm.NFKC.String(pw)), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

var std = NewHasher(runtime.GOMAXPROCS(0))

// Hash is Hasher.Hash on a package Hasher with DefaultParams and one slot
// per core, without cancellation.
func Hash(pw string) (string, error) { return std.Hash(context.Background(), pw) }

// Verify is Hasher.Verify on the package Hasher, without cancellation.
func Verify(pw, phc string) (ok, needsRehash bool, err error) {
	return std.Verify(context.Background(), pw, phc)
}

func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > MaxThreads:
		return fmt.Errorf("threads %d out of [1,%d]", p.Threads, MaxThreads)
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("time %d out of [1,%d]", p.Time, MaxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxMemory:
		return fmt.Errorf("memory %d KiB out of [%d,%d]", p.Memory, 8*uint32(p.Threads), MaxMemory)
	case uint64(p.Memory)*uint64(p.Time) > MaxWork:
		return fmt.Errorf("work m×t=%d out of bounds", uint64(p.Memory)*uint64(p.Time))
	}
	return nil
}

var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses "$argon2id$v=19$m=…,t=…,p=…$salt$hash" strictly: fields in
// that order, decimal numbers without signs or leading zeros, unpadded
// standard base64, every parameter within bounds.
func decode(phc string) (p Params, salt, key []byte, err error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrHash, why)
	}
	f := strings.Split(phc, "$")
	if len(f) != 6 || f[0] != "" {
		return fail("not a PHC string")
	}
	if f[1] != "argon2id" {
		return fail("algorithm is not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("version is not 19")
	}
	ps := strings.Split(f[3], ",")
	if len(ps) != 3 {
		return fail("parameters")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(ps[i], name+"=")
		if !ok || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
			return fail("parameter " + name)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fail("parameter " + name)
		}
		vals[i] = n
	}
	if vals[2] > MaxThreads {
		return fail("parameter p out of bounds")
	}
	p = Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := p.validate(); err != nil {
		return fail(err.Error())
	}
	if salt, err = b64.DecodeString(f[4]); err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return fail("salt")
	}
	if key, err = b64.DecodeString(f[5]); err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return fail("hash")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
