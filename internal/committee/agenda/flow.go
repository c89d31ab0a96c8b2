package agenda

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
}

// Feasible computes, by max-flow (source → file → each open session that
// could take it on time → sink), how many files and minutes any schedule
// can put on time, for comparison with Plan. Bad input gives an
// *InputError, as for Plan.
func Feasible(files []File, sessions []Session) (FeasibilityReport, error) {
	p, err := prepare(files, sessions, Options{})
	if err != nil {
		return FeasibilityReport{}, err
	}
	r := FeasibilityReport{Exact: true}
	for _, c := range p.committees {
		for _, f := range c.files {
			r.Files++
			r.Minutes += p.files[f].Minutes
			if p.files[f].Minutes != c.minMinutes {
				r.Exact = false
			}
		}
	}
	r.MaxOnTime = int(p.maxFlow(true))
	r.MaxMinutes = int(p.maxFlow(false))
	return r, nil
}

// maxFlow builds the flow network of p and returns its maximum flow: in
// unit mode files carry 1 and sessions hold free/minMinutes files, else
// files carry their minutes and sessions hold their free minutes.
func (p *problem) maxFlow(unit bool) int64 {
	// Nodes: 0 source, 1 sink, then files, then sessions.
	const source, sink = 0, 1
	g := newNetwork(2 + len(p.files) + len(p.sessions))
	sessionNode := func(s int) int { return 2 + len(p.files) + s }
	for _, c := range p.committees {
		if len(c.files) == 0 {
			continue
		}
		for _, s := range c.open {
			free := int64(p.free(s))
			if unit {
				free /= int64(c.minMinutes)
			}
			if free > 0 {
				g.add(sessionNode(s), sink, free)
			}
		}
		for _, f := range c.files {
			load := int64(p.files[f].Minutes)
			if unit {
				load = 1
			}
			g.add(source, 2+f, load)
			for _, s := range p.elig[f] {
				g.add(2+f, sessionNode(s), load)
			}
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
