package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// root is the repository root, where go.mod and node_modules are.
	root string
	// binary is the madina executable under test.
	binary string
)

func TestMain(m *testing.M) {
	code, err := setup(m)
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
