package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"madina/internal/authz"
	"madina/internal/platform/errs"
)

// Acting is the legal person a booker acts for, as the booking pages
// name it: who they book as (WhoAssociation, WhoSchool, or "company",
// which books nothing) and its names.
type Acting struct {
	ID           int64
	Who          string
	Name, NameAR string
}

// DisplayName is the legal person's name in lang: Arabic when it has one.
func (l Acting) DisplayName(lang string) string {
	if lang == "ar" && l.NameAR != "" {
		return l.NameAR
	}
	return l.Name
}

// ActingAs is the legal person a acts for, nil when they act for
// themself: the booking pages show whose bookings they see and make.
func (s *Service) ActingAs(ctx context.Context, a authz.Actor) (*Acting, error) {
	if a.ActingFor == 0 {
		return nil, nil
	}
	if err := authz.Check(a, authz.ReadBooking, owner(a)); err != nil {
		return nil, err
	}
	l := Acting{ID: a.ActingFor}
	err := s.db.QueryRowContext(ctx, `SELECT kind, name, name_ar FROM legal_persons WHERE id = $1`, a.ActingFor).Scan(&l.Who, &l.Name, &l.NameAR)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, fmt.Errorf("booking: acting for %d: %w", a.ActingFor, err)
	}
	return &l, nil
}

// actingBanner is what the booking pages say to a representative acting
// for a legal person: whose bookings they see (mine) or make (f's page),
// and, on f's page, when f takes no booking in that name. Nil when they
// act for themself.
func (h *Handlers) actingBanner(r *http.Request, f *Facility) (map[string]any, error) {
	v := authz.FromContext(r.Context())
	if !isCitizen(r.Context()) {
		return nil, nil
	}
	if v.Actor.ActingFor == 0 {
		// In one's own name, "my bookings" says where those of the
		// organisations one represents are.
		if f == nil && len(v.Actor.Represents) > 0 {
			return map[string]any{"ID": "acting-title", "Kind": "important", "Text": h.t(r, "booking.acting.own"),
				"Href": "/me/legal", "Link": h.t(r, "booking.acting.switch")}, nil
		}
		return nil, nil
	}
	l, err := h.Service.ActingAs(r.Context(), v.Actor)
	if err != nil || l == nil {
		return nil, err
	}
	name := l.DisplayName(string(h.lang(r)))
	b := map[string]any{"ID": "acting-title", "Kind": "important", "Href": "/me/legal", "Link": h.t(r, "booking.acting.switch")}
	switch {
	case f == nil:
		b["Text"] = h.t(r, "booking.acting.mine", "name", name)
	case l.Who != WhoAssociation && l.Who != WhoSchool:
		b["Text"] = h.t(r, "booking.acting.book.company", "name", name)
	default:
		b["Text"] = h.t(r, "booking.acting.book."+l.Who, "name", name)
		if !slices.Contains(f.Rules.Who, l.Who) {
			b["Body"] = h.t(r, "booking.error.who."+l.Who)
		}
	}
	return b, nil
}
