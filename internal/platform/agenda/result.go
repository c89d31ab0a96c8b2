package agenda

import (
	"cmp"
	"slices"
)

// result turns the plan built on p into a Result.
func (p *problem) result() Result {
	r := Result{Files: make([]Outcome, len(p.files)), Sessions: make([]Agenda, 0, len(p.sessions))}
	for f, file := range p.files {
		o := Outcome{FileID: file.ID, Reason: p.reason[f]}
		if s := p.at[f]; s >= 0 {
			o.SessionID = p.sessions[s].ID
			if start := p.sessions[s].Start; start.After(file.Deadline) {
				o.Late, o.Delay = true, start.Sub(file.Deadline)
			}
		}
		if o.Reason.Code != CodeFixed && !o.OnTime() {
			o.Reason = p.diagnose(f)
		}
		r.Files[f] = o
	}
	slices.SortFunc(r.Files, func(a, b Outcome) int { return cmpInt64(a.FileID, b.FileID) })
	order := make([]int, len(p.sessions))
	for s := range order {
		order[s] = s
	}
	slices.SortFunc(order, p.bySessionTime)
	for _, s := range order {
		r.Sessions = append(r.Sessions, p.agenda(s))
	}
	return r
}

// agenda lists session s's files: fixed first, then by deadline and ID.
func (p *problem) agenda(s int) Agenda {
	files := slices.Clone(p.on[s])
	slices.SortFunc(files, func(a, b int) int {
		fa, fb := p.files[a].Fixed != 0, p.files[b].Fixed != 0
		if fa != fb {
			return -cmp.Compare(b2i(fa), b2i(fb))
		}
		return p.byDeadline(a, b)
	})
	a := Agenda{SessionID: p.sessions[s].ID, Minutes: p.used[s], Files: make([]int64, len(files))}
	for i, f := range files {
		a.Files[i] = p.files[f].ID
	}
	return a
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// diagnose says why no session starting by file f's deadline takes it,
// looking at its committee's sessions as the plan leaves them.
func (p *problem) diagnose(f int) Reason {
	file := p.files[f]
	var window []int // sessions from Ready to the deadline
	lastBefore := -1
	for _, s := range p.ofFile[f].all {
		start := p.sessions[s].Start
		if start.After(file.Deadline) {
			break
		}
		if start.Before(file.Ready) {
			lastBefore = s
			continue
		}
		window = append(window, s)
	}
	if len(window) == 0 {
		if lastBefore < 0 {
			return Reason{Code: CodeNoSessionBeforeDeadline}
		}
		return Reason{Code: CodeNotReady, Session: p.sessions[lastBefore].ID}
	}
	var open, absent []int
	for _, s := range window {
		if p.sessions[s].Frozen {
			continue
		}
		open = append(open, s)
		if p.blocker(s, f) == "" {
			continue
		}
		absent = append(absent, s)
	}
	possible := slices.DeleteFunc(slices.Clone(open), func(s int) bool { return slices.Contains(absent, s) })
	switch {
	case len(possible) > 0:
		largest := 0
		for _, s := range possible {
			largest = max(largest, p.sessions[s].Capacity)
		}
		if file.Minutes > largest {
			return Reason{Code: CodeTooLong, Count: largest}
		}
		return Reason{Code: CodeSessionsFull, Session: p.sessions[possible[0]].ID, Count: len(possible)}
	case len(absent) > 0:
		s := absent[0]
		return Reason{Code: CodeMemberAbsent, Session: p.sessions[s].ID, Body: p.blocker(s, f)}
	}
	return Reason{Code: CodeFrozen, Session: p.sessions[window[0]].ID}
}
