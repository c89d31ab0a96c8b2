package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"madina/internal/platform/errs"
)

// harness gives the contract suite a fresh, empty store and a way to look
// behind it.
type harness struct {
	newStore func(t *testing.T) (Store, inspector)
}

type inspector struct {
	// spool lists the temporary files the store holds.
	spool func(t *testing.T) []string
	// blobs lists the stored blobs by hash.
	blobs func(t *testing.T) []string
	// stored returns the file holding blob sha in the backend, so that a
	// rewrite shows as another file or another modification time.
	stored func(t *testing.T, sha string) fs.FileInfo
}

func TestFSStore(t *testing.T) {
	testStore(t, harness{newStore: func(t *testing.T) (Store, inspector) {
		dir := t.TempDir()
		s, err := Open(context.Background(), "file://"+filepath.ToSlash(filepath.Join(dir, "b")), "")
		if err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(dir, "b")
		return s, inspector{
			spool: func(t *testing.T) []string { return listFiles(t, filepath.Join(root, "tmp")) },
			blobs: func(t *testing.T) []string {
				var out []string
				for _, p := range listFiles(t, root) {
					if !strings.HasPrefix(p, "tmp"+string(filepath.Separator)) {
						out = append(out, filepath.Base(p))
					}
				}
				return out
			},
			stored: func(t *testing.T, sha string) fs.FileInfo {
				return mustStat(t, filepath.Join(root, sha[:2], sha[2:4], sha))
			},
		}
	}})
}

func TestFSStoreDefaultsToDataDir(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(context.Background(), strings.NewReader("bonjour"), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "blobs", b.SHA256[:2], b.SHA256[2:4], b.SHA256)
	info := mustStat(t, p)
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o222 != 0 {
		t.Errorf("blob %s is writable: %v", p, info.Mode())
	}
}

// testStore is the contract every Store meets.
func testStore(t *testing.T, h harness) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s, in := h.newStore(t)
		data := randomBytes(3<<20+17, 1)
		b, err := s.Put(ctx, bytes.NewReader(data), PutOptions{MaxSize: 10 << 20})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		want := Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), ContentType: "application/octet-stream"}
		if diff := cmp.Diff(want, b); diff != "" {
			t.Errorf("Put (-want +got):\n%s", diff)
		}
		got := mustRead(t, s, b.SHA256)
		if !bytes.Equal(got, data) {
			t.Errorf("Open returned %d bytes differing from the %d put", len(got), len(data))
		}
		st, err := s.Stat(ctx, b.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, st); diff != "" {
			t.Errorf("Stat (-want +got):\n%s", diff)
		}
		if sp := in.spool(t); len(sp) != 0 {
			t.Errorf("temporary files left after success: %v", sp)
		}
		if diff := cmp.Diff([]string{b.SHA256}, in.blobs(t)); diff != "" {
			t.Errorf("stored blobs (-want +got):\n%s", diff)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})

	t.Run("SameContentTwiceIsNotRewritten", func(t *testing.T) {
		s, in := h.newStore(t)
		data := randomBytes(200<<10, 2)
		b1, err := s.Put(ctx, bytes.NewReader(data), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before := in.stored(t, b1.SHA256)
		b2, err := s.Put(ctx, bytes.NewReader(data), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b1, b2); diff != "" {
			t.Errorf("second Put (-first +second):\n%s", diff)
		}
		after := in.stored(t, b1.SHA256)
		if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
			t.Errorf("blob rewritten: before %v %v, after %v %v", before.Name(), before.ModTime(), after.Name(), after.ModTime())
		}
		if diff := cmp.Diff([]string{b1.SHA256}, in.blobs(t)); diff != "" {
			t.Errorf("stored blobs (-want +got):\n%s", diff)
		}
		if sp := in.spool(t); len(sp) != 0 {
			t.Errorf("temporary files left: %v", sp)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		s, in := h.newStore(t)
		const max = 1 << 20
		src := &countingReader{r: bytes.NewReader(randomBytes(5<<20, 3))}
		_, err := s.Put(ctx, src, PutOptions{MaxSize: max})
		checkKind(t, err, errs.TooLarge, keyTooLarge, map[string]any{"max": "1"})
		if src.n > max+1 {
			t.Errorf("read %d bytes of an upload limited to %d", src.n, max)
		}
		assertNothingLeft(t, in)

		// The limit itself is accepted.
		if _, err := s.Put(ctx, bytes.NewReader(randomBytes(max, 3)), PutOptions{MaxSize: max}); err != nil {
			t.Errorf("Put of exactly MaxSize bytes: %v", err)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		s, in := h.newStore(t)
		_, err := s.Put(ctx, strings.NewReader(""), PutOptions{MaxSize: 10})
		checkKind(t, err, errs.Invalid, keyEmpty, nil)
		assertNothingLeft(t, in)
	})
	t.Run("CheckRefusesBeforeStoring", func(t *testing.T) {
		s, in := h.newStore(t)
		content := randomBytes(200<<10, 4)
		refusal := errs.E(errs.Invalid, "error.test.refused")
		var seen []byte
		_, err := s.Put(ctx, bytes.NewReader(content), PutOptions{MaxSize: 1 << 20,
			Check: func(r io.ReaderAt, size int64, ct string) error {
				seen = make([]byte, size)
				if _, err := r.ReadAt(seen, 0); err != nil {
					t.Errorf("ReadAt in Check: %v", err)
				}
				return refusal
			}})
		if !errors.Is(err, refusal) {
			t.Fatalf("Put = %v, want the check's refusal", err)
		}
		if !bytes.Equal(seen, content) {
			t.Error("Check did not see the whole content")
		}
		assertNothingLeft(t, in)
		// Accepted by the check: stored.
		b, err := s.Put(ctx, bytes.NewReader(content), PutOptions{MaxSize: 1 << 20,
			Check: func(io.ReaderAt, int64, string) error { return nil }})
		if err != nil || b.Size != int64(len(content)) {
			t.Fatalf("Put with a passing check = %+v, %v", b, err)
		}
	})

	t.Run("TypeFromContent", func(t *testing.T) {
		pdfOnly := []string{"application/pdf"}
		images := []string{"image/png", "image/jpeg"}
		for _, tc := range []struct {
			name    string
			data    []byte
			allowed []string
			want    string // detected type when accepted, "" when refused
			label   string // the "type" parameter when refused
		}{
			{"ExeDeclaredPDF", peExe(), pdfOnly, "", "EXE"},
			{"ExeCarryingPDFMagic", pePolyglot(), pdfOnly, "", "EXE"},
			{"ELFCarryingPDFMagic", elfWithPDFMagic(), pdfOnly, "", "application/x-elf"},
			{"PDF", minimalPDF(), pdfOnly, "application/pdf", ""},
			{"PDFWithParamInAllowed", minimalPDF(), []string{" Application/PDF; charset=binary"}, "application/pdf", ""},
			{"PNG", pngImage(t), images, "image/png", ""},
			{"JPEG", jpegImage(t), images, "image/jpeg", ""},
			{"PNGNotAllowed", pngImage(t), pdfOnly, "", "PNG"},
			{"TextIgnoresCharset", []byte("Bonjour, Casablanca\n"), []string{"text/plain"}, "text/plain; charset=utf-8", ""},
			{"AnyWhenEmpty", peExe(), nil, "application/vnd.microsoft.portable-executable", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, in := h.newStore(t)
				b, err := s.Put(ctx, bytes.NewReader(tc.data), PutOptions{MaxSize: 1 << 20, Allowed: tc.allowed})
				if tc.want == "" {
					checkKind(t, err, errs.Unsupported, keyType, map[string]any{"type": tc.label, "allowed": allowedLabels(tc.allowed)})
					assertNothingLeft(t, in)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if b.ContentType != tc.want {
					t.Errorf("ContentType = %q, want %q", b.ContentType, tc.want)
				}
				st, err := s.Stat(ctx, b.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(b, st); diff != "" {
					t.Errorf("Stat (-put +stat):\n%s", diff)
				}
			})
		}
	})

	t.Run("ReaderErrorMidStream", func(t *testing.T) {
		s, in := h.newStore(t)
		boom := errors.New("connection reset by citizen")
		r := io.MultiReader(bytes.NewReader(randomBytes(1<<20, 4)), &failingReader{err: boom})
		_, err := s.Put(ctx, r, PutOptions{MaxSize: 10 << 20})
		if !errors.Is(err, boom) {
			t.Fatalf("Put error = %v, want %v", err, boom)
		}
		assertNothingLeft(t, in)
	})

	t.Run("ContextCancelledMidStream", func(t *testing.T) {
		s, in := h.newStore(t)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// The reader goes on giving data after the cancellation: only the
		// store can stop.
		r := &cancellingReader{r: bytes.NewReader(randomBytes(4<<20, 5)), after: 1 << 20, cancel: cancel}
		_, err := s.Put(ctx, r, PutOptions{MaxSize: 10 << 20})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Put error = %v, want context.Canceled", err)
		}
		if r.n >= 4<<20 {
			t.Errorf("read the whole body (%d bytes) after cancellation", r.n)
		}
		assertNothingLeft(t, in)
	})

	t.Run("UnknownAndInvalidHashes", func(t *testing.T) {
		s, _ := h.newStore(t)
		unknown := strings.Repeat("ab", 32)
		if _, err := s.Open(ctx, unknown); !errs.Is(err, errs.NotFound) {
			t.Errorf("Open(unknown) = %v, want not-found", err)
		}
		_, err := s.Stat(ctx, unknown)
		checkKind(t, err, errs.NotFound, keyNotFound, nil)
		for _, h := range []string{"", "abc", strings.Repeat("AB", 32), strings.Repeat("ab", 31) + "zz",
			"../../../../etc/passwd" + strings.Repeat("a", 42), strings.Repeat("ab", 33)} {
			if _, err := s.Open(ctx, h); !errs.Is(err, errs.Invalid) {
				t.Errorf("Open(%q) = %v, want invalid", h, err)
			}
			_, err := s.Stat(ctx, h)
			checkKind(t, err, errs.Invalid, keyInvalidHash, nil)
		}
	})

	t.Run("StreamsWithoutBuffering", func(t *testing.T) {
		if testing.Short() {
			t.Skip("writes 64 MB")
		}
		s, in := h.newStore(t)
		const size = 64 << 20
		gen := newGenerator(size)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		b, err := s.Put(ctx, gen, PutOptions{MaxSize: size})
		runtime.ReadMemStats(&m1)
		if err != nil {
			t.Fatal(err)
		}
		if want := hex.EncodeToString(gen.h.Sum(nil)); b.SHA256 != want || b.Size != size {
			t.Errorf("Put = %s %d bytes, want %s %d bytes", b.SHA256, b.Size, want, size)
		}
		// Whole buffering would allocate at least 64 MB.
		alloc := m1.TotalAlloc - m0.TotalAlloc
		t.Logf("allocated %.1f MB, heap in use %+.1f MB, for a %d MB upload",
			float64(alloc)/(1<<20), (float64(m1.HeapInuse)-float64(m0.HeapInuse))/(1<<20), size>>20)
		if alloc > 16<<20 {
			t.Errorf("Put allocated %d MB for a %d MB upload: the body was buffered", alloc>>20, size>>20)
		}
		if sp := in.spool(t); len(sp) != 0 {
			t.Errorf("temporary files left: %v", sp)
		}
	})
}

func checkKind(t *testing.T, err error, kind errs.Kind, key string, params map[string]any) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Fatalf("error = %v, want kind %s", err, kind)
	}
	if e.Kind != kind || e.Key != key {
		t.Fatalf("error = %v, want %s %s", err, kind, key)
	}
	if diff := cmp.Diff(params, e.Params, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	// Every placeholder of the message has a value, and nothing else.
	var names []string
	for k := range e.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	if diff := cmp.Diff(placeholders(catalogue(t, "en")[key]), names, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("params of %s against its message's placeholders (-message +params):\n%s", key, diff)
	}
}

func assertNothingLeft(t *testing.T, in inspector) {
	t.Helper()
	if sp := in.spool(t); len(sp) != 0 {
		t.Errorf("temporary files left: %v", sp)
	}
	if bl := in.blobs(t); len(bl) != 0 {
		t.Errorf("blobs stored: %v", bl)
	}
}

func mustRead(t *testing.T, s Store, sha string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustStat(t *testing.T, p string) fs.FileInfo {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// listFiles returns the regular files under dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	return b
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

type cancellingReader struct {
	r      io.Reader
	n      int64
	after  int64
	cancel func()
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.n >= c.after {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// generator yields n pseudo-random bytes without holding them, hashing
// what it gives.
type generator struct {
	left  int64
	state uint64
	h     interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func newGenerator(n int64) *generator {
	return &generator{left: n, state: 0x9E3779B97F4A7C15, h: sha256.New()}
}

func (g *generator) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	for i := range p {
		g.state ^= g.state << 13
		g.state ^= g.state >> 7
		g.state ^= g.state << 17
		p[i] = byte(g.state)
	}
	g.left -= int64(len(p))
	g.h.Write(p)
	return len(p), nil
}

// peExe is a minimal Windows PE header: a DOS stub pointing at a PE
// signature and a COFF header for x86.
func peExe() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	b[0x3c] = 0x80 // e_lfanew
	copy(b[0x80:], "PE\x00\x00")
	b[0x84], b[0x85] = 0x4c, 0x01 // IMAGE_FILE_MACHINE_I386
	b[0x86] = 1                   // one section
	copy(b[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	return b
}

// pePolyglot is a PE whose DOS stub carries a PDF header, which mimetype
// alone detects as a PDF.
func pePolyglot() []byte {
	b := peExe()
	copy(b[0x100:], minimalPDF())
	return b
}

func elfWithPDFMagic() []byte {
	b := make([]byte, 256)
	copy(b, "\x7fELF\x02\x01\x01")
	b[16] = 2 // ET_EXEC
	copy(b[64:], "%PDF-1.4")
	return b
}

// minimalPDF writes a valid one-page PDF with a correct xref table.
func minimalPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	}
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{R: 200, G: 30, B: 30, A: 255})
	}
	return img
}

func pngImage(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegImage(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
