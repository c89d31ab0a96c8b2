package identity

import (
	"context"

	"madina/internal/authz"
	"madina/internal/platform/db"
)

// What identity's store answers other capabilities, in kernel types
// (package people, authz) so that they declare the interface they need
// without importing identity: Person, LegalPerson and Professional (in
// store.go, legal.go and mandate.go), and MandatesHeld. The module
// provides the store (module.go); permit's People is the first reader.

// MandatesHeld lists the mandates a professional holds that were not
// revoked, newest first, as the policy sees mandates: one whose Ends has
// passed is expired, whatever the caller checks it at.
func (s *Store) MandatesHeld(ctx context.Context, q db.Querier, professionalID int64) ([]authz.Mandate, error) {
	ms, err := s.MandatesReceived(ctx, q, professionalID)
	if err != nil {
		return nil, err
	}
	out := make([]authz.Mandate, 0, len(ms))
	for _, m := range ms {
		if m.RevokedAt != nil {
			continue
		}
		out = append(out, authz.Mandate{ID: m.ID, OwnerPerson: m.Owner.Person, OwnerLegal: m.Owner.Legal,
			FileRef: m.FileRef, PermitKind: m.PermitKind, Starts: m.Starts, Ends: m.Ends})
	}
	return out, nil
}
