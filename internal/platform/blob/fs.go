package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Blobs hold citizens' documents: readable by the service and its group
// (backups), by no one else, and writable by no one.
const (
	filePerm = 0o440
	dirPerm  = 0o750
)

// fsStore keeps blob <sha256> at root/ab/cd/<sha256> and spools uploads in
// root/tmp, on the same file system so that publishing is a link.
type fsStore struct {
	root string
	tmp  string
}

var _ Store = (*fsStore)(nil)

func openFS(root string) (*fsStore, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	s := &fsStore{root: root, tmp: filepath.Join(root, "tmp")}
	if err := os.MkdirAll(s.tmp, dirPerm); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return s, nil
}

func (s *fsStore) path(sha string) string {
	return filepath.Join(s.root, sha[0:2], sha[2:4], sha)
}

func (s *fsStore) Put(ctx context.Context, r io.Reader, opts PutOptions) (Blob, error) {
	sp, err := spool(ctx, s.tmp, r, opts)
	if err != nil {
		return Blob{}, err
	}
	defer sp.discard()
	b := sp.blob
	final := s.path(b.SHA256)
	if done, err := s.existing(final, b); err != nil {
		return Blob{}, err
	} else if done {
		return b, nil
	}

	if err := sp.f.Chmod(filePerm); err != nil {
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}
	if err := sp.f.Sync(); err != nil {
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}
	if err := ctx.Err(); err != nil {
		return Blob{}, fmt.Errorf("blob: put %s: %w", b.SHA256, err)
	}
	dir := filepath.Dir(final)
	if err := mkdirAllSync(dir); err != nil {
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}
	// A hard link publishes the complete file atomically and, unlike a
	// rename, fails rather than replace a blob a concurrent Put published.
	err = os.Link(sp.f.Name(), final)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		if _, err := s.existing(final, b); err != nil {
			return Blob{}, err
		}
		return b, nil
	default:
		// Some file systems have no hard links; a rename is as atomic,
		// and can only replace identical content.
		if err := os.Rename(sp.f.Name(), final); err != nil {
			return Blob{}, unavailable(err, "put %s", b.SHA256)
		}
	}
	if err := syncDir(dir); err != nil {
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}
	return b, nil
}

// existing reports whether the blob b is already stored at path. A file
// there of another size is a damaged blob: reported, never replaced.
func (s *fsStore) existing(path string, b Blob) (bool, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, unavailable(err, "put %s", b.SHA256)
	case info.Size() != b.Size:
		return true, fmt.Errorf("blob: put %s: stored blob has %d bytes, content has %d", b.SHA256, info.Size(), b.Size)
	}
	return true, nil
}

func (s *fsStore) Open(ctx context.Context, sha string) (io.ReadCloser, error) {
	f, err := s.open(sha)
	if err != nil {
		return nil, err // not f: a nil *os.File in an interface is not nil
	}
	return f, nil
}

func (s *fsStore) open(sha string) (*os.File, error) {
	if err := checkHash(sha); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(sha, nil)
	}
	if err != nil {
		return nil, unavailable(err, "open %s", sha)
	}
	return f, nil
}

func (s *fsStore) Stat(ctx context.Context, sha string) (Blob, error) {
	f, err := s.open(sha)
	if err != nil {
		return Blob{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Blob{}, fmt.Errorf("blob: stat %s: %w", sha, err)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Blob{}, fmt.Errorf("blob: stat %s: %w", sha, err)
	}
	return Blob{SHA256: sha, Size: info.Size(), ContentType: detect(head[:n]).String()}, nil
}

func (s *fsStore) Ping(ctx context.Context) error {
	for _, d := range []string{s.root, s.tmp} {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("blob: ping: %w", err)
		}
		if !info.IsDir() {
			return fmt.Errorf("blob: ping: %s is not a directory", d)
		}
	}
	return probeDir(s.tmp)
}

func (s *fsStore) FreeSpace() (int64, error) { return freeSpace(s.root) }

// Walk lists root/ab/cd/<sha256>, skipping the spool and anything else
// that is not named like a blob in its place.
func (s *fsStore) Walk(ctx context.Context, fn func(string, time.Time) error) error {
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == s.root {
				return err
			}
			return nil // a directory removed meanwhile, say
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == s.tmp {
				return filepath.SkipDir
			}
			return nil
		}
		sha := d.Name()
		if !d.Type().IsRegular() || !ValidHash(sha) || p != s.path(sha) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		return fn(sha, info.ModTime())
	})
	if err != nil {
		return fmt.Errorf("blob: walk: %w", err)
	}
	return nil
}

func (s *fsStore) Delete(ctx context.Context, sha string) error {
	if err := checkHash(sha); err != nil {
		return err
	}
	err := os.Remove(s.path(sha))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", sha, err)
	}
	return nil
}

func (s *fsStore) SweepSpool(cutoff time.Time) (int, int64) { return sweepSpool(s.tmp, cutoff) }

// probeDir writes, syncs and removes a small file in dir: the file system
// takes new data there.
func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, probePrefix+"*")
	if err != nil {
		return fmt.Errorf("blob: ping: %w", err)
	}
	_, err = f.WriteString("madina")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("blob: ping: %w", err)
	}
	return nil
}

// mkdirAllSync creates dir and its missing parents, syncing each parent
// so that the new entries survive a crash along with the blob.
func mkdirAllSync(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSync(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// syncDir makes a directory's entries durable. Windows cannot sync a
// directory and needs no such step.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
