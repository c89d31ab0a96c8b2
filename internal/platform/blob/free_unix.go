//go:build unix

package blob

import (
	"fmt"
	"syscall"
)

// freeSpace reports the bytes an unprivileged process may still write on
// the file system holding dir.
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("blob: free space: %w", err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
