package app_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// adminCLI is `madina admin` on a fresh database of engine e (a data
// directory's SQLite file, or a PostgreSQL database of its own): run runs
// one task with its arguments and returns the exit code, the standard
// output and the standard error; url is the database's, to look inside.
func adminCLI(t *testing.T, e db.Engine) (run func(task string, cmd ...string) (int, string, string), url string) {
	t.Helper()
	dir := t.TempDir()
	url = "sqlite:" + filepath.Join(dir, "madina.db")
	args := []string{"--data-dir", dir}
	if e == db.Postgres {
		url = dbtest.URL(t, e)
		args = append(args, "--database-url", url)
	}
	return func(task string, cmd ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := app.MainWith(context.Background(), append(append([]string{"admin", task}, args...), cmd...), &out, &errb,
			app.Options{Hasher: apptest.Hasher})
		return code, out.String(), errb.String()
	}, url
}
