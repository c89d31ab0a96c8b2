package district

import (
	"context"

	"madina/internal/audit"
	"madina/internal/platform/db"
)

// Load saves a city's territorial reference in one transaction; a change is
// recorded in the audit log, and loading the same reference again changes
// nothing.
func (s *Store) Load(ctx context.Context, ref Reference, actor string) (changed bool, err error) {
	defer s.snap.Store(nil) // read the new reference on next use
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		changed, err = s.Save(ctx, tx, ref)
		if err != nil || !changed {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "district.reference.load",
			ObjectType: "city", ObjectID: ref.City.Code, Change: ref})
		return err
	})
	return changed, err
}
