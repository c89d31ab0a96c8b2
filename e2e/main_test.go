package e2e

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	// root is the repository root, where go.mod and node_modules are.
	root string
	// binary is the madina executable under test.
	binary string
	// demoDir holds the demonstration as `madina demo` leaves it, loaded
	// once (copyDemo); removed when the tests end.
	demoDir  string
	demoOnce sync.Once
	demoErr  error
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// setup builds the binary once for every test, then runs them.
func setup(m *testing.M) (int, error) {
	var err error
	if root, err = moduleRoot(); err != nil {
		return 0, err
	}
	if binary = os.Getenv("MADINA_E2E_BINARY"); binary != "" {
		return m.Run(), nil
	}
	dir, err := os.MkdirTemp("", "madina-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "madina")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/madina")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./cmd/madina: %w\n%s", err, out)
	}
	return m.Run(), nil
}

// moduleRoot is the nearest directory above the working directory (the
// package directory under go test) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// copyDemo copies into dir (empty) the data directory `madina demo`
// leaves: the demonstration is loaded once per test process, on first
// use — half a minute each time a test needed it — and each test serves
// its own copy, as `madina demo` then `madina serve` would. Files keep
// their permissions (the secret key's 0600).
func copyDemo(dir string) error {
	demoOnce.Do(func() {
		if demoDir, demoErr = os.MkdirTemp("", "madina-e2e-demo-"); demoErr != nil {
			return
		}
		if out, err := exec.Command(binary, "demo", "--data-dir", demoDir).CombinedOutput(); err != nil {
			demoErr = fmt.Errorf("madina demo: %w\n%s", err, out)
		}
	})
	if demoErr != nil {
		return demoErr
	}
	return filepath.WalkDir(demoDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(demoDir, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dir, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(to, info.Mode().Perm())
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
}
