package complaintdemo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"madina/internal/authz"
	"madina/internal/complaint"
	"madina/internal/platform/i18n"
)

// A year of requests (issue #16, point 7): YearRequests requests filed
// over the 365 days before the load, across the categories and the
// arrondissements, most posted by the demonstration's Open311 client
// ("Casa Signale", as a FixMyStreet-like site would), each taken along
// its life at the dates it would have been: acknowledged, asked, started,
// resolved with a realistic answer, closed; some merged as duplicates,
// some reopened as not fixed by the demonstration's citizens who filed
// them. The draw is seeded: every load makes the same year, ending on the
// day of the load.

// YearRequests is how many requests the year holds.
const YearRequests = 3000

type yearKey struct{}

// WithYear asks Load for the year of requests too: `madina demo` does,
// and the tests' demonstration on SQLite (loaded once per test process);
// a PostgreSQL test that loads the demonstration into its own schema does
// not (some twenty-five seconds on SQLite; on PostgreSQL forty, its
// fifteen thousand transactions not waiting for their commits' flush
// under App.LoadDemo's db.WithAsyncCommit — minutes when they did).
func WithYear(ctx context.Context) context.Context { return context.WithValue(ctx, yearKey{}, true) }

func wantsYear(ctx context.Context) bool { v, _ := ctx.Value(yearKey{}).(bool); return v }

// cityRouted are the categories answered by one organisation for the whole
// city (the demonstration's officers cover them everywhere); those routed
// to an arrondissement are filed in Sidi Othmane, whose officer it has.
var cityRouted = []string{"roads", "lighting", "waste", "water", "stray-animals", "suggestion", "service-complaint"}
var soRouted = []string{"green-spaces", "noise", "illegal-building", "public-space", "information"}

// answers are the teams' public answers, by category.
var answers = map[string][]string{
	"roads":             {"Nid de poule comblé à l'enrobé à froid.", "Chaussée reprise sur 12 m².", "تم ترقيع الحفرة."},
	"lighting":          {"Lampe remplacée par l'équipe d'éclairage public.", "Câble réparé, le lampadaire fonctionne.", "تم تغيير المصباح."},
	"waste":             {"Collecte rattrapée le lendemain.", "Bac remplacé.", "تم جمع النفايات."},
	"water":             {"Fuite réparée par Lydec.", "Regard refermé.", "تم إصلاح التسرب."},
	"stray-animals":     {"Signalé au bureau d'hygiène, intervention faite.", "تم التدخل من طرف مكتب حفظ الصحة."},
	"suggestion":        {"Merci : la proposition est transmise au service concerné.", "شكرا، أحيل الاقتراح على المصلحة المعنية."},
	"service-complaint": {"Le guichet a été rappelé aux horaires affichés.", "تم تذكير الموظفين بمواقيت العمل."},
	"green-spaces":      {"Branche coupée par le service des espaces verts.", "تم تقليم الشجرة."},
	"noise":             {"Contrôle fait, l'exploitant a été averti.", "تم إنذار صاحب المحل."},
	"illegal-building":  {"Constat dressé, procédure engagée.", "تم تحرير محضر."},
	"public-space":      {"Terrasse ramenée à la surface autorisée.", "تم تحرير الملك العمومي."},
	"information":       {"Les pièces demandées sont listées sur la page de la procédure.", "الوثائق المطلوبة مذكورة في صفحة المسطرة."},
}

// describe is what residents write, by category.
var describe = map[string][]string{
	"roads":             {"Nid de poule dangereux devant l'arrêt de bus.", "حفرة كبيرة وسط الطريق.", "Pothole on the roundabout."},
	"lighting":          {"Lampadaire éteint depuis une semaine.", "الضو مطفي فالزنقة.", "Street light blinking all night."},
	"waste":             {"Ordures non ramassées depuis trois jours.", "الزبل ما تجمعش هادي يومين.", "Overflowing bin at the corner."},
	"water":             {"Fuite d'eau sur le trottoir.", "تسرب الماء فالشارع.", "Open manhole cover."},
	"stray-animals":     {"Meute de chiens errants près de l'école.", "كلاب ضالة قرب المدرسة."},
	"suggestion":        {"Installer des bancs dans le jardin.", "اقتراح: ممر للراجلين أمام السوق."},
	"service-complaint": {"Guichet fermé pendant les heures d'ouverture.", "الموظف غائب فالشباك."},
	"green-spaces":      {"Arbre penché au-dessus des jeux d'enfants.", "شجرة غادا تطيح فالحديقة."},
	"noise":             {"Musique très forte tous les soirs.", "صداع دار العرس كل ليلة."},
	"illegal-building":  {"Étage ajouté sans permis.", "بناء عشوائي فوق السطح."},
	"public-space":      {"Terrasse de café sur tout le trottoir.", "احتلال الرصيف من طرف المحلات."},
	"information":       {"Quels papiers pour un certificat de résidence ?", "شنو هي الوثائق ديال شهادة السكنى؟"},
}

// yearAnswers fills the category's required questions with a plausible
// answer (the first option of a choice, yes/no as no).
func yearAnswers(k *complaint.Category) map[string]string {
	out := map[string]string{}
	for _, f := range k.Fields {
		switch f.Kind {
		case complaint.FieldChoice:
			out[f.Name] = f.Options[0].Code
		case complaint.FieldBoolean:
			out[f.Name] = "false"
		case complaint.FieldDate:
			out[f.Name] = "2026-01-15"
		default:
			if f.Required && f.When == nil {
				out[f.Name] = "—"
			}
		}
	}
	return out
}

// loadYear files and moves the year's requests: client posts as the
// Open311 client, reopeners as the demonstration's citizens (who reopen
// them), officers by organisation.
func loadYear(ctx context.Context, s *complaint.Service, client authz.Actor, reopeners []authz.Actor,
	officers map[string]authz.Actor, arrondissements []string, pointIn func(ctx context.Context, arr string) (lat, lon string, err error)) (int, error) {
	end := time.Now().UTC().Truncate(time.Minute)
	start := end.AddDate(0, 0, -365)
	rnd := rand.New(rand.NewPCG(2026, 16))
	placed := rand.New(rand.NewPCG(2026, 17)) // which requests come with a point: a stream of its own
	cat := s.Catalogue()
	// The filing dates first, in order, so that the numbers follow them;
	// on working hours of Casablanca.
	filed := make([]time.Time, YearRequests)
	for i := range filed {
		d := start.Add(time.Duration(rnd.Int64N(int64(364 * 24 * time.Hour))))
		day := time.Date(d.Year(), d.Month(), d.Day(), 8+rnd.IntN(10), rnd.IntN(60), 0, 0, i18n.Casablanca)
		filed[i] = day.UTC()
	}
	slices.SortFunc(filed, func(a, b time.Time) int { return a.Compare(b) })
	var clock time.Time
	at := s.WithClock(func() time.Time { return clock })
	n := 0
	var lastOpen = map[string]int64{} // the last open request per category and arrondissement, for duplicates
	for i, t := range filed {
		clock = t
		var code, arr string
		if rnd.IntN(4) == 0 {
			code, arr = soRouted[rnd.IntN(len(soRouted))], "sidi-othmane"
		} else {
			code, arr = cityRouted[rnd.IntN(len(cityRouted))], arrondissements[rnd.IntN(len(arrondissements))]
		}
		k, _ := cat.Category(code)
		ds := describe[code]
		in := complaint.Input{Category: code, Arrondissement: arr, Description: ds[rnd.IntN(len(ds))], Answers: yearAnswers(k),
			Contact: complaint.ContactInbox}
		if k.Location != complaint.None {
			in.Address = fmt.Sprintf("Rue %d, n° %d", 1+rnd.IntN(80), 1+rnd.IntN(200))
			// A phone's client sends the point too (most do): the
			// public map shows the year's requests.
			if placed.IntN(10) != 0 {
				lat, lon, err := pointIn(ctx, arr)
				if err != nil {
					return n, err
				}
				in.Lat, in.Lon = lat, lon
			}
		}
		who := client
		reopen := i%20 == 7 // one in twenty is reopened as not fixed
		if reopen {
			who = reopeners[i%len(reopeners)]
		} else {
			in.Via = complaint.Open311Person{Name: "Résident", Device: fmt.Sprintf("demo-%04d", rnd.IntN(900))}
		}
		r, err := at.File(ctx, who, in)
		if err != nil {
			return n, fmt.Errorf("complaint demo: a year's request %d (%s): %w", i, code, err)
		}
		n++
		off := officers[r.Organisation]
		key := code + "/" + arr
		move := func(after time.Duration, c complaint.Change, note string, a authz.Actor) error {
			next := clock.Add(after)
			if !next.Before(end) {
				return errStop
			}
			clock = next
			_, err := at.Move(ctx, a, r.ID, 0, c, note)
			return err
		}
		// A duplicate of the last open request of its kind and place, now
		// and then: merged into it.
		if kept, ok := lastOpen[key]; ok && rnd.IntN(30) == 0 && !reopen {
			clock = clock.Add(time.Duration(1+rnd.IntN(48)) * time.Hour)
			if clock.Before(end) {
				if _, err := at.Merge(ctx, off, kept, r.ID, "Même signalement."); err != nil {
					return n, fmt.Errorf("complaint demo: merge %s: %w", r.Number, err)
				}
			}
			continue
		}
		hours := func(lo, hi int) time.Duration { return time.Duration(lo+rnd.IntN(hi-lo+1)) * time.Hour }
		as := answers[code]
		err = func() error {
			if rnd.IntN(12) == 0 { // still waiting for the team
				return nil
			}
			if err := move(hours(1, 72), complaint.CAcknowledge, "", off); err != nil {
				return err
			}
			if who.Person != 0 && rnd.IntN(3) == 0 { // a citizen's: asked for more, and answers
				if err := move(hours(2, 24), complaint.CAsk, "Pouvez-vous préciser l'endroit exact ?", off); err != nil {
					return err
				}
				if err := move(hours(2, 96), complaint.CReply, "Devant la pharmacie, côté boulevard.", who); err != nil {
					return err
				}
			} else if err := move(hours(4, 48), complaint.CStart, "", off); err != nil {
				return err
			}
			if rnd.IntN(8) == 0 { // in progress still
				return nil
			}
			if err := move(hours(12, 24*14), complaint.CResolve, as[rnd.IntN(len(as))], off); err != nil {
				return err
			}
			if reopen {
				if err := move(hours(24, 24*10), complaint.CReopen, "Ce n'est pas réparé.", who); err != nil {
					return err
				}
				if err := move(hours(24, 24*7), complaint.CStart, "", off); err != nil {
					return err
				}
				if err := move(hours(24, 24*7), complaint.CResolve, as[rnd.IntN(len(as))], off); err != nil {
					return err
				}
			}
			// Resolved more than 30 days ago: closed, as the clock does.
			if end.Sub(clock) > complaint.ReopenWindow+24*time.Hour {
				return move(complaint.ReopenWindow+time.Hour, complaint.CClose, "", off)
			}
			return nil
		}()
		if err != nil && err != errStop {
			return n, fmt.Errorf("complaint demo: %s: %w", r.Number, err)
		}
		if r2, _, gerr := s.Get(ctx, off, r.ID); gerr == nil && r2.State.Open() && r2.State != complaint.Waiting {
			lastOpen[key] = r.ID
		} else {
			delete(lastOpen, key)
		}
	}
	// The clock's own acts up to today, quietly: the year's late requests
	// are marked alerted and raised, the old resolved ones closed,
	// without a notice each at the first start.
	for {
		w, err := s.Warn(ctx)
		if err != nil {
			return n, err
		}
		o, x, err := s.Alert(ctx)
		if err != nil {
			return n, err
		}
		c, err := s.CloseResolved(ctx)
		if err != nil {
			return n, err
		}
		if w+o+x+c == 0 {
			break
		}
	}
	return n, nil
}

type stop struct{}

func (stop) Error() string { return "the year ends" }

// errStop ends a request's life at the load's date.
var errStop error = stop{}
