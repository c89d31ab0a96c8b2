package planreview_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/planreview"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// notice is a notification recorded for someone, as they will read it.
type notice struct {
	Template, Lang, Channel string
	Subject, Text, SMS      string
	Data                    map[string]any
}

// noticesTo are the plan-review notices recorded for person, on the
// inbox (every notice has an inbox entry), oldest first, rendered as the
// job will send them, once the events published so far are handed over.
func (f *sheetFixture) noticesTo(person int64) []notice {
	f.t.Helper()
	apptest.Settle(f.t, f.a)
	ctx := context.Background()
	rows, err := f.a.DB.QueryContext(ctx, `SELECT id, template, lang, channel FROM notify_deliveries
		WHERE template LIKE 'planreview.%' AND user_id = $1 AND channel = 'inbox' ORDER BY id`, fmt.Sprintf("person:%d", person))
	if err != nil {
		f.t.Fatal(err)
	}
	type row struct {
		id                      int64
		template, lang, channel string
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.template, &r.lang, &r.channel); err != nil {
			f.t.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	var out []notice
	for _, r := range rs {
		d, err := f.a.Notify.QueuedData(ctx, r.id)
		if err != nil {
			f.t.Fatal(err)
		}
		m, err := f.a.Notify.Render(r.template, r.lang, d)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, notice{Template: r.template, Lang: r.lang, Channel: r.channel, Subject: m.Subject, Text: m.Text, SMS: m.SMS, Data: d})
	}
	return out
}

// planNotices counts every plan-review notice recorded, on any channel.
func (f *sheetFixture) planNotices() int {
	f.t.Helper()
	apptest.Settle(f.t, f.a)
	var n int
	if err := f.a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM notify_deliveries WHERE template LIKE 'planreview.%'`).
		Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestNoticesOfSharedAnnotationsAndAnswers(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		f := newSheetFixture(t, e)
		ctx := context.Background()
		// The demonstration annotated three files and answered on them,
		// quietly: its events are there, flagged silent, and told nobody.
		var events int
		if err := f.a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE topic LIKE 'planreview.%'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events == 0 {
			t.Fatal("the demonstration published no plan-review event")
		}
		if n := f.planNotices(); n != 0 {
			t.Fatalf("the demonstration's load sent %d plan-review notices", n)
		}
		member := apptest.PersonID(t, f.a, "karim.benjelloun@example.ma")
		var filer int64
		var number, docName string
		if err := f.a.DB.QueryRowContext(ctx, `SELECT f.created_by, CASE WHEN f.number IS NULL OR f.number = '' THEN f.ref ELSE f.number END, d.name FROM permit_files f
			JOIN permit_documents d ON d.id = $2 WHERE f.id = $1`, f.file, f.doc).Scan(&filer, &number, &docName); err != nil {
			t.Fatal(err)
		}
		// The owner reads French; the member, the default (Arabic).
		if _, err := f.a.DB.ExecContext(ctx, `UPDATE persons SET lang = 'fr' WHERE id = $1`, f.owner); err != nil {
			t.Fatal(err)
		}
		if _, err := f.a.DB.ExecContext(ctx, `UPDATE persons SET lang = 'ar' WHERE id = $1`, member); err != nil {
			t.Fatal(err)
		}

		web, api := f.sheet("", f.doc), f.sheet("/api/v1", f.doc)
		var c collection
		if code, p := f.call(f.member, "", "GET", web+"/annotations", i18n.FR, nil, &c); code != http.StatusOK {
			t.Fatalf("the member reads the sheet: %d %v", code, p)
		}
		box := c.Sheet.Pages[0].Box
		x, y := box[0]+50, box[1]+50
		create := func(kind, svg, visibility, text string) w3c {
			t.Helper()
			var a w3c
			extra := map[string]any{"madina:visibility": visibility, "body": map[string]any{"type": "TextualBody", "value": text}}
			if code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.FR, annotation(c.Sheet.Source, kind, svg, 1, extra), &a); code != http.StatusCreated {
				t.Fatalf("the member's %s: %d %v", kind, code, p)
			}
			return a
		}
		pinSVG := fmt.Sprintf(`%s<circle cx="%g" cy="%g" r="4"/></svg>`, svgNS, x+100, y+100)
		rectSVG := fmt.Sprintf(`%s<rect x="%g" y="%g" width="40" height="30"/></svg>`, svgNS, x, y)

		// Grouping is by window of the clock: start well inside one, so
		// that the sharing below falls in the same window.
		if left := time.Until(time.Now().Truncate(planreview.NoticeWindow).Add(planreview.NoticeWindow)); left < time.Minute {
			time.Sleep(left + time.Second)
		}

		// The committee's own: nobody outside hears of it.
		pin := create("pin", pinSVG, "committee", "Recul à vérifier avec l’agence")
		if n := f.planNotices(); n != 0 {
			t.Fatalf("a committee-only annotation told %d", n)
		}
		// Its author shares it: the applicant is told, in French, which
		// file, which sheet and page, which organisation, with the link.
		if code, p := f.call(f.member, "", "PATCH", web+"/annotations/"+lastSegment(pin.ID), i18n.EN,
			map[string]any{"madina:visibility": "shared"}, nil); code != http.StatusOK {
			t.Fatalf("sharing the pin: %d %v", code, p)
		}
		got := f.noticesTo(f.owner)
		if len(got) != 1 {
			t.Fatalf("the owner got %d notices of the shared pin, want 1: %+v", len(got), got)
		}
		n := got[0]
		link := fmt.Sprintf("%s/files/%d/documents/%d/review#annotation-%s", f.a.Cfg.BaseURL, f.file, f.doc, lastSegment(pin.ID))
		if n.Template != "planreview.shared" || n.Lang != "fr" || !strings.Contains(n.Subject, number) ||
			!strings.Contains(n.Text, "Agence urbaine") || !strings.Contains(n.Text, "« "+docName+" » (page 1)") ||
			!strings.Contains(n.Text, "Recul à vérifier avec l’agence") || !strings.Contains(n.Text, link) || !strings.Contains(n.SMS, link) {
			t.Fatalf("the owner's notice of the shared pin:\n%s\n%s\n%s", n.Subject, n.Text, n.SMS)
		}
		// The date is Casablanca's, written the French way.
		var created time.Time
		if err := f.a.DB.QueryRowContext(ctx, `SELECT updated_at FROM planreview_annotations WHERE id = $1`, idOf(t, pin.ID)).Scan(&created); err != nil {
			t.Fatal(err)
		}
		if want := created.In(i18n.Casablanca).Format("15:04"); !strings.Contains(n.Text, " à "+want) {
			t.Fatalf("the notice's date, want %s in Casablanca: %s", want, n.Text)
		}
		// Whoever filed the file, when another than the owner, is told too;
		// the member who shared it is not.
		if filer != f.owner {
			if fg := f.noticesTo(filer); len(fg) != 1 || fg[0].Template != "planreview.shared" {
				t.Fatalf("the filer's notices: %+v", fg)
			}
		}
		if mg := f.noticesTo(member); len(mg) != 0 {
			t.Fatalf("the member was told of their own sharing: %+v", mg)
		}
		// More annotations shared on the same sheet in the same burst: no
		// second notice, the review page lists them all.
		create("rectangle", rectSVG, "shared", "Cotes de la façade manquantes")
		if got := f.noticesTo(f.owner); len(got) != 1 {
			t.Fatalf("a second annotation shared in the same burst: %d notices, want still 1", len(got))
		}

		// The owner answers on the pin: its author (the member) is told,
		// in Arabic, with the answer and the link; the owner is not told of
		// their own answer, the filer is not told at all.
		reply := map[string]any{"type": "Annotation", "motivation": "replying", "body": map[string]any{"type": "TextualBody",
			"value": "Le recul est de 4 m, voir la cote ajoutée."}}
		if code, p := f.call(nil, f.token, "POST", api+"/annotations/"+lastSegment(pin.ID)+"/replies", i18n.FR, reply, nil); code != http.StatusCreated {
			t.Fatalf("the owner answers: %d %v", code, p)
		}
		mg := f.noticesTo(member)
		if len(mg) != 1 {
			t.Fatalf("the author got %d notices of the answer, want 1", len(mg))
		}
		if m := mg[0]; m.Template != "planreview.applicant_replied" || m.Lang != "ar" || !strings.Contains(m.Subject, number) ||
			!strings.Contains(m.Text, "أجاب") || !strings.Contains(m.Text, "Le recul est de 4 m") || !strings.Contains(m.Text, link) {
			t.Fatalf("the author's notice of the answer:\n%s\n%s", m.Subject, m.Text)
		}
		if got := f.noticesTo(f.owner); len(got) != 1 {
			t.Fatalf("the owner was told of their own answer: %+v", got[1:])
		}
		if filer != f.owner {
			if fg := f.noticesTo(filer); len(fg) != 1 {
				t.Fatalf("the filer was told of the owner's answer: %+v", fg[1:])
			}
		}

		// The owner revokes the filer's mandate: from then on the policy
		// no longer lets the filer read the file, and they are told nothing.
		filerBefore := len(f.noticesTo(filer))
		if filer != f.owner {
			rows, err := f.a.DB.QueryContext(ctx, `SELECT id FROM mandates WHERE professional_id = $1 AND grantor_person_id = $2
				AND revoked_at IS NULL`, filer, f.owner)
			if err != nil {
				t.Fatal(err)
			}
			var mandates []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				mandates = append(mandates, id)
			}
			rows.Close()
			owner := authz.Actor{Person: f.owner, EmailVerified: true, Now: time.Now()}
			for _, id := range mandates {
				if err := f.a.Identity.RevokeMandate(ctx, owner, id); err != nil {
					t.Fatalf("revoking mandate %d: %v", id, err)
				}
			}
		}

		// The member answers back on the shared pin: the applicant is
		// told; the member is not, nor the filer no longer mandated.
		if code, p := f.call(f.member, "", "POST", web+"/annotations/"+lastSegment(pin.ID)+"/replies", i18n.FR,
			map[string]any{"body": map[string]any{"type": "TextualBody", "value": "Merci, c’est noté."}}, nil); code != http.StatusCreated {
			t.Fatalf("the member answers: %d %v", code, p)
		}
		got = f.noticesTo(f.owner)
		if len(got) != 2 || got[1].Template != "planreview.committee_replied" || got[1].Lang != "fr" ||
			!strings.Contains(got[1].Text, "Agence urbaine") || !strings.Contains(got[1].Text, "Merci, c’est noté.") ||
			!strings.Contains(got[1].Text, link) {
			t.Fatalf("the owner's notice of the member's answer: %+v", got)
		}
		if mg := f.noticesTo(member); len(mg) != 1 {
			t.Fatalf("the member was told of their own answer: %+v", mg[1:])
		}
		if filer != f.owner {
			if fg := f.noticesTo(filer); len(fg) != filerBefore {
				t.Fatalf("the filer, no longer mandated, was told of the member's answer: %+v", fg[filerBefore:])
			}
		}

		// Every notice reads complete in the three languages.
		for _, x := range []notice{got[0], mg[0], got[1]} {
			for _, l := range []string{"ar", "fr", "en"} {
				m, err := f.a.Notify.Render(x.Template, l, x.Data)
				if err != nil || !strings.Contains(m.Subject, number) || !strings.Contains(m.Text, link) || !strings.Contains(m.SMS, number) {
					t.Fatalf("%s in %s: %v\n%+v", x.Template, l, err, m)
				}
			}
		}

		// On the committee's own, an answer tells nobody outside it.
		total := f.planNotices()
		own := create("rectangle", rectSVG, "committee", "Escalier à revoir")
		if code, p := f.call(f.member, "", "POST", web+"/annotations/"+lastSegment(own.ID)+"/replies", i18n.FR,
			map[string]any{"body": map[string]any{"type": "TextualBody", "value": "À voir en séance."}}, nil); code != http.StatusCreated {
			t.Fatalf("the member answers on the committee's own: %d %v", code, p)
		}
		if n := f.planNotices(); n != total {
			t.Fatalf("the committee's own annotation and its answer told %d", n-total)
		}
	})
}

// idOf is an annotation's number, the last segment of its address.
func idOf(t *testing.T, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(lastSegment(id), 10, 64)
	if err != nil {
		t.Fatalf("annotation id %q: %v", id, err)
	}
	return n
}
