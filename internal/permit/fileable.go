package permit

import (
	"slices"

	"madina/internal/authz"
	"madina/internal/platform/errs"
)

// mayFile checks that a may file f (a new file of kind k, its owner set):
// the catalogue lets this kind of filer file it, and the policy lets a
// prepare it. Create and the new file form ask the same question.
func (s *Service) mayFile(a authz.Actor, k *Kind, f *File) error {
	filer := Owner
	if !(f.OwnerPerson == a.Person && a.ActingFor == 0) && !(f.OwnerLegal != 0 && f.OwnerLegal == a.ActingFor) {
		filer = MandatedProfessional
	}
	if !slices.Contains(k.Filers, filer) {
		return errs.E(errs.Forbidden, "permit.error.filer")
	}
	if err := authz.Check(a, authz.PrepareFile, f.Resource(k)); err != nil {
		if errs.Is(err, errs.NotFound) {
			// Naming an owner without their mandate: say so plainly, the
			// owner is the caller's own input.
			return errs.E(errs.Forbidden, "permit.error.no_mandate").OnField("owner").Cause(err)
		}
		return err
	}
	return nil
}

// Fileable says, before a starts, which kinds of the catalogue they may
// file and for which of owners (Owners' answer): kind code → the indexes
// of the owners. A kind missing from the map is one a may file for nobody;
// why is the error of its first owner, in why.
func (s *Service) Fileable(a authz.Actor, owners []OwnerChoice) (ok map[string][]int, why map[string]error) {
	ok, why = map[string][]int{}, map[string]error{}
	for _, k := range s.cat.Kinds {
		for j, o := range owners {
			f := &File{Kind: k.Code, Family: k.Family, OwnerPerson: o.Person, OwnerLegal: o.Legal}
			if o.Legal != 0 {
				f.OwnerPerson = 0
			}
			if err := s.mayFile(a, k, f); err != nil {
				if _, seen := why[k.Code]; !seen {
					why[k.Code] = err
				}
				continue
			}
			ok[k.Code] = append(ok[k.Code], j)
		}
		if _, yes := ok[k.Code]; yes {
			delete(why, k.Code)
		}
	}
	return ok, why
}
