package e2e

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/app"
	"madina/internal/platform/i18n"
)

// TestPermitPhotos: a citizen on a 390 px phone in Arabic starts a repair
// file, chooses three photos of the site at once in the photos item, sees
// the upload's progress (a <progress> named by a status line, right to
// left) and then the three photos, each previewed with its own Remove;
// removes one through the page that says what will happen, and comes back
// to the file with the green confirmation and two photos. Every page is
// checked with axe-core and for horizontal scrolling.
func TestPermitPhotos(t *testing.T) {
	needAxe(t)
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	ar := i18n.AR
	tb := b.newTab(t, srv, phone390) // Arabic: the site's default
	noScroll := func(what string) {
		t.Helper()
		if w := eval[float64](tb, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
			t.Errorf("%s scrolls sideways by %.0f px at 390 px", what, w)
		}
	}

	// Three photos, each different, as a phone's camera roll gives them.
	photos := t.TempDir()
	var paths []string
	for i, name := range []string{"facade.png", "cour.png", "toiture.png"} {
		img := image.NewRGBA(image.Rect(0, 0, 40+i*10, 30))
		for x := range 40 + i*10 {
			for y := range 30 {
				img.Set(x, y, color.RGBA{uint8(60 * i), uint8(4 * x), uint8(8 * y), 255})
			}
		}
		p := filepath.Join(photos, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}

	signIn(tb, permitOwner, false)
	tb.open("/files/new", 200)
	tb.do(chromedp.Click(chromedp.CSS("#kind-repair")))
	submit(tb, "create the file", `form[action="/files"] button[type=submit]`)
	m := regexp.MustCompile(`^/files/([0-9]+)\?done=created$`).FindStringSubmatch(tb.path())
	if m == nil {
		t.Fatalf("after creating the file at %s", tb.path())
	}
	file := "/files/" + m[1]

	if multiple := eval[bool](tb, `document.querySelector('#file-photos').multiple`); !multiple {
		t.Fatal("the photos' file input does not take several files")
	}
	if multiple := eval[bool](tb, `document.querySelector('#file-cin').multiple`); multiple {
		t.Fatal("a single item's file input takes several files")
	}
	// What the progress looks like while the files go up is kept in the
	// tab's session storage, which outlives the page the upload leaves.
	tb.do(chromedp.Evaluate[chromedp.Void](`new MutationObserver(() => {
		const p = document.querySelector('#item-photos progress');
		if (!p) return;
		const label = document.getElementById(p.getAttribute('aria-labelledby'));
		const seen = JSON.parse(sessionStorage.getItem('progress') || '{"labels": []}');
		const text = label ? label.textContent : '';
		if (seen.labels[seen.labels.length - 1] !== text) seen.labels.push(text);
		Object.assign(seen, {role: label ? label.getAttribute('role') : '', dir: getComputedStyle(p).direction, max: p.max});
		sessionStorage.setItem('progress', JSON.stringify(seen));
	}).observe(document.body, {subtree: true, childList: true, characterData: true})`))
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#file-photos"), paths))
	submit(tb, "upload three photos", `#item-photos form[enctype="multipart/form-data"] button[type=submit]`)
	if p := tb.path(); p != file+"?done=uploaded_several" {
		t.Fatalf("after the upload at %s", p)
	}
	var progress struct {
		Labels    []string
		Role, Dir string
		Max       float64
	}
	if err := json.Unmarshal([]byte(eval[string](tb, `sessionStorage.getItem('progress') || '{}'`)), &progress); err != nil {
		t.Fatal(err)
	}
	// The status line says the upload runs (with how far, when the
	// browser knows), then that it is done.
	uploading, done := cat.T(ar, "permit.documents.progress.uploading"), cat.T(ar, "permit.documents.progress.done")
	if n := len(progress.Labels); n < 2 || !strings.HasPrefix(progress.Labels[0], uploading) || progress.Labels[n-1] != done ||
		progress.Role != "status" || progress.Dir != "rtl" || progress.Max != 100 {
		t.Errorf("the upload's progress: %+v, want a status line starting %q then %q, right to left", progress, uploading, done)
	}
	t.Logf("progress seen: %q", progress.Labels)
	wantText(tb, "main", cat.T(ar, "permit.files.done.uploaded_several"), cat.T(ar, "permit.documents.count", "count", 3))
	if n := count(tb, "#item-photos img.thumb"); n != 3 {
		t.Fatalf("%d previews of the photos, want 3", n)
	}
	names := texts(tb, `#item-photos a[href^="`+file+`/documents/"]`)
	if strings.Join(names, ",") != "facade.png,cour.png,toiture.png" {
		t.Fatalf("the photos listed: %v", names)
	}
	removes := attrs(tb, `#item-photos form[action$="/remove"]`, "action")
	if len(removes) != 3 {
		t.Fatalf("%d Remove buttons, want one per photo", len(removes))
	}
	tb.checkAxe()
	noScroll("the file with three photos")

	// Remove the courtyard: the page says what will happen.
	tb.follow("ask to remove cour.png", 200, chromedp.Click(chromedp.CSS(`form[action="`+removes[1]+`"] button`)))
	wantText(tb, "main", cat.T(ar, "permit.documents.remove.title"), "cour.png",
		cat.T(ar, "permit.documents.remove.text_set", "count", 2))
	tb.checkAxe()
	noScroll("the confirmation")
	submit(tb, "remove cour.png", `main form[method=post] button[type=submit]`)
	if p := tb.path(); p != file+"?done=removed" {
		t.Fatalf("after removing at %s", p)
	}
	wantText(tb, ".banner-success", cat.T(ar, "permit.files.done.removed"))
	if n := count(tb, "#item-photos img.thumb"); n != 2 {
		t.Fatalf("%d previews after removing one, want 2", n)
	}
	if names := texts(tb, `#item-photos a[href^="`+file+`/documents/"]`); strings.Join(names, ",") != "facade.png,toiture.png" {
		t.Fatalf("the photos left: %v", names)
	}
	tb.checkAxe()
	noScroll("the file after the removal")
	tb.checkConsole("")

	// A file that is no photo, sent with the script: the page the server
	// answers (the error at the field, the file named) replaces this one,
	// as it would without the script.
	bad := filepath.Join(photos, "notes.png")
	if err := os.WriteFile(bad, []byte("quelques notes, pas une photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#file-photos"), []string{bad}),
		chromedp.Click(chromedp.CSS(`#item-photos form[enctype="multipart/form-data"] button[type=submit]`)))
	within(t, 20*time.Second, "the refused upload's page", func() error {
		if count(tb, "#file-photos-error") == 0 {
			return errNotYet
		}
		return nil
	})
	if msg := text(tb, "#file-photos-error"); !strings.Contains(msg, "«notes.png»") {
		t.Errorf("the refused upload says %q, want the file named", msg)
	}
	if n := count(tb, "#item-photos img.thumb"); n != 2 {
		t.Errorf("%d previews after the refused upload, want 2", n)
	}
	tb.checkAxe()
	noScroll("the refused upload")
}
