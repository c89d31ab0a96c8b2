package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/app"
	"madina/internal/district"
	"madina/internal/permit"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
	"madina/internal/platform/testenv/smtptest"
)

// The people of the permit journey: demonstration accounts (docs/DEMO.md).
const (
	permitOwner     = "fatima.benali@example.ma" // a citizen without files
	permitArchitect = "omar.berrada@example.ma"  // the verified architect
	permitAgent     = "abdelkader.fassi@example.ma"
	permitWindow    = "sidi-othmane"
	permitPassword  = "Madina-Casa-2026"
)

// Names by which the pages show the people, and which the public tracking
// page must not show: given and family names, in Latin and Arabic letters.
var (
	permitOwnerNames     = []string{"Fatima", "Benali", "فاطمة", "بنعلي"}
	permitArchitectNames = []string{"Omar", "Berrada", "عمر برادة", "برادة"}
	permitAgentNames     = []string{"Abdelkader", "Fassi", "عبد القادر", "الفاسي"}
)

// The project: a small house in Sidi Othmane, as the architect types it.
var permitProject = struct {
	Title, Address, Lat, Lon string
	Fields                   permit.Values
}{
	Title:   "Maison R+1 — Hay El Amal",
	Address: "12, rue 45, Hay El Amal, Sidi Othmane",
	Lat:     "33.563", Lon: "-7.555", // inside Sidi Othmane's (approximate) outline
	Fields: permit.Values{"owner_kind": "person", "land_title": "45872/C", "use": "housing", "upper_floors": "1",
		"built_area": "160", "land_area": "120", "housing_units": "2"},
}

// TestPermitBuildingFile drives a building permit file through its whole
// journey in Chromium, each person in a browser context of their own: the
// owner mandates the demonstration architect; the architect files a small
// project in Sidi Othmane, uploads every document, submits and books the
// deposit; the Sidi Othmane window's agent returns it for a document; the
// architect completes and resubmits it; the agent accepts it; and anyone
// with the number and the tracking code follows it on the public page in
// Arabic. E-mail goes through a real SMTP server, SMS to a stand-in.
func TestPermitBuildingFile(t *testing.T) {
	needAxe(t)
	port, maildir := smtptest.Start(t)
	sms := &smsRecorder{}
	gw := httptest.NewServer(sms)
	t.Cleanup(gw.Close) // after the server stops: late jobs still find it
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir, "--smtp-host", "127.0.0.1", "--smtp-port", strconv.Itoa(port), "--smtp-tls", "none",
		"--smtp-from", "Madina <no-reply@casablanca.example.ma>", "--sms-url", gw.URL, "--workers", "2")
	b := startBrowser(t)

	// What the pages should say, from the same sources as the server.
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	catalogue := permit.Casablanca()
	kind, err := catalogue.Kind("building")
	if err != nil {
		t.Fatal(err)
	}
	route, err := catalogue.Route("building", permitProject.Fields)
	if err != nil || route.Window != district.ArrondissementWindow {
		t.Fatalf("the catalogue routes the project to %q (%v), want an arrondissement window", route.Window, err)
	}
	_, required := permit.Checklist(kind, permitProject.Fields, nil)
	docName := func(code string) i18n.Text {
		for _, d := range kind.Documents {
			if d.Code == code {
				return d.Name
			}
		}
		t.Fatalf("no document %q in the building permit", code)
		return i18n.Text{}
	}
	var window district.Window
	for _, w := range district.Casablanca().Windows {
		if w.Code == permitWindow {
			window = w
		}
	}
	if window.Code == "" {
		t.Fatalf("no window %q in the district reference", permitWindow)
	}
	// The document the window asks for again, and why.
	const returned, returnNote = "site_book", "Le cahier de chantier n’est pas signé par l’architecte."
	if !slices.Contains(required, returned) {
		t.Fatalf("%s is not required for the project: %v", returned, required)
	}
	docs := permitDocuments(t, kind, required)

	// Each person has a browser context of their own, in their language.
	owner := b.newTab(t, srv, desktop) // Arabic: the site's default
	arch := b.newTab(t, srv, desktop)
	arch.setLanguage("fr")
	agent := b.newTab(t, srv, desktop)
	agent.setLanguage("en")
	const ar, fr, en = i18n.AR, i18n.FR, i18n.EN

	var (
		filePath string // /files/{id}
		slot     time.Time
		number   string // the official number
		code     string // the tracking code
	)
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("owner mandates the architect", func(t *testing.T) {
		owner := owner.in(t)
		signIn(owner, permitOwner, false)
		owner.open("/me/mandates", 200)
		checkLanguage(owner, "ar")
		active := cat.T(ar, "identity.mandate.status.active")
		listed := func() bool {
			for _, row := range texts(owner, `section[aria-labelledby="given-title"] tbody tr`) {
				if strings.Contains(row, permitArchitectNames[3]) && strings.Contains(row, kind.Name.AR) && strings.Contains(row, active) {
					return true
				}
			}
			return false
		}
		if listed() {
			t.Logf("the demonstration already has %s mandate %s for building permits", permitOwner, permitArchitect)
		} else {
			owner.follow("click “give a mandate”", 200, chromedp.Click(chromedp.CSS(`main a[href="/me/mandates/new"]`)))
			owner.checkAxe()
			owner.do(chromedp.SendKeys(chromedp.CSS("#professional"), permitArchitect), chromedp.Click(chromedp.CSS("#scope-kind")),
				chromedp.SetValue(chromedp.CSS("#permit_kind"), "building"))
			submit(owner, "grant the mandate", `form[action="/me/mandates"] button[type=submit]`)
			if p := owner.path(); !strings.HasPrefix(p, "/me/mandates") {
				t.Fatalf("after granting the mandate at %s", p)
			}
			if !listed() {
				t.Fatalf("the mandate is not listed as active for building permits:\n%s", mainText(owner))
			}
		}
		owner.checkAxe()
		owner.checkConsole("")
	})

	step("architect prepares the file", func(t *testing.T) {
		arch := arch.in(t)
		signIn(arch, permitArchitect, false)
		arch.open("/files", 200)
		arch.follow("click “new file”", 200, chromedp.Click(chromedp.CSS(`main a[href="/files/new"]`)))
		checkLanguage(arch, "fr")
		arch.checkAxe()
		arch.do(chromedp.Click(chromedp.CSS("#kind-building")))
		// The owner is offered by name, with the kinds the mandate covers.
		radio := eval[string](arch, `(() => {
			const i = [...document.querySelectorAll('input[name="owner"]')]
				.find(i => document.querySelector('label[for="' + i.id + '"]').textContent.includes(`+strconv.Quote(permitOwnerNames[1])+`));
			return i ? i.id : '';
		})()`)
		if radio == "" {
			t.Fatalf("the owner is not offered on the new file form:\n%s", text(arch, "#owner"))
		}
		if l := text(arch, `label[for="`+radio+`"]`); !strings.Contains(l, kind.Name.FR) {
			t.Errorf("the owner's choice does not name the mandate's kind %q: %q", kind.Name.FR, l)
		}
		arch.do(chromedp.Click(chromedp.CSS("#"+radio)), chromedp.SendKeys(chromedp.CSS("#title"), permitProject.Title))
		submit(arch, "create the file", `form[action="/files"] button[type=submit]`)
		m := regexp.MustCompile(`^/files/([0-9]+)\?done=created$`).FindStringSubmatch(arch.path())
		if m == nil {
			t.Fatalf("after creating the file at %s", arch.path())
		}
		filePath = "/files/" + m[1]
		wantFact(arch, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.draft"))
		// The filing architect is named on the file from his account.
		if v := value(arch, "#party_architect_name"); !strings.Contains(v, permitArchitectNames[1]) {
			t.Errorf("the architect on the draft is %q, want Omar Berrada", v)
		}

		// The draft: typed as a person would, then saved.
		typed := map[string]string{"#address": permitProject.Address, "#lat": permitProject.Lat, "#lon": permitProject.Lon}
		chosen := map[string]string{"#arrondissement": permitWindow}
		for code, v := range permitProject.Fields {
			fd, _ := kind.Field(code)
			if fd.Type == permit.FieldChoice {
				chosen["#field_"+code] = v
			} else {
				typed["#field_"+code] = v
			}
		}
		for sel, v := range typed {
			arch.do(chromedp.SendKeys(chromedp.CSS(sel), v))
		}
		for sel, v := range chosen {
			arch.do(chromedp.SetValue(chromedp.CSS(sel), v))
		}
		checkValues := func(when string) {
			t.Helper()
			for _, m := range []map[string]string{typed, chosen} {
				for sel, v := range m {
					if got := value(arch, sel); got != v {
						t.Errorf("%s: %s holds %q, want %q", when, sel, got, v)
					}
				}
			}
		}
		checkValues("after typing")
		submit(arch, "save the draft", `form[action="`+filePath+`"] button[type=submit]`)
		checkValues("after saving")
		// Before submission the page says which kind of window will handle
		// the file, and why.
		wantText(arch, "main", cat.T(fr, "permit.files.done.saved"),
			cat.T(fr, "permit.files.route.preview", "window", cat.T(fr, "permit.window."+route.Window))+" "+route.Explanation.FR)
		arch.checkAxe()

		// Every required document, and only those, is listed as missing.
		var missing []string
		for _, href := range attrs(arch, `section[aria-labelledby="missing-heading"] a`, "href") {
			missing = append(missing, strings.TrimPrefix(href, "#item-"))
		}
		if !sameSet(missing, required) {
			t.Fatalf("missing documents %v, want %v", missing, required)
		}
		for _, code := range missing {
			upload(arch, filePath, code, docs[code])
		}
		if n := count(arch, "#missing-heading"); n != 0 {
			t.Fatalf("documents still missing after the uploads:\n%s", text(arch, `section[aria-labelledby="missing-heading"]`))
		}
		if n := count(arch, `section[aria-labelledby="checklist-heading"] .tag-yellow`); n != 0 {
			t.Errorf("%d checklist items still marked missing", n)
		}
		wantText(arch, `section[aria-labelledby="submit-heading"]`, cat.T(fr, "permit.files.submit.ready"))
		arch.checkAxe()
		arch.checkConsole("")
	})

	step("architect submits and books the deposit", func(t *testing.T) {
		arch := arch.in(t)
		// Check your answers, then submit from there.
		arch.follow("check your answers", 200, chromedp.Click(chromedp.CSS(`main a.button.start[href="`+filePath+`/check"]`)))
		wantText(arch, "main", cat.T(fr, "permit.journey.check.heading"), permitProject.Address)
		arch.checkAxe()
		submit(arch, "submit the file", `form[action="`+filePath+`/submit"] button[type=submit]`)
		wantFact(arch, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.submitted"))
		wantText(arch, "main", cat.T(fr, "permit.files.route.decided", "window", window.Name.FR)+" "+route.Explanation.FR)
		arch.checkAxe()

		// The first free slot; a slot can pass its notice while the page is
		// open (it starts a few seconds too soon): then take the next.
		for attempt := 1; ; attempt++ {
			first := eval[struct{ ID, Value string }](arch, `(() => {
				const i = document.querySelector('form[action="`+filePath+`/appointment"] input[name="start"]');
				return i ? {id: i.id, value: i.value} : {id: '', value: ''};
			})()`)
			if first.ID == "" {
				t.Fatalf("no deposit slot offered:\n%s", text(arch, `section[aria-labelledby="appointment-heading"]`))
			}
			if slot, err = time.Parse(time.RFC3339, first.Value); err != nil {
				t.Fatalf("slot %q: %v", first.Value, err)
			}
			arch.do(chromedp.Click(chromedp.CSS("#" + first.ID)))
			status, problem := post(arch, `form[action="`+filePath+`/appointment"] button[type=submit]`)
			if status == 200 {
				break
			}
			if attempt == 2 {
				t.Fatalf("book the slot of %s: answered %d: %s", slot, status, problem)
			}
			t.Logf("book the slot of %s: answered %d (%s); taking the next", slot, status, problem)
		}
		wantText(arch, "main", cat.T(fr, "permit.files.done.booked"))
		booked := text(arch, `section[aria-labelledby="appointment-heading"] strong`)
		if start := slot.In(i18n.Casablanca).Format("15:04"); !strings.Contains(booked, start) || !strings.Contains(booked, window.Name.FR) {
			t.Errorf("the appointment reads %q, want the window and %s", booked, start)
		}
		arch.checkAxe()
		arch.checkConsole("")

		// The confirmation carries the invitation, for the owner and the architect.
		dtstart := "DTSTART:" + slot.UTC().Format("20060102T150405Z")
		var got []string
		within(t, 30*time.Second, "an e-mail with the appointment's invitation", func() error {
			got = got[:0]
			for _, m := range smtptest.Read(t, maildir) {
				to := m.Header.Get("To")
				if !strings.Contains(to, permitOwner) && !strings.Contains(to, permitArchitect) {
					continue
				}
				for _, p := range mailParts(t, m) {
					if p.Type == "text/calendar" && strings.HasSuffix(p.Filename, ".ics") &&
						strings.Contains(string(p.Body), "BEGIN:VCALENDAR") && strings.Contains(string(p.Body), dtstart) {
						got = append(got, to)
					}
				}
			}
			if len(got) == 0 {
				return errNotYet
			}
			return nil
		})
		t.Logf("invitation (%s) sent to %s", dtstart, strings.Join(got, ", "))
	})

	step("agent returns the file for a document", func(t *testing.T) {
		agent := agent.in(t)
		signIn(agent, permitAgent, true)
		agent.open("/window/"+permitWindow, 200)
		checkLanguage(agent, "en")
		wantText(agent, "h1", window.Name.EN)
		agent.checkAxe()
		openInQueue(agent, permitWindow, filePath, permitOwnerNames[1])
		agent.checkAxe()
		wantFact(agent, cat, en, "permit.files.fact.state", cat.T(en, "permit.state.submitted"))
		agent.do(chromedp.Click(chromedp.CSS("#return-missing-"+returned)),
			chromedp.SendKeys(chromedp.CSS("#return-note"), returnNote))
		// The return asks first, saying what will happen, the document
		// asked for and the note; its own button returns the file.
		submit(agent, "ask to return the file", `form[method=get][action="`+filePath+`/return"] button[type=submit]`)
		if p := agent.path(); !strings.HasPrefix(p, filePath+"/return?") {
			t.Fatalf("the return button leads to %s, not its confirmation", p)
		}
		wantText(agent, "main", cat.T(en, "permit.msgs.confirm.return.text"), docName(returned).EN, returnNote)
		agent.checkAxe()
		submit(agent, "return the file", `form[method=post][action="`+filePath+`/return"] button[type=submit]`)
		wantText(agent, "main", cat.T(en, "permit.files.done.returned"))
		wantFact(agent, cat, en, "permit.files.fact.state", cat.T(en, "permit.state.returned"))
		agent.checkConsole("")
	})

	step("architect completes and resubmits", func(t *testing.T) {
		arch := arch.in(t)
		arch.open("/files", 200)
		arch.follow("open the file from “my files”", 200, chromedp.Click(chromedp.CSS(`main a[href="`+filePath+`"]`)))
		wantFact(arch, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.returned"))
		// The document asked for is marked, and named in the history with the note.
		wantText(arch, "#item-"+returned, cat.T(fr, "permit.files.item.requested"))
		wantText(arch, `section[aria-labelledby="history-heading"]`,
			cat.T(fr, "permit.files.event.missing", "items", docName(returned).FR), returnNote)
		arch.checkAxe()
		upload(arch, filePath, returned, docs[returned+"-v2"])
		wantText(arch, `section[aria-labelledby="history-heading"]`,
			cat.T(fr, "permit.event.uploaded", "item", docName(returned).FR, "version", "2"))
		wantText(arch, `form[action="`+filePath+`/submit"]`, cat.T(fr, "permit.files.submit.again"))
		submit(arch, "resubmit the file", `form[action="`+filePath+`/submit"] button[type=submit]`)
		wantFact(arch, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.submitted"))
		arch.checkConsole("")
	})

	step("agent accepts the file", func(t *testing.T) {
		agent := agent.in(t)
		agent.follow("back to the queue", 200, chromedp.Click(chromedp.CSS(`main nav a[href="/window"]`)))
		if p := agent.path(); p != "/window/"+permitWindow {
			t.Fatalf("the link to the queue leads to %s", p)
		}
		openInQueue(agent, permitWindow, filePath, permitOwnerNames[1])
		// The page's button asks first, on a page that says what will
		// happen; its own button accepts.
		submit(agent, "ask to accept the file", `form[method=get][action="`+filePath+`/accept"] button[type=submit]`)
		if p := agent.path(); !strings.HasPrefix(p, filePath+"/accept?version=") {
			t.Fatalf("the accept button leads to %s, not its confirmation", p)
		}
		wantText(agent, "main", cat.T(en, "permit.confirm.accept.text"))
		agent.checkAxe()
		submit(agent, "accept the file", `form[method=post][action="`+filePath+`/accept"] button[type=submit]`)
		wantText(agent, "main", cat.T(en, "permit.files.done.accepted"))
		wantFact(agent, cat, en, "permit.files.fact.state", cat.T(en, "permit.state.accepted"))
		number = text(agent, "dl.facts dd strong bdi")
		year := time.Now().In(i18n.Casablanca).Year()
		if !regexp.MustCompile(fmt.Sprintf(`^SIDI-OTHMANE-%d-[0-9]{5}$`, year)).MatchString(number) {
			t.Fatalf("official number %q, want SIDI-OTHMANE-%d-NNNNN", number, year)
		}
		agent.checkAxe()
		// The receipt link answers a PDF, fetched as the browser would.
		href := attrs(agent, `dl.facts a[href$="/receipt.pdf"]`, "href")
		if len(href) != 1 || href[0] != filePath+"/receipt.pdf" {
			t.Fatalf("receipt links %v, want %s/receipt.pdf", href, filePath)
		}
		r := eval[struct {
			Status      int
			Type, Body  string
			Disposition string
		}](agent, `fetch(`+strconv.Quote(href[0])+`).then(async r => {
			const b = new Uint8Array(await r.arrayBuffer());
			let s = ''; for (const c of b) s += String.fromCharCode(c);
			return {status: r.status, type: r.headers.get('Content-Type') || '', disposition: r.headers.get('Content-Disposition') || '', body: btoa(s)};
		})`)
		body, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 200 || r.Type != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Fatalf("the receipt answered %d %q, %d bytes starting %q", r.Status, r.Type, len(body), body[:min(len(body), 8)])
		}
		info, err := pdf.Inspect(bytes.NewReader(body), int64(len(body)))
		if err != nil || info.Pages < 1 {
			t.Fatalf("the receipt is no readable PDF: %+v %v", info, err)
		}
		t.Logf("receipt: %d bytes, %d pages, %s", len(body), info.Pages, r.Disposition)
		agent.checkConsole("")
	})

	step("architect sees the number and the tracking code", func(t *testing.T) {
		arch := arch.in(t)
		arch.open(filePath, 200)
		wantFact(arch, cat, fr, "permit.files.fact.state", cat.T(fr, "permit.state.accepted"))
		if got := text(arch, "dl.facts dd strong bdi"); got != number {
			t.Errorf("the architect sees number %q, the window gave %q", got, number)
		}
		code = text(arch, "dl.facts dd code")
		if !regexp.MustCompile(`^[A-Z0-9]{8}$`).MatchString(code) {
			t.Fatalf("tracking code %q", code)
		}
		arch.checkAxe()
		arch.checkConsole("")

		// The acceptance reaches the applicants with the same number and code.
		codeRE := regexp.MustCompile(regexp.QuoteMeta(number) + `&code=([A-Z0-9]{8})`)
		var mailed string
		within(t, 30*time.Second, "the acceptance e-mail", func() error {
			for _, m := range smtptest.Read(t, maildir) {
				if to := m.Header.Get("To"); !strings.Contains(to, permitOwner) && !strings.Contains(to, permitArchitect) {
					continue
				}
				for _, p := range mailParts(t, m) {
					if c := codeRE.FindStringSubmatch(string(p.Body)); p.Type == "text/plain" && c != nil {
						mailed = c[1]
						return nil
					}
				}
			}
			return errNotYet
		})
		if mailed != code {
			t.Errorf("the acceptance e-mail gives tracking code %q, the file page %q", mailed, code)
		}
		within(t, 30*time.Second, "the acceptance SMS", func() error {
			sms.mu.Lock()
			defer sms.mu.Unlock()
			for _, m := range sms.msgs {
				if strings.Contains(m.Text, number) && strings.Contains(m.Text, code) {
					return nil
				}
			}
			return errNotYet
		})
	})

	step("anyone follows the file in Arabic", func(t *testing.T) {
		tb := b.newTab(t, srv, desktop) // signed out, cookies of its own
		tb.setLanguage("ar")
		tb.open("/track", 200)
		checkLanguage(tb, "ar")
		tb.do(chromedp.SendKeys(chromedp.CSS("#number"), number), chromedp.SendKeys(chromedp.CSS("#code"), code))
		submit(tb, "track the file", `form[action="/track"] button[type=submit]`)
		checkLanguage(tb, "ar")
		if d := eval[string](tb, `getComputedStyle(document.body).direction`); d != "rtl" {
			t.Errorf("the tracking page is laid out %s", d)
		}
		result := `section[aria-labelledby="result-heading"]`
		wantText(tb, "#result-heading", number)
		if got, want := factIn(tb, result, cat.T(ar, "permit.files.fact.state")), cat.T(ar, "permit.state.accepted"); got != want {
			t.Errorf("state %q, want %q", got, want)
		}
		events := texts(tb, result+" ol li")
		for _, want := range []string{cat.T(ar, "permit.event.submit", "window", window.Name.AR), cat.T(ar, "permit.event.return"),
			cat.T(ar, "permit.files.event.missing", "items", docName(returned).AR), cat.T(ar, "permit.event.accept", "number", number)} {
			if !slices.ContainsFunc(events, func(e string) bool { return strings.Contains(e, want) }) {
				t.Errorf("the timeline does not say %q:\n%s", want, strings.Join(events, "\n"))
			}
		}
		// Never who, nor why: no names, no note, no address.
		page := eval[string](tb, `document.body.innerText`)
		for _, private := range slices.Concat(permitOwnerNames, permitArchitectNames, permitAgentNames,
			[]string{returnNote, permitProject.Address, "@example.ma"}) {
			if strings.Contains(page, private) {
				t.Errorf("the public page shows %q", private)
			}
		}
		tb.checkAxe()
		tb.checkConsole("")
	})
}

// signIn signs tb in with the demonstration password, and the
// demonstration second factor for staff.
func signIn(tb *tab, email string, staff bool) {
	tb.t.Helper()
	tb.open("/signin", 200)
	tb.do(chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), permitPassword))
	submit(tb, "sign in as "+email, `form[action="/signin"] button[type=submit]`)
	if p := tb.path(); strings.HasPrefix(p, "/signin/second-factor") != staff {
		tb.t.Fatalf("%s signed in at %s", email, p)
	}
	if staff {
		code, err := otptotp.GenerateCode(demoTOTP, time.Now())
		if err != nil {
			tb.t.Fatal(err)
		}
		tb.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
		submit(tb, "second factor of "+email, `form[action="/signin/second-factor"] button[type=submit]`)
	}
	if p := tb.path(); p != "/me" {
		tb.t.Fatalf("%s signed in at %s", email, p)
	}
}

// openInQueue goes from the window's queue to its new deposits, finds a
// file there page after page, checks its row, and opens it.
func openInQueue(tb *tab, window, filePath, owner string) {
	tb.t.Helper()
	tb.follow("the “new deposits” tab", 200, chromedp.Click(chromedp.CSS(`nav a[href="/window/`+window+`?tab=new"]`)))
	link := `main table a[href="` + filePath + `"]`
	for page := 1; count(tb, link) == 0; page++ {
		if page == 20 || count(tb, `a[rel="next"]`) == 0 {
			tb.t.Fatalf("%s is not among the new deposits of %s (%d pages)", filePath, window, page)
		}
		tb.follow("the queue's next page", 200, chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
	}
	row := eval[[]string](tb, `[...document.querySelector(`+strconv.Quote(link)+`).closest('tr').children].map(c => c.innerText.trim())`)
	if len(row) != 5 || !strings.Contains(row[1], owner) || row[3] == "—" {
		tb.t.Errorf("queue row %q: want the owner %s and the appointment", row, owner)
	}
	tb.follow("open the file from the queue", 200, chromedp.Click(chromedp.CSS(link)))
}

// upload chooses file for the checklist item code and sends it.
func upload(tb *tab, filePath, code, file string) {
	tb.t.Helper()
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#file-"+code), []string{file}))
	submit(tb, "upload "+code, "#item-"+code+` form[enctype="multipart/form-data"] button[type=submit]`)
	got := text(tb, "#item-"+code+` a[href^="`+filePath+`/documents/"]`)
	if got != filepath.Base(file) {
		tb.t.Errorf("item %s shows the upload %q, want %q", code, got, filepath.Base(file))
	}
}

// submit clicks a form's button and fails unless the page it leads to
// answers 200, quoting the page's alerts if not.
func submit(tb *tab, what, button string) {
	tb.t.Helper()
	if status, problem := post(tb, button); status != 200 {
		tb.t.Fatalf("%s: answered %d; the page says: %s", what, status, problem)
	}
}

// post clicks a form's button and returns the status of the page it
// leads to, and the page's alerts and errors.
func post(tb *tab, button string) (int64, string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	cancel()
	if err != nil || resp == nil {
		// Say what is under the button now, in case the click missed it.
		under := eval[string](tb, `(b => { if (!b) return 'no such button';
			const r = b.getBoundingClientRect(), e = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
			return 'at (' + Math.round(r.x) + ', ' + Math.round(r.y) + ') lies ' + (e ? e.outerHTML.slice(0, 120) : 'nothing');
		})(document.querySelector(`+strconv.Quote(button)+`))`)
		tb.t.Fatalf("clicking %s loaded no page: %v; %s", button, err, under)
	}
	problem := eval[string](tb, `[...document.querySelectorAll('[role=alert], .error')].map(e => e.innerText.trim()).join(' | ')`)
	return resp.Status, problem
}

// text is the text of the first element matching sel.
func text(tb *tab, sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(get(tb, chromedp.Text(chromedp.CSS(sel))))
}

// texts is the text of every element matching sel.
func texts(tb *tab, sel string) []string {
	tb.t.Helper()
	return eval[[]string](tb, `[...document.querySelectorAll(`+strconv.Quote(sel)+`)].map(e => e.innerText.trim())`)
}

// attrs is the attribute name of every element matching sel.
func attrs(tb *tab, sel, name string) []string {
	tb.t.Helper()
	return eval[[]string](tb, `[...document.querySelectorAll(`+strconv.Quote(sel)+`)].map(e => e.getAttribute(`+strconv.Quote(name)+`) || '')`)
}

// count is how many elements match sel.
func count(tb *tab, sel string) int {
	tb.t.Helper()
	return eval[int](tb, `document.querySelectorAll(`+strconv.Quote(sel)+`).length`)
}

// value is a form control's value.
func value(tb *tab, sel string) string {
	tb.t.Helper()
	return eval[string](tb, `document.querySelector(`+strconv.Quote(sel)+`).value`)
}

// mainText is the main content's text.
func mainText(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `document.querySelector('main').innerText`)
}

// wantText fails unless the element matching sel says each of want.
func wantText(tb *tab, sel string, want ...string) {
	tb.t.Helper()
	got := eval[string](tb, `(e => e ? e.innerText : '')(document.querySelector(`+strconv.Quote(sel)+`))`)
	for _, w := range want {
		if !strings.Contains(got, w) {
			tb.t.Errorf("%s: %s does not say %q:\n%s", tb.path(), sel, w, got)
		}
	}
}

// factIn is the value of the fact labelled label in the first dl.facts
// inside sel (the page's facts have no ids: they are found by their terms).
func factIn(tb *tab, sel, label string) string {
	tb.t.Helper()
	return eval[string](tb, `(() => {
		const dt = [...document.querySelectorAll(`+strconv.Quote(sel+" dl.facts dt")+`)].find(d => d.innerText.trim() === `+strconv.Quote(label)+`);
		return dt && dt.nextElementSibling ? dt.nextElementSibling.innerText.trim() : '';
	})()`)
}

// wantFact fails unless the file page's fact labelled by key reads want.
func wantFact(tb *tab, cat *i18n.Catalog, l i18n.Lang, key, want string) {
	tb.t.Helper()
	if got := factIn(tb, "main", cat.T(l, key)); got != want {
		tb.t.Fatalf("%s: %s is %q, want %q", tb.path(), cat.T(l, key), got, want)
	}
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// mailPart is a leaf of a received e-mail, its body decoded.
type mailPart struct {
	Type, Filename string
	Body           []byte
}

// mailParts walks a message's MIME tree and returns its leaves.
func mailParts(t *testing.T, m *mail.Message) []mailPart {
	t.Helper()
	return mimeLeaves(t, textproto.MIMEHeader(m.Header), m.Body)
}

func mimeLeaves(t *testing.T, h textproto.MIMEHeader, body io.Reader) []mailPart {
	t.Helper()
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		var out []mailPart
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("%s: %v", mt, err)
			}
			out = append(out, mimeLeaves(t, p.Header, p)...)
		}
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("%s: %v", mt, err)
	}
	name := params["name"]
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && dp["filename"] != "" {
		name = dp["filename"]
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = dec
	}
	return []mailPart{{Type: mt, Filename: name, Body: b}}
}

// permitDocuments writes a small PDF for each required document, and a
// second version of the site book, in a temporary directory: the
// architectural plans as an A3 plan with Arabic text, the others a page
// naming the document in Arabic and French.
func permitDocuments(t *testing.T, k *permit.Kind, codes []string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	write := func(name string, d *pdf.Document) string {
		var buf bytes.Buffer
		if _, err := d.WriteTo(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	page := func(title i18n.Text, lines ...string) *pdf.Document {
		d := pdf.New(pdf.Options{Title: title.FR, Author: "Omar Berrada, architecte", Lang: "ar"})
		d.AddPage()
		w := d.Size().W
		d.TextRight(w-50, 80, 16, true, title.AR)
		d.Text(50, 110, 12, false, title.FR)
		d.Text(50, 140, 11, false, permitProject.Title+" — "+permitProject.Address)
		for i, l := range lines {
			d.Text(50, 170+float64(i)*18, 11, false, l)
		}
		return d
	}
	for _, code := range codes {
		var name i18n.Text
		for _, d := range k.Documents {
			if d.Code == code {
				name = d.Name
			}
		}
		if code == "architectural_plans" {
			out[code] = write(code+".pdf", plan())
			continue
		}
		out[code] = write(code+".pdf", page(name))
		if code == "site_book" {
			out[code+"-v2"] = write(code+"-v2.pdf", page(name, "Version 2 — signé par l’architecte (CNOA-1187)."))
		}
	}
	return out
}

// plan draws an A3 sheet of plans: the ground and first floors, with an
// Arabic title block.
func plan() *pdf.Document {
	d := pdf.New(pdf.Options{Title: "Plans d’architecture — R+1", Author: "Omar Berrada, architecte", Lang: "ar", Size: pdf.A3Landscape})
	d.AddPage()
	s := d.Size()
	d.Rect(pdf.Rect{X: 20, Y: 20, W: s.W - 40, H: s.H - 40}, 1.5)
	for i, floor := range []string{"الطابق الأرضي", "الطابق الأول"} {
		x := 60 + float64(i)*480
		d.Rect(pdf.Rect{X: x, Y: 80, W: 400, H: 320}, 2)          // outer walls
		d.Line(x+160, 80, x+160, 400, 1)                          // a partition
		d.Line(x, 260, x+160, 260, 1)                             // another
		d.FillRect(pdf.Rect{X: x + 250, Y: 80, W: 60, H: 6}, 0.5) // a window
		d.TextRight(x+400, 430, 14, true, floor)
		d.Text(x, 450, 10, false, "16,00 m × 12,80 m")
	}
	d.FillRect(pdf.Rect{X: s.W - 420, Y: s.H - 200, W: 380, H: 160}, 0.95)
	d.TextRight(s.W-50, s.H-165, 16, true, "التصاميم المعمارية — سكن فردي، طابق أرضي + طابق واحد")
	d.TextRight(s.W-50, s.H-135, 12, false, "حي الأمل، مقاطعة سيدي عثمان، الدار البيضاء")
	d.TextRight(s.W-50, s.H-110, 12, false, "المهندس المعماري: عمر برادة — المساحة المغطاة 160 م²")
	d.Text(s.W-410, s.H-60, 10, false, "Échelle 1/100 — TF 45872/C")
	return d
}
