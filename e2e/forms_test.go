package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A sign-up with several mistakes, on a 390-pixel phone in Arabic: the
// page comes back with every mistake at once in a red error summary at the
// top, whose first link moves to its field; the title says "Error"; axe
// finds nothing, and nothing sticks out sideways.
func TestSignUpErrorsOnAPhone(t *testing.T) {
	needAxe(t)
	srv := startServer(t)
	b := startBrowser(t)
	tb := b.newTab(t, srv, viewport{width: 390, height: 844, mobile: true})
	tb.setLanguage("ar")
	tb.open("/signup", 200)
	fields := map[string]string{"given_name_ar": "سلمى", "family_name_ar": "الإدريسي", "given_name_latin": "Salma",
		"family_name_latin": "Idrissi", "cin": "١٢٣", "email": "salma@", "phone": "0522", "password": "short", "password_confirm": "other"}
	for id, v := range fields {
		tb.do(chromedp.SendKeys(chromedp.CSS("#"+id), v))
	}
	tb.follow("send the form with mistakes", 400, chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)))
	if p := tb.path(); p != "/signup" {
		t.Fatalf("after a failed post the address is %s", p)
	}
	links := eval[[]string](tb, `[...document.querySelectorAll(".error-summary a")].map(a => a.getAttribute("href"))`)
	want := []string{"#cin", "#email", "#phone", "#password", "#password_confirm", "#accept"}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Fatalf("error summary links %v, want %v", links, want)
	}
	if top := eval[bool](tb, `document.querySelector("main").firstElementChild.classList.contains("error-summary")`); !top {
		t.Fatal("the error summary is not the first thing in the page's content")
	}
	if title := eval[string](tb, `document.title`); !strings.HasPrefix(title, "خطأ") {
		t.Fatalf("title %q does not start with the word error", title)
	}
	if got := eval[string](tb, `document.getElementById("given_name_latin").value`); got != "Salma" {
		t.Fatalf("the form lost what was typed: %q", got)
	}
	tb.checkAxe()
	checkNoHorizontalScroll(tb)
	checkTargets(tb)
	tb.do(chromedp.Click(chromedp.CSS(`.error-summary a[href="#email"]`)))
	if id := eval[string](tb, `document.activeElement.id`); id != "email" {
		t.Fatalf("the summary's link leaves the focus on %q", id)
	}
	// Reloading the failed post's address is a GET of the form, not an
	// error page.
	tb.open("/signup", 200)
}
