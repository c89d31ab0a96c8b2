package agenda

import "slices"

// FeasibilityReport is what any schedule could reach on time, found by
// max-flow. Fixed files are left out of the counts; their minutes are
// taken from their sessions' capacity.
type FeasibilityReport struct {
	Files   int // files to place (not fixed)
	Minutes int // their minutes

	// MaxOnTime is the most files a schedule can put on time, from a flow
	// where each file is one unit and each open session holds its free
	// minutes divided by the least minutes of its committee's files. It is
	// exact when the files of each committee take equal minutes (Exact),
	// and an upper bound otherwise.
	MaxOnTime int
	Exact     bool
	// MaxMinutes is the most file minutes a schedule can put on time if
	// files could be split between sessions (the fractional relaxation):
	// an upper bound on the minutes of any real schedule.
	MaxMinutes int
	// Bound is the tighter upper bound on the files on time: per
	// committee, the lesser of MaxOnTime's share and the number of its
	// shortest files (among those some session could take on time) whose
	// minutes add up to at most MaxMinutes' share. It equals MaxOnTime
	// when Exact.
	Bound int
}

// Feasible computes, by max-flow (source → file → each open session that
// could take it on time → sink), how many files and minutes any schedule
// can put on time, for comparison with Plan. Committees are independent
// and solved one by one. Bad input gives an *InputError, as for Plan.
func Feasible(files []File, sessions []Session) (FeasibilityReport, error) {
	p, err := prepare(files, sessions, Options{})
	if err != nil {
		return FeasibilityReport{}, err
	}
	r := FeasibilityReport{Exact: true}
	for _, c := range p.committees {
		var minutes []int // of the files some session could take on time
		for _, f := range c.files {
			m := p.files[f].Minutes
			r.Files++
			r.Minutes += m
			r.Exact = r.Exact && m == c.minMinutes
			if len(p.elig[f]) > 0 {
				minutes = append(minutes, m)
			}
		}
		if len(minutes) == 0 {
			continue
		}
		unit, fractional := int(p.maxFlow(c, true)), int(p.maxFlow(c, false))
		r.MaxOnTime += unit
		r.MaxMinutes += fractional
		r.Bound += min(unit, shortestWithin(minutes, fractional))
	}
	return r, nil
}

// shortestWithin returns how many of the shortest minutes add up to at
// most limit.
func shortestWithin(minutes []int, limit int) int {
	slices.Sort(minutes)
	n, sum := 0, 0
	for _, m := range minutes {
		if sum += m; sum > limit {
			break
		}
		n++
	}
	return n
}

// maxFlow builds the flow network of committee c and returns its maximum
// flow: in unit mode files carry 1 and sessions hold free/minMinutes
// files, else files carry their minutes and sessions hold their free
// minutes.
func (p *problem) maxFlow(c *committee, unit bool) int64 {
	// Nodes: 0 source, 1 sink, then files, then sessions.
	const source, sink = 0, 1
	g := newNetwork(2 + len(c.files) + len(c.open))
	sessionNode := func(s int) int { return 2 + len(c.files) + p.pos[s] }
	for _, s := range c.open {
		free := int64(p.free(s))
		if unit {
			free /= int64(c.minMinutes)
		}
		if free > 0 {
			g.add(sessionNode(s), sink, free)
		}
	}
	for k, f := range c.files {
		load := int64(p.files[f].Minutes)
		if unit {
			load = 1
		}
		if len(p.elig[f]) > 0 {
			g.add(source, 2+k, load)
		}
		for _, s := range p.elig[f] {
			g.add(2+k, sessionNode(s), load)
		}
	}
	return g.maxFlow(source, sink)
}

// network is a flow network for Dinic's algorithm: edges are stored in
// pairs, edge i^1 being the reverse of edge i.
type network struct {
	head  []int // first edge out of each node, -1 for none
	next  []int // next edge out of the same node
	to    []int
	cap   []int64 // residual capacity
	level []int
	iter  []int // the edge each node's search resumes from
}

func newNetwork(nodes int) *network {
	g := &network{head: make([]int, nodes), level: make([]int, nodes), iter: make([]int, nodes)}
	for i := range g.head {
		g.head[i] = -1
	}
	return g
}

func (g *network) add(from, to int, c int64) {
	g.link(from, to, c)
	g.link(to, from, 0)
}

func (g *network) link(from, to int, c int64) {
	g.next = append(g.next, g.head[from])
	g.head[from] = len(g.to)
	g.to = append(g.to, to)
	g.cap = append(g.cap, c)
}

// maxFlow runs Dinic's algorithm: a breadth-first search ranks the nodes
// by distance from s in the residual network, then depth-first searches
// push flow along shortest paths until none is left; repeat until t is
// out of reach.
func (g *network) maxFlow(s, t int) int64 {
	var total int64
	for g.rank(s, t) {
		copy(g.iter, g.head)
		for {
			pushed := g.push(s, t, 1<<62)
			if pushed == 0 {
				break
			}
			total += pushed
		}
	}
	return total
}

// rank sets each node's level (its distance from s) and reports whether t
// is reachable.
func (g *network) rank(s, t int) bool {
	for i := range g.level {
		g.level[i] = -1
	}
	g.level[s] = 0
	queue := []int{s}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for e := g.head[v]; e >= 0; e = g.next[e] {
			if w := g.to[e]; g.cap[e] > 0 && g.level[w] < 0 {
				g.level[w] = g.level[v] + 1
				queue = append(queue, w)
			}
		}
	}
	return g.level[t] >= 0
}

// push sends up to limit units from v to t along edges going one level
// up, and returns how many it sent.
func (g *network) push(v, t int, limit int64) int64 {
	if v == t {
		return limit
	}
	for ; g.iter[v] >= 0; g.iter[v] = g.next[g.iter[v]] {
		e := g.iter[v]
		w := g.to[e]
		if g.cap[e] <= 0 || g.level[w] != g.level[v]+1 {
			continue
		}
		if d := g.push(w, t, min(limit, g.cap[e])); d > 0 {
			g.cap[e] -= d
			g.cap[e^1] += d
			return d
		}
	}
	return 0
}
