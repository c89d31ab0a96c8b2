package agenda

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// realistic is a city's waiting list: 40 committees meeting over 8 weeks
// of working days, 400 sessions of 120 to 240 minutes, the first week's
// agendas frozen, one session in ten missing a body, and 5,000 waiting
// files of 15 to 45 minutes. Some files (due) have deadlines within the
// 8 weeks; they are drawn from a hidden schedule filling each open session
// to about 90%, so a schedule meeting every deadline exists. The others
// (the backlog, ready at random times) are due after the 8 weeks but
// compete for the same seats; there is room for about half of them.
type realistic struct {
	files    []File
	sessions []Session
	due      map[int64]bool // files due within the 8 weeks
	end      time.Time      // the end of the 8 weeks
}

const (
	realisticCommittees = 40
	realisticFiles      = 5000
	realisticWeeks      = 8
)

func newRealistic(seed uint64) realistic {
	rng := rand.New(rand.NewPCG(seed, 99))
	start := t0 // a Monday
	r := realistic{due: map[int64]bool{}, end: start.AddDate(0, 0, 7*realisticWeeks)}
	var workdays []time.Time
	for d := start; d.Before(r.end); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			workdays = append(workdays, d)
		}
	}
	nextFile := int64(1)
	newFile := func(committee string) File {
		f := File{ID: nextFile, Committee: committee, Minutes: 15 + 5*rng.IntN(7)}
		nextFile++
		return f
	}
	// Each committee sits every fourth working day, morning or afternoon.
	for c := range realisticCommittees {
		name := fmt.Sprintf("committee_%02d", c)
		for d := c % 4; d < len(workdays); d += 4 {
			s := Session{
				ID: int64(len(r.sessions) + 1), Committee: name,
				Start:    workdays[d].Add(time.Duration(5*(c%2)) * time.Hour),
				Capacity: 120 + 15*rng.IntN(9),
				Frozen:   workdays[d].Before(start.AddDate(0, 0, 7)),
			}
			if rng.IntN(10) == 0 {
				s.Absent = []string{bodies[rng.IntN(len(bodies))]}
			}
			r.sessions = append(r.sessions, s)
			// Fill the session to about 90% with files it can take on time
			// (fixed ones, if frozen).
			for used := 0; ; {
				f := newFile(name)
				if used+f.Minutes > s.Capacity*9/10 {
					nextFile--
					break
				}
				used += f.Minutes
				f.Ready = s.Start.AddDate(0, 0, -rng.IntN(15))
				f.Deadline = s.Start.AddDate(0, 0, rng.IntN(12))
				if b := bodies[rng.IntN(len(bodies))]; rng.IntN(5) == 0 && !blocked(s, File{Needs: []string{b}}) {
					f.Needs = []string{b}
				}
				if s.Frozen {
					f.Fixed = s.ID
				} else if f.Deadline.Before(r.end) {
					r.due[f.ID] = true
				} else {
					f.Deadline = r.end.AddDate(0, 0, rng.IntN(30)) // still waiting after the 8 weeks
				}
				r.files = append(r.files, f)
			}
		}
	}
	// The backlog, up to 5,000 waiting files.
	for waiting := len(r.files) - r.fixed(); waiting < realisticFiles; waiting++ {
		f := newFile(fmt.Sprintf("committee_%02d", rng.IntN(realisticCommittees)))
		f.Ready = start.Add(time.Duration(rng.Int64N(int64(r.end.Sub(start)))))
		f.Deadline = r.end.AddDate(0, 0, rng.IntN(30))
		if rng.IntN(5) == 0 {
			f.Needs = []string{bodies[rng.IntN(len(bodies))]}
		}
		r.files = append(r.files, f)
	}
	// Mix the files, as a database would return them.
	rng.Shuffle(len(r.files), func(i, j int) { r.files[i], r.files[j] = r.files[j], r.files[i] })
	return r
}

func (r realistic) fixed() int {
	n := 0
	for _, f := range r.files {
		if f.Fixed != 0 {
			n++
		}
	}
	return n
}

// misses counts the files due within the 8 weeks that res does not put on
// time.
func (r realistic) misses(res Result) int {
	n := 0
	for _, o := range res.Files {
		if r.due[o.FileID] && !o.OnTime() {
			n++
		}
	}
	return n
}

// onTimeMinutes adds up the minutes of the files res puts on time, fixed
// ones aside.
func (r realistic) onTimeMinutes(res Result) int {
	minutes := map[int64]int{}
	for _, f := range r.files {
		minutes[f.ID] = f.Minutes
	}
	n := 0
	for _, o := range res.Files {
		if o.OnTime() && o.Reason.Code != CodeFixed {
			n += minutes[o.FileID]
		}
	}
	return n
}

// TestRealistic checks the benchmark's instance: its shape, that Plan
// breaks no rule on it and meets every deadline it can, and that FIFO
// does not.
func TestRealistic(t *testing.T) {
	r := newRealistic(1)
	if n := len(r.sessions); n != 400 {
		t.Errorf("%d sessions, want 400", n)
	}
	if n := len(r.files) - r.fixed(); n != realisticFiles {
		t.Errorf("%d waiting files, want %d", n, realisticFiles)
	}
	res, err := Plan(r.files, r.sessions, Options{Horizon: r.end})
	if err != nil {
		t.Fatal(err)
	}
	check(t, r.files, r.sessions, res, true)
	if m := r.misses(res); m != 0 {
		t.Errorf("Plan misses %d of %d deadlines that a schedule meets", m, len(r.due))
	}
	fifo, err := FIFO(r.files, r.sessions)
	if err != nil {
		t.Fatal(err)
	}
	check(t, r.files, r.sessions, fifo, false)
	if m := r.misses(fifo); m == 0 {
		t.Errorf("FIFO misses no deadline: the instance puts no pressure")
	}
	fr, err := Feasible(r.files, r.sessions)
	if err != nil {
		t.Fatal(err)
	}
	if on := res.Stats().OnTime; on > fr.Bound {
		t.Errorf("Plan %d on time, above the bound %d", on, fr.Bound)
	}
	if m := r.onTimeMinutes(res); m > fr.MaxMinutes {
		t.Errorf("Plan %d minutes on time, above the bound %d", m, fr.MaxMinutes)
	}
	t.Logf("Plan %d minutes on time", r.onTimeMinutes(res))
	t.Logf("due %d, Plan %+v, FIFO %+v misses %d, bound %+v", len(r.due), res.Stats(), fifo.Stats(), r.misses(fifo), fr)
}

// BenchmarkPlan plans the realistic instance and reports, beside the time
// per plan, the files Plan puts on time, the max-flow bound on that
// number, the deadlines (within the 8 weeks) Plan and FIFO miss, and the
// time of FIFO and of the max-flow check.
func BenchmarkPlan(b *testing.B) {
	r := newRealistic(1)
	fifo, err := FIFO(r.files, r.sessions)
	if err != nil {
		b.Fatal(err)
	}
	fr, err := Feasible(r.files, r.sessions)
	if err != nil {
		b.Fatal(err)
	}
	var res Result
	for b.Loop() {
		res, err = Plan(r.files, r.sessions, Options{Horizon: r.end})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/plan")
	b.ReportMetric(float64(res.Stats().OnTime), "ontime")
	b.ReportMetric(float64(fr.MaxOnTime), "flow_unit_bound")
	b.ReportMetric(float64(fr.Bound), "flow_bound")
	b.ReportMetric(float64(r.onTimeMinutes(res)), "ontime_min")
	b.ReportMetric(float64(fr.MaxMinutes), "flow_min_bound")
	b.ReportMetric(float64(len(r.due)), "due")
	b.ReportMetric(float64(r.misses(res)), "plan_misses")
	b.ReportMetric(float64(r.misses(fifo)), "fifo_misses")
	b.ReportMetric(float64(fifo.Stats().OnTime), "fifo_ontime")
}

// BenchmarkFeasible times the max-flow check on the realistic instance.
func BenchmarkFeasible(b *testing.B) {
	r := newRealistic(1)
	for b.Loop() {
		if _, err := Feasible(r.files, r.sessions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFIFO times the baseline on the realistic instance.
func BenchmarkFIFO(b *testing.B) {
	r := newRealistic(1)
	for b.Loop() {
		if _, err := FIFO(r.files, r.sessions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanOneCommittee is a stress case, not a city: the realistic
// waiting list and sessions all given to one committee, so that every
// file competes with every other for 400 sessions and the repair searches
// run through them all.
func BenchmarkPlanOneCommittee(b *testing.B) {
	r := newRealistic(1)
	for i := range r.files {
		r.files[i].Committee = "all"
	}
	for i := range r.sessions {
		r.sessions[i].Committee = "all"
	}
	var res Result
	var err error
	for b.Loop() {
		res, err = Plan(r.files, r.sessions, Options{Horizon: r.end})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/plan")
	b.ReportMetric(float64(res.Stats().OnTime), "ontime")
	b.ReportMetric(float64(r.misses(res)), "plan_misses")
}
