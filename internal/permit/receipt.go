package permit

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
)

// Receipt renders the deposit receipt of an accepted file: what the window
// received (every document version by its SHA-256), when, the official
// number, the legal deadlines and how to follow the file. It is rebuilt
// from the file's immutable records, so the same file always gives the same
// bytes. Arabic first, French beneath.
//
// Once the commune's seal has signed it (SealReceipt, after acceptance),
// the signed PDF kept then is what every later request gets.
func (s *Service) Receipt(ctx context.Context, a authz.Actor, id int64) ([]byte, string, error) {
	v, err := s.View(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	f := v.File
	if f.AcceptedAt == nil {
		return nil, "", errs.E(errs.Conflict, "permit.error.no_receipt")
	}
	name := "recu-" + strings.ToLower(f.Number) + ".pdf"
	if s.signatures != nil {
		switch b, err := s.signatures.IssuedPDF(ctx, KindReceipt, f.ID); {
		case err == nil:
			return b, name, nil
		case !errs.Is(err, errs.NotFound):
			return nil, "", err
		}
	}
	b, err := s.receiptPDF(ctx, v)
	return b, name, err
}

// receiptPDF draws the receipt of v's file, accepted.
// signatureRoom is the bottom of a page Madina's documents leave free:
// the signature block is drawn there on the last page (pades.Appearance,
// 78 pt high, half an inch above the bottom edge), and must hide no text.
const signatureRoom = 130.0

func (s *Service) receiptPDF(ctx context.Context, v *View) ([]byte, error) {
	f, k := v.File, v.Kind
	if f.AcceptedAt == nil {
		return nil, errs.E(errs.Conflict, "permit.error.no_receipt")
	}
	owner := ""
	if f.OwnerLegal != 0 {
		if l, err := s.people.LegalPerson(ctx, s.db, f.OwnerLegal); err == nil {
			owner = l.DisplayName("ar") + " — " + l.DisplayName("fr")
		}
	} else if p, err := s.people.Person(ctx, s.db, f.OwnerPerson); err == nil {
		owner = p.DisplayName("ar") + " — " + p.DisplayName("fr")
	}
	wAR, wFR := f.Window, f.Window
	if v.Window != nil {
		wAR, wFR = v.Window.Name.AR, v.Window.Name.FR
	}
	doc := pdf.New(pdf.Options{Title: "Récépissé " + f.Number, Author: "Madina", Subject: k.Name.FR, Lang: "ar",
		CreationDate: *f.AcceptedAt})
	doc.AddPage()
	const margin = 48.0
	size := doc.Size()
	right := size.W - margin
	width := size.W - 2*margin
	y := 64.0
	line := func(ar, fr string, sz float64, bold bool) {
		if ar != "" {
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, sz, bold, ar, true)
		}
		if fr != "" {
			y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, sz*0.9, bold, fr, false)
		}
		y += 4
	}
	rule := func() { y += 4; doc.Line(margin, y, right, y, 0.6); y += 10 }
	// iso keeps a Latin value whole inside an Arabic line (a left-to-right
	// isolate), as "12 rue 7", not "rue 7 12".
	iso := func(v string) string {
		if v == "" {
			return ""
		}
		return "\u2066" + v + "\u2069"
	}
	at := func(l i18n.Lang) string { return i18n.FormatDateTime(l, *f.AcceptedAt) }
	line("جماعة الدار البيضاء", "Commune de Casablanca", 11, false)
	line(wAR, wFR, 11, false)
	rule()
	line("وصل إيداع ملف مكتمل", "Récépissé de dépôt d’un dossier complet", 18, true)
	line("الرقم الرسمي: "+iso(f.Number), "Numéro officiel : "+f.Number, 14, true)
	rule()
	rows := [][2]string{
		{"نوع الطلب: " + k.Name.AR, "Nature : " + k.Name.FR},
		{"صاحب المشروع: " + owner, ""},
		{"العنوان: " + iso(f.Address), "Adresse : " + f.Address},
		{"الرسم العقاري: " + iso(f.Fields["land_title"]), "Titre foncier : " + f.Fields["land_title"]},
		{"الشباك المختص: " + wAR, "Guichet : " + wFR},
		{"تاريخ قبول الملف: " + at(i18n.AR), "Dossier accepté le : " + at(i18n.FR)},
		{"مرجع الملف: " + iso(f.Ref), "Référence : " + f.Ref},
	}
	for _, r := range rows {
		if strings.HasSuffix(r[0], ": ") {
			continue
		}
		line(r[0], r[1], 10.5, false)
	}
	rule()
	line("الوثائق المتوصل بها (بصمة SHA-256)", "Pièces reçues (empreinte SHA-256)", 12, true)
	// Every document that counts: the latest version of an item, every
	// file of a set (the site's photographs); none the applicant removed.
	for _, it := range v.Checklist {
		for _, d := range it.Current {
			line(fmt.Sprintf("%s — النسخة %d", it.Name.AR, d.Version), fmt.Sprintf("%s — v%d — %s…", it.Name.FR, d.Version, d.SHA256[:16]), 9.5, false)
			if y > size.H-signatureRoom {
				doc.AddPage()
				y = 64
			}
		}
	}
	rule()
	// The deadlines, the tracking line and the footer (about 100 pt) end
	// above the signature block's place, on a new page if need be.
	if y > size.H-signatureRoom-100 {
		doc.AddPage()
		y = 64
	}
	for _, d := range v.Deadlines {
		if d.Open() && !d.DueAt.IsZero() {
			name := s.cat.StepName(d.Step)
			line(fmt.Sprintf("%s: %s", name.AR, i18n.FormatDate(i18n.AR, d.DueAt)),
				fmt.Sprintf("%s : %s", name.FR, i18n.FormatDate(i18n.FR, d.DueAt)), 10.5, false)
		}
	}
	track := s.cfg.BaseURL + "/track"
	line("تتبع الملف: "+iso(track)+" — رمز التتبع: "+iso(f.TrackingCode), "Suivi : "+track+" — code de suivi : "+f.TrackingCode, 10.5, false)
	rule()
	line("وثيقة صادرة عن منصة مدينة. تثبت بصمات الوثائق أعلاه مضمون ما تم إيداعه.",
		"Document émis par la plateforme Madina. Les empreintes ci-dessus attestent le contenu déposé.", 8.5, false)
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("permit: receipt %d: %w", f.ID, err)
	}
	return b.Bytes(), nil
}
