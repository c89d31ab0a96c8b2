package app

import (
	"context"
	"fmt"
	"io"

	"madina/internal/district"
	"madina/internal/notify"
	"madina/internal/platform/db"
)

// LoadDemo loads the demonstration data. Running it twice changes nothing:
// every step checks what is already there. It runs quiet (notify.Quiet):
// nobody is sent anything, and the events it publishes are flagged silent,
// so that the subscribers telling people skip them and the first serve
// does not send hundreds of messages. It ends by sealing the audit
// records it wrote into the chain: a copy of the loaded database (the
// tests' apptest.Demo) carries no records waiting for a sealer. On
// PostgreSQL its thousands of transactions do not wait for their commits
// to reach the disk (db.WithAsyncCommit): a crash may lose the last of a
// demonstration, never half of a transaction.
func (a *App) LoadDemo(ctx context.Context, out io.Writer) error {
	ctx = db.WithAsyncCommit(notify.Quiet(ctx))
	if _, err := a.LoadReference(ctx, district.Casablanca(), "demo"); err != nil {
		return fmt.Errorf("demo: reference data: %w", err)
	}
	fmt.Fprintln(out, "demo: Casablanca's 8 prefectures, 16 arrondissements and 17 windows are loaded")
	for _, m := range Modules() {
		if m.Demo == nil {
			continue
		}
		if err := m.Demo(ctx, a.env, out); err != nil {
			return err
		}
	}
	return sealAuditLog(ctx, a.DB)
}
