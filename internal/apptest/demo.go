package apptest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"madina/internal/app"
	"madina/internal/complaint/complaintdemo"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
)

// Demo builds the real application, as New does, on the demonstration's
// data (what `madina demo` loads). On SQLite the demonstration is loaded
// once per test process and each test gets its own copy of the data
// directory, as `madina demo` followed by `madina serve` would leave it;
// on PostgreSQL each test loads it into its own schema. Tests of the
// demonstration loader itself call app.LoadDemo instead.
func Demo(t testing.TB, e db.Engine, opts ...Option) *app.App {
	t.Helper()
	if e != db.SQLite {
		a := New(t, e, opts...)
		if err := a.LoadDemo(context.Background(), io.Discard); err != nil {
			t.Fatalf("LoadDemo: %v", err)
		}
		return a
	}
	files, err := demoData()
	if err != nil {
		t.Fatalf("demonstration data: %v", err)
	}
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return New(t, e, append([]Option{Config(func(c *config.Config) {
		c.DataDir = dir
		c.DatabaseURL = "sqlite:" + filepath.Join(dir, "madina.db")
	})}, opts...)...)
}

// demoData is the demonstration's SQLite data directory, file by file,
// loaded once per test process.
var demoData = sync.OnceValues(func() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "madina-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Config{DataDir: dir, DatabaseURL: "sqlite:" + filepath.Join(dir, "madina.db"), Workers: 1}
	a, err := app.NewWith(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{Hasher: Hasher})
	if err != nil {
		return nil, err
	}
	err = a.LoadDemo(complaintdemo.WithYear(context.Background()), io.Discard)
	if cerr := a.Close(); err == nil {
		err = cerr // closing the last connection folds SQLite's journal into the file
	}
	if err != nil {
		return nil, fmt.Errorf("LoadDemo: %w", err)
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	return files, err
})
