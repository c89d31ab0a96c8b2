package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestDesks visits the pages of the people who work all day in Madina —
// the window agent's queue (its tabs, today's appointments, a look-up by
// name), the architect's "my files" filtered, the administrator's overview,
// audit log and staff lists — at 390 and 1366 px in Arabic and French:
// no sideways scrolling, targets large enough, axe (WCAG 2.2), no console
// error; at 1366 px the queue's tabs hold on one line.
func TestDesks(t *testing.T) {
	needAxe(t)
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	for _, who := range []struct {
		email string
		staff bool
		pages []string
	}{
		{"amina.idrissi@example.ma", true, []string{"/window/city", "/window/city?tab=today", "/window/city?q=%D8%A7%D9%84%D8%B9%D9%84%D9%88%D9%8A"}},
		{"omar.berrada@example.ma", false, []string{"/files", "/files?state=accepted&sort=owner"}},
		{"nadia.bensouda@example.ma", true, []string{"/admin", "/admin/audit", "/admin/staff", "/admin/professionals", "/admin/organisations", "/window/city"}},
	} {
		for step, v := range []viewport{phone390, laptop1366} {
			tb := b.newTab(t, srv, v)
			if who.staff {
				// Two sign-ins of one account in a 30-second step would replay a code.
				signInStaffAt(tb, who.email, time.Now().Add(time.Duration(step)*30*time.Second))
			} else {
				signIn(tb, who.email, false)
			}
			for _, lang := range []string{"ar", "fr"} {
				tb.setLanguage(lang)
				for _, p := range who.pages {
					t.Run(fmt.Sprintf("%s %s %s %d", who.email, p, lang, v.width), func(t *testing.T) {
						tb := tb.in(t)
						tb.open(p, 200)
						checkLanguage(tb, lang)
						checkNoHorizontalScroll(tb)
						checkTargets(tb)
						checkAxe22(tb)
						tb.checkConsole("")
						if v.width >= 1366 && count(tb, "nav.tabs a") > 0 {
							if rows := eval[int](tb, `new Set([...document.querySelectorAll('nav.tabs a')].map(a => Math.round(a.getBoundingClientRect().top))).size`); rows != 1 {
								t.Errorf("%s: the queue's tabs take %d lines at %d px", p, rows, v.width)
							}
						}
					})
				}
			}
		}
	}
}
