package permit

import (
	"context"
	"net/http"
	"slices"

	"madina/internal/authz"
	"madina/internal/platform/errs"
)

// Contact is what the agent of a file's window needs to deal with its
// applicant at the counter or on the phone: the owner's identity and how
// to reach the owner and, when someone else filed it (an architect under
// mandate, a company's representative), the filer.
type Contact struct {
	OwnerName  string // in the reader's language
	OwnerOther string // in the other script, when it differs
	CIN        string // the owner's national identity card (a person)
	ICE        string // the owner's company identifier (a company)
	Phone      string // the owner's (a person)
	Email      string
	FilerName  string // "" when the owner filed it
	FilerPhone string
	FilerEmail string
}

// Contact returns the identity and contact of file id's applicant for a,
// who must be an agent of the file's window allowed to read it (an agent
// involved in the file reads it too, and sees the contact: they may not
// act on it). Owners, professionals and anyone else are refused: they see
// their own details on their profile.
func (s *Service) Contact(ctx context.Context, a authz.Actor, f *File, k *Kind, lang string) (*Contact, error) {
	if err := authz.Check(a, authz.ReadFile, f.Resource(k)); err != nil {
		return nil, err
	}
	if f.Window == "" || !slices.Contains(AgentWindows(a), f.Window) {
		return nil, errs.E(errs.Forbidden, "")
	}
	other := "fr"
	if lang != "ar" {
		other = "ar"
	}
	c := &Contact{}
	switch {
	case f.OwnerPerson != 0:
		p, err := s.people.Person(ctx, s.db, f.OwnerPerson)
		if err != nil {
			return nil, err
		}
		c.OwnerName, c.OwnerOther = p.DisplayName(lang), p.DisplayName(other)
		c.CIN, c.Phone, c.Email = p.CIN, p.Phone, p.Email
	case f.OwnerLegal != 0:
		l, err := s.people.LegalPerson(ctx, s.db, f.OwnerLegal)
		if err != nil {
			return nil, err
		}
		c.OwnerName, c.OwnerOther, c.ICE = l.DisplayName(lang), l.DisplayName(other), l.ICE
	}
	if c.OwnerOther == c.OwnerName {
		c.OwnerOther = ""
	}
	if f.CreatedBy != 0 && f.CreatedBy != f.OwnerPerson {
		p, err := s.people.Person(ctx, s.db, f.CreatedBy)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		if err == nil {
			c.FilerName, c.FilerPhone, c.FilerEmail = p.DisplayName(lang), p.Phone, p.Email
		}
	}
	return c, nil
}

// contact is the applicant's block of a file's page for the agent of its
// window, nil for anyone else (templates/_applicant.html shows it).
func (h *FileHandlers) contact(r *http.Request, a authz.Actor, vw *View) *Contact {
	p := h.printer(r)
	c, err := h.Service.Contact(r.Context(), a, vw.File, vw.Kind, string(p.l))
	if err != nil {
		return nil
	}
	return c
}
