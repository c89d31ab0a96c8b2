// Package complaintdemo loads the demonstration's citizens' requests
// (docs/DEMO.md): complaint officers for Lydec, the commune and Sidi
// Othmane among the demonstration's staff, and a few requests filed by the
// demonstration's citizens in their languages, at each stage of their
// life — through the services, as people would.
package complaintdemo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/complaint"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/module"
	"madina/internal/platform/calendar"
	"madina/internal/platform/geo"
	"madina/internal/staff"
)

// Officers are the demonstration's complaint officers: e-mail, the
// organisation whose requests they answer.
var Officers = []struct{ Email, Org string }{
	{"laila.kettani@example.ma", "lydec"},
	{"driss.sqalli@example.ma", "commune"},
	{"abdelkader.fassi@example.ma", "sidi-othmane"},
}

// A demoRequest is filed by a citizen and taken along its life by the
// answering organisation's officer.
type demoRequest struct {
	by    string
	in    complaint.Input
	steps []step
}

type step struct {
	change complaint.Change
	note   string
	byRep  bool // the reporter's move rather than the officer's
	days   int  // a plan: the work planned so many days after the load
}

var requests = []demoRequest{
	{by: "fatima.benali@example.ma", in: complaint.Input{Category: "lighting", Arrondissement: "sidi-moumen", Lat: "33.5790", Lon: "-7.5290",
		Description: "الضو مطفي فالزنقة 12 من سيدي مومن، الزنقة كاملة فالظلام من نهار الاثنين.", Answers: map[string]string{"pole": "L-2231"}},
		steps: []step{{change: complaint.CAcknowledge}, {change: complaint.CResolve, note: "Lampe remplacée le 4 décembre par l'équipe d'éclairage public."}}},
	{by: "youssef.elamrani@example.ma", in: complaint.Input{Category: "roads", Arrondissement: "maarif", Address: "Boulevard Brahim Roudani, devant le n° 140",
		Description: "Nid de poule profond sur la chaussée, les voitures font des écarts dangereux.",
		Answers:     map[string]string{"where": "carriageway", "danger": "true", "danger_detail": "Les scooters tombent presque chaque soir."}},
		steps: []step{{change: complaint.CAcknowledge}, {change: complaint.CAsk, note: "Pouvez-vous préciser de quel côté du boulevard se trouve le trou ?"}}},
	{by: "khadija.ouazzani@example.ma", in: complaint.Input{Category: "waste", Arrondissement: "sidi-othmane", Lat: "33.5650", Lon: "-7.5500",
		Description: "Rubbish has not been collected for three days at the corner of the market.", Answers: map[string]string{"what": "not_collected"}}},
	{by: "khadija.ouazzani@example.ma", in: complaint.Input{Category: "green-spaces", Arrondissement: "sidi-othmane", Lat: "33.5700", Lon: "-7.5550",
		Description: "A large branch of a tree in the small garden is about to fall onto the children's swings.", Answers: map[string]string{"fallen_tree": "true"}},
		steps: []step{{change: complaint.CAcknowledge}}},
	{by: "fatima.benali@example.ma", in: complaint.Input{Category: "water", Arrondissement: "sidi-moumen", Lat: "33.5805", Lon: "-7.5270",
		Description: "تسرب الماء من قادوس فالشارع الرئيسي.", Answers: map[string]string{"what": "leak"}},
		steps: []step{{change: complaint.CAcknowledge}, {change: complaint.CPlan, days: 2,
			note: "سيتدخل فريق ليديك لإصلاح القادوس صباحا، وقد ينقطع الماء ساعتين."}}},
}

// Load grants the officers their role and files the requests; it does
// nothing when the demonstration's requests are there already.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	s, err := module.Need[*complaint.Service](env)
	if err != nil {
		return err
	}
	id, err := module.Need[*identity.Service](env)
	if err != nil {
		return err
	}
	st, err := module.Need[*staff.Service](env)
	if err != nil {
		return err
	}
	now := time.Now()
	citizen := func(email string) (authz.Actor, error) {
		p, err := id.AccountID(ctx, email)
		return authz.Actor{Person: p, EmailVerified: true, Now: now}, err
	}
	first, err := citizen(requests[0].by)
	if err != nil {
		return fmt.Errorf("complaint demo: %w (load identity's demonstration first)", err)
	}
	if mine, err := s.Mine(ctx, first); err != nil {
		return err
	} else if len(mine) > 0 {
		fmt.Fprintln(out, "demo: the citizens' requests are already there")
		return nil
	}
	officers := map[string]authz.Actor{}
	for _, o := range Officers {
		if _, err := st.GrantByEmail(ctx, staff.System("demo"), o.Email, staff.GrantSpec{Role: authz.ComplaintOfficer, Org: o.Org}); err != nil {
			return fmt.Errorf("complaint demo: officer %s: %w", o.Email, err)
		}
		p, err := id.AccountID(ctx, o.Email)
		if err != nil {
			return err
		}
		officers[o.Org] = authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: now,
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: o.Org}}}
	}
	for _, d := range requests {
		rep, err := citizen(d.by)
		if err != nil {
			return err
		}
		r, err := s.File(ctx, rep, d.in)
		if err != nil {
			return fmt.Errorf("complaint demo: %s's %s request: %w", d.by, d.in.Category, err)
		}
		for _, st := range d.steps {
			a := officers[r.Organisation]
			if st.byRep {
				a = rep
			}
			if st.change == complaint.CPlan {
				_, err = s.Plan(ctx, a, r.ID, 0, calendar.DateOf(now).AddDays(st.days).String(), st.note)
			} else {
				_, err = s.Move(ctx, a, r.ID, 0, st.change, st.note)
			}
			if err != nil {
				return fmt.Errorf("complaint demo: %s on %s: %w", st.change, r.Number, err)
			}
		}
	}
	// A year of requests, most through the demonstration's Open311 client.
	if !wantsYear(ctx) {
		fmt.Fprintf(out, "demo: %d citizens' requests filed; complaint officers %s (Lydec), %s (commune), %s (Sidi Othmane)\n",
			len(requests), Officers[0].Email, Officers[1].Email, Officers[2].Email)
		return nil
	}
	c, _, err := s.RegisterOpen311Client(ctx, authz.Actor{System: true}, "Casa Signale (démonstration)")
	if err != nil {
		return err
	}
	var reopeners []authz.Actor
	for _, e := range []string{"mehdi.tazi@example.ma", "naima.bennis@example.ma", "youssef.elamrani@example.ma"} {
		a, err := citizen(e)
		if err != nil {
			return err
		}
		reopeners = append(reopeners, a)
	}
	var arrs []string
	for _, code := range []string{"anfa", "maarif", "sidi-belyout", "al-fida", "mers-sultan", "ain-sebaa", "hay-mohammadi",
		"roches-noires", "ain-chock", "hay-hassani", "ben-msick", "sbata", "moulay-rachid", "sidi-othmane", "sidi-bernoussi", "sidi-moumen"} {
		arrs = append(arrs, code)
	}
	places, err := module.Need[*district.Store](env)
	if err != nil {
		return err
	}
	year, err := loadYear(ctx, s, authz.Actor{Open311Client: c.ID, Now: now}, reopeners, officers, arrs, pointsIn(places))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: %d citizens' requests filed, and %d over the past year (most through the Open311 client %q); complaint officers %s (Lydec), %s (commune), %s (Sidi Othmane)\n",
		len(requests), year, c.Name, Officers[0].Email, Officers[1].Email, Officers[2].Email)
	return nil
}

// pointsIn returns where in an arrondissement a request of the year is
// placed: a point drawn at random in the arrondissement's outline (as
// the territorial reference assigns points), the same each run; "" when
// the reference has no outlines.
func pointsIn(places *district.Store) func(ctx context.Context, arr string) (lat, lon string, err error) {
	rnd := rand.New(rand.NewPCG(2026, 311))
	return func(ctx context.Context, arr string) (string, string, error) {
		areas, err := places.Areas(ctx)
		if err != nil {
			return "", "", err
		}
		for _, a := range areas {
			if a.Arrondissement != arr {
				continue
			}
			b := a.Boundary.Bounds()
			for range 1000 {
				p := geo.Point{Lon: b.Min.Lon + rnd.Float64()*(b.Max.Lon-b.Min.Lon), Lat: b.Min.Lat + rnd.Float64()*(b.Max.Lat-b.Min.Lat)}
				p.Lon, p.Lat = math.Round(p.Lon*1e6)/1e6, math.Round(p.Lat*1e6)/1e6
				if at, ok, err := places.ArrondissementAt(ctx, p); err != nil {
					return "", "", err
				} else if ok && at.Code == arr {
					return strconv.FormatFloat(p.Lat, 'f', 6, 64), strconv.FormatFloat(p.Lon, 'f', 6, 64), nil
				}
			}
		}
		return "", "", nil
	}
}
