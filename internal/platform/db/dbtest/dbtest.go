// Package dbtest gives store tests a fresh, migrated database on each
// engine: SQLite always, PostgreSQL when MADINA_TEST_DATABASE_URL is set.
// Each test gets its own SQLite file or PostgreSQL schema, so tests run in
// parallel without seeing each other's rows.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/testenv"
	"madina/migrations"
)

// EnvURL is the variable naming the PostgreSQL test database.
const EnvURL = "MADINA_TEST_DATABASE_URL"

// Engines lists the engines to run store tests on.
func Engines() []db.Engine { return []db.Engine{db.SQLite, db.Postgres} }

// Run runs f once per engine as subtests named "sqlite" and "postgres",
// each with its own fresh migrated database.
func Run(t *testing.T, f func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			f(t, Open(t, e))
		})
	}
}

// Open returns a fresh migrated database of engine e, closed and dropped
// when t ends.
func Open(t testing.TB, e db.Engine) *db.DB {
	t.Helper()
	d := OpenEmpty(t, e)
	ms, err := migrations.For(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(context.Background(), ms); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return d
}

// URL returns a connection URL to a fresh, empty database of engine e (a
// file path for SQLite, a URL with its own search_path for PostgreSQL),
// for tests that start the real binary.
func URL(t testing.TB, e db.Engine) string {
	t.Helper()
	ctx := context.Background()
	switch e {
	case db.SQLite:
		return filepath.Join(t.TempDir(), "madina.db")
	case db.Postgres:
		base := os.Getenv(EnvURL)
		testenv.Need(t, "postgres", base != "", EnvURL+" is not set")
		admin, err := db.Open(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", EnvURL, err)
		}
		defer admin.Close()
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			a, err := db.Open(context.Background(), base)
			if err != nil {
				return
			}
			defer a.Close()
			_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse %s: %v", EnvURL, err)
		}
		q := u.Query()
		// public after the test's own schema: PostGIS lives there.
		q.Set("search_path", schema+",public")
		u.RawQuery = q.Encode()
		return u.String()
	}
	t.Fatalf("unknown engine %q", e)
	return ""
}

// OpenEmpty returns a fresh database without migrations.
func OpenEmpty(t testing.TB, e db.Engine) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), URL(t, e))
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
