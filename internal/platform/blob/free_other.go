//go:build !unix

package blob

// freeSpace is not measured on this system: no floor applies.
func freeSpace(dir string) (int64, error) { return 1 << 62, nil }
