package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
)

// TestAdminOpen311Client: the operator registers an Open311 client and
// gets its key once, then revokes it; a client without a name and an
// unknown client are refused with their English messages.
func TestAdminOpen311Client(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		run, url := adminCLI(t, e)
		ctx := context.Background()
		code, out, errs := run("open311-client", "Casa Signale")
		key := regexp.MustCompile(`(?m)^o311_[a-z2-7]{32}$`).FindString(out)
		if code != 0 || key == "" {
			t.Fatalf("register: %d %q %s", code, out, errs)
		}
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var id int64
		var revoked bool
		state := func() {
			t.Helper()
			if err := d.QueryRowContext(ctx, `SELECT id, revoked_at IS NOT NULL FROM complaint_open311_clients WHERE name = 'Casa Signale'`).Scan(&id, &revoked); err != nil {
				t.Fatal(err)
			}
		}
		state()
		if revoked || strings.Contains(out, "Casa Signale") && !strings.Contains(out, "registered") {
			t.Fatalf("registered revoked: %q", out)
		}
		if code, _, errs := run("open311-revoke", "1"); code != 0 {
			t.Fatalf("revoke: %d %s", code, errs)
		}
		if state(); !revoked {
			t.Fatal("not revoked")
		}
		if code, _, errs := run("open311-revoke", "1"); code != 1 || !strings.Contains(errs, "No such Open311 client, or it is already revoked.") {
			t.Fatalf("revoked twice: %d %q", code, errs)
		}
		if code, _, errs := run("open311-client", " "); code != 1 || !strings.Contains(errs, "Give the application's name") {
			t.Fatalf("no name: %d %q", code, errs)
		}
		if code, _, _ := run("open311-revoke", "first"); code != 2 {
			t.Fatalf("a wrong id: exit %d, want 2", code)
		}
	})
}
