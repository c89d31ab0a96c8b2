package app_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// TestServeDemoAuditOnBothEngines runs the command line as an operator
// would: demo twice, serve on port 0, read a page, shut down, verify the
// audit chain; then, on SQLite, tampers with a record and verifies again.
func TestServeDemoAuditOnBothEngines(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		dir := t.TempDir()
		args := []string{"--data-dir", dir, "--log-format", "text"}
		if e == db.Postgres {
			args = append(args, "--database-url", dbtest.URL(t, e))
		}
		ctx := context.Background()
		run := func(cmd ...string) (int, string, string) {
			var out, errb bytes.Buffer
			code := app.MainWith(ctx, append(cmd, args...), &out, &errb, app.Options{Hasher: apptest.Hasher})
			return code, out.String(), errb.String()
		}
		if code, out, errs := run("migrate"); code != 0 || !strings.Contains(out, "schema is current") {
			t.Fatalf("migrate: %d %s %s", code, out, errs)
		}
		var verified string
		for i := 0; i < 2; i++ {
			if code, out, errs := run("demo"); code != 0 || !strings.Contains(out, "16 arrondissements") {
				t.Fatalf("demo #%d: %d %s %s", i+1, code, out, errs)
			}
			code, out, _ := run("audit", "verify")
			if code != 0 || !strings.HasPrefix(out, "audit chain intact: ") || i == 1 && out != verified {
				t.Fatalf("audit verify after demo #%d: %d %q, then %q (loading twice must audit once)", i+1, code, verified, out)
			}
			verified = out
		}
		// The demonstration sealed what it issued: nothing is left to seal.
		if code, out, errs := run("admin", "seal"); code != 0 || out != "sealed 0 receipts and 0 decisions\n" {
			t.Fatalf("admin seal: %d %q %s", code, out, errs)
		}

		sctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		done := make(chan int, 1)
		go func() {
			done <- app.MainWith(sctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, io.Discard, app.Options{Hasher: apptest.Hasher})
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "Madina is running at http://127.0.0.1:") {
			t.Fatalf("serve printed %q, %v", line, err)
		}
		go io.Copy(io.Discard, pr)
		url := strings.TrimSpace(strings.TrimPrefix(line, "Madina is running at "))
		res, err := http.Get(url + "/arrondissements")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET: %v %v", res, err)
		}
		res.Body.Close()
		cancel()
		select {
		case c := <-done:
			if c != 0 {
				t.Fatalf("serve exited %d after shutdown", c)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not shut down")
		}

		// A record changed behind the application's back breaks the
		// chain where it was changed.
		if e != db.SQLite {
			return
		}
		raw, err := sql.Open("sqlite", filepath.Join(dir, "madina.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		if code, out, _ := run("audit", "verify"); code == 0 || !strings.Contains(out, "broken at record #1") {
			t.Fatalf("tampered chain: exit %d, %q", code, out)
		}
	})
}

func TestCommandLineErrors(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if c := app.Main(ctx, []string{"frobnicate"}, &out, &errb); c != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", c, errb.String())
	}
	errb.Reset()
	if c := app.Main(ctx, []string{"serve", "--help"}, &out, &errb); c != 0 || !strings.Contains(out.String(), "MADINA_DATABASE_URL") || !strings.Contains(out.String(), "MADINA_ADDR") {
		t.Fatalf("serve --help: %d %q", c, out.String())
	}
	t.Setenv("MADINA_WORKERS", "many")
	errb.Reset()
	if c := app.Main(ctx, []string{"serve"}, &out, &errb); c != 2 || !strings.Contains(errb.String(), "MADINA_WORKERS") {
		t.Fatalf("bad env: %d %q", c, errb.String())
	}
	// Secrets are never flags.
	if strings.Contains(errb.String(), "-smtp-password ") {
		t.Fatal("a password flag exists")
	}
}

// A failure while starting (here the database) is an error, not a panic,
// and leaves nothing open.
func TestNewFailsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var errb bytes.Buffer
	code := app.Main(context.Background(), []string{"migrate", "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--data-dir", dir}, io.Discard, &errb)
	if code != 1 || !strings.Contains(errb.String(), "madina:") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
	code = app.Main(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--data-dir", dir}, io.Discard, &errb)
	if code != 1 {
		t.Fatalf("serve on an unreachable database: exit %d", code)
	}
}

// TestHelpGoesToStandardOutput: asked for help, every command prints its
// usage on standard output and exits 0 (so that "madina admin --help |
// less" works); a mistake still goes to standard error with exit 2.
func TestHelpGoesToStandardOutput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Usage: madina <command>"},
		{[]string{"-h"}, "Usage: madina <command>"},
		{[]string{"help"}, "Usage: madina <command>"},
		{[]string{"serve", "--help"}, "Usage: madina serve [flags]"},
		{[]string{"serve", "-h"}, "-trust-proxy"},
		{[]string{"migrate", "--help"}, "Usage: madina migrate [flags]"},
		{[]string{"demo", "--help"}, "Usage: madina demo [flags]"},
		{[]string{"admin", "--help"}, "Usage: madina admin <task> [flags]"},
		{[]string{"admin", "-h"}, "import-catalogue FILE"},
		{[]string{"admin", "help"}, "create-staff"},
		{[]string{"admin", "create-staff", "--help"}, "one-time link"},
		{[]string{"admin", "create-admin", "--help"}, "-given-name-ar"},
		{[]string{"admin", "import-districts", "--help"}, "Usage: madina admin import-districts [flags] FILE"},
		{[]string{"admin", "import-catalogue", "--help"}, "Usage: madina admin import-catalogue [--check] [flags] FILE"},
		{[]string{"admin", "import-addresses", "--help"}, "Usage: madina admin import-addresses [--source NAME] [flags] FILE"},
		{[]string{"audit", "--help"}, "Usage: madina audit verify [flags]"},
		{[]string{"audit", "verify", "--help"}, "-database-url"},
		{[]string{"bench", "--help"}, "-clients"},
	} {
		var out, errb bytes.Buffer
		if c := app.Main(ctx, tc.args, &out, &errb); c != 0 || !strings.Contains(out.String(), tc.want) || errb.Len() != 0 {
			t.Errorf("madina %s: exit %d, stdout %q, stderr %q; want exit 0 and %q on stdout only",
				strings.Join(tc.args, " "), c, out.String(), errb.String(), tc.want)
		}
	}
	for _, args := range [][]string{{"serve", "--no-such-flag"}, {"admin"}, {"admin", "no-such-task"}, {"audit"}, {"bench", "--clients", "x"}} {
		var out, errb bytes.Buffer
		if c := app.Main(ctx, args, &out, &errb); c != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "Usage: madina") {
			t.Errorf("madina %s: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr",
				strings.Join(args, " "), c, out.String(), errb.String())
		}
	}
}

// TestDemoHelpListsOnlyItsFlags: demo offers the settings the data it
// loads depends on (its signatures' time stamps included), not the
// server's (listening, workers, e-mail, OIDC…).
func TestDemoHelpListsOnlyItsFlags(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if c := app.Main(context.Background(), []string{"demo", "--help"}, &out, io.Discard); c != 0 {
		t.Fatalf("demo --help: exit %d", c)
	}
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(out.String(), -1) {
		got = append(got, m[1])
	}
	slices.Sort(got)
	want := []string{"addr", "base-url", "blob-url", "booking-catalogue-file", "data-dir", "database-url", "log-format", "log-level", "permit-catalogue-file", "secret-key-file",
		"tsa-url"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("demo --help flags (-want +got):\n%s\n%s", d, out.String())
	}
}
