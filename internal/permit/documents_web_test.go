package permit_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

var (
	uploadCSRF = regexp.MustCompile(`action="(/files/\d+/documents)" class="form">\s*<input type="hidden" name="csrf_token" value="([^"]+)">`)
	removeForm = regexp.MustCompile(`<form method="get" action="(/files/\d+/documents/\d+/remove)">`)
	thumbs     = regexp.MustCompile(`<img class="thumb"`)
)

type namedFile struct {
	name string
	body []byte
}

// postFiles uploads files in one request to item, as the item's form with
// <input type=file multiple> does: the token, the item, then each file
// under the one field "file" (an empty part when none is chosen).
func postFiles(t *testing.T, b *apptest.Browser, page, item string, files ...namedFile) (int, string, http.Header) {
	t.Helper()
	_, body, _ := b.Get(page)
	m := uploadCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no upload form on %s", page)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", html.UnescapeString(m[2]))
	_ = mw.WriteField("item", item)
	if len(files) == 0 {
		fw, _ := mw.CreateFormFile("file", "")
		_, _ = fw.Write(nil)
	}
	for _, f := range files {
		fw, _ := mw.CreateFormFile("file", f.name)
		_, _ = fw.Write(f.body)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.URL+m[1], &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.C.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

// itemHTML is the checklist line of item on a file page.
func itemHTML(body, item string) string {
	i := strings.Index(body, `<li id="item-`+item+`">`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest[1:], `<li id="item-`); j >= 0 {
		return rest[:j+1]
	}
	if j := strings.Index(rest, "</section>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// TestSeveralPhotosThenRemoveOne: in Arabic, a citizen uploads three
// photos of the site at once (each its own document, each previewed with
// its own Remove), has a batch with a bad file refused whole with the file
// named, an empty upload refused, removes one photo through a page that
// says what will happen and comes back to a green confirmation; removing
// it again, or someone else removing it, is refused in their language.
func TestSeveralPhotosThenRemoveOne(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		owner := apptest.NewBrowser(t, srv.URL)
		owner.SignIn("fatima.benali@example.ma", false)
		owner.SetLang(i18n.AR)
		code, _, h := owner.Post("/files/new", "/files", url.Values{"kind": {"repair"}, "owner": {"self"}})
		apptest.WantStatus(t, "create", code, http.StatusSeeOther, h)
		page := strings.TrimSuffix(h.Get("Location"), "?done=created")
		countDocs := func() int {
			var n int
			id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/files/"), 10, 64)
			if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM permit_documents d WHERE file_id = $1 AND NOT EXISTS
				(SELECT 1 FROM permit_document_removals r WHERE r.document_id = d.id)`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		_, body, _ := owner.Get(page)
		photos := itemHTML(body, "photos")
		if !strings.Contains(photos, `type="file"`) || !strings.Contains(photos, " multiple") || !strings.Contains(photos, "يمكنك اختيار عدة ملفات") {
			t.Fatalf("the photos' form takes several files:\n%s", photos)
		}
		if cin := itemHTML(body, "cin"); strings.Contains(cin, " multiple") {
			t.Fatal("a single item takes several files")
		}

		code, _, h = postFiles(t, owner, page, "photos", namedFile{"facade.png", apptest.TinyPNG()},
			namedFile{"cour.png", append(apptest.TinyPNG(), 0)}, namedFile{"toit.pdf", apptest.TinyPDF("toit")})
		apptest.WantStatus(t, "three photos", code, http.StatusSeeOther, h)
		if loc := h.Get("Location"); loc != page+"?done=uploaded_several#item-photos" {
			t.Fatalf("after the upload: %s", loc)
		}
		_, body, _ = owner.Get(page + "?done=uploaded_several")
		photos = itemHTML(body, "photos")
		if !strings.Contains(body, "تم رفع ملفاتك.") || !strings.Contains(photos, "3 ملفات") ||
			len(thumbs.FindAllString(photos, -1)) != 2 || len(removeForm.FindAllString(photos, -1)) != 3 ||
			!strings.Contains(photos, "facade.png") || !strings.Contains(photos, "toit.pdf") {
			t.Fatalf("three documents, two previews, three removes:\n%s", photos)
		}

		// A bad third file of five: none kept, the file named.
		code, body, _ = postFiles(t, owner, page, "photos", namedFile{"a.png", apptest.TinyPNG()},
			namedFile{"b.png", append(apptest.TinyPNG(), 1)}, namedFile{"bad.html", []byte("<html><body>x</body></html>")},
			namedFile{"d.png", append(apptest.TinyPNG(), 2)}, namedFile{"e.png", append(apptest.TinyPNG(), 3)})
		if code != http.StatusUnsupportedMediaType || !strings.Contains(body, "«bad.html»:") || !strings.Contains(body, "لم يُحفظ أي ملف") ||
			!strings.Contains(body, `id="file-photos-error"`) {
			t.Fatalf("a bad file in the batch: %d\n%s", code, apptest.Grep(body, "bad.html"))
		}
		if n := countDocs(); n != 3 {
			t.Fatalf("%d documents after the refused batch, want 3", n)
		}
		// No file chosen.
		code, body, _ = postFiles(t, owner, page, "photos")
		if code != http.StatusBadRequest || !strings.Contains(body, `id="file-photos-error"`) {
			t.Fatalf("an empty upload: %d", code)
		}
		// Two files for a single item: refused, nothing kept.
		code, body, _ = postFiles(t, owner, page, "cin", namedFile{"cin.pdf", apptest.TinyPDF("cin")}, namedFile{"cin2.pdf", apptest.TinyPDF("cin2")})
		if code != http.StatusBadRequest || !strings.Contains(body, "يقبل هذا العنصر ملفًا واحدًا") || countDocs() != 3 {
			t.Fatalf("two files for one item: %d %d", code, countDocs())
		}

		// Remove the second photo: the page says what will happen.
		_, body, _ = owner.Get(page)
		removes := removeForm.FindAllStringSubmatch(itemHTML(body, "photos"), -1)
		remove := removes[1][1]
		code, body, _ = owner.Get(remove)
		if code != http.StatusOK || !strings.Contains(body, "حذف هذه الوثيقة؟") || !strings.Contains(body, "cour.png") ||
			!strings.Contains(body, "يبقى الملفان الآخران") || !strings.Contains(body, `action="`+remove+`"`) ||
			!strings.Contains(body, `href="`+page+`#item-photos"`) {
			t.Fatalf("the confirmation: %d\n%s", code, apptest.Grep(body, "confirm"))
		}
		code, _, h = owner.Post(remove, remove, url.Values{})
		apptest.WantStatus(t, "remove", code, http.StatusSeeOther, h)
		if loc := h.Get("Location"); loc != page+"?done=removed#item-photos" {
			t.Fatalf("after removing: %s", loc)
		}
		_, body, _ = owner.Get(page + "?done=removed")
		photos = itemHTML(body, "photos")
		if !strings.Contains(body, "حُذفت الوثيقة من ملفك.") || strings.Contains(photos, "cour.png") || !strings.Contains(photos, "2 ملفان") && !strings.Contains(photos, "ملفان") ||
			len(removeForm.FindAllString(photos, -1)) != 2 || countDocs() != 2 {
			t.Fatalf("after removing:\n%s", photos)
		}
		if !strings.Contains(body, "حذف «صور حديثة للموقع وللبناية القائمة»") {
			t.Fatalf("the timeline does not say it:\n%s", apptest.Grep(body, "حذف"))
		}
		// Twice: a clear conflict, on the file's page.
		code, body, _ = owner.Post(page, remove, url.Values{})
		if code != http.StatusConflict || !strings.Contains(body, "سبق حذف «cour.png»") {
			t.Fatalf("removing twice: %d\n%s", code, apptest.Grep(body, "cour.png"))
		}
		if code, body, _ := owner.Get(remove); code != http.StatusConflict || !strings.Contains(body, "سبق حذف «cour.png»") {
			t.Fatalf("asking to remove it again: %d", code)
		}

		// Someone else: the file does not exist for them, in French.
		other := apptest.NewBrowser(t, srv.URL)
		other.SignIn("youssef.elamrani@example.ma", false)
		other.SetLang(i18n.FR)
		keep := removes[0][1]
		if code, body, _ := other.Get(keep); code != http.StatusNotFound || !strings.Contains(body, "Dossier introuvable") && !strings.Contains(body, "introuvable") {
			t.Fatalf("another citizen asks to remove: %d", code)
		}
		if code, _, _ := other.Post("/files", keep, url.Values{}); code != http.StatusNotFound {
			t.Fatalf("another citizen removes: %d", code)
		}
		if countDocs() != 2 {
			t.Fatal("a document went")
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Fatalf("untranslated: %v", miss)
		}
	})
}

// TestRemoveDocumentAPI: DELETE removes a draft's document (204, the view
// shows it gone), twice is a conflict, after submission a conflict in the
// caller's language; every answer is checked against the OpenAPI document.
func TestRemoveDocumentAPI(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		u := apptest.NewUploadFixture(t, a, srv.URL)
		c := apptest.CheckedAPI(t, a, srv.URL, u.C.Token)
		path := fmt.Sprintf("/api/v1/files/%d", u.File)
		var up struct {
			ID int64 `json:"id"`
		}
		if code, body := c.Call("POST", path+"/documents/"+u.Item+"?name=faux.pdf", "application/pdf", bytes.NewReader(apptest.TinyPDF("faux")), &up); code != 201 {
			t.Fatalf("upload: %d %s", code, body)
		}
		if code, body := c.Call("DELETE", fmt.Sprintf("%s/documents/%d?lang=fr", path, up.ID), "", nil, nil); code != 204 {
			t.Fatalf("delete: %d %s", code, body)
		}
		var f apptest.APIFile
		if code, body := c.JSON("GET", path, nil, &f); code != 200 || !strings.Contains(strings.Join(f.Missing, ","), u.Item) ||
			strings.Contains(body, "faux.pdf") {
			t.Fatalf("after the delete the item is missing again: %d %s", code, body)
		}
		code, body := c.Call("DELETE", fmt.Sprintf("%s/documents/%d?lang=fr", path, up.ID), "", nil, nil)
		if code != 409 || !strings.Contains(body, "a déjà été retiré") {
			t.Fatalf("delete twice: %d %s", code, body)
		}
		if code, _ := c.Call("DELETE", fmt.Sprintf("%s/documents/%d", path, up.ID+1000), "", nil, nil); code != 404 {
			t.Fatalf("delete an unknown document: %d", code)
		}
		// Complete and submit: what the window received stays.
		for _, item := range f.Missing {
			if code, body := c.Call("POST", path+"/documents/"+item+"?name="+item+".pdf", "application/pdf",
				bytes.NewReader(apptest.TinyPDF(item)), &up); code != 201 {
				t.Fatalf("upload %s: %d %s", item, code, body)
			}
		}
		c.JSON("GET", path, nil, &f)
		if code, body := c.JSON("POST", path+"/submit", map[string]int{"version": f.Version}, &f); code != 200 {
			t.Fatalf("submit: %d %s", code, body)
		}
		code, body = c.Call("DELETE", fmt.Sprintf("%s/documents/%d?lang=fr", path, up.ID), "", nil, nil)
		if code != 409 || !strings.Contains(body, "ne peut plus être retiré") {
			t.Fatalf("delete after submission: %d %s", code, body)
		}
	})
}
