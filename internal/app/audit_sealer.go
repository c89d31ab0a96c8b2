package app

import (
	"context"

	"madina/internal/audit"
	"madina/internal/platform/db"
)

// runAuditSealer links the audit records written by every capability into
// the hash chain until ctx ends. Every node runs it; the sealer's lock lets
// one seal at a time, and the others take over if it stops.
func (a *App) runAuditSealer(ctx context.Context) {
	audit.NewSealer(a.DB, audit.SealerOptions{Logger: a.Log}).Run(ctx)
}

// sealAuditLog links the records a command wrote into the chain before it
// exits: without `serve` no sealer runs, and `madina audit verify` reports
// records left unsealed beyond a minute.
func sealAuditLog(ctx context.Context, d *db.DB) error {
	_, err := audit.NewSealer(d, audit.SealerOptions{}).SealNow(ctx)
	return err
}
