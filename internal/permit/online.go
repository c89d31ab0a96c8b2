package permit

import "slices"

// FilingFamilies names the families of permit kinds ("urban", "economic")
// that can be filed online today: those with a kind someone may file. The
// home page asks it (portal.Filing) to say what works, rather than
// printing it.
func (s *Service) FilingFamilies() []string {
	var out []string
	for _, k := range s.cat.Kinds {
		if len(k.Filers) > 0 && !slices.Contains(out, k.Family) {
			out = append(out, k.Family)
		}
	}
	return out
}
