package app

import (
	"madina/internal/identity"
	"madina/internal/permit"
	"madina/internal/planreview"
	"madina/internal/signature"
)

// The interfaces capabilities declare of each other, checked where both
// sides are in view: module.Need matches them at start, these at compile
// time (docs/ARCHITECTURE.md).
var (
	_ permit.People         = (*identity.Store)(nil)
	_ permit.Staff          = (*identity.Store)(nil)
	_ identity.FileOwners   = (*permit.Service)(nil)
	_ signature.People      = (*identity.Store)(nil)
	_ permit.Signatures     = (*signature.Service)(nil)
	_ planreview.Sheets     = (*permit.Service)(nil)
	_ planreview.Names      = (*identity.Store)(nil)
	_ planreview.Signer     = (*signature.Service)(nil)
	_ planreview.Applicants = (*permit.Service)(nil)
	_ planreview.People     = (*identity.Store)(nil)
)
