package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestAttachmentName(t *testing.T) {
	for _, tc := range []struct{ name, ct, want string }{
		{"poly.html", "application/pdf", "poly.pdf"},
		{"plan.PDF", "application/pdf", "plan.PDF"},
		{"plan.pdf.exe", "application/pdf", "plan.pdf.pdf"},
		{"photo.jpeg", "image/jpeg", "photo.jpeg"},
		{"photo.jpg", "image/jpeg", "photo.jpg"},
		{"photo.svg", "image/png", "photo.png"},
		{"plan v2", "application/pdf", "plan v2.pdf"},
		{"relevé 2024.05", "application/pdf", "relevé 2024.05.pdf"},
		{"notes.verylongext", "application/pdf", "notes.verylongext.pdf"},
		{".html", "application/pdf", "document.pdf"},
		{"x.html", "application/octet-stream", "x.bin"},
		{"مخطط.html", "application/pdf", "مخطط.pdf"},
	} {
		if got := AttachmentName(tc.name, tc.ct); got != tc.want {
			t.Errorf("AttachmentName(%q, %q) = %q, want %q", tc.name, tc.ct, got, tc.want)
		}
	}
}

func TestAttachmentHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	Attachment(w, "poly.html", "application/pdf")
	for k, want := range map[string]string{
		"Content-Type":            "application/pdf",
		"Content-Disposition":     `attachment; filename="poly.pdf"; filename*=UTF-8''poly.pdf`,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": AttachmentPolicy,
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}
