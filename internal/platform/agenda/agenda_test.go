package agenda

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// t0 is a Monday morning; instances count in days from it.
var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * 24 * float64(time.Hour))) }

// check verifies that r is a plan of files on sessions that breaks no
// rule: one outcome per file, each placed file on exactly the agenda its
// outcome names, of its committee, at or after Ready, not on a frozen
// session unless fixed there, not where a body it needs is absent, within
// every capacity, and late exactly when its session starts after its
// deadline. When maximal is set (Plan, not FIFO), it also checks that no
// file missed its deadline while a session before it had room for it, and
// that no late file could have gone to an earlier session after its
// deadline.
func check(t *testing.T, files []File, sessions []Session, r Result, maximal bool) {
	t.Helper()
	fileByID := map[int64]File{}
	for _, f := range files {
		fileByID[f.ID] = f
	}
	sessionByID := map[int64]Session{}
	for _, s := range sessions {
		sessionByID[s.ID] = s
	}
	if len(r.Files) != len(files) {
		t.Fatalf("%d outcomes for %d files", len(r.Files), len(files))
	}
	if len(r.Sessions) != len(sessions) {
		t.Fatalf("%d agendas for %d sessions", len(r.Sessions), len(sessions))
	}
	onAgenda := map[int64]int64{} // file → session
	used := map[int64]int{}
	for _, a := range r.Sessions {
		s, ok := sessionByID[a.SessionID]
		if !ok {
			t.Fatalf("agenda of unknown session %d", a.SessionID)
		}
		sum := 0
		for _, id := range a.Files {
			f, ok := fileByID[id]
			if !ok {
				t.Fatalf("unknown file %d on session %d", id, s.ID)
			}
			if prev, dup := onAgenda[id]; dup {
				t.Fatalf("file %d on sessions %d and %d", id, prev, s.ID)
			}
			onAgenda[id] = s.ID
			sum += f.Minutes
			if f.Committee != s.Committee {
				t.Errorf("file %d of %q on session %d of %q", id, f.Committee, s.ID, s.Committee)
			}
			if s.Frozen && f.Fixed != s.ID {
				t.Errorf("file %d added to frozen session %d", id, s.ID)
			}
			if f.Fixed != 0 && f.Fixed != s.ID {
				t.Errorf("file %d fixed on %d moved to %d", id, f.Fixed, s.ID)
			}
			if f.Fixed == 0 && s.Start.Before(f.Ready) {
				t.Errorf("file %d ready %v on session %d at %v", id, f.Ready, s.ID, s.Start)
			}
			for _, b := range f.Needs {
				if f.Fixed == 0 && slices.Contains(s.Absent, b) {
					t.Errorf("file %d needs %q, absent from session %d", id, b, s.ID)
				}
			}
		}
		if sum != a.Minutes {
			t.Errorf("session %d: agenda says %d minutes, files sum to %d", s.ID, a.Minutes, sum)
		}
		if sum > s.Capacity {
			t.Errorf("session %d over capacity: %d > %d", s.ID, sum, s.Capacity)
		}
		used[s.ID] = sum
	}
	for i, o := range r.Files {
		if i > 0 && r.Files[i-1].FileID >= o.FileID {
			t.Fatalf("outcomes not by file ID at %d", i)
		}
		f, ok := fileByID[o.FileID]
		if !ok {
			t.Fatalf("outcome for unknown file %d", o.FileID)
		}
		if onAgenda[o.FileID] != o.SessionID {
			t.Errorf("file %d: outcome says session %d, agendas say %d", o.FileID, o.SessionID, onAgenda[o.FileID])
		}
		if f.Fixed != 0 && (o.SessionID != f.Fixed || o.Reason.Code != CodeFixed) {
			t.Errorf("fixed file %d: %+v", f.ID, o)
		}
		if !o.Placed() {
			if o.Late || o.Delay != 0 {
				t.Errorf("unplaced file %d flagged late", f.ID)
			}
			continue
		}
		start := sessionByID[o.SessionID].Start
		late := start.After(f.Deadline)
		if o.Late != late || (late && o.Delay != start.Sub(f.Deadline)) || (!late && o.Delay != 0) {
			t.Errorf("file %d on session at %v, deadline %v: late %v delay %v", f.ID, start, f.Deadline, o.Late, o.Delay)
		}
	}
	if !maximal {
		return
	}
	for _, o := range r.Files {
		f := fileByID[o.FileID]
		if f.Fixed != 0 || o.OnTime() {
			continue
		}
		for _, s := range sessions {
			if s.Committee != f.Committee || s.Frozen || s.Start.Before(f.Ready) || blocked(s, f) {
				continue
			}
			lateStart := o.Placed() && s.Start.Before(sessionByID[o.SessionID].Start)
			if (!s.Start.After(f.Deadline) || lateStart) && s.Capacity-used[s.ID] >= f.Minutes {
				t.Errorf("file %d (%v) not on time or later than needed, but session %d at %v has %d free minutes of %d needed",
					f.ID, o.Reason, s.ID, s.Start, s.Capacity-used[s.ID], f.Minutes)
			}
		}
	}
}

func blocked(s Session, f File) bool {
	for _, b := range f.Needs {
		if slices.Contains(s.Absent, b) {
			return true
		}
	}
	return false
}

// gen describes a family of random instances.
type gen struct {
	committees, sessions, files int
	days                        int  // sessions and readiness fall within this many days
	unit                        bool // the files of a committee take equal minutes
	absences, frozen            bool
}

var bodies = []string{"urban_agency", "civil_protection", "utility"}

// generate draws an instance. Times fall on half days so that starts,
// readiness and deadlines often coincide, which tests the boundaries.
func (g gen) generate(rng *rand.Rand) ([]File, []Session) {
	half := func(n int) time.Time { return day(float64(rng.IntN(2*n)) / 2) }
	minutes := func(c int) int {
		if g.unit {
			return 10 * (c%3 + 1)
		}
		return 5 * (1 + rng.IntN(12))
	}
	var sessions []Session
	var files []File
	for i := range g.sessions {
		c := rng.IntN(g.committees)
		s := Session{ID: int64(100 + i), Committee: fmt.Sprint("c", c), Start: half(g.days), Capacity: rng.IntN(100)}
		if g.absences && rng.IntN(3) == 0 {
			s.Absent = []string{bodies[rng.IntN(len(bodies))]}
		}
		if g.frozen && rng.IntN(6) == 0 {
			s.Frozen = true
			for k := 0; rng.IntN(2) == 0; k++ { // a few fixed files that fit
				m := 5 * (1 + rng.IntN(6))
				if m > s.Capacity-sumFixed(files, s.ID) {
					break
				}
				files = append(files, File{
					ID: int64(10000 + 10*i + k), Committee: s.Committee, Minutes: m,
					Ready: s.Start.Add(-48 * time.Hour), Deadline: s.Start.Add(time.Duration(rng.IntN(3)-1) * 24 * time.Hour),
					Fixed: s.ID,
				})
			}
		}
		sessions = append(sessions, s)
	}
	for i := range g.files {
		c := rng.IntN(g.committees)
		ready := half(g.days)
		f := File{
			ID: int64(1 + i), Committee: fmt.Sprint("c", c), Minutes: minutes(c),
			Ready: ready, Deadline: ready.Add(time.Duration(rng.IntN(2*g.days/2+1)) * 12 * time.Hour),
		}
		if g.absences && rng.IntN(3) == 0 {
			f.Needs = []string{bodies[rng.IntN(len(bodies))]}
		}
		files = append(files, f)
	}
	return files, sessions
}

func sumFixed(files []File, session int64) int {
	n := 0
	for _, f := range files {
		if f.Fixed == session {
			n += f.Minutes
		}
	}
	return n
}

func committeesOf(n int) []string {
	var cs []string
	for c := range n {
		cs = append(cs, fmt.Sprint("c", c))
	}
	return cs
}

var families = map[string]gen{
	"small":             {committees: 1, sessions: 4, files: 8, days: 6, unit: true, absences: true, frozen: true},
	"unit":              {committees: 3, sessions: 20, files: 60, days: 20, unit: true},
	"unit crowded":      {committees: 2, sessions: 12, files: 120, days: 15, unit: true, absences: true, frozen: true},
	"unit absences":     {committees: 3, sessions: 25, files: 70, days: 20, unit: true, absences: true, frozen: true},
	"unequal":           {committees: 3, sessions: 20, files: 60, days: 20},
	"unequal absences":  {committees: 4, sessions: 30, files: 120, days: 25, absences: true, frozen: true},
	"unequal one crowd": {committees: 1, sessions: 10, files: 80, days: 10, absences: true, frozen: true},
}

// TestPlanRespectsConstraints checks Plan's and FIFO's results on random
// instances of every family.
func TestPlanRespectsConstraints(t *testing.T) {
	for name, g := range families {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(100) {
				rng := rand.New(rand.NewPCG(seed, 1))
				files, sessions := g.generate(rng)
				opts := Options{Committees: committeesOf(g.committees)}
				r, err := Plan(files, sessions, opts)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				check(t, files, sessions, r, true)
				fifo, err := FIFO(files, sessions)
				if err != nil {
					if errors.As(err, new(*InputError)) && err.(*InputError).Code == ErrUnknownCommittee {
						continue // a committee without sessions, which only Options declares
					}
					t.Fatalf("seed %d: FIFO: %v", seed, err)
				}
				check(t, files, sessions, fifo, false)
				if t.Failed() {
					t.Fatalf("seed %d", seed)
				}
			}
		})
	}
}

// TestPlanOptimalOnUnitFiles: when the files of each committee take equal
// minutes, Plan puts on time exactly as many files as the max-flow
// optimum, whatever the absences and frozen sessions; and never fewer
// than FIFO.
func TestPlanOptimalOnUnitFiles(t *testing.T) {
	for name, g := range families {
		if !g.unit {
			continue
		}
		t.Run(name, func(t *testing.T) {
			missed := 0
			for seed := range uint64(300) {
				rng := rand.New(rand.NewPCG(seed, 2))
				files, sessions := g.generate(rng)
				files = withSessionCommittees(files, sessions)
				r, err := Plan(files, sessions, Options{})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				// Files due after a horizon may give way: never at the
				// cost of a file on time.
				rh, err := Plan(files, sessions, Options{Horizon: day(float64(g.days) / 2)})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				check(t, files, sessions, rh, true)
				fr, err := Feasible(files, sessions)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if !fr.Exact {
					t.Fatalf("seed %d: unit instance reported inexact", seed)
				}
				got := r.Stats().OnTime
				if got != fr.MaxOnTime || rh.Stats().OnTime != got {
					t.Fatalf("seed %d: Plan puts %d files on time (%d with a horizon), max-flow %d",
						seed, got, rh.Stats().OnTime, fr.MaxOnTime)
				}
				fifo, err := FIFO(files, sessions)
				if err != nil {
					t.Fatal(err)
				}
				if f := fifo.Stats().OnTime; f > got {
					t.Fatalf("seed %d: FIFO %d on time, Plan %d", seed, f, got)
				}
				missed += fr.Files - got
			}
			if missed == 0 {
				t.Errorf("no instance missed a deadline: the family tests nothing")
			}
		})
	}
}

// withSessionCommittees drops the files of committees without a session,
// for the functions that know no other committees.
func withSessionCommittees(files []File, sessions []Session) []File {
	return slices.DeleteFunc(slices.Clone(files), func(f File) bool {
		return !slices.ContainsFunc(sessions, func(s Session) bool { return s.Committee == f.Committee })
	})
}

// TestSweepAloneIsGloverOptimal: without absences every file's possible
// sessions are consecutive in time, and the earliest-deadline sweep alone,
// before any repair, already reaches the max-flow optimum on unit files
// (Glover's theorem).
func TestSweepAloneIsGloverOptimal(t *testing.T) {
	g := gen{committees: 2, sessions: 15, files: 80, days: 15, unit: true, frozen: true}
	for seed := range uint64(300) {
		files, sessions := g.generate(rand.New(rand.NewPCG(seed, 3)))
		files = withSessionCommittees(files, sessions)
		p, err := prepare(files, sessions, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.committees {
			p.sweep(c)
		}
		got := p.result().Stats().OnTime
		fr, _ := Feasible(files, sessions)
		if got != fr.MaxOnTime {
			t.Fatalf("seed %d: sweep alone %d on time, max-flow %d", seed, got, fr.MaxOnTime)
		}
	}
}

// TestRepairNeededWithAbsences: an absence leaves a hole in a file's
// possible sessions, where the sweep alone goes wrong and repair recovers.
func TestRepairNeededWithAbsences(t *testing.T) {
	// B can go to S1 or S3 (the agency is absent from S2); A to S1 or S2;
	// C, ready late, only to S3. One file per session.
	sessions := []Session{
		{ID: 1, Committee: "u", Start: day(1), Capacity: 30},
		{ID: 2, Committee: "u", Start: day(2), Capacity: 30, Absent: []string{"urban_agency"}},
		{ID: 3, Committee: "u", Start: day(3), Capacity: 30},
	}
	files := []File{
		{ID: 1, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(2)},                                  // A
		{ID: 2, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(3), Needs: []string{"urban_agency"}}, // B
		{ID: 3, Committee: "u", Minutes: 30, Ready: day(3), Deadline: day(3)},                                  // C
	}
	p, _ := prepare(files, sessions, Options{})
	p.sweep(p.committees[0])
	if n := p.result().Stats().OnTime; n != 2 {
		t.Fatalf("sweep alone: %d on time, want 2 (the example no longer shows the hole)", n)
	}
	r, err := Plan(files, sessions, Options{NoLate: true})
	if err != nil {
		t.Fatal(err)
	}
	check(t, files, sessions, r, true)
	want := map[int64]Outcome{
		1: {FileID: 1, SessionID: 2, Reason: Reason{Code: CodeMoved, File: 3}},
		2: {FileID: 2, SessionID: 1, Reason: Reason{Code: CodeMoved, File: 3}},
		3: {FileID: 3, SessionID: 3, Reason: Reason{Code: CodeRebalanced, Count: 2}},
	}
	for _, o := range r.Files {
		if !reflect.DeepEqual(o, want[o.FileID]) {
			t.Errorf("file %d: %+v, want %+v", o.FileID, o, want[o.FileID])
		}
	}
}

// TestYieldBeforeHorizon: a file due after the horizon gives its seat to
// one due before it, which would otherwise miss its deadline; without a
// horizon it keeps it.
func TestYieldBeforeHorizon(t *testing.T) {
	// g needs the agency, absent from S2, so the sweep gives it S1 first;
	// f and h then compete for S2. Each session holds one file.
	sessions := []Session{
		{ID: 1, Committee: "u", Start: day(1), Capacity: 30},
		{ID: 2, Committee: "u", Start: day(2), Capacity: 30, Absent: []string{"urban_agency"}},
	}
	files := []File{
		{ID: 1, Committee: "u", Minutes: 30, Ready: day(1.5), Deadline: day(2)},                                 // h
		{ID: 2, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(2)},                                   // f
		{ID: 3, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(30), Needs: []string{"urban_agency"}}, // g
	}
	cases := []struct {
		name string
		opts Options
		want []Outcome
	}{
		{"no horizon", Options{}, []Outcome{
			{FileID: 1, SessionID: 2, Reason: Reason{Code: CodeEarliestDeadline}},
			{FileID: 2, Reason: Reason{Code: CodeSessionsFull, Session: 1, Count: 2}},
			{FileID: 3, SessionID: 1, Reason: Reason{Code: CodeEarliestDeadline}},
		}},
		{"horizon", Options{Horizon: day(10)}, []Outcome{
			{FileID: 1, SessionID: 2, Reason: Reason{Code: CodeEarliestDeadline}},
			{FileID: 2, SessionID: 1, Reason: Reason{Code: CodeRebalanced, File: 3}},
			{FileID: 3, Reason: Reason{Code: CodeSessionsFull, Session: 1, Count: 1}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Plan(files, sessions, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			check(t, files, sessions, r, true)
			if !reflect.DeepEqual(r.Files, tc.want) {
				t.Errorf("got  %+v\nwant %+v", r.Files, tc.want)
			}
		})
	}
}

// TestPlanBeatsFIFO: cases where first come, first served misses
// deadlines that Plan meets.
func TestPlanBeatsFIFO(t *testing.T) {
	cases := []struct {
		name          string
		files         []File
		sessions      []Session
		fifoLate      []int64 // files FIFO puts late or nowhere
		planAllOnTime bool
	}{
		{
			name: "an early file with a distant deadline takes the urgent file's seat",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(2), Capacity: 60},
				{ID: 2, Committee: "u", Start: day(9), Capacity: 60},
			},
			files: []File{
				{ID: 1, Committee: "u", Minutes: 60, Ready: day(0), Deadline: day(30)},
				{ID: 2, Committee: "u", Minutes: 60, Ready: day(1), Deadline: day(3)},
			},
			fifoLate: []int64{2}, planAllOnTime: true,
		},
		{
			name: "many early files crowd out a tight one",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 90},
				{ID: 2, Committee: "u", Start: day(8), Capacity: 90},
				{ID: 3, Committee: "u", Start: day(15), Capacity: 90},
			},
			files: []File{
				{ID: 1, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(20)},
				{ID: 2, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(20)},
				{ID: 3, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(20)},
				{ID: 4, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(20)},
				{ID: 5, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(20)},
				{ID: 6, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(20)},
				{ID: 7, Committee: "u", Minutes: 30, Ready: day(0.5), Deadline: day(8)},
				{ID: 8, Committee: "u", Minutes: 30, Ready: day(0.5), Deadline: day(1)},
			},
			fifoLate: []int64{7, 8}, planAllOnTime: true,
		},
		{
			name: "FIFO gives the only session with the agency to a file that does not need it",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 30},
				{ID: 2, Committee: "u", Start: day(2), Capacity: 30, Absent: []string{"urban_agency"}},
			},
			files: []File{
				{ID: 1, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(2)},
				{ID: 2, Committee: "u", Minutes: 30, Ready: day(0.5), Deadline: day(2), Needs: []string{"urban_agency"}},
			},
			fifoLate: []int64{2}, planAllOnTime: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fifo, err := FIFO(tc.files, tc.sessions)
			if err != nil {
				t.Fatal(err)
			}
			check(t, tc.files, tc.sessions, fifo, false)
			var late []int64
			for _, o := range fifo.Files {
				if !o.OnTime() {
					late = append(late, o.FileID)
				}
			}
			if !slices.Equal(late, tc.fifoLate) {
				t.Errorf("FIFO misses %v, want %v", late, tc.fifoLate)
			}
			r, err := Plan(tc.files, tc.sessions, Options{})
			if err != nil {
				t.Fatal(err)
			}
			check(t, tc.files, tc.sessions, r, true)
			if s := r.Stats(); tc.planAllOnTime && s.OnTime != len(tc.files) {
				t.Errorf("Plan: %+v, want all %d on time", s, len(tc.files))
			}
		})
	}
}

// TestReasons checks the reason given for each situation.
func TestReasons(t *testing.T) {
	u := func(id int64, ready, deadline float64) File {
		return File{ID: id, Committee: "u", Minutes: 30, Ready: day(ready), Deadline: day(deadline)}
	}
	cases := []struct {
		name     string
		files    []File
		sessions []Session
		opts     Options
		want     Outcome
	}{
		{
			name:     "on time by earliest deadline",
			sessions: []Session{{ID: 1, Committee: "u", Start: day(1), Capacity: 60}},
			files:    []File{u(1, 0, 1)},
			want:     Outcome{FileID: 1, SessionID: 1, Reason: Reason{Code: CodeEarliestDeadline}},
		},
		{
			name:     "a committee declared in Options without sessions",
			sessions: []Session{{ID: 1, Committee: "u", Start: day(1), Capacity: 60}},
			files:    []File{{ID: 1, Committee: "subdivisions", Minutes: 30, Ready: day(0), Deadline: day(1)}},
			opts:     Options{Committees: []string{"u", "subdivisions"}},
			want:     Outcome{FileID: 1, Reason: Reason{Code: CodeNoSessionBeforeDeadline}},
		},
		{
			name:     "ready and deadline exactly at the start",
			sessions: []Session{{ID: 1, Committee: "u", Start: day(1), Capacity: 60}},
			files:    []File{u(1, 1, 1)},
			want:     Outcome{FileID: 1, SessionID: 1, Reason: Reason{Code: CodeEarliestDeadline}},
		},
		{
			name: "no session before the deadline: late by the delay",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(5), Capacity: 60},
			},
			files: []File{u(1, 0, 3)},
			want: Outcome{FileID: 1, SessionID: 1, Late: true, Delay: 48 * time.Hour,
				Reason: Reason{Code: CodeNoSessionBeforeDeadline}},
		},
		{
			name: "no session before the deadline, none after with NoLate",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(5), Capacity: 60},
			},
			files: []File{u(1, 0, 3)},
			opts:  Options{NoLate: true},
			want:  Outcome{FileID: 1, Reason: Reason{Code: CodeNoSessionBeforeDeadline}},
		},
		{
			name: "not ready for the sessions before the deadline",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 60},
				{ID: 2, Committee: "u", Start: day(2), Capacity: 60},
			},
			files: []File{u(1, 2.5, 4)},
			want:  Outcome{FileID: 1, Reason: Reason{Code: CodeNotReady, Session: 2}},
		},
		{
			name: "frozen agenda",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 60, Frozen: true},
				{ID: 2, Committee: "u", Start: day(9), Capacity: 60},
			},
			files: []File{u(1, 0, 2)},
			want:  Outcome{FileID: 1, SessionID: 2, Late: true, Delay: 7 * 24 * time.Hour, Reason: Reason{Code: CodeFrozen, Session: 1}},
		},
		{
			name: "a needed body absent",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 60, Frozen: true},
				{ID: 2, Committee: "u", Start: day(2), Capacity: 60, Absent: []string{"utility", "urban_agency"}},
			},
			files: []File{{ID: 1, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(2), Needs: []string{"civil_protection", "urban_agency"}}},
			want:  Outcome{FileID: 1, Reason: Reason{Code: CodeMemberAbsent, Session: 2, Body: "urban_agency"}},
		},
		{
			name: "too long for any session",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 20},
				{ID: 2, Committee: "u", Start: day(2), Capacity: 25},
			},
			files: []File{u(1, 0, 3)},
			want:  Outcome{FileID: 1, Reason: Reason{Code: CodeTooLong, Count: 25}},
		},
		{
			name: "sessions full",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(1), Capacity: 30},
				{ID: 2, Committee: "u", Start: day(2), Capacity: 30},
				{ID: 3, Committee: "u", Start: day(4), Capacity: 30},
			},
			files: []File{u(1, 0, 2), u(2, 0, 2), u(3, 0, 2.5)},
			want:  Outcome{FileID: 3, SessionID: 3, Late: true, Delay: 36 * time.Hour, Reason: Reason{Code: CodeSessionsFull, Session: 1, Count: 2}},
		},
		{
			name: "fixed on a frozen session, even late",
			sessions: []Session{
				{ID: 1, Committee: "u", Start: day(3), Capacity: 30, Frozen: true},
			},
			files: []File{{ID: 1, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(2), Fixed: 1}},
			want:  Outcome{FileID: 1, SessionID: 1, Late: true, Delay: 24 * time.Hour, Reason: Reason{Code: CodeFixed}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Plan(tc.files, tc.sessions, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			check(t, tc.files, tc.sessions, r, true)
			got, ok := r.Outcome(tc.want.FileID)
			if !ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFrozenSessionKeepsItsFiles: a frozen session's fixed files count
// against its capacity, and it takes no new file even with room left.
func TestFrozenSessionKeepsItsFiles(t *testing.T) {
	sessions := []Session{
		{ID: 1, Committee: "u", Start: day(1), Capacity: 120, Frozen: true},
		{ID: 2, Committee: "u", Start: day(2), Capacity: 60},
	}
	files := []File{
		{ID: 1, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(9), Fixed: 1},
		{ID: 2, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(1)},
		{ID: 3, Committee: "u", Minutes: 30, Ready: day(0), Deadline: day(2)},
	}
	r, err := Plan(files, sessions, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, files, sessions, r, true)
	want := []Agenda{{SessionID: 1, Files: []int64{1}, Minutes: 30}, {SessionID: 2, Files: []int64{2, 3}, Minutes: 60}}
	if !reflect.DeepEqual(r.Sessions, want) {
		t.Errorf("agendas %+v, want %+v", r.Sessions, want)
	}
	if got := r.Stats(); got != (Stats{Fixed: 1, OnTime: 1, Late: 1}) {
		t.Errorf("stats %+v", got)
	}
}

// TestDeterministic: the same files and sessions, in any order, give the
// same plan.
func TestDeterministic(t *testing.T) {
	g := families["unequal absences"]
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 4))
		files, sessions := g.generate(rng)
		// Many ties: equal deadlines and minutes, so the order of IDs decides.
		for i := range files {
			if files[i].Fixed == 0 && i%2 == 0 {
				files[i].Ready, files[i].Deadline, files[i].Minutes = day(0), day(10), 30
			}
		}
		opts := Options{Committees: committeesOf(g.committees)}
		want, err := Plan(files, sessions, opts)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
			rng.Shuffle(len(sessions), func(i, j int) { sessions[i], sessions[j] = sessions[j], sessions[i] })
			got, err := Plan(files, sessions, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d: a shuffled input gives another plan", seed)
			}
		}
	}
}

// TestBadInput: each kind of bad input gives its *InputError, naming what
// is wrong, from Plan, FIFO and Feasible alike.
func TestBadInput(t *testing.T) {
	s := func(id int64, committee string, capacity int, frozen bool) Session {
		return Session{ID: id, Committee: committee, Start: day(3), Capacity: capacity, Frozen: frozen}
	}
	f := func(id int64, committee string, minutes int, fixed int64) File {
		return File{ID: id, Committee: committee, Minutes: minutes, Ready: day(0), Deadline: day(5), Fixed: fixed}
	}
	backwards := f(1, "u", 30, 0)
	backwards.Deadline = day(-1)
	cases := []struct {
		name     string
		files    []File
		sessions []Session
		opts     Options
		want     InputError
	}{
		{"minutes zero", []File{f(1, "u", 0, 0)}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrMinutes, FileID: 1}},
		{"minutes negative", []File{f(1, "u", -5, 0)}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrMinutes, FileID: 1}},
		{"deadline before ready", []File{backwards}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrDeadlineBeforeReady, FileID: 1}},
		{"unknown committee of a file", []File{f(1, "x", 30, 0)}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrUnknownCommittee, FileID: 1, Committee: "x"}},
		{"unknown committee of a session", nil, []Session{s(1, "x", 60, false)}, Options{Committees: []string{"u"}}, InputError{Code: ErrUnknownCommittee, SessionID: 1, Committee: "x"}},
		{"empty committee", nil, []Session{s(1, "", 60, false)}, Options{}, InputError{Code: ErrUnknownCommittee, SessionID: 1}},
		{"duplicate file", []File{f(1, "u", 30, 0), f(2, "u", 30, 0), f(1, "u", 30, 0)}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrDuplicateFile, FileID: 1}},
		{"duplicate session", nil, []Session{s(1, "u", 60, false), s(1, "u", 60, false)}, Options{}, InputError{Code: ErrDuplicateSession, SessionID: 1}},
		{"file ID zero", []File{f(0, "u", 30, 0)}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrBadID}},
		{"session ID negative", nil, []Session{s(-2, "u", 60, false)}, Options{}, InputError{Code: ErrBadID, SessionID: -2}},
		{"negative capacity", nil, []Session{s(1, "u", -1, false)}, Options{}, InputError{Code: ErrNegativeCapacity, SessionID: 1}},
		{"fixed on another committee's session", []File{f(1, "u", 30, 2)}, []Session{s(1, "u", 60, true), s(2, "v", 60, true)}, Options{}, InputError{Code: ErrFixedCommittee, FileID: 1, SessionID: 2}},
		{"fixed on an unknown session", []File{f(1, "u", 30, 7)}, []Session{s(1, "u", 60, true)}, Options{}, InputError{Code: ErrFixedUnknown, FileID: 1, SessionID: 7}},
		{"fixed on an open session", []File{f(1, "u", 30, 1)}, []Session{s(1, "u", 60, false)}, Options{}, InputError{Code: ErrFixedNotFrozen, FileID: 1, SessionID: 1}},
		{"frozen over capacity", []File{f(1, "u", 40, 1), f(2, "u", 30, 1)}, []Session{s(1, "u", 60, true)}, Options{}, InputError{Code: ErrFrozenOverCapacity, SessionID: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Plan(tc.files, tc.sessions, tc.opts)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Plan: error %v, want an *InputError", err)
			}
			if *ie != tc.want {
				t.Errorf("Plan: %+v, want %+v", *ie, tc.want)
			}
			if ie.Error() == "" {
				t.Error("empty message")
			}
			if len(tc.opts.Committees) > 0 {
				return // FIFO and Feasible know no other committees
			}
			if _, err := FIFO(tc.files, tc.sessions); !errors.As(err, &ie) || *ie != tc.want {
				t.Errorf("FIFO: %v", err)
			}
			if _, err := Feasible(tc.files, tc.sessions); !errors.As(err, &ie) || *ie != tc.want {
				t.Errorf("Feasible: %v", err)
			}
		})
	}
}

// TestFeasibleExample checks the report on an instance worked by hand.
func TestFeasibleExample(t *testing.T) {
	sessions := []Session{
		{ID: 1, Committee: "u", Start: day(1), Capacity: 60},
		{ID: 2, Committee: "u", Start: day(2), Capacity: 50, Frozen: true},
		{ID: 3, Committee: "u", Start: day(3), Capacity: 45},
	}
	files := []File{
		{ID: 1, Committee: "u", Minutes: 40, Ready: day(0), Deadline: day(1)},
		{ID: 2, Committee: "u", Minutes: 40, Ready: day(0), Deadline: day(1)},
		{ID: 3, Committee: "u", Minutes: 20, Ready: day(0), Deadline: day(3)},
		{ID: 4, Committee: "u", Minutes: 20, Ready: day(0), Deadline: day(3)},
		{ID: 5, Committee: "u", Minutes: 10, Ready: day(0), Deadline: day(2), Fixed: 2},
	}
	fr, err := Feasible(files, sessions)
	if err != nil {
		t.Fatal(err)
	}
	// Unit mode divides by the least minutes, 20: session 1 holds "3
	// files", session 3 two, so all 4 seem to fit (files 1 and 2 in session
	// 1, 3 and 4 in session 3), an overestimate. The fractional flow fills
	// session 1 (60 minutes, files 1 and 2 sharing it) and gives session 3
	// the 40 minutes of files 3 and 4: 100, also above the real 80.
	// The shortest files within 100 minutes: 20, 20 and 40, so 3 — here
	// the real optimum.
	want := FeasibilityReport{Files: 4, Minutes: 120, MaxOnTime: 4, Exact: false, MaxMinutes: 100, Bound: 3}
	if fr != want {
		t.Errorf("%+v, want %+v", fr, want)
	}
	r, err := Plan(files, sessions, Options{NoLate: true})
	if err != nil {
		t.Fatal(err)
	}
	check(t, files, sessions, r, true)
	if got := r.Stats().OnTime; got != 3 { // a real schedule: 1 and 3 in session 1, 4 in session 3
		t.Errorf("Plan: %d on time, want 3", got)
	}
}

// TestAgainstExhaustiveSearch compares, on tiny instances, the max-flow
// figures and Plan with the true optimum found by trying every schedule:
// max-flow is exact on unit files and an upper bound otherwise, and Plan
// never beats the optimum (it would have broken a rule) and reaches it on
// unit files.
func TestAgainstExhaustiveSearch(t *testing.T) {
	for _, unit := range []bool{true, false} {
		g := gen{committees: 1, sessions: 4, files: 7, days: 5, unit: unit, absences: true, frozen: true}
		gap, slack := 0, 0
		for seed := range uint64(400) {
			files, sessions := g.generate(rand.New(rand.NewPCG(seed, 5)))
			files = withSessionCommittees(files, sessions)
			best, bestMinutes := exhaustive(files, sessions)
			fr, err := Feasible(files, sessions)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Plan(files, sessions, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := r.Stats().OnTime
			switch {
			case fr.Exact && fr.MaxOnTime != best:
				t.Fatalf("seed %d: exact max-flow %d, optimum %d", seed, fr.MaxOnTime, best)
			case fr.Exact && fr.Bound != fr.MaxOnTime:
				t.Fatalf("seed %d: exact, but Bound %d and MaxOnTime %d differ", seed, fr.Bound, fr.MaxOnTime)
			case fr.Bound > fr.MaxOnTime || fr.Bound < best || fr.MaxMinutes < bestMinutes:
				t.Fatalf("seed %d: bounds %d (%d) files %d minutes, optimum %d files %d minutes",
					seed, fr.Bound, fr.MaxOnTime, fr.MaxMinutes, best, bestMinutes)
			case got > best:
				t.Fatalf("seed %d: Plan %d on time, above the optimum %d", seed, got, best)
			case unit && got != best:
				t.Fatalf("seed %d: Plan %d on time, optimum %d", seed, got, best)
			}
			gap += best - got
			slack += fr.Bound - best
		}
		t.Logf("unit %v: over 400 instances, Plan misses the optimum by %d files, Bound exceeds it by %d", unit, gap, slack)
	}
}

// exhaustive returns the most files, and separately the most minutes,
// any schedule puts on time.
func exhaustive(files []File, sessions []Session) (bestFiles, bestMinutes int) {
	free := map[int64]int{}
	for _, s := range sessions {
		free[s.ID] = s.Capacity
	}
	var open []File
	for _, f := range files {
		if f.Fixed != 0 {
			free[f.Fixed] -= f.Minutes
		} else {
			open = append(open, f)
		}
	}
	var try func(i, n, m int)
	try = func(i, n, m int) {
		if i == len(open) {
			bestFiles, bestMinutes = max(bestFiles, n), max(bestMinutes, m)
			return
		}
		f := open[i]
		try(i+1, n, m)
		for _, s := range sessions {
			if s.Committee != f.Committee || s.Frozen || s.Start.Before(f.Ready) || s.Start.After(f.Deadline) ||
				blocked(s, f) || free[s.ID] < f.Minutes {
				continue
			}
			free[s.ID] -= f.Minutes
			try(i+1, n+1, m+f.Minutes)
			free[s.ID] += f.Minutes
		}
	}
	try(0, 0, 0)
	return bestFiles, bestMinutes
}
