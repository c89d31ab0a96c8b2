// Package agenda puts urban permit files on the agendas of their review
// committee's sessions, so that each is studied before its legal deadline
// when that is possible at all, and says why for every file.
//
// The planner is pure: files and sessions in, placements and reasons out,
// no database and no clock. Per committee, it sweeps the open sessions in
// time order and gives each the waiting files whose last possible session
// comes first (earliest deadline first), then moves files between sessions
// along augmenting chains to make room for any file still missing its
// deadline, and finally places what cannot be on time in the earliest
// later session with room, flagged late. When the files of a committee take
// equal minutes the number of files on time is the largest any schedule
// can reach (Feasible checks it by max-flow); with unequal minutes the
// problem is as hard as bin packing and the planner is a heuristic whose
// result Feasible bounds. docs/arch/agenda.md has the argument and figures.
package agenda

import (
	"slices"
	"time"
)

// File is a permit file waiting for a committee session.
type File struct {
	ID        int64     // positive, unique
	Committee string    // the committee that studies it
	Minutes   int       // time it takes in a session (> 0)
	Ready     time.Time // earliest session start it may go to (dispatched, study time past)
	Deadline  time.Time // its legal deadline: the session must start at or before it
	Needs     []string  // bodies whose presence it needs (e.g. a binding opinion)
	Fixed     int64     // the frozen session it is already on (0: none)
}

// Session is one sitting of a committee.
type Session struct {
	ID        int64 // positive, unique
	Committee string
	Start     time.Time
	Capacity  int      // minutes (≥ 0)
	Frozen    bool     // agenda frozen: keeps its fixed files, takes no new one
	Absent    []string // bodies absent from it
}

// Options adjusts a plan. The zero value is the usual one.
type Options struct {
	// Committees lists the committees that exist. When empty, the
	// committees of the sessions are the known ones; a file of any other
	// committee is an input error.
	Committees []string
	// NoLate leaves unplaced the files that cannot be on time, instead of
	// putting them in the earliest later session with room.
	NoLate bool
	// Horizon, when set, is the time until which the sessions given are
	// all the sessions there will be, such as the end of the weeks
	// planned. A file due after it may then give its seat to a file due
	// before it that would otherwise miss its deadline, and wait for a
	// later plan, where sessions after the horizon are known.
	Horizon time.Time
}

// Code says, in a word the UI translates, why a file is where it is.
type Code string

// Reasons for a placement on time.
const (
	// CodeFixed: the file was already on this frozen session's agenda.
	CodeFixed Code = "fixed"
	// CodeEarliestDeadline: the sweep gave the session to the waiting
	// files whose last possible session came first.
	CodeEarliestDeadline Code = "earliest_deadline"
	// CodeRebalanced: placed on time once Reason.Count other files moved
	// to other sessions (still on time) to make room, and, if Reason.File
	// is set, once that file, due after Options.Horizon, gave up its seat
	// (it waits for a later plan).
	CodeRebalanced Code = "rebalanced"
	// CodeMoved: moved from the session the sweep chose to make room for
	// file Reason.File; still on time.
	CodeMoved Code = "moved"
	// CodeFirstCome: FIFO's placement, by order of readiness.
	CodeFirstCome Code = "first_come"
)

// Reasons why a file is not on time (late or unplaced). The sessions
// considered are its committee's sessions starting at or before its
// deadline.
const (
	// CodeNoSessionBeforeDeadline: no session of the committee starts at
	// or before the deadline.
	CodeNoSessionBeforeDeadline Code = "no_session_before_deadline"
	// CodeNotReady: every session before the deadline starts before the
	// file is ready. Reason.Session is the last of them.
	CodeNotReady Code = "not_ready"
	// CodeFrozen: every session between Ready and the deadline has a
	// frozen agenda. Reason.Session is the first of them.
	CodeFrozen Code = "frozen"
	// CodeMemberAbsent: every open session between Ready and the deadline
	// lacks a body the file needs. Reason.Session is the first such
	// session, Reason.Body the first needed body absent from it.
	CodeMemberAbsent Code = "member_absent"
	// CodeTooLong: the file takes more minutes than any session that could
	// take it holds. Reason.Count is the largest such capacity.
	CodeTooLong Code = "too_long"
	// CodeSessionsFull: the Reason.Count sessions that could take it are
	// full. Reason.Session is the first of them.
	CodeSessionsFull Code = "sessions_full"
)

// Reason is a Code with its parameters; the fields a code does not use are
// zero.
type Reason struct {
	Code    Code
	Session int64  // a session the reason is about
	File    int64  // a file the reason is about (CodeMoved)
	Body    string // an absent body (CodeMemberAbsent)
	Count   int    // a number, per code
}

// Outcome is where one file goes, and why.
type Outcome struct {
	FileID    int64
	SessionID int64 // 0: unplaced
	// Reason says why it is on this session, or, when the file is late or
	// unplaced, why no session up to its deadline takes it.
	Reason Reason
	Late   bool          // placed on a session starting after its deadline
	Delay  time.Duration // how long after the deadline that session starts
}

// Placed reports whether the file is on a session.
func (o Outcome) Placed() bool { return o.SessionID != 0 }

// OnTime reports whether the file is on a session starting by its deadline.
func (o Outcome) OnTime() bool { return o.Placed() && !o.Late }

// Agenda is the list of files of one session, fixed files first, then by
// deadline and ID.
type Agenda struct {
	SessionID int64
	Files     []int64
	Minutes   int // minutes used
}

// Result is a plan: one outcome per file, by file ID, and one agenda per
// session, by start and ID.
type Result struct {
	Files    []Outcome
	Sessions []Agenda
}

// Stats counts a Result's outcomes. Fixed files are counted apart from
// those the planner placed, on time or late.
type Stats struct {
	Fixed, OnTime, Late, Unplaced int
}

// Stats counts r's outcomes.
func (r Result) Stats() Stats {
	var s Stats
	for _, o := range r.Files {
		switch {
		case o.Reason.Code == CodeFixed:
			s.Fixed++
		case !o.Placed():
			s.Unplaced++
		case o.Late:
			s.Late++
		default:
			s.OnTime++
		}
	}
	return s
}

// Outcome returns the outcome of file id, and false if there is none.
func (r Result) Outcome(id int64) (Outcome, bool) {
	i, ok := slices.BinarySearchFunc(r.Files, id, func(o Outcome, id int64) int {
		return cmpInt64(o.FileID, id)
	})
	if !ok {
		return Outcome{}, false
	}
	return r.Files[i], true
}

// Plan puts the files on their committee's sessions: as many as possible
// on time (all of them whenever the files of each committee take equal
// minutes and a schedule meeting every deadline exists), the others late
// in the earliest later session with room (unless opts.NoLate), each with
// its reason. Frozen sessions keep their fixed files and take no other;
// a session takes no file needing a body absent from it. The same input
// always gives the same result. Bad input gives an *InputError.
func Plan(files []File, sessions []Session, opts Options) (Result, error) {
	p, err := prepare(files, sessions, opts)
	if err != nil {
		return Result{}, err
	}
	for _, c := range p.committees {
		p.sweep(c)
		p.repair(c)
		if !opts.NoLate {
			p.placeLate(c)
		}
	}
	return p.result(), nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
