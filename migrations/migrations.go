// Package migrations holds Madina's numbered, forward-only schema changes,
// one folder per engine. Numbers are shared: 0007 on SQLite and 0007 on
// PostgreSQL make the same change, each in its engine's SQL.
package migrations

import (
	"embed"

	"madina/internal/platform/db"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// For returns the migrations of an engine.
func For(e db.Engine) ([]db.Migration, error) {
	return db.LoadMigrations(files, string(e))
}
