package permit

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// item returns the checklist line of code in v.
func item(t *testing.T, v *View, code string) ChecklistItem {
	t.Helper()
	for _, it := range v.Checklist {
		if it.Code == code {
			return it
		}
	}
	t.Fatalf("no item %q", code)
	return ChecklistItem{}
}

// blobRefs is what the sweeper is told the capability still names.
func blobRefs(t *testing.T, d *db.DB) map[string]bool {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), BlobRefsSQL)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s] = true
	}
	return out
}

// TestRemoveADraftDocument: the applicant takes back a wrong upload; the
// item shows the version before again, the removal is on the timeline and
// in the audit chain, the blob is left to the sweeper unless another
// document keeps the same bytes; twice, someone else's, another file's
// are refused.
func TestRemoveADraftDocument(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		a := e.architectActor()
		f, err := e.s.Create(ctx, a, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := e.s.View(ctx, a, f.ID)
		code := v.Missing[0]
		v1, err := e.s.AddDocument(ctx, a, f.ID, code, "plan.pdf", bytes.NewReader(testPDF("v1")))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(time.Minute)
		v2, err := e.s.AddDocument(ctx, a, f.ID, code, "wrong.pdf", bytes.NewReader(testPDF("wrong")))
		if err != nil {
			t.Fatal(err)
		}
		// The same bytes kept for another item: its blob stays named.
		other, err := e.s.AddDocument(ctx, a, f.ID, v.Missing[1], "copy.pdf", bytes.NewReader(testPDF("v1")))
		if err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		if !v.Removable[v1.ID] || !v.Removable[v2.ID] || !v.Removable[other.ID] {
			t.Fatalf("a draft's documents are removable: %v", v.Removable)
		}

		got, err := e.s.RemoveDocument(ctx, a, f.ID, v2.ID)
		if err != nil || got.ID != v2.ID {
			t.Fatalf("remove: %v %v", got, err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		it := item(t, v, code)
		if it.Latest == nil || it.Latest.ID != v1.ID || len(it.Current) != 1 || it.Current[0].ID != v1.ID {
			t.Fatalf("after removing v2 the item shows %+v, want v1", it.Latest)
		}
		for _, dd := range v.Documents {
			if dd.ID == v2.ID {
				t.Fatal("the removed document is still listed")
			}
		}
		if _, _, err := e.s.Document(ctx, a, f.ID, v2.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("the removed document is still served: %v", err)
		}
		if ev := v.Events[len(v.Events)-1]; ev.Kind != "document_removed" || ev.Data["item"] != code {
			t.Fatalf("last event %+v", ev)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.document_removed' AND object_id = $1`,
			strconv.FormatInt(f.ID, 10)); n != 1 {
			t.Fatalf("%d audit entries of the removal", n)
		}
		refs := blobRefs(t, d)
		if refs[v2.SHA256] || !refs[v1.SHA256] {
			t.Fatalf("blob references: removed %v, kept %v", refs[v2.SHA256], refs[v1.SHA256])
		}
		// Removing the other copy of v1's bytes leaves them named by v1.
		if _, err := e.s.RemoveDocument(ctx, a, f.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if !blobRefs(t, d)[v1.SHA256] {
			t.Fatal("bytes still kept by v1 are no longer named for the sweeper")
		}

		// Twice: a conflict naming the document.
		_, err = e.s.RemoveDocument(ctx, a, f.ID, v2.ID)
		wantErr(t, err, errs.Conflict, "permit.documents.error.already_removed")
		if p := errs.As(err).Params["name"]; p != "wrong.pdf" {
			t.Fatalf("the error names %v", p)
		}
		// The owner may not prepare a building file (an architect must):
		// the policy refuses, before anything is read.
		_, err = e.s.RemoveDocument(ctx, e.ownerActor(), f.ID, v1.ID)
		wantErr(t, err, errs.Forbidden, "error.authz.architect")
		// A stranger does not see the file at all.
		_, err = e.s.RemoveDocument(ctx, authz.Actor{Person: e.stranger, EmailVerified: true, Now: e.clock.now()}, f.ID, v1.ID)
		wantErr(t, err, errs.NotFound, "permit.error.file_not_found")
		// Another file's document through this file: not found.
		g, err := e.s.Create(ctx, a, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.RemoveDocument(ctx, a, g.ID, v1.ID)
		wantErr(t, err, errs.NotFound, "permit.documents.error.not_found")
		if n := count(t, d, `SELECT COUNT(*) FROM permit_document_removals`); n != 2 {
			t.Fatalf("%d removals stored, want 2", n)
		}

		// The database keeps the invariants whatever the code does: a
		// document removed once, removals never changed.
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_document_removals (document_id, removed_by, removed_at)
			VALUES ($1, $2, $3)`, v2.ID, e.architect, monday); err == nil {
			t.Fatal("a document was removed twice")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM permit_document_removals WHERE document_id = $1`, v2.ID); err == nil {
			t.Fatal("a removal was deleted")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_document_removals SET removed_at = $1 WHERE document_id = $2`, monday, v2.ID); err == nil {
			t.Fatal("a removal was changed")
		}
	})
}

// TestRemoveOnlyWhatTheWindowDidNotReceive: once submitted, nothing is
// removed (the database refuses it too); back with the applicant, what
// the window received stays and what they added since may go.
func TestRemoveOnlyWhatTheWindowDidNotReceive(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		a := e.architectActor()
		f := e.submitted(t, a, sidiOthmane(e.owner))
		v, _ := e.s.View(ctx, a, f.ID)
		first := v.Documents[0]
		if len(v.Removable) != 0 {
			t.Fatalf("a submitted file offers removals: %v", v.Removable)
		}
		_, err := e.s.RemoveDocument(ctx, a, f.ID, first.ID)
		wantErr(t, err, errs.Conflict, "permit.documents.error.not_with_you")
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_document_removals (document_id, removed_by, removed_at)
			VALUES ($1, $2, $3)`, first.ID, e.architect, monday); err == nil {
			t.Fatal("the database let a submitted file's document be removed")
		}

		e.clock.add(time.Hour)
		if _, err := e.s.Return(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID, 0, []string{first.Item}, "Illisible"); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.RemoveDocument(ctx, a, f.ID, first.ID)
		wantErr(t, err, errs.Conflict, "permit.documents.error.received")
		e.clock.add(time.Minute)
		again, err := e.s.AddDocument(ctx, a, f.ID, first.Item, "lisible.pdf", bytes.NewReader(testPDF("lisible")))
		if err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		if !v.Removable[again.ID] || v.Removable[first.ID] || len(v.Removable) != 1 {
			t.Fatalf("removable after the return: %v", v.Removable)
		}
		if _, err := e.s.RemoveDocument(ctx, a, f.ID, again.ID); err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		if it := item(t, v, first.Item); it.Latest == nil || it.Latest.ID != first.ID {
			t.Fatalf("the received version is current again: %+v", it.Latest)
		}
	})
}

// TestSeveralPhotosInOneUpload: a set takes several files in one upload,
// each its own document, all current and all counted; a refused file
// leaves none of the batch; a single item refuses a second file.
func TestSeveralPhotosInOneUpload(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		a := e.ownerActor()
		f, err := e.s.Create(ctx, a, Input{Kind: "repair", Address: "3 rue 9, Sidi Othmane", Arrondissement: "sidi-othmane"})
		if err != nil {
			t.Fatal(err)
		}
		docs := func() int { return count(t, d, `SELECT COUNT(*) FROM permit_documents WHERE file_id = $1`, f.ID) }

		b, err := e.s.StartUpload(ctx, a, f.ID, "photos")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"facade.png", "cour.png", "toit.pdf"} {
			body := pngBytes
			if strings.HasSuffix(name, ".pdf") {
				body = testPDF(name)
			}
			if err := b.Add(ctx, name, bytes.NewReader(body)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		ups, err := b.Commit(ctx)
		if err != nil || len(ups) != 3 {
			t.Fatalf("commit: %d %v", len(ups), err)
		}
		v, _ := e.s.View(ctx, a, f.ID)
		it := item(t, v, "photos")
		if !it.Several || len(it.Current) != 3 || it.Current[0].Name != "facade.png" || it.Current[2].Name != "toit.pdf" {
			t.Fatalf("photos: several %v, current %+v", it.Several, it.Current)
		}
		if slices.Contains(v.Missing, "photos") {
			t.Fatal("photos still missing")
		}

		// A bad third file of five: nothing of the batch is kept.
		b, _ = e.s.StartUpload(ctx, a, f.ID, "photos")
		_ = b.Add(ctx, "a.png", bytes.NewReader(pngBytes))
		_ = b.Add(ctx, "b.png", bytes.NewReader(pngBytes))
		err = b.Add(ctx, "c.html", strings.NewReader("<html>not a photo</html>"))
		wantErr(t, err, errs.Unsupported, "")
		if n := docs(); n != 3 {
			t.Fatalf("%d documents after a refused batch, want 3", n)
		}
		// An empty upload commits nothing.
		b, _ = e.s.StartUpload(ctx, a, f.ID, "photos")
		_, err = b.Commit(ctx)
		wantErr(t, err, errs.Invalid, "permit.files.upload.no_file")

		// The quota counts each file of a set; a batch passing it is
		// refused whole.
		e.s.cfg.Quota = Quota{ItemVersions: 4}
		b, _ = e.s.StartUpload(ctx, a, f.ID, "photos")
		if err := b.Add(ctx, "d.png", bytes.NewReader(pngBytes)); err != nil {
			t.Fatal(err)
		}
		err = b.Add(ctx, "e.png", bytes.NewReader(pngBytes))
		wantErr(t, err, errs.Conflict, "permit.error.quota_versions")
		// Removing one makes room again: removed documents do not count.
		if _, err := e.s.RemoveDocument(ctx, a, f.ID, ups[1].ID); err != nil {
			t.Fatal(err)
		}
		b, _ = e.s.StartUpload(ctx, a, f.ID, "photos")
		_ = b.Add(ctx, "d.png", bytes.NewReader(pngBytes))
		if err := b.Add(ctx, "e.png", bytes.NewReader(pngBytes)); err != nil {
			t.Fatalf("after a removal: %v", err)
		}
		if _, err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, a, f.ID)
		if it := item(t, v, "photos"); len(it.Current) != 4 {
			t.Fatalf("%d photos, want 4", len(it.Current))
		}
		e.s.cfg.Quota = Quota{}

		// A single item takes one file: the second is refused unread.
		b, _ = e.s.StartUpload(ctx, a, f.ID, "application")
		if err := b.Add(ctx, "demande.pdf", bytes.NewReader(testPDF("demande"))); err != nil {
			t.Fatal(err)
		}
		err = b.Add(ctx, "autre.pdf", bytes.NewReader(testPDF("autre")))
		wantErr(t, err, errs.Invalid, "permit.documents.error.one_file")
	})
}

// TestReceiptListsEveryPhotoNotTheRemovedOne: the receipt of an accepted
// repair file names each photo of the set by its fingerprint, and not the
// one its applicant removed before submitting.
func TestReceiptListsEveryPhotoNotTheRemovedOne(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		a := e.ownerActor()
		f, err := e.s.Create(ctx, a, Input{Kind: "repair", Address: "3 rue 9, Sidi Othmane", Arrondissement: "sidi-othmane",
			Lat: "33.556", Lon: "-7.564", Fields: Values{"owner_kind": "person", "land_title": "12345/C",
				"works_description": "Réfection de la façade"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.s.StartUpload(ctx, a, f.ID, "photos")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := b.Add(ctx, "photo.png", bytes.NewReader(append(append([]byte{}, pngBytes...), byte(i)))); err != nil {
				t.Fatal(err)
			}
		}
		photos, err := b.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RemoveDocument(ctx, a, f.ID, photos[1].ID); err != nil {
			t.Fatal(err)
		}
		e.uploadAll(t, a, f.ID)
		if f, err = e.s.Submit(ctx, a, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		if f, err = e.s.Accept(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID, f.Version); err != nil {
			t.Fatal(err)
		}
		pdfBytes, _, err := e.s.Receipt(ctx, a, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdfBytes)
		for i, p := range photos {
			if got, want := strings.Contains(text, p.SHA256[:16]), i != 1; got != want {
				t.Errorf("photo %d (%s) on the receipt: %v, want %v", i+1, p.SHA256[:16], got, want)
			}
		}
	})
}
