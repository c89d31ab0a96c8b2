package booking

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// The flash crowd (issue #15, Performance): 5,000 requests at once from
// 5,000 people for 100 slots released together. Every requester gets a
// definite answer (booked, or "taken"), no slot gets two holders, and
// the booking path's throughput is compared with a bare single-row
// insert with a uniqueness check, at the same concurrency on the same
// database, in the same run. The machine's load moves either figure by
// a factor of two from one moment to the next, so the two are measured
// in turn, rounds times, each round with its own 100 slots and its own
// bare table, and the median round's ratio is reported (with the
// lowest and the highest). Run it once per engine:
//
//	MADINA_TEST_DATABASE_URL=… go test -run '^$' -bench FlashCrowd -benchtime 1x ./internal/booking/
//
// The "-quotas" runs keep the hall's quotas (per person and per
// association, week, month and season) counted in each booking's
// transaction, as a real facility's are; its priority groups stay off,
// since a share reserved for schools would leave slots to no one in a
// crowd of citizens.
func BenchmarkFlashCrowd(b *testing.B) {
	for _, eng := range dbtest.Engines() {
		for _, quotas := range []bool{false, true} {
			name := string(eng)
			if quotas {
				name += "-quotas"
			}
			b.Run(name, func(b *testing.B) {
				for range b.N {
					flashCrowd(b, dbtest.Open(b, eng), quotas)
				}
			})
		}
	}
}

const (
	crowd     = 5000
	crowdSlot = 100
	rounds    = 3
)

func flashCrowd(b *testing.B, d *db.DB, quotas bool) {
	b.Helper()
	ctx := context.Background()
	e := newEnv(b, d)
	// A hall with 15-minute slots, open every day, without its quotas
	// unless asked: the 100 slots of the next days are the crowd's.
	f, _ := DefaultCatalogue().Facility("sidi-othmane-hall")
	hall := *f
	hall.Code, hall.SlotMinutes = "bench-hall", 15
	hall.Hours = []Opening{{Days: []int{1, 2, 3, 4, 5, 6, 7}, Open: "06:00", Close: "23:00"}}
	hall.Rules.MinNoticeHours, hall.Rules.MaxFuture, hall.Rules.Groups, hall.Rules.HorizonDays = 0, 5, nil, 28
	if !quotas {
		hall.Rules.Quotas = nil
	} else if len(hall.Rules.Quotas) == 0 {
		b.Fatal("the hall has no quotas to count")
	}
	if err := hall.Check(); err != nil {
		b.Fatal(err)
	}
	def, _ := json.Marshal(&hall)
	if _, err := d.ExecContext(ctx, `INSERT INTO booking_facilities (code, arrondissement_code, organisation_code, kind, definition,
		version, updated_at, updated_by) VALUES ('bench-hall', 'sidi-othmane', 'sidi-othmane', 'sports_hall', $1, 1, $2, 'bench')`,
		string(def), monday); err != nil {
		b.Fatal(err)
	}
	// Each round's slots in a week of its own (a person's weekly quota is
	// one), from the Tuesday on.
	var slots []time.Time
	for r := range rounds {
		for dd := 7*r + 1; len(slots) < (r+1)*crowdSlot; dd++ {
			for _, sl := range hall.Slots(calendar.DateOf(monday.AddDate(0, 0, dd))) {
				if len(slots) < (r+1)*crowdSlot {
					slots = append(slots, sl.Start)
				}
			}
		}
	}
	people := make([]int64, crowd)
	if err := d.Transact(ctx, func(tx *db.Tx) error {
		for i := range people {
			if err := tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, lang, created_at, updated_at)
				VALUES ($1, $1, $2, 'ar', $2, $2) RETURNING id`, fmt.Sprintf("crowd%d@example.ma", i), monday).Scan(&people[i]); err != nil {
				return err
			}
		}
		for r := range rounds {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE bench_bare%d (slot INTEGER NOT NULL, person BIGINT NOT NULL, UNIQUE (slot))`, r)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	run := func(do func(i int) error) (time.Duration, []time.Duration, []error) {
		lat := make([]time.Duration, crowd)
		res := make([]error, crowd)
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := range crowd {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				t0 := time.Now()
				res[i] = do(i)
				lat[i] = time.Since(t0)
			}()
		}
		t0 := time.Now()
		close(gate)
		wg.Wait()
		return time.Since(t0), lat, res
	}
	type result struct{ tp, bareTP, ratio, p99, bareP99 float64 }
	var results []result
	for r := range rounds {
		bare, bareLat, bareRes := run(func(i int) error {
			return d.Transact(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO bench_bare%d (slot, person) VALUES ($1, $2)`, r), i%crowdSlot, people[i])
				if db.IsUniqueViolation(err) {
					return errs.E(errs.Conflict, "taken")
				}
				return err
			})
		})
		took, lat, res := run(func(i int) error {
			_, err := e.s.Book(ctx, authz.Actor{Person: people[i], EmailVerified: true, Now: monday},
				BookInput{Facility: "bench-hall", Start: slots[r*crowdSlot+i%crowdSlot]})
			return err
		})
		won, lost := 0, 0
		for _, err := range res {
			switch {
			case err == nil:
				won++
			case errs.As(err) != nil && errs.As(err).Key == "booking.error.taken":
				lost++
			default:
				b.Fatalf("a requester got no definite answer: %v", err)
			}
		}
		bareWon := 0
		for _, err := range bareRes {
			if err == nil {
				bareWon++
			} else if !errs.Is(err, errs.Conflict) {
				b.Fatalf("bare insert: %v", err)
			}
		}
		var holders, doubled int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE facility_code = 'bench-hall' AND `+holdingSQL).Scan(&holders); err != nil {
			b.Fatal(err)
		}
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT slot_start FROM bookings WHERE facility_code = 'bench-hall' AND `+
			holdingSQL+` GROUP BY slot_start HAVING count(*) > 1) x`).Scan(&doubled); err != nil {
			b.Fatal(err)
		}
		if won != crowdSlot || holders != (r+1)*crowdSlot || doubled != 0 || won+lost != crowd || bareWon != crowdSlot {
			b.Fatalf("round %d: %d booked, %d refused, %d holders, %d slots doubled (bare: %d)", r, won, lost, holders, doubled, bareWon)
		}
		tp, bareTP := float64(crowd)/took.Seconds(), float64(crowd)/bare.Seconds()
		results = append(results, result{tp, bareTP, tp / bareTP, float64(p99(lat).Milliseconds()), float64(p99(bareLat).Milliseconds())})
	}
	slices.SortFunc(results, func(x, y result) int { return cmp.Compare(x.ratio, y.ratio) })
	m := results[len(results)/2]
	b.ReportMetric(m.tp, "req/s")
	b.ReportMetric(m.bareTP, "bare-req/s")
	b.ReportMetric(m.ratio, "ratio")
	b.ReportMetric(results[0].ratio, "ratio-min")
	b.ReportMetric(results[len(results)-1].ratio, "ratio-max")
	b.ReportMetric(m.p99, "p99-ms")
	b.ReportMetric(m.bareP99, "bare-p99-ms")
	b.ReportMetric(0, "ns/op")
}

func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*99/100]
}
