package agenda

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// ErrorCode says what is wrong with an input, in a word the caller maps to
// a message key.
type ErrorCode string

// The input errors.
const (
	ErrBadID               ErrorCode = "bad_id"               // a file or session ID ≤ 0
	ErrDuplicateFile       ErrorCode = "duplicate_file"       // two files with one ID
	ErrDuplicateSession    ErrorCode = "duplicate_session"    // two sessions with one ID
	ErrMinutes             ErrorCode = "minutes_not_positive" // a file taking no time or less
	ErrDeadlineBeforeReady ErrorCode = "deadline_before_ready"
	ErrUnknownCommittee    ErrorCode = "unknown_committee"     // a committee not in Options.Committees, or with no session
	ErrNegativeCapacity    ErrorCode = "negative_capacity"     // a session with fewer than 0 minutes
	ErrFixedUnknown        ErrorCode = "fixed_unknown_session" // a file fixed on a session not given
	ErrFixedCommittee      ErrorCode = "fixed_other_committee" // a file fixed on another committee's session
	ErrFixedNotFrozen      ErrorCode = "fixed_not_frozen"      // a file fixed on a session whose agenda is open
	ErrFrozenOverCapacity  ErrorCode = "frozen_over_capacity"  // a frozen session whose fixed files exceed it
)

// InputError is the first problem found in a plan's input: the sessions
// are checked in the order given, then the files, then the frozen
// sessions' capacity. FileID and SessionID name what is wrong (0 when not
// about one, or when that ID is the problem and is 0); Committee is set
// for ErrUnknownCommittee.
type InputError struct {
	Code      ErrorCode
	FileID    int64
	SessionID int64
	Committee string
}

func (e *InputError) Error() string {
	msg := "agenda: " + string(e.Code)
	if e.FileID != 0 {
		msg += fmt.Sprintf(", file %d", e.FileID)
	}
	if e.SessionID != 0 {
		msg += fmt.Sprintf(", session %d", e.SessionID)
	}
	if e.Committee != "" {
		msg += fmt.Sprintf(", committee %q", e.Committee)
	}
	return msg
}

// problem is a checked input and the plan being built on it. Files and
// sessions are referred to by their index in the input slices.
type problem struct {
	files      []File
	sessions   []Session
	committees []*committee // by name
	ofFile     []*committee

	// elig lists, for each file not fixed, the open sessions that could
	// take it on time (Ready ≤ Start ≤ Deadline, no needed body absent),
	// by start and ID; first and last are the positions in its
	// committee's open list of the first session starting at or after
	// Ready and of the last session in elig (-1 if none).
	elig        [][]int
	first, last []int
	pos         []int // each open session's position in its committee's open list

	at     []int    // the session each file is on, -1 for none
	reason []Reason // why, while it is on time
	used   []int    // minutes used in each session
	on     [][]int  // the files on each session

	horizon time.Time  // Options.Horizon
	seen    []int      // the search that last reached each session (augment)
	stamp   int        // the current search
	dead    [2]deadSet // sessions failed searches reached, without and with yield
	epoch   int        // how many times repair changed the plan, plus one
}

// committee is one committee's share of the problem.
type committee struct {
	name       string
	all        []int // its sessions, by start and ID
	open       []int // those not frozen
	files      []int // its files not fixed, by deadline and ID
	minMinutes int   // the least minutes among files
}

// prepare checks the input and indexes it.
func prepare(files []File, sessions []Session, opts Options) (*problem, error) {
	p := &problem{
		files: files, sessions: sessions,
		ofFile: make([]*committee, len(files)),
		elig:   make([][]int, len(files)),
		first:  make([]int, len(files)), last: make([]int, len(files)),
		pos: make([]int, len(sessions)),
		at:  make([]int, len(files)), reason: make([]Reason, len(files)),
		used: make([]int, len(sessions)), on: make([][]int, len(sessions)),
		seen: make([]int, len(sessions)), horizon: opts.Horizon, epoch: 1,
	}
	for i := range p.dead {
		p.dead[i] = deadSet{make([]int, len(sessions)), make([]int, len(sessions))}
	}
	byName := map[string]*committee{}
	for _, name := range opts.Committees {
		if name != "" && byName[name] == nil {
			byName[name] = &committee{name: name}
		}
	}
	restricted := len(byName) > 0
	sessionAt := make(map[int64]int, len(sessions))
	for i, s := range sessions {
		if err := checkSession(s, sessionAt); err != nil {
			return nil, err
		}
		sessionAt[s.ID] = i
		c := byName[s.Committee]
		if c == nil {
			if restricted || s.Committee == "" {
				return nil, &InputError{Code: ErrUnknownCommittee, SessionID: s.ID, Committee: s.Committee}
			}
			c = &committee{name: s.Committee}
			byName[s.Committee] = c
		}
		c.all = append(c.all, i)
	}
	fileAt := make(map[int64]bool, len(files))
	for i, f := range files {
		if err := checkFile(f, fileAt); err != nil {
			return nil, err
		}
		fileAt[f.ID] = true
		c := byName[f.Committee]
		if c == nil {
			return nil, &InputError{Code: ErrUnknownCommittee, FileID: f.ID, Committee: f.Committee}
		}
		p.ofFile[i], p.at[i] = c, -1
		if f.Fixed == 0 {
			c.files = append(c.files, i)
			continue
		}
		if err := p.fix(i, sessionAt); err != nil {
			return nil, err
		}
	}
	for i, s := range sessions {
		if s.Frozen && p.used[i] > s.Capacity {
			return nil, &InputError{Code: ErrFrozenOverCapacity, SessionID: s.ID}
		}
	}
	for _, c := range byName {
		p.committees = append(p.committees, c)
		p.index(c)
	}
	slices.SortFunc(p.committees, func(a, b *committee) int { return cmp.Compare(a.name, b.name) })
	return p, nil
}

func checkSession(s Session, seen map[int64]int) error {
	switch _, dup := seen[s.ID]; {
	case s.ID <= 0:
		return &InputError{Code: ErrBadID, SessionID: s.ID}
	case dup:
		return &InputError{Code: ErrDuplicateSession, SessionID: s.ID}
	case s.Capacity < 0:
		return &InputError{Code: ErrNegativeCapacity, SessionID: s.ID}
	}
	return nil
}

func checkFile(f File, seen map[int64]bool) error {
	switch {
	case f.ID <= 0:
		return &InputError{Code: ErrBadID, FileID: f.ID}
	case seen[f.ID]:
		return &InputError{Code: ErrDuplicateFile, FileID: f.ID}
	case f.Minutes <= 0:
		return &InputError{Code: ErrMinutes, FileID: f.ID}
	case f.Deadline.Before(f.Ready):
		return &InputError{Code: ErrDeadlineBeforeReady, FileID: f.ID}
	}
	return nil
}

// fix puts file i on the frozen session it is fixed on.
func (p *problem) fix(i int, sessionAt map[int64]int) error {
	f := p.files[i]
	s, ok := sessionAt[f.Fixed]
	switch {
	case !ok:
		return &InputError{Code: ErrFixedUnknown, FileID: f.ID, SessionID: f.Fixed}
	case p.sessions[s].Committee != f.Committee:
		return &InputError{Code: ErrFixedCommittee, FileID: f.ID, SessionID: f.Fixed}
	case !p.sessions[s].Frozen:
		return &InputError{Code: ErrFixedNotFrozen, FileID: f.ID, SessionID: f.Fixed}
	}
	p.place(i, s, Reason{Code: CodeFixed})
	return nil
}

// index sorts a committee's sessions and files and lists, for each file,
// the sessions that could take it on time.
func (p *problem) index(c *committee) {
	slices.SortFunc(c.all, p.bySessionTime)
	for _, s := range c.all {
		if !p.sessions[s].Frozen {
			p.pos[s] = len(c.open)
			c.open = append(c.open, s)
		}
	}
	slices.SortFunc(c.files, p.byDeadline)
	for k, f := range c.files {
		file := p.files[f]
		if k == 0 || file.Minutes < c.minMinutes {
			c.minMinutes = file.Minutes
		}
		p.first[f], _ = slices.BinarySearchFunc(c.open, file.Ready, func(s int, t time.Time) int {
			return p.sessions[s].Start.Compare(t)
		})
		p.last[f] = -1
		for _, s := range c.open[p.first[f]:] {
			if p.sessions[s].Start.After(file.Deadline) {
				break
			}
			if p.blocker(s, f) == "" {
				p.elig[f] = append(p.elig[f], s)
				p.last[f] = p.pos[s]
			}
		}
	}
}

// bySessionTime orders sessions (by index) by start, then ID.
func (p *problem) bySessionTime(a, b int) int {
	sa, sb := p.sessions[a], p.sessions[b]
	if c := sa.Start.Compare(sb.Start); c != 0 {
		return c
	}
	return cmpInt64(sa.ID, sb.ID)
}

// byDeadline orders files (by index) by deadline, then ID.
func (p *problem) byDeadline(a, b int) int {
	fa, fb := p.files[a], p.files[b]
	if c := fa.Deadline.Compare(fb.Deadline); c != 0 {
		return c
	}
	return cmpInt64(fa.ID, fb.ID)
}

// blocker returns the first body file f needs that is absent from session
// s, or "" if none is.
func (p *problem) blocker(s, f int) string {
	absent := p.sessions[s].Absent
	for _, b := range p.files[f].Needs {
		if slices.Contains(absent, b) {
			return b
		}
	}
	return ""
}

// free is the minutes left in session s.
func (p *problem) free(s int) int { return p.sessions[s].Capacity - p.used[s] }

// place puts file f on session s.
func (p *problem) place(f, s int, why Reason) {
	p.at[f], p.reason[f] = s, why
	p.used[s] += p.files[f].Minutes
	p.on[s] = append(p.on[s], f)
}

// remove takes file f off the session it is on.
func (p *problem) remove(f int) {
	s := p.at[f]
	p.at[f] = -1
	p.used[s] -= p.files[f].Minutes
	p.on[s] = slices.DeleteFunc(p.on[s], func(g int) bool { return g == f })
}
