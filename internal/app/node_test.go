package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
)

// A node restarted on its data directory keeps its identity and takes back
// at once the job its previous process was running when it died, instead
// of waiting for the lease.
func TestRestartedNodeTakesBackItsJobs(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		dir, url := t.TempDir(), dbtest.URL(t, e)
		if e == db.SQLite {
			url = "sqlite:" + url
		}
		open := func() *app.App {
			return apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.DataDir, c.DatabaseURL = dir, url }))
		}
		first := open()
		b, err := os.ReadFile(filepath.Join(dir, "node-id"))
		if err != nil {
			t.Fatal(err)
		}
		node := strings.TrimSpace(string(b))
		id, err := first.Jobs.Enqueue(ctx, first.DB, "test.work", nil, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The first process dies while running it: its lease has an hour left.
		if _, err := first.DB.ExecContext(ctx, `UPDATE jobs SET state = 'running', attempt = 1, locked_by = $1,
			locked_until = $2 WHERE id = $3`, node+"/0badc0de", time.Now().Add(time.Hour), id); err != nil {
			t.Fatal(err)
		}
		first.Close()

		second := open()
		ran := make(chan int64, 1)
		second.Jobs.Handle("test.work", func(ctx context.Context, j jobs.Job) error {
			ran <- j.ID
			return nil
		})
		qctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := second.Jobs.Start(qctx); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ran:
			if got != id {
				t.Fatalf("ran job %d, want %d", got, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the restarted node did not take back its job")
		}
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		defer scancel()
		if err := second.Jobs.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
	})
}
