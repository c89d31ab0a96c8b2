package agenda

import (
	"container/heap"
	"slices"
	"time"
)

// sweep goes through committee c's open sessions in time order and gives
// each, while it has room, the waiting files whose last possible session
// comes first. A file whose last possible session has passed is left for
// repair and placeLate; one the session cannot take (a needed body is
// absent, or it does not fit) waits for the next.
//
// With files of equal minutes and no absences this is Glover's rule for
// matching on intervals, which places the most files possible on time.
func (p *problem) sweep(c *committee) {
	order := slices.DeleteFunc(slices.Clone(c.files), func(f int) bool { return p.last[f] < 0 })
	slices.SortStableFunc(order, func(a, b int) int { return p.first[a] - p.first[b] })
	waiting := &fileHeap{p: p}
	next := 0
	for k, s := range c.open {
		for ; next < len(order) && p.first[order[next]] <= k; next++ {
			heap.Push(waiting, order[next])
		}
		var held []int
		for waiting.Len() > 0 && p.free(s) >= c.minMinutes {
			f := heap.Pop(waiting).(int)
			switch {
			case p.last[f] < k: // its last possible session is behind
			case p.files[f].Minutes > p.free(s) || p.blocker(s, f) != "":
				held = append(held, f)
			default:
				p.place(f, s, Reason{Code: CodeEarliestDeadline})
			}
		}
		for _, f := range held {
			heap.Push(waiting, f)
		}
	}
}

// fileHeap orders files by their last possible session, then deadline,
// then ID.
type fileHeap struct {
	p     *problem
	files []int
}

func (h *fileHeap) Len() int { return len(h.files) }
func (h *fileHeap) Less(i, j int) bool {
	a, b := h.files[i], h.files[j]
	if h.p.last[a] != h.p.last[b] {
		return h.p.last[a] < h.p.last[b]
	}
	return h.p.byDeadline(a, b) < 0
}
func (h *fileHeap) Swap(i, j int) { h.files[i], h.files[j] = h.files[j], h.files[i] }
func (h *fileHeap) Push(x any)    { h.files = append(h.files, x.(int)) }
func (h *fileHeap) Pop() any {
	f := h.files[len(h.files)-1]
	h.files = h.files[:len(h.files)-1]
	return f
}

// repair tries, for each of committee c's files not on a session yet, by
// deadline, to make room for it on time by moving other files (augment).
// Failing that, a pressing file may take the seat of one that is not
// pressing (yield), which then tries in turn. Passes repeat until one
// changes nothing: each success puts one more file on time, or one more
// pressing file, so they end.
func (p *problem) repair(c *committee) {
	for changed := true; changed; {
		changed = false
		for _, f := range c.files {
			if p.at[f] >= 0 || len(p.elig[f]) == 0 {
				continue
			}
			if p.augment(f, false) || (p.pressing(f) && p.augment(f, true)) {
				changed = true
			}
		}
	}
}

// pressing reports whether file f is due before Options.Horizon: one that
// is not may give its seat to one that is, and wait for a later plan.
func (p *problem) pressing(f int) bool {
	return !p.horizon.IsZero() && p.files[f].Deadline.Before(p.horizon)
}

// step is a session reached while searching room for a file: in would go
// on session s, which the search reached from step parent.
type step struct{ s, in, parent int }

// augment searches, breadth first, a chain that puts file f on a session
// that could take it on time, moves a file of that session to another
// session that could take it on time, and so on until a session with room
// ends the chain, and applies the shortest one found. Every file stays on
// time. A file g may leave a session only if the file coming in then fits.
// With yield, the chain ends instead at a session where a file that is not
// pressing leaves the plan to make room; the file f is then pressing.
//
// With files of equal minutes and no yield, this is the augmenting path of
// bipartite matching: when none exists, no rearrangement puts one more
// file on time.
func (p *problem) augment(f int, yield bool) bool {
	if p.hopeless(f, yield) {
		return false
	}
	p.stamp++
	var steps []step
	reach := func(in, parent int) {
		for _, s := range p.elig[in] {
			if p.seen[s] != p.stamp {
				p.seen[s] = p.stamp
				steps = append(steps, step{s, in, parent})
			}
		}
	}
	reach(f, -1)
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		need := p.files[st.in].Minutes
		if !yield && p.free(st.s) >= need {
			p.apply(steps, i, -1)
			p.epoch++
			return true
		}
		if g := p.yielder(st.s, need); yield && g >= 0 {
			p.apply(steps, i, g)
			p.epoch++
			return true
		}
		for _, g := range p.on[st.s] {
			if p.free(st.s)+p.files[g].Minutes >= need {
				reach(g, i)
			}
		}
	}
	d := &p.dead[b2i(yield)]
	for _, st := range steps {
		if d.epoch[st.s] != p.epoch {
			d.epoch[st.s], d.minutes[st.s] = p.epoch, p.files[f].Minutes
		}
		d.minutes[st.s] = min(d.minutes[st.s], p.files[f].Minutes)
	}
	return false
}

// deadSet remembers the sessions that failed searches reached since the
// plan last changed (epoch), and the fewest minutes of a file whose search
// reached each.
type deadSet struct{ epoch, minutes []int }

// hopeless reports whether a search for file f would fail: every session
// that could take it was reached, since the plan last changed, by a failed
// search for a file of no more minutes. A failed search reaches every
// session it can from its start, and none of them has room (or a file to
// yield); with files of equal minutes, the search from f would then reach
// only those sessions and fail too. With unequal minutes this is a
// shortcut that may, rarely, skip a chain the search would have found.
func (p *problem) hopeless(f int, yield bool) bool {
	d := p.dead[b2i(yield)]
	for _, s := range p.elig[f] {
		if d.epoch[s] != p.epoch || d.minutes[s] > p.files[f].Minutes {
			return false
		}
	}
	return true
}

// yielder returns the file on session s that is not pressing, whose
// leaving makes room for need minutes, with the latest deadline (then the
// highest ID); -1 if there is none.
func (p *problem) yielder(s, need int) int {
	best := -1
	for _, g := range p.on[s] {
		if p.horizon.IsZero() || p.pressing(g) || p.free(s)+p.files[g].Minutes < need {
			continue
		}
		if best < 0 || p.byDeadline(g, best) > 0 {
			best = g
		}
	}
	return best
}

// apply moves the files along the chain ending at steps[i], last first,
// so that each session loses its file before it gains the next; first, if
// gone ≥ 0, file gone leaves the last session.
func (p *problem) apply(steps []step, i, gone int) {
	root := i
	for steps[root].parent >= 0 {
		root = steps[root].parent
	}
	f, moved := steps[root].in, 0
	why := Reason{Code: CodeRebalanced}
	if gone >= 0 {
		p.remove(gone)
		why.File = p.files[gone].ID
	}
	for j := i; j >= 0; j = steps[j].parent {
		st := steps[j]
		if st.parent < 0 {
			why.Count = moved
			p.place(f, st.s, why)
			break
		}
		p.remove(st.in)
		p.place(st.in, st.s, Reason{Code: CodeMoved, File: p.files[f].ID})
		moved++
	}
}

// placeLate puts each of committee c's files still not on a session, by
// deadline, in the earliest open session after its deadline that can take
// it.
func (p *problem) placeLate(c *committee) {
	for _, f := range c.files {
		if p.at[f] >= 0 {
			continue
		}
		file := p.files[f]
		k, _ := slices.BinarySearchFunc(c.open, file.Deadline, func(s int, t time.Time) int {
			if p.sessions[s].Start.After(t) {
				return 1
			}
			return -1
		})
		for _, s := range c.open[k:] {
			if p.free(s) >= file.Minutes && p.blocker(s, f) == "" {
				p.place(f, s, Reason{})
				break
			}
		}
	}
}
