package permit

import (
	"context"

	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/db"
)

// People is what permit reads of the register of people: names for the
// timeline, receipts and notices, how to reach applicants, professions
// and mandates to check the parties a file names. Identity's store
// provides it (module.go resolves it with module.Need); permit does not
// import identity. Every method reads inside q, the caller's transaction
// or the database.
//
// Two queries join identity's tables for speed instead of asking People
// row by row, and say so where they stand: the window's queue (queue.go,
// owners' names) and involvement (store.go, mandates' professionals for
// the conflict-of-interest rule).
type People interface {
	// Person is an account's record; errs.NotFound for an unknown or
	// disabled one.
	Person(ctx context.Context, q db.Querier, id int64) (people.Person, error)
	// LegalPerson is a company or association; errs.NotFound if none.
	LegalPerson(ctx context.Context, q db.Querier, id int64) (people.LegalPerson, error)
	// Professional is a person's declared profession; errs.NotFound if
	// they declared none.
	Professional(ctx context.Context, q db.Querier, personID int64) (people.Professional, error)
	// MandatesHeld are the mandates a professional holds that were not
	// revoked (expired ones included: the caller checks Ends).
	MandatesHeld(ctx context.Context, q db.Querier, professionalID int64) ([]authz.Mandate, error)
}

// Staff is who works at a window: the agents and supervisors the legal
// clock alerts. Identity's store provides it today; the staff capability
// when the back office moves there.
type Staff interface {
	WindowStaff(ctx context.Context, q db.Querier, window string) ([]people.Person, error)
	// WindowPresidents are the presidents deciding a window's files.
	WindowPresidents(ctx context.Context, q db.Querier, window string) ([]people.Person, error)
	// SeatHolder is the organisation holding a committee body's seat for
	// a file in arrondissement, with its committee members; errs.NotFound
	// when none is registered.
	SeatHolder(ctx context.Context, q db.Querier, body, arrondissement string) (people.Organisation, error)
	// Organisation is a registered organisation with its committee
	// members; errs.NotFound when none has that code.
	Organisation(ctx context.Context, q db.Querier, code string) (people.Organisation, error)
}

// directory is People and Staff together, as the service asks them.
type directory struct {
	People
	Staff
}
