package permitdemo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/identity/identitydemo"
	"madina/internal/permit"
	"madina/internal/platform/calendar"
	"madina/internal/platform/errs"
	"madina/internal/staff"
)

// The committee's part of the urban files' stories (issue #12, point 9):
// a file accepted by its window is dispatched a day or two later; the
// members of each body sitting on it give their opinions over the
// following days (or keep silent, and the legal clock's sweep records
// their silence as agreement at the study deadline); the round concludes
// by the committee's rule; the window's secretariat sends the remarks or
// forwards the conclusion; the applicant answers, uploads revised plans
// and sends the file back for a second round; the president of the
// window decides, signing with their certificate or leaving the seal to
// the commune. The committee sessions of the weeks to come are generated
// and their agendas planned at the end of the load.

// The committee finals: urban files taken from the accepted ones.
const (
	dfStudy     = "study"         // dispatched, some opinions given, others awaited
	dfMinutes   = "minutes"       // round concluded, the secretariat's minutes to take
	dfRemarks   = "remarks"       // remarks sent, the applicant's answers awaited (all, some or none given)
	dfRound2    = "round2"        // revised after remarks, the second round studied
	dfPresident = "president"     // forwarded, the president's decision awaited
	dfGranted   = "granted"       // granted by the president
	dfRejected  = "refused_urban" // refused on the urban agency's binding opinion
)

// dfCommitteeFinals are how many files end in each committee final, and
// their variants in turn; those the president decides are at the windows
// that have a demonstration president. The permits granted are one for
// each of the city's 16 arrondissements (committeeFinals spreads them).
var dfCommitteeFinals = []dfCommitteeFinal{
	{dfPresident, 4, true, []string{"grant", "refuse"}},
	{dfGranted, 16, true, []string{"conditions", "silence", "rounds2", "plain"}},
	{dfRejected, 3, true, []string{""}},
	{dfStudy, 8, false, []string{""}},
	{dfMinutes, 6, false, []string{"remarks", "grant", "silence"}},
	{dfRemarks, 6, false, []string{"answered", "partial", "none"}},
	{dfRound2, 4, false, []string{""}},
}

// dfCommitteeFinal is a committee final: how many files, whether the
// president decides them, the variants of their stories in turn.
type dfCommitteeFinal struct {
	final     string
	n         int
	president bool
	variants  []string
}

// dfPresidentWindows are the windows whose president has a demonstration
// account (identitydemo), the first listed first.
var dfPresidentWindows = []string{"sidi-othmane", "city"}

// dfAgentWindows are the windows whose agent has a demonstration account.
var dfAgentWindows = []string{"city", "sidi-othmane", "maarif"}

// isCommitteeFinal reports whether final is one of the committee's.
func isCommitteeFinal(final string) bool {
	return slices.ContainsFunc(dfCommitteeFinals, func(c dfCommitteeFinal) bool { return c.final == final })
}

// demoFileMember is a committee member the demonstration adds for an
// organisation no demonstration account sits for.
type demoFileMember struct {
	Org string
	identity.Enrolment
}

// Members are the committee members the demonstration adds: one for the
// prefecture of each prefecture of arrondissements, one for each
// arrondissement, one for the land registry and one for the
// telecommunications operator, so that every body sitting on the
// demonstration's files can give its opinion. They have no password.
func Members() []demoFileMember {
	var orgs []string
	ref := district.Casablanca()
	for _, p := range ref.Prefectures {
		orgs = append(orgs, "prefecture-"+p.Code)
	}
	for _, p := range ref.Prefectures {
		for _, a := range p.Arrondissements {
			orgs = append(orgs, a.Code)
		}
	}
	orgs = append(orgs, "ancfcc", "maroc-telecom")
	taken := map[string]bool{}
	for _, d := range identitydemo.Accounts() {
		taken[d.Email] = true
	}
	for _, d := range Architects() {
		taken[d.Email] = true
	}
	for _, o := range Owners() {
		taken[o.Email] = true
	}
	for _, a := range Agents() {
		taken[a.Email] = true
	}
	rng := rand.New(rand.NewPCG(demoFileSeedPeople, 2))
	var out []demoFileMember
	for _, org := range orgs {
		for {
			given := dfMen
			if rng.IntN(3) == 0 {
				given = dfWomen
			}
			g, f := given[rng.IntN(len(given))], dfMemberFamilies[rng.IntN(len(dfMemberFamilies))]
			email := dfASCII(g.latin) + "." + dfASCII(f.latin) + "@example.ma"
			if taken[email] {
				continue
			}
			taken[email] = true
			out = append(out, demoFileMember{Org: org, Enrolment: identity.Enrolment{Email: email, GivenNameAR: g.ar,
				FamilyNameAR: f.ar, GivenNameLatin: g.latin, FamilyNameLatin: f.latin, Lang: pick(rng.IntN(2) == 0, "fr", "ar")}})
			break
		}
	}
	return out
}

// dfMemberFamilies are the committee members' family names.
var dfMemberFamilies = []dfName{{"العراقي", "Iraki"}, {"الفهري", "Fihri"}, {"التازي", "Tazi"}, {"بنجلون", "Benjelloun"},
	{"الكتاني", "Kettani"}, {"برادة", "Berrada"}, {"الصفريوي", "Sefrioui"}, {"اليزمي", "Yazami"}, {"الشاوي", "Chaoui"},
	{"الدكالي", "Doukkali"}, {"المكناسي", "Meknassi"}, {"الرباطي", "Rbati"}, {"الحريزي", "Harizi"}, {"العبدي", "Abdi"},
	{"الغزواني", "Ghazouani"}, {"الزموري", "Zemmouri"}, {"البيضاوي", "Baidaoui"}, {"المزابي", "Mzabi"}}

// committeeFinals gives some of the urban files accepted lately a
// committee final instead, in the numbers of dfCommitteeFinals: those the
// president decides at the windows with a demonstration president (the
// Sidi Othmane window served first), the others anywhere, the first of
// each variant at a window with a demonstration agent.
func (d *demoFiles) committeeFinals(ctx context.Context) {
	// The files accepted lately; and, should an arrondissement have no
	// such file at a window with a demonstration president, the others
	// that could have been (reserve).
	var pool, reserve []*dfFile
	for _, f := range d.files[len(dfScripted):] {
		if f.kind.Family == permit.Urban && len(f.bodies) > 0 &&
			(f.schedule.Code == "small_project" || f.schedule.Code == "large_project") {
			if f.final == dfAccepted {
				pool = append(pool, f)
			} else if slices.Contains(dfPresidentWindows, f.window) {
				reserve = append(reserve, f)
			}
		}
	}
	d.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	takeFrom := func(pool *[]*dfFile, ok func(*dfFile) bool) *dfFile {
		for i, f := range *pool {
			if ok(f) {
				*pool = slices.Delete(*pool, i, i+1)
				return f
			}
		}
		return nil
	}
	take := func(ok func(*dfFile) bool) *dfFile { return takeFrom(&pool, ok) }
	// The permits granted: their projects on the geographic portal in
	// every arrondissement (issue #14, point 7).
	grantedIn := map[string]bool{}
	for _, c := range dfCommitteeFinals {
		for i := range c.n {
			var f *dfFile
			if c.president {
				// One of each at the Sidi Othmane window, the rest at the
				// city's; those granted each in an arrondissement that has
				// none yet, while one is left.
				if i == 0 {
					f = take(func(f *dfFile) bool { return f.window == dfPresidentWindows[0] })
				}
				if f == nil && c.final == dfGranted {
					elsewhere := func(f *dfFile) bool {
						return slices.Contains(dfPresidentWindows, f.window) && !grantedIn[f.in.Arrondissement]
					}
					if f = take(elsewhere); f == nil {
						f = takeFrom(&reserve, elsewhere)
					}
					if f == nil {
						f = d.relocate(ctx, &reserve, grantedIn)
					}
				}
				if f == nil {
					f = take(func(f *dfFile) bool { return slices.Contains(dfPresidentWindows, f.window) })
				}
			} else {
				// The first of each variant at a window with a demonstration
				// agent, the first with remarks among Omar Berrada's files.
				// Omar Berrada's answered and partly answered ones; the
				// secretariat's examples at the city's window first.
				if i < 2 && c.final == dfRemarks {
					f = take(func(f *dfFile) bool { return f.pro == d.archs[0] && slices.Contains(dfAgentWindows, f.window) })
				}
				if f == nil && i < len(c.variants) && c.final == dfMinutes {
					f = take(func(f *dfFile) bool { return f.window == dfAgentWindows[0] })
				}
				if f == nil && i < len(c.variants) {
					f = take(func(f *dfFile) bool { return slices.Contains(dfAgentWindows, f.window) })
				}
				if f == nil {
					f = take(func(*dfFile) bool { return true })
				}
			}
			if f == nil {
				break
			}
			if c.final == dfGranted {
				grantedIn[f.in.Arrondissement] = true
			}
			f.final, f.variant = c.final, c.variants[i%len(c.variants)]
		}
	}
}

// relocate takes from the reserve a file of the city's window and
// describes it anew in the first arrondissement that has no permit
// granted yet (none of the files drawn there went to the city's window);
// nil when every arrondissement has one, or no file moves.
func (d *demoFiles) relocate(ctx context.Context, reserve *[]*dfFile, grantedIn map[string]bool) *dfFile {
	i := slices.IndexFunc(dfArrs, func(a dfArr) bool { return !grantedIn[a.code] })
	if i < 0 {
		return nil
	}
	for j, f := range *reserve {
		if f.window != district.CityWindow {
			continue
		}
		f.bodies = nil
		d.describe(ctx, f, dfArrs[i].code)
		if f.window == district.CityWindow && len(f.bodies) > 0 {
			*reserve = slices.Delete(*reserve, j, j+1)
			return f
		}
	}
	return nil
}

// deadline is the deadline of f's schedule step, if it has one.
func (f *dfFile) deadline(step string) (permit.Deadline, bool) {
	for _, st := range f.schedule.Steps {
		if st.Code == step && st.Deadline != nil {
			return *st.Deadline, true
		}
	}
	return permit.Deadline{}, false
}

// dfRoundPlan is what the bodies say in a round: a verdict by body, ""
// for a body that keeps silent (or, in a round left open, has not spoken
// yet).
type dfRoundPlan map[string]string

// committeePlan plans f's committee story: when the window accepts it and
// every step after; ok false when no date fits (f then stays accepted).
func (d *demoFiles) committeePlan(f *dfFile) (time.Time, []dfStep, bool) {
	day := 24 * time.Hour
	large := f.schedule.Code == "large_project"
	back := map[string][2]int{dfStudy: {2, 10}, dfMinutes: {5, 16}, dfRemarks: {8, 30}, dfRound2: {14, 40},
		dfPresident: {8, 32}, dfGranted: {12, 70}, dfRejected: {12, 60}}[f.final]
	if large {
		back[0], back[1] = back[0]+2, back[1]*2
	}
	// The deposit, some days before the acceptance, within the period.
	back[1] = min(back[1], Days-12)
	for range 60 {
		a := d.officeBefore(d.between(d.end.Add(-time.Duration(back[1])*day), d.end.Add(-time.Duration(back[0])*day)))
		if steps, ok := d.committeeSteps(f, a); ok && (f.lead == 0 || steps[len(steps)-1].at.Add(f.lead).Before(d.end)) {
			return a, steps, true
		}
	}
	return time.Time{}, nil, false
}

// committeeSteps plans f's committee steps after its acceptance at a;
// ok false when they do not fit before the end as f's final needs.
func (d *demoFiles) committeeSteps(f *dfFile, a time.Time) ([]dfStep, bool) {
	day := 24 * time.Hour
	end := d.end
	var steps []dfStep
	add := func(s dfStep) { steps = append(steps, s) }
	dispatch := d.officeAfter(a.Add(d.dur(18*time.Hour, 50*time.Hour)))
	if !dispatch.Before(end.Add(-2 * time.Hour)) {
		return nil, false
	}
	add(dfStep{op: "dispatch", at: dispatch})
	// The round's opinions; the time it concludes (zero: left open).
	round := func(n int, start time.Time, plan dfRoundPlan, open bool) (time.Time, bool) {
		study, ok := f.deadline(permit.StepStudy)
		if !ok {
			return time.Time{}, false
		}
		due := d.due(study, start)
		if open && !due.After(end.Add(time.Hour)) {
			return time.Time{}, false // the sweep would conclude it before the end
		}
		last := due.Add(-3 * time.Hour)
		if open {
			last = tmin(last, end.Add(-30*time.Minute))
		}
		if !last.After(start.Add(2 * time.Hour)) {
			return time.Time{}, false
		}
		var ops []dfStep
		var concluded time.Time
		silent := false
		for _, b := range f.bodies {
			v := plan[b]
			if v == "" {
				silent = true
				continue
			}
			// Most opinions come in the first days of the study.
			lim := start.Add(time.Duration(float64(last.Sub(start)) * (0.4 + 0.6*d.trng.Float64())))
			raw := d.between(start.Add(time.Hour), lim)
			t := d.officeAfter(raw)
			if t.After(last) {
				t = raw
			}
			ops = append(ops, dfStep{op: "opinion", at: t, body: b, verdict: v, round: n})
			if t.After(concluded) {
				concluded = t
			}
		}
		sort.SliceStable(ops, func(i, j int) bool { return ops[i].at.Before(ops[j].at) })
		steps = append(steps, ops...)
		switch {
		case open:
			return time.Time{}, true
		case silent:
			// The sweep records the silences the morning after the due day.
			return calendar.DateOf(due).AddDays(1).At(0, 5), true
		}
		return concluded, true
	}
	// The secretariat's minutes, some hours or days after the conclusion.
	minutes := func(c time.Time) time.Time { return d.officeAfter(c.Add(d.dur(2*time.Hour, 70*time.Hour))) }
	// remarks sends the remarks of a round concluded at c, the applicant
	// answers, uploads revised plans and sends the file back: the time of
	// the second round's start.
	remarksAndRevise := func(c time.Time) time.Time {
		s := minutes(c)
		add(dfStep{op: "remarks", at: s})
		ans := d.between(s.Add(day), s.Add(6*day))
		add(dfStep{op: "answer", at: ans})
		up := ans.Add(d.dur(10*time.Minute, 20*time.Hour))
		add(dfStep{op: "revplan", at: up})
		r := up.Add(d.dur(5*time.Minute, 40*time.Minute))
		add(dfStep{op: "revise", at: r})
		return r
	}
	forwardAndDecide := func(c time.Time, decide bool) bool {
		fw := minutes(c)
		add(dfStep{op: "forward", at: fw})
		if !decide {
			return fw.Before(end.Add(-30 * time.Minute))
		}
		p := d.officeAfter(fw.Add(d.dur(3*time.Hour, 5*day)))
		add(dfStep{op: "decide_permit", at: p})
		return p.Before(end.Add(-30 * time.Minute))
	}
	switch f.final {
	case dfStudy:
		_, ok := round(1, dispatch, d.verdicts(f, "open"), true)
		return steps, ok
	case dfMinutes:
		c, ok := round(1, dispatch, d.verdicts(f, f.variant), false)
		return steps, ok && c.Before(end.Add(-30*time.Minute)) && c.After(end.Add(-5*day))
	case dfRemarks:
		// Partly answered: two remarks, the first answered; answered:
		// every remark, the file not sent back yet.
		c, ok := round(1, dispatch, d.verdicts(f, pick(f.variant == "none", "remarks", "remarks2")), false)
		if !ok {
			return nil, false
		}
		s := minutes(c)
		add(dfStep{op: "remarks", at: s})
		if f.variant == "partial" || f.variant == "answered" {
			ans := d.between(s.Add(day), s.Add(5*day))
			add(dfStep{op: "answer", at: ans, partial: f.variant == "partial"})
			return steps, ans.Before(end.Add(-30 * time.Minute))
		}
		return steps, s.Before(end.Add(-day))
	case dfRound2:
		c, ok := round(1, dispatch, d.verdicts(f, "remarks"), false)
		if !ok {
			return nil, false
		}
		r := remarksAndRevise(c)
		if !r.Before(end.Add(-2 * time.Hour)) {
			return nil, false
		}
		_, ok = round(2, r, d.verdicts(f, "open"), true)
		return steps, ok
	case dfPresident:
		c, ok := round(1, dispatch, d.verdicts(f, f.variant), false)
		return steps, ok && forwardAndDecide(c, false)
	case dfGranted:
		variant := f.variant
		if variant == "rounds2" {
			c, ok := round(1, dispatch, d.verdicts(f, "remarks"), false)
			if !ok {
				return nil, false
			}
			r := remarksAndRevise(c)
			if c, ok = round(2, r, d.verdicts(f, "grant"), false); !ok {
				return nil, false
			}
			return steps, forwardAndDecide(c, true)
		}
		if variant == "plain" {
			variant = "grant"
		}
		c, ok := round(1, dispatch, d.verdicts(f, variant), false)
		return steps, ok && forwardAndDecide(c, true)
	case dfRejected:
		c, ok := round(1, dispatch, d.verdicts(f, "refuse"), false)
		return steps, ok && forwardAndDecide(c, true)
	}
	return nil, false
}

// verdicts draws what each body sitting on f says for an outcome:
// "grant" (favourable, some reservations), "conditions" (at least one
// reservation), "remarks" (one or two bodies other than the binding one
// against), "remarks2" (two of them against),
// "refuse" (the binding body against), "silence" (one body silent, the
// others in favour), "open" (some have spoken, the others not yet).
func (d *demoFiles) verdicts(f *dfFile, outcome string) dfRoundPlan {
	plan := dfRoundPlan{}
	binding := f.committee.Decision.Binding
	var others []string
	for _, b := range f.bodies {
		plan[b] = permit.Favourable
		if d.trng.IntN(4) == 0 && outcome != "open" {
			plan[b] = permit.Reservations
		}
		if !slices.Contains(binding, b) {
			others = append(others, b)
		}
	}
	pickBody := func(from []string) string { return from[d.trng.IntN(len(from))] }
	switch outcome {
	case "conditions":
		plan[pickBody(f.bodies)] = permit.Reservations
	case "remarks", "remarks2":
		for _, b := range binding {
			plan[b] = permit.Favourable
		}
		against := slices.Clone(others)
		d.trng.Shuffle(len(against), func(i, j int) { against[i], against[j] = against[j], against[i] })
		n := 1
		if outcome == "remarks2" || d.trng.IntN(3) == 0 {
			n = 2
		}
		for _, b := range against[:min(n, len(against))] {
			plan[b] = permit.Unfavourable
		}
	case "refuse":
		for _, b := range binding {
			if plan[b] != "" {
				plan[b] = permit.Unfavourable
			}
		}
	case "silence":
		for _, b := range f.bodies {
			if plan[b] == permit.Reservations {
				plan[b] = permit.Favourable
			}
		}
		plan[pickBody(f.bodies)] = ""
	case "open":
		// Some have spoken: at least one, never all.
		n := 1 + d.trng.IntN(len(f.bodies)-1)
		order := slices.Clone(f.bodies)
		d.trng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, b := range order[n:] {
			plan[b] = ""
		}
		for _, b := range order[:n] {
			if d.trng.IntN(4) == 0 {
				plan[b] = permit.Reservations
			}
		}
	}
	return plan
}

// dfReasons are the reasons members give, by body and verdict
// (Arabic, French).
var dfReasons = map[string]map[string][][2]string{
	permit.Reservations: {
		"prefecture": {{"يجب ألا يتجاوز علو السور المطل على الشارع مترين، ومنع احتلال الملك العمومي أثناء الأشغال.",
			"Clôture sur rue limitée à 2 m de hauteur ; aucune occupation du domaine public pendant le chantier."}},
		"urban_agency": {{"احترام تراجع 4 أمتار عن الطريق المبرمجة في تصميم التهيئة.",
			"Respecter le recul de 4 m sur la voie projetée du plan d’aménagement."},
			{"تخصيص مساحة خضراء لا تقل عن 10 في المائة من القطعة.", "Réserver au moins 10 % de la parcelle en espace vert planté."}},
		"civil_protection": {{"توفير مخرجين للنجدة ومطفآت في كل طابق، وترك الولوج مفتوحا لآليات الإغاثة.",
			"Prévoir deux issues de secours et des extincteurs à chaque niveau ; l’accès des engins doit rester libre."}},
		"distributor": {{"يتم الربط بشبكة التطهير من جهة الشارع، مع بالوعة للمراقبة على نفقة صاحب الطلب.",
			"Le branchement à l’assainissement se fera côté rue, avec un regard de visite à la charge du pétitionnaire."}},
		"commune": {{"ربط مياه الأمطار بالشبكة وطلاء الواجهة باللون الأبيض.",
			"Eaux pluviales de la terrasse raccordées au réseau ; façade enduite et peinte en blanc."}},
		"arrondissement": {{"ربط مياه الأمطار بالشبكة وطلاء الواجهة باللون الأبيض.",
			"Eaux pluviales de la terrasse raccordées au réseau ; façade enduite et peinte en blanc."}},
		"land_registry": {{"يجب تحفيظ البقع قبل أي بيع.", "Les lots devront être immatriculés avant toute vente."}},
		"telecom":       {{"توفير الأنابيب وغرفة السحب لشبكة الاتصالات.", "Prévoir les fourreaux et la chambre de tirage du réseau de télécommunications."}},
	},
	permit.Unfavourable: {
		"prefecture": {{"باب المرأب يحتل جزءا من الرصيف: يجب إرجاعه بمتر ونصف.",
			"La porte du garage empiète sur le trottoir : la reculer de 1,50 m."}},
		"urban_agency": {{"العلو المقترح يتجاوز العلو المسموح به في تصميم التهيئة لهذا القطاع.",
			"La hauteur projetée dépasse celle que le plan d’aménagement permet dans ce secteur."},
			{"معامل استغلال الأرض يتجاوز 1,8 المنصوص عليه في تصميم التهيئة.",
				"Le coefficient d’occupation du sol dépasse le 1,8 que fixe le plan d’aménagement."}},
		"civil_protection": {{"الدرج الوحيد لا يكفي للإخلاء: يجب توفير مخرج ثان.",
			"L’escalier unique ne suffit pas à l’évacuation : prévoir une seconde issue."}},
		"distributor": {{"التصميم الكتلي لا يبين الربط بشبكة التطهير: يجب بيان المسار والبالوعة.",
			"Le plan de masse ne montre pas le raccordement à l’assainissement : indiquer le tracé et le regard."}},
		"commune": {{"الواجهة المطلة على الشارع لا تحترم اصطفاف البنايات المجاورة.",
			"La façade sur rue ne respecte pas l’alignement des constructions voisines."}},
		"arrondissement": {{"الواجهة المطلة على الشارع لا تحترم اصطفاف البنايات المجاورة.",
			"La façade sur rue ne respecte pas l’alignement des constructions voisines."}},
		"land_registry": {{"حدود التصميم لا تطابق الرسم العقاري: يجب الإدلاء بتصميم مرتبط بالشبكة.",
			"Les limites du plan ne concordent pas avec le titre foncier : produire un plan rattaché."}},
		"telecom": {{"شبكة الاتصالات الداخلية غير ممثلة في التصاميم.", "Le réseau de télécommunications interne n’est pas représenté sur les plans."}},
	},
}

// reasons are the reasons a member writing in lang gives for verdict on
// body's behalf ("" when favourable).
func (d *demoFiles) reasons(f *dfFile, body, verdict, lang string) string {
	rs := dfReasons[verdict][body]
	if len(rs) == 0 {
		if verdict == permit.Favourable {
			return ""
		}
		rs = dfReasons[verdict]["commune"]
	}
	r := rs[f.n%len(rs)]
	return pick(lang == "ar", r[0], r[1])
}

// dfAnswers are the applicant's answers to remarks (Arabic, French).
var dfAnswers = [][2]string{
	{"تم تصحيح التصاميم وفق الملاحظة، انظر التصاميم المعدلة (المؤشر B).", "Les plans sont corrigés comme demandé : voir les plans révisés (indice B)."},
	{"أضفنا المطلوب في التصاميم المعدلة المرفقة بالملف.", "Nous avons ajouté ce qui manquait sur les plans révisés joints au dossier."},
}

// committeeStep plays one step of f's committee story.
func (d *demoFiles) committeeStep(ctx context.Context, f *dfFile, s dfStep, agent, filer authz.Actor) error {
	svc := d.svc
	switch s.op {
	case "dispatch":
		// The windows whose agent has a demonstration account dispatch
		// by hand (dispatchModes); Madina dispatches the others' files.
		if slices.Contains(dfAgentWindows, f.window) {
			if _, err := svc.Dispatch(ctx, agent, f.id, 0); err != nil {
				return err
			}
		} else if ok, err := svc.AutoDispatchFile(ctx, f.id); err != nil || !ok {
			return fmt.Errorf("automatic dispatch: %v, %w", ok, err)
		}
		seats, err := svc.Seats(ctx, agent, f.id)
		if err != nil {
			return err
		}
		f.orgs = map[string]string{}
		for _, st := range seats {
			f.orgs[st.Body.Code] = st.Organisation.Code
		}
	case "opinion":
		m, ok := d.members[f.orgs[s.body]]
		if !ok {
			return fmt.Errorf("no member for %s (%q)", s.body, f.orgs[s.body])
		}
		m.Now = time.Now()
		_, err := svc.GiveOpinion(ctx, m, f.id, s.round, s.verdict, d.reasons(f, s.body, s.verdict, d.memberLang[m.Person]))
		return err
	case "remarks":
		_, drafts, err := svc.RemarkDrafts(ctx, agent, f.id)
		if err != nil {
			return err
		}
		_, err = svc.SendRemarks(ctx, agent, f.id, 0, drafts)
		return err
	case "answer":
		rs, err := svc.Remarks(ctx, filer, f.id)
		if err != nil {
			return err
		}
		last := 0
		for _, r := range rs {
			last = max(last, r.Round)
		}
		answers := map[int64]string{}
		for _, r := range rs {
			if r.Round != last || (s.partial && len(answers) > 0) {
				continue
			}
			a := dfAnswers[(f.n+r.Position)%len(dfAnswers)]
			answers[r.ID] = pick(f.owner.lang == "ar", a[0], a[1])
		}
		return svc.AnswerRemarks(ctx, filer, f.id, answers)
	case "revplan":
		return d.upload(ctx, filer, f, d.planItem(f), "B")
	case "revise":
		_, err := svc.Revise(ctx, filer, f.id, 0)
		return err
	case "forward":
		_, err := svc.Forward(ctx, agent, f.id, 0)
		return err
	case "decide_permit":
		p, ok := d.presidents[f.window]
		if !ok {
			return fmt.Errorf("no president at %s", f.window)
		}
		p.Now = time.Now()
		// A president holding a certificate signs with it (a decision
		// taken without one is sealed by the commune).
		pin := ""
		if svc.SignsDecisions(ctx, p) {
			pin = DemoPIN
		}
		return d.decidePermit(ctx, p, f.id, pin)
	default:
		return d.afterWorksStep(ctx, f, s)
	}
	return nil
}

// planItem is the checklist item of f's plans, revised after remarks.
func (d *demoFiles) planItem(f *dfFile) string {
	for _, item := range []string{"architectural_plans", "subdivision_plans", "division_plan", "mass_plan", "existing_plans", "situation_plan"} {
		if slices.ContainsFunc(f.kind.Documents, func(r permit.Requirement) bool { return r.Code == item }) {
			return item
		}
	}
	return f.kind.Documents[0].Code
}

// committeePeople enrols the committee members the demonstration adds and
// finds the demonstration's members and presidents.
func (d *demoFiles) committeePeople(ctx context.Context) error {
	a := d.a
	d.members, d.presidents, d.memberLang = map[string]authz.Actor{}, map[string]authz.Actor{}, map[int64]string{}
	for _, acc := range identitydemo.Accounts() {
		if acc.Grant == nil || (acc.Grant.Role != authz.CommitteeMember && acc.Grant.Role != authz.President) {
			continue
		}
		p, err := a.Identity.PersonByEmail(ctx, acc.Email)
		if err != nil {
			return fmt.Errorf("%s: %w", acc.Email, err)
		}
		g := authz.Grant{Role: acc.Grant.Role, Org: acc.Grant.Org, Window: acc.Grant.Window}
		actor := authz.Actor{Person: p.ID, EmailVerified: true, MFA: true, Now: time.Now(), Grants: []authz.Grant{g}}
		if g.Role == authz.President {
			d.presidents[g.Window] = actor
		} else {
			d.members[g.Org] = actor
			d.memberLang[p.ID] = acc.Lang
		}
	}
	// The windows whose agent has a demonstration account dispatch their
	// accepted urban files by hand, so that their agents find files to
	// dispatch; every other window dispatches automatically (the default).
	for _, w := range dfAgentWindows {
		if err := d.svc.SetDispatchMode(ctx, authz.Actor{System: true}, w, false); err != nil {
			return fmt.Errorf("dispatch mode of %s: %w", w, err)
		}
	}
	op := staff.System("demo")
	for _, m := range Members() {
		res, err := a.Staff.EnrolStaff(ctx, op, m.Enrolment, staff.GrantSpec{Role: authz.CommitteeMember, Org: m.Org})
		if err != nil {
			return fmt.Errorf("%s: %w", m.Email, err)
		}
		if err := a.Identity.EnableTOTPSecret(ctx, op.Actor, res.PersonID, identitydemo.TOTPSecret); err != nil {
			return fmt.Errorf("%s: %w", m.Email, err)
		}
		d.members[m.Org] = authz.Actor{Person: res.PersonID, EmailVerified: true, MFA: true, Now: time.Now(),
			Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: m.Org}}}
		d.memberLang[res.PersonID] = m.Lang
	}
	return nil
}

// sessions generates the committee sessions of the weeks to come and
// plans their agendas with the files being studied, freezing those whose
// time has come, as the sessions' worker would.
func (d *demoFiles) sessions(ctx context.Context) (int, error) {
	n, err := d.svc.GenerateSessions(ctx, permit.SessionWeeks)
	if errs.Is(err, errs.Invalid) {
		d.a.Log.Warn("demo: no committee sessions", "err", err.Error()) // a year the holiday calendar lacks
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if _, err := d.svc.PlanAll(ctx); err != nil {
		return n, err
	}
	_, err = d.svc.FreezeDue(ctx)
	return n, err
}

// committeeExamples names a file of each committee story, at a window
// with a demonstration agent when there is one (docs/DEMO.md).
func (d *demoFiles) committeeExamples(ctx context.Context, out io.Writer) error {
	stories := []struct{ final, variant, label string }{
		{dfStudy, "", "studied"}, {dfMinutes, "remarks", "remarks to send"}, {dfMinutes, "grant", "to forward"},
		{dfMinutes, "silence", "to forward after a silence"}, {dfRemarks, "answered", "remarks answered, to send back"},
		{dfRemarks, "partial", "remarks partly answered"},
		{dfRemarks, "none", "remarks unanswered"}, {dfRound2, "", "second round"}, {dfPresident, "grant", "to grant"},
		{dfPresident, "refuse", "to refuse"}, {dfGranted, "conditions", "granted with conditions"},
		{dfGranted, "silence", "granted after a silence"}, {dfGranted, "rounds2", "granted after two rounds"},
		{dfRejected, "", "refused on the urban agency's opinion"},
	}
	var parts []string
	for _, st := range stories {
		best := ""
		for _, f := range d.files {
			if f.id == 0 || f.final != st.final || f.variant != st.variant {
				continue
			}
			pf, err := d.svc.Get(ctx, d.filer(f), f.id)
			if err != nil {
				return err
			}
			if best == "" || slices.Contains(dfAgentWindows, pf.Window) {
				best = pf.Display()
			}
			if slices.Contains(dfAgentWindows, pf.Window) {
				break
			}
		}
		if best != "" {
			parts = append(parts, st.label+" "+best)
		}
	}
	fmt.Fprintf(out, "demo: committee examples: %s\n", strings.Join(parts, ", "))
	return d.afterWorksExamples(ctx, out)
}
