package permit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// wordBox is a word of pdftotext -bbox: its lower edge and its text.
var wordBox = regexp.MustCompile(`<word xMin="[^"]*" yMin="[^"]*" xMax="[^"]*" yMax="([^"]*)">([^<]*)</word>`)

// underReview files an auto-entrepreneur authorisation for the owner and
// has the Sidi Othmane window accept it: under review, the officer's to
// decide.
func (e *env) underReview(t *testing.T, activity string) *File {
	t.Helper()
	f := e.submitted(t, e.ownerActor(), Input{Kind: "auto_entrepreneur", Address: "Derb 3, Sidi Othmane",
		Arrondissement: "sidi-othmane", Fields: Values{"ae_number": "AE-778812", "activity": activity, "premises_area": "24"}})
	f, err := e.s.Accept(context.Background(), e.agentActor(e.agent, "sidi-othmane"), f.ID, f.Version)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// pdfTool runs a poppler or qpdf tool on a PDF ({in} in args), writing
// into a new directory ({out}) it returns with the tool's output. The tools are not
// optional (scripts/test-deps installs them): without them nothing proves
// the document is what a reader sees.
func pdfTool(t *testing.T, b []byte, name string, args ...string) (string, string) {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required: install poppler-utils and qpdf (scripts/test-deps does)", name)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "decision.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		args[i] = strings.NewReplacer("{in}", p, "{out}", filepath.Join(dir, "out")).Replace(a)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out), dir
}

// checkDecisionPDF checks the document with tools nobody here wrote: qpdf
// finds it well formed, pdftoppm renders every page, pdftotext finds
// every wanted text (Arabic compared after folding).
func checkDecisionPDF(t *testing.T, b []byte, want ...string) string {
	t.Helper()
	if out, _ := pdfTool(t, b, "qpdf", "--check", "{in}"); !strings.Contains(out, "No syntax or stream encoding errors") {
		t.Errorf("qpdf --check:\n%s", out)
	}
	_, dir := pdfTool(t, b, "pdftoppm", "-r", "60", "-png", "{in}", "{out}")
	pngs, _ := filepath.Glob(filepath.Join(dir, "out*.png"))
	if len(pngs) == 0 {
		t.Error("pdftoppm rendered no page")
	}
	// MADINA_KEEP_DECISION=DIR keeps the documents, to look at them.
	if keep := os.Getenv("MADINA_KEEP_DECISION"); keep != "" {
		_ = os.MkdirAll(keep, 0o755)
		_ = os.WriteFile(filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "-")+".pdf"), b, 0o644)
	}
	text := pdfText(t, b)
	folded := textnormFold(text)
	for _, w := range want {
		if !strings.Contains(text, w) && !strings.Contains(folded, textnormFold(w)) {
			t.Errorf("the decision lacks %q:\n%s", w, text)
		}
	}
	return text
}

func TestDecisionOfAnApprovedEconomicFile(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		agent := e.agentActor(e.agent, "sidi-othmane")
		f := e.underReview(t, "Menuiserie d’art")
		// Not decided yet: a conflict, said in the user's language.
		_, _, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		wantErr(t, err, errs.Conflict, "permit.error.no_decision")
		msgs, _ := decisionTexts()
		if fr := msgs.T(i18n.FR, "permit.error.no_decision"); !strings.Contains(fr, "décision") {
			t.Errorf("no French text for the conflict: %q", fr)
		}
		f, err = e.s.Decide(ctx, agent, f.ID, f.Version, true, "Ouverture au public de 8 h à 20 h.")
		if err != nil {
			t.Fatal(err)
		}
		b, name, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if name != "autorisation-"+strings.ToLower(f.Number)+".pdf" {
			t.Errorf("name %q", name)
		}
		// The validity runs from the decision day in Casablanca, 12 months.
		until := f.ClosedAt.In(i18n.Casablanca).AddDate(1, 0, -1)
		text := checkDecisionPDF(t, b,
			"Autorisation", "رخصة", f.Number, "Décision n°",
			"Said Alaoui", "سعيد العلوي", // the holder
			"Autorisation d’exercice de l’auto-entrepreneur", "رخصة مزاولة نشاط المقاول الذاتي", // the kind
			"Menuiserie d’art", "AE-778812", "24 m²", // the activity: the file's fields
			"Derb 3, Sidi Othmane", // the place
			"Conditions", "الشروط", "Ouverture au public de 8 h à 20 h.",
			"Valable 12 mois", "صالحة لمدة", "شهرا ابتداء من تاريخ القرار", i18n.FormatDate(i18n.FR, until),
			"Date de la décision : "+i18n.FormatDate(i18n.FR, *f.ClosedAt),
			"sera signé électroniquement", "سيوقع هذا المستند إلكترونيا")
		if strings.Contains(text, "Fondement légal") || strings.Contains(text, "Motifs") {
			t.Errorf("an officer's approval states a tacit ground or reasons:\n%s", text)
		}
		// The same file gives the same bytes, whoever reads it and when.
		e.clock.add(48 * time.Hour)
		again, _, err := e.s.Decision(ctx, agent, f.ID)
		if err != nil || !bytes.Equal(b, again) {
			t.Fatalf("the agent's copy differs from the owner's, or failed: %v", err)
		}
		// The policy: only those who may see the file.
		_, _, err = e.s.Decision(ctx, authz.Actor{Person: e.stranger, EmailVerified: true, Now: e.clock.now()}, f.ID)
		wantErr(t, err, errs.NotFound, "")
		_, _, err = e.s.Decision(ctx, e.agentActor(e.otherAgent, "anfa"), f.ID)
		wantErr(t, err, errs.NotFound, "")
		_, _, err = e.s.Decision(ctx, authz.Actor{}, f.ID)
		if err == nil {
			t.Fatal("the public read a decision")
		}
	})
}

func TestDecisionOfARefusedEconomicFile(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		agent := e.agentActor(e.agent, "sidi-othmane")
		f := e.underReview(t, "Couture")
		reason := "المحل غير مخصص للاستعمال التجاري حسب تصميم التهيئة."
		f, err := e.s.Decide(ctx, agent, f.ID, f.Version, false, reason)
		if err != nil {
			t.Fatal(err)
		}
		b, name, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if name != "refus-"+strings.ToLower(f.Number)+".pdf" {
			t.Errorf("name %q", name)
		}
		text := checkDecisionPDF(t, b, "Refus d’autorisation", "قرار برفض الترخيص", f.Number,
			"Said Alaoui", "سعيد العلوي", "Couture", "Motifs du refus", "أسباب الرفض", reason)
		if strings.Contains(text, "Valable") || strings.Contains(text, "Conditions") {
			t.Errorf("a refusal states a validity or conditions:\n%s", text)
		}
		again, _, _ := e.s.Decision(ctx, agent, f.ID)
		if !bytes.Equal(b, again) {
			t.Error("the same refusal gave two different documents")
		}
	})
}

// A file the administration's silence approved states the legal ground:
// the deadline that ran out, the day it did and the text that makes
// silence an approval.
func TestDecisionOfATacitApproval(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f := e.underReview(t, "Réparation de vélos")
		e.clock.add(61 * 24 * time.Hour)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		f, _ = e.s.Get(ctx, e.ownerActor(), f.ID)
		if f.State != Approved || !f.Tacit {
			t.Fatalf("after the legal deadline: %s tacit=%v", f.State, f.Tacit)
		}
		v, err := e.s.View(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		dl, sc, ok := silenceGround(v)
		if !ok || sc.Value != 60 || sc.Source.Code != "law_55_19" {
			t.Fatalf("ground %+v %+v %v", dl, sc, ok)
		}
		b, _, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		text := checkDecisionPDF(t, b, "Autorisation", "Réparation de vélos", "Fondement légal", "السند القانوني",
			"60 jours", "Loi n° 55.19", "يوما من إيداع الملف المكتمل", "ويعتبر سكوت الإدارة موافقة",
			"échu le "+i18n.FormatDate(i18n.FR, dl.DueAt), "Valable 12 mois", "par le silence de l’administration")
		if strings.Contains(text, "Le président de la commune autorise") || strings.Contains(text, "Pour le président") {
			t.Errorf("a tacit approval is presented as the president's act:\n%s", text)
		}
	})
}

// A building permit's decision follows its committee: an urban file
// accepted but not decided has no decision document yet.
func TestNoDecisionDocumentBeforeTheCommitteeConcludes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f := e.submitted(t, arch, sidiOthmane(e.owner))
		f, err := e.s.Accept(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []authz.Actor{e.ownerActor(), arch, e.agentActor(e.agent, "sidi-othmane")} {
			_, _, err = e.s.Decision(ctx, a, f.ID)
			wantErr(t, err, errs.Conflict, "permit.error.no_decision")
		}
		_, _, err = e.s.Decision(ctx, authz.Actor{Person: e.stranger, EmailVerified: true, Now: e.clock.now()}, f.ID)
		wantErr(t, err, errs.NotFound, "")
	})
}

// Long reasons (up to the 2,000 characters the workflow takes) and a
// long list of particular conditions go on to a new page rather than
// below its edge: every word is on a page a reader renders.
func TestALongDecisionContinuesOnANewPage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		agent := e.agentActor(e.agent, "sidi-othmane")
		f := e.underReview(t, "Couture")
		reason := strings.Repeat("Le local ne respecte pas les règles d’hygiène et de sécurité du règlement communal. ", 22) + "Fin du motif."
		f, err := e.s.Decide(ctx, agent, f.ID, f.Version, false, reason)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		text := checkDecisionPDF(t, b, "Fin du motif.", "sera signé électroniquement")
		if n := strings.Count(strings.Join(strings.Fields(text), " "), "règles d’hygiène"); n != 22 {
			t.Errorf("pdftotext finds %d of the 22 sentences", n)
		}
		// Every word pdftotext finds lies within its page.
		out, _ := pdfTool(t, b, "pdftotext", "-bbox", "{in}", "-")
		words := wordBox.FindAllStringSubmatch(out, -1)
		if len(words) < 100 {
			t.Fatalf("pdftotext -bbox found %d words", len(words))
		}
		for _, w := range words {
			if y, _ := strconv.ParseFloat(w[1], 64); y > 841.89 {
				t.Fatalf("%q is drawn below the page's edge (y %s)", w[2], w[1])
			}
		}
	})
}
