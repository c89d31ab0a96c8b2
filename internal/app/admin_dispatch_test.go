package app_test

import (
	"context"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
)

// TestAdminDispatchMode: the operator sets a window to dispatch by hand
// and back from the command line; an unknown window is refused with the
// field and its English message; a wrong mode is a usage error.
func TestAdminDispatchMode(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		admin, url := adminCLI(t, e)
		ctx := context.Background()
		run := func(cmd ...string) (int, string, string) { return admin("dispatch-mode", cmd...) }
		if code, out, errs := run("sidi-othmane", "manual"); code != 0 || !strings.Contains(out, "sidi-othmane") {
			t.Fatalf("manual: %d %q %s", code, out, errs)
		}
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		mode := func() string {
			t.Helper()
			var auto bool
			if err := d.QueryRowContext(ctx, `SELECT automatic FROM permit_dispatch_modes WHERE window_code = 'sidi-othmane'`).Scan(&auto); err != nil {
				t.Fatal(err)
			}
			if auto {
				return "automatic"
			}
			return "manual"
		}
		if m := mode(); m != "manual" {
			t.Fatalf("sidi-othmane dispatches %s", m)
		}
		if code, _, errs := run("sidi-othmane", "automatic"); code != 0 || mode() != "automatic" {
			t.Fatalf("automatic: %d %s", code, errs)
		}
		if code, _, errs := run("atlantis", "manual"); code != 1 || !strings.Contains(errs, "--window: There is no single window “atlantis”.") {
			t.Fatalf("an unknown window: %d %q", code, errs)
		}
		if code, _, _ := run("sidi-othmane", "sometimes"); code != 2 {
			t.Fatalf("a wrong mode: exit %d, want 2", code)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.dispatch_mode'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d audit records (%v)", n, err)
		}
	})
}
