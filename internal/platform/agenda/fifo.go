package agenda

import "slices"

// FIFO is the first-in-first-out baseline Plan is measured against: per
// committee, files in order of readiness (then ID) each go to the earliest
// open session, at or after Ready, that can take them (room, no needed body
// absent), before or after the deadline. Frozen sessions keep their fixed
// files; the result reads like Plan's, with CodeFirstCome for placements on
// time.
func FIFO(files []File, sessions []Session) (Result, error) {
	p, err := prepare(files, sessions, Options{})
	if err != nil {
		return Result{}, err
	}
	for _, c := range p.committees {
		order := slices.Clone(c.files)
		slices.SortFunc(order, func(a, b int) int {
			if c := p.files[a].Ready.Compare(p.files[b].Ready); c != 0 {
				return c
			}
			return cmpInt64(p.files[a].ID, p.files[b].ID)
		})
		for _, f := range order {
			for _, s := range c.open[p.first[f]:] {
				if p.free(s) >= p.files[f].Minutes && p.blocker(s, f) == "" {
					p.place(f, s, Reason{Code: CodeFirstCome})
					break
				}
			}
		}
	}
	return p.result(), nil
}
