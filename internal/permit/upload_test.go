package permit

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestUploadQuota: one account cannot fill the disk through one file: a
// checklist item takes a bounded number of versions and a file a bounded
// number of bytes; past either, the upload is refused with a message and
// nothing is stored.
func TestUploadQuota(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		a := e.architectActor()
		f, err := e.s.Create(ctx, a, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.s.View(ctx, a, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		item, other := v.Missing[0], v.Missing[1]
		blobs := func() int {
			n := 0
			_ = filepath.WalkDir(e.blobs, func(p string, de fs.DirEntry, err error) error {
				if err == nil && !de.IsDir() && len(de.Name()) == 64 {
					n++
				}
				return nil
			})
			return n
		}

		e.s.cfg.Quota = Quota{ItemVersions: 3}
		for i := range 3 {
			if _, err := e.s.AddDocument(ctx, a, f.ID, item, "plan.pdf", bytes.NewReader(testPDF(fmt.Sprint("v", i)))); err != nil {
				t.Fatalf("version %d: %v", i+1, err)
			}
		}
		before := blobs()
		_, err = e.s.AddDocument(ctx, a, f.ID, item, "plan.pdf", bytes.NewReader(testPDF("v4")))
		wantErr(t, err, errs.Conflict, "permit.error.quota_versions")
		if n := count(t, d, `SELECT COUNT(*) FROM permit_documents WHERE file_id = $1`, f.ID); n != 3 {
			t.Errorf("%d versions stored, want 3", n)
		}
		if n := blobs(); n != before {
			t.Errorf("%d blobs after the refused upload, %d before", n, before)
		}

		// Bytes: the file holds three small PDFs; room is left for a
		// small one, not for a larger one.
		var used int64
		if err := d.QueryRowContext(ctx, `SELECT SUM(size) FROM permit_documents WHERE file_id = $1`, f.ID).Scan(&used); err != nil {
			t.Fatal(err)
		}
		small := testPDF("small")
		e.s.cfg.Quota = Quota{FileBytes: used + int64(len(small)) + 100}
		big := append(testPDF("big"), bytes.Repeat([]byte("% filler\n"), 1000)...)
		_, err = e.s.AddDocument(ctx, a, f.ID, other, "big.pdf", bytes.NewReader(big))
		wantErr(t, err, errs.TooLarge, "permit.error.quota_bytes")
		if n := blobs(); n != before {
			t.Errorf("%d blobs after the refused upload, %d before", n, before)
		}
		if _, err := e.s.AddDocument(ctx, a, f.ID, other, "small.pdf", bytes.NewReader(small)); err != nil {
			t.Fatalf("an upload within the quota: %v", err)
		}
		_, err = e.s.AddDocument(ctx, a, f.ID, other, "again.pdf", bytes.NewReader(testPDF("x")))
		wantErr(t, err, errs.TooLarge, "permit.error.quota_bytes")
	})
}
