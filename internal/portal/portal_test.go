package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/portal"
)

// card returns the home page's card whose link is href, or "".
func card(body, href string) string {
	for _, c := range strings.Split(body, `<li class="card">`)[1:] {
		c, _, _ = strings.Cut(c, "</li>")
		if strings.Contains(c, `href="`+href+`"`) {
			return c
		}
	}
	return ""
}

var stateRE = regexp.MustCompile(`data-state="([a-z]+)"`)

// The home page says a permit family's filing is open exactly when a
// citizen can start filing a kind of it: each family's card is compared
// with the filing page itself, for every family of the catalogue in force.
func TestHomeSaysFilingIsOpenWhereItWorks(t *testing.T) {
	a := apptest.New(t, db.SQLite)
	srv := apptest.Server(t, a)
	citizen := apptest.Join(t, a, srv.URL, "home@example.ma", "BK7001", i18n.FR)
	anon := apptest.NewBrowser(t, srv.URL)
	anon.SetLang(i18n.FR)
	_, home, _ := anon.Get("/")
	families := map[string]bool{}
	for _, k := range a.Catalogue.Kinds {
		if families[k.Family] || !slices.Contains(k.Filers, "owner") {
			continue
		}
		families[k.Family] = true
		code, page, _ := citizen.Get("/files/new?kind=" + k.Code)
		works := code == http.StatusOK && strings.Contains(page, `action="/files"`)
		if !works {
			t.Errorf("filing a %s (%s) does not start: %d", k.Code, k.Family, code)
		}
		c := card(home, "/procedures?family="+k.Family)
		m := stateRE.FindStringSubmatch(c)
		if m == nil {
			t.Fatalf("no card for the %s family on the home page:\n%s", k.Family, apptest.Grep(home, "card"))
		}
		if works && (m[1] != portal.Online || strings.Contains(c, a.Cat.T(i18n.FR, "portal.state.soon")) ||
			!strings.Contains(c, a.Cat.T(i18n.FR, "portal.state.filing"))) {
			t.Errorf("filing %s works but the home page says %q:\n%s", k.Family, m[1], c)
		}
	}
	if len(families) != 2 {
		t.Errorf("families filed by owners: %v, want urban and economic", families)
	}
	// Public tracking is one link away from the home page, and from
	// every page's footer (the procedure pages among them).
	if !strings.Contains(home, `<a class="button secondary" href="/track">`) {
		t.Errorf("the home page does not link to tracking")
	}
	if _, proc, _ := anon.Get("/procedures"); !strings.Contains(proc, `<a href="/track">`) {
		t.Errorf("the procedure pages do not link to tracking")
	}
	if miss := apptest.Untranslated(a); len(miss) > 0 {
		t.Errorf("untranslated: %v", miss)
	}
}

// fakeFiling files some families.
type fakeFiling []string

func (f fakeFiling) FilingFamilies() []string { return f }

// Without a capability that files permits, or without a family among the
// ones it files, the home page does not say filing is open; a service with
// pages only is "info", one with nothing "soon".
func TestStatesFollowWhatIsThere(t *testing.T) {
	state := func(h portal.Home, key string) string {
		for _, s := range h.Services {
			if s.Key == key {
				return s.State
			}
		}
		return "missing"
	}
	none := portal.States(portal.Services, nil)
	if state(none, "urban_permits") != portal.Soon || state(none, "economic_permits") != portal.Soon || none.Track {
		t.Errorf("without permits: %+v", none)
	}
	for _, s := range none.Services {
		if s.Family != "" && s.Href != "" {
			t.Errorf("%s links to procedure pages nobody serves", s.Key)
		}
	}
	urban := portal.States(portal.Services, fakeFiling{"urban"})
	if state(urban, "urban_permits") != portal.Online || state(urban, "economic_permits") != portal.Info || !urban.Track {
		t.Errorf("urban only: %+v", urban)
	}
	if state(urban, "arrondissements") != portal.Online || state(urban, "booking") != portal.Soon {
		t.Errorf("other services: %+v", urban)
	}
}

// The footer's information pages exist in the three languages with every
// text translated, and the privacy notice says what law 09-08 asks: the
// controller, what is kept, why, how long, the rights and how to use them.
func TestInfoPagesInThreeLanguages(t *testing.T) {
	a := apptest.New(t, db.SQLite)
	srv := apptest.Server(t, a)
	b := apptest.NewBrowser(t, srv.URL)
	for _, l := range i18n.Langs {
		b.SetLang(l)
		_, home, _ := b.Get("/")
		for _, p := range portal.InfoPages {
			if !strings.Contains(home, `href="`+p.Path+`"`) {
				t.Errorf("%s: the footer does not link to %s", l, p.Path)
			}
			code, body, _ := b.Get(p.Path)
			if code != http.StatusOK || !strings.Contains(body, `<html lang="`+string(l)+`"`) {
				t.Errorf("%s %s: %d", l, p.Path, code)
				continue
			}
			if !strings.Contains(body, "<h1>"+a.Cat.T(l, "portal."+p.Name+".title")+"</h1>") {
				t.Errorf("%s %s: no title", l, p.Path)
			}
			if strings.Contains(body, "portal."+p.Name+".") {
				t.Errorf("%s %s shows a message key:\n%s", l, p.Path, apptest.Grep(body, "portal."))
			}
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("%s: untranslated: %v", l, miss)
		}
	}
	// Sign-up asks to accept the terms and the privacy notice: it links
	// to both.
	if _, signup, _ := b.Get("/signup"); !strings.Contains(signup, `href="/terms"`) || !strings.Contains(signup, `href="/privacy"`) {
		t.Errorf("sign-up does not link the terms and the privacy notice it asks to accept:\n%s", apptest.Grep(signup, "accept"))
	}
	b.SetLang(i18n.FR)
	_, privacy, _ := b.Get("/privacy")
	for _, want := range []string{"09-08", "Commune de Casablanca", "CNDP", "d’accès", "de rectification", "d’opposition",
		`href="/me/export"`, "Combien de temps", "12 heures"} {
		if !strings.Contains(privacy, want) {
			t.Errorf("the privacy notice lacks %q", want)
		}
	}
}

// The account navigation counts unread notices with a badge whose words
// screen readers hear, and shows none when all are read.
func TestHeaderCountsUnreadNotices(t *testing.T) {
	a := apptest.New(t, db.SQLite)
	srv := apptest.Server(t, a)
	b := apptest.Join(t, a, srv.URL, "badge@example.ma", "BK7201", i18n.FR)
	ctx := context.Background()
	if err := a.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Jobs.Shutdown(ctx)
	})
	key := "person:" + strconv.FormatInt(apptest.PersonID(t, a, "badge@example.ma"), 10)
	before, _ := a.Notify.Unread(ctx, key)
	for range 2 {
		m := notify.Message{Template: "platform.test", To: notify.Recipient{UserID: key, Lang: "fr"}, Channels: []notify.Channel{notify.Inbox}}
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error { return a.Notify.Send(ctx, tx, m) }); err != nil {
			t.Fatal(err)
		}
	}
	want := before + 2
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, _ := a.Notify.Unread(ctx, key); n == want {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d unread, want %d", n, want)
		}
	}
	// The inbox link of the header, whether it is drawn with the bell
	// (make build brings the icons) or as a word.
	inboxLink := func(body string) string {
		m := regexp.MustCompile(`<a href="/me/inbox"[^>]*>.*?</a>`).FindString(body)
		if m == "" {
			t.Fatalf("no inbox link in the header:\n%s", apptest.Grep(body, "inbox"))
		}
		return m
	}
	_, body, _ := b.Get("/")
	badge := `<span class="nav-count"><span aria-hidden="true">` + strconv.Itoa(want) +
		`</span><span class="visually-hidden">` + a.Cat.T(i18n.FR, "identity.inbox.unread", "count", want) + `</span></span>`
	if l := inboxLink(body); !strings.Contains(l, badge) || !strings.Contains(l, "Notifications") {
		t.Errorf("no badge of %d: %s", want, l)
	}
	if code, _, _ := b.Post("/me/inbox", "/me/inbox/read", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("mark all read: %d", code)
	}
	if _, body, _ = b.Get("/"); strings.Contains(inboxLink(body), "nav-count") || !strings.Contains(inboxLink(body), "Notifications") {
		t.Errorf("a badge with nothing unread: %s", inboxLink(body))
	}
}
