package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"madina/internal/platform/config"
	"madina/internal/platform/password"
	"madina/internal/platform/password/passwordtest"
)

// The one test that stays in package app: it reads the hasher the
// application was built with, which the package keeps to itself. Every
// other test of the whole application is in package app_test, on
// internal/apptest (which this package's own tests cannot import: apptest
// imports app).

// TestProductionHasherParams checks that the application built without
// options hashes passwords with the production parameters, the ones
// documented in docs/PERFORMANCE.md ("Sign-in: argon2id") and
// docs/ARCHITECTURE.md: argon2id, m = 64 MiB, t = 2, p = 1, 16-byte salt,
// 32-byte key. Every other test uses passwordtest's cheap ones.
func TestProductionHasherParams(t *testing.T) {
	t.Parallel()
	cfg := config.Config{DataDir: t.TempDir(), Workers: 1}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	documented := password.Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := a.env.Hasher.Params(); got != documented || password.DefaultParams != documented {
		t.Fatalf("production hasher %+v, DefaultParams %+v; documented %+v", got, password.DefaultParams, documented)
	}
	phc, err := a.env.Hasher.Hash(context.Background(), "une phrase assez longue")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=2,p=1$") {
		t.Fatalf("production hash %q", phc)
	}
	if passwordtest.Params == documented {
		t.Fatal("the test parameters are the production ones")
	}
}
