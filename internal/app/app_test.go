package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/notify"
	"madina/internal/permit"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

func TestMessageCataloguesAreComplete(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load(app.MessageSources()...)
	if err != nil {
		t.Fatal(err)
	}
	if probs := cat.Check(); len(probs) > 0 {
		t.Fatalf("catalogue problems:\n%s", strings.Join(probs, "\n"))
	}
	if len(cat.Keys(i18n.AR)) < 50 {
		t.Fatalf("only %d keys: catalogues not loaded", len(cat.Keys(i18n.AR)))
	}
}

func TestPagesInEveryLanguage(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		pages := []struct {
			path   string
			status int
			want   map[i18n.Lang]string
		}{
			{"/", 200, map[i18n.Lang]string{i18n.AR: "رخص التعمير", i18n.FR: "Autorisations d’urbanisme", i18n.EN: "Urban permits"}},
			{"/arrondissements", 200, map[i18n.Lang]string{i18n.AR: "سيدي عثمان", i18n.FR: "Sidi Othmane", i18n.EN: "Sidi Othmane"}},
			{"/arrondissements/maarif", 200, map[i18n.Lang]string{i18n.AR: "المعاريف", i18n.FR: "Maârif", i18n.EN: "Maarif"}},
			{"/arrondissements/atlantis", 404, map[i18n.Lang]string{i18n.AR: "لا توجد مقاطعة", i18n.FR: "Aucun arrondissement", i18n.EN: "No arrondissement"}},
			{"/no/such/page", 404, map[i18n.Lang]string{i18n.AR: "الصفحة غير موجودة", i18n.FR: "Page introuvable", i18n.EN: "Page not found"}},
			{"/procedures", 200, map[i18n.Lang]string{i18n.AR: "رخصة تقسيم العقارات", i18n.FR: "Autorisation de morcellement", i18n.EN: "Land division permit"}},
			{"/procedures?q=%EF%BA%8D%EF%BB%B9%EF%BA%BB%EF%BB%BC%EF%BA%A2&family=urban", 200, map[i18n.Lang]string{i18n.AR: "رخصة الإصلاح", i18n.FR: "Autorisation de réfection", i18n.EN: "Repair permit"}},
			{"/procedures?q=xyzzy", 200, map[i18n.Lang]string{i18n.AR: "لا توجد مسطرة تطابق بحثك", i18n.FR: "Aucune procédure ne correspond", i18n.EN: "No procedure matches"}},
			{"/procedures?family=agricultural", 400, map[i18n.Lang]string{i18n.AR: "يجب أن يكون الصنف", i18n.FR: "La famille doit être", i18n.EN: "The family must be"}},
			{"/procedures/building", 200, map[i18n.Lang]string{i18n.AR: "15 يوم عمل", i18n.FR: "15 jours ouvrables", i18n.EN: "15 working days"}},
			// The committee's occasional members, and when they sit.
			{"/procedures/subdivision", 200, map[i18n.Lang]string{i18n.AR: "عشرون وحدة سكنية أو بقعة فأكثر: شبكة الاتصالات", i18n.FR: "Vingt logements ou lots ou plus : réseau de télécommunications", i18n.EN: "Twenty dwellings or lots or more: telecommunications network"}},
			{"/procedures/habitation", 200, map[i18n.Lang]string{i18n.AR: "شهر واحد ابتداء من التصريح بانتهاء الأشغال", i18n.FR: "1 mois à compter de la déclaration d’achèvement", i18n.EN: "1 month from the completion declaration"}},
			{"/procedures/classified_establishment", 200, map[i18n.Lang]string{i18n.AR: "الصنف الأول (أخطار أو مضار كبيرة) أو الصنف الثاني", i18n.FR: "1re classe (dangers ou nuisances importants) ou 2e classe", i18n.EN: "class 1 (major hazards or nuisances) or class 2"}},
			{"/procedures/kiosk", 404, map[i18n.Lang]string{i18n.AR: "لا توجد مسطرة بهذا الرمز", i18n.FR: "Aucune procédure ne porte ce code", i18n.EN: "No procedure has this code"}},
		}
		for _, p := range pages {
			for _, l := range i18n.Langs {
				r := apptest.Do(t, a.Handler, "GET", p.path, nil, "Cookie", "lang="+string(l))
				if r.Code != p.status {
					t.Errorf("%s in %s: status %d, want %d", p.path, l, r.Code, p.status)
				}
				if !strings.Contains(r.Body, `<html lang="`+string(l)+`" dir="`+l.Dir()+`">`) {
					t.Errorf("%s in %s: wrong lang/dir on <html>", p.path, l)
				}
				if !strings.Contains(r.Body, p.want[l]) {
					t.Errorf("%s in %s: missing %q", p.path, l, p.want[l])
				}
				if ks := apptest.Untranslated(a); len(ks) > 0 {
					t.Errorf("%s in %s: keys without a text %q", p.path, l, ks)
				}
				for _, lm := range []string{`<main id="main"`, `class="skip-link" href="#main"`, `<nav class="main-nav" aria-label=`, `<footer`} {
					if !strings.Contains(r.Body, lm) {
						t.Errorf("%s in %s: missing landmark %q", p.path, l, lm)
					}
				}
			}
		}
	})
}

func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	// Arabic by default.
	if r := apptest.Do(t, a.Handler, "GET", "/", nil); !strings.Contains(r.Body, `lang="ar" dir="rtl"`) || r.Header.Get("Content-Language") != "ar" {
		t.Fatalf("default is not Arabic: %q", r.Header.Get("Content-Language"))
	}
	// Accept-Language picks French.
	if r := apptest.Do(t, a.Handler, "GET", "/", nil, "Accept-Language", "fr-MA,fr;q=0.9,en;q=0.5"); !strings.Contains(r.Body, `lang="fr" dir="ltr"`) {
		t.Fatal("Accept-Language fr not honoured")
	}
	// The switcher sets a cookie and returns to the clean address.
	r := apptest.Do(t, a.Handler, "GET", "/arrondissements?lang=en", nil)
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/arrondissements" {
		t.Fatalf("switch: %d %q", r.Code, r.Header.Get("Location"))
	}
	ck := r.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "lang=en") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Fatalf("cookie %q", ck)
	}
	// The cookie beats Accept-Language.
	if r := apptest.Do(t, a.Handler, "GET", "/", nil, "Cookie", "lang=en", "Accept-Language", "fr"); !strings.Contains(r.Body, `lang="en"`) {
		t.Fatal("cookie not honoured")
	}
	// A bad code is a 400 in the language the request had.
	r = apptest.Do(t, a.Handler, "GET", "/?lang=klingon", nil, "Accept-Language", "fr")
	if r.Code != 400 || !strings.Contains(r.Body, "Cette langue n’est pas disponible") {
		t.Fatalf("bad lang: %d %s", r.Code, r.Body)
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	cases := []struct {
		name, method, target, body string
		hdr                        []string
		status                     int
		kind, detail               string
	}{
		{"unknown API route", "GET", "/api/v1/nothing", "", nil, 404, "not-found", "لا توجد صفحة بهذا العنوان"},
		{"wrong method", "POST", "/api/v1/windows", "{}", []string{"Content-Type", "application/json"}, 405, "method-not-allowed", "هذا العنوان لا يقبل"},
		{"invalid UTF-8 in query", "GET", "/api/v1/arrondissements?q=%ff%fe", "", nil, 400, "invalid", "UTF-8"},
		{"bad language", "GET", "/api/v1/windows?lang=xx", "", nil, 400, "invalid", "ar, fr, en"},
		{"unknown arrondissement, French", "GET", "/api/v1/arrondissements/zz?lang=fr", "", nil, 404, "not-found", "Aucun arrondissement ne porte ce code."},
		{"oversized body", "DELETE", "/api/v1/windows", strings.Repeat("x", 2<<20), nil, 413, "too-large", "1 MB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := apptest.Do(t, a.Handler, c.method, c.target, strings.NewReader(c.body), c.hdr...)
			if c.name == "oversized body" {
				// No DELETE route: the method check answers first. Use a
				// real route to see the size limit.
				r = apptest.Do(t, a.Handler, "GET", "/api/v1/windows", strings.NewReader(c.body))
			}
			if r.Code != c.status {
				t.Fatalf("status %d, want %d: %s", r.Code, c.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("content type %q", ct)
			}
			var p struct {
				Type, Title, Detail string
				Status              int
			}
			if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != "urn:madina:problem:"+c.kind || p.Status != c.status || !strings.Contains(p.Detail, c.detail) || p.Title == "" {
				t.Fatalf("problem %+v", p)
			}
			if strings.Contains(r.Body, "goroutine") || strings.Contains(r.Body, ".go:") {
				t.Fatal("stack trace leaked")
			}
		})
	}
	if r := apptest.Do(t, a.Handler, "POST", "/api/v1/windows", nil); r.Header.Get("Allow") == "" {
		t.Error("405 without Allow header")
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	for _, p := range []string{"/", "/api/v1/windows", "/nope"} {
		r := apptest.Do(t, a.Handler, "GET", p, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" || r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: headers %v", p, r.Header)
		}
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", p)
		}
	}
	// Behind a TLS proxy that is trusted, HSTS is sent.
	a2 := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.TrustProxy = true }))
	if r := apptest.Do(t, a2.Handler, "GET", "/", nil, "X-Forwarded-Proto", "https"); !strings.HasPrefix(r.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS behind trusted TLS proxy")
	}
	// Pages carry no inline script or style the CSP would block.
	r := apptest.Do(t, a.Handler, "GET", "/", nil)
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style="|<style`).MatchString(r.Body) {
		t.Error("inline script or style in page")
	}
}

func TestStaticAssetsAreHashedAndCached(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	home := apptest.Do(t, a.Handler, "GET", "/", nil).Body
	m := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(home)
	if m == nil {
		t.Fatal("no hashed stylesheet link")
	}
	r := apptest.Do(t, a.Handler, "GET", m[1], nil)
	if r.Code != 200 || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("asset: %d %v", r.Code, r.Header)
	}
	if r := apptest.Do(t, a.Handler, "GET", "/static/app.000000000000.css", nil); r.Code != 404 {
		t.Fatalf("stale asset: %d", r.Code)
	}
}

func TestAPIArrondissements(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		var list struct {
			Items []struct {
				Code, Prefecture, Window string
				Name                     struct{ AR, FR, EN string }
			}
			Total int
		}
		r := apptest.DoChecked(t, a, "GET", "/api/v1/arrondissements")
		if err := json.Unmarshal([]byte(r.Body), &list); err != nil || list.Total != 16 || len(list.Items) != 16 {
			t.Fatalf("list: %v %d", err, list.Total)
		}
		for _, it := range list.Items {
			if it.Window != it.Code || it.Prefecture == "" || it.Name.AR == "" || it.Name.FR == "" || it.Name.EN == "" {
				t.Errorf("incomplete %+v", it)
			}
		}
		// Arabic search is normalised: presentation forms and diacritics match.
		search := map[string][]string{
			"عُثمان":   {"sidi-othmane"},
			"ﺍﻟﻤﻌﺎﺭﻳﻒ": {"maarif"},
			"maarif":   {"maarif"},
			"Aïn":      {"ain-sebaa", "ain-chock"},
			"سيدي":     {"sidi-belyout", "sidi-othmane", "sidi-bernoussi", "sidi-moumen"},
		}
		for q, want := range search {
			r := apptest.DoChecked(t, a, "GET", "/api/v1/arrondissements?q="+urlQuery(q))
			list.Items = nil
			if err := json.Unmarshal([]byte(r.Body), &list); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range list.Items {
				got = append(got, it.Code)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("q=%q: %v, want %v", q, got, want)
			}
		}
		r = apptest.Do(t, a.Handler, "GET", "/api/v1/prefectures", nil)
		var ps struct {
			Items []struct{ Arrondissements []any }
			Total int
		}
		if err := json.Unmarshal([]byte(r.Body), &ps); err != nil || ps.Total != 8 {
			t.Fatalf("prefectures: %v %d", err, ps.Total)
		}
		r = apptest.Do(t, a.Handler, "GET", "/api/v1/windows", nil)
		var ws struct {
			Items []struct{ Code, Kind string }
			Total int
		}
		if err := json.Unmarshal([]byte(r.Body), &ws); err != nil || ws.Total != 17 || ws.Items[0].Kind != "city" {
			t.Fatalf("windows: %v %+v", err, ws)
		}
		r = apptest.Do(t, a.Handler, "GET", "/api/v1/arrondissements/sidi-othmane", nil)
		if r.Code != 200 || !strings.Contains(r.Body, `"prefecture_detail":{"code":"moulay-rachid"`) {
			t.Fatalf("detail: %d %s", r.Code, r.Body)
		}
	})
}

func urlQuery(s string) string {
	var b bytes.Buffer
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex2(c)))
		}
	}
	return b.String()
}

func hex2(c byte) string { const h = "0123456789abcdef"; return string([]byte{h[c>>4], h[c&15]}) }

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	if r := apptest.Do(t, a.Handler, "GET", "/healthz", nil); r.Code != 200 {
		t.Fatalf("healthz %d", r.Code)
	}
	if r := apptest.Do(t, a.Handler, "GET", "/readyz", nil); r.Code != 200 || !strings.Contains(r.Body, `"migrations":"current"`) {
		t.Fatalf("readyz %d %s", r.Code, r.Body)
	}
	apptest.Do(t, a.Handler, "GET", "/arrondissements", nil)
	r := scrape(t, a.Handler)
	if !strings.Contains(r.Body, `madina_http_requests_total{code="200",method="GET",route="GET /arrondissements"} 1`) {
		t.Fatalf("metrics lack the request:\n%s", apptest.Grep(r.Body, "madina_http"))
	}
	// A database that went away makes the node unready.
	a.DB.Close()
	if r := apptest.Do(t, a.Handler, "GET", "/readyz", nil); r.Code != 503 {
		t.Fatalf("readyz with closed database: %d", r.Code)
	}
}

// A notification sent inside a transaction is delivered by the workers of a
// running server, and the queue's depth is in the metrics.
func TestNotificationsFlowThroughRunningWorkers(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		a.Cfg.Grace = 5 * time.Second
		ctx, cancel := context.WithCancel(context.Background())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx, ln) }()
		err = a.DB.Transact(ctx, func(tx *db.Tx) error {
			return a.Notify.Send(ctx, tx, notify.Message{Template: "platform.test", Data: map[string]any{},
				To: notify.Recipient{UserID: "u1", Lang: "fr"}, Channels: []notify.Channel{notify.Inbox}})
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := a.Notify.Unread(ctx, "u1")
			if err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("notification not delivered to the inbox")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The inbox entry is written by the job, which is marked succeeded
		// just after: wait for the metrics to say so.
		for {
			m := scrape(t, a.Handler).Body
			if strings.Contains(m, `madina_jobs{state="succeeded"} 1`) && strings.Contains(m, "madina_outbox_undispatched 0") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("queue metrics:\n%s", apptest.Grep(m, "madina_"))
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Serve: %v", err)
		}
	})
}

// The HTML error pages exist for every status in every language.
func TestHTMLErrorPages(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	want := map[errs.Kind]map[i18n.Lang]string{
		errs.Forbidden: {i18n.AR: "غير مسموح", i18n.FR: "Accès refusé", i18n.EN: "Not allowed"},
		errs.Internal:  {i18n.AR: "خطأ في الخادم", i18n.FR: "Erreur du serveur", i18n.EN: "Server error"},
		errs.NotFound:  {i18n.AR: "الصفحة غير موجودة", i18n.FR: "Page introuvable", i18n.EN: "Page not found"},
	}
	for kind, titles := range want {
		for l, title := range titles {
			r := httptest.NewRequest("GET", "/somewhere", nil)
			r = r.WithContext(i18n.WithLang(r.Context(), l))
			w := httptest.NewRecorder()
			a.Resp.Error(w, r, errs.E(kind, "").Cause(errors.New("secret cause")))
			body := w.Body.String()
			if w.Code != httpx.Status(kind) || !strings.Contains(body, "<h1 id=\"error-title\">"+title+"</h1>") ||
				!strings.Contains(body, `lang="`+string(l)+`" dir="`+l.Dir()+`"`) || strings.Contains(body, "secret cause") {
				t.Errorf("%s in %s: %d\n%s", kind, l, w.Code, body)
			}
		}
	}
}

func TestAPIPermitKinds(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	type summary struct {
		Code, Family      string
		Name              struct{ AR, FR, EN string }
		Filers, Windows   []string
		ArchitectRequired bool `json:"architect_required"`
	}
	var list struct {
		CatalogueVersion string `json:"catalogue_version"`
		Items            []summary
		Total            int
	}
	get := func(target string, v any) apptest.Resp {
		t.Helper()
		r := apptest.DoChecked(t, a, "GET", target)
		if r.Code == 200 {
			if err := json.Unmarshal([]byte(r.Body), v); err != nil {
				t.Fatalf("%s: %v", target, err)
			}
		}
		return r
	}
	if r := get("/api/v1/permit-kinds", &list); r.Code != 200 || list.Total != 13 || len(list.Items) != 13 || list.CatalogueVersion != "2023.1" {
		t.Fatalf("list: %d, %d kinds, version %q", r.Code, list.Total, list.CatalogueVersion)
	}
	for _, it := range list.Items {
		if it.Name.AR == "" || it.Name.FR == "" || it.Name.EN == "" || len(it.Filers) == 0 || len(it.Windows) == 0 {
			t.Errorf("incomplete %+v", it)
		}
	}
	codes := func() string {
		var cs []string
		for _, it := range list.Items {
			cs = append(cs, it.Code)
		}
		return strings.Join(cs, ",")
	}
	for q, want := range map[string]string{
		"family=economic":                       "auto_entrepreneur,classified_establishment,telecom_equipment,billboard",
		"q=" + urlQuery("ﺍﻹﺻﻼﺡ"):                "repair",   // presentation forms
		"q=" + urlQuery("رُخْصَةُ البِنَاء"):    "building", // diacritics
		"q=" + urlQuery("التجزئه") + "&lang=fr": "subdivision",
		"q=lotir&family=economic":               "",
	} {
		list.Items = nil
		if r := get("/api/v1/permit-kinds?"+q, &list); r.Code != 200 || codes() != want {
			t.Errorf("?%s: %d %q, want %q", q, r.Code, codes(), want)
		}
	}
	if r := apptest.DoChecked(t, a, "GET", "/api/v1/permit-kinds?family=agricultural&lang=en"); r.Code != 400 || !strings.Contains(r.Body, "The family must be urban or economic") {
		t.Errorf("bad family: %d %s", r.Code, r.Body)
	}

	var k struct {
		CatalogueVersion  string `json:"catalogue_version"`
		Code              string
		ArchitectRequired bool `json:"architect_required"`
		Documents         []struct {
			Code     string
			Types    []string
			Required bool
			When     *struct {
				All []struct {
					Field, Op string
					Value     any
				}
			}
		}
		Fields []struct {
			Code, Type, Unit string
			Required         bool
		}
		Routing []struct {
			Code, Window string
			Explanation  struct{ AR, FR, EN string }
		}
		Handling []struct {
			Window   string
			Schedule struct {
				Code    string
				Overall struct {
					Value  int
					Unit   string
					Source struct{ Code string }
				}
				Steps []struct {
					Code     string
					Actor    struct{ Code string }
					Deadline *struct {
						Value   int
						Silence string
					}
				}
			}
			Committee struct {
				Code    string
				Members []struct{ Code string }
			}
		}
		Fees    []struct{ Source struct{ Code string } }
		Sources []struct{ Code string }
	}
	if r := get("/api/v1/permit-kinds/building", &k); r.Code != 200 {
		t.Fatalf("building: %d %s", r.Code, r.Body)
	}
	if k.Code != "building" || !k.ArchitectRequired || k.CatalogueVersion != "2023.1" || len(k.Fees) == 0 || len(k.Sources) < 2 {
		t.Fatalf("building: %+v", k)
	}
	var seismic string
	for _, d := range k.Documents {
		if d.Code == "seismic_study" && d.Required && d.When != nil && len(d.When.All) == 1 {
			seismic = fmt.Sprintf("%s %s %v", d.When.All[0].Field, d.When.All[0].Op, d.When.All[0].Value)
		}
	}
	if seismic != "upper_floors gte 2" {
		t.Errorf("seismic study condition %q", seismic)
	}
	var rules []string
	for _, r := range k.Routing {
		rules = append(rules, r.Code+"→"+r.Window)
		if r.Explanation.AR == "" {
			t.Errorf("rule %s without explanation", r.Code)
		}
	}
	if got := strings.Join(rules, " "); got != "public_buildings→city r3_and_above→city small_projects→arrondissement" {
		t.Errorf("routing %s", got)
	}
	if len(k.Handling) != 2 || k.Handling[0].Window != "city" || k.Handling[0].Schedule.Overall.Value != 30 ||
		k.Handling[0].Schedule.Overall.Source.Code != "order_1839_23" || k.Handling[1].Schedule.Overall.Value != 15 ||
		k.Handling[0].Committee.Code != "urban_large" || len(k.Handling[0].Committee.Members) == 0 {
		t.Errorf("handling %+v", k.Handling)
	}
	if st := k.Handling[0].Schedule.Steps[2]; st.Code != "study" || st.Actor.Code != "members" || st.Deadline == nil || st.Deadline.Value != 15 || st.Deadline.Silence != "approval" {
		t.Errorf("members' study %+v", st)
	}
	if r := apptest.Do(t, a.Handler, "GET", "/api/v1/permit-kinds/kiosk?lang=fr", nil); r.Code != 404 || !strings.Contains(r.Body, "Aucune procédure ne porte ce code") {
		t.Errorf("unknown kind: %d %s", r.Code, r.Body)
	}
	// The home page links the permit services to the procedures.
	if r := apptest.Do(t, a.Handler, "GET", "/", nil); !strings.Contains(r.Body, `href="/procedures?family=urban"`) || !strings.Contains(r.Body, `href="/procedures?family=economic"`) {
		t.Error("home page does not link the procedures")
	}
}

// TestPermitCatalogueFile runs "madina admin import-catalogue" on good and
// bad files, serves a checked file with --permit-catalogue-file, and an
// imported one from the database.
func TestPermitCatalogueFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, spec any) string {
		t.Helper()
		var b []byte
		switch s := spec.(type) {
		case string:
			b = []byte(s)
		default:
			b, _ = json.MarshalIndent(s, "", "  ")
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := app.Main(context.Background(), append([]string{"admin", "import-catalogue"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}

	good := permit.CasablancaSpec()
	good.Version = "2024.2"
	good.Kinds[0].Name.EN = "Permit to build"
	goodPath := write("good.json", good)
	if code, out, errOut := run("--check", goodPath); code != 0 || !strings.Contains(out, "permit catalogue 2024.2 of casablanca, in force from 2023-07-13, is valid") ||
		!strings.Contains(out, "9 urban kinds: building, repair,") || !strings.Contains(out, "4 economic kinds") || !strings.Contains(out, "Checked only") {
		t.Fatalf("good file: exit %d\n%s%s", code, out, errOut)
	}

	bad := permit.CasablancaSpec()
	bad.Routing[2].Kinds = append(bad.Routing[2].Kinds, "buildng")
	bad.Kinds[3].Description.AR = ""
	bad.Schedules[0].Steps[0].Deadline.Source = ""
	badPath := write("bad.json", bad)
	code, out, errOut := run("--check", badPath)
	if code != 1 || out != "" || !strings.Contains(errOut, badPath+" is refused, 3 problem(s):") ||
		!strings.Contains(errOut, `  - routing rule "r3_and_above": unknown kind "buildng"`) ||
		!strings.Contains(errOut, `  - kind "regularisation": description lacks a translation (ar)`) ||
		!strings.Contains(errOut, `  - schedule "large_project" step #1 (receipt): deadline without a source`) {
		t.Fatalf("bad file: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, _, errOut := run("--check", write("broken.json", "{\n  \"format\": 1,\n  \"kinds\": [\n}")); code != 1 || !strings.Contains(errOut, "line 4, column 1") {
		t.Fatalf("malformed file: exit %d, %s", code, errOut)
	}
	if code, _, _ := run(); code != 2 {
		t.Fatalf("no file: exit %d, want 2", code)
	}
	if code, _, errOut := run("--check", filepath.Join(dir, "missing.json")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: exit %d, %s", code, errOut)
	}

	// Imported: stored as a version and in force for the servers started
	// afterwards; the same again changes nothing; another text under the
	// same version number is refused; a bad file stores nothing.
	data := t.TempDir()
	if code, out, errOut := run("--data-dir", data, goodPath); code != 0 || !strings.Contains(out, "Version 2024.2 is now the catalogue in force") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run("--data-dir", data, goodPath); code != 0 || !strings.Contains(out, "already the catalogue in force") {
		t.Fatalf("import again: exit %d\n%s", code, out)
	}
	other := permit.CasablancaSpec()
	other.Version = "2024.2"
	if code, _, errOut := run("--data-dir", data, write("other.json", other)); code != 1 || !strings.Contains(errOut, "2024.2") {
		t.Fatalf("same version, other text: exit %d, %s", code, errOut)
	}
	if code, _, _ := run("--data-dir", data, badPath); code != 1 {
		t.Fatalf("bad file imported: exit %d", code)
	}
	imported := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.DataDir = data; c.DatabaseURL = "" }))
	if r := apptest.Do(t, imported.Handler, "GET", "/procedures/building", nil, "Cookie", "lang=en"); !strings.Contains(r.Body, "Permit to build") {
		t.Fatalf("imported catalogue not served: %d %s", r.Code, apptest.Grep(r.Body, "<h1"))
	}

	// The server serves the file it is given, and refuses to start on a bad one.
	a := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.PermitCatalogueFile = goodPath }))
	if r := apptest.Do(t, a.Handler, "GET", "/procedures/building", nil, "Cookie", "lang=en"); !strings.Contains(r.Body, "Permit to build") || !strings.Contains(r.Body, "version 2024.2") {
		t.Fatalf("served catalogue: %d %s", r.Code, apptest.Grep(r.Body, "<h1"))
	}
	cfg := config.Config{DataDir: t.TempDir(), Workers: 1, PermitCatalogueFile: badPath}
	if _, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), badPath) || !strings.Contains(err.Error(), "buildng") {
		t.Fatalf("New with a bad catalogue: %v", err)
	}
}
