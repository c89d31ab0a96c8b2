package password

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// cheap are parameters that make tests fast; the code paths are the same.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func mustHasher(tb testing.TB, p Params, n int) *Hasher {
	tb.Helper()
	h, err := NewHasherParams(p, n)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// Hashes produced by the reference implementation (phc-winner-argon2,
// src/test.c) for the password "password": proves the encoding (unpadded
// standard base64, parameter order) interoperates.
func TestReferenceVectors(t *testing.T) {
	vectors := []string{
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	}
	h := NewHasher(2)
	for _, phc := range vectors {
		ok, rehash, err := h.Verify(context.Background(), "password", phc)
		if err != nil || !ok {
			t.Errorf("Verify(password, %s) = %v, %v; want true", phc, ok, err)
		}
		// The reference vectors use an 8-byte salt, not DefaultParams.
		if !rehash {
			t.Errorf("Verify(%s): needsRehash = false, want true", phc)
		}
		if ok, _, err := h.Verify(context.Background(), "passwore", phc); ok || err != nil {
			t.Errorf("Verify(passwore, %s) = %v, %v; want false, nil", phc, ok, err)
		}
	}
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := mustHasher(t, cheap, 2)
	pw := "كلمة مرور طويلة بما يكفي"
	a, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !phcRE.MatchString(a) {
		t.Errorf("Hash = %q, not a PHC string with the chosen params", a)
	}
	b, _ := h.Hash(ctx, pw)
	if a == b {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if ok, rehash, err := h.Verify(ctx, pw, a); !ok || rehash || err != nil {
		t.Errorf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, err := h.Verify(ctx, pw+" ", a); ok || err != nil {
		t.Errorf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	// A tampered hash byte must fail.
	tampered := a[:len(a)-2] + map[bool]string{true: "B", false: "A"}[a[len(a)-2] == 'A'] + a[len(a)-1:]
	if ok, _, _ := h.Verify(ctx, pw, tampered); ok {
		t.Error("Verify accepted a tampered hash")
	}

	// A hasher with stronger params asks for a rehash only on success.
	stronger := cheap
	stronger.Time = 2
	h2 := mustHasher(t, stronger, 1)
	if ok, rehash, err := h2.Verify(ctx, pw, a); !ok || !rehash || err != nil {
		t.Errorf("Verify with new params = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if ok, rehash, _ := h2.Verify(ctx, "nope", a); ok || rehash {
		t.Errorf("Verify(wrong) with new params = %v, %v; want false, false", ok, rehash)
	}
}

func TestNormalisation(t *testing.T) {
	ctx := context.Background()
	h := mustHasher(t, cheap, 1)
	phc, err := h.Hash(ctx, "caf\u00e9 au lait noir") // é composed
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := h.Verify(ctx, "cafe\u0301 au lait noir", phc); !ok { // e + combining acute
		t.Error("decomposed é does not verify against composed é")
	}
	phc, _ = h.Hash(ctx, "\uFEE3\uFEAA\uFEF3\uFEE8\uFE94 2025") // presentation forms
	if ok, _, _ := h.Verify(ctx, "مدينة 2025", phc); !ok {
		t.Error("Arabic presentation forms do not verify against ordinary letters")
	}
}

func TestVerifyRefusesBadHashes(t *testing.T) {
	const salt, key = "c29tZXNhbHRzYWx0c2FsdA", "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	bad := map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012",
		"argon2i":        "$argon2i$v=19$m=65536,t=2,p=1$" + salt + "$" + key,
		"version 16":     "$argon2id$v=16$m=65536,t=2,p=1$" + salt + "$" + key,
		"no version":     "$argon2id$m=65536,t=2,p=1$" + salt + "$" + key,
		"4 GiB":          "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"m overflow":     "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"many passes":    "$argon2id$v=19$m=65536,t=1000,p=1$" + salt + "$" + key,
		"too much work":  "$argon2id$v=19$m=262144,t=4,p=1$" + salt + "$" + key,
		"255 lanes":      "$argon2id$v=19$m=65536,t=2,p=255$" + salt + "$" + key,
		"p overflow":     "$argon2id$v=19$m=65536,t=2,p=257$" + salt + "$" + key,
		"zero lanes":     "$argon2id$v=19$m=65536,t=2,p=0$" + salt + "$" + key,
		"zero passes":    "$argon2id$v=19$m=65536,t=0,p=1$" + salt + "$" + key,
		"m below 8p":     "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key,
		"order":          "$argon2id$v=19$t=2,m=65536,p=1$" + salt + "$" + key,
		"leading zero":   "$argon2id$v=19$m=065536,t=2,p=1$" + salt + "$" + key,
		"plus sign":      "$argon2id$v=19$m=+65536,t=2,p=1$" + salt + "$" + key,
		"missing param":  "$argon2id$v=19$m=65536,t=2$" + salt + "$" + key,
		"extra param":    "$argon2id$v=19$m=65536,t=2,p=1,x=1$" + salt + "$" + key,
		"padded salt":    "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "==$" + key,
		"url base64":     "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + "-" + key[1:],
		"short salt":     "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$" + key,
		"short key":      "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$Q1RGaEZkWFBKTzFh",
		"no key":         "$argon2id$v=19$m=65536,t=2,p=1$" + salt,
		"extra field":    "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + key + "$",
		"leading junk":   "x$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + key,
		"space in param": "$argon2id$v=19$m=65536, t=2,p=1$" + salt + "$" + key,
	}
	h := mustHasher(t, cheap, 1)
	h.derive = func(_, _ []byte, passes, memory uint32, threads uint8, _ uint32) []byte {
		t.Errorf("argon2 ran with m=%d t=%d p=%d on a refused hash", memory, passes, threads)
		return nil
	}
	for name, phc := range bad {
		ok, rehash, err := h.Verify(context.Background(), "password", phc)
		if ok || rehash || !errors.Is(err, ErrHash) {
			t.Errorf("%s: Verify(%q) = %v, %v, %v; want ErrHash", name, phc, ok, rehash, err)
		}
	}
}

func TestParamsValidation(t *testing.T) {
	if _, err := NewHasherParams(DefaultParams, 1); err != nil {
		t.Errorf("DefaultParams refused: %v", err)
	}
	for name, p := range map[string]Params{
		"zero":       {},
		"huge":       {Memory: 1 << 22, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"short salt": {Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		"short key":  {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
	} {
		if _, err := NewHasherParams(p, 1); err == nil {
			t.Errorf("%s params accepted", name)
		}
	}
}

// The semaphore bounds how many argon2 computations, each allocating
// Params.Memory, run at once.
func TestConcurrencyBound(t *testing.T) {
	const limit, callers = 3, 24
	h := mustHasher(t, cheap, limit)
	var inFlight, peak atomic.Int32
	h.derive = func(pw, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer inFlight.Add(-1)
		time.Sleep(5 * time.Millisecond)
		return argon2.IDKey(pw, salt, passes, memory, threads, keyLen)
	}
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > limit {
		t.Errorf("%d hashes ran at once, limit %d", p, limit)
	} else if p < 2 {
		t.Errorf("peak concurrency %d: hashes did not run in parallel at all", p)
	}
}

func TestHashGivesUpWithContext(t *testing.T) {
	h := mustHasher(t, cheap, 1)
	release := make(chan struct{})
	started := make(chan struct{})
	h.derive = func(_, _ []byte, _, _ uint32, _ uint8, keyLen uint32) []byte {
		close(started)
		<-release
		return make([]byte, keyLen)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.Hash(context.Background(), "first in line"); err != nil {
			t.Error(err)
		}
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "second in line"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while the only slot is busy = %v; want deadline exceeded", err)
	}
	if _, _, err := h.Verify(ctx, "x", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify while the only slot is busy = %v; want deadline exceeded", err)
	}
	close(release)
	<-done
}

// The package functions use DefaultParams: the hash they store must not ask
// for a rehash.
func TestPackageFuncs(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB hashes")
	}
	phc, err := Hash("une phrase assez longue")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=2,p=1$") {
		t.Errorf("Hash = %q, want DefaultParams", phc)
	}
	if ok, rehash, err := Verify("une phrase assez longue", phc); !ok || rehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

// BenchmarkHash measures one Hash with DefaultParams against the floor of a
// bare argon2.IDKey with the same parameters. Figures go to
// docs/PERFORMANCE.md:
//
//	go test -run '^$' -bench Hash -benchmem ./internal/platform/password
func BenchmarkHash(b *testing.B) {
	p := DefaultParams
	b.Run("Hash", func(b *testing.B) {
		h := NewHasher(1)
		for b.Loop() {
			if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("argon2.IDKey", func(b *testing.B) {
		salt := make([]byte, p.SaltLen)
		for b.Loop() {
			argon2.IDKey([]byte("correct horse battery"), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
		}
	})
}
